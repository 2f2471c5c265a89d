//! Findings and the check report shared by the CLI, the API and the web pages (RULES.md's JSON shape).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::catalogue::{self, RuleMeta};
use crate::form::{Column, PART_LABELS};
use crate::tally::Tally;
use crate::text::norm;

/// How much a finding weighs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The submission is not accepted (「材料不齐全、不规范的不予受理」).
    Error,
    /// Needs a human look; does not block.
    Warning,
    /// A fact, or a check that could not be made by machine.
    Info,
}

impl Severity {
    /// error / warning / info, as the JSON report writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }

    /// 错误 / 警告 / 提示.
    pub fn label(self) -> &'static str {
        match self {
            Severity::Error => "错误",
            Severity::Warning => "警告",
            Severity::Info => "提示",
        }
    }
}

/// One finding of one rule at one place.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    pub file: Option<String>,
    pub sheet: Option<String>,
    /// The row number a spreadsheet program shows (1-based); `None` for a whole school or the batch.
    pub row: Option<u32>,
    pub column: Option<&'static str>,
    /// The value as written.
    pub value: Option<String>,
    pub school: Option<String>,
    pub message: String,
    /// The clause of the notice, e.g. 「二(一)2」.
    pub clause: &'static str,
    /// The cell address, e.g. 「J5」, when the finding is about one cell.
    pub cell: Option<String>,
}

impl Finding {
    /// A finding of `rule` at its default severity.
    pub fn new(rule: &RuleMeta, message: String) -> Finding {
        Finding {
            rule: rule.id,
            severity: rule.severity,
            file: None,
            sheet: None,
            row: None,
            column: None,
            value: None,
            school: None,
            message,
            clause: rule.clause,
            cell: None,
        }
    }

    /// The same finding at severity `s` (a rule's [`RuleMeta::also`]).
    pub fn severity(mut self, s: Severity) -> Finding {
        self.severity = s;
        self
    }
}

/// A [`Finding`] with owned fields, for storing (a database row, a JSON document) and loading back.
///
/// The JSON shape is the finding's own. [`Finding::try_from`] maps the rule ID back through
/// [`catalogue::lookup`] and the column back to the label the crate uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingRecord {
    /// [`Finding::rule`], e.g. 「F04」.
    pub rule: String,
    /// [`Finding::severity`].
    pub severity: Severity,
    /// [`Finding::file`].
    pub file: Option<String>,
    /// [`Finding::sheet`].
    pub sheet: Option<String>,
    /// [`Finding::row`].
    pub row: Option<u32>,
    /// [`Finding::column`]: a [`Column::label`] or one of [`PART_LABELS`].
    pub column: Option<String>,
    /// [`Finding::value`].
    pub value: Option<String>,
    /// [`Finding::school`].
    pub school: Option<String>,
    /// [`Finding::message`].
    pub message: String,
    /// [`Finding::clause`].
    pub clause: String,
    /// [`Finding::cell`].
    pub cell: Option<String>,
}

impl From<&Finding> for FindingRecord {
    fn from(f: &Finding) -> FindingRecord {
        FindingRecord {
            rule: f.rule.to_string(),
            severity: f.severity,
            file: f.file.clone(),
            sheet: f.sheet.clone(),
            row: f.row,
            column: f.column.map(str::to_string),
            value: f.value.clone(),
            school: f.school.clone(),
            message: f.message.clone(),
            clause: f.clause.to_string(),
            cell: f.cell.clone(),
        }
    }
}

/// Why a [`FindingRecord`] is not a finding of this rulebook; `Display` is the Chinese message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordError {
    /// The rule ID is not in the catalogue.
    UnknownRule(String),
    /// The column is neither a form column nor a part of the header line or footer.
    UnknownColumn {
        /// The record's rule ID.
        rule: String,
        /// The column as stored.
        column: String,
    },
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordError::UnknownRule(id) => write!(
                f,
                "记录中的规则编号「{id}」不在规则目录中；应为目录中的编号（如 F01、S03、D01，见 `shuangshi rules`）"
            ),
            RecordError::UnknownColumn { rule, column } => write!(
                f,
                "规则 {rule} 的记录中「列」字段「{column}」不是推荐表的列名；应为推荐表的列名（如「姓名」「手机号码」）或表头、表尾项（{}）",
                PART_LABELS.join("、")
            ),
        }
    }
}

impl std::error::Error for RecordError {}

/// The crate's own `&'static str` for a column label: a [`Column::label`] or one of [`PART_LABELS`].
fn static_column(label: &str) -> Option<&'static str> {
    Column::ALL
        .iter()
        .map(|c| c.label())
        .chain(PART_LABELS)
        .find(|l| *l == label)
}

impl TryFrom<FindingRecord> for Finding {
    type Error = RecordError;

    /// The finding a record stores. The rule and its clause come from the catalogue (a record's
    /// clause text is the catalogue's at the time it was stored).
    fn try_from(r: FindingRecord) -> Result<Finding, RecordError> {
        let meta =
            catalogue::lookup(&r.rule).ok_or_else(|| RecordError::UnknownRule(r.rule.clone()))?;
        let column = match r.column {
            None => None,
            Some(c) => Some(static_column(&c).ok_or_else(|| RecordError::UnknownColumn {
                rule: meta.id.to_string(),
                column: c.clone(),
            })?),
        };
        Ok(Finding {
            rule: meta.id,
            severity: r.severity,
            file: r.file,
            sheet: r.sheet,
            row: r.row,
            column,
            value: r.value,
            school: r.school,
            message: r.message,
            clause: meta.clause,
            cell: r.cell,
        })
    }
}

/// A form as the report lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FormSummary {
    pub file: String,
    pub sheet: Option<String>,
    pub school: Option<String>,
    pub enterprise: Option<String>,
    pub people: usize,
    /// People sent by the school (学校派出).
    pub sent: usize,
    /// People received by the school (企业派出).
    pub received: usize,
    /// The form's people by direction.
    pub tally: Tally,
}

/// One school's people over all its forms in the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SchoolTally {
    /// The school as its first form's header names it.
    pub school: String,
    pub tally: Tally,
}

/// An input that could not be read at all (exit status 2), or a file only listed as skipped.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unreadable {
    pub file: String,
    pub message: String,
    /// Listed, not failed: a temporary file or one that is not a form, found in a folder.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub skipped: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    pub forms: usize,
    pub people: usize,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

/// The check report (RULES.md): forms, findings sorted by file, row, rule, and a summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub batch: String,
    pub forms: Vec<FormSummary>,
    pub findings: Vec<Finding>,
    pub summary: Summary,
    pub unreadable: Vec<Unreadable>,
    /// Every form's people, summed.
    pub tally: Tally,
    /// Each school's people, in the order its forms first appear (the order the S rules go
    /// through schools); forms naming no school are in [`Report::tally`] only.
    pub schools: Vec<SchoolTally>,
}

impl Report {
    /// Builds a report: sorts the findings and counts them, and sums the forms' tallies for the
    /// batch and for each school (schools told apart by their normalised name).
    pub fn new(batch: &str, forms: Vec<FormSummary>, mut findings: Vec<Finding>) -> Report {
        sort_findings(&mut findings);
        let mut summary = Summary {
            forms: forms.len(),
            people: forms.iter().map(|f| f.people).sum(),
            ..Summary::default()
        };
        for f in &findings {
            match f.severity {
                Severity::Error => summary.errors += 1,
                Severity::Warning => summary.warnings += 1,
                Severity::Info => summary.infos += 1,
            }
        }
        let tally = forms.iter().map(|f| f.tally).sum();
        let mut schools: Vec<SchoolTally> = Vec::new();
        let mut keys: Vec<String> = Vec::new();
        for f in &forms {
            let Some(name) = &f.school else { continue };
            let key = norm(name);
            if key.is_empty() {
                continue;
            }
            match keys.iter().position(|k| *k == key) {
                Some(i) => schools[i].tally += f.tally,
                None => {
                    keys.push(key);
                    schools.push(SchoolTally {
                        school: name.clone(),
                        tally: f.tally,
                    });
                }
            }
        }
        Report {
            batch: batch.to_string(),
            forms,
            findings,
            summary,
            unreadable: Vec::new(),
            tally,
            schools,
        }
    }

    /// True when any finding is an error.
    pub fn has_errors(&self) -> bool {
        self.summary.errors > 0
    }
}

/// Sorts by file, then row, then rule; a finding without a file or row comes after those with one.
pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        let key = |f: &Finding| {
            (
                f.file.is_none(),
                f.file.clone(),
                f.row.is_none(),
                f.row,
                f.rule,
            )
        };
        key(a).cmp(&key(b))
    });
}
