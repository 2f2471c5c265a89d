//! How numbers, dates and people are written on a page: masked mobile and account numbers, dates in
//! Asia/Shanghai, counts with their unit, money with `¥` and thousands separators.

use chrono::{DateTime, Datelike, FixedOffset, TimeZone, Timelike};

pub use shuangshi_rules::text::{mask_account, mask_mobile};

/// China Standard Time (Asia/Shanghai): UTC+08:00 all year, no daylight saving since 1991.
pub const SHANGHAI: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("+08:00 is a valid offset"),
};

/// `2023年9月24日 23:59` in Asia/Shanghai, whatever the zone of `t`.
pub fn datetime<Tz: TimeZone>(t: &DateTime<Tz>) -> String {
    let t = t.with_timezone(&SHANGHAI);
    format!(
        "{}年{}月{}日 {:02}:{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// `2023年9月24日` in Asia/Shanghai.
pub fn date<Tz: TimeZone>(t: &DateTime<Tz>) -> String {
    let t = t.with_timezone(&SHANGHAI);
    format!("{}年{}月{}日", t.year(), t.month(), t.day())
}

/// `2023年9月24日` for a calendar date (no time of day, no zone).
pub fn naive_date(d: &chrono::NaiveDate) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// 「12 人」.
pub fn people(n: impl std::fmt::Display) -> String {
    format!("{n} 人")
}

/// Digits of `n` grouped by three with commas: `100000` → `100,000`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Money in whole yuan: `¥100,000`; negative amounts as `-¥1,200`.
pub fn yuan(amount: i64) -> String {
    shuangshi_rules::text::yuan(amount)
}

/// Money in fen (hundredths of a yuan), shown with two decimals only when there are any:
/// `10000000` → `¥100,000`, `12345` → `¥123.45`.
pub fn fen(amount: i64) -> String {
    let sign = if amount < 0 { "-" } else { "" };
    let abs = amount.unsigned_abs();
    let (whole, cents) = (abs / 100, abs % 100);
    if cents == 0 {
        format!("{sign}¥{}", thousands(whole))
    } else {
        format!("{sign}¥{}.{cents:02}", thousands(whole))
    }
}

/// Percent-encodes a query-string component (RFC 3986 unreserved characters pass as they are).
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b))
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use chrono::Utc;

    #[test]
    fn dates_are_in_shanghai() {
        let t = Utc.with_ymd_and_hms(2023, 9, 24, 15, 59, 0).unwrap();
        assert_eq!(datetime(&t), "2023年9月24日 23:59");
        let late = Utc.with_ymd_and_hms(2023, 9, 24, 16, 5, 0).unwrap();
        assert_eq!(datetime(&late), "2023年9月25日 00:05");
        assert_eq!(date(&late), "2023年9月25日");
        let d = chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
        assert_eq!(naive_date(&d), "2024年1月2日");
    }

    #[test]
    fn money_and_counts() {
        assert_eq!(yuan(100_000), "¥100,000");
        assert_eq!(yuan(0), "¥0");
        assert_eq!(yuan(999), "¥999");
        assert_eq!(yuan(1_000), "¥1,000");
        assert_eq!(yuan(-1_234_567), "-¥1,234,567");
        assert_eq!(fen(10_000_000), "¥100,000");
        assert_eq!(fen(12_345), "¥123.45");
        assert_eq!(fen(5), "¥0.05");
        assert_eq!(people(12), "12 人");
    }

    #[test]
    fn masks() {
        assert_eq!(mask_mobile("13812341234"), "138****1234");
        assert_eq!(mask_account("6222021234567895678"), "***************5678");
        assert_eq!(mask_account("1234"), "1234");
    }

    #[test]
    fn url_encoding() {
        assert_eq!(url_encode("a b&c=重"), "a%20b%26c%3D%E9%87%8D");
    }
}
