//! The askama filters of every template. A module deriving `Template` brings them into scope with
//! `use shuangshi_web::filters;` (inside this crate: `use crate::filters;`).
//!
//! | filter | writes |
//! | --- | --- |
//! | `"app.css"\|asset` | `/assets/app.css?v=<hash>` (the versioned, immutable URL) |
//! | `m\|mobile` | `138****1234` |
//! | `a\|account` | `************5678` |
//! | `t\|datetime` | `2023年9月24日 23:59` (Asia/Shanghai) |
//! | `t\|date` | `2023年9月24日` |
//! | `n\|people` | `12 人` |
//! | `n\|yuan` | `¥100,000` (whole yuan) |
//! | `n\|thousands` | `100,000` |
//! | `"已报送"\|tag` | the status tag class (`tag tag-blue`) |
//! | `findings\|cell_class` | `cell-error`, `cell-warning` or nothing |
//! | `opt\|or_dash` | the value, or `—` when empty or `None` |

use std::fmt::Display;

use chrono::{DateTime, NaiveDate, TimeZone};

/// A point in time (or a calendar date) that can be written in Asia/Shanghai.
pub trait ShanghaiTime {
    fn datetime(&self) -> String;
    fn date(&self) -> String;
}

impl<Tz: TimeZone> ShanghaiTime for DateTime<Tz> {
    fn datetime(&self) -> String {
        crate::fmt::datetime(self)
    }
    fn date(&self) -> String {
        crate::fmt::date(self)
    }
}

impl ShanghaiTime for NaiveDate {
    fn datetime(&self) -> String {
        crate::fmt::naive_date(self)
    }
    fn date(&self) -> String {
        crate::fmt::naive_date(self)
    }
}

impl<T: ShanghaiTime + ?Sized> ShanghaiTime for &T {
    fn datetime(&self) -> String {
        (**self).datetime()
    }
    fn date(&self) -> String {
        (**self).date()
    }
}

impl<T: ShanghaiTime> ShanghaiTime for Option<T> {
    fn datetime(&self) -> String {
        self.as_ref()
            .map_or_else(|| "—".into(), ShanghaiTime::datetime)
    }
    fn date(&self) -> String {
        self.as_ref().map_or_else(|| "—".into(), ShanghaiTime::date)
    }
}

/// An amount of whole units (people, yuan) of any integer type.
pub trait Whole {
    fn whole(&self) -> i64;
}

macro_rules! whole {
    ($($t:ty),*) => {$(
        impl Whole for $t {
            fn whole(&self) -> i64 {
                i64::try_from(*self).unwrap_or(i64::MAX)
            }
        }
    )*};
}
whole!(i8, i16, i32, i64, u8, u16, u32, u64, usize, isize);

impl<T: Whole + ?Sized> Whole for &T {
    fn whole(&self) -> i64 {
        (**self).whole()
    }
}

/// The versioned URL of an embedded asset: `"app.css"|asset` → `/assets/app.css?v=1a2b3c4d5e6f`.
#[askama::filter_fn]
pub fn asset(path: impl Display, _env: &dyn askama::Values) -> askama::Result<String> {
    Ok(crate::assets::asset_url(&path.to_string()))
}

/// A mobile number masked as 138****1234.
#[askama::filter_fn]
pub fn mobile(value: impl Display, _env: &dyn askama::Values) -> askama::Result<String> {
    Ok(crate::fmt::mask_mobile(&value.to_string()))
}

/// An account number masked as ************5678.
#[askama::filter_fn]
pub fn account(value: impl Display, _env: &dyn askama::Values) -> askama::Result<String> {
    Ok(crate::fmt::mask_account(&value.to_string()))
}

/// 2023年9月24日 23:59, in Asia/Shanghai.
#[askama::filter_fn]
pub fn datetime(value: impl ShanghaiTime, _env: &dyn askama::Values) -> askama::Result<String> {
    Ok(value.datetime())
}

/// 2023年9月24日, in Asia/Shanghai.
#[askama::filter_fn]
pub fn date(value: impl ShanghaiTime, _env: &dyn askama::Values) -> askama::Result<String> {
    Ok(value.date())
}

/// 「12 人」.
#[askama::filter_fn]
pub fn people(value: impl Display, _env: &dyn askama::Values) -> askama::Result<String> {
    Ok(crate::fmt::people(value))
}

/// ¥100,000 (an amount in whole yuan).
#[askama::filter_fn]
pub fn yuan(value: impl Whole, _env: &dyn askama::Values) -> askama::Result<String> {
    Ok(crate::fmt::yuan(value.whole()))
}

/// 100,000.
#[askama::filter_fn]
pub fn thousands(value: impl Whole, _env: &dyn askama::Values) -> askama::Result<String> {
    let n = value.whole();
    let sign = if n < 0 { "-" } else { "" };
    Ok(format!("{sign}{}", crate::fmt::thousands(n.unsigned_abs())))
}

/// The status tag class for a status label (草稿 grey, 已报送 blue, 已退回 orange, 已受理 green,
/// 未入选 red).
#[askama::filter_fn]
pub fn tag(label: impl Display, _env: &dyn askama::Values) -> askama::Result<&'static str> {
    Ok(crate::ui::tag_class(&label.to_string()))
}

/// The outline class of a cell with these findings (`cell-error`, `cell-warning` or nothing).
#[askama::filter_fn]
pub fn cell_class(
    findings: impl AsRef<[shuangshi_rules::Finding]>,
    _env: &dyn askama::Values,
) -> askama::Result<&'static str> {
    Ok(crate::ui::cell_class(findings.as_ref()))
}

/// Something that may be missing.
pub trait OrDash {
    fn or_dash(&self) -> String;
}

impl OrDash for str {
    fn or_dash(&self) -> String {
        if self.trim().is_empty() {
            "—".into()
        } else {
            self.into()
        }
    }
}

impl OrDash for String {
    fn or_dash(&self) -> String {
        self.as_str().or_dash()
    }
}

impl<T: Display> OrDash for Option<T> {
    fn or_dash(&self) -> String {
        match self {
            Some(v) => v.to_string().or_dash(),
            None => "—".into(),
        }
    }
}

impl<T: OrDash + ?Sized> OrDash for &T {
    fn or_dash(&self) -> String {
        (**self).or_dash()
    }
}

/// The value, or 「—」 when it is empty or `None`.
#[askama::filter_fn]
pub fn or_dash(value: impl OrDash, _env: &dyn askama::Values) -> askama::Result<String> {
    Ok(value.or_dash())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use askama::Template;
    use chrono::{TimeZone, Utc};

    use crate::filters;

    #[derive(Template)]
    #[template(
        source = "{{ m|mobile }}|{{ a|account }}|{{ t|datetime }}|{{ t|date }}|{{ n|people }}|\
                  {{ y|yuan }}|{{ y|thousands }}|{{ s|tag }}|{{ e|or_dash }}|{{ o|or_dash }}|\
                  {{ \"app.js\"|asset }}",
        ext = "html"
    )]
    struct Sample {
        m: String,
        a: String,
        t: chrono::DateTime<Utc>,
        n: usize,
        y: i64,
        s: &'static str,
        e: String,
        o: Option<String>,
    }

    #[test]
    fn filters_render() {
        let t = Utc.with_ymd_and_hms(2023, 9, 24, 15, 59, 0).unwrap();
        let out = Sample {
            m: "13812341234".into(),
            a: "6222021234567895678".into(),
            t,
            n: 12,
            y: 100_000,
            s: "已退回",
            e: " ".into(),
            o: Some("重庆".into()),
        }
        .render()
        .unwrap();
        let hash = crate::assets::asset_hash("app.js").unwrap();
        assert_eq!(
            out,
            format!(
                "138****1234|***************5678|2023年9月24日 23:59|2023年9月24日|12 人|\
                 ¥100,000|100,000|tag tag-orange|—|重庆|/assets/app.js?v={hash}"
            )
        );
    }
}
