//! 学校经办人的页面：合作企业、推荐表（逐行填写、导入、下载与打印、盖章扫描件）和报送，以及对应的
//! `/api/v1` 接口。
//!
//! Every store call takes the user's scope, so an id of another organisation's partnership, form,
//! row or scan answers 404. Files are parsed and checked before any write transaction opens.
//!
//! Modules: [`checks`] (running the rules on the school's forms, findings on cells, the standing
//! panel), `partners`, `forms` (rows, header and footer, downloads, print view), `import`
//! (upload dry run and commit), `scans`, `submit`, `notices` (通知与模板), [`api`].

pub mod api;
pub mod checks;
mod forms;

pub(crate) use forms::{XLSX, attachment, school_standing};
mod import;
mod notices;
mod partners;
mod scans;
mod submit;

pub use partners::{
    ListQuery as PartnerQuery, PartnerRow, TAGS as PARTNER_TAGS, filtered as filtered_partners,
    status_options as partner_status_options,
};

use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use shuangshi_rules::{Report, Tally};
use shuangshi_store::{
    BatchRecord, BatchStatus, FormRecord, Role, Scope, Store, Submission, SubmissionStatus,
    WorkflowFacts,
};

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::policy::{Access, RouteRule, Routes, roles};
use crate::state::AppState;

const SCHOOL: Access = Access::Roles(roles::SCHOOL);
const OFFICERS: Access = Access::Roles(roles::OFFICERS);
/// Who may download a sealed scan: the school that uploaded it and the commission reviewing it.
const SCAN_READERS: Access =
    Access::Roles(&[Role::SchoolOfficer, Role::Admin, Role::VocationalReviewer]);

/// Who may call this module's routes (see [`crate::policy`]).
pub const POLICY: &[RouteRule] = &[
    // 合作企业 (the enterprise's 合作学校 page shares the path; see `partners::list`).
    RouteRule::new("GET", "/partners", OFFICERS),
    RouteRule::new("GET", "/partners/new", SCHOOL),
    RouteRule::new("POST", "/partners", SCHOOL),
    // 推荐表
    RouteRule::new("GET", "/forms", SCHOOL),
    RouteRule::new("GET", "/forms/template.xlsx", SCHOOL),
    RouteRule::new("GET", "/forms/{id}", SCHOOL),
    RouteRule::new("POST", "/forms/{id}/meta", SCHOOL),
    RouteRule::new("POST", "/forms/{id}/rows", SCHOOL),
    RouteRule::new("GET", "/forms/{id}/rows/{row_id}/edit", SCHOOL),
    RouteRule::new("POST", "/forms/{id}/rows/{row_id}", SCHOOL),
    RouteRule::new("POST", "/forms/{id}/rows/{row_id}/delete", SCHOOL),
    RouteRule::new("POST", "/forms/{id}/import", SCHOOL),
    RouteRule::new("POST", "/forms/{id}/import/commit", SCHOOL),
    RouteRule::new("GET", "/forms/{id}/import/{token}/annotated.xlsx", SCHOOL),
    RouteRule::new("GET", "/forms/{id}/download.xlsx", SCHOOL),
    RouteRule::new("GET", "/forms/{id}/print", SCHOOL),
    RouteRule::new("POST", "/forms/{id}/scan", SCHOOL),
    RouteRule::new("GET", "/scans/{id}", SCAN_READERS),
    // 报送
    RouteRule::new("GET", "/submissions", SCHOOL),
    RouteRule::new("GET", "/notices", SCHOOL),
    RouteRule::new("POST", "/submissions/submit", SCHOOL),
    // JSON API
    RouteRule::new("GET", "/api/v1/partnerships", OFFICERS),
    RouteRule::new("POST", "/api/v1/partnerships", SCHOOL),
    RouteRule::new(
        "POST",
        "/api/v1/partnerships/{id}/confirm",
        Access::Roles(roles::ENTERPRISE),
    ),
    RouteRule::new(
        "POST",
        "/api/v1/partnerships/{id}/reject",
        Access::Roles(roles::ENTERPRISE),
    ),
    RouteRule::new("GET", "/api/v1/forms", OFFICERS),
    RouteRule::new("GET", "/api/v1/forms/{id}", OFFICERS),
    RouteRule::new("PUT", "/api/v1/forms/{id}/rows", SCHOOL),
    RouteRule::new("POST", "/api/v1/forms/{id}/upload", SCHOOL),
    RouteRule::new(
        "POST",
        "/api/v1/forms/{id}/confirmations",
        Access::Roles(roles::ENTERPRISE),
    ),
    RouteRule::new("GET", "/api/v1/forms/{id}/scans", SCHOOL),
    RouteRule::new("POST", "/api/v1/forms/{id}/scans", SCHOOL),
    RouteRule::new("GET", "/api/v1/submission", SCHOOL),
    RouteRule::new("POST", "/api/v1/submission", SCHOOL),
];

/// This module's routes.
pub fn routes() -> Routes {
    Routes::new()
        .get("/partners", partners::list)
        .get("/partners/new", partners::new_page)
        .post("/partners", partners::propose)
        .get("/forms", forms::list)
        .get("/forms/template.xlsx", forms::template)
        .get("/forms/{id}", forms::page)
        .post("/forms/{id}/meta", forms::save_meta)
        .post("/forms/{id}/rows", forms::add_row)
        .get("/forms/{id}/rows/{row_id}/edit", forms::edit_row_page)
        .post("/forms/{id}/rows/{row_id}", forms::update_row)
        .post("/forms/{id}/rows/{row_id}/delete", forms::delete_row)
        .post("/forms/{id}/import", import::preview)
        .post("/forms/{id}/import/commit", import::commit)
        .get(
            "/forms/{id}/import/{token}/annotated.xlsx",
            import::annotated,
        )
        .get("/forms/{id}/download.xlsx", forms::download)
        .get("/forms/{id}/print", forms::print)
        .post("/forms/{id}/scan", scans::upload)
        .get("/scans/{id}", scans::download)
        .get("/submissions", submit::page)
        .get("/notices", notices::page)
        .post("/submissions/submit", submit::submit)
        .get("/api/v1/partnerships", api::list_partnerships)
        .post("/api/v1/partnerships", api::propose_partnership)
        .post(
            "/api/v1/partnerships/{id}/confirm",
            api::confirm_partnership,
        )
        .post("/api/v1/partnerships/{id}/reject", api::reject_partnership)
        .get("/api/v1/forms", api::list_forms)
        .get("/api/v1/forms/{id}", api::get_form)
        .put("/api/v1/forms/{id}/rows", api::replace_rows)
        .post("/api/v1/forms/{id}/upload", api::upload_form)
        .post("/api/v1/forms/{id}/confirmations", api::confirm_rows)
        .get("/api/v1/forms/{id}/scans", api::list_scans)
        .post("/api/v1/forms/{id}/scans", api::upload_scan)
        .get("/api/v1/submission", api::get_submission)
        .post("/api/v1/submission", api::submit)
}

/// The school an officer works for, in the current batch.
#[derive(Debug, Clone)]
pub(crate) struct SchoolCtx {
    pub batch: BatchRecord,
    pub school_id: i64,
    pub school_name: String,
    pub scope: Scope,
}

impl SchoolCtx {
    pub fn batch_open(&self) -> bool {
        self.batch.status == BatchStatus::Open
    }
}

/// The current batch, or a clear message when the commission has not set one up.
pub(crate) async fn batch_or_conflict(store: &Store) -> Result<BatchRecord, AppError> {
    crate::auth::current_batch(store)
        .await?
        .ok_or_else(|| AppError::conflict("市教委尚未设置批次，暂不能填报"))
}

/// The school of a 学校经办人 and the current batch.
pub(crate) async fn school_ctx(store: &Store, user: &CurrentUser) -> Result<SchoolCtx, AppError> {
    let Some(school_id) = user
        .user
        .org_id
        .filter(|_| user.role() == Role::SchoolOfficer)
    else {
        return Err(AppError::Forbidden);
    };
    let batch = batch_or_conflict(store).await?;
    Ok(SchoolCtx {
        batch,
        school_id,
        school_name: user.org_name.clone().unwrap_or_default(),
        scope: user.scope(),
    })
}

/// Everything the school's pages show: its forms with their stored findings (the school's
/// report, duplicates on its rows included), its tier, the workflow facts and the submission.
pub(crate) struct SchoolData {
    pub forms: Vec<FormRecord>,
    pub report: Report,
    /// The school's people by direction and post.
    pub tally: Tally,
    /// The school's tier (学校类别) in the registry.
    pub tier: Option<String>,
    pub facts: Option<WorkflowFacts>,
    pub submission: Option<Submission>,
}

impl SchoolData {
    /// Whether the school may still change its forms (batch open, not submitted or accepted).
    pub fn editable(&self, ctx: &SchoolCtx) -> bool {
        ctx.batch_open()
            && !matches!(
                self.submission.as_ref().map(|s| s.status),
                Some(SubmissionStatus::Submitted | SubmissionStatus::Accepted)
            )
    }
}

/// The school's forms with their stored findings ([`shuangshi_app::App::school_report`]).
pub(crate) async fn load_school(state: &AppState, ctx: &SchoolCtx) -> Result<SchoolData, AppError> {
    let school = state
        .app
        .school_report(&ctx.scope, &ctx.batch, ctx.school_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let tier = state
        .store
        .get_org(&ctx.scope, ctx.school_id)
        .await?
        .map(|o| o.category);
    let facts = state
        .store
        .workflow_facts(&ctx.scope, ctx.batch.id, ctx.school_id)
        .await?;
    let submission = state
        .store
        .get_submission(&ctx.scope, ctx.batch.id, ctx.school_id)
        .await?;
    Ok(SchoolData {
        forms: school.forms,
        report: school.report,
        tally: school.tally,
        tier,
        facts,
        submission,
    })
}

/// Records an export or an unmasked view in the audit log (who, when, what, from where); a
/// failure to record is logged, never shown.
pub(crate) async fn audit(
    store: &Store,
    user: &CurrentUser,
    action: &str,
    target: String,
    detail: String,
) {
    let entry = shuangshi_store::AuditEntry::new(&user.actor(), action, target, detail);
    if let Err(e) = store.audit(entry).await {
        tracing::warn!(error = %e, action, "not audited");
    }
}

/// Answers a page form: back to `to` (the flash says what happened).
pub(crate) fn back(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// Whether the request came from htmx (answer with a fragment).
pub(crate) fn is_htmx(headers: &HeaderMap) -> bool {
    headers.contains_key("hx-request")
}
