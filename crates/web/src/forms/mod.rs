//! 推荐表: the school's forms (rows, header and footer, import, downloads, print view, sealed scans), the findings on them ([`checks`]), the enterprise's confirmation ([`confirm`]), `/api/v1/forms` and `POST /api/v1/check`.

pub mod api;
pub mod checks;
pub mod confirm;
pub mod import;
pub mod pages;
pub mod scans;

use crate::policy::{Access, Routes, roles};
use shuangshi_store::Role;

const ENTERPRISE: Access = Access::Roles(roles::ENTERPRISE);
const OFFICERS: Access = Access::Roles(roles::OFFICERS);
/// Who may download a sealed scan: the school that uploaded it and the commission reviewing it.
const SCAN_READERS: Access =
    Access::Roles(&[Role::SchoolOfficer, Role::Admin, Role::VocationalReviewer]);
const SCHOOL: Access = Access::Roles(roles::SCHOOL);

/// Every route of this domain, each with who may call it (and, for the API, its operation).
pub fn routes() -> Routes {
    Routes::new()
        .post("/api/v1/check", Access::SignedIn, api::check)
        .doc(api::__path_check)
        .get("/confirmations", ENTERPRISE, confirm::confirmations)
        .get("/confirmations/{id}", ENTERPRISE, confirm::confirm_page)
        .post("/confirmations/{id}", ENTERPRISE, confirm::confirm_rows)
        .post(
            "/confirmations/{id}/rows/{row}/object",
            ENTERPRISE,
            confirm::object_row,
        )
        .get("/forms", SCHOOL, pages::list)
        .get("/forms/template.xlsx", SCHOOL, pages::template)
        .get("/forms/{id}", SCHOOL, pages::page)
        .post("/forms/{id}/meta", SCHOOL, pages::save_meta)
        .post("/forms/{id}/rows", SCHOOL, pages::add_row)
        .get(
            "/forms/{id}/rows/{row_id}/edit",
            SCHOOL,
            pages::edit_row_page,
        )
        .post("/forms/{id}/rows/{row_id}", SCHOOL, pages::update_row)
        .post(
            "/forms/{id}/rows/{row_id}/delete",
            SCHOOL,
            pages::delete_row,
        )
        .post("/forms/{id}/import", SCHOOL, import::preview)
        .post("/forms/{id}/import/commit", SCHOOL, import::commit)
        .get(
            "/forms/{id}/import/{token}/annotated.xlsx",
            SCHOOL,
            import::annotated,
        )
        .get("/forms/{id}/download.xlsx", SCHOOL, pages::download)
        .get("/forms/{id}/print", SCHOOL, pages::print)
        .post("/forms/{id}/scan", SCHOOL, scans::upload)
        .get("/scans/{id}", SCAN_READERS, scans::download)
        .get("/api/v1/forms", OFFICERS, api::list_forms)
        .doc(api::__path_list_forms)
        .get("/api/v1/forms/{id}", OFFICERS, api::get_form)
        .doc(api::__path_get_form)
        .put("/api/v1/forms/{id}/rows", SCHOOL, api::replace_rows)
        .doc(api::__path_replace_rows)
        .post("/api/v1/forms/{id}/upload", SCHOOL, api::upload_form)
        .doc(api::__path_upload_form)
        .post(
            "/api/v1/forms/{id}/confirmations",
            Access::Roles(roles::ENTERPRISE),
            api::confirm_rows,
        )
        .doc(api::__path_confirm_rows)
        .get("/api/v1/forms/{id}/scans", SCHOOL, api::list_scans)
        .doc(api::__path_list_scans)
        .post("/api/v1/forms/{id}/scans", SCHOOL, api::upload_scan)
        .doc(api::__path_upload_scan)
}
