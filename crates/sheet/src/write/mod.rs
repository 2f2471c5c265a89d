//! Writing workbooks: the official form (blank or filled, [`template`]), annotated copies of
//! checked files ([`annotate`]) and exported lists ([`table`]), with rust_xlsxwriter.
//!
//! Every value a user typed is written with `write_string`, so a text starting with `=`, `+`, `-` or
//! `@` stays text and never becomes a formula.

pub mod annotate;
pub mod docx;
pub mod table;
pub mod template;

pub use annotate::{SUMMARY_SHEET, WORD_SHEET, annotate_xlsx};
pub use docx::filled_docx;
pub use table::table_xlsx;
pub use template::{
    FIRST_DATA_ROW, Filled, HEADER_LINE_ROW, HEADER_ROW, SHEET_NAME, TEMPLATE_BLANK_ROWS,
    TITLE_ROW, filled_xlsx, template_xlsx,
};

use rust_xlsxwriter::XlsxError;

/// A workbook could not be written (an internal limit of the xlsx format was hit).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("无法生成 Excel 文件：{0}")]
pub struct WriteError(pub String);

impl From<XlsxError> for WriteError {
    fn from(e: XlsxError) -> WriteError {
        WriteError(e.to_string())
    }
}

/// Excel's limit on the characters (UTF-16 units) of one cell.
const MAX_CELL_CHARS: usize = 32_767;

/// Cuts `s` to what one cell can hold, marking the cut with 「…」.
pub(crate) fn fit_cell(s: &str) -> std::borrow::Cow<'_, str> {
    fit_to(s, MAX_CELL_CHARS)
}

/// Cuts `s` to at most `max` UTF-16 units, ending with 「…」 when something was cut.
pub(crate) fn fit_to(s: &str, max: usize) -> std::borrow::Cow<'_, str> {
    if s.len() <= max || s.encode_utf16().count() <= max {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::new();
    let mut used = 0;
    for ch in s.chars() {
        let n = ch.len_utf16();
        if used + n > max.saturating_sub(1) {
            break;
        }
        used += n;
        out.push(ch);
    }
    out.push('…');
    std::borrow::Cow::Owned(out)
}

/// The width of a text in Excel column units: about 2 for a CJK (wide) character, 1 otherwise.
pub(crate) fn display_width(s: &str) -> f64 {
    s.lines()
        .map(|line| {
            line.chars()
                .map(|c| if is_wide(c) { 2.0 } else { 1.1 })
                .sum::<f64>()
        })
        .fold(0.0, f64::max)
}

fn is_wide(c: char) -> bool {
    matches!(u32::from(c),
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x20000..=0x3FFFD)
}

/// Parses a cell address such as 「J5」 or 「$AB$12」 into 0-based (row, column).
pub fn parse_cell_ref(s: &str) -> Option<(u32, u32)> {
    let s = s.trim();
    let s = s.strip_prefix('$').unwrap_or(s);
    let letters_end = s.find(|c: char| !c.is_ascii_alphabetic())?;
    let (letters, rest) = s.split_at(letters_end);
    let digits = rest.strip_prefix('$').unwrap_or(rest);
    if letters.is_empty() || letters.len() > 3 || digits.is_empty() {
        return None;
    }
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut col: u32 = 0;
    for b in letters.bytes() {
        col = col * 26 + u32::from(b.to_ascii_uppercase() - b'A') + 1;
    }
    let row: u32 = digits.parse().ok()?;
    if row == 0 || row > 1_048_576 || col > 16_384 {
        return None;
    }
    Some((row - 1, col - 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use shuangshi_rules::text::column_letters;

    #[test]
    fn cell_refs_parse_and_round_trip_with_column_letters() {
        assert_eq!(parse_cell_ref("A1"), Some((0, 0)));
        assert_eq!(parse_cell_ref("J5"), Some((4, 9)));
        assert_eq!(parse_cell_ref("$AB$12"), Some((11, 27)));
        assert_eq!(parse_cell_ref("xfd1048576"), Some((1_048_575, 16_383)));
        for bad in ["", "5", "J", "J0", "J5x", "XFE1", "ABCD1", "J-5", "J 5"] {
            assert_eq!(parse_cell_ref(bad), None, "{bad}");
        }
        for col in [0, 1, 25, 26, 27, 51, 52, 701, 702, 16_383] {
            let r = format!("{}7", column_letters(col));
            assert_eq!(parse_cell_ref(&r), Some((6, col)), "{r}");
        }
    }

    #[test]
    fn long_texts_are_cut_to_the_cell_limit() {
        assert_eq!(fit_to("abc", 5), "abc");
        assert_eq!(fit_to("abcdef", 5), "abcd…");
        let long = "数".repeat(40_000);
        assert_eq!(fit_cell(&long).encode_utf16().count(), MAX_CELL_CHARS);
    }

    #[test]
    fn chinese_counts_double() {
        assert_eq!(display_width("姓名"), 4.0);
        assert!(display_width("ab") < 3.0);
        assert_eq!(display_width("甲乙\n丙"), 4.0);
    }
}
