//! 遴选与公布: the commission's page for the second half of a batch (三(四), 四(四)). Every person
//! of an accepted submission is listed with the roster's filters, the oversight bodies' opinions
//! and the duplicates on them; the commission marks people 入选 or 未入选 (with a reason), one by
//! one or over the filtered list, and sees live where the programme and each school would stand
//! over the selected people. From the same page: publish the 公示, handle its objections, propose
//! the final list, approve it as a second 市教委管理员, open a correction.
//!
//! Every action calls the use case in `shuangshi_app::selection`; the API under
//! `/api/v1/selection` calls the same ones.

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use shuangshi_app::export::Total;
use shuangshi_app::selection::{Board, Candidacy, SchoolStanding, SelectionFilter};
use shuangshi_rules::Finding;
use shuangshi_store::{
    BatchRecord, Objection, ObjectionStatus, Publication, PublicationKind, PublicationState,
    SelectionStatus,
};
use tower_sessions::Session;

use crate::auth::{CsrfForm, CurrentUser};
use crate::error::AppError;
use crate::filters;
use crate::policy::{Access, RouteRule, Routes, roles};
use crate::session::{push_flash, take_flash};
use crate::state::AppState;
use crate::ui::{self, Flash, Frame, Pager, SearchField, SearchForm, SelectOption};

const ADMIN: Access = Access::Roles(roles::ADMIN);

pub const POLICY: &[RouteRule] = &[
    RouteRule::new("GET", "/selection", ADMIN),
    RouteRule::new("POST", "/selection/decide", ADMIN),
    RouteRule::new("POST", "/selection/publicity", ADMIN),
    RouteRule::new("POST", "/selection/final", ADMIN),
    RouteRule::new("POST", "/selection/final/{id}/approve", ADMIN),
    RouteRule::new("POST", "/selection/final/{id}/withdraw", ADMIN),
    RouteRule::new("POST", "/selection/correction", ADMIN),
    RouteRule::new("POST", "/selection/objections/{id}", ADMIN),
    RouteRule::new("GET", "/api/v1/selection", ADMIN),
    RouteRule::new("POST", "/api/v1/selection/decide", ADMIN),
    RouteRule::new("GET", "/api/v1/selection/publications", ADMIN),
    RouteRule::new("POST", "/api/v1/selection/publicity", ADMIN),
    RouteRule::new("POST", "/api/v1/selection/final", ADMIN),
    RouteRule::new("POST", "/api/v1/selection/final/{id}/approve", ADMIN),
    RouteRule::new("POST", "/api/v1/selection/correction", ADMIN),
    RouteRule::new("GET", "/api/v1/selection/objections", ADMIN),
    RouteRule::new("POST", "/api/v1/selection/objections/{id}", ADMIN),
    RouteRule::new("GET", "/api/v1/outcomes", Access::Roles(roles::OFFICERS)),
];

pub fn routes() -> Routes {
    Routes::new()
        .get("/selection", page)
        .post("/selection/decide", decide)
        .post("/selection/publicity", publicity)
        .post("/selection/final", final_list)
        .post("/selection/final/{id}/approve", approve)
        .post("/selection/final/{id}/withdraw", withdraw)
        .post("/selection/correction", correction)
        .post("/selection/objections/{id}", objection)
        .get("/api/v1/selection", api_board)
        .post("/api/v1/selection/decide", api_decide)
        .get("/api/v1/selection/publications", api_publications)
        .post("/api/v1/selection/publicity", api_publicity)
        .post("/api/v1/selection/final", api_final)
        .post("/api/v1/selection/final/{id}/approve", api_approve)
        .post("/api/v1/selection/correction", api_correction)
        .get("/api/v1/selection/objections", api_objections)
        .post("/api/v1/selection/objections/{id}", api_objection)
        .get("/api/v1/outcomes", api_outcomes)
}

/// The filters of the page and of the API (blank: any).
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SelectionQuery {
    /// Part of a name, a school or an enterprise.
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub tier: String,
    /// `school` (学校派出) or `enterprise` (企业派出).
    #[serde(default)]
    pub direction: String,
    #[serde(default)]
    pub kind: String,
    /// `pending`, `selected`, `rejected`.
    #[serde(default)]
    pub status: String,
    /// `object` (an oversight body objected), `agree`, `none`.
    #[serde(default)]
    pub opinion: String,
    /// Copy target: `sasac`, `federation`, `none` (未分送).
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub page: Option<u64>,
    #[serde(default)]
    pub per_page: Option<u32>,
}

fn parse_selection_status(s: &str) -> Option<SelectionStatus> {
    SelectionStatus::ALL.into_iter().find(|x| x.as_str() == s)
}

impl SelectionQuery {
    fn filters(&self) -> [(&'static str, &str); 7] {
        [
            ("q", &self.q),
            ("tier", &self.tier),
            ("direction", &self.direction),
            ("kind", &self.kind),
            ("status", &self.status),
            ("opinion", &self.opinion),
            ("body", &self.body),
        ]
    }

    fn filter(&self) -> SelectionFilter {
        SelectionFilter {
            q: self.q.clone(),
            tier: self.tier.clone(),
            direction: self.direction.clone(),
            kind: self.kind.clone(),
            status: parse_selection_status(&self.status),
            opinion: self.opinion.clone(),
            body: self.body.clone(),
        }
    }

    fn query_string(&self) -> String {
        let kept: Vec<(&str, &str)> = self
            .filters()
            .into_iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .collect();
        serde_urlencoded::to_string(kept).unwrap_or_default()
    }
}

/// 遴选与公布.
#[derive(Template, WebTemplate)]
#[template(path = "selection/page.html")]
pub struct SelectionPage {
    pub frame: Frame,
    pub search: SearchForm,
    pub columns: Vec<ui::Column>,
    pub rows: Vec<(u64, Candidacy)>,
    pub pager: Pager,
    pub matched: usize,
    pub counts: [usize; 3],
    pub totals: Vec<Total>,
    pub programme: Vec<Finding>,
    pub schools: Vec<SchoolStanding>,
    pub short_schools: usize,
    pub publications: Vec<PubView>,
    pub objections: Vec<ObjView>,
    pub open_objections: usize,
    pub frozen: bool,
    pub correcting: bool,
    pub publicity_until: String,
    pub publicity_open: bool,
    pub pending_final: Option<PubView>,
    pub may_approve: bool,
    pub unrouted: usize,
    pub working_days: u32,
    /// The page's query (for coming back after an action).
    pub back: String,
    /// The filters as hidden fields of the 「全部入选」 form (`status` as `f_status`).
    pub hidden: Vec<(String, String)>,
}

/// A publication as the page lists it.
pub struct PubView {
    pub id: i64,
    pub kind: &'static str,
    pub revision: i32,
    pub state: &'static str,
    pub entries: usize,
    pub window: String,
    pub made: String,
    pub approved: String,
    pub note: String,
}

impl PubView {
    fn of(p: &Publication) -> PubView {
        let t = |d: Option<chrono::DateTime<Utc>>| {
            d.map(shuangshi_store::submissions::beijing_time)
                .unwrap_or_default()
        };
        PubView {
            id: p.id,
            kind: p.kind.label(),
            revision: p.revision,
            state: p.state.label(),
            entries: p.entries.len(),
            window: if p.kind == PublicationKind::Publicity {
                format!("{} 至 {}", t(p.opens_at), t(p.closes_at))
            } else {
                String::new()
            },
            made: format!(
                "{} {}",
                p.made_by_name,
                shuangshi_store::submissions::beijing_time(p.made_at)
            ),
            approved: if p.state == PublicationState::Published
                || p.state == PublicationState::Superseded
            {
                format!("{} {}", p.approved_by_name, t(p.published_at))
            } else {
                String::new()
            },
            note: p.note.clone(),
        }
    }
}

/// An objection as the page lists it.
pub struct ObjView {
    pub id: i64,
    pub person: String,
    pub contact: String,
    pub body: String,
    pub status: &'static str,
    pub open: bool,
    pub note: String,
    pub at: String,
}

impl ObjView {
    fn of(o: &Objection) -> ObjView {
        ObjView {
            id: o.id,
            person: if o.person.is_empty() {
                "（不针对具体人员）".to_owned()
            } else {
                o.person.clone()
            },
            contact: o.contact.clone(),
            body: o.body.clone(),
            status: o.status.label(),
            open: o.status == ObjectionStatus::Open,
            note: o.note.clone(),
            at: shuangshi_store::submissions::beijing_time(o.created_at),
        }
    }
}

async fn board(
    state: &AppState,
    user: &CurrentUser,
    q: &SelectionQuery,
) -> Result<(BatchRecord, Board), AppError> {
    let batch = crate::school::batch_or_conflict(&state.store).await?;
    let b = state
        .app
        .selection_board(
            &user.scope(),
            &batch,
            &q.filter(),
            &crate::disclosure::Disclosure::masked(user),
        )
        .await?;
    Ok((batch, b))
}

fn options(values: impl IntoIterator<Item = String>) -> Vec<SelectOption> {
    values
        .into_iter()
        .map(|v| SelectOption::new(v.clone(), v))
        .collect()
}

/// `GET /selection`.
pub async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Query(q): Query<SelectionQuery>,
) -> Result<Response, AppError> {
    let (batch, b) = board(&state, &user, &q).await?;
    let matched = b.people.len();
    let query = q.query_string();
    let mut pager = Pager::new(
        "/selection",
        q.page.unwrap_or(1),
        q.per_page.unwrap_or(50),
        matched as u64,
    );
    for (name, value) in q.filters() {
        pager = pager.keep(name, value);
    }
    let start = usize::try_from(pager.offset())
        .unwrap_or(usize::MAX)
        .min(matched);
    let end = (start + pager.per_page as usize).min(matched);
    let rows: Vec<(u64, Candidacy)> = b
        .people
        .into_iter()
        .enumerate()
        .skip(start)
        .take(end - start)
        .map(|(i, p)| (i as u64 + 1, p))
        .collect();
    let params = &batch.params;
    let search = SearchForm::new("/selection")
        .field(SearchField::text("q", "姓名或单位", &q.q))
        .field(SearchField::select(
            "status",
            "遴选状态",
            &q.status,
            SelectionStatus::ALL
                .into_iter()
                .map(|s| SelectOption::new(s.as_str(), s.label()))
                .collect(),
        ))
        .field(SearchField::select(
            "tier",
            "学校类别",
            &q.tier,
            options(params.tiers.iter().map(|t| t.name.clone())),
        ))
        .field(SearchField::select(
            "direction",
            "派出方向",
            &q.direction,
            vec![
                SelectOption::new("school", "学校派出"),
                SelectOption::new("enterprise", "企业派出"),
            ],
        ))
        .field(SearchField::select(
            "kind",
            "企业类别",
            &q.kind,
            options(params.enterprise_kinds.iter().map(|k| k.name.clone())),
        ))
        .field(SearchField::select(
            "opinion",
            "部门意见",
            &q.opinion,
            vec![
                SelectOption::new("object", "有异议"),
                SelectOption::new("agree", "无异议"),
                SelectOption::new("none", "未提意见"),
            ],
        ))
        .field(SearchField::select(
            "body",
            "分送",
            &q.body,
            vec![
                SelectOption::new("sasac", "市国资委"),
                SelectOption::new("federation", "市工商联"),
                SelectOption::new("none", "未分送"),
            ],
        ));
    let columns = vec![
        ui::Column::new("").class("col-check"),
        ui::Column::new("序号").class("num"),
        ui::Column::new("姓名"),
        ui::Column::new("派出方向"),
        ui::Column::new("学校（类别）"),
        ui::Column::new("企业（类别）"),
        ui::Column::new("拟挂任职务"),
        ui::Column::new("遴选结果"),
        ui::Column::new("部门意见"),
        ui::Column::new("重复推荐"),
    ];
    let mut frame = user
        .frame_with_batch(&state, &format!("{}遴选与公布", batch.name), "selection")
        .await?;
    for f in take_flash(&session).await {
        frame = frame.flash(f);
    }
    let publicity_until = b
        .publicity_open
        .as_ref()
        .and_then(|p| p.closes_at)
        .map(shuangshi_store::submissions::beijing_time)
        .unwrap_or_default();
    let may_approve = b
        .pending_final
        .as_ref()
        .is_some_and(|p| p.made_by != Some(user.user.id));
    Ok(SelectionPage {
        frame,
        search,
        columns,
        rows,
        pager,
        matched,
        counts: b.counts,
        totals: b.totals,
        programme: b.programme,
        short_schools: b.schools.iter().filter(|s| !s.findings.is_empty()).count(),
        schools: b.schools,
        publications: b.publications.iter().rev().map(PubView::of).collect(),
        open_objections: b
            .objections
            .iter()
            .filter(|o| o.status == ObjectionStatus::Open)
            .count(),
        objections: b.objections.iter().map(ObjView::of).collect(),
        frozen: b.frozen,
        correcting: b.correcting,
        publicity_open: b.publicity_open.is_some(),
        publicity_until,
        pending_final: b.pending_final.as_ref().map(PubView::of),
        may_approve,
        unrouted: b.unrouted,
        working_days: params.publicity.working_days,
        hidden: q
            .filters()
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(n, v)| {
                (
                    if n == "status" { "f_status" } else { n }.to_owned(),
                    v.to_owned(),
                )
            })
            .collect(),
        back: if query.is_empty() {
            "/selection".to_owned()
        } else {
            format!("/selection?{query}")
        },
    }
    .into_response())
}

/// A local path to come back to (anything else: the page itself).
fn back_to(s: &str) -> String {
    if s.starts_with("/selection") && !s.starts_with("//") {
        s.to_owned()
    } else {
        "/selection".to_owned()
    }
}

/// What to do with the ticked people, or with everyone the filters match (`all=1`).
async fn decide_form(
    state: &AppState,
    user: &CurrentUser,
    fields: &[(String, String)],
) -> Result<Flash, AppError> {
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let Some(status) = parse_selection_status(get("status")) else {
        return Ok(Flash::error("请选择要标记的结果（入选、未入选或待遴选）"));
    };
    let batch = crate::school::batch_or_conflict(&state.store).await?;
    let ids: Vec<i64> = if get("all") == "1" {
        let q = SelectionQuery {
            q: get("q").to_owned(),
            tier: get("tier").to_owned(),
            direction: get("direction").to_owned(),
            kind: get("kind").to_owned(),
            status: get("f_status").to_owned(),
            opinion: get("opinion").to_owned(),
            body: get("body").to_owned(),
            page: None,
            per_page: None,
        };
        state
            .app
            .selection_board(
                &user.scope(),
                &batch,
                &q.filter(),
                &crate::disclosure::Disclosure::masked(user),
            )
            .await?
            .people
            .iter()
            .map(|p| p.record.id)
            .collect()
    } else {
        fields
            .iter()
            .filter(|(n, _)| n == "id")
            .filter_map(|(_, v)| v.parse().ok())
            .collect()
    };
    Ok(
        match state
            .app
            .decide_selection(
                &user.scope(),
                &user.actor(),
                &batch,
                &ids,
                status,
                get("reason"),
            )
            .await
        {
            Ok(n) => Flash::success(format!(
                "已将 {n} 人标记为「{}」{}",
                status.label(),
                if (n as usize) < ids.len() {
                    format!("（另有 {} 人原本即为该结果）", ids.len() - n as usize)
                } else {
                    String::new()
                }
            )),
            Err(shuangshi_app::Error::Refused(r)) => Flash::error(r.message),
            Err(e) => return Err(e.into()),
        },
    )
}

/// `POST /selection/decide`: `id` (repeated) or `all=1` with the filters; `status`, `reason`.
pub async fn decide(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let flash = decide_form(&state, &user, &fields).await?;
    push_flash(&session, flash).await;
    let back = fields
        .iter()
        .find(|(n, _)| n == "back")
        .map(|(_, v)| back_to(v))
        .unwrap_or_else(|| "/selection".to_owned());
    Ok(crate::school::back(&back))
}

/// A form with a note or a reason.
#[derive(Debug, Default, Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    pub note: String,
    /// `upheld` or `dismissed` (objections).
    #[serde(default)]
    pub decision: String,
}

async fn act<T>(
    session: &Session,
    done: impl Into<String>,
    r: shuangshi_app::Result<T>,
) -> Result<Response, AppError> {
    let flash = match r {
        Ok(_) => Flash::success(done),
        Err(shuangshi_app::Error::Refused(r)) => Flash::error(r.message),
        Err(e) => return Err(e.into()),
    };
    push_flash(session, flash).await;
    Ok(crate::school::back("/selection"))
}

/// `POST /selection/publicity`: publishes the 公示 of the people selected now.
pub async fn publicity(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    CsrfForm(_): CsrfForm<NoteForm>,
) -> Result<Response, AppError> {
    let batch = crate::school::batch_or_conflict(&state.store).await?;
    let r = state
        .app
        .publish_publicity(&user.actor(), &batch, Utc::now())
        .await;
    let done = match &r {
        Ok(p) => format!(
            "已发布公示（{} 人），公示期至 {}；公众可在「/public」查看并提出异议",
            p.entries.len(),
            p.closes_at
                .map(shuangshi_store::submissions::beijing_time)
                .unwrap_or_default()
        ),
        Err(_) => String::new(),
    };
    act(&session, done, r).await
}

/// `POST /selection/final`: proposes the final list (published at once with one administrator).
pub async fn final_list(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    CsrfForm(form): CsrfForm<NoteForm>,
) -> Result<Response, AppError> {
    let batch = crate::school::batch_or_conflict(&state.store).await?;
    let r = state
        .app
        .propose_final(&user.actor(), &batch, &form.note)
        .await;
    let done = match &r {
        Ok(p) if p.state == PublicationState::Published => {
            format!("正式名单（{} 人）已公布，遴选结果已锁定", p.entries.len())
        }
        Ok(p) => format!(
            "正式名单（{} 人）已提交，待另一位市教委管理员复核后公布",
            p.entries.len()
        ),
        Err(_) => String::new(),
    };
    act(&session, done, r).await
}

/// `POST /selection/final/{id}/approve`: a second 市教委管理员 publishes the final list.
pub async fn approve(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<NoteForm>,
) -> Result<Response, AppError> {
    let r = state.app.approve_final(&user.actor(), id).await;
    act(&session, "已复核并公布正式名单，遴选结果已锁定", r).await
}

/// `POST /selection/final/{id}/withdraw`: the maker takes a list back before approval.
pub async fn withdraw(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<NoteForm>,
) -> Result<Response, AppError> {
    let r = state.app.withdraw_final(&user.actor(), id).await;
    act(&session, "已撤回待复核的正式名单", r).await
}

/// `POST /selection/correction`: opens a correction of the published final list.
pub async fn correction(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    CsrfForm(form): CsrfForm<NoteForm>,
) -> Result<Response, AppError> {
    let batch = crate::school::batch_or_conflict(&state.store).await?;
    let r = state
        .app
        .open_correction(&user.actor(), &batch, &form.note)
        .await;
    act(
        &session,
        "已发起更正：可修改遴选结果，改后重新提交正式名单（新修订版须复核）",
        r,
    )
    .await
}

/// `POST /selection/objections/{id}`: `decision` = upheld / dismissed, `note`.
pub async fn objection(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<NoteForm>,
) -> Result<Response, AppError> {
    let upheld = match form.decision.as_str() {
        "upheld" => true,
        "dismissed" => false,
        _ => {
            push_flash(&session, Flash::error("请选择「异议成立」或「异议不成立」")).await;
            return Ok(crate::school::back("/selection"));
        }
    };
    let r = state
        .app
        .handle_objection(&user.actor(), id, upheld, &form.note)
        .await;
    act(
        &session,
        if upheld {
            "已认定异议成立：被反映人已标记为「未入选」，原因为异议处理意见"
        } else {
            "已认定异议不成立"
        },
        r,
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// JSON API.

/// A finding in the API (RULES.md's shape).
fn snap(f: &Finding) -> crate::review::SnapFinding {
    serde_json::to_value(f)
        .and_then(serde_json::from_value)
        .unwrap_or_default()
}

/// An oversight body's opinion in the API.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiOpinion {
    /// 市国资委 or 市工商联.
    pub body: String,
    /// 无异议 or 有异议.
    pub opinion: String,
    pub reason: String,
}

/// A person in the selection.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiCandidate {
    pub id: i64,
    pub name: String,
    /// 学校派出, 企业派出 or 未能判断.
    pub direction: String,
    pub school: String,
    pub school_tier: String,
    pub enterprise: String,
    pub enterprise_kind: String,
    pub sending_unit: String,
    pub receiving_unit: String,
    pub post: String,
    pub term: String,
    /// `pending`, `selected`, `rejected`.
    pub status: String,
    /// 待遴选, 入选, 未入选, 公示中 or 已公布.
    pub outcome: String,
    pub reason: String,
    /// 市国资委, 市工商联 or 未分送.
    pub copied_to: String,
    pub opinions: Vec<ApiOpinion>,
    pub duplicates: Vec<crate::review::SnapFinding>,
}

/// One school's standing over its selected people.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiStanding {
    pub school: String,
    pub tier: String,
    pub teachers: u32,
    pub tech_vps: u32,
    pub engineers: u32,
    pub deans: u32,
    pub min_sent: u32,
    pub min_received: u32,
    pub min_school_senior: u32,
    pub min_enterprise_senior: u32,
    /// S01, S03–S05 over the selected people.
    pub findings: Vec<crate::review::SnapFinding>,
}

/// A publication in the API.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiPublication {
    pub id: i64,
    /// `publicity` (公示) or `final` (正式名单).
    pub kind: String,
    pub revision: i32,
    /// `draft`, `pending`, `published`, `superseded`.
    pub state: String,
    pub entries: usize,
    pub opens_at: Option<String>,
    pub closes_at: Option<String>,
    pub made_by: String,
    pub approved_by: String,
    pub published_at: Option<String>,
    pub note: String,
}

impl From<&Publication> for ApiPublication {
    fn from(p: &Publication) -> ApiPublication {
        ApiPublication {
            id: p.id,
            kind: p.kind.as_str().to_owned(),
            revision: p.revision,
            state: p.state.as_str().to_owned(),
            entries: p.entries.len(),
            opens_at: p.opens_at.map(|t| t.to_rfc3339()),
            closes_at: p.closes_at.map(|t| t.to_rfc3339()),
            made_by: p.made_by_name.clone(),
            approved_by: p.approved_by_name.clone(),
            published_at: p.published_at.map(|t| t.to_rfc3339()),
            note: p.note.clone(),
        }
    }
}

/// A total against its target.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiSelectionTotal {
    pub label: String,
    pub have: u32,
    pub target: u32,
}

/// The selection board.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiBoard {
    pub batch: String,
    pub pending: usize,
    pub selected: usize,
    pub rejected: usize,
    pub totals: Vec<ApiSelectionTotal>,
    /// P01/P02 over the selected people.
    pub programme: Vec<crate::review::SnapFinding>,
    pub schools: Vec<ApiStanding>,
    pub frozen: bool,
    pub publications: Vec<ApiPublication>,
    /// People matching the filters.
    pub total: usize,
    pub page: u64,
    pub per_page: u32,
    pub items: Vec<ApiCandidate>,
}

/// `GET /api/v1/selection`: the selection with the page's filters.
#[utoipa::path(get, path = "/api/v1/selection", tag = "selection",
    params(SelectionQuery),
    responses((status = 200, body = ApiBoard), (status = 401), (status = 403), (status = 409)),
    security(("bearer" = [])))]
pub async fn api_board(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<SelectionQuery>,
) -> Result<Json<ApiBoard>, AppError> {
    let (batch, b) = board(&state, &user, &q).await?;
    let total = b.people.len();
    let per_page = q.per_page.unwrap_or(100).clamp(1, 500);
    let page = q.page.unwrap_or(1).max(1);
    let skip =
        usize::try_from((page - 1).saturating_mul(u64::from(per_page))).unwrap_or(usize::MAX);
    let items = b
        .people
        .iter()
        .skip(skip)
        .take(per_page as usize)
        .map(|p| ApiCandidate {
            id: p.record.id,
            name: p.record.name.clone(),
            direction: p.direction_label.to_owned(),
            school: p.record.school_name.clone(),
            school_tier: p.record.school_tier.clone(),
            enterprise: p.record.enterprise_name.clone(),
            enterprise_kind: p.record.enterprise_kind.clone(),
            sending_unit: p.record.sending_unit.clone(),
            receiving_unit: p.record.receiving_unit.clone(),
            post: p.record.post.clone(),
            term: p.record.term.clone(),
            status: p.record.status.as_str().to_owned(),
            outcome: p.outcome.to_owned(),
            reason: p.record.reason.clone(),
            copied_to: p.body_label.to_owned(),
            opinions: p
                .record
                .opinions
                .iter()
                .map(|o| ApiOpinion {
                    body: o.body_label().to_owned(),
                    opinion: o.label().to_owned(),
                    reason: o.reason.clone(),
                })
                .collect(),
            duplicates: p.duplicates.iter().map(snap).collect(),
        })
        .collect();
    Ok(Json(ApiBoard {
        batch: batch.name,
        pending: b.counts[0],
        selected: b.counts[1],
        rejected: b.counts[2],
        totals: b
            .totals
            .iter()
            .map(|t| ApiSelectionTotal {
                label: t.label.to_owned(),
                have: t.have,
                target: t.target,
            })
            .collect(),
        programme: b.programme.iter().map(snap).collect(),
        schools: b
            .schools
            .iter()
            .map(|s| ApiStanding {
                school: s.school.clone(),
                tier: s.tier.clone(),
                teachers: s.tally.teachers,
                tech_vps: s.tally.tech_vps,
                engineers: s.tally.engineers,
                deans: s.tally.deans,
                min_sent: s.min_sent,
                min_received: s.min_received,
                min_school_senior: s.min_school_senior,
                min_enterprise_senior: s.min_enterprise_senior,
                findings: s.findings.iter().map(snap).collect(),
            })
            .collect(),
        frozen: b.frozen,
        publications: b.publications.iter().map(ApiPublication::from).collect(),
        total,
        page,
        per_page,
        items,
    }))
}

/// A selection decision.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ApiDecide {
    pub ids: Vec<i64>,
    /// `selected` (入选), `rejected` (未入选, needs `reason`) or `pending`.
    pub status: String,
    #[serde(default)]
    pub reason: String,
}

/// How many people changed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiChanged {
    pub changed: u64,
}

fn refused(e: shuangshi_app::Error) -> AppError {
    match e {
        shuangshi_app::Error::Refused(r) => AppError::conflict(r.message),
        e => e.into(),
    }
}

/// `POST /api/v1/selection/decide`: 入选 / 未入选 / 待遴选 for the given people.
#[utoipa::path(post, path = "/api/v1/selection/decide", tag = "selection",
    request_body = ApiDecide,
    responses((status = 200, body = ApiChanged), (status = 400), (status = 409)),
    security(("bearer" = [])))]
pub async fn api_decide(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<ApiDecide>,
) -> Result<Json<ApiChanged>, AppError> {
    let Some(status) = parse_selection_status(&body.status) else {
        return Err(AppError::bad_request(format!(
            "status 应为 selected、rejected 或 pending，收到「{}」",
            body.status
        )));
    };
    let batch = crate::school::batch_or_conflict(&state.store).await?;
    let changed = state
        .app
        .decide_selection(
            &user.scope(),
            &user.actor(),
            &batch,
            &body.ids,
            status,
            &body.reason,
        )
        .await
        .map_err(refused)?;
    Ok(Json(ApiChanged { changed }))
}

/// `GET /api/v1/selection/publications`: the batch's 公示 and final lists, oldest first.
#[utoipa::path(get, path = "/api/v1/selection/publications", tag = "selection",
    responses((status = 200, body = Vec<ApiPublication>)),
    security(("bearer" = [])))]
pub async fn api_publications(
    State(state): State<AppState>,
    _user: CurrentUser,
) -> Result<Json<Vec<ApiPublication>>, AppError> {
    let batch = crate::school::batch_or_conflict(&state.store).await?;
    let pubs = state.store.list_publications(batch.id).await?;
    Ok(Json(pubs.iter().map(ApiPublication::from).collect()))
}

/// `POST /api/v1/selection/publicity`: publishes the 公示 of the people selected now.
#[utoipa::path(post, path = "/api/v1/selection/publicity", tag = "selection",
    responses((status = 200, body = ApiPublication), (status = 409)),
    security(("bearer" = [])))]
pub async fn api_publicity(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<ApiPublication>, AppError> {
    let batch = crate::school::batch_or_conflict(&state.store).await?;
    let p = state
        .app
        .publish_publicity(&user.actor(), &batch, Utc::now())
        .await
        .map_err(refused)?;
    Ok(Json(ApiPublication::from(&p)))
}

/// A note (the final list's remark, a correction's reason, an objection's handling).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ApiNote {
    #[serde(default)]
    pub note: String,
}

/// `POST /api/v1/selection/final`: proposes the final list.
#[utoipa::path(post, path = "/api/v1/selection/final", tag = "selection",
    request_body = ApiNote,
    responses((status = 200, body = ApiPublication), (status = 409)),
    security(("bearer" = [])))]
pub async fn api_final(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<ApiNote>,
) -> Result<Json<ApiPublication>, AppError> {
    let batch = crate::school::batch_or_conflict(&state.store).await?;
    let p = state
        .app
        .propose_final(&user.actor(), &batch, &body.note)
        .await
        .map_err(refused)?;
    Ok(Json(ApiPublication::from(&p)))
}

/// `POST /api/v1/selection/final/{id}/approve`: approval by a second 市教委管理员.
#[utoipa::path(post, path = "/api/v1/selection/final/{id}/approve", tag = "selection",
    params(("id" = i64, Path, description = "publication id")),
    responses((status = 200, body = ApiPublication), (status = 404), (status = 409)),
    security(("bearer" = [])))]
pub async fn api_approve(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<ApiPublication>, AppError> {
    let p = state
        .app
        .approve_final(&user.actor(), id)
        .await
        .map_err(refused)?;
    Ok(Json(ApiPublication::from(&p)))
}

/// `POST /api/v1/selection/correction`: opens a correction (`note` is the reason).
#[utoipa::path(post, path = "/api/v1/selection/correction", tag = "selection",
    request_body = ApiNote,
    responses((status = 204), (status = 400), (status = 409)),
    security(("bearer" = [])))]
pub async fn api_correction(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(body): Json<ApiNote>,
) -> Result<axum::http::StatusCode, AppError> {
    let batch = crate::school::batch_or_conflict(&state.store).await?;
    state
        .app
        .open_correction(&user.actor(), &batch, &body.note)
        .await
        .map_err(refused)?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// An objection in the API.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiObjection {
    pub id: i64,
    pub person: String,
    pub contact: String,
    pub body: String,
    /// `open`, `upheld`, `dismissed`.
    pub status: String,
    pub note: String,
    pub created_at: String,
}

impl From<&Objection> for ApiObjection {
    fn from(o: &Objection) -> ApiObjection {
        ApiObjection {
            id: o.id,
            person: o.person.clone(),
            contact: o.contact.clone(),
            body: o.body.clone(),
            status: o.status.as_str().to_owned(),
            note: o.note.clone(),
            created_at: o.created_at.to_rfc3339(),
        }
    }
}

/// `GET /api/v1/selection/objections`: the objections to the batch's 公示, newest first.
#[utoipa::path(get, path = "/api/v1/selection/objections", tag = "selection",
    responses((status = 200, body = Vec<ApiObjection>)),
    security(("bearer" = [])))]
pub async fn api_objections(
    State(state): State<AppState>,
    _user: CurrentUser,
) -> Result<Json<Vec<ApiObjection>>, AppError> {
    let batch = crate::school::batch_or_conflict(&state.store).await?;
    let list = state.store.list_objections(batch.id).await?;
    Ok(Json(list.iter().map(ApiObjection::from).collect()))
}

/// How an objection is handled.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ApiHandle {
    /// `upheld` (成立: the person becomes 未入选) or `dismissed` (不成立).
    pub decision: String,
    pub note: String,
}

/// `POST /api/v1/selection/objections/{id}`: handles an objection.
#[utoipa::path(post, path = "/api/v1/selection/objections/{id}", tag = "selection",
    params(("id" = i64, Path, description = "objection id")),
    request_body = ApiHandle,
    responses((status = 200, body = ApiObjection), (status = 400), (status = 404), (status = 409)),
    security(("bearer" = [])))]
pub async fn api_objection(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Json(body): Json<ApiHandle>,
) -> Result<Json<ApiObjection>, AppError> {
    let upheld = match body.decision.as_str() {
        "upheld" => true,
        "dismissed" => false,
        other => {
            return Err(AppError::bad_request(format!(
                "decision 应为 upheld 或 dismissed，收到「{other}」"
            )));
        }
    };
    let o = state
        .app
        .handle_objection(&user.actor(), id, upheld, &body.note)
        .await
        .map_err(refused)?;
    Ok(Json(ApiObjection::from(&o)))
}

/// One person's outcome, for the school or the enterprise.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiOutcome {
    pub name: String,
    /// 学校派出, 企业派出 or 未能判断.
    pub direction: String,
    pub school: String,
    pub enterprise: String,
    pub post: String,
    /// 待遴选, 入选, 未入选, 公示中 or 已公布.
    pub outcome: String,
    /// Why 未入选.
    pub reason: String,
}

/// `GET /api/v1/outcomes`: the selection outcome of each of the school's (or the enterprise's)
/// people in the current batch.
#[utoipa::path(get, path = "/api/v1/outcomes", tag = "selection",
    responses((status = 200, body = Vec<ApiOutcome>), (status = 401), (status = 403)),
    security(("bearer" = [])))]
pub async fn api_outcomes(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<Vec<ApiOutcome>>, AppError> {
    let batch = crate::school::batch_or_conflict(&state.store).await?;
    let list = state.app.outcomes(&user.scope(), &batch).await?;
    Ok(Json(
        list.into_iter()
            .map(|o| ApiOutcome {
                name: o.record.name,
                direction: o.direction_label.to_owned(),
                school: o.record.school_name,
                enterprise: o.record.enterprise_name,
                post: o.record.post,
                outcome: o.outcome.to_owned(),
                reason: o.record.reason,
            })
            .collect(),
    ))
}
