//! 聘期管理 (三(四), 四(二)): for each person on a batch's final list the receiving unit records the
//! arrival, the post held, the term's tasks and duties and, at the end, the assessment; the sending
//! unit sees its people's records and adds a remark; the commission follows the overdue findings
//! (W04, W05) and closes the term. Pages and the API under `/api/v1/term` call the same use cases
//! in `shuangshi_app::term`.
//!
//! The term is that of a batch with a published final list: `?batch=N`, by default the latest
//! such batch (while 第十批 takes submissions, 第九批 is in its term).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use shuangshi_app::term::{TermBoard, TermForm, TermView};
use shuangshi_store::{ArrivalState, Assessment, BatchRecord, Role};
use tower_sessions::Session;

use crate::auth::{CsrfForm, CurrentUser};
use crate::error::AppError;
use crate::filters;
use crate::session::{push_flash, take_flash};
use crate::state::AppState;
use crate::ui::{Flash, Frame, SearchField, SearchForm, SelectOption};

/// Who reads the term: the commission and the units concerned.
pub const READERS: &[Role] = &[
    Role::Admin,
    Role::VocationalReviewer,
    Role::SchoolOfficer,
    Role::EnterpriseOfficer,
];

/// The batch of the term: `number`, else the latest batch with a published final list.
pub async fn term_batch(state: &AppState, number: Option<u32>) -> Result<BatchRecord, AppError> {
    Ok(state.app.term_batch(number).await?)
}

/// The batches a switcher offers (number, name), newest first.
async fn batch_options(state: &AppState) -> Result<Vec<SelectOption>, AppError> {
    let mut batches = state.store.list_batches().await?;
    batches.sort_by_key(|b| std::cmp::Reverse(b.number));
    Ok(batches
        .into_iter()
        .map(|b| SelectOption::new(b.number.to_string(), b.name))
        .collect())
}

/// The filters of the page and the API.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TermQuery {
    /// The batch number (default: the latest batch with a final list).
    #[serde(default)]
    pub batch: Option<u32>,
    /// Part of a name or a unit.
    #[serde(default)]
    pub q: String,
    /// `arrived`, `absent`, `unrecorded`, `assessed`, `overdue`.
    #[serde(default)]
    pub state: String,
}

impl TermQuery {
    pub(super) fn keeps(&self, v: &TermView) -> bool {
        let q = self.q.trim();
        let r = &v.row;
        let text = q.is_empty()
            || r.name.contains(q)
            || r.sending_unit.contains(q)
            || r.receiving_unit.contains(q);
        let state = match self.state.as_str() {
            "arrived" => r.content.arrival == ArrivalState::Arrived,
            "absent" => r.content.arrival == ArrivalState::Absent,
            "unrecorded" => r.content.arrival == ArrivalState::Unrecorded,
            "assessed" => r.content.assessment.is_some(),
            "overdue" => !v.findings.is_empty(),
            _ => true,
        };
        text && state
    }
}

/// 聘期管理.
#[derive(Template, WebTemplate)]
#[template(path = "term/page.html")]
pub struct TermPage {
    pub frame: Frame,
    pub batch_name: String,
    pub batch_number: u32,
    pub search: SearchForm,
    pub board: TermBoard,
    pub rows: Vec<(usize, TermView)>,
    pub schedule: Vec<(&'static str, String)>,
    pub closed: String,
    pub is_admin: bool,
}

fn day(d: chrono::NaiveDate) -> String {
    d.format("%Y年%-m月%-d日").to_string()
}

fn schedule_of(batch: &BatchRecord) -> Vec<(&'static str, String)> {
    let s = batch.params.schedule();
    vec![
        (
            "聘期",
            format!(
                "{}（{} 至 {}）",
                batch.params.term,
                day(s.starts),
                day(s.ends)
            ),
        ),
        ("到岗与岗位安排填报截止", day(s.arrival_due)),
        ("考核鉴定填报截止", day(s.assessment_due)),
        ("经费使用情况填报截止", day(s.use_report_due)),
    ]
}

/// `GET /term`.
pub async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Query(q): Query<TermQuery>,
) -> Result<Response, AppError> {
    let batch = term_batch(&state, q.batch).await?;
    let board = state
        .app
        .term_board(&user.scope(), &batch, Utc::now())
        .await?;
    let rows: Vec<(usize, TermView)> = board
        .rows
        .iter()
        .filter(|v| q.keeps(v))
        .cloned()
        .enumerate()
        .map(|(i, v)| (i + 1, v))
        .collect();
    let search = SearchForm::new("/term")
        .field(SearchField::select(
            "batch",
            "批次",
            &batch.number.to_string(),
            batch_options(&state).await?,
        ))
        .field(SearchField::text("q", "姓名或单位", &q.q))
        .field(SearchField::select(
            "state",
            "状态",
            &q.state,
            vec![
                SelectOption::new("unrecorded", "到岗未填报"),
                SelectOption::new("arrived", "已到岗"),
                SelectOption::new("absent", "未到岗"),
                SelectOption::new("assessed", "已考核"),
                SelectOption::new("overdue", "逾期未填报"),
            ],
        ));
    let mut frame = user
        .frame_with_batch(&state, &format!("{}聘期管理", batch.name), "term")
        .await?;
    for f in take_flash(&session).await {
        frame = frame.flash(f);
    }
    Ok(TermPage {
        frame,
        batch_name: batch.name.clone(),
        batch_number: batch.number,
        search,
        schedule: schedule_of(&batch),
        closed: board
            .closed_at
            .map(shuangshi_store::submissions::beijing_time)
            .unwrap_or_default(),
        board,
        rows,
        is_admin: user.role() == Role::Admin,
    }
    .into_response())
}

/// A version as the person page lists it.
pub struct VersionView {
    pub version: i32,
    pub by: String,
    pub at: String,
    pub arrival: String,
    pub post: String,
    pub assessment: String,
    pub remark: String,
}

/// One person's term.
#[derive(Template, WebTemplate)]
#[template(path = "term/person.html")]
pub struct PersonPage {
    pub frame: Frame,
    pub batch_number: u32,
    pub view: TermView,
    pub arrived_on: String,
    pub assessment: String,
    pub assessments: Vec<(&'static str, &'static str)>,
    pub versions: Vec<VersionView>,
    pub closed: bool,
    pub schedule: Vec<(&'static str, String)>,
}

fn arrival_text(c: &shuangshi_store::TermContent) -> String {
    match c.arrival {
        ArrivalState::Arrived => format!("已到岗（{}）", c.arrived_on.map(day).unwrap_or_default()),
        ArrivalState::Absent => format!("未到岗：{}", c.absent_reason),
        ArrivalState::Unrecorded => "未填报".to_owned(),
    }
}

/// `GET /term/{id}`.
pub async fn person(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Path(id): Path<i64>,
    Query(q): Query<TermQuery>,
) -> Result<Response, AppError> {
    let batch = term_batch(&state, q.batch).await?;
    let (view, versions) = state
        .app
        .term_person(&user.scope(), &batch, id, Utc::now())
        .await?;
    let closed = state.store.term_closed_at(batch.id).await?.is_some();
    let mut frame = user
        .frame_with_batch(&state, &format!("聘期记录：{}", view.row.name), "term")
        .await?;
    for f in take_flash(&session).await {
        frame = frame.flash(f);
    }
    let c = &view.row.content;
    Ok(PersonPage {
        frame,
        batch_number: batch.number,
        arrived_on: c.arrived_on.map(|d| d.to_string()).unwrap_or_default(),
        assessment: c.assessment.map(|a| a.as_str()).unwrap_or("").to_owned(),
        assessments: Assessment::ALL
            .into_iter()
            .map(|a| (a.as_str(), a.label()))
            .collect(),
        versions: versions
            .iter()
            .rev()
            .map(|v| VersionView {
                version: v.version,
                by: v.by.clone(),
                at: shuangshi_store::submissions::beijing_time(v.at),
                arrival: arrival_text(&v.content),
                post: v.content.post.clone(),
                assessment: v
                    .content
                    .assessment
                    .map_or("未填报".to_owned(), |a| a.label().to_owned()),
                remark: v.content.sender_remark.clone(),
            })
            .collect(),
        closed,
        schedule: schedule_of(&batch),
        view,
    }
    .into_response())
}

/// The record form (`version` is the version the page showed).
#[derive(Debug, Default, Deserialize)]
pub struct RecordForm {
    #[serde(default)]
    pub version: i32,
    #[serde(default)]
    pub batch: Option<u32>,
    #[serde(flatten)]
    pub term: TermForm,
}

/// The remark form.
#[derive(Debug, Default, Deserialize)]
pub struct RemarkForm {
    #[serde(default)]
    pub version: i32,
    #[serde(default)]
    pub batch: Option<u32>,
    #[serde(default)]
    pub remark: String,
}

async fn flash_back<T>(
    session: &Session,
    to: String,
    done: &str,
    r: shuangshi_app::Result<T>,
) -> Result<Response, AppError> {
    let flash = match r {
        Ok(_) => Flash::success(done),
        Err(shuangshi_app::Error::Refused(r)) => Flash::error(r.message),
        Err(e) => return Err(e.into()),
    };
    push_flash(session, flash).await;
    Ok(crate::shared::flash::back(&to))
}

/// `POST /term/{id}`: the receiving unit's record.
pub async fn record(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<RecordForm>,
) -> Result<Response, AppError> {
    let batch = term_batch(&state, form.batch).await?;
    let r = state
        .app
        .record_term(
            &user.scope(),
            &user.actor(),
            &batch,
            id,
            form.version,
            &form.term,
        )
        .await;
    let to = format!("/term/{id}?batch={}", batch.number);
    flash_back(&session, to, "聘期记录已保存", r).await
}

/// `POST /term/{id}/remark`: the sending unit's remark.
pub async fn remark(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<RemarkForm>,
) -> Result<Response, AppError> {
    let batch = term_batch(&state, form.batch).await?;
    let r = state
        .app
        .remark_term(
            &user.scope(),
            &user.actor(),
            &batch,
            id,
            form.version,
            &form.remark,
        )
        .await;
    let to = format!("/term/{id}?batch={}", batch.number);
    flash_back(&session, to, "派出单位意见已保存", r).await
}

/// The batch of a commission action.
#[derive(Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct BatchForm {
    #[serde(default)]
    pub batch: Option<u32>,
}

/// `POST /term/close`: the commission closes the term.
pub async fn close(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    CsrfForm(form): CsrfForm<BatchForm>,
) -> Result<Response, AppError> {
    let batch = term_batch(&state, form.batch).await?;
    let r = state.app.close_term(&user.actor(), &batch).await;
    let to = format!("/term?batch={}", batch.number);
    flash_back(&session, to, "聘期已结束，聘期记录已冻结", r).await
}
