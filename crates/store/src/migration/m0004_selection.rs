//! `m0004_selection`: the second half of a batch's review — copies, selection, 公示, the final list.
//!
//! - `copies`: per submitted version and form, the oversight body that receives its copy (四(四):
//!   `sasac`, `federation`, or `none` for 未分送), decided when the school submits.
//! - `selections`: every person of an accepted submission, with the public fields of the row as
//!   accepted, the direction the rules decided, and the commission's decision (`pending`,
//!   `selected`, `rejected` with a reason).
//! - `opinions`: an oversight body's opinion on a person in its copies (`agree`, `object` + reason).
//! - `publications`: a 公示 or a final list (revision), its frozen public entries (JSON), the
//!   window, the maker and the approver.
//! - `objections`: what the public sent during a 公示, and how the commission handled it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::{fk, index};

pub(super) struct Selection;

impl MigrationName for Selection {
    fn name(&self) -> &str {
        "m0004_selection"
    }
}

#[derive(DeriveIden)]
enum SubmissionVersions {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Copies {
    Table,
    Id,
    BatchId,
    SchoolId,
    SubmissionVersionId,
    FormId,
    PartnershipId,
    EnterpriseId,
    Body,
    RoutedAt,
}

#[derive(DeriveIden)]
enum Selections {
    Table,
    Id,
    BatchId,
    SchoolId,
    EnterpriseId,
    SubmissionVersionId,
    FormId,
    RowNo,
    Name,
    Direction,
    Post,
    SendingUnit,
    ReceivingUnit,
    Term,
    Body,
    Status,
    Reason,
    DecidedBy,
    DecidedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Opinions {
    Table,
    Id,
    SelectionId,
    Body,
    Opinion,
    Reason,
    UserId,
    At,
}

#[derive(DeriveIden)]
enum Publications {
    Table,
    Id,
    BatchId,
    Kind,
    Revision,
    State,
    Entries,
    Note,
    OpensAt,
    ClosesAt,
    MadeBy,
    MadeAt,
    ApprovedBy,
    PublishedAt,
}

#[derive(DeriveIden)]
enum Objections {
    Table,
    Id,
    PublicationId,
    BatchId,
    SelectionId,
    Person,
    Contact,
    Body,
    AddressKey,
    Status,
    Note,
    HandledBy,
    HandledAt,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Selection {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, SetNull};

        m.create_table(
            Table::create()
                .table(Copies::Table)
                .col(big_pk_auto(Copies::Id))
                .col(big_integer(Copies::BatchId))
                .col(big_integer(Copies::SchoolId))
                .col(big_integer(Copies::SubmissionVersionId))
                .col(big_integer(Copies::FormId))
                .col(big_integer(Copies::PartnershipId))
                .col(big_integer(Copies::EnterpriseId))
                .col(string(Copies::Body))
                .col(timestamp_with_time_zone(Copies::RoutedAt))
                .foreign_key(&mut fk(
                    Copies::Table,
                    Copies::SubmissionVersionId,
                    SubmissionVersions::Table,
                    SubmissionVersions::Id,
                    Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("idx_copies_body", Copies::Table)
                .col(Copies::Body)
                .col(Copies::BatchId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("idx_copies_version", Copies::Table)
                .col(Copies::SubmissionVersionId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("idx_copies_partnership", Copies::Table)
                .col(Copies::PartnershipId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Selections::Table)
                .col(big_pk_auto(Selections::Id))
                .col(big_integer(Selections::BatchId))
                .col(big_integer(Selections::SchoolId))
                .col(big_integer(Selections::EnterpriseId))
                .col(big_integer(Selections::SubmissionVersionId))
                .col(big_integer(Selections::FormId))
                .col(integer(Selections::RowNo))
                .col(string(Selections::Name))
                .col(string(Selections::Direction))
                .col(string(Selections::Post))
                .col(string(Selections::SendingUnit))
                .col(string(Selections::ReceivingUnit))
                .col(string(Selections::Term))
                .col(string(Selections::Body))
                .col(string(Selections::Status))
                .col(text(Selections::Reason))
                .col(big_integer_null(Selections::DecidedBy))
                .col(timestamp_with_time_zone_null(Selections::DecidedAt))
                .col(timestamp_with_time_zone(Selections::CreatedAt))
                .foreign_key(&mut fk(
                    Selections::Table,
                    Selections::SubmissionVersionId,
                    SubmissionVersions::Table,
                    SubmissionVersions::Id,
                    Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("idx_selections_batch", Selections::Table)
                .col(Selections::BatchId)
                .col(Selections::Status)
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("ux_selections_row", Selections::Table)
                .col(Selections::SubmissionVersionId)
                .col(Selections::FormId)
                .col(Selections::RowNo)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Opinions::Table)
                .col(big_pk_auto(Opinions::Id))
                .col(big_integer(Opinions::SelectionId))
                .col(string(Opinions::Body))
                .col(string(Opinions::Opinion))
                .col(text(Opinions::Reason))
                .col(big_integer_null(Opinions::UserId))
                .col(timestamp_with_time_zone(Opinions::At))
                .foreign_key(&mut fk(
                    Opinions::Table,
                    Opinions::SelectionId,
                    Selections::Table,
                    Selections::Id,
                    Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("ux_opinions_pair", Opinions::Table)
                .col(Opinions::SelectionId)
                .col(Opinions::Body)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Publications::Table)
                .col(big_pk_auto(Publications::Id))
                .col(big_integer(Publications::BatchId))
                .col(string(Publications::Kind))
                .col(integer(Publications::Revision))
                .col(string(Publications::State))
                .col(text(Publications::Entries))
                .col(text(Publications::Note))
                .col(timestamp_with_time_zone_null(Publications::OpensAt))
                .col(timestamp_with_time_zone_null(Publications::ClosesAt))
                .col(big_integer_null(Publications::MadeBy))
                .col(timestamp_with_time_zone(Publications::MadeAt))
                .col(big_integer_null(Publications::ApprovedBy))
                .col(timestamp_with_time_zone_null(Publications::PublishedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("idx_publications_batch", Publications::Table)
                .col(Publications::BatchId)
                .col(Publications::Kind)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Objections::Table)
                .col(big_pk_auto(Objections::Id))
                .col(big_integer(Objections::PublicationId))
                .col(big_integer(Objections::BatchId))
                .col(big_integer_null(Objections::SelectionId))
                .col(string(Objections::Person))
                .col(string(Objections::Contact))
                .col(text(Objections::Body))
                .col(string(Objections::AddressKey))
                .col(string(Objections::Status))
                .col(text(Objections::Note))
                .col(big_integer_null(Objections::HandledBy))
                .col(timestamp_with_time_zone_null(Objections::HandledAt))
                .col(timestamp_with_time_zone(Objections::CreatedAt))
                .foreign_key(&mut fk(
                    Objections::Table,
                    Objections::PublicationId,
                    Publications::Table,
                    Publications::Id,
                    Cascade,
                ))
                .foreign_key(&mut fk(
                    Objections::Table,
                    Objections::SelectionId,
                    Selections::Table,
                    Selections::Id,
                    SetNull,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("idx_objections_address", Objections::Table)
                .col(Objections::AddressKey)
                .col(Objections::CreatedAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("idx_objections_batch", Objections::Table)
                .col(Objections::BatchId)
                .col(Objections::Status)
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
