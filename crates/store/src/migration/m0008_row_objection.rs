//! `form_rows.objection` and `form_rows.confirmed_cells`: the enterprise's 「有异议」 on a row (its
//! reason, read by the school next to the row; cleared when the school edits the row or the
//! enterprise confirms it) and the cells as the enterprise last confirmed them (kept when an edit
//! clears the confirmation, so the enterprise sees what changed since). Nullable text columns both
//! backends add alike.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub(super) struct RowObjection;

impl MigrationName for RowObjection {
    fn name(&self) -> &str {
        "m0008_row_objection"
    }
}

#[derive(DeriveIden)]
enum FormRows {
    Table,
    Objection,
    ConfirmedCells,
}

#[async_trait::async_trait]
impl MigrationTrait for RowObjection {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        m.alter_table(
            Table::alter()
                .table(FormRows::Table)
                .add_column(text_null(FormRows::Objection))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(FormRows::Table)
                .add_column(text_null(FormRows::ConfirmedCells))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
