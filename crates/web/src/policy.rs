//! The one place that decides who may call what and see which rows.
//!
//! - [`Routes`]: the builder every domain registers its routes with, each once: method, path,
//!   [`Access`] and handler, and for `/api/v1` the handler's OpenAPI operation
//!   ([`Routes::doc`]). The router, the table of [`RouteRule`]s ([`rules`], derived from
//!   [`crate::routes`]) and the OpenAPI paths ([`Routes::openapi_paths`]) are all read from these
//!   registrations, so a route cannot be served without its access or documented without being
//!   served; declaring a (method, path) twice panics.
//! - [`guard`]: the middleware (installed as a `route_layer` over the whole router) that looks up
//!   the matched (method, path) in the table and refuses what is missing or not allowed for the
//!   role: 403 for a signed-in user, a redirect to the login page (pages) or 401 (API) otherwise.
//!   It also sends an account that must change its one-time password to `/password`.
//! - [`refused`]: every refusal of a signed-in account — by role in [`guard`], 404 (not found or
//!   out of scope) and 403 (CSRF token, handler) answered by a handler behind it, and the
//!   cross-site 403 of the CSRF layer ([`log_cross_site`]) — is logged (tracing, `warn`) with the
//!   account, role, route and reason; the fifth refusal
//!   ([`crate::throttle::REFUSALS_AUDITED_AT`]) of one account within [`REFUSAL_WINDOW`] writes
//!   one audit entry `access.refused_repeatedly`. The counter is in memory, per instance
//!   ([`crate::throttle::RefusalCounter`]).
//! - [`scope_for`]: which rows a user's lists, pages, downloads and API answers cover;
//!   [`may_unmask`]: whether mobile and account numbers are shown in full.

use std::collections::HashMap;
use std::sync::OnceLock;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::handler::Handler;
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{MethodFilter, on};
use shuangshi_store::{Actor, AuditEntry, Role, Scope, User};
use tower_sessions::SessionStore;
use tower_sessions::session::Id;
use utoipa::__dev::SchemaReferences;
use utoipa::openapi::path::{HttpMethod, Operation, Paths};
use utoipa::openapi::{RefOr, Schema};

use crate::auth;
use crate::error::{AppError, ErrorInfo, is_api_path};
use crate::state::AppState;
use crate::throttle::REFUSAL_WINDOW;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not (login page, health check, assets).
    Public,
    /// Any signed-in account.
    SignedIn,
    /// Signed-in accounts of these roles only.
    Roles(&'static [Role]),
}

impl Access {
    /// Whether `role` may call a route with this access (`None`: not signed in).
    pub fn allows(&self, role: Option<Role>) -> bool {
        match (self, role) {
            (Access::Public, _) => true,
            (Access::SignedIn, Some(_)) => true,
            (Access::Roles(roles), Some(r)) => roles.contains(&r),
            (_, None) => false,
        }
    }
}

/// One route of the router and who may call it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteRule {
    /// `GET`, `POST`, `PUT`, `PATCH` or `DELETE`.
    pub method: &'static str,
    /// The axum pattern, e.g. `/forms/{id}`.
    pub path: &'static str,
    pub access: Access,
}

impl RouteRule {
    pub const fn new(method: &'static str, path: &'static str, access: Access) -> Self {
        RouteRule {
            method,
            path,
            access,
        }
    }
}

/// Role sets used by several tables.
pub mod roles {
    use shuangshi_store::Role;

    pub const ADMIN: &[Role] = &[Role::Admin];
    pub const SCHOOL: &[Role] = &[Role::SchoolOfficer];
    pub const ENTERPRISE: &[Role] = &[Role::EnterpriseOfficer];
    pub const OFFICERS: &[Role] = &[Role::SchoolOfficer, Role::EnterpriseOfficer];
    /// 市教委管理员 and 职成教处审核员.
    pub const COMMISSION: &[Role] = &[Role::Admin, Role::VocationalReviewer];
    /// 国资委 and 工商联.
    pub const OVERSIGHT: &[Role] = &[Role::SasacViewer, Role::FederationViewer];
}

/// The whole table: every route of [`crate::routes`] with its access, in registration order.
pub fn rules() -> Vec<RouteRule> {
    table().0.clone()
}

type Table = (
    Vec<RouteRule>,
    HashMap<(&'static str, &'static str), Access>,
);

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let rules = crate::routes().rules();
        let map = rules
            .iter()
            .map(|r| ((r.method, r.path), r.access))
            .collect();
        (rules, map)
    })
}

/// The access the table gives (method, path), `None` when the route is not in the table.
pub fn access_for(method: &str, path: &str) -> Option<Access> {
    table().1.get(&(method, path)).copied()
}

/// The rows `user` may see.
pub fn scope_for(user: &User) -> Scope {
    match (user.role, user.org_id) {
        (Role::Admin, _) => Scope::All,
        (Role::VocationalReviewer, _) => Scope::VocationalSchools,
        (Role::SasacViewer, _) => Scope::StateOwnedRows,
        (Role::FederationViewer, _) => Scope::PrivateRows,
        (Role::SchoolOfficer, Some(org)) => Scope::School(org),
        (Role::EnterpriseOfficer, Some(org)) => Scope::Enterprise(org),
        (Role::SchoolOfficer | Role::EnterpriseOfficer, None) => Scope::None,
    }
}

/// Whether `role` sees mobile and account numbers in full when it asks
/// ([`shuangshi_app::disclosure::may_unmask`]; the request's [`crate::disclosure::Disclosure`]
/// applies it).
pub fn may_unmask(role: Role) -> bool {
    shuangshi_app::disclosure::may_unmask(role)
}

/// The OpenAPI operation of an `/api/v1` route: the `#[utoipa::path]` of its handler (responses,
/// parameters and the schemas they use; utoipa wants the method and path there too, and
/// [`Routes::doc`] checks that they are the route's).
#[derive(Clone, Copy)]
pub struct ApiDoc {
    path: fn() -> String,
    methods: fn() -> Vec<HttpMethod>,
    operation: fn() -> Operation,
    schemas: fn(&mut Vec<(String, RefOr<Schema>)>),
}

impl ApiDoc {
    /// The operation of `P`, the type `#[utoipa::path]` generates next to a handler
    /// (`__path_<handler>`).
    pub fn of<P: utoipa::Path + SchemaReferences>(_: P) -> ApiDoc {
        ApiDoc {
            path: P::path,
            methods: P::methods,
            operation: P::operation,
            schemas: P::schemas,
        }
    }
}

/// OpenAPI's name of a method the router serves.
fn http_method(method: &str) -> HttpMethod {
    match method {
        "GET" => HttpMethod::Get,
        "POST" => HttpMethod::Post,
        "PUT" => HttpMethod::Put,
        "PATCH" => HttpMethod::Patch,
        _ => HttpMethod::Delete,
    }
}

/// One registered route: method, path, who may call it and, for the API, its OpenAPI operation.
#[derive(Clone, Copy)]
pub struct Registration {
    pub rule: RouteRule,
    pub doc: Option<ApiDoc>,
}

/// A router under construction that records, for each route, its method, path, [`Access`] and
/// (for the API) its OpenAPI operation: the one declaration the router, the policy table
/// ([`rules`]) and the OpenAPI document ([`crate::openapi`]) are all built from.
///
/// ```text
/// Routes::new()
///     .get("/forms", SCHOOL, pages::list)
///     .get("/api/v1/forms", OFFICERS, api::list_forms).doc(api::__path_list_forms)
/// ```
///
/// Registering a (method, path) twice panics, and so does documenting a route with an operation
/// of another method, so a duplicate stops the application at start (and every test).
pub struct Routes {
    router: Router<AppState>,
    registrations: Vec<Registration>,
}

impl Default for Routes {
    fn default() -> Self {
        Routes::new()
    }
}

impl Routes {
    pub fn new() -> Self {
        Routes {
            router: Router::new(),
            registrations: Vec::new(),
        }
    }

    fn check_new(&self, method: &str, path: &str) {
        if self
            .registrations
            .iter()
            .any(|r| r.rule.method == method && r.rule.path == path)
        {
            panic!("route declared twice: {method} {path}");
        }
    }

    /// Registers `handler` at `method path` for callers `access` allows.
    pub fn route<H, T>(
        mut self,
        method: Method,
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let (name, filter): (&'static str, MethodFilter) = match method {
            Method::GET => ("GET", MethodFilter::GET),
            Method::POST => ("POST", MethodFilter::POST),
            Method::PUT => ("PUT", MethodFilter::PUT),
            Method::PATCH => ("PATCH", MethodFilter::PATCH),
            Method::DELETE => ("DELETE", MethodFilter::DELETE),
            other => panic!("method not supported by the router: {other} {path}"),
        };
        self.check_new(name, path);
        self.router = self.router.route(path, on(filter, handler));
        self.registrations.push(Registration {
            rule: RouteRule::new(name, path, access),
            doc: None,
        });
        self
    }

    pub fn get<H, T>(self, path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.route(Method::GET, path, access, handler)
    }

    pub fn post<H, T>(self, path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.route(Method::POST, path, access, handler)
    }

    pub fn put<H, T>(self, path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.route(Method::PUT, path, access, handler)
    }

    pub fn patch<H, T>(self, path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.route(Method::PATCH, path, access, handler)
    }

    pub fn delete<H, T>(self, path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.route(Method::DELETE, path, access, handler)
    }

    /// Documents the route registered last with the OpenAPI operation `P` of its handler
    /// (`__path_<handler>`, generated by `#[utoipa::path]`). Panics when there is no route yet,
    /// when it is documented already or when the operation names another method or path, so the
    /// document cannot drift from the router.
    pub fn doc<P: utoipa::Path + SchemaReferences>(mut self, operation: P) -> Self {
        let doc = ApiDoc::of(operation);
        let Some(last) = self.registrations.last_mut() else {
            panic!("doc() before any route");
        };
        let method = last.rule.method;
        let path = last.rule.path;
        if last.doc.is_some() || (doc.methods)() != [http_method(method)] || (doc.path)() != path {
            panic!("{method} {path} documented twice or with the operation of another route");
        }
        last.doc = Some(doc);
        self
    }

    /// Adds another module's routes.
    pub fn merge(mut self, other: Routes) -> Self {
        for r in &other.registrations {
            self.check_new(r.rule.method, r.rule.path);
        }
        self.router = self.router.merge(other.router);
        self.registrations.extend(other.registrations);
        self
    }

    /// The (method, path) pairs registered so far, in order.
    pub fn registered(&self) -> Vec<(&'static str, &'static str)> {
        self.registrations
            .iter()
            .map(|r| (r.rule.method, r.rule.path))
            .collect()
    }

    /// Each route with its access, in order: the policy table.
    pub fn rules(&self) -> Vec<RouteRule> {
        self.registrations.iter().map(|r| r.rule).collect()
    }

    /// Every registration, with its OpenAPI operation where it has one.
    pub fn registrations(&self) -> &[Registration] {
        &self.registrations
    }

    /// The OpenAPI paths of the documented routes and the schemas their operations use.
    pub fn openapi_paths(&self) -> (Paths, Vec<(String, RefOr<Schema>)>) {
        let mut paths = Paths::new();
        let mut schemas = Vec::new();
        for r in &self.registrations {
            let Some(doc) = r.doc else { continue };
            paths.add_path_operation(
                r.rule.path,
                vec![http_method(r.rule.method)],
                (doc.operation)(),
            );
            (doc.schemas)(&mut schemas);
        }
        (paths, schemas)
    }

    pub fn into_router(self) -> Router<AppState> {
        self.router
    }
}

/// Paths an account that must change its password may still use.
const ALLOWED_BEFORE_PASSWORD_CHANGE: &[&str] = &["/password", "/logout"];

/// The middleware of the module docs.
pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    // axum answers HEAD with the GET handler: it gets GET's rule.
    let method = if request.method() == Method::HEAD {
        Method::GET
    } else {
        request.method().clone()
    };
    let Some(path) = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
    else {
        return next.run(request).await;
    };
    let uri_path = request.uri().path().to_owned();
    let access = access_for(method.as_str(), &path);
    let Some(access) = access else {
        // Every registered route is in the table, so the path exists but not with this method:
        // the router answers 405.
        return next.run(request).await;
    };
    if access == Access::Public {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    let user = match auth::resolve(&state, &mut parts).await {
        Ok(u) => u,
        Err(e) => return e.into_response(),
    };
    let Some(user) = user else {
        // `render_errors` sends a page to the login (and back afterwards); the API gets 401.
        return AppError::Unauthenticated.into_response();
    };
    if !access.allows(Some(user.user.role)) {
        refused(
            &state,
            &user.user,
            &user.ip,
            method.as_str(),
            &path,
            "role not allowed",
        )
        .await;
        return AppError::Forbidden.into_response();
    }
    if user.user.must_change_password
        && !user.via_token
        && !ALLOWED_BEFORE_PASSWORD_CHANGE.contains(&path.as_str())
    {
        if is_api_path(&uri_path) || method != Method::GET {
            refused(
                &state,
                &user.user,
                &user.ip,
                method.as_str(),
                &path,
                "password change required",
            )
            .await;
            return AppError::Forbidden.into_response();
        }
        return Redirect::to("/password").into_response();
    }
    let (account, ip) = (user.user.clone(), user.ip.clone());
    parts.extensions.insert(user);
    let response = next.run(Request::from_parts(parts, body)).await;
    if let Some(reason) = handler_refusal(&response) {
        refused(&state, &account, &ip, method.as_str(), &path, reason).await;
    }
    response
}

/// Why a handler's answer is a refusal: a 404 it answered itself (not found, or outside the
/// user's scope — the two look the same on purpose) or a 403 (a missing or wrong CSRF token, or
/// a refusal of its own).
fn handler_refusal(response: &Response) -> Option<&'static str> {
    let info = response.extensions().get::<ErrorInfo>()?;
    match info.status {
        StatusCode::NOT_FOUND => Some("not found or out of scope"),
        StatusCode::FORBIDDEN if info.message == AppError::Csrf.to_string() => {
            Some("csrf token missing or wrong")
        }
        StatusCode::FORBIDDEN => Some("forbidden by the handler"),
        _ => None,
    }
}

/// Logs a refused request of `user` (from `ip`) to `method route` and counts it; the fifth
/// refusal ([`crate::throttle::REFUSALS_AUDITED_AT`]) within [`REFUSAL_WINDOW`] is audited as
/// `access.refused_repeatedly` (once per window).
pub async fn refused(
    state: &AppState,
    user: &User,
    ip: &str,
    method: &str,
    route: &str,
    reason: &'static str,
) {
    tracing::warn!(
        user_id = user.id,
        username = %user.username,
        role = user.role.as_str(),
        ip,
        method,
        route,
        reason,
        "request refused"
    );
    let Some(count) = state.refusals.record(user.id) else {
        return;
    };
    let actor = Actor::user(user.id, &user.username, ip);
    let entry = AuditEntry::new(
        &actor,
        "access.refused_repeatedly",
        format!("user:{}", user.id),
        format!(
            "{count} refusals within {} minutes; last: {method} {route} ({reason})",
            REFUSAL_WINDOW.as_secs() / 60
        ),
    );
    if let Err(e) = state.store.audit(entry).await {
        tracing::error!(error = %e, user_id = user.id, "audit of repeated refusals not written");
    }
}

/// Middleware outside the CSRF layer: logs (and counts, via [`refused`]) the requests it refuses
/// as cross-site. The layer answers before the session layer runs, so the account is read here
/// from the session cookie, only for such a refusal.
pub async fn log_cross_site(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().as_str().to_owned();
    let path = request.uri().path().to_owned();
    let cookie = session_cookie(request.headers());
    let ip = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_default();
    let response = next.run(request).await;
    let cross_site = response.status() == StatusCode::FORBIDDEN
        && response
            .extensions()
            .get::<tower_http::csrf::ProtectionError>()
            .is_some();
    if !cross_site {
        return response;
    }
    let reason = "cross-site request";
    match session_account(&state, cookie.as_deref()).await {
        Some(user) => refused(&state, &user, &ip, &method, &path, reason).await,
        None => tracing::warn!(ip, method, route = path, reason, "request refused"),
    }
    response
}

/// The value of the session cookie of a request.
fn session_cookie(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            pair.trim()
                .strip_prefix(crate::session::COOKIE_NAME)
                .and_then(|rest| rest.strip_prefix('='))
                .map(str::to_owned)
        })
}

/// The account signed in with the session cookie `cookie`, if any.
async fn session_account(state: &AppState, cookie: Option<&str>) -> Option<User> {
    let id: Id = cookie?.parse().ok()?;
    let record = state.store.load(&id).await.ok()??;
    let uid = record.data.get(auth::SESSION_USER)?.as_i64()?;
    state.store.get_user(uid).await.ok()?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_no_duplicates() {
        let all = rules();
        let mut seen = std::collections::HashSet::new();
        for r in &all {
            assert!(seen.insert((r.method, r.path)), "{} {}", r.method, r.path);
        }
    }

    #[test]
    fn access_rules() {
        assert!(Access::Public.allows(None));
        assert!(!Access::SignedIn.allows(None));
        assert!(Access::SignedIn.allows(Some(Role::SasacViewer)));
        assert!(Access::Roles(roles::ADMIN).allows(Some(Role::Admin)));
        assert!(!Access::Roles(roles::ADMIN).allows(Some(Role::SchoolOfficer)));
    }
}
