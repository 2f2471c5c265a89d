//! 报送：the school's submission page (status, what still blocks it, the commission's reasons
//! when returned, every version with its receipt number) and the submit itself, refused while any
//! `error` or W01–W03 finding stands. The page offers the button only when nothing holds it (the
//! same check, plus a returned submission whose forms have not changed since the return) and
//! says why otherwise.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use shuangshi_app::Refusal;
use shuangshi_rules::{Finding, Severity};
use shuangshi_store::{Submission, SubmissionStatus, VersionInfo};
use tower_sessions::Session;

use crate::auth::{CsrfForm, CurrentUser};
use crate::disclosure::Disclosure;
use crate::error::AppError;
use crate::filters;
use crate::forms::checks::Standing;
use crate::forms::pages::{scan_state, school_standing};
use crate::session::{push_flash, take_flash};
use crate::shared::flash::back;
use crate::shared::officer::{SchoolCtx, SchoolData, load_school, school_ctx};
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

/// One thing that keeps the 报送 button disabled, with where to deal with it.
pub struct Hold {
    pub text: String,
    pub href: &'static str,
    pub label: &'static str,
}

fn hold(text: impl Into<String>, href: &'static str, label: &'static str) -> Hold {
    Hold {
        text: text.into(),
        href,
        label,
    }
}

/// Why the school cannot submit now, the first reason first; empty when it can. `blockers` are
/// those of [`blockers`] (the submit use case's own check), `unchanged` whether the submission
/// was returned and nothing changed since.
pub fn holds(
    ctx: &SchoolCtx,
    data: &SchoolData,
    blockers: &[Finding],
    unchanged: bool,
) -> Vec<Hold> {
    let status = data.submission.as_ref().map(|s| s.status);
    match status {
        Some(SubmissionStatus::Submitted) => {
            return vec![hold(
                "已报送，等待市教委审核",
                "#versions-title",
                "报送记录",
            )];
        }
        Some(SubmissionStatus::Accepted) => {
            return vec![hold(
                "报送已受理，无需再次报送",
                "#versions-title",
                "报送记录",
            )];
        }
        _ => {}
    }
    let mut out = Vec::new();
    if !ctx.batch_open() {
        out.push(hold("本批次当前未开放报送", "/notices", "通知与模板"));
    }
    if data.forms.is_empty() {
        out.push(hold(
            "尚无推荐表：先在「合作企业」中提出合作，企业确认后填写推荐表",
            "/partners",
            "合作企业",
        ));
    }
    if unchanged {
        out.push(hold(
            "报送已被退回，推荐表自退回后尚未修改：请按退回原因修改后再报送",
            "#reasons-title",
            "查看退回原因",
        ));
    }
    let errors = blockers.iter().filter(|f| !f.rule.starts_with('W')).count();
    if errors > 0 {
        out.push(hold(
            format!("推荐表中有 {errors} 处错误，改正后才能报送"),
            "#blockers-title",
            "查看错误",
        ));
    }
    for f in blockers.iter().filter(|f| f.rule.starts_with('W')) {
        out.push(hold(
            format!("{}（{}）", f.message, f.rule),
            "#blockers-title",
            "查看",
        ));
    }
    out
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
    /// Why the button is disabled (empty when it is not).
    pub holds: Vec<Hold>,
    /// Returned, and nothing changed since the return.
    pub unchanged: bool,
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
    let unchanged = match (&data.submission, &data.facts) {
        (Some(s), Some(facts)) => state.app.returned_unchanged(&ctx.scope, s, facts).await?,
        _ => false,
    };
    let holds = holds(&ctx, &data, &blockers, unchanged);
    let can_submit = holds.is_empty();
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
        holds,
        unchanged,
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
