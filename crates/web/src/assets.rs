//! The browser assets (`crates/web/assets/`), embedded in the binary and served under
//! `/assets/{*path}`.
//!
//! Every answer carries a strong ETag (from the SHA-256 of the content) and answers a matching
//! `If-None-Match` with 304. A URL built by [`asset_url`] carries `?v=<hash>`; such a URL names one
//! exact content and is cached for a year (`immutable`), so a new binary's new file is a new URL.
//! Any other URL is revalidated (`no-cache`).

use std::collections::HashMap;
use std::sync::OnceLock;

use axum::extract::{Path, RawQuery};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use rust_embed::Embed;

use crate::error::AppError;

/// The files under `crates/web/assets/`.
#[derive(Embed)]
#[folder = "assets/"]
pub struct Assets;

/// Length of the content hash in versioned URLs and ETags (hex digits of SHA-256).
const HASH_LEN: usize = 16;

/// `Cache-Control` of a versioned URL.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of an unversioned asset URL: cache, but ask every time (304 when unchanged).
pub const REVALIDATE: &str = "no-cache";

fn hash_of(file: &rust_embed::EmbeddedFile) -> String {
    let mut h = hex::encode(file.metadata.sha256_hash());
    h.truncate(HASH_LEN);
    h
}

/// The content hash of every embedded file, computed once.
fn hashes() -> &'static HashMap<String, String> {
    static HASHES: OnceLock<HashMap<String, String>> = OnceLock::new();
    HASHES.get_or_init(|| {
        Assets::iter()
            .filter_map(|path| {
                let file = Assets::get(&path)?;
                Some((path.into_owned(), hash_of(&file)))
            })
            .collect()
    })
}

/// The content hash of an embedded asset (`None` if there is no such file).
pub fn asset_hash(path: &str) -> Option<&'static str> {
    hashes()
        .get(path.trim_start_matches('/'))
        .map(String::as_str)
}

/// The versioned URL of an embedded asset, for templates (`{{ "app.css"|asset }}`):
/// `/assets/app.css?v=<hash>`. A path that names no asset gets its plain URL (and a warning in
/// the log), so a typo shows as a 404 in the browser rather than a broken page.
pub fn asset_url(path: &str) -> String {
    let path = path.trim_start_matches('/');
    match asset_hash(path) {
        Some(hash) => format!("/assets/{path}?v={hash}"),
        None => {
            tracing::warn!(path, "no embedded asset at this path");
            format!("/assets/{path}")
        }
    }
}

/// The `Content-Type` of an asset, from its extension.
pub fn content_type(path: &str) -> &'static str {
    let ext = path
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" | "map" => "application/json",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "ico" => "image/x-icon",
        "txt" | "md" => "text/plain; charset=utf-8",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pdf" => "application/pdf",
        _ => "application/octet-stream",
    }
}

/// Whether an `If-None-Match` header names this ETag. A tag of ours may come back with a
/// `-<coding>` suffix (the compression layer marks compressed representations so), and `W/`
/// (weak comparison is what If-None-Match uses).
fn matches_etag(header: &str, hash: &str) -> bool {
    header.split(',').map(str::trim).any(|tag| {
        if tag == "*" {
            return true;
        }
        let tag = tag.strip_prefix("W/").unwrap_or(tag).trim_matches('"');
        let tag = tag.split_once('-').map_or(tag, |(h, _)| h);
        tag == hash
    })
}

/// `GET /assets/{*path}`.
pub async fn serve(
    Path(path): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if path
        .split(['/', '\\'])
        .any(|seg| seg == ".." || seg.is_empty())
    {
        return Err(AppError::NotFound);
    }
    let file = Assets::get(&path).ok_or(AppError::NotFound)?;
    let hash = hash_of(&file);
    let versioned = query
        .as_deref()
        .unwrap_or("")
        .split('&')
        .any(|kv| kv.strip_prefix("v=") == Some(hash.as_str()));
    let cache = if versioned { IMMUTABLE } else { REVALIDATE };
    let etag = HeaderValue::from_str(&format!("\"{hash}\"")).map_err(AppError::internal)?;

    let not_modified = headers
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| matches_etag(v, &hash));
    if not_modified {
        return Ok((
            StatusCode::NOT_MODIFIED,
            [
                (ETAG, etag),
                (CACHE_CONTROL, HeaderValue::from_static(cache)),
            ],
        )
            .into_response());
    }

    Ok((
        [
            (CONTENT_TYPE, HeaderValue::from_static(content_type(&path))),
            (ETAG, etag),
            (CACHE_CONTROL, HeaderValue::from_static(cache)),
        ],
        file.data.into_owned(),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn versioned_urls() {
        let url = asset_url("app.css");
        let hash = asset_hash("app.css").unwrap();
        assert_eq!(url, format!("/assets/app.css?v={hash}"));
        assert_eq!(hash.len(), HASH_LEN);
        assert_eq!(asset_url("/nope.css"), "/assets/nope.css");
    }

    #[test]
    fn etag_matching() {
        assert!(matches_etag("\"abc\"", "abc"));
        assert!(matches_etag("W/\"abc-gzip\"", "abc"));
        assert!(matches_etag("\"x\", \"abc\"", "abc"));
        assert!(matches_etag("*", "abc"));
        assert!(!matches_etag("\"abd\"", "abc"));
    }

    #[test]
    fn vendored_files_are_embedded() {
        for path in [
            "vendor/bootstrap/bootstrap.min.css",
            "vendor/bootstrap/bootstrap.bundle.min.js",
            "vendor/htmx/htmx.min.js",
            "vendor/bootstrap-icons/bootstrap-icons.min.css",
            "vendor/bootstrap-icons/fonts/bootstrap-icons.woff2",
            "vendor/echarts/echarts.min.js",
            "vendor/echarts/LICENSE",
            "vendor/echarts/NOTICE",
            "app.css",
            "app.js",
            "dashboard.js",
        ] {
            assert!(Assets::get(path).is_some(), "{path}");
        }
        assert_eq!(content_type("a/b.WOFF2"), "font/woff2");
    }
}
