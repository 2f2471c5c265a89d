//! `.ods` (OpenDocument spreadsheets, as LibreOffice and WPS save them): `content.xml` streamed with
//! quick-xml into one [`Grid`] per table.
//!
//! calamine's `Ods` parses every table when it opens the file, expands each repeated row and cell
//! into a dense range (a styled row repeated to the sheet's end is a million rows) and has no API
//! for merged cells. This reader walks `content.xml` once instead, after
//! [`crate::guard::inspect_zip`] has bounded it: positions advance by the repeat counts
//! (`table:number-rows-repeated`, `table:number-columns-repeated`) without allocating; only
//! non-empty cells are kept, each charged to the [`Budget`] (so a far-away cell or a value
//! repeated over the whole sheet is refused), and the text copied by a repeat count is charged by
//! its bytes. `table:number-columns-spanned` / `table:number-rows-spanned` are the merged areas.
//!
//! Values are read as calamine reads them (`office:value` for numbers, `office:string-value` or
//! the paragraphs' text for strings), except dates: a date cell is quoted as the file shows it
//! (its paragraphs' text, which the program wrote in the cell's own format), or as
//! 「2024年2月26日」 when the file carries no text. Paragraphs are joined by "\n"; `text:s` is
//! its count of spaces, `text:tab` a space, `text:line-break` "\n"; comments (`office:annotation`)
//! are left out.

use std::io::{BufReader, Cursor, Read};

use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};
use shuangshi_rules::Cell;

use super::{Budget, value};
use crate::grid::{Grid, Rect};
use crate::guard::{Limits, Reason, no_panic, size};

/// The longest text of one cell, as in Excel (32,767 characters).
const MAX_CELL_CHARS: usize = 32_767;

pub(crate) fn read(bytes: &[u8], limits: &Limits) -> Result<Vec<Grid>, Reason> {
    no_panic("读取 ods 表格", || {
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
            .map_err(|e| Reason::Corrupt(format!("压缩包结构损坏：{e}")))?;
        let index = (0..archive.len())
            .find(|i| {
                archive
                    .name_for_index(*i)
                    .is_some_and(|n| n.is_ok_and(|n| n.eq_ignore_ascii_case("content.xml")))
            })
            .ok_or_else(|| Reason::Corrupt("缺少内容部分 content.xml".into()))?;
        let entry = archive
            .by_index(index)
            .map_err(|e| Reason::Corrupt(format!("无法解压内容部分：{e}")))?;
        Content::new(limits).parse(BufReader::new(entry))
    })
}

/// The cell being read.
struct OdsCell {
    repeat: u64,
    span_cols: u32,
    span_rows: u32,
    kind: String,
    value: Option<String>,
    date: Option<String>,
    boolean: Option<String>,
    string: Option<String>,
    paragraphs: usize,
    text: String,
}

/// A row being read: its repeat count, next column and non-empty cells (column, value, repeat).
type OpenRow = (u64, u64, Vec<(u64, Cell, u64)>);

/// The table being read.
struct Table {
    name: String,
    place: String,
    cells: Vec<(u32, u32, Cell)>,
    merges: Vec<Rect>,
    /// The next row's index (it may pass `u32::MAX` only through empty rows).
    row: u64,
    /// The current row: its repeat count, next column and non-empty cells (column, value, repeat).
    current: Option<OpenRow>,
}

struct Content<'l> {
    budget: Budget<'l>,
    grids: Vec<Grid>,
    table: Option<Table>,
    /// Nesting of `table:table` (a table inside a cell is read as that cell's text).
    tables: usize,
    cell: Option<OdsCell>,
    /// Inside `text:p`/`text:h` of the current cell.
    in_paragraph: usize,
    /// Inside `office:annotation` (a comment) of the current cell.
    skipping: usize,
    /// Bytes copied by repeat counts, in the whole file.
    copied: u64,
}

fn attr_name(key: &str) -> &str {
    key.rsplit(':').next().unwrap_or(key)
}

fn corrupt(e: impl std::fmt::Display) -> Reason {
    Reason::Corrupt(format!("ods 表格的 content.xml 无法解析：{e}"))
}

/// A count attribute (`number-…-repeated`, `-spanned`): at least 1.
fn count(v: &str, what: &str) -> Result<u64, Reason> {
    v.trim()
        .parse::<u64>()
        .map(|n| n.max(1))
        .map_err(|_| Reason::Corrupt(format!("ods 表格中的{what}「{v}」不是整数")))
}

impl<'l> Content<'l> {
    fn new(limits: &'l Limits) -> Self {
        Content {
            budget: Budget::new(limits),
            grids: Vec::new(),
            table: None,
            tables: 0,
            cell: None,
            in_paragraph: 0,
            skipping: 0,
            copied: 0,
        }
    }

    fn parse<R: Read>(mut self, input: BufReader<R>) -> Result<Vec<Grid>, Reason> {
        let mut reader = Reader::from_reader(input);
        reader.config_mut().expand_empty_elements = true;
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match reader.read_event_into(&mut buf).map_err(corrupt)? {
                Event::Eof if self.tables > 0 => {
                    return Err(corrupt("表格没有结束，文件不完整"));
                }
                Event::Eof => break,
                Event::Start(e) => self.start(&e)?,
                Event::End(e) => self.end(e.local_name().as_ref())?,
                Event::Text(t) if self.collecting() => self.push_text(&t.xml10_content())?,
                Event::CData(t) if self.collecting() => self.push_text(&t.xml10_content())?,
                Event::GeneralRef(r) if self.collecting() => {
                    if let Ok(Some(c)) = r.resolve_char_ref() {
                        self.push_text(c.encode_utf8(&mut [0; 4]))?;
                    } else if let Some(s) = quick_xml::escape::resolve_predefined_entity(&r) {
                        self.push_text(s)?;
                    }
                }
                _ => {}
            }
        }
        Ok(self.grids)
    }

    fn collecting(&self) -> bool {
        self.cell.is_some() && self.in_paragraph > 0 && self.skipping == 0
    }

    fn push_text(&mut self, s: &str) -> Result<(), Reason> {
        if let Some(cell) = self.cell.as_mut() {
            if cell.text.len().saturating_add(s.len()) > MAX_CELL_CHARS * 4
                || cell.text.chars().count() + s.chars().count() > MAX_CELL_CHARS
            {
                let place = self.table.as_ref().map_or("", |t| t.place.as_str());
                return Err(Reason::SheetTooLarge(format!(
                    "{place}有单元格的文字超过 {MAX_CELL_CHARS} 个字符"
                )));
            }
            cell.text.push_str(s);
        }
        Ok(())
    }

    fn start(&mut self, e: &BytesStart<'_>) -> Result<(), Reason> {
        let name = e.local_name();
        let name = name.as_ref();
        if self.cell.is_some() {
            return self.start_in_cell(name, e);
        }
        match name {
            "table" => {
                self.tables += 1;
                if self.tables == 1 {
                    let mut table_name = String::new();
                    for attr in e.attributes().with_checks(false) {
                        let attr = attr.map_err(corrupt)?;
                        if attr_name(attr.key.as_ref()) == "name" {
                            table_name = attr
                                .normalized_value(XmlVersion::Implicit1_0)
                                .map_err(corrupt)?
                                .into_owned();
                        }
                    }
                    let number = self.grids.len() + 1;
                    let place = if table_name.is_empty() {
                        format!("第 {number} 个工作表")
                    } else {
                        format!("工作表「{table_name}」")
                    };
                    self.table = Some(Table {
                        name: table_name,
                        place,
                        cells: Vec::new(),
                        merges: Vec::new(),
                        row: 0,
                        current: None,
                    });
                }
            }
            "table-row" if self.tables == 1 => {
                let mut repeat = 1;
                for attr in e.attributes().with_checks(false) {
                    let attr = attr.map_err(corrupt)?;
                    if attr_name(attr.key.as_ref()) == "number-rows-repeated" {
                        repeat = count(&attr.value, "重复行数")?;
                    }
                }
                if let Some(t) = self.table.as_mut() {
                    t.current = Some((repeat, 0, Vec::new()));
                }
            }
            "table-cell" | "covered-table-cell"
                if self.tables == 1 && self.table.as_ref().is_some_and(|t| t.current.is_some()) =>
            {
                self.cell = Some(self.open_cell(e)?);
                self.in_paragraph = 0;
                self.skipping = 0;
            }
            _ => {}
        }
        Ok(())
    }

    fn open_cell(&self, e: &BytesStart<'_>) -> Result<OdsCell, Reason> {
        let mut cell = OdsCell {
            repeat: 1,
            span_cols: 1,
            span_rows: 1,
            kind: String::new(),
            value: None,
            date: None,
            boolean: None,
            string: None,
            paragraphs: 0,
            text: String::new(),
        };
        for attr in e.attributes().with_checks(false) {
            let attr = attr.map_err(corrupt)?;
            let key = attr.key.as_ref();
            let is_office = key.starts_with("office:") || !key.contains(':');
            let v = || -> Result<String, Reason> {
                Ok(attr
                    .normalized_value(XmlVersion::Implicit1_0)
                    .map_err(corrupt)?
                    .into_owned())
            };
            match attr_name(key) {
                "number-columns-repeated" => cell.repeat = count(&v()?, "重复列数")?,
                "number-columns-spanned" => {
                    cell.span_cols = u32::try_from(count(&v()?, "合并列数")?).unwrap_or(u32::MAX);
                }
                "number-rows-spanned" => {
                    cell.span_rows = u32::try_from(count(&v()?, "合并行数")?).unwrap_or(u32::MAX);
                }
                "value-type" if is_office || cell.kind.is_empty() => cell.kind = v()?,
                "value" => cell.value = Some(v()?),
                "date-value" | "time-value" => cell.date = Some(v()?),
                "boolean-value" => cell.boolean = Some(v()?),
                "string-value" => cell.string = Some(v()?),
                _ => {}
            }
        }
        Ok(cell)
    }

    fn start_in_cell(&mut self, name: &str, e: &BytesStart<'_>) -> Result<(), Reason> {
        // A comment, or a table inside the cell (its cells are not the sheet's).
        if self.skipping > 0 || name == "annotation" || name == "table" {
            self.skipping += 1;
            return Ok(());
        }
        match name {
            "p" | "h" => {
                if self.in_paragraph == 0
                    && let Some(cell) = self.cell.as_mut()
                {
                    cell.paragraphs += 1;
                    if cell.paragraphs > 1 {
                        self.push_text("\n")?;
                    }
                }
                self.in_paragraph += 1;
            }
            "s" if self.collecting() => {
                let mut n = 1u64;
                for attr in e.attributes().with_checks(false) {
                    let attr = attr.map_err(corrupt)?;
                    if attr_name(attr.key.as_ref()) == "c" {
                        n = count(&attr.value, "空格数")?;
                    }
                }
                let n = usize::try_from(n)
                    .unwrap_or(usize::MAX)
                    .min(MAX_CELL_CHARS + 1);
                self.push_text(&" ".repeat(n))?;
            }
            "tab" if self.collecting() => self.push_text(" ")?,
            "line-break" if self.collecting() => self.push_text("\n")?,
            _ => {}
        }
        Ok(())
    }

    fn end(&mut self, name: &str) -> Result<(), Reason> {
        if self.cell.is_some() {
            if self.skipping > 0 {
                self.skipping -= 1;
                return Ok(());
            }
            match name {
                "p" | "h" => self.in_paragraph = self.in_paragraph.saturating_sub(1),
                "table-cell" | "covered-table-cell" if self.in_paragraph == 0 => {
                    self.close_cell()?;
                }
                _ => {}
            }
            return Ok(());
        }
        match name {
            "table-row" if self.tables == 1 => self.close_row()?,
            "table" => {
                if self.tables == 1
                    && let Some(t) = self.table.take()
                {
                    let grid = self
                        .budget
                        .grid(Some(t.name), &t.place, t.cells, t.merges)?;
                    self.grids.push(grid);
                }
                self.tables = self.tables.saturating_sub(1);
            }
            _ => {}
        }
        Ok(())
    }

    fn close_cell(&mut self) -> Result<(), Reason> {
        let Some(cell) = self.cell.take() else {
            return Ok(());
        };
        let Some(table) = self.table.as_mut() else {
            return Ok(());
        };
        let Some((_, col, cells)) = table.current.as_mut() else {
            return Ok(());
        };
        let at = *col;
        *col = col.saturating_add(cell.repeat);
        let (repeat, span_cols, span_rows) = (cell.repeat, cell.span_cols, cell.span_rows);
        let Some(value) = cell_value(cell)?.filter(|v| !v.is_empty()) else {
            return Ok(());
        };
        if (span_cols > 1 || span_rows > 1)
            && let (Ok(first_row), Ok(first_col)) = (u32::try_from(table.row), u32::try_from(at))
        {
            table.merges.push(Rect {
                first_row,
                first_col,
                last_row: first_row.saturating_add(span_rows - 1),
                last_col: first_col.saturating_add(span_cols - 1),
            });
        }
        cells.push((at, value, repeat));
        Ok(())
    }

    fn close_row(&mut self) -> Result<(), Reason> {
        let Some(table) = self.table.as_mut() else {
            return Ok(());
        };
        let Some((repeat, _, cells)) = table.current.take() else {
            return Ok(());
        };
        let first = table.row;
        table.row = table.row.saturating_add(repeat);
        let limits = *self.budget.limits();
        for r in 0..repeat {
            let row = first.saturating_add(r);
            for (col, value, col_repeat) in &cells {
                for k in 0..*col_repeat {
                    let col = col.saturating_add(k);
                    let (Ok(row32), Ok(col32)) = (u32::try_from(row), u32::try_from(col)) else {
                        return Err(Reason::SheetTooLarge(format!(
                            "{}在第 {} 行第 {} 列有内容，超出范围（最多 {} 行、{} 列）",
                            table.place,
                            row.saturating_add(1),
                            col.saturating_add(1),
                            limits.max_rows,
                            limits.max_cols
                        )));
                    };
                    self.budget.cell(&table.place, row32, col32)?;
                    if r > 0 || k > 0 {
                        let bytes = (value.raw.len() + value.norm().len()) as u64;
                        self.copied = self.copied.saturating_add(bytes);
                        if self.copied > limits.max_merge_bytes {
                            return Err(Reason::SheetTooLarge(format!(
                                "重复的单元格文字超过 {}（读到{}时）",
                                size(limits.max_merge_bytes),
                                table.place
                            )));
                        }
                    }
                    table.cells.push((row32, col32, value.clone()));
                }
            }
        }
        Ok(())
    }
}

/// The value of a finished cell, `None` when it is empty.
fn cell_value(cell: OdsCell) -> Result<Option<Cell>, Reason> {
    let text = cell.text;
    Ok(match cell.kind.as_str() {
        "float" | "percentage" | "currency" => match cell.value {
            Some(v) => {
                let f: f64 = v
                    .trim()
                    .parse()
                    .map_err(|_| Reason::Corrupt(format!("ods 表格中的数值「{v}」无法识别")))?;
                Some(value::number(f))
            }
            None => (!text.is_empty()).then(|| Cell::text(text)),
        },
        "date" | "time" => {
            if text.trim().is_empty() {
                cell.date.map(|d| value::iso_as_written(&d))
            } else {
                Some(value::shown(text))
            }
        }
        "boolean" => cell
            .boolean
            .map(|b| value::boolean(b.eq_ignore_ascii_case("true") || b == "1")),
        _ => match cell.string {
            Some(s) if !s.is_empty() => Some(Cell::text(s)),
            _ => (!text.is_empty()).then(|| Cell::text(text)),
        },
    })
}
