//! Signing in and out, the password, the calling account (`/api/v1/me`), the health check and the assets.

pub mod api;
pub mod pages;

use crate::policy::{Access, Routes};

/// Every route of this domain, each with who may call it (and, for the API, its operation).
pub fn routes() -> Routes {
    Routes::new()
        .get("/api/v1/me", Access::SignedIn, api::me)
        .doc(api::__path_me)
        .get("/healthz", Access::Public, pages::healthz)
        .get("/assets/{*path}", Access::Public, crate::assets::serve)
        .get("/login", Access::Public, pages::login_page)
        .post("/login", Access::Public, pages::login)
        .post("/logout", Access::SignedIn, pages::logout)
        .get("/password", Access::SignedIn, pages::password_page)
        .post("/password", Access::SignedIn, pages::change_password)
}
