//! The test harness (feature `testing`): every test gets a fresh, migrated database of its own.
//!
//! With `TEST_DATABASE_URL` set (`postgres://…`), [`TestDb::new`] creates a uniquely named database
//! `ss_t_<unix seconds>_<pid>_<counter>_<random>` on that server, connects the [`Store`] to it, and
//! drops it (`WITH (FORCE)`) when the `TestDb` is dropped; the first `TestDb` of a process also
//! drops `ss_t_` databases left over by runs more than an hour old. When the variable is set but the
//! server cannot be reached, it panics with a message saying so, never falling back to SQLite.
//! Without the variable, the database is an SQLite file in a fresh temporary directory (never
//! `sqlite::memory:`, where each pooled connection would get its own empty database).

use std::sync::Once;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, Statement};

use crate::db::{Backend, Store, redact};

/// The variable naming the PostgreSQL server for tests.
pub const TEST_DATABASE_URL: &str = "TEST_DATABASE_URL";
const PREFIX: &str = "ss_t_";
const STALE_SECS: u64 = 3600;

static COUNTER: AtomicU64 = AtomicU64::new(0);
static CLEANUP: Once = Once::new();

enum Kind {
    Sqlite { _dir: tempfile::TempDir },
    Postgres { admin_url: String, name: String },
}

/// A fresh database for one test; derefs to its [`Store`].
pub struct TestDb {
    store: Store,
    url: String,
    kind: Kind,
}

impl std::ops::Deref for TestDb {
    type Target = Store;
    fn deref(&self) -> &Store {
        &self.store
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
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

async fn admin_connect(url: &str) -> Result<DatabaseConnection, sea_orm::DbErr> {
    let mut opt = ConnectOptions::new(url);
    opt.max_connections(1)
        .min_connections(0)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    Database::connect(opt).await
}

async fn drop_stale(admin: &DatabaseConnection) {
    let Ok(rows) = admin
        .query_all_raw(Statement::from_string(
            admin.get_database_backend(),
            format!("SELECT datname FROM pg_database WHERE datname LIKE '{PREFIX}%'"),
        ))
        .await
    else {
        return;
    };
    let now = unix_now();
    for row in rows {
        let Ok(name) = row.try_get::<String>("", "datname") else {
            continue;
        };
        let created = name
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split('_').next())
            .and_then(|s| s.parse::<u64>().ok());
        if created.is_some_and(|t| now.saturating_sub(t) > STALE_SECS) {
            let _ = admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .await;
        }
    }
}

impl TestDb {
    /// A fresh, migrated database: on `TEST_DATABASE_URL`'s server when set, else SQLite.
    ///
    /// # Panics
    /// When the database cannot be created or migrated, and in particular when
    /// `TEST_DATABASE_URL` is set but its server cannot be reached.
    pub async fn new() -> TestDb {
        match std::env::var(TEST_DATABASE_URL) {
            Ok(url) if !url.trim().is_empty() => TestDb::postgres(url.trim()).await,
            _ => TestDb::sqlite().await,
        }
    }

    async fn sqlite() -> TestDb {
        let dir = match tempfile::tempdir() {
            Ok(d) => d,
            Err(e) => panic!("cannot create a temporary directory for the test database: {e}"),
        };
        let url = match Store::sqlite_url_for_dir(dir.path()) {
            Ok(u) => u,
            Err(e) => panic!("{e}"),
        };
        let store = match Store::connect(&url).await {
            Ok(s) => s,
            Err(e) => panic!("cannot open the SQLite test database {url}: {e}"),
        };
        TestDb {
            store,
            url,
            kind: Kind::Sqlite { _dir: dir },
        }
    }

    async fn postgres(admin_url: &str) -> TestDb {
        if !(admin_url.starts_with("postgres://") || admin_url.starts_with("postgresql://")) {
            panic!(
                "{TEST_DATABASE_URL} must be a postgres:// URL, got {}",
                redact(admin_url)
            );
        }
        let admin = match admin_connect(admin_url).await {
            Ok(a) => a,
            Err(e) => panic!(
                "{TEST_DATABASE_URL} is set to {} but the PostgreSQL server cannot be reached: {e}",
                redact(admin_url)
            ),
        };
        let mut first = false;
        CLEANUP.call_once(|| first = true);
        if first {
            drop_stale(&admin).await;
        }
        let mut salt = [0u8; 4];
        rand::fill(&mut salt[..]);
        let name = format!(
            "{PREFIX}{}_{}_{}_{}",
            unix_now(),
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            hex::encode(salt)
        );
        if let Err(e) = admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
        {
            panic!("cannot create the test database {name}: {e}");
        }
        let _ = admin.close().await;
        let url = with_database(admin_url, &name);
        let store = match Store::connect(&url).await {
            Ok(s) => s,
            Err(e) => panic!("cannot open the test database {name}: {e}"),
        };
        TestDb {
            store,
            url,
            kind: Kind::Postgres {
                admin_url: admin_url.to_string(),
                name,
            },
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The URL the store is connected to (e.g. to connect a second store to the same database).
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn is_postgres(&self) -> bool {
        self.store.backend() == Backend::Postgres
    }

    /// Runs raw SQL (for tests that tamper with stored data); returns the rows affected.
    ///
    /// # Panics
    /// When the statement fails.
    pub async fn execute(&self, sql: &str) -> u64 {
        match self.store.conn().execute_unprepared(sql).await {
            Ok(r) => r.rows_affected(),
            Err(e) => panic!("{sql}: {e}"),
        }
    }

    /// The first column of the first row of `sql`, as text (`None` when there is no row).
    /// Integer and text columns are read; others come back as `None`.
    ///
    /// # Panics
    /// When the query fails.
    pub async fn query_text(&self, sql: &str) -> Option<String> {
        let conn = self.store.conn();
        let row = match conn
            .query_one_raw(Statement::from_string(conn.get_database_backend(), sql))
            .await
        {
            Ok(r) => r?,
            Err(e) => panic!("{sql}: {e}"),
        };
        if let Ok(s) = row.try_get_by_index::<String>(0) {
            return Some(s);
        }
        if let Ok(i) = row.try_get_by_index::<i64>(0) {
            return Some(i.to_string());
        }
        if let Ok(i) = row.try_get_by_index::<i32>(0) {
            return Some(i.to_string());
        }
        None
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Kind::Postgres { admin_url, name } = &self.kind else {
            return;
        };
        let (admin_url, name) = (admin_url.clone(), name.clone());
        // Best effort, on a thread of its own: Drop cannot await, and the test's runtime may be a
        // current-thread one that this call blocks.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                if let Ok(admin) = admin_connect(&admin_url).await {
                    let _ = admin
                        .execute_unprepared(&format!(
                            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                        ))
                        .await;
                    let _ = admin.close().await;
                }
            });
        })
        .join();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_names_are_replaced_in_urls() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u:p@h/test?sslmode=disable", "x"),
            "postgres://u:p@h/x?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://h:5432", "x"),
            "postgres://h:5432/x"
        );
    }
}
