//! 聘期管理 (`/term`, `/api/v1/term`).

pub mod api;
pub mod pages;

use crate::policy::{Access, Routes, roles};

const ADMIN: Access = Access::Roles(roles::ADMIN);
const OFFICERS: Access = Access::Roles(roles::OFFICERS);
const TERM_READERS: Access = Access::Roles(pages::READERS);

/// Every route of this domain, each with who may call it (and, for the API, its operation).
pub fn routes() -> Routes {
    Routes::new()
        .get("/term", TERM_READERS, pages::page)
        .get("/term/{id}", TERM_READERS, pages::person)
        .post("/term/{id}", OFFICERS, pages::record)
        .post("/term/{id}/remark", OFFICERS, pages::remark)
        .post("/term/close", ADMIN, pages::close)
        .get("/api/v1/term", TERM_READERS, api::api_list)
        .doc(api::__path_api_list)
        .get("/api/v1/term/{id}", TERM_READERS, api::api_person)
        .doc(api::__path_api_person)
        .put("/api/v1/term/{id}", OFFICERS, api::api_record)
        .doc(api::__path_api_record)
        .put("/api/v1/term/{id}/remark", OFFICERS, api::api_remark)
        .doc(api::__path_api_remark)
        .post("/api/v1/term/close", ADMIN, api::api_close)
        .doc(api::__path_api_close)
}
