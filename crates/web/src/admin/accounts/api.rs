//! `/api/v1/accounts`: accounts, one-time passwords, disabling and unlocking.

use crate::account::api::AccountJson;
use crate::auth::CurrentUser;
use crate::error::ApiErrorBody;
use crate::error::AppError;
use crate::shared::pagination::{Page, PageQuery};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};
use shuangshi_store::accounts::generate_password;
use shuangshi_store::{NewUser, Role, User, UserFilter};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AccountQuery {
    /// User name or display name containing this text.
    pub name: Option<String>,
    pub role: Option<String>,
}

/// Accounts (administrator).
#[utoipa::path(get, path = "/api/v1/accounts", tag = "账号", params(AccountQuery, PageQuery),
    responses((status = 200, body = Page<AccountJson>)))]
pub async fn list_accounts(
    State(state): State<AppState>,
    Query(q): Query<AccountQuery>,
    Query(page): Query<PageQuery>,
) -> Result<Json<Page<AccountJson>>, AppError> {
    let filter = UserFilter {
        name: q.name.clone(),
        role: q.role.as_deref().and_then(Role::parse),
        org_id: None,
    };
    let p = state.store.list_users(&filter, page.request()).await?;
    Ok(Json(page.from_store(p, AccountJson::from)))
}

/// A new account.
#[derive(Deserialize, ToSchema)]
pub struct NewAccountJson {
    pub username: String,
    #[serde(default)]
    pub display_name: String,
    pub role: String,
    /// The school or enterprise (officers only).
    pub org_id: Option<i64>,
}

/// A one-time password, shown once; it must be changed at first login.
#[derive(Serialize, ToSchema)]
pub struct OneTimePassword {
    pub account: AccountJson,
    pub password: String,
}

/// Creates an account with a one-time password (administrator).
#[utoipa::path(post, path = "/api/v1/accounts", tag = "账号", request_body = NewAccountJson,
    responses((status = 200, body = OneTimePassword), (status = 400, body = ApiErrorBody), (status = 409, body = ApiErrorBody)))]
pub async fn create_account(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(new): Json<NewAccountJson>,
) -> Result<Json<OneTimePassword>, AppError> {
    let role = Role::parse(&new.role)
        .ok_or_else(|| AppError::bad_request(format!("未知的角色「{}」", new.role)))?;
    let password = generate_password();
    let created = state
        .store
        .create_user(
            NewUser {
                username: new.username,
                display_name: new.display_name,
                role,
                org_id: new.org_id,
                password: password.clone(),
                must_change_password: true,
            },
            &user.actor(),
        )
        .await?;
    Ok(Json(OneTimePassword {
        account: created.into(),
        password,
    }))
}

async fn account(state: &AppState, id: i64) -> Result<User, AppError> {
    state.store.get_user(id).await?.ok_or(AppError::NotFound)
}

/// A new one-time password for an account (administrator).
#[utoipa::path(post, path = "/api/v1/accounts/{id}/reset-password", tag = "账号", params(("id" = i64, Path)),
    responses((status = 200, body = OneTimePassword), (status = 404, body = ApiErrorBody)))]
pub async fn reset_password(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<OneTimePassword>, AppError> {
    let password = generate_password();
    state
        .store
        .reset_password(id, &password, &user.actor())
        .await?;
    Ok(Json(OneTimePassword {
        account: account(&state, id).await?.into(),
        password,
    }))
}

/// Disables an account (its tokens stop working).
#[utoipa::path(post, path = "/api/v1/accounts/{id}/disable", tag = "账号", params(("id" = i64, Path)),
    responses((status = 200, body = AccountJson), (status = 404, body = ApiErrorBody)))]
pub async fn disable_account(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<AccountJson>, AppError> {
    if id == user.user.id {
        return Err(AppError::conflict("不能停用自己的账号"));
    }
    state
        .store
        .set_user_active(id, false, &user.actor())
        .await?;
    Ok(Json(account(&state, id).await?.into()))
}

/// Enables an account.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/enable", tag = "账号", params(("id" = i64, Path)),
    responses((status = 200, body = AccountJson), (status = 404, body = ApiErrorBody)))]
pub async fn enable_account(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<AccountJson>, AppError> {
    state.store.set_user_active(id, true, &user.actor()).await?;
    Ok(Json(account(&state, id).await?.into()))
}

/// Lifts a lockout.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/unlock", tag = "账号", params(("id" = i64, Path)),
    responses((status = 200, body = AccountJson), (status = 404, body = ApiErrorBody)))]
pub async fn unlock_account(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<AccountJson>, AppError> {
    state.store.unlock_user(id, &user.actor()).await?;
    Ok(Json(account(&state, id).await?.into()))
}
