//! Forms, their person rows, the enterprise's confirmation of rows (W02) and the sealed scans
//! (W03).
//!
//! A form's `version` goes up by one on every change of its rows, header line or footer; its
//! `content_hash` is the SHA-256 of the canonical content, so storing the same content again
//! changes nothing. A row keeps its id while its cells stay the same (also across a replace by
//! upload, where unchanged rows are matched by content), so later tables can refer to it; any edit
//! of a row clears its confirmation. A scan seals the version current at upload and is void once
//! the form changes.
//!
//! Forms can be changed only while their batch is open and the school's submission is neither
//! awaiting review nor accepted.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::ExprTrait;
use sea_orm::sea_query::{Alias, Expr, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, NotSet, QueryFilter,
    QueryOrder, QuerySelect,
};
use sha2::{Digest, Sha256};
use shuangshi_rules::{Cell, Column, Footer, Form, PersonRow};

use crate::audit::AuditEntry;
use crate::db::{Actor, Store, Tx, now};
use crate::entity::{form_rows, forms, orgs, partnerships, scans, submissions};
use crate::error::StoreError;
use crate::partnerships::{org_map, require_open_batch};
use crate::scope::Scope;
use crate::submissions::SubmissionStatus;

/// Cells per row: every [`Column`], official ones first.
pub const CELLS: usize = Column::ALL.len();

/// A form's whole content, as typed or read from a file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormContent {
    /// The school named in the header line (「交流互聘学校（盖章）：…」).
    pub header_school: String,
    /// The enterprise named in the header line.
    pub header_enterprise: String,
    /// 学校填表人.
    pub filler: String,
    /// 联系电话.
    pub phone: String,
    /// Rows of [`CELLS`] cell texts in `Column::ALL` order.
    pub rows: Vec<Vec<String>>,
}

impl FormContent {
    /// The content of a form read by the rule engine's reader (raw cell texts).
    pub fn from_rules_form(form: &Form) -> FormContent {
        FormContent {
            header_school: form
                .school
                .as_ref()
                .map(|h| h.raw.clone())
                .unwrap_or_default(),
            header_enterprise: form
                .enterprise
                .as_ref()
                .map(|h| h.raw.clone())
                .unwrap_or_default(),
            filler: form
                .footer
                .as_ref()
                .map(|f| f.filler.clone())
                .unwrap_or_default(),
            phone: form
                .footer
                .as_ref()
                .map(|f| f.phone.clone())
                .unwrap_or_default(),
            rows: form
                .rows
                .iter()
                .map(|r| Column::ALL.iter().map(|&c| r.get(c).raw.clone()).collect())
                .collect(),
        }
    }
}

/// The header line and footer of a form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormMeta {
    pub header_school: String,
    pub header_enterprise: String,
    pub filler: String,
    pub phone: String,
}

/// One stored person row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowRecord {
    /// Stable while the row's cells do not change.
    pub id: i64,
    /// 0-based order in the form.
    pub position: i32,
    /// [`CELLS`] cell texts in `Column::ALL` order.
    pub cells: Vec<String>,
    /// The form version at which the enterprise confirmed this row (cleared by any edit).
    pub confirmed_version: Option<i32>,
}

impl RowRecord {
    /// Whether the enterprise has confirmed the row as it stands (W02).
    pub fn confirmed(&self) -> bool {
        self.confirmed_version.is_some()
    }

    pub fn cell(&self, c: Column) -> &str {
        self.cells.get(c as usize).map(String::as_str).unwrap_or("")
    }
}

/// Column of `form_rows` holding the enterprise's 「有异议」 reason (m0008).
const OBJECTION: &str = "objection";
/// Column of `form_rows` holding the JSON cells as the enterprise last confirmed them (m0008).
const CONFIRMED_CELLS: &str = "confirmed_cells";
/// The longest objection reason, in characters.
pub const OBJECTION_MAX: usize = 500;

/// What the enterprise left on a row besides its confirmation ([`Store::row_notes`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowNote {
    /// 「有异议」: the enterprise's reason, until the school edits the row or the enterprise
    /// confirms it.
    pub objection: Option<String>,
    /// The cells as the enterprise last confirmed them (kept when an edit clears the
    /// confirmation; a row replaced by an upload is a new row and has none).
    pub confirmed_cells: Option<Vec<String>>,
}

impl RowNote {
    /// The columns whose cells changed since the enterprise confirmed the row, with the text it
    /// confirmed; empty when the row was never confirmed or is confirmed as it stands.
    pub fn changed_since_confirmed(&self, row: &RowRecord) -> Vec<(Column, String)> {
        let Some(old) = &self.confirmed_cells else {
            return Vec::new();
        };
        if row.confirmed() {
            return Vec::new();
        }
        Column::ALL
            .iter()
            .enumerate()
            .filter_map(|(i, &c)| {
                let was = old.get(i).map(String::as_str).unwrap_or("");
                (was != row.cell(c)).then(|| (c, was.to_string()))
            })
            .collect()
    }
}

/// A form with its rows and the names around it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormRecord {
    pub id: i64,
    pub partnership_id: i64,
    pub batch_id: i64,
    pub school_id: i64,
    pub school_name: String,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub enterprise_category: String,
    pub version: i32,
    pub header_school: String,
    pub header_enterprise: String,
    pub filler: String,
    pub phone: String,
    pub content_hash: String,
    pub updated_at: DateTime<Utc>,
    pub rows: Vec<RowRecord>,
}

/// The sheet row of the first person row in [`FormRecord::to_rules_form`]: the official
/// template's title, header line and two-row column header take rows 1–4, so a finding's cell (J5)
/// is the cell of the same person in the downloaded form (`shuangshi_sheet::write::FIRST_DATA_ROW`).
pub const FIRST_ROW: u32 = 5;

impl FormRecord {
    /// The form as the rule engine reads it, laid out like the official template (with the
    /// supplementary columns), rows numbered from [`FIRST_ROW`].
    pub fn to_rules_form(&self) -> Form {
        let file = format!("{}—{}", self.school_name, self.enterprise_name);
        let mut form = Form::official(&file, &self.header_school, &self.header_enterprise, true);
        form.rows = self
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let mut row =
                    PersonRow::new(FIRST_ROW + u32::try_from(i).unwrap_or(u32::MAX - FIRST_ROW));
                for (c, text) in Column::ALL.iter().zip(&r.cells) {
                    row.set(*c, Cell::text(text.as_str()));
                }
                row
            })
            .collect();
        if !self.filler.is_empty() || !self.phone.is_empty() {
            form.footer = Some(Footer {
                row: FIRST_ROW + u32::try_from(self.rows.len()).unwrap_or(0),
                filler: self.filler.clone(),
                phone: self.phone.clone(),
            });
        }
        form
    }

    /// The content, for comparing or re-storing.
    pub fn content(&self) -> FormContent {
        FormContent {
            header_school: self.header_school.clone(),
            header_enterprise: self.header_enterprise.clone(),
            filler: self.filler.clone(),
            phone: self.phone.clone(),
            rows: self.rows.iter().map(|r| r.cells.clone()).collect(),
        }
    }
}

/// A form in a list (without rows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormSummary {
    pub id: i64,
    pub partnership_id: i64,
    pub batch_id: i64,
    pub school_id: i64,
    pub school_name: String,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub version: i32,
    pub rows: usize,
    pub confirmed_rows: usize,
    pub updated_at: DateTime<Utc>,
}

/// What [`Store::replace_rows`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplaceOutcome {
    pub form: FormRecord,
    /// `false` when the content was already stored (nothing changed, version kept).
    pub changed: bool,
    pub kept: usize,
    pub added: usize,
    pub removed: usize,
}

/// A scan's description (the bytes come with [`Store::get_scan`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanInfo {
    pub id: i64,
    pub form_id: i64,
    /// The form version this scan seals.
    pub form_version: i32,
    pub content_type: String,
    pub sha256: String,
    pub size: i64,
    pub uploaded_by: Option<i64>,
    pub uploaded_at: DateTime<Utc>,
    /// Whether it still seals the current version (W03).
    pub valid: bool,
}

/// The SHA-256 (hex) of a form's canonical content.
pub fn content_hash(
    header_school: &str,
    header_enterprise: &str,
    filler: &str,
    phone: &str,
    rows: &[Vec<String>],
) -> String {
    let canonical = serde_json::json!([[header_school, header_enterprise], [filler, phone], rows]);
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

pub(crate) fn content_hash_of(c: &FormContent) -> String {
    content_hash(
        &c.header_school,
        &c.header_enterprise,
        &c.filler,
        &c.phone,
        &c.rows,
    )
}

/// The row's cells as stored (a JSON array), refusing a row of the wrong width.
pub(crate) fn cells_json(cells: &[String]) -> Result<String, StoreError> {
    if cells.len() != CELLS {
        return Err(StoreError::Invalid(format!(
            "每行应有 {CELLS} 个单元格，实际为 {} 个",
            cells.len()
        )));
    }
    serde_json::to_string(cells).map_err(|e| StoreError::Invalid(e.to_string()))
}

/// Ids per `IN (…)` list of the batch-wide reads.
const IN_CHUNK: usize = 500;

/// Forms by school name, then enterprise name, then id.
fn by_school_then_enterprise(a: &FormRecord, b: &FormRecord) -> std::cmp::Ordering {
    (a.school_name.as_str(), a.enterprise_name.as_str(), a.id).cmp(&(
        b.school_name.as_str(),
        b.enterprise_name.as_str(),
        b.id,
    ))
}

fn row_from(m: form_rows::Model) -> Result<RowRecord, StoreError> {
    let cells: Vec<String> = serde_json::from_str(&m.cells)
        .map_err(|e| StoreError::Corrupt(format!("表单行 {}：{e}", m.id)))?;
    Ok(RowRecord {
        id: m.id,
        position: m.position,
        cells,
        confirmed_version: m.confirmed_version,
    })
}

async fn rows_of(
    conn: &impl ConnectionTrait,
    form_id: i64,
) -> Result<Vec<form_rows::Model>, StoreError> {
    Ok(form_rows::Entity::find()
        .filter(form_rows::Column::FormId.eq(form_id))
        .order_by_asc(form_rows::Column::Position)
        .order_by_asc(form_rows::Column::Id)
        .all(conn)
        .await?)
}

pub(crate) async fn form_out(
    conn: &impl ConnectionTrait,
    f: forms::Model,
) -> Result<FormRecord, StoreError> {
    let p = partnerships::Entity::find_by_id(f.partnership_id)
        .one(conn)
        .await?
        .ok_or(StoreError::NotFound("合作关系"))?;
    let orgs = org_map(conn, [p.school_id, p.enterprise_id]).await?;
    let rows = rows_of(conn, f.id)
        .await?
        .into_iter()
        .map(row_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(record(f, &p, &orgs, rows))
}

/// A form with its partnership's organisations and its rows.
fn record(
    f: forms::Model,
    p: &partnerships::Model,
    orgs: &HashMap<i64, orgs::Model>,
    rows: Vec<RowRecord>,
) -> FormRecord {
    let school = orgs.get(&p.school_id);
    let enterprise = orgs.get(&p.enterprise_id);
    FormRecord {
        id: f.id,
        partnership_id: f.partnership_id,
        batch_id: p.batch_id,
        school_id: p.school_id,
        school_name: school.map(|o| o.name.clone()).unwrap_or_default(),
        enterprise_id: p.enterprise_id,
        enterprise_name: enterprise.map(|o| o.name.clone()).unwrap_or_default(),
        enterprise_category: enterprise.map(|o| o.category.clone()).unwrap_or_default(),
        version: f.version,
        header_school: f.header_school,
        header_enterprise: f.header_enterprise,
        filler: f.filler,
        phone: f.phone,
        content_hash: f.content_hash,
        updated_at: f.updated_at,
        rows,
    }
}

fn scan_info(m: &scans::Model, current_version: i32) -> ScanInfo {
    ScanInfo {
        id: m.id,
        form_id: m.form_id,
        form_version: m.form_version,
        content_type: m.content_type.clone(),
        sha256: m.sha256.clone(),
        size: m.size,
        uploaded_by: m.uploaded_by,
        uploaded_at: m.uploaded_at,
        valid: m.form_version == current_version,
    }
}

/// Locks the form (in scope) for a change and checks that it may change. `None`: not in scope.
async fn lock_editable(
    tx: &Tx,
    scope: &Scope,
    form_id: i64,
    expected_version: Option<i32>,
) -> Result<Option<forms::Model>, StoreError> {
    let Some(f) = forms::Entity::find_by_id(form_id)
        .filter(scope.form_filter())
        .lock_exclusive()
        .one(tx.conn())
        .await?
    else {
        return Ok(None);
    };
    let p = partnerships::Entity::find_by_id(f.partnership_id)
        .one(tx.conn())
        .await?
        .ok_or(StoreError::NotFound("合作关系"))?;
    require_open_batch(tx.conn(), p.batch_id).await?;
    let status = submissions::Entity::find()
        .filter(submissions::Column::BatchId.eq(p.batch_id))
        .filter(submissions::Column::SchoolId.eq(p.school_id))
        .one(tx.conn())
        .await?
        .map(|s| s.status);
    if let Some(s) = status {
        let s: SubmissionStatus = s.parse()?;
        if matches!(s, SubmissionStatus::Submitted | SubmissionStatus::Accepted) {
            return Err(StoreError::State(format!(
                "本校报送{}，表单不能再修改",
                if s == SubmissionStatus::Submitted {
                    "已报送待审核"
                } else {
                    "已受理"
                }
            )));
        }
    }
    if let Some(expected) = expected_version
        && expected != f.version
    {
        return Err(StoreError::VersionConflict {
            expected,
            current: f.version,
        });
    }
    Ok(Some(f))
}

/// Writes the form's new meta and hash and bumps its version; returns the new version.
async fn bump(tx: &Tx, f: &forms::Model, meta: &FormMeta, hash: String) -> Result<i32, StoreError> {
    let version = f.version + 1;
    forms::Entity::update_many()
        .col_expr(forms::Column::Version, Expr::value(version))
        .col_expr(
            forms::Column::HeaderSchool,
            Expr::value(meta.header_school.clone()),
        )
        .col_expr(
            forms::Column::HeaderEnterprise,
            Expr::value(meta.header_enterprise.clone()),
        )
        .col_expr(forms::Column::Filler, Expr::value(meta.filler.clone()))
        .col_expr(forms::Column::Phone, Expr::value(meta.phone.clone()))
        .col_expr(forms::Column::ContentHash, Expr::value(hash))
        .col_expr(forms::Column::UpdatedAt, Expr::value(now()))
        .filter(forms::Column::Id.eq(f.id))
        .exec(tx.conn())
        .await?;
    Ok(version)
}

/// A change of the form's content inside `tx`: the hash is taken again, the version bumped (with
/// `meta` as the header and footer) and the change audited as `action` with `detail` before the
/// new version number.
async fn record_edit(
    store: &Store,
    tx: &Tx,
    f: &forms::Model,
    meta: &FormMeta,
    actor: &Actor,
    action: &str,
    detail: &str,
) -> Result<(), StoreError> {
    let hash = stored_hash(tx, f.id, meta).await?;
    let version = bump(tx, f, meta, hash).await?;
    store
        .audit_in(
            tx,
            AuditEntry::new(
                actor,
                action,
                format!("form:{}", f.id),
                format!("{detail}version {version}"),
            ),
        )
        .await?;
    Ok(())
}

fn meta_of(f: &forms::Model) -> FormMeta {
    FormMeta {
        header_school: f.header_school.clone(),
        header_enterprise: f.header_enterprise.clone(),
        filler: f.filler.clone(),
        phone: f.phone.clone(),
    }
}

/// Recomputes the hash of the form's stored rows under `meta`.
async fn stored_hash(tx: &Tx, form_id: i64, meta: &FormMeta) -> Result<String, StoreError> {
    let rows = rows_of(tx.conn(), form_id)
        .await?
        .into_iter()
        .map(|m| row_from(m).map(|r| r.cells))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(content_hash(
        &meta.header_school,
        &meta.header_enterprise,
        &meta.filler,
        &meta.phone,
        &rows,
    ))
}

fn trim_meta(m: &FormMeta) -> FormMeta {
    FormMeta {
        header_school: m.header_school.trim().to_string(),
        header_enterprise: m.header_enterprise.trim().to_string(),
        filler: m.filler.trim().to_string(),
        phone: m.phone.trim().to_string(),
    }
}

impl Store {
    /// A form with its rows, if in scope.
    pub async fn get_form(
        &self,
        scope: &Scope,
        form_id: i64,
    ) -> Result<Option<FormRecord>, StoreError> {
        let Some(f) = forms::Entity::find_by_id(form_id)
            .filter(scope.form_filter())
            .one(self.conn())
            .await?
        else {
            return Ok(None);
        };
        form_out(self.conn(), f).await.map(Some)
    }

    /// The form of a partnership, if in scope (and the partnership confirmed).
    pub async fn get_form_by_partnership(
        &self,
        scope: &Scope,
        partnership_id: i64,
    ) -> Result<Option<FormRecord>, StoreError> {
        let Some(f) = forms::Entity::find()
            .filter(forms::Column::PartnershipId.eq(partnership_id))
            .filter(scope.form_filter())
            .one(self.conn())
            .await?
        else {
            return Ok(None);
        };
        form_out(self.conn(), f).await.map(Some)
    }

    /// The form as the rule engine reads it, if in scope.
    pub async fn form_as_rules_form(
        &self,
        scope: &Scope,
        form_id: i64,
    ) -> Result<Option<Form>, StoreError> {
        Ok(self
            .get_form(scope, form_id)
            .await?
            .map(|f| f.to_rules_form()))
    }

    /// Forms in scope in a batch (optionally one school's or one enterprise's), by school then
    /// enterprise.
    pub async fn list_forms(
        &self,
        scope: &Scope,
        batch_id: i64,
        school_id: Option<i64>,
        enterprise_id: Option<i64>,
    ) -> Result<Vec<FormSummary>, StoreError> {
        let mut pq = partnerships::Entity::find()
            .filter(scope.partnership_filter())
            .filter(partnerships::Column::BatchId.eq(batch_id));
        if let Some(s) = school_id {
            pq = pq.filter(partnerships::Column::SchoolId.eq(s));
        }
        if let Some(e) = enterprise_id {
            pq = pq.filter(partnerships::Column::EnterpriseId.eq(e));
        }
        let ps: HashMap<i64, partnerships::Model> = pq
            .all(self.conn())
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
        let orgs = org_map(
            self.conn(),
            ps.values().flat_map(|p| [p.school_id, p.enterprise_id]),
        )
        .await?;
        let ids: Vec<i64> = ps.keys().copied().collect();
        let mut out = Vec::new();
        for chunk in ids.chunks(500) {
            let fs = forms::Entity::find()
                .filter(forms::Column::PartnershipId.is_in(chunk.iter().copied()))
                .all(self.conn())
                .await?;
            for f in fs {
                let Some(p) = ps.get(&f.partnership_id) else {
                    continue;
                };
                let counts: Vec<Option<i32>> = form_rows::Entity::find()
                    .select_only()
                    .column(form_rows::Column::ConfirmedVersion)
                    .filter(form_rows::Column::FormId.eq(f.id))
                    .into_tuple()
                    .all(self.conn())
                    .await?;
                let name = |id: i64| {
                    orgs.get(&id)
                        .map(|o: &orgs::Model| o.name.clone())
                        .unwrap_or_default()
                };
                out.push(FormSummary {
                    id: f.id,
                    partnership_id: f.partnership_id,
                    batch_id: p.batch_id,
                    school_id: p.school_id,
                    school_name: name(p.school_id),
                    enterprise_id: p.enterprise_id,
                    enterprise_name: name(p.enterprise_id),
                    version: f.version,
                    rows: counts.len(),
                    confirmed_rows: counts.iter().filter(|c| c.is_some()).count(),
                    updated_at: f.updated_at,
                });
            }
        }
        out.sort_by(|a, b| {
            (a.school_name.as_str(), a.enterprise_name.as_str(), a.id).cmp(&(
                b.school_name.as_str(),
                b.enterprise_name.as_str(),
                b.id,
            ))
        });
        Ok(out)
    }

    /// Every form (with rows) in scope in a batch, loaded in a few queries (partnerships, forms,
    /// rows and organisations, each in chunks): the input of the consolidated list and of the
    /// batch-wide checks (D01–D03, P01–P02). By school, then enterprise.
    pub async fn batch_forms(
        &self,
        scope: &Scope,
        batch_id: i64,
    ) -> Result<Vec<FormRecord>, StoreError> {
        let ps: HashMap<i64, partnerships::Model> = partnerships::Entity::find()
            .filter(scope.partnership_filter())
            .filter(partnerships::Column::BatchId.eq(batch_id))
            .all(self.conn())
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
        let mut out = self.forms_of(&ps, scope.form_filter()).await?;
        out.sort_by(by_school_then_enterprise);
        Ok(out)
    }

    /// The forms (with rows) of these schools in a batch, in a few queries (partnerships, forms,
    /// rows and organisations, each in chunks), as [`Store::school_forms`] reads one school's with
    /// `Scope::All`: school id → its forms by enterprise name (a school without forms is absent).
    pub async fn schools_forms(
        &self,
        batch_id: i64,
        school_ids: &[i64],
    ) -> Result<HashMap<i64, Vec<FormRecord>>, StoreError> {
        let mut ps: HashMap<i64, partnerships::Model> = HashMap::new();
        for chunk in school_ids.chunks(IN_CHUNK) {
            for p in partnerships::Entity::find()
                .filter(partnerships::Column::BatchId.eq(batch_id))
                .filter(partnerships::Column::SchoolId.is_in(chunk.iter().copied()))
                .all(self.conn())
                .await?
            {
                ps.insert(p.id, p);
            }
        }
        let mut out: HashMap<i64, Vec<FormRecord>> = HashMap::new();
        for f in self.forms_of(&ps, Condition::all()).await? {
            out.entry(f.school_id).or_default().push(f);
        }
        for forms in out.values_mut() {
            forms.sort_by(by_school_then_enterprise);
        }
        Ok(out)
    }

    /// The forms (with rows, and `filter` on the forms) of these partnerships, with their
    /// organisations' names, in chunked queries; in no particular order.
    async fn forms_of(
        &self,
        ps: &HashMap<i64, partnerships::Model>,
        filter: Condition,
    ) -> Result<Vec<FormRecord>, StoreError> {
        let orgs = org_map(
            self.conn(),
            ps.values().flat_map(|p| [p.school_id, p.enterprise_id]),
        )
        .await?;
        let ids: Vec<i64> = ps.keys().copied().collect();
        let mut fs = Vec::new();
        for chunk in ids.chunks(IN_CHUNK) {
            fs.extend(
                forms::Entity::find()
                    .filter(forms::Column::PartnershipId.is_in(chunk.iter().copied()))
                    .filter(filter.clone())
                    .all(self.conn())
                    .await?,
            );
        }
        let form_ids: Vec<i64> = fs.iter().map(|f| f.id).collect();
        let mut rows: HashMap<i64, Vec<RowRecord>> = HashMap::new();
        for chunk in form_ids.chunks(IN_CHUNK) {
            let ms = form_rows::Entity::find()
                .filter(form_rows::Column::FormId.is_in(chunk.iter().copied()))
                .order_by_asc(form_rows::Column::FormId)
                .order_by_asc(form_rows::Column::Position)
                .order_by_asc(form_rows::Column::Id)
                .all(self.conn())
                .await?;
            for m in ms {
                let form_id = m.form_id;
                rows.entry(form_id).or_default().push(row_from(m)?);
            }
        }
        let mut out = Vec::with_capacity(fs.len());
        for f in fs {
            let Some(p) = ps.get(&f.partnership_id) else {
                continue;
            };
            let rows = rows.remove(&f.id).unwrap_or_default();
            out.push(record(f, p, &orgs, rows));
        }
        Ok(out)
    }

    /// All forms (with rows) of a school in a batch, if in scope: the input of the school-level
    /// checks.
    pub async fn school_forms(
        &self,
        scope: &Scope,
        batch_id: i64,
        school_id: i64,
    ) -> Result<Vec<FormRecord>, StoreError> {
        let mut out = Vec::new();
        for s in self
            .list_forms(scope, batch_id, Some(school_id), None)
            .await?
        {
            if let Some(f) = self.get_form(scope, s.id).await? {
                out.push(f);
            }
        }
        Ok(out)
    }

    /// Replaces the form's whole content, all or nothing. When the content hash equals the stored
    /// one nothing changes (uploading the same file twice). `expected_version` guards against
    /// overwriting someone else's change. `None` when the form is not in scope.
    pub async fn replace_rows(
        &self,
        scope: &Scope,
        form_id: i64,
        content: &FormContent,
        expected_version: Option<i32>,
        actor: &Actor,
    ) -> Result<Option<ReplaceOutcome>, StoreError> {
        let tx = self.begin_write().await?;
        let out = self
            .replace_rows_in(&tx, scope, form_id, content, expected_version, actor)
            .await?;
        if out.is_some() {
            tx.commit().await?;
        }
        Ok(out)
    }

    /// The commission's import of one e-mailed form, in one write transaction: the partnership
    /// confirmed by the commission ([`Store::confirm_partnership_by_commission`]) and the form's
    /// whole content replaced ([`Store::replace_rows`]) — both stored, or neither.
    pub async fn import_form(
        &self,
        batch_id: i64,
        school_id: i64,
        enterprise_id: i64,
        content: &FormContent,
        actor: &Actor,
    ) -> Result<(crate::partnerships::CommissionConfirmed, ReplaceOutcome), StoreError> {
        let tx = self.begin_write().await?;
        let confirmed = self
            .confirm_by_commission_in(&tx, batch_id, school_id, enterprise_id, actor)
            .await?;
        let form_id = confirmed
            .partnership
            .form_id
            .ok_or(StoreError::NotFound("推荐表"))?;
        let replaced = self
            .replace_rows_in(&tx, &Scope::All, form_id, content, None, actor)
            .await?
            .ok_or(StoreError::NotFound("推荐表"))?;
        tx.commit().await?;
        Ok((confirmed, replaced))
    }

    /// [`Store::replace_rows`] inside the caller's write transaction (not committed here).
    async fn replace_rows_in(
        &self,
        tx: &Tx,
        scope: &Scope,
        form_id: i64,
        content: &FormContent,
        expected_version: Option<i32>,
        actor: &Actor,
    ) -> Result<Option<ReplaceOutcome>, StoreError> {
        let content = FormContent {
            header_school: content.header_school.trim().to_string(),
            header_enterprise: content.header_enterprise.trim().to_string(),
            filler: content.filler.trim().to_string(),
            phone: content.phone.trim().to_string(),
            rows: content.rows.clone(),
        };
        let hash = content_hash_of(&content);
        // The no-op check comes first: the same content again is not a conflict.
        let Some(current) = forms::Entity::find_by_id(form_id)
            .filter(scope.form_filter())
            .one(tx.conn())
            .await?
        else {
            return Ok(None);
        };
        if current.content_hash == hash {
            let form = form_out(tx.conn(), current).await?;
            return Ok(Some(ReplaceOutcome {
                form,
                changed: false,
                kept: content.rows.len(),
                added: 0,
                removed: 0,
            }));
        }
        let Some(f) = lock_editable(tx, scope, form_id, expected_version).await? else {
            return Ok(None);
        };
        // Rows whose cells are unchanged keep their id and confirmation.
        let mut old: HashMap<String, Vec<form_rows::Model>> = HashMap::new();
        for m in rows_of(tx.conn(), form_id).await?.into_iter().rev() {
            old.entry(m.cells.clone()).or_default().push(m);
        }
        let (mut kept, mut added) = (0, 0);
        for (i, cells) in content.rows.iter().enumerate() {
            // Each row is checked as it is written: a bad row rolls back the rows before it.
            let json = cells_json(cells)?;
            let position = i32::try_from(i).map_err(|_| StoreError::Invalid("行数过多".into()))?;
            match old.get_mut(&json).and_then(Vec::pop) {
                Some(m) => {
                    if m.position != position {
                        form_rows::Entity::update_many()
                            .col_expr(form_rows::Column::Position, Expr::value(position))
                            .filter(form_rows::Column::Id.eq(m.id))
                            .exec(tx.conn())
                            .await?;
                    }
                    kept += 1;
                }
                None => {
                    let am = form_rows::ActiveModel {
                        id: NotSet,
                        form_id: Set(form_id),
                        position: Set(position),
                        cells: Set(json),
                        confirmed_version: Set(None),
                        objection: NotSet,
                        confirmed_cells: NotSet,
                    };
                    form_rows::Entity::insert(am)
                        .exec_without_returning(tx.conn())
                        .await?;
                    added += 1;
                }
            }
        }
        let stale: Vec<i64> = old.into_values().flatten().map(|m| m.id).collect();
        let removed = stale.len();
        for chunk in stale.chunks(500) {
            form_rows::Entity::delete_many()
                .filter(form_rows::Column::Id.is_in(chunk.iter().copied()))
                .exec(tx.conn())
                .await?;
        }
        let meta = FormMeta {
            header_school: content.header_school.clone(),
            header_enterprise: content.header_enterprise.clone(),
            filler: content.filler.clone(),
            phone: content.phone.clone(),
        };
        let version = bump(tx, &f, &meta, hash).await?;
        self.audit_in(
            tx,
            AuditEntry::new(
                actor,
                "form.replace_rows",
                format!("form:{form_id}"),
                format!(
                    "version {} -> {version}; rows kept {kept}, added {added}, removed {removed}",
                    f.version
                ),
            ),
        )
        .await?;
        let form = form_out(
            tx.conn(),
            forms::Entity::find_by_id(form_id)
                .one(tx.conn())
                .await?
                .ok_or(StoreError::NotFound("表单"))?,
        )
        .await?;
        Ok(Some(ReplaceOutcome {
            form,
            changed: true,
            kept,
            added,
            removed,
        }))
    }

    /// Changes the header line and footer. Unchanged values change nothing.
    pub async fn update_form_meta(
        &self,
        scope: &Scope,
        form_id: i64,
        meta: &FormMeta,
        expected_version: Option<i32>,
        actor: &Actor,
    ) -> Result<Option<FormRecord>, StoreError> {
        let meta = trim_meta(meta);
        let tx = self.begin_write().await?;
        let Some(f) = lock_editable(&tx, scope, form_id, expected_version).await? else {
            return Ok(None);
        };
        if meta_of(&f) != meta {
            record_edit(self, &tx, &f, &meta, actor, "form.update_meta", "").await?;
        }
        let form = self.form_in(&tx, form_id).await?;
        tx.commit().await?;
        Ok(Some(form))
    }

    async fn form_in(&self, tx: &Tx, form_id: i64) -> Result<FormRecord, StoreError> {
        let f = forms::Entity::find_by_id(form_id)
            .one(tx.conn())
            .await?
            .ok_or(StoreError::NotFound("表单"))?;
        form_out(tx.conn(), f).await
    }

    /// Appends a row; returns the form and the new row's id.
    pub async fn add_row(
        &self,
        scope: &Scope,
        form_id: i64,
        cells: &[String],
        expected_version: Option<i32>,
        actor: &Actor,
    ) -> Result<Option<(FormRecord, i64)>, StoreError> {
        let json = cells_json(cells)?;
        let tx = self.begin_write().await?;
        let Some(f) = lock_editable(&tx, scope, form_id, expected_version).await? else {
            return Ok(None);
        };
        let last: Option<i32> = form_rows::Entity::find()
            .select_only()
            .column_as(form_rows::Column::Position.max(), "max")
            .filter(form_rows::Column::FormId.eq(form_id))
            .into_tuple::<Option<i32>>()
            .one(tx.conn())
            .await?
            .flatten();
        let am = form_rows::ActiveModel {
            id: NotSet,
            form_id: Set(form_id),
            position: Set(last.map_or(0, |p| p + 1)),
            cells: Set(json),
            confirmed_version: Set(None),
            objection: NotSet,
            confirmed_cells: NotSet,
        };
        let row_id = form_rows::Entity::insert(am)
            .exec(tx.conn())
            .await?
            .last_insert_id;
        let detail = format!("row:{row_id} ");
        record_edit(self, &tx, &f, &meta_of(&f), actor, "form.add_row", &detail).await?;
        let form = self.form_in(&tx, form_id).await?;
        tx.commit().await?;
        Ok(Some((form, row_id)))
    }

    /// Changes a row's cells (clearing its confirmation). The same cells again change nothing.
    pub async fn update_row(
        &self,
        scope: &Scope,
        row_id: i64,
        cells: &[String],
        expected_version: Option<i32>,
        actor: &Actor,
    ) -> Result<Option<FormRecord>, StoreError> {
        let json = cells_json(cells)?;
        let tx = self.begin_write().await?;
        let Some(row) = form_rows::Entity::find_by_id(row_id).one(tx.conn()).await? else {
            return Ok(None);
        };
        let Some(f) = lock_editable(&tx, scope, row.form_id, expected_version).await? else {
            return Ok(None);
        };
        if row.cells != json {
            form_rows::Entity::update_many()
                .col_expr(form_rows::Column::Cells, Expr::value(json))
                .col_expr(
                    form_rows::Column::ConfirmedVersion,
                    Expr::value(Option::<i32>::None),
                )
                .col_expr(Alias::new(OBJECTION), Expr::value(Option::<String>::None))
                .filter(form_rows::Column::Id.eq(row_id))
                .exec(tx.conn())
                .await?;
            let detail = format!("row:{row_id} ");
            record_edit(
                self,
                &tx,
                &f,
                &meta_of(&f),
                actor,
                "form.update_row",
                &detail,
            )
            .await?;
        }
        let form = self.form_in(&tx, f.id).await?;
        tx.commit().await?;
        Ok(Some(form))
    }

    /// Deletes a row; the rows after it move up.
    pub async fn delete_row(
        &self,
        scope: &Scope,
        row_id: i64,
        expected_version: Option<i32>,
        actor: &Actor,
    ) -> Result<Option<FormRecord>, StoreError> {
        let tx = self.begin_write().await?;
        let Some(row) = form_rows::Entity::find_by_id(row_id).one(tx.conn()).await? else {
            return Ok(None);
        };
        let Some(f) = lock_editable(&tx, scope, row.form_id, expected_version).await? else {
            return Ok(None);
        };
        form_rows::Entity::delete_by_id(row_id)
            .exec(tx.conn())
            .await?;
        form_rows::Entity::update_many()
            .col_expr(
                form_rows::Column::Position,
                Expr::col(form_rows::Column::Position).sub(1),
            )
            .filter(form_rows::Column::FormId.eq(f.id))
            .filter(form_rows::Column::Position.gt(row.position))
            .exec(tx.conn())
            .await?;
        let detail = format!("row:{row_id} ");
        record_edit(
            self,
            &tx,
            &f,
            &meta_of(&f),
            actor,
            "form.delete_row",
            &detail,
        )
        .await?;
        let form = self.form_in(&tx, f.id).await?;
        tx.commit().await?;
        Ok(Some(form))
    }

    /// The enterprise confirms rows of the form as they stand at `expected_version` (W02). Every
    /// id must be a row of this form.
    pub async fn confirm_rows(
        &self,
        scope: &Scope,
        form_id: i64,
        row_ids: &[i64],
        expected_version: Option<i32>,
        actor: &Actor,
    ) -> Result<Option<FormRecord>, StoreError> {
        let tx = self.begin_write().await?;
        let Some(f) = lock_editable(&tx, scope, form_id, expected_version).await? else {
            return Ok(None);
        };
        let mut ids = row_ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let mut confirmed = 0u64;
        for chunk in ids.chunks(500) {
            let res = form_rows::Entity::update_many()
                .col_expr(
                    form_rows::Column::ConfirmedVersion,
                    Expr::value(Some(f.version)),
                )
                .col_expr(
                    Alias::new(CONFIRMED_CELLS),
                    Expr::col(form_rows::Column::Cells),
                )
                .col_expr(Alias::new(OBJECTION), Expr::value(Option::<String>::None))
                .filter(form_rows::Column::FormId.eq(form_id))
                .filter(form_rows::Column::Id.is_in(chunk.iter().copied()))
                .exec(tx.conn())
                .await?;
            confirmed += res.rows_affected;
        }
        if confirmed != ids.len() as u64 {
            return Err(StoreError::Invalid("要确认的行不属于该表单".to_string()));
        }
        self.audit_in(
            &tx,
            AuditEntry::new(
                actor,
                "form.confirm_rows",
                format!("form:{form_id}"),
                format!("version {} rows {:?}", f.version, ids),
            ),
        )
        .await?;
        let form = self.form_in(&tx, form_id).await?;
        tx.commit().await?;
        Ok(Some(form))
    }

    /// The enterprise's notes on the rows of a form in scope (m0008), by row id: its standing
    /// 「有异议」 and the cells as it last confirmed them. Empty when the form is not in scope.
    pub async fn row_notes(
        &self,
        scope: &Scope,
        form_id: i64,
    ) -> Result<HashMap<i64, RowNote>, StoreError> {
        let in_scope = forms::Entity::find_by_id(form_id)
            .filter(scope.form_filter())
            .one(self.conn())
            .await?
            .is_some();
        if !in_scope {
            return Ok(HashMap::new());
        }
        let stmt = Query::select()
            .column(form_rows::Column::Id)
            .column(Alias::new(OBJECTION))
            .column(Alias::new(CONFIRMED_CELLS))
            .from(form_rows::Entity)
            .and_where(Expr::col(form_rows::Column::FormId).eq(form_id))
            .to_owned();
        let mut out = HashMap::new();
        for r in self.conn().query_all(&stmt).await? {
            let id: i64 = r.try_get("", "id")?;
            let objection: Option<String> = r.try_get("", OBJECTION)?;
            let confirmed: Option<String> = r.try_get("", CONFIRMED_CELLS)?;
            let confirmed_cells = match confirmed {
                Some(json) => Some(
                    serde_json::from_str::<Vec<String>>(&json)
                        .map_err(|e| StoreError::Corrupt(format!("表单行 {id}：{e}")))?,
                ),
                None => None,
            };
            if objection.is_some() || confirmed_cells.is_some() {
                out.insert(
                    id,
                    RowNote {
                        objection,
                        confirmed_cells,
                    },
                );
            }
        }
        Ok(out)
    }

    /// The enterprise objects to a row (「有异议」) with a reason for the school: the row is no
    /// longer confirmed, the reason stays beside it until the school edits the row or the
    /// enterprise confirms it. The form's version does not change. Audited.
    pub async fn object_row(
        &self,
        scope: &Scope,
        form_id: i64,
        row_id: i64,
        reason: &str,
        actor: &Actor,
    ) -> Result<Option<FormRecord>, StoreError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(StoreError::Invalid("请填写异议理由".to_string()));
        }
        if reason.chars().count() > OBJECTION_MAX {
            return Err(StoreError::Invalid(format!(
                "异议理由不超过 {OBJECTION_MAX} 字"
            )));
        }
        let tx = self.begin_write().await?;
        let Some(f) = lock_editable(&tx, scope, form_id, None).await? else {
            return Ok(None);
        };
        let res = form_rows::Entity::update_many()
            .col_expr(
                form_rows::Column::ConfirmedVersion,
                Expr::value(Option::<i32>::None),
            )
            .col_expr(Alias::new(OBJECTION), Expr::value(Some(reason.to_string())))
            .filter(form_rows::Column::FormId.eq(f.id))
            .filter(form_rows::Column::Id.eq(row_id))
            .exec(tx.conn())
            .await?;
        if res.rows_affected != 1 {
            return Err(StoreError::Invalid("该行不属于这张推荐表".to_string()));
        }
        self.audit_in(
            &tx,
            AuditEntry::new(
                actor,
                "form.object_row",
                format!("form:{form_id}"),
                format!("row:{row_id} version {} reason {reason}", f.version),
            ),
        )
        .await?;
        let form = self.form_in(&tx, form_id).await?;
        tx.commit().await?;
        Ok(Some(form))
    }

    /// Stores the scan of the sealed form, bound to the form's current version. `None` when the
    /// form is not in scope. Sniffing the content and capping its size is the caller's job.
    pub async fn put_scan(
        &self,
        scope: &Scope,
        form_id: i64,
        content_type: &str,
        bytes: Vec<u8>,
        actor: &Actor,
    ) -> Result<Option<ScanInfo>, StoreError> {
        if bytes.is_empty() {
            return Err(StoreError::Invalid("扫描件为空文件".to_string()));
        }
        let sha = hex::encode(Sha256::digest(&bytes));
        let size =
            i64::try_from(bytes.len()).map_err(|_| StoreError::Invalid("扫描件过大".into()))?;
        let tx = self.begin_write().await?;
        let Some(f) = lock_editable(&tx, scope, form_id, None).await? else {
            return Ok(None);
        };
        let am = scans::ActiveModel {
            id: NotSet,
            form_id: Set(form_id),
            form_version: Set(f.version),
            content_type: Set(content_type.to_string()),
            bytes: Set(bytes),
            sha256: Set(sha.clone()),
            size: Set(size),
            uploaded_by: Set(actor.user_id),
            uploaded_at: Set(now()),
        };
        let id = scans::Entity::insert(am)
            .exec(tx.conn())
            .await?
            .last_insert_id;
        self.audit_in(
            &tx,
            AuditEntry::new(
                actor,
                "scan.upload",
                format!("form:{form_id}"),
                format!("scan:{id} version {} sha256 {sha}", f.version),
            ),
        )
        .await?;
        let m = scans::Entity::find_by_id(id)
            .select_only()
            .columns([
                scans::Column::Id,
                scans::Column::FormId,
                scans::Column::FormVersion,
                scans::Column::ContentType,
                scans::Column::Sha256,
                scans::Column::Size,
                scans::Column::UploadedBy,
                scans::Column::UploadedAt,
            ])
            .into_tuple::<ScanRow>()
            .one(tx.conn())
            .await?
            .ok_or(StoreError::NotFound("扫描件"))?;
        tx.commit().await?;
        Ok(Some(scan_row_info(m, f.version)))
    }

    /// The form's scans, newest first, each marked valid or void.
    pub async fn list_scans(
        &self,
        scope: &Scope,
        form_id: i64,
    ) -> Result<Vec<ScanInfo>, StoreError> {
        let Some(f) = forms::Entity::find_by_id(form_id)
            .filter(scope.form_filter())
            .one(self.conn())
            .await?
        else {
            return Ok(Vec::new());
        };
        Ok(scans::Entity::find()
            .select_only()
            .columns([
                scans::Column::Id,
                scans::Column::FormId,
                scans::Column::FormVersion,
                scans::Column::ContentType,
                scans::Column::Sha256,
                scans::Column::Size,
                scans::Column::UploadedBy,
                scans::Column::UploadedAt,
            ])
            .filter(scans::Column::FormId.eq(form_id))
            .order_by_desc(scans::Column::Id)
            .into_tuple::<ScanRow>()
            .all(self.conn())
            .await?
            .into_iter()
            .map(|r| scan_row_info(r, f.version))
            .collect())
    }

    /// The newest scan of the form, if any (check `valid` for W03).
    pub async fn latest_scan(
        &self,
        scope: &Scope,
        form_id: i64,
    ) -> Result<Option<ScanInfo>, StoreError> {
        Ok(self.list_scans(scope, form_id).await?.into_iter().next())
    }

    /// A scan with its bytes, if its form is in scope.
    pub async fn get_scan(
        &self,
        scope: &Scope,
        scan_id: i64,
    ) -> Result<Option<(ScanInfo, Vec<u8>)>, StoreError> {
        let Some(m) = scans::Entity::find_by_id(scan_id).one(self.conn()).await? else {
            return Ok(None);
        };
        let Some(f) = forms::Entity::find_by_id(m.form_id)
            .filter(scope.form_filter())
            .one(self.conn())
            .await?
        else {
            return Ok(None);
        };
        let info = scan_info(&m, f.version);
        Ok(Some((info, m.bytes)))
    }
}

type ScanRow = (
    i64,
    i64,
    i32,
    String,
    String,
    i64,
    Option<i64>,
    DateTime<Utc>,
);

fn scan_row_info(r: ScanRow, current_version: i32) -> ScanInfo {
    let (id, form_id, form_version, content_type, sha256, size, uploaded_by, uploaded_at) = r;
    ScanInfo {
        id,
        form_id,
        form_version,
        content_type,
        sha256,
        size,
        uploaded_by,
        uploaded_at,
        valid: form_version == current_version,
    }
}

/// `(form id, version)` of every form of a school in a batch (any partnership status), for the
/// stamp of a stored check.
pub(crate) async fn school_form_versions(
    conn: &impl ConnectionTrait,
    batch_id: i64,
    school_id: i64,
) -> Result<Vec<(i64, i32)>, StoreError> {
    let pids: Vec<i64> = partnerships::Entity::find()
        .select_only()
        .column(partnerships::Column::Id)
        .filter(partnerships::Column::BatchId.eq(batch_id))
        .filter(partnerships::Column::SchoolId.eq(school_id))
        .into_tuple()
        .all(conn)
        .await?;
    let mut out = Vec::new();
    for chunk in pids.chunks(500) {
        let v: Vec<(i64, i32)> = forms::Entity::find()
            .select_only()
            .column(forms::Column::Id)
            .column(forms::Column::Version)
            .filter(forms::Column::PartnershipId.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(conn)
            .await?;
        out.extend(v);
    }
    Ok(out)
}

/// The schools of a batch that have at least one form.
pub(crate) async fn batch_school_ids(
    conn: &impl ConnectionTrait,
    batch_id: i64,
) -> Result<Vec<i64>, StoreError> {
    let pids: Vec<(i64, i64)> = partnerships::Entity::find()
        .select_only()
        .column(partnerships::Column::Id)
        .column(partnerships::Column::SchoolId)
        .filter(partnerships::Column::BatchId.eq(batch_id))
        .into_tuple()
        .all(conn)
        .await?;
    let with_form: std::collections::HashSet<i64> = forms::Entity::find()
        .select_only()
        .column(forms::Column::PartnershipId)
        .into_tuple::<i64>()
        .all(conn)
        .await?
        .into_iter()
        .collect();
    let mut out: Vec<i64> = pids
        .into_iter()
        .filter(|(p, _)| with_form.contains(p))
        .map(|(_, s)| s)
        .collect();
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// [`school_form_versions`] of many schools at once: school id → `(form id, version)` of each of
/// its forms (a school without forms is absent).
pub(crate) async fn schools_form_versions(
    conn: &impl ConnectionTrait,
    batch_id: i64,
    school_ids: &[i64],
) -> Result<HashMap<i64, Vec<(i64, i32)>>, StoreError> {
    let mut school_of: HashMap<i64, i64> = HashMap::new();
    for chunk in school_ids.chunks(500) {
        let pids: Vec<(i64, i64)> = partnerships::Entity::find()
            .select_only()
            .column(partnerships::Column::Id)
            .column(partnerships::Column::SchoolId)
            .filter(partnerships::Column::BatchId.eq(batch_id))
            .filter(partnerships::Column::SchoolId.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(conn)
            .await?;
        school_of.extend(pids);
    }
    let pids: Vec<i64> = school_of.keys().copied().collect();
    let mut out: HashMap<i64, Vec<(i64, i32)>> = HashMap::new();
    for chunk in pids.chunks(500) {
        let v: Vec<(i64, i32, i64)> = forms::Entity::find()
            .select_only()
            .column(forms::Column::Id)
            .column(forms::Column::Version)
            .column(forms::Column::PartnershipId)
            .filter(forms::Column::PartnershipId.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(conn)
            .await?;
        for (id, version, pid) in v {
            if let Some(&school) = school_of.get(&pid) {
                out.entry(school).or_default().push((id, version));
            }
        }
    }
    Ok(out)
}
