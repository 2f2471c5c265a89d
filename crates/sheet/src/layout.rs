//! Finding recommendation forms in a grid, as schools really lay them out.
//!
//! The header row is found by its texts (spaces, line breaks and bracket widths ignored), not by a fixed
//! row; the header line 「交流互聘学校（盖章）：…  交流互聘企业（盖章）：…」 is looked for above it, the
//! footer 「学校填表人：…  联系电话：…」 below the data. The template's placeholder rows and blank rows
//! are not people. One sheet may hold several forms, one after another.
//!
//! Texts are compared through [`Cell::norm`], which every reader sets to `text::norm(raw)`, so no
//! cell is normalised twice.

use std::sync::LazyLock;

use memchr::memmem;
use shuangshi_rules::text::half_width;
use shuangshi_rules::{Cell, Column, Footer, Form, HeaderName, PersonRow};

use crate::grid::{Grid, GridRow};
use crate::guard::Reason;

/// How many distinct official columns a row must name to be the header row.
const MIN_HEADER_COLUMNS: usize = 8;

/// Every form in `grid`, in order. A grid without a header row has none; so has a grid whose
/// header cannot be read ([`read_forms`] says why).
pub fn forms_in_grid(file: &str, grid: &Grid) -> Vec<Form> {
    read_forms(file, grid).unwrap_or_default()
}

/// Every form in `grid`, in order, or why a header row was found but cannot be read (columns
/// missing while the header holds texts that name no column): such a form would be checked
/// against columns it does not have, so it is not checked at all.
pub fn read_forms(file: &str, grid: &Grid) -> Result<Vec<Form>, Reason> {
    Ok(plan(file, grid)?
        .into_iter()
        .map(|(mut form, people)| {
            form.rows = people
                .iter()
                .filter_map(|&i| grid.rows.get(i))
                .map(|row| person_row(row, &form.columns))
                .collect();
            form
        })
        .collect())
}

/// [`forms_in_grid`] for a grid the caller no longer needs: the person rows take their cells out
/// of the grid instead of copying them, and each sheet row is freed as soon as it has been read.
pub fn into_forms(file: &str, grid: Grid) -> Vec<Form> {
    take_forms(file, grid).unwrap_or_default()
}

/// [`read_forms`] for a grid the caller no longer needs, as [`into_forms`] reads it.
pub fn take_forms(file: &str, grid: Grid) -> Result<Vec<Form>, Reason> {
    let mut forms = plan(file, &grid)?;
    // The form each person row belongs to (the forms' rows never overlap).
    let mut owner: Vec<Option<usize>> = vec![None; grid.rows.len()];
    for (f, (_, people)) in forms.iter().enumerate() {
        for &i in people {
            if let Some(o) = owner.get_mut(i) {
                *o = Some(f);
            }
        }
    }
    // Two columns read from one sheet column (a 补充信息 header over an official one) share a cell.
    let shared: Vec<bool> = forms
        .iter()
        .map(|(form, _)| {
            let mut cols: Vec<u32> = form.columns.iter().flatten().copied().collect();
            cols.sort_unstable();
            cols.windows(2).any(|w| w[0] == w[1])
        })
        .collect();
    // Each form's columns by sheet column, for reading a row's cells in one pass.
    let by_col: Vec<Vec<(u32, Column)>> = forms
        .iter()
        .map(|(form, _)| {
            let mut cols: Vec<(u32, Column)> = Column::ALL
                .into_iter()
                .filter_map(|k| Some((form.column_index(k)?, k)))
                .collect();
            cols.sort_unstable();
            cols
        })
        .collect();
    for (row, owner) in grid.rows.into_iter().zip(owner) {
        let Some(f) = owner else { continue };
        if let (Some((form, _)), Some(cols)) = (forms.get_mut(f), by_col.get(f)) {
            let person = if shared.get(f).copied().unwrap_or(true) {
                person_row(&row, &form.columns)
            } else {
                take_person_row(row, cols)
            };
            form.rows.push(person);
        }
    }
    Ok(forms.into_iter().map(|(form, _)| form).collect())
}

/// A header found at a row of the grid.
struct Header {
    columns: Vec<Option<u32>>,
    /// The position (in `grid.rows`) of the header's last row.
    last: usize,
    /// Header texts that name no column, as written.
    unknown: Vec<String>,
}

/// The header starting at `rows[i]`, if one does: a row naming the columns, or two rows whose
/// texts joined column by column (「现任行政」 above 「职务」; a vertically merged text once) name
/// more of the official columns than either row alone.
fn header_at(rows: &[GridRow], i: usize) -> Option<Header> {
    let row = rows.get(i)?;
    let here = has_name(row);
    let next = rows.get(i + 1).filter(|n| n.index == row.index + 1);
    let below = next.is_some_and(has_name);
    if !here && !below {
        return None;
    }
    let single = if here { header_columns(row) } else { None };
    if let Some(next) = next.filter(|n| !looks_like_data(n)) {
        let (pair, unknown) = pair_columns(row, next);
        let n_pair = official(&pair);
        let n_single = single.as_deref().map_or(0, official);
        let n_lower = if below {
            header_columns(next).as_deref().map_or(0, official)
        } else {
            0
        };
        if n_pair >= MIN_HEADER_COLUMNS
            && pair[Column::Name as usize].is_some()
            && n_pair > n_single
            && n_pair > n_lower
        {
            return Some(Header {
                columns: pair,
                last: i + 1,
                unknown,
            });
        }
    }
    let columns = single?;
    // A header spread over two rows that each name the columns (vertical merges, a 补充信息
    // group): take the last of the run.
    let (mut last, mut columns) = (i, columns);
    while let Some(next) = rows
        .get(last + 1)
        .filter(|n| n.index == rows[last].index + 1)
    {
        match header_columns(next) {
            Some(c) if count(&c) >= count(&columns) => {
                columns = c;
                last += 1;
            }
            _ => break,
        }
    }
    let unknown = rows[last]
        .cells
        .iter()
        .filter(|(_, c)| !c.norm().is_empty() && Column::from_normed_header(c.norm()).is_none())
        .map(|(_, c)| c.raw.clone())
        .collect();
    Some(Header {
        columns,
        last,
        unknown,
    })
}

/// True when a row has a 「姓名」 cell (every header row names it).
fn has_name(row: &GridRow) -> bool {
    row.cells.len() >= MIN_HEADER_COLUMNS / 2
        && row
            .cells
            .iter()
            .any(|(_, cell)| cell.norm().trim_end_matches(['*', ':']) == "姓名")
}

/// True when a row holds a value no header has: a number, or a long run of digits (a mobile or
/// account number typed as text).
fn looks_like_data(row: &GridRow) -> bool {
    row.cells.iter().any(|(_, c)| {
        c.numeric || (c.norm().len() >= 5 && c.norm().bytes().all(|b| b.is_ascii_digit()))
    })
}

fn official(columns: &[Option<u32>]) -> usize {
    Column::OFFICIAL
        .iter()
        .filter(|k| columns.get(**k as usize).copied().flatten().is_some())
        .count()
}

/// The columns two header rows name together: for each sheet column, the upper text followed by
/// the lower one (a text merged over both rows, found in each, once), else the lower text alone,
/// else the upper one. Also the texts that name no column.
fn pair_columns(upper: &GridRow, lower: &GridRow) -> (Vec<Option<u32>>, Vec<String>) {
    let mut columns: Vec<Option<u32>> = vec![None; Column::ALL.len()];
    let mut unknown = Vec::new();
    let mut cols: Vec<u32> = upper
        .cells
        .iter()
        .chain(&lower.cells)
        .map(|(c, _)| *c)
        .collect();
    cols.sort_unstable();
    cols.dedup();
    for c in cols {
        let (u, l) = (upper.get(c), lower.get(c));
        let (found, written) = match (u, l) {
            (Some(u), Some(l)) if u.raw == l.raw => {
                (Column::from_normed_header(u.norm()), u.raw.clone())
            }
            (Some(u), Some(l)) => (
                Column::from_normed_header(&format!("{}{}", u.norm(), l.norm()))
                    .or_else(|| Column::from_normed_header(l.norm()))
                    .or_else(|| Column::from_normed_header(u.norm())),
                format!("{}{}", u.raw, l.raw),
            ),
            (Some(x), None) | (None, Some(x)) => {
                (Column::from_normed_header(x.norm()), x.raw.clone())
            }
            (None, None) => continue,
        };
        match found {
            Some(k) if columns[k as usize].is_none() => columns[k as usize] = Some(c),
            Some(_) => {}
            None if !written.trim().is_empty() => unknown.push(written),
            None => {}
        }
    }
    (columns, unknown)
}

/// Why a header row cannot be read: official columns are missing while the header holds texts
/// that name no column (a header typed differently, or over rows not read together).
fn misread(grid: &Grid, rows: &[GridRow], h: usize, header: &Header) -> Option<Reason> {
    let missing: Vec<Column> = Column::OFFICIAL
        .iter()
        .copied()
        .filter(|k| header.columns.get(*k as usize).copied().flatten().is_none())
        .collect();
    if missing.is_empty() || header.unknown.is_empty() {
        return None;
    }
    let first = rows.get(h).map_or(0, |r| r.index + 1);
    let last = rows.get(header.last).map_or(first, |r| r.index + 1);
    let place = match &grid.name {
        Some(name) => format!("工作表「{name}」"),
        None => "文档中".to_string(),
    };
    let lines = if first == last {
        format!("第 {first} 行")
    } else {
        format!("第 {first}–{last} 行")
    };
    let quote = |texts: Vec<String>| {
        texts
            .into_iter()
            .map(|t| format!("「{}」", t.replace(['\n', '\r'], "")))
            .collect::<String>()
    };
    Some(Reason::Header(format!(
        "{place}{lines}的表头无法识别：{} 不是推荐表的列名，缺少{} 列",
        quote(header.unknown.clone()),
        quote(missing.iter().map(|k| k.label().to_string()).collect())
    )))
}

/// The forms of `grid` without their person rows, each with the positions (in `grid.rows`) of the
/// rows that hold people.
fn plan(file: &str, grid: &Grid) -> Result<Vec<(Form, Vec<usize>)>, Reason> {
    let mut forms = Vec::new();
    let rows = &grid.rows;
    let mut text = String::new(); // a row's normalised text, reused
    let mut start = 0; // first row (position in `rows`) not yet part of a form
    while start < rows.len() {
        let Some((h, header)) =
            (start..rows.len()).find_map(|i| header_at(rows, i).map(|x| (i, x)))
        else {
            break;
        };
        let misread = misread(grid, rows, h, &header);
        let h_end = header.last;
        let mut columns = header.columns;
        // Supplementary headers on the row below the header.
        let mut data_start = h_end + 1;
        if let Some(next) = rows
            .get(h_end + 1)
            .filter(|r| r.index == rows[h_end].index + 1)
        {
            let extra: Vec<(u32, Column)> = next
                .cells
                .iter()
                .filter_map(|(c, cell)| {
                    Column::from_normed_header(cell.norm())
                        .filter(|k| !k.is_official())
                        .map(|k| (*c, k))
                })
                .collect();
            if !extra.is_empty() && extra.len() * 2 >= next.cells.len() {
                for (c, k) in extra {
                    if columns[k as usize].is_none() {
                        columns[k as usize] = Some(c);
                    }
                }
                data_start = h_end + 2;
            }
        }
        let mut form = Form {
            file: file.to_string(),
            sheet: grid.name.clone(),
            header_row: rows[h_end].index + 1,
            columns,
            ..Form::default()
        };
        read_header_line(&rows[start..h], &mut form);
        // Data rows until the footer, the note or the next form's header.
        let mut people = Vec::new();
        let mut i = data_start;
        while i < rows.len() {
            let row = &rows[i];
            normed_text(row, &mut text);
            if text.contains("填表人") {
                form.footer = Some(read_footer(row, rows.get(i + 1)));
                i += 1;
                if form.footer.as_ref().is_some_and(|f| f.phone.is_empty())
                    && rows.get(i).is_some_and(|r| {
                        normed_text(r, &mut text);
                        text.contains("联系电话")
                    })
                {
                    i += 1;
                }
                break;
            }
            if text.starts_with("注:") || text.starts_with("注：") || header_at(rows, i).is_some()
            {
                break;
            }
            if is_person(row, &form.columns) {
                people.push(i);
            }
            i += 1;
        }
        // The note line (if it follows) belongs to this form.
        while i < rows.len()
            && {
                normed_text(&rows[i], &mut text);
                text.starts_with("注")
            }
            && header_at(rows, i).is_none()
        {
            i += 1;
        }
        // A misread header with people under it would report their cells under wrong columns.
        if let Some(why) = misread.filter(|_| !people.is_empty()) {
            return Err(why);
        }
        forms.push((form, people));
        start = i.max(h_end + 1);
    }
    Ok(forms)
}

/// `norm(&row.joined())` into `out`, without allocating: as [`Cell::norm`] is the cell's raw text
/// normalised and normalising removes the joining spaces, it is the cells' normalised texts one
/// after another (a merged area's value, filled across, taken once).
fn normed_text(row: &GridRow, out: &mut String) {
    out.clear();
    let mut last: Option<&str> = None;
    for (_, c) in &row.cells {
        if last != Some(c.raw.as_str()) {
            out.push_str(c.norm());
            last = Some(c.raw.as_str());
        }
    }
}

fn count(columns: &[Option<u32>]) -> usize {
    columns.iter().filter(|c| c.is_some()).count()
}

/// The columns a row names, when it is a header row (at least 8 official columns, 姓名 among them).
fn header_columns(row: &GridRow) -> Option<Vec<Option<u32>>> {
    if row.cells.len() < MIN_HEADER_COLUMNS {
        return None;
    }
    let mut columns: Vec<Option<u32>> = vec![None; Column::ALL.len()];
    for (c, cell) in &row.cells {
        if let Some(k) = Column::from_normed_header(cell.norm())
            && columns[k as usize].is_none()
        {
            columns[k as usize] = Some(*c);
        }
    }
    let official = Column::OFFICIAL
        .iter()
        .filter(|k| columns[**k as usize].is_some())
        .count();
    (official >= MIN_HEADER_COLUMNS && columns[Column::Name as usize].is_some()).then_some(columns)
}

/// Placeholder texts of the official template: not people.
fn is_placeholder(normed: &str) -> bool {
    // Both brackets are encoded with a leading 0xEF byte: look for that first.
    if normed.as_bytes().contains(&0xEF) && normed.contains(['（', '）']) {
        // Not in a normalised text (norm narrows them), but a caller may pass any text.
        return is_placeholder_text(&normed.replace(['（', '）'], ""), normed);
    }
    is_placeholder_text(normed, normed)
}

/// [`is_placeholder`] once the full-width brackets are removed from `normed` (giving `n`).
fn is_placeholder_text(n: &str, normed: &str) -> bool {
    static ADDED: LazyLock<memmem::Finder<'static>> =
        LazyLock::new(|| memmem::Finder::new("自行添加"));
    let n = n.trim_matches(['(', ')']);
    // Every placeholder name is Chinese: a text of ASCII alone (a number, a mobile, an account)
    // can only be a row of dots or dashes. Most cells are told apart here, without a search.
    if n.is_ascii() {
        return !normed.is_empty() && normed.bytes().all(|b| matches!(b, b'.' | b'-'));
    }
    matches!(
        n,
        "学校派出人员" | "企业派出人员" | "接收企业" | "接收学校" | "自行添加行"
    ) || (n.len() >= "自行添加".len()
        && n.as_bytes().windows(3).any(|w| w == "自".as_bytes())
        && ADDED.find(n.as_bytes()).is_some())
        || (!normed.is_empty()
            && normed
                .chars()
                .all(|c| matches!(c, '.' | '…' | '。' | '·' | '-')))
}

/// The cell of each column of the form in `row`, skipping placeholders.
fn form_cells<'r>(
    row: &'r GridRow,
    columns: &'r [Option<u32>],
) -> impl Iterator<Item = (Column, usize, &'r Cell)> + 'r {
    Column::ALL.into_iter().filter_map(move |k| {
        let c = columns.get(k as usize).copied().flatten()?;
        let i = row.cells.binary_search_by_key(&c, |(c, _)| *c).ok()?;
        let (_, cell) = row.cells.get(i)?;
        (!is_placeholder(cell.norm())).then_some((k, i, cell))
    })
}

/// True when a data row holds a person, not a blank or placeholder row: some column other than
/// 序号, 批次 and 交流期限 has content.
fn is_person(row: &GridRow, columns: &[Option<u32>]) -> bool {
    form_cells(row, columns)
        .any(|(k, _, _)| !matches!(k, Column::Seq | Column::Batch | Column::Term))
}

/// The person in a data row (one [`is_person`] accepted), cells copied.
fn person_row(row: &GridRow, columns: &[Option<u32>]) -> PersonRow {
    let mut person = PersonRow::new(row.index + 1);
    for (k, _, cell) in form_cells(row, columns) {
        person.set(k, cell.clone());
    }
    person
}

/// [`person_row`], the cells moved out of the row. `cols` are the form's columns sorted by sheet
/// column, no two reading the same one.
fn take_person_row(row: GridRow, cols: &[(u32, Column)]) -> PersonRow {
    let mut cells = Vec::with_capacity(Column::ALL.len());
    cells.resize_with(Column::ALL.len(), Cell::default);
    let mut wanted = cols.iter().peekable();
    for (c, cell) in row.cells {
        while wanted.next_if(|(w, _)| *w < c).is_some() {}
        if let Some((_, k)) = wanted.next_if(|(w, _)| *w == c)
            && !is_placeholder(cell.norm())
            && let Some(slot) = cells.get_mut(*k as usize)
        {
            *slot = cell;
        }
    }
    PersonRow {
        row: row.index + 1,
        cells,
    }
}

/// Text after `label` (and an optional 「（盖章）」 and colon) up to the first of `stops`.
fn value_after(text: &str, labels: &[&str], stops: &[&str]) -> Option<String> {
    let (pos, label) = labels
        .iter()
        .filter_map(|l| text.find(l).map(|p| (p, *l)))
        .min_by_key(|(p, _)| *p)?;
    let mut rest = &text[pos + label.len()..];
    loop {
        let trimmed = rest.trim_start();
        let next = trimmed
            .strip_prefix("(盖章)")
            .or_else(|| trimmed.strip_prefix("(公章)"))
            .or_else(|| trimmed.strip_prefix("(签章)"))
            .or_else(|| trimmed.strip_prefix(':'))
            .or_else(|| trimmed.strip_prefix("名称"));
        match next {
            Some(n) => rest = n,
            None => {
                rest = trimmed;
                break;
            }
        }
    }
    let end = stops
        .iter()
        .filter_map(|s| rest.find(s))
        .min()
        .unwrap_or(rest.len());
    Some(
        rest[..end]
            .trim()
            .trim_end_matches(['，', ',', ';', '；'])
            .trim()
            .to_string(),
    )
}

fn narrow(s: &str) -> String {
    s.chars().map(half_width).collect()
}

const SCHOOL_LABELS: [&str; 3] = ["交流互聘学校", "学校(盖章)", "学校名称"];
const ENTERPRISE_LABELS: [&str; 3] = ["交流互聘企业", "企业(盖章)", "企业名称"];

/// Reads 「交流互聘学校（盖章）：…」 and 「交流互聘企业（盖章）：…」 from the rows above the header.
fn read_header_line(rows: &[GridRow], form: &mut Form) {
    for row in rows {
        let text = narrow(&row.joined());
        let mut found = false;
        if let Some(v) = value_after(&text, &SCHOOL_LABELS, &ENTERPRISE_LABELS) {
            form.school = Some(HeaderName::new(&v)).filter(|h| !h.norm.is_empty());
            found = true;
        }
        if let Some(v) = value_after(&text, &ENTERPRISE_LABELS, &SCHOOL_LABELS) {
            form.enterprise = Some(HeaderName::new(&v)).filter(|h| !h.norm.is_empty());
            found = true;
        }
        if found {
            form.header_line_row = Some(row.index + 1);
        }
    }
}

/// Reads 「学校填表人：…  联系电话：…」 (the phone may be on the next row).
fn read_footer(row: &GridRow, next: Option<&GridRow>) -> Footer {
    let text = narrow(&row.joined());
    let filler = value_after(
        &text,
        &["学校填表人", "填表人"],
        &["联系电话", "电话", "手机"],
    )
    .unwrap_or_default();
    let mut phone =
        value_after(&text, &["联系电话", "电话", "手机"], &["填表人", "日期"]).unwrap_or_default();
    if phone.is_empty()
        && let Some(n) = next
    {
        phone =
            value_after(&narrow(&n.joined()), &["联系电话", "电话"], &["日期"]).unwrap_or_default();
    }
    Footer {
        row: row.index + 1,
        filler,
        phone,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(rows: &[&[&str]]) -> Grid {
        let mut cells = Vec::new();
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                cells.push((r as u32, c as u32, Cell::text(*v)));
            }
        }
        Grid::from_cells(Some("Sheet1".into()), cells, Vec::new())
    }

    const HEADER: [&str; 16] = [
        "序  号",
        "批次",
        "姓  名",
        "派出单位",
        "现任行政职务",
        "从事学科专业领域",
        "现任专业技术职务",
        "已取得的教师资格",
        "已取得的职业技能资格",
        "手机号码",
        "交流\n期限",
        "接收单位",
        "拟挂任职务",
        "学校对公账户开户行(不得填零余额银行)",
        "开户名（规范名称）",
        "账户账号",
    ];

    #[test]
    fn the_notices_own_layout_is_read_with_placeholders_skipped() {
        let g = grid(&[
            &["“双千双师交流计划”第十批交流互聘人员推荐表"],
            &["交流互聘学校（盖章）：甲学院            交流互聘企业（盖章）：乙公司"],
            &HEADER,
            &[
                "",
                "第十批",
                "（学校派出人员）",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "2024年春季学期",
                "（接收企业）",
            ],
            &[
                "1",
                "第十批",
                "张三",
                "甲学院",
                "无",
                "机械",
                "讲师",
                "高等学校教师资格",
                "无",
                "13812345678",
                "2024年春季学期",
                "乙公司",
                "科技副总",
                "工行",
                "甲学院",
                "123456789012",
            ],
            &["", "......", "(自行添加行）"],
            &["学校填表人：李四", "", "联系电话：023-63865672"],
            &["注：本表所有内容必须填写准确、规范、完整，须同时加盖校企双方公章。"],
        ]);
        let forms = forms_in_grid("a.xlsx", &g);
        assert_eq!(forms.len(), 1);
        let f = &forms[0];
        assert_eq!(f.school.as_ref().map(|s| s.raw.as_str()), Some("甲学院"));
        assert_eq!(
            f.enterprise.as_ref().map(|s| s.raw.as_str()),
            Some("乙公司")
        );
        assert_eq!(f.header_row, 3);
        assert_eq!(f.rows.len(), 1);
        assert_eq!(f.rows[0].row, 5);
        assert_eq!(f.rows[0].get(Column::Name).raw, "张三");
        let footer = f.footer.clone().unwrap_or_default();
        assert_eq!(
            (footer.filler.as_str(), footer.phone.as_str(), footer.row),
            ("李四", "023-63865672", 7)
        );
    }

    #[test]
    fn labels_and_names_in_separate_cells() {
        let g = grid(&[
            &[
                "交流互聘学校（盖章）：",
                "甲学院",
                "",
                "交流互聘企业（盖章）:",
                "乙公司",
            ],
            &HEADER,
            &["学校填表人：", "", "联系电话：", "13900001111"],
        ]);
        let f = &forms_in_grid("a.xlsx", &g)[0];
        assert_eq!(f.school.as_ref().map(|s| s.norm.as_str()), Some("甲学院"));
        assert_eq!(
            f.enterprise.as_ref().map(|s| s.norm.as_str()),
            Some("乙公司")
        );
        assert!(f.rows.is_empty());
        assert_eq!(
            f.footer.as_ref().map(|x| x.phone.as_str()),
            Some("13900001111")
        );
    }

    #[test]
    fn an_empty_header_line_gives_no_names() {
        let g = grid(&[
            &["交流互聘学校（盖章）：            交流互聘企业（盖章）："],
            &HEADER,
        ]);
        let f = &forms_in_grid("a.xlsx", &g)[0];
        assert_eq!(f.school, None);
        assert_eq!(f.enterprise, None);
        assert_eq!(f.header_line_row, Some(1));
    }

    #[test]
    fn two_forms_on_one_sheet() {
        let mut person = vec!["1", "第十批", "张三"];
        person.resize(16, "x");
        let g = grid(&[
            &["交流互聘学校（盖章）：甲学院 交流互聘企业（盖章）：乙公司"],
            &HEADER,
            &person,
            &["学校填表人：李四 联系电话：13900001111"],
            &["交流互聘学校（盖章）：甲学院 交流互聘企业（盖章）：丙公司"],
            &HEADER,
            &person,
            &person,
        ]);
        let forms = forms_in_grid("a.xlsx", &g);
        assert_eq!(forms.len(), 2);
        assert_eq!(
            forms[1].enterprise.as_ref().map(|s| s.raw.as_str()),
            Some("丙公司")
        );
        assert_eq!(forms[1].rows.len(), 2);
        assert_eq!(forms[1].footer, None);
    }

    #[test]
    fn moving_the_cells_out_gives_the_same_forms() {
        let mut person = vec!["1", "第十批", "张三"];
        person.resize(16, "x");
        let mut supplementary = HEADER.to_vec();
        supplementary.push("派出类别");
        let mut under = vec![""; 16];
        under.extend(["派出类别", "交流形式"]);
        let mut sent = person.clone();
        sent.extend(["学校派出", "项目合作"]);
        let g = grid(&[
            &["交流互聘学校（盖章）：甲学院 交流互聘企业（盖章）：乙公司"],
            &HEADER,
            &person,
            &["", "......", "(自行添加行）"],
            &["学校填表人：李四 联系电话：13900001111"],
            &["交流互聘学校（盖章）：甲学院 交流互聘企业（盖章）：丙公司"],
            &supplementary,
            &under,
            &sent,
            &person,
            &["注：本表所有内容必须填写准确"],
        ]);
        let copied = forms_in_grid("a.xlsx", &g);
        assert_eq!(copied.len(), 2);
        assert_eq!(copied[1].rows.len(), 2);
        assert_eq!(copied[1].rows[0].get(Column::Direction).raw, "学校派出");
        assert_eq!(into_forms("a.xlsx", g), copied);

        // A 补充信息 header under an official one: two columns read one sheet column.
        let g = grid(&[&HEADER, &["派出类别"], &person]);
        let copied = forms_in_grid("a.xlsx", &g);
        assert_eq!(copied[0].rows[0].get(Column::Direction).raw, "1");
        assert_eq!(copied[0].rows[0].get(Column::Seq).raw, "1");
        assert_eq!(into_forms("a.xlsx", g), copied);
    }

    #[test]
    fn placeholders_in_any_bracket_width() {
        for p in [
            "(学校派出人员)",
            "（接收企业）",
            "（自行添加行)",
            "......",
            "…",
            "-",
        ] {
            assert!(is_placeholder(p), "{p}");
        }
        for p in ["", "张三", "(张三)", "学校派出"] {
            assert!(!is_placeholder(p), "{p}");
        }
    }

    #[test]
    fn a_sheet_without_header_has_no_form() {
        assert!(forms_in_grid("a.xlsx", &grid(&[&["说明"], &["请填写推荐表"]])).is_empty());
    }
}
