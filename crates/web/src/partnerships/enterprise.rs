//! The enterprise's 合作学校: the schools that proposed a partnership, confirmed or rejected here.

use crate::auth::{CsrfForm, CurrentUser};
use crate::error::AppError;
use crate::filters;
use crate::session::{push_flash, take_flash};
use crate::shared::flash::refuse;
use crate::shared::officer::enterprise_id;
use crate::state::AppState;
use crate::ui::{self, Flash, Frame, Pager, SearchField, SearchForm};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

/// 合作学校.
#[derive(Template, WebTemplate)]
#[template(path = "enterprise/partners.html")]
pub struct PartnersPage {
    pub frame: Frame,
    pub search: SearchForm,
    pub columns: Vec<ui::Column>,
    pub rows: Vec<super::pages::PartnerRow>,
    pub pager: Pager,
}

/// `GET /partners` for an enterprise officer (called by [`super::pages::list`], which serves the path for both roles).
pub async fn partners(
    state: AppState,
    user: CurrentUser,
    session: Session,
    q: super::pages::ListQuery,
) -> Result<Response, AppError> {
    enterprise_id(&user)?;
    let batch = crate::shared::batch::batch_or_conflict(&state.store).await?;
    let (rows, pager) =
        super::pages::filtered(&state, &user, batch.id, &q, |p| &p.school_name).await?;
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
            super::pages::status_options(),
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
