//! A person across batches: every row of every batch that shares the person's identity — the
//! normalised mobile number, or the normalised name with the mobile — read from the identity
//! index (`people_index`) the checks maintain.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use shuangshi_rules::Occurrence;

use crate::db::Store;
use crate::entity::people_index;
use crate::error::StoreError;
use crate::scope::Scope;
use crate::submissions::SubmissionStatus;

/// One appearance of a person: a row of a form of a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct Appearance {
    pub batch_id: i64,
    pub batch_number: u32,
    pub batch_name: String,
    pub school_id: i64,
    pub school_name: String,
    pub form_id: i64,
    pub enterprise_name: String,
    /// The row number the form shows (as in findings).
    pub row_no: u32,
    /// The row's cells in `Column::ALL` order, as stored now.
    pub cells: Vec<String>,
    pub occurrence: Occurrence,
    /// The school's submission in that batch (`None`: never submitted).
    pub status: Option<SubmissionStatus>,
}

impl Store {
    /// The history of the person on row `row_no` of form `form_id`: every appearance in every batch
    /// (this one included), oldest batch first. `None` when the row is not indexed or its school is
    /// outside `scope`; appearances at schools outside `scope` are left out.
    pub async fn person_history(
        &self,
        scope: &Scope,
        form_id: i64,
        row_no: u32,
    ) -> Result<Option<Vec<Appearance>>, StoreError> {
        let Some(me) = people_index::Entity::find()
            .filter(people_index::Column::FormId.eq(form_id))
            .filter(people_index::Column::RowNo.eq(i32::try_from(row_no).unwrap_or(i32::MAX)))
            .one(self.conn())
            .await?
        else {
            return Ok(None);
        };
        if !self.school_visible(scope, me.school_id).await? {
            return Ok(None);
        }
        let mut same = sea_orm::Condition::any().add(people_index::Column::Id.eq(me.id));
        if let Some(m) = &me.mobile_key {
            same = same.add(people_index::Column::MobileKey.eq(m.as_str()));
        }
        if let Some(p) = &me.person_key {
            same = same.add(people_index::Column::PersonKey.eq(p.as_str()));
        }
        let rows = people_index::Entity::find()
            .filter(same)
            .order_by_asc(people_index::Column::BatchId)
            .order_by_asc(people_index::Column::Id)
            .all(self.conn())
            .await?;
        let batches: HashMap<i64, (u32, String)> = self
            .list_batches()
            .await?
            .into_iter()
            .map(|b| (b.id, (b.number, b.name)))
            .collect();
        let mut visible: HashMap<i64, bool> = HashMap::new();
        let mut out = Vec::new();
        for m in rows {
            let shown = match visible.get(&m.school_id) {
                Some(v) => *v,
                None => {
                    let v = self.school_visible(scope, m.school_id).await?;
                    visible.insert(m.school_id, v);
                    v
                }
            };
            if !shown {
                continue;
            }
            let Some(form) = self.get_form(scope, m.form_id).await? else {
                continue;
            };
            let occurrence: Occurrence = serde_json::from_str(&m.occurrence)
                .map_err(|e| StoreError::Corrupt(format!("人员索引 {}：{e}", m.id)))?;
            let row_no = u32::try_from(m.row_no).unwrap_or(0);
            let index = usize::try_from(row_no.saturating_sub(crate::forms::FIRST_ROW)).ok();
            let cells = index
                .and_then(|i| form.rows.get(i))
                .map(|r| r.cells.clone())
                .unwrap_or_default();
            let status = self
                .get_submission(scope, m.batch_id, m.school_id)
                .await?
                .map(|s| s.status);
            let (batch_number, batch_name) = batches.get(&m.batch_id).cloned().unwrap_or_default();
            out.push(Appearance {
                batch_id: m.batch_id,
                batch_number,
                batch_name,
                school_id: m.school_id,
                school_name: form.school_name.clone(),
                form_id: m.form_id,
                enterprise_name: form.enterprise_name.clone(),
                row_no,
                cells,
                occurrence,
                status,
            });
        }
        out.sort_by_key(|a| (a.batch_number, a.form_id, a.row_no));
        Ok(Some(out))
    }
}
