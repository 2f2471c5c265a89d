//! 市教委的报送审核：the inbox (filters: status, tier, school; pagination), a submission with its
//! findings and versions, the diff between any two versions (forms, rows and cells added, removed
//! or changed), 受理 and 退回 with reasons (chosen findings plus a note), and the `/api/v1/review`
//! endpoints. 职成教处审核员 sees only 中职 schools: the scope does it, and another school's id
//! answers 404.

use crate::disclosure::Disclosure;
use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use shuangshi_rules::Column;
use shuangshi_rules::text::norm;
use shuangshi_store::{
    Decision, PageRequest, Review, ReviewReason, Scope, Submission, SubmissionFilter,
    SubmissionStatus, VersionInfo,
};
use tower_sessions::Session;

use crate::auth::{CsrfForm, CurrentUser};
use crate::error::AppError;
use crate::filters;
use crate::policy::{Access, RouteRule, Routes, roles};
use crate::session::{push_flash, take_flash};
use crate::state::AppState;
use crate::ui::{self, Flash, Frame, Pager, SearchField, SearchForm, SelectOption};

const COMMISSION: Access = Access::Roles(roles::COMMISSION);

/// Who may call this module's routes (see [`crate::policy`]).
pub const POLICY: &[RouteRule] = &[
    RouteRule::new("GET", "/review", COMMISSION),
    RouteRule::new("GET", "/review/{id}", COMMISSION),
    RouteRule::new("GET", "/review/{id}/diff", COMMISSION),
    RouteRule::new("POST", "/review/{id}/accept", COMMISSION),
    RouteRule::new("POST", "/review/{id}/return", COMMISSION),
    RouteRule::new("GET", "/api/v1/review/submissions", COMMISSION),
    RouteRule::new("GET", "/api/v1/review/submissions/{id}", COMMISSION),
    RouteRule::new("GET", "/api/v1/review/submissions/{id}/diff", COMMISSION),
    RouteRule::new(
        "POST",
        "/api/v1/review/submissions/{id}/decision",
        COMMISSION,
    ),
];

/// This module's routes.
pub fn routes() -> Routes {
    Routes::new()
        .get("/review", inbox)
        .get("/review/{id}", submission_page)
        .get("/review/{id}/diff", diff_page)
        .post("/review/{id}/accept", accept)
        .post("/review/{id}/return", return_submission)
        .get("/api/v1/review/submissions", api_inbox)
        .get("/api/v1/review/submissions/{id}", api_submission)
        .get("/api/v1/review/submissions/{id}/diff", api_diff)
        .post("/api/v1/review/submissions/{id}/decision", api_decide)
}

// ---------------------------------------------------------------------------------------------
// Snapshots as stored by `Store::submit`.

/// An organisation in a snapshot.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct SnapOrg {
    pub id: i64,
    pub name: String,
}

/// A row in a snapshot.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct SnapRow {
    pub row_id: i64,
    /// Cell texts in the order of the 16 official columns, then the 补充信息 columns.
    pub cells: Vec<String>,
    pub confirmed_version: Option<i32>,
}

impl SnapRow {
    pub fn cell(&self, c: Column) -> &str {
        self.cells.get(c as usize).map(String::as_str).unwrap_or("")
    }

    pub fn name(&self) -> &str {
        self.cell(Column::Name)
    }
}

/// The scan a snapshot's form was submitted with.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct SnapScan {
    pub scan_id: i64,
    pub form_version: i32,
}

/// A form in a snapshot.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct SnapForm {
    pub form_id: i64,
    pub enterprise: SnapOrg,
    pub version: i32,
    pub header_school: String,
    pub header_enterprise: String,
    pub filler: String,
    pub phone: String,
    pub rows: Vec<SnapRow>,
    pub scan: Option<SnapScan>,
}

/// A finding in a snapshot's report (RULES.md's JSON shape).
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct SnapFinding {
    pub rule: String,
    pub severity: String,
    pub file: Option<String>,
    pub row: Option<u32>,
    pub column: Option<String>,
    pub value: Option<String>,
    pub message: String,
    pub clause: String,
    pub cell: Option<String>,
}

/// Where a finding is, as a clerk reads it: 「第5行·R列（手机号码）」 (row, column letters and the
/// column's header) when the finding names a cell, else the column's header alone. A bare 「R5」
/// reads like a rule ID (R05, S06), so the address is never shown on its own. (`partials/ui.html`'s
/// `finding_list` spells the same wording out in the template.)
pub fn cell_place(row: Option<u32>, column: &str, cell: Option<&str>) -> String {
    let Some(cell) = cell.map(str::trim).filter(|c| !c.is_empty()) else {
        return column.to_owned();
    };
    let letters: String = cell
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .collect::<String>()
        .to_ascii_uppercase();
    let digits: String = cell[letters.len()..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let row = row
        .map(|r| r.to_string())
        .or_else(|| (!digits.is_empty()).then_some(digits));
    match (row, letters.is_empty()) {
        (Some(r), false) => format!("第{r}行·{letters}列（{column}）"),
        (Some(r), true) => format!("第{r}行（{column}）"),
        (None, false) => format!("{letters}列（{column}）"),
        (None, true) => column.to_owned(),
    }
}

/// The message without the bare cell address the engine appends to 「「手机号码」列（R5）」: the page
/// shows the place as [`cell_place`] beside it.
fn without_address(message: &str, cell: Option<&str>) -> String {
    match cell {
        Some(c) if !c.is_empty() => message.replacen(&format!("（{c}）"), "", 1),
        _ => message.to_owned(),
    }
}

impl SnapFinding {
    /// Where the finding is (「第5行·R列（手机号码）」), when it names a column.
    pub fn place(&self) -> Option<String> {
        self.column
            .as_deref()
            .map(|c| cell_place(self.row, c, self.cell.as_deref()))
    }

    /// 错误 / 警告 / 提示.
    pub fn severity_label(&self) -> &'static str {
        match self.severity.as_str() {
            "error" => "错误",
            "warning" => "警告",
            _ => "提示",
        }
    }
}

/// The report in a snapshot.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct SnapReport {
    pub findings: Vec<SnapFinding>,
}

/// A submitted version's snapshot.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct Snapshot {
    pub receipt_no: String,
    pub version_no: i32,
    pub submitted_at: String,
    pub forms: Vec<SnapForm>,
    pub report: SnapReport,
}

impl SnapFinding {
    fn of(f: &shuangshi_rules::Finding) -> SnapFinding {
        SnapFinding {
            rule: f.rule.to_owned(),
            severity: f.severity.as_str().to_owned(),
            file: f.file.clone(),
            row: f.row,
            column: f.column.map(str::to_owned),
            value: f.value.clone(),
            message: without_address(&f.message, f.cell.as_deref()),
            clause: f.clause.to_owned(),
            cell: f.cell.clone(),
        }
    }

    fn of_record(f: &shuangshi_rules::FindingRecord) -> SnapFinding {
        SnapFinding {
            rule: f.rule.clone(),
            severity: f.severity.as_str().to_owned(),
            file: f.file.clone(),
            row: f.row,
            column: f.column.clone(),
            value: f.value.clone(),
            message: without_address(&f.message, f.cell.as_deref()),
            clause: f.clause.clone(),
            cell: f.cell.clone(),
        }
    }
}

impl Snapshot {
    /// The page's and the API's view of a stored snapshot; `live` are the findings standing now on
    /// the school's rows that the snapshot did not have (listed after the submitted ones, in the
    /// order the review decision picks reasons from).
    pub fn from_store(
        s: &shuangshi_store::Snapshot,
        live: &[shuangshi_rules::Finding],
    ) -> Snapshot {
        Snapshot {
            receipt_no: s.receipt_no.clone(),
            version_no: s.version_no,
            submitted_at: s
                .submitted_at
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            forms: s
                .forms
                .iter()
                .map(|f| SnapForm {
                    form_id: f.form_id,
                    enterprise: SnapOrg {
                        id: f.enterprise.id,
                        name: f.enterprise.name.clone(),
                    },
                    version: f.version,
                    header_school: f.header_school.clone(),
                    header_enterprise: f.header_enterprise.clone(),
                    filler: f.filler.clone(),
                    phone: f.phone.clone(),
                    rows: f
                        .rows
                        .iter()
                        .map(|r| SnapRow {
                            row_id: r.row_id,
                            cells: r.cells.clone(),
                            confirmed_version: r.confirmed_version,
                        })
                        .collect(),
                    scan: f.scan.as_ref().map(|x| SnapScan {
                        scan_id: x.scan_id,
                        form_version: x.form_version,
                    }),
                })
                .collect(),
            report: SnapReport {
                findings: s
                    .report
                    .findings
                    .iter()
                    .map(SnapFinding::of_record)
                    .chain(live.iter().map(SnapFinding::of))
                    .collect(),
            },
        }
    }

    pub fn people(&self) -> usize {
        self.forms.iter().map(|f| f.rows.len()).sum()
    }

    /// The snapshot as the request may see it: cells, footer phones and finding texts through
    /// `disclosure`.
    pub fn disclosed(mut self, disclosure: &Disclosure) -> Snapshot {
        for f in &mut self.forms {
            f.phone = disclosure.phone(&f.phone);
            for r in &mut f.rows {
                for (v, c) in r.cells.iter_mut().zip(Column::ALL) {
                    *v = disclosure.cell(c, v);
                }
            }
        }
        for f in &mut self.report.findings {
            f.message = disclosure.text(&f.message);
            if let Some(v) = f.value.as_mut() {
                *v = disclosure.text(v);
            }
        }
        self
    }
}

// ---------------------------------------------------------------------------------------------
// Diff.

/// One changed value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CellChange {
    pub column: String,
    pub old: String,
    pub new: String,
}

/// A row in both versions with changed cells.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RowChange {
    pub name: String,
    pub changes: Vec<CellChange>,
}

/// A row added or removed, briefly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RowBrief {
    pub name: String,
    pub sending_unit: String,
    pub receiving_unit: String,
    pub post: String,
    pub mobile: String,
}

impl RowBrief {
    fn of(r: &SnapRow) -> RowBrief {
        RowBrief {
            name: r.name().to_owned(),
            sending_unit: r.cell(Column::SendingUnit).to_owned(),
            receiving_unit: r.cell(Column::ReceivingUnit).to_owned(),
            post: r.cell(Column::Post).to_owned(),
            mobile: r.cell(Column::Mobile).to_owned(),
        }
    }
}

/// What changed in one form between two versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FormDiff {
    pub enterprise: String,
    /// 新增 / 删除 / 修改 / 未变.
    pub status: String,
    pub meta: Vec<CellChange>,
    pub added: Vec<RowBrief>,
    pub removed: Vec<RowBrief>,
    pub changed: Vec<RowChange>,
}

impl FormDiff {
    pub fn is_unchanged(&self) -> bool {
        self.status == "未变"
    }

    /// The diff as the request may see it (computed on the stored values, shown through
    /// `disclosure`).
    pub fn disclosed(mut self, disclosure: &Disclosure) -> FormDiff {
        let column = |label: &str| Column::ALL.into_iter().find(|c| c.label() == label);
        let change = |c: &mut CellChange| {
            let (old, new) = match column(&c.column) {
                Some(col) => (disclosure.cell(col, &c.old), disclosure.cell(col, &c.new)),
                None if c.column == "联系电话" => {
                    (disclosure.phone(&c.old), disclosure.phone(&c.new))
                }
                None => (disclosure.text(&c.old), disclosure.text(&c.new)),
            };
            c.old = old;
            c.new = new;
        };
        self.meta.iter_mut().for_each(change);
        for r in &mut self.changed {
            r.changes.iter_mut().for_each(change);
        }
        for r in self.added.iter_mut().chain(self.removed.iter_mut()) {
            r.mobile = disclosure.cell(Column::Mobile, &r.mobile);
        }
        self
    }
}

fn cell_changes(old: &SnapRow, new: &SnapRow) -> Vec<CellChange> {
    Column::ALL
        .iter()
        .filter(|c| **c != Column::Seq)
        .filter_map(|&c| {
            let (a, b) = (old.cell(c), new.cell(c));
            (a != b).then(|| CellChange {
                column: c.label().to_owned(),
                old: a.to_owned(),
                new: b.to_owned(),
            })
        })
        .collect()
}

fn person_key(r: &SnapRow) -> String {
    norm(r.name())
}

/// The diff of two forms' rows: rows matched by id, then by the person's name.
fn diff_rows(old: &[SnapRow], new: &[SnapRow]) -> (Vec<RowBrief>, Vec<RowBrief>, Vec<RowChange>) {
    let mut old_left: Vec<&SnapRow> = old.iter().collect();
    let mut changed = Vec::new();
    let mut new_left: Vec<&SnapRow> = Vec::new();
    for n in new {
        match old_left
            .iter()
            .position(|o| o.row_id != 0 && o.row_id == n.row_id)
        {
            Some(i) => {
                let o = old_left.remove(i);
                let changes = cell_changes(o, n);
                if !changes.is_empty() {
                    changed.push(RowChange {
                        name: n.name().to_owned(),
                        changes,
                    });
                }
            }
            None => new_left.push(n),
        }
    }
    let mut added = Vec::new();
    for n in new_left {
        let key = person_key(n);
        match old_left
            .iter()
            .position(|o| !key.is_empty() && person_key(o) == key)
        {
            Some(i) => {
                let o = old_left.remove(i);
                let changes = cell_changes(o, n);
                if !changes.is_empty() {
                    changed.push(RowChange {
                        name: n.name().to_owned(),
                        changes,
                    });
                }
            }
            None => added.push(RowBrief::of(n)),
        }
    }
    let removed = old_left.into_iter().map(RowBrief::of).collect();
    (added, removed, changed)
}

fn meta_changes(old: &SnapForm, new: &SnapForm) -> Vec<CellChange> {
    [
        ("交流互聘学校", &old.header_school, &new.header_school),
        (
            "交流互聘企业",
            &old.header_enterprise,
            &new.header_enterprise,
        ),
        ("学校填表人", &old.filler, &new.filler),
        ("联系电话", &old.phone, &new.phone),
    ]
    .into_iter()
    .filter(|(_, a, b)| a != b)
    .map(|(c, a, b)| CellChange {
        column: c.to_owned(),
        old: a.clone(),
        new: b.clone(),
    })
    .collect()
}

/// What changed from `old` to `new`, form by form (matched by form id).
pub fn diff(old: &Snapshot, new: &Snapshot) -> Vec<FormDiff> {
    let mut out = Vec::new();
    let by_id: HashMap<i64, &SnapForm> = old.forms.iter().map(|f| (f.form_id, f)).collect();
    for n in &new.forms {
        match by_id.get(&n.form_id) {
            Some(o) => {
                let (added, removed, changed) = diff_rows(&o.rows, &n.rows);
                let meta = meta_changes(o, n);
                let same =
                    added.is_empty() && removed.is_empty() && changed.is_empty() && meta.is_empty();
                out.push(FormDiff {
                    enterprise: n.enterprise.name.clone(),
                    status: if same { "未变" } else { "修改" }.to_owned(),
                    meta,
                    added,
                    removed,
                    changed,
                });
            }
            None => out.push(FormDiff {
                enterprise: n.enterprise.name.clone(),
                status: "新增".to_owned(),
                meta: Vec::new(),
                added: n.rows.iter().map(RowBrief::of).collect(),
                removed: Vec::new(),
                changed: Vec::new(),
            }),
        }
    }
    let new_ids: Vec<i64> = new.forms.iter().map(|f| f.form_id).collect();
    for o in old.forms.iter().filter(|f| !new_ids.contains(&f.form_id)) {
        out.push(FormDiff {
            enterprise: o.enterprise.name.clone(),
            status: "删除".to_owned(),
            meta: Vec::new(),
            added: Vec::new(),
            removed: o.rows.iter().map(RowBrief::of).collect(),
            changed: Vec::new(),
        });
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Pages.

/// The inbox query.
#[derive(Debug, Default, Deserialize)]
pub struct InboxQuery {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub tier: String,
    #[serde(default)]
    pub school: String,
    #[serde(default)]
    pub page: Option<u64>,
    #[serde(default)]
    pub per_page: Option<u32>,
}

pub(crate) fn parse_status(s: &str) -> Option<SubmissionStatus> {
    SubmissionStatus::ALL.into_iter().find(|x| x.as_str() == s)
}

/// One submission in the inbox.
pub struct InboxRow {
    pub s: Submission,
    pub number: u64,
}

/// 报送审核.
#[derive(Template, WebTemplate)]
#[template(path = "review/inbox.html")]
pub struct InboxPage {
    pub frame: Frame,
    pub search: SearchForm,
    pub columns: Vec<ui::Column>,
    pub rows: Vec<InboxRow>,
    pub pager: Pager,
}

async fn batch_id(state: &AppState) -> Result<i64, AppError> {
    Ok(crate::school::batch_or_conflict(&state.store).await?.id)
}

async fn inbox_page(
    state: &AppState,
    user: &CurrentUser,
    q: &InboxQuery,
) -> Result<(Vec<InboxRow>, Pager), AppError> {
    let filter = SubmissionFilter {
        batch_id: Some(batch_id(state).await?),
        status: parse_status(&q.status),
        tier: (!q.tier.is_empty()).then(|| q.tier.clone()),
        school_id: None,
        school_name: (!q.school.trim().is_empty()).then(|| q.school.clone()),
    };
    let per_page = q.per_page.unwrap_or(20);
    let probe = Pager::new("/review", q.page.unwrap_or(1), per_page, u64::MAX / 2);
    let page = state
        .store
        .list_submissions(
            &user.scope(),
            &filter,
            PageRequest::new(probe.offset(), u64::from(probe.per_page)),
        )
        .await?;
    let pager = Pager::new("/review", q.page.unwrap_or(1), per_page, page.total)
        .keep("status", &q.status)
        .keep("tier", &q.tier)
        .keep("school", &q.school);
    let offset = page.offset;
    let rows = page
        .items
        .into_iter()
        .enumerate()
        .map(|(i, s)| InboxRow {
            s,
            number: offset + i as u64 + 1,
        })
        .collect();
    Ok((rows, pager))
}

/// `GET /review`.
pub async fn inbox(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Query(q): Query<InboxQuery>,
) -> Result<Response, AppError> {
    let (rows, pager) = inbox_page(&state, &user, &q).await?;
    let batch = crate::school::batch_or_conflict(&state.store).await?;
    let mut frame = user.frame_with_batch(&state, "报送审核", "review").await?;
    for f in take_flash(&session).await {
        frame = frame.flash(f);
    }
    let statuses = SubmissionStatus::ALL
        .into_iter()
        .map(|s| SelectOption::new(s.as_str(), s.label()))
        .collect();
    let tiers = batch
        .params
        .tiers
        .iter()
        .map(|t| SelectOption::new(t.name.clone(), t.name.clone()))
        .collect();
    let search = SearchForm::new("/review")
        .field(SearchField::text("school", "学校名称", &q.school))
        .field(SearchField::select("status", "状态", &q.status, statuses))
        .field(SearchField::select("tier", "学校类别", &q.tier, tiers));
    let columns = [
        "序号",
        "学校",
        "学校类别",
        "状态",
        "报送次数",
        "更新时间",
        "操作",
    ]
    .into_iter()
    .map(|c| match c {
        "序号" | "报送次数" => ui::Column::new(c).class("num"),
        "操作" => ui::Column::new(c).class("w-actions"),
        _ => ui::Column::new(c),
    })
    .collect();
    Ok(InboxPage {
        frame,
        search,
        columns,
        rows,
        pager,
    }
    .into_response())
}

/// The query of a submission page: which version to show.
#[derive(Debug, Default, Deserialize)]
pub struct VersionQuery {
    #[serde(default)]
    pub v: Option<i32>,
}

/// A submission with its versions and the chosen version's snapshot.
pub struct Loaded {
    pub submission: Submission,
    pub versions: Vec<VersionInfo>,
    pub shown: Option<(VersionInfo, Snapshot)>,
}

/// A submission in scope with its versions; 404 when it is not in scope.
async fn with_versions(
    state: &AppState,
    scope: &Scope,
    id: i64,
) -> Result<(Submission, Vec<VersionInfo>), AppError> {
    let submission = state
        .store
        .get_submission_by_id(scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let versions = state
        .store
        .list_versions(scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((submission, versions))
}

/// The findings standing now on a submission's school rows that its current snapshot did not
/// have (a duplicate recommended by another school since it submitted).
async fn live_findings(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
) -> Result<Vec<shuangshi_rules::Finding>, AppError> {
    let Some(batch) = crate::auth::current_batch(&state.store).await? else {
        return Ok(Vec::new());
    };
    Ok(state
        .app
        .review_findings(&user.scope(), &batch, id)
        .await?
        .1)
}

async fn load(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    version_no: Option<i32>,
) -> Result<Loaded, AppError> {
    let scope = user.scope();
    let (submission, versions) = with_versions(state, &scope, id).await?;
    let chosen = match version_no {
        Some(n) => Some(
            versions
                .iter()
                .find(|v| v.version_no == n)
                .ok_or(AppError::NotFound)?,
        ),
        None => versions.last(),
    };
    let shown = match chosen {
        Some(v) => {
            let full = state
                .store
                .get_version(&scope, v.id)
                .await?
                .ok_or(AppError::NotFound)?;
            // The current version also shows what stands now on the school's rows.
            let live = if versions.last().map(|l| l.id) == Some(v.id) {
                live_findings(state, user, id).await?
            } else {
                Vec::new()
            };
            Some((full.info, Snapshot::from_store(&full.snapshot, &live)))
        }
        None => None,
    };
    Ok(Loaded {
        submission,
        versions,
        shown,
    })
}

/// 审核：one submission.
#[derive(Template, WebTemplate)]
#[template(path = "review/submission.html")]
pub struct SubmissionPage {
    pub frame: Frame,
    pub s: Submission,
    pub versions: Vec<VersionInfo>,
    pub shown: Option<VersionInfo>,
    pub snapshot: Snapshot,
    pub heads: Vec<&'static str>,
    pub can_decide: bool,
    /// Whether the numbers are shown in full (「查看完整」) and whether the role may ask for that.
    pub full: bool,
    pub may_unmask: bool,
    pub errors: usize,
    pub warnings: usize,
    /// The content type of each scan the shown snapshot's forms were submitted with, by scan id.
    pub scan_types: HashMap<i64, String>,
}

impl SubmissionPage {
    /// Whether the scan is an image (shown in the page); otherwise a PDF, opened in a new tab.
    pub fn scan_is_image(&self, scan_id: &i64) -> bool {
        self.scan_types
            .get(scan_id)
            .is_some_and(|t| t.starts_with("image/"))
    }

    /// The official cells of a row (already through the request's [`Disclosure`]).
    pub fn cells(&self, r: &SnapRow) -> Vec<String> {
        Column::OFFICIAL
            .iter()
            .map(|&c| r.cell(c).to_owned())
            .collect()
    }

    pub fn status_label(&self) -> &'static str {
        self.s.status.label()
    }

    pub fn is_current(&self) -> bool {
        self.shown.as_ref().map(|v| v.version_no) == self.s.current_version
    }
}

/// `GET /review/{id}`.
pub async fn submission_page(
    State(state): State<AppState>,
    user: CurrentUser,
    disclosure: Disclosure,
    session: Session,
    Path(id): Path<i64>,
    Query(q): Query<VersionQuery>,
) -> Result<Response, AppError> {
    let loaded = load(&state, &user, id, q.v).await?;
    let (shown, snapshot) = match loaded.shown {
        Some((v, s)) => (Some(v), s.disclosed(&disclosure)),
        None => (None, Snapshot::default()),
    };
    let errors = snapshot
        .report
        .findings
        .iter()
        .filter(|f| f.severity == "error")
        .count();
    let warnings = snapshot
        .report
        .findings
        .iter()
        .filter(|f| f.severity == "warning")
        .count();
    let mut frame = user
        .frame_with_batch(
            &state,
            &format!("审核：{}", loaded.submission.school_name),
            "review",
        )
        .await?;
    for f in take_flash(&session).await {
        frame = frame.flash(f);
    }
    if shown.is_some() {
        disclosure
            .record(
                &state.store,
                "submission",
                format!("submission:{id}"),
                format!("version {}", snapshot.version_no),
            )
            .await;
    }
    let mut scan_types = HashMap::new();
    for f in &snapshot.forms {
        if let Some(scan) = &f.scan {
            let scans = state.store.list_scans(&user.scope(), f.form_id).await?;
            if let Some(info) = scans.into_iter().find(|x| x.id == scan.scan_id) {
                scan_types.insert(scan.scan_id, info.content_type);
            }
        }
    }
    let can_decide = loaded.submission.status == SubmissionStatus::Submitted;
    let mut page = SubmissionPage {
        frame,
        s: loaded.submission,
        versions: loaded.versions,
        shown,
        snapshot,
        heads: Column::OFFICIAL
            .iter()
            .map(|c| c.template_header())
            .collect(),
        can_decide,
        full: disclosure.full(),
        may_unmask: disclosure.may_unmask(),
        errors,
        warnings,
        scan_types,
    };
    page.can_decide = page.can_decide && page.is_current();
    Ok(page.into_response())
}

/// The diff query.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct DiffQuery {
    /// The older version number.
    #[serde(default)]
    pub from: Option<i32>,
    /// The newer version number.
    #[serde(default)]
    pub to: Option<i32>,
}

/// 版本对比.
#[derive(Template, WebTemplate)]
#[template(path = "review/diff.html")]
pub struct DiffPage {
    pub frame: Frame,
    pub s: Submission,
    pub versions: Vec<VersionInfo>,
    pub from: i32,
    pub to: i32,
    pub forms: Vec<FormDiff>,
    pub full: bool,
    pub may_unmask: bool,
}

impl DiffPage {
    pub fn unchanged(&self) -> bool {
        self.forms.iter().all(FormDiff::is_unchanged)
    }
}

async fn snapshot_of(
    state: &AppState,
    user: &CurrentUser,
    versions: &[VersionInfo],
    n: i32,
) -> Result<Snapshot, AppError> {
    let v = versions
        .iter()
        .find(|v| v.version_no == n)
        .ok_or(AppError::NotFound)?;
    let full = state
        .store
        .get_version(&user.scope(), v.id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Snapshot::from_store(&full.snapshot, &[]))
}

async fn compute_diff(
    state: &AppState,
    user: &CurrentUser,
    disclosure: &Disclosure,
    id: i64,
    q: &DiffQuery,
) -> Result<(Submission, Vec<VersionInfo>, i32, i32, Vec<FormDiff>), AppError> {
    let scope = user.scope();
    let (s, versions) = with_versions(state, &scope, id).await?;
    let last = versions.last().map_or(0, |v| v.version_no);
    let to = q.to.unwrap_or(last);
    let from = q.from.unwrap_or((to - 1).max(1));
    if versions.is_empty() {
        return Err(AppError::NotFound);
    }
    let old = snapshot_of(state, user, &versions, from).await?;
    let new = snapshot_of(state, user, &versions, to).await?;
    let forms: Vec<FormDiff> = diff(&old, &new)
        .into_iter()
        .map(|f| f.disclosed(disclosure))
        .collect();
    disclosure
        .record(
            &state.store,
            "diff",
            format!("submission:{id}"),
            format!("version {from} → {to}"),
        )
        .await;
    Ok((s, versions, from, to, forms))
}

/// `GET /review/{id}/diff?from=1&to=2`.
pub async fn diff_page(
    State(state): State<AppState>,
    user: CurrentUser,
    disclosure: Disclosure,
    Path(id): Path<i64>,
    Query(q): Query<DiffQuery>,
) -> Result<Response, AppError> {
    let (s, versions, from, to, forms) = compute_diff(&state, &user, &disclosure, id, &q).await?;
    let frame = user
        .frame_with_batch(&state, &format!("版本对比：{}", s.school_name), "review")
        .await?
        .breadcrumbs([
            ("首页".to_owned(), Some("/".to_owned())),
            ("报送审核".to_owned(), Some("/review".to_owned())),
            (s.school_name.clone(), Some(format!("/review/{id}"))),
            ("版本对比".to_owned(), None),
        ]);
    Ok(DiffPage {
        frame,
        s,
        versions,
        from,
        to,
        forms,
        full: disclosure.full(),
        may_unmask: disclosure.may_unmask(),
    }
    .into_response())
}

/// A form with only the CSRF token.
#[derive(Debug, Deserialize)]
pub struct Empty {}

/// Decides on the current version of a submission ([`shuangshi_app::App::decide`]); `Err` carries
/// the refusal the reviewer can act on.
async fn decide(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    decision: Decision,
    picked: &[usize],
    extra: Vec<ReviewReason>,
    note: &str,
) -> Result<Result<Review, String>, AppError> {
    let batch = crate::school::batch_or_conflict(&state.store).await?;
    let d = shuangshi_app::submissions::Decide {
        submission_id: id,
        decision,
        picked: picked.to_vec(),
        extra,
        note: note.to_owned(),
    };
    match state
        .app
        .decide(&user.scope(), &user.actor(), &batch, &d)
        .await
    {
        Ok(r) => Ok(Ok(r)),
        Err(shuangshi_app::Error::Refused(r)) => Ok(Err(r.message)),
        Err(e) => Err(e.into()),
    }
}

/// `POST /review/{id}/accept`.
pub async fn accept(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, AppError> {
    let flash = match decide(&state, &user, id, Decision::Accepted, &[], Vec::new(), "").await? {
        Ok(_) => Flash::success("已受理该校报送"),
        Err(m) => Flash::error(m),
    };
    push_flash(&session, flash).await;
    Ok(Redirect::to(&format!("/review/{id}")).into_response())
}

/// The most reasons a reviewer may type, and the longest one (characters).
const OTHERS_MAX: usize = 30;
const OTHER_CHARS: usize = 500;

/// The reasons typed as 其他问题, one a line, each kept as typed (trimmed, blank lines dropped);
/// `Err` with the message when there are too many or one is too long.
fn typed_reasons(text: &str) -> Result<Vec<ReviewReason>, String> {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if lines.len() > OTHERS_MAX {
        return Err(format!("其他问题最多 {OTHERS_MAX} 条（每行一条）"));
    }
    if let Some(n) = lines.iter().position(|l| l.chars().count() > OTHER_CHARS) {
        return Err(format!(
            "其他问题第 {} 条超过 {OTHER_CHARS} 字，请分条填写",
            n + 1
        ));
    }
    Ok(lines
        .into_iter()
        .map(|l| ReviewReason {
            rule: String::new(),
            message: l.to_owned(),
        })
        .collect())
}

/// `POST /review/{id}/return`: the reasons are the ticked findings (`reason_<n>`), the problems
/// typed in `others` (one a line, shown to the school as typed) and the note.
pub async fn return_submission(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Path(id): Path<i64>,
    CsrfForm(body): CsrfForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let mut picked: Vec<usize> = body
        .keys()
        .filter_map(|k| k.strip_prefix("reason_"))
        .filter_map(|k| k.parse().ok())
        .collect();
    picked.sort_unstable();
    let note = body.get("note").map(|s| s.trim()).unwrap_or("");
    let extra = match typed_reasons(body.get("others").map_or("", String::as_str)) {
        Ok(extra) => extra,
        Err(m) => {
            push_flash(&session, Flash::error(m)).await;
            return Ok(Redirect::to(&format!("/review/{id}")).into_response());
        }
    };
    let flash = match decide(&state, &user, id, Decision::Returned, &picked, extra, note).await? {
        Ok(r) => Flash::success(format!(
            "已退回该校报送（{} 条问题{}），学校将在「报送」页看到退回原因",
            r.reasons.len(),
            if r.note.is_empty() {
                ""
            } else {
                "及审核意见"
            }
        )),
        Err(m) => Flash::error(m),
    };
    push_flash(&session, flash).await;
    Ok(Redirect::to(&format!("/review/{id}")).into_response())
}

// ---------------------------------------------------------------------------------------------
// JSON API.

/// A submission in the API.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiSubmission {
    pub id: i64,
    pub batch_id: i64,
    pub school_id: i64,
    pub school_name: String,
    pub school_category: String,
    /// draft, submitted, accepted or returned.
    pub status: String,
    pub status_label: String,
    pub current_version: Option<i32>,
    pub updated_at: String,
}

impl From<&Submission> for ApiSubmission {
    fn from(s: &Submission) -> Self {
        ApiSubmission {
            id: s.id,
            batch_id: s.batch_id,
            school_id: s.school_id,
            school_name: s.school_name.clone(),
            school_category: s.school_category.clone(),
            status: s.status.as_str().to_owned(),
            status_label: s.status.label().to_owned(),
            current_version: s.current_version,
            updated_at: s.updated_at.to_rfc3339(),
        }
    }
}

/// A reason of a review.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApiReason {
    /// The rule ID (empty for a free-text reason).
    #[serde(default)]
    pub rule: String,
    pub message: String,
}

/// A review in the API.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiReview {
    /// accepted or returned.
    pub decision: String,
    pub reasons: Vec<ApiReason>,
    pub note: String,
    pub at: String,
}

impl From<&Review> for ApiReview {
    fn from(r: &Review) -> Self {
        ApiReview {
            decision: r.decision.as_str().to_owned(),
            reasons: r
                .reasons
                .iter()
                .map(|x| ApiReason {
                    rule: x.rule.clone(),
                    message: x.message.clone(),
                })
                .collect(),
            note: r.note.clone(),
            at: r.at.to_rfc3339(),
        }
    }
}

/// A submitted version in the API.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiVersion {
    pub version_no: i32,
    pub receipt_no: String,
    pub snapshot_hash: String,
    pub submitted_at: String,
    pub review: Option<ApiReview>,
}

impl From<&VersionInfo> for ApiVersion {
    fn from(v: &VersionInfo) -> Self {
        ApiVersion {
            version_no: v.version_no,
            receipt_no: v.receipt_no.clone(),
            snapshot_hash: v.snapshot_hash.clone(),
            submitted_at: v.submitted_at.to_rfc3339(),
            review: v.review.as_ref().map(ApiReview::from),
        }
    }
}

/// One page of the inbox.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiInbox {
    pub total: u64,
    pub page: u64,
    pub per_page: u32,
    pub items: Vec<ApiSubmission>,
}

/// The inbox query of the API.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct ApiInboxQuery {
    /// draft, submitted, accepted or returned.
    #[serde(default)]
    pub status: String,
    /// School tier (国家双高 …).
    #[serde(default)]
    pub tier: String,
    /// School name containing this text.
    #[serde(default)]
    pub school: String,
    #[serde(default)]
    pub page: Option<u64>,
    #[serde(default)]
    pub per_page: Option<u32>,
}

/// `GET /api/v1/review/submissions`: the inbox.
#[utoipa::path(get, path = "/api/v1/review/submissions", tag = "review",
    params(ApiInboxQuery),
    responses((status = 200, body = ApiInbox), (status = 401), (status = 403)),
    security(("bearer" = [])))]
pub async fn api_inbox(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ApiInboxQuery>,
) -> Result<Json<ApiInbox>, AppError> {
    let q = InboxQuery {
        status: q.status,
        tier: q.tier,
        school: q.school,
        page: q.page,
        per_page: q.per_page,
    };
    let (rows, pager) = inbox_page(&state, &user, &q).await?;
    Ok(Json(ApiInbox {
        total: pager.total,
        page: pager.page,
        per_page: pager.per_page,
        items: rows.iter().map(|r| ApiSubmission::from(&r.s)).collect(),
    }))
}

/// A submission with its versions and the latest snapshot's findings.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiSubmissionDetail {
    pub submission: ApiSubmission,
    pub versions: Vec<ApiVersion>,
    /// The findings of the shown version (RULES.md's shape).
    pub findings: Vec<SnapFinding>,
    pub forms: Vec<SnapForm>,
}

/// `GET /api/v1/review/submissions/{id}?v=N`.
#[utoipa::path(get, path = "/api/v1/review/submissions/{id}", tag = "review",
    params(("id" = i64, Path, description = "submission id"), ("v" = Option<i32>, Query, description = "version number (default: the latest)"),
        ("full" = Option<u8>, Query, description = "1: numbers in full (roles that may see them; audited)")),
    responses((status = 200, body = ApiSubmissionDetail), (status = 404)),
    security(("bearer" = [])))]
pub async fn api_submission(
    State(state): State<AppState>,
    user: CurrentUser,
    disclosure: Disclosure,
    Path(id): Path<i64>,
    Query(q): Query<VersionQuery>,
) -> Result<Json<ApiSubmissionDetail>, AppError> {
    let loaded = load(&state, &user, id, q.v).await?;
    if loaded.shown.is_some() {
        disclosure
            .record(
                &state.store,
                "submission",
                format!("submission:{id}"),
                "api".to_owned(),
            )
            .await;
    }
    let (findings, forms) = match loaded.shown {
        Some((_, s)) => {
            let s = s.disclosed(&disclosure);
            (s.report.findings, s.forms)
        }
        None => (Vec::new(), Vec::new()),
    };
    Ok(Json(ApiSubmissionDetail {
        submission: ApiSubmission::from(&loaded.submission),
        versions: loaded.versions.iter().map(ApiVersion::from).collect(),
        findings,
        forms,
    }))
}

/// The diff between two versions.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiDiff {
    pub from: i32,
    pub to: i32,
    pub forms: Vec<FormDiff>,
}

/// `GET /api/v1/review/submissions/{id}/diff?from=1&to=2`.
#[utoipa::path(get, path = "/api/v1/review/submissions/{id}/diff", tag = "review",
    params(("id" = i64, Path, description = "submission id"), DiffQuery),
    responses((status = 200, body = ApiDiff), (status = 404)),
    security(("bearer" = [])))]
pub async fn api_diff(
    State(state): State<AppState>,
    user: CurrentUser,
    disclosure: Disclosure,
    Path(id): Path<i64>,
    Query(q): Query<DiffQuery>,
) -> Result<Json<ApiDiff>, AppError> {
    let (_, _, from, to, forms) = compute_diff(&state, &user, &disclosure, id, &q).await?;
    Ok(Json(ApiDiff { from, to, forms }))
}

/// A decision on the current version.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ApiDecision {
    /// accept or return.
    pub decision: String,
    /// Indexes into the current version's findings, chosen as reasons.
    #[serde(default)]
    pub findings: Vec<usize>,
    /// Further reasons.
    #[serde(default)]
    pub reasons: Vec<ApiReason>,
    #[serde(default)]
    pub note: String,
}

/// `POST /api/v1/review/submissions/{id}/decision`: 受理 or 退回 the current version.
#[utoipa::path(post, path = "/api/v1/review/submissions/{id}/decision", tag = "review",
    params(("id" = i64, Path, description = "submission id")),
    request_body = ApiDecision,
    responses((status = 200, body = ApiReview), (status = 404), (status = 409)),
    security(("bearer" = [])))]
pub async fn api_decide(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Json(body): Json<ApiDecision>,
) -> Result<Json<ApiReview>, AppError> {
    let decision = match body.decision.as_str() {
        "accept" | "accepted" => Decision::Accepted,
        "return" | "returned" => Decision::Returned,
        other => {
            return Err(AppError::bad_request(format!(
                "decision 应为 accept 或 return，收到「{other}」"
            )));
        }
    };
    let extra = body
        .reasons
        .into_iter()
        .map(|r| ReviewReason {
            rule: r.rule,
            message: r.message,
        })
        .collect();
    match decide(
        &state,
        &user,
        id,
        decision,
        &body.findings,
        extra,
        body.note.trim(),
    )
    .await?
    {
        Ok(r) => Ok(Json(ApiReview::from(&r))),
        Err(m) => Err(AppError::conflict(m)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(rows: Vec<(i64, &str, &str)>, filler: &str) -> Snapshot {
        Snapshot {
            forms: vec![SnapForm {
                form_id: 1,
                enterprise: SnapOrg {
                    id: 2,
                    name: "乙公司".into(),
                },
                filler: filler.into(),
                rows: rows
                    .into_iter()
                    .map(|(id, name, title)| {
                        let mut cells = vec![String::new(); Column::ALL.len()];
                        cells[Column::Name as usize] = name.into();
                        cells[Column::Title as usize] = title.into();
                        SnapRow {
                            row_id: id,
                            cells,
                            confirmed_version: None,
                        }
                    })
                    .collect(),
                ..SnapForm::default()
            }],
            ..Snapshot::default()
        }
    }

    #[test]
    fn diffs_name_rows_and_cells() {
        let old = snap(
            vec![
                (1, "张三", "讲师"),
                (2, "李四", "工程师"),
                (3, "王五", "讲师"),
            ],
            "甲",
        );
        // 张三 edited in place (same id), 李四 re-imported (new id, same name), 王五 removed, 赵六 added.
        let new = snap(
            vec![
                (1, "张三", "副教授"),
                (9, "李四", "高级工程师"),
                (10, "赵六", "讲师"),
            ],
            "乙",
        );
        let d = diff(&old, &new);
        assert_eq!(d.len(), 1);
        let f = &d[0];
        assert_eq!(f.status, "修改");
        assert_eq!(f.meta[0].column, "学校填表人");
        let changed: Vec<(&str, &str, &str)> = f
            .changed
            .iter()
            .map(|r| {
                (
                    r.name.as_str(),
                    r.changes[0].old.as_str(),
                    r.changes[0].new.as_str(),
                )
            })
            .collect();
        assert_eq!(
            changed,
            [("张三", "讲师", "副教授"), ("李四", "工程师", "高级工程师")]
        );
        assert_eq!(f.added[0].name, "赵六");
        assert_eq!(f.removed[0].name, "王五");
        assert!(diff(&old, &old)[0].is_unchanged());
        let gone = Snapshot::default();
        assert_eq!(diff(&old, &gone)[0].status, "删除");
        assert_eq!(diff(&gone, &old)[0].status, "新增");
    }
}
