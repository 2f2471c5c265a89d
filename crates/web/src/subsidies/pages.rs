//! 补助经费 (四(三)): the commission's ledger per receiving school — people × rate, paid, waiting,
//! the balance — with the 拨付 (prepared by one 市教委管理员, approved by another when there are
//! two), 补拨 / 扣回 corrections with a reason, and the finance office's xlsx (the only export with
//! full account numbers, audited). A receiving school sees its own row and reports the use of the
//! money. Pages and `/api/v1/ledger` call `shuangshi_app::ledger`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Deserialize;
use shuangshi_app::ledger::{Ledger, LedgerRow, yuan};
use shuangshi_store::{EntryKind, EntryStatus, Role};
use tower_sessions::Session;

use crate::auth::{CsrfForm, CurrentUser};
use crate::error::AppError;
use crate::filters;
use crate::session::{push_flash, take_flash};
use crate::state::AppState;
use crate::terms::pages::term_batch;
use crate::ui::{Flash, Frame, SearchField, SearchForm, SelectOption};

/// The batch of the ledger.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LedgerQuery {
    /// The batch number (default: the latest batch with a final list).
    #[serde(default)]
    pub batch: Option<u32>,
}

/// 补助经费.
#[derive(Template, WebTemplate)]
#[template(path = "ledger/page.html")]
pub struct LedgerPage {
    pub frame: Frame,
    pub batch_name: String,
    pub batch_number: u32,
    pub search: SearchForm,
    pub ledger: Ledger,
    pub is_admin: bool,
    pub me: i64,
    pub today: String,
    /// (category, amount as typed) of the school's report.
    pub use_fields: Vec<(String, String)>,
    pub use_note: String,
}

impl LedgerPage {
    pub fn money(&self, v: &i64) -> String {
        yuan(*v)
    }

    /// Whether this row has an entry the current user may approve.
    pub fn approvable(&self, e: &shuangshi_store::LedgerEntry) -> bool {
        e.status == EntryStatus::Pending && e.prepared_by_id != Some(self.me)
    }

    pub fn pending(&self, r: &LedgerRow) -> bool {
        r.pending != 0
    }
}

pub(super) async fn ledger_of(
    state: &AppState,
    user: &CurrentUser,
    batch: &shuangshi_store::BatchRecord,
) -> Result<Ledger, AppError> {
    Ok(state
        .app
        .ledger(
            &user.scope(),
            batch,
            &crate::disclosure::Disclosure::masked(user),
            Utc::now(),
        )
        .await?)
}

/// `GET /ledger`.
pub async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Query(q): Query<LedgerQuery>,
) -> Result<Response, AppError> {
    let batch = term_batch(&state, q.batch).await?;
    let ledger = ledger_of(&state, &user, &batch).await?;
    let mut batches = state.store.list_batches().await?;
    batches.sort_by_key(|b| std::cmp::Reverse(b.number));
    let search = SearchForm::new("/ledger").field(SearchField::select(
        "batch",
        "批次",
        &batch.number.to_string(),
        batches
            .into_iter()
            .map(|b| SelectOption::new(b.number.to_string(), b.name))
            .collect(),
    ));
    let mut frame = user
        .frame_with_batch(&state, &format!("{}补助经费", batch.name), "ledger")
        .await?;
    for f in take_flash(&session).await {
        frame = frame.flash(f);
    }
    let mine = ledger.rows.first().and_then(|r| r.use_report.clone());
    let use_fields = ledger
        .categories
        .iter()
        .map(|c| {
            let v = mine
                .as_ref()
                .and_then(|u| u.amounts.iter().find(|(k, _)| k == c))
                .map(|(_, v)| v.to_string())
                .unwrap_or_default();
            (c.clone(), v)
        })
        .collect();
    Ok(LedgerPage {
        frame,
        batch_name: batch.name.clone(),
        batch_number: batch.number,
        search,
        is_admin: user.role() == Role::Admin,
        me: user.user.id,
        today: Utc::now()
            .with_timezone(&shuangshi_app::checks::shanghai())
            .date_naive()
            .to_string(),
        use_fields,
        use_note: mine.map(|u| u.note).unwrap_or_default(),
        ledger,
    }
    .into_response())
}

/// `GET /ledger.xlsx`: the finance office's workbook (full account numbers; audited).
pub async fn xlsx(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<LedgerQuery>,
) -> Result<Response, AppError> {
    let batch = term_batch(&state, q.batch).await?;
    let bytes = state
        .app
        .ledger_xlsx(&user.actor(), &batch)
        .await
        .map_err(refused)?;
    let name = format!("{}补助经费拨付表.xlsx", batch.name);
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"ledger.xlsx\"; filename*=UTF-8''{}",
                    urlencoding(&name)
                ),
            ),
        ],
        bytes,
    )
        .into_response())
}

fn urlencoding(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A ledger entry as the page or the API sends it.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct EntryForm {
    #[serde(default)]
    pub batch: Option<u32>,
    /// `grant` (拨付 the balance), `supplement` (补拨) or `clawback` (扣回).
    #[serde(default)]
    pub kind: String,
    /// Yuan (补拨 / 扣回 only).
    #[serde(default)]
    pub amount: String,
    #[serde(default)]
    pub reason: String,
    /// 拨付日期, e.g. `2024-03-15`.
    #[serde(default)]
    pub paid_on: String,
    /// 凭证号.
    #[serde(default)]
    pub voucher: String,
}

pub(super) fn refused(e: shuangshi_app::Error) -> AppError {
    match e {
        shuangshi_app::Error::Refused(r) => AppError::conflict(r.message),
        e => e.into(),
    }
}

pub(super) async fn do_entry(
    state: &AppState,
    user: &CurrentUser,
    school: i64,
    f: &EntryForm,
) -> Result<(u32, shuangshi_app::Result<shuangshi_store::LedgerEntry>), AppError> {
    let batch = term_batch(state, f.batch).await?;
    let kind = EntryKind::parse(&f.kind).unwrap_or(EntryKind::Grant);
    let r = state
        .app
        .adjust(
            &user.actor(),
            &batch,
            school,
            kind,
            &f.amount,
            &f.reason,
            &f.paid_on,
            &f.voucher,
        )
        .await;
    Ok((batch.number, r))
}

async fn back_with<T>(
    session: &Session,
    batch: u32,
    done: impl Fn(&T) -> String,
    r: shuangshi_app::Result<T>,
) -> Result<Response, AppError> {
    let flash = match r {
        Ok(v) => Flash::success(done(&v)),
        Err(shuangshi_app::Error::Refused(r)) => Flash::error(r.message),
        Err(e) => return Err(e.into()),
    };
    push_flash(session, flash).await;
    Ok(crate::shared::flash::back(&format!(
        "/ledger?batch={batch}"
    )))
}

fn entry_done(e: &shuangshi_store::LedgerEntry) -> String {
    format!(
        "{}「{}」{}：{}{}",
        e.kind.label(),
        e.school_name,
        yuan(e.amount),
        e.status.label(),
        if e.status == EntryStatus::Pending {
            "，须另一位市教委管理员审批"
        } else {
            ""
        }
    )
}

/// `POST /ledger/{school}/entries`: 拨付, 补拨 or 扣回.
pub async fn entry(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Path(school): Path<i64>,
    CsrfForm(form): CsrfForm<EntryForm>,
) -> Result<Response, AppError> {
    let (n, r) = do_entry(&state, &user, school, &form).await?;
    back_with(&session, n, entry_done, r).await
}

/// `POST /ledger/entries/{id}/approve`.
pub async fn approve(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<LedgerBatch>,
) -> Result<Response, AppError> {
    let batch = term_batch(&state, form.batch).await?;
    let r = state.app.approve_entry(&user.actor(), id).await;
    back_with(&session, batch.number, entry_done, r).await
}

/// `POST /ledger/entries/{id}/withdraw`.
pub async fn withdraw(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<LedgerBatch>,
) -> Result<Response, AppError> {
    let batch = term_batch(&state, form.batch).await?;
    let r = state.app.withdraw_entry(&user.actor(), id).await;
    back_with(&session, batch.number, |_| "已撤回该笔拨付".to_owned(), r).await
}

/// The batch of a form.
#[derive(Debug, Default, Deserialize)]
pub struct LedgerBatch {
    #[serde(default)]
    pub batch: Option<u32>,
}

/// `POST /ledger/use`: `batch`, `note` and one `amount:<category>` field per category.
pub async fn report_use(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let batch = term_batch(&state, get("batch").parse().ok()).await?;
    let amounts: Vec<(String, String)> = fields
        .iter()
        .filter_map(|(n, v)| n.strip_prefix("amount:").map(|c| (c.to_owned(), v.clone())))
        .collect();
    let r = state
        .app
        .report_use(&user.scope(), &user.actor(), &batch, &amounts, &get("note"))
        .await;
    back_with(
        &session,
        batch.number,
        |u: &shuangshi_store::SubsidyUse| format!("经费使用情况已报送，合计 {}", yuan(u.total)),
        r,
    )
    .await
}
