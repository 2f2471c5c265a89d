//! 名单查阅 / 报送分送: the copies routed to 市国资委 and 市工商联, their opinions, the export; `/api/v1/copies`.

pub mod api;
pub mod pages;

use crate::policy::{Access, Routes, roles};

/// Every route of this domain, each with who may call it (and, for the API, its operation).
pub fn routes() -> Routes {
    Routes::new()
        .get(
            "/list",
            Access::Roles(pages::READERS),
            pages::oversight_list,
        )
        .get("/list.xlsx", Access::Roles(pages::READERS), pages::export)
        .post(
            "/list/opinions/{selection_id}",
            Access::Roles(roles::OVERSIGHT),
            pages::opinion,
        )
        .get(
            "/api/v1/copies",
            Access::Roles(pages::READERS),
            api::api_copies,
        )
        .doc(api::__path_api_copies)
        .post(
            "/api/v1/copies/{selection_id}/opinion",
            Access::Roles(roles::OVERSIGHT),
            api::api_opinion,
        )
        .doc(api::__path_api_opinion)
}
