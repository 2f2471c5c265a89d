//! `/api/v1/submission`: the school's submission (state, versions) and 报送.

use crate::auth::CurrentUser;
use crate::disclosure::Disclosure;
use crate::error::AppError;
use crate::forms::api::report_json;
use crate::shared::officer::{load_school, school_ctx};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use shuangshi_store::{Review, VersionInfo};

/// The school's submission now.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiSubmissionState {
    /// draft, submitted, accepted or returned.
    pub status: String,
    pub status_label: String,
    pub deadline: String,
    /// What blocks a submit now: errors and W01–W03 (RULES.md's finding shape).
    #[schema(value_type = Vec<Object>)]
    pub blockers: Vec<serde_json::Value>,
    pub versions: Vec<crate::submissions::api::ApiVersion>,
    /// The check report of the school's forms now.
    #[schema(value_type = Object)]
    pub report: serde_json::Value,
}

/// `GET /api/v1/submission`: the school's submission, what blocks it, its versions.
#[utoipa::path(get, path = "/api/v1/submission", tag = "submission",
    responses((status = 200, body = ApiSubmissionState)),
    security(("bearer" = [])))]
pub async fn get_submission(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<ApiSubmissionState>, AppError> {
    let ctx = school_ctx(&state.store, &user).await?;
    let data = load_school(&state, &ctx).await?;
    let disclosure = Disclosure::masked(&user);
    let blockers = crate::submissions::pages::blockers(&ctx, &data)
        .into_iter()
        .map(|mut f| {
            disclosure.finding(&mut f);
            serde_json::to_value(f)
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(AppError::internal)?;
    let versions = match &data.submission {
        Some(s) => state
            .store
            .list_versions(&ctx.scope, s.id)
            .await?
            .unwrap_or_default(),
        None => Vec::new(),
    };
    let status = data.submission.as_ref().map(|s| s.status);
    let deadline = data
        .facts
        .as_ref()
        .map_or_else(|| ctx.batch.deadline(), |f| f.effective_deadline());
    Ok(Json(ApiSubmissionState {
        status: status.map_or("draft", |s| s.as_str()).to_owned(),
        status_label: status.map_or("草稿", |s| s.label()).to_owned(),
        deadline: deadline.to_rfc3339(),
        blockers,
        versions: versions
            .iter()
            .map(crate::submissions::api::ApiVersion::from)
            .collect(),
        report: report_json(&data.report, &Disclosure::masked(&user))?,
    }))
}

/// A successful submit.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SubmitResult {
    pub receipt_no: String,
    pub version_no: i32,
    pub submitted_at: String,
}

/// A refused submit.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SubmitRefused {
    pub error: String,
    #[schema(value_type = Vec<Object>)]
    pub findings: Vec<serde_json::Value>,
}

/// `POST /api/v1/submission`: submits the school's forms (refused while any error or W01–W03
/// stands; the deadline is the server's clock in Asia/Shanghai, extension included).
#[utoipa::path(post, path = "/api/v1/submission", tag = "submission",
    responses((status = 201, body = SubmitResult), (status = 422, body = SubmitRefused)),
    security(("bearer" = [])))]
pub async fn submit(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Response, AppError> {
    let ctx = school_ctx(&state.store, &user).await?;
    match crate::submissions::pages::do_submit(&state, &user, &ctx).await? {
        Ok(v) => Ok((
            StatusCode::CREATED,
            Json(SubmitResult {
                receipt_no: v.receipt_no,
                version_no: v.version_no,
                submitted_at: v.submitted_at.to_rfc3339(),
            }),
        )
            .into_response()),
        Err(shuangshi_app::Refusal {
            message: error,
            findings,
        }) => {
            let disclosure = Disclosure::masked(&user);
            let findings = findings
                .into_iter()
                .map(|mut f| {
                    disclosure.finding(&mut f);
                    serde_json::to_value(f)
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(AppError::internal)?;
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(SubmitRefused { error, findings }),
            )
                .into_response())
        }
    }
}

/// A submitted version in the API.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiVersion {
    pub version_no: i32,
    pub receipt_no: String,
    pub snapshot_hash: String,
    pub submitted_at: String,
    pub review: Option<ApiReview>,
}

impl From<&VersionInfo> for ApiVersion {
    fn from(v: &VersionInfo) -> Self {
        ApiVersion {
            version_no: v.version_no,
            receipt_no: v.receipt_no.clone(),
            snapshot_hash: v.snapshot_hash.clone(),
            submitted_at: v.submitted_at.to_rfc3339(),
            review: v.review.as_ref().map(ApiReview::from),
        }
    }
}

/// A reason of a review.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApiReason {
    /// The rule ID (empty for a free-text reason).
    #[serde(default)]
    pub rule: String,
    pub message: String,
}

/// A review in the API.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiReview {
    /// accepted or returned.
    pub decision: String,
    pub reasons: Vec<ApiReason>,
    pub note: String,
    pub at: String,
}

impl From<&Review> for ApiReview {
    fn from(r: &Review) -> Self {
        ApiReview {
            decision: r.decision.as_str().to_owned(),
            reasons: r
                .reasons
                .iter()
                .map(|x| ApiReason {
                    rule: x.rule.clone(),
                    message: x.message.clone(),
                })
                .collect(),
            note: r.note.clone(),
            at: r.at.to_rfc3339(),
        }
    }
}
