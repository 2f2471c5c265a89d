//! `m0003_security`: sessions keyed by a hash and tied to their account.
//!
//! - `sessions.id` now holds the SHA-256 (hex) of the session id, never the id itself, so a copy
//!   of the table cannot be replayed as cookies. Rows written before this migration hold raw ids
//!   and are deleted (their users sign in again).
//! - `sessions.user_id`: the signed-in account of the session (`NULL` before login), so a
//!   password change can end the account's other sessions and a reset all of them.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::index;

pub(super) struct Security;

impl MigrationName for Security {
    fn name(&self) -> &str {
        "m0003_security"
    }
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    UserId,
}

#[async_trait::async_trait]
impl MigrationTrait for Security {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.exec_stmt(Query::delete().from_table(Sessions::Table).to_owned())
            .await?;
        m.alter_table(
            Table::alter()
                .table(Sessions::Table)
                .add_column(big_integer_null(Sessions::UserId))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("idx_sessions_user", Sessions::Table)
                .col(Sessions::UserId)
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
