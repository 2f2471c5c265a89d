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

/// A search of the log ([`Store::search_audit`]): [`AuditFilter`] and, besides, who (any of some
/// accounts, or a recorded actor name containing a text) and when.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditSearch {
    pub filter: AuditFilter,
    /// Entries of one of these accounts or whose recorded actor name contains this text.
    pub actor: Option<ActorMatch>,
    /// Entries at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Entries before this instant.
    pub until: Option<DateTime<Utc>>,
}

/// Who an [`AuditSearch`] looks for: entries of one of `user_ids`, or whose recorded actor name
/// (the user name at the time, 「系统」, 「公众」, or the name typed at a failed login) contains
/// `name` (ignored when empty).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActorMatch {
    pub user_ids: Vec<i64>,
    pub name: String,
}

/// Every action code the code base writes, with its Chinese name: the one table the audit page and
/// its export read (see [`action_name`]). A new code gets its line here.
pub const ACTION_NAMES: &[(&str, &str)] = &[
    ("login.ok", "登录成功"),
    ("login.failed", "登录失败"),
    ("login.locked", "登录被拒（账号已锁定）"),
    ("logout", "退出登录"),
    ("user.create", "新增账号"),
    ("user.change_password", "修改密码"),
    ("user.change_password_failed", "修改密码失败（原密码错误）"),
    ("user.change_password_locked", "修改密码被拒（账号已锁定）"),
    ("user.reset_password", "重置密码"),
    ("user.email", "设置通知邮箱"),
    ("user.enable", "启用账号"),
    ("user.disable", "停用账号"),
    ("user.unlock", "解除账号锁定"),
    ("token.create", "创建接口令牌"),
    ("token.revoke", "吊销接口令牌"),
    ("access.refused_repeatedly", "多次被拒绝访问"),
    ("batch.create", "新建批次"),
    ("batch.update_params", "修改批次参数"),
    ("batch.open", "开始报送"),
    ("batch.close", "截止报送"),
    ("batch.extend", "单校延期报送"),
    ("batch.extend_remove", "取消单校延期"),
    ("org.import", "导入单位名录"),
    ("org.create", "新增单位"),
    ("org.update", "修改单位信息"),
    ("org.delete", "删除单位"),
    ("partnership.propose", "新增合作企业"),
    ("partnership.confirm", "企业确认合作关系"),
    ("partnership.reject", "企业拒绝合作关系"),
    ("partnership.confirm_by_commission", "市教委确认合作关系"),
    ("form.replace_rows", "导入推荐表"),
    ("form.update_meta", "修改推荐表表头或表尾"),
    ("form.add_row", "新增推荐人员"),
    ("form.update_row", "修改推荐人员"),
    ("form.delete_row", "删除推荐人员"),
    ("form.confirm_rows", "企业确认推荐人员"),
    ("form.object_row", "企业对推荐人员提出异议"),
    ("scan.upload", "上传盖章扫描件"),
    ("submission.submit", "报送推荐材料"),
    ("submission.accept", "受理报送"),
    ("submission.return", "退回报送"),
    ("selection.decide", "遴选决定"),
    ("selection.opinion", "主管部门意见"),
    ("publication.publicity", "发布公示"),
    ("publication.final.propose", "提请公布最终名单"),
    ("publication.final.approve", "批准公布最终名单"),
    ("publication.final.withdraw", "撤回待审批的最终名单"),
    ("publication.final.correct", "启动最终名单更正"),
    ("objection.submit", "提交异议"),
    ("objection.handle", "处理异议"),
    ("term.record", "填写聘期记录"),
    ("term.remark", "派出单位填写备注"),
    ("term.close", "结束聘期"),
    ("ledger.prepare", "登记补助经费拨付"),
    ("ledger.approve", "审批补助经费拨付"),
    ("ledger.withdraw", "撤回补助经费拨付"),
    ("subsidy.use", "报告补助经费使用"),
    ("reminder.send", "发送催办提醒"),
    ("export.roster", "导出汇总名单"),
    ("export.roster_unmasked", "导出汇总名单（含完整号码）"),
    ("export.copies", "导出分送名单"),
    ("export.copies_unmasked", "导出分送名单（含完整号码）"),
    ("export.form_xlsx", "下载推荐表"),
    ("export.form_print", "打印推荐表"),
    ("export.scan", "查看或下载盖章扫描件"),
    ("export.orgs", "导出单位名录"),
    ("export.ledger", "导出补助经费拨付表"),
    ("export.public", "导出公示或最终名单"),
    ("export.audit", "导出审计日志"),
    ("unmask.roster", "查看完整号码（汇总名单）"),
    ("unmask.copies", "查看完整号码（分送名单）"),
    ("unmask.form", "查看完整号码（推荐表）"),
    ("unmask.row_edit", "查看完整号码（编辑推荐人员）"),
    ("unmask.person", "查看完整号码（人员履历）"),
    ("unmask.submission", "查看完整号码（报送版本）"),
    ("unmask.diff", "查看完整号码（版本对比）"),
    ("unmask.value", "查看完整号码（单个号码）"),
    ("audit.verify", "校验审计日志"),
];

/// The kinds of action the audit page filters by: a prefix of the codes and its Chinese name.
pub const ACTION_GROUPS: &[(&str, &str)] = &[
    ("login.", "登录"),
    ("logout", "退出登录"),
    ("user.", "账号与密码"),
    ("token.", "接口令牌"),
    ("access.", "拒绝访问"),
    ("batch.", "批次设置"),
    ("org.", "单位名录"),
    ("partnership.", "合作关系"),
    ("form.", "推荐表"),
    ("scan.", "盖章扫描件"),
    ("submission.", "报送与审核"),
    ("selection.", "遴选"),
    ("publication.", "公示与公布"),
    ("objection.", "异议"),
    ("term.", "聘期管理"),
    ("ledger.", "补助经费拨付"),
    ("subsidy.", "补助经费使用"),
    ("reminder.", "催办提醒"),
    ("export.", "导出与下载"),
    ("unmask.", "查看完整号码"),
    ("audit.", "审计日志"),
];

/// The Chinese name of an action code ([`ACTION_NAMES`]); a code missing from the table still
/// reads as Chinese: 「其他操作（code）」.
pub fn action_name(code: &str) -> String {
    ACTION_NAMES.iter().find(|(c, _)| *c == code).map_or_else(
        || format!("其他操作（{code}）"),
        |(_, name)| (*name).to_owned(),
    )
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

    /// Ends a state change: appends `entry` inside `tx` ([`Store::audit_in`]) and commits both.
    pub async fn commit_audited(&self, tx: Tx, entry: AuditEntry) -> Result<(), StoreError> {
        self.audit_in(&tx, entry).await?;
        tx.commit().await
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

    /// Appends `entries`, in order, inside the caller's transaction: the same chain as one
    /// [`Store::audit_in`] per entry, with one lock of the head, multi-row `INSERT`s and one update
    /// of the head. Call it last in the transaction, as [`Store::audit_in`].
    pub(crate) async fn audit_many_in(
        &self,
        tx: &Tx,
        entries: Vec<AuditEntry>,
    ) -> Result<(), StoreError> {
        /// Rows per `INSERT` (10 values each: well under SQLite's 32,766 bound values).
        const ROWS: usize = 500;
        if entries.is_empty() {
            return Ok(());
        }
        let conn = tx.conn();
        let head = audit_head::Entity::find_by_id(1i64)
            .lock_exclusive()
            .one(conn)
            .await?
            .ok_or_else(|| StoreError::Corrupt("审计记录头（audit_head）缺失".to_string()))?;
        let (mut last_id, mut last_hash) = (head.last_id, head.last_hash);
        let mut models = Vec::with_capacity(entries.len());
        for entry in entries {
            let mut model = audit_log::Model {
                id: last_id + 1,
                at: now(),
                actor_user_id: entry.actor.user_id,
                actor_name: entry.actor.name,
                ip: entry.actor.ip,
                action: entry.action,
                target: entry.target,
                detail: entry.detail,
                prev_hash: last_hash,
                hash: String::new(),
            };
            model.hash = chain_hash(&model.prev_hash, &canonical(&model));
            last_id = model.id;
            last_hash = model.hash.clone();
            models.push(model);
        }
        for chunk in models.chunks(ROWS) {
            audit_log::Entity::insert_many(chunk.iter().map(|m| audit_log::ActiveModel {
                id: Set(m.id),
                at: Set(m.at),
                actor_user_id: Set(m.actor_user_id),
                actor_name: Set(m.actor_name.clone()),
                ip: Set(m.ip.clone()),
                action: Set(m.action.clone()),
                target: Set(m.target.clone()),
                detail: Set(m.detail.clone()),
                prev_hash: Set(m.prev_hash.clone()),
                hash: Set(m.hash.clone()),
            }))
            .exec_without_returning(conn)
            .await?;
        }
        audit_head::Entity::update_many()
            .col_expr(audit_head::Column::LastId, Expr::value(last_id))
            .col_expr(audit_head::Column::LastHash, Expr::value(last_hash))
            .filter(audit_head::Column::Id.eq(1i64))
            .exec(conn)
            .await?;
        Ok(())
    }

    /// The log, newest first.
    pub async fn list_audit(
        &self,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Paged<AuditRecord>, StoreError> {
        let search = AuditSearch {
            filter: filter.clone(),
            ..AuditSearch::default()
        };
        self.search_audit(&search, page).await
    }

    /// The entries matching `search`, newest first.
    pub async fn search_audit(
        &self,
        search: &AuditSearch,
        page: PageRequest,
    ) -> Result<Paged<AuditRecord>, StoreError> {
        let filter = &search.filter;
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
        if let Some(who) = &search.actor {
            let mut any = sea_orm::Condition::any();
            if !who.user_ids.is_empty() {
                any = any.add(audit_log::Column::ActorUserId.is_in(who.user_ids.iter().copied()));
            }
            let name = who.name.trim();
            if !name.is_empty() {
                any = any.add(audit_log::Column::ActorName.like(crate::scope::like_contains(name)));
            }
            // Nobody to look for matches nothing (an empty `any` would match everything).
            if who.user_ids.is_empty() && name.is_empty() {
                any = any.add(audit_log::Column::Id.lt(0i64));
            }
            q = q.filter(any);
        }
        if let Some(from) = search.from {
            q = q.filter(audit_log::Column::At.gte(crate::db::db_time(from)));
        }
        if let Some(until) = search.until {
            q = q.filter(audit_log::Column::At.lt(crate::db::db_time(until)));
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
