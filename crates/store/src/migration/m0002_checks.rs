//! `m0002_checks`: findings kept as data, and checked uploads waiting for their commit.
//!
//! - `form_checks`: per form, the version it was checked at, its tally and its own findings.
//! - `school_checks`: per school and batch, the findings about the school as a whole.
//! - `people_index`: every person row of every form by identity key (normalised mobile, normalised
//!   name + sending unit, normalised name + mobile across batches), so the batch-level duplicate
//!   rules run over the people who share a key, never over every form of the batch.
//! - `batch_findings`: the duplicate findings (D01–D03) per key and per form they concern.
//! - `pending_uploads`: a checked upload (the file as sent) waiting for 确认导入, with its expiry,
//!   so any instance of a deployment can take the commit.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::{blob_col, fk, index};

pub(super) struct Checks;

impl MigrationName for Checks {
    fn name(&self) -> &str {
        "m0002_checks"
    }
}

#[derive(DeriveIden)]
enum Forms {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum FormChecks {
    Table,
    FormId,
    BatchId,
    SchoolId,
    FormVersion,
    Teachers,
    TechVps,
    Engineers,
    Deans,
    Undetermined,
    Findings,
    CheckedAt,
}

#[derive(DeriveIden)]
enum SchoolChecks {
    Table,
    Id,
    BatchId,
    SchoolId,
    Stamp,
    Findings,
    CheckedAt,
}

#[derive(DeriveIden)]
enum PeopleIndex {
    Table,
    Id,
    BatchId,
    SchoolId,
    FormId,
    RowNo,
    MobileKey,
    NameKey,
    PersonKey,
    Occurrence,
}

#[derive(DeriveIden)]
enum BatchFindings {
    Table,
    Id,
    BatchId,
    FormId,
    RowNo,
    Key,
    Own,
    Finding,
}

#[derive(DeriveIden)]
enum PendingUploads {
    Table,
    Token,
    UserId,
    FormId,
    FormVersion,
    FileName,
    Bytes,
    CreatedAt,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Checks {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::Cascade;

        m.create_table(
            Table::create()
                .table(FormChecks::Table)
                .col(big_integer(FormChecks::FormId).primary_key())
                .col(big_integer(FormChecks::BatchId))
                .col(big_integer(FormChecks::SchoolId))
                .col(integer(FormChecks::FormVersion))
                .col(integer(FormChecks::Teachers))
                .col(integer(FormChecks::TechVps))
                .col(integer(FormChecks::Engineers))
                .col(integer(FormChecks::Deans))
                .col(integer(FormChecks::Undetermined))
                .col(text(FormChecks::Findings))
                .col(timestamp_with_time_zone(FormChecks::CheckedAt))
                .foreign_key(&mut fk(
                    FormChecks::Table,
                    FormChecks::FormId,
                    Forms::Table,
                    Forms::Id,
                    Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("idx_form_checks_school", FormChecks::Table)
                .col(FormChecks::BatchId)
                .col(FormChecks::SchoolId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(SchoolChecks::Table)
                .col(big_pk_auto(SchoolChecks::Id))
                .col(big_integer(SchoolChecks::BatchId))
                .col(big_integer(SchoolChecks::SchoolId))
                .col(string(SchoolChecks::Stamp))
                .col(text(SchoolChecks::Findings))
                .col(timestamp_with_time_zone(SchoolChecks::CheckedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("ux_school_checks_pair", SchoolChecks::Table)
                .col(SchoolChecks::BatchId)
                .col(SchoolChecks::SchoolId)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(PeopleIndex::Table)
                .col(big_pk_auto(PeopleIndex::Id))
                .col(big_integer(PeopleIndex::BatchId))
                .col(big_integer(PeopleIndex::SchoolId))
                .col(big_integer(PeopleIndex::FormId))
                .col(integer(PeopleIndex::RowNo))
                .col(string_null(PeopleIndex::MobileKey))
                .col(string_null(PeopleIndex::NameKey))
                .col(string_null(PeopleIndex::PersonKey))
                .col(text(PeopleIndex::Occurrence))
                .foreign_key(&mut fk(
                    PeopleIndex::Table,
                    PeopleIndex::FormId,
                    Forms::Table,
                    Forms::Id,
                    Cascade,
                ))
                .to_owned(),
        )
        .await?;
        for (name, col) in [
            ("idx_people_mobile", PeopleIndex::MobileKey),
            ("idx_people_name", PeopleIndex::NameKey),
            ("idx_people_person", PeopleIndex::PersonKey),
        ] {
            m.create_index(
                index(name, PeopleIndex::Table)
                    .col(PeopleIndex::BatchId)
                    .col(col)
                    .to_owned(),
            )
            .await?;
        }
        m.create_index(
            index("idx_people_form", PeopleIndex::Table)
                .col(PeopleIndex::FormId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(BatchFindings::Table)
                .col(big_pk_auto(BatchFindings::Id))
                .col(big_integer(BatchFindings::BatchId))
                .col(big_integer(BatchFindings::FormId))
                .col(integer_null(BatchFindings::RowNo))
                .col(string(BatchFindings::Key))
                .col(boolean(BatchFindings::Own))
                .col(text(BatchFindings::Finding))
                .foreign_key(&mut fk(
                    BatchFindings::Table,
                    BatchFindings::FormId,
                    Forms::Table,
                    Forms::Id,
                    Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("idx_batch_findings_key", BatchFindings::Table)
                .col(BatchFindings::BatchId)
                .col(BatchFindings::Key)
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("idx_batch_findings_form", BatchFindings::Table)
                .col(BatchFindings::FormId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(PendingUploads::Table)
                .col(string(PendingUploads::Token).primary_key())
                .col(big_integer(PendingUploads::UserId))
                .col(big_integer(PendingUploads::FormId))
                .col(integer(PendingUploads::FormVersion))
                .col(string(PendingUploads::FileName))
                .col(blob_col(PendingUploads::Bytes))
                .col(timestamp_with_time_zone(PendingUploads::CreatedAt))
                .col(timestamp_with_time_zone(PendingUploads::ExpiresAt))
                .foreign_key(&mut fk(
                    PendingUploads::Table,
                    PendingUploads::UserId,
                    Users::Table,
                    Users::Id,
                    Cascade,
                ))
                .foreign_key(&mut fk(
                    PendingUploads::Table,
                    PendingUploads::FormId,
                    Forms::Table,
                    Forms::Id,
                    Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("idx_pending_uploads_expiry", PendingUploads::Table)
                .col(PendingUploads::ExpiresAt)
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
