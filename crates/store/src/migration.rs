//! The migration set, run by [`crate::Store::connect`] on SQLite and PostgreSQL alike: one file per
//! feature under `migration/`, oldest first, never edited once released.
//!
//! Every table is created with its keys, foreign keys and indexes in `CREATE TABLE`; the
//! `ALTER TABLE`s (m0003, a nullable column added to `sessions`; m0007, a defaulted text column
//! added to `users`; m0008, two nullable columns added to `form_rows`) are ones both backends run alike, so
//! no migration branches on the backend yet. A later migration that changes
//! a column must branch where SQLite's `ALTER TABLE` cannot (rebuild the table there).

use sea_orm_migration::prelude::*;

mod m0001_initial;
mod m0002_checks;
mod m0003_security;
mod m0004_selection;
mod m0005_term;
pub(crate) mod m0006_scale;
mod m0007_account_email;
mod m0008_row_objection;
mod m0009_school_people;

/// All migrations, oldest first.
pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_initial::Initial),
            Box::new(m0002_checks::Checks),
            Box::new(m0003_security::Security),
            Box::new(m0004_selection::Selection),
            Box::new(m0005_term::Term),
            Box::new(m0006_scale::Scale),
            Box::new(m0007_account_email::AccountEmail),
            Box::new(m0008_row_objection::RowObjection),
            Box::new(m0009_school_people::SchoolPeople),
        ]
    }
}

/// A foreign key `table.column → target.id`.
pub(crate) fn fk(
    table: impl IntoIden + 'static,
    column: impl IntoIden + 'static,
    target: impl IntoIden + 'static,
    target_id: impl IntoIden + 'static,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(target, target_id)
        .on_delete(on_delete)
        .to_owned()
}

pub(crate) fn index(name: &str, table: impl IntoIden + 'static) -> IndexCreateStatement {
    Index::create().name(name).table(table).to_owned()
}

pub(crate) fn blob_col(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).blob().not_null().to_owned()
}
