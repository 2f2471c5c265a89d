//! Importing a form from a file: 预检 (parse and check, no transaction open, nothing stored), then
//! 确认导入 (the form's rows replaced all or nothing, the same content twice changing nothing), and
//! 下载标注文件 (the file with its problems marked).
//!
//! The use cases are [`shuangshi_app::App`]'s (`preview_upload`, `commit_upload`,
//! `annotated_upload`): a checked upload waits for its 确认导入 in the database for 30 minutes,
//! keyed by a random token bound to the user and the form, so any instance may take the commit.

use crate::disclosure::Disclosure;
use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use shuangshi_app::forms::Preview;
use shuangshi_rules::{Finding, Report};
use tower_sessions::Session;

use crate::auth::{CsrfForm, CurrentUser, check_csrf};
use crate::error::AppError;
use crate::filters;
use crate::forms::checks::is_school_level;
use crate::forms::pages::school_form;
use crate::session::push_flash;
use crate::shared::download::{XLSX, attachment};
use crate::shared::flash::{back, is_htmx};
use crate::shared::officer::school_ctx;
use crate::state::AppState;
use crate::ui::{Flash, Frame, ImportPreview};

/// A file part of a multipart upload, with the other (text) fields.
#[derive(Debug, Default)]
pub struct Upload {
    pub csrf: String,
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub has_file: bool,
    pub fields: HashMap<String, String>,
}

/// The last component of an uploaded file name, at most 100 characters.
pub fn clean_name(name: &str, fallback: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("").trim();
    let base: String = base.chars().filter(|c| !c.is_control()).take(100).collect();
    if base.is_empty() {
        fallback.to_owned()
    } else {
        base
    }
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::PayloadTooLarge(
            crate::error::default_message(StatusCode::PAYLOAD_TOO_LARGE).into(),
        )
    } else {
        AppError::bad_request("上传的内容读取失败（可能已中断），请重新选择文件上传")
    }
}

/// Reads a multipart upload: the `file` part (at most `max` bytes) and the text fields.
pub async fn read_upload(mut multipart: Multipart, max: usize) -> Result<Upload, AppError> {
    let mut up = Upload::default();
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or("").to_owned();
        if name == "file" && !up.has_file {
            up.has_file = true;
            up.file_name = clean_name(field.file_name().unwrap_or(""), "上传文件");
            while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                if up.bytes.len() + chunk.len() > max {
                    return Err(AppError::PayloadTooLarge(format!(
                        "文件「{}」超过上限 {} MB，请删除无关的工作表和图片后重新上传",
                        up.file_name,
                        max / (1024 * 1024)
                    )));
                }
                up.bytes.extend_from_slice(&chunk);
            }
        } else if name != "file" {
            let text = field.text().await.map_err(multipart_error)?;
            if text.len() > 10_000 {
                return Err(AppError::bad_request("提交的内容过长"));
            }
            if name == "_csrf" {
                up.csrf = text;
            } else {
                up.fields.insert(name, text);
            }
        }
    }
    Ok(up)
}

/// The 预检 result (a fragment for htmx, else inside the frame).
#[derive(Template, WebTemplate)]
#[template(path = "school/import_result.html")]
pub struct ImportResult {
    pub preview: Option<ImportPreview>,
    pub refusal: Option<String>,
    pub school_notes: Vec<Finding>,
    pub csrf: String,
}

/// The 预检 result as a whole page (without JavaScript).
#[derive(Template, WebTemplate)]
#[template(path = "school/import_page.html")]
pub struct ImportPage {
    pub frame: Frame,
    pub form_id: i64,
    /// The rendered [`ImportResult`].
    pub body: String,
}

/// `POST /forms/{id}/import`: 预检.
pub async fn preview(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let ctx = school_ctx(&state.store, &user).await?;
    let up = read_upload(multipart, state.config.body_limit).await?;
    check_csrf(&user, &headers, Some(&up.csrf))?;
    let form = school_form(&state, &ctx, id).await?;
    let result = if !up.has_file || up.bytes.is_empty() {
        ImportResult {
            preview: None,
            refusal: Some("请选择要导入的文件（.xlsx、.xls 或 .docx）".to_owned()),
            school_notes: Vec::new(),
            csrf: user.csrf.clone(),
        }
    } else {
        match state
            .app
            .preview_upload(
                &ctx.scope,
                user.user.id,
                &ctx.batch,
                &form,
                up.file_name,
                up.bytes,
            )
            .await
        {
            Err(shuangshi_app::Error::Refused(refusal)) => ImportResult {
                preview: None,
                refusal: Some(refusal.message),
                school_notes: Vec::new(),
                csrf: user.csrf.clone(),
            },
            Err(e) => return Err(e.into()),
            Ok(Preview { token, upload }) => {
                let checked = &upload.check;
                let mut own_report = Report::new(
                    &ctx.batch.params.name,
                    checked
                        .report
                        .forms
                        .iter()
                        .filter(|f| f.file == checked.file)
                        .cloned()
                        .collect(),
                    checked.own.clone(),
                );
                let disclosure = Disclosure::masked(&user);
                disclosure.report(&mut own_report);
                let mut preview = ImportPreview::from_report(&upload.file_name, &own_report);
                preview.people = upload.people;
                preview.errors = checked.errors;
                preview.errors_allowed = true;
                preview.commit_action = format!("/forms/{id}/import/commit");
                preview.token = token.clone();
                preview.annotated_href = format!("/forms/{id}/import/{token}/annotated.xlsx");
                let school_notes: Vec<Finding> = checked
                    .report
                    .findings
                    .iter()
                    .filter(|f| is_school_level(f))
                    .cloned()
                    .map(|mut f| {
                        disclosure.finding(&mut f);
                        f
                    })
                    .collect();
                ImportResult {
                    preview: Some(preview),
                    refusal: None,
                    school_notes,
                    csrf: user.csrf.clone(),
                }
            }
        }
    };
    if is_htmx(&headers) {
        return Ok(result.into_response());
    }
    let status = if result.refusal.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let frame = user
        .frame_with_batch(&state, "导入推荐表：预检结果", "forms")
        .await?
        .breadcrumbs([
            ("首页".to_owned(), Some("/".to_owned())),
            ("推荐表".to_owned(), Some("/forms".to_owned())),
            (form.enterprise_name.clone(), Some(format!("/forms/{id}"))),
            ("导入预检".to_owned(), None),
        ]);
    let body = result.render()?;
    Ok((
        status,
        ImportPage {
            frame,
            form_id: id,
            body,
        },
    )
        .into_response())
}

/// The 确认导入 form.
#[derive(Debug, Deserialize)]
pub struct CommitForm {
    #[serde(default)]
    pub token: String,
}

/// `POST /forms/{id}/import/commit`: replaces the form's rows with the checked upload.
pub async fn commit(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Path(id): Path<i64>,
    CsrfForm(body): CsrfForm<CommitForm>,
) -> Result<Response, AppError> {
    let ctx = school_ctx(&state.store, &user).await?;
    let form = school_form(&state, &ctx, id).await?;
    let to = format!("/forms/{id}");
    let done = state
        .app
        .commit_upload(
            &ctx.scope,
            &user.actor(),
            user.user.id,
            &ctx.batch,
            &form,
            &body.token,
        )
        .await;
    let flash = match done {
        Ok(c) if c.outcome.changed => {
            let out = &c.outcome;
            let mut message = format!(
                "已导入「{}」：共 {} 人（未变 {}、新增 {}、删除 {}），推荐表为第 {} 版",
                c.file_name,
                out.form.rows.len(),
                out.kept,
                out.added,
                out.removed,
                out.form.version
            );
            if c.errors > 0 {
                message.push_str(&format!(
                    "；其中 {} 处错误已标在单元格上，请逐格改正，改正前不能报送",
                    c.errors
                ));
                Flash::warning(message)
            } else {
                Flash::success(message)
            }
        }
        Ok(c) => Flash::info(format!(
            "「{}」与当前推荐表（第 {} 版）内容相同，未做任何修改",
            c.file_name, c.outcome.form.version
        )),
        Err(shuangshi_app::Error::Refused(r)) => Flash::error(r.message),
        Err(e) => {
            let e = AppError::from(e);
            if matches!(e, AppError::NotFound | AppError::Internal(_)) {
                return Err(e);
            }
            Flash::error(format!("导入未完成：{e}"))
        }
    };
    push_flash(&session, flash).await;
    Ok(back(&to))
}

/// `GET /forms/{id}/import/{token}/annotated.xlsx`: the checked file with its problems marked.
pub async fn annotated(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, token)): Path<(i64, String)>,
) -> Result<Response, AppError> {
    let ctx = school_ctx(&state.store, &user).await?;
    let form = school_form(&state, &ctx, id).await?;
    let (name, bytes) = match state
        .app
        .annotated_upload(&ctx.scope, user.user.id, &ctx.batch, &form, &token)
        .await
    {
        Ok(x) => x,
        Err(shuangshi_app::Error::Refused(_)) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let stem = name.rsplit_once('.').map_or(name.as_str(), |(s, _)| s);
    Ok(attachment(bytes, XLSX, &format!("{stem}（核验标注）.xlsx")))
}
