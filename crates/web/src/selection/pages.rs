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
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Deserialize;
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
use crate::session::{push_flash, take_flash};
use crate::state::AppState;
use crate::ui::{self, Flash, Frame, Pager, SearchField, SearchForm, SelectOption};

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

pub(super) fn parse_selection_status(s: &str) -> Option<SelectionStatus> {
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
        crate::ui::filter_query(&self.filters())
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

pub(super) async fn board(
    state: &AppState,
    user: &CurrentUser,
    q: &SelectionQuery,
) -> Result<(BatchRecord, Board), AppError> {
    let batch = crate::shared::batch::batch_or_conflict(&state.store).await?;
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
    let batch = crate::shared::batch::batch_or_conflict(&state.store).await?;
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
    Ok(crate::shared::flash::back(&back))
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
    Ok(crate::shared::flash::back("/selection"))
}

/// `POST /selection/publicity`: publishes the 公示 of the people selected now.
pub async fn publicity(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    CsrfForm(_): CsrfForm<NoteForm>,
) -> Result<Response, AppError> {
    let batch = crate::shared::batch::batch_or_conflict(&state.store).await?;
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
    let batch = crate::shared::batch::batch_or_conflict(&state.store).await?;
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
    let batch = crate::shared::batch::batch_or_conflict(&state.store).await?;
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
            return Ok(crate::shared::flash::back("/selection"));
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
pub(super) fn snap(f: &Finding) -> crate::submissions::snapshot::SnapFinding {
    serde_json::to_value(f)
        .and_then(serde_json::from_value)
        .unwrap_or_default()
}
