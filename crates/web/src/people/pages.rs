//! 人员履历: a person's appearances in every batch (from the identity index: the same mobile number,
//! or the same name with it), for the commission weighing a D03 when selecting. Linked from the
//! roster, the selection page and the term page; each appearance shows its selection outcome, the
//! list in force, and the term record with its assessment. The mobile number and the free text go
//! through the request's [`Disclosure`] like everywhere else.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use shuangshi_app::people::PersonAppearance;
use shuangshi_rules::Column;
use shuangshi_store::TermRow;

use crate::auth::CurrentUser;
use crate::disclosure::Disclosure;
use crate::error::AppError;
use crate::filters;
use crate::state::AppState;
use crate::ui::Frame;

/// The term record of an appearance on a published final list, as the page and the API show it
/// (free text through the request's [`Disclosure`]).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TermRecordLine {
    /// Whether the receiving unit has recorded anything (false: 未填报).
    pub recorded: bool,
    /// 已到岗, 未到岗, 未填报.
    pub arrival: String,
    /// 到岗日期 (`2024-02-26`), empty unless 已到岗.
    pub arrived_on: String,
    /// 未到岗原因.
    pub absent_reason: String,
    /// 实际岗位.
    pub post: String,
    /// 聘期任务.
    pub tasks: String,
    /// 岗位职责.
    pub duties: String,
    /// 优秀, 合格, 不合格, or empty while not assessed.
    pub assessment: String,
    /// 考核评语.
    pub summary: String,
    /// 派出单位意见.
    pub sender_remark: String,
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
    /// 待遴选, 入选, 未入选, or empty when the appearance never reached selection (its
    /// school's submission not accepted).
    pub selection: String,
    /// Why 未入选.
    pub selection_reason: String,
    /// The list in force naming the person: 正式名单, 公示名单, or empty.
    pub listed: String,
    /// Whether the person is on the batch's published final list.
    pub on_final_list: bool,
    /// The term (on the published final list only).
    pub term_record: Option<TermRecordLine>,
    /// Whether this is the row the history was asked for.
    pub this_row: bool,
    pub form_id: i64,
    pub row_no: u32,
}

impl HistoryLine {
    /// The term record to show in its own panel (something recorded).
    pub fn recorded(&self) -> Option<&TermRecordLine> {
        self.term_record.as_ref().filter(|t| t.recorded)
    }
}

fn term_line(row: &TermRow, disclosure: &Disclosure) -> TermRecordLine {
    let c = &row.content;
    TermRecordLine {
        recorded: row.version > 0,
        arrival: c.arrival.label().to_owned(),
        arrived_on: c
            .arrived_on
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        absent_reason: disclosure.text(&c.absent_reason),
        post: disclosure.text(&c.post),
        tasks: disclosure.text(&c.tasks),
        duties: disclosure.text(&c.duties),
        assessment: c
            .assessment
            .map(|a| a.label().to_owned())
            .unwrap_or_default(),
        summary: disclosure.text(&c.summary),
        sender_remark: disclosure.text(&c.sender_remark),
    }
}

fn lines(
    all: &[PersonAppearance],
    form: i64,
    row: u32,
    disclosure: &Disclosure,
) -> Vec<HistoryLine> {
    all.iter()
        .map(|p| {
            let a = &p.appearance;
            let o = p.outcome.as_ref();
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
                selection: o.map(|o| o.status.label().to_owned()).unwrap_or_default(),
                selection_reason: o.map(|o| disclosure.text(&o.reason)).unwrap_or_default(),
                listed: o
                    .and_then(|o| o.listed)
                    .map(|k| k.label().to_owned())
                    .unwrap_or_default(),
                on_final_list: o.is_some_and(|o| o.on_final_list()),
                term_record: o
                    .and_then(|o| o.term.as_ref())
                    .map(|t| term_line(t, disclosure)),
                this_row: a.form_id == form && a.row_no == row,
                form_id: a.form_id,
                row_no: a.row_no,
            }
        })
        .collect()
}

pub(super) async fn load(
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
