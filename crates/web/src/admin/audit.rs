//! 审计日志: the hash-chained log, filtered by action, account and target, newest first; 「校验」
//! walks the chain and names the first broken entry.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use shuangshi_store::{AuditFilter, AuditRecord, PageRequest};
use tower_sessions::Session;

use super::{Paging, non_empty};
use crate::auth::{CsrfForm, CurrentUser};
use crate::error::AppError;
use crate::filters;
use crate::session::{push_flash, take_flash};
use crate::state::AppState;
use crate::ui::{Column, Flash, Frame, Pager, SearchField, SearchForm, SelectOption};

/// The action families offered in the filter.
const ACTIONS: &[(&str, &str)] = &[
    ("login.", "登录"),
    ("logout", "退出"),
    ("user.", "账号"),
    ("token.", "令牌"),
    ("batch.", "批次"),
    ("org", "单位名录"),
    ("partnership.", "合作关系"),
    ("form.", "推荐表"),
    ("scan.", "盖章扫描件"),
    ("submission.", "报送与审核"),
    ("export", "导出"),
    ("unmask", "查看完整号码"),
    ("audit.", "审计"),
    ("access.", "拒绝访问"),
];

pub struct AuditRow {
    pub rec: AuditRecord,
}

impl AuditRow {
    pub fn at(&self) -> String {
        crate::fmt::datetime(&self.rec.at)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/audit.html")]
pub struct AuditPage {
    pub frame: Frame,
    pub search: SearchForm,
    pub columns: Vec<Column>,
    pub rows: Vec<AuditRow>,
    pub pager: Pager,
}

#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub user: String,
    #[serde(default)]
    pub target: String,
    #[serde(flatten)]
    pub paging: Paging,
}

/// `GET /admin/audit`.
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Query(q): Query<AuditQuery>,
) -> Result<AuditPage, AppError> {
    let mut filter = AuditFilter {
        action_prefix: non_empty(&q.action),
        actor_user_id: None,
        target: non_empty(&q.target),
    };
    let mut unknown_user = false;
    if let Some(name) = non_empty(&q.user) {
        match state.store.get_user_by_username(&name).await? {
            Some(u) => filter.actor_user_id = Some(u.id),
            None => unknown_user = true,
        }
    }
    let first = Pager::new(
        "/admin/audit",
        q.paging.page(),
        q.paging.per_page(),
        u64::MAX,
    );
    let mut page = if unknown_user {
        shuangshi_store::Paged {
            items: Vec::new(),
            total: 0,
            offset: 0,
            limit: 0,
        }
    } else {
        state
            .store
            .list_audit(
                &filter,
                PageRequest::new(first.offset(), u64::from(first.per_page)),
            )
            .await?
    };
    let pager = Pager::new(
        "/admin/audit",
        q.paging.page(),
        q.paging.per_page(),
        page.total,
    )
    .keep("action", &q.action)
    .keep("user", &q.user)
    .keep("target", &q.target);
    if pager.offset() != first.offset() && !unknown_user {
        page = state
            .store
            .list_audit(
                &filter,
                PageRequest::new(pager.offset(), u64::from(pager.per_page)),
            )
            .await?;
    }
    let mut frame = user.frame_with_batch(&state, "审计日志", "audit").await?;
    for f in take_flash(&session).await {
        frame = frame.flash(f);
    }
    Ok(AuditPage {
        frame,
        search: SearchForm::new("/admin/audit")
            .field(SearchField::select(
                "action",
                "操作类型",
                &q.action,
                ACTIONS
                    .iter()
                    .map(|(v, l)| SelectOption::new(*v, *l))
                    .collect(),
            ))
            .field(SearchField::text("user", "操作账号", &q.user))
            .field(SearchField::text("target", "对象", &q.target)),
        columns: vec![
            Column::new("序号").class("text-end"),
            Column::new("时间"),
            Column::new("操作人"),
            Column::new("来源地址"),
            Column::new("操作"),
            Column::new("对象"),
            Column::new("详情"),
        ],
        rows: page.items.into_iter().map(|rec| AuditRow { rec }).collect(),
        pager,
    })
}

#[derive(Debug, Deserialize)]
pub struct NoFields {}

/// `POST /admin/audit/verify`: walks the chain; the result is shown on the log page.
pub async fn verify(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Response, AppError> {
    let check = state.store.verify_audit().await?;
    let flash = match &check.broken {
        None => Flash::success(format!(
            "校验通过：共 {} 条审计记录，哈希链完整，未发现改动或删除",
            check.checked
        )),
        Some(b) => Flash::error(format!(
            "校验未通过：{b}（此前 {} 条记录完好）",
            check.checked
        )),
    };
    let detail = match &check.broken {
        None => format!("ok {}", check.checked),
        Some(b) => format!("broken at {}", b.id),
    };
    state
        .store
        .audit(shuangshi_store::AuditEntry::new(
            &user.actor(),
            "audit.verify",
            "audit",
            detail,
        ))
        .await?;
    push_flash(&session, flash).await;
    Ok(Redirect::to("/admin/audit").into_response())
}
