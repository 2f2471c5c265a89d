//! The commission's administration (市教委管理员): 账号管理 ([`accounts`]), API tokens
//! ([`tokens`], every account's own), 批次设置 ([`batches`]), 单位名录 ([`orgs`]) and 审计日志
//! ([`audit`]). Each is a domain of its own with its routes, pages and `/api/v1` endpoints.

pub mod accounts;
pub mod audit;
pub mod batches;
pub mod orgs;
pub mod tokens;

use crate::policy::Routes;

/// The routes of the administration's domains.
pub fn routes() -> Routes {
    Routes::new()
        .merge(accounts::routes())
        .merge(tokens::routes())
        .merge(batches::routes())
        .merge(orgs::routes())
        .merge(audit::routes())
}
