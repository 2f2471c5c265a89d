//! Findings kept as data, computed once per change.
//!
//! [`App::refresh_school`] runs the engine over one school's forms (rules of scope row, form and
//! school), words the findings for people, and stores them with the form versions they were
//! computed on; in the same transaction the store replaces the school's people in the identity
//! index and this module's [`place`] recomputes the duplicate findings (D01–D03) of the keys the
//! change touched, placing each on the row it concerns and on the row it names.
//!
//! Pages read stored findings ([`App::school_report`], [`App::form_report`], [`App::batch_report`]).
//! A read that finds no check, or one computed on other versions (a change made by a path that
//! does not refresh, the registry or the batch parameters changed), computes it then, once.

use std::collections::HashMap;

use shuangshi_rules::rules::d::{DuplicateKey, counterpart, duplicate_key};
use shuangshi_rules::{
    Finding, FindingRecord, FormSummary, Input, Occurrence, PastPerson, Report, SchoolTally, Tally,
    occurrences, totals,
};
use shuangshi_store::checks::stamp;
use shuangshi_store::forms::FIRST_ROW;
use shuangshi_store::{
    AffectedPeople, BatchRecord, FormCheck, FormRecord, PlacedFinding, SchoolCheck, Scope,
    StoreError, StoredFormCheck,
};

use crate::App;
use crate::checks::{FormNames, check_school, form_file, rules_forms, tidy_finding};
use crate::error::{Error, Result};

/// A school's forms with their stored findings, as one report.
#[derive(Debug, Clone)]
pub struct SchoolReport {
    pub forms: Vec<FormRecord>,
    /// The forms' own findings, the school's, and the duplicate findings on its rows; one summary
    /// (with its tally) per form.
    pub report: Report,
    /// The school's tally (the sum of its forms').
    pub tally: Tally,
}

/// Every form in scope with its stored findings and the programme's findings (P01/P02).
#[derive(Debug, Clone)]
pub struct BatchReport {
    pub forms: Vec<FormRecord>,
    pub report: Report,
}

/// How often a check is computed again when forms change while it is being computed.
const ATTEMPTS: usize = 4;

/// One async lock per (batch, school): the school checks of one school are computed one after
/// another in this process, so concurrent changes of one school (a deadline rush of row saves)
/// queue instead of computing side by side and retrying until [`ATTEMPTS`] run out. A refresh
/// that had to wait and then finds the stored check already computed on the school's current
/// form versions returns at once: the one before it saw its change. A refresh whose save finds
/// the forms changed again while it computed leaves the work to a refresh queued behind it, when
/// there is one: that one starts after it ends, so it reads the newer versions. (Between processes
/// on one database, the versions checked at save time and the retries still decide.)
#[derive(Debug, Clone, Default)]
pub(crate) struct Turns(std::sync::Arc<std::sync::Mutex<HashMap<(i64, i64), Turn>>>);

/// One school's turn (see [`Turns`]): the lock, and how many refreshes of the school are under
/// way in this process (the holder and those waiting).
#[derive(Debug, Default)]
pub(crate) struct TurnState {
    lock: tokio::sync::Mutex<()>,
    pending: std::sync::atomic::AtomicUsize,
}

type Turn = std::sync::Arc<TurnState>;

impl Turns {
    fn of(&self, batch_id: i64, school_id: i64) -> Turn {
        // A poisoned map only means another thread panicked while inserting; the map is intact.
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.entry((batch_id, school_id)).or_default().clone()
    }
}

/// Counts one refresh as under way for as long as it lives.
struct Pending(Turn);

impl Pending {
    fn new(turn: Turn) -> Pending {
        turn.pending
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Pending(turn)
    }

    /// Whether another refresh of the school is under way (waiting for the turn).
    fn others(&self) -> bool {
        self.0.pending.load(std::sync::atomic::Ordering::SeqCst) > 1
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        self.0
            .pending
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

pub(crate) fn findings_of(records: Vec<FindingRecord>) -> Result<Vec<Finding>> {
    records
        .into_iter()
        .map(|r| {
            Finding::try_from(r)
                .map_err(|e| Error::Store(StoreError::Corrupt(format!("已保存的检查结果：{e}"))))
        })
        .collect()
}

fn summary(form: &FormRecord, tally: Tally) -> FormSummary {
    FormSummary {
        file: form_file(form),
        sheet: Some("推荐表".to_owned()),
        school: Some(form.school_name.clone()),
        enterprise: Some(form.enterprise_name.clone()),
        people: form.rows.len(),
        sent: tally.teachers as usize,
        received: tally.engineers as usize,
        tally,
    }
}

/// What [`App::refresh_school`] computes before it stores.
fn compute(
    batch: &BatchRecord,
    registry: &shuangshi_rules::Registry,
    forms: &[FormRecord],
) -> SchoolCheck {
    let rules = rules_forms(forms);
    let mut report = check_school(&batch.params, registry, &rules);
    let people = occurrences(Input {
        batch: &batch.params,
        forms: &rules,
        registry: Some(registry),
        history: &[],
    });
    let names: Vec<FormNames> = forms.iter().map(FormNames::of).collect();
    for f in &mut report.findings {
        tidy_finding(f, &names);
    }
    let index: HashMap<String, usize> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.file.clone(), i))
        .collect();
    let mut own: Vec<Vec<FindingRecord>> = vec![Vec::new(); forms.len()];
    let mut school = Vec::new();
    for f in &report.findings {
        match f.file.as_deref().and_then(|file| index.get(file)) {
            Some(&i) if !crate::checks::is_school_level(f) => own[i].push(FindingRecord::from(f)),
            _ => school.push(FindingRecord::from(f)),
        }
    }
    let mut by_form: Vec<Vec<Occurrence>> = vec![Vec::new(); forms.len()];
    for o in people {
        if let Some(&i) = index.get(&o.file) {
            by_form[i].push(o);
        }
    }
    let tallies: HashMap<&str, Tally> = report
        .forms
        .iter()
        .map(|s| (s.file.as_str(), s.tally))
        .collect();
    SchoolCheck {
        batch_id: batch.id,
        school_id: forms.first().map_or(0, |f| f.school_id),
        findings: school,
        forms: forms
            .iter()
            .zip(own)
            .zip(by_form)
            .zip(&names)
            .map(|(((form, findings), people), n)| FormCheck {
                form_id: form.id,
                form_version: form.version,
                tally: tallies.get(n.file.as_str()).copied().unwrap_or_default(),
                findings,
                people,
            })
            .collect(),
    }
}

/// The names of the forms the affected people are on, for wording the duplicate findings.
fn names_of(people: &AffectedPeople) -> Vec<FormNames> {
    let mut by_form: HashMap<i64, FormNames> = HashMap::new();
    for p in &people.current {
        let o = &p.occurrence;
        let school = o.school.clone().unwrap_or_default();
        let enterprise = o
            .file
            .strip_prefix(&format!("{school}—"))
            .unwrap_or(&o.file)
            .to_owned();
        let n = by_form.entry(p.form_id).or_insert_with(|| FormNames {
            file: o.file.clone(),
            school,
            enterprise,
            people: Vec::new(),
        });
        let at = o.row.saturating_sub(FIRST_ROW) as usize;
        if n.people.len() <= at {
            n.people.resize(at + 1, String::new());
        }
        n.people[at] = o.name.clone();
    }
    by_form.into_values().collect()
}

/// The duplicate findings of the people who share the affected keys, placed on the forms they
/// concern: each finding on its own row, and a D01 also on the row it names (the first
/// occurrence), so both schools see it.
pub fn place(people: &AffectedPeople, batch_names: &HashMap<i64, String>) -> Vec<PlacedFinding> {
    let current: Vec<Occurrence> = people
        .current
        .iter()
        .map(|p| p.occurrence.clone())
        .collect();
    let history: Vec<PastPerson> = people
        .earlier
        .iter()
        .map(|p| PastPerson {
            batch: batch_names
                .get(&p.batch_id)
                .cloned()
                .unwrap_or_else(|| "往批次".to_owned()),
            name: p.occurrence.name.clone(),
            unit: p.occurrence.sending_unit.clone(),
            mobile: p.occurrence.mobile_key().unwrap_or_default(),
        })
        .collect();
    let names = names_of(people);
    let at: HashMap<(&str, u32), &shuangshi_store::IndexedPerson> = people
        .current
        .iter()
        .map(|p| ((p.occurrence.file.as_str(), p.occurrence.row), p))
        .collect();
    let mut out = Vec::new();
    for f in shuangshi_rules::duplicates(&current, &history) {
        let Some(row) = f.row else { continue };
        let file = f.file.clone().unwrap_or_default();
        let Some(&p) = at.get(&(file.as_str(), row)) else {
            continue;
        };
        let key = match duplicate_key(&f, &p.occurrence) {
            DuplicateKey::Mobile(m) => format!("m:{m}"),
            DuplicateKey::NameUnit(n) => format!("n:{n}"),
            DuplicateKey::Row => format!("f:{}", p.form_id),
        };
        if let DuplicateKey::Mobile(m) = duplicate_key(&f, &p.occurrence) {
            // The first occurrence of the number: the row this finding names.
            let first = people
                .current
                .iter()
                .filter(|q| q.occurrence.mobile_key().as_deref() == Some(m.as_str()))
                .min_by(|a, b| {
                    let k = |o: &Occurrence| (o.file.clone(), o.sheet.clone(), o.row);
                    k(&a.occurrence).cmp(&k(&b.occurrence))
                });
            if let Some(first) = first.filter(|q| q.form_id != p.form_id || q.occurrence.row != row)
            {
                let mut c = counterpart(&first.occurrence, &p.occurrence);
                tidy_finding(&mut c, &names);
                out.push(PlacedFinding {
                    form_id: first.form_id,
                    row_no: Some(first.occurrence.row),
                    key: key.clone(),
                    own: false,
                    finding: FindingRecord::from(&c),
                });
            }
        }
        let mut f = f;
        tidy_finding(&mut f, &names);
        out.push(PlacedFinding {
            form_id: p.form_id,
            row_no: Some(row),
            key,
            own: true,
            finding: FindingRecord::from(&f),
        });
    }
    out
}

/// A school's report from its forms, its check (the school's findings and each form's) and the
/// duplicate findings placed on its forms: what [`App::school_report`] answers.
pub(crate) fn assemble(
    batch: &BatchRecord,
    forms: Vec<FormRecord>,
    school: Vec<FindingRecord>,
    checks: &HashMap<i64, StoredFormCheck>,
    placed: Vec<PlacedFinding>,
) -> Result<SchoolReport> {
    let mut findings = findings_of(school)?;
    let mut summaries = Vec::new();
    let mut tally = Tally::default();
    for form in &forms {
        let check = checks.get(&form.id);
        let t = check.map(|c| c.tally).unwrap_or_default();
        tally += t;
        summaries.push(summary(form, t));
        if let Some(c) = check {
            findings.extend(findings_of(c.findings.clone())?);
        }
    }
    findings.extend(findings_of(
        placed.into_iter().map(|p| p.finding).collect(),
    )?);
    let school_name = forms.first().map(|f| f.school_name.clone());
    let mut report = Report::new(&batch.params.name, summaries, findings);
    report.tally = tally;
    report.schools = school_name
        .map(|school| vec![SchoolTally { school, tally }])
        .unwrap_or_default();
    Ok(SchoolReport {
        forms,
        report,
        tally,
    })
}

/// A computed check's form checks as they are stored.
pub(crate) fn stored_forms(check: &SchoolCheck) -> HashMap<i64, StoredFormCheck> {
    check
        .forms
        .iter()
        .map(|f| {
            (
                f.form_id,
                StoredFormCheck {
                    form_id: f.form_id,
                    school_id: check.school_id,
                    form_version: f.form_version,
                    tally: f.tally,
                    findings: f.findings.clone(),
                },
            )
        })
        .collect()
}

impl App {
    /// The checks of many schools of one batch, computed from their forms as read (on blocking
    /// threads, one group per core) and stored in one transaction
    /// ([`shuangshi_store::Store::save_school_checks`]), the schools' turns held meanwhile: what
    /// [`App::refresh_school_with`] does for each, for an import that changed many schools. Returns
    /// each school with its forms and its check, `None` when its forms changed meanwhile and
    /// nothing of it was stored (the caller refreshes it alone).
    pub(crate) async fn refresh_schools_with(
        &self,
        batch: &BatchRecord,
        registry: &shuangshi_rules::Registry,
        schools: Vec<(i64, Vec<FormRecord>)>,
    ) -> Result<Vec<(i64, Vec<FormRecord>, Option<SchoolCheck>)>> {
        if schools.is_empty() {
            return Ok(Vec::new());
        }
        let mut ids: Vec<i64> = schools.iter().map(|(s, _)| *s).collect();
        ids.sort_unstable();
        ids.dedup();
        let turns: Vec<Turn> = ids.iter().map(|&s| self.turns.of(batch.id, s)).collect();
        let mut held = Vec::with_capacity(turns.len());
        for t in &turns {
            held.push(t.lock.lock().await);
        }
        let batch_names: HashMap<i64, String> = self
            .store
            .list_batches()
            .await?
            .into_iter()
            .map(|b| (b.id, b.name))
            .collect();
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let per = schools.len().div_ceil(cores).max(1);
        let mut groups = Vec::new();
        let mut rest = schools.into_iter();
        loop {
            let group: Vec<(i64, Vec<FormRecord>)> = rest.by_ref().take(per).collect();
            if group.is_empty() {
                break;
            }
            let (b, r) = (batch.clone(), registry.clone());
            groups.push(tokio::task::spawn_blocking(move || {
                group
                    .into_iter()
                    .map(|(school_id, forms)| {
                        let mut check = compute(&b, &r, &forms);
                        check.school_id = school_id;
                        (school_id, forms, check)
                    })
                    .collect::<Vec<_>>()
            }));
        }
        let mut computed = Vec::new();
        for g in groups {
            computed.extend(g.await.map_err(Error::Task)?);
        }
        let (read, checks): (Vec<(i64, Vec<FormRecord>)>, Vec<SchoolCheck>) = computed
            .into_iter()
            .map(|(school_id, forms, check)| ((school_id, forms), check))
            .unzip();
        let stored = self
            .store
            .save_school_checks(&checks, move |people| place(people, &batch_names))
            .await?;
        drop(held);
        Ok(read
            .into_iter()
            .zip(checks)
            .zip(stored)
            .map(|(((school_id, forms), check), ok)| (school_id, forms, ok.then_some(check)))
            .collect())
    }

    /// Computes a school's check and stores it (see the module docs). Called by every use case
    /// that changes a school's forms, after its change.
    pub async fn refresh_school(&self, batch: &BatchRecord, school_id: i64) -> Result<()> {
        self.refresh_school_with(batch, school_id, None).await
    }

    /// [`App::refresh_school`] with the registry already read (`None`: read it here), for a
    /// caller that refreshes many schools against one registry (an import).
    pub async fn refresh_school_with(
        &self,
        batch: &BatchRecord,
        school_id: i64,
        registry: Option<shuangshi_rules::Registry>,
    ) -> Result<()> {
        let pending = Pending::new(self.turns.of(batch.id, school_id));
        let turn = pending.0.clone();
        let _turn = match turn.lock.try_lock() {
            Ok(held) => held,
            Err(_) => {
                let held = turn.lock.lock().await;
                let forms = self
                    .store
                    .school_forms(&Scope::All, batch.id, school_id)
                    .await?;
                let now = stamp(forms.iter().map(|f| (f.id, f.version)));
                let stored = self
                    .store
                    .school_check(&Scope::All, batch.id, school_id)
                    .await?;
                if stored.is_some_and(|s| s.stamp == now) {
                    return Ok(());
                }
                held
            }
        };
        let batch_names: HashMap<i64, String> = self
            .store
            .list_batches()
            .await?
            .into_iter()
            .map(|b| (b.id, b.name))
            .collect();
        for _ in 0..ATTEMPTS {
            let forms = self
                .store
                .school_forms(&Scope::All, batch.id, school_id)
                .await?;
            let registry = match &registry {
                Some(r) => r.clone(),
                None => self.store.registry().await?,
            };
            let b = batch.clone();
            let mut check = tokio::task::spawn_blocking(move || compute(&b, &registry, &forms))
                .await
                .map_err(Error::Task)?;
            check.school_id = school_id;
            let names = batch_names.clone();
            if self
                .store
                .save_school_check(&check, move |people| place(people, &names))
                .await?
            {
                return Ok(());
            }
            // The forms changed while the check was computed: a refresh waiting for the turn
            // starts after this one and reads the newer versions.
            if pending.others() {
                return Ok(());
            }
        }
        Err(Error::refused(
            "推荐表正在被频繁修改，检查结果暂未保存；请稍后刷新页面",
        ))
    }

    /// A school's forms in scope with their stored findings; computed first when missing or
    /// stale. `None` when the school's findings are not visible in scope.
    pub async fn school_report(
        &self,
        scope: &Scope,
        batch: &BatchRecord,
        school_id: i64,
    ) -> Result<Option<SchoolReport>> {
        let forms = self.store.school_forms(scope, batch.id, school_id).await?;
        let now = stamp(forms.iter().map(|f| (f.id, f.version)));
        let mut stored = self.store.school_check(scope, batch.id, school_id).await?;
        if stored.as_ref().is_some_and(|s| s.stamp != now)
            || (stored.is_none() && self.store.school_visible(scope, school_id).await?)
        {
            self.refresh_school(batch, school_id).await?;
            stored = self.store.school_check(scope, batch.id, school_id).await?;
        }
        let Some(stored) = stored else {
            return Ok(None);
        };
        let ids: Vec<i64> = forms.iter().map(|f| f.id).collect();
        let placed = self.store.placed_findings(scope, &ids).await?;
        let checks: HashMap<i64, StoredFormCheck> =
            stored.forms.into_iter().map(|c| (c.form_id, c)).collect();
        assemble(batch, forms, stored.findings, &checks, placed).map(Some)
    }

    /// One form in scope with its own and its duplicate findings (an enterprise's view: no
    /// school-level findings). `None` when the form is not in scope.
    pub async fn form_report(
        &self,
        scope: &Scope,
        batch: &BatchRecord,
        form_id: i64,
    ) -> Result<Option<(FormRecord, Report)>> {
        let Some(form) = self.store.get_form(scope, form_id).await? else {
            return Ok(None);
        };
        let mut check = self.store.form_checks(scope, &[form_id]).await?;
        if check.first().is_none_or(|c| c.form_version != form.version) {
            self.refresh_school(batch, form.school_id).await?;
            check = self.store.form_checks(scope, &[form_id]).await?;
        }
        let placed = self.store.placed_findings(scope, &[form_id]).await?;
        let (tally, own) = check
            .into_iter()
            .next()
            .map(|c| (c.tally, c.findings))
            .unwrap_or_default();
        let mut findings = findings_of(own)?;
        findings.extend(findings_of(
            placed.into_iter().map(|p| p.finding).collect(),
        )?);
        let mut report = Report::new(&batch.params.name, vec![summary(&form, tally)], findings);
        report.tally = tally;
        Ok(Some((form, report)))
    }

    /// Every form of the batch in scope with its stored findings, and the programme's findings
    /// over them (P01/P02): the consolidated list. Checks missing or stale are computed first.
    pub async fn batch_report(&self, scope: &Scope, batch: &BatchRecord) -> Result<BatchReport> {
        let mut forms = self.store.batch_forms(scope, batch.id).await?;
        let mut checks = self.store.batch_checks(scope, batch.id).await?;
        let mut want: HashMap<i64, Vec<(i64, i32)>> = HashMap::new();
        for f in &forms {
            want.entry(f.school_id).or_default().push((f.id, f.version));
        }
        let have: HashMap<i64, String> = checks
            .iter()
            .map(|c| (c.school_id, c.stamp.clone()))
            .collect();
        let mut refreshed = false;
        for (school, versions) in &want {
            let visible_stamp = stamp(versions.iter().copied());
            // A school's stamp covers all its forms; in a narrower scope compare the visible ones.
            let stale = match have.get(school) {
                None => true,
                Some(s) if *scope == Scope::All => *s != visible_stamp,
                Some(s) => versions
                    .iter()
                    .any(|(id, v)| !s.split(',').any(|p| p == format!("{id}:{v}"))),
            };
            if stale {
                self.refresh_school(batch, *school).await?;
                refreshed = true;
            }
        }
        if refreshed {
            forms = self.store.batch_forms(scope, batch.id).await?;
            checks = self.store.batch_checks(scope, batch.id).await?;
        }
        let ids: Vec<i64> = forms.iter().map(|f| f.id).collect();
        let placed = self.store.placed_findings(scope, &ids).await?;
        let mut by_form: HashMap<i64, StoredFormCheck> = HashMap::new();
        let mut findings = Vec::new();
        for c in checks {
            findings.extend(findings_of(c.findings)?);
            for f in c.forms {
                by_form.insert(f.form_id, f);
            }
        }
        let mut summaries = Vec::new();
        let mut tally = Tally::default();
        let mut schools: Vec<SchoolTally> = Vec::new();
        for form in &forms {
            let check = by_form.remove(&form.id);
            let t = check.as_ref().map(|c| c.tally).unwrap_or_default();
            tally += t;
            match schools.last_mut() {
                Some(s) if s.school == form.school_name => s.tally += t,
                _ => schools.push(SchoolTally {
                    school: form.school_name.clone(),
                    tally: t,
                }),
            }
            summaries.push(summary(form, t));
            if let Some(c) = check {
                findings.extend(findings_of(c.findings)?);
            }
        }
        findings.extend(findings_of(
            placed
                .into_iter()
                .filter(|p| p.own)
                .map(|p| p.finding)
                .collect(),
        )?);
        findings.extend(totals(&batch.params, &tally));
        let mut report = Report::new(&batch.params.name, summaries, findings);
        report.tally = tally;
        report.schools = schools;
        Ok(BatchReport { forms, report })
    }
}
