//! The merged areas of every XML part, found while [`crate::guard::inspect_zip`] streams it anyway.
//!
//! A worksheet declares its merges in `<mergeCells>` after `<sheetData>`, so asking calamine for them
//! parses the whole sheet a second time. Instead, the guard's bounded decompression pass hands each
//! chunk of every `.xml` part to a [`MergeScan`], which looks for `<mergeCell … ref="A1:D1">`
//! elements (any namespace prefix; comments, CDATA sections and processing instructions skipped; a
//! tag cut between two chunks carried over). The xlsx reader then picks a sheet's list by the part
//! it was read from. The areas are charged to the [`super::Budget`] there, exactly as before.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use memchr::memmem;

use crate::grid::Rect;
use crate::guard::PartSink;

/// The name of the element declaring one merged area.
const MERGE_CELL: &[u8] = b"mergeCell";
/// The longest namespace prefix looked back for (`<x:mergeCell`); real files use one or two letters.
const MAX_PREFIX: usize = 256;
/// The longest `<mergeCell …>` tag accepted; real ones are under a hundred bytes.
const MAX_TAG: usize = 4096;

/// Markup whose content is not elements, and the text that ends it.
const SKIPPED: [(&[u8], &[u8]); 3] = [(b"<!--", b"-->"), (b"<![CDATA[", b"]]>"), (b"<?", b"?>")];

/// The searchers for [`MERGE_CELL`] and the openings of [`SKIPPED`], built once (building one
/// costs more than searching a small part).
fn finders() -> &'static (memmem::Finder<'static>, [memmem::Finder<'static>; 3]) {
    static FINDERS: LazyLock<(memmem::Finder<'static>, [memmem::Finder<'static>; 3])> =
        LazyLock::new(|| {
            (
                memmem::Finder::new(MERGE_CELL),
                SKIPPED.map(|(open, _)| memmem::Finder::new(open)),
            )
        });
    &FINDERS
}

/// What one part declares: its merged areas, or why they cannot be read.
pub(crate) type PartMerges = Result<Vec<Rect>, String>;

/// The merged areas of every part streamed through the guard, keyed as calamine finds parts: the
/// name with `\` as `/`, in ASCII lower case.
#[derive(Default)]
pub(crate) struct MergeScan {
    parts: HashMap<String, PartMerges>,
    /// Keys two parts share: calamine would pick one of them, so neither is used.
    ambiguous: HashSet<String>,
    current: Option<(String, Scanner)>,
    /// Small parts kept whole as they streamed by, so the xlsx reader does not inflate them
    /// again: at most [`KEEP_PART`] bytes each, [`KEEP_TOTAL`] together.
    kept: HashMap<String, Vec<u8>>,
    kept_total: usize,
    keeping: Option<Vec<u8>>,
}

/// The largest part kept whole: a form's sheet, styles and shared strings are a few dozen KiB.
const KEEP_PART: usize = 256 * 1024;
/// The most kept for one file.
const KEEP_TOTAL: usize = 4 * 1024 * 1024;

impl MergeScan {
    /// The merged areas of the part calamine opens for `path`; `None` when the part was not
    /// streamed (or its name is shared), so the caller asks calamine instead.
    pub(crate) fn take(&mut self, path: &str) -> Option<PartMerges> {
        let key = path.to_ascii_lowercase();
        if self.ambiguous.contains(&key) {
            return None;
        }
        self.parts.remove(&key)
    }

    /// The bytes of the part named `name` (a zip entry's name), when it was small enough to keep
    /// and no other part shares its key.
    pub(crate) fn kept(&self, name: &str) -> Option<&[u8]> {
        let key = part_key(name);
        if self.ambiguous.contains(&key) {
            return None;
        }
        self.kept.get(&key).map(Vec::as_slice)
    }

    /// [`MergeScan::take`] without taking.
    pub(crate) fn get(&self, path: &str) -> Option<&PartMerges> {
        let key = path.to_ascii_lowercase();
        if self.ambiguous.contains(&key) {
            return None;
        }
        self.parts.get(&key)
    }
}

/// The key calamine's zip path cache uses for a part name.
pub(crate) fn part_key(name: &str) -> String {
    name.replace('\\', "/").to_ascii_lowercase()
}

impl PartSink for MergeScan {
    fn begin(&mut self, name: Option<&str>) {
        self.current = name.map(|n| (part_key(n), Scanner::default()));
        self.keeping = self.current.as_ref().map(|_| Vec::new());
    }

    fn data(&mut self, chunk: &[u8]) {
        if let Some((_, scanner)) = &mut self.current {
            scanner.feed(chunk);
        }
        if let Some(kept) = &mut self.keeping {
            let len = kept.len() + chunk.len();
            if len > KEEP_PART || self.kept_total + len > KEEP_TOTAL {
                self.keeping = None;
            } else {
                kept.extend_from_slice(chunk);
            }
        }
    }

    fn end(&mut self) {
        if let (Some((key, _)), Some(kept)) = (&self.current, self.keeping.take()) {
            self.kept_total += kept.len();
            self.kept.insert(key.clone(), kept);
        }
        if let Some((key, mut scanner)) = self.current.take() {
            scanner.finish();
            let merges = match scanner.error {
                Some(e) => Err(e),
                None => Ok(scanner.merges),
            };
            if self.parts.insert(key.clone(), merges).is_some() {
                self.ambiguous.insert(key);
            }
        }
    }
}

/// Finds the `<mergeCell>` elements of one part, chunk by chunk.
#[derive(Default)]
struct Scanner {
    /// Bytes not yet scanned, plus up to [`MAX_PREFIX`] bytes before them for looking back.
    window: Vec<u8>,
    /// Where scanning resumes in `window`.
    pos: usize,
    /// Inside a comment, CDATA section or processing instruction: the text that ends it.
    skip: Option<&'static [u8]>,
    merges: Vec<Rect>,
    error: Option<String>,
}

impl Scanner {
    fn feed(&mut self, chunk: &[u8]) {
        if self.error.is_some() {
            return;
        }
        self.window.extend_from_slice(chunk);
        self.scan(false);
        // Keep what the next chunk may complete, and enough before it to look back.
        let cut = self.pos.saturating_sub(MAX_PREFIX);
        if cut > 0 {
            self.window.drain(..cut);
            self.pos -= cut;
        }
    }

    fn finish(&mut self) {
        if self.error.is_none() {
            self.scan(true);
        }
    }

    fn fail(&mut self, why: String) {
        self.error.get_or_insert(why);
        self.pos = self.window.len();
    }

    /// Scans `window[pos..]`. Without `eof`, stops at anything the rest of the part may complete:
    /// `pos` is then where scanning must resume.
    fn scan(&mut self, eof: bool) {
        loop {
            if let Some(end) = self.skip {
                match memmem::find(&self.window[self.pos..], end) {
                    Some(i) => {
                        self.pos += i + end.len();
                        self.skip = None;
                    }
                    None if eof => {
                        return self.fail("XML 的注释或 CDATA 没有结束".to_string());
                    }
                    None => {
                        // The end marker may be cut between chunks.
                        self.pos = self
                            .window
                            .len()
                            .saturating_sub(end.len() - 1)
                            .max(self.pos);
                        return;
                    }
                }
            }
            let rest = &self.window[self.pos..];
            let merge = finders().0.find(rest);
            // A comment, CDATA section or processing instruction opening before the candidate
            // (complete openings only: one cut at the end is kept for the next chunk below).
            let before = merge.map_or(rest, |m| {
                &rest[..(m + SKIPPED_OPEN_MAX - 1).min(rest.len())]
            });
            let skipped = SKIPPED
                .iter()
                .zip(&finders().1)
                .filter_map(|((open, close), f)| f.find(before).map(|i| (i, *open, *close)))
                .min_by_key(|(i, _, _)| *i);
            if let Some((i, open, close)) = skipped
                && merge.is_none_or(|m| i < m)
            {
                self.pos += i + open.len();
                self.skip = Some(close);
                continue;
            }
            let Some(m) = merge else {
                // Nothing here, but a name or an opening may be cut at the end.
                self.pos = if eof {
                    self.window.len()
                } else {
                    let keep = MERGE_CELL.len().max(SKIPPED_OPEN_MAX) - 1;
                    self.window.len().saturating_sub(keep).max(self.pos)
                };
                return;
            };
            let at = self.pos + m;
            match self.element(at) {
                Element::Not => self.pos = at + 1,
                Element::Merge { end, area } => {
                    if let Some(area) = area {
                        self.merges.push(area);
                    }
                    self.pos = end;
                }
                Element::Incomplete if eof => {
                    return self.fail("XML 在合并单元格的声明中间结束".to_string());
                }
                Element::Incomplete => {
                    if self.window.len() - at > MAX_TAG {
                        return self.fail("合并单元格的声明过长".to_string());
                    }
                    self.pos = at;
                    return;
                }
                Element::Bad(why) => return self.fail(why),
            }
        }
    }

    /// Reads the element whose name `mergeCell` starts at `at`, if it is one.
    fn element(&self, at: usize) -> Element {
        let w = &self.window;
        // `<mergeCell` or `<prefix:mergeCell` (a prefix without a colon of its own).
        let Some(before) = at.checked_sub(1).map(|i| w[i]) else {
            return Element::Not;
        };
        let is_start = match before {
            b'<' => true,
            b':' => {
                let mut i = at - 1;
                let floor = at.saturating_sub(MAX_PREFIX + 1);
                loop {
                    if i == floor {
                        break false;
                    }
                    i -= 1;
                    match w[i] {
                        b'<' => break i + 1 < at - 1,
                        c if is_name_byte(c) => {}
                        _ => break false,
                    }
                }
            }
            _ => false,
        };
        if !is_start {
            return Element::Not;
        }
        let name_end = at + MERGE_CELL.len();
        match w.get(name_end) {
            None => return Element::Incomplete,
            Some(b' ' | b'\t' | b'\r' | b'\n' | b'/' | b'>') => {}
            Some(_) => return Element::Not, // `mergeCells`, `mergeCellX`
        }
        // The tag ends at the first `>` outside quotes.
        let mut quote = None;
        let mut gt = None;
        for (i, &c) in w[name_end..].iter().enumerate() {
            match (quote, c) {
                (None, b'"' | b'\'') => quote = Some(c),
                (Some(q), _) if c == q => quote = None,
                (None, b'>') => {
                    gt = Some(name_end + i);
                    break;
                }
                _ => {}
            }
        }
        let Some(gt) = gt else {
            return Element::Incomplete;
        };
        let mut attrs = &w[name_end..gt];
        if let Some(a) = attrs.strip_suffix(b"/") {
            attrs = a;
        }
        let area = match ref_attribute(attrs) {
            Ok(None) => None,
            Ok(Some(value)) => match dimension(value) {
                Some(area) => Some(area),
                None => {
                    return Element::Bad(format!(
                        "合并单元格区域「{}」无效",
                        String::from_utf8_lossy(value)
                    ));
                }
            },
            Err(()) => return Element::Bad("合并单元格的属性格式错误".to_string()),
        };
        Element::Merge { end: gt + 1, area }
    }
}

/// The longest opening of [`SKIPPED`] markup.
const SKIPPED_OPEN_MAX: usize = 9;

enum Element {
    /// Not a `<mergeCell>` start tag.
    Not,
    /// A `<mergeCell>` tag ending before `end`, with its area when it has a `ref`.
    Merge {
        end: usize,
        area: Option<Rect>,
    },
    /// The tag continues in the next chunk.
    Incomplete,
    Bad(String),
}

fn is_name_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.') || c >= 0x80
}

/// The value of the first `ref` attribute. A malformed attribute before it is an error.
fn ref_attribute(attrs: &[u8]) -> Result<Option<&[u8]>, ()> {
    for attr in RawAttrs::new(attrs) {
        let (key, value) = attr?;
        if key == b"ref" {
            return Ok(Some(value));
        }
    }
    Ok(None)
}

/// The attributes of a tag (the text after its name), read as calamine reads them: a key up to
/// `=` (trailing spaces trimmed), then a value in single or double quotes, undecoded.
pub(crate) struct RawAttrs<'a> {
    raw: &'a [u8],
    pos: usize,
}

impl<'a> RawAttrs<'a> {
    pub(crate) fn new(raw: &'a [u8]) -> RawAttrs<'a> {
        RawAttrs { raw, pos: 0 }
    }
}

impl<'a> Iterator for RawAttrs<'a> {
    /// (key, value), or `Err` for a malformed attribute (after which iteration ends).
    type Item = Result<(&'a [u8], &'a [u8]), ()>;

    fn next(&mut self) -> Option<Self::Item> {
        let (raw, len) = (self.raw, self.raw.len());
        let mut pos = self.pos;
        while pos < len && raw[pos].is_ascii_whitespace() {
            pos += 1;
        }
        if pos >= len {
            self.pos = len;
            return None;
        }
        let key_start = pos;
        while pos < len && raw[pos] != b'=' {
            pos += 1;
        }
        self.pos = len;
        if pos >= len {
            return Some(Err(()));
        }
        let key = raw[key_start..pos].trim_ascii_end();
        pos += 1;
        while pos < len && raw[pos].is_ascii_whitespace() {
            pos += 1;
        }
        let quote = match raw.get(pos) {
            Some(&q @ (b'"' | b'\'')) => q,
            _ => return Some(Err(())),
        };
        pos += 1;
        let start = pos;
        while pos < len && raw[pos] != quote {
            pos += 1;
        }
        let value = &raw[start..pos];
        self.pos = (pos + 1).min(len);
        Some(Ok((key, value)))
    }
}

/// An area such as `A1:D1` (or a single cell `A1`), corners put in order; `None` when it is not one.
pub(crate) fn dimension(value: &[u8]) -> Option<Rect> {
    let mut parts = value.split(|&c| c == b':');
    let first = cell(parts.next()?)?;
    let last = match parts.next() {
        Some(p) => cell(p)?,
        None => first,
    };
    if parts.next().is_some() {
        return None;
    }
    Some(Rect {
        first_row: first.0.min(last.0),
        first_col: first.1.min(last.1),
        last_row: first.0.max(last.0),
        last_col: first.1.max(last.1),
    })
}

/// A cell reference such as `AB12` as 0-based (row, column): letters, then digits, both present.
fn cell(s: &[u8]) -> Option<(u32, u32)> {
    match reference(s)? {
        (row, Some(col)) => Some((row, col)),
        (_, None) => None,
    }
}

/// A reference such as `AB12` (or a row alone, `12`) as calamine reads it: 0-based row and, when
/// letters come first, column. `None` for anything else, or past `u32`.
pub(crate) fn reference(s: &[u8]) -> Option<(u32, Option<u32>)> {
    let letters = s.iter().take_while(|c| c.is_ascii_alphabetic()).count();
    let (col, row) = s.split_at(letters);
    if row.is_empty() || !row.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut c: u32 = 0;
    for l in col {
        c = c
            .checked_mul(26)?
            .checked_add(u32::from(l.to_ascii_uppercase() - b'A') + 1)?;
    }
    let mut r: u32 = 0;
    for d in row {
        r = r.checked_mul(10)?.checked_add(u32::from(d - b'0'))?;
    }
    Some((r.checked_sub(1)?, c.checked_sub(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rect(first_row: u32, first_col: u32, last_row: u32, last_col: u32) -> Rect {
        Rect {
            first_row,
            first_col,
            last_row,
            last_col,
        }
    }

    /// Scans `xml` cut into chunks of `size` bytes.
    fn scan(xml: &str, size: usize) -> PartMerges {
        let mut s = MergeScan::default();
        s.begin(Some("xl/worksheets/Sheet1.xml"));
        for chunk in xml.as_bytes().chunks(size.max(1)) {
            s.data(chunk);
        }
        s.end();
        s.take("XL/worksheets/sheet1.xml").unwrap_or(Ok(Vec::new()))
    }

    const SHEET: &str = r#"<?xml version="1.0"?><worksheet><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData><!-- <mergeCell ref="Z1:Z9"/> --><mergeCells count="3"><mergeCell ref="A1:D1"/><x:mergeCell  xr:uid="{1}" ref = 'B3:a2' ></x:mergeCell><mergeCell ref="C5"/><![CDATA[<mergeCell ref="Y1:Y2"/>]]></mergeCells><?pi <mergeCell ref="X1:X2"/> ?></worksheet>"#;

    #[test]
    fn merges_are_found_in_any_chunking() {
        let want = vec![rect(0, 0, 0, 3), rect(1, 0, 2, 1), rect(4, 2, 4, 2)];
        for size in [1, 2, 3, 5, 7, 9, 10, 11, 13, 64, 4096] {
            assert_eq!(scan(SHEET, size), Ok(want.clone()), "chunks of {size}");
        }
    }

    #[test]
    fn other_names_and_end_tags_are_not_merges() {
        let xml = r#"<mergeCells><a:b:mergeCell ref="A1:B1"/><mergeCellX ref="A1:B1"/></mergeCell><c>mergeCell ref="A1:B2"</c></mergeCells>"#;
        assert_eq!(scan(xml, 5), Ok(vec![]));
    }

    #[test]
    fn a_bad_area_or_an_unfinished_part_is_an_error() {
        for bad in [
            r#"<mergeCell ref="$A$1:B2"/>"#,
            r#"<mergeCell ref="A1:B2:C3"/>"#,
            r#"<mergeCell ref="A0:B2"/>"#,
            r#"<mergeCell ref="1:2"/>"#,
            r#"<mergeCell ref=""/>"#,
            r#"<mergeCell ref="ZZZZZZZZZZZZZZ1:A1"/>"#,
            r#"<mergeCell ref=A1:B2/>"#,
            r#"<mergeCells><mergeCell ref="A1:B2""#,
            r#"<!-- <mergeCell ref="A1:B2"/>"#,
        ] {
            assert!(scan(bad, 3).is_err(), "{bad}");
        }
        assert_eq!(
            scan(
                r#"<mergeCell foo="1"/><mergeCell ref="B2:A1" ref="C3"/>"#,
                4
            ),
            Ok(vec![rect(0, 0, 1, 1)])
        );
    }

    #[test]
    fn an_endless_tag_is_refused_without_growing() {
        let mut s = Scanner::default();
        s.feed(b"<mergeCell a=\"");
        for _ in 0..100 {
            s.feed(&[b'x'; 1024]);
        }
        assert!(s.error.is_some());
        assert!(s.window.len() < 2 * MAX_TAG);
    }

    #[test]
    fn parts_sharing_a_key_are_not_used() {
        let mut s = MergeScan::default();
        for name in ["xl/a.xml", "XL\\A.xml"] {
            s.begin(Some(name));
            s.data(br#"<mergeCell ref="A1:B1"/>"#);
            s.end();
        }
        assert_eq!(s.take("xl/a.xml"), None);
    }
}
