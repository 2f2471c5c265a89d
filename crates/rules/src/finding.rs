//! Findings and the check report shared by the CLI, the API and the web pages (RULES.md's JSON shape).

use serde::Serialize;

use crate::catalogue::RuleMeta;

/// How much a finding weighs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
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

    pub fn severity(mut self, s: Severity) -> Finding {
        self.severity = s;
        self
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
}

impl Report {
    /// Builds a report: sorts the findings and counts them.
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
        Report {
            batch: batch.to_string(),
            forms,
            findings,
            summary,
            unreadable: Vec::new(),
        }
    }

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
