//! The annotated copy of a checked file: every sheet as read (values at the same places, merged areas
//! merged again), the cells with findings coloured and carrying a note, a 「核验意见」 column with each
//! row's findings, and a 「核验汇总」 sheet listing every finding.

use std::collections::{BTreeMap, HashMap, HashSet};

use rust_xlsxwriter::{
    Color, DocProperties, Format, FormatAlign, FormatBorder, Note, Workbook, Worksheet,
};
use shuangshi_rules::{Finding, Form, Severity};

use super::{WriteError, display_width, fit_cell, fit_to, parse_cell_ref};
use crate::grid::{Grid, Rect};

/// The sheet listing every finding.
pub const SUMMARY_SHEET: &str = "核验汇总";
/// The sheet name given to a Word document's table (a grid without a name).
pub const WORD_SHEET: &str = "Word表格";
/// The header of the added column.
const OPINION_HEADER: &str = "核验意见";

const ERROR_FILL: u32 = 0xFFC7CE;
const WARNING_FILL: u32 = 0xFFEB9C;
const HEADER_FILL: u32 = 0xD9D9D9;

/// Excel's last row and column (0-based).
const MAX_ROW: u32 = 1_048_575;
const MAX_COL: u32 = 16_383;
/// Merged areas larger than this are not merged again (a hostile file could declare huge ones).
const MAX_MERGE_CELLS: u64 = 100_000;
/// Above this many merged cells in one sheet, further merges are dropped.
const MAX_MERGED_TOTAL: u64 = 2_000_000;

/// Writes the annotated copy of one file: `grids` are its sheets as read, `forms` the forms found in
/// them and `findings` this file's findings (school-level ones included: they appear in the summary).
///
/// A finding colours its cell when it has a `cell` and its `sheet` names the grid (`None` matches a
/// grid without a name, i.e. a Word document): light red for an error, light yellow for a warning
/// (an error wins); info findings add a note but no colour.
pub fn annotate_xlsx(
    grids: &[Grid],
    forms: &[Form],
    findings: &[Finding],
) -> Result<Vec<u8>, WriteError> {
    let styles = Styles::new();
    let mut names = SheetNames::default();
    let sheet_names: Vec<String> = grids
        .iter()
        .map(|g| names.claim(g.name.as_deref().unwrap_or(WORD_SHEET)))
        .collect();
    let summary_name = names.claim(SUMMARY_SHEET);

    let mut wb = Workbook::new();
    wb.set_properties(
        &DocProperties::new()
            .set_title("核验批注")
            .set_subject("“双千双师交流计划”推荐表核验结果"),
    );
    wb.push_worksheet(summary_sheet(
        &summary_name,
        grids,
        &sheet_names,
        findings,
        &styles,
    )?);
    for (grid, name) in grids.iter().zip(&sheet_names) {
        wb.push_worksheet(annotated_sheet(grid, name, forms, findings, &styles)?);
    }
    Ok(wb.save_to_buffer()?)
}

/// Which finding belongs to which grid: the sheet names match, `None` matching `None`.
fn same_sheet(finding_sheet: Option<&str>, grid: &Grid) -> bool {
    finding_sheet == grid.name.as_deref()
}

struct Styles {
    plain: Format,
    error: Format,
    warning: Format,
    header: Format,
    opinion: Format,
    opinion_error: Format,
    opinion_warning: Format,
    title: Format,
    wrap: Format,
}

impl Styles {
    fn new() -> Styles {
        let opinion = Format::new()
            .set_text_wrap()
            .set_align(FormatAlign::Top)
            .set_border(FormatBorder::Thin);
        Styles {
            plain: Format::new(),
            error: Format::new().set_background_color(Color::RGB(ERROR_FILL)),
            warning: Format::new().set_background_color(Color::RGB(WARNING_FILL)),
            header: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter)
                .set_border(FormatBorder::Thin)
                .set_background_color(Color::RGB(HEADER_FILL)),
            opinion_error: opinion.clone().set_background_color(Color::RGB(ERROR_FILL)),
            opinion_warning: opinion
                .clone()
                .set_background_color(Color::RGB(WARNING_FILL)),
            opinion,
            title: Format::new().set_bold().set_font_size(14),
            wrap: Format::new().set_text_wrap().set_align(FormatAlign::Top),
        }
    }

    /// The fill for the worst severity of a cell: errors red, warnings yellow, info none.
    fn cell(&self, worst: Severity) -> &Format {
        match worst {
            Severity::Error => &self.error,
            Severity::Warning => &self.warning,
            Severity::Info => &self.plain,
        }
    }

    fn opinion(&self, worst: Severity) -> &Format {
        match worst {
            Severity::Error => &self.opinion_error,
            Severity::Warning => &self.opinion_warning,
            Severity::Info => &self.opinion,
        }
    }

    fn severity(&self, s: Severity) -> &Format {
        self.cell(s)
    }
}

/// A finding's line in a note or in the 核验意见 column: 「[F04] …」.
fn line(f: &Finding) -> String {
    format!("[{}] {}", f.rule, f.message)
}

/// Findings gathered on one place.
struct Marks<'a> {
    worst: Severity,
    findings: Vec<&'a Finding>,
}

impl<'a> Marks<'a> {
    fn add<K: Ord>(map: &mut BTreeMap<K, Marks<'a>>, key: K, f: &'a Finding) {
        let m = map.entry(key).or_insert(Marks {
            worst: f.severity,
            findings: Vec::new(),
        });
        m.worst = m.worst.min(f.severity);
        m.findings.push(f);
    }
}

/// The merged areas kept for writing: valid, not too large, not overlapping an earlier one.
struct Merges {
    kept: Vec<Rect>,
    /// Every cell of a kept area → the area's index.
    covered: HashMap<(u32, u32), usize>,
}

impl Merges {
    fn new(grid: &Grid) -> Merges {
        let mut kept = Vec::new();
        let mut covered = HashMap::new();
        let mut total = 0u64;
        for m in &grid.merges {
            let cells = m.cells();
            if m.first_row > m.last_row
                || m.first_col > m.last_col
                || !(2..=MAX_MERGE_CELLS).contains(&cells)
                || total + cells > MAX_MERGED_TOTAL
                || m.last_row > MAX_ROW
                || m.last_col > MAX_COL
            {
                continue;
            }
            let overlaps = (m.first_row..=m.last_row)
                .any(|r| (m.first_col..=m.last_col).any(|c| covered.contains_key(&(r, c))));
            if overlaps {
                continue;
            }
            let index = kept.len();
            for r in m.first_row..=m.last_row {
                for c in m.first_col..=m.last_col {
                    covered.insert((r, c), index);
                }
            }
            total += cells;
            kept.push(*m);
        }
        Merges { kept, covered }
    }

    /// The top-left cell of the kept area holding (row, col), or the cell itself.
    fn anchor(&self, row: u32, col: u32) -> (u32, u32) {
        self.covered
            .get(&(row, col))
            .and_then(|&i| self.kept.get(i))
            .map_or((row, col), |m| (m.first_row, m.first_col))
    }
}

fn col16(col: u32) -> Result<u16, WriteError> {
    u16::try_from(col).map_err(|_| WriteError(format!("列号超出范围：{col}")))
}

/// Writes a cell's value as read: a number when the file stored an exact number, else a string.
fn write_value(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    cell: &shuangshi_rules::Cell,
    fmt: &Format,
) -> Result<(), WriteError> {
    if cell.numeric
        && !cell.digits_lost
        && let Ok(n) = cell.raw.trim().parse::<f64>()
        && n.is_finite()
    {
        if n.fract() == 0.0 && n.abs() >= 1e11 {
            // Long integers (mobile or account numbers stored as numbers) would show as 1.38E+10
            // in the General format: show every digit.
            ws.write_number_with_format(row, col, n, &fmt.clone().set_num_format_index(1))?;
        } else {
            ws.write_number_with_format(row, col, n, fmt)?;
        }
        return Ok(());
    }
    if cell.raw.is_empty() {
        ws.write_blank(row, col, fmt)?;
    } else {
        ws.write_string_with_format(row, col, fit_cell(&cell.raw), fmt)?;
    }
    Ok(())
}

fn note_for(marks: &Marks<'_>) -> Note {
    let lines: Vec<String> = marks.findings.iter().map(|f| line(f)).collect();
    let text = fit_to(&lines.join("\n"), 32_000).into_owned();
    // About 20 Chinese characters per line at this width.
    let rows: u32 = lines
        .iter()
        .map(|l| (display_width(l) / 40.0).ceil().max(1.0) as u32)
        .sum();
    Note::new(text)
        .add_author_prefix(false)
        .set_author("核验")
        .set_font_name("宋体")
        .set_font_size(9)
        .set_width(320)
        .set_height((24 + 15 * rows).min(600))
}

fn annotated_sheet(
    grid: &Grid,
    name: &str,
    forms: &[Form],
    findings: &[Finding],
    st: &Styles,
) -> Result<Worksheet, WriteError> {
    let mut ws = Worksheet::new();
    ws.set_name(name)?;
    let merges = Merges::new(grid);

    // Findings of this sheet, by cell (moved to the top-left of a merged area) and by row.
    let mut by_cell: BTreeMap<(u32, u32), Marks<'_>> = BTreeMap::new();
    let mut by_row: BTreeMap<u32, Marks<'_>> = BTreeMap::new();
    for f in findings
        .iter()
        .filter(|f| same_sheet(f.sheet.as_deref(), grid))
    {
        if let Some((r, c)) = f.cell.as_deref().and_then(parse_cell_ref) {
            Marks::add(&mut by_cell, merges.anchor(r, c), f);
        }
        if let Some(row) = f.row.filter(|r| (1..=MAX_ROW + 1).contains(r)) {
            Marks::add(&mut by_row, row - 1, f);
        }
    }
    let fmt_at = |r: u32, c: u32| -> &Format {
        by_cell.get(&(r, c)).map_or(&st.plain, |m| st.cell(m.worst))
    };

    // Merged areas first (merge_range writes blanks over the whole area), then the values.
    for m in &merges.kept {
        let fmt = fmt_at(m.first_row, m.first_col);
        ws.merge_range(
            m.first_row,
            col16(m.first_col)?,
            m.last_row,
            col16(m.last_col)?,
            "",
            fmt,
        )?;
    }
    // Column widths from the table's rows: from the first header row on, when a form was found.
    let width_from = forms
        .iter()
        .filter(|f| same_sheet(f.sheet.as_deref(), grid))
        .map(|f| f.header_row.saturating_sub(1))
        .min()
        .unwrap_or(0);
    let mut widths: HashMap<u32, f64> = HashMap::new();
    let mut written: HashSet<(u32, u32)> = HashSet::new();
    for row in &grid.rows {
        if row.index > MAX_ROW {
            break;
        }
        for (c, cell) in &row.cells {
            let (r, c) = (row.index, *c);
            if c > MAX_COL {
                break;
            }
            let in_merge = merges.covered.contains_key(&(r, c));
            if in_merge && merges.anchor(r, c) != (r, c) {
                continue;
            }
            write_value(&mut ws, r, col16(c)?, cell, fmt_at(r, c))?;
            written.insert((r, c));
            if !in_merge && r >= width_from {
                let w = widths.entry(c).or_insert(0.0);
                *w = w.max(display_width(&cell.raw));
            }
        }
    }
    // Coloured empty cells, and every note.
    for (&(r, c), marks) in &by_cell {
        if r > MAX_ROW || c > MAX_COL {
            continue;
        }
        if !written.contains(&(r, c)) && !merges.covered.contains_key(&(r, c)) {
            ws.write_blank(r, col16(c)?, st.cell(marks.worst))?;
        }
        ws.insert_note(r, col16(c)?, &note_for(marks))?;
    }
    for (c, w) in widths {
        ws.set_column_width(col16(c)?, (w + 2.0).clamp(8.0, 50.0))?;
    }

    // The 核验意见 column, right after the last used column.
    let last_used = grid
        .last_col()
        .into_iter()
        .chain(merges.kept.iter().map(|m| m.last_col))
        .max();
    let opinion_col = last_used.map_or(0, |c| c + 1);
    if opinion_col <= MAX_COL {
        let oc = col16(opinion_col)?;
        ws.set_column_width(oc, 60)?;
        let mut header_rows = HashSet::new();
        for form in forms
            .iter()
            .filter(|f| same_sheet(f.sheet.as_deref(), grid))
        {
            if let Some(r) = form.header_row.checked_sub(1).filter(|r| *r <= MAX_ROW) {
                ws.write_string_with_format(r, oc, OPINION_HEADER, &st.header)?;
                header_rows.insert(r);
            }
        }
        for (&r, marks) in &by_row {
            if header_rows.contains(&r) || r > MAX_ROW {
                continue;
            }
            let lines: Vec<String> = marks.findings.iter().map(|f| line(f)).collect();
            ws.write_string_with_format(
                r,
                oc,
                fit_cell(&lines.join("；")),
                st.opinion(marks.worst),
            )?;
        }
    }
    Ok(ws)
}

fn summary_sheet(
    name: &str,
    grids: &[Grid],
    sheet_names: &[String],
    findings: &[Finding],
    st: &Styles,
) -> Result<Worksheet, WriteError> {
    let mut ws = Worksheet::new();
    ws.set_name(name)?;
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    let headline = format!(
        "核验汇总：共 {} 条，其中错误 {} 条、警告 {} 条、提示 {} 条",
        findings.len(),
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info)
    );
    ws.write_string_with_format(0, 0, headline, &st.title)?;
    ws.set_row_height(0, 24)?;
    let headers: [(&str, f64); 9] = [
        ("级别", 8.0),
        ("规则", 8.0),
        ("工作表", 16.0),
        ("行", 7.0),
        ("列", 16.0),
        ("单元格", 8.0),
        ("填写内容", 28.0),
        ("说明", 80.0),
        ("条款", 10.0),
    ];
    for (i, (h, w)) in headers.iter().enumerate() {
        let col = col16(u32::try_from(i).unwrap_or(0))?;
        ws.write_string_with_format(1, col, *h, &st.header)?;
        ws.set_column_width(col, *w)?;
    }
    // The written name of a finding's sheet (a Word table's grid has no name of its own).
    let sheet_label = |f: &Finding| -> String {
        grids
            .iter()
            .zip(sheet_names)
            .find(|(g, _)| same_sheet(f.sheet.as_deref(), g))
            .map(|(_, n)| n.clone())
            .or_else(|| f.sheet.clone())
            .filter(|_| f.sheet.is_some() || f.row.is_some() || f.cell.is_some())
            .unwrap_or_default()
    };
    let mut r = 2u32;
    for f in findings {
        if r > MAX_ROW {
            break;
        }
        ws.write_string_with_format(r, 0, f.severity.label(), st.severity(f.severity))?;
        ws.write_string_with_format(r, 1, f.rule, &st.wrap)?;
        let sheet = sheet_label(f);
        if !sheet.is_empty() {
            ws.write_string_with_format(r, 2, fit_cell(&sheet), &st.wrap)?;
        }
        if let Some(row) = f.row {
            ws.write_number_with_format(r, 3, f64::from(row), &st.wrap)?;
        }
        if let Some(c) = f.column {
            ws.write_string_with_format(r, 4, c, &st.wrap)?;
        }
        if let Some(c) = f.cell.as_deref().filter(|c| !c.is_empty()) {
            ws.write_string_with_format(r, 5, fit_cell(c), &st.wrap)?;
        }
        if let Some(v) = f.value.as_deref().filter(|v| !v.is_empty()) {
            ws.write_string_with_format(r, 6, fit_cell(v), &st.wrap)?;
        }
        ws.write_string_with_format(r, 7, fit_cell(&f.message), &st.wrap)?;
        if !f.clause.is_empty() {
            ws.write_string_with_format(r, 8, f.clause, &st.wrap)?;
        }
        r += 1;
    }
    if findings.is_empty() {
        ws.write_string(2, 0, "未发现问题。")?;
    } else {
        ws.autofilter(1, 0, r - 1, 8)?;
    }
    ws.set_freeze_panes(2, 0)?;
    ws.set_landscape();
    ws.set_paper_size(9);
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(1, 1)?;
    Ok(ws)
}

/// Sheet names made valid for Excel (no `[]:*?/\`, ≤ 31 characters, not starting or ending with
/// an apostrophe) and unique regardless of case.
#[derive(Default)]
struct SheetNames {
    taken: HashSet<String>,
}

impl SheetNames {
    fn claim(&mut self, wanted: &str) -> String {
        let cleaned: String = wanted
            .chars()
            .map(|c| {
                if matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\') || c.is_control() {
                    '_'
                } else {
                    c
                }
            })
            .collect();
        let cleaned = cleaned.trim().trim_matches('\'').trim();
        let base = if cleaned.is_empty() { "Sheet" } else { cleaned };
        let mut n = 1u32;
        loop {
            let suffix = if n == 1 {
                String::new()
            } else {
                format!("({n})")
            };
            let room = 31 - suffix.encode_utf16().count();
            let stem = fit_units(base, room);
            let candidate = format!("{stem}{suffix}");
            let candidate = candidate.trim_end_matches('\'').to_string();
            if !candidate.is_empty() && self.taken.insert(candidate.to_lowercase()) {
                return candidate;
            }
            n += 1;
        }
    }
}

/// The longest prefix of `s` of at most `max` UTF-16 units.
fn fit_units(s: &str, max: usize) -> &str {
    let mut used = 0;
    for (i, ch) in s.char_indices() {
        used += ch.len_utf16();
        if used > max {
            return &s[..i];
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_are_valid_and_unique() {
        let mut n = SheetNames::default();
        assert_eq!(n.claim("Sheet1"), "Sheet1");
        assert_eq!(n.claim("sheet1"), "sheet1(2)");
        assert_eq!(n.claim("a/b:c"), "a_b_c");
        assert_eq!(n.claim("'x'"), "x");
        assert_eq!(n.claim(""), "Sheet");
        let long = "表".repeat(40);
        let a = n.claim(&long);
        let b = n.claim(&long);
        assert_eq!(a.encode_utf16().count(), 31);
        assert!(b.encode_utf16().count() <= 31 && b.ends_with("(2)"));
        assert_eq!(n.claim(SUMMARY_SHEET), SUMMARY_SHEET);
        assert_eq!(n.claim(SUMMARY_SHEET), "核验汇总(2)");
    }

    #[test]
    fn overlapping_and_huge_merges_are_dropped() {
        let rect = |a, b, c, d| Rect {
            first_row: a,
            first_col: b,
            last_row: c,
            last_col: d,
        };
        let grid = Grid {
            name: None,
            rows: Vec::new(),
            merges: vec![
                rect(0, 0, 0, 3),
                rect(0, 2, 1, 4),
                rect(5, 5, 5, 5),
                rect(0, 0, 1_000_000, 100),
                rect(2, 0, 3, 0),
            ],
        };
        let m = Merges::new(&grid);
        assert_eq!(m.kept.len(), 2);
        assert_eq!(m.anchor(0, 3), (0, 0));
        assert_eq!(m.anchor(3, 0), (2, 0));
        assert_eq!(m.anchor(9, 9), (9, 9));
    }
}
