//! 企业经办人的页面：合作学校（确认或拒绝学校提出的合作）和待确认人员（确认推荐表中涉及本单位的
//! 人员，W02）. Every store call takes the enterprise's scope: another organisation's ids give 404.
//! Mobile and account numbers are masked for this role ([`crate::policy::may_unmask`]).

use crate::disclosure::Disclosure;
use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use shuangshi_rules::Column;
use shuangshi_store::{FormRecord, FormSummary};
use tower_sessions::Session;

use crate::auth::{CsrfForm, CurrentUser};
use crate::error::AppError;
use crate::filters;
use crate::forms::checks::{self, RowView};
use crate::session::{push_flash, take_flash};
use crate::shared::flash::refuse;
use crate::shared::officer::enterprise_id;
use crate::state::AppState;
use crate::ui::{self, Flash, Frame};

/// 待确认人员.
#[derive(Template, WebTemplate)]
#[template(path = "enterprise/confirmations.html")]
pub struct ConfirmationsPage {
    pub frame: Frame,
    pub columns: Vec<ui::Column>,
    pub forms: Vec<FormSummary>,
    pub pending: usize,
}

/// `GET /confirmations`: the forms with rows concerning this enterprise.
pub async fn confirmations(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
) -> Result<Response, AppError> {
    let org = enterprise_id(&user)?;
    let batch = crate::shared::batch::batch_or_conflict(&state.store).await?;
    let forms = state
        .store
        .list_forms(&user.scope(), batch.id, None, Some(org))
        .await?;
    let pending = forms.iter().map(|f| f.rows - f.confirmed_rows).sum();
    let mut frame = user
        .frame_with_batch(&state, "待确认人员", "confirmations")
        .await?;
    for f in take_flash(&session).await {
        frame = frame.flash(f);
    }
    let columns = [
        "学校",
        "人数",
        "已确认",
        "待确认",
        "版本",
        "更新时间",
        "操作",
    ]
    .into_iter()
    .map(|c| match c {
        "人数" | "已确认" | "待确认" | "版本" => ui::Column::new(c).class("num"),
        "操作" => ui::Column::new(c).class("w-actions"),
        _ => ui::Column::new(c),
    })
    .collect();
    Ok(ConfirmationsPage {
        frame,
        columns,
        forms,
        pending,
    }
    .into_response())
}

/// One form's rows for the enterprise to confirm.
#[derive(Template, WebTemplate)]
#[template(path = "enterprise/confirm_form.html")]
pub struct ConfirmFormPage {
    pub frame: Frame,
    pub form: FormRecord,
    pub rows: Vec<ConfirmRow>,
    pub pending: usize,
    /// Rows changed since the enterprise confirmed them.
    pub changed: usize,
    /// Rows the enterprise objected to.
    pub objected: usize,
    /// 「全选」 was asked for (`?select=all`): every row still to confirm is ticked.
    pub all: bool,
    pub objection_max: usize,
}

/// A cell changed since the enterprise confirmed the row.
pub struct ChangedCell {
    pub label: &'static str,
    /// The confirmed and the current text; `None` for numbers an enterprise never sees in full.
    pub values: Option<(String, String)>,
}

/// One row of [`ConfirmFormPage`]: the columns an enterprise needs, compact.
pub struct ConfirmRow {
    pub id: i64,
    pub number: usize,
    pub name: String,
    /// 手机号码, masked (to tell people of the same name apart).
    pub mobile: String,
    /// 派出类别 and 派出单位 → 接收单位.
    pub direction: String,
    pub route: String,
    pub post: String,
    pub term: String,
    /// 从事学科专业领域 and 交流形式 (the work the person will do).
    pub work: String,
    pub errors: usize,
    pub warnings: usize,
    pub confirmed: bool,
    /// Cells changed since the enterprise last confirmed the row (empty if never confirmed).
    pub changed: Vec<ChangedCell>,
    pub objection: Option<String>,
    pub checked: bool,
}

/// Columns whose values an enterprise sees only masked: a change is named, not shown.
const MASKED: [Column; 2] = [Column::Mobile, Column::AccountNumber];

fn confirm_rows_of(
    form: &FormRecord,
    laid: &[RowView],
    notes: &HashMap<i64, shuangshi_store::forms::RowNote>,
    all: bool,
) -> Vec<ConfirmRow> {
    laid.iter()
        .map(|r| {
            let note = notes.get(&r.id);
            let changed = match (note, form.rows.iter().find(|x| x.id == r.id)) {
                (Some(n), Some(stored)) => n
                    .changed_since_confirmed(stored)
                    .into_iter()
                    .map(|(c, old)| ChangedCell {
                        label: c.label(),
                        values: (!MASKED.contains(&c)).then(|| (old, stored.cell(c).to_owned())),
                    })
                    .collect(),
                _ => Vec::new(),
            };
            let join = |a: &str, b: &str| match (a.trim(), b.trim()) {
                ("", b) => b.to_owned(),
                (a, "") => a.to_owned(),
                (a, b) => format!("{a}；{b}"),
            };
            let route = match (r.cell(Column::SendingUnit), r.cell(Column::ReceivingUnit)) {
                ("", "") => String::new(),
                (s, t) => format!("{} → {}", ui_or_dash(s), ui_or_dash(t)),
            };
            ConfirmRow {
                id: r.id,
                number: r.number,
                name: r.name().to_owned(),
                mobile: r.cell(Column::Mobile).to_owned(),
                direction: r.cell(Column::Direction).to_owned(),
                route,
                post: r.cell(Column::Post).to_owned(),
                term: r.cell(Column::Term).to_owned(),
                work: join(r.cell(Column::Field), r.cell(Column::ExchangeForm)),
                errors: r.errors,
                warnings: r.warnings,
                confirmed: r.confirmed,
                changed,
                objection: note.and_then(|n| n.objection.clone()),
                checked: all && !r.confirmed,
            }
        })
        .collect()
}

fn ui_or_dash(s: &str) -> &str {
    if s.trim().is_empty() { "—" } else { s }
}

/// `GET /confirmations/{id}` query: `select=all` ticks every row still to confirm.
#[derive(Debug, Default, serde::Deserialize)]
pub struct SelectQuery {
    #[serde(default)]
    pub select: String,
}

async fn enterprise_form(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
) -> Result<FormRecord, AppError> {
    let org = enterprise_id(user)?;
    let form = state
        .store
        .get_form(&user.scope(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    if form.enterprise_id != org {
        return Err(AppError::NotFound);
    }
    Ok(form)
}

/// `GET /confirmations/{id}`.
pub async fn confirm_page(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Path(id): Path<i64>,
    Query(q): Query<SelectQuery>,
) -> Result<Response, AppError> {
    let form = enterprise_form(&state, &user, id).await?;
    let batch = state
        .store
        .get_batch(form.batch_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let (form, report) = state
        .app
        .form_report(&user.scope(), &batch, form.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let notes = state.store.row_notes(&user.scope(), form.id).await?;
    let laid = checks::lay_out(&form, &report, &Disclosure::masked(&user));
    let all = q.select == "all";
    let rows = confirm_rows_of(&form, &laid.rows, &notes, all);
    let pending = rows.iter().filter(|r| !r.confirmed).count();
    let changed = rows.iter().filter(|r| !r.changed.is_empty()).count();
    let objected = rows.iter().filter(|r| r.objection.is_some()).count();
    let mut frame = user
        .frame_with_batch(
            &state,
            &format!("确认人员：{}", form.school_name),
            "confirmations",
        )
        .await?;
    for f in take_flash(&session).await {
        frame = frame.flash(f);
    }
    Ok(ConfirmFormPage {
        frame,
        rows,
        pending,
        changed,
        objected,
        all,
        objection_max: shuangshi_store::forms::OBJECTION_MAX,
        form,
    }
    .into_response())
}

/// `POST /confirmations/{id}`: confirms the ticked rows (`row_<id>` fields) as they stand at
/// `version`.
pub async fn confirm_rows(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Path(id): Path<i64>,
    CsrfForm(body): CsrfForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let form = enterprise_form(&state, &user, id).await?;
    let to = format!("/confirmations/{id}");
    let ids: Vec<i64> = body
        .keys()
        .filter_map(|k| k.strip_prefix("row_"))
        .filter_map(|k| k.parse().ok())
        .collect();
    if ids.is_empty() {
        push_flash(&session, Flash::error("请勾选要确认的人员")).await;
        return Ok(Redirect::to(&to).into_response());
    }
    if ids.iter().any(|i| !form.rows.iter().any(|r| r.id == *i)) {
        return Err(AppError::NotFound);
    }
    let version = body.get("version").and_then(|v| v.parse().ok());
    match state
        .store
        .confirm_rows(&user.scope(), id, &ids, version, &user.actor())
        .await
    {
        Ok(Some(_)) => {
            push_flash(&session, Flash::success(format!("已确认 {} 人", ids.len()))).await;
        }
        Ok(None) => return Err(AppError::NotFound),
        Err(e) => refuse(&session, e).await?,
    }
    Ok(Redirect::to(&to).into_response())
}

/// The body of `POST /confirmations/{id}/rows/{row}/object`.
#[derive(Debug, serde::Deserialize)]
pub struct ObjectionForm {
    #[serde(default)]
    pub reason: String,
}

/// `POST /confirmations/{id}/rows/{row}/object`: 「有异议」 on one row, with the reason the school
/// reads next to the row.
pub async fn object_row(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Path((id, row)): Path<(i64, i64)>,
    CsrfForm(body): CsrfForm<ObjectionForm>,
) -> Result<Response, AppError> {
    let form = enterprise_form(&state, &user, id).await?;
    let Some(r) = form.rows.iter().find(|r| r.id == row) else {
        return Err(AppError::NotFound);
    };
    let name = r.cell(Column::Name).to_owned();
    let to = format!("/confirmations/{id}#row-{row}");
    match state
        .store
        .object_row(&user.scope(), id, row, &body.reason, &user.actor())
        .await
    {
        Ok(Some(_)) => {
            push_flash(
                &session,
                Flash::success(format!(
                    "已就「{name}」提出异议，学校会在推荐表中该行旁看到理由"
                )),
            )
            .await;
        }
        Ok(None) => return Err(AppError::NotFound),
        Err(e) => refuse(&session, e).await?,
    }
    Ok(Redirect::to(&to).into_response())
}
