//! The term (聘期) and the money (四(一)–(三)): what the receiving unit records about each person on
//! the final list, the sending unit's remark, the commission closing the term, the subsidy ledger
//! (append-only entries, maker–checker), the receiving school's report of the use of the money,
//! and the reminders sent to units that are behind.
//!
//! - Only people on the batch's published final list have a term ([`Store::term_rows`]).
//! - The receiving unit (the enterprise for a teacher, the school for an engineer) writes the
//!   record; the sending unit writes only its remark; everyone else reads within their scope.
//!   Each change is a new version kept in `term_record_versions` and audited.
//! - Once the commission closes the term ([`Store::close_term`]) nothing of it changes.
//! - A ledger entry is never edited: a correction is a 补拨 or 扣回 entry with a reason.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, NotSet, QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};

use crate::audit::AuditEntry;
use crate::db::{Actor, Store, now};
use crate::entity::{
    ledger_entries, orgs, publications, reminders, selections, subsidy_uses, term_closures,
    term_record_versions, term_records,
};
use crate::error::StoreError;
use crate::scope::Scope;
use crate::selection::{selection_filter, user_names};

/// Longest free text of a term record field, in characters.
pub const TERM_TEXT_MAX: usize = 2000;

/// Whether the person arrived.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum ArrivalState {
    /// Nothing recorded (未填报).
    #[default]
    #[serde(rename = "")]
    Unrecorded,
    /// 已到岗, on a day.
    Arrived,
    /// 未到岗, with a reason.
    Absent,
}

impl ArrivalState {
    pub fn as_str(self) -> &'static str {
        match self {
            ArrivalState::Unrecorded => "",
            ArrivalState::Arrived => "arrived",
            ArrivalState::Absent => "absent",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ArrivalState::Unrecorded => "未填报",
            ArrivalState::Arrived => "已到岗",
            ArrivalState::Absent => "未到岗",
        }
    }
}

impl FromStr for ArrivalState {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<ArrivalState, StoreError> {
        match s {
            "" => Ok(ArrivalState::Unrecorded),
            "arrived" => Ok(ArrivalState::Arrived),
            "absent" => Ok(ArrivalState::Absent),
            other => Err(StoreError::Corrupt(format!("到岗状态「{other}」无法识别"))),
        }
    }
}

/// 考核鉴定.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Assessment {
    /// 优秀.
    Excellent,
    /// 合格.
    Pass,
    /// 不合格.
    Fail,
}

impl Assessment {
    pub const ALL: [Assessment; 3] = [Assessment::Excellent, Assessment::Pass, Assessment::Fail];

    pub fn as_str(self) -> &'static str {
        match self {
            Assessment::Excellent => "excellent",
            Assessment::Pass => "pass",
            Assessment::Fail => "fail",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Assessment::Excellent => "优秀",
            Assessment::Pass => "合格",
            Assessment::Fail => "不合格",
        }
    }

    /// From the stored code or the Chinese label.
    pub fn parse(s: &str) -> Option<Assessment> {
        Assessment::ALL
            .into_iter()
            .find(|a| a.as_str() == s || a.label() == s)
    }
}

/// The content of a term record (one version).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TermContent {
    pub arrival: ArrivalState,
    pub arrived_on: Option<NaiveDate>,
    pub absent_reason: String,
    /// The post actually held (实际岗位).
    pub post: String,
    /// 聘期任务.
    pub tasks: String,
    /// 岗位职责.
    pub duties: String,
    pub assessment: Option<Assessment>,
    /// The assessment's short summary (考核评语).
    pub summary: String,
    /// The sending unit's remark.
    pub sender_remark: String,
}

/// A person on the final list with their term record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermRow {
    pub selection_id: i64,
    pub batch_id: i64,
    pub school_id: i64,
    pub school_name: String,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub name: String,
    /// `school` (a teacher, received by the enterprise) or `enterprise` (an engineer, received by
    /// the school).
    pub direction: String,
    /// The post the person was listed for (拟挂任职务).
    pub listed_post: String,
    pub sending_unit: String,
    pub receiving_unit: String,
    pub term: String,
    /// The organisation that writes the record.
    pub receiver_id: i64,
    /// The organisation that may add a remark.
    pub sender_id: i64,
    /// 0 while nothing is recorded.
    pub version: i32,
    pub content: TermContent,
    pub updated_by: String,
    pub updated_at: Option<DateTime<Utc>>,
}

/// One version of a term record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermVersion {
    pub version: i32,
    pub content: TermContent,
    pub by: String,
    pub at: DateTime<Utc>,
}

/// What a unit changes in a term record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TermChange {
    /// The receiving unit's part: everything but the remark.
    Receiving(TermContent),
    /// The sending unit's remark.
    Remark(String),
}

/// The receiving and the sending organisation of a selection.
fn sides(m: &selections::Model) -> (i64, i64) {
    if m.direction == "enterprise" {
        (m.school_id, m.enterprise_id)
    } else {
        (m.enterprise_id, m.school_id)
    }
}

/// Whether `scope` is exactly the organisation `org`.
fn is_org(scope: &Scope, org: i64) -> bool {
    matches!(*scope, Scope::School(id) | Scope::Enterprise(id) if id == org)
}

/// The selection ids of published final lists, by (publication id, made at), shared by a
/// store's clones.
#[derive(Debug, Clone, Default)]
pub(crate) struct FinalLists(std::sync::Arc<std::sync::Mutex<HashMap<FinalKey, ListedIds>>>);

/// A published final list: its publication id and when it was made (micro-seconds).
type FinalKey = (i64, i64);
/// The selection ids on one final list.
type ListedIds = std::sync::Arc<HashSet<i64>>;

/// The selection ids on the batch's published final list (the newest), `None` before one is
/// published. Only the publication's id is read when its entries were parsed before in this
/// process (see [`FinalLists`]).
pub(crate) async fn final_selection_ids(
    store: &crate::db::Store,
    conn: &impl sea_orm::ConnectionTrait,
    batch_id: i64,
) -> Result<Option<std::sync::Arc<HashSet<i64>>>, StoreError> {
    let published = || {
        publications::Entity::find()
            .filter(publications::Column::BatchId.eq(batch_id))
            .filter(publications::Column::Kind.eq("final"))
            .filter(publications::Column::State.eq("published"))
            .order_by_desc(publications::Column::Id)
    };
    let Some((id, made_at)) = published()
        .select_only()
        .column(publications::Column::Id)
        .column(publications::Column::MadeAt)
        .into_tuple::<(i64, DateTime<Utc>)>()
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let key = (id, made_at.timestamp_micros());
    if let Some(hit) = store.finals.get(key) {
        return Ok(Some(hit));
    }
    let Some(p) = publications::Entity::find_by_id(id).one(conn).await? else {
        return Ok(None);
    };
    // Only the selection of each entry is read (a `PublicEntry` without its public fields).
    #[derive(Deserialize)]
    struct Listed {
        #[serde(default)]
        selection_id: i64,
    }
    let entries: Vec<Listed> = serde_json::from_str(&p.entries)
        .map_err(|e| StoreError::Corrupt(format!("名单 {} 无法读取：{e}", p.id)))?;
    let ids: std::sync::Arc<HashSet<i64>> =
        std::sync::Arc::new(entries.into_iter().map(|e| e.selection_id).collect());
    store.finals.put(key, ids.clone());
    Ok(Some(ids))
}

impl FinalLists {
    fn get(&self, key: (i64, i64)) -> Option<std::sync::Arc<HashSet<i64>>> {
        // A poisoned lock only means a thread panicked while holding it; the map is intact.
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&key).cloned()
    }

    fn put(&self, key: (i64, i64), ids: std::sync::Arc<HashSet<i64>>) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        // Few lists are ever published; keep the map from growing without bound all the same.
        if map.len() >= 64 {
            map.clear();
        }
        map.insert(key, ids);
    }
}

fn content_of(m: &term_records::Model) -> Result<TermContent, StoreError> {
    Ok(TermContent {
        arrival: m.arrival.parse()?,
        arrived_on: m
            .arrived_on
            .as_deref()
            .map(|d| {
                NaiveDate::parse_from_str(d, "%Y-%m-%d")
                    .map_err(|_| StoreError::Corrupt(format!("到岗日期「{d}」无法读取")))
            })
            .transpose()?,
        absent_reason: m.absent_reason.clone(),
        post: m.post.clone(),
        tasks: m.tasks.clone(),
        duties: m.duties.clone(),
        assessment: if m.assessment.is_empty() {
            None
        } else {
            Some(Assessment::parse(&m.assessment).ok_or_else(|| {
                StoreError::Corrupt(format!("考核结果「{}」无法识别", m.assessment))
            })?)
        },
        summary: m.summary.clone(),
        sender_remark: m.sender_remark.clone(),
    })
}

fn too_long(label: &str, text: &str) -> Option<StoreError> {
    (text.chars().count() > TERM_TEXT_MAX)
        .then(|| StoreError::Invalid(format!("「{label}」不超过 {TERM_TEXT_MAX} 字")))
}

/// The ledger entry kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum EntryKind {
    /// 拨付: the subsidy due.
    Grant,
    /// 补拨: paid later on top.
    Supplement,
    /// 扣回: taken back (a negative amount).
    Clawback,
}

impl EntryKind {
    pub const ALL: [EntryKind; 3] = [EntryKind::Grant, EntryKind::Supplement, EntryKind::Clawback];

    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Grant => "grant",
            EntryKind::Supplement => "supplement",
            EntryKind::Clawback => "clawback",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            EntryKind::Grant => "拨付",
            EntryKind::Supplement => "补拨",
            EntryKind::Clawback => "扣回",
        }
    }

    pub fn parse(s: &str) -> Option<EntryKind> {
        EntryKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Where a ledger entry stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum EntryStatus {
    /// 待审批: prepared, waiting for the second 市教委管理员.
    Pending,
    /// 已拨付.
    Paid,
    /// 已撤回: withdrawn before approval.
    Withdrawn,
}

impl EntryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryStatus::Pending => "pending",
            EntryStatus::Paid => "paid",
            EntryStatus::Withdrawn => "withdrawn",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            EntryStatus::Pending => "待审批",
            EntryStatus::Paid => "已拨付",
            EntryStatus::Withdrawn => "已撤回",
        }
    }
}

impl FromStr for EntryStatus {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<EntryStatus, StoreError> {
        match s {
            "pending" => Ok(EntryStatus::Pending),
            "paid" => Ok(EntryStatus::Paid),
            "withdrawn" => Ok(EntryStatus::Withdrawn),
            other => Err(StoreError::Corrupt(format!("拨付状态「{other}」无法识别"))),
        }
    }
}

/// One entry of the subsidy ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    pub id: i64,
    pub batch_id: i64,
    pub school_id: i64,
    pub school_name: String,
    pub kind: EntryKind,
    pub people: i32,
    pub rate: i64,
    /// Signed yuan.
    pub amount: i64,
    pub reason: String,
    pub status: EntryStatus,
    pub paid_on: Option<NaiveDate>,
    pub voucher: String,
    pub prepared_by_id: Option<i64>,
    pub prepared_by: String,
    pub prepared_at: DateTime<Utc>,
    pub approved_by: String,
    pub approved_at: Option<DateTime<Utc>>,
}

/// A ledger entry as the commission prepares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry {
    pub batch_id: i64,
    pub school_id: i64,
    pub kind: EntryKind,
    pub people: i32,
    pub rate: i64,
    pub amount: i64,
    pub reason: String,
    pub paid_on: NaiveDate,
    pub voucher: String,
}

/// A receiving school's report of the use of its subsidy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubsidyUse {
    pub batch_id: i64,
    pub school_id: i64,
    /// (category, yuan) in the batch's order.
    pub amounts: Vec<(String, i64)>,
    pub total: i64,
    pub note: String,
    pub by: String,
    pub at: DateTime<Utc>,
}

/// A reminder sent to a unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reminder {
    pub id: i64,
    pub batch_id: i64,
    pub org_id: i64,
    pub org_name: String,
    /// A stable code of what is behind (e.g. `W04`, `unconfirmed`).
    pub reason: String,
    pub message: String,
    /// `YYYY-MM-DD` in Asia/Shanghai.
    pub day: String,
    pub emailed: bool,
    pub sent_by: String,
    pub sent_at: DateTime<Utc>,
}

async fn org_names(
    conn: &impl sea_orm::ConnectionTrait,
) -> Result<HashMap<i64, orgs::Model>, StoreError> {
    Ok(orgs::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect())
}

fn entry_out(
    m: ledger_entries::Model,
    orgs: &HashMap<i64, orgs::Model>,
    names: &HashMap<i64, String>,
) -> Result<LedgerEntry, StoreError> {
    let name = |id: Option<i64>| id.and_then(|i| names.get(&i).cloned()).unwrap_or_default();
    Ok(LedgerEntry {
        id: m.id,
        batch_id: m.batch_id,
        school_id: m.school_id,
        school_name: orgs
            .get(&m.school_id)
            .map(|o| o.name.clone())
            .unwrap_or_default(),
        kind: EntryKind::parse(&m.kind)
            .ok_or_else(|| StoreError::Corrupt(format!("账目类别「{}」无法识别", m.kind)))?,
        people: m.people,
        rate: m.rate,
        amount: m.amount,
        status: m.status.parse()?,
        paid_on: m
            .paid_on
            .as_deref()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()),
        voucher: m.voucher,
        prepared_by_id: m.prepared_by,
        prepared_by: name(m.prepared_by),
        prepared_at: m.prepared_at,
        approved_by: name(m.approved_by),
        approved_at: m.approved_at,
        reason: m.reason,
    })
}

fn row_out(
    s: selections::Model,
    record: Option<&term_records::Model>,
    orgs: &HashMap<i64, orgs::Model>,
    names: &HashMap<i64, String>,
) -> Result<TermRow, StoreError> {
    let (receiver_id, sender_id) = sides(&s);
    let org_name = |id: i64| orgs.get(&id).map(|o| o.name.clone()).unwrap_or_default();
    Ok(TermRow {
        selection_id: s.id,
        batch_id: s.batch_id,
        school_id: s.school_id,
        school_name: org_name(s.school_id),
        enterprise_id: s.enterprise_id,
        enterprise_name: org_name(s.enterprise_id),
        receiver_id,
        sender_id,
        version: record.map_or(0, |r| r.version),
        content: record.map(content_of).transpose()?.unwrap_or_default(),
        updated_by: record
            .and_then(|r| r.updated_by)
            .and_then(|u| names.get(&u).cloned())
            .unwrap_or_default(),
        updated_at: record.map(|r| r.updated_at),
        name: s.name,
        direction: s.direction,
        listed_post: s.post,
        sending_unit: s.sending_unit,
        receiving_unit: s.receiving_unit,
        term: s.term,
    })
}

impl Store {
    /// Whether the batch has a published final list (only ids are read, not the list).
    pub async fn has_published_final(&self, batch_id: i64) -> Result<bool, StoreError> {
        Ok(publications::Entity::find()
            .select_only()
            .column(publications::Column::Id)
            .filter(publications::Column::BatchId.eq(batch_id))
            .filter(publications::Column::Kind.eq("final"))
            .filter(publications::Column::State.eq("published"))
            .into_tuple::<i64>()
            .one(self.conn())
            .await?
            .is_some())
    }

    /// The people on the batch's final list within `scope`, with their term records, in school,
    /// form and row order. Empty while no final list is published.
    pub async fn term_rows(
        &self,
        scope: &Scope,
        batch_id: i64,
    ) -> Result<Vec<TermRow>, StoreError> {
        let Some(listed) = final_selection_ids(self, self.conn(), batch_id).await? else {
            return Ok(Vec::new());
        };
        let sels = selections::Entity::find()
            .filter(selections::Column::BatchId.eq(batch_id))
            .filter(selection_filter(scope))
            .order_by_asc(selections::Column::SchoolId)
            .order_by_asc(selections::Column::FormId)
            .order_by_asc(selections::Column::RowNo)
            .all(self.conn())
            .await?;
        let records: HashMap<i64, term_records::Model> = term_records::Entity::find()
            .filter(term_records::Column::BatchId.eq(batch_id))
            .all(self.conn())
            .await?
            .into_iter()
            .map(|r| (r.selection_id, r))
            .collect();
        let orgs = org_names(self.conn()).await?;
        let names = user_names(self.conn()).await?;
        sels.into_iter()
            .filter(|s| listed.contains(&s.id))
            .map(|s| {
                let record = records.get(&s.id);
                row_out(s, record, &orgs, &names)
            })
            .collect()
    }

    /// One person's term within `scope` (`None` when out of scope or not on the final list).
    pub async fn term_row(
        &self,
        scope: &Scope,
        selection_id: i64,
    ) -> Result<Option<TermRow>, StoreError> {
        let Some(s) = selections::Entity::find_by_id(selection_id)
            .filter(selection_filter(scope))
            .one(self.conn())
            .await?
        else {
            return Ok(None);
        };
        let listed = final_selection_ids(self, self.conn(), s.batch_id).await?;
        if !listed.is_some_and(|l| l.contains(&s.id)) {
            return Ok(None);
        }
        let record = term_records::Entity::find()
            .filter(term_records::Column::SelectionId.eq(selection_id))
            .one(self.conn())
            .await?;
        let orgs = org_names(self.conn()).await?;
        let names = user_names(self.conn()).await?;
        row_out(s, record.as_ref(), &orgs, &names).map(Some)
    }

    /// Every version of a person's term record, oldest first (empty when out of scope).
    pub async fn term_versions(
        &self,
        scope: &Scope,
        selection_id: i64,
    ) -> Result<Vec<TermVersion>, StoreError> {
        if self.term_row(scope, selection_id).await?.is_none() {
            return Ok(Vec::new());
        }
        let Some(record) = term_records::Entity::find()
            .filter(term_records::Column::SelectionId.eq(selection_id))
            .one(self.conn())
            .await?
        else {
            return Ok(Vec::new());
        };
        let names = user_names(self.conn()).await?;
        term_record_versions::Entity::find()
            .filter(term_record_versions::Column::RecordId.eq(record.id))
            .order_by_asc(term_record_versions::Column::Version)
            .all(self.conn())
            .await?
            .into_iter()
            .map(|v| {
                Ok(TermVersion {
                    version: v.version,
                    content: serde_json::from_str(&v.content).map_err(|e| {
                        StoreError::Corrupt(format!("聘期记录第 {} 版无法读取：{e}", v.version))
                    })?,
                    by: v
                        .user_id
                        .and_then(|u| names.get(&u).cloned())
                        .unwrap_or_default(),
                    at: v.at,
                })
            })
            .collect()
    }

    /// Writes a new version of a person's term record. The receiving unit writes everything but
    /// the remark; the sending unit only the remark. `expected` is the version the writer read
    /// (0 for none). Refused once the term is closed. Out of scope or off the final list is
    /// [`StoreError::NotFound`].
    pub async fn save_term(
        &self,
        scope: &Scope,
        selection_id: i64,
        expected: i32,
        change: &TermChange,
        actor: &Actor,
    ) -> Result<TermRow, StoreError> {
        match change {
            TermChange::Receiving(c) => {
                for (label, text) in [
                    ("未到岗原因", &c.absent_reason),
                    ("实际岗位", &c.post),
                    ("聘期任务", &c.tasks),
                    ("岗位职责", &c.duties),
                    ("考核评语", &c.summary),
                ] {
                    if let Some(e) = too_long(label, text) {
                        return Err(e);
                    }
                }
            }
            TermChange::Remark(r) => {
                if let Some(e) = too_long("派出单位意见", r) {
                    return Err(e);
                }
            }
        }
        let tx = self.begin_write().await?;
        let Some(sel) = selections::Entity::find_by_id(selection_id)
            .filter(selection_filter(scope))
            .one(tx.conn())
            .await?
        else {
            return Err(StoreError::NotFound("聘期记录"));
        };
        let listed = final_selection_ids(self, tx.conn(), sel.batch_id).await?;
        if !listed.is_some_and(|l| l.contains(&sel.id)) {
            return Err(StoreError::NotFound("聘期记录"));
        }
        if term_closures::Entity::find()
            .filter(term_closures::Column::BatchId.eq(sel.batch_id))
            .one(tx.conn())
            .await?
            .is_some()
        {
            return Err(StoreError::State(
                "市教委已结束本批聘期，聘期记录已冻结，不能再修改".to_string(),
            ));
        }
        let (receiver, sender) = sides(&sel);
        match change {
            TermChange::Receiving(_) if !is_org(scope, receiver) => {
                return Err(StoreError::State(format!(
                    "到岗、岗位与考核由接收单位「{}」填报；派出单位只能填写意见",
                    sel.receiving_unit
                )));
            }
            TermChange::Remark(_) if !is_org(scope, sender) => {
                return Err(StoreError::State(format!(
                    "派出单位意见由派出单位「{}」填写",
                    sel.sending_unit
                )));
            }
            _ => {}
        }
        let old = term_records::Entity::find()
            .filter(term_records::Column::SelectionId.eq(selection_id))
            .one(tx.conn())
            .await?;
        let current = old.as_ref().map_or(0, |r| r.version);
        if current != expected {
            return Err(StoreError::VersionConflict { expected, current });
        }
        let before = old
            .as_ref()
            .map(content_of)
            .transpose()?
            .unwrap_or_default();
        let content = match change {
            TermChange::Receiving(c) => TermContent {
                sender_remark: before.sender_remark.clone(),
                ..c.clone()
            },
            TermChange::Remark(r) => TermContent {
                sender_remark: r.trim().to_owned(),
                ..before.clone()
            },
        };
        if content == before && old.is_some() {
            drop(tx);
            return self
                .term_row(scope, selection_id)
                .await?
                .ok_or(StoreError::NotFound("聘期记录"));
        }
        let at = now();
        let version = current + 1;
        let model = term_records::ActiveModel {
            id: old.as_ref().map_or(NotSet, |r| Set(r.id)),
            selection_id: Set(selection_id),
            batch_id: Set(sel.batch_id),
            version: Set(version),
            arrival: Set(content.arrival.as_str().to_owned()),
            arrived_on: Set(content.arrived_on.map(|d| d.format("%Y-%m-%d").to_string())),
            absent_reason: Set(content.absent_reason.clone()),
            post: Set(content.post.clone()),
            tasks: Set(content.tasks.clone()),
            duties: Set(content.duties.clone()),
            assessment: Set(content
                .assessment
                .map_or(String::new(), |a| a.as_str().to_owned())),
            summary: Set(content.summary.clone()),
            sender_remark: Set(content.sender_remark.clone()),
            updated_by: Set(actor.user_id),
            updated_at: Set(at),
        };
        let record_id = if old.is_some() {
            term_records::Entity::update(model)
                .exec(tx.conn())
                .await?
                .id
        } else {
            term_records::Entity::insert(model)
                .exec(tx.conn())
                .await?
                .last_insert_id
        };
        let json = serde_json::to_string(&content)
            .map_err(|e| StoreError::Corrupt(format!("聘期记录无法保存：{e}")))?;
        term_record_versions::Entity::insert(term_record_versions::ActiveModel {
            id: NotSet,
            record_id: Set(record_id),
            version: Set(version),
            content: Set(json),
            user_id: Set(actor.user_id),
            at: Set(at),
        })
        .exec(tx.conn())
        .await?;
        let (action, detail) = match change {
            TermChange::Receiving(_) => (
                "term.record",
                format!(
                    "{} v{version}: arrival {} → {}, assessment {} → {}",
                    sel.name,
                    before.arrival.label(),
                    content.arrival.label(),
                    before.assessment.map_or("未填报", |a| a.label()),
                    content.assessment.map_or("未填报", |a| a.label()),
                ),
            ),
            TermChange::Remark(_) => ("term.remark", format!("{} v{version}", sel.name)),
        };
        self.commit_audited(
            tx,
            AuditEntry::new(actor, action, format!("selection:{selection_id}"), detail),
        )
        .await?;
        self.term_row(scope, selection_id)
            .await?
            .ok_or(StoreError::NotFound("聘期记录"))
    }

    /// When the commission closed the batch's term, if it has.
    pub async fn term_closed_at(&self, batch_id: i64) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(term_closures::Entity::find()
            .filter(term_closures::Column::BatchId.eq(batch_id))
            .one(self.conn())
            .await?
            .map(|c| c.closed_at))
    }

    /// Closes the batch's term: every record is frozen. Refused before a final list is published
    /// and when already closed.
    pub async fn close_term(&self, batch_id: i64, actor: &Actor) -> Result<(), StoreError> {
        let tx = self.begin_write().await?;
        if final_selection_ids(self, tx.conn(), batch_id)
            .await?
            .is_none()
        {
            return Err(StoreError::State(
                "正式名单尚未公布，没有可结束的聘期".to_string(),
            ));
        }
        if term_closures::Entity::find()
            .filter(term_closures::Column::BatchId.eq(batch_id))
            .one(tx.conn())
            .await?
            .is_some()
        {
            return Err(StoreError::State("本批聘期已经结束".to_string()));
        }
        term_closures::Entity::insert(term_closures::ActiveModel {
            id: NotSet,
            batch_id: Set(batch_id),
            closed_by: Set(actor.user_id),
            closed_at: Set(now()),
        })
        .exec(tx.conn())
        .await?;
        self.commit_audited(
            tx,
            AuditEntry::new(
                actor,
                "term.close",
                format!("batch:{batch_id}"),
                "聘期结束，记录冻结",
            ),
        )
        .await?;
        Ok(())
    }

    /// The ledger entries of a batch (of one school when `school` is given), oldest first.
    pub async fn ledger_entries(
        &self,
        batch_id: i64,
        school: Option<i64>,
    ) -> Result<Vec<LedgerEntry>, StoreError> {
        let mut q =
            ledger_entries::Entity::find().filter(ledger_entries::Column::BatchId.eq(batch_id));
        if let Some(s) = school {
            q = q.filter(ledger_entries::Column::SchoolId.eq(s));
        }
        let rows = q
            .order_by_asc(ledger_entries::Column::Id)
            .all(self.conn())
            .await?;
        let orgs = org_names(self.conn()).await?;
        let names = user_names(self.conn()).await?;
        rows.into_iter()
            .map(|m| entry_out(m, &orgs, &names))
            .collect()
    }

    /// Prepares a ledger entry. With `needs_approval` it waits (待审批) for a second
    /// 市教委管理员; without, it is paid at once. Refused while the school has an entry waiting.
    /// The application decides the amount; the store keeps the entry and never edits it.
    pub async fn prepare_entry(
        &self,
        e: &NewEntry,
        needs_approval: bool,
        actor: &Actor,
    ) -> Result<LedgerEntry, StoreError> {
        if e.reason.chars().count() > 500 || e.voucher.chars().count() > 64 {
            return Err(StoreError::Invalid(
                "说明不超过 500 字，凭证号不超过 64 个字符".to_string(),
            ));
        }
        let tx = self.begin_write().await?;
        if ledger_entries::Entity::find()
            .filter(ledger_entries::Column::BatchId.eq(e.batch_id))
            .filter(ledger_entries::Column::SchoolId.eq(e.school_id))
            .filter(ledger_entries::Column::Status.eq(EntryStatus::Pending.as_str()))
            .one(tx.conn())
            .await?
            .is_some()
        {
            return Err(StoreError::State(
                "该校已有一笔待审批的拨付，请先审批或撤回后再新增".to_string(),
            ));
        }
        if !e.voucher.is_empty()
            && ledger_entries::Entity::find()
                .filter(ledger_entries::Column::BatchId.eq(e.batch_id))
                .filter(ledger_entries::Column::Voucher.eq(e.voucher.clone()))
                .filter(ledger_entries::Column::Status.ne(EntryStatus::Withdrawn.as_str()))
                .one(tx.conn())
                .await?
                .is_some()
        {
            return Err(StoreError::Conflict(format!(
                "凭证号「{}」已在本批账目中使用；每笔拨付的凭证号应不同",
                e.voucher
            )));
        }
        let at = now();
        let status = if needs_approval {
            EntryStatus::Pending
        } else {
            EntryStatus::Paid
        };
        let id = ledger_entries::Entity::insert(ledger_entries::ActiveModel {
            id: NotSet,
            batch_id: Set(e.batch_id),
            school_id: Set(e.school_id),
            kind: Set(e.kind.as_str().to_owned()),
            people: Set(e.people),
            rate: Set(e.rate),
            amount: Set(e.amount),
            reason: Set(e.reason.trim().to_owned()),
            status: Set(status.as_str().to_owned()),
            paid_on: Set(Some(e.paid_on.format("%Y-%m-%d").to_string())),
            voucher: Set(e.voucher.trim().to_owned()),
            prepared_by: Set(actor.user_id),
            prepared_at: Set(at),
            approved_by: Set(None),
            approved_at: Set((!needs_approval).then_some(at)),
        })
        .exec(tx.conn())
        .await?
        .last_insert_id;
        self.commit_audited(
            tx,
            AuditEntry::new(
                actor,
                "ledger.prepare",
                format!("ledger:{id}"),
                format!(
                    "school:{} {} {} 元（{} 人 × {} 元）{} 凭证 {}",
                    e.school_id,
                    e.kind.label(),
                    e.amount,
                    e.people,
                    e.rate,
                    status.label(),
                    e.voucher
                ),
            ),
        )
        .await?;
        self.ledger_entry(id).await
    }

    async fn ledger_entry(&self, id: i64) -> Result<LedgerEntry, StoreError> {
        let m = ledger_entries::Entity::find_by_id(id)
            .one(self.conn())
            .await?
            .ok_or(StoreError::NotFound("拨付记录"))?;
        let orgs = org_names(self.conn()).await?;
        let names = user_names(self.conn()).await?;
        entry_out(m, &orgs, &names)
    }

    /// Approves a waiting entry: it becomes 已拨付. The approver cannot be the one who prepared it.
    pub async fn approve_entry(&self, id: i64, actor: &Actor) -> Result<LedgerEntry, StoreError> {
        let tx = self.begin_write().await?;
        let m = ledger_entries::Entity::find_by_id(id)
            .one(tx.conn())
            .await?
            .ok_or(StoreError::NotFound("拨付记录"))?;
        if m.status != EntryStatus::Pending.as_str() {
            return Err(StoreError::State("该笔拨付不在待审批状态".to_string()));
        }
        if m.prepared_by.is_some() && m.prepared_by == actor.user_id {
            return Err(StoreError::State(
                "拨付须由另一位市教委管理员审批，经办人不能审批自己经办的拨付".to_string(),
            ));
        }
        ledger_entries::Entity::update_many()
            .col_expr(
                ledger_entries::Column::Status,
                Expr::value(EntryStatus::Paid.as_str()),
            )
            .col_expr(
                ledger_entries::Column::ApprovedBy,
                Expr::value(actor.user_id),
            )
            .col_expr(ledger_entries::Column::ApprovedAt, Expr::value(Some(now())))
            .filter(ledger_entries::Column::Id.eq(id))
            .exec(tx.conn())
            .await?;
        self.commit_audited(
            tx,
            AuditEntry::new(
                actor,
                "ledger.approve",
                format!("ledger:{id}"),
                format!("school:{} {} 元 已拨付", m.school_id, m.amount),
            ),
        )
        .await?;
        self.ledger_entry(id).await
    }

    /// Withdraws a waiting entry (it stays in the ledger as 已撤回).
    pub async fn withdraw_entry(&self, id: i64, actor: &Actor) -> Result<(), StoreError> {
        let tx = self.begin_write().await?;
        let m = ledger_entries::Entity::find_by_id(id)
            .one(tx.conn())
            .await?
            .ok_or(StoreError::NotFound("拨付记录"))?;
        if m.status != EntryStatus::Pending.as_str() {
            return Err(StoreError::State(
                "只有待审批的拨付可以撤回；已拨付的请新增补拨或扣回".to_string(),
            ));
        }
        ledger_entries::Entity::update_many()
            .col_expr(
                ledger_entries::Column::Status,
                Expr::value(EntryStatus::Withdrawn.as_str()),
            )
            .filter(ledger_entries::Column::Id.eq(id))
            .exec(tx.conn())
            .await?;
        self.commit_audited(
            tx,
            AuditEntry::new(
                actor,
                "ledger.withdraw",
                format!("ledger:{id}"),
                format!("school:{} {} 元", m.school_id, m.amount),
            ),
        )
        .await?;
        Ok(())
    }

    /// Stores (replaces) a school's report of the use of its subsidy.
    pub async fn report_use(
        &self,
        batch_id: i64,
        school_id: i64,
        amounts: &[(String, i64)],
        note: &str,
        actor: &Actor,
    ) -> Result<SubsidyUse, StoreError> {
        if note.chars().count() > 1000 {
            return Err(StoreError::Invalid("说明不超过 1000 字".to_string()));
        }
        let total: i64 = amounts.iter().map(|(_, v)| *v).sum();
        let json = serde_json::to_string(amounts)
            .map_err(|e| StoreError::Corrupt(format!("经费使用情况无法保存：{e}")))?;
        let tx = self.begin_write().await?;
        if term_closures::Entity::find()
            .filter(term_closures::Column::BatchId.eq(batch_id))
            .one(tx.conn())
            .await?
            .is_some()
        {
            return Err(StoreError::State(
                "市教委已结束本批聘期，经费使用情况已冻结".to_string(),
            ));
        }
        subsidy_uses::Entity::delete_many()
            .filter(subsidy_uses::Column::BatchId.eq(batch_id))
            .filter(subsidy_uses::Column::SchoolId.eq(school_id))
            .exec(tx.conn())
            .await?;
        subsidy_uses::Entity::insert(subsidy_uses::ActiveModel {
            id: NotSet,
            batch_id: Set(batch_id),
            school_id: Set(school_id),
            amounts: Set(json),
            total: Set(total),
            note: Set(note.trim().to_owned()),
            user_id: Set(actor.user_id),
            at: Set(now()),
        })
        .exec(tx.conn())
        .await?;
        let detail = amounts
            .iter()
            .map(|(c, v)| format!("{c} {v}"))
            .collect::<Vec<_>>()
            .join("，");
        self.commit_audited(
            tx,
            AuditEntry::new(
                actor,
                "subsidy.use",
                format!("org:{school_id}"),
                format!("batch:{batch_id} 合计 {total} 元：{detail}"),
            ),
        )
        .await?;
        self.subsidy_uses(batch_id)
            .await?
            .into_iter()
            .find(|u| u.school_id == school_id)
            .ok_or(StoreError::NotFound("经费使用情况"))
    }

    /// Every school's report of the use of its subsidy in a batch.
    pub async fn subsidy_uses(&self, batch_id: i64) -> Result<Vec<SubsidyUse>, StoreError> {
        let names = user_names(self.conn()).await?;
        subsidy_uses::Entity::find()
            .filter(subsidy_uses::Column::BatchId.eq(batch_id))
            .order_by_asc(subsidy_uses::Column::SchoolId)
            .all(self.conn())
            .await?
            .into_iter()
            .map(|m| {
                Ok(SubsidyUse {
                    batch_id: m.batch_id,
                    school_id: m.school_id,
                    amounts: serde_json::from_str(&m.amounts)
                        .map_err(|e| StoreError::Corrupt(format!("经费使用情况无法读取：{e}")))?,
                    total: m.total,
                    note: m.note,
                    by: m
                        .user_id
                        .and_then(|u| names.get(&u).cloned())
                        .unwrap_or_default(),
                    at: m.at,
                })
            })
            .collect()
    }

    /// Records a reminder to `org_id` for `reason` on `day` (Asia/Shanghai, `YYYY-MM-DD`).
    /// `None` when that unit was already reminded of that reason that day.
    pub async fn send_reminder(
        &self,
        batch_id: i64,
        org_id: i64,
        reason: &str,
        message: &str,
        day: &str,
        actor: &Actor,
    ) -> Result<Option<Reminder>, StoreError> {
        let tx = self.begin_write().await?;
        if reminders::Entity::find()
            .filter(reminders::Column::BatchId.eq(batch_id))
            .filter(reminders::Column::OrgId.eq(org_id))
            .filter(reminders::Column::Reason.eq(reason))
            .filter(reminders::Column::Day.eq(day))
            .one(tx.conn())
            .await?
            .is_some()
        {
            return Ok(None);
        }
        let id = reminders::Entity::insert(reminders::ActiveModel {
            id: NotSet,
            batch_id: Set(batch_id),
            org_id: Set(org_id),
            reason: Set(reason.to_owned()),
            message: Set(message.to_owned()),
            day: Set(day.to_owned()),
            emailed: Set(false),
            sent_by: Set(actor.user_id),
            sent_at: Set(now()),
        })
        .exec(tx.conn())
        .await?
        .last_insert_id;
        self.commit_audited(
            tx,
            AuditEntry::new(
                actor,
                "reminder.send",
                format!("org:{org_id}"),
                format!("batch:{batch_id} {reason}：{message}"),
            ),
        )
        .await?;
        Ok(self
            .reminders(batch_id, Some(org_id))
            .await?
            .into_iter()
            .find(|r| r.id == id))
    }

    /// Marks a reminder as e-mailed.
    pub async fn mark_emailed(&self, id: i64) -> Result<(), StoreError> {
        reminders::Entity::update_many()
            .col_expr(reminders::Column::Emailed, Expr::value(true))
            .filter(reminders::Column::Id.eq(id))
            .exec(self.conn())
            .await?;
        Ok(())
    }

    /// The reminders of a batch (to one unit when `org` is given), newest first.
    pub async fn reminders(
        &self,
        batch_id: i64,
        org: Option<i64>,
    ) -> Result<Vec<Reminder>, StoreError> {
        let mut q = reminders::Entity::find().filter(reminders::Column::BatchId.eq(batch_id));
        if let Some(o) = org {
            q = q.filter(reminders::Column::OrgId.eq(o));
        }
        let rows = q
            .order_by_desc(reminders::Column::Id)
            .all(self.conn())
            .await?;
        let orgs = org_names(self.conn()).await?;
        let names = user_names(self.conn()).await?;
        Ok(rows
            .into_iter()
            .map(|m| Reminder {
                id: m.id,
                batch_id: m.batch_id,
                org_id: m.org_id,
                org_name: orgs
                    .get(&m.org_id)
                    .map(|o| o.name.clone())
                    .unwrap_or_default(),
                reason: m.reason,
                message: m.message,
                day: m.day,
                emailed: m.emailed,
                sent_by: m
                    .sent_by
                    .and_then(|u| names.get(&u).cloned())
                    .unwrap_or_default(),
                sent_at: m.sent_at,
            })
            .collect())
    }
}
