//! The JSON API under `/api/v1` (bearer tokens only: see [`crate::auth`]) and its OpenAPI
//! document at `/api/openapi.json`. The school's, the enterprise's and the review's endpoints
//! live in their modules; this one has the check, the account, batch, registry and audit ones.
//!
//! `POST /api/v1/check` answers RULES.md's JSON report (the CLI's `check --format json` shape)
//! without storing anything; an unreadable file is a 422 whose Chinese message names the file and
//! the reason.

use axum::Json;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shuangshi_rules::{Batch, Form, Input, Org};
use shuangshi_sheet::guard::Limits;
use shuangshi_store::accounts::generate_password;
use shuangshi_store::{
    AuditFilter, AuditRecord, BatchRecord, NewUser, OrgFilter, OrgRecord, PageRequest, Role, Scope,
    User, UserFilter,
};
use utoipa::{OpenApi, ToSchema};

use crate::admin::batches::parse_local_deadline;
use crate::auth::{CurrentUser, current_batch};
use crate::error::AppError;
use crate::policy::{Access, RouteRule, Routes, roles};
use crate::state::AppState;

const ADMIN: Access = Access::Roles(roles::ADMIN);

pub const POLICY: &[RouteRule] = &[
    RouteRule::new("GET", "/api/openapi.json", Access::Public),
    RouteRule::new("POST", "/api/v1/check", Access::SignedIn),
    RouteRule::new("GET", "/api/v1/me", Access::SignedIn),
    RouteRule::new("GET", "/api/v1/accounts", ADMIN),
    RouteRule::new("POST", "/api/v1/accounts", ADMIN),
    RouteRule::new("POST", "/api/v1/accounts/{id}/reset-password", ADMIN),
    RouteRule::new("POST", "/api/v1/accounts/{id}/disable", ADMIN),
    RouteRule::new("POST", "/api/v1/accounts/{id}/enable", ADMIN),
    RouteRule::new("POST", "/api/v1/accounts/{id}/unlock", ADMIN),
    RouteRule::new("GET", "/api/v1/batches", Access::SignedIn),
    RouteRule::new("POST", "/api/v1/batches", ADMIN),
    RouteRule::new("GET", "/api/v1/batches/{id}", Access::SignedIn),
    RouteRule::new("PUT", "/api/v1/batches/{id}/params", ADMIN),
    RouteRule::new("POST", "/api/v1/batches/{id}/open", ADMIN),
    RouteRule::new("POST", "/api/v1/batches/{id}/close", ADMIN),
    RouteRule::new("PUT", "/api/v1/batches/{id}/extensions/{school_id}", ADMIN),
    RouteRule::new(
        "DELETE",
        "/api/v1/batches/{id}/extensions/{school_id}",
        ADMIN,
    ),
    RouteRule::new("GET", "/api/v1/orgs", Access::SignedIn),
    RouteRule::new("POST", "/api/v1/orgs/import", ADMIN),
    RouteRule::new("GET", "/api/v1/orgs/{id}", Access::SignedIn),
    RouteRule::new("PUT", "/api/v1/orgs/{id}", ADMIN),
    RouteRule::new("GET", "/api/v1/audit", ADMIN),
    RouteRule::new("GET", "/api/v1/audit/verify", ADMIN),
];

pub fn routes() -> Routes {
    Routes::new()
        .get("/api/openapi.json", openapi_json)
        .post("/api/v1/check", check)
        .get("/api/v1/me", me)
        .get("/api/v1/accounts", list_accounts)
        .post("/api/v1/accounts", create_account)
        .post("/api/v1/accounts/{id}/reset-password", reset_password)
        .post("/api/v1/accounts/{id}/disable", disable_account)
        .post("/api/v1/accounts/{id}/enable", enable_account)
        .post("/api/v1/accounts/{id}/unlock", unlock_account)
        .get("/api/v1/batches", list_batches)
        .post("/api/v1/batches", create_batch)
        .get("/api/v1/batches/{id}", get_batch)
        .put("/api/v1/batches/{id}/params", update_params)
        .post("/api/v1/batches/{id}/open", open_batch)
        .post("/api/v1/batches/{id}/close", close_batch)
        .put("/api/v1/batches/{id}/extensions/{school_id}", set_extension)
        .delete(
            "/api/v1/batches/{id}/extensions/{school_id}",
            remove_extension,
        )
        .get("/api/v1/orgs", list_orgs)
        .post("/api/v1/orgs/import", import_orgs)
        .get("/api/v1/orgs/{id}", get_org)
        .put("/api/v1/orgs/{id}", update_org)
        .get("/api/v1/audit", list_audit)
        .get("/api/v1/audit/verify", verify_audit)
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "双千双师交流计划管理系统 API",
        version = "1",
        description = "以 `Authorization: Bearer ss_…` 令牌认证（在「API 令牌」页面或用 `shuangshi token create --user 用户名` 生成）。错误时返回 `{\"error\": \"中文说明\", \"request_id\": \"…\"}`。规则编号和检查报告的结构与命令行 `shuangshi check --format json` 相同。"
    ),
    paths(
        check, me, list_accounts, create_account, reset_password, disable_account, enable_account,
        unlock_account, list_batches, create_batch, get_batch, update_params, open_batch,
        close_batch, set_extension, remove_extension, list_orgs, import_orgs, get_org, update_org,
        list_audit, verify_audit,
        crate::school::api::list_partnerships, crate::school::api::propose_partnership,
        crate::school::api::confirm_partnership, crate::school::api::reject_partnership,
        crate::school::api::list_forms, crate::school::api::get_form,
        crate::school::api::replace_rows, crate::school::api::upload_form,
        crate::school::api::confirm_rows, crate::school::api::list_scans,
        crate::school::api::upload_scan, crate::school::api::get_submission,
        crate::school::api::submit, crate::review::api_inbox, crate::review::api_submission,
        crate::review::api_diff, crate::review::api_decide, crate::admin::roster::api_roster,
        crate::people::api_history,
        crate::selection::api_board, crate::selection::api_decide,
        crate::selection::api_publications, crate::selection::api_publicity,
        crate::selection::api_final, crate::selection::api_approve,
        crate::selection::api_correction, crate::selection::api_objections,
        crate::selection::api_objection, crate::selection::api_outcomes,
        crate::public::api_lists, crate::public::api_list, crate::public::api_objection,
        crate::admin::list::api_copies, crate::admin::list::api_opinion,
        crate::term::api_list, crate::term::api_person, crate::term::api_record,
        crate::term::api_remark, crate::term::api_close, crate::ledger::api_ledger,
        crate::ledger::api_entry, crate::ledger::api_approve, crate::ledger::api_use
    ),
    components(schemas(
        ApiErrorBody, AccountJson, NewAccountJson, OneTimePassword, BatchJson, NewBatchJson,
        ParamsJson, ExtensionJson, OrgJson, OrgJsonIn, ImportJson, AuditJson, AuditCheckJson,
        PageJson
    )),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The whole OpenAPI document.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// `GET /api/openapi.json`.
pub async fn openapi_json() -> Response {
    match document().to_json() {
        Ok(json) => ([(header::CONTENT_TYPE, "application/json")], json).into_response(),
        Err(e) => AppError::internal(e).into_response(),
    }
}

/// A failed answer.
#[derive(Serialize, ToSchema)]
pub struct ApiErrorBody {
    /// The reason, in Chinese.
    pub error: String,
    pub request_id: Option<String>,
}

/// One page of a list.
#[derive(Serialize, ToSchema)]
pub struct PageJson {
    pub total: u64,
    pub offset: u64,
    pub limit: u64,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PageQuery {
    /// 1-based page.
    pub page: Option<u64>,
    /// Items per page (at most 500).
    pub per_page: Option<u64>,
}

impl PageQuery {
    fn request(&self) -> PageRequest {
        PageRequest::page(self.page.unwrap_or(1), self.per_page.unwrap_or(50))
    }
}

fn paged<T: Serialize>(items: Vec<T>, p: &shuangshi_store::Paged<impl Sized>) -> serde_json::Value {
    serde_json::json!({ "items": items, "total": p.total, "offset": p.offset, "limit": p.limit })
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

/// An account.
#[derive(Serialize, ToSchema)]
pub struct AccountJson {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    /// `admin`, `vocational_reviewer`, `sasac_viewer`, `federation_viewer`, `school_officer`,
    /// `enterprise_officer`.
    pub role: String,
    pub org_id: Option<i64>,
    pub active: bool,
    pub locked_until: Option<DateTime<Utc>>,
    pub must_change_password: bool,
    pub created_at: DateTime<Utc>,
}

impl From<User> for AccountJson {
    fn from(u: User) -> Self {
        AccountJson {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            role: u.role.as_str().to_owned(),
            org_id: u.org_id,
            active: u.active,
            locked_until: u.locked_until,
            must_change_password: u.must_change_password,
            created_at: u.created_at,
        }
    }
}

/// The signed-in account.
#[utoipa::path(get, path = "/api/v1/me", tag = "账号", responses((status = 200, body = AccountJson)))]
pub async fn me(user: CurrentUser) -> Json<AccountJson> {
    Json(user.user.into())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AccountQuery {
    /// User name or display name containing this text.
    pub name: Option<String>,
    pub role: Option<String>,
    pub page: Option<u64>,
    pub per_page: Option<u64>,
}

/// Accounts (administrator).
#[utoipa::path(get, path = "/api/v1/accounts", tag = "账号", params(AccountQuery),
    responses((status = 200, description = "`{items: [AccountJson], total, offset, limit}`", body = Object)))]
pub async fn list_accounts(
    State(state): State<AppState>,
    Query(q): Query<AccountQuery>,
) -> Result<Json<serde_json::Value>, AppError> {
    let filter = UserFilter {
        name: q.name.clone(),
        role: q.role.as_deref().and_then(Role::parse),
        org_id: None,
    };
    let page = PageRequest::page(q.page.unwrap_or(1), q.per_page.unwrap_or(50));
    let p = state.store.list_users(&filter, page).await?;
    let items: Vec<AccountJson> = p.items.iter().cloned().map(Into::into).collect();
    Ok(Json(paged(items, &p)))
}

/// A new account.
#[derive(Deserialize, ToSchema)]
pub struct NewAccountJson {
    pub username: String,
    #[serde(default)]
    pub display_name: String,
    pub role: String,
    /// The school or enterprise (officers only).
    pub org_id: Option<i64>,
}

/// A one-time password, shown once; it must be changed at first login.
#[derive(Serialize, ToSchema)]
pub struct OneTimePassword {
    pub account: AccountJson,
    pub password: String,
}

/// Creates an account with a one-time password (administrator).
#[utoipa::path(post, path = "/api/v1/accounts", tag = "账号", request_body = NewAccountJson,
    responses((status = 200, body = OneTimePassword), (status = 400, body = ApiErrorBody), (status = 409, body = ApiErrorBody)))]
pub async fn create_account(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(new): Json<NewAccountJson>,
) -> Result<Json<OneTimePassword>, AppError> {
    let role = Role::parse(&new.role)
        .ok_or_else(|| AppError::bad_request(format!("未知的角色「{}」", new.role)))?;
    let password = generate_password();
    let created = state
        .store
        .create_user(
            NewUser {
                username: new.username,
                display_name: new.display_name,
                role,
                org_id: new.org_id,
                password: password.clone(),
                must_change_password: true,
            },
            &user.actor(),
        )
        .await?;
    Ok(Json(OneTimePassword {
        account: created.into(),
        password,
    }))
}

async fn account(state: &AppState, id: i64) -> Result<User, AppError> {
    state.store.get_user(id).await?.ok_or(AppError::NotFound)
}

/// A new one-time password for an account (administrator).
#[utoipa::path(post, path = "/api/v1/accounts/{id}/reset-password", tag = "账号", params(("id" = i64, Path)),
    responses((status = 200, body = OneTimePassword), (status = 404, body = ApiErrorBody)))]
pub async fn reset_password(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<OneTimePassword>, AppError> {
    let password = generate_password();
    state
        .store
        .reset_password(id, &password, &user.actor())
        .await?;
    Ok(Json(OneTimePassword {
        account: account(&state, id).await?.into(),
        password,
    }))
}

/// Disables an account (its tokens stop working).
#[utoipa::path(post, path = "/api/v1/accounts/{id}/disable", tag = "账号", params(("id" = i64, Path)),
    responses((status = 200, body = AccountJson), (status = 404, body = ApiErrorBody)))]
pub async fn disable_account(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<AccountJson>, AppError> {
    if id == user.user.id {
        return Err(AppError::conflict("不能停用自己的账号"));
    }
    state
        .store
        .set_user_active(id, false, &user.actor())
        .await?;
    Ok(Json(account(&state, id).await?.into()))
}

/// Enables an account.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/enable", tag = "账号", params(("id" = i64, Path)),
    responses((status = 200, body = AccountJson), (status = 404, body = ApiErrorBody)))]
pub async fn enable_account(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<AccountJson>, AppError> {
    state.store.set_user_active(id, true, &user.actor()).await?;
    Ok(Json(account(&state, id).await?.into()))
}

/// Lifts a lockout.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/unlock", tag = "账号", params(("id" = i64, Path)),
    responses((status = 200, body = AccountJson), (status = 404, body = ApiErrorBody)))]
pub async fn unlock_account(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<AccountJson>, AppError> {
    state.store.unlock_user(id, &user.actor()).await?;
    Ok(Json(account(&state, id).await?.into()))
}

/// A batch.
#[derive(Serialize, ToSchema)]
pub struct BatchJson {
    pub id: i64,
    pub number: u32,
    pub name: String,
    /// `draft`, `open` or `closed`.
    pub status: String,
    pub deadline: DateTime<Utc>,
    /// The parameters as TOML (the format of `shuangshi check --batch`).
    pub params_toml: String,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<BatchRecord> for BatchJson {
    type Error = AppError;
    fn try_from(b: BatchRecord) -> Result<Self, AppError> {
        Ok(BatchJson {
            id: b.id,
            number: b.number,
            name: b.name.clone(),
            status: b.status.as_str().to_owned(),
            deadline: b.deadline(),
            params_toml: toml::to_string(&b.params).map_err(AppError::internal)?,
            created_at: b.created_at,
        })
    }
}

/// Batches, newest first.
#[utoipa::path(get, path = "/api/v1/batches", tag = "批次", responses((status = 200, body = [BatchJson])))]
pub async fn list_batches(State(state): State<AppState>) -> Result<Json<Vec<BatchJson>>, AppError> {
    let all = state.store.list_batches().await?;
    Ok(Json(
        all.into_iter()
            .map(BatchJson::try_from)
            .collect::<Result<_, _>>()?,
    ))
}

/// A new batch from the previous one's parameters (or 第十批's, for the first).
#[derive(Deserialize, ToSchema)]
pub struct NewBatchJson {
    pub number: Option<u32>,
    pub name: Option<String>,
}

/// Creates a batch (status draft) from the newest batch's parameters.
#[utoipa::path(post, path = "/api/v1/batches", tag = "批次", request_body = NewBatchJson,
    responses((status = 200, body = BatchJson), (status = 409, body = ApiErrorBody)))]
pub async fn create_batch(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(new): Json<NewBatchJson>,
) -> Result<Json<BatchJson>, AppError> {
    let all = state.store.list_batches().await?;
    let b = match all.first() {
        None => {
            state
                .store
                .create_batch(&Batch::batch10(), &user.actor())
                .await?
        }
        Some(prev) => {
            let number = new.number.unwrap_or(prev.number + 1);
            let name = new
                .name
                .unwrap_or_else(|| crate::admin::batches::batch_name(number));
            state
                .store
                .create_from_previous(prev.id, number, &name, &user.actor())
                .await?
        }
    };
    Ok(Json(b.try_into()?))
}

/// A batch.
#[utoipa::path(get, path = "/api/v1/batches/{id}", tag = "批次", params(("id" = i64, Path)),
    responses((status = 200, body = BatchJson), (status = 404, body = ApiErrorBody)))]
pub async fn get_batch(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<BatchJson>, AppError> {
    let b = state.store.get_batch(id).await?.ok_or(AppError::NotFound)?;
    Ok(Json(b.try_into()?))
}

/// New parameters.
#[derive(Deserialize, ToSchema)]
pub struct ParamsJson {
    /// The whole parameter file as TOML.
    pub toml: String,
}

/// Replaces a batch's parameters (validated; the error names the key at fault).
#[utoipa::path(put, path = "/api/v1/batches/{id}/params", tag = "批次", params(("id" = i64, Path)), request_body = ParamsJson,
    responses((status = 200, body = BatchJson), (status = 400, body = ApiErrorBody), (status = 409, body = ApiErrorBody)))]
pub async fn update_params(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Json(p): Json<ParamsJson>,
) -> Result<Json<BatchJson>, AppError> {
    let b = state
        .store
        .update_batch_params(id, &p.toml, &user.actor())
        .await?;
    Ok(Json(b.try_into()?))
}

/// Opens a batch for submissions.
#[utoipa::path(post, path = "/api/v1/batches/{id}/open", tag = "批次", params(("id" = i64, Path)),
    responses((status = 200, body = BatchJson), (status = 409, body = ApiErrorBody)))]
pub async fn open_batch(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<BatchJson>, AppError> {
    Ok(Json(
        state
            .store
            .open_batch(id, &user.actor())
            .await?
            .try_into()?,
    ))
}

/// Closes a batch.
#[utoipa::path(post, path = "/api/v1/batches/{id}/close", tag = "批次", params(("id" = i64, Path)),
    responses((status = 200, body = BatchJson), (status = 409, body = ApiErrorBody)))]
pub async fn close_batch(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<BatchJson>, AppError> {
    Ok(Json(
        state
            .store
            .close_batch(id, &user.actor())
            .await?
            .try_into()?,
    ))
}

/// A school's own deadline.
#[derive(Deserialize, ToSchema)]
pub struct ExtensionJson {
    /// RFC 3339 (`2025-10-31T17:00:00+08:00`) or `2025-10-31 17:00` (Asia/Shanghai).
    pub deadline: String,
}

/// Gives a school its own deadline.
#[utoipa::path(put, path = "/api/v1/batches/{id}/extensions/{school_id}", tag = "批次",
    params(("id" = i64, Path), ("school_id" = i64, Path)), request_body = ExtensionJson,
    responses((status = 204), (status = 400, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn set_extension(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, school_id)): Path<(i64, i64)>,
    Json(e): Json<ExtensionJson>,
) -> Result<axum::http::StatusCode, AppError> {
    let deadline = DateTime::parse_from_rfc3339(e.deadline.trim())
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or_else(|| parse_local_deadline(&e.deadline))
        .ok_or_else(|| AppError::bad_request("截止时间的格式应为 2025-10-31 17:00 或 RFC 3339"))?;
    state
        .store
        .set_extension(id, school_id, deadline, &user.actor())
        .await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Removes a school's extension.
#[utoipa::path(delete, path = "/api/v1/batches/{id}/extensions/{school_id}", tag = "批次",
    params(("id" = i64, Path), ("school_id" = i64, Path)),
    responses((status = 204), (status = 404, body = ApiErrorBody)))]
pub async fn remove_extension(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, school_id)): Path<(i64, i64)>,
) -> Result<axum::http::StatusCode, AppError> {
    if state
        .store
        .remove_extension(id, school_id, &user.actor())
        .await?
    {
        Ok(axum::http::StatusCode::NO_CONTENT)
    } else {
        Err(AppError::NotFound)
    }
}

/// An organisation of the registry.
#[derive(Serialize, ToSchema)]
pub struct OrgJson {
    pub id: i64,
    pub name: String,
    /// A school tier (国家双高 …) or an enterprise kind (国有企业 …).
    pub category: String,
    pub affiliation: String,
    pub credit_code: String,
    pub district: String,
    pub is_school: bool,
}

impl From<OrgRecord> for OrgJson {
    fn from(o: OrgRecord) -> Self {
        OrgJson {
            id: o.id,
            name: o.name,
            category: o.category,
            affiliation: o.affiliation,
            credit_code: o.credit_code,
            district: o.district,
            is_school: o.is_school,
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct OrgQuery {
    pub name: Option<String>,
    pub category: Option<String>,
    pub district: Option<String>,
    pub page: Option<u64>,
    pub per_page: Option<u64>,
}

/// The organisations the caller may see (the policy's scope).
#[utoipa::path(get, path = "/api/v1/orgs", tag = "单位名录", params(OrgQuery),
    responses((status = 200, description = "`{items: [OrgJson], total, offset, limit}`", body = Object)))]
pub async fn list_orgs(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<OrgQuery>,
) -> Result<Json<serde_json::Value>, AppError> {
    let filter = OrgFilter {
        name: q.name.clone(),
        category: q.category.clone(),
        district: q.district.clone(),
        is_school: None,
    };
    let page = PageQuery {
        page: q.page,
        per_page: q.per_page,
    }
    .request();
    let p = state.store.list_orgs(&user.scope(), &filter, page).await?;
    let items: Vec<OrgJson> = p.items.iter().cloned().map(Into::into).collect();
    Ok(Json(paged(items, &p)))
}

/// An organisation (404 outside the caller's scope).
#[utoipa::path(get, path = "/api/v1/orgs/{id}", tag = "单位名录", params(("id" = i64, Path)),
    responses((status = 200, body = OrgJson), (status = 404, body = ApiErrorBody)))]
pub async fn get_org(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<OrgJson>, AppError> {
    let o = state
        .store
        .get_org(&user.scope(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(o.into()))
}

/// An organisation's new values.
#[derive(Deserialize, ToSchema)]
pub struct OrgJsonIn {
    pub name: String,
    pub category: String,
    #[serde(default)]
    pub affiliation: String,
    #[serde(default)]
    pub credit_code: String,
    #[serde(default)]
    pub district: String,
}

/// Edits an organisation (administrator).
#[utoipa::path(put, path = "/api/v1/orgs/{id}", tag = "单位名录", params(("id" = i64, Path)), request_body = OrgJsonIn,
    responses((status = 200, body = OrgJson), (status = 400, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn update_org(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Json(o): Json<OrgJsonIn>,
) -> Result<Json<OrgJson>, AppError> {
    let org = Org {
        name: o.name,
        category: o.category,
        affiliation: o.affiliation,
        credit_code: o.credit_code,
        district: o.district,
    };
    let saved = state
        .store
        .update_org(&Scope::All, id, &org, &user.actor())
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(saved.into()))
}

/// What an import did (or, with `dry_run`, would do).
#[derive(Serialize, ToSchema)]
pub struct ImportJson {
    pub dry_run: bool,
    pub organisations: usize,
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ImportQuery {
    /// Check only; store nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// Imports the registry (multipart `file`: CSV or xlsx, as `check --orgs`), all or nothing.
#[utoipa::path(post, path = "/api/v1/orgs/import", tag = "单位名录", params(ImportQuery),
    request_body(content_type = "multipart/form-data", description = "`file`"),
    responses((status = 200, body = ImportJson), (status = 422, description = "名录有问题，未导入", body = ApiErrorBody)))]
pub async fn import_orgs(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ImportQuery>,
    mut multipart: Multipart,
) -> Result<Json<ImportJson>, AppError> {
    let mut file = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| AppError::bad_request(format!("上传内容读取失败：{e}")))?
    {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("单位名录").to_owned();
            let bytes = field
                .bytes()
                .await
                .map_err(|e| AppError::bad_request(format!("文件「{name}」读取失败：{e}")))?;
            file = Some((name, bytes.to_vec()));
        }
    }
    let (name, bytes) = file.ok_or_else(|| AppError::bad_request("请以 file 字段上传单位名录"))?;
    let preview = state.app.preview_org_import(&name, bytes).await?;
    if !preview.is_ok() {
        return Err(AppError::Unprocessable(preview.problem_text()));
    }
    if q.dry_run {
        return Ok(Json(ImportJson {
            dry_run: true,
            organisations: preview.rows.len(),
            inserted: preview.inserted,
            updated: preview.updated,
            unchanged: preview.unchanged,
        }));
    }
    let n = preview.rows.len();
    let s = state
        .app
        .commit_org_import(&user.actor(), preview.orgs())
        .await?;
    Ok(Json(ImportJson {
        dry_run: false,
        organisations: n,
        inserted: s.inserted,
        updated: s.updated,
        unchanged: s.unchanged,
    }))
}

/// An audit entry.
#[derive(Serialize, ToSchema)]
pub struct AuditJson {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_user_id: Option<i64>,
    pub actor_name: String,
    pub ip: String,
    pub action: String,
    pub target: String,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

impl From<AuditRecord> for AuditJson {
    fn from(r: AuditRecord) -> Self {
        AuditJson {
            id: r.id,
            at: r.at,
            actor_user_id: r.actor_user_id,
            actor_name: r.actor_name,
            ip: r.ip,
            action: r.action,
            target: r.target,
            detail: r.detail,
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AuditQuery {
    /// Actions starting with this text (`login.`).
    pub action: Option<String>,
    pub actor_user_id: Option<i64>,
    pub target: Option<String>,
    pub page: Option<u64>,
    pub per_page: Option<u64>,
}

/// The audit log, newest first (administrator).
#[utoipa::path(get, path = "/api/v1/audit", tag = "审计", params(AuditQuery),
    responses((status = 200, description = "`{items: [AuditJson], total, offset, limit}`", body = Object)))]
pub async fn list_audit(
    State(state): State<AppState>,
    Query(q): Query<AuditQuery>,
) -> Result<Json<serde_json::Value>, AppError> {
    let filter = AuditFilter {
        action_prefix: q.action.clone(),
        actor_user_id: q.actor_user_id,
        target: q.target.clone(),
    };
    let page = PageQuery {
        page: q.page,
        per_page: q.per_page,
    }
    .request();
    let p = state.store.list_audit(&filter, page).await?;
    let items: Vec<AuditJson> = p.items.iter().cloned().map(Into::into).collect();
    Ok(Json(paged(items, &p)))
}

/// The result of walking the chain.
#[derive(Serialize, ToSchema)]
pub struct AuditCheckJson {
    pub ok: bool,
    pub checked: u64,
    /// The first entry that does not verify.
    pub broken_id: Option<i64>,
    pub reason: Option<String>,
}

/// Verifies the hash chain of the audit log.
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "审计", responses((status = 200, body = AuditCheckJson)))]
pub async fn verify_audit(State(state): State<AppState>) -> Result<Json<AuditCheckJson>, AppError> {
    let c = state.store.verify_audit().await?;
    Ok(Json(AuditCheckJson {
        ok: c.is_ok(),
        checked: c.checked,
        broken_id: c.broken.as_ref().map(|b| b.id),
        reason: c.broken.map(|b| b.reason),
    }))
}
