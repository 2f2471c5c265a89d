//! `/api/v1` for forms (get; replace rows from JSON or an uploaded file, as a dry run or for
//! real), the enterprise's confirmations and sealed scans, and `POST /api/v1/check`. Reports have
//! the CLI's JSON shape (RULES.md); errors are `{"error": "…"}` in Chinese. Authentication is the
//! account's bearer token; the scope is the account's, so another organisation's ids give 404.
//!
//! `POST /api/v1/check` answers RULES.md's JSON report (the CLI's `check --format json` shape)
//! without storing anything; an unreadable file is a 422 whose Chinese message names the file and
//! the reason.

use crate::disclosure::Disclosure;
use std::collections::HashMap;

use axum::Json;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use shuangshi_rules::{Batch, Column, Finding, Form, Input, Report};
use shuangshi_sheet::guard::Limits;
use shuangshi_store::forms::CELLS;
use shuangshi_store::{FormContent, FormRecord, Role, ScanInfo};

use crate::auth::{CurrentUser, current_batch};
use crate::error::ApiErrorBody;
use crate::error::AppError;
use crate::forms::checks::{self, is_school_level};
use crate::forms::import::read_upload;
use crate::forms::scans::{MAX_SCAN_BYTES, accept_scan};
use crate::shared::batch::batch_or_conflict;
use crate::shared::officer::{SchoolCtx, load_school, school_ctx};
use crate::shared::pagination::{Page, PageQuery};
use crate::state::AppState;
use shuangshi_app::forms::Mode;

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
    params(PageQuery),
    responses((status = 200, body = Page<ApiFormSummary>)),
    security(("bearer" = [])))]
pub async fn list_forms(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(page): Query<PageQuery>,
) -> Result<Json<Page<ApiFormSummary>>, AppError> {
    let batch = batch_or_conflict(&state.store).await?;
    let forms = state
        .store
        .list_forms(&user.scope(), batch.id, None, None)
        .await?;
    Ok(Json(page.slice(forms).map(|f| ApiFormSummary {
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
    })))
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
pub(crate) fn report_json(
    report: &Report,
    disclosure: &Disclosure,
) -> Result<serde_json::Value, AppError> {
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
    let form = crate::forms::pages::school_form(state, &ctx, id).await?;
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
    params(("id" = i64, Path, description = "form id"), PageQuery),
    responses((status = 200, body = Page<ApiScan>), (status = 404)),
    security(("bearer" = [])))]
pub async fn list_scans(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(page): Query<PageQuery>,
) -> Result<Json<Page<ApiScan>>, AppError> {
    let (ctx, _) = school_form(&state, &user, id).await?;
    let scans = state.store.list_scans(&ctx.scope, id).await?;
    Ok(Json(page.slice(scans).map(|s| ApiScan::from(&s))))
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

/// What `POST /api/v1/check` reads.
#[derive(Debug)]
struct Upload {
    name: String,
    bytes: Vec<u8>,
}

/// Checks forms without storing anything.
///
/// Multipart: one or more `file` parts (xlsx, xls, docx) and an optional `orgs` part (the
/// registry, CSV or xlsx, as `check --orgs`). The batch is the current one (or 第十批).
#[utoipa::path(
    post, path = "/api/v1/check", tag = "检查",
    request_body(content_type = "multipart/form-data", description = "`file`（可多个）与可选的 `orgs`"),
    responses(
        (status = 200, description = "检查报告（与 `shuangshi check --format json` 相同）", body = Object),
        (status = 400, description = "没有文件", body = ApiErrorBody),
        (status = 401, description = "未认证", body = ApiErrorBody),
        (status = 422, description = "文件无法读取（说明文件名和原因）", body = ApiErrorBody),
    )
)]
pub async fn check(
    State(state): State<AppState>,
    _user: CurrentUser,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let mut files = Vec::new();
    let mut orgs = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| AppError::bad_request(format!("上传内容读取失败：{e}")))?
    {
        let part = field.name().unwrap_or("").to_owned();
        let name = field
            .file_name()
            .map(str::to_owned)
            .unwrap_or_else(|| part.clone());
        if part != "file" && part != "orgs" {
            continue;
        }
        let bytes = field
            .bytes()
            .await
            .map_err(|e| AppError::bad_request(format!("文件「{name}」读取失败：{e}")))?
            .to_vec();
        let upload = Upload { name, bytes };
        if part == "file" {
            files.push(upload);
        } else {
            orgs = Some(upload);
        }
    }
    if files.is_empty() {
        return Err(AppError::bad_request(
            "请以 multipart 的 file 字段上传至少一个推荐表（.xlsx、.xls、.docx）",
        ));
    }
    let batch = current_batch(&state.store)
        .await?
        .map_or_else(Batch::batch10, |b| b.params);
    let report = tokio::task::spawn_blocking(move || run_check(&batch, &files, orgs.as_ref()))
        .await
        .map_err(AppError::internal)??;
    Ok(Json(report).into_response())
}

fn run_check(
    batch: &Batch,
    files: &[Upload],
    orgs: Option<&Upload>,
) -> Result<serde_json::Value, AppError> {
    let limits = Limits::default();
    let registry = match orgs {
        Some(o) => Some(
            shuangshi_sheet::orgs::parse_registry(&o.name, &o.bytes, batch, &limits)
                .map_err(|e| AppError::Unprocessable(format!("单位名录{e}")))?,
        ),
        None => None,
    };
    let mut forms: Vec<Form> = Vec::new();
    for f in files {
        let (_, found) = shuangshi_sheet::load_forms(&f.name, &f.bytes, &limits)
            .map_err(|e| AppError::Unprocessable(e.to_string()))?;
        forms.extend(found);
    }
    let report = shuangshi_rules::check(Input {
        batch,
        forms: &forms,
        registry: registry.as_ref(),
        history: &[],
    });
    serde_json::to_value(&report).map_err(AppError::internal)
}
