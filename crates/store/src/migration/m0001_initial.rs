//! `m0001_initial`: the registry, accounts, sessions, tokens, the audit chain, batches,
//! partnerships, forms with their rows and scans, submissions with versions and reviews.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::{blob_col, fk, index};

pub(super) struct Initial;

impl MigrationName for Initial {
    fn name(&self) -> &str {
        "m0001_initial"
    }
}

#[derive(DeriveIden)]
enum Orgs {
    Table,
    Id,
    Name,
    NameKey,
    Category,
    Affiliation,
    CreditCode,
    District,
    IsSchool,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Username,
    DisplayName,
    Role,
    OrgId,
    PasswordHash,
    MustChangePassword,
    FailedLogins,
    LockedUntil,
    Active,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    Data,
    ExpiryDate,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    UserId,
    Name,
    TokenHash,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    At,
    ActorUserId,
    ActorName,
    Ip,
    Action,
    Target,
    Detail,
    PrevHash,
    Hash,
}

#[derive(DeriveIden)]
enum AuditHead {
    Table,
    Id,
    LastId,
    LastHash,
}

#[derive(DeriveIden)]
enum Batches {
    Table,
    Id,
    Number,
    Name,
    ParamsToml,
    Status,
    CreatedAt,
}

#[derive(DeriveIden)]
enum DeadlineExtensions {
    Table,
    Id,
    BatchId,
    SchoolId,
    Deadline,
}

#[derive(DeriveIden)]
enum Partnerships {
    Table,
    Id,
    BatchId,
    SchoolId,
    EnterpriseId,
    Status,
    Tags,
    ProposedBy,
    CreatedAt,
    ConfirmedAt,
}

#[derive(DeriveIden)]
enum Forms {
    Table,
    Id,
    PartnershipId,
    Version,
    HeaderSchool,
    HeaderEnterprise,
    Filler,
    Phone,
    ContentHash,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum FormRows {
    Table,
    Id,
    FormId,
    Position,
    Cells,
    ConfirmedVersion,
}

#[derive(DeriveIden)]
enum Scans {
    Table,
    Id,
    FormId,
    FormVersion,
    ContentType,
    Bytes,
    Sha256,
    Size,
    UploadedBy,
    UploadedAt,
}

#[derive(DeriveIden)]
enum Submissions {
    Table,
    Id,
    BatchId,
    SchoolId,
    Status,
    CurrentVersion,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SubmissionVersions {
    Table,
    Id,
    SubmissionId,
    VersionNo,
    ReceiptNo,
    Snapshot,
    SnapshotHash,
    SubmittedBy,
    SubmittedAt,
}

#[derive(DeriveIden)]
enum Reviews {
    Table,
    Id,
    SubmissionVersionId,
    Decision,
    Reasons,
    Note,
    ReviewerId,
    At,
}

#[async_trait::async_trait]
impl MigrationTrait for Initial {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, Restrict, SetNull};

        m.create_table(
            Table::create()
                .table(Orgs::Table)
                .col(big_pk_auto(Orgs::Id))
                .col(string_uniq(Orgs::Name))
                .col(string_uniq(Orgs::NameKey))
                .col(string(Orgs::Category))
                .col(string(Orgs::Affiliation))
                .col(string(Orgs::CreditCode))
                .col(string(Orgs::District))
                .col(boolean(Orgs::IsSchool))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("idx_orgs_category", Orgs::Table)
                .col(Orgs::Category)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Users::Table)
                .col(big_pk_auto(Users::Id))
                .col(string_uniq(Users::Username))
                .col(string(Users::DisplayName))
                .col(string(Users::Role))
                .col(big_integer_null(Users::OrgId))
                .col(string(Users::PasswordHash))
                .col(boolean(Users::MustChangePassword))
                .col(integer(Users::FailedLogins))
                .col(timestamp_with_time_zone_null(Users::LockedUntil))
                .col(boolean(Users::Active))
                .col(timestamp_with_time_zone(Users::CreatedAt))
                .foreign_key(&mut fk(
                    Users::Table,
                    Users::OrgId,
                    Orgs::Table,
                    Orgs::Id,
                    Restrict,
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Sessions::Table)
                .col(string(Sessions::Id).primary_key())
                .col(text(Sessions::Data))
                .col(timestamp_with_time_zone(Sessions::ExpiryDate))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("idx_sessions_expiry", Sessions::Table)
                .col(Sessions::ExpiryDate)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ApiTokens::Table)
                .col(big_pk_auto(ApiTokens::Id))
                .col(big_integer(ApiTokens::UserId))
                .col(string(ApiTokens::Name))
                .col(string_uniq(ApiTokens::TokenHash))
                .col(timestamp_with_time_zone(ApiTokens::CreatedAt))
                .col(timestamp_with_time_zone_null(ApiTokens::LastUsedAt))
                .col(timestamp_with_time_zone_null(ApiTokens::RevokedAt))
                .foreign_key(&mut fk(
                    ApiTokens::Table,
                    ApiTokens::UserId,
                    Users::Table,
                    Users::Id,
                    Cascade,
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(AuditLog::Table)
                .col(big_integer(AuditLog::Id).primary_key())
                .col(timestamp_with_time_zone(AuditLog::At))
                .col(big_integer_null(AuditLog::ActorUserId))
                .col(string(AuditLog::ActorName))
                .col(string(AuditLog::Ip))
                .col(string(AuditLog::Action))
                .col(text(AuditLog::Target))
                .col(text(AuditLog::Detail))
                .col(string(AuditLog::PrevHash))
                .col(string(AuditLog::Hash))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("idx_audit_log_action", AuditLog::Table)
                .col(AuditLog::Action)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(AuditHead::Table)
                .col(big_integer(AuditHead::Id).primary_key())
                .col(big_integer(AuditHead::LastId))
                .col(string(AuditHead::LastHash))
                .to_owned(),
        )
        .await?;
        m.get_connection()
            .execute_unprepared(&format!(
                "INSERT INTO audit_head (id, last_id, last_hash) VALUES (1, 0, '{}')",
                crate::audit::GENESIS_HASH
            ))
            .await?;

        m.create_table(
            Table::create()
                .table(Batches::Table)
                .col(big_pk_auto(Batches::Id))
                .col(integer_uniq(Batches::Number))
                .col(string(Batches::Name))
                .col(text(Batches::ParamsToml))
                .col(string(Batches::Status))
                .col(timestamp_with_time_zone(Batches::CreatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(DeadlineExtensions::Table)
                .col(big_pk_auto(DeadlineExtensions::Id))
                .col(big_integer(DeadlineExtensions::BatchId))
                .col(big_integer(DeadlineExtensions::SchoolId))
                .col(timestamp_with_time_zone(DeadlineExtensions::Deadline))
                .foreign_key(&mut fk(
                    DeadlineExtensions::Table,
                    DeadlineExtensions::BatchId,
                    Batches::Table,
                    Batches::Id,
                    Cascade,
                ))
                .foreign_key(&mut fk(
                    DeadlineExtensions::Table,
                    DeadlineExtensions::SchoolId,
                    Orgs::Table,
                    Orgs::Id,
                    Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("ux_deadline_extensions_pair", DeadlineExtensions::Table)
                .col(DeadlineExtensions::BatchId)
                .col(DeadlineExtensions::SchoolId)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Partnerships::Table)
                .col(big_pk_auto(Partnerships::Id))
                .col(big_integer(Partnerships::BatchId))
                .col(big_integer(Partnerships::SchoolId))
                .col(big_integer(Partnerships::EnterpriseId))
                .col(string(Partnerships::Status))
                .col(text(Partnerships::Tags))
                .col(big_integer_null(Partnerships::ProposedBy))
                .col(timestamp_with_time_zone(Partnerships::CreatedAt))
                .col(timestamp_with_time_zone_null(Partnerships::ConfirmedAt))
                .foreign_key(&mut fk(
                    Partnerships::Table,
                    Partnerships::BatchId,
                    Batches::Table,
                    Batches::Id,
                    Restrict,
                ))
                .foreign_key(&mut fk(
                    Partnerships::Table,
                    Partnerships::SchoolId,
                    Orgs::Table,
                    Orgs::Id,
                    Restrict,
                ))
                .foreign_key(&mut fk(
                    Partnerships::Table,
                    Partnerships::EnterpriseId,
                    Orgs::Table,
                    Orgs::Id,
                    Restrict,
                ))
                .foreign_key(&mut fk(
                    Partnerships::Table,
                    Partnerships::ProposedBy,
                    Users::Table,
                    Users::Id,
                    SetNull,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("ux_partnerships_triple", Partnerships::Table)
                .col(Partnerships::BatchId)
                .col(Partnerships::SchoolId)
                .col(Partnerships::EnterpriseId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("idx_partnerships_enterprise", Partnerships::Table)
                .col(Partnerships::EnterpriseId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Forms::Table)
                .col(big_pk_auto(Forms::Id))
                .col(big_integer_uniq(Forms::PartnershipId))
                .col(integer(Forms::Version))
                .col(string(Forms::HeaderSchool))
                .col(string(Forms::HeaderEnterprise))
                .col(string(Forms::Filler))
                .col(string(Forms::Phone))
                .col(string(Forms::ContentHash))
                .col(timestamp_with_time_zone(Forms::UpdatedAt))
                .foreign_key(&mut fk(
                    Forms::Table,
                    Forms::PartnershipId,
                    Partnerships::Table,
                    Partnerships::Id,
                    Restrict,
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(FormRows::Table)
                .col(big_pk_auto(FormRows::Id))
                .col(big_integer(FormRows::FormId))
                .col(integer(FormRows::Position))
                .col(text(FormRows::Cells))
                .col(integer_null(FormRows::ConfirmedVersion))
                .foreign_key(&mut fk(
                    FormRows::Table,
                    FormRows::FormId,
                    Forms::Table,
                    Forms::Id,
                    Restrict,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("idx_form_rows_form", FormRows::Table)
                .col(FormRows::FormId)
                .col(FormRows::Position)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Scans::Table)
                .col(big_pk_auto(Scans::Id))
                .col(big_integer(Scans::FormId))
                .col(integer(Scans::FormVersion))
                .col(string(Scans::ContentType))
                .col(blob_col(Scans::Bytes))
                .col(string(Scans::Sha256))
                .col(big_integer(Scans::Size))
                .col(big_integer_null(Scans::UploadedBy))
                .col(timestamp_with_time_zone(Scans::UploadedAt))
                .foreign_key(&mut fk(
                    Scans::Table,
                    Scans::FormId,
                    Forms::Table,
                    Forms::Id,
                    Restrict,
                ))
                .foreign_key(&mut fk(
                    Scans::Table,
                    Scans::UploadedBy,
                    Users::Table,
                    Users::Id,
                    SetNull,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("idx_scans_form", Scans::Table)
                .col(Scans::FormId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Submissions::Table)
                .col(big_pk_auto(Submissions::Id))
                .col(big_integer(Submissions::BatchId))
                .col(big_integer(Submissions::SchoolId))
                .col(string(Submissions::Status))
                .col(integer_null(Submissions::CurrentVersion))
                .col(timestamp_with_time_zone(Submissions::UpdatedAt))
                .foreign_key(&mut fk(
                    Submissions::Table,
                    Submissions::BatchId,
                    Batches::Table,
                    Batches::Id,
                    Restrict,
                ))
                .foreign_key(&mut fk(
                    Submissions::Table,
                    Submissions::SchoolId,
                    Orgs::Table,
                    Orgs::Id,
                    Restrict,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("ux_submissions_pair", Submissions::Table)
                .col(Submissions::BatchId)
                .col(Submissions::SchoolId)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(SubmissionVersions::Table)
                .col(big_pk_auto(SubmissionVersions::Id))
                .col(big_integer(SubmissionVersions::SubmissionId))
                .col(integer(SubmissionVersions::VersionNo))
                .col(string_uniq(SubmissionVersions::ReceiptNo))
                .col(text(SubmissionVersions::Snapshot))
                .col(string(SubmissionVersions::SnapshotHash))
                .col(big_integer_null(SubmissionVersions::SubmittedBy))
                .col(timestamp_with_time_zone(SubmissionVersions::SubmittedAt))
                .foreign_key(&mut fk(
                    SubmissionVersions::Table,
                    SubmissionVersions::SubmissionId,
                    Submissions::Table,
                    Submissions::Id,
                    Restrict,
                ))
                .foreign_key(&mut fk(
                    SubmissionVersions::Table,
                    SubmissionVersions::SubmittedBy,
                    Users::Table,
                    Users::Id,
                    SetNull,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("ux_submission_versions_no", SubmissionVersions::Table)
                .col(SubmissionVersions::SubmissionId)
                .col(SubmissionVersions::VersionNo)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Reviews::Table)
                .col(big_pk_auto(Reviews::Id))
                .col(big_integer(Reviews::SubmissionVersionId))
                .col(string(Reviews::Decision))
                .col(text(Reviews::Reasons))
                .col(text(Reviews::Note))
                .col(big_integer_null(Reviews::ReviewerId))
                .col(timestamp_with_time_zone(Reviews::At))
                .foreign_key(&mut fk(
                    Reviews::Table,
                    Reviews::SubmissionVersionId,
                    SubmissionVersions::Table,
                    SubmissionVersions::Id,
                    Restrict,
                ))
                .foreign_key(&mut fk(
                    Reviews::Table,
                    Reviews::ReviewerId,
                    Users::Table,
                    Users::Id,
                    SetNull,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("idx_reviews_version", Reviews::Table)
                .col(Reviews::SubmissionVersionId)
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
