//! `/api/v1/batches`: batches and their parameters, opening, closing, extensions.

use crate::admin::batches::pages::parse_local_deadline;
use crate::auth::CurrentUser;
use crate::error::ApiErrorBody;
use crate::error::AppError;
use crate::shared::pagination::{Page, PageQuery};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, Query, State};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shuangshi_rules::Batch;
use shuangshi_store::BatchRecord;
use utoipa::ToSchema;

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
#[utoipa::path(get, path = "/api/v1/batches", tag = "批次", params(PageQuery), responses((status = 200, body = Page<BatchJson>)))]
pub async fn list_batches(
    State(state): State<AppState>,
    Query(page): Query<PageQuery>,
) -> Result<Json<Page<BatchJson>>, AppError> {
    let all = state.store.list_batches().await?;
    let all: Vec<BatchJson> = all
        .into_iter()
        .map(BatchJson::try_from)
        .collect::<Result<_, _>>()?;
    Ok(Json(page.slice(all)))
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
                .unwrap_or_else(|| crate::admin::batches::pages::batch_name(number));
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
