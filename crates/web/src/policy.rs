//! The one place that decides who may call what and see which rows.
//!
//! - [`RouteRule`]s: every (method, path) of the router with its [`Access`]. Each module keeps its
//!   rules in a `POLICY` const next to its handlers; [`rules`] concatenates them.
//! - [`Routes`]: the builder every module registers its handlers with. It records each
//!   (method, path) it registers, so the test can compare what the router serves with [`rules`]
//!   (a route missing from the table fails the test; at run time it is refused for everyone).
//! - [`guard`]: the middleware (installed as a `route_layer` over the whole router) that looks up
//!   the matched (method, path) in the table and refuses what is missing or not allowed for the
//!   role: 403 for a signed-in user, a redirect to the login page (pages) or 401 (API) otherwise.
//!   It also sends an account that must change its one-time password to `/password`.
//! - [`scope_for`]: which rows a user's lists, pages, downloads and API answers cover;
//!   [`may_unmask`]: whether mobile and account numbers are shown in full.

use std::collections::HashMap;
use std::sync::OnceLock;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::handler::Handler;
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{MethodRouter, delete, get, patch, post, put};
use shuangshi_store::{Role, Scope, User};

use crate::auth;
use crate::error::{AppError, is_api_path};
use crate::state::AppState;

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

/// The whole table: every module's `POLICY`.
pub fn rules() -> Vec<RouteRule> {
    [
        crate::pages::POLICY,
        crate::admin::POLICY,
        crate::api::POLICY,
        crate::school::POLICY,
        crate::enterprise::POLICY,
        crate::review::POLICY,
        crate::people::POLICY,
    ]
    .concat()
}

fn table() -> &'static HashMap<(&'static str, &'static str), Access> {
    static TABLE: OnceLock<HashMap<(&'static str, &'static str), Access>> = OnceLock::new();
    TABLE.get_or_init(|| {
        rules()
            .into_iter()
            .map(|r| ((r.method, r.path), r.access))
            .collect()
    })
}

/// The (method, path) pairs the router serves ([`crate::routes`]).
fn registered() -> &'static std::collections::HashSet<(&'static str, &'static str)> {
    static REGISTERED: OnceLock<std::collections::HashSet<(&'static str, &'static str)>> =
        OnceLock::new();
    REGISTERED.get_or_init(|| crate::routes().registered().iter().copied().collect())
}

/// The access the table gives (method, path), `None` when the route is not in the table.
pub fn access_for(method: &str, path: &str) -> Option<Access> {
    table().get(&(method, path)).copied()
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

/// A router under construction that remembers each (method, path) it registers.
///
/// ```text
/// pub const POLICY: &[RouteRule] = &[RouteRule::new("GET", "/forms", Access::Roles(roles::SCHOOL))];
/// pub fn routes() -> Routes { Routes::new().get("/forms", list_forms) }
/// ```
pub struct Routes {
    router: Router<AppState>,
    registered: Vec<(&'static str, &'static str)>,
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
            registered: Vec::new(),
        }
    }

    fn add(
        mut self,
        method: &'static str,
        path: &'static str,
        route: MethodRouter<AppState>,
    ) -> Self {
        self.router = self.router.route(path, route);
        self.registered.push((method, path));
        self
    }

    pub fn get<H, T>(self, path: &'static str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add("GET", path, get(handler))
    }

    pub fn post<H, T>(self, path: &'static str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add("POST", path, post(handler))
    }

    pub fn put<H, T>(self, path: &'static str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add("PUT", path, put(handler))
    }

    pub fn patch<H, T>(self, path: &'static str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add("PATCH", path, patch(handler))
    }

    pub fn delete<H, T>(self, path: &'static str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add("DELETE", path, delete(handler))
    }

    /// Adds another module's routes.
    pub fn merge(mut self, other: Routes) -> Self {
        self.router = self.router.merge(other.router);
        self.registered.extend(other.registered);
        self
    }

    /// The (method, path) pairs registered so far, in order.
    pub fn registered(&self) -> &[(&'static str, &'static str)] {
        &self.registered
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
    if access.is_none() && !registered().contains(&(method.as_str(), path.as_str())) {
        // The path exists but not with this method: the router answers 405.
        return next.run(request).await;
    }
    if access == Some(Access::Public) {
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
    let Some(access) = access else {
        tracing::error!(%method, path, "route missing from the policy table: refused");
        return AppError::Forbidden.into_response();
    };
    if !access.allows(Some(user.user.role)) {
        return AppError::Forbidden.into_response();
    }
    if user.user.must_change_password
        && !user.via_token
        && !ALLOWED_BEFORE_PASSWORD_CHANGE.contains(&path.as_str())
    {
        if is_api_path(&uri_path) || method != Method::GET {
            return AppError::Forbidden.into_response();
        }
        return Redirect::to("/password").into_response();
    }
    parts.extensions.insert(user);
    next.run(Request::from_parts(parts, body)).await
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
