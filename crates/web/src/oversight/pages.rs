//! 报送名单 for the oversight bodies and 报送分送 for the commission (四(四): schools report
//! 「同时按隶属关系分别报送市国资委、市工商联」; the commission decides the list 「会同各有关部门」).
//!
//! A submitted form is routed at submission to 市国资委 or 市工商联 by its enterprise's kind and
//! 隶属关系 (`shuangshi_rules::copy_to`), or to nobody (未分送). 国资委查阅 and 工商联查阅 see the
//! copies routed to their body only — never a draft — with the submission's status and the
//! selection's outcome, numbers always masked; on every accepted person they record 无异议 or
//! 有异议 (with a reason), which the commission reads on its selection page. 市教委管理员 sees every
//! copy with the filter 分送 (市国资委 / 市工商联 / 未分送) and may show the numbers in full
//! (「查看完整」, audited).
//!
//! Every door calls `shuangshi_app::selection` (`App::copies`, `App::record_opinion`): the page
//! `GET /list`, its export `GET /list.xlsx`, the opinion form `POST /list/opinions/{id}`, and the
//! API `GET /api/v1/copies`, `POST /api/v1/copies/{id}/opinion`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use shuangshi_app::selection::{CopiedPerson, CopyFilter};
use shuangshi_store::{BatchRecord, Role, SubmissionStatus};
use tower_sessions::Session;

use crate::auth::{CsrfForm, CurrentUser};
use crate::disclosure::Disclosure;
use crate::error::AppError;
use crate::filters;
use crate::session::{push_flash, take_flash};
use crate::state::AppState;
use crate::ui::{self, Flash, Frame, Pager, SearchField, SearchForm, SelectOption};

/// Who reads the copies: 国资委查阅, 工商联查阅 (their body's) and 市教委管理员 (every copy).
pub const READERS: &[Role] = &[Role::SasacViewer, Role::FederationViewer, Role::Admin];

/// The 报送状态 a copy can have (a draft is never routed).
const STATUSES: [SubmissionStatus; 3] = [
    SubmissionStatus::Submitted,
    SubmissionStatus::Accepted,
    SubmissionStatus::Returned,
];

/// The 遴选结果 a copied person can have.
pub const OUTCOMES: [&str; 6] = ["未受理", "待遴选", "入选", "未入选", "公示中", "已公布"];

/// The 分送 targets (the commission's filter), as (value, label).
const BODIES: [(&str, &str); 3] = [
    ("sasac", "市国资委"),
    ("federation", "市工商联"),
    ("none", "未分送"),
];

/// The filters of the page, the export and the API (blank: any).
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CopiesQuery {
    /// Part of a name, a school or an enterprise.
    #[serde(default)]
    pub q: String,
    /// 报送状态: 已报送, 已受理 or 已退回 (or `submitted`, `accepted`, `returned`).
    #[serde(default)]
    pub status: String,
    /// 遴选结果: 未受理, 待遴选, 入选, 未入选, 公示中 or 已公布.
    #[serde(default)]
    pub outcome: String,
    /// 分送 (市教委管理员 only): `sasac`, `federation` or `none` (未分送).
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub page: Option<u64>,
    #[serde(default)]
    pub per_page: Option<u32>,
    /// `1`: mobile and account numbers in full (市教委管理员 only; audited). Read by the request's
    /// [`Disclosure`].
    #[serde(default)]
    pub full: Option<u8>,
}

/// A status filter as the use case compares it: the label, whether the label or the code was sent.
fn status_label(s: &str) -> String {
    let s = s.trim();
    STATUSES
        .into_iter()
        .find(|x| x.as_str() == s)
        .map_or_else(|| s.to_owned(), |x| x.label().to_owned())
}

impl CopiesQuery {
    /// The filters by name, in the order of the search form.
    fn filters(&self) -> [(&'static str, &str); 4] {
        [
            ("q", &self.q),
            ("status", &self.status),
            ("outcome", &self.outcome),
            ("body", &self.body),
        ]
    }

    /// The filters as the use case takes them; 分送 only for the commission (an oversight body
    /// sees its own copies whatever it asks).
    fn filter(&self, user: &CurrentUser) -> CopyFilter {
        CopyFilter {
            q: self.q.trim().to_owned(),
            status: status_label(&self.status),
            outcome: self.outcome.trim().to_owned(),
            body: if is_commission(user) {
                self.body.trim().to_owned()
            } else {
                String::new()
            },
        }
    }

    /// The filters as a query string (without the page and `full`).
    fn query_string(&self) -> String {
        crate::ui::filter_query(&self.filters())
    }

    fn is_filtered(&self) -> bool {
        self.filters().iter().any(|(_, v)| !v.trim().is_empty())
    }
}

fn is_commission(user: &CurrentUser) -> bool {
    user.role() == Role::Admin
}

/// The oversight body an account speaks for.
fn body_label(role: Role) -> Option<&'static str> {
    match role {
        Role::SasacViewer => Some("市国资委"),
        Role::FederationViewer => Some("市工商联"),
        _ => None,
    }
}

/// 「第十批报送名单（市国资委）」 for a body's account, 「第十批报送分送」 for the commission.
fn title(batch: &BatchRecord, role: Role) -> String {
    match body_label(role) {
        Some(body) => format!("{}报送名单（{body}）", batch.name),
        None => format!("{}报送分送", batch.name),
    }
}

/// The copies this account sees with the query's filters. Numbers through `disclosure`, which
/// for the oversight bodies never shows them in full.
pub(super) async fn gather(
    state: &AppState,
    user: &CurrentUser,
    disclosure: &Disclosure,
    q: &CopiesQuery,
) -> Result<(BatchRecord, Vec<CopiedPerson>), AppError> {
    let batch = crate::shared::batch::batch_or_conflict(&state.store).await?;
    let people = state
        .app
        .copies(&user.scope(), &batch, &q.filter(user), disclosure)
        .await?;
    Ok((batch, people))
}

/// One count of the panel, with the link that filters on it.
pub struct Count {
    pub label: &'static str,
    pub n: usize,
    pub href: String,
}

fn count_of(
    people: &[CopiedPerson],
    labels: &[&'static str],
    name: &str,
    value_of: impl Fn(&CopiedPerson) -> &str,
    param: impl Fn(&'static str) -> &'static str,
) -> Vec<Count> {
    labels
        .iter()
        .map(|&label| Count {
            label,
            n: people.iter().filter(|p| value_of(p) == label).count(),
            href: format!(
                "/list?{}",
                serde_urlencoded::to_string([(name, param(label))]).unwrap_or_default()
            ),
        })
        .collect()
}

/// The counts per 报送状态, 遴选结果 and (for the commission) 分送 over everything the account sees.
fn counts(people: &[CopiedPerson], commission: bool) -> [Vec<Count>; 3] {
    let statuses: Vec<&'static str> = STATUSES.iter().map(|s| s.label()).collect();
    let bodies: Vec<&'static str> = BODIES.iter().map(|(_, l)| *l).collect();
    [
        count_of(people, &statuses, "status", |p| p.status, |l| l),
        count_of(people, &OUTCOMES, "outcome", |p| p.outcome, |l| l),
        if commission {
            count_of(
                people,
                &bodies,
                "body",
                |p| p.body,
                |l| BODIES.iter().find(|(_, b)| *b == l).map_or("", |(v, _)| *v),
            )
        } else {
            Vec::new()
        },
    ]
}

/// 报送名单 / 报送分送.
#[derive(Template, WebTemplate)]
#[template(path = "admin/list.html")]
pub struct CopiesPage {
    pub frame: Frame,
    pub search: SearchForm,
    pub columns: Vec<ui::Column>,
    pub rows: Vec<(u64, CopiedPerson)>,
    pub pager: Pager,
    /// People seen by the account (before the filters), and matching the filters.
    pub seen: usize,
    pub matched: usize,
    pub statuses: Vec<Count>,
    pub outcomes: Vec<Count>,
    /// The commission's counts per 分送 (empty for an oversight body).
    pub bodies: Vec<Count>,
    /// The account's body (「市国资委」), "" for the commission.
    pub body: &'static str,
    /// An oversight body: the opinion forms are shown.
    pub oversight: bool,
    pub export_href: String,
    /// The page itself (with the filters, without `full`) for the 「查看完整」 toggle.
    pub self_href: String,
    /// 「?」 or 「&」: what adds a parameter to `self_href`.
    pub self_sep: &'static str,
    pub full: bool,
    pub may_unmask: bool,
    /// The page with its filters and page, for coming back after an opinion.
    pub back: String,
}

/// `GET /list`.
pub async fn oversight_list(
    State(state): State<AppState>,
    user: CurrentUser,
    disclosure: Disclosure,
    session: Session,
    Query(q): Query<CopiesQuery>,
) -> Result<Response, AppError> {
    let commission = is_commission(&user);
    let (batch, people) = gather(&state, &user, &disclosure, &q).await?;
    let all = if q.is_filtered() {
        state
            .app
            .copies(
                &user.scope(),
                &batch,
                &CopyFilter::default(),
                &Disclosure::masked(&user),
            )
            .await?
    } else {
        people.clone()
    };
    let [statuses, outcomes, bodies] = counts(&all, commission);
    let matched = people.len();
    let pager = q.filters().into_iter().fold(
        Pager::new(
            "/list",
            q.page.unwrap_or(1),
            q.per_page.unwrap_or(20),
            matched as u64,
        ),
        |pager, (name, value)| pager.keep(name, value.trim()),
    );
    let start = usize::try_from(pager.offset())
        .unwrap_or(usize::MAX)
        .min(matched);
    let end = (start + pager.per_page as usize).min(matched);
    let rows: Vec<(u64, CopiedPerson)> = people
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
                "copies",
                "copies".to_owned(),
                format!("{} 人（第 {} 页）", rows.len(), pager.page),
            )
            .await;
    }
    let search = search_form(&q, commission);
    let columns = [
        ("序号", "num"),
        ("姓名", ""),
        ("学校", "col-unit"),
        ("企业（类别 · 隶属关系）", "col-unit"),
        ("拟挂任职务", ""),
        ("交流期限", ""),
        ("手机号码", ""),
        ("账户账号", ""),
        ("报送状态", ""),
        ("遴选结果", ""),
        ("意见", "col-note"),
    ]
    .into_iter()
    .map(|(label, class)| {
        let c = ui::Column::new(label);
        if class.is_empty() { c } else { c.class(class) }
    })
    .collect();
    let query = q.query_string();
    let with = |path: &str, full: bool| crate::ui::href_with(path, &query, full);
    let export_href = with("/list.xlsx", disclosure.full());
    let self_href = with("/list", false);
    let back = {
        let mut parts = vec![query.clone()];
        if pager.page > 1 {
            parts.push(format!("page={}&per_page={}", pager.page, pager.per_page));
        }
        let parts: Vec<String> = parts.into_iter().filter(|p| !p.is_empty()).collect();
        if parts.is_empty() {
            "/list".to_owned()
        } else {
            format!("/list?{}", parts.join("&"))
        }
    };
    let mut frame = user
        .frame_with_batch(
            &state,
            &title(&batch, user.role()),
            if commission { "selection" } else { "list" },
        )
        .await?;
    for f in take_flash(&session).await {
        frame = frame.flash(f);
    }
    Ok(CopiesPage {
        frame,
        search,
        columns,
        rows,
        pager,
        seen: all.len(),
        matched,
        statuses,
        outcomes,
        bodies,
        body: body_label(user.role()).unwrap_or(""),
        oversight: body_label(user.role()).is_some(),
        export_href,
        self_sep: if self_href.contains('?') { "&" } else { "?" },
        self_href,
        full: disclosure.full(),
        may_unmask: disclosure.may_unmask(),
        back,
    }
    .into_response())
}

/// The search form of 名单查阅 with `q`'s filters (the page shows it, the export describes its
/// filters in the audit log with it); the commission also filters by 分送.
fn search_form(q: &CopiesQuery, commission: bool) -> SearchForm {
    let mut search = SearchForm::new("/list")
        .field(SearchField::text("q", "姓名或单位", &q.q))
        .field(SearchField::select(
            "status",
            "报送状态",
            &status_label(&q.status),
            STATUSES
                .iter()
                .map(|s| SelectOption::new(s.label(), s.label()))
                .collect(),
        ))
        .field(SearchField::select(
            "outcome",
            "遴选结果",
            &q.outcome,
            OUTCOMES.iter().map(|o| SelectOption::new(*o, *o)).collect(),
        ));
    if commission {
        search = search.field(SearchField::select(
            "body",
            "分送",
            &q.body,
            BODIES
                .iter()
                .map(|(v, l)| SelectOption::new(*v, *l))
                .collect(),
        ));
    }
    search
}

/// `GET /list.xlsx`: the filtered list (every page), audited; masked for the oversight bodies.
pub async fn export(
    State(state): State<AppState>,
    user: CurrentUser,
    disclosure: Disclosure,
    Query(q): Query<CopiesQuery>,
) -> Result<Response, AppError> {
    let (batch, people) = gather(&state, &user, &disclosure, &q).await?;
    let name = title(&batch, user.role());
    let count = people.len();
    let sheet_title = name.clone();
    let bytes = tokio::task::spawn_blocking(move || {
        shuangshi_app::selection::copies_xlsx(&sheet_title, &people)
    })
    .await
    .map_err(AppError::internal)??;
    crate::shared::audit::audit(
        &state.store,
        &user,
        if disclosure.full() {
            "export.copies_unmasked"
        } else {
            "export.copies"
        },
        "copies".to_owned(),
        format!(
            "{count} 人；筛选：{}",
            search_form(&q, is_commission(&user)).describe()
        ),
    )
    .await;
    Ok(crate::shared::download::attachment(
        bytes,
        crate::shared::download::XLSX,
        &format!("{name}.xlsx"),
    ))
}

/// The opinion form of one person.
#[derive(Debug, Default, Deserialize)]
pub struct OpinionForm {
    /// `agree` (无异议) or `object` (有异议).
    #[serde(default)]
    pub opinion: String,
    /// Required for 有异议.
    #[serde(default)]
    pub reason: String,
    /// The list page to come back to (a local `/list…` path).
    #[serde(default)]
    pub back: String,
}

/// A local path of this page to come back to (anything else: the page itself).
fn back_to(s: &str) -> String {
    let local = s == "/list" || s.starts_with("/list?");
    if local && s.chars().all(|c| c.is_ascii_graphic()) {
        s.to_owned()
    } else {
        "/list".to_owned()
    }
}

/// `agree` → false, `object` → true.
pub(super) fn parse_opinion(s: &str) -> Option<bool> {
    match s.trim() {
        "agree" => Some(false),
        "object" => Some(true),
        _ => None,
    }
}

/// `POST /list/opinions/{selection_id}`: 无异议 / 有异议 with a reason, back to the list.
pub async fn opinion(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Path(selection_id): Path<i64>,
    CsrfForm(form): CsrfForm<OpinionForm>,
) -> Result<Response, AppError> {
    let back = back_to(&form.back);
    let Some(object) = parse_opinion(&form.opinion) else {
        push_flash(&session, Flash::error("请选择「无异议」或「有异议」")).await;
        return Ok(crate::shared::flash::back(&back));
    };
    let flash = match state
        .app
        .record_opinion(
            &user.scope(),
            &user.actor(),
            selection_id,
            object,
            &form.reason,
        )
        .await
    {
        Ok(()) => Flash::success(if object {
            "已提交意见「有异议」，市教委确定名单时将参考"
        } else {
            "已提交意见「无异议」"
        }),
        Err(shuangshi_app::Error::Refused(r)) => Flash::error(r.message),
        Err(e) => return Err(e.into()),
    };
    push_flash(&session, flash).await;
    Ok(crate::shared::flash::back(&back))
}

// ---------------------------------------------------------------------------------------------
// JSON API.

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_list_paths_are_followed_back() {
        assert_eq!(back_to("/list?status=%E5%B7%B2"), "/list?status=%E5%B7%B2");
        assert_eq!(back_to("/list"), "/list");
        assert_eq!(back_to("//evil.example/list"), "/list");
        assert_eq!(back_to("https://evil.example/"), "/list");
        assert_eq!(back_to("/listing"), "/list");
        assert_eq!(back_to("/list?q=a\nb"), "/list");
        assert_eq!(back_to("/list?q=张"), "/list");
    }

    #[test]
    fn status_codes_read_as_labels() {
        assert_eq!(status_label("accepted"), "已受理");
        assert_eq!(status_label("已退回"), "已退回");
        assert_eq!(status_label(""), "");
    }
}
