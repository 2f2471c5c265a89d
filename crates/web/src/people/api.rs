//! `/api/v1/people`: a person's history across batches.

use super::pages::*;
use crate::auth::CurrentUser;
use crate::disclosure::Disclosure;
use crate::error::AppError;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};

/// `GET /api/v1/people/{form}/{row}`: the person's appearances in every batch, oldest first.
#[utoipa::path(get, path = "/api/v1/people/{form}/{row}", tag = "review",
    params(("form" = i64, Path, description = "form id"),
        ("row" = u32, Path, description = "the row number the form shows (first person: 5)"),
        ("full" = Option<u8>, Query, description = "1: numbers in full (audited)")),
    responses((status = 200, body = [HistoryLine]), (status = 404)),
    security(("bearer" = [])))]
pub async fn api_history(
    State(state): State<AppState>,
    user: CurrentUser,
    disclosure: Disclosure,
    Path((form, row)): Path<(i64, u32)>,
) -> Result<Json<Vec<HistoryLine>>, AppError> {
    Ok(Json(load(&state, &user, &disclosure, form, row).await?))
}
