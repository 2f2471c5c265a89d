//! The commission's import of many e-mailed forms at once ([`Store::import_forms`]): what
//! [`Store::import_form`] does for one form — the partnership confirmed by the commission and the
//! form's whole content replaced, with the same audit entries — for a chunk of forms in one write
//! transaction, with multi-row `INSERT`s for the partnerships, forms, rows, submissions and audit
//! entries.
//!
//! Every form stays all or nothing. Everything that can refuse a form is decided before anything is
//! written: a row of the wrong width, the two organisations, a school whose submission is awaiting
//! review or accepted (only when the form would change). A form refused so, or every form of a
//! chunk whose transaction fails, goes through [`Store::import_form`] on its own, so the caller
//! gets the error of the form that caused it and the others still land.

use std::collections::{BTreeSet, HashMap, HashSet};

use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, NotSet, QueryFilter, QueryOrder, QuerySelect,
};

use crate::audit::AuditEntry;
use crate::db::{Actor, Store, Tx, now};
use crate::entity::{form_rows, forms, orgs, partnerships, submissions};
use crate::error::StoreError;
use crate::forms::{FormContent, cells_json, content_hash, content_hash_of};
use crate::partnerships::{PartnershipStatus, org_map, require_open_batch};
use crate::submissions::SubmissionStatus;

/// One form of an import: the school and enterprise its header line names and its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportItem {
    pub school_id: i64,
    pub enterprise_id: i64,
    pub content: FormContent,
}

/// What [`Store::import_forms`] did with one form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedForm {
    pub partnership_id: i64,
    pub form_id: i64,
    /// The form's version after the import.
    pub version: i32,
    /// Whether the partnership was created or confirmed by this import.
    pub confirmed: bool,
    /// Whether the form's content was replaced (false: the same content was stored already).
    pub changed: bool,
}

/// Ids per `IN (…)` list.
const IDS: usize = 500;
/// Rows per multi-row `INSERT` (at most 9 values each: within SQLite's 32,766 bound values and
/// PostgreSQL's 65,535).
const ROWS: usize = 1000;

/// An item checked before any transaction opens: its content trimmed as stored, its hash and its
/// rows as stored.
struct Prepared {
    content: FormContent,
    hash: String,
    rows: Vec<String>,
}

fn prepare(item: &ImportItem) -> Result<Prepared, StoreError> {
    let content = FormContent {
        header_school: item.content.header_school.trim().to_string(),
        header_enterprise: item.content.header_enterprise.trim().to_string(),
        filler: item.content.filler.trim().to_string(),
        phone: item.content.phone.trim().to_string(),
        rows: item.content.rows.clone(),
    };
    i32::try_from(content.rows.len()).map_err(|_| StoreError::Invalid("行数过多".into()))?;
    let rows = content
        .rows
        .iter()
        .map(|cells| cells_json(cells))
        .collect::<Result<Vec<_>, _>>()?;
    let hash = content_hash_of(&content);
    Ok(Prepared {
        content,
        hash,
        rows,
    })
}

/// What the chunk's transaction does with one item.
struct Plan<'a> {
    /// The item's index in the chunk.
    at: usize,
    item: &'a ImportItem,
    prepared: &'a Prepared,
    school: String,
    enterprise: String,
    partnership: Option<partnerships::Model>,
    /// The partnership is created or its status changes.
    confirm: bool,
    form: Option<forms::Model>,
    /// The form is created by this transaction (with the imported content in place).
    created: bool,
    changed: bool,
}

impl Store {
    /// Imports `items` into `batch_id` as [`Store::import_form`] imports one, in one write
    /// transaction per run of items naming distinct partnerships (a partnership named again starts
    /// the next transaction, so the later form replaces the earlier as one by one). Returns one
    /// result per item, in order: an item refused (or whose transaction failed) was tried on its
    /// own and carries its own error. `Err` only when the database cannot be used at all.
    pub async fn import_forms(
        &self,
        batch_id: i64,
        items: &[ImportItem],
        actor: &Actor,
    ) -> Result<Vec<Result<ImportedForm, StoreError>>, StoreError> {
        let mut out: Vec<Option<Result<ImportedForm, StoreError>>> =
            (0..items.len()).map(|_| None).collect();
        let mut start = 0;
        while start < items.len() {
            let mut seen = HashSet::new();
            let mut end = start;
            while let Some(item) = items.get(end) {
                if !seen.insert((item.school_id, item.enterprise_id)) {
                    break;
                }
                end += 1;
            }
            let (run, slots) = (&items[start..end], &mut out[start..end]);
            self.import_run(batch_id, run, actor, slots).await?;
            start = end;
        }
        Ok(out
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(StoreError::NotFound("推荐表"))))
            .collect())
    }

    /// One run of items naming distinct partnerships: prepared, written in one transaction, and
    /// what that leaves out tried one by one.
    async fn import_run(
        &self,
        batch_id: i64,
        items: &[ImportItem],
        actor: &Actor,
        out: &mut [Option<Result<ImportedForm, StoreError>>],
    ) -> Result<(), StoreError> {
        let mut prepared = Vec::with_capacity(items.len());
        for (item, slot) in items.iter().zip(out.iter_mut()) {
            match prepare(item) {
                Ok(p) => prepared.push(Some(p)),
                Err(e) => {
                    *slot = Some(Err(e));
                    prepared.push(None);
                }
            }
        }
        if prepared.iter().all(Option::is_none) {
            return Ok(());
        }
        let done = match self.begin_write().await {
            Ok(tx) => match self.import_in(&tx, batch_id, items, &prepared, actor).await {
                Ok(done) => tx.commit().await.map(|()| done),
                Err(e) => {
                    let _ = tx.txn.rollback().await;
                    Err(e)
                }
            },
            Err(e) => Err(e),
        };
        if let Ok(done) = done {
            for (at, form) in done {
                if let Some(slot) = out.get_mut(at) {
                    *slot = Some(Ok(form));
                }
            }
        }
        // What the chunk left out (or all of it, when its transaction failed): one by one.
        for (at, item) in items.iter().enumerate() {
            let Some(slot) = out.get_mut(at) else {
                continue;
            };
            if slot.is_some() {
                continue;
            }
            let single = self
                .import_form(
                    batch_id,
                    item.school_id,
                    item.enterprise_id,
                    &item.content,
                    actor,
                )
                .await;
            *slot = Some(single.map(|(confirmed, replaced)| ImportedForm {
                partnership_id: confirmed.partnership.id,
                form_id: replaced.form.id,
                version: replaced.form.version,
                confirmed: confirmed.changed,
                changed: replaced.changed,
            }));
        }
        Ok(())
    }

    /// The chunk's writes inside `tx`; returns `(index, outcome)` of every item written. An item
    /// left out is one that would be refused (the caller tries it on its own).
    async fn import_in(
        &self,
        tx: &Tx,
        batch_id: i64,
        items: &[ImportItem],
        prepared: &[Option<Prepared>],
        actor: &Actor,
    ) -> Result<Vec<(usize, ImportedForm)>, StoreError> {
        let conn = tx.conn();
        require_open_batch(conn, batch_id).await?;
        let wanted: Vec<(usize, &ImportItem, &Prepared)> = items
            .iter()
            .zip(prepared)
            .enumerate()
            .filter_map(|(at, (item, p))| p.as_ref().map(|p| (at, item, p)))
            .collect();
        let schools: Vec<i64> = sorted(wanted.iter().map(|(_, i, _)| i.school_id));
        let enterprises: Vec<i64> = sorted(wanted.iter().map(|(_, i, _)| i.enterprise_id));
        let orgs = org_map(conn, schools.iter().chain(&enterprises).copied()).await?;

        // What stands now, locked for the change (PostgreSQL; SQLite's BEGIN IMMEDIATE holds the
        // database): the partnerships, the schools' submissions and the forms.
        let mut existing: HashMap<(i64, i64), partnerships::Model> = HashMap::new();
        for chunk in schools.chunks(IDS) {
            for p in partnerships::Entity::find()
                .filter(partnerships::Column::BatchId.eq(batch_id))
                .filter(partnerships::Column::SchoolId.is_in(chunk.iter().copied()))
                .filter(partnerships::Column::EnterpriseId.is_in(enterprises.iter().copied()))
                .lock_exclusive()
                .all(conn)
                .await?
            {
                existing.insert((p.school_id, p.enterprise_id), p);
            }
        }
        let mut status: HashMap<i64, String> = HashMap::new();
        for chunk in schools.chunks(IDS) {
            for s in submissions::Entity::find()
                .filter(submissions::Column::BatchId.eq(batch_id))
                .filter(submissions::Column::SchoolId.is_in(chunk.iter().copied()))
                .lock_exclusive()
                .all(conn)
                .await?
            {
                status.insert(s.school_id, s.status);
            }
        }
        let pids: Vec<i64> = existing.values().map(|p| p.id).collect();
        let mut form_of: HashMap<i64, forms::Model> = HashMap::new();
        for chunk in pids.chunks(IDS) {
            for f in forms::Entity::find()
                .filter(forms::Column::PartnershipId.is_in(chunk.iter().copied()))
                .lock_exclusive()
                .all(conn)
                .await?
            {
                form_of.insert(f.partnership_id, f);
            }
        }

        // Each item decided: what one `import_form` would write, or left out when it would refuse.
        let mut plans: Vec<Plan> = Vec::with_capacity(wanted.len());
        for (at, item, p) in wanted {
            let school = orgs.get(&item.school_id).filter(|o| o.is_school);
            let enterprise = orgs.get(&item.enterprise_id).filter(|o| !o.is_school);
            let (Some(school), Some(enterprise)) = (school, enterprise) else {
                continue;
            };
            let partnership = existing.get(&(item.school_id, item.enterprise_id)).cloned();
            let confirm = partnership
                .as_ref()
                .is_none_or(|p| p.status != PartnershipStatus::Confirmed.as_str());
            let form = partnership
                .as_ref()
                .and_then(|p| form_of.get(&p.id))
                .cloned();
            if !confirm && form.is_none() {
                continue;
            }
            let before = form.as_ref().map_or_else(
                || empty_hash(school, enterprise),
                |f| f.content_hash.clone(),
            );
            let changed = before != p.hash;
            if changed && status.get(&item.school_id).is_some_and(|s| !editable(s)) {
                continue;
            }
            plans.push(Plan {
                at,
                item,
                prepared: p,
                school: school.name.clone(),
                enterprise: enterprise.name.clone(),
                partnership,
                confirm,
                form,
                created: false,
                changed,
            });
        }
        if plans.is_empty() {
            return Ok(Vec::new());
        }
        let t = now();

        // Partnerships: proposed or rejected ones confirmed, missing ones created.
        let to_confirm: Vec<i64> = plans
            .iter()
            .filter(|p| p.confirm)
            .filter_map(|p| p.partnership.as_ref().map(|m| m.id))
            .collect();
        for chunk in to_confirm.chunks(IDS) {
            partnerships::Entity::update_many()
                .col_expr(
                    partnerships::Column::Status,
                    Expr::value(PartnershipStatus::Confirmed.as_str()),
                )
                .col_expr(partnerships::Column::ConfirmedAt, Expr::value(Some(t)))
                .filter(partnerships::Column::Id.is_in(chunk.iter().copied()))
                .exec(conn)
                .await?;
        }
        let new_pairs: Vec<(i64, i64)> = plans
            .iter()
            .filter(|p| p.partnership.is_none())
            .map(|p| (p.item.school_id, p.item.enterprise_id))
            .collect();
        for chunk in new_pairs.chunks(ROWS) {
            partnerships::Entity::insert_many(chunk.iter().map(|&(school_id, enterprise_id)| {
                partnerships::ActiveModel {
                    id: NotSet,
                    batch_id: Set(batch_id),
                    school_id: Set(school_id),
                    enterprise_id: Set(enterprise_id),
                    status: Set(PartnershipStatus::Confirmed.as_str().to_string()),
                    tags: Set("[]".to_string()),
                    proposed_by: Set(actor.user_id),
                    created_at: Set(t),
                    confirmed_at: Set(Some(t)),
                }
            }))
            .exec_without_returning(conn)
            .await?;
        }
        if !new_pairs.is_empty() {
            let new_schools = sorted(new_pairs.iter().map(|&(s, _)| s));
            let new_enterprises = sorted(new_pairs.iter().map(|&(_, e)| e));
            let mut created: HashMap<(i64, i64), partnerships::Model> = HashMap::new();
            for chunk in new_schools.chunks(IDS) {
                for p in partnerships::Entity::find()
                    .filter(partnerships::Column::BatchId.eq(batch_id))
                    .filter(partnerships::Column::SchoolId.is_in(chunk.iter().copied()))
                    .filter(
                        partnerships::Column::EnterpriseId.is_in(new_enterprises.iter().copied()),
                    )
                    .all(conn)
                    .await?
                {
                    created.insert((p.school_id, p.enterprise_id), p);
                }
            }
            for plan in plans.iter_mut().filter(|p| p.partnership.is_none()) {
                let key = (plan.item.school_id, plan.item.enterprise_id);
                plan.partnership = Some(
                    created
                        .remove(&key)
                        .ok_or(StoreError::NotFound("合作关系"))?,
                );
            }
        }

        // Forms: a partnership without one gets it with the imported content in place (what
        // creating the empty form at version 1 and replacing its content makes: version 2).
        let mut new_forms = Vec::new();
        for plan in plans.iter().filter(|p| p.form.is_none()) {
            let pid = plan
                .partnership
                .as_ref()
                .map(|m| m.id)
                .ok_or(StoreError::NotFound("合作关系"))?;
            let c = &plan.prepared.content;
            new_forms.push(if plan.changed {
                forms::ActiveModel {
                    id: NotSet,
                    partnership_id: Set(pid),
                    version: Set(2),
                    header_school: Set(c.header_school.clone()),
                    header_enterprise: Set(c.header_enterprise.clone()),
                    filler: Set(c.filler.clone()),
                    phone: Set(c.phone.clone()),
                    content_hash: Set(plan.prepared.hash.clone()),
                    updated_at: Set(t),
                }
            } else {
                forms::ActiveModel {
                    id: NotSet,
                    partnership_id: Set(pid),
                    version: Set(1),
                    header_school: Set(plan.school.clone()),
                    header_enterprise: Set(plan.enterprise.clone()),
                    filler: Set(String::new()),
                    phone: Set(String::new()),
                    content_hash: Set(plan.prepared.hash.clone()),
                    updated_at: Set(t),
                }
            });
        }
        let created_pids: Vec<i64> = plans
            .iter()
            .filter(|p| p.form.is_none())
            .filter_map(|p| p.partnership.as_ref().map(|m| m.id))
            .collect();
        let mut models = new_forms.into_iter().peekable();
        while models.peek().is_some() {
            let chunk: Vec<forms::ActiveModel> = models.by_ref().take(ROWS).collect();
            forms::Entity::insert_many(chunk)
                .exec_without_returning(conn)
                .await?;
        }
        if !created_pids.is_empty() {
            let mut created: HashMap<i64, forms::Model> = HashMap::new();
            for chunk in created_pids.chunks(IDS) {
                for f in forms::Entity::find()
                    .filter(forms::Column::PartnershipId.is_in(chunk.iter().copied()))
                    .all(conn)
                    .await?
                {
                    created.insert(f.partnership_id, f);
                }
            }
            for plan in plans.iter_mut().filter(|p| p.form.is_none()) {
                let pid = plan.partnership.as_ref().map_or(0, |m| m.id);
                plan.form = Some(created.remove(&pid).ok_or(StoreError::NotFound("推荐表"))?);
                plan.created = true;
            }
        }

        // Submissions: a school with a partnership confirmed now has one (as a draft).
        let missing: BTreeSet<i64> = plans
            .iter()
            .filter(|p| p.confirm && !status.contains_key(&p.item.school_id))
            .map(|p| p.item.school_id)
            .collect();
        let missing: Vec<i64> = missing.into_iter().collect();
        for chunk in missing.chunks(ROWS) {
            submissions::Entity::insert_many(chunk.iter().map(|&school_id| {
                submissions::ActiveModel {
                    id: NotSet,
                    batch_id: Set(batch_id),
                    school_id: Set(school_id),
                    status: Set(SubmissionStatus::Draft.as_str().to_string()),
                    current_version: Set(None),
                    updated_at: Set(t),
                }
            }))
            .on_conflict(
                OnConflict::columns([submissions::Column::BatchId, submissions::Column::SchoolId])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(conn)
            .await?;
        }

        // Rows: those whose cells are unchanged keep their id and confirmation (moved when their
        // position changed), the others are inserted, the rest deleted.
        let replaced_existing: Vec<i64> = plans
            .iter()
            .filter(|p| p.changed && !p.created)
            .filter_map(|p| p.form.as_ref().map(|f| f.id))
            .collect();
        let mut old_rows: HashMap<i64, Vec<form_rows::Model>> = HashMap::new();
        for chunk in replaced_existing.chunks(IDS) {
            for m in form_rows::Entity::find()
                .filter(form_rows::Column::FormId.is_in(chunk.iter().copied()))
                .order_by_asc(form_rows::Column::FormId)
                .order_by_asc(form_rows::Column::Position)
                .order_by_asc(form_rows::Column::Id)
                .all(conn)
                .await?
            {
                old_rows.entry(m.form_id).or_default().push(m);
            }
        }
        let mut inserts: Vec<form_rows::ActiveModel> = Vec::new();
        let mut stale: Vec<i64> = Vec::new();
        let mut moves: Vec<(i64, i32)> = Vec::new();
        let mut audit = Vec::new();
        let mut done = Vec::with_capacity(plans.len());
        for plan in &plans {
            let (Some(p), Some(f)) = (&plan.partnership, &plan.form) else {
                return Err(StoreError::NotFound("推荐表"));
            };
            if plan.confirm {
                audit.push(AuditEntry::new(
                    actor,
                    "partnership.confirm_by_commission",
                    format!("partnership:{}", p.id),
                    format!(
                        "市教委导入推荐表时确认合作关系：{} → {}",
                        plan.school, plan.enterprise
                    ),
                ));
            }
            let version = if !plan.changed {
                f.version
            } else if plan.created {
                // Created at version 1 and replaced: inserted as version 2 with all its rows.
                for (i, json) in plan.prepared.rows.iter().enumerate() {
                    inserts.push(new_row(f.id, i, json)?);
                }
                audit.push(replaced_entry(
                    actor,
                    f.id,
                    1,
                    f.version,
                    0,
                    plan.prepared.rows.len(),
                    0,
                ));
                f.version
            } else {
                let mut old: HashMap<&str, Vec<&form_rows::Model>> = HashMap::new();
                for m in old_rows.get(&f.id).into_iter().flatten().rev() {
                    old.entry(m.cells.as_str()).or_default().push(m);
                }
                let (mut kept, mut added) = (0, 0);
                for (i, json) in plan.prepared.rows.iter().enumerate() {
                    match old.get_mut(json.as_str()).and_then(Vec::pop) {
                        Some(m) => {
                            let position = position_of(i)?;
                            if m.position != position {
                                moves.push((m.id, position));
                            }
                            kept += 1;
                        }
                        None => {
                            inserts.push(new_row(f.id, i, json)?);
                            added += 1;
                        }
                    }
                }
                let gone: Vec<i64> = old.into_values().flatten().map(|m| m.id).collect();
                let removed = gone.len();
                stale.extend(gone);
                let version = f.version + 1;
                let c = &plan.prepared.content;
                forms::Entity::update_many()
                    .col_expr(forms::Column::Version, Expr::value(version))
                    .col_expr(
                        forms::Column::HeaderSchool,
                        Expr::value(c.header_school.clone()),
                    )
                    .col_expr(
                        forms::Column::HeaderEnterprise,
                        Expr::value(c.header_enterprise.clone()),
                    )
                    .col_expr(forms::Column::Filler, Expr::value(c.filler.clone()))
                    .col_expr(forms::Column::Phone, Expr::value(c.phone.clone()))
                    .col_expr(
                        forms::Column::ContentHash,
                        Expr::value(plan.prepared.hash.clone()),
                    )
                    .col_expr(forms::Column::UpdatedAt, Expr::value(t))
                    .filter(forms::Column::Id.eq(f.id))
                    .exec(conn)
                    .await?;
                audit.push(replaced_entry(
                    actor, f.id, f.version, version, kept, added, removed,
                ));
                version
            };
            done.push((
                plan.at,
                ImportedForm {
                    partnership_id: p.id,
                    form_id: f.id,
                    version,
                    confirmed: plan.confirm,
                    changed: plan.changed,
                },
            ));
        }
        for chunk in stale.chunks(IDS) {
            form_rows::Entity::delete_many()
                .filter(form_rows::Column::Id.is_in(chunk.iter().copied()))
                .exec(conn)
                .await?;
        }
        for (id, position) in moves {
            form_rows::Entity::update_many()
                .col_expr(form_rows::Column::Position, Expr::value(position))
                .filter(form_rows::Column::Id.eq(id))
                .exec(conn)
                .await?;
        }
        let mut inserts = inserts.into_iter().peekable();
        while inserts.peek().is_some() {
            let chunk: Vec<form_rows::ActiveModel> = inserts.by_ref().take(ROWS).collect();
            form_rows::Entity::insert_many(chunk)
                .exec_without_returning(conn)
                .await?;
        }
        self.audit_many_in(tx, audit).await?;
        Ok(done)
    }
}

/// A row's position as stored.
fn position_of(i: usize) -> Result<i32, StoreError> {
    i32::try_from(i).map_err(|_| StoreError::Invalid("行数过多".into()))
}

/// A new row of a form.
fn new_row(form_id: i64, i: usize, json: &str) -> Result<form_rows::ActiveModel, StoreError> {
    Ok(form_rows::ActiveModel {
        id: NotSet,
        form_id: Set(form_id),
        position: Set(position_of(i)?),
        cells: Set(json.to_owned()),
        confirmed_version: Set(None),
        objection: NotSet,
        confirmed_cells: NotSet,
    })
}

/// The audit entry of a form's content replaced, worded as [`Store::replace_rows`] words it.
fn replaced_entry(
    actor: &Actor,
    form_id: i64,
    from: i32,
    to: i32,
    kept: usize,
    added: usize,
    removed: usize,
) -> AuditEntry {
    AuditEntry::new(
        actor,
        "form.replace_rows",
        format!("form:{form_id}"),
        format!("version {from} -> {to}; rows kept {kept}, added {added}, removed {removed}"),
    )
}

/// Ids sorted, without repeats.
fn sorted(ids: impl Iterator<Item = i64>) -> Vec<i64> {
    let mut v: Vec<i64> = ids.collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// The hash of the empty form a partnership is confirmed with (its header line the two names).
fn empty_hash(school: &orgs::Model, enterprise: &orgs::Model) -> String {
    content_hash(&school.name, &enterprise.name, "", "", &[])
}

/// Whether a school's forms may change with its submission in this state (a form is not changed
/// while the submission awaits review or is accepted).
fn editable(status: &str) -> bool {
    match status.parse::<SubmissionStatus>() {
        Ok(s) => !matches!(s, SubmissionStatus::Submitted | SubmissionStatus::Accepted),
        // Unreadable: left to `import_form`, which reports it.
        Err(_) => false,
    }
}
