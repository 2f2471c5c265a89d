//! API tokens: every account makes and revokes its own (`/tokens`; the token is shown once); the
//! administrator sees and revokes any account's (`/admin/accounts/{id}/tokens`). The command line
//! makes one with `shuangshi token create --user NAME`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use shuangshi_store::{ApiToken, Role, User};
use tower_sessions::Session;

use crate::auth::{CsrfForm, CurrentUser};
use crate::error::AppError;
use crate::filters;
use crate::session::{push_flash, take_flash};
use crate::state::AppState;
use crate::ui::{Column, Flash, Frame};

/// A token in a list.
pub struct TokenRow {
    pub token: ApiToken,
}

impl TokenRow {
    pub fn created(&self) -> String {
        crate::fmt::datetime(&self.token.created_at)
    }

    pub fn last_used(&self) -> String {
        self.token
            .last_used_at
            .map_or_else(|| "从未使用".to_owned(), |t| crate::fmt::datetime(&t))
    }

    pub fn status(&self) -> &'static str {
        if self.token.revoked_at.is_some() {
            "已吊销"
        } else {
            "正常"
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/tokens.html")]
pub struct TokensPage {
    pub frame: Frame,
    /// Whose tokens (for the administrator's view of another account).
    pub owner: User,
    /// Whether the page offers to make a new token (only for one's own).
    pub own: bool,
    pub columns: Vec<Column>,
    pub rows: Vec<TokenRow>,
    /// A token just made: shown once.
    pub new_token: Option<String>,
}

fn columns() -> Vec<Column> {
    vec![
        Column::new("名称"),
        Column::new("创建时间"),
        Column::new("最近使用"),
        Column::new("状态"),
        Column::new("操作").class("w-actions"),
    ]
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    owner: User,
    new_token: Option<String>,
    session: &Session,
) -> Result<TokensPage, AppError> {
    let rows = state
        .store
        .list_tokens(owner.id)
        .await?
        .into_iter()
        .map(|token| TokenRow { token })
        .collect();
    let own = owner.id == user.user.id;
    let (title, key) = if own {
        ("API 令牌".to_owned(), "")
    } else {
        (format!("「{}」的 API 令牌", owner.username), "accounts")
    };
    let mut frame = user.frame_with_batch(state, &title, key).await?;
    for f in take_flash(session).await {
        frame = frame.flash(f);
    }
    Ok(TokensPage {
        frame,
        owner,
        own,
        columns: columns(),
        rows,
        new_token,
    })
}

/// `GET /tokens`: the user's own tokens.
pub async fn mine(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
) -> Result<TokensPage, AppError> {
    page(&state, &user, user.user.clone(), None, &session).await
}

/// `GET /admin/accounts/{id}/tokens`.
pub async fn of_account(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Path(id): Path<i64>,
) -> Result<TokensPage, AppError> {
    let owner = state.store.get_user(id).await?.ok_or(AppError::NotFound)?;
    page(&state, &user, owner, None, &session).await
}

#[derive(Debug, Deserialize)]
pub struct NewToken {
    #[serde(default)]
    pub name: String,
}

/// `POST /tokens`: a token for the signed-in account, shown once.
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    CsrfForm(form): CsrfForm<NewToken>,
) -> Result<TokensPage, AppError> {
    let (_, plaintext) = state
        .store
        .create_token(user.user.id, &form.name, &user.actor())
        .await?;
    page(&state, &user, user.user.clone(), Some(plaintext), &session).await
}

#[derive(Debug, Deserialize)]
pub struct NoFields {}

/// `POST /tokens/{id}/revoke`: one's own token, or any for the administrator.
pub async fn revoke(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Response, AppError> {
    let owner = (user.role() != Role::Admin).then_some(user.user.id);
    if !state.store.revoke_token(id, owner, &user.actor()).await? {
        return Err(AppError::NotFound);
    }
    push_flash(
        &session,
        Flash::success("令牌已吊销，使用它的程序将无法再访问接口"),
    )
    .await;
    Ok(Redirect::to(if owner.is_some() {
        "/tokens"
    } else {
        "/admin/accounts"
    })
    .into_response())
}
