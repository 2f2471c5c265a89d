//! Backup and restore in one portable format, the same from SQLite and PostgreSQL and restorable
//! into either: a zip archive holding one JSON-lines file per table (`tables/NAME.jsonl`: a header
//! line naming the columns, then one line per row in primary-key order, each cell tagged with its
//! type) and `manifest.json` (the format, the migrations, each table's row count and SHA-256 of its
//! file, and a SHA-256 over them all).
//!
//! A backup reads every table in one read transaction (PostgreSQL: REPEATABLE READ, read only;
//! SQLite under WAL: one deferred transaction, a snapshot from its first read), so it is consistent
//! while a server writes. A restore checks the whole file first (truncated, altered, another
//! version's tables: refused with the reason), refuses a database that holds data unless forced,
//! then empties and fills every table in one write transaction and moves PostgreSQL's id sequences
//! past the restored ids. The audit chain is restored as it was, so `audit verify` passes.

use std::io::{Read, Seek, Write};
use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::sea_query::Value;
use sea_orm::{
    AccessMode, ActiveModelTrait, ConnectionTrait, DbBackend, EntityTrait, IdenStatic,
    IsolationLevel, ModelTrait, PaginatorTrait, PrimaryKeyToColumn, QueryOrder, Statement,
    TransactionOptions, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::db::{Backend, Store};
use crate::entity;
use crate::error::StoreError;
use crate::migration::Migrator;

/// The format's name in the manifest.
pub const FORMAT: &str = "shuangshi-backup";
/// The format's version.
pub const VERSION: u32 = 1;

/// Every table, parents before children (the order of the migrations).
pub const TABLES: [&str; 31] = [
    "orgs",
    "users",
    "sessions",
    "api_tokens",
    "audit_log",
    "audit_head",
    "batches",
    "deadline_extensions",
    "partnerships",
    "forms",
    "form_rows",
    "scans",
    "submissions",
    "submission_versions",
    "reviews",
    "form_checks",
    "school_checks",
    "people_index",
    "batch_findings",
    "pending_uploads",
    "copies",
    "selections",
    "opinions",
    "publications",
    "objections",
    "term_records",
    "term_record_versions",
    "term_closures",
    "ledger_entries",
    "subsidy_uses",
    "reminders",
];

/// Rows read or inserted at a time.
const CHUNK: u64 = 200;

/// One table in a backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableDigest {
    pub name: String,
    pub rows: u64,
    /// SHA-256 (hex) of the table's file.
    pub sha256: String,
}

/// What a backup holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub version: u32,
    pub created_at: String,
    /// `sqlite` or `postgres`.
    pub source: String,
    /// The migrations the source database had.
    pub migrations: Vec<String>,
    pub tables: Vec<TableDigest>,
    /// SHA-256 (hex) over every table's name, row count and SHA-256.
    pub sha256: String,
}

impl Manifest {
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|t| t.rows).sum()
    }
}

fn overall(tables: &[TableDigest]) -> String {
    let mut h = Sha256::new();
    for t in tables {
        h.update(format!("{}\t{}\t{}\n", t.name, t.rows, t.sha256).as_bytes());
    }
    hex::encode(h.finalize())
}

fn migrations() -> Vec<String> {
    Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect()
}

fn bad(reason: impl Into<String>) -> StoreError {
    StoreError::Invalid(reason.into())
}

/// A cell as JSON: `[type, value]` (value `null` for NULL).
fn encode(v: Value) -> Result<serde_json::Value, StoreError> {
    use serde_json::Value as J;
    let (tag, value) = match v {
        Value::Bool(b) => ("bool", b.map(J::Bool)),
        Value::TinyInt(n) => ("i8", n.map(J::from)),
        Value::SmallInt(n) => ("i16", n.map(J::from)),
        Value::Int(n) => ("i32", n.map(J::from)),
        Value::BigInt(n) => ("i64", n.map(J::from)),
        Value::Double(n) => ("f64", n.map(J::from)),
        Value::String(s) => ("str", s.map(J::String)),
        Value::Bytes(b) => ("hex", b.map(|b| J::String(hex::encode(b)))),
        Value::ChronoDateTimeUtc(t) => (
            "ts",
            t.map(|t| J::String(t.to_rfc3339_opts(SecondsFormat::Micros, true))),
        ),
        other => {
            return Err(bad(format!("备份不支持的列类型：{other:?}")));
        }
    };
    Ok(J::Array(vec![J::from(tag), value.unwrap_or(J::Null)]))
}

/// A cell back from JSON.
fn decode(cell: &serde_json::Value) -> Result<Value, String> {
    let pair = cell.as_array().filter(|a| a.len() == 2);
    let (tag, v) = match pair {
        Some(a) => (a[0].as_str().unwrap_or(""), &a[1]),
        None => return Err(format!("单元格格式不对：{cell}")),
    };
    let null = v.is_null();
    let int = |v: &serde_json::Value| v.as_i64().ok_or_else(|| format!("不是整数：{v}"));
    Ok(match tag {
        "bool" => Value::Bool(if null {
            None
        } else {
            Some(v.as_bool().ok_or_else(|| format!("不是布尔值：{v}"))?)
        }),
        "i8" => Value::TinyInt(if null {
            None
        } else {
            Some(i8::try_from(int(v)?).map_err(|e| e.to_string())?)
        }),
        "i16" => Value::SmallInt(if null {
            None
        } else {
            Some(i16::try_from(int(v)?).map_err(|e| e.to_string())?)
        }),
        "i32" => Value::Int(if null {
            None
        } else {
            Some(i32::try_from(int(v)?).map_err(|e| e.to_string())?)
        }),
        "i64" => Value::BigInt(if null { None } else { Some(int(v)?) }),
        "f64" => Value::Double(if null {
            None
        } else {
            Some(v.as_f64().ok_or_else(|| format!("不是数值：{v}"))?)
        }),
        "str" => Value::String(if null {
            None
        } else {
            Some(
                v.as_str()
                    .ok_or_else(|| format!("不是文本：{v}"))?
                    .to_owned(),
            )
        }),
        "hex" => Value::Bytes(if null {
            None
        } else {
            Some(
                hex::decode(v.as_str().ok_or_else(|| format!("不是十六进制文本：{v}"))?)
                    .map_err(|e| e.to_string())?,
            )
        }),
        "ts" => Value::ChronoDateTimeUtc(if null {
            None
        } else {
            let s = v.as_str().ok_or_else(|| format!("不是时间：{v}"))?;
            Some(
                DateTime::parse_from_rfc3339(s)
                    .map_err(|e| format!("时间「{s}」无法识别（{e}）"))?
                    .with_timezone(&Utc),
            )
        }),
        other => return Err(format!("未知的列类型「{other}」")),
    })
}

fn column_names<E: EntityTrait>() -> Vec<String> {
    use sea_orm::Iterable;
    E::Column::iter().map(|c| c.as_str().to_owned()).collect()
}

/// One table as JSON lines (header, then rows in primary-key order).
async fn dump<E: EntityTrait, C: ConnectionTrait>(
    conn: &C,
    name: &str,
) -> Result<(Vec<u8>, u64), StoreError>
where
    E::Model: Send + Sync,
{
    use sea_orm::Iterable;
    let columns: Vec<E::Column> = E::Column::iter().collect();
    let mut out = serde_json::to_vec(&serde_json::json!({
        "table": name,
        "columns": column_names::<E>(),
    }))
    .map_err(|e| bad(e.to_string()))?;
    out.push(b'\n');
    let mut query = E::find();
    for k in E::PrimaryKey::iter() {
        query = query.order_by_asc(k.into_column());
    }
    let mut pages = query.paginate(conn, CHUNK);
    let mut rows = 0u64;
    while let Some(models) = pages.fetch_and_next().await? {
        for m in models {
            let cells = columns
                .iter()
                .map(|c| encode(m.get(*c)))
                .collect::<Result<Vec<_>, _>>()?;
            serde_json::to_writer(&mut out, &cells).map_err(|e| bad(e.to_string()))?;
            out.push(b'\n');
            rows += 1;
        }
    }
    Ok((out, rows))
}

/// Inserts a table's rows from its JSON lines (checked already).
async fn load<E: EntityTrait, C: ConnectionTrait>(
    conn: &C,
    name: &str,
    text: &str,
) -> Result<u64, StoreError> {
    use sea_orm::Iterable;
    let columns: Vec<E::Column> = E::Column::iter().collect();
    let mut lines = text.lines();
    let header: serde_json::Value = lines
        .next()
        .and_then(|l| serde_json::from_str(l).ok())
        .ok_or_else(|| bad(format!("备份中的表 {name} 缺少表头行")))?;
    let given: Vec<String> = header["columns"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    if given != column_names::<E>() {
        return Err(bad(format!(
            "备份中表 {name} 的列（{}）与本程序的（{}）不同；请用生成备份的同一版本程序恢复",
            given.join(","),
            column_names::<E>().join(",")
        )));
    }
    let mut batch: Vec<E::ActiveModel> = Vec::new();
    let mut rows = 0u64;
    for (i, line) in lines.enumerate() {
        let cells: Vec<serde_json::Value> = serde_json::from_str(line)
            .map_err(|e| bad(format!("备份中表 {name} 第 {} 行无法读取（{e}）", i + 2)))?;
        if cells.len() != columns.len() {
            return Err(bad(format!(
                "备份中表 {name} 第 {} 行有 {} 列，应为 {} 列",
                i + 2,
                cells.len(),
                columns.len()
            )));
        }
        let mut am = <E::ActiveModel as ActiveModelTrait>::default();
        for (c, cell) in columns.iter().zip(&cells) {
            let v = decode(cell).map_err(|e| {
                bad(format!(
                    "备份中表 {name} 第 {} 行「{}」列：{e}",
                    i + 2,
                    c.as_str()
                ))
            })?;
            am.try_set(*c, v).map_err(|e| {
                bad(format!(
                    "备份中表 {name} 第 {} 行「{}」列的类型不对（{e}）",
                    i + 2,
                    c.as_str()
                ))
            })?;
        }
        batch.push(am);
        rows += 1;
        if batch.len() as u64 >= CHUNK {
            E::insert_many(std::mem::take(&mut batch))
                .exec_without_returning(conn)
                .await?;
        }
    }
    if !batch.is_empty() {
        E::insert_many(batch).exec_without_returning(conn).await?;
    }
    Ok(rows)
}

macro_rules! each_table {
    ($name:expr, $f:ident ( $($arg:expr),* )) => {
        match $name {
            "orgs" => $f::<entity::orgs::Entity, _>($($arg),*).await,
            "users" => $f::<entity::users::Entity, _>($($arg),*).await,
            "sessions" => $f::<entity::sessions::Entity, _>($($arg),*).await,
            "api_tokens" => $f::<entity::api_tokens::Entity, _>($($arg),*).await,
            "audit_log" => $f::<entity::audit_log::Entity, _>($($arg),*).await,
            "audit_head" => $f::<entity::audit_head::Entity, _>($($arg),*).await,
            "batches" => $f::<entity::batches::Entity, _>($($arg),*).await,
            "deadline_extensions" => $f::<entity::deadline_extensions::Entity, _>($($arg),*).await,
            "partnerships" => $f::<entity::partnerships::Entity, _>($($arg),*).await,
            "forms" => $f::<entity::forms::Entity, _>($($arg),*).await,
            "form_rows" => $f::<entity::form_rows::Entity, _>($($arg),*).await,
            "scans" => $f::<entity::scans::Entity, _>($($arg),*).await,
            "submissions" => $f::<entity::submissions::Entity, _>($($arg),*).await,
            "submission_versions" => $f::<entity::submission_versions::Entity, _>($($arg),*).await,
            "reviews" => $f::<entity::reviews::Entity, _>($($arg),*).await,
            "form_checks" => $f::<entity::form_checks::Entity, _>($($arg),*).await,
            "school_checks" => $f::<entity::school_checks::Entity, _>($($arg),*).await,
            "people_index" => $f::<entity::people_index::Entity, _>($($arg),*).await,
            "batch_findings" => $f::<entity::batch_findings::Entity, _>($($arg),*).await,
            "pending_uploads" => $f::<entity::pending_uploads::Entity, _>($($arg),*).await,
            "copies" => $f::<entity::copies::Entity, _>($($arg),*).await,
            "selections" => $f::<entity::selections::Entity, _>($($arg),*).await,
            "opinions" => $f::<entity::opinions::Entity, _>($($arg),*).await,
            "publications" => $f::<entity::publications::Entity, _>($($arg),*).await,
            "objections" => $f::<entity::objections::Entity, _>($($arg),*).await,
            "term_records" => $f::<entity::term_records::Entity, _>($($arg),*).await,
            "term_record_versions" => $f::<entity::term_record_versions::Entity, _>($($arg),*).await,
            "term_closures" => $f::<entity::term_closures::Entity, _>($($arg),*).await,
            "ledger_entries" => $f::<entity::ledger_entries::Entity, _>($($arg),*).await,
            "subsidy_uses" => $f::<entity::subsidy_uses::Entity, _>($($arg),*).await,
            "reminders" => $f::<entity::reminders::Entity, _>($($arg),*).await,
            other => Err(bad(format!("未知的表 {other}"))),
        }
    };
}

async fn count<E: EntityTrait, C: ConnectionTrait>(conn: &C) -> Result<u64, StoreError>
where
    E::Model: Send + Sync,
{
    Ok(E::find().count(conn).await?)
}

async fn has_id<E: EntityTrait, C: ConnectionTrait>(_conn: &C) -> Result<bool, StoreError> {
    Ok(column_names::<E>().iter().any(|c| c == "id"))
}

async fn clear<E: EntityTrait, C: ConnectionTrait>(conn: &C) -> Result<u64, StoreError> {
    Ok(E::delete_many().exec(conn).await?.rows_affected)
}

/// A backup read into memory and checked against its manifest.
struct Checked {
    manifest: Manifest,
    tables: Vec<(String, String)>,
}

fn read_entry<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
    name: &str,
) -> Result<Vec<u8>, StoreError> {
    let mut entry = zip.by_name(name).map_err(|_| {
        bad(format!(
            "备份文件中缺少 {name}；文件不完整或不是本系统的备份"
        ))
    })?;
    let mut bytes = Vec::new();
    entry.read_to_end(&mut bytes).map_err(|e| {
        bad(format!(
            "备份文件中的 {name} 无法解压（{e}）；文件可能已损坏"
        ))
    })?;
    Ok(bytes)
}

/// Reads and checks a backup file: the manifest, every table's row count and SHA-256, the overall
/// SHA-256, and that its tables and migrations are this program's.
fn check_file(path: &Path) -> Result<Checked, StoreError> {
    let shown = path.display().to_string();
    let file = std::fs::File::open(path)
        .map_err(|e| bad(format!("备份文件「{shown}」无法打开（{e}）")))?;
    let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file)).map_err(|e| {
        bad(format!(
            "备份文件「{shown}」不完整或已损坏，无法恢复（{e}）"
        ))
    })?;
    let manifest: Manifest = serde_json::from_slice(&read_entry(&mut zip, "manifest.json")?)
        .map_err(|e| bad(format!("备份文件「{shown}」的清单无法读取（{e}）")))?;
    if manifest.format != FORMAT || manifest.version != VERSION {
        return Err(bad(format!(
            "「{shown}」不是本系统第 {VERSION} 版格式的备份（格式为「{}」第 {} 版）",
            manifest.format, manifest.version
        )));
    }
    if manifest.migrations != migrations() {
        return Err(bad(format!(
            "备份来自数据库结构不同的版本（备份：{}；本程序：{}）；请用相同版本的程序恢复",
            manifest.migrations.join("、"),
            migrations().join("、")
        )));
    }
    let names: Vec<&str> = manifest.tables.iter().map(|t| t.name.as_str()).collect();
    if names != TABLES {
        return Err(bad(format!(
            "备份中的表（{}）与本程序的表不同",
            names.join("、")
        )));
    }
    if overall(&manifest.tables) != manifest.sha256 {
        return Err(bad(
            "备份清单的总校验值不符：清单已被改动，拒绝恢复".to_owned()
        ));
    }
    let mut tables = Vec::new();
    for t in &manifest.tables {
        let bytes = read_entry(&mut zip, &format!("tables/{}.jsonl", t.name))?;
        let sha = hex::encode(Sha256::digest(&bytes));
        if sha != t.sha256 {
            return Err(bad(format!(
                "备份中表 {} 的校验值不符（清单：{}，实际：{}）：文件已被改动或损坏，拒绝恢复",
                t.name, t.sha256, sha
            )));
        }
        let text = String::from_utf8(bytes)
            .map_err(|_| bad(format!("备份中表 {} 不是 UTF-8 文本", t.name)))?;
        let rows = text.lines().count().saturating_sub(1) as u64;
        if rows != t.rows {
            return Err(bad(format!(
                "备份中表 {} 有 {rows} 行，清单记为 {} 行：文件不完整，拒绝恢复",
                t.name, t.rows
            )));
        }
        tables.push((t.name.clone(), text));
    }
    Ok(Checked { manifest, tables })
}

impl Store {
    /// Every table's row count and SHA-256 as a backup would record them now (one read
    /// transaction), with the tables' files.
    async fn snapshot_tables(&self) -> Result<Vec<(TableDigest, Vec<u8>)>, StoreError> {
        let options = match self.backend() {
            Backend::Postgres => TransactionOptions {
                isolation_level: Some(IsolationLevel::RepeatableRead),
                access_mode: Some(AccessMode::ReadOnly),
                sqlite_transaction_mode: None,
            },
            Backend::Sqlite => TransactionOptions::default(),
        };
        let txn = self.db.begin_with_options(options).await?;
        let mut out = Vec::with_capacity(TABLES.len());
        for name in TABLES {
            let (bytes, rows) = each_table!(name, dump(&txn, name))?;
            out.push((
                TableDigest {
                    name: name.to_owned(),
                    rows,
                    sha256: hex::encode(Sha256::digest(&bytes)),
                },
                bytes,
            ));
        }
        txn.commit().await?;
        Ok(out)
    }

    /// Every table's row count and SHA-256 of its content, as a backup taken now would record
    /// them (to compare two databases).
    pub async fn table_digests(&self) -> Result<Vec<TableDigest>, StoreError> {
        Ok(self
            .snapshot_tables()
            .await?
            .into_iter()
            .map(|(d, _)| d)
            .collect())
    }

    /// Writes a consistent backup of the whole database to `out` (written beside it first and
    /// renamed, so a failed backup leaves no partial file under that name).
    pub async fn backup_to(&self, out: &Path) -> Result<Manifest, StoreError> {
        let tables = self.snapshot_tables().await?;
        let digests: Vec<TableDigest> = tables.iter().map(|(d, _)| d.clone()).collect();
        let manifest = Manifest {
            format: FORMAT.to_owned(),
            version: VERSION,
            created_at: Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
            source: match self.backend() {
                Backend::Sqlite => "sqlite".to_owned(),
                Backend::Postgres => "postgres".to_owned(),
            },
            migrations: migrations(),
            sha256: overall(&digests),
            tables: digests,
        };
        let shown = out.display().to_string();
        let io = |e: std::io::Error| bad(format!("无法写入备份文件「{shown}」（{e}）"));
        let zerr = |e: zip::result::ZipError| bad(format!("无法写入备份文件「{shown}」（{e}）"));
        let partial = out.with_extension("partial");
        let file = std::fs::File::create(&partial).map_err(io)?;
        let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(file));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (d, bytes) in &tables {
            zip.start_file(format!("tables/{}.jsonl", d.name), options)
                .map_err(zerr)?;
            zip.write_all(bytes).map_err(io)?;
        }
        zip.start_file("manifest.json", options).map_err(zerr)?;
        let text = serde_json::to_vec_pretty(&manifest).map_err(|e| bad(e.to_string()))?;
        zip.write_all(&text).map_err(io)?;
        let mut writer = zip.finish().map_err(zerr)?;
        writer.flush().map_err(io)?;
        let file = writer.into_inner().map_err(|e| io(e.into_error()))?;
        file.sync_all().map_err(io)?;
        std::fs::rename(&partial, out).map_err(io)?;
        Ok(manifest)
    }

    /// Whether the database holds any data (a freshly migrated one holds none).
    pub async fn holds_data(&self) -> Result<bool, StoreError> {
        for name in TABLES {
            if name == "audit_head" {
                continue;
            }
            let n = each_table!(name, count(self.conn()))?;
            if n > 0 {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Restores a backup: the file is checked whole first; a database holding data is refused
    /// unless `force` (then its data is replaced). One write transaction.
    pub async fn restore_from(&self, path: &Path, force: bool) -> Result<Manifest, StoreError> {
        let checked = check_file(path)?;
        let tx = self.begin_write().await?;
        let conn = tx.conn();
        if !force {
            for name in TABLES {
                if name == "audit_head" {
                    continue;
                }
                let n = each_table!(name, count(conn))?;
                if n > 0 {
                    return Err(StoreError::State(format!(
                        "目标数据库已有数据（表 {name} 有 {n} 行）；确认要用备份替换其中全部数据时加 --force"
                    )));
                }
            }
        }
        for name in TABLES.iter().rev() {
            each_table!(*name, clear(conn))?;
        }
        for (name, text) in &checked.tables {
            each_table!(name.as_str(), load(conn, name, text))?;
        }
        if self.backend() == Backend::Postgres {
            for name in TABLES {
                if !each_table!(name, has_id(conn))? {
                    continue;
                }
                let seq = conn
                    .query_one_raw(Statement::from_string(
                        DbBackend::Postgres,
                        format!("SELECT pg_get_serial_sequence('\"{name}\"', 'id') AS s"),
                    ))
                    .await?
                    .and_then(|r| r.try_get::<Option<String>>("", "s").ok().flatten());
                let Some(seq) = seq else { continue };
                conn.execute_unprepared(&format!(
                    "SELECT setval('{seq}', COALESCE((SELECT MAX(id) FROM \"{name}\"), 0) + 1, false)"
                ))
                .await
                .map_err(|e| bad(format!("表 {name} 的编号序列未能重置（{e}）")))?;
            }
        }
        tx.commit().await?;
        Ok(checked.manifest)
    }
}

/// Checks a backup file without restoring it.
pub fn verify_file(path: &Path) -> Result<Manifest, StoreError> {
    check_file(path).map(|c| c.manifest)
}
