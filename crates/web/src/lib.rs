//! The web application of 双千双师交流计划管理系统: router, middleware stack, sessions, the access
//! policy, page frame, templates and the embedded browser assets.
//!
//! # The contract every page module follows
//!
//! - **State.** Handlers take `State<AppState>` ([`state::AppState`]: `config`, `store`).
//! - **Routes and policy.** A module exposes `pub fn routes() -> policy::Routes` (register with
//!   `Routes::new().get("/forms/{id}", h).post(…)`, never with a bare `Router`) and
//!   `pub const POLICY: &[policy::RouteRule]` listing each (method, path) with its
//!   [`policy::Access`] (`Public`, `SignedIn`, `Roles(&[Role::SchoolOfficer])`). [`routes`] merges
//!   the modules; [`policy::rules`] concatenates the `POLICY`s. The [`policy::guard`] middleware
//!   refuses any route missing from the table (deny by default) and any role the table does not
//!   name, before a handler runs; the policy test calls every route as every role and fails when
//!   the router and the table differ. Adding a module means adding it to both lists.
//! - **Who.** [`auth::CurrentUser`] (an extractor; `Option<CurrentUser>` on public pages) gives
//!   `user`, `org_name`, `csrf`, `via_token`, `ip`, and `actor()` (for the audit log),
//!   `scope()` (pass it to every store read: another organisation's id then gives `None` → answer
//!   [`AppError::NotFound`]), `may_unmask()` (mask mobile/account numbers otherwise, and audit every
//!   unmasked page or export), `frame(title, menu_key)` (the page frame).
//! - **CSRF.** Urlencoded POST handlers take [`auth::CsrfForm<T>`] (checks the hidden field
//!   `_csrf` = `frame.csrf_token`); multipart handlers call [`auth::check_csrf`] with the header
//!   `X-CSRF-Token` or their `_csrf` field. Bearer-token API calls need neither.
//! - **Errors.** Return [`AppError`] (`From<StoreError>` maps not-found to 404, invalid input to
//!   400, state conflicts to 409); [`error::render_errors`] writes the Chinese page or JSON.
//! - **Roles.** [`Role`] is `shuangshi_store::Role` everywhere; [`ui::menu_for`] gives each role's
//!   menu.
//! - **Tests.** One integration binary, `tests/it/main.rs`, with `support::TestApp` (a fresh
//!   database on SQLite or `TEST_DATABASE_URL`, the real router) and `app.login(role)`.
//!
//! Modules: [`state`], [`session`], [`auth`], [`policy`], [`pages`] (login, logout, password,
//! dashboard, health), [`admin`] (accounts, tokens, batches, registry, audit), [`api`] (`/api/v1`
//! and the OpenAPI document), `school`, `enterprise`, `review` (the school's, the enterprise's
//! and the commission's pages), [`security`] (headers, CSRF layer, passwords), [`ui`] (frame,
//! menu, partial view-models), [`batch_switch`] (the commission's 当前批次 switcher),
//! [`filters`]/[`fmt`] (askama filters), [`assets`], [`error`].

pub mod admin;
pub mod api;
pub mod assets;
pub mod auth;
pub mod batch_switch;
pub mod disclosure;
pub mod enterprise;
pub mod error;
pub mod filters;
pub mod fmt;
pub mod ledger;
pub mod pages;
pub mod people;
pub mod policy;
pub mod public;
pub mod reminders;
pub mod review;
pub mod school;
pub mod security;
pub mod selection;
pub mod session;
pub mod state;
pub mod term;
pub mod throttle;
pub mod ui;

use axum::Router;
use axum::middleware::from_fn_with_state;

pub use error::AppError;
pub use state::{AppState, WebConfig};
pub use ui::{Frame, MenuItem, Role, menu_for};

/// Every module's routes, registered through [`policy::Routes`] (so the test can compare them with
/// [`policy::rules`]).
pub fn routes() -> policy::Routes {
    policy::Routes::new()
        .merge(pages::routes())
        .merge(admin::routes())
        .merge(api::routes())
        .merge(school::routes())
        .merge(enterprise::routes())
        .merge(review::routes())
        .merge(people::routes())
        .merge(selection::routes())
        .merge(public::routes())
        .merge(term::routes())
        .merge(ledger::routes())
        .merge(reminders::routes())
        .merge(batch_switch::routes())
        .merge(admin::audit::routes())
}

/// The whole web application: [`routes`] behind the policy guard, the session layer and the
/// middleware of [`security::apply`].
pub fn router(state: AppState) -> Router {
    let app = routes()
        .into_router()
        .route_layer(axum::middleware::from_fn(batch_switch::remember))
        .route_layer(from_fn_with_state(state.clone(), policy::guard))
        .fallback(pages::not_found)
        .layer(session::layer(state.store.clone(), &state.config));
    security::apply(app, &state.config)
        .layer(from_fn_with_state(state.clone(), policy::log_cross_site))
        .with_state(state)
}
