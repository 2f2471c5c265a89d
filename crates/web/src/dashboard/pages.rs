//! 工作台: each role's dashboard (figures, to-dos, charts, the units behind).

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::filters;
use crate::forms::checks::Standing;
use crate::session::take_flash;
use crate::state::AppState;
use crate::ui::Frame;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use shuangshi_app::dashboard::{BehindUnit, Chart, TableRow};
use shuangshi_store::{
    BatchRecord, PartnershipStatus, Role, Scope, SubmissionFilter, SubmissionStatus,
};
use tower_sessions::Session;

/// One figure on the dashboard.
#[derive(Debug, Clone)]
pub struct Card {
    pub label: String,
    pub value: String,
    pub note: String,
    pub href: String,
    pub icon: &'static str,
}

fn card(
    label: &str,
    value: impl ToString,
    note: impl Into<String>,
    href: &str,
    icon: &'static str,
) -> Card {
    Card {
        label: label.to_owned(),
        value: value.to_string(),
        note: note.into(),
        href: href.to_owned(),
        icon,
    }
}

/// A thing to do on the 工作台: what, where, the button's label; `primary` for the next one.
#[derive(Debug, Clone)]
pub struct Todo {
    pub text: String,
    pub href: String,
    pub label: String,
    pub primary: bool,
}

fn todo(text: impl Into<String>, href: &str, label: &str) -> Todo {
    Todo {
        text: text.into(),
        href: href.to_owned(),
        label: label.to_owned(),
        primary: false,
    }
}

/// One chart as the page draws it: the data for `dashboard.js` (JSON, in a data attribute) and
/// the same numbers as table rows.
#[derive(Debug, Clone)]
pub struct ChartView {
    pub chart: Chart,
    pub json: String,
    pub rows: Vec<TableRow>,
}

impl ChartView {
    fn of(chart: Chart) -> ChartView {
        ChartView {
            json: serde_json::to_string(&chart).unwrap_or_default(),
            rows: chart.table(),
            chart,
        }
    }
}

/// The commission's charts and the units behind.
#[derive(Debug, Clone)]
pub struct Board {
    pub charts: Vec<ChartView>,
    pub behind: Vec<BehindUnit>,
    pub deadline: DateTime<Utc>,
    /// 「剩余 3 天 4 小时」 or 「已截止」.
    pub countdown: String,
    pub overdue: bool,
}

/// Where an enterprise stands in the batch.
#[derive(Debug, Clone)]
pub struct EnterpriseStanding {
    /// Partnerships confirmed / waiting for this enterprise's answer.
    pub confirmed: u64,
    pub proposed: u64,
    /// People on the forms concerning the enterprise, and those it has confirmed (W02).
    pub rows: usize,
    pub rows_confirmed: usize,
    /// Per form: school, people, confirmed, form id.
    pub forms: Vec<(String, usize, usize, i64)>,
    pub deadline: DateTime<Utc>,
    pub countdown: String,
    pub overdue: bool,
}

impl EnterpriseStanding {
    pub fn rows_open(&self) -> usize {
        self.rows.saturating_sub(self.rows_confirmed)
    }

    pub fn bar_max(&self) -> usize {
        self.rows.max(1)
    }
}

/// The 工作台 (`dashboard.html`).
#[derive(Template, WebTemplate)]
#[template(path = "dashboard.html")]
pub struct DashboardPage {
    pub frame: Frame,
    pub greeting: String,
    pub cards: Vec<Card>,
    /// What to do next, the first (`primary`) before the rest.
    pub todo: Vec<Todo>,
    /// The selection outcome of the school's or the enterprise's people (遴选结果).
    pub outcomes: Vec<shuangshi_app::selection::Outcome>,
    /// The commission's charts and the units behind (市教委管理员).
    pub board: Option<Board>,
    /// The school's standing (学校经办人): the panel of the 推荐表 page.
    pub standing: Option<Standing>,
    /// The enterprise's standing (企业经办人).
    pub enterprise: Option<EnterpriseStanding>,
    /// The commission's reminders to the officer's unit in the last 14 days, newest first.
    pub reminders: Vec<shuangshi_store::Reminder>,
    /// The school's partner enterprises with no account yet, while W02 (or a partnership's
    /// confirmation) waits on them.
    pub no_account: Vec<shuangshi_app::picker::NoAccount>,
}

impl DashboardPage {
    pub fn when(&self, at: &DateTime<Utc>) -> String {
        crate::fmt::datetime(at)
    }

    pub fn reason_label(&self, code: &str) -> String {
        shuangshi_app::dashboard::Reason::parse(code)
            .map_or_else(|| "其他事项".to_owned(), |r| r.label().to_owned())
    }
}

/// `GET /`: where the role stands and what it has to do, with links to where it is done.
pub async fn dashboard(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
) -> Result<Response, AppError> {
    if crate::ui::is_oversight(user.role()) {
        return Ok(Redirect::to("/list").into_response());
    }
    let store = &state.store;
    let scope = user.scope();
    let batch = crate::auth::current_batch(store).await?;
    let mut frame = user.frame_with_batch(&state, "工作台", "dashboard").await?;
    for f in take_flash(&session).await {
        frame = frame.flash(f);
    }
    let mut page = DashboardPage {
        greeting: format!("{}，您好", frame.user.name),
        frame,
        cards: Vec::new(),
        todo: Vec::new(),
        outcomes: Vec::new(),
        board: None,
        standing: None,
        enterprise: None,
        reminders: Vec::new(),
        no_account: Vec::new(),
    };
    let batch_note = batch.as_ref().map_or_else(
        || "尚未设置批次".to_owned(),
        |b| {
            format!(
                "{}（{}），截止 {}",
                b.name,
                b.status.label(),
                crate::fmt::datetime(&b.deadline())
            )
        },
    );
    match user.role() {
        Role::Admin => {
            admin_dashboard(&state, &scope, batch.as_ref(), &batch_note, &mut page).await?
        }
        Role::VocationalReviewer => {
            if let Some(b) = &batch {
                let pending =
                    count_submissions(&state, &scope, b.id, SubmissionStatus::Submitted).await?;
                let accepted =
                    count_submissions(&state, &scope, b.id, SubmissionStatus::Accepted).await?;
                page.cards.push(card(
                    "待审核报送（中职）",
                    pending,
                    batch_note.clone(),
                    "/review",
                    "clipboard-check",
                ));
                page.cards.push(card(
                    "已受理（中职）",
                    accepted,
                    "",
                    "/review",
                    "check2-circle",
                ));
                if pending > 0 {
                    page.todo.push(todo(
                        format!("有 {pending} 份中职学校的报送等待审核"),
                        "/review",
                        "去审核",
                    ));
                }
            }
        }
        Role::SchoolOfficer => {
            if let (Some(b), Some(_)) = (&batch, user.user.org_id) {
                school_dashboard(&state, &user, b, &mut page).await?;
            } else {
                page.cards
                    .push(card("当前批次", "—", batch_note, "/forms", "calendar3"));
            }
        }
        Role::EnterpriseOfficer => {
            if let (Some(b), Some(org)) = (&batch, user.user.org_id) {
                enterprise_dashboard(&state, &scope, b, org, &mut page).await?;
            }
        }
        Role::SasacViewer | Role::FederationViewer => {}
    }
    if let (Role::SchoolOfficer | Role::EnterpriseOfficer, Some(b)) = (user.role(), &batch) {
        page.outcomes = state.app.outcomes(&scope, b).await?;
    }
    if let (Role::SchoolOfficer | Role::EnterpriseOfficer, Some(org)) =
        (user.role(), user.user.org_id)
    {
        let since = Utc::now() - chrono::Duration::days(14);
        page.reminders = state
            .app
            .reminders_of(org)
            .await?
            .into_iter()
            .filter(|r| r.sent_at >= since)
            .collect();
    }
    if let Some(first) = page.todo.first_mut() {
        first.primary = true;
    }
    Ok(page.into_response())
}

/// The commission: the set-up figures, the review and selection queues, the charts and the
/// units behind.
async fn admin_dashboard(
    state: &AppState,
    scope: &Scope,
    batch: Option<&BatchRecord>,
    batch_note: &str,
    page: &mut DashboardPage,
) -> Result<(), AppError> {
    let store = &state.store;
    let users = store
        .list_users(&Default::default(), shuangshi_store::PageRequest::new(0, 1))
        .await?
        .total;
    let orgs = store
        .list_orgs(
            &Scope::All,
            &Default::default(),
            shuangshi_store::PageRequest::new(0, 1),
        )
        .await?
        .total;
    page.cards.push(card(
        "当前批次",
        batch.map_or("—".to_owned(), |b| b.name.clone()),
        batch_note,
        "/admin/batches",
        "calendar3",
    ));
    let Some(b) = batch else {
        page.cards.push(card(
            "单位名录",
            orgs,
            "学校与企业",
            "/admin/orgs",
            "journal-text",
        ));
        page.cards
            .push(card("账号", users, "全部角色", "/admin/accounts", "people"));
        page.todo.push(todo(
            "尚未设置批次：先在批次设置中从第十批参数新建批次",
            "/admin/batches",
            "批次设置",
        ));
        return Ok(());
    };
    let now = Utc::now();
    let d = state.app.full_dashboard(scope, b, now).await?;
    let pending = count_submissions(state, scope, b.id, SubmissionStatus::Submitted).await?;
    let to_select = d.pending_selections;
    page.cards.push(card(
        "推荐人数",
        format!("{} 人", d.people),
        "全部推荐表（含草稿）",
        "/roster",
        "people",
    ));
    page.cards.push(card(
        "已报送学校",
        format!("{} / {} 所", d.submitted_schools, d.expected_schools),
        "已报送或已受理 / 应报送",
        "/review",
        "send-check",
    ));
    page.cards.push(card(
        "待审核报送",
        format!("{pending} 份"),
        "已报送、等待审核",
        "/review?status=submitted",
        "clipboard-check",
    ));
    page.cards.push(card(
        "待遴选",
        format!("{to_select} 人"),
        "已受理报送中尚未确定的人员",
        "/selection?status=pending",
        "list-check",
    ));
    page.cards.push(card(
        "进度落后的单位",
        format!("{} 个", d.behind.len()),
        "见下方「进度落后的单位」",
        "#behind-title",
        "exclamation-triangle",
    ));
    page.cards.push(card(
        "单位名录",
        format!("{orgs} 个"),
        "学校与企业",
        "/admin/orgs",
        "journal-text",
    ));
    page.cards.push(card(
        "账号",
        format!("{users} 个"),
        "全部角色",
        "/admin/accounts",
        "person-badge",
    ));
    if pending > 0 {
        page.todo.push(todo(
            format!("有 {pending} 份报送等待审核"),
            "/review?status=submitted",
            "去审核",
        ));
    }
    if to_select > 0 {
        page.todo.push(todo(
            format!("有 {to_select} 人待遴选（入选或未入选）"),
            "/selection?status=pending",
            "遴选与公布",
        ));
    }
    if !d.behind.is_empty() {
        page.todo.push(todo(
            format!("有 {} 个单位进度落后，见下方清单", d.behind.len()),
            "#behind-title",
            "查看",
        ));
    }
    let (countdown, overdue) = crate::forms::checks::countdown(d.deadline, now);
    page.board = Some(Board {
        charts: d.charts.into_iter().map(ChartView::of).collect(),
        behind: d.behind,
        deadline: d.deadline,
        countdown,
        overdue,
    });
    Ok(())
}

/// The school: its standing (the 推荐表 page's panel), the next thing to do and its outcomes.
async fn school_dashboard(
    state: &AppState,
    user: &CurrentUser,
    batch: &BatchRecord,
    page: &mut DashboardPage,
) -> Result<(), AppError> {
    let ctx = crate::shared::officer::school_ctx(&state.store, user).await?;
    let data = crate::shared::officer::load_school(state, &ctx).await?;
    let standing = crate::forms::pages::school_standing(&ctx, &data);
    let partners = state
        .store
        .list_partnerships(
            &ctx.scope,
            &shuangshi_store::PartnershipFilter {
                batch_id: Some(batch.id),
                ..Default::default()
            },
            shuangshi_store::PageRequest::new(0, shuangshi_store::PageRequest::MAX_LIMIT),
        )
        .await?
        .items;
    let proposed = partners
        .iter()
        .filter(|p| p.status == PartnershipStatus::Proposed)
        .count();
    let confirmed = partners
        .iter()
        .filter(|p| p.status == PartnershipStatus::Confirmed)
        .count();
    let status = data.submission.as_ref().map(|s| s.status);
    let people: usize = data.forms.iter().map(|f| f.rows.len()).sum();
    page.cards.push(card(
        "报送状态",
        status.map_or("未报送", |s| s.label()),
        format!("本校截止 {}", crate::fmt::datetime(&standing.deadline)),
        "/submissions",
        "send",
    ));
    page.cards.push(card(
        "合作企业",
        format!("{confirmed} 家"),
        if proposed > 0 {
            format!("另有 {proposed} 家待企业确认")
        } else {
            "已确认的合作".to_owned()
        },
        "/partners",
        "buildings",
    ));
    page.cards.push(card(
        "推荐人员",
        format!("{people} 人"),
        format!("派出 {} 人、接收 {} 人", standing.sent, standing.received),
        "/forms",
        "people",
    ));
    let blockers = shuangshi_app::submissions::blockers(
        &ctx.batch,
        &ctx.school_name,
        &data.report.findings,
        data.facts.as_ref(),
        Utc::now(),
    );
    let unchanged = match (&data.submission, &data.facts) {
        (Some(s), Some(facts)) => state.app.returned_unchanged(&ctx.scope, s, facts).await?,
        _ => false,
    };
    let mut objections = Vec::new();
    for f in &data.forms {
        let n = state
            .store
            .row_notes(&ctx.scope, f.id)
            .await?
            .values()
            .filter(|n| n.objection.is_some())
            .count();
        if n > 0 {
            objections.push((f.id, f.enterprise_name.clone(), n));
        }
    }
    let counts = SchoolCounts {
        confirmed,
        proposed,
        people,
        unchanged,
        objections,
    };
    let w02 = data.report.findings.iter().any(|f| f.rule == "W02");
    if w02 || proposed > 0 {
        page.no_account = state
            .app
            .partners_without_account(&ctx.scope, batch.id)
            .await?;
    }
    page.todo = school_next(&ctx, &data, &blockers, &counts);
    page.standing = Some(standing);
    Ok(())
}

/// What the school's next step depends on besides its findings.
struct SchoolCounts {
    /// Partnerships confirmed and still proposed.
    confirmed: usize,
    proposed: usize,
    /// People on the school's forms.
    people: usize,
    /// Returned, and nothing changed since the return.
    unchanged: bool,
    /// Forms with rows the enterprise objected to: (form, enterprise, rows).
    objections: Vec<(i64, String, usize)>,
}

/// The school's things to do, the next one first; never empty.
fn school_next(
    ctx: &crate::shared::officer::SchoolCtx,
    data: &crate::shared::officer::SchoolData,
    blockers: &[shuangshi_rules::Finding],
    counts: &SchoolCounts,
) -> Vec<Todo> {
    let &SchoolCounts {
        confirmed,
        proposed,
        people,
        unchanged,
        ref objections,
    } = counts;
    let status = data.submission.as_ref().map(|s| s.status);
    match status {
        Some(SubmissionStatus::Submitted) => {
            return vec![todo(
                "已报送，等待市教委审核；审核结果会显示在「报送」中",
                "/submissions",
                "查看报送",
            )];
        }
        Some(SubmissionStatus::Accepted) => {
            return vec![todo(
                "报送已受理；每位推荐人员的遴选结果见下方「遴选结果」",
                "/submissions",
                "查看报送",
            )];
        }
        _ => {}
    }
    if !ctx.batch_open() {
        return vec![todo(
            "本批次当前未开放报送，请留意市教委通知",
            "/notices",
            "通知与模板",
        )];
    }
    let mut out = Vec::new();
    let returned = status == Some(SubmissionStatus::Returned);
    if returned {
        out.push(if unchanged {
            todo(
                "报送已被退回：查看退回原因并修改",
                "/submissions#reasons-title",
                "查看退回原因",
            )
        } else {
            todo(
                "报送已被退回，推荐表已修改：对照退回原因核对，企业重新确认、重新盖章上传后再次报送",
                "/submissions#reasons-title",
                "查看退回原因",
            )
        });
    }
    for (form, enterprise, n) in objections {
        out.push(todo(
            format!("「{enterprise}」对 {n} 名人员提出异议：查看理由并修改"),
            &format!("/forms/{form}"),
            "查看异议",
        ));
    }
    if confirmed == 0 && proposed == 0 {
        out.push(todo(
            "在「合作企业」中从单位名录选择企业，提出合作",
            "/partners/new",
            "提出合作",
        ));
        return out;
    }
    if proposed > 0 {
        out.push(todo(
            format!("有 {proposed} 家企业尚未确认合作，请联系企业经办人在系统中确认"),
            "/partners",
            "合作企业",
        ));
    }
    if confirmed == 0 {
        return out;
    }
    if people == 0 {
        out.push(todo(
            "填写或导入推荐表（每个已确认的合作企业一张）",
            "/forms",
            "推荐表",
        ));
        return out;
    }
    let errors = blockers.iter().filter(|f| !f.rule.starts_with('W')).count();
    if errors > 0 {
        out.push(todo(
            format!("推荐表中有 {errors} 处错误，改正后才能报送"),
            "/forms",
            "修改推荐表",
        ));
    }
    for f in blockers.iter().filter(|f| f.rule.starts_with('W')) {
        let (href, label) = match f.rule {
            "W02" => ("/forms", "推荐表"),
            _ => ("/submissions", "报送"),
        };
        out.push(todo(format!("{}（{}）", f.message, f.rule), href, label));
    }
    if blockers.is_empty() && !unchanged {
        out.push(if returned {
            todo(
                "退回后的修改已检查通过：企业已确认、盖章扫描件与当前版本一致，可以重新报送",
                "/submissions",
                "重新报送",
            )
        } else {
            todo(
                "检查已全部通过：上传的盖章扫描件与当前版本一致，可以报送",
                "/submissions",
                "去报送",
            )
        });
    }
    out
}

/// The enterprise: its partnerships and the people it has to confirm.
async fn enterprise_dashboard(
    state: &AppState,
    scope: &Scope,
    batch: &BatchRecord,
    org: i64,
    page: &mut DashboardPage,
) -> Result<(), AppError> {
    let count = |status| {
        let filter = shuangshi_store::PartnershipFilter {
            batch_id: Some(batch.id),
            status: Some(status),
            ..Default::default()
        };
        async move {
            state
                .store
                .list_partnerships(scope, &filter, shuangshi_store::PageRequest::new(0, 1))
                .await
                .map(|p| p.total)
        }
    };
    let proposed = count(PartnershipStatus::Proposed).await?;
    let confirmed = count(PartnershipStatus::Confirmed).await?;
    let forms = state
        .store
        .list_forms(scope, batch.id, None, Some(org))
        .await?;
    let rows: usize = forms.iter().map(|f| f.rows).sum();
    let rows_confirmed: usize = forms.iter().map(|f| f.confirmed_rows).sum();
    let now = Utc::now();
    let deadline = batch.deadline();
    let (countdown, overdue) = crate::forms::checks::countdown(deadline, now);
    page.cards.push(card(
        "合作学校",
        format!("{confirmed} 所"),
        "已确认的合作",
        "/partners",
        "mortarboard",
    ));
    page.cards.push(card(
        "待确认的合作",
        format!("{proposed} 所"),
        "学校已提出、等待本单位确认",
        "/partners",
        "hourglass-split",
    ));
    page.cards.push(card(
        "待确认人员",
        format!("{} 人", rows.saturating_sub(rows_confirmed)),
        format!("涉及本单位 {rows} 人，已确认 {rows_confirmed} 人"),
        "/confirmations",
        "person-check",
    ));
    if proposed > 0 {
        page.todo.push(todo(
            format!("有 {proposed} 所学校提出与本单位合作，请确认或拒绝"),
            "/partners",
            "合作学校",
        ));
    }
    let open = rows.saturating_sub(rows_confirmed);
    if open > 0 {
        page.todo.push(todo(
            format!("学校推荐表中有 {open} 人涉及本单位、尚未确认（W02），确认后学校才能报送"),
            "/confirmations",
            "待确认人员",
        ));
    }
    if page.todo.is_empty() {
        page.todo.push(todo(
            "暂无待办；学校修改涉及本单位的人员后，需要本单位重新确认",
            "/confirmations",
            "待确认人员",
        ));
    }
    page.enterprise = Some(EnterpriseStanding {
        confirmed,
        proposed,
        rows,
        rows_confirmed,
        forms: forms
            .iter()
            .map(|f| (f.school_name.clone(), f.rows, f.confirmed_rows, f.id))
            .collect(),
        deadline,
        countdown,
        overdue,
    });
    Ok(())
}

async fn count_submissions(
    state: &AppState,
    scope: &Scope,
    batch_id: i64,
    status: SubmissionStatus,
) -> Result<u64, AppError> {
    let filter = SubmissionFilter {
        batch_id: Some(batch_id),
        status: Some(status),
        ..Default::default()
    };
    Ok(state
        .store
        .list_submissions(scope, &filter, shuangshi_store::PageRequest::new(0, 1))
        .await?
        .total)
}
