//! The term and the money (四(一)–(三)):
//! - `term_records`: per person on the final list, what the receiving unit recorded (到岗 or 未到岗
//!   with a reason (dates are stored as `YYYY-MM-DD` text), the post held, 聘期任务, 岗位职责, 考核鉴定 with a summary) and the sending unit's
//!   remark; `version` counts its changes.
//! - `term_record_versions`: every version of a record as JSON, who and when (append-only).
//! - `term_closures`: the commission closed the term of a batch; its records are frozen.
//! - `ledger_entries`: the subsidy ledger, append-only: a grant (拨付), a 补拨 or a 扣回 (signed yuan),
//!   prepared by one 市教委管理员 and approved by another when there are two; paid with a date and a
//!   voucher number. A correction is a new entry, never an edit.
//! - `subsidy_uses`: the receiving school's report of how the subsidy was used, per category.
//! - `reminders`: a reminder the commission sent to a unit that is behind, by reason; at most one a
//!   day per unit and reason.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::{fk, index};

pub(super) struct Term;

impl MigrationName for Term {
    fn name(&self) -> &str {
        "m0005_term"
    }
}

#[derive(DeriveIden)]
enum Selections {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Batches {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Orgs {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum TermRecords {
    Table,
    Id,
    SelectionId,
    BatchId,
    Version,
    Arrival,
    ArrivedOn,
    AbsentReason,
    Post,
    Tasks,
    Duties,
    Assessment,
    Summary,
    SenderRemark,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum TermRecordVersions {
    Table,
    Id,
    RecordId,
    Version,
    Content,
    UserId,
    At,
}

#[derive(DeriveIden)]
enum TermClosures {
    Table,
    Id,
    BatchId,
    ClosedBy,
    ClosedAt,
}

#[derive(DeriveIden)]
enum LedgerEntries {
    Table,
    Id,
    BatchId,
    SchoolId,
    Kind,
    People,
    Rate,
    Amount,
    Reason,
    Status,
    PaidOn,
    Voucher,
    PreparedBy,
    PreparedAt,
    ApprovedBy,
    ApprovedAt,
}

#[derive(DeriveIden)]
enum SubsidyUses {
    Table,
    Id,
    BatchId,
    SchoolId,
    Amounts,
    Total,
    Note,
    UserId,
    At,
}

#[derive(DeriveIden)]
enum Reminders {
    Table,
    Id,
    BatchId,
    OrgId,
    Reason,
    Message,
    Day,
    Emailed,
    SentBy,
    SentAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Term {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::Cascade;

        m.create_table(
            Table::create()
                .table(TermRecords::Table)
                .col(big_pk_auto(TermRecords::Id))
                .col(big_integer(TermRecords::SelectionId))
                .col(big_integer(TermRecords::BatchId))
                .col(integer(TermRecords::Version))
                .col(string(TermRecords::Arrival))
                .col(string_null(TermRecords::ArrivedOn))
                .col(text(TermRecords::AbsentReason))
                .col(text(TermRecords::Post))
                .col(text(TermRecords::Tasks))
                .col(text(TermRecords::Duties))
                .col(string(TermRecords::Assessment))
                .col(text(TermRecords::Summary))
                .col(text(TermRecords::SenderRemark))
                .col(big_integer_null(TermRecords::UpdatedBy))
                .col(timestamp_with_time_zone(TermRecords::UpdatedAt))
                .foreign_key(&mut fk(
                    TermRecords::Table,
                    TermRecords::SelectionId,
                    Selections::Table,
                    Selections::Id,
                    Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("ux_term_records_selection", TermRecords::Table)
                .col(TermRecords::SelectionId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("idx_term_records_batch", TermRecords::Table)
                .col(TermRecords::BatchId)
                .col(TermRecords::Arrival)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(TermRecordVersions::Table)
                .col(big_pk_auto(TermRecordVersions::Id))
                .col(big_integer(TermRecordVersions::RecordId))
                .col(integer(TermRecordVersions::Version))
                .col(text(TermRecordVersions::Content))
                .col(big_integer_null(TermRecordVersions::UserId))
                .col(timestamp_with_time_zone(TermRecordVersions::At))
                .foreign_key(&mut fk(
                    TermRecordVersions::Table,
                    TermRecordVersions::RecordId,
                    TermRecords::Table,
                    TermRecords::Id,
                    Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("ux_term_record_versions", TermRecordVersions::Table)
                .col(TermRecordVersions::RecordId)
                .col(TermRecordVersions::Version)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(TermClosures::Table)
                .col(big_pk_auto(TermClosures::Id))
                .col(big_integer(TermClosures::BatchId))
                .col(big_integer_null(TermClosures::ClosedBy))
                .col(timestamp_with_time_zone(TermClosures::ClosedAt))
                .foreign_key(&mut fk(
                    TermClosures::Table,
                    TermClosures::BatchId,
                    Batches::Table,
                    Batches::Id,
                    Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("ux_term_closures_batch", TermClosures::Table)
                .col(TermClosures::BatchId)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(LedgerEntries::Table)
                .col(big_pk_auto(LedgerEntries::Id))
                .col(big_integer(LedgerEntries::BatchId))
                .col(big_integer(LedgerEntries::SchoolId))
                .col(string(LedgerEntries::Kind))
                .col(integer(LedgerEntries::People))
                .col(big_integer(LedgerEntries::Rate))
                .col(big_integer(LedgerEntries::Amount))
                .col(text(LedgerEntries::Reason))
                .col(string(LedgerEntries::Status))
                .col(string_null(LedgerEntries::PaidOn))
                .col(string(LedgerEntries::Voucher))
                .col(big_integer_null(LedgerEntries::PreparedBy))
                .col(timestamp_with_time_zone(LedgerEntries::PreparedAt))
                .col(big_integer_null(LedgerEntries::ApprovedBy))
                .col(timestamp_with_time_zone_null(LedgerEntries::ApprovedAt))
                .foreign_key(&mut fk(
                    LedgerEntries::Table,
                    LedgerEntries::BatchId,
                    Batches::Table,
                    Batches::Id,
                    Cascade,
                ))
                .foreign_key(&mut fk(
                    LedgerEntries::Table,
                    LedgerEntries::SchoolId,
                    Orgs::Table,
                    Orgs::Id,
                    Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("idx_ledger_school", LedgerEntries::Table)
                .col(LedgerEntries::BatchId)
                .col(LedgerEntries::SchoolId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(SubsidyUses::Table)
                .col(big_pk_auto(SubsidyUses::Id))
                .col(big_integer(SubsidyUses::BatchId))
                .col(big_integer(SubsidyUses::SchoolId))
                .col(text(SubsidyUses::Amounts))
                .col(big_integer(SubsidyUses::Total))
                .col(text(SubsidyUses::Note))
                .col(big_integer_null(SubsidyUses::UserId))
                .col(timestamp_with_time_zone(SubsidyUses::At))
                .foreign_key(&mut fk(
                    SubsidyUses::Table,
                    SubsidyUses::BatchId,
                    Batches::Table,
                    Batches::Id,
                    Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("ux_subsidy_uses_school", SubsidyUses::Table)
                .col(SubsidyUses::BatchId)
                .col(SubsidyUses::SchoolId)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Reminders::Table)
                .col(big_pk_auto(Reminders::Id))
                .col(big_integer(Reminders::BatchId))
                .col(big_integer(Reminders::OrgId))
                .col(string(Reminders::Reason))
                .col(text(Reminders::Message))
                .col(string(Reminders::Day))
                .col(boolean(Reminders::Emailed))
                .col(big_integer_null(Reminders::SentBy))
                .col(timestamp_with_time_zone(Reminders::SentAt))
                .foreign_key(&mut fk(
                    Reminders::Table,
                    Reminders::BatchId,
                    Batches::Table,
                    Batches::Id,
                    Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("ux_reminders_daily", Reminders::Table)
                .col(Reminders::BatchId)
                .col(Reminders::OrgId)
                .col(Reminders::Reason)
                .col(Reminders::Day)
                .unique()
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
