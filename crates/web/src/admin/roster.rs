//! 汇总名单: the commission's consolidated list of every person in the batch's forms that the
//! user's scope holds (职成教处: the 中职 schools'), with the filters of SYSTEM.md step 4 (学校类别,
//! 派出方向, 拟挂任职务, 企业类别, 区县, 报送状态, and a name or unit), the duplicates (D01–D03)
//! shown on their people, and the programme's totals against the batch's targets (P01, P02).
//!
//! The rules run once over all the forms in scope, so the totals and the duplicates are the ones
//! the findings state. Mobile and account numbers go through the request's [`Disclosure`] (masked
//! unless 「查看完整」 by a role that may); an unmasked page and every export are audited. 导出 writes the
//! filtered list as xlsx, every value as text.

use crate::disclosure::Disclosure;
use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use shuangshi_app::export::RosterFilter;
use shuangshi_rules::Finding;
use shuangshi_store::SubmissionStatus;

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::filters;
use crate::state::AppState;
use crate::ui::{self, Frame, Pager, SearchField, SearchForm, SelectOption};

/// The filters (all optional; blank means any) and the page.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RosterQuery {
    /// Part of a name, a school or an enterprise.
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub tier: String,
    /// `school` (学校派出) or `enterprise` (企业派出).
    #[serde(default)]
    pub direction: String,
    #[serde(default)]
    pub post: String,
    /// The enterprise's kind (国有企业, 民营企业 …).
    #[serde(default)]
    pub kind: String,
    /// The school's or the enterprise's district.
    #[serde(default)]
    pub district: String,
    /// A submission status (`draft`, `submitted`, `accepted`, `returned`).
    #[serde(default)]
    pub status: String,
    /// `1`: only people with a duplicate finding (D01–D03).
    #[serde(default)]
    pub dup: String,
    /// A tag of the partnership (the industry cluster 「33618」, 「成渝地区双城经济圈」).
    #[serde(default)]
    pub tag: String,
    #[serde(default)]
    pub page: Option<u64>,
    #[serde(default)]
    pub per_page: Option<u32>,
    /// `1`: mobile and account numbers in full (roles that may see them; audited). Read by the
    /// request's [`Disclosure`].
    #[serde(default)]
    pub full: Option<u8>,
}

impl RosterQuery {
    /// The filters by name, in the order of the search form.
    fn filters(&self) -> [(&'static str, &str); 9] {
        [
            ("q", &self.q),
            ("tier", &self.tier),
            ("direction", &self.direction),
            ("post", &self.post),
            ("kind", &self.kind),
            ("district", &self.district),
            ("status", &self.status),
            ("dup", &self.dup),
            ("tag", &self.tag),
        ]
    }

    fn keep(&self, pager: Pager) -> Pager {
        self.filters()
            .into_iter()
            .fold(pager, |pager, (name, value)| pager.keep(name, value))
    }

    /// The filters as the roster use case takes them.
    fn filter(&self) -> RosterFilter {
        RosterFilter {
            q: self.q.clone(),
            tier: self.tier.clone(),
            direction: self.direction.clone(),
            post: self.post.clone(),
            kind: self.kind.clone(),
            district: self.district.clone(),
            status: crate::review::parse_status(&self.status),
            dup: !self.dup.is_empty(),
            tag: self.tag.trim().to_owned(),
        }
    }

    /// The same filters as a query string (for the export link).
    fn query_string(&self) -> String {
        let kept: Vec<(&str, &str)> = self
            .filters()
            .into_iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .collect();
        serde_urlencoded::to_string(kept).unwrap_or_default()
    }
}

pub use shuangshi_app::export::{Gathered, HEADERS, Person, Total};

/// The columns of the page (narrower than the export: the school and the enterprise carry their
/// kinds under their names, and the units are the school and the enterprise by direction).
const PAGE_HEADERS: [&str; 11] = [
    "姓名",
    "派出方向",
    "学校（类别）",
    "企业（类别）",
    "区县",
    "拟挂任职务",
    "现任专业技术职务",
    "报送状态",
    "手机号码",
    "账户账号",
    "重复推荐",
];

/// The batch's roster as this user may see it (scope and masking from the policy).
pub async fn gather(
    state: &AppState,
    user: &CurrentUser,
    disclosure: &Disclosure,
    q: &RosterQuery,
) -> Result<Gathered, AppError> {
    let batch = crate::school::batch_or_conflict(&state.store).await?;
    Ok(state
        .app
        .roster(&user.scope(), &batch, &q.filter(), disclosure)
        .await?)
}

/// 汇总名单.
#[derive(Template, WebTemplate)]
#[template(path = "admin/roster.html")]
pub struct RosterPage {
    pub frame: Frame,
    pub search: SearchForm,
    pub columns: Vec<ui::Column>,
    pub rows: Vec<(u64, Person)>,
    pub pager: Pager,
    pub totals: Vec<Total>,
    pub programme: Vec<Finding>,
    pub duplicates: usize,
    pub matched: usize,
    pub partial: bool,
    pub export_href: String,
    pub dup_href: String,
    /// The page itself (with the filters, without `full`) for the 「查看完整」 toggle.
    pub self_href: String,
    /// 「?」 or 「&」: what adds a parameter to `self_href`.
    pub self_sep: &'static str,
    pub full: bool,
    pub may_unmask: bool,
}

fn options(values: &[String]) -> Vec<SelectOption> {
    values
        .iter()
        .map(|v| SelectOption::new(v.clone(), v.clone()))
        .collect()
}

/// `GET /roster`.
pub async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    disclosure: Disclosure,
    Query(q): Query<RosterQuery>,
) -> Result<Response, AppError> {
    let g = gather(&state, &user, &disclosure, &q).await?;
    let matched = g.people.len();
    let pager = q.keep(Pager::new(
        "/roster",
        q.page.unwrap_or(1),
        q.per_page.unwrap_or(20),
        matched as u64,
    ));
    let start = usize::try_from(pager.offset())
        .unwrap_or(usize::MAX)
        .min(matched);
    let end = (start + pager.per_page as usize).min(matched);
    let rows: Vec<(u64, Person)> = g
        .people
        .into_iter()
        .enumerate()
        .skip(start)
        .take(end - start)
        .map(|(i, p)| (i as u64 + 1, p))
        .collect();
    if !rows.is_empty() {
        disclosure
            .record(
                &state.store,
                "roster",
                "roster".to_owned(),
                format!("{} 人（第 {} 页）", rows.len(), pager.page),
            )
            .await;
    }
    let statuses = SubmissionStatus::ALL
        .into_iter()
        .map(|s| SelectOption::new(s.as_str(), s.label()))
        .collect();
    let directions = vec![
        SelectOption::new("school", "学校派出"),
        SelectOption::new("enterprise", "企业派出"),
        SelectOption::new("unknown", "未能判断"),
    ];
    let search = SearchForm::new("/roster")
        .field(SearchField::text("q", "姓名或单位", &q.q))
        .field(SearchField::select(
            "tier",
            "学校类别",
            &q.tier,
            options(&g.tiers),
        ))
        .field(SearchField::select(
            "direction",
            "派出方向",
            &q.direction,
            directions,
        ))
        .field(SearchField::select(
            "post",
            "拟挂任职务",
            &q.post,
            options(&g.posts),
        ))
        .field(SearchField::select(
            "kind",
            "企业类别",
            &q.kind,
            options(&g.kinds),
        ))
        .field(SearchField::select(
            "district",
            "区县",
            &q.district,
            options(&g.districts),
        ))
        .field(SearchField::select(
            "status",
            "报送状态",
            &q.status,
            statuses,
        ))
        .field(SearchField::select(
            "tag",
            "产业集群",
            &q.tag,
            crate::school::PARTNER_TAGS
                .iter()
                .map(|t| SelectOption::new(*t, *t))
                .collect(),
        ))
        .field(SearchField::select(
            "dup",
            "重复推荐",
            &q.dup,
            vec![SelectOption::new("1", "仅看重复推荐")],
        ));
    let columns = std::iter::once(ui::Column::new("序号").class("num"))
        .chain(PAGE_HEADERS.iter().map(|h| ui::Column::new(*h)))
        .collect();
    let query = q.query_string();
    let with = |path: &str, full: bool| {
        let mut parts: Vec<String> = Vec::new();
        if !query.is_empty() {
            parts.push(query.clone());
        }
        if full {
            parts.push("full=1".to_owned());
        }
        if parts.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{}", parts.join("&"))
        }
    };
    let export_href = with("/roster.xlsx", disclosure.full());
    let self_href = with("/roster", false);
    let frame = user
        .frame_with_batch(&state, &format!("{}汇总名单", g.batch_name), "roster")
        .await?;
    Ok(RosterPage {
        frame,
        search,
        columns,
        rows,
        pager,
        totals: g.totals,
        programme: g.programme,
        duplicates: g.duplicates,
        matched,
        partial: g.partial,
        export_href,
        dup_href: "/roster?dup=1".to_owned(),
        self_sep: if self_href.contains('?') { "&" } else { "?" },
        self_href,
        full: disclosure.full(),
        may_unmask: disclosure.may_unmask(),
    }
    .into_response())
}

/// `GET /roster.xlsx`: the filtered list (every page), audited.
pub async fn export(
    State(state): State<AppState>,
    user: CurrentUser,
    disclosure: Disclosure,
    Query(q): Query<RosterQuery>,
) -> Result<Response, AppError> {
    let g = gather(&state, &user, &disclosure, &q).await?;
    let (name, people) = (g.batch_name.clone(), g.people.clone());
    let bytes =
        tokio::task::spawn_blocking(move || shuangshi_app::export::roster_xlsx(&name, &people))
            .await
            .map_err(AppError::internal)??;
    crate::school::audit(
        &state.store,
        &user,
        if g.unmasked {
            "export.roster_unmasked"
        } else {
            "export.roster"
        },
        "roster".to_owned(),
        format!("{} 人；筛选：{}", g.people.len(), q.query_string()),
    )
    .await;
    Ok(crate::school::attachment(
        bytes,
        crate::school::XLSX,
        &format!("{}汇总名单.xlsx", g.batch_name),
    ))
}

/// A total against its target, in the API.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiTotal {
    pub label: String,
    pub have: u32,
    pub target: u32,
}

/// One person of the list, in the API.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiPerson {
    pub name: String,
    /// 学校派出, 企业派出 or 未能判断.
    pub direction: String,
    pub sending_unit: String,
    pub receiving_unit: String,
    pub post: String,
    pub title: String,
    pub school: String,
    pub school_tier: String,
    pub enterprise: String,
    pub enterprise_kind: String,
    pub district: String,
    /// 草稿, 已报送, 已受理 or 已退回.
    pub status: String,
    /// In full or masked (138****1234), as the account's role allows.
    pub mobile: String,
    pub account_number: String,
    /// D01–D03 findings on this person (RULES.md's shape).
    pub duplicates: Vec<crate::review::SnapFinding>,
}

/// The consolidated list, in the API.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiRoster {
    pub batch: String,
    /// Whether the account sees only part of the batch (then the totals are partial).
    pub partial: bool,
    pub totals: Vec<ApiTotal>,
    /// P01/P02 findings.
    pub programme: Vec<crate::review::SnapFinding>,
    /// D01–D03 findings in the whole list (before filtering).
    pub duplicates: usize,
    /// People matching the filters.
    pub total: usize,
    pub page: u64,
    pub per_page: u32,
    pub people: Vec<ApiPerson>,
}

fn snap(f: &Finding) -> crate::review::SnapFinding {
    serde_json::to_value(f)
        .and_then(serde_json::from_value)
        .unwrap_or_default()
}

/// `GET /api/v1/roster`: the consolidated list with the page's filters.
#[utoipa::path(get, path = "/api/v1/roster", tag = "review",
    params(RosterQuery),
    responses((status = 200, body = ApiRoster), (status = 401), (status = 403), (status = 409)),
    security(("bearer" = [])))]
pub async fn api_roster(
    State(state): State<AppState>,
    user: CurrentUser,
    disclosure: Disclosure,
    Query(q): Query<RosterQuery>,
) -> Result<Json<ApiRoster>, AppError> {
    let g = gather(&state, &user, &disclosure, &q).await?;
    let total = g.people.len();
    let per_page = q.per_page.unwrap_or(100).clamp(1, 500);
    let page = q.page.unwrap_or(1).max(1);
    let skip =
        usize::try_from((page - 1).saturating_mul(u64::from(per_page))).unwrap_or(usize::MAX);
    let people: Vec<ApiPerson> = g
        .people
        .iter()
        .skip(skip)
        .take(per_page as usize)
        .map(|p| ApiPerson {
            name: p.name.clone(),
            direction: p.direction.to_owned(),
            sending_unit: p.sending.clone(),
            receiving_unit: p.receiving.clone(),
            post: p.post.clone(),
            title: p.title.clone(),
            school: p.school.clone(),
            school_tier: p.tier.clone(),
            enterprise: p.enterprise.clone(),
            enterprise_kind: p.kind.clone(),
            district: p.district.clone(),
            status: p.status.to_owned(),
            mobile: p.mobile.clone(),
            account_number: p.account.clone(),
            duplicates: p.duplicates.iter().map(snap).collect(),
        })
        .collect();
    if !people.is_empty() {
        disclosure
            .record(
                &state.store,
                "roster",
                "roster".to_owned(),
                format!("API：{} 人（第 {page} 页）", people.len()),
            )
            .await;
    }
    Ok(Json(ApiRoster {
        batch: g.batch_name,
        partial: g.partial,
        totals: g
            .totals
            .iter()
            .map(|t| ApiTotal {
                label: t.label.to_owned(),
                have: t.have,
                target: t.target,
            })
            .collect(),
        programme: g.programme.iter().map(snap).collect(),
        duplicates: g.duplicates,
        total,
        page,
        per_page,
        people,
    }))
}
