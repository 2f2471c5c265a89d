//! 汇总名单: the commission's consolidated list of every person in the batch's forms that the
//! user's scope holds (职成教处: the 中职 schools'), with the filters of SYSTEM.md step 4 (学校类别,
//! 派出方向, 拟挂任职务, 企业类别, 区县, 报送状态, and a name or unit), the duplicates (D01–D03)
//! shown on their people, and the programme's totals against the batch's targets (P01, P02).
//!
//! The rules run once over all the forms in scope, so the totals and the duplicates are the ones
//! the findings state. Mobile and account numbers follow the policy (masked unless
//! [`crate::policy::may_unmask`]); an unmasked page and every export are audited. 导出 writes the
//! filtered list as xlsx, every value as text.

use crate::disclosure::Disclosure;
use std::collections::{BTreeSet, HashMap};

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use shuangshi_rules::text::norm;
use shuangshi_rules::{Column as C, Direction, Finding, Input, directions};
use shuangshi_store::forms::FIRST_ROW;
use shuangshi_store::{PageRequest, Scope, SubmissionFilter, SubmissionStatus};

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
    fn filters(&self) -> [(&'static str, &str); 8] {
        [
            ("q", &self.q),
            ("tier", &self.tier),
            ("direction", &self.direction),
            ("post", &self.post),
            ("kind", &self.kind),
            ("district", &self.district),
            ("status", &self.status),
            ("dup", &self.dup),
        ]
    }

    fn keep(&self, pager: Pager) -> Pager {
        self.filters()
            .into_iter()
            .fold(pager, |pager, (name, value)| pager.keep(name, value))
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

/// One person of the list, as this user may see it.
#[derive(Debug, Clone)]
pub struct Person {
    pub name: String,
    pub direction: &'static str,
    pub sending: String,
    pub receiving: String,
    pub post: String,
    pub title: String,
    pub school: String,
    pub tier: String,
    pub enterprise: String,
    pub kind: String,
    pub district: String,
    pub status: &'static str,
    pub mobile: String,
    pub account: String,
    /// The duplicate findings (D01–D03) on this person.
    pub duplicates: Vec<Finding>,
    /// Where the row is (for 人员履历, `/people/{form}/{row}`).
    pub form_id: i64,
    pub row_no: u32,
}

impl Person {
    fn cells(&self) -> Vec<String> {
        vec![
            self.name.clone(),
            self.direction.to_owned(),
            self.sending.clone(),
            self.receiving.clone(),
            self.post.clone(),
            self.title.clone(),
            self.school.clone(),
            self.tier.clone(),
            self.enterprise.clone(),
            self.kind.clone(),
            self.district.clone(),
            self.status.to_owned(),
            self.mobile.clone(),
            self.account.clone(),
            self.duplicates
                .iter()
                .map(|f| format!("{} {}", f.rule, f.message))
                .collect::<Vec<_>>()
                .join("；"),
        ]
    }
}

/// The headers of the list and of its export, in [`Person::cells`] order.
const HEADERS: [&str; 15] = [
    "姓名",
    "派出方向",
    "派出单位",
    "接收单位",
    "拟挂任职务",
    "现任专业技术职务",
    "学校",
    "学校类别",
    "企业",
    "企业类别",
    "区县",
    "报送状态",
    "手机号码",
    "账户账号",
    "重复推荐",
];

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

/// One total against its target.
#[derive(Debug, Clone)]
pub struct Total {
    pub label: &'static str,
    pub have: u32,
    pub target: u32,
}

impl Total {
    pub fn met(&self) -> bool {
        self.have >= self.target
    }

    pub fn bar_value(&self) -> u32 {
        self.have.min(self.target.max(1))
    }

    pub fn bar_max(&self) -> u32 {
        self.target.max(1)
    }
}

/// What the rules say of the whole list.
pub struct Gathered {
    pub batch_name: String,
    pub people: Vec<Person>,
    pub totals: Vec<Total>,
    /// P01/P02 findings.
    pub programme: Vec<Finding>,
    /// Every D finding (for the count).
    pub duplicates: usize,
    pub tiers: Vec<String>,
    pub kinds: Vec<String>,
    pub posts: Vec<String>,
    pub districts: Vec<String>,
    /// Whether the user sees only part of the batch (the totals are then partial).
    pub partial: bool,
    pub unmasked: bool,
}

/// Loads the batch's forms in the user's scope, runs the rules once, and lays the people out.
pub async fn gather(
    state: &AppState,
    user: &CurrentUser,
    disclosure: &Disclosure,
    q: &RosterQuery,
) -> Result<Gathered, AppError> {
    let scope = user.scope();
    let batch = crate::school::batch_or_conflict(&state.store).await?;
    let stored = state.app.batch_report(&scope, &batch).await?;
    let forms = stored.forms;
    let report = stored.report;
    let registry = state.store.registry().await?;
    let mut status_of: HashMap<i64, SubmissionStatus> = HashMap::new();
    let filter = SubmissionFilter {
        batch_id: Some(batch.id),
        ..SubmissionFilter::default()
    };
    let mut offset = 0;
    loop {
        let page = state
            .store
            .list_submissions(
                &scope,
                &filter,
                PageRequest::new(offset, PageRequest::MAX_LIMIT),
            )
            .await?;
        let n = page.items.len() as u64;
        status_of.extend(page.items.iter().map(|s| (s.school_id, s.status)));
        offset += n;
        if n == 0 || offset >= page.total {
            break;
        }
    }
    let rules_forms: Vec<shuangshi_rules::Form> = crate::school::checks::rules_forms(&forms);
    let params = &batch.params;
    let input = Input {
        batch: params,
        forms: &rules_forms,
        registry: Some(&registry),
        history: &[],
    };
    // The stored findings (worded as the pages word them); each row's direction as the rules
    // decide it, for the lists.
    let dirs = directions(input);
    let mut dup_at: HashMap<(&str, u32), Vec<Finding>> = HashMap::new();
    let mut duplicates = 0;
    let mut programme = Vec::new();
    for f in &report.findings {
        if shuangshi_rules::scope_of(f.rule) != Some(shuangshi_rules::Scope::Batch) {
            continue;
        }
        match (f.file.as_deref(), f.row) {
            (Some(file), Some(row)) => {
                duplicates += 1;
                let mut f = f.clone();
                disclosure.finding(&mut f);
                dup_at.entry((file, row)).or_default().push(f);
            }
            _ => programme.push(f.clone()),
        }
    }
    let org = |name: &str| registry.find(name);
    let unmasked = disclosure.full();
    let wanted_status = crate::review::parse_status(&q.status);
    let needle = norm(q.q.trim());
    let senior_school = norm(&params.posts.school_senior);
    let senior_enterprise = norm(&params.posts.enterprise_senior);
    let (mut sent, mut received, mut vp, mut dean) = (0u32, 0u32, 0u32, 0u32);
    let mut districts = BTreeSet::new();
    let mut people = Vec::new();
    for ((form, rules_form), form_dirs) in forms.iter().zip(&rules_forms).zip(&dirs) {
        let school_org = org(&form.school_name);
        let enterprise_org = org(&form.enterprise_name);
        let tier = school_org.map(|o| o.category.clone()).unwrap_or_default();
        let district = school_org
            .map(|o| o.district.clone())
            .filter(|d| !d.is_empty())
            .or_else(|| enterprise_org.map(|o| o.district.clone()))
            .unwrap_or_default();
        if !district.is_empty() {
            districts.insert(district.clone());
        }
        let status = status_of
            .get(&form.school_id)
            .copied()
            .unwrap_or(SubmissionStatus::Draft);
        for (i, row) in form.rows.iter().enumerate() {
            let direction = form_dirs.get(i).copied().flatten();
            let post = row.cell(C::Post);
            match direction {
                Some(Direction::School) => {
                    sent += 1;
                    if norm(post) == senior_school {
                        vp += 1;
                    }
                }
                Some(Direction::Enterprise) => {
                    received += 1;
                    if norm(post) == senior_enterprise {
                        dean += 1;
                    }
                }
                None => {}
            }
            let sheet_row = FIRST_ROW + u32::try_from(i).unwrap_or(0);
            let dups = dup_at
                .get(&(rules_form.file.as_str(), sheet_row))
                .cloned()
                .unwrap_or_default();
            let person = Person {
                name: row.cell(C::Name).to_owned(),
                direction: direction.map(Direction::label).unwrap_or("未能判断"),
                sending: row.cell(C::SendingUnit).to_owned(),
                receiving: row.cell(C::ReceivingUnit).to_owned(),
                post: post.to_owned(),
                title: row.cell(C::Title).to_owned(),
                school: form.school_name.clone(),
                tier: tier.clone(),
                enterprise: form.enterprise_name.clone(),
                kind: form.enterprise_category.clone(),
                district: district.clone(),
                status: status.label(),
                mobile: disclosure.cell(C::Mobile, row.cell(C::Mobile)),
                account: disclosure.cell(C::AccountNumber, row.cell(C::AccountNumber)),
                duplicates: dups,
                form_id: form.id,
                row_no: sheet_row,
            };
            let keep = (needle.is_empty()
                || [&person.name, &person.school, &person.enterprise]
                    .iter()
                    .any(|s| norm(s).contains(&needle)))
                && (q.tier.is_empty() || person.tier == q.tier)
                && (q.direction.is_empty()
                    || match q.direction.as_str() {
                        "school" => direction == Some(Direction::School),
                        "enterprise" => direction == Some(Direction::Enterprise),
                        _ => direction.is_none(),
                    })
                && (q.post.is_empty() || norm(&person.post) == norm(&q.post))
                && (q.kind.is_empty() || person.kind == q.kind)
                && (q.district.is_empty() || person.district == q.district)
                && wanted_status.is_none_or(|s| s == status)
                && (q.dup.is_empty() || !person.duplicates.is_empty());
            if keep {
                people.push(person);
            }
        }
    }
    let targets = &params.targets;
    let totals = vec![
        Total {
            label: "学校派出教师",
            have: sent,
            target: targets.school_to_enterprise,
        },
        Total {
            label: "其中挂任科技副总",
            have: vp,
            target: targets.tech_vice_president,
        },
        Total {
            label: "企业派出工程师",
            have: received,
            target: targets.enterprise_to_school,
        },
        Total {
            label: "其中挂任产业副院长",
            have: dean,
            target: targets.industry_dean,
        },
    ];
    let posts = params
        .posts
        .school
        .iter()
        .chain(&params.posts.enterprise)
        .cloned()
        .collect();
    Ok(Gathered {
        batch_name: batch.name.clone(),
        people,
        totals,
        programme,
        duplicates,
        tiers: params.tiers.iter().map(|t| t.name.clone()).collect(),
        kinds: params
            .enterprise_kinds
            .iter()
            .map(|k| k.name.clone())
            .collect(),
        posts,
        districts: districts.into_iter().collect(),
        partial: !matches!(scope, Scope::All),
        unmasked,
    })
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
    let rows: Vec<Vec<String>> = g.people.iter().map(Person::cells).collect();
    let title = format!("{}交流互聘人员汇总名单", g.batch_name);
    let bytes = tokio::task::spawn_blocking(move || {
        shuangshi_sheet::write::table_xlsx("汇总名单", &title, &HEADERS, &rows)
    })
    .await
    .map_err(AppError::internal)?
    .map_err(AppError::internal)?;
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
