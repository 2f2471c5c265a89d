//! Bulk loading of generated data, for benchmarks (`shuangshi bench dashboard`): rows written
//! straight into the tables as multi-row `INSERT`s of literal values, with the ids the caller
//! chose, in one write transaction per call; then the PostgreSQL sequences moved past those ids
//! and the planner's statistics refreshed. Also the plan of a query (`EXPLAIN`), and a scratch
//! PostgreSQL database of the benchmark's own on a server.
//!
//! Nothing here checks what it writes against the repository functions' rules (no audit entry,
//! no scope): it is for throw-away databases the caller has just created. Table and column names
//! must be plain identifiers (ASCII letters, digits and `_`); values are written as SQL literals,
//! text with its quotes doubled.

use std::fmt::Write as _;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DbBackend, Statement};

use crate::db::{Backend, Store, redact};
use crate::error::StoreError;

/// One value of a bulk row.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Int(i64),
    Text(String),
    Bool(bool),
    Time(DateTime<Utc>),
    Null,
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(v)
    }
}

impl From<i32> for Value {
    fn from(v: i32) -> Value {
        Value::Int(i64::from(v))
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Value {
        Value::Bool(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Text(v)
    }
}

impl From<DateTime<Utc>> for Value {
    fn from(v: DateTime<Utc>) -> Value {
        Value::Time(v)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

/// The indexes of the migration `m0006_scale`, by name (a benchmark drops them to measure what
/// they buy).
pub const SCALE_INDEXES: &[&str] = &crate::migration::m0006_scale::INDEXES;

/// The size of one `INSERT` statement, roughly (both backends take far longer ones).
const STATEMENT_BYTES: usize = 1 << 20;

fn identifier(name: &str) -> Result<&str, StoreError> {
    if !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        Ok(name)
    } else {
        Err(StoreError::Invalid(format!("「{name}」不是表名或列名")))
    }
}

fn push_literal(out: &mut String, v: &Value) {
    match v {
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Bool(b) => out.push_str(if *b { "TRUE" } else { "FALSE" }),
        Value::Null => out.push_str("NULL"),
        // The form SQLx writes a `DateTime<Utc>` to SQLite in, which PostgreSQL reads too.
        Value::Time(t) => {
            let _ = write!(out, "'{}'", t.to_rfc3339_opts(SecondsFormat::AutoSi, false));
        }
        Value::Text(s) => {
            out.push('\'');
            for ch in s.chars() {
                if ch == '\'' {
                    out.push('\'');
                }
                out.push(ch);
            }
            out.push('\'');
        }
    }
}

impl Store {
    /// Inserts `rows` (values in `columns` order) into `table` in one write transaction, in
    /// multi-row `INSERT` statements of about a megabyte. Returns the rows written.
    pub async fn bulk_insert(
        &self,
        table: &str,
        columns: &[&str],
        rows: impl IntoIterator<Item = Vec<Value>>,
    ) -> Result<u64, StoreError> {
        let table = identifier(table)?;
        let mut head = format!("INSERT INTO \"{table}\" (");
        for (i, c) in columns.iter().enumerate() {
            if i > 0 {
                head.push_str(", ");
            }
            let _ = write!(head, "\"{}\"", identifier(c)?);
        }
        head.push_str(") VALUES ");
        let tx = self.begin_write().await?;
        let mut sql = String::with_capacity(STATEMENT_BYTES + 64 * 1024);
        let mut written = 0u64;
        let mut pending = 0usize;
        for row in rows {
            if row.len() != columns.len() {
                return Err(StoreError::Invalid(format!(
                    "表 {table} 的一行有 {} 个值，应为 {} 个",
                    row.len(),
                    columns.len()
                )));
            }
            if pending == 0 {
                sql.clear();
                sql.push_str(&head);
            } else {
                sql.push_str(", ");
            }
            sql.push('(');
            for (i, v) in row.iter().enumerate() {
                if i > 0 {
                    sql.push_str(", ");
                }
                push_literal(&mut sql, v);
            }
            sql.push(')');
            pending += 1;
            if sql.len() >= STATEMENT_BYTES {
                written += tx.conn().execute_unprepared(&sql).await?.rows_affected();
                pending = 0;
            }
        }
        if pending > 0 {
            written += tx.conn().execute_unprepared(&sql).await?.rows_affected();
        }
        tx.commit().await?;
        Ok(written)
    }

    /// Runs one SQL statement outside any transaction; returns the rows affected.
    pub async fn bulk_execute(&self, sql: &str) -> Result<u64, StoreError> {
        Ok(self.conn().execute_unprepared(sql).await?.rows_affected())
    }

    /// After rows were written with their ids: moves each table's PostgreSQL id sequence past
    /// the largest id (nothing on SQLite, whose rowids follow the table), then refreshes the
    /// planner's statistics (`ANALYZE`) on both.
    pub async fn bulk_finish(&self, tables: &[&str]) -> Result<(), StoreError> {
        if self.backend() == Backend::Postgres {
            for t in tables {
                let t = identifier(t)?;
                let seq = self
                    .conn()
                    .query_one_raw(Statement::from_string(
                        DbBackend::Postgres,
                        format!("SELECT pg_get_serial_sequence('\"{t}\"', 'id') AS s"),
                    ))
                    .await?
                    .and_then(|r| r.try_get::<Option<String>>("", "s").ok().flatten());
                if let Some(seq) = seq {
                    self.conn()
                        .execute_unprepared(&format!(
                            "SELECT setval('{seq}', COALESCE((SELECT MAX(id) FROM \"{t}\"), 0) + 1, false)"
                        ))
                        .await?;
                }
            }
        }
        self.conn().execute_unprepared("ANALYZE").await?;
        Ok(())
    }

    /// How the database runs `sql`: on PostgreSQL `EXPLAIN (ANALYZE, BUFFERS)` (the query is
    /// run), on SQLite `EXPLAIN QUERY PLAN`; one line per plan line.
    pub async fn explain(&self, sql: &str) -> Result<Vec<String>, StoreError> {
        let (backend, text, column) = match self.backend() {
            Backend::Postgres => (
                DbBackend::Postgres,
                format!("EXPLAIN (ANALYZE, BUFFERS) {sql}"),
                "QUERY PLAN",
            ),
            Backend::Sqlite => (
                DbBackend::Sqlite,
                format!("EXPLAIN QUERY PLAN {sql}"),
                "detail",
            ),
        };
        let rows = self
            .conn()
            .query_all_raw(Statement::from_string(backend, text))
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| r.try_get::<String>("", column).ok())
            .collect())
    }
}

/// The SHA-256 of `text` in hex (as a submission version's `snapshot_hash`).
pub fn sha256_hex(text: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// `url` with its database name replaced by `name`.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.find('?') {
        Some(i) => (&url[..i], &url[i..]),
        None => (url, ""),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    match base[authority_start..].find('/') {
        Some(slash) => format!("{}/{name}{query}", &base[..authority_start + slash]),
        None => format!("{base}/{name}{query}"),
    }
}

async fn on_server(admin_url: &str, sql: &str) -> Result<(), StoreError> {
    if !(admin_url.starts_with("postgres://") || admin_url.starts_with("postgresql://")) {
        return Err(StoreError::UnsupportedUrl(redact(admin_url)));
    }
    let mut opt = ConnectOptions::new(admin_url);
    opt.max_connections(1)
        .min_connections(0)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    let admin = Database::connect(opt)
        .await
        .map_err(|e| StoreError::Connect {
            url: redact(admin_url),
            reason: e.to_string(),
        })?;
    let done = admin.execute_unprepared(sql).await;
    let _ = admin.close().await;
    done?;
    Ok(())
}

/// Creates the empty database `name` (a plain identifier) on the PostgreSQL server of
/// `admin_url`; returns its URL.
pub async fn create_database(admin_url: &str, name: &str) -> Result<String, StoreError> {
    let name = identifier(name)?;
    on_server(admin_url, &format!("CREATE DATABASE \"{name}\"")).await?;
    Ok(with_database(admin_url, name))
}

/// Drops the database `name` on the PostgreSQL server of `admin_url`, closing its connections.
pub async fn drop_database(admin_url: &str, name: &str) -> Result<(), StoreError> {
    let name = identifier(name)?;
    on_server(
        admin_url,
        &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_quoted() {
        let mut s = String::new();
        push_literal(&mut s, &Value::from("它's"));
        push_literal(&mut s, &Value::from(Some(3i64)));
        push_literal(&mut s, &Value::from(None::<i64>));
        push_literal(&mut s, &Value::from(true));
        assert_eq!(s, "'它''s'3NULLTRUE");
        assert!(identifier("form_rows").is_ok());
        assert!(identifier("x\"; DROP").is_err());
        assert_eq!(
            with_database("postgres://u@h:5432/test?sslmode=disable", "b"),
            "postgres://u@h:5432/b?sslmode=disable"
        );
    }
}
