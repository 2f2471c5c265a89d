//! `.xlsx` through calamine's streaming cell reader, when [`super::direct`] steps aside.
//!
//! `worksheet_range` would allocate the bounding box of the used cells densely (calamine #593): one
//! value at XFD1048576 costs gigabytes. Instead each sheet's declared `<dimension>` is checked
//! first, then cells are streamed one by one, each charged to the [`Budget`]. Runs only after
//! [`crate::guard::inspect_zip`] has bounded every XML part; the merged areas were collected in
//! that pass ([`MergeScan`]), so a sheet's XML is parsed once. The part each sheet is read from is
//! found here the way calamine finds it (`_rels/.rels`, the workbook's relationships, `<sheet>`).

use std::collections::HashMap;
use std::io::{BufReader, Cursor, Read};

use calamine::{Reader, Sheet, SheetType, Xlsx, XlsxError};
use quick_xml::events::{BytesStart, Event};
use zip::ZipArchive;

use super::merges::{MergeScan, RawAttrs, part_key};
use super::{Budget, Rows, rect, value};
use crate::grid::Grid;
use crate::guard::{Limits, Reason, no_panic};

/// Set to `calamine` to read every xlsx file with calamine alone (to compare the two readers on a
/// file that reads wrong).
pub const READER_VARIABLE: &str = "SHUANGSHI_XLSX_READER";

pub(crate) fn read(bytes: &[u8], limits: &Limits, merges: MergeScan) -> Result<Vec<Grid>, Reason> {
    no_panic("读取 xlsx 工作簿", || {
        if std::env::var_os(READER_VARIABLE).is_some_and(|v| v == "calamine") {
            return read_workbook(bytes, limits, merges);
        }
        match super::direct::read(bytes, limits, &merges) {
            Some(read) => read,
            None => read_workbook(bytes, limits, merges),
        }
    })
}

/// [`read`] through calamine alone, for comparing the two readers.
#[cfg(test)]
pub(crate) fn read_with_calamine(
    bytes: &[u8],
    limits: &Limits,
    merges: MergeScan,
) -> Result<Vec<Grid>, Reason> {
    no_panic("读取 xlsx 工作簿", || {
        read_workbook(bytes, limits, merges)
    })
}

fn read_workbook(bytes: &[u8], limits: &Limits, mut scan: MergeScan) -> Result<Vec<Grid>, Reason> {
    let mut book: Xlsx<Cursor<&[u8]>> =
        Xlsx::new(Cursor::new(bytes)).map_err(|e| corrupt("工作簿", e))?;
    // The part of each sheet, when found as calamine found it (else calamine reads the merges).
    let parts = sheet_parts(bytes, book.sheets_metadata());
    let names: Vec<(String, Option<String>)> = book
        .sheets_metadata()
        .iter()
        .enumerate()
        .filter(|(_, s)| s.typ == SheetType::WorkSheet)
        .map(|(i, s)| {
            let part = parts.as_ref().and_then(|p| p.get(i).cloned());
            (s.name.clone(), part)
        })
        .collect();
    let mut budget = Budget::new(limits);
    let mut grids = Vec::with_capacity(names.len());
    for (name, part) in names {
        let place = format!("工作表「{name}」");
        let mut cells = Rows::default();
        {
            let mut reader = book
                .worksheet_cells_reader(&name)
                .map_err(|e| corrupt(&place, e))?;
            let declared = reader.dimensions();
            budget.declared(&place, declared.start, declared.end)?;
            while let Some((cell, style)) = reader
                .next_cell_with_style_id()
                .map_err(|e| corrupt(&place, e))?
            {
                let value = match cell.get_value() {
                    // A date is quoted in the cell's own number format.
                    calamine::DataRef::DateTime(d) => {
                        let format = reader
                            .styles()
                            .get(style)
                            .and_then(|s| s.number_format.as_ref())
                            .map(|f| f.format_code.as_str());
                        Some(value::date_time_as_written(d, format))
                    }
                    other => value::from_data_ref(other),
                };
                let Some(value) = value else {
                    continue;
                };
                if value.is_empty() {
                    continue;
                }
                let (row, col) = cell.get_position();
                budget.cell(&place, row, col)?;
                cells.push(row, col, value);
            }
        }
        let merges = match part.and_then(|p| scan.take(&p)) {
            Some(Ok(merges)) => merges,
            Some(Err(why)) => return Err(Reason::Corrupt(format!("无法解析{place}：{why}"))),
            None => book
                .merge_cells_by_sheet_name(&name)
                .map_err(|e| corrupt(&place, e))?
                .iter()
                .map(rect)
                .collect(),
        };
        grids.push(budget.grid_from_rows(Some(name), &place, cells, merges)?);
    }
    Ok(grids)
}

/// The part each sheet of `sheets` (calamine's list, in order) is read from, found as calamine
/// finds it. `None` when anything is unexpected, or the sheets found are not calamine's.
fn sheet_parts(bytes: &[u8], sheets: &[Sheet]) -> Option<Vec<String>> {
    let book = Book::discover(bytes)?;
    let same = book.sheets.len() == sheets.len()
        && book
            .sheets
            .iter()
            .zip(sheets)
            .all(|(found, s)| found.name == s.name && found.typ == s.typ);
    same.then(|| book.sheets.into_iter().map(|s| s.part).collect())
}

/// One sheet of a workbook, as its `<sheet>` element and the relationships name it.
pub(super) struct BookSheet {
    pub(super) name: String,
    pub(super) typ: SheetType,
    /// The part it is read from, as calamine names it (before the zip's path cache).
    pub(super) part: String,
}

/// What calamine learns about a workbook before reading a sheet, found as calamine finds it.
pub(super) struct Book {
    /// calamine's zip path cache: names with `\` as `/`, in ASCII lower case → the entry's name.
    pub(super) names: HashMap<String, String>,
    /// The folder of the workbook part (`xl/`), where calamine looks for the shared strings and styles.
    pub(super) dir: String,
    pub(super) sheets: Vec<BookSheet>,
    /// `<workbookPr date1904="1">`: serial numbers count from 1904.
    pub(super) date1904: bool,
}

impl Book {
    /// `None` when anything is unexpected (a part missing or unreadable, a relationship not found,
    /// a sheet state or type calamine does not know).
    pub(super) fn discover(bytes: &[u8]) -> Option<Book> {
        Book::discover_in(&mut Parts::new(bytes, None)?)
    }

    /// [`Book::discover`] from the parts of an archive already opened.
    pub(super) fn discover_in(parts: &mut Parts<'_, '_>) -> Option<Book> {
        let mut names: HashMap<String, String> = HashMap::new();
        for name in parts.zip.file_names() {
            let name = name.ok()?;
            names.insert(part_key(&name), name.into_owned());
        }
        let mut each_start = |path: &str, f: &mut dyn FnMut(&BytesStart<'_>) -> Option<()>| {
            let name = entry_name(&names, path);
            for_each_start(parts.open(name)?, f)
        };

        // The workbook part, from the package relationships.
        let mut target = None;
        each_start("_rels/.rels", &mut |e| {
            if e.local_name().as_ref() == "Relationship" {
                let (typ, t) = two_attrs(e, b"Type", b"Target")?;
                if typ.is_some_and(|t| t.ends_with("/relationships/officeDocument"))
                    && let Some(t) = t
                {
                    target = Some(quick_xml::escape::unescape(t).ok()?.into_owned());
                }
            }
            Some(())
        })?;
        let target = target?;
        let (dir, file) = target.split_at(target.rfind('/').map_or(0, |i| i + 1));
        let dir = dir.strip_prefix('/').unwrap_or(dir);
        let file = if file.is_empty() {
            "workbook.xml"
        } else {
            file
        };

        // The workbook's relationships: id → (target, type).
        let mut rels: HashMap<String, (String, String)> = HashMap::new();
        each_start(&format!("{dir}_rels/{file}.rels"), &mut |e| {
            if e.local_name().as_ref() == "Relationship" {
                let mut attrs = [None; 3];
                for attr in RawAttrs::new(e.attributes_raw().as_bytes()) {
                    let (k, v) = attr.ok()?;
                    let slot = match k {
                        b"Id" => 0,
                        b"Type" => 1,
                        b"Target" => 2,
                        _ => continue,
                    };
                    attrs[slot] = Some(std::str::from_utf8(v).ok()?);
                    if attrs.iter().all(Option::is_some) {
                        break;
                    }
                }
                if let [Some(id), typ, target] = attrs {
                    rels.insert(
                        id.to_string(),
                        (
                            target.unwrap_or_default().to_string(),
                            typ.unwrap_or_default().to_string(),
                        ),
                    );
                }
            }
            Some(())
        })?;

        // The sheets, in order, and the date system.
        let mut sheets = Vec::new();
        let mut date1904 = false;
        each_start(&format!("{dir}{file}"), &mut |e| {
            match e.local_name().as_ref() {
                "sheet" => {
                    let (mut name, mut id) = (String::new(), "");
                    for attr in RawAttrs::new(e.attributes_raw().as_bytes()) {
                        let (k, v) = attr.ok()?;
                        let v = std::str::from_utf8(v).ok()?;
                        match k {
                            b"name" => name = quick_xml::escape::unescape(v).ok()?.into_owned(),
                            b"state" if !matches!(v, "visible" | "hidden" | "veryHidden") => {
                                return None;
                            }
                            b"state" => {}
                            k if k == b"id" || k.ends_with(b":id") => id = v,
                            _ => {}
                        }
                    }
                    let (target, typ) = rels.get(id)?;
                    let part = match target.strip_prefix('/') {
                        Some(absolute) => absolute.to_string(),
                        None => format!("{dir}{target}"),
                    };
                    let typ = match typ.rsplit('/').next() {
                        Some("worksheet") => SheetType::WorkSheet,
                        Some("chartsheet") => SheetType::ChartSheet,
                        Some("dialogsheet") => SheetType::DialogSheet,
                        _ => return None,
                    };
                    sheets.push(BookSheet { name, typ, part });
                }
                "workbookPr" => {
                    for attr in RawAttrs::new(e.attributes_raw().as_bytes()) {
                        let (k, v) = attr.ok()?;
                        if k == b"date1904" {
                            date1904 = v == b"1" || v == b"true";
                            break;
                        }
                    }
                }
                _ => {}
            }
            Some(())
        })?;
        Some(Book {
            names,
            dir: dir.to_string(),
            sheets,
            date1904,
        })
    }

    /// The zip entry calamine opens for `path`.
    pub(super) fn entry<'a>(&'a self, path: &'a str) -> &'a str {
        entry_name(&self.names, path)
    }
}

/// The parts of an xlsx archive: those the guard's pass kept whole read from memory, the others
/// inflated from the zip.
pub(super) struct Parts<'b, 's> {
    pub(super) zip: ZipArchive<Cursor<&'b [u8]>>,
    kept: Option<&'s MergeScan>,
}

/// One part, being read.
pub(super) enum Part<'p, 'b> {
    Kept(&'p [u8]),
    Zip(zip::read::ZipFile<'p, Cursor<&'b [u8]>>),
}

impl Read for Part<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Part::Kept(bytes) => bytes.read(buf),
            Part::Zip(file) => file.read(buf),
        }
    }
}

impl<'b, 's> Parts<'b, 's> {
    pub(super) fn new(bytes: &'b [u8], kept: Option<&'s MergeScan>) -> Option<Parts<'b, 's>> {
        Some(Parts {
            zip: ZipArchive::new(Cursor::new(bytes)).ok()?,
            kept,
        })
    }

    /// The zip entry named `name`; `None` when it is missing or cannot be opened.
    pub(super) fn open(&mut self, name: &str) -> Option<Part<'_, 'b>> {
        if let Some(bytes) = self.kept.and_then(|k| k.kept(name)) {
            return Some(Part::Kept(bytes));
        }
        self.zip.by_name(name).ok().map(Part::Zip)
    }
}

/// calamine's `cached_zip_path`: the path in ASCII lower case looked up in the cache, else itself.
fn entry_name<'a>(names: &'a HashMap<String, String>, path: &'a str) -> &'a str {
    names
        .get(&path.to_ascii_lowercase())
        .map_or(path, String::as_str)
}

/// The values of two attributes, as calamine's `get_attrs!` reads them.
fn two_attrs<'e>(
    e: &'e BytesStart<'_>,
    a: &[u8],
    b: &[u8],
) -> Option<(Option<&'e str>, Option<&'e str>)> {
    let (mut x, mut y) = (None, None);
    for attr in RawAttrs::new(e.attributes_raw().as_bytes()) {
        let (k, v) = attr.ok()?;
        let v = std::str::from_utf8(v).ok()?;
        if k == a {
            x = Some(v);
        } else if k == b {
            y = Some(v);
        }
        if x.is_some() && y.is_some() {
            break;
        }
    }
    Some((x, y))
}

/// Calls `f` on every start tag of a part (empty tags included), read as calamine reads parts.
pub(super) fn for_each_start(
    part: impl Read,
    f: &mut dyn FnMut(&BytesStart<'_>) -> Option<()>,
) -> Option<()> {
    let mut reader = super::direct::xml_reader(BufReader::new(part));
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_event_into(&mut buf).ok()? {
            Event::Start(e) => f(&e)?,
            Event::Eof => return Some(()),
            _ => {}
        }
    }
}

fn corrupt(place: &str, e: XlsxError) -> Reason {
    match e {
        XlsxError::Password => Reason::Encrypted,
        XlsxError::Zip(e) => Reason::Corrupt(format!("读取{place}时压缩包出错：{e}")),
        XlsxError::Xml(e) => Reason::Corrupt(format!("{place}的 XML 无法解析：{e}")),
        XlsxError::FileNotFound(part) => {
            Reason::Corrupt(format!("读取{place}时缺少内部文件「{part}」"))
        }
        e => Reason::Corrupt(format!("无法解析{place}：{e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guard::inspect_zip_with;
    use rust_xlsxwriter::{Chart, ChartType, Format, Workbook};

    /// The merges found in the guard's pass are calamine's, for every worksheet.
    #[test]
    fn merges_from_the_guard_pass_are_calamines() {
        let mut wb = Workbook::new();
        let a = wb.add_worksheet();
        a.set_name("甲 & <乙>").unwrap();
        a.merge_range(0, 0, 0, 15, "标题", &Format::new()).unwrap();
        a.merge_range(3, 2, 9, 4, "", &Format::new()).unwrap();
        for r in 10..2000 {
            a.write_string(r, 0, "x").unwrap();
            a.merge_range(r, 1, r, 3, "合并", &Format::new()).unwrap();
        }
        let mut chart = Chart::new(ChartType::Column);
        chart.add_series().set_values("'甲 & <乙>'!$A$1:$A$3");
        wb.add_chartsheet().insert_chart(0, 0, &chart).unwrap();
        let b = wb.add_worksheet();
        b.write_string(0, 0, "无合并").unwrap();
        let bytes = wb.save_to_buffer().unwrap();

        let mut scan = MergeScan::default();
        inspect_zip_with(&bytes, &Limits::default(), &mut scan).unwrap();
        let mut book: Xlsx<Cursor<&[u8]>> = Xlsx::new(Cursor::new(&bytes[..])).unwrap();
        let sheets = book.sheets_metadata().to_vec();
        let parts = sheet_parts(&bytes, &sheets).expect("the parts are found");
        assert_eq!(parts.len(), 3);
        for (sheet, part) in sheets.iter().zip(parts) {
            if sheet.typ != SheetType::WorkSheet {
                continue;
            }
            let ours = scan.take(&part).expect("the part was scanned").unwrap();
            let theirs: Vec<_> = book
                .merge_cells_by_sheet_name(&sheet.name)
                .unwrap()
                .iter()
                .map(rect)
                .collect();
            assert_eq!(ours, theirs, "{}", sheet.name);
        }
    }

    /// Copies a zip, renaming entries and changing their text.
    fn rewrite(bytes: &[u8], f: impl Fn(&str, String) -> (String, String)) -> Vec<u8> {
        use std::io::Write;
        let mut archive = ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for i in 0..archive.len() {
            let mut entry = archive.by_index(i).unwrap();
            let name = entry.name().unwrap().to_string();
            let mut text = String::new();
            entry.read_to_string(&mut text).unwrap();
            let (name, text) = f(&name, text);
            w.start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(text.as_bytes()).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    fn merged_sheet() -> Vec<u8> {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        ws.merge_range(0, 0, 0, 3, "标题", &Format::new()).unwrap();
        ws.write_string(1, 0, "x").unwrap();
        wb.save_to_buffer().unwrap()
    }

    fn title(bytes: &[u8]) -> Result<Vec<Grid>, Reason> {
        let mut scan = MergeScan::default();
        inspect_zip_with(bytes, &Limits::default(), &mut scan)?;
        read(bytes, &Limits::default(), scan)
    }

    #[test]
    fn a_sheet_part_the_guard_did_not_scan_gets_its_merges_from_calamine() {
        // A part calamine reads but whose name does not end in .xml, with an absolute target.
        let bytes = rewrite(&merged_sheet(), |name, text| {
            let text = text.replace(
                "Target=\"worksheets/sheet1.xml\"",
                "Target=\"/xl/worksheets/sheet1.data\"",
            );
            match name {
                "xl/worksheets/sheet1.xml" => ("xl/worksheets/sheet1.data".into(), text),
                _ => (name.into(), text),
            }
        });
        let grids = title(&bytes).unwrap();
        assert_eq!(
            grids[0].get(0, 3).map(|c| c.raw.as_str()),
            Some("标题"),
            "{grids:?}"
        );
    }

    #[test]
    fn merges_under_a_prefix_are_read_and_a_bad_one_is_corrupt() {
        let prefixed = rewrite(&merged_sheet(), |name, text| {
            let text = text
                .replace("<mergeCells", "<x:mergeCells xmlns:x=\"urn:x\"")
                .replace("</mergeCells>", "</x:mergeCells>")
                .replace("<mergeCell ", "<x:mergeCell ");
            (name.into(), text)
        });
        let grids = title(&prefixed).unwrap();
        assert_eq!(grids[0].get(0, 3).map(|c| c.raw.as_str()), Some("标题"));
        let bad = rewrite(&merged_sheet(), |name, text| {
            (name.into(), text.replace("ref=\"A1:D1\"", "ref=\"A1:D$1\""))
        });
        assert!(
            matches!(title(&bad), Err(Reason::Corrupt(m)) if m.contains("A1:D$1")),
            "{:?}",
            title(&bad)
        );
    }
}
