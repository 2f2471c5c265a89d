//! `/api/v1/roster`: the consolidated list in the caller's scope.

use super::pages::*;
use crate::auth::CurrentUser;
use crate::disclosure::Disclosure;
use crate::error::AppError;
use crate::shared::pagination::{Page, PageQuery};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Query, State};
use serde::Serialize;
pub use shuangshi_app::export::{Gathered, HEADERS, Person, Total};
use shuangshi_rules::Finding;

/// A total against its target, in the API.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiTotal {
    pub label: String,
    pub have: u32,
    pub target: u32,
}

/// One person of the list, in the API.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiPerson {
    pub name: String,
    /// 学校派出, 企业派出 or 未能判断.
    pub direction: String,
    pub sending_unit: String,
    pub receiving_unit: String,
    pub post: String,
    pub title: String,
    pub school: String,
    pub school_tier: String,
    pub enterprise: String,
    pub enterprise_kind: String,
    pub district: String,
    /// 草稿, 已报送, 已受理 or 已退回.
    pub status: String,
    /// In full or masked (138****1234), as the account's role allows.
    pub mobile: String,
    pub account_number: String,
    /// D01–D03 findings on this person (RULES.md's shape).
    pub duplicates: Vec<crate::submissions::snapshot::SnapFinding>,
}

/// The consolidated list, in the API.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiRoster {
    pub batch: String,
    /// Whether the account sees only part of the batch (then the totals are partial).
    pub partial: bool,
    pub totals: Vec<ApiTotal>,
    /// P01/P02 findings.
    pub programme: Vec<crate::submissions::snapshot::SnapFinding>,
    /// D01–D03 findings in the whole list (before filtering).
    pub duplicates: usize,
    /// The people matching the filters: this page of them.
    #[serde(flatten)]
    pub page: Page<ApiPerson>,
}

fn snap(f: &Finding) -> crate::submissions::snapshot::SnapFinding {
    serde_json::to_value(f)
        .and_then(serde_json::from_value)
        .unwrap_or_default()
}

/// `GET /api/v1/roster`: the consolidated list with the page's filters.
#[utoipa::path(get, path = "/api/v1/roster", tag = "review",
    params(RosterQuery, PageQuery),
    responses((status = 200, body = ApiRoster), (status = 401), (status = 403), (status = 409)),
    security(("bearer" = [])))]
pub async fn api_roster(
    State(state): State<AppState>,
    user: CurrentUser,
    disclosure: Disclosure,
    Query(q): Query<RosterQuery>,
    Query(page): Query<PageQuery>,
) -> Result<Json<ApiRoster>, AppError> {
    let g = gather(&state, &user, &disclosure, &q).await?;
    let people = page.slice(g.people.iter().collect()).map(|p| ApiPerson {
        name: p.name.clone(),
        direction: p.direction.to_owned(),
        sending_unit: p.sending.clone(),
        receiving_unit: p.receiving.clone(),
        post: p.post.clone(),
        title: p.title.clone(),
        school: p.school.clone(),
        school_tier: p.tier.clone(),
        enterprise: p.enterprise.clone(),
        enterprise_kind: p.kind.clone(),
        district: p.district.clone(),
        status: p.status.to_owned(),
        mobile: p.mobile.clone(),
        account_number: p.account.clone(),
        duplicates: p.duplicates.iter().map(snap).collect(),
    });
    if !people.items.is_empty() {
        disclosure
            .record(
                &state.store,
                "roster",
                "roster".to_owned(),
                format!("API：{} 人（第 {} 页）", people.items.len(), people.page),
            )
            .await;
    }
    Ok(Json(ApiRoster {
        batch: g.batch_name,
        partial: g.partial,
        totals: g
            .totals
            .iter()
            .map(|t| ApiTotal {
                label: t.label.to_owned(),
                have: t.have,
                target: t.target,
            })
            .collect(),
        programme: g.programme.iter().map(snap).collect(),
        duplicates: g.duplicates,
        page: people,
    }))
}
