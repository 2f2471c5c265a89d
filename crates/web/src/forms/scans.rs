//! The scan of the form sealed by school and enterprise (W03): uploaded as PDF, JPG or PNG
//! (recognised by its first bytes, never by its name), size-capped, checked in full (a PDF must
//! parse, have a page and carry no active content; an image must decode), bound to the form
//! version it seals; any later edit of the form voids it. `GET /scans/{id}` downloads it, and with
//! `?inline=1` answers it for viewing in the browser (an image shown in the page, a PDF opened in
//! a new tab).

use axum::extract::{Multipart, Path, Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tower_sessions::Session;

use shuangshi_sheet::scan::check_scan;

use crate::auth::{CurrentUser, check_csrf};
use crate::error::AppError;
use crate::forms::import::read_upload;
use crate::forms::pages::school_form;
use crate::session::push_flash;
use crate::shared::download::attachment;
use crate::shared::flash::back;
use crate::shared::officer::school_ctx;
use crate::state::AppState;
use crate::ui::Flash;

/// The largest scan accepted.
pub use shuangshi_sheet::scan::MAX_SCAN_BYTES;

/// Checks an uploaded scan on a blocking thread ([`shuangshi_sheet::scan::check_scan`]: a PDF
/// that parses, has a page and no script, launch action, embedded file or XFA; an image that
/// decodes in full within the pixel bound). Gives the content type and the bytes back, or the
/// Chinese reason naming the file; nothing is stored on a refusal.
pub async fn accept_scan(
    file_name: &str,
    bytes: Vec<u8>,
) -> Result<(&'static str, Vec<u8>), String> {
    let checked = tokio::task::spawn_blocking(move || {
        let kind = check_scan(&bytes);
        (kind, bytes)
    })
    .await;
    match checked {
        Ok((Ok(kind), bytes)) => Ok((kind.content_type(), bytes)),
        Ok((Err(reason), _)) => Err(format!("「{file_name}」{reason}")),
        Err(_) => Err(format!("「{file_name}」未能完成检查，请重新上传")),
    }
}

/// `POST /forms/{id}/scan`.
pub async fn upload(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    headers: HeaderMap,
    Path(id): Path<i64>,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let ctx = school_ctx(&state.store, &user).await?;
    let up = read_upload(multipart, MAX_SCAN_BYTES).await?;
    check_csrf(&user, &headers, Some(&up.csrf))?;
    let form = school_form(&state, &ctx, id).await?;
    let to = format!("/forms/{id}#scan");
    let (content_type, bytes) = match accept_scan(&up.file_name, up.bytes).await {
        Ok(checked) => checked,
        Err(message) => {
            push_flash(&session, Flash::error(message)).await;
            return Ok(back(&to));
        }
    };
    match state
        .store
        .put_scan(&ctx.scope, id, content_type, bytes, &user.actor())
        .await
    {
        Ok(Some(scan)) => {
            push_flash(
                &session,
                Flash::success(format!(
                    "已上传「{}」的盖章扫描件（对应推荐表第 {} 版）",
                    form.enterprise_name, scan.form_version
                )),
            )
            .await;
            Ok(back(&to))
        }
        Ok(None) => Err(AppError::NotFound),
        Err(e) => {
            let e = AppError::from(e);
            if matches!(e, AppError::NotFound | AppError::Internal(_)) {
                return Err(e);
            }
            push_flash(&session, Flash::error(e.to_string())).await;
            Ok(back(&to))
        }
    }
}

/// The query of `GET /scans/{id}`.
#[derive(Debug, Default, Deserialize)]
pub struct ScanQuery {
    /// `1`: for viewing in the browser (`Content-Disposition: inline`), not as a download.
    #[serde(default)]
    pub inline: Option<String>,
}

impl ScanQuery {
    fn inline(&self) -> bool {
        matches!(self.inline.as_deref().map(str::trim), Some("1" | "true"))
    }
}

/// `GET /scans/{id}`: the scan, for the school and the commission: a download, or with
/// `?inline=1` for viewing in the browser. Either is audited as `export.scan`.
pub async fn download(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<ScanQuery>,
) -> Result<Response, AppError> {
    let (info, bytes) = state
        .store
        .get_scan(&user.scope(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let inline = q.inline();
    crate::shared::audit::audit(
        &state.store,
        &user,
        "export.scan",
        format!("form:{}", info.form_id),
        format!(
            "scan:{id} version {}{}",
            info.form_version,
            if inline { " inline" } else { "" }
        ),
    )
    .await;
    let ext = match info.content_type.as_str() {
        "application/pdf" => "pdf",
        "image/png" => "png",
        _ => "jpg",
    };
    let file_name = format!(
        "盖章扫描件-推荐表{}-第{}版.{ext}",
        info.form_id, info.form_version
    );
    if !inline {
        return Ok(attachment(bytes, &info.content_type, &file_name).into_response());
    }
    // Only the three kinds `check_scan` accepts are ever stored; anything else is downloaded.
    let content_type = match info.content_type.as_str() {
        "application/pdf" => "application/pdf",
        "image/png" => "image/png",
        "image/jpeg" => "image/jpeg",
        _ => return Ok(attachment(bytes, &info.content_type, &file_name).into_response()),
    };
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!(
        "inline; filename=\"scan.{ext}\"; filename*=UTF-8''{}",
        crate::fmt::url_encode(&file_name)
    )) {
        headers.insert(CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn scans_are_recognised_by_content_not_name() {
        assert!(accept_scan("a.png", Vec::new()).await.is_err());
        let e = accept_scan("盖章.pdf", b"<html>".to_vec())
            .await
            .unwrap_err();
        assert!(e.contains("盖章.pdf") && e.contains("不是 PDF、JPG 或 PNG"));
    }
}
