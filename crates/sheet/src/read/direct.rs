//! `.xlsx` read without calamine's reader, giving the same cells faster.
//!
//! calamine opens a workbook by parsing, besides the shared strings and the number formats, the
//! theme, fonts, fills, borders and a full style per cell format — none of which a rule reads — and
//! then parses each worksheet with a general XML reader. Here the shared strings and the number
//! formats are read with quick-xml exactly as calamine reads them, and each worksheet's
//! `<sheetData>` is scanned by hand, streamed from the zip, with calamine's meaning for every
//! construct it accepts: a cell's position from `r` (or counted along the row), its type `t`, its
//! style `s` deciding whether a number is a date, `<v>`, `<is>` and `<f>` children (the last child
//! giving the value), an inline string read as a shared one is.
//!
//! Whatever this reader cannot be certain to read as calamine does — a comment, CDATA section or
//! entity where calamine would split the text, a number not in plain decimal notation, a cell type
//! or reference it does not know, a child element other than `<v>`, `<is>` and `<f>`, a part the
//! guard did not scan, an XML error — makes it step aside: [`read`] returns `None` and the caller
//! reads the file with calamine, which then reads it (or names its fault) as before. The limits are
//! charged in the same order as calamine's path charges them, so a refused file is refused with the
//! same reason. Tests compare both readers over the bench's workbooks and odd files of each kind.
//!
//! Parts of this module follow calamine 0.38 (MIT): its number-format detection
//! ([`date_kind`], [`builtin_date_kind`], [`builtin_code`]), its string reading
//! ([`read_rich_string`]) and its `_xHHHH_` unescaping ([`unescape_excel`]).

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};

use calamine::{CellErrorType, DataRef, ExcelDateTime, ExcelDateTimeType, SheetType};
use memchr::memchr;
use quick_xml::events::Event;
use shuangshi_rules::Cell;

use super::merges::{MergeScan, RawAttrs, reference};
use super::xlsx::{Book, Parts};
use super::{Budget, Rows, value};
use crate::grid::Grid;
use crate::guard::{Limits, Reason};

/// How much of a worksheet is inflated at a time.
const CHUNK: usize = 64 * 1024;

/// Reads every worksheet of an xlsx file, or `None` when calamine must read it.
pub(crate) fn read(
    bytes: &[u8],
    limits: &Limits,
    scan: &MergeScan,
) -> Option<Result<Vec<Grid>, Reason>> {
    let mut parts = Parts::new(bytes, Some(scan))?;
    let book = Book::discover_in(&mut parts)?;
    let sheets: Vec<_> = book
        .sheets
        .iter()
        .filter(|s| s.typ == SheetType::WorkSheet)
        .collect();
    // The merges come from the guard's pass; a part it did not scan is calamine's to read.
    if !sheets.iter().all(|s| scan.get(&s.part).is_some()) {
        return None;
    }
    let strings = shared_strings(&mut parts, &book)?;
    let styles = Styles::read(&mut parts, &book)?;
    let context = Context {
        strings: &strings,
        styles: &styles,
        date1904: book.date1904,
    };
    let mut budget = Budget::new(limits);
    let mut grids = Vec::with_capacity(sheets.len());
    for sheet in sheets {
        let place = format!("工作表「{}」", sheet.name);
        let entry = parts.open(book.entry(&sheet.part))?;
        let cells = match read_sheet(entry, &context, &mut budget, &place)? {
            Ok(cells) => cells,
            Err(refused) => return Some(Err(refused)),
        };
        let merges = match scan.get(&sheet.part)? {
            Ok(merges) => merges.clone(),
            Err(why) => return Some(Err(Reason::Corrupt(format!("无法解析{place}：{why}")))),
        };
        match budget.grid_from_rows(Some(sheet.name.clone()), &place, cells, merges) {
            Ok(grid) => grids.push(grid),
            Err(refused) => return Some(Err(refused)),
        }
    }
    Some(Ok(grids))
}

/// What a cell's value is read against.
struct Context<'a> {
    strings: &'a [String],
    styles: &'a Styles,
    date1904: bool,
}

/// A quick-xml reader configured as calamine configures its readers.
pub(super) fn xml_reader<R: BufRead>(source: R) -> quick_xml::Reader<R> {
    let mut reader = quick_xml::Reader::from_reader(source);
    let config = reader.config_mut();
    config.check_end_names = false;
    config.trim_text(false);
    config.check_comments = false;
    config.expand_empty_elements = true;
    reader
}

/// The shared-strings table, read as calamine reads it (none when the part is missing).
fn shared_strings(parts: &mut Parts<'_, '_>, book: &Book) -> Option<Vec<String>> {
    let path = format!("{}sharedStrings.xml", book.dir);
    // calamine reads a workbook without the part as one without strings.
    if !book.names.contains_key(&path.to_ascii_lowercase()) {
        return Some(Vec::new());
    }
    let part = parts.open(book.entry(&path))?;
    let mut xml = xml_reader(BufReader::new(part));
    let mut strings = Vec::new();
    let mut buf = Vec::with_capacity(1024);
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf).ok()? {
            Event::Start(e) if e.local_name().as_ref() == "sst" => {
                let count = RawAttrs::new(e.attributes_raw().as_bytes())
                    .map_while(Result::ok)
                    .find(|(k, _)| *k == b"uniqueCount")
                    .and_then(|(_, v)| std::str::from_utf8(v).ok()?.parse::<usize>().ok());
                // A declared count is a hint, never trusted for more than the part could hold.
                strings.reserve(count.unwrap_or(0).min(1 << 20));
                break;
            }
            Event::Eof => return None,
            _ => {}
        }
    }
    let (mut inner, mut text) = (Vec::with_capacity(1024), Vec::with_capacity(1024));
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf).ok()? {
            Event::Start(e) if e.local_name().as_ref() == "si" => {
                let closing = e.name().as_ref().to_string();
                strings.push(read_rich_string(&mut xml, &closing, &mut inner, &mut text)?);
            }
            Event::End(e) if e.local_name().as_ref() == "sst" => return Some(strings),
            Event::Eof => return None,
            _ => {}
        }
    }
}

/// A shared or inline string (`<si>` or `<is>`), read as calamine's `read_string_with_bufs`: the
/// text of its `<t>` elements, those inside `<rPh>` (phonetic guides) left out, each trimmed of
/// ASCII white space unless `xml:space="preserve"`, entities and `_xHHHH_` escapes resolved.
fn read_rich_string<R: BufRead>(
    xml: &mut quick_xml::Reader<R>,
    closing: &str,
    buf: &mut Vec<u8>,
    text_buf: &mut Vec<u8>,
) -> Option<String> {
    let mut rich: Option<String> = None;
    let mut phonetic = false;
    loop {
        buf.clear();
        match xml.read_event_into(buf).ok()? {
            Event::Start(e) if e.local_name().as_ref() == "r" && rich.is_none() => {
                rich = Some(String::new());
            }
            Event::Start(e) if e.local_name().as_ref() == "rPh" => phonetic = true,
            Event::End(e) if e.name().as_ref() == closing => {
                return Some(rich.unwrap_or_default());
            }
            Event::End(e) if e.local_name().as_ref() == "rPh" => phonetic = false,
            Event::Start(e) if e.local_name().as_ref() == "t" && !phonetic => {
                let mut preserve = false;
                for attr in RawAttrs::new(e.attributes_raw().as_bytes()) {
                    let (k, v) = attr.ok()?;
                    if k == b"xml:space" {
                        preserve = v == b"preserve";
                        break;
                    }
                }
                let name = e.name().as_ref().to_string();
                let mut value = String::new();
                loop {
                    text_buf.clear();
                    match xml.read_event_into(text_buf).ok()? {
                        Event::Text(t) => value.push_str(&t.xml10_content()),
                        Event::CData(t) => value.push_str(&t.xml10_content()),
                        Event::GeneralRef(r) => {
                            let name: &str = r.as_ref();
                            if let Some(s) = quick_xml::escape::resolve_xml_entity(name) {
                                value.push_str(s);
                            } else {
                                value.push(r.resolve_char_ref().ok()??);
                            }
                        }
                        Event::End(end) if end.name().as_ref() == name => break,
                        Event::Eof => return None,
                        _ => {}
                    }
                }
                let value = if preserve {
                    unescape_excel(&value).into_owned()
                } else {
                    unescape_excel(value.trim_matches([' ', '\t', '\r', '\n'])).into_owned()
                };
                match &mut rich {
                    Some(s) => s.push_str(&value),
                    None => rich = Some(value),
                }
            }
            Event::Eof => return None,
            _ => {}
        }
    }
}

/// Whether a number format shows a date or a duration (calamine's `CellFormat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DateKind {
    Not,
    DateTime,
    Duration,
}

/// Each cell format (`<xf>` of `<cellXfs>`, in order): whether it shows dates, and the number
/// format code calamine gives its style (`None` when `numFmtId` is not a number).
#[derive(Default)]
struct Styles {
    formats: Vec<(DateKind, Option<String>)>,
}

impl Styles {
    /// The styles part read as calamine reads the parts of it that matter here (none when the
    /// part is missing).
    fn read(parts: &mut Parts<'_, '_>, book: &Book) -> Option<Styles> {
        let path = format!("{}styles.xml", book.dir);
        if !book.names.contains_key(&path.to_ascii_lowercase()) {
            return Some(Styles::default());
        }
        let part = parts.open(book.entry(&path))?;
        let mut xml = xml_reader(BufReader::new(part));
        let mut custom: HashMap<String, String> = HashMap::new();
        let mut styles = Styles::default();
        let (mut buf, mut inner) = (Vec::with_capacity(1024), Vec::with_capacity(1024));
        loop {
            buf.clear();
            match xml.read_event_into(&mut buf).ok()? {
                Event::Start(e) if e.local_name().as_ref() == "numFmts" => loop {
                    inner.clear();
                    match xml.read_event_into(&mut inner).ok()? {
                        Event::Start(e) if e.local_name().as_ref() == "numFmt" => {
                            let (mut id, mut code) = (None, None);
                            for attr in RawAttrs::new(e.attributes_raw().as_bytes()) {
                                let (k, v) = attr.ok()?;
                                match k {
                                    b"numFmtId" => id = Some(v),
                                    b"formatCode" => code = Some(v),
                                    _ => {}
                                }
                            }
                            if let (Some(id), Some(code)) = (id, code) {
                                let code = std::str::from_utf8(code).ok()?;
                                let code = quick_xml::escape::unescape(code).ok()?.into_owned();
                                custom.insert(std::str::from_utf8(id).ok()?.to_string(), code);
                            }
                        }
                        Event::End(e) if e.local_name().as_ref() == "numFmts" => break,
                        Event::Eof => return None,
                        _ => {}
                    }
                },
                Event::Start(e) if e.local_name().as_ref() == "cellXfs" => loop {
                    inner.clear();
                    match xml.read_event_into(&mut inner).ok()? {
                        Event::Start(e) if e.local_name().as_ref() == "xf" => {
                            let mut id = None;
                            for attr in RawAttrs::new(e.attributes_raw().as_bytes()) {
                                let (k, v) = attr.ok()?;
                                if k == b"numFmtId" {
                                    id = Some(std::str::from_utf8(v).ok()?);
                                    break;
                                }
                            }
                            let kind = id.map_or(DateKind::Not, |id| match custom.get(id) {
                                Some(code) => date_kind(code),
                                None => builtin_date_kind(id),
                            });
                            let code = id.and_then(|id| {
                                let n = parse_digits(id.as_bytes())?;
                                let n = u32::try_from(n).ok()?;
                                Some(
                                    custom
                                        .get(id)
                                        .cloned()
                                        .or_else(|| builtin_code(n).map(str::to_string))
                                        .unwrap_or_else(|| "General".to_string()),
                                )
                            });
                            styles.formats.push((kind, code));
                        }
                        Event::End(e) if e.local_name().as_ref() == "cellXfs" => break,
                        Event::Eof => return None,
                        _ => {}
                    }
                },
                Event::End(e) if e.local_name().as_ref() == "styleSheet" => return Some(styles),
                Event::Eof => return None,
                _ => {}
            }
        }
    }
}

/// Reads the cells of one worksheet part: `None` when calamine must read it, `Some(Err)` when a
/// limit refuses it.
fn read_sheet<R: Read>(
    part: R,
    context: &Context<'_>,
    budget: &mut Budget<'_>,
    place: &str,
) -> Option<Result<Rows, Reason>> {
    // Empty elements kept as such: `<sheetData/>` must be told from `<sheetData>`.
    let mut xml = xml_reader(BufReader::with_capacity(CHUNK, part));
    xml.config_mut().expand_empty_elements = false;
    // What comes before the cells: the declared dimension, up to `<sheetData>`.
    let mut buf = Vec::with_capacity(1024);
    let mut declared = ((0, 0), (0, 0));
    let empty = loop {
        buf.clear();
        match xml.read_event_into(&mut buf).ok()? {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "dimension" => {
                let mut range = None;
                for attr in RawAttrs::new(e.attributes_raw().as_bytes()) {
                    let (k, v) = attr.ok()?;
                    if k == b"ref" {
                        range = Some(v);
                        break;
                    }
                }
                declared = dimension(range?)?;
            }
            Event::Start(e) if e.local_name().as_ref() == "sheetData" => break false,
            Event::Empty(e) if e.local_name().as_ref() == "sheetData" => break true,
            Event::Eof => return None,
            _ => {}
        }
    };
    if let Err(refused) = budget.declared(place, declared.0, declared.1) {
        return Some(Err(refused));
    }
    let mut cells = Rows::default();
    if empty {
        return Some(Ok(cells));
    }
    let mut scanner = Scanner {
        source: xml.into_inner(),
        buf: Vec::with_capacity(CHUNK),
        pos: 0,
        eof: false,
        row: 0,
        col: 0,
    };
    loop {
        match scanner.next(context)? {
            Step::Done => return Some(Ok(cells)),
            Step::Other => {}
            Step::Cell(row, col, cell) => {
                if let Err(refused) = budget.cell(place, row, col) {
                    return Some(Err(refused));
                }
                cells.push(row, col, cell);
            }
        }
    }
}

/// What the scanner found next in `<sheetData>`.
enum Step {
    /// A non-empty cell at (row, column).
    Cell(u32, u32, Cell),
    /// A row, an empty cell or markup calamine passes over.
    Other,
    /// `</sheetData>`.
    Done,
}

/// The sheet data, streamed from the part a chunk at a time; an element is handled once it is
/// wholly in the buffer.
struct Scanner<R> {
    source: R,
    buf: Vec<u8>,
    pos: usize,
    eof: bool,
    /// Where a cell without `r` goes: the current row and the column after the last cell.
    row: u32,
    col: u32,
}

/// A tag: its full name, its attributes' text, whether it closes itself, where it ends.
struct Tag<'a> {
    name: &'a [u8],
    attrs: &'a [u8],
    empty: bool,
    /// Index just past the `>`.
    end: usize,
}

impl<R: Read> Scanner<R> {
    /// Reads more of the part, keeping what is not yet handled; `None` on a read error.
    fn refill(&mut self) -> Option<()> {
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        // Appended without zero-filling first (`read_to_end` retries on `Interrupted`).
        let n = (&mut self.source)
            .take(CHUNK as u64)
            .read_to_end(&mut self.buf)
            .ok()?;
        if n == 0 {
            self.eof = true;
        }
        Some(())
    }

    fn next(&mut self, context: &Context<'_>) -> Option<Step> {
        loop {
            match self.try_next(context) {
                Progress::Step(step) => return Some(step),
                Progress::Bail => return None,
                Progress::More => {
                    // A cell larger than any a spreadsheet program writes is calamine's to stream.
                    if self.eof || self.buf.len() - self.pos > MAX_PENDING {
                        // The part ended inside the sheet data: calamine names the error.
                        return None;
                    }
                    self.refill()?;
                }
            }
        }
    }

    /// The next step if its element is wholly in the buffer.
    fn try_next(&mut self, context: &Context<'_>) -> Progress {
        let buf = &self.buf[self.pos..];
        let Some(lt) = memchr(b'<', buf) else {
            // Text between elements is passed over; keep nothing of it.
            self.pos = self.buf.len();
            return Progress::More;
        };
        let Some(tag) = tag_at(buf, lt) else {
            self.pos += lt;
            return Progress::More;
        };
        let Some(tag) = tag else {
            // A comment, CDATA section, processing instruction or declaration.
            return Progress::Bail;
        };
        let local = local_name(tag.name);
        if tag.name.first() == Some(&b'/') {
            let local = local_name(&tag.name[1..]);
            let step = match local {
                [b'r', b'o', b'w'] => {
                    self.row = self.row.wrapping_add(1);
                    self.col = 0;
                    Step::Other
                }
                b"sheetData" => Step::Done,
                _ => Step::Other,
            };
            self.pos += tag.end;
            return Progress::Step(step);
        }
        match local {
            [b'r', b'o', b'w'] => {
                let Ok(r) = attr(tag.attrs, b"r") else {
                    return Progress::Bail;
                };
                if let Some(r) = r {
                    match reference(r) {
                        Some((row, _)) => self.row = row,
                        None => return Progress::Bail,
                    }
                }
                if tag.empty {
                    self.row = self.row.wrapping_add(1);
                    self.col = 0;
                }
                self.pos += tag.end;
                Progress::Step(Step::Other)
            }
            [b'c'] => {
                let (content, end) = if tag.empty {
                    (&buf[tag.end..tag.end], tag.end)
                } else {
                    match closing(buf, tag.end, tag.name) {
                        Some((close, end)) => (&buf[tag.end..close], end),
                        None => {
                            self.pos += lt;
                            return Progress::More;
                        }
                    }
                };
                let Some(c) = CellAttrs::read(tag.attrs) else {
                    return Progress::Bail;
                };
                let (row, col) = match c.reference {
                    Some(r) => match reference(r) {
                        Some((row, Some(col))) => (row, col),
                        _ => return Progress::Bail,
                    },
                    None => (self.row, self.col),
                };
                self.col = col.wrapping_add(1);
                let Some(value) = cell_value(content, &c, context) else {
                    return Progress::Bail;
                };
                self.pos += end;
                Progress::Step(match value {
                    Some(cell) if !cell.is_empty() => Step::Cell(row, col, cell),
                    _ => Step::Other,
                })
            }
            _ => {
                self.pos += tag.end;
                Progress::Step(Step::Other)
            }
        }
    }
}

/// The most of one element (a tag, or a cell with its content) gathered across chunks: a cell
/// Excel writes holds at most 32,767 characters (under 128 KiB), its tag a few hundred bytes.
const MAX_PENDING: usize = 1 << 20;

enum Progress {
    Step(Step),
    /// The element is not wholly in the buffer yet.
    More,
    /// calamine must read the file.
    Bail,
}

/// The tag starting at `buf[lt] == b'<'`: `None` when it does not end in `buf`, `Some(None)` for
/// markup that is not an element's tag.
fn tag_at(buf: &[u8], lt: usize) -> Option<Option<Tag<'_>>> {
    let rest = buf.get(lt + 1..)?;
    match rest.first()? {
        b'!' | b'?' => return Some(None),
        _ => {}
    }
    // The end of the tag: the first `>` outside quotes.
    let mut quote = None;
    let mut end = None;
    for (i, &b) in rest.iter().enumerate() {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None => match b {
                b'"' | b'\'' => quote = Some(b),
                b'>' => {
                    end = Some(i);
                    break;
                }
                _ => {}
            },
        }
    }
    let end = end?;
    let inner = &rest[..end];
    let (inner, empty) = match inner.strip_suffix(b"/") {
        Some(inner) => (inner, true),
        None => (inner, false),
    };
    let name_len = inner
        .iter()
        .position(|b| b.is_ascii_whitespace())
        .unwrap_or(inner.len());
    Some(Some(Tag {
        name: &inner[..name_len],
        attrs: &inner[name_len..],
        empty,
        end: lt + 1 + end + 1,
    }))
}

/// The name without its namespace prefix.
fn local_name(name: &[u8]) -> &[u8] {
    match memchr::memrchr(b':', name) {
        Some(i) => &name[i + 1..],
        None => name,
    }
}

/// Where the end tag `</name>` first found from `from` starts and ends.
fn closing(buf: &[u8], from: usize, name: &[u8]) -> Option<(usize, usize)> {
    let mut at = from;
    loop {
        let i = at + memchr(b'<', buf.get(at..)?)?;
        at = i + 1;
        if buf.get(i + 1) != Some(&b'/') || !same(buf.get(i + 2..i + 2 + name.len())?, name) {
            continue;
        }
        // `</c>` or `</c >`, not `</cx>`.
        let after = i + 2 + name.len();
        let rest = buf.get(after..)?;
        let spaces = rest.iter().take_while(|b| b.is_ascii_whitespace()).count();
        if rest.get(spaces)? == &b'>' {
            return Some((i, after + spaces + 1));
        }
    }
}

/// Two short names equal (a tag's name is one or a few bytes: no call to `memcmp`).
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// The first attribute named `key`, as calamine's `raw_attr` finds it (`Err` for a malformed one
/// before it).
fn attr<'a>(attrs: &'a [u8], key: &[u8]) -> Result<Option<&'a [u8]>, ()> {
    for a in RawAttrs::new(attrs) {
        let (k, v) = a?;
        if k == key {
            return Ok(Some(v));
        }
    }
    Ok(None)
}

/// A `<c>` element's `r`, `s` and `t`.
struct CellAttrs<'a> {
    reference: Option<&'a [u8]>,
    /// The style index (`s`), when given.
    style: Option<usize>,
    typ: Option<&'a [u8]>,
}

impl<'a> CellAttrs<'a> {
    /// `None` for a malformed or repeated attribute, or a style that is not a plain number.
    fn read(attrs: &'a [u8]) -> Option<CellAttrs<'a>> {
        let (mut reference, mut style, mut typ) = (None, None, None);
        for a in RawAttrs::new(attrs) {
            let (k, v) = a.ok()?;
            let slot = match k {
                [b'r'] => &mut reference,
                [b's'] => &mut style,
                [b't'] => &mut typ,
                _ => continue,
            };
            if slot.replace(v).is_some() {
                return None;
            }
        }
        let style = match style {
            Some(s) => Some(usize::try_from(parse_digits(s)?).ok()?),
            None => None,
        };
        Some(CellAttrs {
            reference,
            style,
            typ,
        })
    }
}

/// ASCII digits alone, as a number (`None` for anything else, or past `u64`).
fn parse_digits(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 19 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut n: u64 = 0;
    for d in s {
        n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(n)
}

/// A `<dimension ref>` as calamine reads it: (first, last) as written, not put in order.
fn dimension(range: &[u8]) -> Option<((u32, u32), (u32, u32))> {
    let mut parts = range.split(|&b| b == b':');
    let first = parts.next()?;
    let cell = |s: &[u8]| match reference(s)? {
        (row, Some(col)) => Some((row, col)),
        _ => None,
    };
    let first = cell(first)?;
    let last = match parts.next() {
        Some(p) => cell(p)?,
        None => first,
    };
    match parts.next() {
        Some(_) => None,
        None => Some((first, last)),
    }
}

/// The value of a cell from its content (the text between `<c …>` and `</c>`): `Some(None)` for
/// an empty cell, `None` when calamine must read it.
fn cell_value(content: &[u8], c: &CellAttrs<'_>, context: &Context<'_>) -> Option<Option<Cell>> {
    // Nearly every cell is one plain `<v>…</v>`.
    if let [b'<', b'v', b'>', rest @ ..] = content
        && let Some(stop) = memchr(b'<', rest)
        && let [b'<', b'/', b'v', b'>'] = rest[stop..]
    {
        return v_value(Some(&rest[..stop]), c, context);
    }
    // And nearly every inline string one plain `<t>`.
    if let Some(rest) = content.strip_prefix(b"<is><t>")
        && let Some(stop) = memchr(b'<', rest)
        && &rest[stop..] == b"</t></is>"
        && !rest[..stop].iter().any(|&b| b == b'&' || b == b'\r')
    {
        let text = std::str::from_utf8(&rest[..stop]).ok()?;
        let text = text.trim_matches([' ', '\t', '\r', '\n']);
        return Some(Some(Cell::text(unescape_excel(text).into_owned())));
    }
    let mut value: Option<Cell> = None;
    let mut at = 0;
    while let Some(lt) = memchr(b'<', &content[at..]) {
        let lt = at + lt;
        let tag = tag_at(content, lt)??;
        if tag.name.first() == Some(&b'/') {
            // A stray end tag: calamine passes over it.
            at = tag.end;
            continue;
        }
        match local_name(tag.name) {
            b"v" => {
                let (text, end) = if tag.empty {
                    (None, tag.end)
                } else {
                    let stop = tag.end + memchr(b'<', &content[tag.end..])?;
                    let (close, end) = closing(content, stop, tag.name)?;
                    // Anything but the end tag after the text (a comment, an element): calamine's.
                    if close != stop {
                        return None;
                    }
                    (Some(&content[tag.end..stop]), end)
                };
                value = v_value(text, c, context)?;
                at = end;
            }
            b"is" => {
                let end = if tag.empty {
                    tag.end
                } else {
                    closing(content, tag.end, tag.name)?.1
                };
                if let Some(s) = content
                    .get(tag.end..end)
                    .and_then(|inner| closing(inner, 0, tag.name))
                    .and_then(|(close, _)| simple_inline(&content[tag.end..tag.end + close]))
                {
                    value = Some(Cell::text(s));
                    at = end;
                    continue;
                }
                let mut xml = xml_reader(&content[lt..end]);
                let mut buf = Vec::new();
                match xml.read_event_into(&mut buf).ok()? {
                    Event::Start(_) => {}
                    _ => return None,
                }
                let (mut inner, mut text) = (Vec::new(), Vec::new());
                let closing = std::str::from_utf8(tag.name).ok()?;
                let s = read_rich_string(&mut xml, closing, &mut inner, &mut text)?;
                value = Some(Cell::text(s));
                at = end;
            }
            b"f" => {
                at = if tag.empty {
                    tag.end
                } else {
                    closing(content, tag.end, tag.name)?.1
                };
                value = None;
            }
            _ => return None,
        }
    }
    Some(value)
}

/// An inline string that is one plain `<t>` (as openpyxl and most writers store it), read without
/// an XML reader: the text [`read_rich_string`] would give. `None` for anything else.
fn simple_inline(inner: &[u8]) -> Option<String> {
    if inner.first() != Some(&b'<') {
        return None;
    }
    let tag = tag_at(inner, 0)??;
    if tag.name != b"t" || tag.empty {
        return None;
    }
    let preserve = match attr(tag.attrs, b"xml:space") {
        Ok(v) => v == Some(b"preserve".as_slice()),
        Err(()) => return None,
    };
    let rest = &inner[tag.end..];
    let stop = memchr(b'<', rest)?;
    let text = &rest[..stop];
    if &rest[stop..] != b"</t>" || text.iter().any(|&b| b == b'&' || b == b'\r') {
        return None;
    }
    let text = std::str::from_utf8(text).ok()?;
    let text = if preserve {
        text
    } else {
        text.trim_matches([' ', '\t', '\r', '\n'])
    };
    Some(unescape_excel(text).into_owned())
}

/// The value of a `<v>` (its raw text; `None` for `<v/>`) as calamine's `read_v` gives it.
fn v_value(text: Option<&[u8]>, c: &CellAttrs<'_>, context: &Context<'_>) -> Option<Option<Cell>> {
    let typ = c.typ;
    match typ {
        Some([b'i', b'n', b'l', b'i', b'n', b'e', b'S', b't', b'r'] | [b'i', b's']) => Some(None),
        Some([b'n'] | [b's'] | [b'b'] | [b'e']) | None => {
            let Some(text) = text else {
                return Some(None);
            };
            // calamine would split the text at an entity.
            if memchr(b'&', text).is_some() {
                return None;
            }
            let text = std::str::from_utf8(text).ok()?;
            match typ {
                Some([b's']) => {
                    if text.is_empty() {
                        return Some(None);
                    }
                    let i = usize::try_from(parse_digits(text.as_bytes())?).ok()?;
                    let s = context.strings.get(i)?;
                    Some(Some(Cell::text(s.as_str())))
                }
                Some([b'b']) => {
                    let t = text.trim();
                    if t.is_empty() {
                        Some(None)
                    } else if t == "0" || t.eq_ignore_ascii_case("false") {
                        Some(Some(value::boolean(false)))
                    } else if t == "1" || t.eq_ignore_ascii_case("true") {
                        Some(Some(value::boolean(true)))
                    } else {
                        None
                    }
                }
                Some([b'e']) => {
                    let e: CellErrorType = text.parse().ok()?;
                    value::from_data_ref(&DataRef::Error(e)).map(Some)
                }
                _ => {
                    if text.is_empty() {
                        return Some(None);
                    }
                    if !plain_number(text.as_bytes()) {
                        return None;
                    }
                    let n: f64 = text.parse().ok()?;
                    Some(Some(number_cell(n, c, context)))
                }
            }
        }
        Some(other) => {
            let raw = std::str::from_utf8(text.unwrap_or_default()).ok()?;
            // Line ends are normalised by the XML reader; leave that to calamine.
            if memchr(b'\r', raw.as_bytes()).is_some() {
                return None;
            }
            let text = quick_xml::escape::unescape(raw).ok()?;
            match other {
                [b's', b't', b'r'] => Some(Some(Cell::text(unescape_excel(&text).into_owned()))),
                [b'd'] => value::from_data_ref(&DataRef::DateTimeIso(text.into_owned())).map(Some),
                _ => None,
            }
        }
    }
}

/// A number in plain decimal notation (`-12.5`, `1E-3`), which every float parser reads alike.
fn plain_number(s: &[u8]) -> bool {
    let s = s.strip_prefix(b"-").unwrap_or(s);
    let digits = |s: &[u8]| s.iter().take_while(|b| b.is_ascii_digit()).count();
    let int = digits(s);
    if int == 0 {
        return false;
    }
    let mut rest = &s[int..];
    if let Some(frac) = rest.strip_prefix(b".") {
        let n = digits(frac);
        if n == 0 {
            return false;
        }
        rest = &frac[n..];
    }
    if let Some(exp) = rest.strip_prefix(b"e").or_else(|| rest.strip_prefix(b"E")) {
        let exp = exp
            .strip_prefix(b"+")
            .or_else(|| exp.strip_prefix(b"-"))
            .unwrap_or(exp);
        let n = digits(exp);
        return n > 0 && n == exp.len();
    }
    rest.is_empty()
}

/// A number cell: a date when its style's number format shows one (calamine's
/// `format_excel_f64_ref`), quoted in that format.
fn number_cell(n: f64, c: &CellAttrs<'_>, context: &Context<'_>) -> Cell {
    // calamine: a cell without `s` has no date format; one with `s` has its format's.
    let format = c.style.and_then(|s| context.styles.formats.get(s));
    let typ = match format.map(|f| f.0) {
        Some(DateKind::DateTime) => ExcelDateTimeType::DateTime,
        Some(DateKind::Duration) => ExcelDateTimeType::TimeDelta,
        _ => return value::number(n),
    };
    let d = ExcelDateTime::new(n, typ, context.date1904);
    value::date_time_as_written(&d, format.and_then(|f| f.1.as_deref()))
}

/// calamine's `detect_custom_number_format`: whether a format code shows a date or a duration.
fn date_kind(format: &str) -> DateKind {
    let mut escaped = false;
    let mut is_quote = false;
    let mut brackets = 0u8;
    let mut prev = ' ';
    let mut hms = false;
    let mut ap = false;
    for s in format.chars() {
        match (s, escaped, is_quote, ap, brackets) {
            (_, true, ..) => escaped = false,
            ('_' | '\\' | '*', ..) => escaped = true,
            ('"', _, true, _, _) => is_quote = false,
            (_, _, true, _, _) => (),
            ('"', _, _, _, _) => is_quote = true,
            (';', ..) => return DateKind::Not,
            ('[', ..) => brackets += 1,
            (']', .., 1) if hms => return DateKind::Duration,
            (']', ..) => brackets = brackets.saturating_sub(1),
            ('a' | 'A', _, _, false, 0) => ap = true,
            ('p' | 'm' | '/' | 'P' | 'M', _, _, true, 0) => return DateKind::DateTime,
            ('d' | 'm' | 'h' | 'y' | 's' | 'D' | 'M' | 'H' | 'Y' | 'S', _, _, false, 0) => {
                return DateKind::DateTime;
            }
            _ => {
                if !(hms && s.eq_ignore_ascii_case(&prev)) {
                    hms = prev == '[' && matches!(s, 'm' | 'h' | 's' | 'M' | 'H' | 'S');
                }
            }
        }
        prev = s;
    }
    DateKind::Not
}

/// calamine's `builtin_format_by_id`: the built-in formats that show dates or durations.
fn builtin_date_kind(id: &str) -> DateKind {
    match id {
        "14" | "15" | "16" | "17" | "18" | "19" | "20" | "21" | "22" | "45" | "47" => {
            DateKind::DateTime
        }
        "27" | "28" | "29" | "30" | "31" | "32" | "33" | "34" | "35" | "36" | "50" | "51"
        | "52" | "53" | "54" | "55" | "56" | "57" | "58" => DateKind::DateTime,
        "46" => DateKind::Duration,
        _ => DateKind::Not,
    }
}

/// calamine's `builtin_format_code_by_id` (ECMA-376 18.8.30).
fn builtin_code(id: u32) -> Option<&'static str> {
    Some(match id {
        0 => "General",
        1 => "0",
        2 => "0.00",
        3 => "#,##0",
        4 => "#,##0.00",
        9 => "0%",
        10 => "0.00%",
        11 => "0.00E+00",
        12 => "# ?/?",
        13 => "# ??/??",
        14 => "mm-dd-yy",
        15 => "d-mmm-yy",
        16 => "d-mmm",
        17 => "mmm-yy",
        18 => "h:mm AM/PM",
        19 => "h:mm:ss AM/PM",
        20 => "h:mm",
        21 => "h:mm:ss",
        22 => "m/d/yy h:mm",
        37 => "#,##0 ;(#,##0)",
        38 => "#,##0 ;[Red](#,##0)",
        39 => "#,##0.00;(#,##0.00)",
        40 => "#,##0.00;[Red](#,##0.00)",
        41 => "_(* #,##0_);_(* (#,##0);_(* \"-\"_);_(@_)",
        42 => "_($* #,##0_);_($* (#,##0);_($* \"-\"_);_(@_)",
        43 => "_(* #,##0.00_);_(* (#,##0.00);_(* \"-\"??_);_(@_)",
        44 => "_($* #,##0.00_);_($* (#,##0.00);_($* \"-\"??_);_(@_)",
        45 => "mm:ss",
        46 => "[h]:mm:ss",
        47 => "mmss.0",
        48 => "##0.0E+0",
        49 => "@",
        _ => return None,
    })
}

/// Excel's `_xHHHH_` escapes (a UTF-16 unit each; `_x005F_` escapes the underscore) resolved, as
/// calamine's `unescape_xml` does: a lone surrogate becomes U+FFFD.
fn unescape_excel(s: &str) -> Cow<'_, str> {
    let Some((mut index, mut unit)) = find_escape(s, 0) else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len());
    let mut copied = 0;
    loop {
        out.push_str(&s[copied..index]);
        index += ESCAPE_LEN;
        match unit {
            0xD800..=0xDBFF => match parse_escape(s, index) {
                Some(low @ 0xDC00..=0xDFFF) => {
                    let code =
                        0x10000 + ((u32::from(unit) - 0xD800) << 10) + (u32::from(low) - 0xDC00);
                    out.push(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER));
                    index += ESCAPE_LEN;
                }
                _ => out.push(char::REPLACEMENT_CHARACTER),
            },
            0xDC00..=0xDFFF => out.push(char::REPLACEMENT_CHARACTER),
            _ => out.push(char::from_u32(u32::from(unit)).unwrap_or(char::REPLACEMENT_CHARACTER)),
        }
        copied = index;
        match find_escape(s, index) {
            Some(next) => (index, unit) = next,
            None => break,
        }
    }
    out.push_str(&s[copied..]);
    Cow::Owned(out)
}

const ESCAPE_LEN: usize = 7;

fn find_escape(s: &str, mut start: usize) -> Option<(usize, u16)> {
    while let Some(offset) = s.get(start..)?.find('_') {
        let index = start + offset;
        if let Some(unit) = parse_escape(s, index) {
            return Some((index, unit));
        }
        start = index + 1;
    }
    None
}

fn parse_escape(s: &str, index: usize) -> Option<u16> {
    let bytes = s.as_bytes().get(index..index + ESCAPE_LEN)?;
    if bytes[0] != b'_' || bytes[1] != b'x' || bytes[6] != b'_' {
        return None;
    }
    let hex = std::str::from_utf8(&bytes[2..6]).ok()?;
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u16::from_str_radix(hex, 16).ok()
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Write};

    use zip::ZipArchive;

    use rust_xlsxwriter::{ExcelDateTime as XlDate, Format, Formula, Workbook};

    use super::*;
    use crate::guard::inspect_zip_with;
    use crate::read::xlsx::read_with_calamine;

    /// Both readers over one file: the direct one must have read it (`handled`) or stepped
    /// aside, and the grids (or the refusal) must be calamine's.
    fn compare(bytes: &[u8], limits: &Limits, handled: bool) -> Result<Vec<Grid>, Reason> {
        let mut scan = MergeScan::default();
        inspect_zip_with(bytes, limits, &mut scan).expect("the guard passes");
        let direct = read(bytes, limits, &scan);
        assert_eq!(direct.is_some(), handled, "handled: {direct:?}");
        let theirs = read_with_calamine(bytes, limits, scan);
        if let Some(ours) = direct {
            assert_eq!(
                format!("{ours:?}"),
                format!("{theirs:?}"),
                "the direct reader differs from calamine"
            );
        }
        theirs
    }

    fn default_compare(bytes: &[u8]) -> Vec<Grid> {
        compare(bytes, &Limits::default(), true).expect("read")
    }

    /// An xlsx package of hand-written parts: a workbook, its styles, shared strings and sheets.
    fn package(workbook_pr: &str, styles: &str, strings: Option<&str>, sheets: &[&str]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default();
        let mut put = |name: &str, text: &str| {
            w.start_file(name, opts).unwrap();
            w.write_all(text.as_bytes()).unwrap();
        };
        put(
            "[Content_Types].xml",
            r#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>"#,
        );
        put(
            "_rels/.rels",
            r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
        );
        let mut rels = String::from(
            r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#,
        );
        let mut list = String::new();
        for i in 1..=sheets.len() {
            rels.push_str(&format!(r#"<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{i}.xml"/>"#));
            list.push_str(&format!(
                r#"<sheet name="表{i}" sheetId="{i}" r:id="rId{i}"/>"#
            ));
        }
        rels.push_str("</Relationships>");
        put("xl/_rels/workbook.xml.rels", &rels);
        put(
            "xl/workbook.xml",
            &format!(
                r#"<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">{workbook_pr}<sheets>{list}</sheets></workbook>"#
            ),
        );
        put(
            "xl/styles.xml",
            &format!(
                r#"<?xml version="1.0"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{styles}</styleSheet>"#
            ),
        );
        if let Some(sst) = strings {
            put(
                "xl/sharedStrings.xml",
                &format!(
                    r#"<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{sst}</sst>"#
                ),
            );
        }
        for (i, data) in sheets.iter().enumerate() {
            put(
                &format!("xl/worksheets/sheet{}.xml", i + 1),
                &format!(
                    r#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:H20"/>{data}</worksheet>"#
                ),
            );
        }
        w.finish().unwrap().into_inner()
    }

    const STYLES: &str = r#"<numFmts count="2"><numFmt numFmtId="176" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/><numFmt numFmtId="177" formatCode="0.00_ "/></numFmts><cellXfs count="5"><xf numFmtId="0"/><xf numFmtId="176" applyNumberFormat="1"/><xf numFmtId="14"/><xf numFmtId="177"><alignment horizontal="center"/></xf><xf numFmtId="46"/></cellXfs>"#;

    #[test]
    fn cells_of_every_kind_are_read_as_calamine_reads_them() {
        let sst = r#"<si><t>姓名</t></si><si><t xml:space="preserve">  前后空格  </t></si><si><t>  修剪  </t></si><si><r><t>富</t></r><r><rPr><b/></rPr><t>文本</t></r><rPh><t>ふりがな</t></rPh></si><si/><si><t>A&amp;B &lt;c&gt; &#x4E2D;_x000D_换行</t></si>"#;
        let data = r#"<sheetData>
            <row r="1" spans="1:8"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s" s="0"><v>1</v></c><c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c><c r="E1" t="s"><v>4</v></c><c r="F1" t="s"><v>5</v></c></row>
            <row r="2"><c r="A2"><v>13812345678</v></c><c r="B2" s="1"><v>45348</v></c><c r="C2" s="2"><v>45348.5</v></c><c r="D2" s="3"><v>1.5</v></c><c r="E2" s="4"><v>1.25</v></c><c r="F2" s="9"><v>45348</v></c><c r="G2"><v>-1.5E-3</v></c><c r="H2" t="n"><v>0</v></c></row>
            <row r="3"><c t="b"><v>1</v></c><c t="b"><v>0</v></c><c t="e"><v>#N/A</v></c><c t="str"><f>A1&amp;"x"</f><v>姓名 &amp; x_x000A_</v></c><c t="d"><v>2024-02-26T00:00:00</v></c><c t="inlineStr"><is><t>内联</t></is></c><c t="inlineStr"><is><t xml:space="preserve"> 保留 </t></is></c><c t="inlineStr"><is><t> 修剪_x0041_ </t></is></c><c/><c t="s"><v></v></c></row>
            <row><c><v>7</v></c><c r="D4"><f>1+1</f><v>2</v></c><c><v>3</v><f>1+2</f></c></row>
            <row r="9"/>
            <row><c><v>10</v></c></row>
            <row r="12" s="1" customFormat="1"><c r="B12" t="inlineStr"><is><r><t>多</t></r><r><t xml:space="preserve"> 段</t></r></is></c><c r="C12" t="inlineStr"><v>ignored</v><is><t>内</t></is></c></row>
        </sheetData><mergeCells count="1"><mergeCell ref="A12:B12"/></mergeCells>"#;
        let bytes = package("<workbookPr/>", STYLES, Some(sst), &[data, "<sheetData/>"]);
        let grids = default_compare(&bytes);
        let g = &grids[0];
        let text = |r, c| g.get(r, c).map(|c| c.raw.clone());
        assert_eq!(text(0, 1).as_deref(), Some("  前后空格  "));
        assert_eq!(text(0, 2).as_deref(), Some("修剪"));
        assert_eq!(text(0, 3).as_deref(), Some("富文本"));
        assert_eq!(text(0, 5).as_deref(), Some("A&B <c> 中\r换行"));
        assert_eq!(text(1, 0).as_deref(), Some("13812345678"));
        assert_eq!(text(1, 1).as_deref(), Some("2024年2月26日"));
        assert_eq!(text(2, 3).as_deref(), Some("姓名 & x\n"));
        assert_eq!(
            text(3, 0).as_deref(),
            Some("7"),
            "a cell without r goes on its row"
        );
        assert_eq!(
            text(3, 4),
            None,
            "a formula after the value leaves the cell empty"
        );
        assert_eq!(
            text(9, 0).as_deref(),
            Some("10"),
            "the row after an empty <row r=9/>"
        );
        assert_eq!(text(11, 1).as_deref(), Some("多 段"));
        assert_eq!(grids[1].rows.len(), 0);
    }

    #[test]
    fn a_1904_workbook_and_prefixed_elements_are_read_alike() {
        let data = r#"<x:sheetData xmlns:x="urn:x"><x:row r="1"><x:c r="A1" s="1"><x:v>1000</x:v></x:c><x:c r="B1" t="s"><x:v>0</x:v></x:c></x:row></x:sheetData>"#;
        let bytes = package(
            r#"<workbookPr date1904="1"/>"#,
            STYLES,
            Some("<si><t>甲</t></si>"),
            &[data],
        );
        let grids = default_compare(&bytes);
        assert_eq!(
            grids[0].get(0, 0).map(|c| c.raw.as_str()),
            Some("1906年9月27日")
        );
        // No shared strings, no styles part: numbers stay numbers.
        let mut no_parts = package(
            "",
            "",
            None,
            &[r#"<sheetData><row><c s="1"><v>5</v></c></row></sheetData>"#],
        );
        no_parts = strip_entry(&no_parts, "xl/styles.xml");
        assert_eq!(
            default_compare(&no_parts)[0]
                .get(0, 0)
                .map(|c| c.raw.as_str()),
            Some("5")
        );
    }

    /// What the direct reader cannot be sure to read as calamine does, it leaves to calamine.
    #[test]
    fn what_it_is_unsure_of_is_left_to_calamine() {
        let cases = [
            r#"<sheetData><row><c><v>1<!-- x --></v></c></row></sheetData>"#,
            r#"<sheetData><!-- x --><row><c><v>1</v></c></row></sheetData>"#,
            r#"<sheetData><row><c><v> 1</v></c></row></sheetData>"#,
            r#"<sheetData><row><c><v>&#49;</v></c></row></sheetData>"#,
            r#"<sheetData><row><c><v>0x10</v></c></row></sheetData>"#,
            r#"<sheetData><row><c t="s"><v>7</v></c></row></sheetData>"#,
            r#"<sheetData><row><c t="zz"><v>1</v></c></row></sheetData>"#,
            r#"<sheetData><row><c r="1A"><v>1</v></c></row></sheetData>"#,
            r#"<sheetData><row><c r="A1" r="B1"><v>1</v></c></row></sheetData>"#,
            r#"<sheetData><row><c s="x"><v>1</v></c></row></sheetData>"#,
            r#"<sheetData><row><c><extLst/></c></row></sheetData>"#,
            r#"<sheetData><row><c><v>1</v></c></row>"#,
        ];
        for data in cases {
            let bytes = package("", STYLES, Some("<si><t>甲</t></si>"), &[data]);
            let mut scan = MergeScan::default();
            inspect_zip_with(&bytes, &Limits::default(), &mut scan).unwrap();
            let direct = read(&bytes, &Limits::default(), &scan);
            assert!(direct.is_none(), "{data}: {direct:?}");
            // And the file reads (or fails) exactly as before.
            let via_read = super::super::xlsx::read(&bytes, &Limits::default(), {
                let mut s = MergeScan::default();
                inspect_zip_with(&bytes, &Limits::default(), &mut s).unwrap();
                s
            });
            assert_eq!(
                format!("{via_read:?}"),
                format!("{:?}", read_with_calamine(&bytes, &Limits::default(), scan))
            );
        }
        // A character reference in a `str` value is one it does read.
        let cr = r#"<sheetData><row><c t="str"><v>a&#13;b</v></c></row><row><c t="str"><v>x</v></c></row></sheetData>"#;
        let bytes = package("", STYLES, Some("<si><t>甲</t></si>"), &[cr]);
        compare(&bytes, &Limits::default(), true).unwrap();
    }

    fn strip_entry(bytes: &[u8], name: &str) -> Vec<u8> {
        let mut archive = ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for i in 0..archive.len() {
            let mut entry = archive.by_index(i).unwrap();
            let entry_name = entry.name().unwrap().to_string();
            if entry_name == name {
                continue;
            }
            let mut data = Vec::new();
            entry.read_to_end(&mut data).unwrap();
            w.start_file(entry_name, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(&data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    /// A workbook as rust_xlsxwriter writes it, large enough that cells straddle the chunks.
    fn written() -> Vec<u8> {
        let mut wb = Workbook::new();
        let date = Format::new().set_num_format("yyyy-mm-dd");
        let cn = Format::new().set_num_format("yyyy\"年\"m\"月\"");
        let ws = wb.add_worksheet();
        ws.set_name("推荐表 & <一>").unwrap();
        ws.merge_range(0, 0, 0, 7, "第十批推荐表", &Format::new())
            .unwrap();
        for r in 1..6000u32 {
            ws.write_number(r, 0, f64::from(r)).unwrap();
            ws.write_string(r, 1, format!("姓名{r}")).unwrap();
            ws.write_string(r, 2, "男").unwrap();
            ws.write_number(r, 3, 13_800_000_000.0 + f64::from(r))
                .unwrap();
            ws.write_datetime_with_format(r, 4, XlDate::from_ymd(2024, 2, 26).unwrap(), &date)
                .unwrap();
            ws.write_datetime_with_format(r, 5, XlDate::from_ymd(1990, 7, 1).unwrap(), &cn)
                .unwrap();
            ws.write_boolean(r, 6, r % 2 == 0).unwrap();
            ws.write_formula(r, 7, Formula::new("=A2*2").set_result("2"))
                .unwrap();
        }
        wb.add_worksheet().write_string(0, 0, "第二张").unwrap();
        wb.add_worksheet();
        wb.save_to_buffer().unwrap()
    }

    #[test]
    fn a_large_written_workbook_is_read_alike_across_chunks() {
        let bytes = written();
        let grids = default_compare(&bytes);
        assert_eq!(grids.len(), 3);
        assert_eq!(
            grids[0].get(5999, 1).map(|c| c.raw.as_str()),
            Some("姓名5999")
        );
        assert_eq!(
            grids[0].get(0, 7).map(|c| c.raw.as_str()),
            Some("第十批推荐表")
        );
    }

    /// The guard's pass keeps a form's small parts whole, so they are not inflated twice, and
    /// never a large one.
    #[test]
    fn small_parts_are_kept_from_the_guard_pass_and_large_ones_are_not() {
        let bytes = written();
        let mut scan = MergeScan::default();
        inspect_zip_with(&bytes, &Limits::default(), &mut scan).unwrap();
        let mut zip = ZipArchive::new(Cursor::new(&bytes[..])).unwrap();
        let mut inflated = |name: &str| {
            let mut v = Vec::new();
            zip.by_name(name).unwrap().read_to_end(&mut v).unwrap();
            v
        };
        assert_eq!(
            scan.kept("xl/workbook.xml"),
            Some(&inflated("xl/workbook.xml")[..])
        );
        assert_eq!(
            scan.kept("XL\\Styles.xml"),
            Some(&inflated("xl/styles.xml")[..])
        );
        assert!(inflated("xl/worksheets/sheet1.xml").len() > 256 * 1024);
        assert_eq!(scan.kept("xl/worksheets/sheet1.xml"), None);
        assert_eq!(
            scan.kept("xl/worksheets/sheet2.xml"),
            Some(&inflated("xl/worksheets/sheet2.xml")[..])
        );
    }

    #[test]
    fn a_refused_sheet_is_refused_for_the_same_reason() {
        let bytes = written();
        let limits = Limits {
            max_cells: 1000,
            ..Limits::default()
        };
        let refused = compare(&bytes, &limits, true).unwrap_err();
        assert!(
            matches!(&refused, Reason::SheetTooLarge(m) if m.contains("1000")),
            "{refused:?}"
        );
        let declared = Limits {
            max_rows: 100,
            ..Limits::default()
        };
        compare(&bytes, &declared, true).unwrap_err();
    }

    #[test]
    fn the_shipped_examples_and_the_template_are_read_alike() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/forms");
        let mut n = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "xlsx") {
                default_compare(&std::fs::read(&path).unwrap());
                n += 1;
            }
        }
        assert_eq!(n, 2);
        let batch = shuangshi_rules::Batch::batch10();
        default_compare(&crate::write::template_xlsx(&batch).unwrap());
    }

    /// A cell larger than any spreadsheet program writes is not gathered in memory: calamine
    /// streams it.
    #[test]
    fn an_endless_cell_is_left_to_calamine() {
        // Varied text, so the guard does not take it for a zip bomb.
        let mut seed = 7u32;
        let mut varied = |n: usize| -> String {
            (0..n)
                .map(|_| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    char::from_u32(0x4E00 + (seed >> 16) % 20_000).unwrap_or('甲')
                })
                .collect()
        };
        let long = varied(MAX_PENDING / 2);
        let data = format!(
            r#"<sheetData><row><c t="inlineStr"><is><t>{long}</t></is></c></row></sheetData>"#
        );
        let bytes = package("", STYLES, None, &[&data]);
        compare(&bytes, &Limits::default(), false).unwrap();
        let fits = format!(
            r#"<sheetData><row><c t="inlineStr"><is><t>{}</t></is></c></row></sheetData>"#,
            "甲".repeat(MAX_PENDING / 4)
        );
        let bytes = package("", STYLES, None, &[&fits]);
        compare(&bytes, &Limits::default(), true).unwrap();
    }

    #[test]
    fn number_notation_and_references() {
        for ok in ["0", "-1", "1.5", "13812345678", "1E-3", "2.5e+10"] {
            assert!(plain_number(ok.as_bytes()), "{ok}");
        }
        for bad in ["", "-", ".5", "1.", "1e", "+1", "1 ", "inf", "NaN", "1e+"] {
            assert!(!plain_number(bad.as_bytes()), "{bad}");
        }
        assert_eq!(reference(b"AB12"), Some((11, Some(27))));
        assert_eq!(reference(b"12"), Some((11, None)));
        assert_eq!(reference(b"A0"), None);
        assert_eq!(reference(b"A99999999999"), None);
        assert_eq!(dimension(b"C3:A1"), Some(((2, 2), (0, 0))));
        assert_eq!(
            unescape_excel("_x005F_x000D_ _xD83D__xDE00_ _xD83D_"),
            "_x000D_ 😀 \u{FFFD}"
        );
    }
}
