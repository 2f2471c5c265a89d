//! `/api/v1/copies`: the copies routed to an oversight body, and its opinions.

use super::pages::*;
use crate::auth::CurrentUser;
use crate::disclosure::Disclosure;
use crate::error::AppError;
use crate::shared::pagination::{Page, PageQuery};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

/// One person of a routed copy, in the API.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiCopy {
    /// 序号 in the filtered list, from 1.
    pub seq: u64,
    pub name: String,
    pub sending_unit: String,
    pub receiving_unit: String,
    pub school: String,
    pub enterprise: String,
    /// 企业类别 (国有企业, 民营企业 …).
    pub enterprise_kind: String,
    /// 隶属关系 as the registry holds it.
    pub affiliation: String,
    /// 市国资委, 市工商联 or 未分送.
    pub copied_to: String,
    pub post: String,
    pub term: String,
    pub title: String,
    /// Masked (138****1234) unless a 市教委管理员 asked for `full=1`.
    pub mobile: String,
    pub account_number: String,
    /// 已报送, 已受理 or 已退回.
    pub status: String,
    /// 未受理, 待遴选, 入选, 未入选, 公示中 or 已公布.
    pub outcome: String,
    /// Why 未入选.
    pub reason: String,
    pub receipt_no: String,
    pub routed_at: String,
    /// The person in the selection (accepted submissions only): the id an opinion is recorded on.
    pub selection_id: Option<i64>,
    /// The opinion given (「有异议：理由」), "" when none.
    pub opinion: String,
}

/// The routed copies, in the API.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiCopies {
    pub batch: String,
    /// The people matching the filters: this page of them.
    #[serde(flatten)]
    pub page: Page<ApiCopy>,
}

/// `GET /api/v1/copies`: the copies routed to the caller's body (the commission: every copy),
/// with the page's filters.
#[utoipa::path(get, path = "/api/v1/copies", tag = "oversight",
    params(CopiesQuery, PageQuery),
    responses((status = 200, body = ApiCopies), (status = 401), (status = 403), (status = 409)),
    security(("bearer" = [])))]
pub async fn api_copies(
    State(state): State<AppState>,
    user: CurrentUser,
    disclosure: Disclosure,
    Query(q): Query<CopiesQuery>,
    Query(page): Query<PageQuery>,
) -> Result<Json<ApiCopies>, AppError> {
    let (batch, people) = gather(&state, &user, &disclosure, &q).await?;
    let numbered: Vec<_> = people.into_iter().enumerate().collect();
    let items = page.slice(numbered).map(|(i, p)| ApiCopy {
        seq: i as u64 + 1,
        name: p.name,
        sending_unit: p.sending_unit,
        receiving_unit: p.receiving_unit,
        school: p.school,
        enterprise: p.enterprise,
        enterprise_kind: p.kind,
        affiliation: p.affiliation,
        copied_to: p.body.to_owned(),
        post: p.post,
        term: p.term,
        title: p.title,
        mobile: p.mobile,
        account_number: p.account,
        status: p.status.to_owned(),
        outcome: p.outcome.to_owned(),
        reason: p.reason,
        receipt_no: p.receipt_no,
        routed_at: p.routed_at.to_rfc3339(),
        selection_id: p.selection_id,
        opinion: p.opinion,
    });
    if !items.items.is_empty() {
        disclosure
            .record(
                &state.store,
                "copies",
                "copies".to_owned(),
                format!("API：{} 人（第 {} 页）", items.items.len(), items.page),
            )
            .await;
    }
    Ok(Json(ApiCopies {
        batch: batch.name,
        page: items,
    }))
}

/// An oversight body's opinion on one person.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ApiOpinionIn {
    /// `agree` (无异议) or `object` (有异议).
    pub opinion: String,
    /// Required for `object`.
    #[serde(default)]
    pub reason: String,
}

/// `POST /api/v1/copies/{selection_id}/opinion`: records the caller's body's opinion (a later one
/// replaces it). 400 on a bad value or 有异议 without a reason, 404 outside the body's copies,
/// 409 when refused (the final list stands).
#[utoipa::path(post, path = "/api/v1/copies/{selection_id}/opinion", tag = "oversight",
    params(("selection_id" = i64, Path, description = "the person's selection id")),
    request_body = ApiOpinionIn,
    responses((status = 204), (status = 400), (status = 401), (status = 403), (status = 404),
        (status = 409)),
    security(("bearer" = [])))]
pub async fn api_opinion(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(selection_id): Path<i64>,
    Json(body): Json<ApiOpinionIn>,
) -> Result<StatusCode, AppError> {
    let Some(object) = parse_opinion(&body.opinion) else {
        return Err(AppError::bad_request(format!(
            "opinion 应为 agree 或 object，收到「{}」",
            body.opinion
        )));
    };
    if object && body.reason.trim().is_empty() {
        return Err(AppError::bad_request("「有异议」须填写理由（reason）"));
    }
    state
        .app
        .record_opinion(
            &user.scope(),
            &user.actor(),
            selection_id,
            object,
            &body.reason,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
