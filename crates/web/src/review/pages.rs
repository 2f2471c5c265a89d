//! 市教委的报送审核：the inbox (filters: status, tier, school; pagination), a submission with its
//! findings and versions, the diff between any two versions (forms, rows and cells added, removed
//! or changed), 受理 and 退回 with reasons (chosen findings plus a note), and the `/api/v1/review`
//! endpoints. 职成教处审核员 sees only 中职 schools: the scope does it, and another school's id
//! answers 404.

use crate::disclosure::Disclosure;
use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use shuangshi_rules::Column;
use shuangshi_store::{
    Decision, PageRequest, Review, ReviewReason, Scope, Submission, SubmissionFilter,
    SubmissionStatus, VersionInfo,
};
use tower_sessions::Session;

use crate::auth::{CsrfForm, CurrentUser};
use crate::error::AppError;
use crate::filters;
use crate::session::{push_flash, take_flash};
use crate::state::AppState;
use crate::submissions::snapshot::{FormDiff, SnapRow, Snapshot, diff};
use crate::ui::{self, Flash, Frame, Pager, SearchField, SearchForm, SelectOption};

// ---------------------------------------------------------------------------------------------
// Snapshots as stored by `Store::submit`.

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
    Ok(crate::shared::batch::batch_or_conflict(&state.store)
        .await?
        .id)
}

/// The inbox's filter: the current batch, a status, a tier and part of a school's name (blank:
/// any).
pub(super) async fn inbox_filter(
    state: &AppState,
    status: &str,
    tier: &str,
    school: &str,
) -> Result<SubmissionFilter, AppError> {
    Ok(SubmissionFilter {
        batch_id: Some(batch_id(state).await?),
        status: parse_status(status),
        tier: (!tier.is_empty()).then(|| tier.to_owned()),
        school_id: None,
        school_name: (!school.trim().is_empty()).then(|| school.to_owned()),
    })
}

async fn inbox_page(
    state: &AppState,
    user: &CurrentUser,
    q: &InboxQuery,
) -> Result<(Vec<InboxRow>, Pager), AppError> {
    let filter = inbox_filter(state, &q.status, &q.tier, &q.school).await?;
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
    let batch = crate::shared::batch::batch_or_conflict(&state.store).await?;
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
        .field(SearchField::org("school", "学校名称", &q.school, "school"))
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

pub(super) async fn load(
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

    /// `mobile` or `account` when the `i`-th official column holds that number (the 「查看完整」
    /// of one value), else "".
    pub fn number_at(&self, i: &usize) -> &'static str {
        match Column::OFFICIAL.get(*i) {
            Some(Column::Mobile) => "mobile",
            Some(Column::AccountNumber) => "account",
            _ => "",
        }
    }

    /// The sheet row of the `i`-th person of a form (the first is row 5, as in the form).
    pub fn row_no(&self, i: &usize) -> usize {
        i + shuangshi_store::forms::FIRST_ROW as usize
    }

    /// The shown version's id (0 when none is shown).
    pub fn version_id(&self) -> i64 {
        self.shown.as_ref().map_or(0, |v| v.id)
    }

    /// This page, for coming back after 「查看完整」 without JavaScript.
    pub fn back(&self) -> String {
        format!("/review/{}?v={}", self.s.id, self.snapshot.version_no)
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

    /// The id of submitted version `n` (for 「查看完整」 of a value as it was then).
    pub fn version_id(&self, n: &i32) -> i64 {
        self.versions
            .iter()
            .find(|v| v.version_no == *n)
            .map_or(0, |v| v.id)
    }

    /// This page, for coming back after 「查看完整」 without JavaScript.
    pub fn back(&self) -> String {
        format!(
            "/review/{}/diff?from={}&to={}",
            self.s.id, self.from, self.to
        )
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

pub(super) async fn compute_diff(
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
pub(super) async fn decide(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    decision: Decision,
    picked: &[usize],
    extra: Vec<ReviewReason>,
    note: &str,
) -> Result<Result<Review, String>, AppError> {
    let batch = crate::shared::batch::batch_or_conflict(&state.store).await?;
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
