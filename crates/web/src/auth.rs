//! Who is asking: [`CurrentUser`] from the session cookie (pages) or from an
//! `Authorization: Bearer ss_…` token (`/api/…` only: a cookie alone never authenticates the JSON
//! API), and the CSRF checks of state-changing forms ([`CsrfForm`], [`check_csrf`]).
//!
//! The session holds the user id and the login time (for the absolute timeout of
//! [`WebConfig::absolute_timeout`](crate::WebConfig)); the idle timeout is the session layer's
//! expiry (see [`crate::session`]). The session's CSRF token is not stored at all: it is derived
//! from the session id ([`crate::security::csrf_for_session`]), which the database never holds
//! either (sessions are stored under a hash of their id).

use std::net::SocketAddr;

use axum::extract::{
    ConnectInfo, FromRequest, FromRequestParts, OptionalFromRequestParts, Request,
};
use axum::http::HeaderMap;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::request::Parts;
use chrono::Utc;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use shuangshi_store::{Actor, BatchRecord, BatchStatus, Role, Scope, User};
use tower_sessions::Session;

use crate::error::{AppError, is_api_path};
use crate::security::{CSRF_HEADER, csrf_for_session, csrf_token_matches};
use crate::state::AppState;
use crate::ui::{BatchChoice, Frame, FrameUser};

/// Session key: the signed-in account's id (the store reads it to tie the session row to the
/// account).
pub const SESSION_USER: &str = shuangshi_store::sessions::SESSION_USER;
/// Session key: the login time (unix seconds).
pub const SESSION_LOGIN_AT: &str = "login_at";

/// The signed-in account of a request.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: User,
    /// The name of the account's school or enterprise (`None` for the commission and the viewers).
    pub org_name: Option<String>,
    /// The session's CSRF token ("" for a token-authenticated API call).
    pub csrf: String,
    /// Authenticated by an API token rather than a session.
    pub via_token: bool,
    /// The client address ("" when unknown).
    pub ip: String,
}

impl CurrentUser {
    /// The account as the audit log records it.
    pub fn actor(&self) -> Actor {
        Actor::user(self.user.id, &self.user.username, &self.ip)
    }

    /// The rows this user may see ([`crate::policy::scope_for`]).
    pub fn scope(&self) -> Scope {
        crate::policy::scope_for(&self.user)
    }

    /// Whether this user sees mobile and account numbers in full ([`crate::policy::may_unmask`]).
    pub fn may_unmask(&self) -> bool {
        crate::policy::may_unmask(self.user.role)
    }

    pub fn role(&self) -> Role {
        self.user.role
    }

    /// The frame of a page titled `title` with the menu item `active` (a [`crate::ui::MenuItem`]
    /// key such as `"forms"`; an unknown key marks nothing) highlighted.
    pub fn frame(&self, title: &str, active: &str) -> Frame {
        let name = if self.user.display_name.trim().is_empty() {
            self.user.username.clone()
        } else {
            self.user.display_name.clone()
        };
        let org = match (&self.org_name, self.user.role) {
            (Some(org), _) => org.clone(),
            (None, Role::SasacViewer) => "重庆市国资委".to_owned(),
            (None, Role::FederationViewer) => "重庆市工商联".to_owned(),
            (None, _) => "重庆市教育委员会".to_owned(),
        };
        let user = FrameUser {
            name,
            org,
            role: self.user.role,
        };
        Frame::new(user, title, self.csrf.clone()).active(active)
    }

    /// [`CurrentUser::frame`] with the current batch in the top bar (and, for the commission, the
    /// batches to switch between).
    pub async fn frame_with_batch(
        &self,
        state: &AppState,
        title: &str,
        active: &str,
    ) -> Result<Frame, AppError> {
        let frame = self.frame(title, active);
        let all = state.store.list_batches().await?;
        let Some(current) = pick_current(&all) else {
            return Ok(frame);
        };
        let choice = |b: &BatchRecord| BatchChoice {
            id: b.id,
            name: b.name.clone(),
        };
        let current = choice(current);
        let all = all.iter().map(choice).collect();
        Ok(frame.batch(current, all))
    }

    /// Checks a state-changing request's CSRF token (see [`check_csrf`]).
    pub fn check_csrf(&self, headers: &HeaderMap, field: Option<&str>) -> Result<(), AppError> {
        check_csrf(self, headers, field)
    }
}

/// The batch the service works in: the one a commission account chose in the top bar's switcher
/// ([`crate::batch_switch::chosen`]), else the open batch with the highest number, else the newest.
pub async fn current_batch(
    store: &shuangshi_store::Store,
) -> Result<Option<BatchRecord>, AppError> {
    let all = store.list_batches().await?;
    Ok(pick_current(&all).cloned())
}

fn pick_current(all: &[BatchRecord]) -> Option<&BatchRecord> {
    crate::batch_switch::chosen()
        .and_then(|id| all.iter().find(|b| b.id == id))
        .or_else(|| all.iter().find(|b| b.status == BatchStatus::Open))
        .or_else(|| all.first())
}

/// The client address as an extractor (never fails; "" when unknown).
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip(parts)))
    }
}

/// The client address: the connection's peer (never a forwarded header, which anyone can set).
pub fn client_ip(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string())
        .unwrap_or_default()
}

/// The token of an `Authorization: Bearer …` header.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

fn session_error(e: tower_sessions::session::Error) -> AppError {
    AppError::internal(e)
}

/// Finds the signed-in user of a request: the one the policy middleware already put in the
/// extensions, else from the bearer token (`/api/…`) or the session (everything else). Expired
/// sessions (past the absolute timeout) and disabled accounts are signed out here.
pub async fn resolve(state: &AppState, parts: &mut Parts) -> Result<Option<CurrentUser>, AppError> {
    if let Some(user) = parts.extensions.get::<CurrentUser>() {
        return Ok(Some(user.clone()));
    }
    let ip = client_ip(parts);
    let (user, csrf, via_token) = if is_api_path(parts.uri.path()) {
        let Some(token) = bearer(&parts.headers) else {
            return Ok(None);
        };
        let Some(user) = state.store.user_for_token(token, Utc::now()).await? else {
            return Ok(None);
        };
        (user, String::new(), true)
    } else {
        let Some(session) = parts.extensions.get::<Session>().cloned() else {
            return Ok(None);
        };
        let Some(uid) = session
            .get::<i64>(SESSION_USER)
            .await
            .map_err(session_error)?
        else {
            return Ok(None);
        };
        let login_at = session
            .get::<i64>(SESSION_LOGIN_AT)
            .await
            .map_err(session_error)?
            .unwrap_or(0);
        let max_age = i64::try_from(state.config.absolute_timeout.as_secs()).unwrap_or(i64::MAX);
        if Utc::now().timestamp().saturating_sub(login_at) > max_age {
            session.flush().await.map_err(session_error)?;
            return Ok(None);
        }
        let Some(user) = state.store.get_user(uid).await?.filter(|u| u.active) else {
            session.flush().await.map_err(session_error)?;
            return Ok(None);
        };
        let csrf = session
            .id()
            .map(|id| csrf_for_session(&id))
            .unwrap_or_default();
        (user, csrf, false)
    };
    let org_name = match user.org_id {
        Some(id) => state.store.get_org(&Scope::All, id).await?.map(|o| o.name),
        None => None,
    };
    let current = CurrentUser {
        user,
        org_name,
        csrf,
        via_token,
        ip,
    };
    parts.extensions.insert(current.clone());
    Ok(Some(current))
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        resolve(state, parts)
            .await?
            .ok_or(AppError::Unauthenticated)
    }
}

impl OptionalFromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, AppError> {
        resolve(state, parts).await
    }
}

/// Checks the CSRF token of a state-changing request made with `user`'s session: the
/// `X-CSRF-Token` header (htmx) or the form field `_csrf` (`field`, for multipart handlers that
/// read it themselves) must equal the session's token, compared in constant time. Token-authenticated
/// API calls carry no cookie and need none.
pub fn check_csrf(
    user: &CurrentUser,
    headers: &HeaderMap,
    field: Option<&str>,
) -> Result<(), AppError> {
    if user.via_token {
        return Ok(());
    }
    let header = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    let given = header.or(field).unwrap_or("");
    if csrf_token_matches(&user.csrf, given) {
        Ok(())
    } else {
        Err(AppError::Csrf)
    }
}

/// A urlencoded form whose hidden field `_csrf` (or `X-CSRF-Token` header) must match the
/// session's token; the fields are deserialized into `T` (which may ignore `_csrf`).
#[derive(Debug, Clone)]
pub struct CsrfForm<T>(pub T);

#[derive(Deserialize)]
struct CsrfField {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

impl<T> FromRequest<AppState> for CsrfForm<T>
where
    T: DeserializeOwned + Send,
{
    type Rejection = AppError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, AppError> {
        let (mut parts, body) = request.into_parts();
        let user = resolve(state, &mut parts)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let is_form = parts
            .headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
        let bytes = axum::body::to_bytes(body, usize::MAX)
            .await
            .map_err(|_| AppError::bad_request("请求内容读取失败，请重试"))?;
        let field: CsrfField = if is_form {
            serde_urlencoded::from_bytes(&bytes).unwrap_or(CsrfField {
                csrf: String::new(),
            })
        } else {
            CsrfField {
                csrf: String::new(),
            }
        };
        check_csrf(&user, &parts.headers, Some(&field.csrf))?;
        if !is_form && !bytes.is_empty() {
            return Err(AppError::bad_request(
                "请求的格式有误，请在本系统的页面中提交",
            ));
        }
        let value = serde_urlencoded::from_bytes::<T>(&bytes)
            .map_err(|e| AppError::bad_request(format!("提交的内容有误：{e}")))?;
        Ok(CsrfForm(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens() {
        let mut h = HeaderMap::new();
        assert_eq!(bearer(&h), None);
        h.insert(
            AUTHORIZATION,
            "Bearer ss_abc".parse().unwrap_or_else(|_| unreachable!()),
        );
        assert_eq!(bearer(&h), Some("ss_abc"));
        h.insert(
            AUTHORIZATION,
            "Basic x".parse().unwrap_or_else(|_| unreachable!()),
        );
        assert_eq!(bearer(&h), None);
    }
}
