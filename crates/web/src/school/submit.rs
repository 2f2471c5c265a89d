//! 报送：the school's submission page (status, what still blocks it, the commission's reasons
//! when returned, every version with its receipt number) and the submit itself, refused while any
//! `error` or W01–W03 finding stands.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use shuangshi_app::Refusal;
use shuangshi_rules::{Finding, Severity};
use shuangshi_store::{Submission, SubmissionStatus, VersionInfo};
use tower_sessions::Session;

use super::checks::Standing;
use super::forms::{scan_state, school_standing};
use super::{SchoolCtx, SchoolData, back, load_school, school_ctx};
use crate::auth::{CsrfForm, CurrentUser};
use crate::disclosure::Disclosure;
use crate::error::AppError;
use crate::filters;
use crate::session::{push_flash, take_flash};
use crate::state::AppState;
use crate::ui::{Flash, Frame};

/// What stops the school from submitting now: every `error` finding of its forms and W01–W03.
pub fn blockers(ctx: &SchoolCtx, data: &SchoolData) -> Vec<Finding> {
    shuangshi_app::submissions::blockers(
        &ctx.batch,
        &ctx.school_name,
        &data.report.findings,
        data.facts.as_ref(),
        Utc::now(),
    )
}

/// One form on the submission page.
pub struct FormLine {
    pub id: i64,
    pub enterprise: String,
    pub people: usize,
    pub confirmed: usize,
    pub version: i32,
    pub scan: &'static str,
    pub scan_class: &'static str,
}

/// 报送.
#[derive(Template, WebTemplate)]
#[template(path = "school/submissions.html")]
pub struct SubmissionsPage {
    pub frame: Frame,
    pub standing: Standing,
    pub status: &'static str,
    pub submission: Option<Submission>,
    pub blockers: Vec<Finding>,
    pub warnings: usize,
    pub can_submit: bool,
    pub forms: Vec<FormLine>,
    pub versions: Vec<VersionInfo>,
    /// The latest version, when it was returned: its reasons are shown on top.
    pub returned: Option<VersionInfo>,
    pub batch_open: bool,
}

/// `GET /submissions`.
pub async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
) -> Result<Response, AppError> {
    let ctx = school_ctx(&state.store, &user).await?;
    let data = load_school(&state, &ctx).await?;
    let disclosure = Disclosure::masked(&user);
    let mut blockers = blockers(&ctx, &data);
    blockers.iter_mut().for_each(|f| disclosure.finding(f));
    let warnings = data
        .report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .count();
    let mut forms = Vec::new();
    for f in &data.forms {
        let scan = state.store.latest_scan(&ctx.scope, f.id).await?;
        let (scan, scan_class) = scan_state(scan.as_ref());
        forms.push(FormLine {
            id: f.id,
            enterprise: f.enterprise_name.clone(),
            people: f.rows.len(),
            confirmed: f.rows.iter().filter(|r| r.confirmed()).count(),
            version: f.version,
            scan,
            scan_class,
        });
    }
    let versions = match &data.submission {
        Some(s) => state
            .store
            .list_versions(&ctx.scope, s.id)
            .await?
            .unwrap_or_default(),
        None => Vec::new(),
    };
    let status = data.submission.as_ref().map(|s| s.status);
    let returned = (status == Some(SubmissionStatus::Returned))
        .then(|| versions.last().cloned())
        .flatten();
    let can_submit = ctx.batch_open()
        && !data.forms.is_empty()
        && blockers.is_empty()
        && matches!(
            status,
            None | Some(SubmissionStatus::Draft | SubmissionStatus::Returned)
        );
    let standing = school_standing(&ctx, &data);
    let mut frame = user.frame_with_batch(&state, "报送", "submissions").await?;
    for f in take_flash(&session).await {
        frame = frame.flash(f);
    }
    Ok(SubmissionsPage {
        frame,
        standing,
        status: status.map_or("草稿", |s| s.label()),
        submission: data.submission,
        blockers,
        warnings,
        can_submit,
        forms,
        versions,
        returned,
        batch_open: ctx.batch_open(),
    }
    .into_response())
}

/// A form with only the CSRF token.
#[derive(Debug, serde::Deserialize)]
pub struct Empty {}

/// Submits the school's forms ([`shuangshi_app::App::submit`]): the refusal carries the reason
/// and the findings that block. Shared with the API.
pub async fn do_submit(
    state: &AppState,
    user: &CurrentUser,
    ctx: &SchoolCtx,
) -> Result<Result<VersionInfo, Refusal>, AppError> {
    match state
        .app
        .submit(
            &ctx.scope,
            &user.actor(),
            &ctx.batch,
            ctx.school_id,
            Utc::now(),
        )
        .await
    {
        Ok(v) => Ok(Ok(v)),
        Err(shuangshi_app::Error::Refused(r)) => Ok(Err(r)),
        Err(e) => Err(e.into()),
    }
}

/// `POST /submissions/submit`.
pub async fn submit(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, AppError> {
    let ctx = school_ctx(&state.store, &user).await?;
    match do_submit(&state, &user, &ctx).await? {
        Ok(v) => {
            push_flash(
                &session,
                Flash::success(format!(
                    "报送成功，回执号 {}（第 {} 次报送）。等待市教委审核期间推荐表不能修改。",
                    v.receipt_no, v.version_no
                )),
            )
            .await;
        }
        Err(refusal) => push_flash(&session, Flash::error(refusal.message)).await,
    }
    Ok(back("/submissions"))
}
