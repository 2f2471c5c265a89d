//! 人员履历: a person's appearances in every batch (from the identity index: the same mobile number,
//! or the same name with it), for the commission weighing a D03 when selecting. Linked from the
//! roster; the mobile number goes through the request's [`Disclosure`] like everywhere else.

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use shuangshi_rules::Column;
use shuangshi_store::Appearance;

use crate::auth::CurrentUser;
use crate::disclosure::Disclosure;
use crate::error::AppError;
use crate::filters;
use crate::policy::{Access, RouteRule, Routes, roles};
use crate::state::AppState;
use crate::ui::Frame;

pub const POLICY: &[RouteRule] = &[
    RouteRule::new(
        "GET",
        "/people/{form}/{row}",
        Access::Roles(roles::COMMISSION),
    ),
    RouteRule::new(
        "GET",
        "/api/v1/people/{form}/{row}",
        Access::Roles(roles::COMMISSION),
    ),
];

pub fn routes() -> Routes {
    Routes::new()
        .get("/people/{form}/{row}", page)
        .get("/api/v1/people/{form}/{row}", api_history)
}

/// One appearance as the page and the API show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HistoryLine {
    pub batch: String,
    pub school: String,
    pub enterprise: String,
    pub name: String,
    /// As the request may see it (masked unless 「查看完整」).
    pub mobile: String,
    pub sending_unit: String,
    pub receiving_unit: String,
    pub post: String,
    pub term: String,
    /// 草稿, 已报送, 已受理, 已退回.
    pub status: String,
    /// Whether this is the row the history was asked for.
    pub this_row: bool,
    pub form_id: i64,
    pub row_no: u32,
}

fn lines(all: &[Appearance], form: i64, row: u32, disclosure: &Disclosure) -> Vec<HistoryLine> {
    all.iter()
        .map(|a| {
            let cell = |c: Column| a.cells.get(c as usize).cloned().unwrap_or_default();
            HistoryLine {
                batch: a.batch_name.clone(),
                school: a.school_name.clone(),
                enterprise: a.enterprise_name.clone(),
                name: a.occurrence.name.clone(),
                mobile: disclosure.cell(Column::Mobile, &a.occurrence.mobile),
                sending_unit: cell(Column::SendingUnit),
                receiving_unit: cell(Column::ReceivingUnit),
                post: cell(Column::Post),
                term: cell(Column::Term),
                status: a.status.map_or("草稿", |s| s.label()).to_owned(),
                this_row: a.form_id == form && a.row_no == row,
                form_id: a.form_id,
                row_no: a.row_no,
            }
        })
        .collect()
}

async fn load(
    state: &AppState,
    user: &CurrentUser,
    disclosure: &Disclosure,
    form: i64,
    row: u32,
) -> Result<Vec<HistoryLine>, AppError> {
    let all = state
        .app
        .person_history(&user.scope(), form, row)
        .await?
        .ok_or(AppError::NotFound)?;
    disclosure
        .record(
            &state.store,
            "person",
            format!("form:{form}"),
            format!("row {row}"),
        )
        .await;
    Ok(lines(&all, form, row, disclosure))
}

/// 人员履历.
#[derive(Template, WebTemplate)]
#[template(path = "people/history.html")]
pub struct HistoryPage {
    pub frame: Frame,
    pub name: String,
    pub lines: Vec<HistoryLine>,
    /// How many batches other than this row's.
    pub earlier: usize,
    pub self_href: String,
    pub full: bool,
    pub may_unmask: bool,
}

/// `GET /people/{form}/{row}`.
pub async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    disclosure: Disclosure,
    Path((form, row)): Path<(i64, u32)>,
) -> Result<Response, AppError> {
    let lines = load(&state, &user, &disclosure, form, row).await?;
    let me = lines.iter().find(|l| l.this_row);
    let name = me.map(|l| l.name.clone()).unwrap_or_default();
    let batch = me.map(|l| l.batch.clone()).unwrap_or_default();
    let earlier = lines
        .iter()
        .map(|l| l.batch.as_str())
        .filter(|b| *b != batch)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let frame = user
        .frame_with_batch(&state, &format!("人员履历：{name}"), "roster")
        .await?
        .breadcrumbs([
            ("首页".to_owned(), Some("/".to_owned())),
            ("汇总名单".to_owned(), Some("/roster".to_owned())),
            (format!("人员履历：{name}"), None),
        ]);
    Ok(HistoryPage {
        frame,
        name,
        lines,
        earlier,
        self_href: format!("/people/{form}/{row}"),
        full: disclosure.full(),
        may_unmask: disclosure.may_unmask(),
    }
    .into_response())
}

/// `GET /api/v1/people/{form}/{row}`: the person's appearances in every batch, oldest first.
#[utoipa::path(get, path = "/api/v1/people/{form}/{row}", tag = "review",
    params(("form" = i64, Path, description = "form id"),
        ("row" = u32, Path, description = "the row number the form shows (first person: 5)"),
        ("full" = Option<u8>, Query, description = "1: numbers in full (audited)")),
    responses((status = 200, body = [HistoryLine]), (status = 404)),
    security(("bearer" = [])))]
pub async fn api_history(
    State(state): State<AppState>,
    user: CurrentUser,
    disclosure: Disclosure,
    Path((form, row)): Path<(i64, u32)>,
) -> Result<Json<Vec<HistoryLine>>, AppError> {
    Ok(Json(load(&state, &user, &disclosure, form, row).await?))
}
