//! [`AppState`], what every handler can reach, and [`WebConfig`], the settings of the web layer.

use std::sync::Arc;
use std::time::Duration;

use shuangshi_app::App;
use shuangshi_store::Store;

use crate::security;
use crate::throttle::{LoginThrottle, RefusalCounter};

/// Settings of the web layer.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Largest request body accepted (uploads of forms and sealed scans), in bytes.
    pub body_limit: usize,
    /// Time a request may take before it is answered with 503 (a slow upload or check).
    pub request_timeout: Duration,
    /// Origins (`https://host[:port]`) allowed to POST besides the request's own host, for a
    /// deployment behind a proxy that rewrites `Host`.
    pub trusted_origins: Vec<String>,
    /// Mark the session cookie `Secure` (behind TLS; `serve --secure-cookies`).
    pub secure_cookies: bool,
    /// A session ends after this long without a request.
    pub idle_timeout: Duration,
    /// A session ends this long after the login, however active.
    pub absolute_timeout: Duration,
    /// Login attempts one client address may make per [`WebConfig::login_window`].
    pub login_attempts_per_window: u32,
    pub login_window: Duration,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            body_limit: security::DEFAULT_BODY_LIMIT,
            request_timeout: security::DEFAULT_TIMEOUT,
            trusted_origins: Vec::new(),
            secure_cookies: false,
            idle_timeout: Duration::from_secs(30 * 60),
            absolute_timeout: Duration::from_secs(12 * 3600),
            login_attempts_per_window: 20,
            login_window: Duration::from_secs(60),
        }
    }
}

/// What every handler can reach: the settings, the use cases and the database. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    pub config: Arc<WebConfig>,
    /// The use cases ([`shuangshi_app`]): every change goes through them.
    pub app: App,
    /// The database, for reads that are not use cases.
    pub store: Store,
    /// Per-address limit on login attempts (in memory, per instance).
    pub login_throttle: Arc<LoginThrottle>,
    /// Refused requests per account (in memory, per instance), for the audit of repeated
    /// refusals ([`crate::policy::refused`]).
    pub refusals: Arc<RefusalCounter>,
}

impl AppState {
    pub fn new(config: WebConfig, store: Store) -> Self {
        let login_throttle = Arc::new(LoginThrottle::new(
            config.login_attempts_per_window,
            config.login_window,
        ));
        AppState {
            config: Arc::new(config),
            app: App::new(store.clone()),
            store,
            login_throttle,
            refusals: Arc::new(RefusalCounter::default()),
        }
    }

    /// E-mails the commission's reminders through `mailer`.
    pub fn with_mailer(mut self, mailer: shuangshi_app::mail::Mailer) -> Self {
        self.app = self.app.with_mailer(mailer);
        self
    }
}
