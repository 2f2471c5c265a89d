//! Files to [`Grid`]s: the entry points, and the budget every reader spends cells and merges from.
//!
//! [`read_grids`] checks the size, sniffs the content, runs the [`crate::guard`] and only then hands
//! the bytes to the reader for the kind found. Every failure is a [`ReadError`] whose message names
//! the file; nothing here panics on input.

mod direct;
mod docx;
mod merges;
mod ods;
mod value;
mod xls;
mod xlsx;

pub use xlsx::READER_VARIABLE;

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use shuangshi_rules::Cell;

use crate::grid::{Grid, GridRow, Rect};
use crate::guard::{
    FileKind, Limits, ReadError, Reason, identify, inspect_zip, inspect_zip_with, no_panic, size,
};

/// Reads every sheet of an xlsx, xls or ods workbook, or the body of a docx document, as grids.
///
/// `file_name` is used only in messages. Order of checks: size, empty, content sniffing (never the
/// extension), the zip guard for xlsx/ods/docx (the xls reader runs its own record pre-scan), then the
/// reader itself with the sheet limits.
pub fn read_grids(
    file_name: &str,
    bytes: &[u8],
    limits: &Limits,
) -> Result<(FileKind, Vec<Grid>), ReadError> {
    read_bytes(bytes, limits).map_err(|reason| ReadError::new(file_name, reason))
}

/// [`read_grids`] for a file on disk. Its size is checked from the metadata before it is read into
/// memory (and the read is capped in case it grows meanwhile); messages name the path as given.
pub fn read_path(path: &Path, limits: &Limits) -> Result<(FileKind, Vec<Grid>), ReadError> {
    let name = path.display().to_string();
    let bytes =
        read_capped(path, limits).map_err(|reason| ReadError::new(name.as_str(), reason))?;
    read_grids(&name, &bytes, limits)
}

fn read_capped(path: &Path, limits: &Limits) -> Result<Vec<u8>, Reason> {
    let meta = std::fs::metadata(path).map_err(io_reason)?;
    if meta.is_dir() {
        return Err(Reason::Io("这是一个文件夹，不是文件".into()));
    }
    if meta.len() > limits.max_file_bytes {
        return Err(Reason::TooLarge {
            bytes: meta.len(),
            max: limits.max_file_bytes,
        });
    }
    let file = File::open(path).map_err(io_reason)?;
    let capacity = usize::try_from(meta.len()).unwrap_or(0);
    let mut bytes = Vec::with_capacity(capacity);
    file.take(limits.max_file_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io_reason)?;
    Ok(bytes)
}

fn io_reason(e: io::Error) -> Reason {
    Reason::Io(match e.kind() {
        io::ErrorKind::NotFound => "文件不存在".to_string(),
        io::ErrorKind::PermissionDenied => "没有读取权限".to_string(),
        _ => e.to_string(),
    })
}

fn read_bytes(bytes: &[u8], limits: &Limits) -> Result<(FileKind, Vec<Grid>), Reason> {
    let len = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if len > limits.max_file_bytes {
        return Err(Reason::TooLarge {
            bytes: len,
            max: limits.max_file_bytes,
        });
    }
    if bytes.is_empty() {
        return Err(Reason::Empty);
    }
    no_panic("读取文件", || {
        let kind = identify(bytes, limits)?;
        Ok((kind, dispatch(kind, bytes, limits)?))
    })
}

fn dispatch(kind: FileKind, bytes: &[u8], limits: &Limits) -> Result<Vec<Grid>, Reason> {
    Ok(match kind {
        FileKind::Xlsx => {
            let mut merges = merges::MergeScan::default();
            inspect_zip_with(bytes, limits, &mut merges)?;
            xlsx::read(bytes, limits, merges)?
        }
        FileKind::Docx => {
            inspect_zip(bytes, limits)?;
            docx::read(bytes, limits)?
        }
        FileKind::Xls => xls::read(bytes, limits)?,
        FileKind::Ods => {
            inspect_zip(bytes, limits)?;
            ods::read(bytes, limits)?
        }
    })
}

/// The column letters of a 0-based column: 0 → "A", 16383 → "XFD".
pub(crate) fn col_letters(col: u32) -> String {
    let mut n = u64::from(col) + 1;
    let mut out = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        out.push(char::from(b'A' + rem as u8));
        n = (n - 1) / 26;
    }
    out.iter().rev().collect()
}

/// A 0-based cell position in A1 notation.
pub(crate) fn a1(row: u32, col: u32) -> String {
    format!("{}{}", col_letters(col), u64::from(row) + 1)
}

/// What the readers may still allocate, across all sheets of one file.
pub(crate) struct Budget<'a> {
    limits: &'a Limits,
    cells: usize,
    merge_cells: u64,
    merge_bytes: u64,
}

impl<'a> Budget<'a> {
    pub(crate) fn new(limits: &'a Limits) -> Budget<'a> {
        Budget {
            limits,
            cells: 0,
            merge_cells: 0,
            merge_bytes: 0,
        }
    }

    pub(crate) fn limits(&self) -> &Limits {
        self.limits
    }

    /// The range a sheet declares must fit in the row and column limits.
    pub(crate) fn declared(
        &self,
        place: &str,
        first: (u32, u32),
        last: (u32, u32),
    ) -> Result<(), Reason> {
        if last.0 >= self.limits.max_rows || last.1 >= self.limits.max_cols {
            return Err(Reason::SheetTooLarge(format!(
                "{place}的范围 {}:{} 过大（最多 {} 行、{} 列）",
                a1(first.0, first.1),
                a1(last.0, last.1),
                self.limits.max_rows,
                self.limits.max_cols
            )));
        }
        Ok(())
    }

    /// Takes one non-empty cell at (row, col): refused beyond the row/column limits or when the
    /// file holds more than `max_cells` cells.
    pub(crate) fn cell(&mut self, place: &str, row: u32, col: u32) -> Result<(), Reason> {
        if row >= self.limits.max_rows || col >= self.limits.max_cols {
            return Err(Reason::SheetTooLarge(format!(
                "{place}在 {} 有内容，超出范围（最多 {} 行、{} 列）",
                a1(row, col),
                self.limits.max_rows,
                self.limits.max_cols
            )));
        }
        self.cells += 1;
        if self.cells > self.limits.max_cells {
            return Err(Reason::SheetTooLarge(format!(
                "文件中有内容的单元格超过 {} 个（读到{place}时）",
                self.limits.max_cells
            )));
        }
        Ok(())
    }

    /// Builds a grid from its cells and merged areas, filling each area from its top-left cell
    /// (the last value written there wins, as in [`Grid::from_cells`]). The filling is charged
    /// to the merge budget first: cells filled (within the row/column limits) and bytes copied.
    pub(crate) fn grid(
        &mut self,
        name: Option<String>,
        place: &str,
        cells: Vec<(u32, u32, Cell)>,
        merges: Vec<Rect>,
    ) -> Result<Grid, Reason> {
        let tops: HashSet<(u32, u32)> = merges.iter().map(|m| (m.first_row, m.first_col)).collect();
        let mut top_values: HashMap<(u32, u32), usize> = HashMap::new();
        for (i, (r, c, _)) in cells.iter().enumerate() {
            if tops.contains(&(*r, *c)) {
                top_values.insert((*r, *c), i);
            }
        }
        let plan = self.plan(place, &merges, |r, c| {
            top_values
                .get(&(r, c))
                .and_then(|&i| cells.get(i))
                .map(|(_, _, v)| v)
        })?;
        let mut grid = Grid::from_cells(name, cells, Vec::new());
        grid.rows = overlay(grid.rows, plan);
        grid.merges = merges;
        Ok(grid)
    }

    /// [`Budget::grid`] for cells already gathered into rows by [`Rows`].
    pub(crate) fn grid_from_rows(
        &mut self,
        name: Option<String>,
        place: &str,
        rows: Rows,
        merges: Vec<Rect>,
    ) -> Result<Grid, Reason> {
        let rows = rows.finish();
        let plan = self.plan(place, &merges, |r, c| {
            rows.binary_search_by_key(&r, |x| x.index)
                .ok()
                .and_then(|i| rows.get(i))
                .and_then(|row| row.get(c))
        })?;
        Ok(Grid {
            name,
            rows: overlay(rows, plan),
            merges,
        })
    }

    /// Charges the filling of `merges` (from the value `top` finds at each top-left corner) to the
    /// budget; returns each area to fill, clipped to the limits, with its value.
    fn plan<'c>(
        &mut self,
        place: &str,
        merges: &[Rect],
        top: impl Fn(u32, u32) -> Option<&'c Cell>,
    ) -> Result<Vec<(Rect, Cell)>, Reason> {
        let mut plan = Vec::new();
        for m in merges {
            let Some(value) = top(m.first_row, m.first_col).filter(|v| !v.is_empty()) else {
                continue;
            };
            let area = Rect {
                last_row: m.last_row.min(self.limits.max_rows.saturating_sub(1)),
                last_col: m.last_col.min(self.limits.max_cols.saturating_sub(1)),
                ..*m
            };
            if area.last_row < area.first_row || area.last_col < area.first_col {
                continue;
            }
            let filled = area.cells().saturating_sub(1);
            let per_cell = (value.raw.len() + value.norm().len()) as u64;
            self.merge_cells = self.merge_cells.saturating_add(filled);
            self.merge_bytes = self
                .merge_bytes
                .saturating_add(filled.saturating_mul(per_cell));
            if self.merge_cells > self.limits.max_merge_cells {
                return Err(Reason::SheetTooLarge(format!(
                    "合并单元格共覆盖 {} 个以上单元格，超过上限 {} 个（读到{place}时）",
                    self.merge_cells, self.limits.max_merge_cells
                )));
            }
            if self.merge_bytes > self.limits.max_merge_bytes {
                return Err(Reason::SheetTooLarge(format!(
                    "合并单元格中重复的文字超过 {}（读到{place}时）",
                    size(self.limits.max_merge_bytes)
                )));
            }
            plan.push((area, value.clone()));
        }
        Ok(plan)
    }
}

/// Writes each planned area's value into its cells other than the top-left one, over whatever is
/// there; a later area wins where two overlap.
fn overlay(rows: Vec<GridRow>, plan: Vec<(Rect, Cell)>) -> Vec<GridRow> {
    if plan.is_empty() {
        return rows;
    }
    let mut fills: Vec<(u32, u32, Cell)> = Vec::new();
    for (area, value) in plan {
        for r in area.first_row..=area.last_row {
            for c in area.first_col..=area.last_col {
                if (r, c) != (area.first_row, area.first_col) {
                    fills.push((r, c, value.clone()));
                }
            }
        }
    }
    // Stable: the last fill of a place stays last.
    fills.sort_by_key(|(r, c, _)| (*r, *c));
    let mut out: Vec<GridRow> = Vec::with_capacity(rows.len());
    let mut rows = rows.into_iter().peekable();
    let mut fills = fills.into_iter().peekable();
    loop {
        let index = match (rows.peek(), fills.peek()) {
            (None, None) => break,
            (Some(row), None) => row.index,
            (None, Some(fill)) => fill.0,
            (Some(row), Some(fill)) => row.index.min(fill.0),
        };
        let row = match rows.next_if(|r| r.index == index) {
            Some(row) => row,
            None => GridRow {
                index,
                cells: Vec::new(),
            },
        };
        let mut filled: Vec<(u32, Cell)> = Vec::new();
        while let Some((_, c, cell)) = fills.next_if(|f| f.0 == index) {
            match filled.last_mut() {
                Some((lc, lcell)) if *lc == c => *lcell = cell,
                _ => filled.push((c, cell)),
            }
        }
        if filled.is_empty() {
            out.push(row);
            continue;
        }
        let mut cells = Vec::with_capacity(row.cells.len() + filled.len());
        let mut old = row.cells.into_iter().peekable();
        let mut new = filled.into_iter().peekable();
        loop {
            match (old.peek(), new.peek()) {
                (None, None) => break,
                (Some(_), None) => cells.extend(old.by_ref()),
                (None, Some(_)) => cells.extend(new.by_ref()),
                (Some(o), Some(n)) => {
                    if o.0 < n.0 {
                        cells.extend(old.next());
                    } else {
                        if o.0 == n.0 {
                            old.next();
                        }
                        cells.extend(new.next());
                    }
                }
            }
        }
        out.push(GridRow { index, cells });
    }
    out
}

/// Non-empty cells as a reader streams them, gathered into rows directly while they come in order
/// (as xlsx sheets store them); collected and sorted by [`Grid::from_cells`] only when they do not.
/// The last value written to a place wins either way.
#[derive(Default)]
pub(crate) struct Rows {
    rows: Vec<GridRow>,
    /// Set once a cell came out of order.
    loose: Option<Vec<(u32, u32, Cell)>>,
}

impl Rows {
    pub(crate) fn push(&mut self, row: u32, col: u32, cell: Cell) {
        if let Some(loose) = &mut self.loose {
            loose.push((row, col, cell));
            return;
        }
        match self.rows.last_mut() {
            Some(last) if last.index == row => match last.cells.last_mut() {
                Some((c, v)) if *c == col => {
                    *v = cell;
                    return;
                }
                Some((c, _)) if *c > col => return self.unsort(row, col, cell),
                _ => {
                    last.cells.push((col, cell));
                    return;
                }
            },
            Some(last) if last.index > row => return self.unsort(row, col, cell),
            // The last row is complete: give back what its growth over-allocated (in place).
            Some(last) => last.cells.shrink_to_fit(),
            None => {}
        }
        // Rows of a form are alike (a person's row may leave a cell or two empty): size the new
        // row like the longer of the last two.
        let hint = self
            .rows
            .iter()
            .rev()
            .take(2)
            .map(|r| r.cells.len())
            .max()
            .unwrap_or(1);
        let mut cells = Vec::with_capacity(hint);
        cells.push((col, cell));
        self.rows.push(GridRow { index: row, cells });
    }

    fn unsort(&mut self, row: u32, col: u32, cell: Cell) {
        let mut loose: Vec<(u32, u32, Cell)> = Vec::new();
        for r in std::mem::take(&mut self.rows) {
            loose.extend(r.cells.into_iter().map(|(c, v)| (r.index, c, v)));
        }
        loose.push((row, col, cell));
        self.loose = Some(loose);
    }

    fn finish(mut self) -> Vec<GridRow> {
        match self.loose {
            Some(cells) => Grid::from_cells(None, cells, Vec::new()).rows,
            None => {
                if let Some(last) = self.rows.last_mut() {
                    last.cells.shrink_to_fit();
                }
                self.rows
            }
        }
    }
}

/// A merged area as calamine reports it, corners put in order.
pub(crate) fn rect(d: &calamine::Dimensions) -> Rect {
    Rect {
        first_row: d.start.0.min(d.end.0),
        first_col: d.start.1.min(d.end.1),
        last_row: d.start.0.max(d.end.0),
        last_col: d.start.1.max(d.end.1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a1_names() {
        assert_eq!(a1(0, 0), "A1");
        assert_eq!(col_letters(25), "Z");
        assert_eq!(col_letters(26), "AA");
        assert_eq!(a1(1_048_575, 16_383), "XFD1048576");
    }

    #[test]
    fn merges_fill_across_and_are_charged() {
        let limits = Limits {
            max_merge_cells: 5,
            ..Limits::default()
        };
        let mut budget = Budget::new(&limits);
        let cells = vec![(0, 0, Cell::text("旧")), (0, 0, Cell::text("标题"))];
        let merge = Rect {
            first_row: 0,
            first_col: 0,
            last_row: 1,
            last_col: 2,
        };
        let g = budget
            .grid(None, "工作表「S」", cells.clone(), vec![merge])
            .unwrap();
        assert_eq!(g.get(1, 2).map(|c| c.raw.as_str()), Some("标题"));
        assert_eq!(g.get(0, 0).map(|c| c.raw.as_str()), Some("标题"));
        assert_eq!(g.merges, vec![merge]);
        // Another 5 filled cells is over the whole file's budget of 5.
        let err = budget
            .grid(None, "工作表「T」", cells, vec![merge])
            .unwrap_err();
        assert!(matches!(err, Reason::SheetTooLarge(m) if m.contains("工作表「T」")));
    }

    #[test]
    fn merge_filling_is_clipped_to_the_limits_and_charged_by_bytes() {
        let limits = Limits {
            max_cols: 4,
            max_merge_bytes: 100,
            ..Limits::default()
        };
        let mut budget = Budget::new(&limits);
        let whole_row = Rect {
            first_row: 0,
            first_col: 0,
            last_row: 0,
            last_col: 16_383,
        };
        let g = budget
            .grid(None, "S", vec![(0, 0, Cell::text("题"))], vec![whole_row])
            .unwrap();
        assert_eq!(g.last_col(), Some(3));
        let long = "长".repeat(100);
        let err = budget
            .grid(None, "S", vec![(0, 0, Cell::text(long))], vec![whole_row])
            .unwrap_err();
        assert!(matches!(err, Reason::SheetTooLarge(m) if m.contains("重复的文字")));
    }
}
