//! The session layer: tower-sessions over the store's `sessions` table (so several instances can
//! serve one deployment). Cookie `ss_session`: HttpOnly, SameSite=Strict, `Secure` when
//! [`WebConfig::secure_cookies`](crate::WebConfig), path `/`; the session ends after
//! [`WebConfig::idle_timeout`](crate::WebConfig) without a request. The absolute timeout is
//! checked in [`crate::auth::resolve`] against the login time kept in the session.

use shuangshi_store::Store;
use tower_sessions::cookie::SameSite;
use tower_sessions::cookie::time::Duration;
use tower_sessions::{Expiry, SessionManagerLayer};

pub use tower_sessions::session_store::ExpiredDeletion;

use crate::state::WebConfig;

/// The name of the session cookie.
pub const COOKIE_NAME: &str = "ss_session";

/// The session layer of the router.
pub fn layer(store: Store, config: &WebConfig) -> SessionManagerLayer<Store> {
    let idle = i64::try_from(config.idle_timeout.as_secs()).unwrap_or(30 * 60);
    SessionManagerLayer::new(store)
        .with_name(COOKIE_NAME)
        .with_http_only(true)
        .with_same_site(SameSite::Strict)
        .with_secure(config.secure_cookies)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(Duration::seconds(idle)))
}

/// Session key of the flash messages waiting for the next page.
const FLASH: &str = "flash";

/// Keeps a message for the next page the user sees (after a redirect).
pub async fn push_flash(session: &tower_sessions::Session, flash: crate::ui::Flash) {
    let mut all: Vec<crate::ui::Flash> =
        session.get(FLASH).await.ok().flatten().unwrap_or_default();
    all.push(flash);
    if let Err(e) = session.insert(FLASH, all).await {
        tracing::warn!(error = %e, "flash message not kept");
    }
}

/// The messages kept for this page (and forgets them).
pub async fn take_flash(session: &tower_sessions::Session) -> Vec<crate::ui::Flash> {
    session
        .remove::<Vec<crate::ui::Flash>>(FLASH)
        .await
        .ok()
        .flatten()
        .unwrap_or_default()
}

/// Session key of the batch a commission account chose in the top bar's switcher.
const CHOSEN_BATCH: &str = "chosen_batch";

/// The batch chosen in the switcher, with the account that chose it (so a choice never carries
/// over to another account signing in on the same browser).
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
struct ChosenBatch {
    user_id: i64,
    batch_id: i64,
}

/// Remembers that account `user_id` works in batch `batch_id` from now on (until it chooses
/// another or the session ends).
pub async fn choose_batch(
    session: &tower_sessions::Session,
    user_id: i64,
    batch_id: i64,
) -> Result<(), tower_sessions::session::Error> {
    session
        .insert(CHOSEN_BATCH, ChosenBatch { user_id, batch_id })
        .await
}

/// The batch account `user_id` chose in this session, if it chose one.
pub async fn chosen_batch(session: &tower_sessions::Session, user_id: i64) -> Option<i64> {
    match session.get::<ChosenBatch>(CHOSEN_BATCH).await {
        Ok(Some(c)) if c.user_id == user_id => Some(c.batch_id),
        Ok(_) => None,
        Err(e) => {
            tracing::warn!(error = %e, "chosen batch not read");
            None
        }
    }
}
