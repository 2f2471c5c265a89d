//! 名单查阅 for the oversight bodies (国资委: rows whose enterprise is state-owned; 工商联: private):
//! read-only, scoped by the policy, mobile and account numbers always masked.

use crate::disclosure::Disclosure;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use shuangshi_rules::Column as C;

use super::Paging;
use crate::auth::{CurrentUser, current_batch};
use crate::error::AppError;
use crate::filters;
use crate::state::AppState;
use crate::ui::{Column, Frame, Pager};

/// One person of the list, as the viewer may see it.
pub struct ListRow {
    pub name: String,
    pub sending: String,
    pub receiving: String,
    pub post: String,
    pub term: String,
    pub mobile: String,
    pub account: String,
    pub school: String,
    pub enterprise: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/list.html")]
pub struct OversightPage {
    pub frame: Frame,
    pub columns: Vec<Column>,
    pub rows: Vec<ListRow>,
    pub pager: Pager,
    pub batch: String,
}

/// `GET /list`.
pub async fn oversight_list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<Paging>,
) -> Result<OversightPage, AppError> {
    let scope = user.scope();
    let disclosure = Disclosure::masked(&user);
    let mut all = Vec::new();
    let batch = current_batch(&state.store).await?;
    if let Some(b) = &batch {
        for summary in state.store.list_forms(&scope, b.id, None, None).await? {
            let Some(form) = state.store.get_form(&scope, summary.id).await? else {
                continue;
            };
            for r in &form.rows {
                let mobile = disclosure.cell(C::Mobile, r.cell(C::Mobile));
                let account = disclosure.cell(C::AccountNumber, r.cell(C::AccountNumber));
                all.push(ListRow {
                    name: r.cell(C::Name).to_owned(),
                    sending: r.cell(C::SendingUnit).to_owned(),
                    receiving: r.cell(C::ReceivingUnit).to_owned(),
                    post: r.cell(C::Post).to_owned(),
                    term: r.cell(C::Term).to_owned(),
                    mobile,
                    account,
                    school: form.school_name.clone(),
                    enterprise: form.enterprise_name.clone(),
                });
            }
        }
    }
    let pager = Pager::new("/list", q.page(), q.per_page(), all.len() as u64);
    let start = usize::try_from(pager.offset())
        .unwrap_or(usize::MAX)
        .min(all.len());
    let end = (start + pager.per_page as usize).min(all.len());
    let rows = all.drain(start..end).collect();
    Ok(OversightPage {
        frame: user.frame_with_batch(&state, "名单查阅", "list").await?,
        columns: vec![
            Column::new("姓名"),
            Column::new("派出单位"),
            Column::new("接收单位"),
            Column::new("岗位"),
            Column::new("交流期限"),
            Column::new("手机号码"),
            Column::new("账户账号"),
            Column::new("学校"),
            Column::new("企业"),
        ],
        rows,
        pager,
        batch: batch.map_or_else(String::new, |b| b.name),
    })
}
