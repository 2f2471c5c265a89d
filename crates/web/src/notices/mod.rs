//! 通知与模板: the commission's notice and the templates, for the school.

pub mod pages;

use crate::policy::{Access, Routes, roles};

const SCHOOL: Access = Access::Roles(roles::SCHOOL);

/// Every route of this domain, each with who may call it (and, for the API, its operation).
pub fn routes() -> Routes {
    Routes::new().get("/notices", SCHOOL, pages::page)
}
