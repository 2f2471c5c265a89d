//! `/api/v1/review/submissions`: the inbox, a submission with its versions, the diff, the decision.

use super::pages::*;
use crate::auth::CurrentUser;
use crate::disclosure::Disclosure;
use crate::error::AppError;
use crate::shared::pagination::{Page, PageQuery};
use crate::state::AppState;
use crate::submissions::api::{ApiReason, ApiReview, ApiVersion};
use crate::submissions::snapshot::{FormDiff, SnapFinding, SnapForm};
use axum::Json;
use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};
use shuangshi_store::{Decision, ReviewReason, Submission};

/// A submission in the API.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiSubmission {
    pub id: i64,
    pub batch_id: i64,
    pub school_id: i64,
    pub school_name: String,
    pub school_category: String,
    /// draft, submitted, accepted or returned.
    pub status: String,
    pub status_label: String,
    pub current_version: Option<i32>,
    pub updated_at: String,
}

impl From<&Submission> for ApiSubmission {
    fn from(s: &Submission) -> Self {
        ApiSubmission {
            id: s.id,
            batch_id: s.batch_id,
            school_id: s.school_id,
            school_name: s.school_name.clone(),
            school_category: s.school_category.clone(),
            status: s.status.as_str().to_owned(),
            status_label: s.status.label().to_owned(),
            current_version: s.current_version,
            updated_at: s.updated_at.to_rfc3339(),
        }
    }
}

/// The inbox query of the API.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct ApiInboxQuery {
    /// draft, submitted, accepted or returned.
    #[serde(default)]
    pub status: String,
    /// School tier (国家双高 …).
    #[serde(default)]
    pub tier: String,
    /// School name containing this text.
    #[serde(default)]
    pub school: String,
}

/// `GET /api/v1/review/submissions`: the inbox.
#[utoipa::path(get, path = "/api/v1/review/submissions", tag = "review",
    params(ApiInboxQuery, PageQuery),
    responses((status = 200, body = Page<ApiSubmission>), (status = 401), (status = 403)),
    security(("bearer" = [])))]
pub async fn api_inbox(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ApiInboxQuery>,
    Query(page): Query<PageQuery>,
) -> Result<Json<Page<ApiSubmission>>, AppError> {
    let filter = inbox_filter(&state, &q.status, &q.tier, &q.school).await?;
    let found = state
        .store
        .list_submissions(&user.scope(), &filter, page.request())
        .await?;
    Ok(Json(page.from_store(found, |s| ApiSubmission::from(&s))))
}

/// A submission with its versions and the latest snapshot's findings.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiSubmissionDetail {
    pub submission: ApiSubmission,
    pub versions: Vec<ApiVersion>,
    /// The findings of the shown version (RULES.md's shape).
    pub findings: Vec<SnapFinding>,
    pub forms: Vec<SnapForm>,
}

/// `GET /api/v1/review/submissions/{id}?v=N`.
#[utoipa::path(get, path = "/api/v1/review/submissions/{id}", tag = "review",
    params(("id" = i64, Path, description = "submission id"), ("v" = Option<i32>, Query, description = "version number (default: the latest)"),
        ("full" = Option<u8>, Query, description = "1: numbers in full (roles that may see them; audited)")),
    responses((status = 200, body = ApiSubmissionDetail), (status = 404)),
    security(("bearer" = [])))]
pub async fn api_submission(
    State(state): State<AppState>,
    user: CurrentUser,
    disclosure: Disclosure,
    Path(id): Path<i64>,
    Query(q): Query<VersionQuery>,
) -> Result<Json<ApiSubmissionDetail>, AppError> {
    let loaded = load(&state, &user, id, q.v).await?;
    if loaded.shown.is_some() {
        disclosure
            .record(
                &state.store,
                "submission",
                format!("submission:{id}"),
                "api".to_owned(),
            )
            .await;
    }
    let (findings, forms) = match loaded.shown {
        Some((_, s)) => {
            let s = s.disclosed(&disclosure);
            (s.report.findings, s.forms)
        }
        None => (Vec::new(), Vec::new()),
    };
    Ok(Json(ApiSubmissionDetail {
        submission: ApiSubmission::from(&loaded.submission),
        versions: loaded.versions.iter().map(ApiVersion::from).collect(),
        findings,
        forms,
    }))
}

/// The diff between two versions.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiDiff {
    pub from: i32,
    pub to: i32,
    pub forms: Vec<FormDiff>,
}

/// `GET /api/v1/review/submissions/{id}/diff?from=1&to=2`.
#[utoipa::path(get, path = "/api/v1/review/submissions/{id}/diff", tag = "review",
    params(("id" = i64, Path, description = "submission id"), DiffQuery),
    responses((status = 200, body = ApiDiff), (status = 404)),
    security(("bearer" = [])))]
pub async fn api_diff(
    State(state): State<AppState>,
    user: CurrentUser,
    disclosure: Disclosure,
    Path(id): Path<i64>,
    Query(q): Query<DiffQuery>,
) -> Result<Json<ApiDiff>, AppError> {
    let (_, _, from, to, forms) = compute_diff(&state, &user, &disclosure, id, &q).await?;
    Ok(Json(ApiDiff { from, to, forms }))
}

/// A decision on the current version.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ApiDecision {
    /// accept or return.
    pub decision: String,
    /// Indexes into the current version's findings, chosen as reasons.
    #[serde(default)]
    pub findings: Vec<usize>,
    /// Further reasons.
    #[serde(default)]
    pub reasons: Vec<ApiReason>,
    #[serde(default)]
    pub note: String,
}

/// `POST /api/v1/review/submissions/{id}/decision`: 受理 or 退回 the current version.
#[utoipa::path(post, path = "/api/v1/review/submissions/{id}/decision", tag = "review",
    params(("id" = i64, Path, description = "submission id")),
    request_body = ApiDecision,
    responses((status = 200, body = ApiReview), (status = 404), (status = 409)),
    security(("bearer" = [])))]
pub async fn api_decide(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Json(body): Json<ApiDecision>,
) -> Result<Json<ApiReview>, AppError> {
    let decision = match body.decision.as_str() {
        "accept" | "accepted" => Decision::Accepted,
        "return" | "returned" => Decision::Returned,
        other => {
            return Err(AppError::bad_request(format!(
                "decision 应为 accept 或 return，收到「{other}」"
            )));
        }
    };
    let extra = body
        .reasons
        .into_iter()
        .map(|r| ReviewReason {
            rule: r.rule,
            message: r.message,
        })
        .collect();
    match decide(
        &state,
        &user,
        id,
        decision,
        &body.findings,
        extra,
        body.note.trim(),
    )
    .await?
    {
        Ok(r) => Ok(Json(ApiReview::from(&r))),
        Err(m) => Err(AppError::conflict(m)),
    }
}
