//! `/api/v1/ledger`: the ledger, its entries and approvals, the school's use report.

use super::pages::*;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::shared::pagination::{Page, PageQuery};
use crate::state::AppState;
use crate::terms::pages::term_batch;
use axum::Json;
use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};

/// An entry in the API.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiEntry {
    pub id: i64,
    pub school: String,
    /// `grant`, `supplement`, `clawback`.
    pub kind: String,
    pub amount: i64,
    pub reason: String,
    /// `pending`, `paid`, `withdrawn`.
    pub status: String,
    pub paid_on: Option<String>,
    pub voucher: String,
    pub prepared_by: String,
    pub approved_by: String,
}

impl From<&shuangshi_store::LedgerEntry> for ApiEntry {
    fn from(e: &shuangshi_store::LedgerEntry) -> ApiEntry {
        ApiEntry {
            id: e.id,
            school: e.school_name.clone(),
            kind: e.kind.as_str().to_owned(),
            amount: e.amount,
            reason: e.reason.clone(),
            status: e.status.as_str().to_owned(),
            paid_on: e.paid_on.map(|d| d.to_string()),
            voucher: e.voucher.clone(),
            prepared_by: e.prepared_by.clone(),
            approved_by: e.approved_by.clone(),
        }
    }
}

/// A school in the API's ledger (account masked).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiLedgerRow {
    pub school_id: i64,
    pub school: String,
    pub listed: i64,
    pub people: i64,
    pub rate: i64,
    pub due: i64,
    pub paid: i64,
    pub pending: i64,
    pub balance: i64,
    pub status: String,
    pub bank: String,
    pub account_name: String,
    pub account_number: String,
    pub use_reported: bool,
    pub entries: Vec<ApiEntry>,
}

/// The ledger in the API.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiLedger {
    pub batch: u32,
    pub rate: i64,
    pub people: i64,
    pub due: i64,
    pub paid: i64,
    pub pending: i64,
    /// One row per receiving school: this page of them.
    #[serde(flatten)]
    pub page: Page<ApiLedgerRow>,
}

/// `GET /api/v1/ledger`.
#[utoipa::path(get, path = "/api/v1/ledger", tag = "ledger", params(LedgerQuery, PageQuery),
    responses((status = 200, body = ApiLedger)), security(("bearer" = [])))]
pub async fn api_ledger(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<LedgerQuery>,
    Query(page): Query<PageQuery>,
) -> Result<Json<ApiLedger>, AppError> {
    let batch = term_batch(&state, q.batch).await?;
    let l = ledger_of(&state, &user, &batch).await?;
    Ok(Json(ApiLedger {
        batch: batch.number,
        rate: l.rate,
        people: l.people,
        due: l.due,
        paid: l.paid,
        pending: l.pending,
        page: page.slice(l.rows.iter().collect()).map(|r| ApiLedgerRow {
            school_id: r.school_id,
            school: r.school_name.clone(),
            listed: r.listed,
            people: r.people,
            rate: r.rate,
            due: r.due,
            paid: r.paid,
            pending: r.pending,
            balance: r.balance,
            status: r.status.to_owned(),
            bank: r.bank.bank.clone(),
            account_name: r.bank.account_name.clone(),
            account_number: r.bank.account_number.clone(),
            use_reported: r.use_report.is_some(),
            entries: r.entries.iter().map(ApiEntry::from).collect(),
        }),
    }))
}

/// `POST /api/v1/ledger/{school}/entries`: 拨付 (`kind=grant`), 补拨 or 扣回.
#[utoipa::path(post, path = "/api/v1/ledger/{school}/entries", tag = "ledger",
    request_body = EntryForm, params(("school" = i64, Path, description = "school id")),
    responses((status = 200, body = ApiEntry), (status = 404), (status = 409)),
    security(("bearer" = [])))]
pub async fn api_entry(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(school): Path<i64>,
    Json(body): Json<EntryForm>,
) -> Result<Json<ApiEntry>, AppError> {
    let (_, r) = do_entry(&state, &user, school, &body).await?;
    let e = r.map_err(refused)?;
    Ok(Json(ApiEntry::from(&e)))
}

/// `POST /api/v1/ledger/entries/{id}/approve`: approval by a second 市教委管理员.
#[utoipa::path(post, path = "/api/v1/ledger/entries/{id}/approve", tag = "ledger",
    params(("id" = i64, Path, description = "entry id")),
    responses((status = 200, body = ApiEntry), (status = 404), (status = 409)),
    security(("bearer" = [])))]
pub async fn api_approve(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<ApiEntry>, AppError> {
    let e = state
        .app
        .approve_entry(&user.actor(), id)
        .await
        .map_err(refused)?;
    Ok(Json(ApiEntry::from(&e)))
}

/// The use of the subsidy sent to the API.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ApiUse {
    #[serde(default)]
    pub batch: Option<u32>,
    /// Category → yuan (as text or a number).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub amounts: std::collections::BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    pub note: String,
}

/// `POST /api/v1/ledger/use`: the receiving school's report of the use of its subsidy.
#[utoipa::path(post, path = "/api/v1/ledger/use", tag = "ledger", request_body = ApiUse,
    responses((status = 204), (status = 409)), security(("bearer" = [])))]
pub async fn api_use(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<ApiUse>,
) -> Result<axum::http::StatusCode, AppError> {
    let batch = term_batch(&state, body.batch).await?;
    let amounts: Vec<(String, String)> = body
        .amounts
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                match v {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                },
            )
        })
        .collect();
    state
        .app
        .report_use(&user.scope(), &user.actor(), &batch, &amounts, &body.note)
        .await
        .map_err(refused)?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
