//! 账号管理 and `/api/v1/accounts`.

pub mod api;
pub mod pages;

use crate::policy::{Access, Routes, roles};

const ADMIN: Access = Access::Roles(roles::ADMIN);

/// Every route of this domain, each with who may call it (and, for the API, its operation).
pub fn routes() -> Routes {
    Routes::new()
        .get("/admin/accounts", ADMIN, pages::list)
        .get("/admin/accounts/new", ADMIN, pages::new_page)
        .post("/admin/accounts", ADMIN, pages::create)
        .post("/admin/accounts/{id}/reset", ADMIN, pages::reset)
        .post("/admin/accounts/{id}/disable", ADMIN, pages::disable)
        .post("/admin/accounts/{id}/enable", ADMIN, pages::enable)
        .post("/admin/accounts/{id}/unlock", ADMIN, pages::unlock)
        .post("/admin/accounts/{id}/email", ADMIN, pages::set_email)
        .get("/api/v1/accounts", ADMIN, api::list_accounts)
        .doc(api::__path_list_accounts)
        .post("/api/v1/accounts", ADMIN, api::create_account)
        .doc(api::__path_create_account)
        .post(
            "/api/v1/accounts/{id}/reset-password",
            ADMIN,
            api::reset_password,
        )
        .doc(api::__path_reset_password)
        .post("/api/v1/accounts/{id}/disable", ADMIN, api::disable_account)
        .doc(api::__path_disable_account)
        .post("/api/v1/accounts/{id}/enable", ADMIN, api::enable_account)
        .doc(api::__path_enable_account)
        .post("/api/v1/accounts/{id}/unlock", ADMIN, api::unlock_account)
        .doc(api::__path_unlock_account)
}
