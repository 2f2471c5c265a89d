//! 催办提醒 (`/reminders`).

pub mod pages;

use crate::policy::{Access, Routes, roles};

/// Every route of this domain, each with who may call it (and, for the API, its operation).
pub fn routes() -> Routes {
    Routes::new()
        .get("/reminders", Access::Roles(roles::ADMIN), pages::page)
        .post("/reminders/send", Access::Roles(roles::ADMIN), pages::send)
}
