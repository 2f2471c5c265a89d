//! `/api/v1/orgs`: the registry (list, get, edit, import).

use crate::auth::CurrentUser;
use crate::error::ApiErrorBody;
use crate::error::AppError;
use crate::shared::pagination::{Page, PageQuery};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Multipart, Path, Query, State};
use serde::{Deserialize, Serialize};
use shuangshi_rules::Org;
use shuangshi_store::{OrgFilter, OrgRecord, Scope};
use utoipa::ToSchema;

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
}

/// The organisations the caller may see (the policy's scope).
#[utoipa::path(get, path = "/api/v1/orgs", tag = "单位名录", params(OrgQuery, PageQuery),
    responses((status = 200, body = Page<OrgJson>)))]
pub async fn list_orgs(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<OrgQuery>,
    Query(page): Query<PageQuery>,
) -> Result<Json<Page<OrgJson>>, AppError> {
    let filter = OrgFilter {
        name: q.name.clone(),
        category: q.category.clone(),
        district: q.district.clone(),
        is_school: None,
    };
    let p = state
        .store
        .list_orgs(&user.scope(), &filter, page.request())
        .await?;
    Ok(Json(page.from_store(p, OrgJson::from)))
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
