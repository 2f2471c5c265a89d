//! The scan of the form sealed by school and enterprise (W03): uploaded as PDF, JPG or PNG
//! (recognised by its first bytes, never by its name), size-capped, bound to the form version it
//! seals; any later edit of the form voids it.

use axum::extract::{Multipart, Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

use super::forms::{attachment, school_form};
use super::import::read_upload;
use super::{back, school_ctx};
use crate::auth::{CurrentUser, check_csrf};
use crate::error::AppError;
use crate::session::push_flash;
use crate::state::AppState;
use crate::ui::Flash;

/// The largest scan accepted.
pub const MAX_SCAN_BYTES: usize = 20 * 1024 * 1024;

/// The content type of a scan, from its first bytes: PDF, PNG or JPEG; `None` for anything else.
pub fn sniff_scan(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else {
        None
    }
}

/// Checks an uploaded scan: not empty, not too large, a PDF, PNG or JPEG by content.
pub fn accept_scan(file_name: &str, bytes: &[u8]) -> Result<&'static str, String> {
    if bytes.is_empty() {
        return Err(format!("「{file_name}」是空文件，请重新选择扫描件"));
    }
    if bytes.len() > MAX_SCAN_BYTES {
        return Err(format!(
            "「{file_name}」超过 {} MB，请降低扫描分辨率后重新上传",
            MAX_SCAN_BYTES / (1024 * 1024)
        ));
    }
    sniff_scan(bytes).ok_or_else(|| {
        format!("「{file_name}」不是 PDF、JPG 或 PNG 文件（按文件内容识别，与扩展名无关）；请上传盖章后的扫描件")
    })
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
    let content_type = match accept_scan(&up.file_name, &up.bytes) {
        Ok(t) => t,
        Err(message) => {
            push_flash(&session, Flash::error(message)).await;
            return Ok(back(&to));
        }
    };
    match state
        .store
        .put_scan(&ctx.scope, id, content_type, up.bytes, &user.actor())
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

/// `GET /scans/{id}`: the scan, for the school and the commission.
pub async fn download(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (info, bytes) = state
        .store
        .get_scan(&user.scope(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    super::audit(
        &state.store,
        &user,
        "export.scan",
        format!("form:{}", info.form_id),
        format!("scan:{id} version {}", info.form_version),
    )
    .await;
    let ext = match info.content_type.as_str() {
        "application/pdf" => "pdf",
        "image/png" => "png",
        _ => "jpg",
    };
    Ok(attachment(
        bytes,
        &info.content_type,
        &format!(
            "盖章扫描件-推荐表{}-第{}版.{ext}",
            info.form_id, info.form_version
        ),
    )
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_are_recognised_by_content_not_name() {
        assert_eq!(sniff_scan(b"%PDF-1.7\n..."), Some("application/pdf"));
        assert_eq!(sniff_scan(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff_scan(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff_scan(b"GIF89a"), None);
        assert!(accept_scan("a.png", b"").is_err());
        let e = accept_scan("盖章.pdf", b"<html>").unwrap_err();
        assert!(e.contains("盖章.pdf") && e.contains("不是 PDF、JPG 或 PNG"));
    }
}
