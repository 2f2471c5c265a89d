//! A form's content: typed rows, a row at a time, or a file; checked as a dry run or stored.
//!
//! Every change goes through here, so every change is followed by the school's check
//! ([`App::refresh_school`]) and every door stores the same thing. A file is guarded, read and
//! checked on a blocking thread before any transaction opens. A checked upload waits for its
//! commit in the database ([`shuangshi_store::pending`]), so the commit may reach any instance;
//! the commit reads the kept file again, so what is stored is what was previewed.

use chrono::{Duration, Utc};
use shuangshi_rules::text::norm;
use shuangshi_rules::{Finding, Form, HeaderName, Registry, Report, Severity};
use shuangshi_sheet::grid::Grid;
use shuangshi_sheet::guard::Limits;
use shuangshi_store::{
    BatchRecord, FormContent, FormMeta, FormRecord, ReplaceOutcome, RowRecord, StoreError,
};

use crate::checks::{check_school, form_file, is_school_level, rules_forms, tidy};
use crate::error::{Error, Refusal, Result};
use crate::{Actor, App, Scope};

/// How long a checked upload waits for its commit.
pub const PENDING_TTL_MINUTES: i64 = 30;

/// What to do with content once checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Check only; nothing is stored.
    DryRun,
    /// Store, errors and all (they stand on the cells and block submission until fixed).
    Commit,
    /// Store only when the form's own findings have no error.
    CommitUnlessErrors,
}

/// Content checked in place of a stored form, among the school's other forms.
#[derive(Debug, Clone)]
pub struct ContentCheck {
    /// The school's report with the new content in place (findings worded for people).
    pub report: Report,
    /// The form's own findings (school-level ones left out).
    pub own: Vec<Finding>,
    /// Errors among `own`.
    pub errors: usize,
    /// The name the report knows the form by.
    pub file: String,
}

/// What [`App::replace_content`] did.
#[derive(Debug, Clone)]
pub struct Replaced {
    pub check: ContentCheck,
    /// `None` when nothing was stored (a dry run, or errors under `CommitUnlessErrors`).
    pub stored: Option<ReplaceOutcome>,
}

/// One change of a form, a row at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// The header line's names are fixed; the footer (学校填表人, 联系电话) changes.
    Meta(FormMeta),
    AddRow(Vec<String>),
    UpdateRow {
        row_id: i64,
        cells: Vec<String>,
    },
    DeleteRow {
        row_id: i64,
    },
}

/// What [`App::edit_form`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edited {
    pub form: FormRecord,
    /// The row added, for `AddRow`.
    pub row_id: Option<i64>,
}

/// A file read and checked as a form's new content.
#[derive(Debug, Clone)]
pub struct UploadCheck {
    pub file_name: String,
    pub content: FormContent,
    pub check: ContentCheck,
    pub people: usize,
    /// For the annotated copy: the file's sheets and the form read from it.
    pub grids: Vec<Grid>,
    pub forms: Vec<Form>,
}

/// A previewed upload: its check and the token its commit names.
#[derive(Debug, Clone)]
pub struct Preview {
    pub token: String,
    pub upload: UploadCheck,
}

/// What [`App::commit_upload`] did.
#[derive(Debug, Clone)]
pub struct CommittedUpload {
    pub file_name: String,
    pub outcome: ReplaceOutcome,
    /// Errors the stored content carries (they block submission until fixed).
    pub errors: usize,
}

/// The stored form with `content` in place (the rows numbered as stored).
fn probe(form: &FormRecord, content: &FormContent) -> FormRecord {
    let mut p = form.clone();
    p.filler = content.filler.clone();
    p.phone = content.phone.clone();
    p.rows = content
        .rows
        .iter()
        .enumerate()
        .map(|(i, cells)| RowRecord {
            id: 0,
            position: i32::try_from(i).unwrap_or(i32::MAX),
            cells: cells.clone(),
            confirmed_version: None,
        })
        .collect();
    p
}

/// Checks `candidate` in place of its stored form among `others` (the school's other forms).
fn check_in_place(
    batch: &BatchRecord,
    registry: &Registry,
    candidate: FormRecord,
    others: Vec<FormRecord>,
) -> ContentCheck {
    let file = form_file(&candidate);
    let mut all = others;
    all.push(candidate);
    let mut report = check_school(&batch.params, registry, &rules_forms(&all));
    tidy(&mut report, &all);
    let own: Vec<Finding> = report
        .findings
        .iter()
        .filter(|f| f.file.as_deref() == Some(file.as_str()) && !is_school_level(f))
        .cloned()
        .collect();
    let errors = own.iter().filter(|f| f.severity == Severity::Error).count();
    ContentCheck {
        report,
        own,
        errors,
        file,
    }
}

/// Picks the form of the partnership out of the file's forms.
fn pick(forms: Vec<Form>, form: &FormRecord, file: &str) -> std::result::Result<Form, Refusal> {
    let want = norm(&form.enterprise_name);
    let count = forms.len();
    let mut matching: Vec<Form> = Vec::new();
    let mut unnamed: Vec<Form> = Vec::new();
    for f in forms {
        match f
            .enterprise
            .as_ref()
            .map(|e| e.norm.clone())
            .filter(|e| !e.is_empty())
        {
            Some(e) if e == want => matching.push(f),
            Some(_) => {}
            None => unnamed.push(f),
        }
    }
    if let Some(f) = matching.into_iter().next() {
        return Ok(f);
    }
    if unnamed.len() == 1 && count == 1 {
        return unnamed
            .into_iter()
            .next()
            .ok_or_else(|| Refusal::new(format!("「{file}」中没有找到推荐表")));
    }
    Err(Refusal::new(format!(
        "「{file}」中没有交流互聘企业为「{}」的推荐表（共找到 {count} 张推荐表）；请确认上传的是与该企业的推荐表，表头「交流互聘企业（盖章）：」应写该企业全称",
        form.enterprise_name
    )))
}

/// Reads a file as `form`'s new content and checks it among the school's other forms.
fn read_and_check(
    batch: &BatchRecord,
    registry: &Registry,
    form: &FormRecord,
    others: Vec<FormRecord>,
    file_name: String,
    bytes: &[u8],
) -> std::result::Result<UploadCheck, Refusal> {
    let wb = shuangshi_sheet::load(&file_name, bytes, &Limits::default())
        .map_err(|e| Refusal::new(e.to_string()))?;
    let grids = wb.grids;
    let mut picked = pick(wb.forms, form, &file_name)?;
    // The header line is fixed: the partnership's school and enterprise.
    let school_given = picked
        .school
        .as_ref()
        .map(|s| s.norm.clone())
        .unwrap_or_default();
    if !school_given.is_empty() && school_given != norm(&form.school_name) {
        return Err(Refusal::new(format!(
            "「{file_name}」表头的交流互聘学校为「{}」，与本校「{}」不一致；请上传本校的推荐表",
            picked.school.as_ref().map(|s| s.raw.as_str()).unwrap_or(""),
            form.school_name
        )));
    }
    picked.school = Some(HeaderName::new(&form.school_name));
    picked.enterprise = Some(HeaderName::new(&form.enterprise_name));
    let mut content = FormContent::from_rules_form(&picked);
    content.header_school = form.school_name.clone();
    content.header_enterprise = form.enterprise_name.clone();
    let people = content.rows.len();
    // Checked as read, so each finding names the file's own rows and cells (and the annotated
    // copy marks them), among the school's other stored forms.
    let mut all = rules_forms(&others);
    all.push(picked.clone());
    let mut report = check_school(&batch.params, registry, &all);
    tidy(&mut report, &others);
    let own: Vec<Finding> = report
        .findings
        .iter()
        .filter(|f| f.file.as_deref() == Some(file_name.as_str()) && !is_school_level(f))
        .cloned()
        .collect();
    let errors = own.iter().filter(|f| f.severity == Severity::Error).count();
    let check = ContentCheck {
        report,
        own,
        errors,
        file: file_name.clone(),
    };
    Ok(UploadCheck {
        file_name,
        content,
        check,
        people,
        grids,
        forms: vec![picked],
    })
}

impl App {
    async fn others(&self, scope: &Scope, form: &FormRecord) -> Result<Vec<FormRecord>> {
        Ok(self
            .store
            .school_forms(scope, form.batch_id, form.school_id)
            .await?
            .into_iter()
            .filter(|f| f.id != form.id)
            .collect())
    }

    /// Checks `content` in place of the stored form (nothing is stored).
    pub async fn check_content(
        &self,
        scope: &Scope,
        batch: &BatchRecord,
        form: &FormRecord,
        content: &FormContent,
    ) -> Result<ContentCheck> {
        let registry = self.store.registry().await?;
        self.check_content_with(scope, batch, form, content, registry)
            .await
    }

    /// [`App::check_content`] against a registry the caller has read (an import reads it once).
    pub async fn check_content_with(
        &self,
        scope: &Scope,
        batch: &BatchRecord,
        form: &FormRecord,
        content: &FormContent,
        registry: shuangshi_rules::Registry,
    ) -> Result<ContentCheck> {
        let others = self.others(scope, form).await?;
        let (b, candidate) = (batch.clone(), probe(form, content));
        tokio::task::spawn_blocking(move || check_in_place(&b, &registry, candidate, others))
            .await
            .map_err(Error::Task)
    }

    /// Replaces a form's whole content (typed rows, or a committed file), all or nothing; the same
    /// content twice changes nothing. `expected_version` guards against overwriting another
    /// change.
    #[allow(clippy::too_many_arguments)]
    pub async fn replace_content(
        &self,
        scope: &Scope,
        actor: &Actor,
        batch: &BatchRecord,
        form: &FormRecord,
        content: &FormContent,
        expected_version: Option<i32>,
        mode: Mode,
    ) -> Result<Replaced> {
        let check = self.check_content(scope, batch, form, content).await?;
        let store = match mode {
            Mode::DryRun => false,
            Mode::Commit => true,
            Mode::CommitUnlessErrors => check.errors == 0,
        };
        if !store {
            return Ok(Replaced {
                check,
                stored: None,
            });
        }
        let out = self
            .store
            .replace_rows(scope, form.id, content, expected_version, actor)
            .await?
            .ok_or(Error::NotFound)?;
        if out.changed {
            self.refresh_school(batch, form.school_id).await?;
        }
        Ok(Replaced {
            check,
            stored: Some(out),
        })
    }

    /// One change of a form (footer, a row added, changed or deleted), then the school's check.
    pub async fn edit_form(
        &self,
        scope: &Scope,
        actor: &Actor,
        batch: &BatchRecord,
        form_id: i64,
        expected_version: Option<i32>,
        edit: &Edit,
    ) -> Result<Edited> {
        let (form, row_id) = match edit {
            Edit::Meta(meta) => (
                self.store
                    .update_form_meta(scope, form_id, meta, expected_version, actor)
                    .await?,
                None,
            ),
            Edit::AddRow(cells) => match self
                .store
                .add_row(scope, form_id, cells, expected_version, actor)
                .await?
            {
                Some((f, id)) => (Some(f), Some(id)),
                None => (None, None),
            },
            Edit::UpdateRow { row_id, cells } => (
                self.store
                    .update_row(scope, *row_id, cells, expected_version, actor)
                    .await?
                    .filter(|f| f.id == form_id),
                None,
            ),
            Edit::DeleteRow { row_id } => (
                self.store
                    .delete_row(scope, *row_id, expected_version, actor)
                    .await?
                    .filter(|f| f.id == form_id),
                None,
            ),
        };
        let form = form.ok_or(Error::NotFound)?;
        self.refresh_school(batch, form.school_id).await?;
        Ok(Edited { form, row_id })
    }

    /// Reads and checks a file as the form's new content (nothing is stored). An unreadable file,
    /// or another school's or enterprise's form, is refused with the reason.
    pub async fn check_upload(
        &self,
        scope: &Scope,
        batch: &BatchRecord,
        form: &FormRecord,
        file_name: String,
        bytes: Vec<u8>,
    ) -> Result<UploadCheck> {
        let others = self.others(scope, form).await?;
        let registry = self.store.registry().await?;
        let (b, f) = (batch.clone(), form.clone());
        tokio::task::spawn_blocking(move || {
            read_and_check(&b, &registry, &f, others, file_name, &bytes)
        })
        .await
        .map_err(Error::Task)?
        .map_err(Error::Refused)
    }

    /// 预检: checks a file and keeps it for its commit (30 minutes, any instance).
    pub async fn preview_upload(
        &self,
        scope: &Scope,
        user_id: i64,
        batch: &BatchRecord,
        form: &FormRecord,
        file_name: String,
        bytes: Vec<u8>,
    ) -> Result<Preview> {
        let upload = self
            .check_upload(scope, batch, form, file_name, bytes.clone())
            .await?;
        let token = uuid::Uuid::new_v4().simple().to_string();
        self.store
            .keep_pending_upload(
                &token,
                user_id,
                form.id,
                form.version,
                &upload.file_name,
                &bytes,
                Utc::now(),
                Duration::minutes(PENDING_TTL_MINUTES),
            )
            .await?;
        Ok(Preview { token, upload })
    }

    async fn pending(
        &self,
        scope: &Scope,
        user_id: i64,
        batch: &BatchRecord,
        form: &FormRecord,
        token: &str,
    ) -> Result<(shuangshi_store::PendingUpload, UploadCheck)> {
        let Some(p) = self
            .store
            .pending_upload(token, user_id, form.id, Utc::now())
            .await?
        else {
            return Err(Error::refused("预检结果已过期或已导入，请重新选择文件预检"));
        };
        let upload = self
            .check_upload(scope, batch, form, p.file_name.clone(), p.bytes.clone())
            .await?;
        Ok((p, upload))
    }

    /// 确认导入: replaces the form's rows with the previewed file, all or nothing, unless the form
    /// changed since the preview.
    pub async fn commit_upload(
        &self,
        scope: &Scope,
        actor: &Actor,
        user_id: i64,
        batch: &BatchRecord,
        form: &FormRecord,
        token: &str,
    ) -> Result<CommittedUpload> {
        let (p, upload) = self.pending(scope, user_id, batch, form, token).await?;
        let out = self
            .store
            .replace_rows(scope, form.id, &upload.content, Some(p.form_version), actor)
            .await
            .map_err(|e| match e {
                StoreError::VersionConflict { .. } | StoreError::State(_) => {
                    Error::Refused(Refusal::new(format!("导入未完成：{e}")))
                }
                e => Error::Store(e),
            })?
            .ok_or(Error::NotFound)?;
        self.store.drop_pending_upload(token).await?;
        if out.changed {
            self.refresh_school(batch, form.school_id).await?;
        }
        Ok(CommittedUpload {
            file_name: upload.file_name,
            outcome: out,
            errors: upload.check.errors,
        })
    }

    /// The previewed file with its problems marked: `(file name, xlsx bytes)`.
    pub async fn annotated_upload(
        &self,
        scope: &Scope,
        user_id: i64,
        batch: &BatchRecord,
        form: &FormRecord,
        token: &str,
    ) -> Result<(String, Vec<u8>)> {
        let (p, upload) = self.pending(scope, user_id, batch, form, token).await?;
        let file = upload.check.file.clone();
        let findings: Vec<Finding> = upload
            .check
            .report
            .findings
            .iter()
            .filter(|f| f.file.as_deref() == Some(file.as_str()))
            .cloned()
            .collect();
        let (grids, forms) = (upload.grids, upload.forms);
        let bytes = tokio::task::spawn_blocking(move || {
            shuangshi_sheet::write::annotate_xlsx(&grids, &forms, &findings)
        })
        .await
        .map_err(Error::Task)?
        .map_err(|e| Error::refused(format!("标注文件生成失败：{e}")))?;
        Ok((p.file_name, bytes))
    }
}
