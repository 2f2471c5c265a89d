//! `/api/v1/partnerships`: list, propose (the school), confirm and reject (the enterprise).

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::shared::batch::batch_or_conflict;
use crate::shared::officer::school_ctx;
use crate::shared::pagination::{Page, PageQuery};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use shuangshi_store::{Partnership, PartnershipFilter};

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
    params(PageQuery),
    responses((status = 200, body = Page<ApiPartnership>), (status = 401)),
    security(("bearer" = [])))]
pub async fn list_partnerships(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(page): Query<PageQuery>,
) -> Result<Json<Page<ApiPartnership>>, AppError> {
    let batch = batch_or_conflict(&state.store).await?;
    let filter = PartnershipFilter {
        batch_id: Some(batch.id),
        ..PartnershipFilter::default()
    };
    let found = state
        .store
        .list_partnerships(&user.scope(), &filter, page.request())
        .await?;
    Ok(Json(page.from_store(found, |p| ApiPartnership::from(&p))))
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
