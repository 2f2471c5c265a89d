//! 汇总名单: every person in the caller's scope, its xlsx export and `/api/v1/roster`.

pub mod api;
pub mod pages;

use crate::policy::{Access, Routes, roles};

const COMMISSION: Access = Access::Roles(roles::COMMISSION);

/// Every route of this domain, each with who may call it (and, for the API, its operation).
pub fn routes() -> Routes {
    Routes::new()
        .get("/roster", COMMISSION, pages::page)
        .get("/roster.xlsx", COMMISSION, pages::export)
        .get("/api/v1/roster", COMMISSION, api::api_roster)
        .doc(api::__path_api_roster)
}
