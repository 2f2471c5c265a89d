//! tower-sessions' [`SessionStore`] on the `sessions` table, so several app instances can serve one
//! deployment. The record's data is stored as JSON text; expired records are never loaded and
//! [`ExpiredDeletion::delete_expired`] removes them.
//!
//! A row is keyed by the SHA-256 of the session id ([`session_key`]), never by the id itself, as
//! API tokens are: the table alone does not give anyone a cookie. The row also carries the
//! account of the session (the record's [`SESSION_USER`] entry), so a password change or reset
//! ([`Store::change_password`], [`Store::reset_password`]) can end the account's sessions when its password changes or is reset.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use tower_sessions_core::session::{Id, Record};
use tower_sessions_core::session_store::{self, ExpiredDeletion, SessionStore};

use crate::db::{Store, db_time};
use crate::entity::sessions;
use crate::error::StoreError;

/// The record entry holding the signed-in account's id (a JSON number).
pub const SESSION_USER: &str = "uid";

/// The key a session is stored under: the SHA-256 (hex) of its id.
pub fn session_key(id: &Id) -> String {
    crate::accounts::sha256_hex(id.to_string().as_bytes())
}

fn backend(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

fn to_chrono(t: time::OffsetDateTime) -> DateTime<Utc> {
    let nanos = t.unix_timestamp_nanos();
    let secs = nanos.div_euclid(1_000_000_000);
    let sub = nanos.rem_euclid(1_000_000_000);
    let secs = i64::try_from(secs).unwrap_or(i64::MAX);
    let sub = u32::try_from(sub).unwrap_or(0);
    db_time(DateTime::from_timestamp(secs, sub).unwrap_or(DateTime::<Utc>::MAX_UTC))
}

fn to_time(t: DateTime<Utc>) -> Result<time::OffsetDateTime, session_store::Error> {
    let nanos = i128::from(t.timestamp()) * 1_000_000_000 + i128::from(t.timestamp_subsec_nanos());
    time::OffsetDateTime::from_unix_timestamp_nanos(nanos).map_err(backend)
}

impl Store {
    /// Writes `record`: a new row (`create`), or the existing row's data and expiry (`save`). A
    /// save never brings back a row that is gone: a session ended meanwhile (logout, a password
    /// change elsewhere) stays ended even when a request of it was still running.
    async fn write_session(&self, record: &Record, create: bool) -> Result<(), StoreError> {
        let data =
            serde_json::to_string(&record.data).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let user_id = record
            .data
            .get(SESSION_USER)
            .and_then(serde_json::Value::as_i64);
        let key = session_key(&record.id);
        let expiry = to_chrono(record.expiry_date);
        let tx = self.begin_write().await?;
        if create {
            let am = sessions::ActiveModel {
                id: Set(key),
                data: Set(data),
                expiry_date: Set(expiry),
                user_id: Set(user_id),
            };
            sessions::Entity::insert(am)
                .exec_without_returning(tx.conn())
                .await?;
        } else {
            sessions::Entity::update_many()
                .col_expr(sessions::Column::Data, Expr::value(data))
                .col_expr(sessions::Column::ExpiryDate, Expr::value(expiry))
                .col_expr(sessions::Column::UserId, Expr::value(user_id))
                .filter(sessions::Column::Id.eq(key))
                .exec(tx.conn())
                .await?;
        }
        tx.commit().await
    }

    /// How many live sessions `user_id` has.
    pub async fn count_sessions(&self, user_id: i64) -> Result<u64, StoreError> {
        use sea_orm::PaginatorTrait;
        Ok(sessions::Entity::find()
            .filter(sessions::Column::UserId.eq(user_id))
            .filter(sessions::Column::ExpiryDate.gt(crate::db::now()))
            .count(self.conn())
            .await?)
    }
}

/// Ends every session of `user_id` inside the caller's transaction; returns how many ended.
pub(crate) async fn end_sessions_in(
    conn: &impl ConnectionTrait,
    user_id: i64,
) -> Result<u64, StoreError> {
    Ok(sessions::Entity::delete_many()
        .filter(sessions::Column::UserId.eq(user_id))
        .exec(conn)
        .await?
        .rows_affected)
}

#[async_trait]
impl SessionStore for Store {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // A new id on the (astronomically unlikely) collision.
        for _ in 0..8 {
            match self.write_session(record, true).await {
                Ok(()) => return Ok(()),
                Err(StoreError::Conflict(_)) => record.id = Id::default(),
                Err(e) => return Err(backend(e)),
            }
        }
        Err(backend("无法生成唯一的会话标识"))
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.write_session(record, false).await.map_err(backend)
    }

    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        let row = sessions::Entity::find_by_id(session_key(session_id))
            .filter(sessions::Column::ExpiryDate.gt(crate::db::now()))
            .one(self.conn())
            .await
            .map_err(backend)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let data = serde_json::from_str(&row.data)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *session_id,
            data,
            expiry_date: to_time(row.expiry_date)?,
        }))
    }

    async fn delete(&self, session_id: &Id) -> session_store::Result<()> {
        let tx = self.begin_write().await.map_err(backend)?;
        sessions::Entity::delete_by_id(session_key(session_id))
            .exec(tx.conn())
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)
    }
}

#[async_trait]
impl ExpiredDeletion for Store {
    async fn delete_expired(&self) -> session_store::Result<()> {
        let tx = self.begin_write().await.map_err(backend)?;
        sessions::Entity::delete_many()
            .filter(sessions::Column::ExpiryDate.lte(crate::db::now()))
            .exec(tx.conn())
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_converts_both_ways_at_microsecond_precision() {
        let t = time::OffsetDateTime::from_unix_timestamp_nanos(1_700_000_000_123_456_789).unwrap();
        let c = to_chrono(t);
        assert_eq!(c.timestamp_subsec_nanos(), 123_456_000);
        let back = to_time(c).unwrap();
        assert_eq!(back.unix_timestamp_nanos(), 1_700_000_000_123_456_000);
    }
}
