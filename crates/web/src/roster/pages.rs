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
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
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
            status: crate::review::pages::parse_status(&self.status),
            dup: !self.dup.is_empty(),
            tag: self.tag.trim().to_owned(),
        }
    }

    /// The same filters as a query string (for the export link).
    fn query_string(&self) -> String {
        crate::ui::filter_query(&self.filters())
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
    let batch = crate::shared::batch::batch_or_conflict(&state.store).await?;
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

/// The search form of the roster over `g`'s values, with `q`'s filters (the page shows it, the
/// export describes its filters in the audit log with it).
fn search_form(q: &RosterQuery, g: &Gathered) -> SearchForm {
    let statuses = SubmissionStatus::ALL
        .into_iter()
        .map(|s| SelectOption::new(s.as_str(), s.label()))
        .collect();
    let directions = vec![
        SelectOption::new("school", "学校派出"),
        SelectOption::new("enterprise", "企业派出"),
        SelectOption::new("unknown", "未能判断"),
    ];
    SearchForm::new("/roster")
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
            crate::partnerships::pages::TAGS
                .iter()
                .map(|t| SelectOption::new(*t, *t))
                .collect(),
        ))
        .field(SearchField::select(
            "dup",
            "重复推荐",
            &q.dup,
            vec![SelectOption::new("1", "仅看重复推荐")],
        ))
}

/// `GET /roster`.
pub async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    disclosure: Disclosure,
    Query(q): Query<RosterQuery>,
) -> Result<Response, AppError> {
    let g = gather(&state, &user, &disclosure, &q).await?;
    let search = search_form(&q, &g);
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
    let columns = std::iter::once(ui::Column::new("序号").class("num"))
        .chain(PAGE_HEADERS.iter().map(|h| ui::Column::new(*h)))
        .collect();
    let query = q.query_string();
    let with = |path: &str, full: bool| crate::ui::href_with(path, &query, full);
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
    crate::shared::audit::audit(
        &state.store,
        &user,
        if g.unmasked {
            "export.roster_unmasked"
        } else {
            "export.roster"
        },
        "roster".to_owned(),
        format!(
            "{} 人；筛选：{}",
            g.people.len(),
            search_form(&q, &g).describe()
        ),
    )
    .await;
    Ok(crate::shared::download::attachment(
        bytes,
        crate::shared::download::XLSX,
        &format!("{}汇总名单.xlsx", g.batch_name),
    ))
}
