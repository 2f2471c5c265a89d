//! Reads for the commission's 工作台 that no list page needs: when each submission version of a
//! batch was submitted (the 报送 line against the deadline), and the batch's counts as data — each
//! form's stored tally (the per-form counts the school check keeps, `form_checks`), the school
//! checks' stamps and findings, the rows still awaiting the enterprise, the selections and the
//! term records counted by what the charts distinguish — so that the dashboard never reads and
//! lays out every person of a batch.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use shuangshi_rules::{Column, FindingRecord, Tally};

use crate::checks::decode_findings;
use crate::db::Store;
use crate::entity::{
    form_checks, form_rows, forms, partnerships, school_checks, selections, submission_versions,
    submissions, term_records,
};
use crate::error::StoreError;
use crate::partnerships::{Partnership, org_map, partnerships_with};
use crate::scope::Scope;
use crate::selection::selection_filter;
use crate::term::{ArrivalState, final_selection_ids};

/// One submit (a submission version), without its snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubmitEvent {
    pub submission_id: i64,
    pub school_id: i64,
    pub version_no: i32,
    pub submitted_at: DateTime<Utc>,
}

/// A form of the batch in scope with its stored tally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormCount {
    pub form_id: i64,
    pub partnership_id: i64,
    pub version: i32,
    /// The stored check's form version and tally (`None`: never checked).
    pub checked: Option<(i32, Tally)>,
}

/// A stored school check without its forms: what it was computed on and the school's findings.
#[derive(Debug, Clone, PartialEq)]
pub struct SchoolStamp {
    pub school_id: i64,
    pub stamp: String,
    pub findings: Vec<FindingRecord>,
}

/// The counts of a batch the dashboard draws, each table read once.
#[derive(Debug, Clone, Default)]
pub struct BatchCounts {
    /// Every partnership of the batch in scope, newest first (as `list_partnerships` pages them).
    pub partnerships: Vec<Partnership>,
    /// The forms in scope of those partnerships, with their stored tallies.
    pub forms: Vec<FormCount>,
    /// The batch's stored school checks.
    pub schools: Vec<SchoolStamp>,
    /// Per form in scope, the 姓名 of each row the enterprise has not confirmed, in row order.
    pub unconfirmed: HashMap<i64, Vec<String>>,
    /// The batch's selections in scope per status code.
    pub selections: BTreeMap<String, u64>,
}

/// People on a batch's final list counted by what the term's charts and findings distinguish.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TermTally {
    /// `school` or `enterprise`, as the selection.
    pub direction: String,
    pub school_id: i64,
    pub arrival: ArrivalState,
    /// Whether 实际岗位, 聘期任务 and 岗位职责 are filled in (stored trimmed).
    pub post: bool,
    pub tasks: bool,
    pub duties: bool,
    pub assessed: bool,
}

/// The final list of a batch in scope, counted ([`Store::term_tallies`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TermTallies {
    /// How many people share each [`TermTally`].
    pub groups: Vec<(TermTally, u64)>,
    /// The names of the schools in `groups`.
    pub school_names: HashMap<i64, String>,
}

impl Store {
    /// Every submit of the batch's submissions in scope, oldest first.
    pub async fn submit_events(
        &self,
        scope: &Scope,
        batch_id: i64,
    ) -> Result<Vec<SubmitEvent>, StoreError> {
        let subs: Vec<(i64, i64)> = submissions::Entity::find()
            .select_only()
            .column(submissions::Column::Id)
            .column(submissions::Column::SchoolId)
            .filter(submissions::Column::BatchId.eq(batch_id))
            .filter(scope.submission_filter())
            .into_tuple()
            .all(self.conn())
            .await?;
        let school_of: std::collections::HashMap<i64, i64> = subs.iter().copied().collect();
        let ids: Vec<i64> = subs.iter().map(|(id, _)| *id).collect();
        let mut out = Vec::new();
        for chunk in ids.chunks(500) {
            let rows: Vec<(i64, i32, DateTime<Utc>)> = submission_versions::Entity::find()
                .select_only()
                .column(submission_versions::Column::SubmissionId)
                .column(submission_versions::Column::VersionNo)
                .column(submission_versions::Column::SubmittedAt)
                .filter(submission_versions::Column::SubmissionId.is_in(chunk.iter().copied()))
                .order_by_asc(submission_versions::Column::SubmittedAt)
                .into_tuple()
                .all(self.conn())
                .await?;
            out.extend(rows.into_iter().filter_map(|(sid, v, at)| {
                Some(SubmitEvent {
                    submission_id: sid,
                    school_id: *school_of.get(&sid)?,
                    version_no: v,
                    submitted_at: at,
                })
            }));
        }
        out.sort_by_key(|e| (e.submitted_at, e.submission_id, e.version_no));
        Ok(out)
    }

    /// The batch's counts in scope for the dashboard (see [`BatchCounts`]): partnerships, forms
    /// with their stored tallies, school checks, unconfirmed rows and selections per status.
    pub async fn batch_counts(
        &self,
        scope: &Scope,
        batch_id: i64,
    ) -> Result<BatchCounts, StoreError> {
        let batch_partnerships = || {
            Query::select()
                .column(partnerships::Column::Id)
                .from(partnerships::Entity)
                .and_where(partnerships::Column::BatchId.eq(batch_id))
                .to_owned()
        };
        let models = partnerships::Entity::find()
            .filter(scope.partnership_filter())
            .filter(partnerships::Column::BatchId.eq(batch_id))
            .order_by_desc(partnerships::Column::Id)
            .all(self.conn())
            .await?;
        let orgs = org_map(
            self.conn(),
            models.iter().flat_map(|p| [p.school_id, p.enterprise_id]),
        )
        .await?;
        let all_forms: Vec<(i64, i64, i32)> = forms::Entity::find()
            .select_only()
            .column(forms::Column::Id)
            .column(forms::Column::PartnershipId)
            .column(forms::Column::Version)
            .filter(forms::Column::PartnershipId.in_subquery(batch_partnerships()))
            .into_tuple()
            .all(self.conn())
            .await?;
        let form_of: HashMap<i64, i64> = all_forms.iter().map(|(id, p, _)| (*p, *id)).collect();
        let in_scope: Option<std::collections::HashSet<i64>> = match scope {
            Scope::All => None,
            _ => Some(
                forms::Entity::find()
                    .select_only()
                    .column(forms::Column::Id)
                    .filter(forms::Column::PartnershipId.in_subquery(batch_partnerships()))
                    .filter(scope.form_filter())
                    .into_tuple::<i64>()
                    .all(self.conn())
                    .await?
                    .into_iter()
                    .collect(),
            ),
        };
        let visible: std::collections::HashSet<i64> = models.iter().map(|p| p.id).collect();
        let checks: HashMap<i64, (i32, Tally)> = form_checks::Entity::find()
            .select_only()
            .column(form_checks::Column::FormId)
            .column(form_checks::Column::FormVersion)
            .column(form_checks::Column::Teachers)
            .column(form_checks::Column::TechVps)
            .column(form_checks::Column::Engineers)
            .column(form_checks::Column::Deans)
            .column(form_checks::Column::Undetermined)
            .filter(form_checks::Column::BatchId.eq(batch_id))
            .into_tuple::<(i64, i32, i32, i32, i32, i32, i32)>()
            .all(self.conn())
            .await?
            .into_iter()
            .map(
                |(id, v, teachers, tech_vps, engineers, deans, undetermined)| {
                    let u = |v: i32| u32::try_from(v).unwrap_or(0);
                    let tally = Tally {
                        teachers: u(teachers),
                        tech_vps: u(tech_vps),
                        engineers: u(engineers),
                        deans: u(deans),
                        undetermined: u(undetermined),
                    };
                    (id, (v, tally))
                },
            )
            .collect();
        let forms: Vec<FormCount> = all_forms
            .iter()
            .filter(|(id, p, _)| {
                visible.contains(p) && in_scope.as_ref().is_none_or(|s| s.contains(id))
            })
            .map(|(id, p, v)| FormCount {
                form_id: *id,
                partnership_id: *p,
                version: *v,
                checked: checks.get(id).copied(),
            })
            .collect();
        let partnerships = partnerships_with(models, &orgs, &form_of)?;
        let schools = school_checks::Entity::find()
            .select_only()
            .column(school_checks::Column::SchoolId)
            .column(school_checks::Column::Stamp)
            .column(school_checks::Column::Findings)
            .filter(school_checks::Column::BatchId.eq(batch_id))
            .into_tuple::<(i64, String, String)>()
            .all(self.conn())
            .await?
            .into_iter()
            .map(|(school_id, stamp, findings)| {
                Ok(SchoolStamp {
                    school_id,
                    stamp,
                    findings: decode_findings(&findings, "学校")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let shown: std::collections::HashSet<i64> = forms.iter().map(|f| f.form_id).collect();
        let mut unconfirmed: HashMap<i64, Vec<String>> = HashMap::new();
        let rows: Vec<(i64, i64, String)> = form_rows::Entity::find()
            .select_only()
            .column(form_rows::Column::FormId)
            .column(form_rows::Column::Id)
            .column(form_rows::Column::Cells)
            .filter(form_rows::Column::ConfirmedVersion.is_null())
            .filter(
                form_rows::Column::FormId.in_subquery(
                    Query::select()
                        .column(forms::Column::Id)
                        .from(forms::Entity)
                        .and_where(forms::Column::PartnershipId.in_subquery(batch_partnerships()))
                        .to_owned(),
                ),
            )
            .order_by_asc(form_rows::Column::FormId)
            .order_by_asc(form_rows::Column::Position)
            .order_by_asc(form_rows::Column::Id)
            .into_tuple()
            .all(self.conn())
            .await?;
        for (form_id, id, cells) in rows {
            if !shown.contains(&form_id) {
                continue;
            }
            let cells: Vec<String> = serde_json::from_str(&cells)
                .map_err(|e| StoreError::Corrupt(format!("表单行 {id}：{e}")))?;
            let name = cells
                .get(Column::Name as usize)
                .cloned()
                .unwrap_or_default();
            unconfirmed.entry(form_id).or_default().push(name);
        }
        let selections: BTreeMap<String, u64> = selections::Entity::find()
            .select_only()
            .column(selections::Column::Status)
            .column_as(selections::Column::Id.count(), "n")
            .filter(selections::Column::BatchId.eq(batch_id))
            .filter(selection_filter(scope))
            .group_by(selections::Column::Status)
            .into_tuple::<(String, i64)>()
            .all(self.conn())
            .await?
            .into_iter()
            .map(|(s, n)| (s, u64::try_from(n).unwrap_or(0)))
            .collect();
        Ok(BatchCounts {
            partnerships,
            forms,
            schools,
            unconfirmed,
            selections,
        })
    }

    /// The people on the batch's final list within `scope`, counted by direction, receiving school
    /// and what their term records hold ([`TermTally`]). Empty while no final list is published.
    pub async fn term_tallies(
        &self,
        scope: &Scope,
        batch_id: i64,
    ) -> Result<TermTallies, StoreError> {
        // The list, the selections and the records are read side by side.
        let sels = selections::Entity::find()
            .select_only()
            .column(selections::Column::Id)
            .column(selections::Column::Direction)
            .column(selections::Column::SchoolId)
            .filter(selections::Column::BatchId.eq(batch_id))
            .filter(selection_filter(scope))
            .into_tuple::<(i64, String, i64)>()
            .all(self.conn());
        // 1 when the text is filled in (the record's texts are stored trimmed), else 0.
        let filled =
            |c: term_records::Column| -> Expr { Expr::case(c.eq(""), 0).finally(1).into() };
        let records = term_records::Entity::find()
            .select_only()
            .column(term_records::Column::SelectionId)
            .column(term_records::Column::Arrival)
            .column_as(filled(term_records::Column::Post), "post_filled")
            .column_as(filled(term_records::Column::Tasks), "tasks_filled")
            .column_as(filled(term_records::Column::Duties), "duties_filled")
            .column_as(filled(term_records::Column::Assessment), "assessed")
            .filter(term_records::Column::BatchId.eq(batch_id))
            .into_tuple::<(i64, String, i32, i32, i32, i32)>()
            .all(self.conn());
        let (listed, sels, records) = tokio::try_join!(
            final_selection_ids(self, self.conn(), batch_id),
            async { Ok::<_, StoreError>(sels.await?) },
            async { Ok::<_, StoreError>(records.await?) },
        )?;
        let Some(listed) = listed else {
            return Ok(TermTallies::default());
        };
        let records: HashMap<i64, (String, i32, i32, i32, i32)> = records
            .into_iter()
            .map(|(id, a, p, t, d, s)| (id, (a, p, t, d, s)))
            .collect();
        let mut groups: BTreeMap<TermTally, u64> = BTreeMap::new();
        for (id, direction, school_id) in sels {
            if !listed.contains(&id) {
                continue;
            }
            let key = match records.get(&id) {
                Some((arrival, post, tasks, duties, assessed)) => TermTally {
                    direction,
                    school_id,
                    arrival: arrival.parse()?,
                    post: *post != 0,
                    tasks: *tasks != 0,
                    duties: *duties != 0,
                    assessed: *assessed != 0,
                },
                None => TermTally {
                    direction,
                    school_id,
                    arrival: ArrivalState::Unrecorded,
                    post: false,
                    tasks: false,
                    duties: false,
                    assessed: false,
                },
            };
            *groups.entry(key).or_default() += 1;
        }
        let school_names = org_map(self.conn(), groups.keys().map(|g| g.school_id))
            .await?
            .into_iter()
            .map(|(id, o)| (id, o.name))
            .collect();
        Ok(TermTallies {
            groups: groups.into_iter().collect(),
            school_names,
        })
    }
}
