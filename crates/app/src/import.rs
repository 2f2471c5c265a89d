//! 批量导入推荐表: the forms schools sent in by e-mail, imported by the commission into a batch.
//!
//! Each form found in a file is matched to its school and enterprise by its header line
//! (交流互聘学校 / 交流互聘企业) against the registry, by normalised name ([`norm`]); the file name is
//! a hint only when the header leaves a name blank, and the result then says so. A name that is
//! not in the registry is never guessed: the form is not imported and the closest registered name
//! is quoted. The partnership is recorded as confirmed by the commission (audited as such, as
//! [`shuangshi_store::Store::confirm_partnership_by_commission`] records it), and the form replaces
//! that partnership's rows all or nothing as [`App::replace_content`] does; the same file imported
//! twice changes nothing. The forms are written [`CHUNK`] at a time, one write transaction per
//! chunk ([`shuangshi_store::Store::import_forms`]; a form that fails is tried alone, so the others
//! land and the report names it). A school's check is computed once its forms in the run are in,
//! not after each form, and the checks of the schools settled together are stored in one
//! transaction ([`shuangshi_store::Store::save_school_checks`]); a form's own findings in the
//! result are those stored, and the per-school report is assembled from the checks just stored and
//! the duplicate findings as they stand at the end.
//!
//! The command line walks the files and prints; everything decided about a form is decided here.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use shuangshi_rules::text::norm;
use shuangshi_rules::{Finding, FindingRecord, Form, HeaderName, Registry, Severity};
use shuangshi_sheet::guard::Limits;
use shuangshi_store::checks::stamp;
use shuangshi_store::{
    BatchRecord, FormContent, FormRecord, ImportItem, OrgFilter, PageRequest, PlacedFinding,
    StoreError, StoredFormCheck, StoredSchoolCheck,
};

use crate::checks::{check_school, is_school_level, rules_forms, tidy};
use crate::error::{Error, Result};
use crate::findings::{assemble, findings_of, stored_forms};
use crate::{Actor, App, Scope};

/// Forms handed to the store at a time ([`shuangshi_store::Store::import_forms`]: one write
/// transaction each, unless one of its forms fails).
pub const CHUNK: usize = 64;

/// A registered organisation, as the import looks it up.
#[derive(Debug, Clone)]
struct OrgRef {
    id: i64,
    name: String,
    norm: String,
    is_school: bool,
}

/// What became of one form found in a file.
#[derive(Debug, Clone, PartialEq)]
pub struct FormImport {
    /// The file name as given (a zip entry as `archive.zip/entry.xlsx`).
    pub file: String,
    /// The sheet the form is on (`None` for a Word table).
    pub sheet: Option<String>,
    pub school_id: i64,
    /// The school's and the enterprise's registered names.
    pub school: String,
    pub enterprise: String,
    pub people: usize,
    /// Errors and warnings of the form's own findings, as stored.
    pub errors: usize,
    pub warnings: usize,
    /// The form's own errors (worded for people).
    pub error_findings: Vec<Finding>,
    /// Whether anything was stored (false: 无变化, or a dry run).
    pub changed: bool,
    /// Whether the partnership was created or confirmed by this import.
    pub partnership_confirmed: bool,
    /// How a blank header name was filled from the file name, when it was.
    pub note: Option<String>,
}

/// A file, or a form in a file, that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotImported {
    pub file: String,
    pub sheet: Option<String>,
    /// One Chinese sentence: what was found and what would be accepted.
    pub reason: String,
}

/// What became of one file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FileImport {
    pub forms: Vec<FormImport>,
    pub not_imported: Vec<NotImported>,
}

/// One of S01–S07 for a school: met, or the findings that stand.
#[derive(Debug, Clone, PartialEq)]
pub struct Standing {
    pub rule: &'static str,
    pub title: &'static str,
    /// The findings of this rule on the school (empty: met).
    pub findings: Vec<Finding>,
}

/// The school rules whose titles name the condition they report (「单张推荐表派出与接收不对等」,
/// 「学校类别未知，未核对人数下限」) rather than what must hold.
const CONDITION_TITLES: [&str; 2] = ["S06", "S07"];

impl Standing {
    /// What the report says beside the title when there is no finding: 「符合」 for what must
    /// hold (S01–S05), 「无」 for a condition that did not occur (S06, S07).
    pub fn clear(&self) -> &'static str {
        if CONDITION_TITLES.contains(&self.rule) {
            "无"
        } else {
            "符合"
        }
    }
}

/// The report of one school after an import.
#[derive(Debug, Clone, PartialEq)]
pub struct SchoolImport {
    pub school_id: i64,
    pub school: String,
    /// Forms and people read for this school in this run.
    pub forms: usize,
    pub people: usize,
    /// Forms whose rows changed in this run.
    pub changed: usize,
    /// The school's people across all its stored forms.
    pub people_stored: usize,
    /// S01–S07.
    pub standing: Vec<Standing>,
    /// Errors standing on the school's forms (all of them, not only those imported now).
    pub errors: Vec<Finding>,
    /// What the school still lacks: shortfalls (S01, S03–S05) and confirmed partnerships whose
    /// form has no one yet.
    pub missing: Vec<String>,
}

/// The edit distance of two strings, by characters.
pub(crate) fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// Splits a name as given into its file part (for hints): the last path segment without its
/// extension.
fn stem(file: &str) -> String {
    let last = file.rsplit(['/', '\\']).next().unwrap_or(file);
    let base = last.rsplit_once('.').map_or(last, |(b, _)| b);
    norm(base)
}

/// The school or enterprise side of a header line.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    School,
    Enterprise,
}

impl Side {
    fn label(self) -> &'static str {
        match self {
            Side::School => "交流互聘学校",
            Side::Enterprise => "交流互聘企业",
        }
    }

    fn kind(self) -> &'static str {
        match self {
            Side::School => "学校",
            Side::Enterprise => "企业",
        }
    }
}

/// A file guarded, read and laid out into its forms, before any database work: reading is the
/// slow part of an import, so the command line reads a few files ahead on blocking threads while
/// the forms before them are written.
#[derive(Debug)]
pub struct ReadFile {
    file: String,
    /// The forms found, or why the file cannot be read (one Chinese sentence).
    forms: std::result::Result<Vec<Form>, String>,
}

impl ReadFile {
    /// Guards, reads and lays out `bytes` (CPU-bound: call it on a blocking thread).
    pub fn read(file: String, bytes: &[u8]) -> ReadFile {
        let forms = shuangshi_sheet::load_forms(&file, bytes, &Limits::default())
            .map(|(_, forms)| forms)
            .map_err(|e| e.to_string());
        ReadFile { file, forms }
    }

    /// The file name as given.
    pub fn file(&self) -> &str {
        &self.file
    }
}

/// A form's place in a file whose result is held back until its school's check is stored.
#[derive(Debug)]
enum Slot {
    /// Being written.
    Writing,
    /// Stored; `done` once its own findings are in.
    Form {
        import: FormImport,
        form_id: i64,
        done: bool,
    },
    NotImported(NotImported),
}

/// A file whose result is not returned yet.
#[derive(Debug)]
struct Held {
    slots: Vec<Slot>,
}

impl Held {
    fn complete(&self) -> bool {
        self.slots.iter().all(|s| match s {
            Slot::Writing => false,
            Slot::Form { done, .. } => *done,
            Slot::NotImported(_) => true,
        })
    }
}

/// A school's forms and its check as the import stored (or found) it, for the report.
#[derive(Debug)]
struct Settled {
    forms: Vec<FormRecord>,
    /// The findings about the school as a whole.
    school: Vec<FindingRecord>,
    /// Each form's own findings and tally, by form id.
    checks: HashMap<i64, StoredFormCheck>,
}

impl Settled {
    fn stored(forms: Vec<FormRecord>, stored: StoredSchoolCheck) -> Settled {
        Settled {
            forms,
            school: stored.findings,
            checks: stored.forms.into_iter().map(|c| (c.form_id, c)).collect(),
        }
    }
}

/// An import into one batch: the registry is read once, the schools touched are remembered for
/// the report.
#[derive(Debug)]
pub struct Importer {
    app: App,
    actor: Actor,
    batch: BatchRecord,
    dry_run: bool,
    registry: Registry,
    orgs: Vec<OrgRef>,
    by_norm: HashMap<String, usize>,
    /// school id → (name, forms, people, changed) read in this run.
    touched: BTreeMap<i64, (String, usize, usize, usize)>,
    /// Schools whose forms changed and whose check is not stored yet: a school's check is
    /// computed once, when the import moves on to another school or reports
    /// (`settle`).
    unsettled: BTreeSet<i64>,
    /// Schools with forms waiting for their own findings (changed or not).
    awaiting: BTreeSet<i64>,
    /// Files not returned yet, in order.
    held: VecDeque<Held>,
    /// The schools settled in this run, for the report.
    settled: HashMap<i64, Settled>,
}

impl Importer {
    /// Prepares an import into `batch` (which must be open unless `dry_run`).
    pub async fn new(app: &App, actor: &Actor, batch: &BatchRecord, dry_run: bool) -> Result<Self> {
        if !dry_run && batch.status != shuangshi_store::BatchStatus::Open {
            return Err(Error::refused(format!(
                "{}当前为「{}」，不能导入推荐表；请先开放该批次，或用 --batch 指定开放中的批次",
                batch.name,
                batch.status.label()
            )));
        }
        let store = app.store();
        let registry = store.registry().await?;
        let mut orgs = Vec::new();
        let mut offset = 0;
        loop {
            let page = store
                .list_orgs(
                    &Scope::All,
                    &OrgFilter::default(),
                    PageRequest::new(offset, PageRequest::MAX_LIMIT),
                )
                .await?;
            let n = page.items.len() as u64;
            orgs.extend(page.items.into_iter().map(|o| OrgRef {
                id: o.id,
                norm: norm(&o.name),
                name: o.name,
                is_school: o.is_school,
            }));
            offset += n;
            if n == 0 || offset >= page.total {
                break;
            }
        }
        let by_norm = orgs
            .iter()
            .enumerate()
            .map(|(i, o)| (o.norm.clone(), i))
            .collect();
        Ok(Importer {
            app: app.clone(),
            actor: actor.clone(),
            batch: batch.clone(),
            dry_run,
            registry,
            orgs,
            by_norm,
            touched: BTreeMap::new(),
            unsettled: BTreeSet::new(),
            awaiting: BTreeSet::new(),
            held: VecDeque::new(),
            settled: HashMap::new(),
        })
    }

    pub fn batch(&self) -> &BatchRecord {
        &self.batch
    }

    pub fn dry_run(&self) -> bool {
        self.dry_run
    }

    /// The registered organisation a header names, or why none is taken.
    fn resolve(
        &self,
        side: Side,
        given: Option<&HeaderName>,
        file: &str,
    ) -> std::result::Result<(OrgRef, Option<String>), String> {
        let wanted = side == Side::School;
        let given = given.filter(|h| !h.norm.is_empty());
        if let Some(h) = given {
            if let Some(o) = self.by_norm.get(&h.norm).and_then(|&i| self.orgs.get(i)) {
                if o.is_school == wanted {
                    return Ok((o.clone(), None));
                }
                return Err(format!(
                    "表头的{}为「{}」，单位名录中它登记为{}而不是{}；请核对表头",
                    side.label(),
                    h.raw,
                    if o.is_school { "学校" } else { "企业" },
                    side.kind()
                ));
            }
            let closest = self
                .orgs
                .iter()
                .filter(|o| o.is_school == wanted)
                .map(|o| (distance(&h.norm, &o.norm), o))
                .min_by_key(|(d, _)| *d);
            let limit = h.norm.chars().count() / 3 + 1;
            return Err(match closest {
                Some((d, o)) if d <= limit => format!(
                    "表头的{}「{}」不在单位名录中，最接近的登记名称是「{}」；未按相近名称导入，请核对表头或单位名录后重新导入",
                    side.label(),
                    h.raw,
                    o.name
                ),
                _ => format!(
                    "表头的{}「{}」不在单位名录中，名录中也没有相近的{}名称；请先在单位名录中登记该单位",
                    side.label(),
                    h.raw,
                    side.kind()
                ),
            });
        }
        // The header leaves the name blank: the file name may name exactly one registered unit.
        let hint = stem(file);
        let mut hits = self
            .orgs
            .iter()
            .filter(|o| o.is_school == wanted && !o.norm.is_empty() && hint.contains(&o.norm));
        match (hits.next(), hits.next()) {
            (Some(o), None) => Ok((
                o.clone(),
                Some(format!(
                    "表头未填{}，按文件名识别为「{}」",
                    side.label(),
                    o.name
                )),
            )),
            _ => Err(format!(
                "表头未填{}（「{}（盖章）：」后应写单位全称），文件名中也没有唯一可识别的单位名录中的{}",
                side.label(),
                side.label(),
                side.kind()
            )),
        }
    }

    /// Reads one file (on a blocking thread) and imports each of its forms; see
    /// [`Importer::import_files`] for when its result comes back.
    pub async fn file(&mut self, file: String, bytes: Vec<u8>) -> Result<Vec<FileImport>> {
        let read = tokio::task::spawn_blocking(move || ReadFile::read(file, &bytes))
            .await
            .map_err(Error::Task)?;
        self.import_files(vec![read]).await
    }

    /// The school and enterprise a form's header line names, the header set to their registered
    /// names, and how a blank name was filled from the file name.
    fn name(
        &self,
        file: &str,
        form: &mut Form,
    ) -> std::result::Result<(OrgRef, OrgRef, Option<String>), String> {
        let (school, school_note) = self.resolve(Side::School, form.school.as_ref(), file)?;
        let (enterprise, enterprise_note) =
            self.resolve(Side::Enterprise, form.enterprise.as_ref(), file)?;
        let note = match (school_note, enterprise_note) {
            (None, None) => None,
            (a, b) => Some(a.into_iter().chain(b).collect::<Vec<_>>().join("；")),
        };
        form.school = Some(HeaderName::new(&school.name));
        form.enterprise = Some(HeaderName::new(&enterprise.name));
        Ok((school, enterprise, note))
    }

    /// Imports the forms of files already read ([`ReadFile::read`]), in order: the forms written
    /// [`CHUNK`] at a time ([`shuangshi_store::Store::import_forms`]: one write transaction per
    /// chunk, each form all or nothing), then the checks of the schools changed stored together.
    /// A school's check is computed once the import has moved on to another school (the school of
    /// the last form here may continue in the next files), so a file's result — its forms with
    /// their own findings as stored — comes back once the checks of its schools are stored: the
    /// files returned are those complete, in order; [`Importer::finish`] returns the rest. A dry
    /// run checks each form in place and returns every file at once.
    pub async fn import_files(&mut self, reads: Vec<ReadFile>) -> Result<Vec<FileImport>> {
        if self.dry_run {
            let mut out = Vec::with_capacity(reads.len());
            for read in reads {
                out.push(self.dry_file(read).await?);
            }
            return Ok(out);
        }
        // Each form named, before any database work.
        let mut wanted: Vec<(usize, usize, FormImport)> = Vec::new();
        let mut items: Vec<ImportItem> = Vec::new();
        let mut open = None;
        for read in reads {
            let ReadFile { file, forms } = read;
            let mut held = Held { slots: Vec::new() };
            match forms {
                Err(reason) => held.slots.push(Slot::NotImported(NotImported {
                    file,
                    sheet: None,
                    reason,
                })),
                Ok(forms) => {
                    for mut form in forms {
                        let sheet = form.sheet.clone();
                        match self.name(&file, &mut form) {
                            Ok((school, enterprise, note)) => {
                                let mut content = FormContent::from_rules_form(&form);
                                content.header_school = school.name.clone();
                                content.header_enterprise = enterprise.name.clone();
                                open = Some(school.id);
                                wanted.push((
                                    self.held.len(),
                                    held.slots.len(),
                                    FormImport {
                                        file: file.clone(),
                                        sheet,
                                        school_id: school.id,
                                        school: school.name,
                                        enterprise: enterprise.name,
                                        people: content.rows.len(),
                                        errors: 0,
                                        warnings: 0,
                                        error_findings: Vec::new(),
                                        changed: false,
                                        partnership_confirmed: false,
                                        note,
                                    },
                                ));
                                items.push(ImportItem {
                                    school_id: school.id,
                                    enterprise_id: enterprise.id,
                                    content,
                                });
                                held.slots.push(Slot::Writing);
                            }
                            Err(reason) => held.slots.push(Slot::NotImported(NotImported {
                                file: file.clone(),
                                sheet,
                                reason,
                            })),
                        }
                    }
                }
            }
            self.held.push_back(held);
        }
        // The forms written, a chunk per transaction.
        let store = self.app.store().clone();
        let mut wanted = wanted.into_iter();
        for chunk in items.chunks(CHUNK) {
            let results = store
                .import_forms(self.batch.id, chunk, &self.actor)
                .await?;
            for (result, (file, slot, mut import)) in results.into_iter().zip(wanted.by_ref()) {
                let filled = match result {
                    Ok(done) => {
                        let changed = done.changed || done.confirmed;
                        import.changed = changed;
                        import.partnership_confirmed = done.confirmed;
                        let entry = self
                            .touched
                            .entry(import.school_id)
                            .or_insert_with(|| (import.school.clone(), 0, 0, 0));
                        entry.1 += 1;
                        entry.2 += import.people;
                        entry.3 += usize::from(changed);
                        if changed {
                            self.unsettled.insert(import.school_id);
                        }
                        self.awaiting.insert(import.school_id);
                        Slot::Form {
                            import,
                            form_id: done.form_id,
                            done: false,
                        }
                    }
                    Err(
                        e @ (StoreError::State(_)
                        | StoreError::Conflict(_)
                        | StoreError::Invalid(_)
                        | StoreError::VersionConflict { .. }),
                    ) => Slot::NotImported(NotImported {
                        file: import.file,
                        sheet: import.sheet,
                        reason: e.to_string(),
                    }),
                    Err(e) => return Err(e.into()),
                };
                if let Some(s) = self.held.get_mut(file).and_then(|h| h.slots.get_mut(slot)) {
                    *s = filled;
                }
            }
        }
        // The schools before the last one are complete for now.
        self.settle(open).await?;
        Ok(self.complete())
    }

    /// Stores the checks still due and returns the files not returned yet.
    pub async fn finish(&mut self) -> Result<Vec<FileImport>> {
        self.settle(None).await?;
        Ok(self.complete())
    }

    /// The files at the front whose forms all have their findings.
    fn complete(&mut self) -> Vec<FileImport> {
        let mut out = Vec::new();
        while self.held.front().is_some_and(Held::complete) {
            let Some(held) = self.held.pop_front() else {
                break;
            };
            let mut done = FileImport::default();
            for slot in held.slots {
                match slot {
                    Slot::Form { import, .. } => done.forms.push(import),
                    Slot::NotImported(n) => done.not_imported.push(n),
                    Slot::Writing => {}
                }
            }
            out.push(done);
        }
        out
    }

    /// A file checked as a dry run: each form among the school's stored forms, nothing stored.
    async fn dry_file(&mut self, read: ReadFile) -> Result<FileImport> {
        let ReadFile { file, forms } = read;
        let mut out = FileImport::default();
        let forms = match forms {
            Ok(forms) => forms,
            Err(reason) => {
                out.not_imported.push(NotImported {
                    file,
                    sheet: None,
                    reason,
                });
                return Ok(out);
            }
        };
        for form in forms {
            let sheet = form.sheet.clone();
            match self.dry_form(&file, form).await {
                Ok(done) => out.forms.push(done),
                Err(Error::Refused(r)) => out.not_imported.push(NotImported {
                    file: file.clone(),
                    sheet,
                    reason: r.message,
                }),
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    async fn dry_form(&mut self, file: &str, mut form: Form) -> Result<FormImport> {
        let sheet = form.sheet.clone();
        let (school, enterprise, note) = self.name(file, &mut form).map_err(Error::refused)?;
        let people = form.rows.len();
        let store = self.app.store();
        let others: Vec<FormRecord> = store
            .school_forms(&Scope::All, self.batch.id, school.id)
            .await?
            .into_iter()
            .filter(|f| f.enterprise_id != enterprise.id)
            .collect();
        let registry = self.registry.clone();
        let params = self.batch.params.clone();
        let file_name = form.file.clone();
        let done = tokio::task::spawn_blocking(move || {
            let mut all = rules_forms(&others);
            all.push(form);
            let mut report = check_school(&params, &registry, &all);
            tidy(&mut report, &others);
            report
                .findings
                .into_iter()
                .filter(|f| f.file.as_deref() == Some(file_name.as_str()) && !is_school_level(f))
                .collect::<Vec<Finding>>()
        })
        .await
        .map_err(Error::Task)?;
        let (errors, warnings) = split(done);
        let entry = self
            .touched
            .entry(school.id)
            .or_insert_with(|| (school.name.clone(), 0, 0, 0));
        entry.1 += 1;
        entry.2 += people;
        Ok(FormImport {
            file: file.to_owned(),
            sheet,
            school_id: school.id,
            school: school.name,
            enterprise: enterprise.name,
            people,
            errors: errors.len(),
            warnings,
            error_findings: errors,
            changed: false,
            partnership_confirmed: false,
            note,
        })
    }

    /// Computes and stores the checks of the schools whose forms were imported and are not
    /// settled yet (but `except`), together ([`App::refresh_schools_with`]); a school whose
    /// forms did not change keeps its stored check when it is current. Then gives each waiting
    /// form its own findings, as stored.
    async fn settle(&mut self, except: Option<i64>) -> Result<()> {
        let due: Vec<i64> = self
            .awaiting
            .union(&self.unsettled)
            .copied()
            .filter(|&id| Some(id) != except)
            .collect();
        if due.is_empty() {
            return Ok(());
        }
        let store = self.app.store().clone();
        let mut read = store.schools_forms(self.batch.id, &due).await?;
        let mut compute = Vec::new();
        for &school_id in &due {
            let forms = read.remove(&school_id).unwrap_or_default();
            if !self.unsettled.contains(&school_id) {
                let now = stamp(forms.iter().map(|f| (f.id, f.version)));
                if let Some(stored) = store
                    .school_check(&Scope::All, self.batch.id, school_id)
                    .await?
                    .filter(|s| s.stamp == now)
                {
                    self.settled
                        .insert(school_id, Settled::stored(forms, stored));
                    continue;
                }
            }
            compute.push((school_id, forms));
        }
        let computed = self
            .app
            .refresh_schools_with(&self.batch, &self.registry, compute)
            .await?;
        for (school_id, forms, check) in computed {
            let settled = match check {
                Some(check) => Settled {
                    forms,
                    checks: stored_forms(&check),
                    school: check.findings,
                },
                None => {
                    // Its forms changed meanwhile: refreshed on its own, then read as stored.
                    self.app
                        .refresh_school_with(&self.batch, school_id, Some(self.registry.clone()))
                        .await?;
                    let forms = store
                        .school_forms(&Scope::All, self.batch.id, school_id)
                        .await?;
                    match store
                        .school_check(&Scope::All, self.batch.id, school_id)
                        .await?
                    {
                        Some(stored) => Settled::stored(forms, stored),
                        None => Settled {
                            forms,
                            checks: HashMap::new(),
                            school: Vec::new(),
                        },
                    }
                }
            };
            self.settled.insert(school_id, settled);
        }
        for school_id in &due {
            self.unsettled.remove(school_id);
            self.awaiting.remove(school_id);
        }
        for held in &mut self.held {
            for slot in &mut held.slots {
                let Slot::Form {
                    import,
                    form_id,
                    done,
                } = slot
                else {
                    continue;
                };
                if *done || !due.contains(&import.school_id) {
                    continue;
                }
                let own = self
                    .settled
                    .get(&import.school_id)
                    .and_then(|s| s.checks.get(form_id))
                    .map(|c| c.findings.clone())
                    .unwrap_or_default();
                let (errors, warnings) = split(findings_of(own)?);
                import.errors = errors.len();
                import.warnings = warnings;
                import.error_findings = errors;
                *done = true;
            }
        }
        Ok(())
    }

    /// The report of every school a form was read for, in registry-id order: what was read now,
    /// the school's standing (S01–S07) over all its stored forms, its errors and what it lacks.
    /// Every school changed in this run has its check stored first; the duplicate findings on the
    /// schools' forms are read once, as they stand after the whole run.
    pub async fn report(&mut self) -> Result<Vec<SchoolImport>> {
        self.settle(None).await?;
        let rules: Vec<(&'static str, &'static str)> = shuangshi_rules::RULES
            .iter()
            .filter(|r| r.id.starts_with('S'))
            .map(|r| (r.id, r.title))
            .collect();
        let store = self.app.store().clone();
        let mut school_of: HashMap<i64, i64> = HashMap::new();
        for &school_id in self.touched.keys() {
            if let Some(s) = self.settled.get(&school_id) {
                school_of.extend(s.forms.iter().map(|f| (f.id, school_id)));
            }
        }
        let ids: Vec<i64> = school_of.keys().copied().collect();
        let mut placed: HashMap<i64, Vec<PlacedFinding>> = HashMap::new();
        for p in store.placed_findings(&Scope::All, &ids).await? {
            if let Some(&school_id) = school_of.get(&p.form_id) {
                placed.entry(school_id).or_default().push(p);
            }
        }
        let mut out = Vec::new();
        for (&school_id, (name, forms, people, changed)) in &self.touched {
            let mut standing: Vec<Standing> = rules
                .iter()
                .map(|&(rule, title)| Standing {
                    rule,
                    title,
                    findings: Vec::new(),
                })
                .collect();
            let mut errors = Vec::new();
            let mut missing = Vec::new();
            let mut people_stored = 0;
            let report = match self.settled.get(&school_id) {
                Some(s) => Some(assemble(
                    &self.batch,
                    s.forms.clone(),
                    s.school.clone(),
                    &s.checks,
                    placed.remove(&school_id).unwrap_or_default(),
                )?),
                None if self.dry_run => {
                    self.app
                        .school_report(&Scope::All, &self.batch, school_id)
                        .await?
                }
                None => None,
            };
            if let Some(r) = report {
                people_stored = r.forms.iter().map(|f| f.rows.len()).sum();
                for f in &r.report.findings {
                    if let Some(s) = standing.iter_mut().find(|s| s.rule == f.rule) {
                        s.findings.push(f.clone());
                        if f.severity == Severity::Error {
                            missing.push(format!("{} {}", f.rule, f.message));
                        }
                    } else if f.severity == Severity::Error {
                        errors.push(f.clone());
                    }
                }
                for f in r.forms.iter().filter(|f| f.rows.is_empty()) {
                    missing.push(format!(
                        "与「{}」的推荐表尚无人员（合作关系已确认，未收到推荐表或推荐表为空）",
                        f.enterprise_name
                    ));
                }
            }
            out.push(SchoolImport {
                school_id,
                school: name.clone(),
                forms: *forms,
                people: *people,
                changed: *changed,
                people_stored,
                standing,
                errors,
                missing,
            });
        }
        Ok(out)
    }
}

/// A form's own findings split into its errors and the number of its warnings.
fn split(own: Vec<Finding>) -> (Vec<Finding>, usize) {
    let warnings = own
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .count();
    let errors = own
        .into_iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    (errors, warnings)
}

#[cfg(test)]
mod tests {
    use super::{distance, stem};

    #[test]
    fn distance_counts_characters() {
        assert_eq!(distance("重庆甲职业技术学院", "重庆甲职业技术学院"), 0);
        assert_eq!(distance("重庆甲职业技术学院", "重庆甲职业学院"), 2);
        assert_eq!(distance("", "重庆"), 2);
    }

    #[test]
    fn stem_drops_folders_and_extension() {
        assert_eq!(stem("邮件/重庆甲学院 推荐表.xlsx"), "重庆甲学院推荐表");
        assert_eq!(stem("a.zip/b\\c.docx"), "c");
    }
}
