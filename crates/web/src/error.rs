//! One error type for every handler, and one place that turns any failed answer into what the user
//! sees: a Chinese error page for a browser, `{"error": "…"}` for `/api/` paths.
//!
//! A handler returns [`AppError`]; its response carries an [`ErrorInfo`] extension with the status
//! and the Chinese message. The [`render_errors`] middleware (installed by [`crate::router`]) knows
//! the request (path, request id, htmx or not) and writes the final body, for `AppError`s and
//! equally for the failures of the layers and of axum itself (CSRF 403, 404, 405, 413, timeouts,
//! extractor rejections), whose English bodies never reach a user. Internal errors are logged with
//! the request id and shown only as 「系统内部错误」 with that id.

use askama::Template;
use axum::Json;
use axum::body::Body;
use axum::extract::Request;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, LOCATION};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use crate::filters;
use crate::fmt::url_encode;

/// What can go wrong in a handler. `Display` is the Chinese text a user may see; the source of an
/// internal error is logged and never shown.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No session (or it expired): a page redirects to the login, the API answers 401.
    #[error("请先登录")]
    Unauthenticated,
    /// Signed in, but the role may not do this at all (a menu item it does not have).
    #[error("您没有权限执行此操作")]
    Forbidden,
    /// A state-changing request without the session's CSRF token (a stale page, or a forged form).
    #[error("页面已过期或请求来源校验未通过，请刷新页面后重试")]
    Csrf,
    /// Too many attempts from one address.
    #[error("操作过于频繁，请稍后再试")]
    TooManyRequests,
    /// Nothing there, or outside the user's scope: both look the same (never reveal that another
    /// organisation's id exists).
    #[error("您访问的页面不存在，或您无权查看")]
    NotFound,
    /// The request is wrong in a way the user can fix; the message says how.
    #[error("{0}")]
    BadRequest(String),
    /// The state does not allow it (already submitted, deadline passed…); the message says why.
    #[error("{0}")]
    Conflict(String),
    /// The content cannot be used (an unreadable file); the message names it and says why.
    #[error("{0}")]
    Unprocessable(String),
    /// The upload is larger than the limit; the message names the limit.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// Anything else: a database failure, a bug. Logged, shown as a generic message.
    #[error("处理您的请求时出错，请稍后重试；如问题持续，请联系管理员")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl AppError {
    /// Wraps any error as an internal one.
    pub fn internal(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        AppError::Internal(e.into())
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        AppError::BadRequest(message.into())
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        AppError::Conflict(message.into())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<shuangshi_store::StoreError> for AppError {
    fn from(e: shuangshi_store::StoreError) -> Self {
        use shuangshi_store::StoreError as S;
        match e {
            S::NotFound(_) => AppError::NotFound,
            S::Invalid(_) => AppError::BadRequest(e.to_string()),
            S::Conflict(_) | S::State(_) | S::VersionConflict { .. } => {
                AppError::Conflict(e.to_string())
            }
            other => AppError::internal(other),
        }
    }
}

/// A use case's error: a refusal is a conflict whose message the user sees (handlers that show
/// the refusal's findings match on it first); the store's errors map as above.
impl From<shuangshi_app::Error> for AppError {
    fn from(e: shuangshi_app::Error) -> Self {
        use shuangshi_app::Error as E;
        match e {
            E::Refused(r) => AppError::Conflict(r.message),
            E::NotFound => AppError::NotFound,
            E::Store(e) => AppError::from(e),
            E::Task(e) => AppError::internal(e),
        }
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::internal(e)
    }
}

/// The status and Chinese message of a failed answer, attached to the response for
/// [`render_errors`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorInfo {
    pub status: StatusCode,
    pub message: String,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let AppError::Internal(source) = &self {
            tracing::error!(error = %source, debug = ?source, "internal error");
        }
        let message = self.to_string();
        let mut response = (status, message.clone()).into_response();
        response
            .extensions_mut()
            .insert(ErrorInfo { status, message });
        response
    }
}

/// The message for a status when nothing more specific is known.
pub fn default_message(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "请求的格式有误，请检查后重新提交",
        401 => "请先登录",
        403 => "您没有权限执行此操作",
        404 => "您访问的页面不存在，或您无权查看",
        405 => "不支持该请求方式",
        408 => "请求超时，请稍后重试",
        409 => "当前状态不允许此操作",
        413 => "上传的内容过大（单次上限 25 MB），请压缩或拆分后重试",
        415 => "不支持的内容类型",
        422 => "提交的内容有误，请检查后重新提交",
        429 => "操作过于频繁，请稍后再试",
        503 | 504 => "系统繁忙或处理超时，请稍后重试",
        500..=599 => "处理您的请求时出错，请稍后重试；如问题持续，请联系管理员",
        _ => "请求未能完成",
    }
}

/// The title of the error page for a status.
pub fn error_title(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 => "请先登录",
        403 => "无权访问",
        404 => "页面不存在",
        405 | 400 | 409 | 413 | 415 | 422 => "请求未能完成",
        408 | 429 | 503 | 504 => "请稍后重试",
        500..=599 => "系统内部错误",
        _ => "请求未能完成",
    }
}

/// The error page (`error.html`): 403, 404, 500… in Chinese with a way back.
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub status: u16,
    pub title: String,
    pub message: String,
    /// Quoted to the administrator when reporting a problem.
    pub request_id: String,
}

/// The JSON body of a failed API answer.
#[derive(Debug, serde::Serialize)]
pub struct ApiError {
    pub error: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// Whether a path belongs to the JSON API.
pub fn is_api_path(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// Middleware: gives every failed answer its Chinese body (see the module docs). Answers that
/// already carry a page or JSON of their own (a form re-rendered with its errors) pass unchanged.
pub async fn render_errors(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let path_and_query = request
        .uri()
        .path_and_query()
        .map_or_else(|| path.clone(), |pq| pq.as_str().to_owned());
    let request_id = request
        .headers()
        .get(crate::security::REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let htmx = request.headers().contains_key("hx-request");
    let is_get = request.method() == axum::http::Method::GET;

    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let info = response.extensions().get::<ErrorInfo>().cloned();
    if info.is_none() && has_own_body(&response) {
        return response;
    }
    let csrf = response
        .extensions()
        .get::<tower_http::csrf::ProtectionError>()
        .is_some();
    let message = match (&info, csrf) {
        (Some(info), _) => info.message.clone(),
        (None, true) => "请求来源校验未通过：请在本系统的页面中操作，或刷新页面后重试".to_owned(),
        (None, false) => default_message(status).to_owned(),
    };
    if status.is_server_error() && info.is_none() {
        tracing::warn!(%status, path, request_id, "request failed");
    }

    let (mut parts, _) = response.into_parts();
    parts.headers.remove(CONTENT_LENGTH);

    if is_api_path(&path) {
        let body = ApiError {
            error: message,
            request_id: (!request_id.is_empty()).then_some(request_id),
        };
        let json = Json(body).into_response();
        let (json_parts, json_body) = json.into_parts();
        if let Some(ct) = json_parts.headers.get(CONTENT_TYPE) {
            parts.headers.insert(CONTENT_TYPE, ct.clone());
        }
        return Response::from_parts(parts, json_body);
    }

    // A page that needs a session sends the browser to the login, and back here afterwards.
    if status == StatusCode::UNAUTHORIZED {
        let target = if is_get { path_and_query.as_str() } else { "/" };
        let location = format!("/login?next={}", url_encode(target));
        if let Ok(value) = HeaderValue::from_str(&location) {
            if htmx {
                parts.headers.insert("hx-redirect", value);
            } else {
                parts.status = StatusCode::SEE_OTHER;
                parts.headers.insert(LOCATION, value);
            }
        }
    }

    let page = ErrorPage {
        status: status.as_u16(),
        title: error_title(status).to_owned(),
        message,
        request_id,
    };
    let body = match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "error page failed to render");
            (status, page.message).into_response()
        }
    };
    let (page_parts, page_body) = body.into_parts();
    if let Some(ct) = page_parts.headers.get(CONTENT_TYPE) {
        parts.headers.insert(CONTENT_TYPE, ct.clone());
    }
    Response::from_parts(parts, page_body)
}

/// Whether a failed answer already has a body meant for people (an HTML page or JSON), rather
/// than nothing or the plain-text English of a layer or an extractor.
fn has_own_body(response: &Response<Body>) -> bool {
    response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/html") || ct.starts_with("application/json"))
}

/// A failed answer.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ApiErrorBody {
    /// The reason, in Chinese.
    pub error: String,
    pub request_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        assert_eq!(AppError::NotFound.status(), StatusCode::NOT_FOUND);
        assert!(
            AppError::internal("secret detail")
                .to_string()
                .starts_with("处理您的请求时出错")
        );
        assert_eq!(AppError::bad_request("缺少文件").to_string(), "缺少文件");
        assert!(is_api_path("/api/v1/x") && is_api_path("/api") && !is_api_path("/apix"));
    }
}
