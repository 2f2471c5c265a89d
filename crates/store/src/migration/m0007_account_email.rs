//! `users.email`: where the commission's reminders to the account's unit are e-mailed (empty when
//! the account has none). A column both backends add alike with a default.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub(super) struct AccountEmail;

impl MigrationName for AccountEmail {
    fn name(&self) -> &str {
        "m0007_account_email"
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Email,
}

#[async_trait::async_trait]
impl MigrationTrait for AccountEmail {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Users::Table)
                .add_column(string(Users::Email).default(""))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
