//! `shuangshi-sheet`: the official recommendation form on disk — reading xlsx, xls and docx as schools
//! really send them, the organisation registry (CSV in UTF-8 or GBK, or xlsx), and writing the blank
//! template and annotated copies.
//!
//! Every file is inspected by [`guard`] before a parser sees it: size, zip directory, sheet
//! dimensions, encryption. Bad input is an error with a Chinese message naming the file, never a panic.

pub mod grid;
pub mod guard;
pub mod layout;
pub mod load;
pub mod orgs;
pub mod read;
pub mod scan;
pub mod write;

pub use load::{Workbook, io_reason, load, load_forms, load_forms_path, load_path};
