//! 通知与模板: what the school works against — the batch's parameters as the notice states them
//! (term, deadline or the school's extension, the tier minimums with the school's own tier
//! marked, the posts and exchange forms, the subsidy), the blank official template, and every
//! check the system makes with its rule ID and clause.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use shuangshi_rules::{RULES, RuleMeta};

use super::school_ctx;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::filters;
use crate::state::AppState;
use crate::ui::Frame;

/// One tier's minimums.
pub struct TierLine {
    pub name: String,
    pub min_sent: u32,
    pub min_received: u32,
    pub min_school_senior: u32,
    pub min_enterprise_senior: u32,
    pub ours: bool,
}

/// 通知与模板.
#[derive(Template, WebTemplate)]
#[template(path = "school/notices.html")]
pub struct NoticesPage {
    pub frame: Frame,
    pub batch_name: String,
    pub term: String,
    pub deadline: DateTime<Utc>,
    pub extended: bool,
    pub subsidy: u32,
    pub tiers: Vec<TierLine>,
    pub school_posts: String,
    pub enterprise_posts: String,
    pub school_senior: String,
    pub enterprise_senior: String,
    pub exchange_forms: String,
    pub rules: &'static [RuleMeta],
}

/// `GET /notices`.
pub async fn page(State(state): State<AppState>, user: CurrentUser) -> Result<Response, AppError> {
    let ctx = school_ctx(&state.store, &user).await?;
    let p = &ctx.batch.params;
    let deadline = state
        .store
        .effective_deadline(ctx.batch.id, ctx.school_id)
        .await?;
    let extended = deadline != p.deadline.with_timezone(&Utc);
    let tier = state
        .store
        .get_org(&ctx.scope, ctx.school_id)
        .await?
        .map(|o| o.category)
        .unwrap_or_default();
    let tiers = p
        .tiers
        .iter()
        .map(|t| TierLine {
            name: t.name.clone(),
            min_sent: t.min_sent,
            min_received: t.min_received,
            min_school_senior: t.min_school_senior,
            min_enterprise_senior: t.min_enterprise_senior,
            ours: t.name == tier,
        })
        .collect();
    let frame = user
        .frame_with_batch(&state, "通知与模板", "notices")
        .await?;
    Ok(NoticesPage {
        frame,
        batch_name: ctx.batch.name.clone(),
        term: p.term.clone(),
        deadline,
        extended,
        subsidy: p.subsidy_per_person,
        tiers,
        school_posts: p.posts.school.join("、"),
        enterprise_posts: p.posts.enterprise.join("、"),
        school_senior: p.posts.school_senior.clone(),
        enterprise_senior: p.posts.enterprise_senior.clone(),
        exchange_forms: p.exchange_forms.join("、"),
        rules: RULES,
    }
    .into_response())
}
