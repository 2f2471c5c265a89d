//! One call from a file to its forms: guard, read, find the forms.

use std::path::Path;

use shuangshi_rules::Form;

use crate::grid::Grid;
use crate::guard::{FileKind, Limits, ReadError, Reason};
use crate::layout::{read_forms, take_forms};
use crate::read::{read_grids, read_path};

/// A file that was read: its sheets and the forms found in them.
#[derive(Debug, Clone)]
pub struct Workbook {
    /// The file name as given (reports quote it).
    pub file: String,
    pub kind: FileKind,
    pub grids: Vec<Grid>,
    pub forms: Vec<Form>,
}

fn finish(file: String, kind: FileKind, grids: Vec<Grid>) -> Result<Workbook, ReadError> {
    let mut forms: Vec<Form> = Vec::new();
    for g in &grids {
        match read_forms(&file, g) {
            Ok(found) => forms.extend(found),
            Err(reason) => return Err(ReadError { file, reason }),
        }
    }
    if forms.is_empty() {
        return Err(ReadError {
            file,
            reason: Reason::NoForm,
        });
    }
    Ok(Workbook {
        file,
        kind,
        grids,
        forms,
    })
}

/// Reads the forms of an uploaded file (`file` is the name reports will quote).
pub fn load(file: &str, bytes: &[u8], limits: &Limits) -> Result<Workbook, ReadError> {
    let (kind, grids) = read_grids(file, bytes, limits)?;
    finish(file.to_string(), kind, grids)
}

/// Reads the forms of a file on disk; its size is checked before it is read.
pub fn load_path(path: &Path, limits: &Limits) -> Result<Workbook, ReadError> {
    let (kind, grids) = read_path(path, limits)?;
    finish(path.display().to_string(), kind, grids)
}

/// The forms of an uploaded file, for a caller that does not need its sheets (as [`load`] keeps
/// them for annotating): the cells are moved from the sheets into the forms, not copied.
pub fn load_forms(
    file: &str,
    bytes: &[u8],
    limits: &Limits,
) -> Result<(FileKind, Vec<Form>), ReadError> {
    let (kind, grids) = read_grids(file, bytes, limits)?;
    forms_only(file.to_string(), kind, grids)
}

/// [`load_forms`] for a file on disk; its size is checked before it is read.
pub fn load_forms_path(path: &Path, limits: &Limits) -> Result<(FileKind, Vec<Form>), ReadError> {
    let (kind, grids) = read_path(path, limits)?;
    forms_only(path.display().to_string(), kind, grids)
}

fn forms_only(
    file: String,
    kind: FileKind,
    grids: Vec<Grid>,
) -> Result<(FileKind, Vec<Form>), ReadError> {
    let mut forms: Vec<Form> = Vec::new();
    for g in grids {
        match take_forms(&file, g) {
            Ok(found) => forms.extend(found),
            Err(reason) => return Err(ReadError { file, reason }),
        }
    }
    if forms.is_empty() {
        return Err(ReadError {
            file,
            reason: Reason::NoForm,
        });
    }
    Ok((kind, forms))
}

/// A Chinese reason for an I/O error.
pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "文件不存在".to_string(),
        std::io::ErrorKind::PermissionDenied => "没有读取权限".to_string(),
        std::io::ErrorKind::IsADirectory => "这是一个文件夹".to_string(),
        _ => format!("系统错误（{e}）"),
    }
}
