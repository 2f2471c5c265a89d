//! 合作企业 / 合作学校: the school proposes, the enterprise confirms or rejects; `/api/v1/partnerships`.

pub mod api;
pub mod enterprise;
pub mod pages;

use crate::policy::{Access, Routes, roles};

const ENTERPRISE: Access = Access::Roles(roles::ENTERPRISE);
const OFFICERS: Access = Access::Roles(roles::OFFICERS);
const SCHOOL: Access = Access::Roles(roles::SCHOOL);

/// Every route of this domain, each with who may call it (and, for the API, its operation).
pub fn routes() -> Routes {
    Routes::new()
        .post(
            "/partners/{id}/confirm",
            ENTERPRISE,
            enterprise::confirm_partner,
        )
        .post(
            "/partners/{id}/reject",
            ENTERPRISE,
            enterprise::reject_partner,
        )
        .get("/partners", OFFICERS, pages::list)
        .get("/partners/new", SCHOOL, pages::new_page)
        .post("/partners", SCHOOL, pages::propose)
        .get("/api/v1/partnerships", OFFICERS, api::list_partnerships)
        .doc(api::__path_list_partnerships)
        .post("/api/v1/partnerships", SCHOOL, api::propose_partnership)
        .doc(api::__path_propose_partnership)
        .post(
            "/api/v1/partnerships/{id}/confirm",
            Access::Roles(roles::ENTERPRISE),
            api::confirm_partnership,
        )
        .doc(api::__path_confirm_partnership)
        .post(
            "/api/v1/partnerships/{id}/reject",
            Access::Roles(roles::ENTERPRISE),
            api::reject_partnership,
        )
        .doc(api::__path_reject_partnership)
}
