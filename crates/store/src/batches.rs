//! Batches: their parameters (the full `shuangshi_rules::Batch` as TOML), their status
//! (draft → open → closed, and reopened), and per-school deadline extensions.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, NotSet, QueryFilter, QueryOrder, QuerySelect,
};
use shuangshi_rules::Batch;

use crate::audit::AuditEntry;
use crate::db::{Actor, Store, db_time, now};
use crate::entity::{batches, deadline_extensions, orgs};
use crate::error::{StoreError, on_conflict};

/// Where a batch is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BatchStatus {
    /// Being set up; schools cannot see it yet.
    Draft,
    /// Open for partnerships, forms and submissions.
    Open,
    /// Closed: nothing changes any more.
    Closed,
}

impl BatchStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BatchStatus::Draft => "draft",
            BatchStatus::Open => "open",
            BatchStatus::Closed => "closed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            BatchStatus::Draft => "筹备中",
            BatchStatus::Open => "报送中",
            BatchStatus::Closed => "已截止",
        }
    }
}

impl FromStr for BatchStatus {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<BatchStatus, StoreError> {
        match s {
            "draft" => Ok(BatchStatus::Draft),
            "open" => Ok(BatchStatus::Open),
            "closed" => Ok(BatchStatus::Closed),
            other => Err(StoreError::Corrupt(format!("批次状态「{other}」无法识别"))),
        }
    }
}

/// A stored batch.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchRecord {
    pub id: i64,
    pub number: u32,
    pub name: String,
    pub params: Batch,
    pub status: BatchStatus,
    pub created_at: DateTime<Utc>,
}

impl BatchRecord {
    /// The batch's own deadline, in UTC.
    pub fn deadline(&self) -> DateTime<Utc> {
        self.params.deadline.with_timezone(&Utc)
    }
}

/// A school's deadline extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension {
    pub batch_id: i64,
    pub school_id: i64,
    pub school_name: String,
    pub deadline: DateTime<Utc>,
}

pub(crate) fn batch_from(m: batches::Model) -> Result<BatchRecord, StoreError> {
    let params = Batch::from_toml(&m.params_toml)
        .map_err(|e| StoreError::Corrupt(format!("批次 {} 的参数：{e}", m.id)))?;
    Ok(BatchRecord {
        id: m.id,
        number: u32::try_from(m.number).unwrap_or_default(),
        name: m.name,
        params,
        status: m.status.parse()?,
        created_at: m.created_at,
    })
}

/// The batch as TOML, checked to read back as the same batch.
fn to_toml(batch: &Batch) -> Result<String, StoreError> {
    let text = toml::to_string(batch)
        .map_err(|e| StoreError::Invalid(format!("批次参数无法写成 TOML：{e}")))?;
    Batch::from_toml(&text).map_err(|e| StoreError::Invalid(e.to_string()))?;
    Ok(text)
}

fn number_i32(n: u32) -> Result<i32, StoreError> {
    i32::try_from(n).map_err(|_| StoreError::Invalid(format!("批次编号 {n} 过大")))
}

impl Store {
    /// Stores a new batch (status draft).
    pub async fn create_batch(
        &self,
        batch: &Batch,
        actor: &Actor,
    ) -> Result<BatchRecord, StoreError> {
        let text = to_toml(batch)?;
        let tx = self.begin_write().await?;
        let am = batches::ActiveModel {
            id: NotSet,
            number: Set(number_i32(batch.number)?),
            name: Set(batch.name.clone()),
            params_toml: Set(text),
            status: Set(BatchStatus::Draft.as_str().to_string()),
            created_at: Set(now()),
        };
        let id = batches::Entity::insert(am)
            .exec(tx.conn())
            .await
            .map_err(|e| {
                on_conflict(e, || {
                    format!("{}（编号 {}）已存在", batch.name, batch.number)
                })
            })?
            .last_insert_id;
        let m = batches::Entity::find_by_id(id)
            .one(tx.conn())
            .await?
            .ok_or(StoreError::NotFound("批次"))?;
        self.commit_audited(
            tx,
            AuditEntry::new(
                actor,
                "batch.create",
                format!("batch:{id}"),
                batch.name.clone(),
            ),
        )
        .await?;
        batch_from(m)
    }

    /// A new batch with the previous one's parameters under a new number and name (e.g. 11,
    /// 「第十一批」); the term and deadline are then edited with [`Store::update_batch_params`].
    pub async fn create_from_previous(
        &self,
        prev_id: i64,
        number: u32,
        name: &str,
        actor: &Actor,
    ) -> Result<BatchRecord, StoreError> {
        let prev = self
            .get_batch(prev_id)
            .await?
            .ok_or(StoreError::NotFound("批次"))?;
        let mut params = prev.params;
        params.number = number;
        params.name = name.trim().to_string();
        self.create_batch(&params, actor).await
    }

    pub async fn get_batch(&self, id: i64) -> Result<Option<BatchRecord>, StoreError> {
        batches::Entity::find_by_id(id)
            .one(self.conn())
            .await?
            .map(batch_from)
            .transpose()
    }

    pub async fn get_batch_by_number(
        &self,
        number: u32,
    ) -> Result<Option<BatchRecord>, StoreError> {
        batches::Entity::find()
            .filter(batches::Column::Number.eq(number_i32(number)?))
            .one(self.conn())
            .await?
            .map(batch_from)
            .transpose()
    }

    /// All batches, newest number first.
    pub async fn list_batches(&self) -> Result<Vec<BatchRecord>, StoreError> {
        batches::Entity::find()
            .order_by_desc(batches::Column::Number)
            .all(self.conn())
            .await?
            .into_iter()
            .map(batch_from)
            .collect()
    }

    /// Replaces a batch's parameters with `toml_text`, validated by `Batch::from_toml` (whose
    /// Chinese message names the key at fault). Not allowed once the batch is closed.
    pub async fn update_batch_params(
        &self,
        id: i64,
        toml_text: &str,
        actor: &Actor,
    ) -> Result<BatchRecord, StoreError> {
        let batch = Batch::from_toml(toml_text).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let text = to_toml(&batch)?;
        let tx = self.begin_write().await?;
        let m = batches::Entity::find_by_id(id)
            .lock_exclusive()
            .one(tx.conn())
            .await?
            .ok_or(StoreError::NotFound("批次"))?;
        if m.status == BatchStatus::Closed.as_str() {
            return Err(StoreError::State("批次已截止，参数不能再修改".to_string()));
        }
        let am = batches::ActiveModel {
            id: Set(id),
            number: Set(number_i32(batch.number)?),
            name: Set(batch.name.clone()),
            params_toml: Set(text),
            status: NotSet,
            created_at: NotSet,
        };
        let updated = batches::Entity::update(am)
            .exec(tx.conn())
            .await
            .map_err(|e| on_conflict(e, || format!("编号 {} 的批次已存在", batch.number)))?;
        self.audit_in(
            &tx,
            AuditEntry::new(
                actor,
                "batch.update_params",
                format!("batch:{id}"),
                batch.name.clone(),
            ),
        )
        .await?;
        crate::checks::clear_checks_in(tx.conn(), Some(id)).await?;
        tx.commit().await?;
        batch_from(updated)
    }

    /// Opens a batch (from draft, or reopens a closed one).
    pub async fn open_batch(&self, id: i64, actor: &Actor) -> Result<BatchRecord, StoreError> {
        self.set_batch_status(id, BatchStatus::Open, actor).await
    }

    /// Closes an open batch.
    pub async fn close_batch(&self, id: i64, actor: &Actor) -> Result<BatchRecord, StoreError> {
        self.set_batch_status(id, BatchStatus::Closed, actor).await
    }

    async fn set_batch_status(
        &self,
        id: i64,
        to: BatchStatus,
        actor: &Actor,
    ) -> Result<BatchRecord, StoreError> {
        let tx = self.begin_write().await?;
        let m = batches::Entity::find_by_id(id)
            .lock_exclusive()
            .one(tx.conn())
            .await?
            .ok_or(StoreError::NotFound("批次"))?;
        let from: BatchStatus = m.status.parse()?;
        let allowed = matches!(
            (from, to),
            (BatchStatus::Draft | BatchStatus::Closed, BatchStatus::Open)
                | (BatchStatus::Open, BatchStatus::Closed)
        );
        if !allowed {
            return Err(StoreError::State(format!(
                "批次当前为「{}」，不能改为「{}」",
                from.label(),
                to.label()
            )));
        }
        batches::Entity::update_many()
            .col_expr(batches::Column::Status, Expr::value(to.as_str()))
            .filter(batches::Column::Id.eq(id))
            .exec(tx.conn())
            .await?;
        let action = match to {
            BatchStatus::Open => "batch.open",
            _ => "batch.close",
        };
        self.audit_in(
            &tx,
            AuditEntry::new(actor, action, format!("batch:{id}"), ""),
        )
        .await?;
        let m = batches::Entity::find_by_id(id)
            .one(tx.conn())
            .await?
            .ok_or(StoreError::NotFound("批次"))?;
        tx.commit().await?;
        batch_from(m)
    }

    /// Gives a school its own deadline in a batch (replacing an earlier extension).
    pub async fn set_extension(
        &self,
        batch_id: i64,
        school_id: i64,
        deadline: DateTime<Utc>,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let deadline = db_time(deadline);
        let tx = self.begin_write().await?;
        batches::Entity::find_by_id(batch_id)
            .one(tx.conn())
            .await?
            .ok_or(StoreError::NotFound("批次"))?;
        let school = orgs::Entity::find_by_id(school_id)
            .one(tx.conn())
            .await?
            .filter(|o| o.is_school)
            .ok_or(StoreError::NotFound("学校"))?;
        let am = deadline_extensions::ActiveModel {
            id: NotSet,
            batch_id: Set(batch_id),
            school_id: Set(school_id),
            deadline: Set(deadline),
        };
        deadline_extensions::Entity::insert(am)
            .on_conflict(
                OnConflict::columns([
                    deadline_extensions::Column::BatchId,
                    deadline_extensions::Column::SchoolId,
                ])
                .update_column(deadline_extensions::Column::Deadline)
                .to_owned(),
            )
            .exec_without_returning(tx.conn())
            .await?;
        self.audit_in(
            &tx,
            AuditEntry::new(
                actor,
                "batch.extend",
                format!("batch:{batch_id}"),
                format!("{} {}", school.name, deadline.to_rfc3339()),
            ),
        )
        .await?;
        tx.commit().await
    }

    /// Removes a school's extension. Returns whether there was one.
    pub async fn remove_extension(
        &self,
        batch_id: i64,
        school_id: i64,
        actor: &Actor,
    ) -> Result<bool, StoreError> {
        let tx = self.begin_write().await?;
        let res = deadline_extensions::Entity::delete_many()
            .filter(deadline_extensions::Column::BatchId.eq(batch_id))
            .filter(deadline_extensions::Column::SchoolId.eq(school_id))
            .exec(tx.conn())
            .await?;
        if res.rows_affected == 0 {
            return Ok(false);
        }
        self.commit_audited(
            tx,
            AuditEntry::new(
                actor,
                "batch.extend_remove",
                format!("batch:{batch_id}"),
                format!("org:{school_id}"),
            ),
        )
        .await?;
        Ok(true)
    }

    /// A batch's extensions, by school name.
    pub async fn list_extensions(&self, batch_id: i64) -> Result<Vec<Extension>, StoreError> {
        let rows = deadline_extensions::Entity::find()
            .filter(deadline_extensions::Column::BatchId.eq(batch_id))
            .all(self.conn())
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let name = orgs::Entity::find_by_id(r.school_id)
                .select_only()
                .column(orgs::Column::Name)
                .into_tuple::<String>()
                .one(self.conn())
                .await?
                .unwrap_or_default();
            out.push(Extension {
                batch_id: r.batch_id,
                school_id: r.school_id,
                school_name: name,
                deadline: r.deadline,
            });
        }
        out.sort_by(|a, b| a.school_name.cmp(&b.school_name));
        Ok(out)
    }

    /// The school's deadline in the batch: its extension when later than the batch's deadline,
    /// else the batch's.
    pub async fn effective_deadline(
        &self,
        batch_id: i64,
        school_id: i64,
    ) -> Result<DateTime<Utc>, StoreError> {
        let batch = self
            .get_batch(batch_id)
            .await?
            .ok_or(StoreError::NotFound("批次"))?;
        let ext = deadline_extensions::Entity::find()
            .filter(deadline_extensions::Column::BatchId.eq(batch_id))
            .filter(deadline_extensions::Column::SchoolId.eq(school_id))
            .one(self.conn())
            .await?;
        let base = db_time(batch.deadline());
        Ok(match ext {
            Some(e) if e.deadline > base => e.deadline,
            _ => base,
        })
    }
}
