//! The pages every account shares: health check, login, logout, change password, the 工作台
//! dashboard of each role, the oversight bodies' list, and 404.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use serde::Deserialize;
use shuangshi_store::{LoginOutcome, Role, Scope, SubmissionFilter, SubmissionStatus};
use tower_sessions::Session;

use crate::auth::{ClientIp, CsrfForm, CurrentUser, SESSION_LOGIN_AT, SESSION_USER};
use crate::error::AppError;
use crate::filters;
use crate::policy::{Access, RouteRule, Routes};
use crate::security::{PASSWORD_RULE, check_new_password};
use crate::session::{push_flash, take_flash};
use crate::state::AppState;
use crate::ui::{Flash, Frame};

/// The one answer to every failed login: an unknown user, a wrong password and a locked account
/// look the same.
pub const LOGIN_FAILED: &str =
    "用户名或密码错误，或账号已被暂时锁定（连续 5 次错误将锁定 15 分钟）";

/// The answer when one address tries to log in too often.
pub const LOGIN_THROTTLED: &str = "登录尝试过于频繁，请稍后再试";

pub const POLICY: &[RouteRule] = &[
    RouteRule::new("GET", "/healthz", Access::Public),
    RouteRule::new("GET", "/assets/{*path}", Access::Public),
    RouteRule::new("GET", "/login", Access::Public),
    RouteRule::new("POST", "/login", Access::Public),
    RouteRule::new("POST", "/logout", Access::SignedIn),
    RouteRule::new("GET", "/password", Access::SignedIn),
    RouteRule::new("POST", "/password", Access::SignedIn),
    RouteRule::new("GET", "/", Access::SignedIn),
];

pub fn routes() -> Routes {
    Routes::new()
        .get("/healthz", healthz)
        .get("/assets/{*path}", crate::assets::serve)
        .get("/login", login_page)
        .post("/login", login)
        .post("/logout", logout)
        .get("/password", password_page)
        .post("/password", change_password)
        .get("/", dashboard)
}

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

/// One figure on the dashboard.
#[derive(Debug, Clone)]
pub struct Card {
    pub label: String,
    pub value: String,
    pub note: String,
    pub href: String,
    pub icon: &'static str,
}

fn card(
    label: &str,
    value: impl ToString,
    note: impl Into<String>,
    href: &str,
    icon: &'static str,
) -> Card {
    Card {
        label: label.to_owned(),
        value: value.to_string(),
        note: note.into(),
        href: href.to_owned(),
        icon,
    }
}

/// The 工作台 (`dashboard.html`).
#[derive(Template, WebTemplate)]
#[template(path = "dashboard.html")]
pub struct DashboardPage {
    pub frame: Frame,
    pub greeting: String,
    pub cards: Vec<Card>,
    /// What to do next, as (text, link, link label).
    pub todo: Vec<(String, String, String)>,
    /// The selection outcome of the school's or the enterprise's people (遴选结果).
    pub outcomes: Vec<shuangshi_app::selection::Outcome>,
}

/// `GET /`: what the role has to do, with links to where it is done.
pub async fn dashboard(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
) -> Result<Response, AppError> {
    if crate::ui::is_oversight(user.role()) {
        return Ok(Redirect::to("/list").into_response());
    }
    let store = &state.store;
    let scope = user.scope();
    let batch = crate::auth::current_batch(store).await?;
    let mut frame = user.frame_with_batch(&state, "工作台", "dashboard").await?;
    for f in take_flash(&session).await {
        frame = frame.flash(f);
    }
    let mut cards = Vec::new();
    let mut todo = Vec::new();
    let batch_note = batch.as_ref().map_or_else(
        || "尚未设置批次".to_owned(),
        |b| {
            format!(
                "{}（{}），截止 {}",
                b.name,
                b.status.label(),
                crate::fmt::datetime(&b.deadline())
            )
        },
    );
    match user.role() {
        Role::Admin => {
            let users = store
                .list_users(&Default::default(), shuangshi_store::PageRequest::new(0, 1))
                .await?
                .total;
            let orgs = store
                .list_orgs(
                    &Scope::All,
                    &Default::default(),
                    shuangshi_store::PageRequest::new(0, 1),
                )
                .await?
                .total;
            cards.push(card(
                "当前批次",
                batch.as_ref().map_or("—".to_owned(), |b| b.name.clone()),
                batch_note.clone(),
                "/admin/batches",
                "calendar3",
            ));
            cards.push(card(
                "单位名录",
                orgs,
                "学校与企业",
                "/admin/orgs",
                "journal-text",
            ));
            cards.push(card("账号", users, "全部角色", "/admin/accounts", "people"));
            if let Some(b) = &batch {
                let pending =
                    count_submissions(&state, &scope, b.id, SubmissionStatus::Submitted).await?;
                cards.push(card(
                    "待审核报送",
                    pending,
                    "已报送、等待审核",
                    "/review",
                    "clipboard-check",
                ));
                if pending > 0 {
                    todo.push((
                        format!("有 {pending} 份报送等待审核"),
                        "/review".to_owned(),
                        "去审核".to_owned(),
                    ));
                }
            } else {
                todo.push((
                    "尚未设置批次：先在批次设置中从第十批参数新建批次".to_owned(),
                    "/admin/batches".to_owned(),
                    "批次设置".to_owned(),
                ));
            }
        }
        Role::VocationalReviewer => {
            if let Some(b) = &batch {
                let pending =
                    count_submissions(&state, &scope, b.id, SubmissionStatus::Submitted).await?;
                let accepted =
                    count_submissions(&state, &scope, b.id, SubmissionStatus::Accepted).await?;
                cards.push(card(
                    "待审核报送（中职）",
                    pending,
                    batch_note.clone(),
                    "/review",
                    "clipboard-check",
                ));
                cards.push(card(
                    "已受理（中职）",
                    accepted,
                    "",
                    "/review",
                    "check2-circle",
                ));
                if pending > 0 {
                    todo.push((
                        format!("有 {pending} 份中职学校的报送等待审核"),
                        "/review".to_owned(),
                        "去审核".to_owned(),
                    ));
                }
            }
        }
        Role::SchoolOfficer => {
            cards.push(card(
                "当前批次",
                batch.as_ref().map_or("—".to_owned(), |b| b.name.clone()),
                batch_note.clone(),
                "/forms",
                "calendar3",
            ));
            if let (Some(b), Some(org)) = (&batch, user.user.org_id) {
                let partners = store
                    .list_partnerships(
                        &scope,
                        &shuangshi_store::PartnershipFilter {
                            batch_id: Some(b.id),
                            ..Default::default()
                        },
                        shuangshi_store::PageRequest::new(0, 1),
                    )
                    .await?
                    .total;
                let deadline = store.effective_deadline(b.id, org).await?;
                let status = store
                    .get_submission(&scope, b.id, org)
                    .await?
                    .map_or("未报送".to_owned(), |s| s.status.label().to_owned());
                cards.push(card(
                    "合作企业",
                    partners,
                    "已提出的合作",
                    "/partners",
                    "buildings",
                ));
                cards.push(card(
                    "报送状态",
                    &status,
                    format!("本校截止 {}", crate::fmt::datetime(&deadline)),
                    "/submissions",
                    "send",
                ));
                todo.push((
                    "填写或上传推荐表，校验通过后上传盖章扫描件并报送".to_owned(),
                    "/forms".to_owned(),
                    "推荐表".to_owned(),
                ));
            }
        }
        Role::EnterpriseOfficer => {
            if let Some(b) = &batch {
                let proposed = store
                    .list_partnerships(
                        &scope,
                        &shuangshi_store::PartnershipFilter {
                            batch_id: Some(b.id),
                            status: Some(shuangshi_store::PartnershipStatus::Proposed),
                            ..Default::default()
                        },
                        shuangshi_store::PageRequest::new(0, 1),
                    )
                    .await?
                    .total;
                cards.push(card(
                    "待确认的合作",
                    proposed,
                    batch_note.clone(),
                    "/partners",
                    "mortarboard",
                ));
                if proposed > 0 {
                    todo.push((
                        format!("有 {proposed} 所学校提出与本单位合作，请确认"),
                        "/partners".to_owned(),
                        "合作学校".to_owned(),
                    ));
                }
                todo.push((
                    "确认学校推荐表中涉及本单位的人员".to_owned(),
                    "/confirmations".to_owned(),
                    "待确认人员".to_owned(),
                ));
            }
        }
        Role::SasacViewer | Role::FederationViewer => {}
    }
    let outcomes = match (user.role(), &batch) {
        (Role::SchoolOfficer | Role::EnterpriseOfficer, Some(b)) => {
            state.app.outcomes(&scope, b).await?
        }
        _ => Vec::new(),
    };
    if let (Role::Admin, Some(b)) = (user.role(), &batch) {
        let pending = state
            .app
            .outcomes(&scope, b)
            .await?
            .iter()
            .filter(|o| o.record.status == shuangshi_store::SelectionStatus::Pending)
            .count();
        cards.push(card(
            "待遴选",
            pending,
            "已受理报送中尚未确定的人员",
            "/selection",
            "list-check",
        ));
        if pending > 0 {
            todo.push((
                format!("有 {pending} 人待遴选（入选或未入选）"),
                "/selection".to_owned(),
                "遴选与公布".to_owned(),
            ));
        }
    }
    let greeting = format!("{}，您好", frame.user.name);
    Ok(DashboardPage {
        frame,
        greeting,
        cards,
        todo,
        outcomes,
    }
    .into_response())
}

async fn count_submissions(
    state: &AppState,
    scope: &Scope,
    batch_id: i64,
    status: SubmissionStatus,
) -> Result<u64, AppError> {
    let filter = SubmissionFilter {
        batch_id: Some(batch_id),
        status: Some(status),
        ..Default::default()
    };
    Ok(state
        .store
        .list_submissions(scope, &filter, shuangshi_store::PageRequest::new(0, 1))
        .await?
        .total)
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
