//! The web shell: health, login page, assets, security headers, error pages, CSRF layer, limits.

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use shuangshi_store::testing::TestDb;
use shuangshi_web::AppState;
use tower::ServiceExt;

use crate::support::TestApp;

async fn send(request: Request<Body>) -> (StatusCode, HeaderMap, Vec<u8>) {
    let app = TestApp::new().await;
    let response = app.router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec();
    (status, headers, body)
}

async fn get(uri: &str) -> (StatusCode, HeaderMap, String) {
    let (status, headers, body) = send(Request::get(uri).body(Body::empty()).unwrap()).await;
    (status, headers, String::from_utf8(body).unwrap())
}

#[tokio::test]
async fn healthz_answers_ok() {
    let (status, headers, body) = get("/healthz").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "ok");
    assert!(headers.contains_key("x-request-id"));
}

#[tokio::test]
async fn login_page_is_chinese_with_labels() {
    let (status, headers, body) = get("/login?next=/forms").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(body.contains(r#"<html lang="zh-CN">"#));
    assert!(body.contains("双千双师交流计划管理系统"));
    assert!(body.contains(r#"<label for="username" class="form-label">用户名</label>"#));
    assert!(body.contains(r#"<label for="password" class="form-label">密码</label>"#));
    assert!(body.contains(r#"id="username""#) && body.contains(r#"id="password""#));
    assert!(body.contains(r#"name="next" value="/forms""#));
    // No inline script or style: the CSP forbids both.
    assert!(!body.contains("<script>") && !body.contains("<style") && !body.contains("style=\""));
    // Assets by versioned URL.
    assert!(body.contains("/assets/app.css?v="));
    assert!(body.contains("/assets/vendor/bootstrap/bootstrap.min.css?v="));
    assert!(body.contains("/assets/vendor/htmx/htmx.min.js?v="));
}

#[tokio::test]
async fn login_next_cannot_leave_the_site() {
    let (_, _, body) = get("/login?next=//evil.example/").await;
    assert!(body.contains(r#"name="next" value="/""#));
}

#[tokio::test]
async fn assets_have_type_etag_and_304() {
    let url = shuangshi_web::assets::asset_url("app.css");
    let (status, headers, body) = get(&url).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/css; charset=utf-8");
    assert_eq!(
        headers[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    let etag = headers[header::ETAG].to_str().unwrap().to_owned();
    assert!(etag.starts_with('"') && etag.ends_with('"') && !etag.starts_with("W/"));
    assert!(body.contains(".app-topbar"));

    // Revalidation answers 304 without a body.
    let request = Request::get(&url)
        .header(header::IF_NONE_MATCH, &etag)
        .body(Body::empty())
        .unwrap();
    let (status, headers, body) = send(request).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert_eq!(headers[header::ETAG], etag.as_str());
    assert!(body.is_empty());

    // Without ?v= the browser must revalidate.
    let (status, headers, _) = get("/assets/vendor/htmx/htmx.min.js").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers[header::CONTENT_TYPE],
        "text/javascript; charset=utf-8"
    );
    assert_eq!(headers[header::CACHE_CONTROL], "no-cache");

    let font = Request::get("/assets/vendor/bootstrap-icons/fonts/bootstrap-icons.woff2")
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(Body::empty())
        .unwrap();
    let (status, headers, body) = send(font).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "font/woff2");
    // Already compressed: sent as it is.
    assert!(!headers.contains_key(header::CONTENT_ENCODING));
    assert!(body.starts_with(b"wOF2"));
}

#[tokio::test]
async fn compressed_assets_get_their_own_etag() {
    let url = shuangshi_web::assets::asset_url("vendor/bootstrap/bootstrap.min.css");
    let request = Request::get(&url)
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(Body::empty())
        .unwrap();
    let (status, headers, _) = send(request).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_ENCODING], "gzip");
    let etag = headers[header::ETAG].to_str().unwrap().to_owned();
    assert!(etag.ends_with("-gzip\""), "{etag}");
    // The compressed representation's tag revalidates too.
    let request = Request::get(&url)
        .header(header::ACCEPT_ENCODING, "gzip")
        .header(header::IF_NONE_MATCH, &etag)
        .body(Body::empty())
        .unwrap();
    let (status, _, _) = send(request).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn unknown_asset_is_404() {
    let (status, _, body) = get("/assets/nope.js").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("页面不存在"));
    let (status, _, _) = get("/assets/../Cargo.toml").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn cross_site_post_is_refused_on_every_route() {
    for uri in [
        "/login",
        "/logout",
        "/healthz",
        "/api/v1/check",
        "/anything",
    ] {
        let request = Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header(header::HOST, "shuangshi.example")
            .header("sec-fetch-site", "cross-site")
            .header(header::ORIGIN, "https://evil.example")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from("username=a&password=b"))
            .unwrap();
        let (status, headers, body) = send(request).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{uri}");
        let body = String::from_utf8(body).unwrap();
        assert!(body.contains("请求来源校验未通过"), "{uri}: {body}");
        assert!(headers.contains_key(header::CONTENT_SECURITY_POLICY));
    }
}

#[tokio::test]
async fn same_origin_post_passes_csrf() {
    // /healthz has no POST handler: the answer is 405 (in Chinese), not the CSRF 403.
    let request = Request::builder()
        .method(Method::POST)
        .uri("/healthz")
        .header(header::HOST, "shuangshi.example")
        .header("sec-fetch-site", "same-origin")
        .body(Body::empty())
        .unwrap();
    let (status, _, body) = send(request).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(
        String::from_utf8(body)
            .unwrap()
            .contains("不支持该请求方式")
    );
}

#[tokio::test]
async fn security_headers_are_set() {
    let (_, headers, _) = get("/login").await;
    assert_eq!(
        headers[header::CONTENT_SECURITY_POLICY],
        shuangshi_web::security::CSP
    );
    let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    for directive in [
        "default-src 'self'",
        "img-src 'self' data:",
        "style-src 'self'",
        "script-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(directive), "{directive}");
    }
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(headers[header::REFERRER_POLICY], "same-origin");
    assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY");
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
}

#[tokio::test]
async fn unknown_path_is_a_chinese_404_page() {
    let (status, headers, body) = get("/no/such/page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(body.contains("页面不存在"));
    assert!(body.contains("您访问的页面不存在，或您无权查看"));
    assert!(body.contains("返回首页"));
    let id = headers["x-request-id"].to_str().unwrap();
    assert!(body.contains(id), "the page quotes the request id");
}

#[tokio::test]
async fn unknown_api_path_is_json() {
    let (status, headers, body) = get("/api/v1/nothing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["error"], "您访问的页面不存在，或您无权查看");
    assert_eq!(
        json["request_id"],
        headers["x-request-id"].to_str().unwrap()
    );
}

#[tokio::test]
async fn oversized_upload_is_413_in_chinese() {
    let request = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/check")
        .header(header::CONTENT_LENGTH, (26 * 1024 * 1024).to_string())
        .body(Body::empty())
        .unwrap();
    let (status, _, body) = send(request).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert!(json["error"].as_str().unwrap().contains("过大"));
}

#[tokio::test]
async fn given_request_id_is_echoed() {
    let request = Request::get("/healthz")
        .header("x-request-id", "abc-123")
        .body(Body::empty())
        .unwrap();
    let (_, headers, _) = send(request).await;
    assert_eq!(headers["x-request-id"], "abc-123");
}

/// A few routes that fail on purpose, behind the real middleware (without the policy guard).
async fn app_with_failures(config: shuangshi_web::WebConfig) -> (TestDb, Router) {
    use axum::response::{Html, IntoResponse};
    use axum::routing::get;
    use shuangshi_web::AppError;
    let db = TestDb::new().await;
    let routes = Router::new()
        .route(
            "/boom",
            get(|| async { Err::<(), _>(AppError::internal("db password is hunter2")) }),
        )
        .route(
            "/api/v1/boom",
            get(|| async { Err::<(), _>(AppError::internal("db password is hunter2")) }),
        )
        .route("/private", get(|| async { AppError::Unauthenticated }))
        .route(
            "/api/v1/private",
            get(|| async { AppError::Unauthenticated }),
        )
        .route(
            "/invalid",
            get(|| async {
                (StatusCode::UNPROCESSABLE_ENTITY, Html("<p>表单有误</p>")).into_response()
            }),
        )
        .route(
            "/conflict",
            get(|| async { AppError::conflict("本表已报送，不能再修改") }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                "late"
            }),
        );
    let state = AppState::new(config.clone(), db.store().clone());
    let app = shuangshi_web::security::apply(routes, &config).with_state(state);
    (db, app)
}

async fn call(app: Router, uri: &str, htmx: bool) -> (StatusCode, HeaderMap, String) {
    let mut request = Request::get(uri);
    if htmx {
        request = request.header("hx-request", "true");
    }
    let response = app
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = to_bytes(response.into_body(), usize::MAX).await.unwrap();
    (status, headers, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn internal_errors_are_never_shown() {
    let (_db, app) = app_with_failures(Default::default()).await;
    let (status, _, body) = call(app.clone(), "/boom", false).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(body.contains("系统内部错误") && body.contains("请求编号"));
    assert!(!body.contains("hunter2"));
    let (status, _, body) = call(app, "/api/v1/boom", false).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(
        json["error"]
            .as_str()
            .unwrap()
            .starts_with("处理您的请求时出错")
    );
    assert!(!body.contains("hunter2"));
}

#[tokio::test]
async fn missing_session_goes_to_login() {
    let (_db, app) = app_with_failures(Default::default()).await;
    let (status, headers, _) = call(app.clone(), "/private?tab=2", false).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        headers[header::LOCATION],
        "/login?next=%2Fprivate%3Ftab%3D2"
    );
    let (status, headers, _) = call(app.clone(), "/private", true).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(headers["hx-redirect"], "/login?next=%2Fprivate");
    let (status, _, body) = call(app, "/api/v1/private", false).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["error"], "请先登录");
}

#[tokio::test]
async fn pages_with_their_own_error_body_pass_unchanged() {
    let (_db, app) = app_with_failures(Default::default()).await;
    let (status, _, body) = call(app.clone(), "/invalid", false).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body, "<p>表单有误</p>");
    let (status, _, body) = call(app, "/conflict", false).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body.contains("本表已报送，不能再修改") && body.contains("<html"));
}

#[tokio::test]
async fn slow_requests_time_out_in_chinese() {
    let config = shuangshi_web::WebConfig {
        request_timeout: std::time::Duration::from_millis(50),
        ..Default::default()
    };
    let (_db, app) = app_with_failures(config).await;
    let (status, _, body) = call(app, "/slow", false).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body.contains("处理超时"));
}
