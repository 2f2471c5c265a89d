//! The second half of a batch: the copies sent to the oversight bodies, 遴选, their opinions, the
//! 公示 with its objections, and the final list (公布) with its revisions.
//!
//! - A copy is routed when the school submits ([`Store::submit`] writes one per form); an
//!   oversight scope reads only what was routed to it, never a draft.
//! - Every person of an accepted submission becomes a selection (待遴选) in the transaction that
//!   accepts it ([`Store::review`] with the candidates the application read from the snapshot).
//! - A publication freezes the public fields of the selected people as JSON. The public reads
//!   ([`Store::public_list`]) read only published publications.
//! - After a final list is published the selections are frozen until the commission opens a
//!   correction (a new revision, approved like the first).

use std::collections::HashMap;
use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, NotSet, PaginatorTrait,
    QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};

use crate::audit::AuditEntry;
use crate::db::{Actor, Store, Tx, db_time, now};
use crate::entity::{
    batches, copies, objections, opinions, orgs, publications, selections, submission_versions,
    submissions, users,
};
use crate::error::StoreError;
use crate::scope::{PRIVATE_KIND, STATE_OWNED_KIND, Scope};

/// Where a person stands in the selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SelectionStatus {
    /// 待遴选.
    Pending,
    /// 入选.
    Selected,
    /// 未入选 (with a reason).
    Rejected,
}

impl SelectionStatus {
    pub const ALL: [SelectionStatus; 3] = [
        SelectionStatus::Pending,
        SelectionStatus::Selected,
        SelectionStatus::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SelectionStatus::Pending => "pending",
            SelectionStatus::Selected => "selected",
            SelectionStatus::Rejected => "rejected",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SelectionStatus::Pending => "待遴选",
            SelectionStatus::Selected => "入选",
            SelectionStatus::Rejected => "未入选",
        }
    }
}

impl FromStr for SelectionStatus {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<SelectionStatus, StoreError> {
        match s {
            "pending" => Ok(SelectionStatus::Pending),
            "selected" => Ok(SelectionStatus::Selected),
            "rejected" => Ok(SelectionStatus::Rejected),
            other => Err(StoreError::Corrupt(format!("遴选状态「{other}」无法识别"))),
        }
    }
}

/// The stored name of the copy target of a form with no oversight body (未分送).
pub const UNROUTED: &str = "none";

/// A person of an accepted submission, as the application read it from the snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub form_id: i64,
    pub enterprise_id: i64,
    /// The sheet row (5 for the first person), as findings and the people index number it.
    pub row_no: i32,
    pub name: String,
    /// `school`, `enterprise`, or "" when the rules could not decide.
    pub direction: String,
    pub post: String,
    pub sending_unit: String,
    pub receiving_unit: String,
    pub term: String,
}

/// An oversight body's opinion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Opinion {
    /// `sasac` or `federation`.
    pub body: String,
    /// `agree` (无异议) or `object` (有异议).
    pub opinion: String,
    pub reason: String,
    pub by: String,
    pub at: DateTime<Utc>,
}

impl Opinion {
    pub fn label(&self) -> &'static str {
        if self.opinion == "object" {
            "有异议"
        } else {
            "无异议"
        }
    }

    pub fn body_label(&self) -> &'static str {
        shuangshi_rules::Oversight::parse(&self.body).map_or("", |b| b.label())
    }
}

/// A person in the selection, with the names of the units and the opinions given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectionRecord {
    pub id: i64,
    pub batch_id: i64,
    pub school_id: i64,
    pub school_name: String,
    pub school_tier: String,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub enterprise_kind: String,
    pub submission_version_id: i64,
    pub form_id: i64,
    pub row_no: i32,
    pub name: String,
    pub direction: String,
    pub post: String,
    pub sending_unit: String,
    pub receiving_unit: String,
    pub term: String,
    /// Copy target: `sasac`, `federation` or [`UNROUTED`].
    pub body: String,
    pub status: SelectionStatus,
    pub reason: String,
    pub decided_at: Option<DateTime<Utc>>,
    pub opinions: Vec<Opinion>,
}

/// A routed copy of a submitted form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyRecord {
    pub id: i64,
    pub batch_id: i64,
    pub school_id: i64,
    pub submission_version_id: i64,
    pub form_id: i64,
    pub enterprise_id: i64,
    pub body: String,
    pub routed_at: DateTime<Utc>,
}

/// One line of a published list: the public fields only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicEntry {
    /// 序号, from 1.
    pub seq: u32,
    pub name: String,
    pub sending_unit: String,
    pub receiving_unit: String,
    pub post: String,
    pub term: String,
    /// 学校派出 / 企业派出.
    pub direction: String,
    /// The selection it was made from (kept for objections; never shown).
    #[serde(default)]
    pub selection_id: i64,
}

/// 公示 or 公布.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PublicationKind {
    /// 公示 (preliminary list, objections taken).
    Publicity,
    /// 公布 (the final list).
    Final,
}

impl PublicationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PublicationKind::Publicity => "publicity",
            PublicationKind::Final => "final",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PublicationKind::Publicity => "公示名单",
            PublicationKind::Final => "正式名单",
        }
    }
}

/// Where a publication stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PublicationState {
    /// A correction opened after a final list (selections editable again).
    Draft,
    /// Waiting for a second 市教委管理员.
    Pending,
    /// Public.
    Published,
    /// Replaced by a later revision.
    Superseded,
}

impl PublicationState {
    pub fn as_str(self) -> &'static str {
        match self {
            PublicationState::Draft => "draft",
            PublicationState::Pending => "pending",
            PublicationState::Published => "published",
            PublicationState::Superseded => "superseded",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PublicationState::Draft => "更正中",
            PublicationState::Pending => "待复核",
            PublicationState::Published => "已发布",
            PublicationState::Superseded => "已被新版本替代",
        }
    }
}

fn kind_of(s: &str) -> Result<PublicationKind, StoreError> {
    match s {
        "publicity" => Ok(PublicationKind::Publicity),
        "final" => Ok(PublicationKind::Final),
        other => Err(StoreError::Corrupt(format!("名单类型「{other}」无法识别"))),
    }
}

fn state_of(s: &str) -> Result<PublicationState, StoreError> {
    match s {
        "draft" => Ok(PublicationState::Draft),
        "pending" => Ok(PublicationState::Pending),
        "published" => Ok(PublicationState::Published),
        "superseded" => Ok(PublicationState::Superseded),
        other => Err(StoreError::Corrupt(format!("名单状态「{other}」无法识别"))),
    }
}

/// A 公示 or a final list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publication {
    pub id: i64,
    pub batch_id: i64,
    pub kind: PublicationKind,
    pub revision: i32,
    pub state: PublicationState,
    pub entries: Vec<PublicEntry>,
    pub note: String,
    pub opens_at: Option<DateTime<Utc>>,
    pub closes_at: Option<DateTime<Utc>>,
    pub made_by: Option<i64>,
    pub made_by_name: String,
    pub made_at: DateTime<Utc>,
    pub approved_by: Option<i64>,
    pub approved_by_name: String,
    pub published_at: Option<DateTime<Utc>>,
}

impl Publication {
    /// Whether objections are taken at `at`.
    pub fn is_open(&self, at: DateTime<Utc>) -> bool {
        self.kind == PublicationKind::Publicity
            && self.state == PublicationState::Published
            && self.opens_at.is_none_or(|o| o <= at)
            && self.closes_at.is_some_and(|c| at <= c)
    }
}

/// What the public sees of a batch: its name and the list in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicList {
    pub batch_id: i64,
    pub batch_number: u32,
    pub batch_name: String,
    pub term: String,
    /// Whom the public writes to with an objection (the batch's `publicity.contact`).
    pub contact: String,
    /// The working days of the objection window.
    pub working_days: u32,
    pub publication: Publication,
}

/// Where an objection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjectionStatus {
    /// 待处理.
    Open,
    /// 异议成立.
    Upheld,
    /// 异议不成立.
    Dismissed,
}

impl ObjectionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectionStatus::Open => "open",
            ObjectionStatus::Upheld => "upheld",
            ObjectionStatus::Dismissed => "dismissed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ObjectionStatus::Open => "待处理",
            ObjectionStatus::Upheld => "异议成立",
            ObjectionStatus::Dismissed => "异议不成立",
        }
    }
}

fn objection_status(s: &str) -> Result<ObjectionStatus, StoreError> {
    match s {
        "open" => Ok(ObjectionStatus::Open),
        "upheld" => Ok(ObjectionStatus::Upheld),
        "dismissed" => Ok(ObjectionStatus::Dismissed),
        other => Err(StoreError::Corrupt(format!("异议状态「{other}」无法识别"))),
    }
}

/// An objection sent during a 公示.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Objection {
    pub id: i64,
    pub publication_id: i64,
    pub batch_id: i64,
    pub selection_id: Option<i64>,
    /// The person objected to, as the list names them.
    pub person: String,
    pub contact: String,
    pub body: String,
    pub status: ObjectionStatus,
    pub note: String,
    pub handled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// An objection as the public sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewObjection {
    pub batch_number: u32,
    /// 序号 on the 公示 list (0: not about one person).
    pub seq: u32,
    pub contact: String,
    pub body: String,
    /// A keyed hash of the sender's address (for the rate limit; never the address).
    pub address_key: String,
}

/// How many objections one address may send within an hour, and within a day.
pub const OBJECTIONS_PER_HOUR: u64 = 3;
pub const OBJECTIONS_PER_DAY: u64 = 10;

/// The condition on `selections` for a scope (decided in `scope.rs`).
pub(crate) fn selection_filter(scope: &Scope) -> Condition {
    scope.routed_filter(
        selections::Column::SchoolId,
        selections::Column::EnterpriseId,
        selections::Column::Body,
    )
}

/// The condition on `copies` for a scope (decided in `scope.rs`).
fn copy_filter(scope: &Scope) -> Condition {
    scope.routed_filter(
        copies::Column::SchoolId,
        copies::Column::EnterpriseId,
        copies::Column::Body,
    )
}

/// The oversight body a scope speaks for.
fn body_of(scope: &Scope) -> Option<shuangshi_rules::Oversight> {
    match scope {
        Scope::StateOwnedRows => Some(shuangshi_rules::Oversight::StateAssets),
        Scope::PrivateRows => Some(shuangshi_rules::Oversight::Federation),
        _ => None,
    }
}

/// The copies of a version's forms: the body of each form, decided by the enterprise's kind and
/// 隶属关系 (`shuangshi_rules::copy_to`).
pub(crate) async fn route_copies(
    tx: &Tx,
    params: &shuangshi_rules::Batch,
    batch_id: i64,
    school_id: i64,
    version_id: i64,
    forms: &[(i64, i64, i64)],
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    for &(form_id, partnership_id, enterprise_id) in forms {
        let org = orgs::Entity::find_by_id(enterprise_id)
            .one(tx.conn())
            .await?;
        let body = org
            .as_ref()
            .and_then(|o| shuangshi_rules::copy_to(params, &o.category, &o.affiliation))
            .map_or(UNROUTED, |b| b.as_str());
        copies::Entity::insert(copies::ActiveModel {
            id: NotSet,
            batch_id: Set(batch_id),
            school_id: Set(school_id),
            submission_version_id: Set(version_id),
            form_id: Set(form_id),
            partnership_id: Set(partnership_id),
            enterprise_id: Set(enterprise_id),
            body: Set(body.to_owned()),
            routed_at: Set(at),
        })
        .exec(tx.conn())
        .await?;
    }
    Ok(())
}

/// The people of an accepted version, written as 待遴选 with the body of their form's copy.
pub(crate) async fn create_selections(
    tx: &Tx,
    batch_id: i64,
    school_id: i64,
    version_id: i64,
    candidates: &[Candidate],
) -> Result<(), StoreError> {
    let routed: HashMap<i64, String> = copies::Entity::find()
        .filter(copies::Column::SubmissionVersionId.eq(version_id))
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|c| (c.form_id, c.body))
        .collect();
    let at = now();
    for c in candidates {
        selections::Entity::insert(selections::ActiveModel {
            id: NotSet,
            batch_id: Set(batch_id),
            school_id: Set(school_id),
            enterprise_id: Set(c.enterprise_id),
            submission_version_id: Set(version_id),
            form_id: Set(c.form_id),
            row_no: Set(c.row_no),
            name: Set(c.name.clone()),
            direction: Set(c.direction.clone()),
            post: Set(c.post.clone()),
            sending_unit: Set(c.sending_unit.clone()),
            receiving_unit: Set(c.receiving_unit.clone()),
            term: Set(c.term.clone()),
            body: Set(routed
                .get(&c.form_id)
                .cloned()
                .unwrap_or_else(|| UNROUTED.to_owned())),
            status: Set(SelectionStatus::Pending.as_str().to_owned()),
            reason: Set(String::new()),
            decided_by: Set(None),
            decided_at: Set(None),
            created_at: Set(at),
        })
        .exec(tx.conn())
        .await?;
    }
    Ok(())
}

fn publication_out(
    m: publications::Model,
    names: &HashMap<i64, String>,
) -> Result<Publication, StoreError> {
    let entries: Vec<PublicEntry> = serde_json::from_str(&m.entries)
        .map_err(|e| StoreError::Corrupt(format!("名单 {} 无法读取：{e}", m.id)))?;
    let name = |id: Option<i64>| id.and_then(|i| names.get(&i).cloned()).unwrap_or_default();
    Ok(Publication {
        id: m.id,
        batch_id: m.batch_id,
        kind: kind_of(&m.kind)?,
        revision: m.revision,
        state: state_of(&m.state)?,
        entries,
        note: m.note,
        opens_at: m.opens_at,
        closes_at: m.closes_at,
        made_by_name: name(m.made_by),
        made_by: m.made_by,
        made_at: m.made_at,
        approved_by_name: name(m.approved_by),
        approved_by: m.approved_by,
        published_at: m.published_at,
    })
}

fn objection_out(m: objections::Model) -> Result<Objection, StoreError> {
    Ok(Objection {
        id: m.id,
        publication_id: m.publication_id,
        batch_id: m.batch_id,
        selection_id: m.selection_id,
        person: m.person,
        contact: m.contact,
        body: m.body,
        status: objection_status(&m.status)?,
        note: m.note,
        handled_at: m.handled_at,
        created_at: m.created_at,
    })
}

pub(crate) async fn user_names(
    conn: &impl ConnectionTrait,
) -> Result<HashMap<i64, String>, StoreError> {
    Ok(users::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect())
}

async fn batch_publications(
    conn: &impl ConnectionTrait,
    batch_id: i64,
) -> Result<Vec<publications::Model>, StoreError> {
    Ok(publications::Entity::find()
        .filter(publications::Column::BatchId.eq(batch_id))
        .order_by_asc(publications::Column::Id)
        .all(conn)
        .await?)
}

/// Whether the selections of a batch are frozen: a final list is published and no correction is
/// open.
fn frozen(pubs: &[publications::Model]) -> bool {
    let finals: Vec<&publications::Model> = pubs.iter().filter(|p| p.kind == "final").collect();
    finals.iter().any(|p| p.state == "published")
        && !finals
            .iter()
            .any(|p| p.state == "draft" || p.state == "pending")
}

/// The 公示 whose window is open now.
fn open_publicity(pubs: &[publications::Model], at: DateTime<Utc>) -> Option<&publications::Model> {
    pubs.iter().rev().find(|p| {
        p.kind == "publicity"
            && p.state == "published"
            && p.opens_at.is_none_or(|o| o <= at)
            && p.closes_at.is_some_and(|c| at <= c)
    })
}

async fn require_batch(
    conn: &impl ConnectionTrait,
    batch_id: i64,
) -> Result<batches::Model, StoreError> {
    let b = batches::Entity::find_by_id(batch_id)
        .one(conn)
        .await?
        .ok_or(StoreError::NotFound("批次"))?;
    if b.status == "closed" {
        return Err(StoreError::State(format!("{}已关闭，名单不再更改", b.name)));
    }
    Ok(b)
}

impl Store {
    /// The selections of a batch within `scope`, with unit names and opinions, in school, form
    /// and row order.
    pub async fn list_selections(
        &self,
        scope: &Scope,
        batch_id: i64,
    ) -> Result<Vec<SelectionRecord>, StoreError> {
        let rows = selections::Entity::find()
            .filter(selections::Column::BatchId.eq(batch_id))
            .filter(selection_filter(scope))
            .order_by_asc(selections::Column::SchoolId)
            .order_by_asc(selections::Column::FormId)
            .order_by_asc(selections::Column::RowNo)
            .all(self.conn())
            .await?;
        let org: HashMap<i64, orgs::Model> = orgs::Entity::find()
            .all(self.conn())
            .await?
            .into_iter()
            .map(|o| (o.id, o))
            .collect();
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let names = user_names(self.conn()).await?;
        let mut ops: HashMap<i64, Vec<Opinion>> = HashMap::new();
        for chunk in ids.chunks(500) {
            for o in opinions::Entity::find()
                .filter(opinions::Column::SelectionId.is_in(chunk.to_vec()))
                .order_by_asc(opinions::Column::Id)
                .all(self.conn())
                .await?
            {
                // An oversight body sees its own opinions only.
                if let Some(b) = body_of(scope)
                    && o.body != b.as_str()
                {
                    continue;
                }
                ops.entry(o.selection_id).or_default().push(Opinion {
                    body: o.body,
                    opinion: o.opinion,
                    reason: o.reason,
                    by: o
                        .user_id
                        .and_then(|u| names.get(&u).cloned())
                        .unwrap_or_default(),
                    at: o.at,
                });
            }
        }
        rows.into_iter()
            .map(|m| {
                let school = org.get(&m.school_id);
                let enterprise = org.get(&m.enterprise_id);
                Ok(SelectionRecord {
                    id: m.id,
                    batch_id: m.batch_id,
                    school_id: m.school_id,
                    school_name: school.map(|o| o.name.clone()).unwrap_or_default(),
                    school_tier: school.map(|o| o.category.clone()).unwrap_or_default(),
                    enterprise_id: m.enterprise_id,
                    enterprise_name: enterprise.map(|o| o.name.clone()).unwrap_or_default(),
                    enterprise_kind: enterprise.map(|o| o.category.clone()).unwrap_or_default(),
                    submission_version_id: m.submission_version_id,
                    form_id: m.form_id,
                    row_no: m.row_no,
                    status: m.status.parse()?,
                    opinions: ops.remove(&m.id).unwrap_or_default(),
                    name: m.name,
                    direction: m.direction,
                    post: m.post,
                    sending_unit: m.sending_unit,
                    receiving_unit: m.receiving_unit,
                    term: m.term,
                    body: m.body,
                    reason: m.reason,
                    decided_at: m.decided_at,
                })
            })
            .collect()
    }

    /// Marks people 入选 or 未入选 (a reason is required for 未入选; 待遴选 puts them back).
    /// Refused while a final list stands (open a correction first) and while a 公示 takes
    /// objections. One audit entry per person. Returns how many changed.
    pub async fn decide_selections(
        &self,
        scope: &Scope,
        batch_id: i64,
        ids: &[i64],
        status: SelectionStatus,
        reason: &str,
        actor: &Actor,
    ) -> Result<u64, StoreError> {
        if !matches!(scope, Scope::All) {
            return Err(StoreError::NotFound("遴选名单"));
        }
        let reason = reason.trim();
        if status == SelectionStatus::Rejected && reason.is_empty() {
            return Err(StoreError::Invalid(
                "标记为「未入选」须填写原因".to_string(),
            ));
        }
        if reason.chars().count() > 500 {
            return Err(StoreError::Invalid("原因不超过 500 字".to_string()));
        }
        let tx = self.begin_write().await?;
        let batch = require_batch(tx.conn(), batch_id).await?;
        let pubs = batch_publications(tx.conn(), batch_id).await?;
        if frozen(&pubs) {
            return Err(StoreError::State(format!(
                "{}的正式名单已公布，遴选结果已锁定；如需更正，请先「发起更正」",
                batch.name
            )));
        }
        let at = now();
        if open_publicity(&pubs, at).is_some() {
            return Err(StoreError::State(
                "公示期间不能更改遴选结果；异议成立的，请在「公示异议」中处理".to_string(),
            ));
        }
        let mut changed = 0;
        for chunk in ids.chunks(500) {
            let rows = selections::Entity::find()
                .filter(selections::Column::BatchId.eq(batch_id))
                .filter(selections::Column::Id.is_in(chunk.to_vec()))
                .all(tx.conn())
                .await?;
            for m in rows {
                if m.status == status.as_str() && m.reason == reason {
                    continue;
                }
                let reason_kept = if status == SelectionStatus::Rejected {
                    reason.to_owned()
                } else {
                    String::new()
                };
                selections::Entity::update_many()
                    .col_expr(selections::Column::Status, Expr::value(status.as_str()))
                    .col_expr(selections::Column::Reason, Expr::value(reason_kept))
                    .col_expr(selections::Column::DecidedBy, Expr::value(actor.user_id))
                    .col_expr(selections::Column::DecidedAt, Expr::value(Some(at)))
                    .filter(selections::Column::Id.eq(m.id))
                    .exec(tx.conn())
                    .await?;
                self.audit_in(
                    &tx,
                    AuditEntry::new(
                        actor,
                        "selection.decide",
                        format!("selection:{}", m.id),
                        format!(
                            "{} → {}{}",
                            m.status,
                            status.as_str(),
                            if reason.is_empty() {
                                String::new()
                            } else {
                                format!(" reason {reason}")
                            }
                        ),
                    ),
                )
                .await?;
                changed += 1;
            }
        }
        tx.commit().await?;
        Ok(changed)
    }

    /// Records the opinion of the oversight body of `scope` on a person in its copies
    /// (`object` needs a reason). A later opinion replaces the earlier one. Refused once the
    /// final list stands.
    pub async fn record_opinion(
        &self,
        scope: &Scope,
        selection_id: i64,
        object: bool,
        reason: &str,
        actor: &Actor,
    ) -> Result<Option<()>, StoreError> {
        let Some(body) = body_of(scope) else {
            return Ok(None);
        };
        let reason = reason.trim();
        if object && reason.is_empty() {
            return Err(StoreError::Invalid("「有异议」须填写理由".to_string()));
        }
        if reason.chars().count() > 500 {
            return Err(StoreError::Invalid("理由不超过 500 字".to_string()));
        }
        let tx = self.begin_write().await?;
        let Some(sel) = selections::Entity::find_by_id(selection_id)
            .filter(selection_filter(scope))
            .one(tx.conn())
            .await?
        else {
            return Ok(None);
        };
        require_batch(tx.conn(), sel.batch_id).await?;
        if frozen(&batch_publications(tx.conn(), sel.batch_id).await?) {
            return Err(StoreError::State(
                "正式名单已公布，不再征求意见".to_string(),
            ));
        }
        opinions::Entity::delete_many()
            .filter(opinions::Column::SelectionId.eq(selection_id))
            .filter(opinions::Column::Body.eq(body.as_str()))
            .exec(tx.conn())
            .await?;
        let opinion = if object { "object" } else { "agree" };
        opinions::Entity::insert(opinions::ActiveModel {
            id: NotSet,
            selection_id: Set(selection_id),
            body: Set(body.as_str().to_owned()),
            opinion: Set(opinion.to_owned()),
            reason: Set(reason.to_owned()),
            user_id: Set(actor.user_id),
            at: Set(now()),
        })
        .exec(tx.conn())
        .await?;
        self.commit_audited(
            tx,
            AuditEntry::new(
                actor,
                "selection.opinion",
                format!("selection:{selection_id}"),
                format!("{} {opinion} {reason}", body.as_str()),
            ),
        )
        .await?;
        Ok(Some(()))
    }

    /// The copies routed within `scope` for a batch, newest version first per form.
    pub async fn list_copies(
        &self,
        scope: &Scope,
        batch_id: i64,
    ) -> Result<Vec<CopyRecord>, StoreError> {
        Ok(copies::Entity::find()
            .filter(copies::Column::BatchId.eq(batch_id))
            .filter(copy_filter(scope))
            .order_by_asc(copies::Column::SchoolId)
            .order_by_desc(copies::Column::SubmissionVersionId)
            .all(self.conn())
            .await?
            .into_iter()
            .map(|m| CopyRecord {
                id: m.id,
                batch_id: m.batch_id,
                school_id: m.school_id,
                submission_version_id: m.submission_version_id,
                form_id: m.form_id,
                enterprise_id: m.enterprise_id,
                body: m.body,
                routed_at: m.routed_at,
            })
            .collect())
    }

    /// The snapshot text of a version a copy in `scope` was routed from (`None` outside it).
    pub async fn copied_version(
        &self,
        scope: &Scope,
        version_id: i64,
    ) -> Result<Option<(crate::Snapshot, String)>, StoreError> {
        let routed = copies::Entity::find()
            .filter(copies::Column::SubmissionVersionId.eq(version_id))
            .filter(copy_filter(scope))
            .count(self.conn())
            .await?;
        if routed == 0 {
            return Ok(None);
        }
        let Some(v) = submission_versions::Entity::find_by_id(version_id)
            .one(self.conn())
            .await?
        else {
            return Ok(None);
        };
        let status = submissions::Entity::find_by_id(v.submission_id)
            .one(self.conn())
            .await?
            .map(|s| s.status)
            .unwrap_or_default();
        let snapshot = crate::Snapshot::parse(&v.snapshot, &format!("报送版本 {version_id} "))?;
        Ok(Some((snapshot, status)))
    }

    /// The publications of a batch, oldest first.
    pub async fn list_publications(&self, batch_id: i64) -> Result<Vec<Publication>, StoreError> {
        let names = user_names(self.conn()).await?;
        batch_publications(self.conn(), batch_id)
            .await?
            .into_iter()
            .map(|m| publication_out(m, &names))
            .collect()
    }

    /// Publishes a 公示 of `entries` open from `opens` to `closes`. A 公示 published earlier is
    /// superseded. Refused once a final list exists.
    pub async fn publish_publicity(
        &self,
        batch_id: i64,
        entries: &[PublicEntry],
        opens: DateTime<Utc>,
        closes: DateTime<Utc>,
        actor: &Actor,
    ) -> Result<Publication, StoreError> {
        if entries.is_empty() {
            return Err(StoreError::State(
                "尚无「入选」人员，不能发布公示".to_string(),
            ));
        }
        let tx = self.begin_write().await?;
        require_batch(tx.conn(), batch_id).await?;
        let pubs = batch_publications(tx.conn(), batch_id).await?;
        if pubs.iter().any(|p| p.kind == "final") {
            return Err(StoreError::State(
                "正式名单已公布或待复核，不能再发布公示".to_string(),
            ));
        }
        publications::Entity::update_many()
            .col_expr(
                publications::Column::State,
                Expr::value(PublicationState::Superseded.as_str()),
            )
            .filter(publications::Column::BatchId.eq(batch_id))
            .filter(publications::Column::Kind.eq("publicity"))
            .filter(publications::Column::State.eq("published"))
            .exec(tx.conn())
            .await?;
        let revision = pubs.iter().filter(|p| p.kind == "publicity").count() as i32 + 1;
        let at = now();
        let id = self
            .insert_publication(
                &tx,
                batch_id,
                PublicationKind::Publicity,
                revision,
                PublicationState::Published,
                entries,
                "",
                (Some(db_time(opens)), Some(db_time(closes))),
                actor,
                Some(at),
            )
            .await?;
        self.audit_in(
            &tx,
            AuditEntry::new(
                actor,
                "publication.publicity",
                format!("publication:{id}"),
                format!(
                    "batch {batch_id} revision {revision} entries {} until {}",
                    entries.len(),
                    closes.to_rfc3339()
                ),
            ),
        )
        .await?;
        let names = user_names(tx.conn()).await?;
        let m = publications::Entity::find_by_id(id)
            .one(tx.conn())
            .await?
            .ok_or(StoreError::NotFound("名单"))?;
        tx.commit().await?;
        publication_out(m, &names)
    }

    #[allow(clippy::too_many_arguments)]
    async fn insert_publication(
        &self,
        tx: &Tx,
        batch_id: i64,
        kind: PublicationKind,
        revision: i32,
        state: PublicationState,
        entries: &[PublicEntry],
        note: &str,
        window: (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
        actor: &Actor,
        published_at: Option<DateTime<Utc>>,
    ) -> Result<i64, StoreError> {
        let text = serde_json::to_string(entries)
            .map_err(|e| StoreError::Corrupt(format!("名单无法保存：{e}")))?;
        Ok(publications::Entity::insert(publications::ActiveModel {
            id: NotSet,
            batch_id: Set(batch_id),
            kind: Set(kind.as_str().to_owned()),
            revision: Set(revision),
            state: Set(state.as_str().to_owned()),
            entries: Set(text),
            note: Set(note.to_owned()),
            opens_at: Set(window.0),
            closes_at: Set(window.1),
            made_by: Set(actor.user_id),
            made_at: Set(now()),
            approved_by: Set(if state == PublicationState::Published {
                actor.user_id
            } else {
                None
            }),
            published_at: Set(published_at),
        })
        .exec(tx.conn())
        .await?
        .last_insert_id)
    }

    /// Proposes the final list (or, during a correction, its next revision) of `entries`. Refused
    /// before a 公示's window has closed or while an objection is unhandled. With
    /// `needs_approval` the list waits for a second 市教委管理员; otherwise it is published at once.
    pub async fn propose_final(
        &self,
        batch_id: i64,
        entries: &[PublicEntry],
        note: &str,
        needs_approval: bool,
        actor: &Actor,
    ) -> Result<Publication, StoreError> {
        if entries.is_empty() {
            return Err(StoreError::State(
                "尚无「入选」人员，不能公布正式名单".to_string(),
            ));
        }
        let tx = self.begin_write().await?;
        require_batch(tx.conn(), batch_id).await?;
        let pubs = batch_publications(tx.conn(), batch_id).await?;
        let at = now();
        let Some(last_publicity) = pubs
            .iter()
            .rev()
            .find(|p| p.kind == "publicity" && p.state == "published")
        else {
            return Err(StoreError::State(
                "尚未发布公示，不能公布正式名单".to_string(),
            ));
        };
        if let Some(c) = last_publicity.closes_at
            && at <= c
        {
            return Err(StoreError::State(format!(
                "公示期至 {} 结束，公示期满后方可公布正式名单",
                crate::submissions::beijing_time(c)
            )));
        }
        let open = objections::Entity::find()
            .filter(objections::Column::BatchId.eq(batch_id))
            .filter(objections::Column::Status.eq("open"))
            .count(tx.conn())
            .await?;
        if open > 0 {
            return Err(StoreError::State(format!(
                "尚有 {open} 条公示异议未处理，处理后方可公布正式名单"
            )));
        }
        let finals: Vec<&publications::Model> = pubs.iter().filter(|p| p.kind == "final").collect();
        if finals.iter().any(|p| p.state == "pending") {
            return Err(StoreError::State(
                "已有一份正式名单待复核，请先复核或撤回".to_string(),
            ));
        }
        let draft = finals.iter().find(|p| p.state == "draft").copied();
        if finals.iter().any(|p| p.state == "published") && draft.is_none() {
            return Err(StoreError::State(
                "正式名单已公布；如需更正，请先「发起更正」".to_string(),
            ));
        }
        let note = note.trim();
        let state = if needs_approval {
            PublicationState::Pending
        } else {
            PublicationState::Published
        };
        let text = serde_json::to_string(entries)
            .map_err(|e| StoreError::Corrupt(format!("名单无法保存：{e}")))?;
        let id = match draft {
            Some(d) => {
                publications::Entity::update_many()
                    .col_expr(publications::Column::State, Expr::value(state.as_str()))
                    .col_expr(publications::Column::Entries, Expr::value(text))
                    .col_expr(publications::Column::MadeBy, Expr::value(actor.user_id))
                    .col_expr(publications::Column::MadeAt, Expr::value(at))
                    .col_expr(
                        publications::Column::Note,
                        Expr::value(if note.is_empty() {
                            d.note.clone()
                        } else {
                            note.to_owned()
                        }),
                    )
                    .filter(publications::Column::Id.eq(d.id))
                    .exec(tx.conn())
                    .await?;
                d.id
            }
            None => {
                self.insert_publication(
                    &tx,
                    batch_id,
                    PublicationKind::Final,
                    1,
                    state,
                    entries,
                    note,
                    (None, None),
                    actor,
                    None,
                )
                .await?
            }
        };
        if state == PublicationState::Published {
            self.publish_final_in(&tx, batch_id, id, actor, at).await?;
        }
        self.audit_in(
            &tx,
            AuditEntry::new(
                actor,
                "publication.final.propose",
                format!("publication:{id}"),
                format!(
                    "batch {batch_id} entries {} {}",
                    entries.len(),
                    if needs_approval {
                        "awaiting approval"
                    } else {
                        "published (single administrator)"
                    }
                ),
            ),
        )
        .await?;
        let names = user_names(tx.conn()).await?;
        let m = publications::Entity::find_by_id(id)
            .one(tx.conn())
            .await?
            .ok_or(StoreError::NotFound("名单"))?;
        tx.commit().await?;
        publication_out(m, &names)
    }

    async fn publish_final_in(
        &self,
        tx: &Tx,
        batch_id: i64,
        id: i64,
        approver: &Actor,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        publications::Entity::update_many()
            .col_expr(
                publications::Column::State,
                Expr::value(PublicationState::Superseded.as_str()),
            )
            .filter(publications::Column::BatchId.eq(batch_id))
            .filter(publications::Column::Kind.eq("final"))
            .filter(publications::Column::State.eq("published"))
            .exec(tx.conn())
            .await?;
        publications::Entity::update_many()
            .col_expr(
                publications::Column::State,
                Expr::value(PublicationState::Published.as_str()),
            )
            .col_expr(
                publications::Column::ApprovedBy,
                Expr::value(approver.user_id),
            )
            .col_expr(publications::Column::PublishedAt, Expr::value(Some(at)))
            .filter(publications::Column::Id.eq(id))
            .exec(tx.conn())
            .await?;
        Ok(())
    }

    /// A second 市教委管理员 approves a final list waiting for approval (the maker cannot).
    pub async fn approve_final(&self, id: i64, actor: &Actor) -> Result<Publication, StoreError> {
        let tx = self.begin_write().await?;
        let m = publications::Entity::find_by_id(id)
            .one(tx.conn())
            .await?
            .ok_or(StoreError::NotFound("名单"))?;
        if m.kind != "final" || m.state != "pending" {
            return Err(StoreError::State("该名单不在待复核状态".to_string()));
        }
        if m.made_by.is_some() && m.made_by == actor.user_id {
            return Err(StoreError::State(
                "复核须由另一位市教委管理员进行，提交人不能复核自己提交的名单".to_string(),
            ));
        }
        require_batch(tx.conn(), m.batch_id).await?;
        let at = now();
        self.publish_final_in(&tx, m.batch_id, id, actor, at)
            .await?;
        self.audit_in(
            &tx,
            AuditEntry::new(
                actor,
                "publication.final.approve",
                format!("publication:{id}"),
                format!("batch {} revision {}", m.batch_id, m.revision),
            ),
        )
        .await?;
        let names = user_names(tx.conn()).await?;
        let m = publications::Entity::find_by_id(id)
            .one(tx.conn())
            .await?
            .ok_or(StoreError::NotFound("名单"))?;
        tx.commit().await?;
        publication_out(m, &names)
    }

    /// Withdraws a final list waiting for approval (back to a correction draft when it was one,
    /// deleted otherwise).
    pub async fn withdraw_final(&self, id: i64, actor: &Actor) -> Result<(), StoreError> {
        let tx = self.begin_write().await?;
        let m = publications::Entity::find_by_id(id)
            .one(tx.conn())
            .await?
            .ok_or(StoreError::NotFound("名单"))?;
        if m.kind != "final" || m.state != "pending" {
            return Err(StoreError::State("该名单不在待复核状态".to_string()));
        }
        if m.revision > 1 {
            publications::Entity::update_many()
                .col_expr(
                    publications::Column::State,
                    Expr::value(PublicationState::Draft.as_str()),
                )
                .filter(publications::Column::Id.eq(id))
                .exec(tx.conn())
                .await?;
        } else {
            publications::Entity::delete_by_id(id)
                .exec(tx.conn())
                .await?;
        }
        self.commit_audited(
            tx,
            AuditEntry::new(
                actor,
                "publication.final.withdraw",
                format!("publication:{id}"),
                format!("batch {} revision {}", m.batch_id, m.revision),
            ),
        )
        .await?;
        Ok(())
    }

    /// Opens a correction of a published final list: the selections can change again and the
    /// next revision is proposed and approved like the first. The reason is required.
    pub async fn open_correction(
        &self,
        batch_id: i64,
        reason: &str,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(StoreError::Invalid("发起更正须填写原因".to_string()));
        }
        if reason.chars().count() > 500 {
            return Err(StoreError::Invalid("原因不超过 500 字".to_string()));
        }
        let tx = self.begin_write().await?;
        require_batch(tx.conn(), batch_id).await?;
        let pubs = batch_publications(tx.conn(), batch_id).await?;
        if !frozen(&pubs) {
            return Err(StoreError::State(
                "正式名单尚未公布或已在更正中".to_string(),
            ));
        }
        let revision = pubs
            .iter()
            .filter(|p| p.kind == "final")
            .map(|p| p.revision)
            .max()
            .unwrap_or(0)
            + 1;
        let id = self
            .insert_publication(
                &tx,
                batch_id,
                PublicationKind::Final,
                revision,
                PublicationState::Draft,
                &[],
                reason,
                (None, None),
                actor,
                None,
            )
            .await?;
        self.commit_audited(
            tx,
            AuditEntry::new(
                actor,
                "publication.final.correct",
                format!("publication:{id}"),
                format!("batch {batch_id} revision {revision} reason {reason}"),
            ),
        )
        .await?;
        Ok(())
    }

    /// Every batch with a published list, newest batch first: what `/public` lists.
    pub async fn public_lists(&self) -> Result<Vec<PublicList>, StoreError> {
        let batches = batches::Entity::find()
            .order_by_desc(batches::Column::Number)
            .all(self.conn())
            .await?;
        let mut out = Vec::new();
        for b in batches {
            if let Some(l) = self.public_list_of(b).await? {
                out.push(l);
            }
        }
        Ok(out)
    }

    /// The list in force for the public: the published final list, else the published 公示.
    pub async fn public_list(&self, batch_number: u32) -> Result<Option<PublicList>, StoreError> {
        let Ok(n) = i32::try_from(batch_number) else {
            return Ok(None);
        };
        let Some(b) = batches::Entity::find()
            .filter(batches::Column::Number.eq(n))
            .one(self.conn())
            .await?
        else {
            return Ok(None);
        };
        self.public_list_of(b).await
    }

    async fn public_list_of(&self, b: batches::Model) -> Result<Option<PublicList>, StoreError> {
        let pubs = batch_publications(self.conn(), b.id).await?;
        let pick = pubs
            .iter()
            .rev()
            .find(|p| p.kind == "final" && p.state == "published")
            .or_else(|| {
                pubs.iter()
                    .rev()
                    .find(|p| p.kind == "publicity" && p.state == "published")
            });
        let Some(p) = pick.cloned() else {
            return Ok(None);
        };
        let names = HashMap::new();
        let record = crate::batches::batch_from(b)?;
        Ok(Some(PublicList {
            batch_id: record.id,
            batch_number: record.number,
            batch_name: record.name,
            contact: record.params.publicity.contact.clone(),
            working_days: record.params.publicity.working_days,
            term: record.params.term,
            publication: publication_out(p, &names)?,
        }))
    }

    /// Stores an objection to the 公示 of a batch whose window is open. Refused when the sender's
    /// address has sent [`OBJECTIONS_PER_HOUR`] within the hour or [`OBJECTIONS_PER_DAY`] within
    /// the day (counted in the database, so the limit holds across instances).
    pub async fn submit_objection(&self, o: &NewObjection) -> Result<Objection, StoreError> {
        let tx = self.begin_write().await?;
        let Ok(n) = i32::try_from(o.batch_number) else {
            return Err(StoreError::NotFound("公示"));
        };
        let b = batches::Entity::find()
            .filter(batches::Column::Number.eq(n))
            .one(tx.conn())
            .await?
            .ok_or(StoreError::NotFound("公示"))?;
        let pubs = batch_publications(tx.conn(), b.id).await?;
        let at = now();
        let Some(p) = open_publicity(&pubs, at).cloned() else {
            return Err(StoreError::State(format!(
                "{}目前不在公示期内，不受理异议",
                b.name
            )));
        };
        for (window, limit) in [
            (Duration::hours(1), OBJECTIONS_PER_HOUR),
            (Duration::days(1), OBJECTIONS_PER_DAY),
        ] {
            let sent = objections::Entity::find()
                .filter(objections::Column::AddressKey.eq(o.address_key.clone()))
                .filter(objections::Column::CreatedAt.gt(at - window))
                .count(tx.conn())
                .await?;
            if sent >= limit {
                return Err(StoreError::Throttled(format!(
                    "同一网络地址{}内最多提交 {limit} 条异议，请稍后再试或按公示所列方式联系",
                    if window == Duration::hours(1) {
                        "一小时"
                    } else {
                        "一天"
                    }
                )));
            }
        }
        let entries: Vec<PublicEntry> = serde_json::from_str(&p.entries)
            .map_err(|e| StoreError::Corrupt(format!("名单 {} 无法读取：{e}", p.id)))?;
        let entry = if o.seq == 0 {
            None
        } else {
            Some(entries.iter().find(|e| e.seq == o.seq).ok_or_else(|| {
                StoreError::Invalid(format!(
                    "公示名单中没有序号 {}；请从名单中选择被反映人，或选择「不针对具体人员」",
                    o.seq
                ))
            })?)
        };
        let id = objections::Entity::insert(objections::ActiveModel {
            id: NotSet,
            publication_id: Set(p.id),
            batch_id: Set(b.id),
            selection_id: Set(entry.map(|e| e.selection_id).filter(|&i| i > 0)),
            person: Set(entry.map(|e| e.name.clone()).unwrap_or_default()),
            contact: Set(o.contact.clone()),
            body: Set(o.body.clone()),
            address_key: Set(o.address_key.clone()),
            status: Set(ObjectionStatus::Open.as_str().to_owned()),
            note: Set(String::new()),
            handled_by: Set(None),
            handled_at: Set(None),
            created_at: Set(at),
        })
        .exec(tx.conn())
        .await?
        .last_insert_id;
        self.audit_in(
            &tx,
            AuditEntry::new(
                &Actor {
                    user_id: None,
                    name: "公众".to_owned(),
                    ip: String::new(),
                },
                "objection.submit",
                format!("objection:{id}"),
                format!("publication {} seq {}", p.id, o.seq),
            ),
        )
        .await?;
        let m = objections::Entity::find_by_id(id)
            .one(tx.conn())
            .await?
            .ok_or(StoreError::NotFound("异议"))?;
        tx.commit().await?;
        objection_out(m)
    }

    /// The objections of a batch, newest first.
    pub async fn list_objections(&self, batch_id: i64) -> Result<Vec<Objection>, StoreError> {
        objections::Entity::find()
            .filter(objections::Column::BatchId.eq(batch_id))
            .order_by_desc(objections::Column::Id)
            .all(self.conn())
            .await?
            .into_iter()
            .map(objection_out)
            .collect()
    }

    /// Handles an objection: upheld, the person becomes 未入选 with the objection as the reason;
    /// dismissed, with the note. Both need a note.
    pub async fn handle_objection(
        &self,
        id: i64,
        upheld: bool,
        note: &str,
        actor: &Actor,
    ) -> Result<Objection, StoreError> {
        let note = note.trim();
        if note.is_empty() {
            return Err(StoreError::Invalid("处理异议须填写处理意见".to_string()));
        }
        if note.chars().count() > 1000 {
            return Err(StoreError::Invalid("处理意见不超过 1000 字".to_string()));
        }
        let tx = self.begin_write().await?;
        let m = objections::Entity::find_by_id(id)
            .one(tx.conn())
            .await?
            .ok_or(StoreError::NotFound("异议"))?;
        if m.status != "open" {
            return Err(StoreError::State("该异议已处理".to_string()));
        }
        require_batch(tx.conn(), m.batch_id).await?;
        let at = now();
        let status = if upheld {
            ObjectionStatus::Upheld
        } else {
            ObjectionStatus::Dismissed
        };
        if upheld && let Some(sid) = m.selection_id {
            let reason = format!("公示异议成立：{note}");
            selections::Entity::update_many()
                .col_expr(
                    selections::Column::Status,
                    Expr::value(SelectionStatus::Rejected.as_str()),
                )
                .col_expr(selections::Column::Reason, Expr::value(reason.clone()))
                .col_expr(selections::Column::DecidedBy, Expr::value(actor.user_id))
                .col_expr(selections::Column::DecidedAt, Expr::value(Some(at)))
                .filter(selections::Column::Id.eq(sid))
                .exec(tx.conn())
                .await?;
            self.audit_in(
                &tx,
                AuditEntry::new(
                    actor,
                    "selection.decide",
                    format!("selection:{sid}"),
                    format!("→ rejected reason {reason} (objection {id})"),
                ),
            )
            .await?;
        }
        objections::Entity::update_many()
            .col_expr(objections::Column::Status, Expr::value(status.as_str()))
            .col_expr(objections::Column::Note, Expr::value(note.to_owned()))
            .col_expr(objections::Column::HandledBy, Expr::value(actor.user_id))
            .col_expr(objections::Column::HandledAt, Expr::value(Some(at)))
            .filter(objections::Column::Id.eq(id))
            .exec(tx.conn())
            .await?;
        self.audit_in(
            &tx,
            AuditEntry::new(
                actor,
                "objection.handle",
                format!("objection:{id}"),
                format!("{} {note}", status.as_str()),
            ),
        )
        .await?;
        let m = objections::Entity::find_by_id(id)
            .one(tx.conn())
            .await?
            .ok_or(StoreError::NotFound("异议"))?;
        tx.commit().await?;
        objection_out(m)
    }

    /// How many active 市教委管理员 accounts there are (publication needs a second one when
    /// there is more than one).
    pub async fn active_admins(&self) -> Result<u64, StoreError> {
        Ok(users::Entity::find()
            .filter(users::Column::Role.eq(crate::Role::Admin.as_str()))
            .filter(users::Column::Active.eq(true))
            .count(self.conn())
            .await?)
    }
}

/// The enterprise kinds an oversight scope reads (for labels).
pub fn kind_of_scope(scope: &Scope) -> Option<&'static str> {
    match scope {
        Scope::StateOwnedRows => Some(STATE_OWNED_KIND),
        Scope::PrivateRows => Some(PRIVATE_KIND),
        _ => None,
    }
}
