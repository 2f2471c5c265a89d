//! Submissions: the school submits all its forms of a batch at once; each submit is a new version
//! with a receipt number (`SQ10-0007-03`: batch, school id, version) and an immutable JSON
//! snapshot of the forms, their rows and scans, and the findings report; the commission accepts or
//! returns it with reasons.
//!
//! States: 草稿 → 已报送 → 已受理 or 已退回 → (已报送 again …).

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, NotSet, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::audit::AuditEntry;
use crate::db::{Actor, PageRequest, Paged, Store, Tx, db_time};
use crate::entity::{
    batches, deadline_extensions, forms, orgs, partnerships, reviews, scans, submission_versions,
    submissions,
};
use crate::error::StoreError;
use crate::forms::{FormRecord, form_out};
use crate::partnerships::{PartnershipStatus, ensure_submission, org_map, require_open_batch};
use crate::scope::{Scope, like_contains};
use crate::snapshot::{
    SNAPSHOT_VERSION, SnapActor, SnapBatch, SnapEnterprise, SnapForm, SnapReport, SnapRow,
    SnapScan, SnapSchool, Snapshot,
};

/// Where a school's submission stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubmissionStatus {
    Draft,
    Submitted,
    Accepted,
    Returned,
}

impl SubmissionStatus {
    pub const ALL: [SubmissionStatus; 4] = [
        SubmissionStatus::Draft,
        SubmissionStatus::Submitted,
        SubmissionStatus::Accepted,
        SubmissionStatus::Returned,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SubmissionStatus::Draft => "draft",
            SubmissionStatus::Submitted => "submitted",
            SubmissionStatus::Accepted => "accepted",
            SubmissionStatus::Returned => "returned",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SubmissionStatus::Draft => "草稿",
            SubmissionStatus::Submitted => "已报送",
            SubmissionStatus::Accepted => "已受理",
            SubmissionStatus::Returned => "已退回",
        }
    }
}

impl FromStr for SubmissionStatus {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<SubmissionStatus, StoreError> {
        SubmissionStatus::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| StoreError::Corrupt(format!("报送状态「{s}」无法识别")))
    }
}

/// The commission's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    /// 受理.
    Accepted,
    /// 退回.
    Returned,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Accepted => "accepted",
            Decision::Returned => "returned",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Decision::Accepted => "受理",
            Decision::Returned => "退回",
        }
    }
}

impl FromStr for Decision {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Decision, StoreError> {
        match s {
            "accepted" => Ok(Decision::Accepted),
            "returned" => Ok(Decision::Returned),
            other => Err(StoreError::Corrupt(format!("审核结论「{other}」无法识别"))),
        }
    }
}

/// A reason for returning: a chosen finding (rule id and message) or free text with an empty rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewReason {
    pub rule: String,
    pub message: String,
}

/// A review of one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    pub id: i64,
    pub submission_version_id: i64,
    pub decision: Decision,
    pub reasons: Vec<ReviewReason>,
    pub note: String,
    pub reviewer_id: Option<i64>,
    pub at: DateTime<Utc>,
}

/// A school's submission in a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    pub id: i64,
    pub batch_id: i64,
    pub school_id: i64,
    pub school_name: String,
    /// The school's tier.
    pub school_category: String,
    pub status: SubmissionStatus,
    /// The latest version number, once submitted.
    pub current_version: Option<i32>,
    pub updated_at: DateTime<Utc>,
}

/// One submitted version (without its snapshot).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionInfo {
    pub id: i64,
    pub submission_id: i64,
    pub version_no: i32,
    pub receipt_no: String,
    /// SHA-256 of the snapshot text (also recorded in the audit log at submit).
    pub snapshot_hash: String,
    pub submitted_by: Option<i64>,
    pub submitted_at: DateTime<Utc>,
    pub review: Option<Review>,
}

/// One submitted version with its snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct SubmissionVersion {
    pub info: VersionInfo,
    pub snapshot: Snapshot,
}

/// Filters for the commission's inbox.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubmissionFilter {
    pub batch_id: Option<i64>,
    pub status: Option<SubmissionStatus>,
    /// School tier (国家双高 …).
    pub tier: Option<String>,
    pub school_id: Option<i64>,
    /// School name containing this text.
    pub school_name: Option<String>,
}

/// A submit: the findings report the caller computed, and the form versions it computed it on.
#[derive(Debug, Clone, PartialEq)]
pub struct SubmitRequest {
    pub batch_id: i64,
    pub school_id: i64,
    /// The findings and tally the school's forms were checked with.
    pub report: SnapReport,
    /// `(form id, version)` of every form the report was computed on.
    pub checked: Vec<(i64, i32)>,
}

/// The facts of the workflow rules W01–W03 for a school in a batch, as stored now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowFacts {
    /// The batch's deadline.
    pub deadline: DateTime<Utc>,
    /// The school's extension, if any.
    pub extension: Option<DateTime<Utc>>,
    /// Names (姓名 cells) of the rows the enterprise has not confirmed, with the enterprise.
    pub unconfirmed: Vec<String>,
    /// Every form has a scan that seals its current version.
    pub sealed_scan_current: bool,
    /// `(form id, version)` of the school's forms now.
    pub form_versions: Vec<(i64, i32)>,
}

impl WorkflowFacts {
    /// The deadline that applies: the extension when later.
    pub fn effective_deadline(&self) -> DateTime<Utc> {
        self.extension
            .map_or(self.deadline, |e| e.max(self.deadline))
    }
}

fn submission_out(
    m: submissions::Model,
    orgs: &HashMap<i64, orgs::Model>,
) -> Result<Submission, StoreError> {
    let school = orgs.get(&m.school_id);
    Ok(Submission {
        id: m.id,
        batch_id: m.batch_id,
        school_id: m.school_id,
        school_name: school.map(|o| o.name.clone()).unwrap_or_default(),
        school_category: school.map(|o| o.category.clone()).unwrap_or_default(),
        status: m.status.parse()?,
        current_version: m.current_version,
        updated_at: m.updated_at,
    })
}

fn review_out(m: reviews::Model) -> Result<Review, StoreError> {
    Ok(Review {
        id: m.id,
        submission_version_id: m.submission_version_id,
        decision: m.decision.parse()?,
        reasons: serde_json::from_str(&m.reasons)
            .map_err(|e| StoreError::Corrupt(format!("审核意见 {}：{e}", m.id)))?,
        note: m.note,
        reviewer_id: m.reviewer_id,
        at: m.at,
    })
}

/// The receipt number of a version, e.g. `SQ10-0007-03`.
pub fn receipt_no(batch_number: i32, school_id: i64, version_no: i32) -> String {
    format!("SQ{batch_number}-{school_id:04}-{version_no:02}")
}

/// The school's confirmed forms in the batch, with rows.
async fn school_forms_in(
    conn: &impl ConnectionTrait,
    batch_id: i64,
    school_id: i64,
) -> Result<Vec<FormRecord>, StoreError> {
    let pids: Vec<i64> = partnerships::Entity::find()
        .select_only()
        .column(partnerships::Column::Id)
        .filter(partnerships::Column::BatchId.eq(batch_id))
        .filter(partnerships::Column::SchoolId.eq(school_id))
        .filter(partnerships::Column::Status.eq(PartnershipStatus::Confirmed.as_str()))
        .into_tuple()
        .all(conn)
        .await?;
    let mut out = Vec::with_capacity(pids.len());
    for f in forms::Entity::find()
        .filter(forms::Column::PartnershipId.is_in(pids))
        .order_by_asc(forms::Column::Id)
        .all(conn)
        .await?
    {
        out.push(form_out(conn, f).await?);
    }
    Ok(out)
}

/// The newest scan of each form: `(scan id, form version, sha256)`.
async fn latest_scans(
    conn: &impl ConnectionTrait,
    form_ids: &[i64],
) -> Result<HashMap<i64, (i64, i32, String)>, StoreError> {
    let rows: Vec<(i64, i64, i32, String)> = scans::Entity::find()
        .select_only()
        .columns([
            scans::Column::Id,
            scans::Column::FormId,
            scans::Column::FormVersion,
            scans::Column::Sha256,
        ])
        .filter(scans::Column::FormId.is_in(form_ids.iter().copied()))
        .order_by_asc(scans::Column::Id)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, form_id, v, sha)| (form_id, (id, v, sha)))
        .collect())
}

async fn facts_in(
    conn: &impl ConnectionTrait,
    batch: &batches::Model,
    school_id: i64,
    forms: &[FormRecord],
) -> Result<WorkflowFacts, StoreError> {
    let params = crate::batches::batch_from(batch.clone())?;
    let extension = deadline_extensions::Entity::find()
        .filter(deadline_extensions::Column::BatchId.eq(batch.id))
        .filter(deadline_extensions::Column::SchoolId.eq(school_id))
        .one(conn)
        .await?
        .map(|e| e.deadline);
    let ids: Vec<i64> = forms.iter().map(|f| f.id).collect();
    let scans = latest_scans(conn, &ids).await?;
    let unconfirmed = forms
        .iter()
        .flat_map(|f| {
            f.rows.iter().filter(|r| !r.confirmed()).map(move |r| {
                let name = r.cell(shuangshi_rules::Column::Name);
                let name = if name.is_empty() {
                    "（未填姓名）"
                } else {
                    name
                };
                format!("{name}（{}）", f.enterprise_name)
            })
        })
        .collect();
    let sealed_scan_current = forms
        .iter()
        .all(|f| scans.get(&f.id).is_some_and(|(_, v, _)| *v == f.version));
    Ok(WorkflowFacts {
        deadline: db_time(params.deadline()),
        extension,
        unconfirmed,
        sealed_scan_current,
        form_versions: forms.iter().map(|f| (f.id, f.version)).collect(),
    })
}

impl Store {
    /// The facts W01–W03 judge, for a school in scope (`None` otherwise).
    pub async fn workflow_facts(
        &self,
        scope: &Scope,
        batch_id: i64,
        school_id: i64,
    ) -> Result<Option<WorkflowFacts>, StoreError> {
        if !self.school_in_scope(scope, school_id).await? {
            return Ok(None);
        }
        let batch = batches::Entity::find_by_id(batch_id)
            .one(self.conn())
            .await?
            .ok_or(StoreError::NotFound("批次"))?;
        let forms = school_forms_in(self.conn(), batch_id, school_id).await?;
        facts_in(self.conn(), &batch, school_id, &forms)
            .await
            .map(Some)
    }

    async fn school_in_scope(&self, scope: &Scope, school_id: i64) -> Result<bool, StoreError> {
        Ok(orgs::Entity::find_by_id(school_id)
            .filter(orgs::Column::IsSchool.eq(true))
            .filter(scope.org_filter())
            .count(self.conn())
            .await?
            > 0
            && !matches!(
                scope,
                Scope::Enterprise(_) | Scope::StateOwnedRows | Scope::PrivateRows | Scope::None
            ))
    }

    /// Submits the school's forms: a new version with a receipt number and an immutable snapshot,
    /// status 已报送. Refused after the deadline (extension included), while a row is unconfirmed
    /// or a form lacks a scan of its current version, when a form changed after `req.checked`, and
    /// unless the submission is a draft or was returned. `None` when the school is not in scope.
    pub async fn submit(
        &self,
        scope: &Scope,
        req: &SubmitRequest,
        now: DateTime<Utc>,
        actor: &Actor,
    ) -> Result<Option<VersionInfo>, StoreError> {
        if !scope.is_school(req.school_id) {
            return Ok(None);
        }
        let now = db_time(now);
        let tx = self.begin_write().await?;
        let batch = require_open_batch(tx.conn(), req.batch_id).await?;
        let school = orgs::Entity::find_by_id(req.school_id)
            .one(tx.conn())
            .await?
            .filter(|o| o.is_school)
            .ok_or(StoreError::NotFound("学校"))?;
        let sub = ensure_submission(&tx, req.batch_id, req.school_id).await?;
        let status: SubmissionStatus = sub.status.parse()?;
        if !matches!(status, SubmissionStatus::Draft | SubmissionStatus::Returned) {
            return Err(StoreError::State(format!(
                "本校报送当前为「{}」，不能再次报送",
                status.label()
            )));
        }
        // Lock the forms so no edit slips in between the check and the snapshot.
        let forms = school_forms_in(tx.conn(), req.batch_id, req.school_id).await?;
        for f in &forms {
            forms::Entity::find_by_id(f.id)
                .lock_exclusive()
                .one(tx.conn())
                .await?;
        }
        let forms = school_forms_in(tx.conn(), req.batch_id, req.school_id).await?;
        if forms.is_empty() {
            return Err(StoreError::State(
                "尚无已确认的合作关系及推荐表，不能报送".to_string(),
            ));
        }
        let facts = facts_in(tx.conn(), &batch, req.school_id, &forms).await?;
        if now > facts.effective_deadline() {
            return Err(StoreError::State(format!(
                "已超过报送截止时间（{}）",
                beijing_time(facts.effective_deadline())
            )));
        }
        let mut checked = req.checked.clone();
        checked.sort_unstable();
        let mut current = facts.form_versions.clone();
        current.sort_unstable();
        if checked != current {
            return Err(StoreError::Conflict(
                "推荐表在检查后已被修改，请重新检查后再报送".to_string(),
            ));
        }
        if !facts.unconfirmed.is_empty() {
            return Err(StoreError::State(format!(
                "有 {} 人尚未经企业确认：{}",
                facts.unconfirmed.len(),
                facts.unconfirmed.join("、")
            )));
        }
        if !facts.sealed_scan_current {
            return Err(StoreError::State(
                "有推荐表尚未上传当前版本的校企双方盖章扫描件".to_string(),
            ));
        }
        let version_no: i32 = submission_versions::Entity::find()
            .select_only()
            .column_as(submission_versions::Column::VersionNo.max(), "max")
            .filter(submission_versions::Column::SubmissionId.eq(sub.id))
            .into_tuple::<Option<i32>>()
            .one(tx.conn())
            .await?
            .flatten()
            .unwrap_or(0)
            + 1;
        let receipt = receipt_no(batch.number, req.school_id, version_no);
        let ids: Vec<i64> = forms.iter().map(|f| f.id).collect();
        let scans = latest_scans(tx.conn(), &ids).await?;
        let snapshot = Snapshot {
            snapshot_version: SNAPSHOT_VERSION,
            receipt_no: receipt.clone(),
            batch: SnapBatch {
                id: batch.id,
                number: batch.number,
                name: batch.name.clone(),
            },
            school: SnapSchool {
                id: school.id,
                name: school.name.clone(),
                category: school.category.clone(),
            },
            version_no,
            submitted_at: now,
            submitted_by: SnapActor {
                user_id: actor.user_id,
                name: actor.name.clone(),
            },
            forms: forms
                .iter()
                .map(|f| SnapForm {
                    form_id: f.id,
                    partnership_id: f.partnership_id,
                    enterprise: SnapEnterprise {
                        id: f.enterprise_id,
                        name: f.enterprise_name.clone(),
                        category: f.enterprise_category.clone(),
                    },
                    version: f.version,
                    content_hash: f.content_hash.clone(),
                    header_school: f.header_school.clone(),
                    header_enterprise: f.header_enterprise.clone(),
                    filler: f.filler.clone(),
                    phone: f.phone.clone(),
                    rows: f
                        .rows
                        .iter()
                        .map(|r| SnapRow {
                            row_id: r.id,
                            position: r.position,
                            cells: r.cells.clone(),
                            confirmed_version: r.confirmed_version,
                        })
                        .collect(),
                    scan: scans.get(&f.id).map(|(id, v, sha)| SnapScan {
                        scan_id: *id,
                        form_version: *v,
                        sha256: sha.clone(),
                    }),
                })
                .collect(),
            report: req.report.clone(),
        };
        let text = serde_json::to_string(&snapshot)
            .map_err(|e| StoreError::Corrupt(format!("快照无法保存：{e}")))?;
        let snapshot_hash = hex::encode(Sha256::digest(text.as_bytes()));
        let am = submission_versions::ActiveModel {
            id: NotSet,
            submission_id: Set(sub.id),
            version_no: Set(version_no),
            receipt_no: Set(receipt.clone()),
            snapshot: Set(text),
            snapshot_hash: Set(snapshot_hash.clone()),
            submitted_by: Set(actor.user_id),
            submitted_at: Set(now),
        };
        let vid = submission_versions::Entity::insert(am)
            .exec(tx.conn())
            .await?
            .last_insert_id;
        // 四(四): the copies go to 市国资委 / 市工商联 from submission on.
        let params = crate::batches::batch_from(batch.clone())?.params;
        let routed: Vec<(i64, i64, i64)> = forms
            .iter()
            .map(|f| (f.id, f.partnership_id, f.enterprise_id))
            .collect();
        crate::selection::route_copies(&tx, &params, batch.id, req.school_id, vid, &routed, now)
            .await?;
        submissions::Entity::update_many()
            .col_expr(
                submissions::Column::Status,
                Expr::value(SubmissionStatus::Submitted.as_str()),
            )
            .col_expr(
                submissions::Column::CurrentVersion,
                Expr::value(Some(version_no)),
            )
            .col_expr(submissions::Column::UpdatedAt, Expr::value(now))
            .filter(submissions::Column::Id.eq(sub.id))
            .exec(tx.conn())
            .await?;
        self.audit_in(
            &tx,
            AuditEntry::new(
                actor,
                "submission.submit",
                format!("submission:{}", sub.id),
                format!("receipt {receipt} snapshot sha256 {snapshot_hash}"),
            ),
        )
        .await?;
        let info = self.version_info_in(&tx, vid).await?;
        tx.commit().await?;
        Ok(Some(info))
    }

    async fn version_info_in(&self, tx: &Tx, vid: i64) -> Result<VersionInfo, StoreError> {
        let v = submission_versions::Entity::find_by_id(vid)
            .one(tx.conn())
            .await?
            .ok_or(StoreError::NotFound("报送版本"))?;
        Ok(version_info(v, None))
    }

    /// The school's submission in a batch, if in scope.
    pub async fn get_submission(
        &self,
        scope: &Scope,
        batch_id: i64,
        school_id: i64,
    ) -> Result<Option<Submission>, StoreError> {
        let Some(m) = submissions::Entity::find()
            .filter(submissions::Column::BatchId.eq(batch_id))
            .filter(submissions::Column::SchoolId.eq(school_id))
            .filter(scope.submission_filter())
            .one(self.conn())
            .await?
        else {
            return Ok(None);
        };
        let orgs = org_map(self.conn(), [m.school_id]).await?;
        submission_out(m, &orgs).map(Some)
    }

    /// A submission by id, if in scope.
    pub async fn get_submission_by_id(
        &self,
        scope: &Scope,
        id: i64,
    ) -> Result<Option<Submission>, StoreError> {
        let Some(m) = submissions::Entity::find_by_id(id)
            .filter(scope.submission_filter())
            .one(self.conn())
            .await?
        else {
            return Ok(None);
        };
        let orgs = org_map(self.conn(), [m.school_id]).await?;
        submission_out(m, &orgs).map(Some)
    }

    /// The inbox: submissions in scope matching `filter`, most recently changed first.
    pub async fn list_submissions(
        &self,
        scope: &Scope,
        filter: &SubmissionFilter,
        page: PageRequest,
    ) -> Result<Paged<Submission>, StoreError> {
        let mut q = submissions::Entity::find().filter(scope.submission_filter());
        if let Some(b) = filter.batch_id {
            q = q.filter(submissions::Column::BatchId.eq(b));
        }
        if let Some(s) = filter.status {
            q = q.filter(submissions::Column::Status.eq(s.as_str()));
        }
        if let Some(s) = filter.school_id {
            q = q.filter(submissions::Column::SchoolId.eq(s));
        }
        let mut org_cond = Condition::all();
        let mut by_org = false;
        if let Some(t) = filter.tier.as_deref().filter(|s| !s.is_empty()) {
            org_cond = org_cond.add(orgs::Column::Category.eq(t));
            by_org = true;
        }
        if let Some(n) = filter
            .school_name
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            org_cond = org_cond.add(orgs::Column::Name.like(like_contains(n)));
            by_org = true;
        }
        if by_org {
            q = q.filter(
                submissions::Column::SchoolId.in_subquery(
                    sea_orm::sea_query::Query::select()
                        .column(orgs::Column::Id)
                        .from(orgs::Entity)
                        .cond_where(org_cond)
                        .to_owned(),
                ),
            );
        }
        let total = q.clone().count(self.conn()).await?;
        let models = q
            .order_by_desc(submissions::Column::UpdatedAt)
            .order_by_desc(submissions::Column::Id)
            .offset(page.offset)
            .limit(page.limit)
            .all(self.conn())
            .await?;
        let orgs = org_map(self.conn(), models.iter().map(|m| m.school_id)).await?;
        let items = models
            .into_iter()
            .map(|m| submission_out(m, &orgs))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Paged {
            items,
            total,
            offset: page.offset,
            limit: page.limit,
        })
    }

    /// A submission's versions, oldest first, with their reviews; `None` when not in scope.
    pub async fn list_versions(
        &self,
        scope: &Scope,
        submission_id: i64,
    ) -> Result<Option<Vec<VersionInfo>>, StoreError> {
        if self
            .get_submission_by_id(scope, submission_id)
            .await?
            .is_none()
        {
            return Ok(None);
        }
        let versions = submission_versions::Entity::find()
            .select_only()
            .columns([
                submission_versions::Column::Id,
                submission_versions::Column::SubmissionId,
                submission_versions::Column::VersionNo,
                submission_versions::Column::ReceiptNo,
                submission_versions::Column::SnapshotHash,
                submission_versions::Column::SubmittedBy,
                submission_versions::Column::SubmittedAt,
            ])
            .filter(submission_versions::Column::SubmissionId.eq(submission_id))
            .order_by_asc(submission_versions::Column::VersionNo)
            .into_tuple::<(i64, i64, i32, String, String, Option<i64>, DateTime<Utc>)>()
            .all(self.conn())
            .await?;
        let ids: Vec<i64> = versions.iter().map(|v| v.0).collect();
        let mut by_version: BTreeMap<i64, Review> = BTreeMap::new();
        for r in reviews::Entity::find()
            .filter(reviews::Column::SubmissionVersionId.is_in(ids))
            .order_by_asc(reviews::Column::Id)
            .all(self.conn())
            .await?
        {
            let r = review_out(r)?;
            by_version.insert(r.submission_version_id, r);
        }
        Ok(Some(
            versions
                .into_iter()
                .map(
                    |(
                        id,
                        submission_id,
                        version_no,
                        receipt_no,
                        snapshot_hash,
                        submitted_by,
                        submitted_at,
                    )| VersionInfo {
                        id,
                        submission_id,
                        version_no,
                        receipt_no,
                        snapshot_hash,
                        submitted_by,
                        submitted_at,
                        review: by_version.remove(&id),
                    },
                )
                .collect(),
        ))
    }

    /// One version with its snapshot, if its submission is in scope.
    pub async fn get_version(
        &self,
        scope: &Scope,
        version_id: i64,
    ) -> Result<Option<SubmissionVersion>, StoreError> {
        let Some(v) = submission_versions::Entity::find_by_id(version_id)
            .one(self.conn())
            .await?
        else {
            return Ok(None);
        };
        if self
            .get_submission_by_id(scope, v.submission_id)
            .await?
            .is_none()
        {
            return Ok(None);
        }
        let review = reviews::Entity::find()
            .filter(reviews::Column::SubmissionVersionId.eq(version_id))
            .order_by_desc(reviews::Column::Id)
            .one(self.conn())
            .await?
            .map(review_out)
            .transpose()?;
        let snapshot = Snapshot::parse(&v.snapshot, &format!("报送版本 {version_id} "))?;
        Ok(Some(SubmissionVersion {
            info: version_info(v, review),
            snapshot,
        }))
    }

    /// Accepts or returns the current version of a submitted submission. `None` when the version's
    /// submission is not in scope. Accepting writes `candidates` (the version's people) as 待遴选.
    #[allow(clippy::too_many_arguments)]
    pub async fn review(
        &self,
        scope: &Scope,
        version_id: i64,
        decision: Decision,
        reasons: &[ReviewReason],
        note: &str,
        candidates: &[crate::selection::Candidate],
        actor: &Actor,
    ) -> Result<Option<Review>, StoreError> {
        if decision == Decision::Returned && reasons.is_empty() && note.trim().is_empty() {
            return Err(StoreError::Invalid(
                "退回时须选择问题或填写说明".to_string(),
            ));
        }
        let reasons_json =
            serde_json::to_string(reasons).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let tx = self.begin_write().await?;
        let Some(v) = submission_versions::Entity::find_by_id(version_id)
            .one(tx.conn())
            .await?
        else {
            return Ok(None);
        };
        let Some(sub) = submissions::Entity::find_by_id(v.submission_id)
            .filter(scope.submission_filter())
            .lock_exclusive()
            .one(tx.conn())
            .await?
        else {
            return Ok(None);
        };
        let status: SubmissionStatus = sub.status.parse()?;
        if status != SubmissionStatus::Submitted || sub.current_version != Some(v.version_no) {
            return Err(StoreError::State(format!(
                "只能审核待审核的最新版本（本报送当前为「{}」）",
                status.label()
            )));
        }
        let at = crate::db::now();
        let am = reviews::ActiveModel {
            id: NotSet,
            submission_version_id: Set(version_id),
            decision: Set(decision.as_str().to_string()),
            reasons: Set(reasons_json),
            note: Set(note.trim().to_string()),
            reviewer_id: Set(actor.user_id),
            at: Set(at),
        };
        let rid = reviews::Entity::insert(am)
            .exec(tx.conn())
            .await?
            .last_insert_id;
        let to = match decision {
            Decision::Accepted => SubmissionStatus::Accepted,
            Decision::Returned => SubmissionStatus::Returned,
        };
        submissions::Entity::update_many()
            .col_expr(submissions::Column::Status, Expr::value(to.as_str()))
            .col_expr(submissions::Column::UpdatedAt, Expr::value(at))
            .filter(submissions::Column::Id.eq(sub.id))
            .exec(tx.conn())
            .await?;
        if decision == Decision::Accepted {
            // 遴选 starts here: every person of the accepted version is 待遴选.
            crate::selection::create_selections(
                &tx,
                sub.batch_id,
                sub.school_id,
                version_id,
                candidates,
            )
            .await?;
        }
        self.audit_in(
            &tx,
            AuditEntry::new(
                actor,
                match decision {
                    Decision::Accepted => "submission.accept",
                    Decision::Returned => "submission.return",
                },
                format!("submission:{}", sub.id),
                format!("receipt {} reasons {}", v.receipt_no, reasons.len()),
            ),
        )
        .await?;
        let r = reviews::Entity::find_by_id(rid)
            .one(tx.conn())
            .await?
            .ok_or(StoreError::NotFound("审核意见"))?;
        tx.commit().await?;
        review_out(r).map(Some)
    }
}

/// A time as the commission writes it, in Asia/Shanghai (UTC+8, no daylight saving).
pub fn beijing_time(t: DateTime<Utc>) -> String {
    match chrono::FixedOffset::east_opt(8 * 3600) {
        Some(tz) => t
            .with_timezone(&tz)
            .format("%Y年%-m月%-d日 %H:%M")
            .to_string(),
        None => t.to_rfc3339(),
    }
}

fn version_info(v: submission_versions::Model, review: Option<Review>) -> VersionInfo {
    VersionInfo {
        id: v.id,
        submission_id: v.submission_id,
        version_no: v.version_no,
        receipt_no: v.receipt_no,
        snapshot_hash: v.snapshot_hash,
        submitted_by: v.submitted_by,
        submitted_at: v.submitted_at,
        review,
    }
}
