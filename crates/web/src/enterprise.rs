//! 企业经办人的页面：合作学校（确认或拒绝学校提出的合作）和待确认人员（确认推荐表中涉及本单位的
//! 人员，W02）. Every store call takes the enterprise's scope: another organisation's ids give 404.
//! Mobile and account numbers are masked for this role ([`crate::policy::may_unmask`]).

use crate::disclosure::Disclosure;
use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use shuangshi_rules::Column;
use shuangshi_store::{FormRecord, FormSummary, Role, StoreError};
use tower_sessions::Session;

use crate::auth::{CsrfForm, CurrentUser};
use crate::error::AppError;
use crate::filters;
use crate::policy::{Access, RouteRule, Routes, roles};
use crate::school::checks::{self, RowView};
use crate::session::{push_flash, take_flash};
use crate::state::AppState;
use crate::ui::{self, Flash, Frame, Pager, SearchField, SearchForm};

const ENTERPRISE: Access = Access::Roles(roles::ENTERPRISE);

/// Who may call this module's routes (see [`crate::policy`]). `GET /partners` is shared with the
/// school and listed in [`crate::school::POLICY`].
pub const POLICY: &[RouteRule] = &[
    RouteRule::new("POST", "/partners/{id}/confirm", ENTERPRISE),
    RouteRule::new("POST", "/partners/{id}/reject", ENTERPRISE),
    RouteRule::new("GET", "/confirmations", ENTERPRISE),
    RouteRule::new("GET", "/confirmations/{id}", ENTERPRISE),
    RouteRule::new("POST", "/confirmations/{id}", ENTERPRISE),
];

/// This module's routes.
pub fn routes() -> Routes {
    Routes::new()
        .post("/partners/{id}/confirm", confirm_partner)
        .post("/partners/{id}/reject", reject_partner)
        .get("/confirmations", confirmations)
        .get("/confirmations/{id}", confirm_page)
        .post("/confirmations/{id}", confirm_rows)
}

fn enterprise_id(user: &CurrentUser) -> Result<i64, AppError> {
    user.user
        .org_id
        .filter(|_| user.role() == Role::EnterpriseOfficer)
        .ok_or(AppError::Forbidden)
}

/// 合作学校.
#[derive(Template, WebTemplate)]
#[template(path = "enterprise/partners.html")]
pub struct PartnersPage {
    pub frame: Frame,
    pub search: SearchForm,
    pub columns: Vec<ui::Column>,
    pub rows: Vec<crate::school::PartnerRow>,
    pub pager: Pager,
}

/// `GET /partners` for an enterprise officer (called by the school module's handler).
pub async fn partners(
    state: AppState,
    user: CurrentUser,
    session: Session,
    q: crate::school::PartnerQuery,
) -> Result<Response, AppError> {
    enterprise_id(&user)?;
    let batch = crate::school::batch_or_conflict(&state.store).await?;
    let (rows, pager) =
        crate::school::filtered_partners(&state, &user, batch.id, &q, |p| &p.school_name).await?;
    let mut frame = user
        .frame_with_batch(&state, "合作学校", "partners")
        .await?;
    for f in take_flash(&session).await {
        frame = frame.flash(f);
    }
    let search = SearchForm::new("/partners")
        .field(SearchField::text("name", "学校名称", &q.name))
        .field(SearchField::select(
            "status",
            "状态",
            &q.status,
            crate::school::partner_status_options(),
        ));
    let columns = [
        "序号",
        "学校",
        "学校类别",
        "标签",
        "状态",
        "提出时间",
        "确认时间",
        "操作",
    ]
    .into_iter()
    .map(|c| match c {
        "序号" => ui::Column::new(c).class("num"),
        "操作" => ui::Column::new(c).class("w-actions"),
        _ => ui::Column::new(c),
    })
    .collect();
    Ok(PartnersPage {
        frame,
        search,
        columns,
        rows,
        pager,
    }
    .into_response())
}

async fn respond(
    state: &AppState,
    user: &CurrentUser,
    session: &Session,
    id: i64,
    accept: bool,
) -> Result<Response, AppError> {
    enterprise_id(user)?;
    match state
        .store
        .respond_partnership(&user.scope(), id, accept, &user.actor())
        .await
    {
        Ok(Some(p)) => {
            let message = if accept {
                format!(
                    "已确认与「{}」的合作，学校现在可以填写推荐表",
                    p.school_name
                )
            } else {
                format!("已拒绝「{}」提出的合作", p.school_name)
            };
            push_flash(session, Flash::success(message)).await;
        }
        Ok(None) => return Err(AppError::NotFound),
        Err(e) => refuse(session, e).await?,
    }
    Ok(Redirect::to("/partners").into_response())
}

/// Shows a refusal the user can act on; anything else is an error.
async fn refuse(session: &Session, e: StoreError) -> Result<(), AppError> {
    let e = AppError::from(e);
    if matches!(e, AppError::NotFound | AppError::Internal(_)) {
        return Err(e);
    }
    push_flash(session, Flash::error(e.to_string())).await;
    Ok(())
}

/// A form with only the CSRF token.
#[derive(Debug, serde::Deserialize)]
pub struct Empty {}

/// `POST /partners/{id}/confirm`.
pub async fn confirm_partner(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, AppError> {
    respond(&state, &user, &session, id, true).await
}

/// `POST /partners/{id}/reject`.
pub async fn reject_partner(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, AppError> {
    respond(&state, &user, &session, id, false).await
}

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
    let batch = crate::school::batch_or_conflict(&state.store).await?;
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
    pub rows: Vec<RowView>,
    pub columns: Vec<Column>,
    pub pending: usize,
}

impl ConfirmFormPage {
    /// A cell as shown (already through the request's [`Disclosure`]: an enterprise never sees
    /// numbers in full).
    pub fn shown(&self, row: &RowView, c: &Column) -> String {
        row.cell(*c).to_owned()
    }
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
    let laid = checks::lay_out(&form, &report, &Disclosure::masked(&user));
    let pending = laid.rows.iter().filter(|r| !r.confirmed).count();
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
        rows: laid.rows,
        columns: vec![
            Column::Name,
            Column::SendingUnit,
            Column::ReceivingUnit,
            Column::Post,
            Column::Field,
            Column::Title,
            Column::Mobile,
            Column::Term,
        ],
        pending,
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
