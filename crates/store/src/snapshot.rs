//! The snapshot of a submitted version: one typed, versioned record written by
//! [`crate::Store::submit`] and read by review and everything after it. A snapshot whose version
//! this program does not know, or that does not parse, is an error, never a default.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shuangshi_rules::{Column, FindingRecord, Tally};

use crate::error::StoreError;

/// The snapshot format this program writes and reads.
pub const SNAPSHOT_VERSION: u32 = 1;

/// A submitted version's snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    /// [`SNAPSHOT_VERSION`] when written.
    pub snapshot_version: u32,
    pub receipt_no: String,
    pub batch: SnapBatch,
    pub school: SnapSchool,
    pub version_no: i32,
    pub submitted_at: DateTime<Utc>,
    pub submitted_by: SnapActor,
    pub forms: Vec<SnapForm>,
    /// The findings the submission was checked with, and its tally.
    pub report: SnapReport,
}

/// The batch of a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapBatch {
    pub id: i64,
    pub number: i32,
    pub name: String,
}

/// The school of a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapSchool {
    pub id: i64,
    pub name: String,
    pub category: String,
}

/// Who submitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapActor {
    pub user_id: Option<i64>,
    pub name: String,
}

/// An enterprise in a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapEnterprise {
    pub id: i64,
    pub name: String,
    pub category: String,
}

/// A form as submitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapForm {
    pub form_id: i64,
    pub partnership_id: i64,
    pub enterprise: SnapEnterprise,
    pub version: i32,
    pub content_hash: String,
    pub header_school: String,
    pub header_enterprise: String,
    pub filler: String,
    pub phone: String,
    pub rows: Vec<SnapRow>,
    pub scan: Option<SnapScan>,
}

/// A row as submitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapRow {
    pub row_id: i64,
    pub position: i32,
    /// Cell texts in `Column::ALL` order.
    pub cells: Vec<String>,
    pub confirmed_version: Option<i32>,
}

impl SnapRow {
    pub fn cell(&self, c: Column) -> &str {
        self.cells.get(c as usize).map(String::as_str).unwrap_or("")
    }

    pub fn name(&self) -> &str {
        self.cell(Column::Name)
    }
}

/// The scan a form was submitted with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapScan {
    pub scan_id: i64,
    pub form_version: i32,
    pub sha256: String,
}

/// The check a submission passed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapReport {
    pub findings: Vec<FindingRecord>,
    pub tally: Tally,
}

impl Snapshot {
    /// Reads a stored snapshot: an unknown version or a text that does not parse is an error.
    pub fn parse(text: &str, what: &str) -> Result<Snapshot, StoreError> {
        #[derive(Deserialize)]
        struct Probe {
            snapshot_version: Option<u32>,
        }
        let probe: Probe = serde_json::from_str(text)
            .map_err(|e| StoreError::Corrupt(format!("{what}的快照无法读取：{e}")))?;
        match probe.snapshot_version {
            Some(SNAPSHOT_VERSION) => serde_json::from_str(text)
                .map_err(|e| StoreError::Corrupt(format!("{what}的快照无法读取：{e}"))),
            Some(v) => Err(StoreError::Corrupt(format!(
                "{what}的快照为第 {v} 版格式，本程序只能读取第 {SNAPSHOT_VERSION} 版"
            ))),
            None => Err(StoreError::Corrupt(format!(
                "{what}的快照没有格式版本号，无法读取"
            ))),
        }
    }

    /// The people submitted.
    pub fn people(&self) -> usize {
        self.forms.iter().map(|f| f.rows.len()).sum()
    }
}
