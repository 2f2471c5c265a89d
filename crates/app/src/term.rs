//! 聘期管理: the receiving unit records each listed person's arrival, placement and assessment; the
//! sending unit adds a remark; the commission watches the overdue findings (W04, W05) and closes
//! the term. Every door (pages, API, CLI, demo) calls these use cases.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use shuangshi_rules::Finding;
use shuangshi_rules::rules::w::{Arrival, TermFacts, check_term};
use shuangshi_store::{
    ArrivalState, Assessment, BatchRecord, TermChange, TermContent, TermRow, TermTallies,
    TermVersion,
};

use crate::checks::shanghai;
use crate::error::{Error, Result};
use crate::selection::refused;
use crate::{Actor, App, Scope};

/// A term record as typed on the page or sent to the API (every field text, as a clerk types it).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct TermForm {
    /// `arrived` (已到岗), `absent` (未到岗) or empty (未填报); the Chinese labels are read too.
    pub arrival: String,
    /// 到岗日期: `2024-02-26`, `2024/2/26` or `2024年2月26日`.
    pub arrived_on: String,
    pub absent_reason: String,
    pub post: String,
    pub tasks: String,
    pub duties: String,
    /// `excellent` / `pass` / `fail` or 优秀 / 合格 / 不合格; empty while not assessed.
    pub assessment: String,
    pub summary: String,
}

/// A person's term as a page shows it: the record, its findings and what the caller may do.
#[derive(Debug, Clone)]
pub struct TermView {
    pub row: TermRow,
    /// W04 / W05 now.
    pub findings: Vec<Finding>,
    /// The caller is the receiving unit (writes the record).
    pub may_record: bool,
    /// The caller is the sending unit (writes the remark).
    pub may_remark: bool,
    /// The person's form and row (as the form shows it; 0 when unknown), for the link to the
    /// person's history (`/people/{form_id}/{row_no}`).
    pub form_id: i64,
    pub row_no: u32,
}

impl TermView {
    pub fn direction_label(&self) -> &'static str {
        if self.row.direction == "enterprise" {
            "企业派出（到学校）"
        } else {
            "学校派出（到企业）"
        }
    }
}

/// The term of a batch within a scope.
#[derive(Debug, Clone)]
pub struct TermBoard {
    pub rows: Vec<TermView>,
    pub closed_at: Option<DateTime<Utc>>,
    /// 名单人数, 已到岗, 未到岗, 未填报, 已考核.
    pub listed: usize,
    pub arrived: usize,
    pub absent: usize,
    pub unrecorded: usize,
    pub assessed: usize,
    /// People with a W04 / W05 finding now.
    pub overdue: usize,
}

/// The term of a batch counted ([`TermBoard`]'s numbers without its rows).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TermCounts {
    pub listed: usize,
    pub arrived: usize,
    pub absent: usize,
    pub unrecorded: usize,
    pub assessed: usize,
    /// People with a W04 / W05 finding at the time counted.
    pub overdue: usize,
}

/// The numbers of the term board from the final list counted by what the records hold: W04/W05
/// decided once per kind of record at `at` (they depend on the record's state, not its wording).
pub fn term_counts(batch: &BatchRecord, tallies: &TermTallies, at: DateTime<Utc>) -> TermCounts {
    let now = at.with_timezone(&shanghai());
    let mut c = TermCounts::default();
    for (g, n) in &tallies.groups {
        let n = usize::try_from(*n).unwrap_or(usize::MAX);
        let filled = |set: bool| if set { "·" } else { "" };
        let facts = TermFacts {
            name: "",
            receiving_unit: "",
            now,
            arrival: match g.arrival {
                ArrivalState::Unrecorded => Arrival::Unrecorded,
                ArrivalState::Arrived => Arrival::Arrived,
                ArrivalState::Absent => Arrival::Absent,
            },
            post: filled(g.post),
            tasks: filled(g.tasks),
            duties: filled(g.duties),
            assessed: g.assessed,
        };
        c.listed += n;
        match g.arrival {
            ArrivalState::Arrived => c.arrived += n,
            ArrivalState::Absent => c.absent += n,
            ArrivalState::Unrecorded => c.unrecorded += n,
        }
        if g.assessed {
            c.assessed += n;
        }
        if !check_term(&batch.params, &facts).is_empty() {
            c.overdue += n;
        }
    }
    c
}

/// Reads a day as clerks type it: `2024-02-26`, `2024/2/26`, `2024.2.26`, `2024年2月26日`.
pub fn parse_day(text: &str) -> Option<NaiveDate> {
    let t = shuangshi_rules::text::norm(text);
    let t = t.trim_end_matches('日');
    let parts: Vec<&str> = t
        .split(['-', '/', '.', '年', '月'])
        .filter(|p| !p.is_empty())
        .collect();
    let [y, m, d] = parts.as_slice() else {
        return None;
    };
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

fn day_text(d: NaiveDate) -> String {
    d.format("%Y年%-m月%-d日").to_string()
}

/// The term findings (W04, W05) of one person at `at`.
pub fn term_findings(batch: &BatchRecord, row: &TermRow, at: DateTime<Utc>) -> Vec<Finding> {
    let c = &row.content;
    let facts = TermFacts {
        name: &row.name,
        receiving_unit: &row.receiving_unit,
        now: at.with_timezone(&shanghai()),
        arrival: match c.arrival {
            ArrivalState::Unrecorded => Arrival::Unrecorded,
            ArrivalState::Arrived => Arrival::Arrived,
            ArrivalState::Absent => Arrival::Absent,
        },
        post: &c.post,
        tasks: &c.tasks,
        duties: &c.duties,
        assessed: c.assessment.is_some(),
    };
    check_term(&batch.params, &facts)
}

/// The content a form asks for, or a Chinese refusal naming the field and the value.
pub fn read_term_form(batch: &BatchRecord, f: &TermForm) -> Result<TermContent> {
    let schedule = batch.params.schedule();
    let arrival = match f.arrival.trim() {
        "" | "未填报" => ArrivalState::Unrecorded,
        "arrived" | "已到岗" | "到岗" => ArrivalState::Arrived,
        "absent" | "未到岗" => ArrivalState::Absent,
        other => {
            return Err(Error::refused(format!(
                "「到岗情况」填写为「{other}」，无法识别；应为「已到岗」或「未到岗」"
            )));
        }
    };
    let mut content = TermContent {
        arrival,
        post: f.post.trim().to_owned(),
        tasks: f.tasks.trim().to_owned(),
        duties: f.duties.trim().to_owned(),
        summary: f.summary.trim().to_owned(),
        ..TermContent::default()
    };
    match arrival {
        ArrivalState::Arrived => {
            let text = f.arrived_on.trim();
            let Some(day) = parse_day(text) else {
                return Err(Error::refused(format!(
                    "「到岗日期」填写为「{text}」，无法识别；应为「2024-02-26」或「2024年2月26日」这样的日期"
                )));
            };
            let earliest = schedule
                .starts
                .checked_sub_days(chrono::Days::new(31))
                .unwrap_or(schedule.starts);
            if day < earliest || day > schedule.ends {
                return Err(Error::refused(format!(
                    "「到岗日期」{} 不在本批聘期（{}{}–{}）内；应为聘期开始前一个月至聘期结束之间的日期",
                    day_text(day),
                    batch.params.term,
                    day_text(schedule.starts),
                    day_text(schedule.ends)
                )));
            }
            content.arrived_on = Some(day);
        }
        ArrivalState::Absent => {
            let reason = f.absent_reason.trim();
            if reason.is_empty() {
                return Err(Error::refused(
                    "选择「未到岗」时须填写「未到岗原因」，例如「本人因病申请退出」",
                ));
            }
            content.absent_reason = reason.to_owned();
        }
        ArrivalState::Unrecorded => {}
    }
    let assessment = f.assessment.trim();
    if !assessment.is_empty() {
        let Some(a) = Assessment::parse(assessment) else {
            return Err(Error::refused(format!(
                "「考核鉴定」填写为「{assessment}」，无法识别；应为「优秀」「合格」或「不合格」"
            )));
        };
        if arrival != ArrivalState::Arrived {
            return Err(Error::refused(
                "只有「已到岗」的人员才能填写考核鉴定；请先填写到岗日期",
            ));
        }
        if content.summary.is_empty() {
            return Err(Error::refused(format!(
                "考核鉴定为「{}」时须填写简要评语（聘期工作完成情况）",
                a.label()
            )));
        }
        content.assessment = Some(a);
    } else if !content.summary.is_empty() {
        return Err(Error::refused(
            "填写了考核评语但未选择「考核鉴定」；应为「优秀」「合格」或「不合格」",
        ));
    }
    Ok(content)
}

fn view(
    batch: &BatchRecord,
    scope: &Scope,
    row: TermRow,
    at: DateTime<Utc>,
    places: &HashMap<i64, (i64, u32)>,
) -> TermView {
    let me = match *scope {
        Scope::School(id) | Scope::Enterprise(id) => Some(id),
        _ => None,
    };
    let (form_id, row_no) = places.get(&row.selection_id).copied().unwrap_or_default();
    TermView {
        findings: term_findings(batch, &row, at),
        may_record: me == Some(row.receiver_id),
        may_remark: me == Some(row.sender_id),
        form_id,
        row_no,
        row,
    }
}

impl App {
    /// The batch whose term and subsidy a page or a command shows: `number`, else the latest
    /// batch with a published final list, else the latest batch.
    pub async fn term_batch(&self, number: Option<u32>) -> Result<BatchRecord> {
        let mut batches = self.store.list_batches().await?;
        batches.sort_by_key(|b| std::cmp::Reverse(b.number));
        if let Some(n) = number {
            return batches
                .into_iter()
                .find(|b| b.number == n)
                .ok_or(Error::NotFound);
        }
        for b in &batches {
            if self.store.has_published_final(b.id).await? {
                return Ok(b.clone());
            }
        }
        batches
            .into_iter()
            .next()
            .ok_or_else(|| Error::refused("尚未设置批次"))
    }

    /// The term of `batch` within `scope` at `at`.
    pub async fn term_board(
        &self,
        scope: &Scope,
        batch: &BatchRecord,
        at: DateTime<Utc>,
    ) -> Result<TermBoard> {
        let rows = self.store.term_rows(scope, batch.id).await?;
        let closed_at = self.store.term_closed_at(batch.id).await?;
        let places = self.store.selection_rows(scope, batch.id, None).await?;
        let rows: Vec<TermView> = rows
            .into_iter()
            .map(|r| view(batch, scope, r, at, &places))
            .collect();
        let count = |f: &dyn Fn(&TermView) -> bool| rows.iter().filter(|r| f(r)).count();
        Ok(TermBoard {
            listed: rows.len(),
            arrived: count(&|r| r.row.content.arrival == ArrivalState::Arrived),
            absent: count(&|r| r.row.content.arrival == ArrivalState::Absent),
            unrecorded: count(&|r| r.row.content.arrival == ArrivalState::Unrecorded),
            assessed: count(&|r| r.row.content.assessment.is_some()),
            overdue: count(&|r| !r.findings.is_empty()),
            closed_at,
            rows,
        })
    }

    /// One person's term with its versions (`NotFound` out of scope or off the final list).
    pub async fn term_person(
        &self,
        scope: &Scope,
        batch: &BatchRecord,
        selection_id: i64,
        at: DateTime<Utc>,
    ) -> Result<(TermView, Vec<TermVersion>)> {
        let row = self
            .store
            .term_row(scope, selection_id)
            .await?
            .filter(|r| r.batch_id == batch.id)
            .ok_or(Error::NotFound)?;
        let versions = self.store.term_versions(scope, selection_id).await?;
        let places = self
            .store
            .selection_rows(scope, batch.id, Some(selection_id))
            .await?;
        Ok((view(batch, scope, row, at, &places), versions))
    }

    /// The receiving unit records arrival, placement and assessment. `expected` is the version
    /// the writer saw.
    pub async fn record_term(
        &self,
        scope: &Scope,
        actor: &Actor,
        batch: &BatchRecord,
        selection_id: i64,
        expected: i32,
        form: &TermForm,
    ) -> Result<TermRow> {
        self.term_person(scope, batch, selection_id, Utc::now())
            .await?;
        let content = read_term_form(batch, form)?;
        self.store
            .save_term(
                scope,
                selection_id,
                expected,
                &TermChange::Receiving(content),
                actor,
            )
            .await
            .map_err(refused)
    }

    /// The sending unit's remark on one of its people.
    pub async fn remark_term(
        &self,
        scope: &Scope,
        actor: &Actor,
        batch: &BatchRecord,
        selection_id: i64,
        expected: i32,
        remark: &str,
    ) -> Result<TermRow> {
        self.term_person(scope, batch, selection_id, Utc::now())
            .await?;
        self.store
            .save_term(
                scope,
                selection_id,
                expected,
                &TermChange::Remark(remark.trim().to_owned()),
                actor,
            )
            .await
            .map_err(refused)
    }

    /// The commission closes the term: every record is frozen.
    pub async fn close_term(&self, actor: &Actor, batch: &BatchRecord) -> Result<()> {
        self.store
            .close_term(batch.id, actor)
            .await
            .map_err(refused)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_read_as_clerks_type_them() {
        let d = NaiveDate::from_ymd_opt(2024, 2, 26);
        for t in [
            "2024-02-26",
            "2024/2/26",
            "2024.2.26",
            "2024年2月26日",
            " 2024-2-26 ",
        ] {
            assert_eq!(parse_day(t), d, "{t}");
        }
        for t in ["", "2024-02", "二〇二四年", "2024-13-01"] {
            assert_eq!(parse_day(t), None, "{t}");
        }
    }
}
