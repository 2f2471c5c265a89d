//! Spreadsheet values as [`Cell`]s: numbers as their exact digits, dates as `YYYY-MM-DD`.
//!
//! Shared by the xlsx and xls readers. `norm` is always `text::norm(raw)`.

use calamine::{CellErrorType, Data, DataRef, ExcelDateTime};
use shuangshi_rules::Cell;
use shuangshi_rules::text::norm;

/// Excel cannot show more than 15 significant digits: from 1e15 on, a typed number has lost digits.
const EXACT_DIGITS_LIMIT: f64 = 1e15;

/// The last day Excel's date system knows (9999-12-31) plus one, as a serial number.
const MAX_SERIAL_DATE: f64 = 2_958_466.0;

/// A streamed xlsx value; `None` for an empty cell.
pub(crate) fn from_data_ref(v: &DataRef<'_>) -> Option<Cell> {
    match v {
        DataRef::Empty => None,
        DataRef::String(s) => Some(Cell::text(s.as_str())),
        DataRef::SharedString(s) => Some(Cell::text(*s)),
        DataRef::Float(f) => Some(number(*f)),
        DataRef::Int(i) => Some(integer(*i)),
        DataRef::Bool(b) => Some(boolean(*b)),
        DataRef::DateTime(d) => Some(date_time(d)),
        DataRef::DateTimeIso(s) => Some(iso_date_time(s)),
        DataRef::DurationIso(s) => Some(Cell::text(s.as_str())),
        DataRef::Error(e) => Some(error(e)),
    }
}

/// An xls value; `None` for an empty cell.
pub(crate) fn from_data(v: &Data) -> Option<Cell> {
    match v {
        Data::Empty => None,
        Data::String(s) => Some(Cell::text(s.as_str())),
        Data::Float(f) => Some(number(*f)),
        Data::Int(i) => Some(integer(*i)),
        Data::Bool(b) => Some(boolean(*b)),
        Data::DateTime(d) => Some(date_time(d)),
        Data::DateTimeIso(s) => Some(iso_date_time(s)),
        Data::DurationIso(s) => Some(Cell::text(s.as_str())),
        Data::Error(e) => Some(error(e)),
    }
}

fn numeric(raw: String, digits_lost: bool) -> Cell {
    Cell {
        norm: norm(&raw),
        raw,
        numeric: true,
        digits_lost,
    }
}

/// A number cell: an integral value as its exact integer (13812345678.0 → "13812345678"), other
/// values in Rust's shortest round-trip form. From 1e15 on the spreadsheet program has already
/// replaced digits with zeros: `digits_lost`.
pub(crate) fn number(v: f64) -> Cell {
    if !v.is_finite() {
        return numeric(format!("{v}"), false);
    }
    let lost = v.abs() >= EXACT_DIGITS_LIMIT;
    if v == 0.0 {
        numeric("0".to_string(), false)
    } else if v.fract() == 0.0 {
        numeric(format!("{v:.0}"), lost)
    } else {
        numeric(format!("{v}"), lost)
    }
}

fn integer(i: i64) -> Cell {
    numeric(i.to_string(), false)
}

pub(crate) fn boolean(b: bool) -> Cell {
    Cell::text(if b { "TRUE" } else { "FALSE" })
}

fn error(e: &CellErrorType) -> Cell {
    Cell::text(e.to_string())
}

/// A date as `YYYY-MM-DD` (with ` HH:MM:SS` only when it has a time of day; a pure time as
/// `HH:MM:SS`). Durations and serials outside Excel's calendar stay numbers.
fn date_time(d: &ExcelDateTime) -> Cell {
    let v = d.as_f64();
    if d.is_duration() || !(v > 0.0 && v < MAX_SERIAL_DATE) {
        return number(v);
    }
    let (y, m, day, h, min, s, _) = d.to_ymd_hms_milli();
    let raw = if v < 1.0 {
        format!("{h:02}:{min:02}:{s:02}")
    } else if (h, min, s) == (0, 0, 0) {
        format!("{y:04}-{m:02}-{day:02}")
    } else {
        format!("{y:04}-{m:02}-{day:02} {h:02}:{min:02}:{s:02}")
    };
    numeric(raw, false)
}

/// An ISO 8601 date cell (`t="d"`): the date alone when the time is midnight.
fn iso_date_time(s: &str) -> Cell {
    let text = match s.split_once('T') {
        Some((date, time)) if time.trim_start_matches(['0', ':', '.']).is_empty() => {
            date.to_string()
        }
        Some((date, time)) => format!("{date} {time}"),
        None => s.to_string(),
    };
    Cell::text(text)
}

/// A date as the file shows it (an `.ods` cell's text): kept as written, marked as a number cell
/// like every date a spreadsheet stores.
pub(crate) fn shown(text: String) -> Cell {
    numeric(text, false)
}

/// A date the way Chinese users write it, for a date whose file does not say how it is shown:
/// 「2024年2月26日」, with 「 8:30」 (and seconds when there are any) for a time of day.
pub(crate) fn chinese_date(y: u32, m: u32, d: u32, h: u32, min: u32, s: u32) -> String {
    let day = format!("{y}年{m}月{d}日");
    match (h, min, s) {
        (0, 0, 0) => day,
        (h, min, 0) => format!("{day} {h}:{min:02}"),
        (h, min, s) => format!("{day} {h}:{min:02}:{s:02}"),
    }
}

/// An ISO 8601 date (`2024-02-26`, `2024-02-26T08:30:00`) as [`chinese_date`] writes it; any
/// other text (a duration such as `PT08H30M00S`) as it is.
pub(crate) fn iso_as_written(iso: &str) -> Cell {
    let (date, time) = iso.split_once('T').unwrap_or((iso, ""));
    let mut ymd = date.splitn(3, '-').map(|p| p.parse::<u32>().ok());
    let (Some(Some(y)), Some(Some(m)), Some(Some(d))) = (ymd.next(), ymd.next(), ymd.next()) else {
        return Cell::text(iso);
    };
    let mut hms = time
        .split(['.', '+', 'Z'])
        .next()
        .unwrap_or_default()
        .splitn(3, ':')
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let (h, min, s) = (
        hms.next().unwrap_or(0),
        hms.next().unwrap_or(0),
        hms.next().unwrap_or(0),
    );
    numeric(chinese_date(y, m, d, h, min, s), false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::ExcelDateTimeType;

    #[test]
    fn integral_numbers_print_their_exact_digits() {
        let c = number(13_812_345_678.0);
        assert_eq!(
            (c.raw.as_str(), c.numeric, c.digits_lost),
            ("13812345678", true, false)
        );
        assert_eq!(number(-0.0).raw, "0");
        assert_eq!(number(0.1).raw, "0.1");
        assert_eq!(number(2.5).raw, "2.5");
        assert_eq!(number(1e-7).raw, "0.0000001");
        let c = number(6_222_021_234_567_890_123.0);
        assert!(c.digits_lost);
        assert_eq!(c.raw, "6222021234567889920");
        assert!(number(1e15).digits_lost);
        assert!(!number(999_999_999_999_999.0).digits_lost);
    }

    #[test]
    fn dates_print_as_iso_days() {
        let d = ExcelDateTime::new(45193.0, ExcelDateTimeType::DateTime, false);
        assert_eq!(date_time(&d).raw, "2023-09-24");
        let d = ExcelDateTime::new(45193.5, ExcelDateTimeType::DateTime, false);
        assert_eq!(date_time(&d).raw, "2023-09-24 12:00:00");
        let d = ExcelDateTime::new(0.25, ExcelDateTimeType::DateTime, false);
        assert_eq!(date_time(&d).raw, "06:00:00");
        let d = ExcelDateTime::new(1.5, ExcelDateTimeType::TimeDelta, false);
        assert_eq!(date_time(&d).raw, "1.5");
        let d = ExcelDateTime::new(9e9, ExcelDateTimeType::DateTime, false);
        assert_eq!(date_time(&d).raw, "9000000000");
        assert_eq!(iso_date_time("2023-09-24T00:00:00").raw, "2023-09-24");
        assert_eq!(
            iso_date_time("2023-09-24T08:30:00").raw,
            "2023-09-24 08:30:00"
        );
    }

    #[test]
    fn other_values() {
        assert_eq!(
            from_data(&Data::Bool(true)).map(|c| c.raw),
            Some("TRUE".into())
        );
        assert_eq!(
            from_data(&Data::Error(CellErrorType::NA)).map(|c| c.raw),
            Some("#N/A".into())
        );
        assert_eq!(from_data(&Data::Empty), None);
        let c = from_data_ref(&DataRef::SharedString("１３８ 1234")).unwrap_or_default();
        assert_eq!(
            (c.raw.as_str(), c.norm.as_str()),
            ("１３８ 1234", "1381234")
        );
        assert!(!c.numeric);
    }
}
