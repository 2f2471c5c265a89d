//! The [`Store`]: one connection pool chosen at run time from the URL, the migrations, and the
//! write-transaction helper that every mutating function goes through.
//!
//! SQLite: WAL, `synchronous=FULL`, `busy_timeout=5000`, `foreign_keys=ON` on every pooled
//! connection (set through sqlx's connect options, which replay them on each new connection), and
//! every write transaction opens with `BEGIN IMMEDIATE` so that a read-then-write transaction takes
//! the write lock up front instead of failing with "database is locked" when it first writes.
//! PostgreSQL: plain `BEGIN` (READ COMMITTED); writers that read-then-write lock what they read
//! (`SELECT … FOR UPDATE`, which SeaORM omits on SQLite) or update conditionally.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;

use crate::error::StoreError;
use crate::migration::Migrator;

/// Which database the store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The database, cheap to clone (a pool handle).
#[derive(Clone)]
pub struct Store {
    pub(crate) db: DatabaseConnection,
    backend: Backend,
    /// Published final lists already read, by (publication id, made at): a published list never
    /// changes (a correction is a new publication), so the selection ids of its entries are
    /// parsed once per process instead of on every term page and 工作台.
    pub(crate) finals: crate::term::FinalLists,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

/// An open write transaction (see [`Store::write`]). Dropping it without commit rolls back.
pub struct Tx {
    pub(crate) txn: DatabaseTransaction,
}

impl Tx {
    pub(crate) fn conn(&self) -> &DatabaseTransaction {
        &self.txn
    }

    /// Commits the transaction.
    pub async fn commit(self) -> Result<(), StoreError> {
        self.txn.commit().await.map_err(StoreError::from)
    }
}

/// Who did something: recorded in the audit log with every state change.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Actor {
    /// The account, when there is one (`None` for the system and for anonymous requests).
    pub user_id: Option<i64>,
    /// The user name (or 「系统」).
    pub name: String,
    /// The client address as the web layer saw it ("" for the CLI).
    pub ip: String,
}

impl Actor {
    /// The system itself (first start, seeding, CLI commands without an account).
    pub fn system() -> Actor {
        Actor {
            user_id: None,
            name: "系统".to_string(),
            ip: String::new(),
        }
    }

    pub fn user(user_id: i64, name: &str, ip: &str) -> Actor {
        Actor {
            user_id: Some(user_id),
            name: name.to_string(),
            ip: ip.to_string(),
        }
    }
}

/// Which slice of a list to return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub offset: u64,
    pub limit: u64,
}

impl PageRequest {
    /// The largest page a caller may ask for.
    pub const MAX_LIMIT: u64 = 500;

    pub fn new(offset: u64, limit: u64) -> PageRequest {
        PageRequest {
            offset,
            limit: limit.clamp(1, Self::MAX_LIMIT),
        }
    }

    /// Page `page` (1-based) of `size` items.
    pub fn page(page: u64, size: u64) -> PageRequest {
        let size = size.clamp(1, Self::MAX_LIMIT);
        PageRequest::new(page.saturating_sub(1).saturating_mul(size), size)
    }
}

impl Default for PageRequest {
    fn default() -> PageRequest {
        PageRequest::new(0, 20)
    }
}

/// One page of a list and the total number of matching items.
#[derive(Debug, Clone, PartialEq)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub offset: u64,
    pub limit: u64,
}

/// A timestamp as stored: UTC, truncated to microseconds (PostgreSQL's precision) so that a value
/// compares equal after a round trip on either backend.
pub fn db_time(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(6)
}

/// The current time as stored.
pub fn now() -> DateTime<Utc> {
    db_time(Utc::now())
}

impl Store {
    /// Opens the database at `url` (`sqlite://PATH?mode=rwc` or `postgres://…`) and runs the
    /// migrations.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(redact(url)));
        };
        let mut opt = ConnectOptions::new(url);
        opt.sqlx_logging(false)
            .acquire_timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(10));
        match backend {
            Backend::Sqlite => {
                // WAL lets readers run beside the one writer; SeaORM defaults SQLite to a single
                // connection, which would serialise reads behind writes.
                opt.max_connections(8).min_connections(1);
                opt.map_sqlx_sqlite_opts(|o| {
                    o.create_if_missing(true)
                        .journal_mode(SqliteJournalMode::Wal)
                        .synchronous(SqliteSynchronous::Full)
                        .busy_timeout(Duration::from_millis(5000))
                        .foreign_keys(true)
                });
            }
            Backend::Postgres => {
                opt.max_connections(10).min_connections(0);
            }
        }
        let db = Database::connect(opt)
            .await
            .map_err(|e| StoreError::Connect {
                url: redact(url),
                reason: e.to_string(),
            })?;
        Migrator::up(&db, None)
            .await
            .map_err(|e| StoreError::Migration(e.to_string()))?;
        Ok(Store {
            db,
            backend,
            finals: crate::term::FinalLists::default(),
        })
    }

    /// The SQLite URL of the database file `shuangshi.db` in `dir`, creating `dir` (and its parents)
    /// when missing.
    pub fn sqlite_url_for_dir(dir: &Path) -> Result<String, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::DataDir {
            path: dir.display().to_string(),
            reason: e.to_string(),
        })?;
        let file = dir.join("shuangshi.db");
        Ok(format!("sqlite://{}?mode=rwc", file.display()))
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes the pool (waits for connections to be returned).
    pub async fn close(self) -> Result<(), StoreError> {
        self.db.close().await.map_err(StoreError::from)
    }

    /// Opens a write transaction: `BEGIN IMMEDIATE` on SQLite, `BEGIN` on PostgreSQL.
    pub async fn begin_write(&self) -> Result<Tx, StoreError> {
        let options = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        };
        let txn = self.db.begin_with_options(options).await?;
        Ok(Tx { txn })
    }

    /// Runs `f` in a write transaction: commits when it returns `Ok`, rolls back otherwise.
    /// For example, a change made elsewhere recorded together with its audit entry:
    ///
    /// ```text
    /// store.write(async |tx| store.audit_in(tx, AuditEntry::new(&actor, "export", "batch:1", "")).await).await?;
    /// ```
    pub async fn write<T>(
        &self,
        f: impl AsyncFnOnce(&Tx) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let tx = self.begin_write().await?;
        match f(&tx).await {
            Ok(v) => {
                tx.commit().await?;
                Ok(v)
            }
            Err(e) => {
                // Roll back now rather than when the connection is next used.
                let _ = tx.txn.rollback().await;
                Err(e)
            }
        }
    }

    pub(crate) fn conn(&self) -> &DatabaseConnection {
        &self.db
    }
}

/// The URL without its password, for messages.
pub(crate) fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let creds = &url[scheme_end + 3..at];
            match creds.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &creds[..colon],
                    &url[at..]
                ),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted_from_urls() {
        assert_eq!(
            redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("sqlite://x.db?mode=rwc"), "sqlite://x.db?mode=rwc");
    }

    #[test]
    fn pages_are_clamped() {
        assert_eq!(PageRequest::page(3, 10), PageRequest::new(20, 10));
        assert_eq!(PageRequest::new(0, 0).limit, 1);
        assert_eq!(PageRequest::new(0, 10_000).limit, PageRequest::MAX_LIMIT);
    }
}
