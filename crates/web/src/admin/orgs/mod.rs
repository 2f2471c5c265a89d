//! 单位名录 and `/api/v1/orgs`.

pub mod api;
pub mod pages;
pub mod picker;

use crate::policy::{Access, Routes, roles};

const ADMIN: Access = Access::Roles(roles::ADMIN);

/// Every route of this domain, each with who may call it (and, for the API, its operation).
pub fn routes() -> Routes {
    Routes::new()
        .get("/admin/orgs", ADMIN, pages::list)
        .get("/admin/orgs/template.csv", ADMIN, pages::template)
        .post("/admin/orgs/import", ADMIN, pages::preview)
        .post("/admin/orgs/import/commit", ADMIN, pages::commit)
        .get("/admin/orgs/{id}", ADMIN, pages::edit)
        .post("/admin/orgs/{id}", ADMIN, pages::save)
        .get("/admin/orgs/new", ADMIN, pages::new_page)
        .post("/admin/orgs", ADMIN, pages::create)
        .post("/admin/orgs/{id}/delete", ADMIN, pages::delete)
        .get("/admin/orgs/export.xlsx", ADMIN, pages::export)
        .get("/orgs/options", Access::SignedIn, picker::options)
        .get("/api/v1/orgs", Access::SignedIn, api::list_orgs)
        .doc(api::__path_list_orgs)
        .post("/api/v1/orgs/import", ADMIN, api::import_orgs)
        .doc(api::__path_import_orgs)
        .get("/api/v1/orgs/{id}", Access::SignedIn, api::get_org)
        .doc(api::__path_get_org)
        .put("/api/v1/orgs/{id}", ADMIN, api::update_org)
        .doc(api::__path_update_org)
}
