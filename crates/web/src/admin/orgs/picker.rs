//! The organisation pickers' source: `GET /orgs/options?q=&kind=school|enterprise`, the
//! registry's names containing `q` as JSON (`[{id, name, category, district}]`, at most
//! [`LIMIT`]), read by `app.js` as one types into a `partials/ui.html` `org_picker`. Without
//! JavaScript the picker is a text field whose exact name the handler resolves with
//! [`shuangshi_app::App::pick_org`] (a miss names the closest registered name).

use axum::Json;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use shuangshi_app::picker::OrgKind;

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::state::AppState;

/// The most names one answer offers.
pub const LIMIT: usize = 20;

/// The query: part of a name and the kind (`school`, `enterprise`; anything else: any).
#[derive(Debug, Default, Deserialize)]
pub struct OptionsQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub kind: String,
}

/// One registered organisation offered.
#[derive(Debug, Serialize)]
pub struct OrgOption {
    pub id: i64,
    pub name: String,
    pub category: String,
    pub district: String,
}

/// `GET /orgs/options`.
pub async fn options(
    State(state): State<AppState>,
    _user: CurrentUser,
    Query(q): Query<OptionsQuery>,
) -> Result<Json<Vec<OrgOption>>, AppError> {
    let found = state
        .app
        .org_options(&q.q, OrgKind::parse(&q.kind), LIMIT)
        .await?;
    Ok(Json(
        found
            .into_iter()
            .map(|o| OrgOption {
                id: o.id,
                name: o.name,
                category: o.category,
                district: o.district,
            })
            .collect(),
    ))
}
