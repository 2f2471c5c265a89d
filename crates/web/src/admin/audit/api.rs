//! `/api/v1/audit`: the audit log and its verification.

use crate::error::AppError;
use crate::shared::pagination::{Page, PageQuery};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Query, State};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shuangshi_store::{AuditFilter, AuditRecord};
use utoipa::ToSchema;

/// An audit entry.
#[derive(Serialize, ToSchema)]
pub struct AuditJson {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_user_id: Option<i64>,
    pub actor_name: String,
    pub ip: String,
    pub action: String,
    pub target: String,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

impl From<AuditRecord> for AuditJson {
    fn from(r: AuditRecord) -> Self {
        AuditJson {
            id: r.id,
            at: r.at,
            actor_user_id: r.actor_user_id,
            actor_name: r.actor_name,
            ip: r.ip,
            action: r.action,
            target: r.target,
            detail: r.detail,
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AuditQuery {
    /// Actions starting with this text (`login.`).
    pub action: Option<String>,
    pub actor_user_id: Option<i64>,
    pub target: Option<String>,
}

/// The audit log, newest first (administrator).
#[utoipa::path(get, path = "/api/v1/audit", tag = "审计", params(AuditQuery, PageQuery),
    responses((status = 200, body = Page<AuditJson>)))]
pub async fn list_audit(
    State(state): State<AppState>,
    Query(q): Query<AuditQuery>,
    Query(page): Query<PageQuery>,
) -> Result<Json<Page<AuditJson>>, AppError> {
    let filter = AuditFilter {
        action_prefix: q.action.clone(),
        actor_user_id: q.actor_user_id,
        target: q.target.clone(),
    };
    let p = state.store.list_audit(&filter, page.request()).await?;
    Ok(Json(page.from_store(p, AuditJson::from)))
}

/// The result of walking the chain.
#[derive(Serialize, ToSchema)]
pub struct AuditCheckJson {
    pub ok: bool,
    pub checked: u64,
    /// The first entry that does not verify.
    pub broken_id: Option<i64>,
    pub reason: Option<String>,
}

/// Verifies the hash chain of the audit log.
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "审计", responses((status = 200, body = AuditCheckJson)))]
pub async fn verify_audit(State(state): State<AppState>) -> Result<Json<AuditCheckJson>, AppError> {
    let c = state.store.verify_audit().await?;
    Ok(Json(AuditCheckJson {
        ok: c.is_ok(),
        checked: c.checked,
        broken_id: c.broken.as_ref().map(|b| b.id),
        reason: c.broken.map(|b| b.reason),
    }))
}
