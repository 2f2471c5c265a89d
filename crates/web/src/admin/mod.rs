//! The commission's administration (市教委管理员): 账号管理 ([`accounts`]), API tokens
//! ([`tokens`], every account's own), 批次设置 ([`batches`]), 单位名录 ([`orgs`]), 审计日志
//! ([`audit`]), 汇总名单 ([`roster`], also 职成教处's within its scope); and the oversight bodies'
//! 名单查阅 ([`list`]).

pub mod accounts;
pub mod audit;
pub mod batches;
pub mod list;
pub mod orgs;
pub mod roster;
pub mod tokens;

use serde::Deserialize;

use crate::policy::{Access, RouteRule, Routes, roles};

const ADMIN: Access = Access::Roles(roles::ADMIN);
const COMMISSION: Access = Access::Roles(roles::COMMISSION);

pub const POLICY: &[RouteRule] = &[
    RouteRule::new("GET", "/admin/accounts", ADMIN),
    RouteRule::new("GET", "/admin/accounts/new", ADMIN),
    RouteRule::new("POST", "/admin/accounts", ADMIN),
    RouteRule::new("POST", "/admin/accounts/{id}/reset", ADMIN),
    RouteRule::new("POST", "/admin/accounts/{id}/disable", ADMIN),
    RouteRule::new("POST", "/admin/accounts/{id}/enable", ADMIN),
    RouteRule::new("POST", "/admin/accounts/{id}/unlock", ADMIN),
    RouteRule::new("POST", "/admin/accounts/{id}/email", ADMIN),
    RouteRule::new("GET", "/admin/accounts/{id}/tokens", ADMIN),
    RouteRule::new("GET", "/tokens", Access::SignedIn),
    RouteRule::new("POST", "/tokens", Access::SignedIn),
    RouteRule::new("POST", "/tokens/{id}/revoke", Access::SignedIn),
    RouteRule::new("GET", "/admin/batches", ADMIN),
    RouteRule::new("POST", "/admin/batches", ADMIN),
    RouteRule::new("GET", "/admin/batches/{id}", ADMIN),
    RouteRule::new("POST", "/admin/batches/{id}", ADMIN),
    RouteRule::new("GET", "/admin/batches/{id}/params.toml", ADMIN),
    RouteRule::new("POST", "/admin/batches/{id}/import", ADMIN),
    RouteRule::new("POST", "/admin/batches/{id}/open", ADMIN),
    RouteRule::new("POST", "/admin/batches/{id}/close", ADMIN),
    RouteRule::new("POST", "/admin/batches/{id}/extensions", ADMIN),
    RouteRule::new(
        "POST",
        "/admin/batches/{id}/extensions/{school_id}/delete",
        ADMIN,
    ),
    RouteRule::new("GET", "/admin/orgs", ADMIN),
    RouteRule::new("GET", "/admin/orgs/template.csv", ADMIN),
    RouteRule::new("POST", "/admin/orgs/import", ADMIN),
    RouteRule::new("POST", "/admin/orgs/import/commit", ADMIN),
    RouteRule::new("GET", "/admin/orgs/{id}", ADMIN),
    RouteRule::new("POST", "/admin/orgs/{id}", ADMIN),
    RouteRule::new("GET", "/admin/orgs/new", ADMIN),
    RouteRule::new("POST", "/admin/orgs", ADMIN),
    RouteRule::new("POST", "/admin/orgs/{id}/delete", ADMIN),
    RouteRule::new("GET", "/admin/orgs/export.xlsx", ADMIN),
    RouteRule::new("GET", "/roster", COMMISSION),
    RouteRule::new("GET", "/roster.xlsx", COMMISSION),
    RouteRule::new("GET", "/api/v1/roster", COMMISSION),
    RouteRule::new("GET", "/list", Access::Roles(list::READERS)),
    RouteRule::new("GET", "/list.xlsx", Access::Roles(list::READERS)),
    RouteRule::new(
        "POST",
        "/list/opinions/{selection_id}",
        Access::Roles(roles::OVERSIGHT),
    ),
    RouteRule::new("GET", "/api/v1/copies", Access::Roles(list::READERS)),
    RouteRule::new(
        "POST",
        "/api/v1/copies/{selection_id}/opinion",
        Access::Roles(roles::OVERSIGHT),
    ),
    RouteRule::new("GET", "/admin/audit", ADMIN),
    RouteRule::new("POST", "/admin/audit/verify", ADMIN),
];

pub fn routes() -> Routes {
    Routes::new()
        .get("/admin/accounts", accounts::list)
        .get("/admin/accounts/new", accounts::new_page)
        .post("/admin/accounts", accounts::create)
        .post("/admin/accounts/{id}/reset", accounts::reset)
        .post("/admin/accounts/{id}/disable", accounts::disable)
        .post("/admin/accounts/{id}/enable", accounts::enable)
        .post("/admin/accounts/{id}/unlock", accounts::unlock)
        .post("/admin/accounts/{id}/email", accounts::set_email)
        .get("/admin/accounts/{id}/tokens", tokens::of_account)
        .get("/tokens", tokens::mine)
        .post("/tokens", tokens::create)
        .post("/tokens/{id}/revoke", tokens::revoke)
        .get("/admin/batches", batches::list)
        .post("/admin/batches", batches::create)
        .get("/admin/batches/{id}", batches::edit)
        .post("/admin/batches/{id}", batches::save)
        .get("/admin/batches/{id}/params.toml", batches::export)
        .post("/admin/batches/{id}/import", batches::import)
        .post("/admin/batches/{id}/open", batches::open)
        .post("/admin/batches/{id}/close", batches::close)
        .post("/admin/batches/{id}/extensions", batches::extend)
        .post(
            "/admin/batches/{id}/extensions/{school_id}/delete",
            batches::remove_extension,
        )
        .get("/roster", roster::page)
        .get("/roster.xlsx", roster::export)
        .get("/api/v1/roster", roster::api_roster)
        .get("/list", list::oversight_list)
        .get("/list.xlsx", list::export)
        .post("/list/opinions/{selection_id}", list::opinion)
        .get("/api/v1/copies", list::api_copies)
        .post("/api/v1/copies/{selection_id}/opinion", list::api_opinion)
        .get("/admin/orgs", orgs::list)
        .get("/admin/orgs/template.csv", orgs::template)
        .post("/admin/orgs/import", orgs::preview)
        .post("/admin/orgs/import/commit", orgs::commit)
        .get("/admin/orgs/{id}", orgs::edit)
        .post("/admin/orgs/{id}", orgs::save)
        .get("/admin/orgs/new", orgs::new_page)
        .post("/admin/orgs", orgs::create)
        .post("/admin/orgs/{id}/delete", orgs::delete)
        .get("/admin/orgs/export.xlsx", orgs::export)
        .get("/admin/audit", audit::list)
        .post("/admin/audit/verify", audit::verify)
}

/// The page and page size of a list (`?page=2&per_page=50`), tolerant of empty or bad values.
#[derive(Debug, Default, Deserialize)]
pub struct Paging {
    #[serde(default)]
    pub page: String,
    #[serde(default)]
    pub per_page: String,
}

impl Paging {
    pub fn page(&self) -> u64 {
        self.page.trim().parse().unwrap_or(1).max(1)
    }

    pub fn per_page(&self) -> u32 {
        self.per_page.trim().parse().unwrap_or(20)
    }
}

/// A filter value: `None` when blank.
pub fn non_empty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}
