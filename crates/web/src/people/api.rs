//! `/api/v1/people`: a person's history across batches.

use super::pages::*;
use crate::auth::CurrentUser;
use crate::disclosure::Disclosure;
use crate::error::AppError;
use crate::shared::pagination::{Page, PageQuery};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, Query, State};

/// `GET /api/v1/people/{form}/{row}`: the person's appearances in every batch, oldest first.
#[utoipa::path(get, path = "/api/v1/people/{form}/{row}", tag = "review",
    params(("form" = i64, Path, description = "form id"),
        ("row" = u32, Path, description = "the row number the form shows (first person: 5)"),
        ("full" = Option<u8>, Query, description = "1: numbers in full (audited)"), PageQuery),
    responses((status = 200, body = Page<HistoryLine>), (status = 404)),
    security(("bearer" = [])))]
pub async fn api_history(
    State(state): State<AppState>,
    user: CurrentUser,
    disclosure: Disclosure,
    Path((form, row)): Path<(i64, u32)>,
    Query(page): Query<PageQuery>,
) -> Result<Json<Page<HistoryLine>>, AppError> {
    Ok(Json(
        page.slice(load(&state, &user, &disclosure, form, row).await?),
    ))
}
