//! A sheet as read: a sparse grid of text cells, merged areas already filled across.
//!
//! Every reader (xlsx, xls, docx) produces [`Grid`]s; [`crate::layout`] finds forms in them and the
//! annotator writes them back out. Nothing here knows the form.

use shuangshi_rules::Cell;

/// A rectangle of cells, 0-based and inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    pub first_row: u32,
    pub first_col: u32,
    pub last_row: u32,
    pub last_col: u32,
}

impl Rect {
    pub fn cells(&self) -> u64 {
        (u64::from(self.last_row.saturating_sub(self.first_row)) + 1)
            * (u64::from(self.last_col.saturating_sub(self.first_col)) + 1)
    }

    pub fn contains(&self, row: u32, col: u32) -> bool {
        (self.first_row..=self.last_row).contains(&row)
            && (self.first_col..=self.last_col).contains(&col)
    }
}

/// One non-empty row: its 0-based index and its non-empty cells sorted by 0-based column.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GridRow {
    pub index: u32,
    pub cells: Vec<(u32, Cell)>,
}

impl GridRow {
    pub fn get(&self, col: u32) -> Option<&Cell> {
        self.cells
            .binary_search_by_key(&col, |(c, _)| *c)
            .ok()
            .and_then(|i| self.cells.get(i))
            .map(|(_, cell)| cell)
    }

    /// The row's cells joined by a space, for finding texts that span cells (labels and names of
    /// the header line and footer). A merged area's value, filled across, is taken once.
    pub fn joined(&self) -> String {
        let mut parts: Vec<&str> = Vec::new();
        for (_, c) in &self.cells {
            if parts.last() != Some(&c.raw.as_str()) {
                parts.push(c.raw.as_str());
            }
        }
        parts.join(" ")
    }
}

/// One sheet (or one Word document's body).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Grid {
    /// The sheet name; `None` for a Word document.
    pub name: Option<String>,
    /// Non-empty rows in ascending order. A merged area's value is present in each of its cells.
    pub rows: Vec<GridRow>,
    /// The merged areas, as the file declared them (the annotator merges them again).
    pub merges: Vec<Rect>,
}

impl Grid {
    /// The cell at (row, col), 0-based.
    pub fn get(&self, row: u32, col: u32) -> Option<&Cell> {
        self.rows
            .binary_search_by_key(&row, |r| r.index)
            .ok()
            .and_then(|i| self.rows.get(i))
            .and_then(|r| r.get(col))
    }

    /// The highest column index holding a value, if any.
    pub fn last_col(&self) -> Option<u32> {
        self.rows
            .iter()
            .filter_map(|r| r.cells.last().map(|(c, _)| *c))
            .max()
    }

    /// Builds a grid from cells in any order; sorts, keeps the last value written to a place, drops
    /// empty cells and fills each merged area from its top-left cell. The caller bounds the merged
    /// areas (the readers charge them to [`crate::guard::Limits`] first).
    pub fn from_cells(
        name: Option<String>,
        mut cells: Vec<(u32, u32, Cell)>,
        merges: Vec<Rect>,
    ) -> Grid {
        // The last value written to each top-left corner, found in one pass.
        let corners: std::collections::HashSet<(u32, u32)> =
            merges.iter().map(|m| (m.first_row, m.first_col)).collect();
        let mut top: std::collections::HashMap<(u32, u32), Cell> = std::collections::HashMap::new();
        for (r, c, cell) in &cells {
            if corners.contains(&(*r, *c)) {
                top.insert((*r, *c), cell.clone());
            }
        }
        for m in &merges {
            if let Some(value) = top
                .get(&(m.first_row, m.first_col))
                .filter(|v| !v.is_empty())
            {
                for r in m.first_row..=m.last_row {
                    for c in m.first_col..=m.last_col {
                        if (r, c) != (m.first_row, m.first_col) {
                            cells.push((r, c, value.clone()));
                        }
                    }
                }
            }
        }
        cells.retain(|(_, _, c)| !c.is_empty());
        // Readers mostly write in order already: sort only when not. A stable sort keeps write
        // order among equal positions; the last one wins below.
        if !cells.is_sorted_by_key(|(r, c, _)| (*r, *c)) {
            cells.sort_by_key(|(r, c, _)| (*r, *c));
        }
        let mut rows: Vec<GridRow> = Vec::new();
        for (r, c, cell) in cells {
            match rows.last_mut() {
                Some(last) if last.index == r => match last.cells.last_mut() {
                    Some((lc, lcell)) if *lc == c => *lcell = cell,
                    _ => last.cells.push((c, cell)),
                },
                _ => rows.push(GridRow {
                    index: r,
                    cells: vec![(c, cell)],
                }),
            }
        }
        Grid { name, rows, merges }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_areas_are_filled_from_their_top_left_cell() {
        let cells = vec![
            (0, 0, Cell::text("标题")),
            (2, 1, Cell::text("x")),
            (1, 0, Cell::text("")),
        ];
        let merges = vec![Rect {
            first_row: 0,
            first_col: 0,
            last_row: 1,
            last_col: 2,
        }];
        let g = Grid::from_cells(None, cells, merges);
        assert_eq!(g.get(1, 2).map(|c| c.raw.as_str()), Some("标题"));
        assert_eq!(g.get(2, 1).map(|c| c.raw.as_str()), Some("x"));
        assert_eq!(g.get(2, 0), None);
        assert_eq!(g.rows.len(), 3);
        assert_eq!(g.last_col(), Some(2));
    }
}
