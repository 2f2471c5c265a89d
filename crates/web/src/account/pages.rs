//! The pages every account shares: health check, login, logout, change password and 404 (the
//! 工作台 is in [`crate::dashboard`]).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use serde::Deserialize;
use shuangshi_store::LoginOutcome;
use tower_sessions::Session;

use crate::auth::{ClientIp, CsrfForm, CurrentUser, SESSION_LOGIN_AT, SESSION_USER};
use crate::error::AppError;
use crate::filters;
use crate::security::{PASSWORD_RULE, check_new_password};
use crate::session::push_flash;
use crate::state::AppState;
use crate::ui::{Flash, Frame};

/// The one answer to every failed login: an unknown user, a wrong password and a locked account
/// look the same.
pub const LOGIN_FAILED: &str =
    "用户名或密码错误，或账号已被暂时锁定（连续 5 次错误将锁定 15 分钟）";

/// The answer when one address tries to log in too often.
pub const LOGIN_THROTTLED: &str = "登录尝试过于频繁，请稍后再试";

/// `GET /healthz`.
pub async fn healthz() -> &'static str {
    "ok"
}

/// The login page (`login.html`).
#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
pub struct LoginPage {
    /// The user name typed before a failed attempt (kept so it need not be typed again).
    pub username: String,
    /// Where to go after login (a local path).
    pub next: String,
    /// [`LOGIN_FAILED`] after a failed attempt; other notices (「已退出登录」) as `notice`.
    pub error: Option<String>,
    pub notice: Option<String>,
}

/// The query of `GET /login`.
#[derive(Debug, Default, Deserialize)]
pub struct LoginQuery {
    #[serde(default)]
    pub next: String,
    /// Set after a logout (`?bye=1`) or an expired session (`?expired=1`).
    #[serde(default)]
    pub bye: Option<String>,
}

/// Keeps a post-login target only when it is a path on this site; anything else gives `/`.
///
/// The target is read the way a browser would read it in `Location`: tabs, CR, LF and the other
/// C0 controls are removed wherever they are, leading and trailing spaces are trimmed, and a
/// backslash counts as a slash. What is left must start with exactly one slash (`//host` and
/// `/\host` name another site; `https:` and other schemes are refused because they do not start
/// with a slash). Bytes that may not stand in a header (spaces, non-ASCII) are percent-encoded,
/// so the redirect can always be sent.
pub fn safe_next(next: &str) -> String {
    let cleaned: String = next
        .chars()
        .filter(|c| !c.is_ascii_control())
        .collect::<String>()
        .trim_matches(' ')
        .replace('\\', "/");
    let local = cleaned.starts_with('/') && !cleaned.starts_with("//");
    if !local {
        return "/".to_owned();
    }
    let mut out = String::with_capacity(cleaned.len());
    for b in cleaned.bytes() {
        if b.is_ascii_graphic() {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `GET /login` (a signed-in user goes straight to the dashboard).
pub async fn login_page(user: Option<CurrentUser>, Query(q): Query<LoginQuery>) -> Response {
    if user.is_some() {
        return Redirect::to(&safe_next(&q.next)).into_response();
    }
    LoginPage {
        username: String::new(),
        next: safe_next(&q.next),
        error: None,
        notice: q.bye.map(|_| "您已安全退出登录".to_owned()),
    }
    .into_response()
}

/// The fields of the login form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub next: String,
}

/// `POST /login`: checks the password (the store counts failures, locks and audits), then cycles
/// the session id (so a fresh CSRF token, derived from it) and keeps the user and the login time
/// in the session.
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    session: Session,
    axum::Form(form): axum::Form<LoginForm>,
) -> Result<Response, AppError> {
    let failed = |status: StatusCode, message: &str| {
        let page = LoginPage {
            username: form.username.clone(),
            next: safe_next(&form.next),
            error: Some(message.to_owned()),
            notice: None,
        };
        (status, page).into_response()
    };
    if !state.login_throttle.allow(&ip) {
        tracing::warn!(ip, "login throttled");
        return Ok(failed(StatusCode::TOO_MANY_REQUESTS, LOGIN_THROTTLED));
    }
    let outcome = state
        .store
        .check_login(&form.username, &form.password, Utc::now(), &ip)
        .await?;
    let user = match outcome {
        LoginOutcome::Success(user) => user,
        LoginOutcome::Rejected | LoginOutcome::Locked { .. } => {
            return Ok(failed(StatusCode::UNAUTHORIZED, LOGIN_FAILED));
        }
    };
    let session_err = AppError::internal;
    session.cycle_id().await.map_err(session_err)?;
    session.clear().await;
    session
        .insert(SESSION_USER, user.id)
        .await
        .map_err(session_err)?;
    session
        .insert(SESSION_LOGIN_AT, Utc::now().timestamp())
        .await
        .map_err(session_err)?;
    let target = if user.must_change_password {
        "/password".to_owned()
    } else {
        safe_next(&form.next)
    };
    Ok(Redirect::to(&target).into_response())
}

/// No fields besides `_csrf`.
#[derive(Debug, Deserialize)]
pub struct Empty {}

/// `POST /logout`.
pub async fn logout(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, AppError> {
    session.flush().await.map_err(AppError::internal)?;
    state
        .store
        .audit(shuangshi_store::AuditEntry::new(
            &user.actor(),
            "logout",
            format!("user:{}", user.user.id),
            "",
        ))
        .await?;
    Ok(Redirect::to("/login?bye=1").into_response())
}

/// The change-password page (`change_password.html`), inside the frame.
#[derive(Template, WebTemplate)]
#[template(path = "change_password.html")]
pub struct ChangePasswordPage {
    pub frame: Frame,
    /// The message of a refused change (wrong old password, rule not met, repetition differs).
    pub error: Option<String>,
    /// Set when the account must change its one-time password before anything else.
    pub forced: bool,
}

impl ChangePasswordPage {
    pub fn rule(&self) -> &'static str {
        PASSWORD_RULE
    }
}

/// `GET /password`.
pub async fn password_page(user: CurrentUser) -> ChangePasswordPage {
    ChangePasswordPage {
        frame: user.frame("修改密码", ""),
        error: None,
        forced: user.user.must_change_password,
    }
}

/// The fields of the change-password form.
#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    pub old_password: String,
    #[serde(default)]
    pub new_password: String,
    #[serde(default)]
    pub repeat_password: String,
}

/// `POST /password`. A wrong current password counts toward the lockout (the store audits it);
/// a change ends every session of the account and this browser continues in a new one.
pub async fn change_password(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<Response, AppError> {
    let refuse = |message: String| {
        let page = ChangePasswordPage {
            frame: user.frame("修改密码", ""),
            error: Some(message),
            forced: user.user.must_change_password,
        };
        (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
    };
    let names = [user.user.username.as_str(), user.user.display_name.as_str()];
    if let Err(e) = check_new_password(
        &form.old_password,
        &form.new_password,
        &form.repeat_password,
        &names,
    ) {
        return Ok(refuse(e.to_string()));
    }
    match state
        .store
        .change_password(
            user.user.id,
            &form.old_password,
            &form.new_password,
            &user.actor(),
        )
        .await
    {
        Ok(()) => {}
        Err(shuangshi_store::StoreError::Invalid(m)) => return Ok(refuse(m)),
        Err(e) => return Err(e.into()),
    }
    // The store ended every session of the account, this one included: carry on in a new one.
    session.cycle_id().await.map_err(AppError::internal)?;
    push_flash(&session, Flash::success("密码已修改")).await;
    Ok(Redirect::to("/").into_response())
}

/// The fallback: any path no route knows.
pub async fn not_found() -> AppError {
    AppError::NotFound
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_local_only() {
        assert_eq!(safe_next("/forms?id=3"), "/forms?id=3");
        assert_eq!(safe_next("//evil.example/x"), "/");
        assert_eq!(safe_next("https://evil.example/"), "/");
        assert_eq!(safe_next("/\\evil.example"), "/");
        assert_eq!(safe_next(""), "/");
    }
}
