//! `.xlsx` through calamine's streaming cell reader.
//!
//! `worksheet_range` would allocate the bounding box of the used cells densely (calamine #593): one
//! value at XFD1048576 costs gigabytes. Instead each sheet's declared `<dimension>` is checked
//! first, then cells are streamed one by one, each charged to the [`Budget`]. Runs only after
//! [`crate::guard::inspect_zip`] has bounded every XML part.

use std::io::Cursor;

use calamine::{Reader, SheetType, Xlsx, XlsxError};

use super::{Budget, rect, value};
use crate::grid::Grid;
use crate::guard::{Limits, Reason, no_panic};

pub(crate) fn read(bytes: &[u8], limits: &Limits) -> Result<Vec<Grid>, Reason> {
    no_panic("读取 xlsx 工作簿", || read_workbook(bytes, limits))
}

fn read_workbook(bytes: &[u8], limits: &Limits) -> Result<Vec<Grid>, Reason> {
    let mut book: Xlsx<Cursor<&[u8]>> =
        Xlsx::new(Cursor::new(bytes)).map_err(|e| corrupt("工作簿", e))?;
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
        let mut cells = Vec::new();
        {
            let mut reader = book
                .worksheet_cells_reader(&name)
                .map_err(|e| corrupt(&place, e))?;
            let declared = reader.dimensions();
            budget.declared(&place, declared.start, declared.end)?;
            while let Some(cell) = reader.next_cell().map_err(|e| corrupt(&place, e))? {
                let Some(value) = value::from_data_ref(cell.get_value()) else {
                    continue;
                };
                if value.is_empty() {
                    continue;
                }
                let (row, col) = cell.get_position();
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
