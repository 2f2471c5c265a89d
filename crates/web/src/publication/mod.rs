//! The pages without login (`/public`): the 公示 and final lists, print view, xlsx, the objection form; `/api/v1/public`.

pub mod api;
pub mod pages;

use crate::policy::{Access, Routes};

/// Every route of this domain, each with who may call it (and, for the API, its operation).
pub fn routes() -> Routes {
    Routes::new()
        .get("/public", Access::Public, pages::index)
        .get("/public/{number}", Access::Public, pages::list_page)
        .get("/public/{number}/print", Access::Public, pages::print_page)
        .get(
            "/public/{number}/list.xlsx",
            Access::Public,
            pages::list_xlsx,
        )
        .post(
            "/public/{number}/objections",
            Access::Public,
            pages::objection,
        )
        .get("/api/v1/public", Access::Public, api::api_lists)
        .doc(api::__path_api_lists)
        .get("/api/v1/public/{number}", Access::Public, api::api_list)
        .doc(api::__path_api_list)
        .post(
            "/api/v1/public/{number}/objections",
            Access::Public,
            api::api_objection,
        )
        .doc(api::__path_api_objection)
}
