//! 补助经费 (`/ledger`, `/ledger.xlsx`, `/api/v1/ledger`).

pub mod api;
pub mod pages;

use crate::policy::{Access, Routes, roles};
use shuangshi_store::Role;

const ADMIN: Access = Access::Roles(roles::ADMIN);
const SCHOOL: Access = Access::Roles(roles::SCHOOL);
/// The ledger: the commission, and a school its own.
const SUBSIDY_READERS: Access = Access::Roles(&[Role::Admin, Role::SchoolOfficer]);

/// Every route of this domain, each with who may call it (and, for the API, its operation).
pub fn routes() -> Routes {
    Routes::new()
        .get("/ledger", SUBSIDY_READERS, pages::page)
        .get("/ledger.xlsx", ADMIN, pages::xlsx)
        .post("/ledger/{school}/entries", ADMIN, pages::entry)
        .post("/ledger/entries/{id}/approve", ADMIN, pages::approve)
        .post("/ledger/entries/{id}/withdraw", ADMIN, pages::withdraw)
        .post("/ledger/use", SCHOOL, pages::report_use)
        .get("/api/v1/ledger", SUBSIDY_READERS, api::api_ledger)
        .doc(api::__path_api_ledger)
        .post("/api/v1/ledger/{school}/entries", ADMIN, api::api_entry)
        .doc(api::__path_api_entry)
        .post(
            "/api/v1/ledger/entries/{id}/approve",
            ADMIN,
            api::api_approve,
        )
        .doc(api::__path_api_approve)
        .post("/api/v1/ledger/use", SCHOOL, api::api_use)
        .doc(api::__path_api_use)
}
