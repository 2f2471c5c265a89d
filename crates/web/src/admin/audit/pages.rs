//! 审计日志: the hash-chained log in Chinese, newest first — every action by its Chinese name
//! ([`shuangshi_store::audit::ACTION_NAMES`], the one table), every actor by the account's name and
//! organisation, every object by what it is — filtered by 操作人, 操作类型 and 起止日期 (a GET
//! query kept in the page links), exported as xlsx (`/admin/audit.xlsx`, the filtered log, itself
//! audited as `export.audit`); 「校验」 walks the chain and names the first broken entry.
//!
//! Its routes are declared in [`crate::admin::audit`]; `/api/v1/audit` is in its `api.rs`.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use serde::Deserialize;
use shuangshi_store::audit::{ACTION_GROUPS, ActorMatch, AuditSearch, action_name};
use shuangshi_store::{
    AuditFilter, AuditRecord, OrgFilter, PageRequest, Role, Scope, Store, UserFilter,
};
use tower_sessions::Session;

use crate::auth::{CsrfForm, CurrentUser};
use crate::error::AppError;
use crate::filters;
use crate::fmt::{SHANGHAI, url_encode};
use crate::session::{push_flash, take_flash};
use crate::shared::pagination::Paging;
use crate::shared::query::non_empty;
use crate::state::AppState;
use crate::ui::{Column, Flash, Frame, Pager, SelectOption};

/// The most entries one export holds; a larger selection is refused with advice to narrow it.
pub const MAX_EXPORT: u64 = 50_000;

/// Characters of the 详情 shown in a row (the whole text is in the tooltip and the export).
const DETAIL_CHARS: usize = 40;

/// One entry as the page and the export show it.
pub struct AuditRow {
    pub id: i64,
    pub at: String,
    pub action: String,
    /// The code, kept out of the visible text (`data-action`) for tools and tests.
    pub code: String,
    pub actor: String,
    pub actor_org: String,
    pub ip: String,
    pub target: String,
    pub detail: String,
}

impl AuditRow {
    /// The first [`DETAIL_CHARS`] characters of the detail (with 「…」 when cut).
    pub fn detail_short(&self) -> String {
        let mut chars = self.detail.chars();
        let head: String = chars.by_ref().take(DETAIL_CHARS).collect();
        if chars.next().is_some() {
            format!("{head}…")
        } else {
            head
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/audit.html")]
pub struct AuditPage {
    pub frame: Frame,
    pub q: AuditQuery,
    pub groups: Vec<SelectOption>,
    pub columns: Vec<Column>,
    pub rows: Vec<AuditRow>,
    pub pager: Pager,
    pub export_href: String,
    /// Filters that could not be read (a malformed date), said above the list.
    pub problems: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    /// A prefix of the action codes ([`ACTION_GROUPS`]).
    #[serde(default)]
    pub action: String,
    /// 操作人: a text in the account's name, user name or organisation.
    #[serde(default)]
    pub user: String,
    /// 起始日期 `YYYY-MM-DD` (Beijing time), inclusive.
    #[serde(default)]
    pub from: String,
    /// 截止日期 `YYYY-MM-DD` (Beijing time), inclusive.
    #[serde(default)]
    pub to: String,
    /// An exact object (`form:12`), for links from elsewhere.
    #[serde(default)]
    pub target: String,
    #[serde(flatten)]
    pub paging: Paging,
}

impl AuditQuery {
    /// The filters as `name=value` pairs (blank ones left out).
    fn pairs(&self) -> Vec<(&'static str, &str)> {
        [
            ("user", self.user.trim()),
            ("action", self.action.trim()),
            ("from", self.from.trim()),
            ("to", self.to.trim()),
            ("target", self.target.trim()),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect()
    }

    /// The filters in Chinese, as the audit entry of an export records them (「无」 when none).
    pub fn describe(&self) -> String {
        let parts: Vec<String> = self
            .pairs()
            .into_iter()
            .map(|(k, v)| match k {
                "user" => format!("操作人「{v}」"),
                "action" => {
                    let name = ACTION_GROUPS
                        .iter()
                        .find(|(code, _)| *code == v)
                        .map(|(_, label)| (*label).to_owned())
                        .unwrap_or_else(|| action_name(v));
                    format!("操作类型「{name}」")
                }
                "from" => format!("起始日期「{v}」"),
                "to" => format!("截止日期「{v}」"),
                _ => format!("对象「{v}」"),
            })
            .collect();
        if parts.is_empty() {
            "无".to_owned()
        } else {
            parts.join("，")
        }
    }

    /// The filters as a query string (no page).
    pub fn query_string(&self) -> String {
        self.pairs()
            .iter()
            .map(|(k, v)| format!("{k}={}", url_encode(v)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// A date typed in the filter, `YYYY-MM-DD` (also `YYYY/MM/DD`).
fn parse_date(text: &str) -> Option<NaiveDate> {
    let t = text.trim().replace('/', "-");
    NaiveDate::parse_from_str(&t, "%Y-%m-%d").ok()
}

/// The start of `day` in Beijing time, in UTC.
fn day_start(day: NaiveDate) -> Option<DateTime<Utc>> {
    SHANGHAI
        .from_local_datetime(&day.and_hms_opt(0, 0, 0)?)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// The search the query asks for, with what of it could not be read.
async fn search_of(store: &Store, q: &AuditQuery) -> Result<(AuditSearch, Vec<String>), AppError> {
    let mut problems = Vec::new();
    let mut search = AuditSearch {
        filter: AuditFilter {
            action_prefix: non_empty(&q.action),
            actor_user_id: None,
            target: non_empty(&q.target),
        },
        ..AuditSearch::default()
    };
    if let Some(text) = non_empty(&q.user) {
        search.actor = Some(actors_matching(store, &text).await?);
    }
    if let Some(t) = non_empty(&q.from) {
        match parse_date(&t).and_then(day_start) {
            Some(at) => search.from = Some(at),
            None => problems.push(format!(
                "起始日期「{t}」无法识别，请按「2023-09-24」的格式填写；本次未按起始日期筛选"
            )),
        }
    }
    if let Some(t) = non_empty(&q.to) {
        match parse_date(&t)
            .and_then(|d| d.checked_add_days(Days::new(1)))
            .and_then(day_start)
        {
            Some(at) => search.until = Some(at),
            None => problems.push(format!(
                "截止日期「{t}」无法识别，请按「2023-09-24」的格式填写；本次未按截止日期筛选"
            )),
        }
    }
    if let (Some(from), Some(until)) = (search.from, search.until)
        && from >= until
    {
        problems.push("起始日期晚于截止日期，没有符合条件的记录".to_owned());
    }
    Ok((search, problems))
}

/// The accounts a 操作人 text names: its name or user name contains the text, or its
/// organisation's name does; and any recorded actor name containing it (「系统」, a name typed
/// at a failed login).
async fn actors_matching(store: &Store, text: &str) -> Result<ActorMatch, AppError> {
    const MANY: u64 = 500;
    let mut ids: Vec<i64> = store
        .list_users(
            &UserFilter {
                name: Some(text.to_owned()),
                ..UserFilter::default()
            },
            PageRequest::new(0, MANY),
        )
        .await?
        .items
        .into_iter()
        .map(|u| u.id)
        .collect();
    let orgs = store
        .list_orgs(
            &Scope::All,
            &OrgFilter {
                name: Some(text.to_owned()),
                ..OrgFilter::default()
            },
            PageRequest::new(0, 50),
        )
        .await?;
    for org in orgs.items {
        let users = store
            .list_users(
                &UserFilter {
                    org_id: Some(org.id),
                    ..UserFilter::default()
                },
                PageRequest::new(0, MANY),
            )
            .await?;
        ids.extend(users.items.into_iter().map(|u| u.id));
    }
    // The commission's own accounts have no organisation row: its name finds them by role.
    for (org_name, role_set) in COMMISSION_ORGS {
        if org_name.contains(text) {
            for role in *role_set {
                let users = store
                    .list_users(
                        &UserFilter {
                            role: Some(*role),
                            ..UserFilter::default()
                        },
                        PageRequest::new(0, MANY),
                    )
                    .await?;
                ids.extend(users.items.into_iter().map(|u| u.id));
            }
        }
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(ActorMatch {
        user_ids: ids,
        name: text.to_owned(),
    })
}

/// The organisation shown for accounts without one, by role.
const COMMISSION_ORGS: &[(&str, &[Role])] = &[
    ("重庆市教育委员会", &[Role::Admin, Role::VocationalReviewer]),
    ("重庆市国资委", &[Role::SasacViewer]),
    ("重庆市工商联", &[Role::FederationViewer]),
];

fn org_of_role(role: Role) -> &'static str {
    COMMISSION_ORGS
        .iter()
        .find(|(_, roles)| roles.contains(&role))
        .map_or("", |(name, _)| name)
}

/// The names of accounts, organisations and batches the log refers to by id, each read once.
struct Names<'a> {
    store: &'a Store,
    users: HashMap<i64, Option<(String, String)>>,
    orgs: HashMap<i64, Option<String>>,
    batches: HashMap<i64, Option<String>>,
}

impl<'a> Names<'a> {
    fn new(store: &'a Store) -> Self {
        Names {
            store,
            users: HashMap::new(),
            orgs: HashMap::new(),
            batches: HashMap::new(),
        }
    }

    async fn org(&mut self, id: i64) -> Result<Option<String>, AppError> {
        if let Some(n) = self.orgs.get(&id) {
            return Ok(n.clone());
        }
        let name = self.store.get_org(&Scope::All, id).await?.map(|o| o.name);
        self.orgs.insert(id, name.clone());
        Ok(name)
    }

    /// An account's (name, organisation).
    async fn user(&mut self, id: i64) -> Result<Option<(String, String)>, AppError> {
        if let Some(n) = self.users.get(&id) {
            return Ok(n.clone());
        }
        let found = match self.store.get_user(id).await? {
            Some(u) => {
                let name = if u.display_name.trim().is_empty() {
                    u.username.clone()
                } else {
                    format!("{}（{}）", u.display_name.trim(), u.username)
                };
                let org = match u.org_id {
                    Some(org) => self.org(org).await?.unwrap_or_default(),
                    None => org_of_role(u.role).to_owned(),
                };
                Some((name, org))
            }
            None => None,
        };
        self.users.insert(id, found.clone());
        Ok(found)
    }

    async fn batch(&mut self, id: i64) -> Result<Option<String>, AppError> {
        if let Some(n) = self.batches.get(&id) {
            return Ok(n.clone());
        }
        let name = self.store.get_batch(id).await?.map(|b| b.name);
        self.batches.insert(id, name.clone());
        Ok(name)
    }

    /// Who did it: (name, organisation).
    async fn actor(&mut self, rec: &AuditRecord) -> Result<(String, String), AppError> {
        if let Some(id) = rec.actor_user_id
            && let Some(found) = self.user(id).await?
        {
            return Ok(found);
        }
        let name = rec.actor_name.trim();
        Ok(match (rec.actor_user_id, name) {
            (_, "") => ("—".to_owned(), String::new()),
            (None, "系统" | "公众") => (name.to_owned(), String::new()),
            (None, _) => (format!("{name}（非本系统账号）"), String::new()),
            (Some(_), _) => (name.to_owned(), String::new()),
        })
    }

    /// A reference `kind:id` in words.
    async fn reference(&mut self, kind: &str, id: i64) -> Result<Option<String>, AppError> {
        Ok(Some(match kind {
            "user" => match self.user(id).await? {
                Some((name, _)) => format!("账号 {name}"),
                None => format!("账号（编号 {id}）"),
            },
            "org" | "school" => match self.org(id).await? {
                Some(name) => name,
                None => format!("单位（编号 {id}）"),
            },
            "batch" => match self.batch(id).await? {
                Some(name) => name,
                None => format!("批次（编号 {id}）"),
            },
            "form" => format!("推荐表（编号 {id}）"),
            "submission" => format!("报送（编号 {id}）"),
            "partnership" => format!("合作关系（编号 {id}）"),
            "selection" => format!("遴选人员（编号 {id}）"),
            "publication" => format!("公示或公布名单（编号 {id}）"),
            "objection" => format!("异议（编号 {id}）"),
            "ledger" => format!("经费拨付（编号 {id}）"),
            "token" => format!("接口令牌（编号 {id}）"),
            "scan" => format!("扫描件（编号 {id}）"),
            _ => return Ok(None),
        }))
    }

    /// What it was done to, in words.
    async fn target(&mut self, target: &str) -> Result<String, AppError> {
        let t = target.trim();
        let plain = match t {
            "" => Some("—"),
            "roster" => Some("汇总名单"),
            "copies" => Some("分送名单"),
            "orgs" => Some("单位名录"),
            "audit" => Some("审计日志"),
            _ => None,
        };
        if let Some(p) = plain {
            return Ok(p.to_owned());
        }
        if let Some((kind, id)) = t.split_once(':')
            && let Ok(id) = id.parse::<i64>()
            && let Some(words) = self.reference(kind, id).await?
        {
            return Ok(words);
        }
        Ok(t.to_owned())
    }

    /// The detail with its references (`org:5`, `batch:2`, …) named and the system's few English
    /// phrases in Chinese.
    async fn detail(&mut self, action: &str, detail: &str) -> Result<String, AppError> {
        if action == "audit.verify" {
            if let Some(n) = detail.strip_prefix("ok ") {
                return Ok(format!("校验通过，共 {n} 条"));
            }
            if let Some(n) = detail.strip_prefix("broken at ") {
                return Ok(format!("第 {n} 条起校验未通过"));
            }
        }
        if let Some((_, zh)) = DETAIL_SAYS.iter().find(|(en, _)| *en == detail.trim()) {
            return Ok((*zh).to_owned());
        }
        let mut out = String::with_capacity(detail.len());
        for (i, word) in detail.split(' ').enumerate() {
            if i > 0 {
                out.push(' ');
            }
            let named = match word.split_once(':') {
                Some((kind, id)) if !kind.is_empty() => match id.parse::<i64>() {
                    Ok(id) => self.reference(kind, id).await?,
                    Err(_) => None,
                },
                _ => None,
            };
            out.push_str(named.as_deref().unwrap_or(word));
        }
        for (en, zh) in DETAIL_WORDS {
            out = out.replace(en, zh);
        }
        Ok(out)
    }

    async fn row(&mut self, rec: AuditRecord) -> Result<AuditRow, AppError> {
        let (actor, actor_org) = self.actor(&rec).await?;
        Ok(AuditRow {
            id: rec.id,
            at: crate::fmt::datetime(&rec.at),
            action: action_name(&rec.action),
            actor,
            actor_org,
            ip: rec.ip.clone(),
            target: self.target(&rec.target).await?,
            detail: self.detail(&rec.action, &rec.detail).await?,
            code: rec.action,
        })
    }
}

/// Whole details the system writes in English, in Chinese.
const DETAIL_SAYS: &[(&str, &str)] = &[
    ("unknown user", "用户名不存在"),
    ("inactive", "账号已停用"),
    ("api", "通过接口"),
];

/// The English phrases some details are written with, in Chinese (applied in order).
const DETAIL_WORDS: &[(&str, &str)] = &[
    ("sessions ended: ", "结束会话 "),
    ("; tokens revoked: ", "；吊销令牌 "),
    ("; rows kept ", "；保留 "),
    (", added ", "、新增 "),
    (", removed ", "、删除 "),
    (" -> ", " → "),
    ("version ", "版本 "),
    ("receipt ", "回执 "),
    (" snapshot sha256 ", "；快照 SHA-256 "),
    (" sha256 ", " SHA-256 "),
    (" rows ", " 人员 "),
    ("revision ", "修订 "),
    ("entries ", "人数 "),
    (" until ", " 截止 "),
    ("reason ", "原因 "),
    (" refusals within ", " 次被拒（"),
    (" minutes; last: ", " 分钟内）；最近一次："),
];

/// The kinds of action offered in the filter.
fn groups() -> Vec<SelectOption> {
    ACTION_GROUPS
        .iter()
        .map(|(v, l)| SelectOption::new(*v, *l))
        .collect()
}

/// `GET /admin/audit`.
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Query(q): Query<AuditQuery>,
) -> Result<AuditPage, AppError> {
    let (search, problems) = search_of(&state.store, &q).await?;
    let first = Pager::new(
        "/admin/audit",
        q.paging.page(),
        q.paging.per_page(),
        u64::MAX,
    );
    let mut page = state
        .store
        .search_audit(
            &search,
            PageRequest::new(first.offset(), u64::from(first.per_page)),
        )
        .await?;
    let mut pager = Pager::new(
        "/admin/audit",
        q.paging.page(),
        q.paging.per_page(),
        page.total,
    );
    for (k, v) in q.pairs() {
        pager = pager.keep(k, v);
    }
    if pager.offset() != first.offset() {
        page = state
            .store
            .search_audit(
                &search,
                PageRequest::new(pager.offset(), u64::from(pager.per_page)),
            )
            .await?;
    }
    let mut names = Names::new(&state.store);
    let mut rows = Vec::with_capacity(page.items.len());
    for rec in page.items {
        rows.push(names.row(rec).await?);
    }
    let mut frame = user.frame_with_batch(&state, "审计日志", "audit").await?;
    for f in take_flash(&session).await {
        frame = frame.flash(f);
    }
    let query = q.query_string();
    let export_href = if query.is_empty() {
        "/admin/audit.xlsx".to_owned()
    } else {
        format!("/admin/audit.xlsx?{query}")
    };
    Ok(AuditPage {
        frame,
        groups: groups(),
        columns: vec![
            Column::new("序号").class("num"),
            Column::new("时间"),
            Column::new("操作人"),
            Column::new("操作"),
            Column::new("对象"),
            Column::new("详情"),
            Column::new("来源地址"),
        ],
        rows,
        pager,
        export_href,
        problems,
        q,
    })
}

/// The columns of the export.
const EXPORT_HEADERS: [&str; 9] = [
    "序号",
    "时间",
    "操作人",
    "所属单位",
    "操作",
    "对象",
    "详情",
    "来源地址",
    "操作代码",
];

/// `GET /admin/audit.xlsx`: the filtered log (every page, newest first), audited as
/// `export.audit`.
pub async fn export(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Query(q): Query<AuditQuery>,
) -> Result<Response, AppError> {
    const CHUNK: u64 = 1000;
    let (search, _) = search_of(&state.store, &q).await?;
    let back = match q.query_string() {
        s if s.is_empty() => "/admin/audit".to_owned(),
        s => format!("/admin/audit?{s}"),
    };
    let mut names = Names::new(&state.store);
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut offset = 0;
    loop {
        let page = state
            .store
            .search_audit(&search, PageRequest::new(offset, CHUNK))
            .await?;
        if page.total > MAX_EXPORT {
            push_flash(
                &session,
                Flash::warning(format!(
                    "符合条件的审计记录有 {} 条，超过一次导出的上限 {} 条；请缩小日期范围或按操作人、操作类型筛选后再导出",
                    crate::fmt::thousands(page.total),
                    crate::fmt::thousands(MAX_EXPORT)
                )),
            )
            .await;
            return Ok(Redirect::to(&back).into_response());
        }
        let n = page.items.len() as u64;
        for rec in page.items {
            let r = names.row(rec).await?;
            rows.push(vec![
                r.id.to_string(),
                r.at,
                r.actor,
                r.actor_org,
                r.action,
                r.target,
                r.detail,
                r.ip,
                r.code,
            ]);
        }
        offset += n;
        if n < CHUNK || offset >= page.total {
            break;
        }
    }
    let count = rows.len();
    let now = crate::fmt::datetime(&Utc::now());
    let title = format!("双千双师交流计划管理系统审计日志（导出于 {now}，共 {count} 条）");
    let bytes = tokio::task::spawn_blocking(move || {
        shuangshi_sheet::write::table_xlsx("审计日志", &title, &EXPORT_HEADERS, &rows)
    })
    .await
    .map_err(AppError::internal)?
    .map_err(|e| AppError::internal(e.0))?;
    let filters = q.describe();
    state
        .store
        .audit(shuangshi_store::AuditEntry::new(
            &user.actor(),
            "export.audit",
            "audit",
            format!("{count} 条；筛选：{filters}"),
        ))
        .await?;
    Ok(crate::shared::download::attachment(
        bytes,
        crate::shared::download::XLSX,
        "审计日志.xlsx",
    ))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_read_in_beijing_time() {
        let d = parse_date("2023-09-24").unwrap_or_default();
        assert_eq!(
            day_start(d).map(|t| t.to_rfc3339()),
            Some("2023-09-23T16:00:00+00:00".to_owned())
        );
        assert!(parse_date("2023/9/24").is_some());
        assert!(parse_date("明天").is_none());
    }

    #[test]
    fn long_details_are_cut_for_the_row() {
        let row = AuditRow {
            id: 1,
            at: String::new(),
            action: String::new(),
            code: String::new(),
            actor: String::new(),
            actor_org: String::new(),
            ip: String::new(),
            target: String::new(),
            detail: "甲".repeat(50),
        };
        assert_eq!(row.detail_short().chars().count(), DETAIL_CHARS + 1);
    }
}
