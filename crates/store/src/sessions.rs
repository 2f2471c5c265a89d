//! tower-sessions' [`SessionStore`] on the `sessions` table, so several app instances can serve one
//! deployment. The record's data is stored as JSON text; expired records are never loaded and
//! [`ExpiredDeletion::delete_expired`] removes them.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use tower_sessions_core::session::{Id, Record};
use tower_sessions_core::session_store::{self, ExpiredDeletion, SessionStore};

use crate::db::{Store, db_time};
use crate::entity::sessions;
use crate::error::StoreError;

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
    async fn insert_session(&self, record: &Record, replace: bool) -> Result<(), StoreError> {
        let data =
            serde_json::to_string(&record.data).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let am = sessions::ActiveModel {
            id: Set(record.id.to_string()),
            data: Set(data),
            expiry_date: Set(to_chrono(record.expiry_date)),
        };
        let mut insert = sessions::Entity::insert(am);
        if replace {
            insert = insert.on_conflict(
                OnConflict::column(sessions::Column::Id)
                    .update_columns([sessions::Column::Data, sessions::Column::ExpiryDate])
                    .to_owned(),
            );
        }
        let tx = self.begin_write().await?;
        insert.exec_without_returning(tx.conn()).await?;
        tx.commit().await
    }
}

#[async_trait]
impl SessionStore for Store {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // A new id on the (astronomically unlikely) collision.
        for _ in 0..8 {
            match self.insert_session(record, false).await {
                Ok(()) => return Ok(()),
                Err(StoreError::Conflict(_)) => record.id = Id::default(),
                Err(e) => return Err(backend(e)),
            }
        }
        Err(backend("无法生成唯一的会话标识"))
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.insert_session(record, true).await.map_err(backend)
    }

    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        let row = sessions::Entity::find_by_id(session_id.to_string())
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
        sessions::Entity::delete_by_id(session_id.to_string())
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
