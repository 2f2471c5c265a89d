//! Finding recommendation forms in a grid, as schools really lay them out.
//!
//! The header row is found by its texts (spaces, line breaks and bracket widths ignored), not by a fixed
//! row; the header line 「交流互聘学校（盖章）：…  交流互聘企业（盖章）：…」 is looked for above it, the
//! footer 「学校填表人：…  联系电话：…」 below the data. The template's placeholder rows and blank rows
//! are not people. One sheet may hold several forms, one after another.

use shuangshi_rules::text::{half_width, norm};
use shuangshi_rules::{Column, Footer, Form, HeaderName, PersonRow};

use crate::grid::{Grid, GridRow};

/// How many distinct official columns a row must name to be the header row.
const MIN_HEADER_COLUMNS: usize = 8;

/// Every form in `grid`, in order. A grid without a header row has none.
pub fn forms_in_grid(file: &str, grid: &Grid) -> Vec<Form> {
    let mut forms = Vec::new();
    let rows = &grid.rows;
    let mut start = 0; // first row (position in `rows`) not yet part of a form
    while start < rows.len() {
        let Some(h) = (start..rows.len()).find(|&i| header_columns(&rows[i]).is_some()) else {
            break;
        };
        // A header spread over two rows (vertical merges, a 补充信息 group): take the last of the run.
        let mut h_end = h;
        while h_end + 1 < rows.len() && rows[h_end + 1].index == rows[h_end].index + 1 {
            match (
                header_columns(&rows[h_end + 1]),
                header_columns(&rows[h_end]),
            ) {
                (Some(next), Some(cur)) if count(&next) >= count(&cur) => h_end += 1,
                _ => break,
            }
        }
        let mut columns = header_columns(&rows[h_end]).unwrap_or_default();
        // Supplementary headers on the row below a one-row header.
        let mut data_start = h_end + 1;
        if let Some(next) = rows
            .get(h_end + 1)
            .filter(|r| r.index == rows[h_end].index + 1)
        {
            let extra: Vec<(u32, Column)> = next
                .cells
                .iter()
                .filter_map(|(c, cell)| {
                    Column::from_header(&cell.raw)
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
        let mut i = data_start;
        while i < rows.len() {
            let row = &rows[i];
            let text = norm(&row.joined());
            if text.contains("填表人") {
                form.footer = Some(read_footer(row, rows.get(i + 1)));
                i += 1;
                if form.footer.as_ref().is_some_and(|f| f.phone.is_empty())
                    && rows
                        .get(i)
                        .is_some_and(|r| norm(&r.joined()).contains("联系电话"))
                {
                    i += 1;
                }
                break;
            }
            if text.starts_with("注:") || text.starts_with("注：") || header_columns(row).is_some()
            {
                break;
            }
            if let Some(p) = person_row(row, &form.columns) {
                form.rows.push(p);
            }
            i += 1;
        }
        // The note line (if it follows) belongs to this form.
        while i < rows.len()
            && norm(&rows[i].joined()).starts_with("注")
            && header_columns(&rows[i]).is_none()
        {
            i += 1;
        }
        forms.push(form);
        start = i.max(h_end + 1);
    }
    forms
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
        if let Some(k) = Column::from_header(&cell.raw)
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
    let n = normed.replace(['（', '）'], "");
    let n = n.trim_matches(['(', ')']);
    matches!(
        n,
        "学校派出人员" | "企业派出人员" | "接收企业" | "接收学校" | "自行添加行"
    ) || n.contains("自行添加")
        || (!normed.is_empty()
            && normed
                .chars()
                .all(|c| matches!(c, '.' | '…' | '。' | '·' | '-')))
}

/// The person in a data row, or `None` for a blank or placeholder row.
fn person_row(row: &GridRow, columns: &[Option<u32>]) -> Option<PersonRow> {
    let mut person = PersonRow::new(row.index + 1);
    let mut content = false;
    for k in Column::ALL {
        let Some(c) = columns[k as usize] else {
            continue;
        };
        let Some(cell) = row.get(c) else { continue };
        if is_placeholder(&cell.norm) {
            continue;
        }
        if !matches!(k, Column::Seq | Column::Batch | Column::Term) {
            content = true;
        }
        person.set(k, cell.clone());
    }
    content.then_some(person)
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
    use shuangshi_rules::Cell;

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
    fn a_sheet_without_header_has_no_form() {
        assert!(forms_in_grid("a.xlsx", &grid(&[&["说明"], &["请填写推荐表"]])).is_empty());
    }
}
