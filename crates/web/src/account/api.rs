//! `/api/v1/me`: the calling account.

use crate::auth::CurrentUser;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Serialize;
use shuangshi_store::User;
use utoipa::ToSchema;

/// An account.
#[derive(Serialize, ToSchema)]
pub struct AccountJson {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    /// `admin`, `vocational_reviewer`, `sasac_viewer`, `federation_viewer`, `school_officer`,
    /// `enterprise_officer`.
    pub role: String,
    pub org_id: Option<i64>,
    pub active: bool,
    pub locked_until: Option<DateTime<Utc>>,
    pub must_change_password: bool,
    pub created_at: DateTime<Utc>,
}

impl From<User> for AccountJson {
    fn from(u: User) -> Self {
        AccountJson {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            role: u.role.as_str().to_owned(),
            org_id: u.org_id,
            active: u.active,
            locked_until: u.locked_until,
            must_change_password: u.must_change_password,
            created_at: u.created_at,
        }
    }
}

/// The signed-in account.
#[utoipa::path(get, path = "/api/v1/me", tag = "账号", responses((status = 200, body = AccountJson)))]
pub async fn me(user: CurrentUser) -> Json<AccountJson> {
    Json(user.user.into())
}
