//! Checked uploads waiting for their commit (确认导入), kept in the database with an expiry so that
//! any instance of a deployment can take the commit of a preview made on another.
//!
//! The file is kept as it was sent (at most the upload limit); the commit reads it again, so what
//! is committed is exactly what was previewed. Expired uploads are removed whenever a new one is
//! kept, and a user keeps at most [`MAX_PER_USER`] uploads.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::db::{Store, Tx, db_time};
use crate::entity::pending_uploads;
use crate::error::StoreError;

/// Uploads one user may have waiting at once; the oldest goes first.
pub const MAX_PER_USER: usize = 16;

/// A checked upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingUpload {
    pub token: String,
    pub user_id: i64,
    pub form_id: i64,
    /// The form version the preview was checked against.
    pub form_version: i32,
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

fn out(m: pending_uploads::Model) -> PendingUpload {
    PendingUpload {
        token: m.token,
        user_id: m.user_id,
        form_id: m.form_id,
        form_version: m.form_version,
        file_name: m.file_name,
        bytes: m.bytes,
        created_at: m.created_at,
        expires_at: m.expires_at,
    }
}

impl Store {
    /// Keeps a checked upload until `now + ttl`.
    #[allow(clippy::too_many_arguments)]
    pub async fn keep_pending_upload(
        &self,
        token: &str,
        user_id: i64,
        form_id: i64,
        form_version: i32,
        file_name: &str,
        bytes: &[u8],
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let now = db_time(now);
        self.write(async |tx: &Tx| {
            pending_uploads::Entity::delete_many()
                .filter(pending_uploads::Column::ExpiresAt.lte(now))
                .exec(tx.conn())
                .await?;
            let mine: Vec<String> = pending_uploads::Entity::find()
                .select_only()
                .column(pending_uploads::Column::Token)
                .filter(pending_uploads::Column::UserId.eq(user_id))
                .order_by_desc(pending_uploads::Column::CreatedAt)
                .into_tuple()
                .all(tx.conn())
                .await?;
            let stale: Vec<String> = mine.into_iter().skip(MAX_PER_USER - 1).collect();
            if !stale.is_empty() {
                pending_uploads::Entity::delete_many()
                    .filter(pending_uploads::Column::Token.is_in(stale))
                    .exec(tx.conn())
                    .await?;
            }
            pending_uploads::Entity::insert(pending_uploads::ActiveModel {
                token: Set(token.to_owned()),
                user_id: Set(user_id),
                form_id: Set(form_id),
                form_version: Set(form_version),
                file_name: Set(file_name.to_owned()),
                bytes: Set(bytes.to_vec()),
                created_at: Set(now),
                expires_at: Set(db_time(now + ttl)),
            })
            .exec(tx.conn())
            .await?;
            Ok(())
        })
        .await
    }

    /// The upload kept under `token` for this user and form, unless it expired.
    pub async fn pending_upload(
        &self,
        token: &str,
        user_id: i64,
        form_id: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<PendingUpload>, StoreError> {
        Ok(pending_uploads::Entity::find_by_id(token.to_owned())
            .filter(pending_uploads::Column::UserId.eq(user_id))
            .filter(pending_uploads::Column::FormId.eq(form_id))
            .filter(pending_uploads::Column::ExpiresAt.gt(db_time(now)))
            .one(self.conn())
            .await?
            .map(out))
    }

    /// Removes a kept upload (after its commit).
    pub async fn drop_pending_upload(&self, token: &str) -> Result<(), StoreError> {
        pending_uploads::Entity::delete_by_id(token.to_owned())
            .exec(self.conn())
            .await?;
        Ok(())
    }
}
