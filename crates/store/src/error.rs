//! [`StoreError`]: why a store operation failed. `Display` is the Chinese message a user may see;
//! database details stay in the source chain for the log.

use sea_orm::{DbErr, SqlErr};

/// A failed store operation.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be opened or reached.
    #[error("无法连接数据库（{url}）：{reason}")]
    Connect { url: String, reason: String },
    /// The database URL is not one the store understands.
    #[error("不支持的数据库地址「{0}」：应为 sqlite://文件路径?mode=rwc 或 postgres://…")]
    UnsupportedUrl(String),
    /// A data directory or file could not be created.
    #[error("无法创建数据目录「{path}」：{reason}")]
    DataDir { path: String, reason: String },
    /// Migrating the schema failed.
    #[error("数据库结构升级失败：{0}")]
    Migration(String),
    /// Any other database failure (a lost connection, a timeout, a busy database).
    #[error("数据库操作失败，请稍后重试")]
    Db(#[source] DbErr),
    /// The thing asked for does not exist (or is outside the caller's scope).
    #[error("{0}不存在或无权访问")]
    NotFound(&'static str),
    /// A unique value is taken (user name, organisation name, batch number …).
    #[error("{0}")]
    Conflict(String),
    /// The input is not acceptable; the message says why.
    #[error("{0}")]
    Invalid(String),
    /// Someone else changed the form since the caller read it.
    #[error("表单已被修改（当前第 {current} 版，您编辑的是第 {expected} 版），请刷新后重试")]
    VersionConflict { expected: i32, current: i32 },
    /// The current state does not allow the operation; the message says why.
    #[error("{0}")]
    State(String),
    /// Too many requests from one sender; the message says the limit.
    #[error("{0}")]
    Throttled(String),
    /// Hashing a password failed (should not happen).
    #[error("密码处理失败")]
    Password,
    /// Stored data could not be read back (a corrupted row).
    #[error("数据库中的数据已损坏：{0}")]
    Corrupt(String),
}

impl From<DbErr> for StoreError {
    fn from(e: DbErr) -> StoreError {
        match e.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => {
                StoreError::Conflict("数据重复：该记录已存在".to_string())
            }
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => {
                StoreError::Invalid("引用的记录不存在或仍被其他记录使用".to_string())
            }
            _ => StoreError::Db(e),
        }
    }
}

impl StoreError {
    /// Whether this is a unique-constraint violation (for callers that want their own message).
    pub fn is_conflict(&self) -> bool {
        matches!(self, StoreError::Conflict(_))
    }
}

/// Maps a unique violation to a specific Chinese message, leaving other errors as they are.
pub(crate) fn on_conflict(e: DbErr, message: impl FnOnce() -> String) -> StoreError {
    match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => StoreError::Conflict(message()),
        _ => StoreError::from(e),
    }
}
