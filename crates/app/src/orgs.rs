//! 单位名录导入: the registry read from CSV (UTF-8 or GBK) or xlsx, checked (columns, categories,
//! the USCC check digit, duplicates), previewed against the stored registry (what would be added,
//! updated or left unchanged; nothing is stored), and committed all or nothing.
//!
//! The web page (preview, then 确认导入), the JSON API (`dry_run` or commit) and the command line
//! (`shuangshi orgs import FILE [--dry-run]`) all call these functions, so they read the same file
//! the same way and report the same counts ([`summary_text`]).

use shuangshi_rules::{Batch, Org};
use shuangshi_sheet::guard::Limits;
use shuangshi_store::{BatchRecord, BatchStatus, ImportSummary};

use crate::error::{Error, Result};
use crate::{Actor, App, Scope};

/// What the import would do with one organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Insert,
    Update,
    Unchanged,
}

impl Change {
    /// 新增, 更新 or 不变.
    pub fn label(self) -> &'static str {
        match self {
            Change::Insert => "新增",
            Change::Update => "更新",
            Change::Unchanged => "不变",
        }
    }
}

/// One organisation of the file and what the import would do with it.
#[derive(Debug, Clone, PartialEq)]
pub struct OrgChange {
    pub org: Org,
    pub change: Change,
}

/// The preview of a registry import: nothing is stored.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OrgPreview {
    pub file_name: String,
    /// Why the file cannot be imported (empty when it can): each problem names its row and
    /// column, quotes the value and says what is accepted.
    pub problems: Vec<String>,
    pub rows: Vec<OrgChange>,
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
}

impl OrgPreview {
    /// Whether the file can be imported.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }

    /// The organisations to import, in the file's order.
    pub fn orgs(&self) -> Vec<Org> {
        self.rows.iter().map(|r| r.org.clone()).collect()
    }

    /// The problems as one message: 「单位名录文件「…」有 2 处问题：…」.
    pub fn problem_text(&self) -> String {
        let mut s = format!(
            "单位名录文件「{}」有 {} 处问题，未导入：",
            self.file_name,
            self.problems.len()
        );
        for p in &self.problems {
            s.push_str("\n  - ");
            s.push_str(p);
        }
        s
    }
}

/// The counts of an import (or of a preview, with `dry_run`), as every door words them.
pub fn summary_text(dry_run: bool, inserted: usize, updated: usize, unchanged: usize) -> String {
    if dry_run {
        format!("预检完成（未导入）：将新增 {inserted} 个，更新 {updated} 个，不变 {unchanged} 个")
    } else {
        format!("导入完成：新增 {inserted} 个，更新 {updated} 个，不变 {unchanged} 个")
    }
}

/// The organisation as the store keeps it (names trimmed, the category normalised).
fn normalised(o: &Org) -> Org {
    Org {
        name: o.name.trim().to_owned(),
        category: shuangshi_rules::text::norm(&o.category),
        affiliation: o.affiliation.trim().to_owned(),
        credit_code: o.credit_code.trim().to_owned(),
        district: o.district.trim().to_owned(),
    }
}

/// The batch a request without a batch means: the open one, else the newest.
pub fn pick_current(all: &[BatchRecord]) -> Option<&BatchRecord> {
    all.iter()
        .find(|b| b.status == BatchStatus::Open)
        .or_else(|| all.first())
}

impl App {
    /// The current batch: the open one, else the newest (`None` before the first batch).
    pub async fn current_batch(&self) -> Result<Option<BatchRecord>> {
        let all = self.store.list_batches().await?;
        Ok(pick_current(&all).cloned())
    }

    /// Reads and checks a registry file against the current batch's categories (第十批's before the
    /// first batch) and compares it with the stored registry. Nothing is stored.
    pub async fn preview_org_import(&self, file_name: &str, bytes: Vec<u8>) -> Result<OrgPreview> {
        let mut preview = OrgPreview {
            file_name: file_name.to_owned(),
            ..OrgPreview::default()
        };
        if bytes.is_empty() {
            preview.problems.push(format!(
                "文件「{file_name}」是空的；请选择按模板填写的单位名录（CSV、xlsx 或 xls）"
            ));
            return Ok(preview);
        }
        let batch = self
            .current_batch()
            .await?
            .map_or_else(Batch::batch10, |b| b.params);
        let name = file_name.to_owned();
        let parsed = tokio::task::spawn_blocking(move || {
            shuangshi_sheet::orgs::parse_registry(&name, &bytes, &batch, &Limits::default())
        })
        .await
        .map_err(Error::Task)?;
        let registry = match parsed {
            Ok(r) => r,
            Err(e) => {
                preview.problems = e.problems.clone();
                if preview.problems.is_empty() {
                    preview.problems.push(e.to_string());
                }
                return Ok(preview);
            }
        };
        for org in registry.orgs() {
            let change = match self.store.find_org_by_name(&Scope::All, &org.name).await? {
                None => Change::Insert,
                Some(e) if e.to_rules_org() == normalised(org) => Change::Unchanged,
                Some(_) => Change::Update,
            };
            match change {
                Change::Insert => preview.inserted += 1,
                Change::Update => preview.updated += 1,
                Change::Unchanged => preview.unchanged += 1,
            }
            preview.rows.push(OrgChange {
                org: org.clone(),
                change,
            });
        }
        Ok(preview)
    }

    /// Stores a previewed registry, all or nothing (audited).
    pub async fn commit_org_import(&self, actor: &Actor, orgs: Vec<Org>) -> Result<ImportSummary> {
        Ok(self.store.import_orgs(orgs, actor).await?)
    }
}
