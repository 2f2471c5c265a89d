//! The OpenAPI document of the JSON API under `/api/v1` (bearer tokens only: see
//! [`crate::auth`]), served at `/api/openapi.json`. Its paths are not listed here: every
//! `/api/v1` route is registered once, in its domain's `routes()`, with its access and the
//! `#[utoipa::path]` operation of its handler ([`crate::policy::Routes::doc`]); [`document`] reads
//! them from [`crate::routes`], with the schemas they use. This module adds the title, the bearer
//! scheme and the error body.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa::OpenApi;

use crate::error::AppError;
use crate::policy::{Access, Routes};

/// `GET /api/openapi.json`, for anyone.
pub fn routes() -> Routes {
    Routes::new().get("/api/openapi.json", Access::Public, openapi_json)
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "双千双师交流计划管理系统 API",
        version = "1",
        description = "以 `Authorization: Bearer ss_…` 令牌认证（在「API 令牌」页面或用 `shuangshi token create --user 用户名` 生成）。错误时返回 `{\"error\": \"中文说明\", \"request_id\": \"…\"}`。规则编号和检查报告的结构与命令行 `shuangshi check --format json` 相同。"
    ),
    components(schemas(
        crate::error::ApiErrorBody,
        crate::oversight::api::ApiCopy,
        crate::publication::api::ApiPublicBatch
    )),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The whole OpenAPI document: the info, security and shared schemas of [`ApiDoc`], and the
/// paths of every route registered with its operation ([`crate::policy::Routes::doc`]).
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    let (paths, schemas) = crate::routes().openapi_paths();
    doc.paths = paths;
    let components = doc.components.get_or_insert_with(Default::default);
    for (name, schema) in schemas {
        components.schemas.entry(name).or_insert(schema);
    }
    doc
}

/// `GET /api/openapi.json` (built once).
pub async fn openapi_json() -> Response {
    static JSON: std::sync::OnceLock<Result<String, String>> = std::sync::OnceLock::new();
    match JSON.get_or_init(|| document().to_json().map_err(|e| e.to_string())) {
        Ok(json) => ([(header::CONTENT_TYPE, "application/json")], json.clone()).into_response(),
        Err(e) => AppError::internal(e.clone()).into_response(),
    }
}
