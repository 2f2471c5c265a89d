//! `/api/v1/public`: the published lists and the objection form, without a token.

use super::pages::*;
use crate::auth::ClientIp;
use crate::error::{AppError, ErrorInfo};
use crate::shared::pagination::{Page, PageQuery};
use crate::state::AppState;
use axum::Json;
use axum::extract::Query;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shuangshi_app::selection::{ObjectionForm, public_title};
use shuangshi_store::PublicEntry;

/// One line of a published list (the public fields only).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiPublicEntry {
    pub seq: u32,
    pub name: String,
    pub sending_unit: String,
    pub receiving_unit: String,
    pub post: String,
    pub term: String,
    /// 学校派出 or 企业派出.
    pub direction: String,
}

impl From<&PublicEntry> for ApiPublicEntry {
    fn from(e: &PublicEntry) -> ApiPublicEntry {
        ApiPublicEntry {
            seq: e.seq,
            name: e.name.clone(),
            sending_unit: e.sending_unit.clone(),
            receiving_unit: e.receiving_unit.clone(),
            post: e.post.clone(),
            term: e.term.clone(),
            direction: e.direction.clone(),
        }
    }
}

/// A batch with a published list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiPublicBatch {
    pub batch_number: u32,
    pub batch_name: String,
    pub title: String,
    /// `publicity` (公示) or `final` (正式名单).
    pub kind: String,
    pub revision: i32,
    pub published_at: Option<String>,
    /// The 公示期 (none for a final list).
    pub opens_at: Option<String>,
    pub closes_at: Option<String>,
    /// Objections are taken now.
    pub accepting_objections: bool,
    /// How many people the list names.
    pub people: usize,
}

/// The list in force of a batch.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiPublicList {
    pub batch_number: u32,
    pub batch_name: String,
    pub title: String,
    /// `publicity` (公示) or `final` (正式名单).
    pub kind: String,
    pub revision: i32,
    pub published_at: Option<String>,
    pub opens_at: Option<String>,
    pub closes_at: Option<String>,
    pub accepting_objections: bool,
    /// Whom to write to with an objection.
    pub contact: String,
    pub entries: Vec<ApiPublicEntry>,
}

fn rfc3339(t: Option<DateTime<Utc>>) -> Option<String> {
    t.map(|t| t.to_rfc3339())
}

/// `GET /api/v1/public`: every batch with a published list, newest first.
#[utoipa::path(get, path = "/api/v1/public", tag = "public",
    params(PageQuery),
    responses((status = 200, body = Page<ApiPublicBatch>)),
    security(()))]
pub async fn api_lists(
    State(state): State<AppState>,
    Query(page): Query<PageQuery>,
) -> Result<Json<Page<ApiPublicBatch>>, AppError> {
    let now = Utc::now();
    let lists = state.app.public_lists().await?;
    Ok(Json(page.slice(lists.iter().collect()).map(|l| {
        ApiPublicBatch {
            batch_number: l.batch_number,
            batch_name: l.batch_name.clone(),
            title: public_title(l),
            kind: l.publication.kind.as_str().to_owned(),
            revision: l.publication.revision,
            published_at: rfc3339(l.publication.published_at),
            opens_at: rfc3339(l.publication.opens_at),
            closes_at: rfc3339(l.publication.closes_at),
            accepting_objections: l.publication.is_open(now),
            people: l.publication.entries.len(),
        }
    })))
}

/// `GET /api/v1/public/{number}`: the list in force of batch `number` (公示 or final).
#[utoipa::path(get, path = "/api/v1/public/{number}", tag = "public",
    params(("number" = u32, Path, description = "批次号，如 10")),
    responses((status = 200, body = ApiPublicList), (status = 404, description = "该批次尚无公布的名单")),
    security(()))]
pub async fn api_list(
    State(state): State<AppState>,
    Path(number): Path<u32>,
) -> Result<Json<ApiPublicList>, AppError> {
    let Some(l) = find(&state, number).await? else {
        return Err(AppError::NotFound);
    };
    let p = &l.publication;
    Ok(Json(ApiPublicList {
        batch_number: l.batch_number,
        batch_name: l.batch_name.clone(),
        title: public_title(&l),
        kind: p.kind.as_str().to_owned(),
        revision: p.revision,
        published_at: rfc3339(p.published_at),
        opens_at: rfc3339(p.opens_at),
        closes_at: rfc3339(p.closes_at),
        accepting_objections: p.is_open(Utc::now()),
        contact: l.contact.clone(),
        entries: p.entries.iter().map(ApiPublicEntry::from).collect(),
    }))
}

/// An objection to a 公示.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ApiObjectionIn {
    /// 序号 on the list; 0: not about one person.
    #[serde(default)]
    pub seq: u32,
    /// 姓名及电话或电子邮箱 (at most 100 characters).
    #[serde(default)]
    pub contact: String,
    /// The facts and reasons (5 to 2000 characters).
    #[serde(default)]
    pub body: String,
}

/// An objection taken.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiObjectionReceipt {
    pub id: i64,
    pub created_at: String,
}

/// A failed answer with its own Chinese message (written as JSON by `render_errors`).
fn failed(status: StatusCode, message: String) -> Response {
    let mut r = (status, message.clone()).into_response();
    r.extensions_mut().insert(ErrorInfo { status, message });
    r
}

/// `POST /api/v1/public/{number}/objections`: an objection to the 公示 of batch `number`, while
/// its window is open; at most a few per address and hour.
#[utoipa::path(post, path = "/api/v1/public/{number}/objections", tag = "public",
    params(("number" = u32, Path, description = "批次号，如 10")),
    request_body = ApiObjectionIn,
    responses(
        (status = 201, body = ApiObjectionReceipt),
        (status = 400, description = "内容不符合要求（联系方式、字数、序号）"),
        (status = 404, description = "该批次尚无公布的名单"),
        (status = 409, description = "不在公示期内"),
        (status = 429, description = "同一网络地址提交过于频繁")),
    security(()))]
pub async fn api_objection(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(number): Path<u32>,
    Json(body): Json<ApiObjectionIn>,
) -> Result<Response, AppError> {
    let form = ObjectionForm {
        seq: body.seq,
        contact: body.contact,
        body: body.body,
    };
    match send(&state, number, &form, &ip).await? {
        Sent::Taken(o) => Ok((
            StatusCode::CREATED,
            Json(ApiObjectionReceipt {
                id: o.id,
                created_at: o.created_at.to_rfc3339(),
            }),
        )
            .into_response()),
        Sent::Refused(status, message) => Ok(failed(status, message)),
        Sent::NoList => Err(AppError::NotFound),
    }
}
