//! Importing a form from a file: 预检 (parse and check, no transaction open, nothing stored), then
//! 确认导入 (the form's rows replaced all or nothing, the same content twice changing nothing), and
//! 下载标注文件 (the file with its problems marked).
//!
//! A checked upload waits for its 确认导入 in a small in-memory table (per instance, 30 minutes, at
//! most [`MAX_PENDING`] uploads), keyed by a random token bound to the user and the form. Behind a
//! balancer without sticky sessions a commit that reaches another instance is answered 「预检结果已
//! 过期，请重新预检」 and nothing changes.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use shuangshi_rules::text::norm;
use shuangshi_rules::{Finding, Form, HeaderName, Report, Severity};
use shuangshi_sheet::grid::Grid;
use shuangshi_sheet::guard::Limits;
use shuangshi_sheet::write::annotate_xlsx;
use shuangshi_store::{FormContent, FormRecord};
use tower_sessions::Session;

use super::checks::{self, is_school_level};
use super::forms::{XLSX, attachment, school_form};
use super::{SchoolCtx, back, is_htmx, school_ctx};
use crate::auth::{CsrfForm, CurrentUser, check_csrf};
use crate::error::AppError;
use crate::filters;
use crate::session::push_flash;
use crate::state::AppState;
use crate::ui::{Flash, Frame, ImportPreview};

/// Checked uploads kept for their commit.
pub const MAX_PENDING: usize = 64;
/// How long a checked upload waits for its commit.
pub const PENDING_TTL: Duration = Duration::from_secs(30 * 60);

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
        AppError::PayloadTooLarge(crate::error::default_message(StatusCode::PAYLOAD_TOO_LARGE).into())
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

/// A checked upload waiting for 确认导入.
struct Pending {
    user_id: i64,
    form_id: i64,
    at: Instant,
    file_name: String,
    version: i32,
    content: FormContent,
    blocking: usize,
    grids: Vec<Grid>,
    forms: Vec<Form>,
    findings: Vec<Finding>,
}

fn pending() -> &'static Mutex<HashMap<String, Pending>> {
    static PENDING: OnceLock<Mutex<HashMap<String, Pending>>> = OnceLock::new();
    PENDING.get_or_init(|| Mutex::new(HashMap::new()))
}

fn keep(token: String, p: Pending) {
    let Ok(mut all) = pending().lock() else {
        return;
    };
    all.retain(|_, v| v.at.elapsed() < PENDING_TTL);
    while all.len() >= MAX_PENDING {
        let Some(oldest) = all.iter().min_by_key(|(_, v)| v.at).map(|(k, _)| k.clone()) else {
            break;
        };
        all.remove(&oldest);
    }
    all.insert(token, p);
}

fn take(token: &str, user_id: i64, form_id: i64) -> Option<Pending> {
    let mut all = pending().lock().ok()?;
    let ok = all.get(token).is_some_and(|p| {
        p.user_id == user_id && p.form_id == form_id && p.at.elapsed() < PENDING_TTL
    });
    if ok { all.remove(token) } else { None }
}

/// What an annotated copy is made of: the file name, its sheets, its forms and their findings.
type Annotation = (String, Vec<Grid>, Vec<Form>, Vec<Finding>);

fn annotated_of(token: &str, user_id: i64, form_id: i64) -> Option<Annotation> {
    let all = pending().lock().ok()?;
    let p = all.get(token)?;
    (p.user_id == user_id && p.form_id == form_id && p.at.elapsed() < PENDING_TTL).then(|| {
        (
            p.file_name.clone(),
            p.grids.clone(),
            p.forms.clone(),
            p.findings.clone(),
        )
    })
}

/// What checking an upload found.
pub struct Checked {
    pub file_name: String,
    pub content: FormContent,
    /// The whole report of the school with the upload in place of the stored form.
    pub report: Report,
    /// The upload's own findings (school-level ones left out).
    pub own: Vec<Finding>,
    pub blocking: usize,
    pub people: usize,
    pub grids: Vec<Grid>,
    pub forms: Vec<Form>,
}

/// Why an upload cannot be imported (the reader's message, or a wrong form).
pub type Refusal = String;

/// Picks the form of the partnership out of the file's forms.
fn pick(forms: Vec<Form>, form: &FormRecord, file: &str) -> Result<Form, Refusal> {
    let want = norm(&form.enterprise_name);
    let count = forms.len();
    let mut matching: Vec<Form> = Vec::new();
    let mut unnamed: Vec<Form> = Vec::new();
    for f in forms {
        match f
            .enterprise
            .as_ref()
            .map(|e| e.norm.clone())
            .filter(|e| !e.is_empty())
        {
            Some(e) if e == want => matching.push(f),
            Some(_) => {}
            None => unnamed.push(f),
        }
    }
    if let Some(f) = matching.into_iter().next() {
        return Ok(f);
    }
    if unnamed.len() == 1 && count == 1 {
        return unnamed
            .into_iter()
            .next()
            .ok_or_else(|| format!("「{file}」中没有找到推荐表"));
    }
    Err(format!(
        "「{file}」中没有交流互聘企业为「{}」的推荐表（共找到 {count} 张推荐表）；请确认上传的是与该企业的推荐表，表头「交流互聘企业（盖章）：」应写该企业全称",
        form.enterprise_name
    ))
}

/// Parses and checks an upload for `form` against the school's other stored forms. Runs on a
/// blocking thread; no transaction is open.
pub async fn check_upload(
    ctx: &SchoolCtx,
    form: &FormRecord,
    others: Vec<Form>,
    registry: shuangshi_rules::Registry,
    file_name: String,
    bytes: Vec<u8>,
) -> Result<Result<Checked, Refusal>, AppError> {
    let batch = ctx.batch.params.clone();
    let form = form.clone();
    tokio::task::spawn_blocking(move || {
        let wb = match shuangshi_sheet::load(&file_name, &bytes, &Limits::default()) {
            Ok(wb) => wb,
            Err(e) => return Err(e.to_string()),
        };
        let grids = wb.grids;
        let mut picked = pick(wb.forms.clone(), &form, &file_name)?;
        // The header line is fixed: the partnership's school and enterprise.
        let school_given = picked
            .school
            .as_ref()
            .map(|s| s.norm.clone())
            .unwrap_or_default();
        if !school_given.is_empty() && school_given != norm(&form.school_name) {
            return Err(format!(
                "「{file_name}」表头的交流互聘学校为「{}」，与本校「{}」不一致；请上传本校的推荐表",
                picked.school.as_ref().map(|s| s.raw.as_str()).unwrap_or(""),
                form.school_name
            ));
        }
        picked.school = Some(HeaderName::new(&form.school_name));
        picked.enterprise = Some(HeaderName::new(&form.enterprise_name));
        let mut content = FormContent::from_rules_form(&picked);
        content.header_school = form.school_name.clone();
        content.header_enterprise = form.enterprise_name.clone();
        let mut all = others;
        all.push(picked.clone());
        let report = checks::check_forms(&batch, &registry, &all);
        let own: Vec<Finding> = report
            .findings
            .iter()
            .filter(|f| f.file.as_deref() == Some(file_name.as_str()) && !is_school_level(f))
            .cloned()
            .collect();
        let blocking = own.iter().filter(|f| f.severity == Severity::Error).count();
        let people = picked.rows.len();
        Ok(Checked {
            file_name,
            content,
            report,
            own,
            blocking,
            people,
            grids,
            forms: vec![picked],
        })
    })
    .await
    .map_err(AppError::internal)
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
        let others: Vec<Form> = state
            .store
            .school_forms(&ctx.scope, ctx.batch.id, ctx.school_id)
            .await?
            .iter()
            .filter(|f| f.id != id)
            .map(FormRecord::to_rules_form)
            .collect();
        let registry = state.store.registry().await?;
        match check_upload(&ctx, &form, others, registry, up.file_name, up.bytes).await? {
            Err(refusal) => ImportResult {
                preview: None,
                refusal: Some(refusal),
                school_notes: Vec::new(),
                csrf: user.csrf.clone(),
            },
            Ok(checked) => {
                let token = uuid::Uuid::new_v4().simple().to_string();
                let own_report = Report::new(
                    &ctx.batch.params.name,
                    checked
                        .report
                        .forms
                        .iter()
                        .filter(|f| f.file == checked.file_name)
                        .cloned()
                        .collect(),
                    checked.own.clone(),
                );
                let mut preview = ImportPreview::from_report(&checked.file_name, &own_report);
                preview.people = checked.people;
                preview.errors = checked.blocking;
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
                    .collect();
                let annotate_findings: Vec<Finding> = checked
                    .report
                    .findings
                    .iter()
                    .filter(|f| f.file.as_deref() == Some(checked.file_name.as_str()))
                    .cloned()
                    .collect();
                keep(
                    token,
                    Pending {
                        user_id: user.user.id,
                        form_id: id,
                        at: Instant::now(),
                        file_name: checked.file_name,
                        version: form.version,
                        content: checked.content,
                        blocking: checked.blocking,
                        grids: checked.grids,
                        forms: checked.forms,
                        findings: annotate_findings,
                    },
                );
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
    school_form(&state, &ctx, id).await?;
    let to = format!("/forms/{id}");
    let Some(p) = take(&body.token, user.user.id, id) else {
        push_flash(
            &session,
            Flash::error("预检结果已过期或已导入，请重新选择文件预检"),
        )
        .await;
        return Ok(back(&to));
    };
    match state
        .store
        .replace_rows(&ctx.scope, id, &p.content, Some(p.version), &user.actor())
        .await
    {
        Ok(Some(out)) if out.changed => {
            let mut message = format!(
                "已导入「{}」：共 {} 人（未变 {}、新增 {}、删除 {}），推荐表为第 {} 版",
                p.file_name,
                out.form.rows.len(),
                out.kept,
                out.added,
                out.removed,
                out.form.version
            );
            let flash = if p.blocking > 0 {
                message.push_str(&format!(
                    "；其中 {} 处错误已标在单元格上，请逐格改正，改正前不能报送",
                    p.blocking
                ));
                Flash::warning(message)
            } else {
                Flash::success(message)
            };
            push_flash(&session, flash).await;
            Ok(back(&to))
        }
        Ok(Some(out)) => {
            push_flash(
                &session,
                Flash::info(format!(
                    "「{}」与当前推荐表（第 {} 版）内容相同，未做任何修改",
                    p.file_name, out.form.version
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
            push_flash(&session, Flash::error(format!("导入未完成：{e}"))).await;
            Ok(back(&to))
        }
    }
}

/// `GET /forms/{id}/import/{token}/annotated.xlsx`: the checked file with its problems marked.
pub async fn annotated(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, token)): Path<(i64, String)>,
) -> Result<Response, AppError> {
    let ctx = school_ctx(&state.store, &user).await?;
    school_form(&state, &ctx, id).await?;
    let (name, grids, forms, findings) =
        annotated_of(&token, user.user.id, id).ok_or(AppError::NotFound)?;
    let bytes = tokio::task::spawn_blocking(move || annotate_xlsx(&grids, &forms, &findings))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)?;
    let stem = name.rsplit_once('.').map_or(name.as_str(), |(s, _)| s);
    Ok(attachment(bytes, XLSX, &format!("{stem}（核验标注）.xlsx")))
}
