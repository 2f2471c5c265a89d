//! `.docx`: `word/document.xml` streamed with quick-xml into one [`Grid`] (name `None`).
//!
//! The body in document order: a paragraph outside tables is a row with one cell at column 0 (empty
//! paragraphs make no row); a table row (`w:tr`) is a row whose cells (`w:tc`) hold the text of
//! their paragraphs joined by "\n". `w:gridSpan` advances the column by its span and records a
//! merged area; a `w:vMerge` continuation records (or extends) a vertical merged area from the cell
//! above, so it takes that cell's value. `w:gridBefore` skips leading grid columns. Nested tables
//! (and text boxes) are flattened into the text of the cell or paragraph holding them. Run
//! content: `w:t` text, `w:tab` → space, `w:br`/`w:cr` → "\n", `w:noBreakHyphen` → "-"; deleted
//! text, field codes and `mc:Fallback` duplicates are left out. Rows get consecutive indices
//! (every table row takes one, even if empty).

use std::collections::HashMap;
use std::io::{BufReader, Cursor, Read};

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use shuangshi_rules::Cell;

use super::Budget;
use crate::grid::{Grid, Rect};
use crate::guard::{Limits, Reason, no_panic};

const PLACE: &str = "Word 文档";

/// Cells (row, column, value) and merged areas, as [`Budget::grid`] takes them.
type Parsed = (Vec<(u32, u32, Cell)>, Vec<Rect>);

pub(crate) fn read(bytes: &[u8], limits: &Limits) -> Result<Vec<Grid>, Reason> {
    no_panic("读取 Word 文档", || {
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
            .map_err(|e| Reason::Corrupt(format!("压缩包结构损坏：{e}")))?;
        let index = archive
            .index_for_name("word/document.xml")
            .or_else(|| {
                (0..archive.len()).find(|i| {
                    archive.name_for_index(*i).is_some_and(|n| {
                        n.is_ok_and(|n| {
                            n.replace('\\', "/")
                                .eq_ignore_ascii_case("word/document.xml")
                        })
                    })
                })
            })
            .ok_or_else(|| Reason::Corrupt("缺少正文部分 word/document.xml".into()))?;
        let entry = archive
            .by_index(index)
            .map_err(|e| Reason::Corrupt(format!("无法解压正文部分：{e}")))?;
        let mut budget = Budget::new(limits);
        let (cells, merges) = Body::new(&mut budget).parse(BufReader::new(entry))?;
        Ok(vec![budget.grid(None, PLACE, cells, merges)?])
    })
}

/// A `w:vMerge` column that later rows may continue.
struct Origin {
    first_row: u32,
    last_col: u32,
    /// The merged area already recorded for it (by `w:gridSpan` or an earlier continuation).
    merge: Option<usize>,
}

#[derive(Clone, Copy, PartialEq)]
enum VMerge {
    No,
    Restart,
    Continue,
}

struct TableCell {
    span: u32,
    vmerge: VMerge,
    paragraphs: Vec<String>,
}

struct Body<'b, 'l> {
    budget: &'b mut Budget<'l>,
    cells: Vec<(u32, u32, Cell)>,
    merges: Vec<Rect>,
    next_row: u32,
    /// Nesting of `w:tbl`; only the outermost table's structure is kept.
    tables: usize,
    /// Nesting of `w:p` (a text box puts paragraphs inside a paragraph).
    paragraphs: usize,
    runs: usize,
    in_text: bool,
    /// Inside `mc:Fallback` (a duplicate of the `mc:Choice` content).
    skipping: usize,
    text: String,
    /// The current outer table row: its index and the next grid column.
    row: Option<(u32, u32)>,
    cell: Option<TableCell>,
    origins: HashMap<u32, Origin>,
}

impl<'b, 'l> Body<'b, 'l> {
    fn new(budget: &'b mut Budget<'l>) -> Self {
        Body {
            budget,
            cells: Vec::new(),
            merges: Vec::new(),
            next_row: 0,
            tables: 0,
            paragraphs: 0,
            runs: 0,
            in_text: false,
            skipping: 0,
            text: String::new(),
            row: None,
            cell: None,
            origins: HashMap::new(),
        }
    }

    fn parse<R: Read>(mut self, input: BufReader<R>) -> Result<Parsed, Reason> {
        let mut reader = Reader::from_reader(input);
        reader.config_mut().expand_empty_elements = true;
        let mut buf = Vec::new();
        loop {
            buf.clear();
            let event = reader
                .read_event_into(&mut buf)
                .map_err(|e| Reason::Corrupt(format!("Word 文档的 XML 无法解析：{e}")))?;
            match event {
                Event::Eof => break,
                Event::Start(e) => self.start(&e)?,
                Event::End(e) => {
                    let name = e.local_name();
                    self.end(name.as_ref())?;
                }
                Event::Text(t) if self.collecting() => self.text.push_str(&t.xml10_content()),
                Event::CData(t) if self.collecting() => self.text.push_str(&t.xml10_content()),
                Event::GeneralRef(r) if self.collecting() => {
                    if let Ok(Some(c)) = r.resolve_char_ref() {
                        self.text.push(c);
                    } else if let Some(s) = quick_xml::escape::resolve_predefined_entity(&r) {
                        self.text.push_str(s);
                    }
                }
                _ => {}
            }
        }
        Ok((self.cells, self.merges))
    }

    fn collecting(&self) -> bool {
        self.in_text && self.paragraphs > 0 && self.skipping == 0
    }

    /// The outer table's structure counts only outside paragraphs (not in a text box).
    fn structural(&self) -> bool {
        self.tables == 1 && self.paragraphs == 0
    }

    fn start(&mut self, e: &BytesStart<'_>) -> Result<(), Reason> {
        let name = e.local_name();
        let name = name.as_ref();
        if self.skipping > 0 {
            if name == "Fallback" {
                self.skipping += 1;
            }
            return Ok(());
        }
        match name {
            "Fallback" => self.skipping = 1,
            "tbl" => {
                self.tables += 1;
                if self.tables == 1 && self.paragraphs == 0 {
                    self.origins.clear();
                }
            }
            "tr" if self.structural() => {
                self.row = Some((self.next_row, 0));
                self.next_row = self.next_row.saturating_add(1);
            }
            "gridBefore" if self.structural() && self.cell.is_none() => {
                if let Some((_, col)) = self.row.as_mut() {
                    *col = col.saturating_add(val(e).and_then(|v| v.parse().ok()).unwrap_or(0));
                }
            }
            "tc" if self.structural() && self.row.is_some() => {
                self.cell = Some(TableCell {
                    span: 1,
                    vmerge: VMerge::No,
                    paragraphs: Vec::new(),
                });
            }
            "gridSpan" if self.structural() => {
                if let Some(cell) = self.cell.as_mut() {
                    cell.span = val(e).and_then(|v| v.parse().ok()).unwrap_or(1).max(1);
                }
            }
            "vMerge" if self.structural() => {
                if let Some(cell) = self.cell.as_mut() {
                    cell.vmerge = match val(e).as_deref() {
                        Some("restart") => VMerge::Restart,
                        _ => VMerge::Continue,
                    };
                }
            }
            "p" => {
                self.paragraphs += 1;
                if self.paragraphs == 1 {
                    self.text.clear();
                }
            }
            "r" => self.runs += 1,
            "t" if self.paragraphs > 0 => self.in_text = true,
            "tab" if self.runs > 0 && self.paragraphs > 0 => self.text.push(' '),
            "br" | "cr" if self.runs > 0 && self.paragraphs > 0 => self.text.push('\n'),
            "noBreakHyphen" if self.runs > 0 && self.paragraphs > 0 => self.text.push('-'),
            _ => {}
        }
        Ok(())
    }

    fn end(&mut self, name: &str) -> Result<(), Reason> {
        if self.skipping > 0 {
            if name == "Fallback" {
                self.skipping -= 1;
            }
            return Ok(());
        }
        match name {
            "t" => self.in_text = false,
            "r" => self.runs = self.runs.saturating_sub(1),
            "p" => {
                self.paragraphs = self.paragraphs.saturating_sub(1);
                if self.paragraphs == 0 {
                    self.end_paragraph()?;
                }
            }
            "tc" if self.structural() => self.end_cell()?,
            "tr" if self.structural() => self.row = None,
            "tbl" => {
                if self.tables == 1 && self.paragraphs == 0 {
                    self.origins.clear();
                    self.row = None;
                    self.cell = None;
                }
                self.tables = self.tables.saturating_sub(1);
            }
            _ => {}
        }
        Ok(())
    }

    fn end_paragraph(&mut self) -> Result<(), Reason> {
        let text = std::mem::take(&mut self.text);
        if self.tables == 0 {
            let cell = Cell::text(text);
            if !cell.is_empty() {
                let row = self.next_row;
                self.next_row = self.next_row.saturating_add(1);
                self.budget.cell(PLACE, row, 0)?;
                self.cells.push((row, 0, cell));
            }
        } else if let Some(cell) = self.cell.as_mut() {
            cell.paragraphs.push(text);
        }
        Ok(())
    }

    fn end_cell(&mut self) -> Result<(), Reason> {
        let (Some(cell), Some((row, col))) = (self.cell.take(), self.row) else {
            return Ok(());
        };
        let first = col;
        let last = first.saturating_add(cell.span - 1);
        self.row = Some((row, last.saturating_add(1)));
        let max_cols = self.budget.limits().max_cols;
        if last >= max_cols {
            return Err(Reason::SheetTooLarge(format!(
                "{PLACE}表格第 {} 行超过 {max_cols} 列",
                u64::from(row) + 1
            )));
        }
        if cell.vmerge == VMerge::Continue {
            // Stands for the cell above: extend (or record) the vertical merged area.
            if let Some(origin) = self.origins.get_mut(&first) {
                match origin.merge.and_then(|i| self.merges.get_mut(i)) {
                    Some(m) => m.last_row = row,
                    None => {
                        self.merges.push(Rect {
                            first_row: origin.first_row,
                            first_col: first,
                            last_row: row,
                            last_col: origin.last_col,
                        });
                        origin.merge = Some(self.merges.len() - 1);
                    }
                }
            }
            return Ok(());
        }
        self.origins.retain(|c, _| !(first..=last).contains(c));
        let mut merge = None;
        if last > first {
            self.merges.push(Rect {
                first_row: row,
                first_col: first,
                last_row: row,
                last_col: last,
            });
            merge = Some(self.merges.len() - 1);
        }
        self.origins.insert(
            first,
            Origin {
                first_row: row,
                last_col: last,
                merge,
            },
        );
        let parts: Vec<&str> = cell
            .paragraphs
            .iter()
            .map(|p| p.as_str())
            .filter(|p| !p.trim().is_empty())
            .collect();
        let value = Cell::text(parts.join("\n"));
        if !value.is_empty() {
            self.budget.cell(PLACE, row, first)?;
            self.cells.push((row, first, value));
        }
        Ok(())
    }
}

/// The `w:val` attribute.
fn val(e: &BytesStart<'_>) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == "val")
        .map(|a| a.value.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Grid {
        let xml = format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"><w:body>{body}</w:body></w:document>"#
        );
        let limits = Limits::default();
        let mut budget = Budget::new(&limits);
        let (cells, merges) = Body::new(&mut budget)
            .parse(BufReader::new(xml.as_bytes()))
            .unwrap();
        budget.grid(None, PLACE, cells, merges).unwrap()
    }

    fn at(g: &Grid, r: u32, c: u32) -> Option<&str> {
        g.get(r, c).map(|c| c.raw.as_str())
    }

    #[test]
    fn runs_tabs_breaks_and_entities() {
        let g = parse(
            r#"<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr><w:r><w:t xml:space="preserve">A &amp; B</w:t><w:tab/><w:t>&#20013;</w:t><w:br/><w:t>x</w:t></w:r><w:del><w:r><w:delText>gone</w:delText></w:r></w:del><w:r><w:instrText>PAGE</w:instrText></w:r></w:p><w:p/><w:p><w:r><w:t>  </w:t></w:r></w:p><w:p><w:r><w:t>二</w:t></w:r></w:p>"#,
        );
        assert_eq!(at(&g, 0, 0), Some("A & B 中\nx"));
        assert_eq!(at(&g, 1, 0), Some("二"));
        assert_eq!(g.rows.len(), 2);
    }

    #[test]
    fn fallback_content_is_not_read_twice() {
        let g = parse(
            r#"<w:p><w:r><mc:AlternateContent><mc:Choice><w:drawing><w:txbxContent><w:p><w:r><w:t>框</w:t></w:r></w:p></w:txbxContent></w:drawing></mc:Choice><mc:Fallback><w:pict><w:txbxContent><w:p><w:r><w:t>框</w:t></w:r></w:p></w:txbxContent></w:pict></mc:Fallback></mc:AlternateContent></w:r><w:r><w:t>外</w:t></w:r></w:p>"#,
        );
        assert_eq!(at(&g, 0, 0), Some("框外"));
    }

    #[test]
    fn grid_before_and_nested_tables() {
        let g = parse(
            r#"<w:tbl><w:tr><w:trPr><w:gridBefore w:val="1"/></w:trPr><w:tc><w:p><w:r><w:t>b</w:t></w:r></w:p><w:tbl><w:tr><w:tc><w:p><w:r><w:t>内</w:t></w:r></w:p></w:tc><w:tc><w:tcPr><w:gridSpan w:val="9"/></w:tcPr><w:p><w:r><w:t>表</w:t></w:r></w:p></w:tc></w:tr></w:tbl></w:tc><w:tc><w:p><w:r><w:t>c</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"#,
        );
        assert_eq!(at(&g, 0, 1), Some("b\n内\n表"));
        assert_eq!(at(&g, 0, 2), Some("c"));
        assert!(g.merges.is_empty());
    }

    #[test]
    fn a_huge_grid_span_is_refused() {
        let xml = r#"<w:document xmlns:w="w"><w:body><w:tbl><w:tr><w:tc><w:tcPr><w:gridSpan w:val="4000000000"/></w:tcPr><w:p/></w:tc></w:tr></w:tbl></w:body></w:document>"#;
        let limits = Limits::default();
        let mut budget = Budget::new(&limits);
        let got = Body::new(&mut budget).parse(BufReader::new(xml.as_bytes()));
        assert!(matches!(got, Err(Reason::SheetTooLarge(_))));
    }
}
