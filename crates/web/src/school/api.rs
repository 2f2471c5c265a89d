//! `/api/v1` for partnerships, forms (get; replace rows from JSON or an uploaded file, as a dry run
//! or for real), the enterprise's confirmations, sealed scans and the school's submission. Reports
//! have the CLI's JSON shape (RULES.md); errors are `{"error": "…"}` in Chinese. Authentication is
//! the account's bearer token; the scope is the account's, so another organisation's ids give 404.

use crate::disclosure::Disclosure;
use std::collections::HashMap;

use axum::Json;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use shuangshi_rules::{Column, Finding, Report};
use shuangshi_store::forms::CELLS;
use shuangshi_store::{
    FormContent, FormRecord, PageRequest, Partnership, PartnershipFilter, Role, ScanInfo,
};

use super::checks::{self, is_school_level};
use super::import::read_upload;
use super::scans::{MAX_SCAN_BYTES, accept_scan};
use super::{SchoolCtx, batch_or_conflict, load_school, school_ctx};
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::state::AppState;
use shuangshi_app::forms::Mode;

/// A partnership.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiPartnership {
    pub id: i64,
    pub batch_id: i64,
    pub school_id: i64,
    pub school_name: String,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub enterprise_category: String,
    /// proposed, confirmed or rejected.
    pub status: String,
    pub status_label: String,
    pub tags: Vec<String>,
    /// The form, once the enterprise confirmed.
    pub form_id: Option<i64>,
    pub created_at: String,
    pub confirmed_at: Option<String>,
}

impl From<&Partnership> for ApiPartnership {
    fn from(p: &Partnership) -> Self {
        ApiPartnership {
            id: p.id,
            batch_id: p.batch_id,
            school_id: p.school_id,
            school_name: p.school_name.clone(),
            enterprise_id: p.enterprise_id,
            enterprise_name: p.enterprise_name.clone(),
            enterprise_category: p.enterprise_category.clone(),
            status: p.status.as_str().to_owned(),
            status_label: p.status.label().to_owned(),
            tags: p.tags.clone(),
            form_id: p.form_id,
            created_at: p.created_at.to_rfc3339(),
            confirmed_at: p.confirmed_at.map(|t| t.to_rfc3339()),
        }
    }
}

/// `GET /api/v1/partnerships`: the partnerships of the current batch in the caller's scope.
#[utoipa::path(get, path = "/api/v1/partnerships", tag = "partnerships",
    responses((status = 200, body = Vec<ApiPartnership>), (status = 401)),
    security(("bearer" = [])))]
pub async fn list_partnerships(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<Vec<ApiPartnership>>, AppError> {
    let batch = batch_or_conflict(&state.store).await?;
    let filter = PartnershipFilter {
        batch_id: Some(batch.id),
        ..PartnershipFilter::default()
    };
    let page = state
        .store
        .list_partnerships(
            &user.scope(),
            &filter,
            PageRequest::new(0, PageRequest::MAX_LIMIT),
        )
        .await?;
    Ok(Json(page.items.iter().map(ApiPartnership::from).collect()))
}

/// A proposal of a partner enterprise.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ProposeRequest {
    pub enterprise_id: i64,
    /// E.g. 「33618」, 「成渝地区双城经济圈」.
    #[serde(default)]
    pub tags: Vec<String>,
}

/// `POST /api/v1/partnerships`: the school proposes an enterprise.
#[utoipa::path(post, path = "/api/v1/partnerships", tag = "partnerships",
    request_body = ProposeRequest,
    responses((status = 201, body = ApiPartnership), (status = 404), (status = 409)),
    security(("bearer" = [])))]
pub async fn propose_partnership(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<ProposeRequest>,
) -> Result<Response, AppError> {
    let ctx = school_ctx(&state.store, &user).await?;
    if body.tags.len() > 10 || body.tags.iter().any(|t| t.chars().count() > 30) {
        return Err(AppError::bad_request("标签最多 10 个，每个不超过 30 个字"));
    }
    let p = state
        .store
        .propose_partnership(
            &ctx.scope,
            ctx.batch.id,
            ctx.school_id,
            body.enterprise_id,
            &body.tags,
            &user.actor(),
        )
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((StatusCode::CREATED, Json(ApiPartnership::from(&p))).into_response())
}

async fn respond(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    accept: bool,
) -> Result<Json<ApiPartnership>, AppError> {
    let p = state
        .store
        .respond_partnership(&user.scope(), id, accept, &user.actor())
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(ApiPartnership::from(&p)))
}

/// `POST /api/v1/partnerships/{id}/confirm`: the enterprise confirms.
#[utoipa::path(post, path = "/api/v1/partnerships/{id}/confirm", tag = "partnerships",
    params(("id" = i64, Path, description = "partnership id")),
    responses((status = 200, body = ApiPartnership), (status = 404), (status = 409)),
    security(("bearer" = [])))]
pub async fn confirm_partnership(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<ApiPartnership>, AppError> {
    respond(&state, &user, id, true).await
}

/// `POST /api/v1/partnerships/{id}/reject`: the enterprise rejects.
#[utoipa::path(post, path = "/api/v1/partnerships/{id}/reject", tag = "partnerships",
    params(("id" = i64, Path, description = "partnership id")),
    responses((status = 200, body = ApiPartnership), (status = 404), (status = 409)),
    security(("bearer" = [])))]
pub async fn reject_partnership(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<ApiPartnership>, AppError> {
    respond(&state, &user, id, false).await
}

/// A form in a list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiFormSummary {
    pub id: i64,
    pub partnership_id: i64,
    pub school_id: i64,
    pub school_name: String,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub version: i32,
    pub rows: usize,
    pub confirmed_rows: usize,
    pub updated_at: String,
}

/// `GET /api/v1/forms`: the forms of the current batch in the caller's scope.
#[utoipa::path(get, path = "/api/v1/forms", tag = "forms",
    responses((status = 200, body = Vec<ApiFormSummary>)),
    security(("bearer" = [])))]
pub async fn list_forms(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<Vec<ApiFormSummary>>, AppError> {
    let batch = batch_or_conflict(&state.store).await?;
    let forms = state
        .store
        .list_forms(&user.scope(), batch.id, None, None)
        .await?;
    Ok(Json(
        forms
            .into_iter()
            .map(|f| ApiFormSummary {
                id: f.id,
                partnership_id: f.partnership_id,
                school_id: f.school_id,
                school_name: f.school_name,
                enterprise_id: f.enterprise_id,
                enterprise_name: f.enterprise_name,
                version: f.version,
                rows: f.rows,
                confirmed_rows: f.confirmed_rows,
                updated_at: f.updated_at.to_rfc3339(),
            })
            .collect(),
    ))
}

/// A stored row: its cells by column name (序号, 批次, 姓名 … 优先条件).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiRow {
    pub id: i64,
    pub position: i32,
    pub cells: HashMap<String, String>,
    /// Confirmed by the enterprise as it stands (W02).
    pub confirmed: bool,
}

/// A form with its rows and the check report.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiForm {
    pub id: i64,
    pub partnership_id: i64,
    pub school_name: String,
    pub enterprise_name: String,
    pub version: i32,
    pub header_school: String,
    pub header_enterprise: String,
    pub filler: String,
    pub phone: String,
    pub rows: Vec<ApiRow>,
    /// The check report (RULES.md's JSON shape) of the school's forms, this form's findings only.
    #[schema(value_type = Object)]
    pub report: serde_json::Value,
}

/// The report as JSON, through the request's [`Disclosure`] (messages and values masked).
fn report_json(report: &Report, disclosure: &Disclosure) -> Result<serde_json::Value, AppError> {
    let mut report = report.clone();
    disclosure.report(&mut report);
    serde_json::to_value(&report).map_err(AppError::internal)
}

/// This form's part of a report: its findings (and the school-level ones), the rest left out.
fn form_report(batch: &str, report: &Report, file: &str) -> Report {
    let findings: Vec<Finding> = report
        .findings
        .iter()
        .filter(|f| f.file.as_deref() == Some(file) || is_school_level(f))
        .cloned()
        .collect();
    Report::new(
        batch,
        report
            .forms
            .iter()
            .filter(|f| f.file == file)
            .cloned()
            .collect(),
        findings,
    )
}

fn api_form(form: &FormRecord, report: serde_json::Value, disclosure: &Disclosure) -> ApiForm {
    ApiForm {
        id: form.id,
        partnership_id: form.partnership_id,
        school_name: form.school_name.clone(),
        enterprise_name: form.enterprise_name.clone(),
        version: form.version,
        header_school: form.header_school.clone(),
        header_enterprise: form.header_enterprise.clone(),
        filler: form.filler.clone(),
        phone: disclosure.phone(&form.phone),
        rows: form
            .rows
            .iter()
            .map(|r| ApiRow {
                id: r.id,
                position: r.position,
                cells: Column::ALL
                    .iter()
                    .map(|&c| (c.label().to_owned(), disclosure.cell(c, r.cell(c))))
                    .collect(),
                confirmed: r.confirmed(),
            })
            .collect(),
        report,
    }
}

/// The school's context, or for an enterprise officer the form's batch.
async fn form_in_scope(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
) -> Result<FormRecord, AppError> {
    let form = state
        .store
        .get_form(&user.scope(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let own = match user.role() {
        Role::SchoolOfficer => user.user.org_id == Some(form.school_id),
        Role::EnterpriseOfficer => user.user.org_id == Some(form.enterprise_id),
        _ => true,
    };
    if own {
        Ok(form)
    } else {
        Err(AppError::NotFound)
    }
}

/// `GET /api/v1/forms/{id}`: a form with its rows and findings. Mobile and account numbers are
/// masked unless `full=1` is asked by a role that may see them (audited).
#[utoipa::path(get, path = "/api/v1/forms/{id}", tag = "forms",
    params(("id" = i64, Path, description = "form id"),
        ("full" = Option<u8>, Query, description = "1: numbers in full (roles that may see them; audited)")),
    responses((status = 200, body = ApiForm), (status = 404)),
    security(("bearer" = [])))]
pub async fn get_form(
    State(state): State<AppState>,
    user: CurrentUser,
    disclosure: Disclosure,
    Path(id): Path<i64>,
) -> Result<Json<ApiForm>, AppError> {
    let form = form_in_scope(&state, &user, id).await?;
    let batch = state
        .store
        .get_batch(form.batch_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let report = if user.role() == Role::SchoolOfficer {
        let ctx = school_ctx(&state.store, &user).await?;
        load_school(&state, &ctx).await?.report
    } else {
        state
            .app
            .form_report(&user.scope(), &batch, form.id)
            .await?
            .ok_or(AppError::NotFound)?
            .1
    };
    let report = form_report(&batch.params.name, &report, &checks::form_file(&form));
    disclosure
        .record(
            &state.store,
            "form",
            format!("form:{}", form.id),
            format!("version {}", form.version),
        )
        .await;
    Ok(Json(api_form(
        &form,
        report_json(&report, &disclosure)?,
        &disclosure,
    )))
}

/// The content of a form as JSON: the footer and the rows, each by column name.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RowsRequest {
    /// The version the rows were edited from (refused when the form changed since).
    #[serde(default)]
    pub expected_version: Option<i32>,
    #[serde(default)]
    pub filler: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    /// Each row's cells by column name (序号, 批次, 姓名, 派出单位 … 账户账号; 派出类别 … 优先条件).
    pub rows: Vec<HashMap<String, String>>,
}

/// The dry-run flag.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct DryRun {
    /// Check only, store nothing (default false).
    #[serde(default)]
    pub dry_run: bool,
    /// For uploads: store the rows when the check finds no error (default false: check only).
    #[serde(default)]
    pub commit: bool,
}

/// The answer of a dry run, or of a commit refused for its errors: nothing stored.
fn not_stored(
    status: StatusCode,
    version: i32,
    errors: usize,
    report: serde_json::Value,
) -> Response {
    (
        status,
        Json(ReplaceResult {
            committed: false,
            changed: false,
            version,
            kept: 0,
            added: 0,
            removed: 0,
            errors,
            report,
        }),
    )
        .into_response()
}

/// What a replace did (or would do).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReplaceResult {
    /// Whether the rows were stored.
    pub committed: bool,
    /// Whether anything changed (false for the same content again).
    pub changed: bool,
    pub version: i32,
    pub kept: usize,
    pub added: usize,
    pub removed: usize,
    /// Errors in the form's own findings (a replace is refused while any stands).
    pub errors: usize,
    /// The check report (RULES.md's JSON shape): the school's forms with these rows in place.
    #[schema(value_type = Object)]
    pub report: serde_json::Value,
}

fn column_by_label(label: &str) -> Option<Column> {
    let key = shuangshi_rules::text::norm(label);
    Column::ALL
        .iter()
        .copied()
        .find(|c| shuangshi_rules::text::norm(c.label()) == key)
        .or_else(|| Column::from_header(label))
}

fn rows_from_json(rows: &[HashMap<String, String>]) -> Result<Vec<Vec<String>>, AppError> {
    if rows.len() > 2000 {
        return Err(AppError::bad_request("一张推荐表最多 2000 行"));
    }
    rows.iter()
        .enumerate()
        .map(|(i, r)| {
            let mut cells = vec![String::new(); CELLS];
            for (k, v) in r {
                let c = column_by_label(k).ok_or_else(|| {
                    AppError::bad_request(format!("第 {} 行：没有名为「{k}」的列", i + 1))
                })?;
                if v.chars().count() > 200 {
                    return Err(AppError::bad_request(format!(
                        "第 {} 行「{}」过长（最多 200 个字）",
                        i + 1,
                        c.label()
                    )));
                }
                cells[c as usize] = v.trim().to_owned();
            }
            Ok(cells)
        })
        .collect()
}

/// Checks `content` in place of `form` among the school's forms and stores it unless it is a dry
/// run or an error of the form's own stands ([`shuangshi_app::App::replace_content`]).
async fn check_and_replace(
    state: &AppState,
    user: &CurrentUser,
    ctx: &SchoolCtx,
    form: &FormRecord,
    content: &FormContent,
    expected_version: Option<i32>,
    dry_run: bool,
) -> Result<Response, AppError> {
    let mode = if dry_run {
        Mode::DryRun
    } else {
        Mode::CommitUnlessErrors
    };
    let done = state
        .app
        .replace_content(
            &ctx.scope,
            &user.actor(),
            &ctx.batch,
            form,
            content,
            expected_version,
            mode,
        )
        .await?;
    let own = form_report(&ctx.batch.params.name, &done.check.report, &done.check.file);
    let errors = done.check.errors;
    let report_value = report_json(&own, &Disclosure::masked(user))?;
    let Some(out) = done.stored else {
        let status = if errors > 0 && !dry_run {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        };
        return Ok(not_stored(status, form.version, errors, report_value));
    };
    Ok(Json(ReplaceResult {
        committed: true,
        changed: out.changed,
        version: out.form.version,
        kept: out.kept,
        added: out.added,
        removed: out.removed,
        errors,
        report: report_value,
    })
    .into_response())
}

async fn school_form(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
) -> Result<(SchoolCtx, FormRecord), AppError> {
    let ctx = school_ctx(&state.store, user).await?;
    let form = super::forms::school_form(state, &ctx, id).await?;
    Ok((ctx, form))
}

/// `PUT /api/v1/forms/{id}/rows[?dry_run=true]`: replaces the form's rows (all or nothing) with
/// the rows given, after checking them; the same content again changes nothing.
#[utoipa::path(put, path = "/api/v1/forms/{id}/rows", tag = "forms",
    params(("id" = i64, Path, description = "form id"), DryRun),
    request_body = RowsRequest,
    responses((status = 200, body = ReplaceResult), (status = 422, body = ReplaceResult, description = "errors found: nothing stored"), (status = 404), (status = 409)),
    security(("bearer" = [])))]
pub async fn replace_rows(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<DryRun>,
    Json(body): Json<RowsRequest>,
) -> Result<Response, AppError> {
    let (ctx, form) = school_form(&state, &user, id).await?;
    let rows = rows_from_json(&body.rows)?;
    let content = FormContent {
        header_school: form.school_name.clone(),
        header_enterprise: form.enterprise_name.clone(),
        filler: body.filler.clone().unwrap_or_else(|| form.filler.clone()),
        phone: body
            .phone
            .as_deref()
            .map_or_else(|| form.phone.clone(), |p| Disclosure::kept(&form.phone, p)),
        rows,
    };
    check_and_replace(
        &state,
        &user,
        &ctx,
        &form,
        &content,
        body.expected_version,
        q.dry_run,
    )
    .await
}

/// `POST /api/v1/forms/{id}/upload[?commit=true]`: a file (multipart part `file`, xlsx/xls/docx)
/// checked as the form's new content; with `commit=true` and no error, the rows are replaced.
#[utoipa::path(post, path = "/api/v1/forms/{id}/upload", tag = "forms",
    params(("id" = i64, Path, description = "form id"), DryRun),
    request_body(content_type = "multipart/form-data", description = "part `file`: the form as .xlsx, .xls or .docx"),
    responses((status = 200, body = ReplaceResult), (status = 422, description = "unreadable file or errors found: nothing stored"), (status = 404)),
    security(("bearer" = [])))]
pub async fn upload_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<DryRun>,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let (ctx, form) = school_form(&state, &user, id).await?;
    let up = read_upload(multipart, state.config.body_limit).await?;
    if !up.has_file || up.bytes.is_empty() {
        return Err(AppError::bad_request(
            "缺少文件：请在 multipart 的 file 部分上传推荐表",
        ));
    }
    let checked = match state
        .app
        .check_upload(&ctx.scope, &ctx.batch, &form, up.file_name, up.bytes)
        .await
    {
        Ok(c) => c,
        Err(shuangshi_app::Error::Refused(r)) => return Err(AppError::Unprocessable(r.message)),
        Err(e) => return Err(e.into()),
    };
    if !q.commit || checked.check.errors > 0 {
        let report_value = report_json(&checked.check.report, &Disclosure::masked(&user))?;
        let status = if q.commit {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        };
        return Ok(not_stored(
            status,
            form.version,
            checked.check.errors,
            report_value,
        ));
    }
    check_and_replace(
        &state,
        &user,
        &ctx,
        &form,
        &checked.content,
        Some(form.version),
        false,
    )
    .await
}

/// The enterprise's confirmation of rows.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ConfirmRequest {
    pub row_ids: Vec<i64>,
    /// The version the rows were read at.
    #[serde(default)]
    pub expected_version: Option<i32>,
}

/// `POST /api/v1/forms/{id}/confirmations`: the enterprise confirms rows of the form (W02).
#[utoipa::path(post, path = "/api/v1/forms/{id}/confirmations", tag = "forms",
    params(("id" = i64, Path, description = "form id")),
    request_body = ConfirmRequest,
    responses((status = 200, body = ApiForm), (status = 400), (status = 404), (status = 409)),
    security(("bearer" = [])))]
pub async fn confirm_rows(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Json(body): Json<ConfirmRequest>,
) -> Result<Json<ApiForm>, AppError> {
    let form = form_in_scope(&state, &user, id).await?;
    if body.row_ids.is_empty() {
        return Err(AppError::bad_request("row_ids 不能为空"));
    }
    if body
        .row_ids
        .iter()
        .any(|r| !form.rows.iter().any(|x| x.id == *r))
    {
        return Err(AppError::NotFound);
    }
    let form = state
        .store
        .confirm_rows(
            &user.scope(),
            id,
            &body.row_ids,
            body.expected_version,
            &user.actor(),
        )
        .await?
        .ok_or(AppError::NotFound)?;
    let disclosure = Disclosure::masked(&user);
    let batch = state
        .store
        .get_batch(form.batch_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let (form, report) = state
        .app
        .form_report(&user.scope(), &batch, form.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let report = form_report(&batch.params.name, &report, &checks::form_file(&form));
    Ok(Json(api_form(
        &form,
        report_json(&report, &disclosure)?,
        &disclosure,
    )))
}

/// A sealed scan.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiScan {
    pub id: i64,
    pub form_id: i64,
    /// The form version it seals.
    pub form_version: i32,
    pub content_type: String,
    pub sha256: String,
    pub size: i64,
    pub uploaded_at: String,
    /// Still seals the current version (W03).
    pub valid: bool,
}

impl From<&ScanInfo> for ApiScan {
    fn from(s: &ScanInfo) -> Self {
        ApiScan {
            id: s.id,
            form_id: s.form_id,
            form_version: s.form_version,
            content_type: s.content_type.clone(),
            sha256: s.sha256.clone(),
            size: s.size,
            uploaded_at: s.uploaded_at.to_rfc3339(),
            valid: s.valid,
        }
    }
}

/// `GET /api/v1/forms/{id}/scans`: the form's scans, newest first.
#[utoipa::path(get, path = "/api/v1/forms/{id}/scans", tag = "forms",
    params(("id" = i64, Path, description = "form id")),
    responses((status = 200, body = Vec<ApiScan>), (status = 404)),
    security(("bearer" = [])))]
pub async fn list_scans(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<Vec<ApiScan>>, AppError> {
    let (ctx, _) = school_form(&state, &user, id).await?;
    let scans = state.store.list_scans(&ctx.scope, id).await?;
    Ok(Json(scans.iter().map(ApiScan::from).collect()))
}

/// `POST /api/v1/forms/{id}/scans`: the scan of the sealed form (multipart part `file`: PDF, JPG
/// or PNG, recognised by content), bound to the current version.
#[utoipa::path(post, path = "/api/v1/forms/{id}/scans", tag = "forms",
    params(("id" = i64, Path, description = "form id")),
    request_body(content_type = "multipart/form-data", description = "part `file`: PDF, JPG or PNG"),
    responses((status = 201, body = ApiScan), (status = 422), (status = 404)),
    security(("bearer" = [])))]
pub async fn upload_scan(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let (ctx, _) = school_form(&state, &user, id).await?;
    let up = read_upload(multipart, MAX_SCAN_BYTES).await?;
    let (content_type, bytes) = accept_scan(&up.file_name, up.bytes)
        .await
        .map_err(AppError::Unprocessable)?;
    let scan = state
        .store
        .put_scan(&ctx.scope, id, content_type, bytes, &user.actor())
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((StatusCode::CREATED, Json(ApiScan::from(&scan))).into_response())
}

/// The school's submission now.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiSubmissionState {
    /// draft, submitted, accepted or returned.
    pub status: String,
    pub status_label: String,
    pub deadline: String,
    /// What blocks a submit now: errors and W01–W03 (RULES.md's finding shape).
    #[schema(value_type = Vec<Object>)]
    pub blockers: Vec<serde_json::Value>,
    pub versions: Vec<crate::review::ApiVersion>,
    /// The check report of the school's forms now.
    #[schema(value_type = Object)]
    pub report: serde_json::Value,
}

/// `GET /api/v1/submission`: the school's submission, what blocks it, its versions.
#[utoipa::path(get, path = "/api/v1/submission", tag = "submission",
    responses((status = 200, body = ApiSubmissionState)),
    security(("bearer" = [])))]
pub async fn get_submission(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<ApiSubmissionState>, AppError> {
    let ctx = school_ctx(&state.store, &user).await?;
    let data = load_school(&state, &ctx).await?;
    let disclosure = Disclosure::masked(&user);
    let blockers = super::submit::blockers(&ctx, &data)
        .into_iter()
        .map(|mut f| {
            disclosure.finding(&mut f);
            serde_json::to_value(f)
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(AppError::internal)?;
    let versions = match &data.submission {
        Some(s) => state
            .store
            .list_versions(&ctx.scope, s.id)
            .await?
            .unwrap_or_default(),
        None => Vec::new(),
    };
    let status = data.submission.as_ref().map(|s| s.status);
    let deadline = data
        .facts
        .as_ref()
        .map_or_else(|| ctx.batch.deadline(), |f| f.effective_deadline());
    Ok(Json(ApiSubmissionState {
        status: status.map_or("draft", |s| s.as_str()).to_owned(),
        status_label: status.map_or("草稿", |s| s.label()).to_owned(),
        deadline: deadline.to_rfc3339(),
        blockers,
        versions: versions
            .iter()
            .map(crate::review::ApiVersion::from)
            .collect(),
        report: report_json(&data.report, &Disclosure::masked(&user))?,
    }))
}

/// A successful submit.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SubmitResult {
    pub receipt_no: String,
    pub version_no: i32,
    pub submitted_at: String,
}

/// A refused submit.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SubmitRefused {
    pub error: String,
    #[schema(value_type = Vec<Object>)]
    pub findings: Vec<serde_json::Value>,
}

/// `POST /api/v1/submission`: submits the school's forms (refused while any error or W01–W03
/// stands; the deadline is the server's clock in Asia/Shanghai, extension included).
#[utoipa::path(post, path = "/api/v1/submission", tag = "submission",
    responses((status = 201, body = SubmitResult), (status = 422, body = SubmitRefused)),
    security(("bearer" = [])))]
pub async fn submit(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Response, AppError> {
    let ctx = school_ctx(&state.store, &user).await?;
    match super::submit::do_submit(&state, &user, &ctx).await? {
        Ok(v) => Ok((
            StatusCode::CREATED,
            Json(SubmitResult {
                receipt_no: v.receipt_no,
                version_no: v.version_no,
                submitted_at: v.submitted_at.to_rfc3339(),
            }),
        )
            .into_response()),
        Err(shuangshi_app::Refusal {
            message: error,
            findings,
        }) => {
            let disclosure = Disclosure::masked(&user);
            let findings = findings
                .into_iter()
                .map(|mut f| {
                    disclosure.finding(&mut f);
                    serde_json::to_value(f)
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(AppError::internal)?;
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(SubmitRefused { error, findings }),
            )
                .into_response())
        }
    }
}
