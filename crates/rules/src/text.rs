//! Text as clerks type it: full-width digits, stray spaces, Chinese numerals, phone numbers and the
//! unified social credit code (统一社会信用代码).
//!
//! Everything here is pure and total: any input gives an answer, never a panic.

/// Money in whole yuan as the commission writes it: 「¥100,000」, 「-¥5,000」 for a 扣回. The one
/// formatter every message, page and workbook uses.
pub fn yuan(amount: i64) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 2);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    format!("{}¥{out}", if amount < 0 { "-" } else { "" })
}

/// Normalises a cell for comparison: full-width ASCII becomes half-width, 「（」「）」 become 「(」「)」,
/// and every kind of whitespace (spaces, 全角空格, line breaks, non-breaking spaces) is removed.
///
/// Chinese text carries no meaningful spaces (「序  号」, 「张  三」); the report still quotes the value as
/// written, this form is only for deciding.
pub fn norm(s: &str) -> String {
    norm_if_changed(s).unwrap_or_else(|| s.to_string())
}

/// [`norm`] of `s` when it differs from `s`; `None` when `s` is already normal (most texts are),
/// without allocating.
pub fn norm_if_changed(s: &str) -> Option<String> {
    // Find the first character that changes, copy up to it.
    let first = first_change(s)?;
    let mut out = String::with_capacity(s.len());
    out.push_str(&s[..first]);
    for c in s[first..].chars() {
        let c = half_width(c);
        if c.is_whitespace() || c == '\u{200b}' || c == '\u{feff}' {
            continue;
        }
        out.push(c);
    }
    Some(out)
}

/// True when `s` is its own [`norm`] (nothing to narrow, nothing to remove).
pub fn is_norm(s: &str) -> bool {
    first_change(s).is_none()
}

/// Where the first character [`norm`] narrows or removes starts. Scans bytes: every such character
/// outside ASCII starts with 0xC2, 0xE1, 0xE2, 0xE3 or 0xEF (Chinese characters never do), so only
/// those are decoded.
fn first_change(s: &str) -> Option<usize> {
    /// The bytes that may start a changed character.
    const SUSPECT: [bool; 256] = {
        let mut t = [false; 256];
        let mut b = 0;
        while b < 256 {
            t[b] = matches!(
                b as u8,
                b'\t'..=b'\r' | b' ' | 0xC2 | 0xE1 | 0xE2 | 0xE3 | 0xEF
            );
            b += 1;
        }
        t
    };
    let bytes = s.as_bytes();
    let mut from = 0;
    while let Some(i) = bytes
        .get(from..)?
        .iter()
        .position(|&b| SUSPECT[usize::from(b)])
    {
        let at = from + i;
        if s.get(at..)?.chars().next().is_some_and(changes_in_norm) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// A character [`norm`] narrows or removes.
fn changes_in_norm(c: char) -> bool {
    if c.is_ascii() {
        // ASCII whitespace as `char::is_whitespace` knows it (U+0009–U+000D, U+0020).
        matches!(c, '\t'..='\r' | ' ')
    } else {
        matches!(
            c,
            '\u{3000}' | '\u{ff01}'..='\u{ff5e}' | '\u{200b}' | '\u{feff}'
        ) || c.is_whitespace()
    }
}

/// Maps one full-width character (U+FF01–U+FF5E, U+3000) to its ASCII counterpart.
pub fn half_width(c: char) -> char {
    match c {
        '\u{3000}' => ' ',
        '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
        _ => c,
    }
}

/// True when a normalised cell says nothing: empty, or only dashes and slashes standing for blank.
pub fn is_blank(normed: &str) -> bool {
    normed.is_empty()
}

/// The digits of `s` after removing spaces and hyphens; `None` when anything else is present.
pub fn digits_ignoring(s: &str, ignore: &[char]) -> Option<String> {
    let normed = if is_norm(s) {
        std::borrow::Cow::Borrowed(s)
    } else {
        std::borrow::Cow::Owned(norm(s))
    };
    let mut out = String::with_capacity(normed.len());
    for c in normed.chars() {
        if c.is_ascii_digit() {
            out.push(c);
        } else if !ignore.contains(&c) {
            return None;
        }
    }
    Some(out)
}

/// A mainland mobile number: `1[3-9]` followed by 9 digits, after removing spaces and hyphens.
pub fn parse_mobile(s: &str) -> Option<String> {
    let d = digits_ignoring(s, &['-'])?;
    let b = d.as_bytes();
    (b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1])).then_some(d)
}

/// A landline such as 023-63865672, (023)63865672 or 63865672: an optional 0-led area code of 3–4
/// digits, then 7–8 digits, then an optional extension.
pub fn is_landline(s: &str) -> bool {
    let n: String = norm(s)
        .chars()
        .filter(|c| !matches!(c, '(' | ')'))
        .collect();
    let (main, _ext) = match n.split_once(['转', '#']) {
        Some((m, e)) if !e.is_empty() && e.chars().all(|c| c.is_ascii_digit()) => {
            (m.to_string(), e)
        }
        Some(_) => return false,
        None => (n.clone(), ""),
    };
    let digits: String = main.chars().filter(|c| *c != '-').collect();
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return false;
    }
    let parts: Vec<&str> = main.split('-').collect();
    match parts.as_slice() {
        [local] => {
            (7..=8).contains(&local.len())
                || (local.starts_with('0') && (10..=12).contains(&local.len()))
        }
        [area, local] => {
            area.starts_with('0') && (3..=4).contains(&area.len()) && (7..=8).contains(&local.len())
        }
        _ => false,
    }
}

/// Masks a mobile number as 138****1234 (anything else keeps only its last 4 characters visible).
pub fn mask_mobile(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() == 11 {
        let head: String = chars[..3].iter().collect();
        let tail: String = chars[7..].iter().collect();
        format!("{head}****{tail}")
    } else {
        mask_account(s)
    }
}

/// Masks an account number as ************5678: every character but the last four becomes `*`.
pub fn mask_account(s: &str) -> String {
    let chars: Vec<char> = s.chars().filter(|c| !c.is_whitespace()).collect();
    let keep = chars.len().min(4);
    let stars = "*".repeat(chars.len() - keep);
    let tail: String = chars[chars.len() - keep..].iter().collect();
    format!("{stars}{tail}")
}

/// Masks every number in free text that could be a mobile or an account number: a run of at
/// least 9 digits (ASCII or full-width), single spaces or hyphens allowed between groups, becomes
/// 138****1234 (11 digits starting with 1) or ************5678. Dates and times written with
/// hyphens (2024-02-26, 2024-02-26 17) are left alone, as are shorter numbers (counts, years).
pub fn mask_numbers_in(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let digit = |c: char| c.is_ascii_digit() || ('０'..='９').contains(&c);
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if !digit(chars[i]) {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        // The run: digits, with single separators between digits.
        let start = i;
        let mut end = i;
        let mut j = i;
        while j < chars.len() {
            if digit(chars[j]) {
                end = j + 1;
                j += 1;
            } else if (chars[j] == ' ' || chars[j] == '-')
                && j + 1 < chars.len()
                && digit(chars[j + 1])
            {
                j += 1;
            } else {
                break;
            }
        }
        let run: String = chars[start..end].iter().collect();
        let digits: String = run
            .chars()
            .filter(|c| digit(*c))
            .map(|c| {
                if c.is_ascii_digit() {
                    c
                } else {
                    char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c)
                }
            })
            .collect();
        let groups: Vec<usize> = run.split([' ', '-']).map(|g| g.chars().count()).collect();
        let date_like = run.contains('-')
            && groups.len() >= 3
            && groups[0] == 4
            && groups[1..].iter().all(|n| (1..=2).contains(n));
        if digits.len() >= 9 && !date_like {
            if digits.len() == 11 && digits.starts_with('1') {
                out.push_str(&mask_mobile(&digits));
            } else {
                out.push_str(&mask_account(&digits));
            }
        } else {
            out.push_str(&run);
        }
        i = end;
    }
    out
}

/// Value of one Chinese numeral character.
fn cn_digit(c: char) -> Option<u32> {
    Some(match c {
        '〇' | '零' => 0,
        '一' | '壹' => 1,
        '二' | '两' | '贰' => 2,
        '三' | '叁' => 3,
        '四' | '肆' => 4,
        '五' | '伍' => 5,
        '六' | '陆' => 6,
        '七' | '柒' => 7,
        '八' | '捌' => 8,
        '九' | '玖' => 9,
        _ => return None,
    })
}

/// Parses a whole number written in Arabic digits or Chinese numerals up to 九十九 (「十」, 「十一」,
/// 「二十」, 「廿」 are understood).
pub fn parse_cn_number(s: &str) -> Option<u32> {
    if s.is_empty() {
        return None;
    }
    if s.chars().all(|c| c.is_ascii_digit()) {
        return s.parse().ok().filter(|_| s.len() <= 9);
    }
    // At most three characters matter: read four to tell longer texts apart, without allocating.
    let mut it = s.chars();
    let mut chars = ['\0'; 4];
    let mut n = 0;
    for slot in &mut chars {
        match it.next() {
            Some(c) => {
                *slot = c;
                n += 1;
            }
            None => break,
        }
    }
    match chars.get(..n).unwrap_or_default() {
        ['十'] => Some(10),
        ['廿'] => Some(20),
        ['十', u] => Some(10 + cn_digit(*u)?),
        [t, '十'] => Some(cn_digit(*t)? * 10),
        [t, '十', u] => Some(cn_digit(*t)? * 10 + cn_digit(*u)?),
        [d] => cn_digit(*d),
        _ => None,
    }
}

/// The batch number a 批次 cell denotes: 「第十批」, 「第10批」, 「10」, 「十」 → 10.
pub fn parse_batch_number(normed: &str) -> Option<u32> {
    let s = normed.strip_prefix('第').unwrap_or(normed);
    let s = s.strip_suffix('批').unwrap_or(s);
    parse_cn_number(s)
}

/// A season of the school year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Season {
    Spring,
    Autumn,
}

/// The (year, season) an exchange term denotes: 「2024年春季学期」 and 「2024春季学期」 are the same term;
/// 「2024年春季」 and 「2024年春」 are read the same way too.
pub fn parse_term(normed: &str) -> Option<(u32, Season)> {
    let digits = &normed[..normed.bytes().take_while(u8::is_ascii_digit).count()];
    if digits.len() != 4 {
        return None;
    }
    let year: u32 = digits.parse().ok()?;
    let rest = &normed[digits.len()..];
    let rest = rest.strip_prefix('年').unwrap_or(rest);
    let rest = rest.strip_suffix("学期").unwrap_or(rest);
    let rest = rest.strip_suffix('季').unwrap_or(rest);
    let season = match rest {
        "春" => Season::Spring,
        "秋" => Season::Autumn,
        _ => return None,
    };
    Some((year, season))
}

/// A number of years: 「5」, 「5年」, 「五年」, 「3.5」, 「十年以上」 → the number.
pub fn parse_years(normed: &str) -> Option<f64> {
    let s = normed
        .trim_end_matches("以上")
        .trim_end_matches('多')
        .trim_end_matches("周岁");
    let s = s.strip_suffix('年').unwrap_or(s);
    let s = s.trim_end_matches('多');
    if let Ok(v) = s.parse::<f64>() {
        return (v.is_finite() && v >= 0.0).then_some(v);
    }
    parse_cn_number(s).map(f64::from)
}

/// The characters of the unified social credit code and their values (GB 32100-2015).
const USCC_CHARS: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Checks a 统一社会信用代码 against its GB 32100-2015 check digit.
///
/// The characters 0–9 A–H J–N P–R T U W–Y stand for 0–30; position i of the first 17 is weighted
/// 3^(i−1) mod 31; the 18th is (31 − Σ mod 31) mod 31.
pub fn uscc_is_valid(code: &str) -> bool {
    let code: Vec<char> = norm(code).to_ascii_uppercase().chars().collect();
    if code.len() != 18 {
        return false;
    }
    let mut values = Vec::with_capacity(18);
    for c in &code {
        match USCC_CHARS.find(*c) {
            Some(v) => values.push(v as u32),
            None => return false,
        }
    }
    let mut weight = 1u32;
    let mut sum = 0u32;
    for v in &values[..17] {
        sum += v * weight;
        weight = weight * 3 % 31;
    }
    (31 - sum % 31) % 31 == values[17]
}

/// Makes a valid code from 17 leading characters (for tests and demo data).
pub fn uscc_with_check_digit(first17: &str) -> Option<String> {
    let chars: Vec<char> = first17.chars().collect();
    if chars.len() != 17 {
        return None;
    }
    let mut weight = 1u32;
    let mut sum = 0u32;
    for c in &chars {
        sum += USCC_CHARS.find(*c)? as u32 * weight;
        weight = weight * 3 % 31;
    }
    let check = USCC_CHARS.chars().nth(((31 - sum % 31) % 31) as usize)?;
    Some(format!("{first17}{check}"))
}

/// Spreadsheet column letters for a 0-based index: 0 → A, 25 → Z, 26 → AA.
pub fn column_letters(mut index: u32) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(char::from(b'A' + (index % 26) as u8));
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    letters.iter().rev().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn money_is_written_with_the_yuan_sign_and_thousands() {
        assert_eq!(yuan(0), "¥0");
        assert_eq!(yuan(999), "¥999");
        assert_eq!(yuan(10_000), "¥10,000");
        assert_eq!(yuan(1_234_567), "¥1,234,567");
        assert_eq!(yuan(-5_000), "-¥5,000");
        assert_eq!(yuan(i64::MIN), "-¥9,223,372,036,854,775,808");
    }

    #[test]
    fn norm_removes_spaces_and_line_breaks_and_narrows_full_width() {
        assert_eq!(norm(" 序  号\n"), "序号");
        assert_eq!(norm("１３８ １２３４ ５６７８"), "13812345678");
        assert_eq!(norm("学科（专业）带头人"), "学科(专业)带头人");
        assert_eq!(norm("交流\u{3000}期限"), "交流期限");
    }

    #[test]
    fn mobile_numbers_accept_spaces_and_hyphens_only() {
        assert_eq!(
            parse_mobile("138-1234-5678").as_deref(),
            Some("13812345678")
        );
        assert_eq!(
            parse_mobile("１３８１２３４５６７８").as_deref(),
            Some("13812345678")
        );
        assert_eq!(parse_mobile("1381234567"), None);
        assert_eq!(parse_mobile("12812345678"), None);
        assert_eq!(parse_mobile("138123456789"), None);
        assert_eq!(parse_mobile("138.1234.5678"), None);
    }

    #[test]
    fn landlines_with_and_without_area_code() {
        assert!(is_landline("023-63865672"));
        assert!(is_landline("(023)63865672"));
        assert!(is_landline("63865672"));
        assert!(is_landline("02363865672"));
        assert!(!is_landline("123"));
        assert!(!is_landline("电话"));
    }

    #[test]
    fn batch_numbers_in_every_spelling() {
        for s in ["第十批", "第10批", "10", "十", "10批"] {
            assert_eq!(parse_batch_number(&norm(s)), Some(10), "{s}");
        }
        assert_eq!(parse_batch_number("第九批"), Some(9));
        assert_eq!(parse_batch_number("第二十一批"), Some(21));
        assert_eq!(parse_batch_number("第十批次"), None);
    }

    #[test]
    fn terms_with_and_without_year_character() {
        assert_eq!(parse_term("2024年春季学期"), Some((2024, Season::Spring)));
        assert_eq!(parse_term("2024春季学期"), Some((2024, Season::Spring)));
        assert_eq!(parse_term("2024年秋季"), Some((2024, Season::Autumn)));
        assert_eq!(parse_term("2024年"), None);
        assert_eq!(parse_term("春季学期"), None);
    }

    #[test]
    fn years_in_digits_and_numerals() {
        assert_eq!(parse_years("5"), Some(5.0));
        assert_eq!(parse_years("5年"), Some(5.0));
        assert_eq!(parse_years("五年"), Some(5.0));
        assert_eq!(parse_years("十年以上"), Some(10.0));
        assert_eq!(parse_years("3.5年"), Some(3.5));
        assert_eq!(parse_years("很久"), None);
    }

    #[test]
    fn the_standards_example_credit_code_passes() {
        assert!(uscc_is_valid("91350100M000100Y43"));
        assert!(!uscc_is_valid("91350100M000100Y44"));
        assert!(!uscc_is_valid("91350100M000100Y4"));
        assert!(!uscc_is_valid("91350100M000100YI3"));
    }

    #[test]
    fn masks_numbers_inside_text() {
        assert_eq!(
            mask_numbers_in(
                "填写为「6222020200012345678」，与本校其他行的「6222 0202 0001 1111」不一致"
            ),
            "填写为「***************5678」，与本校其他行的「************1111」不一致"
        );
        assert_eq!(
            mask_numbers_in(
                "手机号 13812345678 与第 3 行相同；１３８１２３４５６７８；138-1234-5678"
            ),
            "手机号 138****5678 与第 3 行相同；138****5678；138****5678"
        );
        // Dates, times, years, counts and short numbers stay as written.
        let kept = "2024-02-26 17:00 前报送，共 120 人，2024年春季学期，023-6386 不足九位";
        assert_eq!(mask_numbers_in(kept), kept);
        assert_eq!(mask_numbers_in(""), "");
    }

    #[test]
    fn masks() {
        assert_eq!(mask_mobile("13812341234"), "138****1234");
        assert_eq!(mask_account("6222020200112345678"), "***************5678");
        assert_eq!(mask_account("12"), "12");
    }

    #[test]
    fn column_letters_like_a_spreadsheet() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(16383), "XFD");
    }

    proptest! {
        #[test]
        fn norm_is_idempotent_and_never_panics(s in "\\PC*") {
            let once = norm(&s);
            prop_assert_eq!(norm(&once), once.clone());
            prop_assert!(!once.chars().any(char::is_whitespace));
        }

        #[test]
        fn norm_agrees_with_its_definition(s in "(\\PC|\\s|[\u{3000}\u{ff01}-\u{ff5e}\u{200b}\u{feff}\u{85}\u{a0}\u{2028}])*") {
            let slow: String = s
                .chars()
                .map(half_width)
                .filter(|c| !(c.is_whitespace() || *c == '\u{200b}' || *c == '\u{feff}'))
                .collect();
            prop_assert_eq!(norm(&s), slow.clone());
            prop_assert_eq!(is_norm(&s), slow == s);
            // Some exactly when normalising changes the text.
            let changed = (slow != s).then_some(slow);
            prop_assert_eq!(norm_if_changed(&s), changed);
        }

        #[test]
        fn full_width_digits_normalise_to_ascii(d in "[0-9]{1,20}") {
            let wide: String = d.chars().map(|c| char::from_u32(c as u32 + 0xfee0).unwrap_or(c)).collect();
            prop_assert_eq!(norm(&wide), d);
        }

        #[test]
        fn every_valid_mobile_is_accepted_with_separators(second in 3u8..=9, rest in "[0-9]{9}") {
            let m = format!("1{second}{rest}");
            let spaced = format!("{} {} {}", &m[..3], &m[3..7], &m[7..]);
            let hyphened = format!("{}-{}-{}", &m[..3], &m[3..7], &m[7..]);
            prop_assert_eq!(parse_mobile(&spaced), Some(m.clone()));
            prop_assert_eq!(parse_mobile(&hyphened), Some(m.clone()));
        }

        #[test]
        fn mobiles_of_other_lengths_are_refused(d in "1[3-9][0-9]{0,8}|1[3-9][0-9]{10,14}") {
            prop_assert_eq!(parse_mobile(&d), None);
        }

        #[test]
        fn uscc_check_digit_round_trips_and_catches_single_changes(
            body in "[0-9A-HJ-NP-RTUW-Y]{17}", pos in 0usize..17, delta in 1u32..31
        ) {
            let code = uscc_with_check_digit(&body).unwrap_or_default();
            prop_assert!(uscc_is_valid(&code));
            let mut chars: Vec<char> = code.chars().collect();
            let v = USCC_CHARS.find(chars[pos]).unwrap_or(0) as u32;
            chars[pos] = USCC_CHARS.chars().nth(((v + delta) % 31) as usize).unwrap_or('0');
            let changed: String = chars.into_iter().collect();
            prop_assert!(!uscc_is_valid(&changed));
        }
    }
}
