//! How a page form is answered: back to a page whose flash says what happened, or a
//! fragment for htmx.

use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use shuangshi_store::StoreError;
use tower_sessions::Session;

use crate::error::AppError;
use crate::session::push_flash;
use crate::ui::Flash;

/// Answers a page form: back to `to` (the flash says what happened).
pub(crate) fn back(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// Whether the request came from htmx (answer with a fragment).
pub(crate) fn is_htmx(headers: &HeaderMap) -> bool {
    headers.contains_key("hx-request")
}

/// Shows a refusal the user can act on; anything else is an error.
pub(crate) async fn refuse(session: &Session, e: StoreError) -> Result<(), AppError> {
    let e = AppError::from(e);
    if matches!(e, AppError::NotFound | AppError::Internal(_)) {
        return Err(e);
    }
    push_flash(session, Flash::error(e.to_string())).await;
    Ok(())
}
