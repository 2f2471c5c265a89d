//! Partnerships (校企合作关系): a school proposes an enterprise in a batch; the enterprise confirms
//! or rejects. Confirming creates the partnership's (empty) form and the school's draft submission.

use std::collections::HashMap;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, NotSet, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use crate::audit::AuditEntry;
use crate::batches::BatchStatus;
use crate::db::{Actor, PageRequest, Paged, Store, Tx, now};
use crate::entity::{batches, forms, orgs, partnerships, submissions};
use crate::error::StoreError;
use crate::forms::content_hash;
use crate::scope::Scope;

/// Where a partnership stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PartnershipStatus {
    /// 待企业确认.
    Proposed,
    /// 已确认.
    Confirmed,
    /// 企业已拒绝.
    Rejected,
}

impl PartnershipStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PartnershipStatus::Proposed => "proposed",
            PartnershipStatus::Confirmed => "confirmed",
            PartnershipStatus::Rejected => "rejected",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PartnershipStatus::Proposed => "待企业确认",
            PartnershipStatus::Confirmed => "已确认",
            PartnershipStatus::Rejected => "企业已拒绝",
        }
    }
}

impl FromStr for PartnershipStatus {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<PartnershipStatus, StoreError> {
        match s {
            "proposed" => Ok(PartnershipStatus::Proposed),
            "confirmed" => Ok(PartnershipStatus::Confirmed),
            "rejected" => Ok(PartnershipStatus::Rejected),
            other => Err(StoreError::Corrupt(format!(
                "合作关系状态「{other}」无法识别"
            ))),
        }
    }
}

/// A partnership with the names the pages show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partnership {
    pub id: i64,
    pub batch_id: i64,
    pub school_id: i64,
    pub school_name: String,
    pub school_category: String,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub enterprise_category: String,
    pub status: PartnershipStatus,
    /// E.g. the industry cluster 「33618」, 「成渝地区双城经济圈」.
    pub tags: Vec<String>,
    pub proposed_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub confirmed_at: Option<DateTime<Utc>>,
    /// The form, once confirmed.
    pub form_id: Option<i64>,
}

/// Filters for [`Store::list_partnerships`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartnershipFilter {
    pub batch_id: Option<i64>,
    pub status: Option<PartnershipStatus>,
    pub school_id: Option<i64>,
    pub enterprise_id: Option<i64>,
}

pub(crate) async fn org_map(
    conn: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i64>,
) -> Result<HashMap<i64, orgs::Model>, StoreError> {
    let mut ids: Vec<i64> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    let mut map = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        for m in orgs::Entity::find()
            .filter(orgs::Column::Id.is_in(chunk.iter().copied()))
            .all(conn)
            .await?
        {
            map.insert(m.id, m);
        }
    }
    Ok(map)
}

pub(crate) async fn partnerships_out(
    conn: &impl ConnectionTrait,
    models: Vec<partnerships::Model>,
) -> Result<Vec<Partnership>, StoreError> {
    let orgs = org_map(
        conn,
        models.iter().flat_map(|p| [p.school_id, p.enterprise_id]),
    )
    .await?;
    let ids: Vec<i64> = models.iter().map(|p| p.id).collect();
    let mut form_ids = HashMap::new();
    for chunk in ids.chunks(500) {
        let found: Vec<(i64, i64)> = forms::Entity::find()
            .select_only()
            .column(forms::Column::PartnershipId)
            .column(forms::Column::Id)
            .filter(forms::Column::PartnershipId.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(conn)
            .await?;
        form_ids.extend(found);
    }
    partnerships_with(models, &orgs, &form_ids)
}

/// The partnerships of `models` with their organisations and forms (`partnership id → form id`)
/// already read.
pub(crate) fn partnerships_with(
    models: Vec<partnerships::Model>,
    orgs: &HashMap<i64, orgs::Model>,
    form_ids: &HashMap<i64, i64>,
) -> Result<Vec<Partnership>, StoreError> {
    models
        .into_iter()
        .map(|p| {
            let school = orgs.get(&p.school_id);
            let enterprise = orgs.get(&p.enterprise_id);
            Ok(Partnership {
                id: p.id,
                batch_id: p.batch_id,
                school_id: p.school_id,
                school_name: school.map(|o| o.name.clone()).unwrap_or_default(),
                school_category: school.map(|o| o.category.clone()).unwrap_or_default(),
                enterprise_id: p.enterprise_id,
                enterprise_name: enterprise.map(|o| o.name.clone()).unwrap_or_default(),
                enterprise_category: enterprise.map(|o| o.category.clone()).unwrap_or_default(),
                status: p.status.parse()?,
                tags: serde_json::from_str(&p.tags).unwrap_or_default(),
                proposed_by: p.proposed_by,
                created_at: p.created_at,
                confirmed_at: p.confirmed_at,
                form_id: form_ids.get(&p.id).copied(),
            })
        })
        .collect()
}

/// Fails unless the batch exists and is open.
pub(crate) async fn require_open_batch(
    conn: &impl ConnectionTrait,
    batch_id: i64,
) -> Result<batches::Model, StoreError> {
    let b = batches::Entity::find_by_id(batch_id)
        .one(conn)
        .await?
        .ok_or(StoreError::NotFound("批次"))?;
    if b.status != BatchStatus::Open.as_str() {
        return Err(StoreError::State(format!("{}未开放报送，不能修改", b.name)));
    }
    Ok(b)
}

fn clean_tags(tags: &[String]) -> Vec<String> {
    let mut out: Vec<String> = tags
        .iter()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect();
    out.dedup();
    out
}

impl Store {
    /// A school proposes `enterprise_id` as partner in `batch_id`. `None` when the school is not
    /// in the caller's scope. A rejected proposal may be made again.
    pub async fn propose_partnership(
        &self,
        scope: &Scope,
        batch_id: i64,
        school_id: i64,
        enterprise_id: i64,
        tags: &[String],
        actor: &Actor,
    ) -> Result<Option<Partnership>, StoreError> {
        if !scope.is_school(school_id) {
            return Ok(None);
        }
        let tags_json = serde_json::to_string(&clean_tags(tags))
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        let tx = self.begin_write().await?;
        require_open_batch(tx.conn(), batch_id).await?;
        let orgs = org_map(tx.conn(), [school_id, enterprise_id]).await?;
        let school = orgs
            .get(&school_id)
            .filter(|o| o.is_school)
            .ok_or(StoreError::NotFound("学校"))?;
        let enterprise = orgs
            .get(&enterprise_id)
            .filter(|o| !o.is_school)
            .ok_or(StoreError::NotFound("企业"))?;
        let existing = partnerships::Entity::find()
            .filter(partnerships::Column::BatchId.eq(batch_id))
            .filter(partnerships::Column::SchoolId.eq(school_id))
            .filter(partnerships::Column::EnterpriseId.eq(enterprise_id))
            .lock_exclusive()
            .one(tx.conn())
            .await?;
        let id = match existing {
            Some(p) if p.status == PartnershipStatus::Rejected.as_str() => {
                partnerships::Entity::update_many()
                    .col_expr(
                        partnerships::Column::Status,
                        Expr::value(PartnershipStatus::Proposed.as_str()),
                    )
                    .col_expr(partnerships::Column::Tags, Expr::value(tags_json))
                    .col_expr(partnerships::Column::ProposedBy, Expr::value(actor.user_id))
                    .filter(partnerships::Column::Id.eq(p.id))
                    .exec(tx.conn())
                    .await?;
                p.id
            }
            Some(_) => {
                return Err(StoreError::Conflict(format!(
                    "{}与{}的合作关系已存在",
                    school.name, enterprise.name
                )));
            }
            None => {
                let am = partnerships::ActiveModel {
                    id: NotSet,
                    batch_id: Set(batch_id),
                    school_id: Set(school_id),
                    enterprise_id: Set(enterprise_id),
                    status: Set(PartnershipStatus::Proposed.as_str().to_string()),
                    tags: Set(tags_json),
                    proposed_by: Set(actor.user_id),
                    created_at: Set(now()),
                    confirmed_at: Set(None),
                };
                partnerships::Entity::insert(am)
                    .exec(tx.conn())
                    .await?
                    .last_insert_id
            }
        };
        self.audit_in(
            &tx,
            AuditEntry::new(
                actor,
                "partnership.propose",
                format!("partnership:{id}"),
                format!("{} → {}", school.name, enterprise.name),
            ),
        )
        .await?;
        let out = self.partnership_in(&tx, &Scope::All, id).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// The enterprise confirms (`accept`) or rejects a proposed partnership. `None` when it is not
    /// in the caller's scope.
    pub async fn respond_partnership(
        &self,
        scope: &Scope,
        id: i64,
        accept: bool,
        actor: &Actor,
    ) -> Result<Option<Partnership>, StoreError> {
        let tx = self.begin_write().await?;
        let Some(p) = partnerships::Entity::find_by_id(id)
            .filter(scope.partnership_filter())
            .lock_exclusive()
            .one(tx.conn())
            .await?
        else {
            return Ok(None);
        };
        require_open_batch(tx.conn(), p.batch_id).await?;
        let status: PartnershipStatus = p.status.parse()?;
        if status != PartnershipStatus::Proposed {
            return Err(StoreError::State(format!(
                "合作关系当前为「{}」，不能再确认或拒绝",
                status.label()
            )));
        }
        let t = now();
        if accept {
            partnerships::Entity::update_many()
                .col_expr(
                    partnerships::Column::Status,
                    Expr::value(PartnershipStatus::Confirmed.as_str()),
                )
                .col_expr(partnerships::Column::ConfirmedAt, Expr::value(Some(t)))
                .filter(partnerships::Column::Id.eq(id))
                .exec(tx.conn())
                .await?;
            self.create_form_for(&tx, &p).await?;
            ensure_submission(&tx, p.batch_id, p.school_id).await?;
        } else {
            partnerships::Entity::update_many()
                .col_expr(
                    partnerships::Column::Status,
                    Expr::value(PartnershipStatus::Rejected.as_str()),
                )
                .filter(partnerships::Column::Id.eq(id))
                .exec(tx.conn())
                .await?;
        }
        let action = if accept {
            "partnership.confirm"
        } else {
            "partnership.reject"
        };
        self.audit_in(
            &tx,
            AuditEntry::new(actor, action, format!("partnership:{id}"), ""),
        )
        .await?;
        let out = self.partnership_in(&tx, &Scope::All, id).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn create_form_for(&self, tx: &Tx, p: &partnerships::Model) -> Result<(), StoreError> {
        let exists = forms::Entity::find()
            .filter(forms::Column::PartnershipId.eq(p.id))
            .count(tx.conn())
            .await?;
        if exists > 0 {
            return Ok(());
        }
        let orgs = org_map(tx.conn(), [p.school_id, p.enterprise_id]).await?;
        let school = orgs
            .get(&p.school_id)
            .map(|o| o.name.clone())
            .unwrap_or_default();
        let enterprise = orgs
            .get(&p.enterprise_id)
            .map(|o| o.name.clone())
            .unwrap_or_default();
        let hash = content_hash(&school, &enterprise, "", "", &[]);
        let am = forms::ActiveModel {
            id: NotSet,
            partnership_id: Set(p.id),
            version: Set(1),
            header_school: Set(school),
            header_enterprise: Set(enterprise),
            filler: Set(String::new()),
            phone: Set(String::new()),
            content_hash: Set(hash),
            updated_at: Set(now()),
        };
        forms::Entity::insert(am).exec(tx.conn()).await?;
        Ok(())
    }

    async fn partnership_in(
        &self,
        tx: &Tx,
        scope: &Scope,
        id: i64,
    ) -> Result<Option<Partnership>, StoreError> {
        let Some(m) = partnerships::Entity::find_by_id(id)
            .filter(scope.partnership_filter())
            .one(tx.conn())
            .await?
        else {
            return Ok(None);
        };
        Ok(partnerships_out(tx.conn(), vec![m]).await?.pop())
    }

    /// One partnership, if in scope.
    pub async fn get_partnership(
        &self,
        scope: &Scope,
        id: i64,
    ) -> Result<Option<Partnership>, StoreError> {
        let Some(m) = partnerships::Entity::find_by_id(id)
            .filter(scope.partnership_filter())
            .one(self.conn())
            .await?
        else {
            return Ok(None);
        };
        Ok(partnerships_out(self.conn(), vec![m]).await?.pop())
    }

    /// Partnerships in scope, newest first.
    pub async fn list_partnerships(
        &self,
        scope: &Scope,
        filter: &PartnershipFilter,
        page: PageRequest,
    ) -> Result<Paged<Partnership>, StoreError> {
        let mut q = partnerships::Entity::find().filter(scope.partnership_filter());
        if let Some(b) = filter.batch_id {
            q = q.filter(partnerships::Column::BatchId.eq(b));
        }
        if let Some(s) = filter.status {
            q = q.filter(partnerships::Column::Status.eq(s.as_str()));
        }
        if let Some(s) = filter.school_id {
            q = q.filter(partnerships::Column::SchoolId.eq(s));
        }
        if let Some(e) = filter.enterprise_id {
            q = q.filter(partnerships::Column::EnterpriseId.eq(e));
        }
        let total = q.clone().count(self.conn()).await?;
        let models = q
            .order_by_desc(partnerships::Column::Id)
            .offset(page.offset)
            .limit(page.limit)
            .all(self.conn())
            .await?;
        Ok(Paged {
            items: partnerships_out(self.conn(), models).await?,
            total,
            offset: page.offset,
            limit: page.limit,
        })
    }
}

/// The school's submission row in the batch, created as a draft when missing.
pub(crate) async fn ensure_submission(
    tx: &Tx,
    batch_id: i64,
    school_id: i64,
) -> Result<submissions::Model, StoreError> {
    let find = || {
        submissions::Entity::find()
            .filter(submissions::Column::BatchId.eq(batch_id))
            .filter(submissions::Column::SchoolId.eq(school_id))
    };
    if let Some(s) = find().lock_exclusive().one(tx.conn()).await? {
        return Ok(s);
    }
    let am = submissions::ActiveModel {
        id: NotSet,
        batch_id: Set(batch_id),
        school_id: Set(school_id),
        status: Set(crate::submissions::SubmissionStatus::Draft
            .as_str()
            .to_string()),
        current_version: Set(None),
        updated_at: Set(now()),
    };
    // Two enterprises confirming for the same school at once: the second insert does nothing.
    submissions::Entity::insert(am)
        .on_conflict(
            OnConflict::columns([submissions::Column::BatchId, submissions::Column::SchoolId])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(tx.conn())
        .await?;
    find()
        .lock_exclusive()
        .one(tx.conn())
        .await?
        .ok_or(StoreError::NotFound("报送"))
}

/// What [`Store::confirm_partnership_by_commission`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommissionConfirmed {
    pub partnership: Partnership,
    /// Whether the partnership was created or its status changed (false: it was confirmed
    /// already).
    pub changed: bool,
}

impl Store {
    /// The commission records a partnership as confirmed (when it imports the forms a school sent
    /// in by e-mail): created when missing, confirmed when proposed or rejected, left as it is
    /// when confirmed already. Creates the form and the school's draft submission like an
    /// enterprise's confirmation; the audit entry says the commission confirmed it.
    pub async fn confirm_partnership_by_commission(
        &self,
        batch_id: i64,
        school_id: i64,
        enterprise_id: i64,
        actor: &Actor,
    ) -> Result<CommissionConfirmed, StoreError> {
        let tx = self.begin_write().await?;
        let out = self
            .confirm_by_commission_in(&tx, batch_id, school_id, enterprise_id, actor)
            .await?;
        tx.commit().await?;
        Ok(out)
    }

    /// [`Store::confirm_partnership_by_commission`] inside the caller's write transaction.
    pub(crate) async fn confirm_by_commission_in(
        &self,
        tx: &Tx,
        batch_id: i64,
        school_id: i64,
        enterprise_id: i64,
        actor: &Actor,
    ) -> Result<CommissionConfirmed, StoreError> {
        require_open_batch(tx.conn(), batch_id).await?;
        let orgs = org_map(tx.conn(), [school_id, enterprise_id]).await?;
        let school = orgs
            .get(&school_id)
            .filter(|o| o.is_school)
            .ok_or(StoreError::NotFound("学校"))?;
        let enterprise = orgs
            .get(&enterprise_id)
            .filter(|o| !o.is_school)
            .ok_or(StoreError::NotFound("企业"))?;
        let existing = partnerships::Entity::find()
            .filter(partnerships::Column::BatchId.eq(batch_id))
            .filter(partnerships::Column::SchoolId.eq(school_id))
            .filter(partnerships::Column::EnterpriseId.eq(enterprise_id))
            .lock_exclusive()
            .one(tx.conn())
            .await?;
        let t = now();
        let (model, changed) = match existing {
            Some(p) if p.status == PartnershipStatus::Confirmed.as_str() => (p, false),
            Some(p) => {
                partnerships::Entity::update_many()
                    .col_expr(
                        partnerships::Column::Status,
                        Expr::value(PartnershipStatus::Confirmed.as_str()),
                    )
                    .col_expr(partnerships::Column::ConfirmedAt, Expr::value(Some(t)))
                    .filter(partnerships::Column::Id.eq(p.id))
                    .exec(tx.conn())
                    .await?;
                (p, true)
            }
            None => {
                let am = partnerships::ActiveModel {
                    id: NotSet,
                    batch_id: Set(batch_id),
                    school_id: Set(school_id),
                    enterprise_id: Set(enterprise_id),
                    status: Set(PartnershipStatus::Confirmed.as_str().to_string()),
                    tags: Set("[]".to_string()),
                    proposed_by: Set(actor.user_id),
                    created_at: Set(t),
                    confirmed_at: Set(Some(t)),
                };
                let id = partnerships::Entity::insert(am)
                    .exec(tx.conn())
                    .await?
                    .last_insert_id;
                let m = partnerships::Entity::find_by_id(id)
                    .one(tx.conn())
                    .await?
                    .ok_or(StoreError::NotFound("合作关系"))?;
                (m, true)
            }
        };
        if changed {
            self.create_form_for(tx, &model).await?;
            ensure_submission(tx, batch_id, school_id).await?;
            self.audit_in(
                tx,
                AuditEntry::new(
                    actor,
                    "partnership.confirm_by_commission",
                    format!("partnership:{}", model.id),
                    format!(
                        "市教委导入推荐表时确认合作关系：{} → {}",
                        school.name, enterprise.name
                    ),
                ),
            )
            .await?;
        }
        let out = self
            .partnership_in(tx, &Scope::All, model.id)
            .await?
            .ok_or(StoreError::NotFound("合作关系"))?;
        Ok(CommissionConfirmed {
            partnership: out,
            changed,
        })
    }
}
