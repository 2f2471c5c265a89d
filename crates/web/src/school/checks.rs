//! Running the rulebook on a school's forms and laying the findings out for the pages: each
//! finding on its cell, the row's and the form's findings apart, and the school's standing against
//! its tier's minimums (S01–S07) with the deadline.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, Offset, Utc};
use shuangshi_rules::rules::w::{Facts, check as check_workflow};
use shuangshi_rules::text::norm;
use shuangshi_rules::{Batch, Column, Finding, Form, Input, Registry, Report, Severity, check};
use shuangshi_store::forms::FIRST_ROW;
use shuangshi_store::{FormRecord, WorkflowFacts};

/// Asia/Shanghai (UTC+8, no daylight saving).
pub fn shanghai() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| Utc.fix())
}

/// Checks the school's forms together (so the school-level and duplicate rules see all of them).
pub fn check_forms(batch: &Batch, registry: &Registry, forms: &[Form]) -> Report {
    check(Input {
        batch,
        forms,
        registry: Some(registry),
        history: &[],
    })
}

/// The rules forms of a school's stored forms (each named 「学校—企业」 in the report).
pub fn rules_forms(forms: &[FormRecord]) -> Vec<Form> {
    forms.iter().map(FormRecord::to_rules_form).collect()
}

/// The file name the engine knows a stored form by.
pub fn form_file(form: &FormRecord) -> String {
    format!("{}—{}", form.school_name, form.enterprise_name)
}

/// Whether a finding is about the school as a whole (its totals and minimums), not one form.
pub fn is_school_level(f: &Finding) -> bool {
    matches!(f.rule, "S01" | "S02" | "S03" | "S04" | "S05" | "S07") || f.rule.starts_with('P')
}

/// Rewrites the findings of stored forms for people: a stored form has no sheet the user sees,
/// so 「学校—企业［推荐表］第6行「手机号码」列（J6）…」 becomes 「「企业」第 3 人「手机号码」…」
/// (the person's number in the form, as the print view and the xlsx number them), and the cell
/// address is dropped. Findings of other files are left as they are.
pub fn tidy(report: &mut Report, forms: &[FormRecord]) {
    let places: HashMap<String, &FormRecord> = forms
        .iter()
        .map(|f| (format!("{}［推荐表］", form_file(f)), f))
        .collect();
    let files: HashMap<String, &FormRecord> = forms.iter().map(|f| (form_file(f), f)).collect();
    for f in &mut report.findings {
        f.message = name_rows(&f.message, forms);
        let Some(form) = f.file.as_deref().and_then(|file| files.get(file)) else {
            // School-level findings name the school only; findings may still quote a place.
            for (place, form) in &places {
                if f.message.contains(place.as_str()) {
                    f.message = f.message.replace(
                        place.as_str(),
                        &format!("「{}」推荐表", form.enterprise_name),
                    );
                }
            }
            continue;
        };
        let place = format!("{}［推荐表］", form_file(form));
        let ent = &form.enterprise_name;
        let mut msg = f.message.clone();
        if let Some(r) = f.row {
            let row_prefix = format!("{place}第{r}行");
            let who = if r >= FIRST_ROW && (r - FIRST_ROW) < form.rows.len() as u32 {
                let n = (r - FIRST_ROW) as usize + 1;
                let name = form.rows[n - 1].cell(Column::Name);
                if name.is_empty() {
                    format!("「{ent}」第 {n} 人")
                } else {
                    format!("「{ent}」第 {n} 人（{name}）")
                }
            } else if f
                .column
                .is_some_and(|c| c == "学校填表人" || c == "联系电话")
            {
                format!("「{ent}」表尾")
            } else {
                format!("「{ent}」推荐表")
            };
            if let Some(rest) = msg.strip_prefix(row_prefix.as_str()) {
                let mut rest = rest.to_owned();
                if let (Some(col), Some(cell)) = (f.column, f.cell.as_deref()) {
                    rest =
                        rest.replacen(&format!("「{col}」列（{cell}）"), &format!("「{col}」"), 1);
                }
                if let Some(col) = f.column {
                    rest = rest.replacen(&format!("「{col}」列"), &format!("「{col}」"), 1);
                }
                msg = format!("{who}{rest}");
            }
        }
        msg = msg.replace(place.as_str(), &format!("「{ent}」推荐表"));
        f.message = msg;
        f.cell = None;
    }
}

/// Rewrites every 「学校—企业［推荐表］第6行」 a message quotes (another form's row, as D01–D03
/// name the first occurrence) into 「「学校」「企业」推荐表第 2 人」. The finding's own row, at the
/// start of its message, is left to [`tidy`].
fn name_rows(msg: &str, forms: &[FormRecord]) -> String {
    let mut out = msg.to_owned();
    for form in forms {
        let place = format!("{}［推荐表］第", form_file(form));
        let mut from = 0;
        while let Some(found) = out[from..].find(&place) {
            let start = from + found;
            let after = start + place.len();
            let digits: String = out[after..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            let end = after + digits.len();
            let row: Option<u32> = digits.parse().ok();
            match row {
                // The finding's own row opens its message: tidy names it.
                _ if start == 0 => from = end,
                Some(r) if out[end..].starts_with('行') && r >= FIRST_ROW => {
                    let who = format!(
                        "「{}」「{}」推荐表第 {} 人",
                        form.school_name,
                        form.enterprise_name,
                        r - FIRST_ROW + 1
                    );
                    out.replace_range(start..end + '行'.len_utf8(), &who);
                    from = start + who.len();
                }
                _ => from = end,
            }
        }
    }
    out
}

/// The part of a tidied cell finding's message after 「「企业」第 N 人（姓名）「列」」.
pub fn cell_text(f: &Finding) -> &str {
    let Some(col) = f.column else {
        return &f.message;
    };
    let marker = format!("「{col}」");
    match f.message.find("人") {
        Some(i) => match f.message[i..].find(&marker) {
            Some(j) => f.message[i + j + marker.len()..].trim_start_matches(['：', '，', ':', ' ']),
            None => &f.message,
        },
        None => &f.message,
    }
}

/// The W01–W03 findings for a school now (server clock, Asia/Shanghai).
pub fn workflow_findings(
    batch: &Batch,
    school: &str,
    facts: &WorkflowFacts,
    now: DateTime<Utc>,
) -> Vec<Finding> {
    let tz = shanghai();
    let facts = Facts {
        school,
        now: now.with_timezone(&tz),
        extension: facts.extension.map(|e| e.with_timezone(&tz)),
        unconfirmed: facts.unconfirmed.clone(),
        sealed_scan_current: facts.sealed_scan_current,
    };
    check_workflow(batch, &facts)
}

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
pub fn lay_out(form: &FormRecord, report: &Report) -> FormFindings {
    let file = form_file(form);
    let mut by_cell: HashMap<(u32, &'static str), Vec<Finding>> = HashMap::new();
    let mut by_row: HashMap<u32, Vec<Finding>> = HashMap::new();
    let mut out = FormFindings::default();
    for f in &report.findings {
        if is_school_level(f) {
            if !out.school.iter().any(|g| g.message == f.message) {
                out.school.push(f.clone());
            }
            continue;
        }
        if f.file.as_deref() != Some(file.as_str()) {
            continue;
        }
        match (f.row, f.column) {
            (_, Some("学校填表人")) => out.filler.push(f.clone()),
            (_, Some("联系电话")) => out.phone.push(f.clone()),
            (Some(r), Some(c)) if r >= FIRST_ROW => {
                by_cell.entry((r, c)).or_default().push(f.clone())
            }
            (Some(r), None) if r >= FIRST_ROW => by_row.entry(r).or_default().push(f.clone()),
            _ => out.form.push(f.clone()),
        }
    }
    for (i, r) in form.rows.iter().enumerate() {
        let sheet_row = FIRST_ROW + u32::try_from(i).unwrap_or(0);
        let cells: Vec<CellView> = Column::ALL
            .iter()
            .map(|&c| CellView {
                column: c,
                value: r.cell(c).to_string(),
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

/// Where the school stands: counts from the report's forms, minimums from its tier.
pub fn standing(
    batch: &Batch,
    registry: &Registry,
    school: &str,
    forms: &[Form],
    report: &Report,
    (deadline, extended): (DateTime<Utc>, bool),
) -> Standing {
    let now = Utc::now();
    let sent: usize = report.forms.iter().map(|f| f.sent).sum();
    let received: usize = report.forms.iter().map(|f| f.received).sum();
    let (ss, es) = (
        norm(&batch.posts.school_senior),
        norm(&batch.posts.enterprise_senior),
    );
    let mut school_senior = 0u32;
    let mut enterprise_senior = 0u32;
    for f in forms {
        for r in &f.rows {
            let post = &r.get(Column::Post).norm;
            if *post == ss {
                school_senior += 1;
            } else if *post == es {
                enterprise_senior += 1;
            }
        }
    }
    let tier = registry
        .find(school)
        .and_then(|o| batch.tier(&o.category))
        .cloned();
    let sent = u32::try_from(sent).unwrap_or(u32::MAX);
    let received = u32::try_from(received).unwrap_or(u32::MAX);
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
                have: school_senior,
                min: t.min_school_senior,
            },
            Gauge {
                label: "产业副院长",
                have: enterprise_senior,
                min: t.min_enterprise_senior,
            },
        ],
        None => Vec::new(),
    };
    let mut findings: Vec<Finding> = report
        .findings
        .iter()
        .filter(|f| f.rule.starts_with('S') && f.rule != "S06")
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
