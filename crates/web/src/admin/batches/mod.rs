//! 批次设置 and `/api/v1/batches`.

pub mod api;
pub mod pages;

use crate::policy::{Access, Routes, roles};

const ADMIN: Access = Access::Roles(roles::ADMIN);

/// Every route of this domain, each with who may call it (and, for the API, its operation).
pub fn routes() -> Routes {
    Routes::new()
        .get("/admin/batches", ADMIN, pages::list)
        .post("/admin/batches", ADMIN, pages::create)
        .get("/admin/batches/{id}", ADMIN, pages::edit)
        .post("/admin/batches/{id}", ADMIN, pages::save)
        .get("/admin/batches/{id}/params.toml", ADMIN, pages::export)
        .post("/admin/batches/{id}/import", ADMIN, pages::import)
        .post("/admin/batches/{id}/open", ADMIN, pages::open)
        .post("/admin/batches/{id}/close", ADMIN, pages::close)
        .post("/admin/batches/{id}/extensions", ADMIN, pages::extend)
        .post(
            "/admin/batches/{id}/extensions/{school_id}/delete",
            ADMIN,
            pages::remove_extension,
        )
        .get("/api/v1/batches", Access::SignedIn, api::list_batches)
        .doc(api::__path_list_batches)
        .post("/api/v1/batches", ADMIN, api::create_batch)
        .doc(api::__path_create_batch)
        .get("/api/v1/batches/{id}", Access::SignedIn, api::get_batch)
        .doc(api::__path_get_batch)
        .put("/api/v1/batches/{id}/params", ADMIN, api::update_params)
        .doc(api::__path_update_params)
        .post("/api/v1/batches/{id}/open", ADMIN, api::open_batch)
        .doc(api::__path_open_batch)
        .post("/api/v1/batches/{id}/close", ADMIN, api::close_batch)
        .doc(api::__path_close_batch)
        .put(
            "/api/v1/batches/{id}/extensions/{school_id}",
            ADMIN,
            api::set_extension,
        )
        .doc(api::__path_set_extension)
        .delete(
            "/api/v1/batches/{id}/extensions/{school_id}",
            ADMIN,
            api::remove_extension,
        )
        .doc(api::__path_remove_extension)
}
