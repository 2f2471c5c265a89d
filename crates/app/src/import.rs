//! 批量导入推荐表: the forms schools sent in by e-mail, imported by the commission into a batch.
//!
//! Each form found in a file is matched to its school and enterprise by its header line
//! (交流互聘学校 / 交流互聘企业) against the registry, by normalised name ([`norm`]); the file name is
//! a hint only when the header leaves a name blank, and the result then says so. A name that is
//! not in the registry is never guessed: the form is not imported and the closest registered name
//! is quoted. The partnership is recorded as confirmed by the commission
//! ([`shuangshi_store::Store::confirm_partnership_by_commission`], audited as such), and the form
//! replaces that partnership's rows all or nothing as [`App::replace_content`] does (checked in
//! place, then one transaction); the same file imported twice changes nothing. A school's check
//! ([`App::refresh_school`]) is computed and stored once its forms in the run are in, not after
//! each form, and always before the report.
//!
//! The command line walks the files and prints; everything decided about a form is decided here.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use shuangshi_rules::text::norm;
use shuangshi_rules::{Finding, Form, HeaderName, Registry, Severity};
use shuangshi_sheet::guard::Limits;
use shuangshi_store::{BatchRecord, FormContent, FormRecord, OrgFilter, PageRequest, StoreError};

use crate::checks::{check_school, is_school_level, rules_forms, tidy};
use crate::error::{Error, Result};
use crate::{Actor, App, Scope};

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

    /// Reads one file (on a blocking thread) and imports each of its forms.
    pub async fn file(&mut self, file: String, bytes: Vec<u8>) -> Result<FileImport> {
        let read = tokio::task::spawn_blocking(move || ReadFile::read(file, &bytes))
            .await
            .map_err(Error::Task)?;
        self.import(read).await
    }

    /// Imports each form of a file already read ([`ReadFile::read`]).
    pub async fn import(&mut self, read: ReadFile) -> Result<FileImport> {
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
            match self.form(&file, form).await {
                Ok(done) => out.forms.push(done),
                Err(Error::Refused(r)) => out.not_imported.push(NotImported {
                    file: file.clone(),
                    sheet,
                    reason: r.message,
                }),
                Err(Error::Store(
                    e @ (StoreError::State(_)
                    | StoreError::Conflict(_)
                    | StoreError::Invalid(_)
                    | StoreError::VersionConflict { .. }),
                )) => out.not_imported.push(NotImported {
                    file: file.clone(),
                    sheet,
                    reason: e.to_string(),
                }),
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    async fn form(&mut self, file: &str, mut form: Form) -> Result<FormImport> {
        let sheet = form.sheet.clone();
        let (school, school_note) = self
            .resolve(Side::School, form.school.as_ref(), file)
            .map_err(Error::refused)?;
        let (enterprise, enterprise_note) = self
            .resolve(Side::Enterprise, form.enterprise.as_ref(), file)
            .map_err(Error::refused)?;
        let note = match (school_note, enterprise_note) {
            (None, None) => None,
            (a, b) => Some(a.into_iter().chain(b).collect::<Vec<_>>().join("；")),
        };
        form.school = Some(HeaderName::new(&school.name));
        form.enterprise = Some(HeaderName::new(&enterprise.name));
        let mut content = FormContent::from_rules_form(&form);
        content.header_school = school.name.clone();
        content.header_enterprise = enterprise.name.clone();
        let people = content.rows.len();
        if !self.dry_run {
            // The schools changed before this one get their check now.
            self.settle(Some(school.id)).await?;
        }
        let store = self.app.store();
        let (done, changed, confirmed) = if self.dry_run {
            let others: Vec<FormRecord> = store
                .school_forms(&Scope::All, self.batch.id, school.id)
                .await?
                .into_iter()
                .filter(|f| f.enterprise_id != enterprise.id)
                .collect();
            let registry = self.registry.clone();
            let params = self.batch.params.clone();
            let file_name = form.file.clone();
            let own = tokio::task::spawn_blocking(move || {
                let mut all = rules_forms(&others);
                all.push(form);
                let mut report = check_school(&params, &registry, &all);
                tidy(&mut report, &others);
                report
                    .findings
                    .into_iter()
                    .filter(|f| {
                        f.file.as_deref() == Some(file_name.as_str()) && !is_school_level(f)
                    })
                    .collect::<Vec<Finding>>()
            })
            .await
            .map_err(Error::Task)?;
            (own, false, false)
        } else {
            // One write transaction: the partnership confirmed by the commission and the
            // form's whole content replaced (what `App::replace_content` stores in
            // `Mode::Commit`); the school's check ([`App::refresh_school`]) once after its
            // last form rather than after each.
            let (confirmed, stored) = store
                .import_form(
                    self.batch.id,
                    school.id,
                    enterprise.id,
                    &content,
                    &self.actor,
                )
                .await?;
            if stored.changed || confirmed.changed {
                self.unsettled.insert(school.id);
            }
            // The form's own findings, for the report: the stored content checked among the
            // school's other forms, with the registry read once for the whole import.
            let check = self
                .app
                .check_content_with(
                    &Scope::All,
                    &self.batch,
                    &stored.form,
                    &content,
                    self.registry.clone(),
                )
                .await?;
            (check.own, stored.changed, confirmed.changed)
        };
        let errors: Vec<Finding> = done
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .cloned()
            .collect();
        let warnings = done
            .iter()
            .filter(|f| f.severity == Severity::Warning)
            .count();
        let entry = self
            .touched
            .entry(school.id)
            .or_insert_with(|| (school.name.clone(), 0, 0, 0));
        entry.1 += 1;
        entry.2 += people;
        entry.3 += usize::from(changed || confirmed);
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
            changed: changed || confirmed,
            partnership_confirmed: confirmed,
            note,
        })
    }

    /// Computes and stores the check of every school changed in this run (but `except`), as
    /// [`App::replace_content`] does after each change.
    async fn settle(&mut self, except: Option<i64>) -> Result<()> {
        let due: Vec<i64> = self
            .unsettled
            .iter()
            .copied()
            .filter(|&id| Some(id) != except)
            .collect();
        for school_id in due {
            self.app
                .refresh_school_with(&self.batch, school_id, Some(self.registry.clone()))
                .await?;
            self.unsettled.remove(&school_id);
        }
        Ok(())
    }

    /// The report of every school a form was read for, in registry-id order: what was read now,
    /// the school's standing (S01–S07) over all its stored forms, its errors and what it lacks.
    /// Every school changed in this run has its check stored first.
    pub async fn report(&mut self) -> Result<Vec<SchoolImport>> {
        self.settle(None).await?;
        let rules: Vec<(&'static str, &'static str)> = shuangshi_rules::RULES
            .iter()
            .filter(|r| r.id.starts_with('S'))
            .map(|r| (r.id, r.title))
            .collect();
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
            if let Some(r) = self
                .app
                .school_report(&Scope::All, &self.batch, school_id)
                .await?
            {
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
