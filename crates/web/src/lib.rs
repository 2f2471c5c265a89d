//! The web application of 双千双师交流计划管理系统: router, middleware stack, sessions, the access
//! policy, page frame, templates and the embedded browser assets.
//!
//! # Layout: modules by domain
//!
//! Each domain is a directory with `mod.rs` (its `routes()`), `pages.rs` (the HTML pages) and
//! `api.rs` (its `/api/v1` endpoints) where it has any, plus files of its own:
//! [`account`] (login, logout, password, `/api/v1/me`, health, assets), [`dashboard`] (工作台),
//! [`partnerships`], [`forms`] (the school's forms, import, [`forms::checks`], scans, the
//! enterprise's confirmation, `POST /api/v1/check`), [`notices`], [`submissions`] (报送 and the
//! snapshot's view and diff), [`review`], [`roster`], [`oversight`] (名单查阅 / 报送分送),
//! [`people`], [`selection`], [`publication`] (the pages without login), [`terms`] (聘期),
//! [`subsidies`] (补助经费), [`reminders`], and [`admin`]'s `accounts`, `tokens`, `batches`,
//! `orgs`, `audit`. Domains import each other in layers, never in a cycle (`tests/it/layout.rs`
//! fails on one): e.g. `review` and `roster` use `submissions`' snapshot view and `forms`' checks,
//! never the reverse. Helpers several domains use are in [`shared`] (`officer`, `batch`, `audit`,
//! `download`, `flash`, `pagination`, `query`), which imports no domain; so do the cross-cutting
//! modules: [`state`], [`session`], [`auth`], [`policy`], [`security`], [`error`], [`ui`],
//! [`filters`]/[`fmt`] (askama filters), [`assets`], [`disclosure`], [`throttle`],
//! [`batch_switch`]. [`openapi`] assembles the OpenAPI document.
//!
//! # The contract every domain follows
//!
//! - **State.** Handlers take `State<AppState>` ([`state::AppState`]: `config`, `store`, `app`).
//! - **Routes, policy and OpenAPI: one declaration.** A domain exposes `pub fn routes() ->
//!   policy::Routes` and registers each route once, with who may call it:
//!   `Routes::new().get("/forms/{id}", SCHOOL, pages::page)` (also `post`, `put`, `delete`,
//!   `route(Method, …)`; [`policy::Access`] is `Public`, `SignedIn` or `Roles(&[…])`), and an
//!   `/api/v1` route adds the `#[utoipa::path]` operation of its handler:
//!   `.get("/api/v1/forms", OFFICERS, api::list_forms).doc(api::__path_list_forms)` (utoipa
//!   wants the method and path in the attribute too; `doc` panics unless they are the route's). [`routes`]
//!   merges the domains; the router, the policy table ([`policy::rules`], which
//!   [`policy::guard`] reads: deny by default, a role the table does not name is refused before a
//!   handler runs) and the OpenAPI paths ([`openapi::document`]) all come from it. Declaring a
//!   (method, path) twice panics at start; the policy test calls every route as every role.
//!   Adding a domain means adding it to [`routes`].
//! - **Lists in the API.** Every `/api/v1` list answers one page,
//!   [`shared::pagination::Page`] (`{items, total, page, per_page}`, next to a summary where the
//!   list has one), asked for with [`shared::pagination::PageQuery`] (`?page=&per_page=`, at most
//!   500 a page).
//! - **Who.** [`auth::CurrentUser`] (an extractor; `Option<CurrentUser>` on public pages) gives
//!   `user`, `org_name`, `csrf`, `via_token`, `ip`, and `actor()` (for the audit log),
//!   `scope()` (pass it to every store read: another organisation's id then gives `None` → answer
//!   [`AppError::NotFound`]), `may_unmask()`, `frame(title, menu_key)` (the page frame). What may be shown in
//!   full is the request's [`disclosure::Disclosure`].
//! - **CSRF.** Urlencoded POST handlers take [`auth::CsrfForm<T>`] (checks the hidden field
//!   `_csrf` = `frame.csrf_token`); multipart handlers call [`auth::check_csrf`] with the header
//!   `X-CSRF-Token` or their `_csrf` field. Bearer-token API calls need neither.
//! - **Errors.** Return [`AppError`] (`From<StoreError>` maps not-found to 404, invalid input to
//!   400, state conflicts to 409); [`error::render_errors`] writes the Chinese page or JSON.
//! - **Roles.** [`Role`] is `shuangshi_store::Role` everywhere; [`ui::menu_for`] gives each role's
//!   menu.
//! - **Tests.** One integration binary, `tests/it/main.rs`, with `support::TestApp` (a fresh
//!   database on SQLite or `TEST_DATABASE_URL`, the real router) and `app.login(role)`.

pub mod account;
pub mod admin;
pub mod assets;
pub mod auth;
pub mod batch_switch;
pub mod dashboard;
pub mod disclosure;
pub mod error;
pub mod filters;
pub mod fmt;
pub mod forms;
pub mod notices;
pub mod openapi;
pub mod oversight;
pub mod partnerships;
pub mod people;
pub mod policy;
pub mod publication;
pub mod reminders;
pub mod reveal;
pub mod review;
pub mod roster;
pub mod security;
pub mod selection;
pub mod session;
pub mod shared;
pub mod state;
pub mod submissions;
pub mod subsidies;
pub mod terms;
pub mod throttle;
pub mod ui;

use axum::Router;
use axum::middleware::from_fn_with_state;

pub use error::AppError;
pub use state::{AppState, WebConfig};
pub use ui::{Frame, MenuItem, Role, menu_for};

/// Every domain's routes, each declared once through [`policy::Routes`]: the router, the policy
/// table ([`policy::rules`]) and the OpenAPI paths are all read from here.
pub fn routes() -> policy::Routes {
    policy::Routes::new()
        .merge(account::routes())
        .merge(dashboard::routes())
        .merge(partnerships::routes())
        .merge(forms::routes())
        .merge(notices::routes())
        .merge(submissions::routes())
        .merge(review::routes())
        .merge(roster::routes())
        .merge(oversight::routes())
        .merge(people::routes())
        .merge(selection::routes())
        .merge(publication::routes())
        .merge(terms::routes())
        .merge(subsidies::routes())
        .merge(reminders::routes())
        .merge(admin::routes())
        .merge(batch_switch::routes())
        .merge(reveal::routes())
        .merge(openapi::routes())
}

/// The whole web application: [`routes`] behind the policy guard, the session layer and the
/// middleware of [`security::apply`].
pub fn router(state: AppState) -> Router {
    let app = routes()
        .into_router()
        .route_layer(axum::middleware::from_fn(batch_switch::remember))
        .route_layer(from_fn_with_state(state.clone(), policy::guard))
        .fallback(account::pages::not_found)
        .layer(session::layer(state.store.clone(), &state.config));
    security::apply(app, &state.config)
        .layer(from_fn_with_state(state.clone(), policy::log_cross_site))
        .with_state(state)
}
