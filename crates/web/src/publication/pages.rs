//! 公示公告: the pages anyone can read without an account (通知四(四): 「市教委会同各有关部门确定并
//! 公布交流互派人员名单」). `/public` lists every batch with a published list; `/public/{number}`
//! shows the list in force of batch `number` — the 公示 while it runs (with the way to object and,
//! while the window is open, the objection form), then the final list — with a print view for A4
//! and the xlsx download; the same under `/api/v1/public`.
//!
//! Only [`shuangshi_store::PublicEntry`]'s public fields ever leave this module (序号, 姓名, 派出单位,
//! 接收单位, 拟挂任职务, 交流期限, 派出方向); never the selection's id, nor anything of the forms.
//! Every read and the objection call the use cases of `shuangshi_app::selection`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use shuangshi_app::selection::{
    CONTACT_MAX_CHARS, OBJECTION_MAX_CHARS, ObjectionForm, PUBLIC_HEADERS, public_title,
    public_xlsx,
};
use shuangshi_store::submissions::beijing_time;
use shuangshi_store::{Objection, PublicEntry, PublicList, PublicationKind, StoreError};

use crate::auth::ClientIp;
use crate::error::AppError;
use crate::filters;
use crate::state::AppState;

fn when(t: Option<DateTime<Utc>>) -> String {
    t.map(beijing_time).unwrap_or_default()
}

/// 「X 至 Y」 of a 公示 (empty for a final list).
fn window_of(list: &PublicList) -> String {
    let p = &list.publication;
    if p.kind == PublicationKind::Publicity {
        format!("{} 至 {}", when(p.opens_at), when(p.closes_at))
    } else {
        String::new()
    }
}

/// The list in force of batch `number`, `None` when it has none (or there is no such batch).
pub(super) async fn find(state: &AppState, number: u32) -> Result<Option<PublicList>, AppError> {
    match state.app.public_list(number).await {
        Ok(l) => Ok(Some(l)),
        Err(shuangshi_app::Error::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// When the final list of the batch was first published (its first revision), for 「公布日期」.
async fn first_published(state: &AppState, list: &PublicList) -> Result<String, AppError> {
    let first = state
        .store
        .list_publications(list.batch_id)
        .await?
        .into_iter()
        .filter(|p| p.kind == PublicationKind::Final)
        .filter_map(|p| p.published_at)
        .min();
    Ok(when(first.or(list.publication.published_at)))
}

// ---------------------------------------------------------------------------------------------
// Pages.

/// One batch on `/public`.
pub struct ListLine {
    pub number: u32,
    pub batch_name: String,
    pub title: String,
    /// 公示名单 or 正式名单.
    pub kind: &'static str,
    pub final_list: bool,
    /// When it was published (Asia/Shanghai).
    pub published: String,
    /// The 公示期 (empty for a final list).
    pub window: String,
    /// Objections are taken now.
    pub open: bool,
    pub people: usize,
}

/// `/public`: every batch with a published list, newest first.
#[derive(Template, WebTemplate)]
#[template(path = "public/index.html")]
pub struct IndexPage {
    pub lines: Vec<ListLine>,
}

/// What the visitor typed into the objection form (kept when it is refused).
#[derive(Debug, Clone, Default)]
pub struct Typed {
    pub seq: u32,
    pub contact: String,
    pub body: String,
}

/// `/public/{number}`: the list in force, and for a 公示 the way to object.
#[derive(Template, WebTemplate)]
#[template(path = "public/list.html")]
pub struct ListPage {
    pub number: u32,
    pub batch_name: String,
    pub title: String,
    pub final_list: bool,
    /// 公示期 「X 至 Y」.
    pub window: String,
    pub working_days: u32,
    /// The 公示 takes objections now.
    pub open: bool,
    /// Where the list stands: 公示中, 公示期已结束 or 已公布.
    pub state: &'static str,
    /// The tag's colour class for `state`.
    pub state_tag: &'static str,
    /// 公布日期 of a final list.
    pub published: String,
    /// 修订于 … (a final list's revision after the first), else empty.
    pub revised: String,
    /// Whom to write to with an objection.
    pub contact: String,
    pub headers: [&'static str; 7],
    pub entries: Vec<PublicEntry>,
    pub typed: Typed,
    /// Why the objection was refused (empty: none sent).
    pub error: String,
    pub max_contact: usize,
    pub max_body: usize,
}

/// `/public/{number}/print`: the list for A4.
#[derive(Template, WebTemplate)]
#[template(path = "public/print.html")]
pub struct PrintPage {
    pub number: u32,
    pub title: String,
    pub final_list: bool,
    pub window: String,
    pub published: String,
    pub revised: String,
    pub headers: [&'static str; 7],
    pub entries: Vec<PublicEntry>,
}

/// The answer to an objection taken.
#[derive(Template, WebTemplate)]
#[template(path = "public/received.html")]
pub struct ReceivedPage {
    pub number: u32,
    pub title: String,
    /// The person objected to (empty: not about one person).
    pub person: String,
    pub at: String,
}

/// A batch without a published list.
#[derive(Template, WebTemplate)]
#[template(path = "public/missing.html")]
pub struct MissingPage {
    pub number: u32,
}

fn missing(number: u32) -> Response {
    (StatusCode::NOT_FOUND, MissingPage { number }).into_response()
}

/// `GET /public`.
pub async fn index(State(state): State<AppState>) -> Result<Response, AppError> {
    let now = Utc::now();
    let lines = state
        .app
        .public_lists()
        .await?
        .iter()
        .map(|l| ListLine {
            number: l.batch_number,
            batch_name: l.batch_name.clone(),
            title: public_title(l),
            kind: l.publication.kind.label(),
            final_list: l.publication.kind == PublicationKind::Final,
            published: when(l.publication.published_at),
            window: window_of(l),
            open: l.publication.is_open(now),
            people: l.publication.entries.len(),
        })
        .collect();
    Ok(IndexPage { lines }.into_response())
}

async fn list_view(
    state: &AppState,
    list: PublicList,
    typed: Typed,
    error: String,
) -> Result<ListPage, AppError> {
    let final_list = list.publication.kind == PublicationKind::Final;
    let (published, revised) = if final_list {
        (
            first_published(state, &list).await?,
            if list.publication.revision > 1 {
                when(list.publication.published_at)
            } else {
                String::new()
            },
        )
    } else {
        (when(list.publication.published_at), String::new())
    };
    let open = list.publication.is_open(Utc::now());
    let (state, state_tag) = if final_list {
        ("已公布", "tag-green")
    } else if open {
        ("公示中", "tag-blue")
    } else {
        ("公示期已结束", "tag-grey")
    };
    Ok(ListPage {
        number: list.batch_number,
        title: public_title(&list),
        window: window_of(&list),
        open,
        state,
        state_tag,
        working_days: list.working_days,
        batch_name: list.batch_name,
        final_list,
        published,
        revised,
        contact: list.contact,
        headers: PUBLIC_HEADERS,
        entries: list.publication.entries,
        typed,
        error,
        max_contact: CONTACT_MAX_CHARS,
        max_body: OBJECTION_MAX_CHARS,
    })
}

/// `GET /public/{number}`.
pub async fn list_page(
    State(state): State<AppState>,
    Path(number): Path<u32>,
) -> Result<Response, AppError> {
    let Some(list) = find(&state, number).await? else {
        return Ok(missing(number));
    };
    Ok(list_view(&state, list, Typed::default(), String::new())
        .await?
        .into_response())
}

/// `GET /public/{number}/print`.
pub async fn print_page(
    State(state): State<AppState>,
    Path(number): Path<u32>,
) -> Result<Response, AppError> {
    let Some(list) = find(&state, number).await? else {
        return Ok(missing(number));
    };
    let v = list_view(&state, list, Typed::default(), String::new()).await?;
    Ok(PrintPage {
        number: v.number,
        title: v.title,
        final_list: v.final_list,
        window: v.window,
        published: v.published,
        revised: v.revised,
        headers: v.headers,
        entries: v.entries,
    }
    .into_response())
}

/// The download's file name: 「第十批交流互派人员名单（公示）.xlsx」 / 「第十批交流互派人员名单.xlsx」.
fn file_name(list: &PublicList) -> String {
    match list.publication.kind {
        PublicationKind::Publicity => format!("{}交流互派人员名单（公示）.xlsx", list.batch_name),
        PublicationKind::Final if list.publication.revision > 1 => format!(
            "{}交流互派人员名单（第{}次修订）.xlsx",
            list.batch_name,
            list.publication.revision - 1
        ),
        PublicationKind::Final => format!("{}交流互派人员名单.xlsx", list.batch_name),
    }
}

/// `GET /public/{number}/list.xlsx`: the public fields only.
pub async fn list_xlsx(
    State(state): State<AppState>,
    Path(number): Path<u32>,
) -> Result<Response, AppError> {
    let Some(list) = find(&state, number).await? else {
        return Ok(missing(number));
    };
    let name = file_name(&list);
    let bytes = tokio::task::spawn_blocking(move || public_xlsx(&list))
        .await
        .map_err(AppError::internal)??;
    Ok(crate::shared::download::attachment(
        bytes,
        crate::shared::download::XLSX,
        &name,
    ))
}

/// The objection form's fields (all optional here: the use case says what is missing).
#[derive(Debug, Default, Deserialize)]
pub struct ObjectionFields {
    /// 序号 on the list, `0` (or blank): not about one person.
    #[serde(default)]
    pub seq: String,
    #[serde(default)]
    pub contact: String,
    #[serde(default)]
    pub body: String,
}

/// How an objection fared, for both doors.
pub(super) enum Sent {
    Taken(Objection),
    /// Refused with the app's message and the status to answer with.
    Refused(StatusCode, String),
    NoList,
}

pub(super) async fn send(
    state: &AppState,
    number: u32,
    form: &ObjectionForm,
    ip: &str,
) -> Result<Sent, AppError> {
    match state.app.submit_objection(number, form, ip).await {
        Ok(o) => Ok(Sent::Taken(o)),
        Err(shuangshi_app::Error::Refused(r)) => {
            // Closed window (or a final list in force): 409; anything the sender can fix: 400.
            let open = find(state, number)
                .await?
                .is_some_and(|l| l.publication.is_open(Utc::now()));
            let status = if open {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::CONFLICT
            };
            Ok(Sent::Refused(status, r.message))
        }
        Err(shuangshi_app::Error::Store(StoreError::Throttled(m))) => {
            Ok(Sent::Refused(StatusCode::TOO_MANY_REQUESTS, m))
        }
        Err(shuangshi_app::Error::NotFound) => Ok(Sent::NoList),
        Err(e) => Err(e.into()),
    }
}

const BAD_SEQ: &str = "请从名单中选择被反映人，或选择「不针对具体人员」";

/// `POST /public/{number}/objections`: a visitor's objection to the 公示.
pub async fn objection(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(number): Path<u32>,
    Form(fields): Form<ObjectionFields>,
) -> Result<Response, AppError> {
    let Some(list) = find(&state, number).await? else {
        return Ok(missing(number));
    };
    let seq = match fields.seq.trim() {
        "" => Some(0),
        s => s.parse::<u32>().ok(),
    };
    let typed = Typed {
        seq: seq.unwrap_or(0),
        contact: fields.contact,
        body: fields.body,
    };
    let sent = match seq {
        Some(seq) => {
            let form = ObjectionForm {
                seq,
                contact: typed.contact.clone(),
                body: typed.body.clone(),
            };
            send(&state, number, &form, &ip).await?
        }
        None => Sent::Refused(StatusCode::BAD_REQUEST, BAD_SEQ.to_owned()),
    };
    match sent {
        Sent::Taken(o) => Ok(ReceivedPage {
            number,
            title: public_title(&list),
            person: o.person,
            at: beijing_time(o.created_at),
        }
        .into_response()),
        Sent::Refused(status, message) => {
            let page = list_view(&state, list, typed, message).await?;
            Ok((status, page).into_response())
        }
        Sent::NoList => Ok(missing(number)),
    }
}

// ---------------------------------------------------------------------------------------------
// JSON API.
