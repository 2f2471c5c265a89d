//! `/api/v1/term`: the term records, written by the receiving unit.

use super::pages::*;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::shared::pagination::{Page, PageQuery};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, Query, State};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use shuangshi_app::term::{TermForm, TermView};
use shuangshi_rules::Finding;
use shuangshi_store::BatchRecord;

/// A person's term in the API.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiTerm {
    pub id: i64,
    pub version: i32,
    pub name: String,
    /// `school` (学校派出) or `enterprise` (企业派出).
    pub direction: String,
    pub sending_unit: String,
    pub receiving_unit: String,
    pub listed_post: String,
    /// `arrived`, `absent` or "" (未填报).
    pub arrival: String,
    pub arrival_label: String,
    pub arrived_on: Option<String>,
    pub absent_reason: String,
    pub post: String,
    pub tasks: String,
    pub duties: String,
    /// `excellent`, `pass`, `fail` or "".
    pub assessment: String,
    pub summary: String,
    pub sender_remark: String,
    /// The caller writes the record (receiving unit).
    pub may_record: bool,
    /// The caller writes the remark (sending unit).
    pub may_remark: bool,
    /// W04 / W05 now (RULES.md's finding shape).
    #[schema(value_type = Vec<Object>)]
    pub findings: Vec<Finding>,
}

impl From<&TermView> for ApiTerm {
    fn from(v: &TermView) -> ApiTerm {
        let r = &v.row;
        let c = &r.content;
        ApiTerm {
            id: r.selection_id,
            version: r.version,
            name: r.name.clone(),
            direction: r.direction.clone(),
            sending_unit: r.sending_unit.clone(),
            receiving_unit: r.receiving_unit.clone(),
            listed_post: r.listed_post.clone(),
            arrival: c.arrival.as_str().to_owned(),
            arrival_label: c.arrival.label().to_owned(),
            arrived_on: c.arrived_on.map(|d| d.to_string()),
            absent_reason: c.absent_reason.clone(),
            post: c.post.clone(),
            tasks: c.tasks.clone(),
            duties: c.duties.clone(),
            assessment: c.assessment.map(|a| a.as_str()).unwrap_or("").to_owned(),
            summary: c.summary.clone(),
            sender_remark: c.sender_remark.clone(),
            may_record: v.may_record,
            may_remark: v.may_remark,
            findings: v.findings.clone(),
        }
    }
}

/// The term of a batch in the API.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiTermList {
    pub batch: u32,
    pub closed: bool,
    pub listed: usize,
    pub arrived: usize,
    pub absent: usize,
    pub unrecorded: usize,
    pub assessed: usize,
    pub overdue: usize,
    /// The records matching the filters: this page of them.
    #[serde(flatten)]
    pub page: Page<ApiTerm>,
}

/// `GET /api/v1/term`: the people on the final list within the caller's scope.
#[utoipa::path(get, path = "/api/v1/term", tag = "term", params(TermQuery, PageQuery),
    responses((status = 200, body = ApiTermList)), security(("bearer" = [])))]
pub async fn api_list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<TermQuery>,
    Query(page): Query<PageQuery>,
) -> Result<Json<ApiTermList>, AppError> {
    let batch = term_batch(&state, q.batch).await?;
    let b = state
        .app
        .term_board(&user.scope(), &batch, Utc::now())
        .await?;
    Ok(Json(ApiTermList {
        batch: batch.number,
        closed: b.closed_at.is_some(),
        listed: b.listed,
        arrived: b.arrived,
        absent: b.absent,
        unrecorded: b.unrecorded,
        assessed: b.assessed,
        overdue: b.overdue,
        page: page
            .slice(b.rows.iter().filter(|v| q.keeps(v)).collect())
            .map(ApiTerm::from),
    }))
}

/// `GET /api/v1/term/{id}`.
#[utoipa::path(get, path = "/api/v1/term/{id}", tag = "term",
    params(("id" = i64, Path, description = "selection id"), TermQuery),
    responses((status = 200, body = ApiTerm), (status = 404)), security(("bearer" = [])))]
pub async fn api_person(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<TermQuery>,
) -> Result<Json<ApiTerm>, AppError> {
    let batch = term_batch(&state, q.batch).await?;
    let (v, _) = state
        .app
        .term_person(&user.scope(), &batch, id, Utc::now())
        .await?;
    Ok(Json(ApiTerm::from(&v)))
}

/// A record sent to the API.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ApiRecord {
    /// The version read (0 when nothing was recorded).
    #[serde(default)]
    pub version: i32,
    #[serde(default)]
    pub batch: Option<u32>,
    #[serde(default)]
    pub arrival: String,
    #[serde(default)]
    pub arrived_on: String,
    #[serde(default)]
    pub absent_reason: String,
    #[serde(default)]
    pub post: String,
    #[serde(default)]
    pub tasks: String,
    #[serde(default)]
    pub duties: String,
    #[serde(default)]
    pub assessment: String,
    #[serde(default)]
    pub summary: String,
}

fn refused(e: shuangshi_app::Error) -> AppError {
    match e {
        shuangshi_app::Error::Refused(r) => AppError::conflict(r.message),
        e => e.into(),
    }
}

async fn answer(
    state: &AppState,
    user: &CurrentUser,
    batch: &BatchRecord,
    id: i64,
) -> Result<Json<ApiTerm>, AppError> {
    let (v, _) = state
        .app
        .term_person(&user.scope(), batch, id, Utc::now())
        .await?;
    Ok(Json(ApiTerm::from(&v)))
}

/// `PUT /api/v1/term/{id}`: the receiving unit's record.
#[utoipa::path(put, path = "/api/v1/term/{id}", tag = "term", request_body = ApiRecord,
    params(("id" = i64, Path, description = "selection id")),
    responses((status = 200, body = ApiTerm), (status = 404), (status = 409)),
    security(("bearer" = [])))]
pub async fn api_record(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Json(body): Json<ApiRecord>,
) -> Result<Json<ApiTerm>, AppError> {
    let batch = term_batch(&state, body.batch).await?;
    let form = TermForm {
        arrival: body.arrival,
        arrived_on: body.arrived_on,
        absent_reason: body.absent_reason,
        post: body.post,
        tasks: body.tasks,
        duties: body.duties,
        assessment: body.assessment,
        summary: body.summary,
    };
    state
        .app
        .record_term(
            &user.scope(),
            &user.actor(),
            &batch,
            id,
            body.version,
            &form,
        )
        .await
        .map_err(refused)?;
    answer(&state, &user, &batch, id).await
}

/// A remark sent to the API.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ApiRemark {
    #[serde(default)]
    pub version: i32,
    #[serde(default)]
    pub batch: Option<u32>,
    #[serde(default)]
    pub remark: String,
}

/// `PUT /api/v1/term/{id}/remark`: the sending unit's remark.
#[utoipa::path(put, path = "/api/v1/term/{id}/remark", tag = "term", request_body = ApiRemark,
    params(("id" = i64, Path, description = "selection id")),
    responses((status = 200, body = ApiTerm), (status = 404), (status = 409)),
    security(("bearer" = [])))]
pub async fn api_remark(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Json(body): Json<ApiRemark>,
) -> Result<Json<ApiTerm>, AppError> {
    let batch = term_batch(&state, body.batch).await?;
    state
        .app
        .remark_term(
            &user.scope(),
            &user.actor(),
            &batch,
            id,
            body.version,
            &body.remark,
        )
        .await
        .map_err(refused)?;
    answer(&state, &user, &batch, id).await
}

/// `POST /api/v1/term/close`: closes the term of the batch.
#[utoipa::path(post, path = "/api/v1/term/close", tag = "term", request_body = BatchForm,
    responses((status = 204), (status = 409)), security(("bearer" = [])))]
pub async fn api_close(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<BatchForm>,
) -> Result<axum::http::StatusCode, AppError> {
    let batch = term_batch(&state, body.batch).await?;
    state
        .app
        .close_term(&user.actor(), &batch)
        .await
        .map_err(refused)?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
