//! The official recommendation form (推荐表) as an xlsx: blank (the template schools download) or
//! filled with rows (round trips, the benchmark, the web app's 「下载已填推荐表」).
//!
//! Layout (1-based rows, as a spreadsheet program shows them):
//!
//! | row | content |
//! | --- | --- |
//! | 1 | the title 「“双千双师交流计划”第十批交流互聘人员推荐表」, merged across every column |
//! | 2 | the header line: A–B 「交流互聘学校（盖章）：」, C–G the school, H–J 「交流互聘企业（盖章）：」, K–P the enterprise |
//! | 3–4 | the 16 official headers (A–P), each merged over rows 3–4; with the supplementary columns, Q3:V3 「补充信息」 and their 6 headers in Q4–V4 |
//! | 5 … | one row per person (the blank template: 30 empty rows numbered 1–30) |
//! | after the data | the footer: A 「学校填表人：」, B–E the filler, H–I 「联系电话：」, J–L the phone |
//! | next | the note 「注：本表所有内容必须填写准确、规范、完整，须同时加盖校企双方公章。」 |

use rust_xlsxwriter::{
    Color, DataValidation, DocProperties, Format, FormatAlign, FormatBorder, Formula, Workbook,
    Worksheet,
};
use shuangshi_rules::{Batch, Column, PersonRow};

use super::{WriteError, fit_cell};

/// The form's sheet name.
pub const SHEET_NAME: &str = "推荐表";
/// The hidden sheet holding drop-down lists too long for a validation's inline list.
const LISTS_SHEET: &str = "下拉选项";
/// How many empty rows the blank template offers.
pub const TEMPLATE_BLANK_ROWS: u32 = 30;

/// 1-based row of the title.
pub const TITLE_ROW: u32 = 1;
/// 1-based row of the header line (school and enterprise).
pub const HEADER_LINE_ROW: u32 = 2;
/// 1-based row of the column headers (they span this row and the next).
pub const HEADER_ROW: u32 = 3;
/// 1-based row of the first person.
pub const FIRST_DATA_ROW: u32 = 5;

// 0-based rows and columns used while writing.
const R_TITLE: u32 = TITLE_ROW - 1;
const R_HEADER_LINE: u32 = HEADER_LINE_ROW - 1;
const R_HEADER: u32 = HEADER_ROW - 1;
const R_SUBHEADER: u32 = HEADER_ROW;
const R_DATA: u32 = FIRST_DATA_ROW - 1;
/// 0-based column of the last official column (P).
const C_LAST_OFFICIAL: u16 = 15;

const TITLE_NOTE: &str = "注：本表所有内容必须填写准确、规范、完整，须同时加盖校企双方公章。";
const HEADER_FILL: u32 = 0xD9D9D9;
/// Excel's built-in number format 49, 「@」: the cell is text.
const TEXT_FORMAT: u8 = 49;

/// A form's content for [`filled_xlsx`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filled {
    /// 交流互聘学校 of the header line.
    pub school: String,
    /// 交流互聘企业 of the header line.
    pub enterprise: String,
    /// The people, in order; 序号 is written as 1..n whatever the rows say.
    pub rows: Vec<PersonRow>,
    /// 学校填表人.
    pub filler: String,
    /// 联系电话.
    pub phone: String,
    /// Whether to add the 补充信息 columns (Q–V).
    pub supplementary: bool,
}

/// The blank official form for `batch`: the header line empty, the 补充信息 columns present and 30
/// empty rows numbered 1–30.
pub fn template_xlsx(batch: &Batch) -> Result<Vec<u8>, WriteError> {
    let blank = Filled {
        supplementary: true,
        ..Filled::default()
    };
    build(batch, &blank, Some(TEMPLATE_BLANK_ROWS))
}

/// The official form for `batch` filled with `filled`: exactly its rows (from row 5), then the footer.
pub fn filled_xlsx(batch: &Batch, filled: &Filled) -> Result<Vec<u8>, WriteError> {
    build(batch, filled, None)
}

/// The title of the form for `batch`.
pub fn title(batch: &Batch) -> String {
    format!("“双千双师交流计划”{}交流互聘人员推荐表", batch.name)
}

/// Column widths in Excel units (≈ 2 per Chinese character of the longest usual content).
fn width(c: Column) -> f64 {
    match c {
        Column::Seq => 8.0,
        Column::Batch => 12.0,
        Column::Name => 10.0,
        Column::SendingUnit | Column::ReceivingUnit => 28.0,
        Column::AdminPost => 14.0,
        Column::Field => 18.0,
        Column::Title => 16.0,
        Column::TeacherQualification => 22.0,
        Column::SkillQualification => 18.0,
        Column::Mobile => 14.0,
        Column::Term => 16.0,
        Column::Post => 12.0,
        Column::Bank => 30.0,
        Column::AccountName => 28.0,
        Column::AccountNumber => 24.0,
        Column::Direction => 10.0,
        Column::TeachingYears | Column::EnterpriseYears | Column::FrontlineYears => 12.0,
        Column::ExchangeForm => 12.0,
        Column::Priority => 22.0,
    }
}

/// Whether a column holds digits that must stay text (mobile and account numbers).
fn is_text_column(c: Column) -> bool {
    matches!(c, Column::Mobile | Column::AccountNumber)
}

struct Formats {
    title: Format,
    label: Format,
    input: Format,
    header: Format,
    seq: Format,
    data: Format,
    data_text: Format,
    footer_label: Format,
    footer_input: Format,
    footer_input_text: Format,
    note: Format,
}

impl Formats {
    fn new() -> Formats {
        let base = Format::new()
            .set_font_name("宋体")
            .set_font_size(11)
            .set_align(FormatAlign::VerticalCenter);
        let bordered = base.clone().set_border(FormatBorder::Thin);
        let input = base
            .clone()
            .set_align(FormatAlign::Left)
            .set_border_bottom(FormatBorder::Thin);
        let label = base.clone().set_align(FormatAlign::Right).set_shrink();
        Formats {
            title: base
                .clone()
                .set_bold()
                .set_font_size(16)
                .set_align(FormatAlign::Center),
            label: label.clone().set_bold(),
            input: input.clone(),
            header: bordered
                .clone()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_background_color(Color::RGB(HEADER_FILL)),
            seq: bordered.clone().set_align(FormatAlign::Center),
            data: bordered.clone(),
            data_text: bordered.set_num_format_index(TEXT_FORMAT),
            footer_label: label,
            footer_input: input.clone(),
            footer_input_text: input.set_num_format_index(TEXT_FORMAT),
            note: base.set_align(FormatAlign::Left),
        }
    }

    fn data_for(&self, c: Column) -> &Format {
        match c {
            Column::Seq => &self.seq,
            c if is_text_column(c) => &self.data_text,
            _ => &self.data,
        }
    }
}

/// The columns of the form, in sheet order (column index = position).
fn columns(supplementary: bool) -> Vec<Column> {
    let mut cols = Column::OFFICIAL.to_vec();
    if supplementary {
        cols.extend(Column::SUPPLEMENTARY);
    }
    cols
}

fn col_index(i: usize) -> u16 {
    u16::try_from(i).unwrap_or(u16::MAX)
}

/// Writes the form. `blank_rows`: `Some(n)` writes n numbered empty rows instead of `filled.rows`.
fn build(batch: &Batch, filled: &Filled, blank_rows: Option<u32>) -> Result<Vec<u8>, WriteError> {
    let f = Formats::new();
    let cols = columns(filled.supplementary);
    let last_col = col_index(cols.len() - 1);
    let mut ws = Worksheet::new();
    ws.set_name(SHEET_NAME)?;

    // Widths.
    for (i, c) in cols.iter().enumerate() {
        ws.set_column_width(col_index(i), width(*c))?;
    }

    // Row 1: title.
    let title = title(batch);
    ws.merge_range(R_TITLE, 0, R_TITLE, last_col, &title, &f.title)?;
    ws.set_row_height(R_TITLE, 36)?;

    // Row 2: header line.
    ws.merge_range(
        R_HEADER_LINE,
        0,
        R_HEADER_LINE,
        1,
        "交流互聘学校（盖章）：",
        &f.label,
    )?;
    ws.merge_range(R_HEADER_LINE, 2, R_HEADER_LINE, 6, "", &f.input)?;
    write_text(&mut ws, R_HEADER_LINE, 2, &filled.school, &f.input)?;
    ws.merge_range(
        R_HEADER_LINE,
        7,
        R_HEADER_LINE,
        9,
        "交流互聘企业（盖章）：",
        &f.label,
    )?;
    ws.merge_range(
        R_HEADER_LINE,
        10,
        R_HEADER_LINE,
        C_LAST_OFFICIAL,
        "",
        &f.input,
    )?;
    write_text(&mut ws, R_HEADER_LINE, 10, &filled.enterprise, &f.input)?;
    ws.set_row_height(R_HEADER_LINE, 28)?;

    // Rows 3–4: headers.
    for (i, c) in Column::OFFICIAL.iter().enumerate() {
        let col = col_index(i);
        ws.merge_range(
            R_HEADER,
            col,
            R_SUBHEADER,
            col,
            c.template_header(),
            &f.header,
        )?;
    }
    if filled.supplementary {
        let first = col_index(Column::OFFICIAL.len());
        ws.merge_range(R_HEADER, first, R_HEADER, last_col, "补充信息", &f.header)?;
        for (i, c) in Column::SUPPLEMENTARY.iter().enumerate() {
            ws.write_string_with_format(
                R_SUBHEADER,
                first + col_index(i),
                c.template_header(),
                &f.header,
            )?;
        }
    }
    ws.set_row_height(R_HEADER, 24)?;
    ws.set_row_height(R_SUBHEADER, 48)?;

    // Data rows.
    let n_rows = match blank_rows {
        Some(n) => n,
        None => {
            u32::try_from(filled.rows.len()).map_err(|_| WriteError("人员行数过多".to_string()))?
        }
    };
    if u64::from(R_DATA) + u64::from(n_rows) + 2 > 1_048_576 {
        return Err(WriteError(format!(
            "人员行数过多（{n_rows} 行），超出 Excel 工作表的行数上限"
        )));
    }
    for k in 0..n_rows {
        let r = R_DATA + k;
        ws.write_number_with_format(r, 0, f64::from(k + 1), &f.seq)?;
        let person = match blank_rows {
            Some(_) => None,
            None => filled.rows.get(k as usize),
        };
        for (i, c) in cols.iter().enumerate().skip(1) {
            let fmt = f.data_for(*c);
            let value = person.map(|p| p.get(*c).raw.as_str()).unwrap_or("");
            write_text(&mut ws, r, col_index(i), value, fmt)?;
        }
    }

    // Footer and note, directly after the data.
    let r_footer = R_DATA + n_rows;
    ws.write_string_with_format(r_footer, 0, "学校填表人：", &f.footer_label)?;
    ws.merge_range(r_footer, 1, r_footer, 4, "", &f.footer_input)?;
    write_text(&mut ws, r_footer, 1, &filled.filler, &f.footer_input)?;
    ws.merge_range(r_footer, 7, r_footer, 8, "联系电话：", &f.footer_label)?;
    ws.merge_range(r_footer, 9, r_footer, 11, "", &f.footer_input_text)?;
    write_text(&mut ws, r_footer, 9, &filled.phone, &f.footer_input_text)?;
    ws.set_row_height(r_footer, 28)?;
    let r_note = r_footer + 1;
    ws.merge_range(r_note, 0, r_note, last_col, TITLE_NOTE, &f.note)?;
    ws.set_row_height(r_note, 22)?;

    // Validations and prompts on the data rows.
    let mut lists = Lists::default();
    if n_rows > 0 {
        let last_data = R_DATA + n_rows - 1;
        let mut posts = batch.posts.school.clone();
        posts.extend(batch.posts.enterprise.iter().cloned());
        let mut choices: Vec<(Column, Vec<String>)> = vec![
            (Column::Batch, vec![batch.name.clone()]),
            (Column::Term, vec![batch.term.clone()]),
            (Column::Post, posts),
        ];
        if filled.supplementary {
            choices.push((
                Column::Direction,
                vec!["学校派出".to_string(), "企业派出".to_string()],
            ));
        }
        for (c, items) in &choices {
            let Some(i) = cols.iter().position(|x| x == c) else {
                continue;
            };
            let items: Vec<&str> = items
                .iter()
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
                .collect();
            if items.is_empty() {
                continue;
            }
            let dv = lists.validation(c.label(), &items)?;
            let col = col_index(i);
            ws.add_data_validation(R_DATA, col, last_data, col, &dv)?;
        }
        let prompts = [
            (Column::Mobile, "请填写11位手机号码"),
            (Column::AccountNumber, "请以文本格式填写完整账号"),
        ];
        for (c, message) in prompts {
            let col = col_index(c as usize);
            let dv = DataValidation::new()
                .allow_any_value()
                .set_input_title(c.label())?
                .set_input_message(message)?;
            ws.add_data_validation(R_DATA, col, last_data, col, &dv)?;
        }
    }

    // View and print.
    ws.set_freeze_panes(R_DATA, 3)?;
    ws.set_paper_size(9); // A4
    ws.set_landscape();
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(R_HEADER, R_SUBHEADER)?;
    ws.set_print_area(0, 0, r_note, last_col)?;
    ws.set_margins(0.25, 0.25, 0.4, 0.5, 0.2, 0.25);
    ws.set_print_center_horizontally(true);
    ws.set_footer("&C第 &P 页，共 &N 页");

    let mut wb = Workbook::new();
    wb.set_properties(
        &DocProperties::new()
            .set_title(&title)
            .set_subject("交流互聘人员推荐表"),
    );
    wb.push_worksheet(ws);
    if let Some(sheet) = lists.into_sheet()? {
        wb.push_worksheet(sheet);
    }
    Ok(wb.save_to_buffer()?)
}

/// Writes a user's text as a string (never a formula); an empty one as a formatted blank.
fn write_text(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    value: &str,
    fmt: &Format,
) -> Result<(), WriteError> {
    if value.is_empty() {
        ws.write_blank(row, col, fmt)?;
    } else {
        ws.write_string_with_format(row, col, fit_cell(value), fmt)?;
    }
    Ok(())
}

/// Drop-down lists too long (over 255 characters) or too awkward (a comma or quote in an item) for
/// a validation's inline list; they go to a hidden sheet, one column each.
#[derive(Default)]
struct Lists {
    columns: Vec<Vec<String>>,
}

impl Lists {
    fn validation(&mut self, what: &str, items: &[&str]) -> Result<DataValidation, WriteError> {
        let joined_len: usize = items.iter().map(|s| s.encode_utf16().count() + 1).sum();
        let inline = joined_len <= 256 && !items.iter().any(|s| s.contains([',', '"']));
        let dv = if inline {
            DataValidation::new().allow_list_strings(items)?
        } else {
            let col = self.columns.len();
            self.columns
                .push(items.iter().map(|s| s.to_string()).collect());
            let letters = shuangshi_rules::text::column_letters(col_index(col).into());
            let range = format!(
                "='{LISTS_SHEET}'!${letters}$1:${letters}${}",
                items.len().max(1)
            );
            DataValidation::new().allow_list_formula(Formula::new(range))
        };
        let message = if inline {
            let shown = super::fit_to(&items.join("、"), 200).into_owned();
            format!("{what}请从下拉列表中选择：{shown}")
        } else {
            format!("{what}请从下拉列表中选择。")
        };
        Ok(dv.set_error_title("填写有误")?.set_error_message(message)?)
    }

    fn into_sheet(self) -> Result<Option<Worksheet>, WriteError> {
        if self.columns.is_empty() {
            return Ok(None);
        }
        let mut ws = Worksheet::new();
        ws.set_name(LISTS_SHEET)?;
        for (c, items) in self.columns.iter().enumerate() {
            for (r, item) in items.iter().enumerate() {
                let r = u32::try_from(r).map_err(|_| WriteError("下拉选项过多".to_string()))?;
                ws.write_string(r, col_index(c), fit_cell(item))?;
            }
        }
        ws.set_hidden(true);
        Ok(Some(ws))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lists_go_to_a_hidden_sheet() {
        let mut lists = Lists::default();
        let short = lists.validation("批次", &["第十批"]);
        assert!(short.is_ok());
        assert!(lists.columns.is_empty());
        let many: Vec<String> = (0..60).map(|i| format!("职务{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert!(lists.validation("拟挂任职务", &many).is_ok());
        assert!(lists.validation("拟挂任职务", &["甲,乙"]).is_ok());
        assert_eq!(lists.columns.len(), 2);
        assert!(matches!(lists.into_sheet(), Ok(Some(_))));
    }

    #[test]
    fn the_title_names_the_batch() {
        assert_eq!(
            title(&Batch::batch10()),
            "“双千双师交流计划”第十批交流互聘人员推荐表"
        );
    }

    #[test]
    fn column_widths_follow_the_form_order() {
        let cols = columns(true);
        assert_eq!(cols.len(), 22);
        assert_eq!(cols[9], Column::Mobile);
        assert_eq!(cols[15], Column::AccountNumber);
        assert_eq!(cols[16], Column::Direction);
        assert!(is_text_column(cols[9]) && is_text_column(cols[15]));
    }
}
