//! 催办提醒: the commission's list of the units behind in every batch in progress, each reason
//! with a box, 「提醒所选单位」 and 「一键提醒全部」, and the reminders already sent. The units see
//! theirs on the 工作台; e-mail goes out when the server was started with `--smtp-url`. The use
//! case is `shuangshi_app::reminders`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use shuangshi_app::reminders::{BehindBatch, Pick};
use shuangshi_store::Reminder;
use tower_sessions::Session;

use crate::auth::{CsrfForm, CurrentUser};
use crate::error::AppError;
use crate::filters;
use crate::session::{push_flash, take_flash};
use crate::state::AppState;
use crate::ui::{Flash, Frame};

/// 催办提醒.
#[derive(Template, WebTemplate)]
#[template(path = "reminders/page.html")]
pub struct RemindersPage {
    pub frame: Frame,
    pub batches: Vec<BehindBatch>,
    pub history: Vec<Reminder>,
    /// The mail server as shown (no password), when configured.
    pub mail_server: Option<String>,
    pub today: String,
}

impl RemindersPage {
    pub fn pick(
        &self,
        batch: &i64,
        org: &i64,
        reason: &shuangshi_app::dashboard::Reason,
    ) -> String {
        Pick {
            batch_id: *batch,
            org_id: *org,
            reason: *reason,
        }
        .code()
    }

    pub fn due_total(&self) -> usize {
        self.batches
            .iter()
            .flat_map(|b| &b.units)
            .filter(|u| !u.due().is_empty())
            .count()
    }

    pub fn reason_label(&self, code: &str) -> String {
        shuangshi_app::dashboard::Reason::parse(code)
            .map_or_else(|| "其他事项".to_owned(), |r| r.label().to_owned())
    }

    pub fn when(&self, at: &chrono::DateTime<Utc>) -> String {
        crate::fmt::datetime(at)
    }
}

/// `GET /reminders`.
pub async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
) -> Result<Response, AppError> {
    let now = Utc::now();
    let batches = state.app.behind_units(&user.scope(), now).await?;
    let history = state.app.reminder_history(&batches).await?;
    let mut frame = user
        .frame_with_batch(&state, "催办提醒", "reminders")
        .await?;
    for f in take_flash(&session).await {
        frame = frame.flash(f);
    }
    Ok(RemindersPage {
        frame,
        batches,
        history,
        mail_server: state.app.mailer().map(|m| m.server().to_owned()),
        today: shuangshi_app::reminders::day_of(now),
    }
    .into_response())
}

/// `POST /reminders/send`: `all=1`, or the ticked `pick` boxes.
pub async fn send(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let all = form.iter().any(|(k, v)| k == "all" && v == "1");
    let mut picks = Vec::new();
    for (k, v) in &form {
        if k == "pick" {
            match Pick::parse(v) {
                Some(p) => picks.push(p),
                None => {
                    return Err(AppError::bad_request(format!(
                        "提醒事项「{v}」无法识别，请刷新页面后重新勾选"
                    )));
                }
            }
        }
    }
    let r = state
        .app
        .send_reminders(
            &user.actor(),
            &user.scope(),
            (!all).then_some(picks.as_slice()),
            Utc::now(),
        )
        .await;
    let flash = match r {
        Ok(o) => {
            let text = o.summary(state.app.mailer().is_some());
            if o.sent.iter().any(|s| s.mail_error.is_some()) {
                Flash::warning(text)
            } else if o.sent.is_empty() {
                Flash::info(text)
            } else {
                Flash::success(text)
            }
        }
        Err(shuangshi_app::Error::Refused(r)) => Flash::error(r.message),
        Err(e) => return Err(e.into()),
    };
    push_flash(&session, flash).await;
    Ok(crate::shared::flash::back("/reminders"))
}
