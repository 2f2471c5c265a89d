//! 报送: the school's submission, the typed snapshot as pages show it and the diff between versions ([`snapshot`]), `/api/v1/submission`.

pub mod api;
pub mod pages;
pub mod snapshot;

use crate::policy::{Access, Routes, roles};

const SCHOOL: Access = Access::Roles(roles::SCHOOL);

/// Every route of this domain, each with who may call it (and, for the API, its operation).
pub fn routes() -> Routes {
    Routes::new()
        .get("/submissions", SCHOOL, pages::page)
        .post("/submissions/submit", SCHOOL, pages::submit)
        .get("/api/v1/submission", SCHOOL, api::get_submission)
        .doc(api::__path_get_submission)
        .post("/api/v1/submission", SCHOOL, api::submit)
        .doc(api::__path_submit)
}
