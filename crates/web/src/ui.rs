//! The page frame and the view-models of the reusable partials.
//!
//! [`Role`] and [`menu_for`] decide what the side menu shows; [`Frame`] is what `base.html` reads
//! (user, organisation, role, menu with the active item, breadcrumbs, batch switcher, CSRF token,
//! flash messages). The other types feed the macros of `templates/partials/ui.html`: [`SearchForm`],
//! [`Toolbar`], [`Column`], [`Pager`], [`ImportPreview`].

use std::fmt;

use serde::{Deserialize, Serialize};
use shuangshi_rules::{Finding, Report, Severity};

use crate::fmt::url_encode;

/// The account roles: the store's [`shuangshi_store::Role`], the one definition.
pub use shuangshi_store::Role;

/// A commission role (人事处 or 职成教处): may switch between batches.
/// A list page's filters as a query string (for its export and paging links): those not blank,
/// in the order given.
pub fn filter_query(filters: &[(&str, &str)]) -> String {
    let kept: Vec<(&str, &str)> = filters
        .iter()
        .copied()
        .filter(|(_, v)| !v.trim().is_empty())
        .collect();
    serde_urlencoded::to_string(kept).unwrap_or_default()
}

/// `path` with a list's query string (see [`filter_query`]) and, when `full`, `full=1` (mobile
/// and account numbers in full, for the roles that may see them).
pub fn href_with(path: &str, query: &str, full: bool) -> String {
    let mut parts: Vec<&str> = Vec::new();
    if !query.is_empty() {
        parts.push(query);
    }
    if full {
        parts.push("full=1");
    }
    if parts.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", parts.join("&"))
    }
}

pub fn is_commission(role: Role) -> bool {
    matches!(role, Role::Admin | Role::VocationalReviewer)
}

/// An oversight body (国资委, 工商联): read-only.
pub fn is_oversight(role: Role) -> bool {
    matches!(role, Role::SasacViewer | Role::FederationViewer)
}

/// One entry of the side menu.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuItem {
    /// Stable key a handler names to mark its entry active (`"partners"`, `"review"`, …).
    pub key: &'static str,
    pub label: &'static str,
    pub href: &'static str,
    /// A Bootstrap Icons name without the `bi-` prefix.
    pub icon: &'static str,
    pub active: bool,
}

const fn item(
    key: &'static str,
    label: &'static str,
    href: &'static str,
    icon: &'static str,
) -> MenuItem {
    MenuItem {
        key,
        label,
        href,
        icon,
        active: false,
    }
}

/// The side menu of `role`: only what the role may use, in the order of its work.
pub fn menu_for(role: Role) -> Vec<MenuItem> {
    let dashboard = item("dashboard", "工作台", "/", "speedometer2");
    match role {
        Role::SchoolOfficer => vec![
            dashboard,
            item("partners", "合作企业", "/partners", "buildings"),
            item("forms", "推荐表", "/forms", "file-earmark-spreadsheet"),
            item("submissions", "报送", "/submissions", "send"),
            item("term", "聘期管理", "/term", "person-workspace"),
            item("ledger", "补助经费", "/ledger", "cash-coin"),
            item("notices", "通知与模板", "/notices", "megaphone"),
        ],
        Role::EnterpriseOfficer => vec![
            dashboard,
            item("partners", "合作学校", "/partners", "mortarboard"),
            item(
                "confirmations",
                "待确认人员",
                "/confirmations",
                "person-check",
            ),
            item("term", "聘期管理", "/term", "person-workspace"),
        ],
        Role::Admin => vec![
            dashboard,
            item("batches", "批次设置", "/admin/batches", "calendar3"),
            item("orgs", "单位名录", "/admin/orgs", "journal-text"),
            item("review", "报送审核", "/review", "clipboard-check"),
            item("roster", "汇总名单", "/roster", "table"),
            item("selection", "遴选与公布", "/selection", "list-check"),
            item("list", "报送分送", "/list", "send-check"),
            item("term", "聘期管理", "/term", "person-workspace"),
            item("ledger", "补助经费", "/ledger", "cash-coin"),
            item("reminders", "催办提醒", "/reminders", "bell"),
            item("audit", "审计日志", "/admin/audit", "shield-lock"),
            item("accounts", "账号管理", "/admin/accounts", "people"),
        ],
        Role::VocationalReviewer => vec![
            dashboard,
            item("review", "报送审核", "/review", "clipboard-check"),
            item("roster", "汇总名单", "/roster", "table"),
            item("term", "聘期管理", "/term", "person-workspace"),
        ],
        Role::SasacViewer | Role::FederationViewer => {
            vec![item("list", "名单查阅", "/list", "card-list")]
        }
    }
}

/// One step of the breadcrumb trail; the last one (the current page) has no link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crumb {
    pub label: String,
    pub href: Option<String>,
}

/// The colour of a flash message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FlashKind {
    Success,
    Info,
    Warning,
    Error,
}

/// A one-time message shown above the content ("已保存", "报送失败：…").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flash {
    pub kind: FlashKind,
    pub message: String,
}

impl Flash {
    pub fn success(message: impl Into<String>) -> Self {
        Flash {
            kind: FlashKind::Success,
            message: message.into(),
        }
    }

    pub fn info(message: impl Into<String>) -> Self {
        Flash {
            kind: FlashKind::Info,
            message: message.into(),
        }
    }

    pub fn warning(message: impl Into<String>) -> Self {
        Flash {
            kind: FlashKind::Warning,
            message: message.into(),
        }
    }

    pub fn error(message: impl Into<String>) -> Self {
        Flash {
            kind: FlashKind::Error,
            message: message.into(),
        }
    }

    /// The Bootstrap alert class.
    pub fn class(&self) -> &'static str {
        match self.kind {
            FlashKind::Success => "alert-success",
            FlashKind::Info => "alert-info",
            FlashKind::Warning => "alert-warning",
            FlashKind::Error => "alert-danger",
        }
    }

    /// The Bootstrap Icons name shown before the message.
    pub fn icon(&self) -> &'static str {
        match self.kind {
            FlashKind::Success => "check-circle-fill",
            FlashKind::Info => "info-circle-fill",
            FlashKind::Warning => "exclamation-triangle-fill",
            FlashKind::Error => "x-circle-fill",
        }
    }
}

/// A batch in the top bar and in the commission's batch switcher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchChoice {
    pub id: i64,
    /// e.g. 「第十批」.
    pub name: String,
}

/// Who is signed in, as the frame shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameUser {
    /// The account's display name (or its user name).
    pub name: String,
    /// The organisation the account belongs to (「重庆市教育委员会」, a school, an enterprise).
    pub org: String,
    pub role: Role,
}

/// Everything `base.html` needs; every page template has a `frame: Frame` field.
#[derive(Debug, Clone)]
pub struct Frame {
    /// The page title: the `<h1>` and the `<title>`, says what the page is for.
    pub title: String,
    pub user: FrameUser,
    /// The side menu of the user's role, with at most one item active.
    pub menu: Vec<MenuItem>,
    pub breadcrumbs: Vec<Crumb>,
    /// The batch the user works in.
    pub batch: Option<BatchChoice>,
    /// The batches a commission user may switch to (empty for everyone else).
    pub batches: Vec<BatchChoice>,
    /// The session's CSRF token, put into every POST form and htmx request.
    pub csrf_token: String,
    pub flash: Vec<Flash>,
}

impl Frame {
    /// A frame for `user` titled `title`, with the role's menu (nothing active) and a breadcrumb
    /// trail of 首页 › `title`.
    pub fn new(user: FrameUser, title: impl Into<String>, csrf_token: impl Into<String>) -> Self {
        let title = title.into();
        let menu = menu_for(user.role);
        Frame {
            breadcrumbs: vec![
                Crumb {
                    label: "首页".into(),
                    href: Some("/".into()),
                },
                Crumb {
                    label: title.clone(),
                    href: None,
                },
            ],
            title,
            user,
            menu,
            batch: None,
            batches: Vec::new(),
            csrf_token: csrf_token.into(),
            flash: Vec::new(),
        }
    }

    /// Marks the menu item `key` active and makes the trail 首页 › item › title (or 首页 › item
    /// when the title is the item's own label).
    pub fn active(mut self, key: &str) -> Self {
        let mut section = None;
        for item in &mut self.menu {
            item.active = item.key == key;
            if item.active {
                section = Some((item.label, item.href));
            }
        }
        if let Some((label, href)) = section {
            let mut trail = vec![Crumb {
                label: "首页".into(),
                href: Some("/".into()),
            }];
            if label == self.title {
                trail.push(Crumb {
                    label: label.into(),
                    href: None,
                });
            } else {
                trail.push(Crumb {
                    label: label.into(),
                    href: Some(href.into()),
                });
                trail.push(Crumb {
                    label: self.title.clone(),
                    href: None,
                });
            }
            self.breadcrumbs = trail;
        }
        self
    }

    /// Replaces the breadcrumb trail; give `None` as the last step's link.
    pub fn breadcrumbs<I, S>(mut self, trail: I) -> Self
    where
        I: IntoIterator<Item = (S, Option<S>)>,
        S: Into<String>,
    {
        self.breadcrumbs = trail
            .into_iter()
            .map(|(label, href)| Crumb {
                label: label.into(),
                href: href.map(Into::into),
            })
            .collect();
        self
    }

    /// Sets the current batch and, for commission roles only, the batches to switch between.
    pub fn batch(mut self, current: BatchChoice, all: Vec<BatchChoice>) -> Self {
        self.batches = if is_commission(self.user.role) {
            all
        } else {
            Vec::new()
        };
        self.batch = Some(current);
        self
    }

    pub fn flash(mut self, flash: Flash) -> Self {
        self.flash.push(flash);
        self
    }

    /// Whether the top bar shows the batch switcher.
    pub fn can_switch_batch(&self) -> bool {
        is_commission(self.user.role) && self.batches.len() > 1
    }
}

/// Submission and person states, each with its colour (UI.md: 草稿 grey, 已报送 blue, 已退回 orange,
/// 已受理 green, 未入选 red).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    Submitted,
    Returned,
    Accepted,
    Pending,
    Selected,
    NotSelected,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Draft => "草稿",
            Status::Submitted => "已报送",
            Status::Returned => "已退回",
            Status::Accepted => "已受理",
            Status::Pending => "待遴选",
            Status::Selected => "入选",
            Status::NotSelected => "未入选",
        }
    }

    /// The tag class of `app.css`.
    pub fn class(self) -> &'static str {
        tag_class(self.label())
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The tag class for a status label; unknown labels get the neutral grey.
pub fn tag_class(label: &str) -> &'static str {
    match label {
        "已报送" | "待确认" | "待审核" | "公示中" | "待复核" | "待审批" => {
            "tag tag-blue"
        }
        "已退回" | "待遴选" | "待拨付" | "待补拨" | "待扣回" | "未填报" => {
            "tag tag-orange"
        }
        "已受理" | "入选" | "已确认" | "已拨付" | "正常" | "已公布" | "已发布" | "异议不成立"
        | "已到岗" | "优秀" | "合格" => "tag tag-green",
        "未入选" | "已拒绝" | "已锁定" | "已停用" | "异议成立" | "未到岗" | "不合格" => {
            "tag tag-red"
        }
        "待处理" | "更正中" => "tag tag-orange",
        _ => "tag tag-grey",
    }
}

/// One option of a `<select>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectOption {
    pub value: String,
    pub label: String,
}

impl SelectOption {
    pub fn new(value: impl Into<String>, label: impl Into<String>) -> Self {
        SelectOption {
            value: value.into(),
            label: label.into(),
        }
    }
}

/// The kind of a search field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchKind {
    Text {
        placeholder: String,
    },
    /// A select whose first option is 「全部」 (empty value).
    Select {
        options: Vec<SelectOption>,
    },
    /// Text with the registry's names of `kind` (`school`, `enterprise`, "" for any) offered as
    /// one types (`partials/ui.html`'s `org_picker`).
    Org {
        kind: &'static str,
        placeholder: String,
    },
}

/// One field of the search form over a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchField {
    /// The query parameter, e.g. `name`.
    pub name: String,
    /// The label shown before the input, e.g. 「名称」.
    pub label: String,
    pub kind: SearchKind,
    /// The current value (from the query string), kept after 查询.
    pub value: String,
}

impl SearchField {
    pub fn text(name: &str, label: &str, value: &str) -> Self {
        SearchField {
            name: name.into(),
            label: label.into(),
            kind: SearchKind::Text {
                placeholder: format!("请输入{label}"),
            },
            value: value.into(),
        }
    }

    pub fn select(name: &str, label: &str, value: &str, options: Vec<SelectOption>) -> Self {
        SearchField {
            name: name.into(),
            label: label.into(),
            kind: SearchKind::Select { options },
            value: value.into(),
        }
    }

    /// An organisation's name, picked from the registry as one types (text without JavaScript).
    pub fn org(name: &str, label: &str, value: &str, kind: &'static str) -> Self {
        SearchField {
            name: name.into(),
            label: label.into(),
            kind: SearchKind::Org {
                kind,
                placeholder: format!("输入{label}的一部分"),
            },
            value: value.into(),
        }
    }

    pub fn is_org(&self) -> bool {
        matches!(self.kind, SearchKind::Org { .. })
    }

    /// The registry kind an organisation field offers ("" for any other field).
    pub fn org_kind(&self) -> &'static str {
        match &self.kind {
            SearchKind::Org { kind, .. } => kind,
            _ => "",
        }
    }

    /// The id of the input, for its `<label for>`.
    pub fn id(&self) -> String {
        format!("q-{}", self.name)
    }

    pub fn is_select(&self) -> bool {
        matches!(self.kind, SearchKind::Select { .. })
    }

    pub fn placeholder(&self) -> &str {
        match &self.kind {
            SearchKind::Text { placeholder } | SearchKind::Org { placeholder, .. } => placeholder,
            SearchKind::Select { .. } => "",
        }
    }

    pub fn options(&self) -> &[SelectOption] {
        match &self.kind {
            SearchKind::Select { options } => options,
            SearchKind::Text { .. } | SearchKind::Org { .. } => &[],
        }
    }
}

/// The search form over a list: a GET form to `action`; 查询 submits, 重置 goes back to `action`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchForm {
    pub action: String,
    pub fields: Vec<SearchField>,
}

impl SearchForm {
    pub fn new(action: impl Into<String>) -> Self {
        SearchForm {
            action: action.into(),
            fields: Vec::new(),
        }
    }

    pub fn field(mut self, field: SearchField) -> Self {
        self.fields.push(field);
        self
    }

    /// The filters in force as a clerk reads them, for the audit log of an export:
    /// 「派出方向「学校派出」、报送状态「已受理」」 (a select's option label, a text as typed), or
    /// 「无」.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = self
            .fields
            .iter()
            .filter(|f| !f.value.trim().is_empty())
            .map(|f| {
                let shown = f
                    .options()
                    .iter()
                    .find(|o| o.value == f.value)
                    .map_or(f.value.trim(), |o| o.label.as_str());
                format!("{}「{shown}」", f.label)
            })
            .collect();
        if parts.is_empty() {
            "无".into()
        } else {
            parts.join("、")
        }
    }
}

/// The toolbar over a list. The macro renders the actions in the fixed order of UI.md: 新增, 导入
/// (primary) then 导出, 下载模板; an action left `None` is not shown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Toolbar {
    /// Link to the "new" page.
    pub new_href: Option<String>,
    /// The label of 新增, when more specific (「新增合作企业」).
    pub new_label: Option<String>,
    /// The id of the import dialog the 导入 button opens.
    pub import_dialog: Option<String>,
    pub export_href: Option<String>,
    pub template_href: Option<String>,
}

impl Toolbar {
    pub fn new_label(&self) -> &str {
        self.new_label.as_deref().unwrap_or("新增")
    }
}

/// A column of a data table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub label: String,
    /// Extra classes for the `<th>` (`text-end` for numbers, `w-actions` for the actions column).
    pub class: String,
}

impl Column {
    pub fn new(label: impl Into<String>) -> Self {
        Column {
            label: label.into(),
            class: String::new(),
        }
    }

    pub fn class(mut self, class: impl Into<String>) -> Self {
        self.class = class.into();
        self
    }
}

/// The page sizes offered under a list.
pub const PAGE_SIZES: [u32; 4] = [10, 20, 50, 100];

/// One link of the pagination bar; `number` is `None` for the gap (「…」) between ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageLink {
    pub number: Option<u64>,
    pub href: String,
    pub current: bool,
}

/// The pagination under a list: total count, page links, page size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pager {
    /// The list's path, e.g. `/partners`.
    pub path: String,
    /// The other query parameters (the search filters), already `name=value` pairs.
    pub query: Vec<(String, String)>,
    /// 1-based.
    pub page: u64,
    pub per_page: u32,
    pub total: u64,
}

impl Pager {
    /// A pager; `page` is clamped to the pages that exist and `per_page` to [`PAGE_SIZES`].
    pub fn new(path: impl Into<String>, page: u64, per_page: u32, total: u64) -> Self {
        let per_page = if PAGE_SIZES.contains(&per_page) {
            per_page
        } else {
            PAGE_SIZES[1]
        };
        let mut pager = Pager {
            path: path.into(),
            query: Vec::new(),
            page: 1,
            per_page,
            total,
        };
        pager.page = page.clamp(1, pager.pages());
        pager
    }

    /// Keeps a search filter in every page link (empty values are dropped).
    pub fn keep(mut self, name: &str, value: &str) -> Self {
        if !value.is_empty() {
            self.query.push((name.into(), value.into()));
        }
        self
    }

    /// Number of pages (at least 1, so an empty list still shows 「第 1 页」).
    pub fn pages(&self) -> u64 {
        self.total.div_ceil(u64::from(self.per_page)).max(1)
    }

    /// The rows to skip for the current page (SQL `OFFSET`).
    pub fn offset(&self) -> u64 {
        (self.page - 1) * u64::from(self.per_page)
    }

    /// The link to page `n` with the current filters and page size.
    pub fn href(&self, n: u64) -> String {
        let mut q: Vec<String> = self
            .query
            .iter()
            .map(|(k, v)| format!("{}={}", url_encode(k), url_encode(v)))
            .collect();
        q.push(format!("page={n}"));
        q.push(format!("per_page={}", self.per_page));
        format!("{}?{}", self.path, q.join("&"))
    }

    pub fn prev_href(&self) -> Option<String> {
        (self.page > 1).then(|| self.href(self.page - 1))
    }

    pub fn next_href(&self) -> Option<String> {
        (self.page < self.pages()).then(|| self.href(self.page + 1))
    }

    /// First, last, and two either side of the current page; gaps between.
    pub fn links(&self) -> Vec<PageLink> {
        let last = self.pages();
        let mut out = Vec::new();
        let mut prev = 0;
        for n in 1..=last {
            let near = n + 2 >= self.page && n <= self.page + 2;
            if n == 1 || n == last || near {
                if prev != 0 && n > prev + 1 {
                    out.push(PageLink {
                        number: None,
                        href: String::new(),
                        current: false,
                    });
                }
                out.push(PageLink {
                    number: Some(n),
                    href: self.href(n),
                    current: n == self.page,
                });
                prev = n;
            }
        }
        out
    }

    pub fn sizes(&self) -> &'static [u32] {
        &PAGE_SIZES
    }
}

/// The findings of one row of an imported file (row `None`: the form's header, footer or the whole
/// school).
#[derive(Debug, Clone, PartialEq)]
pub struct RowFindings {
    pub row: Option<u32>,
    pub errors: usize,
    pub warnings: usize,
    pub findings: Vec<Finding>,
}

impl RowFindings {
    /// 「第 5 行」 or 「表头 / 全表」.
    pub fn label(&self) -> String {
        match self.row {
            Some(r) => format!("第 {r} 行"),
            None => "表头 / 全表".into(),
        }
    }
}

/// The dry-run (预检) result of an import, shown in the import dialog.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportPreview {
    pub file_name: String,
    pub people: usize,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    /// Grouped by row, rows in order, the whole-form group first.
    pub groups: Vec<RowFindings>,
    /// Where 确认导入 posts (with `token`), shown only without errors.
    pub commit_action: String,
    /// Identifies the checked upload for the commit.
    pub token: String,
    /// The annotated copy of the file (下载标注文件).
    pub annotated_href: String,
    /// Whether rows with errors may be stored anyway (a recommendation form: the errors then stand
    /// on their cells and block the submission until corrected). The registry is all-or-nothing.
    pub errors_allowed: bool,
}

impl ImportPreview {
    /// Groups a report's findings by row.
    pub fn from_report(file_name: &str, report: &Report) -> Self {
        let mut groups: Vec<RowFindings> = Vec::new();
        let mut findings = report.findings.clone();
        findings.sort_by_key(|f| (f.row.unwrap_or(0), f.severity));
        for f in findings {
            let group = match groups.last_mut() {
                Some(g) if g.row == f.row => g,
                _ => {
                    groups.push(RowFindings {
                        row: f.row,
                        errors: 0,
                        warnings: 0,
                        findings: Vec::new(),
                    });
                    match groups.last_mut() {
                        Some(g) => g,
                        None => continue,
                    }
                }
            };
            match f.severity {
                Severity::Error => group.errors += 1,
                Severity::Warning => group.warnings += 1,
                Severity::Info => {}
            }
            group.findings.push(f);
        }
        ImportPreview {
            file_name: file_name.into(),
            people: report.summary.people,
            errors: report.summary.errors,
            warnings: report.summary.warnings,
            infos: report.summary.infos,
            groups,
            commit_action: String::new(),
            token: String::new(),
            annotated_href: String::new(),
            errors_allowed: false,
        }
    }

    /// Whether 确认导入 is offered: a file with people, and no error unless errors are allowed.
    pub fn can_commit(&self) -> bool {
        self.errors == 0 || (self.errors_allowed && self.people > 0)
    }
}

/// The outline class of a cell with these findings: `cell-error`, `cell-warning`, or none.
pub fn cell_class(findings: &[Finding]) -> &'static str {
    if findings.iter().any(|f| f.severity == Severity::Error) {
        "cell-error"
    } else if findings.iter().any(|f| f.severity == Severity::Warning) {
        "cell-warning"
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn labels(role: Role) -> Vec<&'static str> {
        menu_for(role).into_iter().map(|i| i.label).collect()
    }

    #[test]
    fn a_search_form_describes_its_filters_in_chinese() {
        let form = SearchForm::new("/roster")
            .field(SearchField::text("q", "姓名或单位", " 张 "))
            .field(SearchField::select(
                "status",
                "报送状态",
                "accepted",
                vec![SelectOption::new("accepted", "已受理")],
            ))
            .field(SearchField::select("dup", "重复推荐", "", vec![]));
        assert_eq!(form.describe(), "姓名或单位「张」、报送状态「已受理」");
        assert_eq!(SearchForm::new("/roster").describe(), "无");
    }

    #[test]
    fn each_role_sees_only_its_menu() {
        assert_eq!(
            labels(Role::SchoolOfficer),
            [
                "工作台",
                "合作企业",
                "推荐表",
                "报送",
                "聘期管理",
                "补助经费",
                "通知与模板"
            ]
        );
        assert_eq!(
            labels(Role::EnterpriseOfficer),
            ["工作台", "合作学校", "待确认人员", "聘期管理"]
        );
        assert_eq!(
            labels(Role::Admin),
            [
                "工作台",
                "批次设置",
                "单位名录",
                "报送审核",
                "汇总名单",
                "遴选与公布",
                "报送分送",
                "聘期管理",
                "补助经费",
                "催办提醒",
                "审计日志",
                "账号管理"
            ]
        );
        assert_eq!(
            labels(Role::VocationalReviewer),
            ["工作台", "报送审核", "汇总名单", "聘期管理"]
        );
        assert_eq!(labels(Role::SasacViewer), ["名单查阅"]);
        assert_eq!(labels(Role::FederationViewer), ["名单查阅"]);
        // Administrative entries appear for the admin only.
        for role in Role::ALL {
            let hrefs: Vec<_> = menu_for(role).into_iter().map(|i| i.href).collect();
            let admin_only = hrefs.iter().any(|h| h.starts_with("/admin/"));
            assert_eq!(admin_only, role == Role::Admin, "{role:?}");
            assert!(menu_for(role).iter().all(|i| !i.active));
        }
    }

    #[test]
    fn roles_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::Admin.label(), "市教委管理员");
        assert_eq!(Role::VocationalReviewer.label(), "职成教处审核员");
        assert_eq!(Role::SasacViewer.label(), "国资委查阅");
        assert_eq!(Role::FederationViewer.label(), "工商联查阅");
        assert_eq!(Role::SchoolOfficer.label(), "学校经办人");
        assert_eq!(Role::EnterpriseOfficer.label(), "企业经办人");
        assert!(Role::parse("root").is_none());
        assert!(is_commission(Role::VocationalReviewer) && !is_commission(Role::SasacViewer));
        assert!(is_oversight(Role::FederationViewer) && !is_oversight(Role::Admin));
    }

    #[test]
    fn frame_marks_the_active_item_and_trail() {
        let user = FrameUser {
            name: "张老师".into(),
            org: "重庆某职业学院".into(),
            role: Role::SchoolOfficer,
        };
        let f = Frame::new(user.clone(), "合作企业", "t").active("partners");
        let active: Vec<_> = f.menu.iter().filter(|i| i.active).map(|i| i.key).collect();
        assert_eq!(active, ["partners"]);
        let trail: Vec<_> = f.breadcrumbs.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(trail, ["首页", "合作企业"]);

        let f = Frame::new(user, "新增合作企业", "t").active("partners");
        let trail: Vec<_> = f
            .breadcrumbs
            .iter()
            .map(|c| (c.label.as_str(), c.href.as_deref()))
            .collect();
        assert_eq!(
            trail,
            [
                ("首页", Some("/")),
                ("合作企业", Some("/partners")),
                ("新增合作企业", None)
            ]
        );
        // A school officer never gets the batch switcher.
        let b = |id, name: &str| BatchChoice {
            id,
            name: name.into(),
        };
        let f = f.batch(b(10, "第十批"), vec![b(9, "第九批"), b(10, "第十批")]);
        assert!(!f.can_switch_batch());
    }

    #[test]
    fn pager_links() {
        let p = Pager::new("/partners", 5, 20, 199)
            .keep("name", "重庆 A&B")
            .keep("status", "");
        assert_eq!(p.pages(), 10);
        assert_eq!(p.offset(), 80);
        assert_eq!(
            p.href(2),
            "/partners?name=%E9%87%8D%E5%BA%86%20A%26B&page=2&per_page=20"
        );
        let numbers: Vec<String> = p
            .links()
            .iter()
            .map(|l| l.number.map_or_else(|| "…".to_string(), |n| n.to_string()))
            .collect();
        assert_eq!(numbers, ["1", "…", "3", "4", "5", "6", "7", "…", "10"]);
        let empty = Pager::new("/x", 3, 7, 0);
        assert_eq!((empty.page, empty.per_page, empty.pages()), (1, 20, 1));
        assert!(empty.prev_href().is_none() && empty.next_href().is_none());
    }

    #[test]
    fn tags() {
        assert_eq!(Status::Draft.class(), "tag tag-grey");
        assert_eq!(Status::Submitted.class(), "tag tag-blue");
        assert_eq!(Status::Returned.class(), "tag tag-orange");
        assert_eq!(Status::Accepted.class(), "tag tag-green");
        assert_eq!(Status::NotSelected.class(), "tag tag-red");
    }

    fn finding(rule: &'static str, severity: Severity, row: Option<u32>) -> Finding {
        Finding {
            rule,
            severity,
            file: None,
            sheet: None,
            row,
            column: None,
            value: None,
            school: None,
            message: format!("{rule} 的说明"),
            clause: "附件",
            cell: None,
        }
    }

    #[test]
    fn import_preview_groups_by_row() {
        let report = Report::new(
            "第十批",
            Vec::new(),
            vec![
                finding("F04", Severity::Error, Some(5)),
                finding("F09", Severity::Warning, Some(6)),
                finding("S01", Severity::Warning, None),
                finding("F01", Severity::Error, Some(5)),
            ],
        );
        let p = ImportPreview::from_report("a.xlsx", &report);
        let rows: Vec<_> = p
            .groups
            .iter()
            .map(|g| (g.label(), g.errors, g.warnings, g.findings.len()))
            .collect();
        assert_eq!(
            rows,
            [
                ("表头 / 全表".to_string(), 0, 1, 1),
                ("第 5 行".to_string(), 2, 0, 2),
                ("第 6 行".to_string(), 0, 1, 1),
            ]
        );
        assert_eq!((p.errors, p.warnings), (2, 2));
        assert!(!p.can_commit());
        let p = ImportPreview {
            errors_allowed: true,
            people: 2,
            ..p
        };
        assert!(
            p.can_commit(),
            "a form may be imported with errors to correct them online"
        );
        assert_eq!(cell_class(&p.groups[1].findings), "cell-error");
        assert_eq!(cell_class(&p.groups[2].findings), "cell-warning");
        assert_eq!(cell_class(&[]), "");
    }
}
