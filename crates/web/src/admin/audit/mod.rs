//! 审计日志 and `/api/v1/audit`.

pub mod api;
pub mod pages;

use crate::policy::{Access, Routes, roles};

const ADMIN: Access = Access::Roles(roles::ADMIN);

/// Every route of this domain, each with who may call it (and, for the API, its operation).
pub fn routes() -> Routes {
    Routes::new()
        .get(
            "/admin/audit.xlsx",
            Access::Roles(roles::ADMIN),
            pages::export,
        )
        .get("/admin/audit", ADMIN, pages::list)
        .post("/admin/audit/verify", ADMIN, pages::verify)
        .get("/api/v1/audit", ADMIN, api::list_audit)
        .doc(api::__path_list_audit)
        .get("/api/v1/audit/verify", ADMIN, api::verify_audit)
        .doc(api::__path_verify_audit)
}
