//! Legacy `.xls` (BIFF5/BIFF8 in an OLE compound file) through calamine's `Xls`.
//!
//! calamine parses every sheet when it opens the workbook: it reserves room for the area a
//! sheet's DIMENSIONS record declares and then allocates each sheet's used area densely. Both
//! numbers come from the file, so before calamine sees it, [`prescan`] walks the BIFF records
//! itself: a FILEPASS record (password) is [`Reason::Encrypted`], and the declared and the actual
//! used areas must fit the limits. Legacy sheets are at most 65536 × 256, but that is still 16
//! million cells, hence the `max_cells` check on the dense area.

use std::io::{Cursor, Read};

use calamine::{Reader, SheetType, Xls, XlsError};

use super::{Budget, rect, value};
use crate::grid::Grid;
use crate::guard::{Limits, Reason, no_panic};

const BOF: u16 = 0x0809;
const EOF: u16 = 0x000A;
const FILEPASS: u16 = 0x002F;
const BOUNDSHEET: u16 = 0x0085;
const DIMENSIONS: u16 = 0x0200;
const MULRK: u16 = 0x00BD;
/// Records calamine turns into one cell each, all starting with (row: u16, col: u16).
const CELL_RECORDS: [u16; 7] = [0x0203, 0x0204, 0x00D6, 0x0205, 0x027E, 0x00FD, 0x0006];

pub(crate) fn read(bytes: &[u8], limits: &Limits) -> Result<Vec<Grid>, Reason> {
    no_panic("读取 xls 工作簿", || {
        prescan(bytes, limits)?;
        read_workbook(bytes, limits)
    })
}

fn read_workbook(bytes: &[u8], limits: &Limits) -> Result<Vec<Grid>, Reason> {
    let mut book: Xls<Cursor<&[u8]>> =
        Xls::new(Cursor::new(bytes)).map_err(|e| corrupt("工作簿", e))?;
    let names: Vec<String> = book
        .sheets_metadata()
        .iter()
        .filter(|s| s.typ == SheetType::WorkSheet)
        .map(|s| s.name.clone())
        .collect();
    let mut budget = Budget::new(limits);
    let mut grids = Vec::with_capacity(names.len());
    for name in names {
        let place = format!("工作表「{name}」");
        let range = book
            .worksheet_range(&name)
            .map_err(|e| corrupt(&place, e))?;
        let mut cells = Vec::new();
        if let (Some(start), Some(end)) = (range.start(), range.end()) {
            budget.declared(&place, start, end)?;
            for (r, c, data) in range.used_cells() {
                let Some(value) = value::from_data(data).filter(|v| !v.is_empty()) else {
                    continue;
                };
                let row = start.0.saturating_add(u32::try_from(r).unwrap_or(u32::MAX));
                let col = start.1.saturating_add(u32::try_from(c).unwrap_or(u32::MAX));
                budget.cell(&place, row, col)?;
                cells.push((row, col, value));
            }
        }
        let merges = book
            .merge_cells_by_sheet_name(&name)
            .map_err(|e| corrupt(&place, e))?;
        let merges = merges.iter().map(rect).collect();
        grids.push(budget.grid(Some(name), &place, cells, merges)?);
    }
    Ok(grids)
}

fn corrupt(place: &str, e: XlsError) -> Reason {
    match e {
        XlsError::Password => Reason::Encrypted,
        e => Reason::Corrupt(format!("无法解析{place}：{e}")),
    }
}

/// Walks the workbook stream's records before calamine does; see the module documentation.
fn prescan(bytes: &[u8], limits: &Limits) -> Result<(), Reason> {
    let stream = workbook_stream(bytes)?;

    // The globals substream: encryption and where the sheets start.
    let mut sheets = Vec::new();
    for record in Records::at(&stream, 0) {
        let (typ, data) = record?;
        match typ {
            FILEPASS => return Err(Reason::Encrypted),
            BOUNDSHEET => {
                let pos = u32_at(data, 0)
                    .ok_or_else(|| Reason::Corrupt("工作表目录记录不完整".into()))?;
                sheets.push((pos as usize, sheet_name(data)));
            }
            EOF => break,
            _ => {}
        }
    }

    let budget = Budget::new(limits);
    let mut dense_total: u64 = 0;
    let mut cells_total: u64 = 0;
    for (i, (pos, name)) in sheets.into_iter().enumerate() {
        let place = match name {
            Some(n) => format!("工作表「{n}」"),
            None => format!("第 {} 个工作表", i + 1),
        };
        if pos >= stream.len() {
            return Err(Reason::Corrupt(format!("{place}的位置超出了文件范围")));
        }
        let mut used: Option<Area> = None;
        let mut seen_bof = false;
        let mut depth = 0usize;
        for record in Records::at(&stream, pos) {
            let (typ, data) = record?;
            if depth > 0 {
                // A nested substream (an embedded chart): calamine skips it, so do we.
                match typ {
                    BOF => depth += 1,
                    EOF => depth -= 1,
                    _ => {}
                }
                continue;
            }
            match typ {
                BOF if seen_bof => depth += 1,
                BOF => seen_bof = true,
                DIMENSIONS => check_dimensions(data, &place, limits)?,
                MULRK => {
                    let (Some(row), Some(first), Some(last)) = (
                        u16_at(data, 0),
                        u16_at(data, 2),
                        data.len().checked_sub(2).and_then(|at| u16_at(data, at)),
                    ) else {
                        continue;
                    };
                    if last >= first {
                        Area::extend(&mut used, row, first, last);
                        cells_total += u64::from(last - first) + 1;
                    }
                }
                t if CELL_RECORDS.contains(&t) => {
                    if let (Some(row), Some(col)) = (u16_at(data, 0), u16_at(data, 2)) {
                        Area::extend(&mut used, row, col, col);
                        cells_total += 1;
                    }
                }
                EOF => break,
                _ => {}
            }
        }
        if let Some(area) = used {
            budget.declared(
                &place,
                (area.first_row, area.first_col),
                (area.last_row, area.last_col),
            )?;
            dense_total = dense_total.saturating_add(area.cells());
        }
    }
    let max = limits.max_cells as u64;
    if dense_total > max || cells_total > max {
        return Err(Reason::SheetTooLarge(format!(
            "各工作表的已用区域共 {} 个单元格，超过上限 {max} 个",
            dense_total.max(cells_total)
        )));
    }
    Ok(())
}

/// The used area of one sheet: rows and columns of the first and last cell (inclusive).
#[derive(Clone, Copy)]
struct Area {
    first_row: u32,
    last_row: u32,
    first_col: u32,
    last_col: u32,
}

impl Area {
    fn extend(area: &mut Option<Area>, row: u16, first_col: u16, last_col: u16) {
        let (row, first_col, last_col) =
            (u32::from(row), u32::from(first_col), u32::from(last_col));
        *area = Some(match *area {
            None => Area {
                first_row: row,
                last_row: row,
                first_col,
                last_col,
            },
            Some(a) => Area {
                first_row: a.first_row.min(row),
                last_row: a.last_row.max(row),
                first_col: a.first_col.min(first_col),
                last_col: a.last_col.max(last_col),
            },
        });
    }

    fn cells(&self) -> u64 {
        (u64::from(self.last_row - self.first_row) + 1)
            * (u64::from(self.last_col - self.first_col) + 1)
    }
}

/// The DIMENSIONS record as calamine reads it (it reserves rows × columns cells from it).
fn check_dimensions(data: &[u8], place: &str, limits: &Limits) -> Result<(), Reason> {
    let parsed = match data.len() {
        10 => (
            u16_at(data, 0).map(u32::from),
            u16_at(data, 2).map(u32::from),
            u16_at(data, 4).map(u32::from),
            u16_at(data, 6).map(u32::from),
        ),
        14 | 16 => (
            u32_at(data, 0),
            u32_at(data, 4),
            u16_at(data, 8).map(u32::from),
            u16_at(data, 10).map(u32::from),
        ),
        // calamine refuses other lengths itself.
        _ => return Ok(()),
    };
    let (Some(first_row), Some(end_row), Some(first_col), Some(end_col)) = parsed else {
        return Ok(());
    };
    // As calamine: a first column past 255 or after the last one is taken as 0.
    let first_col = if first_col > 0xFF || end_col < first_col {
        0
    } else {
        first_col
    };
    if end_row == 0 || end_col == 0 {
        return Ok(());
    }
    let (last_row, last_col) = (end_row - 1, end_col - 1);
    if last_row < first_row {
        return Err(Reason::Corrupt(format!(
            "{place}的 DIMENSIONS 记录无效（首行 {first_row} 大于末行 {last_row}）"
        )));
    }
    let budget = Budget::new(limits);
    budget.declared(place, (first_row, first_col), (last_row, last_col))?;
    let area = (u64::from(last_row - first_row) + 1) * (u64::from(last_col - first_col) + 1);
    if area > limits.max_cells as u64 {
        return Err(Reason::SheetTooLarge(format!(
            "{place}声明的范围 {}:{} 共 {area} 个单元格，超过上限 {} 个",
            super::a1(first_row, first_col),
            super::a1(last_row, last_col),
            limits.max_cells
        )));
    }
    Ok(())
}

/// The `Workbook` (BIFF8) or `Book` (BIFF5) stream, read with a cap of the file's own size.
fn workbook_stream(bytes: &[u8]) -> Result<Vec<u8>, Reason> {
    let mut cf = cfb::CompoundFile::open(Cursor::new(bytes))
        .map_err(|e| Reason::Corrupt(format!("OLE 复合文件结构损坏：{e}")))?;
    let name = ["Workbook", "Book"]
        .into_iter()
        .find(|n| cf.is_stream(n))
        .ok_or_else(|| Reason::Corrupt("找不到工作簿数据（Workbook 流）".into()))?;
    let stream = cf
        .open_stream(name)
        .map_err(|e| Reason::Corrupt(format!("无法读取工作簿数据：{e}")))?;
    let mut out = Vec::new();
    stream
        .take(bytes.len() as u64)
        .read_to_end(&mut out)
        .map_err(|e| Reason::Corrupt(format!("无法读取工作簿数据：{e}")))?;
    Ok(out)
}

/// A BOUNDSHEET8 record's sheet name (BIFF8 ShortXLUnicodeString), if it decodes.
fn sheet_name(data: &[u8]) -> Option<String> {
    let cch = usize::from(*data.get(6)?);
    let flags = *data.get(7)?;
    let chars = data.get(8..)?;
    if flags & 1 == 1 {
        let units: Vec<u16> = chars
            .get(..cch * 2)?
            .chunks_exact(2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .collect();
        String::from_utf16(&units).ok()
    } else {
        Some(chars.get(..cch)?.iter().map(|b| char::from(*b)).collect())
    }
}

fn u16_at(data: &[u8], at: usize) -> Option<u16> {
    let b = data.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes([b[0], b[1]]))
}

fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    let b = data.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// BIFF records from an offset: (type, data). A truncated record is an error, as in calamine.
struct Records<'a> {
    stream: &'a [u8],
    at: usize,
}

impl<'a> Records<'a> {
    fn at(stream: &'a [u8], at: usize) -> Records<'a> {
        Records { stream, at }
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = Result<(u16, &'a [u8]), Reason>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.at >= self.stream.len() {
            return None;
        }
        let (Some(typ), Some(len)) = (
            u16_at(self.stream, self.at),
            u16_at(self.stream, self.at + 2),
        ) else {
            self.at = self.stream.len();
            return Some(Err(truncated()));
        };
        let start = self.at + 4;
        let end = start + usize::from(len);
        let Some(data) = self.stream.get(start..end) else {
            self.at = self.stream.len();
            return Some(Err(truncated()));
        };
        self.at = end;
        Some(Ok((typ, data)))
    }
}

fn truncated() -> Reason {
    Reason::Corrupt("工作簿数据被截断".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(typ: u16, data: &[u8]) -> Vec<u8> {
        let mut out = typ.to_le_bytes().to_vec();
        out.extend((data.len() as u16).to_le_bytes());
        out.extend(data);
        out
    }

    #[test]
    fn records_walk_and_stop_at_truncation() {
        let mut s = record(BOF, &[0; 16]);
        s.extend(record(EOF, &[]));
        s.extend([0x03, 0x02, 0x10]);
        let got: Vec<_> = Records::at(&s, 0).collect();
        assert_eq!(got.len(), 3);
        assert!(matches!(got[0], Ok((BOF, _))));
        assert!(matches!(got[1], Ok((EOF, []))));
        assert!(got[2].is_err());
    }

    #[test]
    fn a_lying_dimensions_record_is_refused_before_calamine_reserves_it() {
        let limits = Limits::default();
        // BIFF8: rows 0..1_000_000 (past the row limit), columns 0..16.
        let mut d = 0u32.to_le_bytes().to_vec();
        d.extend(1_000_000u32.to_le_bytes());
        d.extend(0u16.to_le_bytes());
        d.extend(16u16.to_le_bytes());
        d.extend([0, 0]);
        assert!(matches!(
            check_dimensions(&d, "S", &limits),
            Err(Reason::SheetTooLarge(_))
        ));
        // 65536 × 256 fits the row and column limits but not the dense-area limit.
        let mut d = 0u32.to_le_bytes().to_vec();
        d.extend(65_536u32.to_le_bytes());
        d.extend(0u16.to_le_bytes());
        d.extend(256u16.to_le_bytes());
        d.extend([0, 0]);
        assert!(matches!(
            check_dimensions(&d, "S", &limits),
            Err(Reason::SheetTooLarge(m)) if m.contains("A1:IV65536")
        ));
        // First row after the last: calamine would underflow.
        let mut d = 10u32.to_le_bytes().to_vec();
        d.extend(5u32.to_le_bytes());
        d.extend(0u16.to_le_bytes());
        d.extend(2u16.to_le_bytes());
        d.extend([0, 0]);
        assert!(matches!(
            check_dimensions(&d, "S", &limits),
            Err(Reason::Corrupt(_))
        ));
    }

    #[test]
    fn sheet_names_decode() {
        let mut d = vec![0, 0, 0, 0, 0, 0, 2, 1];
        for u in "推荐".encode_utf16() {
            d.extend(u.to_le_bytes());
        }
        assert_eq!(sheet_name(&d).as_deref(), Some("推荐"));
        assert_eq!(
            sheet_name(&[0, 0, 0, 0, 0, 0, 3, 0, b'a', b'b', b'c']).as_deref(),
            Some("abc")
        );
        assert_eq!(sheet_name(&[0, 0, 0, 0, 0, 0, 9, 0, b'a']), None);
    }
}
