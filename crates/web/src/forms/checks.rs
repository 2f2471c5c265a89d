//! Laying a school's stored findings out for the pages: each finding on its cell, the row's and
//! the form's findings apart, and the school's standing against its tier's minimums (S01–S07)
//! with the deadline. Running the rules and wording the findings is `shuangshi_app::checks`'.

use crate::disclosure::Disclosure;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use shuangshi_rules::{Batch, Column, Finding, Report, Severity, Tally};
use shuangshi_store::FormRecord;
use shuangshi_store::forms::FIRST_ROW;

pub use shuangshi_app::checks::{
    cell_text, form_file, is_school_level, rules_forms, shanghai, tidy, workflow_findings,
};

/// One cell of a stored row with its findings.
#[derive(Debug, Clone)]
pub struct CellView {
    pub column: Column,
    pub value: String,
    pub findings: Vec<Finding>,
}

impl CellView {
    /// Each finding with the short text shown under the cell.
    pub fn notes(&self) -> Vec<(&Finding, &str)> {
        self.findings.iter().map(|f| (f, cell_text(f))).collect()
    }
}

/// One stored row as the form page shows it.
#[derive(Debug, Clone)]
pub struct RowView {
    pub id: i64,
    /// 1-based number in the form.
    pub number: usize,
    /// The 16 official columns, then the supplementary ones.
    pub cells: Vec<CellView>,
    /// Findings about the row without a column (its direction, say).
    pub row_findings: Vec<Finding>,
    pub confirmed: bool,
    pub errors: usize,
    pub warnings: usize,
}

impl RowView {
    pub fn name(&self) -> &str {
        self.cell(Column::Name)
    }

    pub fn cell(&self, c: Column) -> &str {
        self.cells
            .get(c as usize)
            .map(|x| x.value.as_str())
            .unwrap_or("")
    }

    pub fn official(&self) -> &[CellView] {
        &self.cells[..Column::OFFICIAL.len().min(self.cells.len())]
    }

    pub fn supplementary(&self) -> &[CellView] {
        &self.cells[Column::OFFICIAL.len().min(self.cells.len())..]
    }
}

/// A stored form's findings laid out on its rows and cells.
#[derive(Debug, Clone, Default)]
pub struct FormFindings {
    pub rows: Vec<RowView>,
    /// Findings about the form (header line, footer, the form's balance).
    pub form: Vec<Finding>,
    /// Findings about the school as a whole.
    pub school: Vec<Finding>,
    /// Findings about the footer's 学校填表人 and 联系电话.
    pub filler: Vec<Finding>,
    pub phone: Vec<Finding>,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

fn count(findings: &[Finding], s: Severity) -> usize {
    findings.iter().filter(|f| f.severity == s).count()
}

/// Places the report's findings for `form` on its rows and cells.
pub fn lay_out(form: &FormRecord, report: &Report, disclosure: &Disclosure) -> FormFindings {
    let shown = |f: &Finding| {
        let mut f = f.clone();
        disclosure.finding(&mut f);
        f
    };
    let file = form_file(form);
    let mut by_cell: HashMap<(u32, &'static str), Vec<Finding>> = HashMap::new();
    let mut by_row: HashMap<u32, Vec<Finding>> = HashMap::new();
    let mut out = FormFindings::default();
    for f in &report.findings {
        if is_school_level(f) {
            let f = shown(f);
            if !out.school.iter().any(|g| g.message == f.message) {
                out.school.push(f);
            }
            continue;
        }
        if f.file.as_deref() != Some(file.as_str()) {
            continue;
        }
        match (f.row, f.column) {
            (_, Some("学校填表人")) => out.filler.push(shown(f)),
            (_, Some("联系电话")) => out.phone.push(shown(f)),
            (Some(r), Some(c)) if r >= FIRST_ROW => {
                by_cell.entry((r, c)).or_default().push(shown(f))
            }
            (Some(r), None) if r >= FIRST_ROW => by_row.entry(r).or_default().push(shown(f)),
            _ => out.form.push(shown(f)),
        }
    }
    for (i, r) in form.rows.iter().enumerate() {
        let sheet_row = FIRST_ROW + u32::try_from(i).unwrap_or(0);
        let cells: Vec<CellView> = Column::ALL
            .iter()
            .map(|&c| CellView {
                column: c,
                value: disclosure.cell(c, r.cell(c)),
                findings: by_cell.remove(&(sheet_row, c.label())).unwrap_or_default(),
            })
            .collect();
        let row_findings = by_row.remove(&sheet_row).unwrap_or_default();
        let all: Vec<&Finding> = cells
            .iter()
            .flat_map(|c| c.findings.iter())
            .chain(row_findings.iter())
            .collect();
        let errors = all.iter().filter(|f| f.severity == Severity::Error).count();
        let warnings = all
            .iter()
            .filter(|f| f.severity == Severity::Warning)
            .count();
        out.rows.push(RowView {
            id: r.id,
            number: i + 1,
            cells,
            row_findings,
            confirmed: r.confirmed(),
            errors,
            warnings,
        });
    }
    // Anything left (a column the page does not show) goes with the form.
    for v in by_cell.into_values().chain(by_row.into_values()) {
        out.form.extend(v);
    }
    let mut all: Vec<Finding> = out.form.clone();
    all.extend(out.filler.iter().cloned());
    all.extend(out.phone.iter().cloned());
    for r in &out.rows {
        all.extend(r.cells.iter().flat_map(|c| c.findings.iter().cloned()));
        all.extend(r.row_findings.iter().cloned());
    }
    out.errors = count(&all, Severity::Error);
    out.warnings = count(&all, Severity::Warning);
    out.infos = count(&all, Severity::Info);
    out
}

/// One minimum of the school's tier and where the school stands.
#[derive(Debug, Clone)]
pub struct Gauge {
    pub label: &'static str,
    pub have: u32,
    pub min: u32,
}

impl Gauge {
    pub fn met(&self) -> bool {
        self.have >= self.min
    }

    /// The value for `<progress>` (capped at the minimum so a full bar means met).
    pub fn bar_value(&self) -> u32 {
        self.have.min(self.min.max(1))
    }

    pub fn bar_max(&self) -> u32 {
        self.min.max(1)
    }
}

/// The school's standing in the batch (the 工作台 / 推荐表 panel).
#[derive(Debug, Clone)]
pub struct Standing {
    pub school: String,
    /// The tier (学校类别), when the registry says.
    pub tier: Option<String>,
    pub sent: u32,
    pub received: u32,
    pub gauges: Vec<Gauge>,
    /// S01–S07 findings now.
    pub findings: Vec<Finding>,
    pub deadline: DateTime<Utc>,
    pub extended: bool,
    /// 「剩余 3 天 4 小时」 or 「已截止」.
    pub countdown: String,
    pub overdue: bool,
}

impl Standing {
    pub fn balanced(&self) -> bool {
        self.sent == self.received
    }

    pub fn errors(&self) -> usize {
        count(&self.findings, Severity::Error)
    }
}

/// The countdown to `deadline` from `now`.
pub fn countdown(deadline: DateTime<Utc>, now: DateTime<Utc>) -> (String, bool) {
    let left = deadline - now;
    if left.num_seconds() < 0 {
        return ("已截止".to_string(), true);
    }
    let days = left.num_days();
    let hours = left.num_hours() % 24;
    let minutes = left.num_minutes() % 60;
    let text = if days > 0 {
        format!("剩余 {days} 天 {hours} 小时")
    } else if hours > 0 {
        format!("剩余 {hours} 小时 {minutes} 分钟")
    } else {
        format!("剩余 {minutes} 分钟")
    };
    (text, false)
}

/// Where the school stands: counts from the school's tally, minimums from its tier.
pub fn standing(
    batch: &Batch,
    tier: Option<&str>,
    school: &str,
    tally: &Tally,
    report: &Report,
    (deadline, extended): (DateTime<Utc>, bool),
) -> Standing {
    let now = Utc::now();
    let tier = tier.and_then(|t| batch.tier(t)).cloned();
    let (sent, received) = (tally.teachers, tally.engineers);
    let gauges = match &tier {
        Some(t) => vec![
            Gauge {
                label: "派出人数",
                have: sent,
                min: t.min_sent,
            },
            Gauge {
                label: "接收人数",
                have: received,
                min: t.min_received,
            },
            Gauge {
                label: "科技副总",
                have: tally.tech_vps,
                min: t.min_school_senior,
            },
            Gauge {
                label: "产业副院长",
                have: tally.deans,
                min: t.min_enterprise_senior,
            },
        ],
        None => Vec::new(),
    };
    let mut findings: Vec<Finding> = report
        .findings
        .iter()
        .filter(|f| is_school_level(f))
        .cloned()
        .collect();
    findings.dedup_by(|a, b| a.message == b.message);
    let (countdown, overdue) = countdown(deadline, now);
    Standing {
        school: school.to_string(),
        tier: tier.map(|t| t.name),
        sent,
        received,
        gauges,
        findings,
        deadline,
        extended,
        countdown,
        overdue,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countdowns() {
        let now = Utc::now();
        assert_eq!(
            countdown(now + chrono::Duration::hours(50), now).0,
            "剩余 2 天 2 小时"
        );
        assert_eq!(
            countdown(now + chrono::Duration::minutes(90), now).0,
            "剩余 1 小时 30 分钟"
        );
        assert_eq!(
            countdown(now - chrono::Duration::minutes(1), now),
            ("已截止".to_string(), true)
        );
    }
}
