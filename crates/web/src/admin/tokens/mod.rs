//! API tokens: every account's own, and the administrator's view of an account's.

pub mod pages;

use crate::policy::{Access, Routes, roles};

const ADMIN: Access = Access::Roles(roles::ADMIN);

/// Every route of this domain, each with who may call it (and, for the API, its operation).
pub fn routes() -> Routes {
    Routes::new()
        .get("/admin/accounts/{id}/tokens", ADMIN, pages::of_account)
        .get("/tokens", Access::SignedIn, pages::mine)
        .post("/tokens", Access::SignedIn, pages::create)
        .post("/tokens/{id}/revoke", Access::SignedIn, pages::revoke)
}
