//! 批次设置: the batches; a new batch from the previous one's parameters (the first from the
//! embedded 第十批); the parameters edited as TOML (validated by `Batch::from_toml`, whose Chinese
//! message is shown); open and close; per-school deadline extensions.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{NaiveDateTime, TimeZone};
use serde::Deserialize;
use shuangshi_rules::Batch;
use shuangshi_store::{BatchRecord, Extension, Scope, StoreError};
use tower_sessions::Session;

use crate::auth::{CsrfForm, CurrentUser};
use crate::error::AppError;
use crate::filters;
use crate::session::{push_flash, take_flash};
use crate::state::AppState;
use crate::ui::{Column, Flash, Frame};

/// A batch in the list.
pub struct BatchRow {
    pub batch: BatchRecord,
}

impl BatchRow {
    pub fn status(&self) -> &'static str {
        self.batch.status.label()
    }
    pub fn deadline(&self) -> String {
        crate::fmt::datetime(&self.batch.deadline())
    }
    pub fn created(&self) -> String {
        crate::fmt::datetime(&self.batch.created_at)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/batches.html")]
pub struct BatchesPage {
    pub frame: Frame,
    pub columns: Vec<Column>,
    pub rows: Vec<BatchRow>,
    /// The number and name proposed for the next batch (e.g. 11, 第十一批).
    pub next_number: u32,
    pub next_name: String,
    pub error: Option<String>,
}

/// 「第十一批」 for 11 (1–99).
pub fn batch_name(n: u32) -> String {
    const DIGITS: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    let d = |i: u32| DIGITS.get(i as usize).copied().unwrap_or("");
    let text = match n {
        0..=9 => d(n).to_owned(),
        10 => "十".to_owned(),
        11..=19 => format!("十{}", d(n % 10)),
        20..=99 if n.is_multiple_of(10) => format!("{}十", d(n / 10)),
        20..=99 => format!("{}十{}", d(n / 10), d(n % 10)),
        _ => n.to_string(),
    };
    format!("第{text}批")
}

async fn batches_page(
    state: &AppState,
    user: &CurrentUser,
    session: &Session,
    error: Option<String>,
) -> Result<BatchesPage, AppError> {
    let all = state.store.list_batches().await?;
    let next_number = all.first().map_or(10, |b| b.number + 1);
    let mut frame = user.frame_with_batch(state, "批次设置", "batches").await?;
    for f in take_flash(session).await {
        frame = frame.flash(f);
    }
    Ok(BatchesPage {
        frame,
        columns: vec![
            Column::new("编号"),
            Column::new("名称"),
            Column::new("状态"),
            Column::new("报送截止"),
            Column::new("创建时间"),
            Column::new("操作").class("w-actions"),
        ],
        rows: all.into_iter().map(|batch| BatchRow { batch }).collect(),
        next_number,
        next_name: batch_name(next_number),
        error,
    })
}

/// `GET /admin/batches`.
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
) -> Result<BatchesPage, AppError> {
    batches_page(&state, &user, &session, None).await
}

#[derive(Debug, Deserialize)]
pub struct NewBatch {
    #[serde(default)]
    pub number: String,
    #[serde(default)]
    pub name: String,
}

/// `POST /admin/batches`: the next batch from the newest one's parameters, or 第十批 from the
/// embedded parameters when there is none.
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    CsrfForm(form): CsrfForm<NewBatch>,
) -> Result<Response, AppError> {
    let all = state.store.list_batches().await?;
    let result = match all.first() {
        None => {
            state
                .store
                .create_batch(&Batch::batch10(), &user.actor())
                .await
        }
        Some(prev) => {
            let Ok(number) = form.number.trim().parse::<u32>() else {
                let page = batches_page(&state, &user, &session, Some("批次编号须为正整数".into()))
                    .await?;
                return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
            };
            let name = if form.name.trim().is_empty() {
                batch_name(number)
            } else {
                form.name.trim().to_owned()
            };
            state
                .store
                .create_from_previous(prev.id, number, &name, &user.actor())
                .await
        }
    };
    match result {
        Ok(b) => {
            push_flash(
                &session,
                Flash::success(format!(
                    "已新建{}（筹备中）：请核对参数，特别是交流期限和报送截止时间，再开放报送",
                    b.name
                )),
            )
            .await;
            Ok(Redirect::to(&format!("/admin/batches/{}", b.id)).into_response())
        }
        Err(StoreError::Invalid(m) | StoreError::Conflict(m)) => {
            let page = batches_page(&state, &user, &session, Some(m)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// An extension in the batch page.
pub struct ExtensionRow {
    pub ext: Extension,
}

impl ExtensionRow {
    pub fn deadline(&self) -> String {
        crate::fmt::datetime(&self.ext.deadline)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/batch.html")]
pub struct BatchPage {
    pub frame: Frame,
    pub batch: BatchRecord,
    pub toml: String,
    pub error: Option<String>,
    pub extensions: Vec<ExtensionRow>,
    pub ext_error: Option<String>,
}

impl BatchPage {
    pub fn status(&self) -> &'static str {
        self.batch.status.label()
    }
    pub fn deadline(&self) -> String {
        crate::fmt::datetime(&self.batch.deadline())
    }
    pub fn is_open(&self) -> bool {
        self.batch.status == shuangshi_store::BatchStatus::Open
    }
    pub fn is_closed(&self) -> bool {
        self.batch.status == shuangshi_store::BatchStatus::Closed
    }
}

async fn batch_page(
    state: &AppState,
    user: &CurrentUser,
    session: &Session,
    id: i64,
    toml_text: Option<String>,
    error: Option<String>,
    ext_error: Option<String>,
) -> Result<BatchPage, AppError> {
    let batch = state.store.get_batch(id).await?.ok_or(AppError::NotFound)?;
    let toml = match toml_text {
        Some(t) => t,
        None => toml::to_string(&batch.params).map_err(AppError::internal)?,
    };
    let extensions = state
        .store
        .list_extensions(id)
        .await?
        .into_iter()
        .map(|ext| ExtensionRow { ext })
        .collect();
    let mut frame = user.frame_with_batch(state, &batch.name, "batches").await?;
    for f in take_flash(session).await {
        frame = frame.flash(f);
    }
    Ok(BatchPage {
        frame,
        batch,
        toml,
        error,
        extensions,
        ext_error,
    })
}

/// `GET /admin/batches/{id}`.
pub async fn edit(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Path(id): Path<i64>,
) -> Result<BatchPage, AppError> {
    batch_page(&state, &user, &session, id, None, None, None).await
}

#[derive(Debug, Deserialize)]
pub struct Params {
    #[serde(default)]
    pub toml: String,
}

/// `POST /admin/batches/{id}`: saves the parameters; a refused text comes back with the reason.
pub async fn save(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<Params>,
) -> Result<Response, AppError> {
    match state
        .store
        .update_batch_params(id, &form.toml, &user.actor())
        .await
    {
        Ok(b) => {
            push_flash(&session, Flash::success(format!("{}的参数已保存", b.name))).await;
            Ok(Redirect::to(&format!("/admin/batches/{id}")).into_response())
        }
        Err(StoreError::Invalid(m) | StoreError::Conflict(m) | StoreError::State(m)) => {
            let page =
                batch_page(&state, &user, &session, id, Some(form.toml), Some(m), None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct NoFields {}

/// `POST /admin/batches/{id}/open`.
pub async fn open(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Response, AppError> {
    let b = state.store.open_batch(id, &user.actor()).await?;
    push_flash(&session, Flash::success(format!("{}已开放报送", b.name))).await;
    Ok(Redirect::to(&format!("/admin/batches/{id}")).into_response())
}

/// `POST /admin/batches/{id}/close`.
pub async fn close(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Response, AppError> {
    let b = state.store.close_batch(id, &user.actor()).await?;
    push_flash(&session, Flash::success(format!("{}已截止报送", b.name))).await;
    Ok(Redirect::to(&format!("/admin/batches/{id}")).into_response())
}

#[derive(Debug, Deserialize)]
pub struct NewExtension {
    #[serde(default)]
    pub school: String,
    /// `YYYY-MM-DD HH:MM` (or `YYYY-MM-DDTHH:MM` from a datetime-local input), Asia/Shanghai.
    #[serde(default)]
    pub deadline: String,
}

/// A local date and time in Asia/Shanghai, as typed.
pub fn parse_local_deadline(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let t = text.trim().replace('T', " ");
    let naive = NaiveDateTime::parse_from_str(&t, "%Y-%m-%d %H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(&t, "%Y-%m-%d %H:%M:%S"))
        .ok()?;
    let tz = chrono::FixedOffset::east_opt(8 * 3600)?;
    tz.from_local_datetime(&naive)
        .single()
        .map(|d| d.with_timezone(&chrono::Utc))
}

/// `POST /admin/batches/{id}/extensions`: a school's own deadline.
pub async fn extend(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<NewExtension>,
) -> Result<Response, AppError> {
    let refuse = async |m: String| -> Result<Response, AppError> {
        let page = batch_page(&state, &user, &session, id, None, None, Some(m)).await?;
        Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
    };
    let school = match state
        .store
        .find_org_by_name(&Scope::All, form.school.trim())
        .await?
    {
        Some(o) if o.is_school => o,
        _ => return refuse(format!("单位名录中没有学校「{}」", form.school.trim())).await,
    };
    let Some(deadline) = parse_local_deadline(&form.deadline) else {
        return refuse("截止时间的格式应为 2025-10-31 17:00".to_owned()).await;
    };
    match state
        .store
        .set_extension(id, school.id, deadline, &user.actor())
        .await
    {
        Ok(()) => {
            push_flash(
                &session,
                Flash::success(format!(
                    "已将「{}」的截止时间延至 {}",
                    school.name,
                    crate::fmt::datetime(&deadline)
                )),
            )
            .await;
            Ok(Redirect::to(&format!("/admin/batches/{id}")).into_response())
        }
        Err(StoreError::Invalid(m)) => refuse(m).await,
        Err(e) => Err(e.into()),
    }
}

/// `POST /admin/batches/{id}/extensions/{school_id}/delete`.
pub async fn remove_extension(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Path((id, school_id)): Path<(i64, i64)>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Response, AppError> {
    if !state
        .store
        .remove_extension(id, school_id, &user.actor())
        .await?
    {
        return Err(AppError::NotFound);
    }
    push_flash(&session, Flash::success("已取消该校的延期")).await;
    Ok(Redirect::to(&format!("/admin/batches/{id}")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_deadlines() {
        assert_eq!(batch_name(10), "第十批");
        assert_eq!(batch_name(11), "第十一批");
        assert_eq!(batch_name(20), "第二十批");
        assert_eq!(batch_name(23), "第二十三批");
        let d = parse_local_deadline("2025-10-31 17:00").map(|d| d.to_rfc3339());
        assert_eq!(d.as_deref(), Some("2025-10-31T09:00:00+00:00"));
        assert!(parse_local_deadline("明天").is_none());
    }
}
