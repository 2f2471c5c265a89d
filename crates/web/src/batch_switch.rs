//! 当前批次: the commission's batch switcher in the top bar (`base.html`).
//!
//! `POST /batch` (CSRF-checked, commission roles only) keeps the chosen batch in the session
//! ([`crate::session::choose_batch`]) and sends the user back to the page the switcher was on (the
//! `Referer`, when it is a path of this site; else 工作台). [`remember`], a route layer inside the
//! policy guard, makes that choice the request's current batch: [`chosen`] is read by the one
//! page-level helper ([`crate::auth::current_batch`] and the frame's batch), so the top bar and the
//! page's content always name the same batch. Without a choice (and for every other role, and for
//! API tokens) the current batch stays the open one, else the newest.

use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::http::header::{HOST, REFERER};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

use crate::auth::{CsrfForm, CurrentUser};
use crate::error::AppError;
use crate::policy::{Access, Routes, roles};
use crate::session::{choose_batch, chosen_batch};
use crate::state::AppState;
use crate::ui::is_commission;

pub fn routes() -> Routes {
    Routes::new().post("/batch", Access::Roles(roles::COMMISSION), switch)
}

tokio::task_local! {
    /// The batch the signed-in commission account chose, for the request being answered.
    static CHOSEN: Option<i64>;
}

/// The batch chosen in the switcher for the request being answered (`None`: no choice, another
/// role, an API token, or outside a request).
pub fn chosen() -> Option<i64> {
    CHOSEN.try_with(|c| *c).ok().flatten()
}

/// The route layer that makes the session's chosen batch the request's (see the module docs).
/// Installed inside [`crate::policy::guard`], which has put the [`CurrentUser`] in the request.
pub async fn remember(request: Request, next: Next) -> Response {
    let user = request.extensions().get::<CurrentUser>();
    let session = request.extensions().get::<Session>();
    let choice = match (user, session) {
        (Some(u), Some(s)) if !u.via_token && is_commission(u.role()) => {
            chosen_batch(s, u.user.id).await
        }
        _ => None,
    };
    CHOSEN.scope(choice, next.run(request)).await
}

/// The switcher's form.
#[derive(Debug, Deserialize)]
pub struct SwitchForm {
    #[serde(default)]
    pub batch_id: String,
}

/// `POST /batch`: works in the chosen batch from now on and goes back to the page.
pub async fn switch(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<SwitchForm>,
) -> Result<Response, AppError> {
    let batch = match form.batch_id.trim().parse::<i64>() {
        Ok(id) => state.store.get_batch(id).await?,
        Err(_) => None,
    };
    let Some(batch) = batch else {
        return Err(AppError::bad_request(
            "所选批次不存在，请刷新页面后重新选择",
        ));
    };
    choose_batch(&session, user.user.id, batch.id)
        .await
        .map_err(AppError::internal)?;
    // The top bar of the page gone back to names the batch: no message needed (and not every
    // page shows one, so it would turn up later somewhere else).
    let back = back_path(&headers, &state.config.trusted_origins);
    Ok(Redirect::to(&back).into_response())
}

/// Where to go back to: the path (and query) of the `Referer` when it is a page of this site (its
/// host is the request's `Host` or a trusted origin), else 工作台 `/`.
pub fn back_path(headers: &HeaderMap, trusted_origins: &[String]) -> String {
    let home = "/".to_owned();
    let Some(referer) = headers.get(REFERER).and_then(|v| v.to_str().ok()) else {
        return home;
    };
    let host = headers.get(HOST).and_then(|v| v.to_str().ok());
    let path = if referer.starts_with('/') {
        referer
    } else {
        let Some((scheme, rest)) = referer.split_once("://") else {
            return home;
        };
        if !matches!(scheme, "http" | "https") {
            return home;
        }
        let (authority, path) = match rest.find(['/', '?', '#']) {
            Some(i) => rest.split_at(i),
            None => (rest, "/"),
        };
        let own = host.is_some_and(|h| h.eq_ignore_ascii_case(authority));
        let trusted = trusted_origins.iter().any(|o| {
            o.trim_end_matches('/')
                .eq_ignore_ascii_case(&format!("{scheme}://{authority}"))
        });
        if !own && !trusted {
            return home;
        }
        path
    };
    let path = path.split('#').next().unwrap_or("");
    let safe = path.starts_with('/')
        && !path.starts_with("//")
        && !path.starts_with("/\\")
        && !path
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\\');
    let target = path.split('?').next().unwrap_or("");
    // Never back to the switcher itself or to a page without a session.
    if !safe || target == "/batch" || target == "/login" {
        return home;
    }
    path.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(referer: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(HOST, HeaderValue::from_static("shuangshi.test"));
        if let Ok(v) = HeaderValue::from_str(referer) {
            h.insert(REFERER, v);
        }
        h
    }

    #[test]
    fn goes_back_only_to_pages_of_this_site() {
        let none: &[String] = &[];
        assert_eq!(
            back_path(
                &headers("http://shuangshi.test/review?status=submitted"),
                none
            ),
            "/review?status=submitted"
        );
        assert_eq!(back_path(&headers("https://shuangshi.test"), none), "/");
        assert_eq!(back_path(&headers("/roster#top"), none), "/roster");
        assert_eq!(
            back_path(&headers("https://evil.example/roster"), none),
            "/"
        );
        assert_eq!(
            back_path(&headers("http://shuangshi.test//evil.example/"), none),
            "/"
        );
        assert_eq!(back_path(&headers("/\\evil.example"), none), "/");
        assert_eq!(back_path(&headers("javascript:alert(1)"), none), "/");
        assert_eq!(
            back_path(&headers("http://shuangshi.test/batch"), none),
            "/"
        );
        assert_eq!(back_path(&HeaderMap::new(), none), "/");
        let trusted = ["https://portal.example".to_owned()];
        assert_eq!(
            back_path(&headers("https://portal.example/admin/audit"), &trusted),
            "/admin/audit"
        );
    }
}
