//! Spreadsheet values as [`Cell`]s: numbers as their exact digits, dates as the user sees them
//! (the cell's own format where the reader has it, else 「2024年2月26日」).
//!
//! Shared by the xlsx and xls readers. [`Cell::norm`] is always `text::norm(raw)`.

use calamine::{CellErrorType, Data, DataRef, ExcelDateTime};
use shuangshi_rules::Cell;

/// Excel cannot show more than 15 significant digits: from 1e15 on, a typed number has lost digits.
const EXACT_DIGITS_LIMIT: f64 = 1e15;

/// 2^63: every integral float below it in magnitude converts to an i64 exactly.
const I64_BOUND: f64 = 9_223_372_036_854_775_808.0;

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
    Cell::number(raw, digits_lost)
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
        // An integral value below 2^63 is exactly an i64, whose digits are `{v:.0}`'s — without
        // the exact float formatter's slow path, which every typed mobile number would take.
        let digits = if v.abs() < I64_BOUND {
            (v as i64).to_string()
        } else {
            format!("{v:.0}")
        };
        numeric(digits, lost)
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

/// A date as the user sees it: in `format` (the cell's number format code, when the reader has
/// it and it is one [`format_date`] can write), else as 「2024年2月26日」 (with the time of day
/// when it has one; a pure time as `HH:MM:SS`). Durations and serials outside Excel's calendar
/// stay numbers.
pub(crate) fn date_time_as_written(d: &ExcelDateTime, format: Option<&str>) -> Cell {
    let v = d.as_f64();
    if d.is_duration() || !(v > 0.0 && v < MAX_SERIAL_DATE) {
        return number(v);
    }
    let (y, m, day, h, min, s, _) = d.to_ymd_hms_milli();
    let (y, m, day, h, min, s) = (
        u32::from(y),
        u32::from(m),
        u32::from(day),
        u32::from(h),
        u32::from(min),
        u32::from(s),
    );
    if let Some(text) = format.and_then(|f| format_date(f, [y, m, day, h, min, s])) {
        return numeric(text, false);
    }
    let raw = if v < 1.0 {
        format!("{h:02}:{min:02}:{s:02}")
    } else {
        chinese_date(y, m, day, h, min, s)
    };
    numeric(raw, false)
}

fn date_time(d: &ExcelDateTime) -> Cell {
    date_time_as_written(d, None)
}

/// Writes a date (year, month, day, hour, minute, second) in an Excel number format code such as
/// `yyyy/m/d`, `yyyy"年"m"月"d"日"` or `yyyy-mm-dd hh:mm`, as a spreadsheet program shows it.
/// Built-in code `mm-dd-yy` (id 14) is shown `yyyy/m/d`, as Chinese Excel shows it. `None` for a
/// code with parts not written here (month or weekday names, AM/PM, fractions), so the caller
/// falls back to 「2024年2月26日」.
pub(crate) fn format_date(code: &str, [y, mo, d, h, mi, s]: [u32; 6]) -> Option<String> {
    let code = match code {
        "mm-dd-yy" => "yyyy/m/d",
        "m/d/yy h:mm" => "yyyy/m/d h:mm",
        c => c.split(';').next().unwrap_or(c),
    };
    let chars: Vec<char> = code.chars().collect();
    let mut out = String::new();
    let mut any = false;
    let mut after_hour = false;
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        let run = chars[i..]
            .iter()
            .take_while(|x| x.eq_ignore_ascii_case(&c))
            .count();
        match c.to_ascii_lowercase() {
            '"' => {
                let end = chars[i + 1..].iter().position(|x| *x == '"')?;
                out.extend(&chars[i + 1..i + 1 + end]);
                i += end + 2;
                continue;
            }
            '\\' => {
                out.extend(chars.get(i + 1));
                i += 2;
                continue;
            }
            '[' => {
                let end = chars[i..].iter().position(|x| *x == ']')?;
                i += end + 1;
                continue;
            }
            '_' | '*' => {
                i += 2;
                continue;
            }
            'y' => {
                any = true;
                if run <= 2 {
                    out.push_str(&format!("{:02}", y % 100));
                } else {
                    out.push_str(&format!("{y:04}"));
                }
            }
            'm' => {
                any = true;
                let minute = after_hour
                    || chars[i + run..]
                        .iter()
                        .find(|x| x.is_ascii_alphabetic())
                        .is_some_and(|x| x.eq_ignore_ascii_case(&'s'));
                let v = if minute { mi } else { mo };
                match run {
                    1 => out.push_str(&v.to_string()),
                    2 => out.push_str(&format!("{v:02}")),
                    _ => return None,
                }
                after_hour = false;
            }
            'd' => {
                any = true;
                match run {
                    1 => out.push_str(&d.to_string()),
                    2 => out.push_str(&format!("{d:02}")),
                    _ => return None,
                }
            }
            'h' => {
                any = true;
                after_hour = true;
                match run {
                    1 => out.push_str(&h.to_string()),
                    _ => out.push_str(&format!("{h:02}")),
                }
            }
            's' => {
                any = true;
                match run {
                    1 => out.push_str(&s.to_string()),
                    _ => out.push_str(&format!("{s:02}")),
                }
            }
            c if c.is_ascii_alphabetic() || c == '0' || c == '#' || c == '?' || c == '@' => {
                return None;
            }
            _ => out.push(c),
        }
        i += run.max(1);
    }
    any.then_some(out)
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
        // The integer path writes what the float formatter writes, up to and past 2^63.
        let mut v = 1.0f64;
        while v < 1e20 {
            for x in [v, v + 1.0, v * 7.0 + 3.0, -v, -(v * 3.0 + 1.0)] {
                if x.fract() == 0.0 {
                    assert_eq!(number(x).raw, format!("{x:.0}"), "{x}");
                }
            }
            v *= 3.1;
        }
        for x in [
            I64_BOUND,
            -I64_BOUND,
            I64_BOUND / 2.0,
            9.007_199_254_740_993e15,
        ] {
            assert_eq!(number(x).raw, format!("{x:.0}"), "{x}");
        }
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
    fn dates_are_written_as_the_user_sees_them() {
        let d = ExcelDateTime::new(45193.0, ExcelDateTimeType::DateTime, false);
        assert_eq!(date_time(&d).raw, "2023年9月24日");
        for (code, shown) in [
            ("yyyy/m/d", "2023/9/24"),
            ("mm-dd-yy", "2023/9/24"),
            ("yyyy\"年\"m\"月\"d\"日\"", "2023年9月24日"),
            ("[$-804]yyyy年m月d日;@", "2023年9月24日"),
            ("yyyy-mm-dd", "2023-09-24"),
            ("yy.m.d", "23.9.24"),
        ] {
            assert_eq!(date_time_as_written(&d, Some(code)).raw, shown, "{code}");
        }
        // Names and numbers are not written here: the fallback.
        assert_eq!(
            date_time_as_written(&d, Some("d-mmm-yy")).raw,
            "2023年9月24日"
        );
        assert_eq!(
            date_time_as_written(&d, Some("General")).raw,
            "2023年9月24日"
        );
        let d = ExcelDateTime::new(45193.5, ExcelDateTimeType::DateTime, false);
        assert_eq!(date_time(&d).raw, "2023年9月24日 12:00");
        assert_eq!(
            date_time_as_written(&d, Some("yyyy/m/d h:mm:ss")).raw,
            "2023/9/24 12:00:00"
        );
        assert_eq!(iso_as_written("2024-02-26").raw, "2024年2月26日");
        assert_eq!(
            iso_as_written("2024-02-26T08:30:15").raw,
            "2024年2月26日 8:30:15"
        );
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
        assert_eq!((c.raw.as_str(), c.norm()), ("１３８ 1234", "1381234"));
        assert!(!c.numeric);
    }
}
