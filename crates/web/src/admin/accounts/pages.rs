//! 账号管理: the list with search and pagination, create (role + organisation), reset password
//! (a one-time password shown once), disable / enable, unlock.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use shuangshi_store::accounts::generate_password;
use shuangshi_store::{NewUser, PageRequest, Role, Scope, StoreError, User, UserFilter};
use tower_sessions::Session;

use shuangshi_app::picker::OrgKind;

use crate::auth::{CsrfForm, CurrentUser};
use crate::error::AppError;
use crate::filters;
use crate::session::{push_flash, take_flash};
use crate::shared::pagination::Paging;
use crate::shared::query::non_empty;
use crate::state::AppState;
use crate::ui::{Column, Flash, Frame, Pager, SearchField, SearchForm, SelectOption, Toolbar};

/// One account in the list.
pub struct AccountRow {
    pub user: User,
    pub org: String,
    pub status: &'static str,
}

impl AccountRow {
    pub fn role_label(&self) -> &'static str {
        self.user.role.label()
    }

    pub fn created(&self) -> String {
        crate::fmt::datetime(&self.user.created_at)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/accounts.html")]
pub struct AccountsPage {
    pub frame: Frame,
    pub search: SearchForm,
    pub toolbar: Toolbar,
    pub columns: Vec<Column>,
    pub rows: Vec<AccountRow>,
    pub pager: Pager,
    /// 有合作但无账号的企业: the current batch's partner enterprises with no account yet.
    pub no_account: Vec<shuangshi_app::picker::NoAccount>,
}

#[derive(Debug, Default, Deserialize)]
pub struct AccountQuery {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub role: String,
    #[serde(flatten)]
    pub paging: Paging,
}

fn role_options() -> Vec<SelectOption> {
    Role::ALL
        .iter()
        .map(|r| SelectOption::new(r.as_str(), r.label()))
        .collect()
}

/// The status label of an account: 已停用, 已锁定 or 正常.
pub fn status_of(user: &User) -> &'static str {
    if !user.active {
        "已停用"
    } else if user.locked_until.is_some_and(|t| t > chrono::Utc::now()) {
        "已锁定"
    } else {
        "正常"
    }
}

/// The organisation names of users (one query per distinct organisation of the page).
pub async fn org_names(
    state: &AppState,
    users: &[User],
) -> Result<std::collections::HashMap<i64, String>, AppError> {
    let mut names = std::collections::HashMap::new();
    for id in users.iter().filter_map(|u| u.org_id) {
        if let std::collections::hash_map::Entry::Vacant(e) = names.entry(id)
            && let Some(org) = state.store.get_org(&Scope::All, id).await?
        {
            e.insert(org.name);
        }
    }
    Ok(names)
}

/// `GET /admin/accounts`.
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Query(q): Query<AccountQuery>,
) -> Result<AccountsPage, AppError> {
    let filter = UserFilter {
        name: non_empty(&q.name),
        role: Role::parse(q.role.trim()),
        org_id: None,
    };
    let probe = Pager::new("/admin/accounts", q.paging.page(), q.paging.per_page(), 0);
    let mut page = state
        .store
        .list_users(
            &filter,
            PageRequest::page(q.paging.page(), u64::from(probe.per_page)),
        )
        .await?;
    let pager = Pager::new(
        "/admin/accounts",
        q.paging.page(),
        q.paging.per_page(),
        page.total,
    )
    .keep("name", &q.name)
    .keep("role", &q.role);
    if page.items.is_empty() && page.total > 0 {
        page = state
            .store
            .list_users(
                &filter,
                PageRequest::new(pager.offset(), u64::from(pager.per_page)),
            )
            .await?;
    }
    let names = org_names(&state, &page.items).await?;
    let rows = page
        .items
        .into_iter()
        .map(|u| AccountRow {
            org: u
                .org_id
                .and_then(|id| names.get(&id).cloned())
                .unwrap_or_else(|| "—".to_owned()),
            status: status_of(&u),
            user: u,
        })
        .collect();
    let mut frame = user
        .frame_with_batch(&state, "账号管理", "accounts")
        .await?;
    for f in take_flash(&session).await {
        frame = frame.flash(f);
    }
    let no_account = match crate::auth::current_batch(&state.store).await? {
        Some(b) => {
            state
                .app
                .partners_without_account(&user.scope(), b.id)
                .await?
        }
        None => Vec::new(),
    };
    Ok(AccountsPage {
        no_account,
        frame,
        search: SearchForm::new("/admin/accounts")
            .field(SearchField::text("name", "用户名/姓名", &q.name))
            .field(SearchField::select("role", "角色", &q.role, role_options())),
        toolbar: Toolbar {
            new_href: Some("/admin/accounts/new".into()),
            new_label: Some("新增账号".into()),
            ..Toolbar::default()
        },
        columns: vec![
            Column::new("用户名"),
            Column::new("姓名"),
            Column::new("角色"),
            Column::new("所属单位"),
            Column::new("电子邮箱（催办提醒）"),
            Column::new("状态"),
            Column::new("创建时间"),
            Column::new("操作").class("w-actions"),
        ],
        rows,
        pager,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/account_new.html")]
pub struct NewAccountPage {
    pub frame: Frame,
    pub roles: Vec<SelectOption>,
    pub form: NewAccountForm,
    pub error: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct NewAccountForm {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub role: String,
    /// The school's or enterprise's name (officers only).
    #[serde(default)]
    pub org: String,
    /// Where reminders are e-mailed (optional).
    #[serde(default)]
    pub email: String,
}

/// What 「开通账号」 pre-chooses: the organisation (its id in the registry) and the role.
#[derive(Debug, Default, Deserialize)]
pub struct NewAccountQuery {
    #[serde(default)]
    pub org: Option<i64>,
    #[serde(default)]
    pub role: String,
}

/// `GET /admin/accounts/new` (`?org=<id>&role=enterprise_officer`: the organisation and the
/// role pre-chosen, as 「开通账号」 opens it).
pub async fn new_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<NewAccountQuery>,
) -> Result<NewAccountPage, AppError> {
    let mut form = NewAccountForm::default();
    if let Some(id) = q.org
        && let Some(org) = state.store.get_org(&Scope::All, id).await?
    {
        form.role = if org.is_school {
            Role::SchoolOfficer
        } else {
            Role::EnterpriseOfficer
        }
        .as_str()
        .to_owned();
        form.org = org.name;
    }
    if let Some(role) = Role::parse(q.role.trim()) {
        form.role = role.as_str().to_owned();
    }
    Ok(NewAccountPage {
        frame: user
            .frame_with_batch(&state, "新增账号", "accounts")
            .await?,
        roles: role_options(),
        form,
        error: None,
    })
}

/// The one-time password page: shown once, never stored in clear.
#[derive(Template, WebTemplate)]
#[template(path = "admin/account_password.html")]
pub struct PasswordShownPage {
    pub frame: Frame,
    pub username: String,
    pub password: String,
    pub created: bool,
}

/// `POST /admin/accounts`: creates the account with a one-time password to be changed at first
/// login, and shows that password once.
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    CsrfForm(form): CsrfForm<NewAccountForm>,
) -> Result<Response, AppError> {
    let refuse = async |message: String| -> Result<Response, AppError> {
        let page = NewAccountPage {
            frame: user
                .frame_with_batch(&state, "新增账号", "accounts")
                .await?,
            roles: role_options(),
            form: form.clone(),
            error: Some(message),
        };
        Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
    };
    let Some(role) = Role::parse(form.role.trim()) else {
        return refuse("请选择角色".to_owned()).await;
    };
    let org_id = match role {
        Role::SchoolOfficer | Role::EnterpriseOfficer => {
            if non_empty(&form.org).is_none() {
                return refuse(format!("{}账号须选择所属单位", role.label())).await;
            }
            let kind = if role == Role::SchoolOfficer {
                OrgKind::School
            } else {
                OrgKind::Enterprise
            };
            match state.app.pick_org(&form.org, kind).await? {
                Ok(org) => Some(org.id),
                Err(message) => return refuse(message).await,
            }
        }
        _ => None,
    };
    let email = form.email.trim().to_owned();
    if !email.is_empty() && !shuangshi_store::accounts::is_email(&email) {
        return refuse(format!(
            "电子邮箱「{email}」格式不正确，应形如 name@example.com；不需要邮件提醒可留空"
        ))
        .await;
    }
    let password = generate_password();
    let new = NewUser {
        username: form.username.trim().to_owned(),
        display_name: form.display_name.trim().to_owned(),
        role,
        org_id,
        password: password.clone(),
        must_change_password: true,
    };
    match state.store.create_user(new, &user.actor()).await {
        Ok(created) => {
            if !email.is_empty() {
                state
                    .store
                    .set_user_email(created.id, &email, &user.actor())
                    .await?;
            }
            Ok(PasswordShownPage {
                frame: user
                    .frame_with_batch(&state, "账号已创建", "accounts")
                    .await?,
                username: created.username,
                password,
                created: true,
            }
            .into_response())
        }
        Err(StoreError::Invalid(m) | StoreError::Conflict(m)) => refuse(m).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct NoFields {}

async fn target(state: &AppState, id: i64) -> Result<User, AppError> {
    state.store.get_user(id).await?.ok_or(AppError::NotFound)
}

/// `POST /admin/accounts/{id}/reset`: a new one-time password, shown once.
pub async fn reset(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Response, AppError> {
    let account = target(&state, id).await?;
    let password = generate_password();
    state
        .store
        .reset_password(account.id, &password, &user.actor())
        .await?;
    Ok(PasswordShownPage {
        frame: user
            .frame_with_batch(&state, "密码已重置", "accounts")
            .await?,
        username: account.username,
        password,
        created: false,
    }
    .into_response())
}

async fn set_active(
    state: &AppState,
    user: &CurrentUser,
    session: &Session,
    id: i64,
    active: bool,
) -> Result<Response, AppError> {
    let account = target(state, id).await?;
    if account.id == user.user.id && !active {
        return Err(AppError::conflict("不能停用自己的账号"));
    }
    state
        .store
        .set_user_active(id, active, &user.actor())
        .await?;
    let message = if active {
        format!("已启用账号「{}」", account.username)
    } else {
        format!(
            "已停用账号「{}」：该账号不能再登录，其 API 令牌同时失效",
            account.username
        )
    };
    push_flash(session, Flash::success(message)).await;
    Ok(Redirect::to("/admin/accounts").into_response())
}

/// `POST /admin/accounts/{id}/disable`.
pub async fn disable(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Response, AppError> {
    set_active(&state, &user, &session, id, false).await
}

/// `POST /admin/accounts/{id}/enable`.
pub async fn enable(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Response, AppError> {
    set_active(&state, &user, &session, id, true).await
}

/// `POST /admin/accounts/{id}/unlock`.
pub async fn unlock(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Response, AppError> {
    let account = target(&state, id).await?;
    state.store.unlock_user(id, &user.actor()).await?;
    push_flash(
        &session,
        Flash::success(format!("已解除账号「{}」的锁定", account.username)),
    )
    .await;
    Ok(Redirect::to("/admin/accounts").into_response())
}

/// The e-mail address of an account.
#[derive(Debug, Default, Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    pub email: String,
}

/// `POST /admin/accounts/{id}/email`: sets (or, empty, removes) where reminders are e-mailed.
pub async fn set_email(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<EmailForm>,
) -> Result<Response, AppError> {
    let account = target(&state, id).await?;
    let email = form.email.trim();
    let flash = match state.store.set_user_email(id, email, &user.actor()).await {
        Ok(()) if email.is_empty() => Flash::success(format!(
            "已清除账号「{}」的电子邮箱：催办提醒只显示在其工作台",
            account.username
        )),
        Ok(()) => Flash::success(format!(
            "账号「{}」的催办提醒将发送到 {email}",
            account.username
        )),
        Err(StoreError::Invalid(m)) => Flash::error(format!("账号「{}」：{m}", account.username)),
        Err(e) => return Err(e.into()),
    };
    push_flash(&session, flash).await;
    Ok(Redirect::to("/admin/accounts").into_response())
}
