//! Auditing what a page shows or exports.

use shuangshi_store::Store;

use crate::auth::CurrentUser;

/// Records an export or an unmasked view in the audit log (who, when, what, from where); a
/// failure to record is logged, never shown.
pub(crate) async fn audit(
    store: &Store,
    user: &CurrentUser,
    action: &str,
    target: String,
    detail: String,
) {
    let entry = shuangshi_store::AuditEntry::new(&user.actor(), action, target, detail);
    if let Err(e) = store.audit(entry).await {
        tracing::warn!(error = %e, action, "not audited");
    }
}
