//! A submitted version as the pages show it: the typed snapshot's forms, rows, scans and
//! findings, and the diff between two versions (forms, rows and cells added, removed or changed).

use crate::disclosure::Disclosure;
use serde::{Deserialize, Serialize};
use shuangshi_rules::Column;
use shuangshi_rules::text::norm;
use std::collections::HashMap;

/// An organisation in a snapshot.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct SnapOrg {
    pub id: i64,
    pub name: String,
}

/// A row in a snapshot.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct SnapRow {
    pub row_id: i64,
    /// Cell texts in the order of the 16 official columns, then the 补充信息 columns.
    pub cells: Vec<String>,
    pub confirmed_version: Option<i32>,
}

impl SnapRow {
    pub fn cell(&self, c: Column) -> &str {
        self.cells.get(c as usize).map(String::as_str).unwrap_or("")
    }

    pub fn name(&self) -> &str {
        self.cell(Column::Name)
    }
}

/// The scan a snapshot's form was submitted with.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct SnapScan {
    pub scan_id: i64,
    pub form_version: i32,
}

/// A form in a snapshot.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct SnapForm {
    pub form_id: i64,
    pub enterprise: SnapOrg,
    pub version: i32,
    pub header_school: String,
    pub header_enterprise: String,
    pub filler: String,
    pub phone: String,
    pub rows: Vec<SnapRow>,
    pub scan: Option<SnapScan>,
}

/// A finding in a snapshot's report (RULES.md's JSON shape).
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct SnapFinding {
    pub rule: String,
    pub severity: String,
    pub file: Option<String>,
    pub row: Option<u32>,
    pub column: Option<String>,
    pub value: Option<String>,
    pub message: String,
    pub clause: String,
    pub cell: Option<String>,
}

/// Where a finding is, as a clerk reads it: 「第5行·R列（手机号码）」 (row, column letters and the
/// column's header) when the finding names a cell, else the column's header alone. A bare 「R5」
/// reads like a rule ID (R05, S06), so the address is never shown on its own. (`partials/ui.html`'s
/// `finding_list` spells the same wording out in the template.)
pub fn cell_place(row: Option<u32>, column: &str, cell: Option<&str>) -> String {
    let Some(cell) = cell.map(str::trim).filter(|c| !c.is_empty()) else {
        return column.to_owned();
    };
    let letters: String = cell
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .collect::<String>()
        .to_ascii_uppercase();
    let digits: String = cell[letters.len()..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let row = row
        .map(|r| r.to_string())
        .or_else(|| (!digits.is_empty()).then_some(digits));
    match (row, letters.is_empty()) {
        (Some(r), false) => format!("第{r}行·{letters}列（{column}）"),
        (Some(r), true) => format!("第{r}行（{column}）"),
        (None, false) => format!("{letters}列（{column}）"),
        (None, true) => column.to_owned(),
    }
}

/// The message without the bare cell address the engine appends to 「「手机号码」列（R5）」: the page
/// shows the place as [`cell_place`] beside it.
fn without_address(message: &str, cell: Option<&str>) -> String {
    match cell {
        Some(c) if !c.is_empty() => message.replacen(&format!("（{c}）"), "", 1),
        _ => message.to_owned(),
    }
}

impl SnapFinding {
    /// Where the finding is (「第5行·R列（手机号码）」), when it names a column.
    pub fn place(&self) -> Option<String> {
        self.column
            .as_deref()
            .map(|c| cell_place(self.row, c, self.cell.as_deref()))
    }

    /// 错误 / 警告 / 提示.
    pub fn severity_label(&self) -> &'static str {
        match self.severity.as_str() {
            "error" => "错误",
            "warning" => "警告",
            _ => "提示",
        }
    }
}

/// The report in a snapshot.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct SnapReport {
    pub findings: Vec<SnapFinding>,
}

/// A submitted version's snapshot.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct Snapshot {
    pub receipt_no: String,
    pub version_no: i32,
    pub submitted_at: String,
    pub forms: Vec<SnapForm>,
    pub report: SnapReport,
}

impl SnapFinding {
    fn of(f: &shuangshi_rules::Finding) -> SnapFinding {
        SnapFinding {
            rule: f.rule.to_owned(),
            severity: f.severity.as_str().to_owned(),
            file: f.file.clone(),
            row: f.row,
            column: f.column.map(str::to_owned),
            value: f.value.clone(),
            message: without_address(&f.message, f.cell.as_deref()),
            clause: f.clause.to_owned(),
            cell: f.cell.clone(),
        }
    }

    fn of_record(f: &shuangshi_rules::FindingRecord) -> SnapFinding {
        SnapFinding {
            rule: f.rule.clone(),
            severity: f.severity.as_str().to_owned(),
            file: f.file.clone(),
            row: f.row,
            column: f.column.clone(),
            value: f.value.clone(),
            message: without_address(&f.message, f.cell.as_deref()),
            clause: f.clause.clone(),
            cell: f.cell.clone(),
        }
    }
}

impl Snapshot {
    /// The page's and the API's view of a stored snapshot; `live` are the findings standing now on
    /// the school's rows that the snapshot did not have (listed after the submitted ones, in the
    /// order the review decision picks reasons from).
    pub fn from_store(
        s: &shuangshi_store::Snapshot,
        live: &[shuangshi_rules::Finding],
    ) -> Snapshot {
        Snapshot {
            receipt_no: s.receipt_no.clone(),
            version_no: s.version_no,
            submitted_at: s
                .submitted_at
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            forms: s
                .forms
                .iter()
                .map(|f| SnapForm {
                    form_id: f.form_id,
                    enterprise: SnapOrg {
                        id: f.enterprise.id,
                        name: f.enterprise.name.clone(),
                    },
                    version: f.version,
                    header_school: f.header_school.clone(),
                    header_enterprise: f.header_enterprise.clone(),
                    filler: f.filler.clone(),
                    phone: f.phone.clone(),
                    rows: f
                        .rows
                        .iter()
                        .map(|r| SnapRow {
                            row_id: r.row_id,
                            cells: r.cells.clone(),
                            confirmed_version: r.confirmed_version,
                        })
                        .collect(),
                    scan: f.scan.as_ref().map(|x| SnapScan {
                        scan_id: x.scan_id,
                        form_version: x.form_version,
                    }),
                })
                .collect(),
            report: SnapReport {
                findings: s
                    .report
                    .findings
                    .iter()
                    .map(SnapFinding::of_record)
                    .chain(live.iter().map(SnapFinding::of))
                    .collect(),
            },
        }
    }

    pub fn people(&self) -> usize {
        self.forms.iter().map(|f| f.rows.len()).sum()
    }

    /// The snapshot as the request may see it: cells, footer phones and finding texts through
    /// `disclosure`.
    pub fn disclosed(mut self, disclosure: &Disclosure) -> Snapshot {
        for f in &mut self.forms {
            f.phone = disclosure.phone(&f.phone);
            for r in &mut f.rows {
                for (v, c) in r.cells.iter_mut().zip(Column::ALL) {
                    *v = disclosure.cell(c, v);
                }
            }
        }
        for f in &mut self.report.findings {
            f.message = disclosure.text(&f.message);
            if let Some(v) = f.value.as_mut() {
                *v = disclosure.text(v);
            }
        }
        self
    }
}

// ---------------------------------------------------------------------------------------------
// Diff.

/// One changed value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CellChange {
    pub column: String,
    pub old: String,
    pub new: String,
    /// For 「查看完整」 of a masked side: the form, the sheet row of the old and of the new side
    /// (the first person is row 5; 0 for the footer) and the number (`mobile`, `account`,
    /// `contact`; empty for a value that is never masked).
    #[serde(skip)]
    pub form_id: i64,
    #[serde(skip)]
    pub old_row: u32,
    #[serde(skip)]
    pub new_row: u32,
    #[serde(skip)]
    pub number: &'static str,
}

/// A row in both versions with changed cells.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RowChange {
    pub name: String,
    pub changes: Vec<CellChange>,
}

/// A row added or removed, briefly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RowBrief {
    pub name: String,
    pub sending_unit: String,
    pub receiving_unit: String,
    pub post: String,
    pub mobile: String,
}

impl RowBrief {
    fn of(r: &SnapRow) -> RowBrief {
        RowBrief {
            name: r.name().to_owned(),
            sending_unit: r.cell(Column::SendingUnit).to_owned(),
            receiving_unit: r.cell(Column::ReceivingUnit).to_owned(),
            post: r.cell(Column::Post).to_owned(),
            mobile: r.cell(Column::Mobile).to_owned(),
        }
    }
}

/// What changed in one form between two versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FormDiff {
    pub enterprise: String,
    /// 新增 / 删除 / 修改 / 未变.
    pub status: String,
    pub meta: Vec<CellChange>,
    pub added: Vec<RowBrief>,
    pub removed: Vec<RowBrief>,
    pub changed: Vec<RowChange>,
}

impl FormDiff {
    pub fn is_unchanged(&self) -> bool {
        self.status == "未变"
    }

    /// The diff as the request may see it (computed on the stored values, shown through
    /// `disclosure`).
    pub fn disclosed(mut self, disclosure: &Disclosure) -> FormDiff {
        let column = |label: &str| Column::ALL.into_iter().find(|c| c.label() == label);
        let change = |c: &mut CellChange| {
            let (old, new) = match column(&c.column) {
                Some(col) => (disclosure.cell(col, &c.old), disclosure.cell(col, &c.new)),
                None if c.column == "联系电话" => {
                    (disclosure.phone(&c.old), disclosure.phone(&c.new))
                }
                None => (disclosure.text(&c.old), disclosure.text(&c.new)),
            };
            c.old = old;
            c.new = new;
        };
        self.meta.iter_mut().for_each(change);
        for r in &mut self.changed {
            r.changes.iter_mut().for_each(change);
        }
        for r in self.added.iter_mut().chain(self.removed.iter_mut()) {
            r.mobile = disclosure.cell(Column::Mobile, &r.mobile);
        }
        self
    }
}

/// The sheet row of the `i`-th person of a form (the first is row 5).
fn sheet_row(i: usize) -> u32 {
    u32::try_from(i)
        .unwrap_or(u32::MAX)
        .saturating_add(shuangshi_store::forms::FIRST_ROW)
}

/// The changed cells of one person: `old` and `new` with their places in their forms.
fn cell_changes(
    form_id: i64,
    (oi, old): (usize, &SnapRow),
    (ni, new): (usize, &SnapRow),
) -> Vec<CellChange> {
    Column::ALL
        .iter()
        .filter(|c| **c != Column::Seq)
        .filter_map(|&c| {
            let (a, b) = (old.cell(c), new.cell(c));
            (a != b).then(|| CellChange {
                column: c.label().to_owned(),
                old: a.to_owned(),
                new: b.to_owned(),
                form_id,
                old_row: sheet_row(oi),
                new_row: sheet_row(ni),
                number: match c {
                    Column::Mobile => "mobile",
                    Column::AccountNumber => "account",
                    _ => "",
                },
            })
        })
        .collect()
}

fn person_key(r: &SnapRow) -> String {
    norm(r.name())
}

/// The diff of two forms' rows: rows matched by id, then by the person's name.
fn diff_rows(
    form_id: i64,
    old: &[SnapRow],
    new: &[SnapRow],
) -> (Vec<RowBrief>, Vec<RowBrief>, Vec<RowChange>) {
    let mut old_left: Vec<(usize, &SnapRow)> = old.iter().enumerate().collect();
    let mut changed = Vec::new();
    let mut matched = |o: (usize, &SnapRow), n: (usize, &SnapRow)| {
        let changes = cell_changes(form_id, o, n);
        if !changes.is_empty() {
            changed.push(RowChange {
                name: n.1.name().to_owned(),
                changes,
            });
        }
    };
    let mut new_left: Vec<(usize, &SnapRow)> = Vec::new();
    for n in new.iter().enumerate() {
        match old_left
            .iter()
            .position(|(_, o)| o.row_id != 0 && o.row_id == n.1.row_id)
        {
            Some(i) => matched(old_left.remove(i), n),
            None => new_left.push(n),
        }
    }
    let mut added = Vec::new();
    for n in new_left {
        let key = person_key(n.1);
        match old_left
            .iter()
            .position(|(_, o)| !key.is_empty() && person_key(o) == key)
        {
            Some(i) => matched(old_left.remove(i), n),
            None => added.push(RowBrief::of(n.1)),
        }
    }
    let removed = old_left.into_iter().map(|(_, o)| RowBrief::of(o)).collect();
    (added, removed, changed)
}

fn meta_changes(old: &SnapForm, new: &SnapForm) -> Vec<CellChange> {
    [
        ("交流互聘学校", &old.header_school, &new.header_school),
        (
            "交流互聘企业",
            &old.header_enterprise,
            &new.header_enterprise,
        ),
        ("学校填表人", &old.filler, &new.filler),
        ("联系电话", &old.phone, &new.phone),
    ]
    .into_iter()
    .filter(|(_, a, b)| a != b)
    .map(|(c, a, b)| CellChange {
        column: c.to_owned(),
        old: a.clone(),
        new: b.clone(),
        form_id: new.form_id,
        old_row: 0,
        new_row: 0,
        number: if c == "联系电话" { "contact" } else { "" },
    })
    .collect()
}

/// What changed from `old` to `new`, form by form (matched by form id).
pub fn diff(old: &Snapshot, new: &Snapshot) -> Vec<FormDiff> {
    let mut out = Vec::new();
    let by_id: HashMap<i64, &SnapForm> = old.forms.iter().map(|f| (f.form_id, f)).collect();
    for n in &new.forms {
        match by_id.get(&n.form_id) {
            Some(o) => {
                let (added, removed, changed) = diff_rows(n.form_id, &o.rows, &n.rows);
                let meta = meta_changes(o, n);
                let same =
                    added.is_empty() && removed.is_empty() && changed.is_empty() && meta.is_empty();
                out.push(FormDiff {
                    enterprise: n.enterprise.name.clone(),
                    status: if same { "未变" } else { "修改" }.to_owned(),
                    meta,
                    added,
                    removed,
                    changed,
                });
            }
            None => out.push(FormDiff {
                enterprise: n.enterprise.name.clone(),
                status: "新增".to_owned(),
                meta: Vec::new(),
                added: n.rows.iter().map(RowBrief::of).collect(),
                removed: Vec::new(),
                changed: Vec::new(),
            }),
        }
    }
    let new_ids: Vec<i64> = new.forms.iter().map(|f| f.form_id).collect();
    for o in old.forms.iter().filter(|f| !new_ids.contains(&f.form_id)) {
        out.push(FormDiff {
            enterprise: o.enterprise.name.clone(),
            status: "删除".to_owned(),
            meta: Vec::new(),
            added: Vec::new(),
            removed: o.rows.iter().map(RowBrief::of).collect(),
            changed: Vec::new(),
        });
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Pages.

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(rows: Vec<(i64, &str, &str)>, filler: &str) -> Snapshot {
        Snapshot {
            forms: vec![SnapForm {
                form_id: 1,
                enterprise: SnapOrg {
                    id: 2,
                    name: "乙公司".into(),
                },
                filler: filler.into(),
                rows: rows
                    .into_iter()
                    .map(|(id, name, title)| {
                        let mut cells = vec![String::new(); Column::ALL.len()];
                        cells[Column::Name as usize] = name.into();
                        cells[Column::Title as usize] = title.into();
                        SnapRow {
                            row_id: id,
                            cells,
                            confirmed_version: None,
                        }
                    })
                    .collect(),
                ..SnapForm::default()
            }],
            ..Snapshot::default()
        }
    }

    #[test]
    fn diffs_name_rows_and_cells() {
        let old = snap(
            vec![
                (1, "张三", "讲师"),
                (2, "李四", "工程师"),
                (3, "王五", "讲师"),
            ],
            "甲",
        );
        // 张三 edited in place (same id), 李四 re-imported (new id, same name), 王五 removed, 赵六 added.
        let new = snap(
            vec![
                (1, "张三", "副教授"),
                (9, "李四", "高级工程师"),
                (10, "赵六", "讲师"),
            ],
            "乙",
        );
        let d = diff(&old, &new);
        assert_eq!(d.len(), 1);
        let f = &d[0];
        assert_eq!(f.status, "修改");
        assert_eq!(f.meta[0].column, "学校填表人");
        let changed: Vec<(&str, &str, &str)> = f
            .changed
            .iter()
            .map(|r| {
                (
                    r.name.as_str(),
                    r.changes[0].old.as_str(),
                    r.changes[0].new.as_str(),
                )
            })
            .collect();
        assert_eq!(
            changed,
            [("张三", "讲师", "副教授"), ("李四", "工程师", "高级工程师")]
        );
        assert_eq!(f.added[0].name, "赵六");
        assert_eq!(f.removed[0].name, "王五");
        assert!(diff(&old, &old)[0].is_unchanged());
        let gone = Snapshot::default();
        assert_eq!(diff(&old, &gone)[0].status, "删除");
        assert_eq!(diff(&gone, &old)[0].status, "新增");
    }
}
