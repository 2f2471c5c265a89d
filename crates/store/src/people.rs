//! A person across batches: every row of every batch that shares the person's identity — the
//! normalised mobile number, or the normalised name with the mobile — read from the identity
//! index (`people_index`) the checks maintain; and what became of each appearance afterwards
//! (its selection, the list in force that names it, its term record).

use std::collections::HashMap;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use shuangshi_rules::Occurrence;
use shuangshi_rules::text::norm;

use crate::db::Store;
use crate::entity::{people_index, selections};
use crate::error::StoreError;
use crate::scope::Scope;
use crate::selection::{PublicationKind, PublicationState, SelectionStatus, selection_filter};
use crate::submissions::SubmissionStatus;
use crate::term::TermRow;

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

/// What became of an appearance after it was recommended: the person's selection in that batch
/// and, once on the published final list, the term.
#[derive(Debug, Clone, PartialEq)]
pub struct AppearanceOutcome {
    pub selection_id: i64,
    /// 待遴选, 入选 or 未入选.
    pub status: SelectionStatus,
    /// Why 未入选 (empty otherwise).
    pub reason: String,
    /// The list in force that names the person: the batch's published final list (latest
    /// revision), else its published 公示 while no final list stands; `None` on neither.
    pub listed: Option<PublicationKind>,
    /// The term, when the person is on the published final list (`version` 0 while the receiving
    /// unit has recorded nothing).
    pub term: Option<TermRow>,
}

impl AppearanceOutcome {
    /// Whether the person is on the batch's published final list.
    pub fn on_final_list(&self) -> bool {
        self.listed == Some(PublicationKind::Final)
    }
}

impl Store {
    /// What became of each appearance (in the same order): its selection — the latest of the
    /// form's row in that batch, when it names the same person — with the list in force that names
    /// it and, on the final list, its term record. `None` for an appearance that never reached
    /// selection (its school's submission not accepted) or whose selection is outside `scope`.
    pub async fn appearance_outcomes(
        &self,
        scope: &Scope,
        appearances: &[Appearance],
    ) -> Result<Vec<Option<AppearanceOutcome>>, StoreError> {
        let mut batch_ids: Vec<i64> = appearances.iter().map(|a| a.batch_id).collect();
        batch_ids.sort_unstable();
        batch_ids.dedup();
        // (form, row) → the latest selection of that row; selection id → the list naming it.
        let mut chosen: HashMap<(i64, i32), selections::Model> = HashMap::new();
        let mut listed: HashMap<i64, PublicationKind> = HashMap::new();
        for batch_id in batch_ids {
            let forms: Vec<i64> = appearances
                .iter()
                .filter(|a| a.batch_id == batch_id)
                .map(|a| a.form_id)
                .collect();
            let rows = selections::Entity::find()
                .filter(selections::Column::BatchId.eq(batch_id))
                .filter(selections::Column::FormId.is_in(forms))
                .filter(selection_filter(scope))
                .order_by_asc(selections::Column::Id)
                .all(self.conn())
                .await?;
            for m in rows {
                chosen.insert((m.form_id, m.row_no), m);
            }
            let pubs = self.list_publications(batch_id).await?;
            let in_force = |kind: PublicationKind| {
                pubs.iter()
                    .rev()
                    .find(|p| p.kind == kind && p.state == PublicationState::Published)
            };
            // A published final list replaces the 公示 (as the selection page words it).
            if let Some(p) =
                in_force(PublicationKind::Final).or_else(|| in_force(PublicationKind::Publicity))
            {
                for e in &p.entries {
                    listed.insert(e.selection_id, p.kind);
                }
            }
        }
        let mut out = Vec::with_capacity(appearances.len());
        for a in appearances {
            let row = i32::try_from(a.row_no).unwrap_or(i32::MAX);
            let Some(m) = chosen
                .get(&(a.form_id, row))
                .filter(|m| norm(&m.name) == norm(&a.occurrence.name))
            else {
                out.push(None);
                continue;
            };
            let list = listed.get(&m.id).copied();
            let term = if list == Some(PublicationKind::Final) {
                self.term_row(scope, m.id).await?
            } else {
                None
            };
            out.push(Some(AppearanceOutcome {
                selection_id: m.id,
                status: m.status.parse()?,
                reason: m.reason.clone(),
                listed: list,
                term,
            }));
        }
        Ok(out)
    }

    /// Where the people of a batch's selections stand in the forms, within `scope`: selection id →
    /// (form id, row number as the form shows it), for pages that link a selected person to their
    /// history. `only` narrows it to one selection.
    pub async fn selection_rows(
        &self,
        scope: &Scope,
        batch_id: i64,
        only: Option<i64>,
    ) -> Result<HashMap<i64, (i64, u32)>, StoreError> {
        let mut q = selections::Entity::find()
            .filter(selections::Column::BatchId.eq(batch_id))
            .filter(selection_filter(scope));
        if let Some(id) = only {
            q = q.filter(selections::Column::Id.eq(id));
        }
        let rows: Vec<(i64, i64, i32)> = q
            .select_only()
            .column(selections::Column::Id)
            .column(selections::Column::FormId)
            .column(selections::Column::RowNo)
            .into_tuple()
            .all(self.conn())
            .await?;
        Ok(rows
            .into_iter()
            .map(|(id, form, row)| (id, (form, u32::try_from(row).unwrap_or(0))))
            .collect())
    }

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
