//! 合作企业：the school's list of partnerships (search, status tags, pagination) and 新增 (propose an
//! enterprise of the registry). The enterprise officer's 合作学校 page shares `/partners` and is
//! answered by [`super::enterprise`].

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use shuangshi_store::{
    OrgFilter, OrgRecord, PageRequest, Partnership, PartnershipFilter, PartnershipStatus, Role,
};
use tower_sessions::Session;

use crate::auth::{CsrfForm, CurrentUser};
use crate::error::AppError;
use crate::filters;
use crate::session::{push_flash, take_flash};
use crate::shared::flash::back;
use crate::shared::officer::{SchoolCtx, school_ctx};
use crate::state::AppState;
use crate::ui::{Column, Flash, Frame, Pager, SearchField, SearchForm, SelectOption, Toolbar};

/// The tags a school can give a partnership (SYSTEM.md: industry cluster, 成渝地区双城经济圈).
pub const TAGS: [&str; 2] = ["33618", "成渝地区双城经济圈"];

/// The query of the list.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub page: Option<u64>,
    #[serde(default)]
    pub per_page: Option<u32>,
}

pub fn status_class(s: PartnershipStatus) -> &'static str {
    match s {
        PartnershipStatus::Proposed => "tag tag-blue",
        PartnershipStatus::Confirmed => "tag tag-green",
        PartnershipStatus::Rejected => "tag tag-red",
    }
}

pub fn parse_status(s: &str) -> Option<PartnershipStatus> {
    s.parse().ok()
}

pub fn status_options() -> Vec<SelectOption> {
    [
        PartnershipStatus::Proposed,
        PartnershipStatus::Confirmed,
        PartnershipStatus::Rejected,
    ]
    .into_iter()
    .map(|s| SelectOption::new(s.as_str(), s.label()))
    .collect()
}

/// A partnership row of a list.
pub struct PartnerRow {
    pub p: Partnership,
    pub number: u64,
}

impl PartnerRow {
    pub fn status_label(&self) -> &'static str {
        self.p.status.label()
    }

    pub fn status_class(&self) -> &'static str {
        status_class(self.p.status)
    }
}

/// The partnerships in the scope of the current batch, filtered by the other side's name and the
/// status, one page of them. (The store filters by status; the name is matched here, over the
/// few partnerships one organisation has.)
pub async fn filtered(
    state: &AppState,
    user: &CurrentUser,
    batch_id: i64,
    q: &ListQuery,
    other_name: impl Fn(&Partnership) -> &str,
) -> Result<(Vec<PartnerRow>, Pager), AppError> {
    let filter = PartnershipFilter {
        batch_id: Some(batch_id),
        status: parse_status(&q.status),
        ..PartnershipFilter::default()
    };
    let all = state
        .store
        .list_partnerships(
            &user.scope(),
            &filter,
            PageRequest::new(0, PageRequest::MAX_LIMIT),
        )
        .await?;
    let needle = shuangshi_rules::text::norm(&q.name);
    let matching: Vec<Partnership> = all
        .items
        .into_iter()
        .filter(|p| {
            needle.is_empty() || shuangshi_rules::text::norm(other_name(p)).contains(&needle)
        })
        .collect();
    let pager = Pager::new(
        "/partners",
        q.page.unwrap_or(1),
        q.per_page.unwrap_or(20),
        matching.len() as u64,
    )
    .keep("name", &q.name)
    .keep("status", &q.status);
    let offset = pager.offset();
    let rows = matching
        .into_iter()
        .enumerate()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(pager.per_page as usize)
        .map(|(i, p)| PartnerRow {
            p,
            number: i as u64 + 1,
        })
        .collect();
    Ok((rows, pager))
}

/// 合作企业 (school).
#[derive(Template, WebTemplate)]
#[template(path = "school/partners.html")]
pub struct PartnersPage {
    pub frame: Frame,
    pub search: SearchForm,
    pub toolbar: Toolbar,
    pub columns: Vec<Column>,
    pub rows: Vec<PartnerRow>,
    pub pager: Pager,
    /// The partner enterprises with no account yet (nobody can confirm their rows).
    pub no_account: Vec<shuangshi_app::picker::NoAccount>,
}

impl PartnersPage {
    /// Whether the enterprise has no account yet.
    pub fn lacks_account(&self, enterprise_id: &i64) -> bool {
        self.no_account
            .iter()
            .any(|n| n.enterprise_id == *enterprise_id)
    }
}

/// `GET /partners`: the school's partner enterprises, or the enterprise's partner schools.
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    if user.role() == Role::EnterpriseOfficer {
        return super::enterprise::partners(state, user, session, q).await;
    }
    let ctx = school_ctx(&state.store, &user).await?;
    let (rows, pager) = filtered(&state, &user, ctx.batch.id, &q, |p| &p.enterprise_name).await?;
    let mut frame = user
        .frame_with_batch(&state, "合作企业", "partners")
        .await?;
    for f in take_flash(&session).await {
        frame = frame.flash(f);
    }
    let search = SearchForm::new("/partners")
        .field(SearchField::text("name", "企业名称", &q.name))
        .field(SearchField::select(
            "status",
            "状态",
            &q.status,
            status_options(),
        ));
    let toolbar = Toolbar {
        new_href: ctx.batch_open().then(|| "/partners/new".to_owned()),
        new_label: Some("新增合作企业".to_owned()),
        ..Toolbar::default()
    };
    let columns = [
        "序号",
        "合作企业",
        "企业类别",
        "标签",
        "状态",
        "提出时间",
        "确认时间",
        "操作",
    ]
    .into_iter()
    .map(|c| match c {
        "序号" => Column::new(c).class("num"),
        "操作" => Column::new(c).class("w-actions"),
        _ => Column::new(c),
    })
    .collect();
    let no_account = state
        .app
        .partners_without_account(&user.scope(), ctx.batch.id)
        .await?;
    Ok(PartnersPage {
        frame,
        search,
        toolbar,
        columns,
        rows,
        pager,
        no_account,
    }
    .into_response())
}

/// The query of 新增合作企业: the enterprise search and the chosen one.
#[derive(Debug, Default, Deserialize)]
pub struct NewQuery {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub enterprise_id: Option<i64>,
    #[serde(default)]
    pub page: Option<u64>,
    #[serde(default)]
    pub per_page: Option<u32>,
}

/// 新增合作企业: choose an enterprise of the registry, tag the partnership, propose it.
#[derive(Template, WebTemplate)]
#[template(path = "school/partner_new.html")]
pub struct NewPartnerPage {
    pub frame: Frame,
    pub search: SearchForm,
    pub columns: Vec<Column>,
    pub enterprises: Vec<OrgRecord>,
    pub pager: Pager,
    pub chosen: Option<OrgRecord>,
    pub tags: Vec<&'static str>,
    pub query_name: String,
    pub query_category: String,
}

fn enterprise_kinds(ctx: &SchoolCtx) -> Vec<SelectOption> {
    let mut kinds: Vec<SelectOption> = ctx
        .batch
        .params
        .enterprise_kinds
        .iter()
        .map(|k| SelectOption::new(k.name.clone(), k.name.clone()))
        .collect();
    if kinds.is_empty() {
        kinds = ["国有企业", "民营企业", "新型研发机构", "其他企业"]
            .into_iter()
            .map(|k| SelectOption::new(k, k))
            .collect();
    }
    kinds
}

/// `GET /partners/new`.
pub async fn new_page(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Query(q): Query<NewQuery>,
) -> Result<Response, AppError> {
    let ctx = school_ctx(&state.store, &user).await?;
    let scope = user.scope();
    let per_page = q.per_page.unwrap_or(10);
    let filter = OrgFilter {
        name: Some(q.name.clone()),
        category: (!q.category.is_empty()).then(|| q.category.clone()),
        is_school: Some(false),
        ..OrgFilter::default()
    };
    let probe = Pager::new("/partners/new", q.page.unwrap_or(1), per_page, u64::MAX / 2);
    let page = state
        .store
        .list_orgs(
            &scope,
            &filter,
            PageRequest::new(probe.offset(), u64::from(probe.per_page)),
        )
        .await?;
    let pager = Pager::new("/partners/new", q.page.unwrap_or(1), per_page, page.total)
        .keep("name", &q.name)
        .keep("category", &q.category);
    let chosen = match q.enterprise_id {
        Some(id) => state
            .store
            .get_org(&scope, id)
            .await?
            .filter(|o| !o.is_school),
        None => None,
    };
    let mut frame = user
        .frame_with_batch(&state, "新增合作企业", "partners")
        .await?;
    for f in take_flash(&session).await {
        frame = frame.flash(f);
    }
    let search = SearchForm::new("/partners/new")
        .field(SearchField::org("name", "企业名称", &q.name, "enterprise"))
        .field(SearchField::select(
            "category",
            "企业类别",
            &q.category,
            enterprise_kinds(&ctx),
        ));
    let columns = vec![
        Column::new("企业名称"),
        Column::new("企业类别"),
        Column::new("隶属关系"),
        Column::new("所在区县"),
        Column::new("操作").class("w-actions"),
    ];
    Ok(NewPartnerPage {
        frame,
        search,
        columns,
        enterprises: page.items,
        pager,
        chosen,
        tags: TAGS.to_vec(),
        query_name: q.name,
        query_category: q.category,
    }
    .into_response())
}

/// The 新增 form.
#[derive(Debug, Deserialize)]
pub struct ProposeForm {
    pub enterprise_id: i64,
    #[serde(default)]
    pub tag_0: Option<String>,
    #[serde(default)]
    pub tag_1: Option<String>,
    /// Other tags, separated by commas or 、.
    #[serde(default)]
    pub other_tags: String,
}

impl ProposeForm {
    pub fn tags(&self) -> Vec<String> {
        let mut tags = Vec::new();
        if self.tag_0.is_some() {
            tags.push(TAGS[0].to_owned());
        }
        if self.tag_1.is_some() {
            tags.push(TAGS[1].to_owned());
        }
        tags.extend(
            self.other_tags
                .split([',', '，', '、', ';', '；'])
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .take(10)
                .map(|t| t.chars().take(30).collect::<String>()),
        );
        tags
    }
}

/// `POST /partners`: proposes the chosen enterprise as partner.
pub async fn propose(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    CsrfForm(form): CsrfForm<ProposeForm>,
) -> Result<Response, AppError> {
    let ctx = school_ctx(&state.store, &user).await?;
    let result = state
        .store
        .propose_partnership(
            &ctx.scope,
            ctx.batch.id,
            ctx.school_id,
            form.enterprise_id,
            &form.tags(),
            &user.actor(),
        )
        .await;
    match result {
        Ok(Some(p)) => {
            push_flash(
                &session,
                Flash::success(format!(
                    "已向「{}」提出合作，等待企业经办人确认",
                    p.enterprise_name
                )),
            )
            .await;
            Ok(back("/partners"))
        }
        Ok(None) => Err(AppError::NotFound),
        Err(shuangshi_store::StoreError::NotFound(_)) => Err(AppError::NotFound),
        Err(e) => {
            let e = AppError::from(e);
            if matches!(e, AppError::Internal(_)) {
                return Err(e);
            }
            push_flash(&session, Flash::error(e.to_string())).await;
            Ok(back(&format!(
                "/partners/new?enterprise_id={}",
                form.enterprise_id
            )))
        }
    }
}
