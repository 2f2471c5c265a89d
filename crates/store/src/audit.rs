//! The audit log: append-only, each entry carrying the hash of the one before.
//!
//! `hash = sha256(prev_hash || "\n" || canonical)`, where `canonical` is the JSON array
//! `[id, at, actor_user_id, actor_name, ip, action, target, detail]` with `at` written as
//! `YYYY-MM-DDTHH:MM:SS.ffffffZ`. Ids are assigned by the appender (last + 1), so a deleted entry
//! leaves a gap that [`Store::verify_audit`] names. Appends are serialised through the one-row
//! `audit_head` table: PostgreSQL locks it with `SELECT … FOR UPDATE` until the transaction ends;
//! on SQLite the `BEGIN IMMEDIATE` of every write transaction already serialises writers. The head
//! also records the last id and hash, so deleting the newest entries is detected too.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use sha2::{Digest, Sha256};

use crate::db::{Actor, PageRequest, Paged, Store, Tx, now};
use crate::entity::{audit_head, audit_log};
use crate::error::StoreError;

/// The `prev_hash` of the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What to record: who, what, on which thing, with which details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub actor: Actor,
    /// A dotted verb, e.g. `login.failed`, `form.replace_rows`, `submission.submit`.
    pub action: String,
    /// What it was done to, e.g. `form:12`.
    pub target: String,
    /// Free text or JSON with the particulars.
    pub detail: String,
}

impl AuditEntry {
    pub fn new(
        actor: &Actor,
        action: &str,
        target: impl Into<String>,
        detail: impl Into<String>,
    ) -> AuditEntry {
        AuditEntry {
            actor: actor.clone(),
            action: action.to_string(),
            target: target.into(),
            detail: detail.into(),
        }
    }
}

/// A stored audit entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
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

/// Filters for [`Store::list_audit`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Actions starting with this text (e.g. `login.`).
    pub action_prefix: Option<String>,
    pub actor_user_id: Option<i64>,
    /// Exact target (e.g. `form:12`).
    pub target: Option<String>,
}

/// The result of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditCheck {
    /// Entries checked before the first break (all of them when the chain is intact).
    pub checked: u64,
    /// The first broken entry, if any.
    pub broken: Option<AuditBreak>,
}

impl AuditCheck {
    pub fn is_ok(&self) -> bool {
        self.broken.is_none()
    }
}

/// Where and how the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditBreak {
    /// The id of the first entry that does not verify (for a truncated tail: the last id the head
    /// names).
    pub id: i64,
    /// What does not match, in Chinese.
    pub reason: String,
}

impl std::fmt::Display for AuditBreak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "第 {} 条审计记录：{}", self.id, self.reason)
    }
}

pub(crate) fn canonical(m: &audit_log::Model) -> String {
    let at = m.at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
    serde_json::json!([
        m.id,
        at,
        m.actor_user_id,
        m.actor_name,
        m.ip,
        m.action,
        m.target,
        m.detail
    ])
    .to_string()
}

pub(crate) fn chain_hash(prev_hash: &str, canonical: &str) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(b"\n");
    h.update(canonical.as_bytes());
    hex::encode(h.finalize())
}

fn record(m: audit_log::Model) -> AuditRecord {
    AuditRecord {
        id: m.id,
        at: m.at,
        actor_user_id: m.actor_user_id,
        actor_name: m.actor_name,
        ip: m.ip,
        action: m.action,
        target: m.target,
        detail: m.detail,
        prev_hash: m.prev_hash,
        hash: m.hash,
    }
}

impl Store {
    /// Appends `entry` in its own write transaction.
    pub async fn audit(&self, entry: AuditEntry) -> Result<AuditRecord, StoreError> {
        let tx = self.begin_write().await?;
        let rec = self.audit_in(&tx, entry).await?;
        tx.commit().await?;
        Ok(rec)
    }

    /// Appends `entry` inside the caller's transaction, so the state change and its record commit
    /// (or roll back) together. Call it last in the transaction: it holds the chain's lock until
    /// commit.
    pub async fn audit_in(&self, tx: &Tx, entry: AuditEntry) -> Result<AuditRecord, StoreError> {
        let conn = tx.conn();
        let head = audit_head::Entity::find_by_id(1i64)
            .lock_exclusive()
            .one(conn)
            .await?
            .ok_or_else(|| StoreError::Corrupt("审计记录头（audit_head）缺失".to_string()))?;
        let mut model = audit_log::Model {
            id: head.last_id + 1,
            at: now(),
            actor_user_id: entry.actor.user_id,
            actor_name: entry.actor.name,
            ip: entry.actor.ip,
            action: entry.action,
            target: entry.target,
            detail: entry.detail,
            prev_hash: head.last_hash,
            hash: String::new(),
        };
        model.hash = chain_hash(&model.prev_hash, &canonical(&model));
        let am = audit_log::ActiveModel {
            id: Set(model.id),
            at: Set(model.at),
            actor_user_id: Set(model.actor_user_id),
            actor_name: Set(model.actor_name.clone()),
            ip: Set(model.ip.clone()),
            action: Set(model.action.clone()),
            target: Set(model.target.clone()),
            detail: Set(model.detail.clone()),
            prev_hash: Set(model.prev_hash.clone()),
            hash: Set(model.hash.clone()),
        };
        audit_log::Entity::insert(am)
            .exec_without_returning(conn)
            .await?;
        audit_head::Entity::update_many()
            .col_expr(audit_head::Column::LastId, Expr::value(model.id))
            .col_expr(
                audit_head::Column::LastHash,
                Expr::value(model.hash.clone()),
            )
            .filter(audit_head::Column::Id.eq(1i64))
            .exec(conn)
            .await?;
        Ok(record(model))
    }

    /// The log, newest first.
    pub async fn list_audit(
        &self,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Paged<AuditRecord>, StoreError> {
        let mut q = audit_log::Entity::find();
        if let Some(p) = &filter.action_prefix {
            q = q.filter(audit_log::Column::Action.like(crate::scope::like_prefix(p)));
        }
        if let Some(u) = filter.actor_user_id {
            q = q.filter(audit_log::Column::ActorUserId.eq(u));
        }
        if let Some(t) = &filter.target {
            q = q.filter(audit_log::Column::Target.eq(t.as_str()));
        }
        let total = q.clone().count(self.conn()).await?;
        let items = q
            .order_by_desc(audit_log::Column::Id)
            .offset(page.offset)
            .limit(page.limit)
            .all(self.conn())
            .await?
            .into_iter()
            .map(record)
            .collect();
        Ok(Paged {
            items,
            total,
            offset: page.offset,
            limit: page.limit,
        })
    }

    /// Walks the whole chain and names the first entry that does not verify.
    pub async fn verify_audit(&self) -> Result<AuditCheck, StoreError> {
        const CHUNK: u64 = 1000;
        let mut expected_id = 1i64;
        let mut prev_hash = GENESIS_HASH.to_string();
        let mut checked = 0u64;
        let broken = |id: i64, reason: String, checked: u64| AuditCheck {
            checked,
            broken: Some(AuditBreak { id, reason }),
        };
        loop {
            let chunk = audit_log::Entity::find()
                .filter(audit_log::Column::Id.gte(expected_id))
                .order_by_asc(audit_log::Column::Id)
                .limit(CHUNK)
                .all(self.conn())
                .await?;
            let n = chunk.len() as u64;
            for m in chunk {
                if m.id != expected_id {
                    return Ok(broken(
                        expected_id,
                        format!("记录缺失（下一条现存记录为第 {} 条），可能被删除", m.id),
                        checked,
                    ));
                }
                if m.prev_hash != prev_hash {
                    return Ok(broken(
                        m.id,
                        "前一条记录的哈希（prev_hash）不符：前面的记录被改动、删除或插入"
                            .to_string(),
                        checked,
                    ));
                }
                let h = chain_hash(&m.prev_hash, &canonical(&m));
                if h != m.hash {
                    return Ok(broken(
                        m.id,
                        "内容与哈希不符：该记录被改动".to_string(),
                        checked,
                    ));
                }
                prev_hash = m.hash;
                expected_id += 1;
                checked += 1;
            }
            if n < CHUNK {
                break;
            }
        }
        let head = audit_head::Entity::find_by_id(1i64)
            .one(self.conn())
            .await?
            .ok_or_else(|| StoreError::Corrupt("审计记录头（audit_head）缺失".to_string()))?;
        let last_id = expected_id - 1;
        if head.last_id != last_id || head.last_hash != prev_hash {
            let id = head.last_id.max(last_id);
            return Ok(broken(
                id,
                format!(
                    "记录头登记的最后一条为第 {} 条，而现存最后一条为第 {} 条或其哈希不同：末尾记录被删除或改动",
                    head.last_id, last_id
                ),
                checked,
            ));
        }
        Ok(AuditCheck {
            checked,
            broken: None,
        })
    }
}
