//! 工作台: the first page of every role.

pub mod pages;

use crate::policy::{Access, Routes};

/// Every route of this domain, each with who may call it (and, for the API, its operation).
pub fn routes() -> Routes {
    Routes::new().get("/", Access::SignedIn, pages::dashboard)
}
