//! `/api/v1/selection` and `/api/v1/outcomes`: the same use cases as the 遴选与公布 page.

use super::pages::*;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::shared::pagination::{Page, PageQuery};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, Query, State};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use shuangshi_store::{Objection, Publication};

/// An oversight body's opinion in the API.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiOpinion {
    /// 市国资委 or 市工商联.
    pub body: String,
    /// 无异议 or 有异议.
    pub opinion: String,
    pub reason: String,
}

/// A person in the selection.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiCandidate {
    pub id: i64,
    pub name: String,
    /// 学校派出, 企业派出 or 未能判断.
    pub direction: String,
    pub school: String,
    pub school_tier: String,
    pub enterprise: String,
    pub enterprise_kind: String,
    pub sending_unit: String,
    pub receiving_unit: String,
    pub post: String,
    pub term: String,
    /// `pending`, `selected`, `rejected`.
    pub status: String,
    /// 待遴选, 入选, 未入选, 公示中 or 已公布.
    pub outcome: String,
    pub reason: String,
    /// 市国资委, 市工商联 or 未分送.
    pub copied_to: String,
    pub opinions: Vec<ApiOpinion>,
    pub duplicates: Vec<crate::submissions::snapshot::SnapFinding>,
}

/// One school's standing over its selected people.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiStanding {
    pub school: String,
    pub tier: String,
    pub teachers: u32,
    pub tech_vps: u32,
    pub engineers: u32,
    pub deans: u32,
    pub min_sent: u32,
    pub min_received: u32,
    pub min_school_senior: u32,
    pub min_enterprise_senior: u32,
    /// S01, S03–S05 over the selected people.
    pub findings: Vec<crate::submissions::snapshot::SnapFinding>,
}

/// A publication in the API.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiPublication {
    pub id: i64,
    /// `publicity` (公示) or `final` (正式名单).
    pub kind: String,
    pub revision: i32,
    /// `draft`, `pending`, `published`, `superseded`.
    pub state: String,
    pub entries: usize,
    pub opens_at: Option<String>,
    pub closes_at: Option<String>,
    pub made_by: String,
    pub approved_by: String,
    pub published_at: Option<String>,
    pub note: String,
}

impl From<&Publication> for ApiPublication {
    fn from(p: &Publication) -> ApiPublication {
        ApiPublication {
            id: p.id,
            kind: p.kind.as_str().to_owned(),
            revision: p.revision,
            state: p.state.as_str().to_owned(),
            entries: p.entries.len(),
            opens_at: p.opens_at.map(|t| t.to_rfc3339()),
            closes_at: p.closes_at.map(|t| t.to_rfc3339()),
            made_by: p.made_by_name.clone(),
            approved_by: p.approved_by_name.clone(),
            published_at: p.published_at.map(|t| t.to_rfc3339()),
            note: p.note.clone(),
        }
    }
}

/// A total against its target.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiSelectionTotal {
    pub label: String,
    pub have: u32,
    pub target: u32,
}

/// The selection board.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiBoard {
    pub batch: String,
    pub pending: usize,
    pub selected: usize,
    pub rejected: usize,
    pub totals: Vec<ApiSelectionTotal>,
    /// P01/P02 over the selected people.
    pub programme: Vec<crate::submissions::snapshot::SnapFinding>,
    pub schools: Vec<ApiStanding>,
    pub frozen: bool,
    pub publications: Vec<ApiPublication>,
    /// The people matching the filters: this page of them.
    #[serde(flatten)]
    pub page: Page<ApiCandidate>,
}

/// `GET /api/v1/selection`: the selection with the page's filters.
#[utoipa::path(get, path = "/api/v1/selection", tag = "selection",
    params(SelectionQuery, PageQuery),
    responses((status = 200, body = ApiBoard), (status = 401), (status = 403), (status = 409)),
    security(("bearer" = [])))]
pub async fn api_board(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<SelectionQuery>,
    Query(page): Query<PageQuery>,
) -> Result<Json<ApiBoard>, AppError> {
    let (batch, b) = board(&state, &user, &q).await?;
    let items = page.slice(b.people.iter().collect()).map(|p| ApiCandidate {
        id: p.record.id,
        name: p.record.name.clone(),
        direction: p.direction_label.to_owned(),
        school: p.record.school_name.clone(),
        school_tier: p.record.school_tier.clone(),
        enterprise: p.record.enterprise_name.clone(),
        enterprise_kind: p.record.enterprise_kind.clone(),
        sending_unit: p.record.sending_unit.clone(),
        receiving_unit: p.record.receiving_unit.clone(),
        post: p.record.post.clone(),
        term: p.record.term.clone(),
        status: p.record.status.as_str().to_owned(),
        outcome: p.outcome.to_owned(),
        reason: p.record.reason.clone(),
        copied_to: p.body_label.to_owned(),
        opinions: p
            .record
            .opinions
            .iter()
            .map(|o| ApiOpinion {
                body: o.body_label().to_owned(),
                opinion: o.label().to_owned(),
                reason: o.reason.clone(),
            })
            .collect(),
        duplicates: p.duplicates.iter().map(snap).collect(),
    });
    Ok(Json(ApiBoard {
        batch: batch.name,
        pending: b.counts[0],
        selected: b.counts[1],
        rejected: b.counts[2],
        totals: b
            .totals
            .iter()
            .map(|t| ApiSelectionTotal {
                label: t.label.to_owned(),
                have: t.have,
                target: t.target,
            })
            .collect(),
        programme: b.programme.iter().map(snap).collect(),
        schools: b
            .schools
            .iter()
            .map(|s| ApiStanding {
                school: s.school.clone(),
                tier: s.tier.clone(),
                teachers: s.tally.teachers,
                tech_vps: s.tally.tech_vps,
                engineers: s.tally.engineers,
                deans: s.tally.deans,
                min_sent: s.min_sent,
                min_received: s.min_received,
                min_school_senior: s.min_school_senior,
                min_enterprise_senior: s.min_enterprise_senior,
                findings: s.findings.iter().map(snap).collect(),
            })
            .collect(),
        frozen: b.frozen,
        publications: b.publications.iter().map(ApiPublication::from).collect(),
        page: items,
    }))
}

/// A selection decision.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ApiDecide {
    pub ids: Vec<i64>,
    /// `selected` (入选), `rejected` (未入选, needs `reason`) or `pending`.
    pub status: String,
    #[serde(default)]
    pub reason: String,
}

/// How many people changed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiChanged {
    pub changed: u64,
}

fn refused(e: shuangshi_app::Error) -> AppError {
    match e {
        shuangshi_app::Error::Refused(r) => AppError::conflict(r.message),
        e => e.into(),
    }
}

/// `POST /api/v1/selection/decide`: 入选 / 未入选 / 待遴选 for the given people.
#[utoipa::path(post, path = "/api/v1/selection/decide", tag = "selection",
    request_body = ApiDecide,
    responses((status = 200, body = ApiChanged), (status = 400), (status = 409)),
    security(("bearer" = [])))]
pub async fn api_decide(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<ApiDecide>,
) -> Result<Json<ApiChanged>, AppError> {
    let Some(status) = parse_selection_status(&body.status) else {
        return Err(AppError::bad_request(format!(
            "status 应为 selected、rejected 或 pending，收到「{}」",
            body.status
        )));
    };
    let batch = crate::shared::batch::batch_or_conflict(&state.store).await?;
    let changed = state
        .app
        .decide_selection(
            &user.scope(),
            &user.actor(),
            &batch,
            &body.ids,
            status,
            &body.reason,
        )
        .await
        .map_err(refused)?;
    Ok(Json(ApiChanged { changed }))
}

/// `GET /api/v1/selection/publications`: the batch's 公示 and final lists, oldest first.
#[utoipa::path(get, path = "/api/v1/selection/publications", tag = "selection",
    params(PageQuery),
    responses((status = 200, body = Page<ApiPublication>)),
    security(("bearer" = [])))]
pub async fn api_publications(
    State(state): State<AppState>,
    _user: CurrentUser,
    Query(page): Query<PageQuery>,
) -> Result<Json<Page<ApiPublication>>, AppError> {
    let batch = crate::shared::batch::batch_or_conflict(&state.store).await?;
    let pubs = state.store.list_publications(batch.id).await?;
    Ok(Json(page.slice(pubs).map(|p| ApiPublication::from(&p))))
}

/// `POST /api/v1/selection/publicity`: publishes the 公示 of the people selected now.
#[utoipa::path(post, path = "/api/v1/selection/publicity", tag = "selection",
    responses((status = 200, body = ApiPublication), (status = 409)),
    security(("bearer" = [])))]
pub async fn api_publicity(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<ApiPublication>, AppError> {
    let batch = crate::shared::batch::batch_or_conflict(&state.store).await?;
    let p = state
        .app
        .publish_publicity(&user.actor(), &batch, Utc::now())
        .await
        .map_err(refused)?;
    Ok(Json(ApiPublication::from(&p)))
}

/// A note (the final list's remark, a correction's reason, an objection's handling).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ApiNote {
    #[serde(default)]
    pub note: String,
}

/// `POST /api/v1/selection/final`: proposes the final list.
#[utoipa::path(post, path = "/api/v1/selection/final", tag = "selection",
    request_body = ApiNote,
    responses((status = 200, body = ApiPublication), (status = 409)),
    security(("bearer" = [])))]
pub async fn api_final(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<ApiNote>,
) -> Result<Json<ApiPublication>, AppError> {
    let batch = crate::shared::batch::batch_or_conflict(&state.store).await?;
    let p = state
        .app
        .propose_final(&user.actor(), &batch, &body.note)
        .await
        .map_err(refused)?;
    Ok(Json(ApiPublication::from(&p)))
}

/// `POST /api/v1/selection/final/{id}/approve`: approval by a second 市教委管理员.
#[utoipa::path(post, path = "/api/v1/selection/final/{id}/approve", tag = "selection",
    params(("id" = i64, Path, description = "publication id")),
    responses((status = 200, body = ApiPublication), (status = 404), (status = 409)),
    security(("bearer" = [])))]
pub async fn api_approve(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<ApiPublication>, AppError> {
    let p = state
        .app
        .approve_final(&user.actor(), id)
        .await
        .map_err(refused)?;
    Ok(Json(ApiPublication::from(&p)))
}

/// `POST /api/v1/selection/correction`: opens a correction (`note` is the reason).
#[utoipa::path(post, path = "/api/v1/selection/correction", tag = "selection",
    request_body = ApiNote,
    responses((status = 204), (status = 400), (status = 409)),
    security(("bearer" = [])))]
pub async fn api_correction(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<ApiNote>,
) -> Result<axum::http::StatusCode, AppError> {
    let batch = crate::shared::batch::batch_or_conflict(&state.store).await?;
    state
        .app
        .open_correction(&user.actor(), &batch, &body.note)
        .await
        .map_err(refused)?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// An objection in the API.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiObjection {
    pub id: i64,
    pub person: String,
    pub contact: String,
    pub body: String,
    /// `open`, `upheld`, `dismissed`.
    pub status: String,
    pub note: String,
    pub created_at: String,
}

impl From<&Objection> for ApiObjection {
    fn from(o: &Objection) -> ApiObjection {
        ApiObjection {
            id: o.id,
            person: o.person.clone(),
            contact: o.contact.clone(),
            body: o.body.clone(),
            status: o.status.as_str().to_owned(),
            note: o.note.clone(),
            created_at: o.created_at.to_rfc3339(),
        }
    }
}

/// `GET /api/v1/selection/objections`: the objections to the batch's 公示, newest first.
#[utoipa::path(get, path = "/api/v1/selection/objections", tag = "selection",
    params(PageQuery),
    responses((status = 200, body = Page<ApiObjection>)),
    security(("bearer" = [])))]
pub async fn api_objections(
    State(state): State<AppState>,
    _user: CurrentUser,
    Query(page): Query<PageQuery>,
) -> Result<Json<Page<ApiObjection>>, AppError> {
    let batch = crate::shared::batch::batch_or_conflict(&state.store).await?;
    let list = state.store.list_objections(batch.id).await?;
    Ok(Json(page.slice(list).map(|o| ApiObjection::from(&o))))
}

/// How an objection is handled.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ApiHandle {
    /// `upheld` (成立: the person becomes 未入选) or `dismissed` (不成立).
    pub decision: String,
    pub note: String,
}

/// `POST /api/v1/selection/objections/{id}`: handles an objection.
#[utoipa::path(post, path = "/api/v1/selection/objections/{id}", tag = "selection",
    params(("id" = i64, Path, description = "objection id")),
    request_body = ApiHandle,
    responses((status = 200, body = ApiObjection), (status = 400), (status = 404), (status = 409)),
    security(("bearer" = [])))]
pub async fn api_objection(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Json(body): Json<ApiHandle>,
) -> Result<Json<ApiObjection>, AppError> {
    let upheld = match body.decision.as_str() {
        "upheld" => true,
        "dismissed" => false,
        other => {
            return Err(AppError::bad_request(format!(
                "decision 应为 upheld 或 dismissed，收到「{other}」"
            )));
        }
    };
    let o = state
        .app
        .handle_objection(&user.actor(), id, upheld, &body.note)
        .await
        .map_err(refused)?;
    Ok(Json(ApiObjection::from(&o)))
}

/// One person's outcome, for the school or the enterprise.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiOutcome {
    pub name: String,
    /// 学校派出, 企业派出 or 未能判断.
    pub direction: String,
    pub school: String,
    pub enterprise: String,
    pub post: String,
    /// 待遴选, 入选, 未入选, 公示中 or 已公布.
    pub outcome: String,
    /// Why 未入选.
    pub reason: String,
}

/// `GET /api/v1/outcomes`: the selection outcome of each of the school's (or the enterprise's)
/// people in the current batch.
#[utoipa::path(get, path = "/api/v1/outcomes", tag = "selection",
    params(PageQuery),
    responses((status = 200, body = Page<ApiOutcome>), (status = 401), (status = 403)),
    security(("bearer" = [])))]
pub async fn api_outcomes(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(page): Query<PageQuery>,
) -> Result<Json<Page<ApiOutcome>>, AppError> {
    let batch = crate::shared::batch::batch_or_conflict(&state.store).await?;
    let list = state.app.outcomes(&user.scope(), &batch).await?;
    Ok(Json(page.slice(list).map(|o| ApiOutcome {
        name: o.record.name,
        direction: o.direction_label.to_owned(),
        school: o.record.school_name,
        enterprise: o.record.enterprise_name,
        post: o.record.post,
        outcome: o.outcome.to_owned(),
        reason: o.record.reason,
    })))
}
