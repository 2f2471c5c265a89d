//! 人员履历: a person's appearances across batches (`/people`, `/api/v1/people`).

pub mod api;
pub mod pages;

use crate::policy::{Access, Routes, roles};

/// Every route of this domain, each with who may call it (and, for the API, its operation).
pub fn routes() -> Routes {
    Routes::new()
        .get(
            "/people/{form}/{row}",
            Access::Roles(roles::COMMISSION),
            pages::page,
        )
        .get(
            "/api/v1/people/{form}/{row}",
            Access::Roles(roles::COMMISSION),
            api::api_history,
        )
        .doc(api::__path_api_history)
}
