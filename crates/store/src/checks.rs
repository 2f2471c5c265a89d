//! Findings kept as data: what the rule engine found, stored with the form versions it was
//! computed on, so pages read findings instead of running the engine.
//!
//! - A school's check ([`SchoolCheck`]) holds each form's own findings and [`Tally`] and the
//!   findings about the school as a whole. It is written once per change by
//!   [`Store::save_school_check`], which refuses (returns `false`) when a form moved on since.
//! - The same call replaces the school's people in the identity index and recomputes the
//!   duplicate findings (D01–D03) of every key the change touched, through the caller's
//!   `place` function, in the same write transaction: batch-level findings are maintained from
//!   the index, never by reading every form of the batch.
//! - [`Store::clear_checks`] drops a batch's form and school checks when what every check depends on
//!   changes (the registry, the batch parameters); the next read computes them again.

use std::collections::{BTreeSet, HashMap};

use sea_orm::ExprTrait;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, NotSet, PaginatorTrait,
    QueryFilter, QuerySelect, Statement,
};
use serde::{Deserialize, Serialize};
use shuangshi_rules::{FindingRecord, Occurrence, Tally};

use crate::db::{Backend, Store, Tx, now};
use crate::entity::{batch_findings, form_checks, orgs, people_index, school_checks};
use crate::error::StoreError;
use crate::scope::{Scope, form_ids_where};

/// The five sums of a batch's tally columns.
type Sums = (
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

/// The version of the stored findings' JSON; a record of another version is an error.
pub const FINDINGS_VERSION: u32 = 1;

/// Stored findings: a versioned envelope around the engine's records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct FindingsDoc {
    version: u32,
    findings: Vec<FindingRecord>,
}

fn encode(findings: &[FindingRecord]) -> Result<String, StoreError> {
    serde_json::to_string(&FindingsDoc {
        version: FINDINGS_VERSION,
        findings: findings.to_vec(),
    })
    .map_err(|e| StoreError::Corrupt(format!("检查结果无法保存：{e}")))
}

fn decode(text: &str, what: &str) -> Result<Vec<FindingRecord>, StoreError> {
    let doc: FindingsDoc = serde_json::from_str(text)
        .map_err(|e| StoreError::Corrupt(format!("{what}的检查结果无法读取：{e}")))?;
    if doc.version != FINDINGS_VERSION {
        return Err(StoreError::Corrupt(format!(
            "{what}的检查结果为第 {} 版格式，本程序只能读取第 {FINDINGS_VERSION} 版",
            doc.version
        )));
    }
    Ok(doc.findings)
}

/// Stored findings read back (`what` names the owner in the error).
pub(crate) fn decode_findings(text: &str, what: &str) -> Result<Vec<FindingRecord>, StoreError> {
    decode(text, what)
}

fn encode_one(f: &FindingRecord) -> Result<String, StoreError> {
    encode(std::slice::from_ref(f))
}

/// One form's check, as computed.
#[derive(Debug, Clone, PartialEq)]
pub struct FormCheck {
    pub form_id: i64,
    /// The version the findings were computed on.
    pub form_version: i32,
    pub tally: Tally,
    /// The form's own findings (rows, cells, header, footer).
    pub findings: Vec<FindingRecord>,
    /// The form's people as the duplicate rules see them.
    pub people: Vec<Occurrence>,
}

/// A school's check, as computed: every form of the school and the school-level findings.
#[derive(Debug, Clone, PartialEq)]
pub struct SchoolCheck {
    pub batch_id: i64,
    pub school_id: i64,
    pub findings: Vec<FindingRecord>,
    pub forms: Vec<FormCheck>,
}

impl SchoolCheck {
    /// What the check was computed on: the forms and their versions.
    pub fn stamp(&self) -> String {
        stamp(self.forms.iter().map(|f| (f.form_id, f.form_version)))
    }
}

/// The stamp of a set of `(form id, version)`: the forms a school check was computed on.
pub fn stamp(forms: impl IntoIterator<Item = (i64, i32)>) -> String {
    let mut v: Vec<(i64, i32)> = forms.into_iter().collect();
    v.sort_unstable();
    v.iter()
        .map(|(id, ver)| format!("{id}:{ver}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// A form's stored check.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredFormCheck {
    pub form_id: i64,
    pub school_id: i64,
    pub form_version: i32,
    pub tally: Tally,
    pub findings: Vec<FindingRecord>,
}

/// A school's stored check.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSchoolCheck {
    pub school_id: i64,
    pub stamp: String,
    pub findings: Vec<FindingRecord>,
    pub forms: Vec<StoredFormCheck>,
}

/// A person row in the identity index.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexedPerson {
    pub batch_id: i64,
    pub school_id: i64,
    pub form_id: i64,
    pub occurrence: Occurrence,
}

/// The identity keys of a person row: the normalised mobile number, the normalised name with the
/// sending unit, and the name with the mobile number (a person across batches).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonKeys {
    pub mobile: Option<String>,
    pub name: Option<String>,
    pub person: Option<String>,
}

impl PersonKeys {
    /// The keys of an occurrence, as the duplicate rules compare people.
    pub fn of(o: &Occurrence) -> PersonKeys {
        let mobile = o.mobile_key();
        let name = o.name_key();
        let person = match (&mobile, shuangshi_rules::text::norm(&o.name)) {
            (Some(m), n) if !n.is_empty() => Some(format!("{n}\u{1f}{m}")),
            _ => None,
        };
        PersonKeys {
            mobile,
            name,
            person,
        }
    }

    /// The keys the duplicate findings are filed under: `m:` mobile, `n:` name and unit.
    pub fn finding_keys(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(m) = &self.mobile {
            out.push(format!("m:{m}"));
        }
        if let Some(n) = &self.name {
            out.push(format!("n:{n}"));
        }
        out
    }
}

/// A duplicate finding placed on a form, under the key it belongs to (`m:…`, `n:…`, or `f:{form}`
/// for a finding that depends on the one row only, such as D03).
#[derive(Debug, Clone, PartialEq)]
pub struct PlacedFinding {
    pub form_id: i64,
    pub row_no: Option<u32>,
    pub key: String,
    /// On the form's own row; `false` when it names one of the form's rows from elsewhere.
    pub own: bool,
    pub finding: FindingRecord,
}

/// The people a change touched: every person of the batch who shares an affected key, and the
/// people of earlier batches who share one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AffectedPeople {
    /// The keys the change touched (`m:…`, `n:…`); findings under other keys are left alone.
    pub keys: BTreeSet<String>,
    /// The forms whose own-row findings (`f:{form}`) are recomputed: the school's forms.
    pub forms: Vec<i64>,
    pub current: Vec<IndexedPerson>,
    pub earlier: Vec<IndexedPerson>,
}

/// `column` names a form in `scope`. For the commission (every form) no condition at all: a
/// subquery over every form of every batch would make each read of one batch's checks scan the
/// whole `forms` table (`shuangshi bench dashboard`).
fn forms_in(column: impl ColumnTrait, scope: &Scope) -> sea_orm::Condition {
    match scope {
        Scope::All => sea_orm::Condition::all(),
        _ => sea_orm::Condition::all().add(column.in_subquery(form_ids_where(scope))),
    }
}

fn person_of(m: people_index::Model) -> Result<IndexedPerson, StoreError> {
    let occurrence: Occurrence = serde_json::from_str(&m.occurrence)
        .map_err(|e| StoreError::Corrupt(format!("人员索引 {}：{e}", m.id)))?;
    Ok(IndexedPerson {
        batch_id: m.batch_id,
        school_id: m.school_id,
        form_id: m.form_id,
        occurrence,
    })
}

fn tally_of(m: &form_checks::Model) -> Tally {
    let u = |v: i32| u32::try_from(v).unwrap_or(0);
    Tally {
        teachers: u(m.teachers),
        tech_vps: u(m.tech_vps),
        engineers: u(m.engineers),
        deans: u(m.deans),
        undetermined: u(m.undetermined),
    }
}

/// Inserts `rows` with multi-row `INSERT`s of at most `per` rows each (inside a function that
/// returns `Result<_, StoreError>`).
macro_rules! insert_all {
    ($conn:expr, $entity:ty, $rows:expr, $per:expr) => {{
        let mut rows = $rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<_> = rows.by_ref().take($per).collect();
            <$entity>::insert_many(chunk)
                .exec_without_returning($conn)
                .await?;
        }
    }};
}

fn i(v: u32) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

impl Store {
    /// Stores a school's check and maintains the duplicate findings of the keys it touched, in one
    /// write transaction. `place` computes the duplicate findings of the people sharing the
    /// affected keys (the rules' `duplicates`, placed on forms); only findings under affected keys
    /// and of the school's forms' own rows are replaced. Returns `false`, storing nothing, when a
    /// form changed (or a form was added or removed) since the check was computed.
    pub async fn save_school_check(
        &self,
        check: &SchoolCheck,
        place: impl FnOnce(&AffectedPeople) -> Vec<PlacedFinding>,
    ) -> Result<bool, StoreError> {
        let tx = self.begin_write().await?;
        if self.backend() == Backend::Postgres {
            // One maintainer of a batch's duplicate findings at a time.
            tx.conn()
                .execute_raw(Statement::from_sql_and_values(
                    sea_orm::DbBackend::Postgres,
                    "SELECT pg_advisory_xact_lock($1)",
                    [check.batch_id.into()],
                ))
                .await?;
        }
        let current =
            crate::forms::school_form_versions(tx.conn(), check.batch_id, check.school_id).await?;
        if stamp(current) != check.stamp() {
            return Ok(false);
        }
        let at = now();
        let form_ids: Vec<i64> = check.forms.iter().map(|f| f.form_id).collect();
        form_checks::Entity::delete_many()
            .filter(form_checks::Column::FormId.is_in(form_ids.clone()))
            .exec(tx.conn())
            .await?;
        // Forms of the school that no longer exist took their checks with them (cascade); the
        // school's other checks of this batch are replaced whole.
        form_checks::Entity::delete_many()
            .filter(form_checks::Column::BatchId.eq(check.batch_id))
            .filter(form_checks::Column::SchoolId.eq(check.school_id))
            .exec(tx.conn())
            .await?;
        for f in &check.forms {
            let am = form_checks::ActiveModel {
                form_id: Set(f.form_id),
                batch_id: Set(check.batch_id),
                school_id: Set(check.school_id),
                form_version: Set(f.form_version),
                teachers: Set(i(f.tally.teachers)),
                tech_vps: Set(i(f.tally.tech_vps)),
                engineers: Set(i(f.tally.engineers)),
                deans: Set(i(f.tally.deans)),
                undetermined: Set(i(f.tally.undetermined)),
                findings: Set(encode(&f.findings)?),
                checked_at: Set(at),
            };
            form_checks::Entity::insert(am).exec(tx.conn()).await?;
        }
        school_checks::Entity::delete_many()
            .filter(school_checks::Column::BatchId.eq(check.batch_id))
            .filter(school_checks::Column::SchoolId.eq(check.school_id))
            .exec(tx.conn())
            .await?;
        school_checks::Entity::insert(school_checks::ActiveModel {
            id: NotSet,
            batch_id: Set(check.batch_id),
            school_id: Set(check.school_id),
            stamp: Set(check.stamp()),
            findings: Set(encode(&check.findings)?),
            checked_at: Set(at),
        })
        .exec(tx.conn())
        .await?;

        // The identity index: the keys the school's people had, and have now.
        let old = people_index::Entity::find()
            .filter(people_index::Column::BatchId.eq(check.batch_id))
            .filter(people_index::Column::SchoolId.eq(check.school_id))
            .all(tx.conn())
            .await?;
        let mut keys: BTreeSet<String> = BTreeSet::new();
        for m in &old {
            if let Some(k) = &m.mobile_key {
                keys.insert(format!("m:{k}"));
            }
            if let Some(k) = &m.name_key {
                keys.insert(format!("n:{k}"));
            }
        }
        let old_forms: BTreeSet<i64> = old.iter().map(|m| m.form_id).collect();
        people_index::Entity::delete_many()
            .filter(people_index::Column::BatchId.eq(check.batch_id))
            .filter(people_index::Column::SchoolId.eq(check.school_id))
            .exec(tx.conn())
            .await?;
        for f in &check.forms {
            for o in &f.people {
                let k = PersonKeys::of(o);
                keys.extend(k.finding_keys());
                let occurrence = serde_json::to_string(o)
                    .map_err(|e| StoreError::Corrupt(format!("人员索引无法保存：{e}")))?;
                people_index::Entity::insert(people_index::ActiveModel {
                    id: NotSet,
                    batch_id: Set(check.batch_id),
                    school_id: Set(check.school_id),
                    form_id: Set(f.form_id),
                    row_no: Set(i(o.row)),
                    mobile_key: Set(k.mobile),
                    name_key: Set(k.name),
                    person_key: Set(k.person),
                    occurrence: Set(occurrence),
                })
                .exec(tx.conn())
                .await?;
            }
        }
        let mobiles: Vec<String> = keys
            .iter()
            .filter_map(|k| k.strip_prefix("m:").map(str::to_owned))
            .collect();
        let names: Vec<String> = keys
            .iter()
            .filter_map(|k| k.strip_prefix("n:").map(str::to_owned))
            .collect();
        let cond = sea_orm::Condition::any()
            .add(people_index::Column::MobileKey.is_in(mobiles))
            .add(people_index::Column::NameKey.is_in(names));
        let sharing = people_index::Entity::find()
            .filter(cond)
            .all(tx.conn())
            .await?;
        let mut affected = AffectedPeople {
            keys: keys.clone(),
            forms: form_ids
                .iter()
                .copied()
                .chain(old_forms.iter().copied())
                .collect(),
            ..AffectedPeople::default()
        };
        for m in sharing {
            let batch = m.batch_id;
            let p = person_of(m)?;
            if batch == check.batch_id {
                affected.current.push(p);
            } else {
                affected.earlier.push(p);
            }
        }
        let placed = place(&affected);
        let own_keys: Vec<String> = affected.forms.iter().map(|f| format!("f:{f}")).collect();
        let mut replaced: Vec<String> = keys.into_iter().collect();
        replaced.extend(own_keys.iter().cloned());
        for chunk in replaced.chunks(500) {
            batch_findings::Entity::delete_many()
                .filter(batch_findings::Column::BatchId.eq(check.batch_id))
                .filter(batch_findings::Column::Key.is_in(chunk.to_vec()))
                .exec(tx.conn())
                .await?;
        }
        for p in placed {
            if !(affected.keys.contains(&p.key) || own_keys.contains(&p.key)) {
                continue;
            }
            batch_findings::Entity::insert(batch_findings::ActiveModel {
                id: NotSet,
                batch_id: Set(check.batch_id),
                form_id: Set(p.form_id),
                row_no: Set(p.row_no.map(i)),
                key: Set(p.key),
                own: Set(p.own),
                finding: Set(encode_one(&p.finding)?),
            })
            .exec(tx.conn())
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// [`Store::save_school_check`] for many schools of one batch in one write transaction, with
    /// multi-row `INSERT`s: every check whose stamp still matches its school's forms is stored,
    /// the identity index of those schools replaced, and the duplicate findings of every key they
    /// touched recomputed once through `place` over everyone sharing one of those keys. Returns,
    /// per check in order, whether it was stored (`false`: a form of that school changed since,
    /// nothing of that school is stored; the caller refreshes it on its own).
    pub async fn save_school_checks(
        &self,
        checks: &[SchoolCheck],
        place: impl FnOnce(&AffectedPeople) -> Vec<PlacedFinding>,
    ) -> Result<Vec<bool>, StoreError> {
        /// Ids or keys per `IN (…)` list.
        const IDS: usize = 500;
        /// Rows per multi-row `INSERT` (at most 11 values each).
        const ROWS: usize = 1000;
        let Some(first) = checks.first() else {
            return Ok(Vec::new());
        };
        let batch_id = first.batch_id;
        if checks.iter().any(|c| c.batch_id != batch_id) {
            return Err(StoreError::Invalid("一次只能保存同一批次的检查结果".into()));
        }
        let tx = self.begin_write().await?;
        let conn = tx.conn();
        if self.backend() == Backend::Postgres {
            conn.execute_raw(Statement::from_sql_and_values(
                sea_orm::DbBackend::Postgres,
                "SELECT pg_advisory_xact_lock($1)",
                [batch_id.into()],
            ))
            .await?;
        }
        let school_ids: Vec<i64> = {
            let s: BTreeSet<i64> = checks.iter().map(|c| c.school_id).collect();
            s.into_iter().collect()
        };
        let current = crate::forms::schools_form_versions(conn, batch_id, &school_ids).await?;
        let fresh: Vec<bool> = checks
            .iter()
            .map(|c| {
                let versions = current.get(&c.school_id).cloned().unwrap_or_default();
                stamp(versions) == c.stamp()
            })
            .collect();
        let stored: Vec<&SchoolCheck> = checks
            .iter()
            .zip(&fresh)
            .filter(|(_, f)| **f)
            .map(|(c, _)| c)
            .collect();
        if stored.is_empty() {
            return Ok(fresh);
        }
        let schools: Vec<i64> = {
            let s: BTreeSet<i64> = stored.iter().map(|c| c.school_id).collect();
            s.into_iter().collect()
        };
        let form_ids: Vec<i64> = stored
            .iter()
            .flat_map(|c| c.forms.iter().map(|f| f.form_id))
            .collect();
        let at = now();
        for chunk in form_ids.chunks(IDS) {
            form_checks::Entity::delete_many()
                .filter(form_checks::Column::FormId.is_in(chunk.iter().copied()))
                .exec(conn)
                .await?;
        }
        for chunk in schools.chunks(IDS) {
            form_checks::Entity::delete_many()
                .filter(form_checks::Column::BatchId.eq(batch_id))
                .filter(form_checks::Column::SchoolId.is_in(chunk.iter().copied()))
                .exec(conn)
                .await?;
            school_checks::Entity::delete_many()
                .filter(school_checks::Column::BatchId.eq(batch_id))
                .filter(school_checks::Column::SchoolId.is_in(chunk.iter().copied()))
                .exec(conn)
                .await?;
        }
        let mut rows = Vec::new();
        for c in &stored {
            for f in &c.forms {
                rows.push(form_checks::ActiveModel {
                    form_id: Set(f.form_id),
                    batch_id: Set(batch_id),
                    school_id: Set(c.school_id),
                    form_version: Set(f.form_version),
                    teachers: Set(i(f.tally.teachers)),
                    tech_vps: Set(i(f.tally.tech_vps)),
                    engineers: Set(i(f.tally.engineers)),
                    deans: Set(i(f.tally.deans)),
                    undetermined: Set(i(f.tally.undetermined)),
                    findings: Set(encode(&f.findings)?),
                    checked_at: Set(at),
                });
            }
        }
        insert_all!(conn, form_checks::Entity, rows, ROWS);
        let mut rows = Vec::new();
        for c in &stored {
            rows.push(school_checks::ActiveModel {
                id: NotSet,
                batch_id: Set(batch_id),
                school_id: Set(c.school_id),
                stamp: Set(c.stamp()),
                findings: Set(encode(&c.findings)?),
                checked_at: Set(at),
            });
        }
        insert_all!(conn, school_checks::Entity, rows, ROWS);

        // The identity index: the keys the schools' people had, and have now.
        let mut keys: BTreeSet<String> = BTreeSet::new();
        let mut old_forms: BTreeSet<i64> = BTreeSet::new();
        for chunk in schools.chunks(IDS) {
            let old = people_index::Entity::find()
                .filter(people_index::Column::BatchId.eq(batch_id))
                .filter(people_index::Column::SchoolId.is_in(chunk.iter().copied()))
                .all(conn)
                .await?;
            for m in &old {
                if let Some(k) = &m.mobile_key {
                    keys.insert(format!("m:{k}"));
                }
                if let Some(k) = &m.name_key {
                    keys.insert(format!("n:{k}"));
                }
                old_forms.insert(m.form_id);
            }
            people_index::Entity::delete_many()
                .filter(people_index::Column::BatchId.eq(batch_id))
                .filter(people_index::Column::SchoolId.is_in(chunk.iter().copied()))
                .exec(conn)
                .await?;
        }
        let mut rows = Vec::new();
        for c in &stored {
            for f in &c.forms {
                for o in &f.people {
                    let k = PersonKeys::of(o);
                    keys.extend(k.finding_keys());
                    let occurrence = serde_json::to_string(o)
                        .map_err(|e| StoreError::Corrupt(format!("人员索引无法保存：{e}")))?;
                    rows.push(people_index::ActiveModel {
                        id: NotSet,
                        batch_id: Set(batch_id),
                        school_id: Set(c.school_id),
                        form_id: Set(f.form_id),
                        row_no: Set(i(o.row)),
                        mobile_key: Set(k.mobile),
                        name_key: Set(k.name),
                        person_key: Set(k.person),
                        occurrence: Set(occurrence),
                    });
                }
            }
        }
        insert_all!(conn, people_index::Entity, rows, ROWS);
        let mobiles: Vec<String> = keys
            .iter()
            .filter_map(|k| k.strip_prefix("m:").map(str::to_owned))
            .collect();
        let names: Vec<String> = keys
            .iter()
            .filter_map(|k| k.strip_prefix("n:").map(str::to_owned))
            .collect();
        let mut sharing: HashMap<i64, people_index::Model> = HashMap::new();
        for (column, values) in [
            (people_index::Column::MobileKey, &mobiles),
            (people_index::Column::NameKey, &names),
        ] {
            for chunk in values.chunks(IDS) {
                for m in people_index::Entity::find()
                    .filter(column.is_in(chunk.iter().cloned()))
                    .all(conn)
                    .await?
                {
                    sharing.insert(m.id, m);
                }
            }
        }
        let mut sharing: Vec<people_index::Model> = sharing.into_values().collect();
        sharing.sort_by_key(|m| m.id);
        let mut affected = AffectedPeople {
            keys: keys.clone(),
            forms: form_ids
                .iter()
                .copied()
                .chain(old_forms.iter().copied())
                .collect(),
            ..AffectedPeople::default()
        };
        for m in sharing {
            let batch = m.batch_id;
            let p = person_of(m)?;
            if batch == batch_id {
                affected.current.push(p);
            } else {
                affected.earlier.push(p);
            }
        }
        let placed = place(&affected);
        let own_keys: BTreeSet<String> = affected.forms.iter().map(|f| format!("f:{f}")).collect();
        let mut replaced: Vec<String> = keys.into_iter().collect();
        replaced.extend(own_keys.iter().cloned());
        for chunk in replaced.chunks(IDS) {
            batch_findings::Entity::delete_many()
                .filter(batch_findings::Column::BatchId.eq(batch_id))
                .filter(batch_findings::Column::Key.is_in(chunk.to_vec()))
                .exec(conn)
                .await?;
        }
        let mut rows = Vec::new();
        for p in placed {
            if !(affected.keys.contains(&p.key) || own_keys.contains(&p.key)) {
                continue;
            }
            rows.push(batch_findings::ActiveModel {
                id: NotSet,
                batch_id: Set(batch_id),
                form_id: Set(p.form_id),
                row_no: Set(p.row_no.map(i)),
                key: Set(p.key),
                own: Set(p.own),
                finding: Set(encode_one(&p.finding)?),
            });
        }
        insert_all!(conn, batch_findings::Entity, rows, ROWS);
        tx.commit().await?;
        Ok(fresh)
    }

    /// A school's stored check, when the school is in scope and a check is stored.
    pub async fn school_check(
        &self,
        scope: &Scope,
        batch_id: i64,
        school_id: i64,
    ) -> Result<Option<StoredSchoolCheck>, StoreError> {
        if !self.school_visible(scope, school_id).await? {
            return Ok(None);
        }
        let Some(sc) = school_checks::Entity::find()
            .filter(school_checks::Column::BatchId.eq(batch_id))
            .filter(school_checks::Column::SchoolId.eq(school_id))
            .one(self.conn())
            .await?
        else {
            return Ok(None);
        };
        let forms = form_checks::Entity::find()
            .filter(form_checks::Column::BatchId.eq(batch_id))
            .filter(form_checks::Column::SchoolId.eq(school_id))
            .all(self.conn())
            .await?;
        Ok(Some(StoredSchoolCheck {
            school_id,
            stamp: sc.stamp,
            findings: decode(&sc.findings, "学校")?,
            forms: forms
                .iter()
                .map(|m| {
                    Ok(StoredFormCheck {
                        form_id: m.form_id,
                        school_id: m.school_id,
                        form_version: m.form_version,
                        tally: tally_of(m),
                        findings: decode(&m.findings, "推荐表")?,
                    })
                })
                .collect::<Result<_, StoreError>>()?,
        }))
    }

    /// Every stored school check of a batch within scope (the commission's lists).
    pub async fn batch_checks(
        &self,
        scope: &Scope,
        batch_id: i64,
    ) -> Result<Vec<StoredSchoolCheck>, StoreError> {
        let forms = form_checks::Entity::find()
            .filter(form_checks::Column::BatchId.eq(batch_id))
            .filter(forms_in(form_checks::Column::FormId, scope))
            .all(self.conn())
            .await?;
        let schools = school_checks::Entity::find()
            .filter(school_checks::Column::BatchId.eq(batch_id))
            .all(self.conn())
            .await?;
        let mut by_school: HashMap<i64, Vec<StoredFormCheck>> = HashMap::new();
        for m in &forms {
            by_school
                .entry(m.school_id)
                .or_default()
                .push(StoredFormCheck {
                    form_id: m.form_id,
                    school_id: m.school_id,
                    form_version: m.form_version,
                    tally: tally_of(m),
                    findings: decode(&m.findings, "推荐表")?,
                });
        }
        let mut out = Vec::new();
        for sc in schools {
            let Some(forms) = by_school.remove(&sc.school_id) else {
                continue;
            };
            out.push(StoredSchoolCheck {
                school_id: sc.school_id,
                stamp: sc.stamp,
                findings: decode(&sc.findings, "学校")?,
                forms,
            });
        }
        Ok(out)
    }

    /// The stored checks of these forms, within scope.
    pub async fn form_checks(
        &self,
        scope: &Scope,
        form_ids: &[i64],
    ) -> Result<Vec<StoredFormCheck>, StoreError> {
        let mut out = Vec::new();
        for chunk in form_ids.chunks(500) {
            for m in form_checks::Entity::find()
                .filter(form_checks::Column::FormId.is_in(chunk.to_vec()))
                .filter(forms_in(form_checks::Column::FormId, scope))
                .all(self.conn())
                .await?
            {
                out.push(StoredFormCheck {
                    form_id: m.form_id,
                    school_id: m.school_id,
                    form_version: m.form_version,
                    tally: tally_of(&m),
                    findings: decode(&m.findings, "推荐表")?,
                });
            }
        }
        Ok(out)
    }

    /// The duplicate findings stored on these forms (the caller read the forms in its scope).
    pub async fn placed_findings(
        &self,
        scope: &Scope,
        form_ids: &[i64],
    ) -> Result<Vec<PlacedFinding>, StoreError> {
        let mut out = Vec::new();
        for chunk in form_ids.chunks(500) {
            let rows = batch_findings::Entity::find()
                .filter(batch_findings::Column::FormId.is_in(chunk.to_vec()))
                .filter(forms_in(batch_findings::Column::FormId, scope))
                .all(self.conn())
                .await?;
            for m in rows {
                let finding = decode(&m.finding, "重复推荐")?
                    .into_iter()
                    .next()
                    .ok_or_else(|| {
                        StoreError::Corrupt(format!("重复推荐检查结果 {} 为空", m.id))
                    })?;
                out.push(PlacedFinding {
                    form_id: m.form_id,
                    row_no: m.row_no.and_then(|r| u32::try_from(r).ok()),
                    key: m.key,
                    own: m.own,
                    finding,
                });
            }
        }
        Ok(out)
    }

    /// The batch's tally: the sum of its stored form checks (one aggregate query).
    pub async fn batch_tally(&self, batch_id: i64) -> Result<Tally, StoreError> {
        let row: Option<Sums> = form_checks::Entity::find()
            .select_only()
            .column_as(Expr::col(form_checks::Column::Teachers).sum(), "t")
            .column_as(Expr::col(form_checks::Column::TechVps).sum(), "v")
            .column_as(Expr::col(form_checks::Column::Engineers).sum(), "e")
            .column_as(Expr::col(form_checks::Column::Deans).sum(), "d")
            .column_as(Expr::col(form_checks::Column::Undetermined).sum(), "u")
            .filter(form_checks::Column::BatchId.eq(batch_id))
            .into_tuple()
            .one(self.conn())
            .await?;
        let u = |v: Option<i64>| u32::try_from(v.unwrap_or(0)).unwrap_or(u32::MAX);
        Ok(row.map_or_else(Tally::default, |(t, v, e, d, x)| Tally {
            teachers: u(t),
            tech_vps: u(v),
            engineers: u(e),
            deans: u(d),
            undetermined: u(x),
        }))
    }

    /// Drops the form and school checks of a batch (every batch when `None`): what they depend on
    /// changed (the registry, the batch parameters). The identity index and the duplicate findings
    /// stay: they depend on the rows only.
    pub async fn clear_checks(&self, batch_id: Option<i64>) -> Result<(), StoreError> {
        self.write(async |tx: &Tx| clear_checks_in(tx.conn(), batch_id).await)
            .await
    }

    /// The schools of a batch that have forms but no current stored check.
    pub async fn schools_without_check(&self, batch_id: i64) -> Result<Vec<i64>, StoreError> {
        let with_forms = crate::forms::batch_school_ids(self.conn(), batch_id).await?;
        let checked: BTreeSet<i64> = school_checks::Entity::find()
            .select_only()
            .column(school_checks::Column::SchoolId)
            .filter(school_checks::Column::BatchId.eq(batch_id))
            .into_tuple::<i64>()
            .all(self.conn())
            .await?
            .into_iter()
            .collect();
        Ok(with_forms
            .into_iter()
            .filter(|s| !checked.contains(s))
            .collect())
    }

    /// Whether the school's own checks are visible in scope: the commission (职成教处 for 中职
    /// schools only) and the school itself; never an enterprise or an oversight body.
    pub async fn school_visible(&self, scope: &Scope, school_id: i64) -> Result<bool, StoreError> {
        if matches!(
            scope,
            Scope::Enterprise(_) | Scope::StateOwnedRows | Scope::PrivateRows | Scope::None
        ) {
            return Ok(false);
        }
        Ok(orgs::Entity::find_by_id(school_id)
            .filter(orgs::Column::IsSchool.eq(true))
            .filter(scope.org_filter())
            .count(self.conn())
            .await?
            > 0)
    }
}

/// [`Store::clear_checks`] inside a caller's transaction: the registry or a batch's parameters
/// change with the transaction.
pub(crate) async fn clear_checks_in(
    conn: &impl ConnectionTrait,
    batch_id: Option<i64>,
) -> Result<(), StoreError> {
    let mut fc = form_checks::Entity::delete_many();
    let mut sc = school_checks::Entity::delete_many();
    if let Some(b) = batch_id {
        fc = fc.filter(form_checks::Column::BatchId.eq(b));
        sc = sc.filter(school_checks::Column::BatchId.eq(b));
    }
    fc.exec(conn).await?;
    sc.exec(conn).await?;
    Ok(())
}
