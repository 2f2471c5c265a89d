//! The middleware stack every route sits behind, and the small security helpers pages need.
//!
//! From the outside in: request id (`x-request-id`, made when absent, echoed on the answer) →
//! trace span → security headers (CSP, nosniff, Referrer-Policy, X-Frame-Options, `no-store` for
//! anything that sets no cache policy of its own, and `Strict-Transport-Security` when
//! [`WebConfig::secure_cookies`] says the service is behind TLS) → gzip → [`crate::error::render_errors`] →
//! timeout → body limit ([`limit_body`]) → [`CsrfLayer`] → the routes.
//!
//! CSRF: tower-http's `CsrfLayer` rejects a state-changing request whose `Sec-Fetch-Site` (or, for
//! older browsers, `Origin`) shows it came from another site, on every route. Requests with neither
//! header (curl, the CLI) pass, so the JSON API must authenticate by bearer token, never by the
//! session cookie alone. Pages also carry a per-session token ([`Frame::csrf_token`], in every POST
//! form and in the `X-CSRF-Token` header of htmx requests) for handlers to compare with
//! [`csrf_token_matches`]. The token is derived from the session id ([`csrf_for_session`]), so
//! it is never stored, and a new session id (login, password change) gives a new token.
//!
//! [`Frame::csrf_token`]: crate::ui::Frame::csrf_token

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_ENCODING, CONTENT_SECURITY_POLICY, ETAG, REFERRER_POLICY,
    STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use tower_http::csrf::CsrfLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::state::{AppState, WebConfig};

/// Largest request body by default: 25 MiB (a form workbook or a sealed scan).
pub const DEFAULT_BODY_LIMIT: usize = 25 * 1024 * 1024;

/// Longest a request may take by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// The Content-Security-Policy of every answer: only our own scripts, styles, fonts and images (and
/// `data:` images); no inline script or style; no framing.
pub const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; \
     script-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; \
     object-src 'none'";

/// The `Strict-Transport-Security` of every answer when the service runs behind TLS: one year.
pub const HSTS: &str = "max-age=31536000";

/// The request id header.
pub const REQUEST_ID: &str = "x-request-id";

/// The header htmx requests carry the CSRF token in (set by `app.js`).
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The form field POST forms carry the CSRF token in.
pub const CSRF_FIELD: &str = "_csrf";

/// The CSRF layer of [`apply`]: same-origin (or header-less) requests only, plus `trusted`
/// origins. An origin that is not of the form `https://host[:port]` is logged and left out (so
/// requests from it are refused, never wrongly allowed).
pub fn csrf_layer(trusted: &[String]) -> CsrfLayer {
    let mut layer = CsrfLayer::new();
    for origin in trusted {
        match layer.clone().add_trusted_origin(origin) {
            Ok(l) => layer = l,
            Err(e) => tracing::error!(%origin, error = %e, "trusted origin ignored"),
        }
    }
    layer
}

/// Puts `router` behind the whole middleware stack (see the module docs).
pub fn apply(router: Router<AppState>, config: &WebConfig) -> Router<AppState> {
    let request_id = HeaderName::from_static(REQUEST_ID);
    let compression = CompressionLayer::new()
        .gzip(true)
        .compress_when(DefaultPredicate::new().and(NotForContentType::const_new("font/")));
    let router = if config.secure_cookies {
        router.layer(SetResponseHeaderLayer::overriding(
            STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        ))
    } else {
        router
    };
    router
        // Upload size is governed by the layer below, not by axum's 2 MB extractor default.
        .layer(DefaultBodyLimit::disable())
        .layer(csrf_layer(&config.trusted_origins))
        .layer(middleware::from_fn_with_state(
            config.body_limit,
            limit_body,
        ))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            config.request_timeout,
        ))
        .layer(middleware::from_fn(crate::error::render_errors))
        .layer(compression)
        .layer(middleware::from_fn(mark_encoded_etag))
        .layer(SetResponseHeaderLayer::overriding(
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request| {
                let id = request
                    .headers()
                    .get(REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                // The path only: query strings may carry names people searched for.
                tracing::info_span!(
                    "http",
                    method = %request.method(),
                    path = %request.uri().path(),
                    request_id = %id,
                )
            }),
        )
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

/// The message of a request body over `limit` bytes.
pub fn body_limit_message(limit: usize) -> String {
    const MIB: usize = 1024 * 1024;
    let size = if limit >= MIB && limit.is_multiple_of(MIB) {
        format!("{} MB", limit / MIB)
    } else if limit >= 1024 && limit.is_multiple_of(1024) {
        format!("{} KB", limit / 1024)
    } else {
        format!("{limit} 字节")
    };
    format!("上传的内容过大：超过单次 {size} 的上限，请压缩或拆分后重试")
}

/// Middleware: refuses a request body over `limit` bytes with 413 and [`body_limit_message`].
///
/// A declared `Content-Length` over the limit is refused before the body is read. A body without
/// one (chunked) is counted as the handler reads it: past the limit the read fails, and whatever
/// the handler made of that failure (a multipart parse error, a 400) is replaced by the 413.
pub async fn limit_body(
    axum::extract::State(limit): axum::extract::State<usize>,
    request: Request,
    next: Next,
) -> Response {
    let declared = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return too_large(limit);
    }
    let exceeded = Arc::new(AtomicBool::new(false));
    let (parts, body) = request.into_parts();
    let body = Body::new(CountedBody {
        inner: body,
        left: limit,
        exceeded: exceeded.clone(),
    });
    let response = next.run(Request::from_parts(parts, body)).await;
    if exceeded.load(Ordering::Acquire) {
        too_large(limit)
    } else {
        response
    }
}

fn too_large(limit: usize) -> Response {
    use axum::response::IntoResponse;
    let status = StatusCode::PAYLOAD_TOO_LARGE;
    let message = body_limit_message(limit);
    let mut response = (status, message.clone()).into_response();
    response
        .extensions_mut()
        .insert(crate::error::ErrorInfo { status, message });
    response
}

/// The read past the body limit.
#[derive(Debug, thiserror::Error)]
#[error("请求体超过上限")]
struct BodyTooLarge;

/// A request body that fails once more than `left` bytes have been read, and says so in
/// `exceeded`.
struct CountedBody {
    inner: Body,
    left: usize,
    exceeded: Arc<AtomicBool>,
}

impl http_body::Body for CountedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        if this.exceeded.load(Ordering::Acquire) {
            return Poll::Ready(Some(Err(axum::Error::new(BodyTooLarge))));
        }
        let frame = match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => frame,
            other => return other,
        };
        if let Some(data) = frame.data_ref() {
            if data.len() > this.left {
                this.exceeded.store(true, Ordering::Release);
                return Poll::Ready(Some(Err(axum::Error::new(BodyTooLarge))));
            }
            this.left -= data.len();
        }
        Poll::Ready(Some(Ok(frame)))
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// Middleware: a compressed answer is another representation of the resource, so its strong ETag
/// must differ from the uncompressed one's: `"<hash>"` becomes `"<hash>-gzip"`. (The asset handler
/// reads the suffix back off when comparing `If-None-Match`.)
async fn mark_encoded_etag(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let encoding = response
        .headers()
        .get(CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let etag = response
        .headers()
        .get(ETAG)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if let (Some(encoding), Some(etag)) = (encoding, etag)
        && !etag.starts_with("W/")
        && let Some(inner) = etag.strip_prefix('"').and_then(|t| t.strip_suffix('"'))
        && let Ok(value) = HeaderValue::from_str(&format!("\"{inner}-{encoding}\""))
    {
        response.headers_mut().insert(ETAG, value);
    }
    response
}

/// The CSRF token of the session `id`: SHA-256 of a fixed label and the id, hex. Only the holder
/// of the session cookie can compute it; the database stores a different hash of the id
/// ([`shuangshi_store::sessions::session_key`]), from which it cannot be computed.
pub fn csrf_for_session(id: &tower_sessions::session::Id) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"shuangshi csrf token\0");
    h.update(id.to_string().as_bytes());
    hex::encode(h.finalize())
}

/// A fresh random token: 32 random bytes (from the operating system), hex (one-time form tokens,
/// and page previews without a session).
pub fn new_csrf_token() -> String {
    let a = uuid::Uuid::new_v4();
    let b = uuid::Uuid::new_v4();
    format!("{}{}", a.simple(), b.simple())
}

/// Compares a submitted CSRF token with the session's in constant time.
pub fn csrf_token_matches(expected: &str, given: &str) -> bool {
    let (a, b) = (expected.as_bytes(), given.as_bytes());
    if a.is_empty() || a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The password rule shown on the change-password page and enforced on every new password.
pub const PASSWORD_RULE: &str = "至少 12 个字符，且包含大写字母、小写字母、数字、符号中的至少 3 类；\
     不能是常见密码或有规律的组合（如 Password1234、Qwerty123456!）";

/// Why a new password is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("新密码至少需要 12 个字符")]
    TooShort,
    #[error("新密码需包含大写字母、小写字母、数字、符号中的至少 3 类")]
    TooFewClasses,
    #[error("两次输入的新密码不一致")]
    Mismatch,
    #[error("新密码不能与原密码相同")]
    Unchanged,
    /// Easy to guess (zxcvbn score under 3): the store's hint.
    #[error("{}", shuangshi_store::accounts::WEAK_PASSWORD_HINT)]
    Weak,
}

/// Checks a new password against [`PASSWORD_RULE`] (12 characters, 3 of 4 classes, not easy to
/// guess — with the account's own `names` counted as easy guesses), its repetition and the old
/// one.
pub fn check_new_password(
    old: &str,
    new: &str,
    repeat: &str,
    names: &[&str],
) -> Result<(), PasswordError> {
    if new.chars().count() < 12 {
        return Err(PasswordError::TooShort);
    }
    let classes = [
        new.chars().any(|c| c.is_ascii_uppercase()),
        new.chars().any(|c| c.is_ascii_lowercase()),
        new.chars().any(|c| c.is_ascii_digit()),
        new.chars().any(|c| !c.is_ascii_alphanumeric()),
    ];
    if classes.iter().filter(|&&c| c).count() < 3 {
        return Err(PasswordError::TooFewClasses);
    }
    if new != repeat {
        return Err(PasswordError::Mismatch);
    }
    if new == old {
        return Err(PasswordError::Unchanged);
    }
    if shuangshi_store::accounts::check_password_strength_for(new, names).is_err() {
        return Err(PasswordError::Weak);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        let t = new_csrf_token();
        assert_eq!(t.len(), 64);
        assert_ne!(t, new_csrf_token());
        assert!(csrf_token_matches(&t, &t.clone()));
        assert!(!csrf_token_matches(&t, &t[..63]));
        assert!(!csrf_token_matches("", ""));
    }

    #[test]
    fn passwords() {
        let check = |old, new, repeat| check_new_password(old, new, repeat, &["zhangsan"]);
        assert_eq!(
            check("o", "Short1!", "Short1!"),
            Err(PasswordError::TooShort)
        );
        assert_eq!(
            check("o", "alllowercase1", "alllowercase1"),
            Err(PasswordError::TooFewClasses)
        );
        assert_eq!(
            check("o", "Lower-and-UPPER", "Lower-and-UPPEr"),
            Err(PasswordError::Mismatch)
        );
        assert_eq!(
            check("Gq7-vrTm2#pLx", "Gq7-vrTm2#pLx", "Gq7-vrTm2#pLx"),
            Err(PasswordError::Unchanged)
        );
        for weak in ["Password1234", "Qwerty123456!", "Zhangsan2024!"] {
            assert_eq!(check("o", weak, weak), Err(PasswordError::Weak), "{weak}");
        }
        assert_eq!(check("o", "Gq7-vrTm2#pLx", "Gq7-vrTm2#pLx"), Ok(()));
        assert_eq!(
            check("o", "重庆市教委abc12345", "重庆市教委abc12345"),
            Ok(())
        );
    }
}
