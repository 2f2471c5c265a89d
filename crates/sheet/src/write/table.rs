//! A list exported as a plain table (the commission's 汇总名单 and the like): a title row, a bold
//! header row frozen above the data, every value written as text (so mobile and account numbers
//! keep their digits and a value starting with `=` stays text), widths fitted to Chinese text,
//! A4 landscape one page wide.

use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook};

use super::{WriteError, display_width, fit_cell, fit_to};

/// Excel's limit on the characters of a sheet name.
const MAX_SHEET_NAME: usize = 31;
/// Columns never grow wider than this (units of one narrow character).
const MAX_WIDTH: f64 = 40.0;

/// Writes `rows` under `headers` on one sheet named `sheet` (cut to Excel's 31 characters, with
/// the characters Excel forbids in sheet names replaced), with `title` above them.
pub fn table_xlsx(
    sheet: &str,
    title: &str,
    headers: &[&str],
    rows: &[Vec<String>],
) -> Result<Vec<u8>, WriteError> {
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    let name: String = sheet
        .chars()
        .map(|c| match c {
            '[' | ']' | ':' | '*' | '?' | '/' | '\\' => '_',
            c => c,
        })
        .collect();
    let name = fit_to(name.trim_matches('\''), MAX_SHEET_NAME);
    ws.set_name(if name.is_empty() { "Sheet1" } else { &name })?;
    let text = Format::new().set_num_format("@");
    let head = Format::new()
        .set_bold()
        .set_background_color(0xD9D9D9)
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_text_wrap();
    let cell = Format::new()
        .set_num_format("@")
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::VerticalCenter)
        .set_text_wrap();
    let title_format = Format::new().set_bold().set_font_size(14);
    ws.write_string_with_format(0, 0, fit_cell(title).as_ref(), &title_format)?;
    let mut widths: Vec<f64> = headers.iter().map(|h| display_width(h) + 2.0).collect();
    for (c, h) in headers.iter().enumerate() {
        let col = u16::try_from(c).map_err(|_| WriteError("列数过多".into()))?;
        ws.write_string_with_format(1, col, *h, &head)?;
    }
    for (r, values) in rows.iter().enumerate() {
        let row = u32::try_from(r + 2).map_err(|_| WriteError("行数过多".into()))?;
        for (c, v) in values.iter().enumerate().take(headers.len()) {
            let col = u16::try_from(c).map_err(|_| WriteError("列数过多".into()))?;
            ws.write_string_with_format(row, col, fit_cell(v).as_ref(), &cell)?;
            if let Some(w) = widths.get_mut(c) {
                *w = w.max(display_width(v) + 2.0);
            }
        }
    }
    for (c, w) in widths.iter().enumerate() {
        let col = u16::try_from(c).map_err(|_| WriteError("列数过多".into()))?;
        ws.set_column_width(col, w.min(MAX_WIDTH))?;
        ws.set_column_format(col, &text)?;
    }
    ws.set_freeze_panes(2, 0)?;
    ws.set_landscape();
    ws.set_paper_size(9);
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(1, 1)?;
    Ok(book.save_to_buffer()?)
}
