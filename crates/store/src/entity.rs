//! SeaORM entities, one module per table. Private to the crate: the public API speaks in the plain
//! structs of the repository modules, never in these models.
//!
//! Columns mirror `migration.rs` exactly; ids are `i64` (`integer` on SQLite, `bigint` on
//! PostgreSQL), timestamps are UTC truncated to microseconds before every write.

pub mod orgs {
    //! `orgs`: the organisation registry (schools with their tier, enterprises with their kind).
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "orgs")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        #[sea_orm(unique)]
        pub name: String,
        /// `shuangshi_rules::text::norm` of the name: the key imports upsert by.
        #[sea_orm(unique)]
        pub name_key: String,
        pub category: String,
        pub affiliation: String,
        pub credit_code: String,
        pub district: String,
        pub is_school: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod users {
    //! `users`: accounts with their role and, for officers, their organisation.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "users")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        #[sea_orm(unique)]
        pub username: String,
        pub display_name: String,
        pub role: String,
        pub org_id: Option<i64>,
        pub password_hash: String,
        pub must_change_password: bool,
        pub failed_logins: i32,
        pub locked_until: Option<DateTimeUtc>,
        pub active: bool,
        pub created_at: DateTimeUtc,
        /// Where reminders to the account's unit are e-mailed; empty when none (m0007).
        pub email: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod sessions {
    //! `sessions`: tower-sessions records (JSON data) with their expiry, keyed by the SHA-256 of
    //! the session id, with the signed-in account.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sessions")]
    pub struct Model {
        /// SHA-256 (hex) of the session id.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub data: String,
        pub expiry_date: DateTimeUtc,
        /// The signed-in account (`None` before login).
        pub user_id: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod api_tokens {
    //! `api_tokens`: bearer tokens, stored as the SHA-256 of the plaintext.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "api_tokens")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub user_id: i64,
        pub name: String,
        #[sea_orm(unique)]
        pub token_hash: String,
        pub created_at: DateTimeUtc,
        pub last_used_at: Option<DateTimeUtc>,
        pub revoked_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod audit_log {
    //! `audit_log`: the append-only, hash-chained log. Ids are assigned by the appender (last + 1)
    //! so that the id is part of the hashed content.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_log")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i64,
        pub at: DateTimeUtc,
        pub actor_user_id: Option<i64>,
        pub actor_name: String,
        pub ip: String,
        pub action: String,
        pub target: String,
        pub detail: String,
        pub prev_hash: String,
        pub hash: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod audit_head {
    //! `audit_head`: one row (id 1) naming the last audit entry; appenders lock it.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_head")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i64,
        pub last_id: i64,
        pub last_hash: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod batches {
    //! `batches`: one batch of the programme with its full parameter TOML.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "batches")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        #[sea_orm(unique)]
        pub number: i32,
        pub name: String,
        #[sea_orm(column_type = "Text")]
        pub params_toml: String,
        pub status: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod deadline_extensions {
    //! `deadline_extensions`: a later deadline for one school in one batch.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "deadline_extensions")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub batch_id: i64,
        pub school_id: i64,
        pub deadline: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod partnerships {
    //! `partnerships`: a school–enterprise pair in a batch, proposed by the school.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "partnerships")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub batch_id: i64,
        pub school_id: i64,
        pub enterprise_id: i64,
        pub status: String,
        /// JSON array of strings.
        pub tags: String,
        pub proposed_by: Option<i64>,
        pub created_at: DateTimeUtc,
        pub confirmed_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod forms {
    //! `forms`: the recommendation form of one partnership (header line and footer; rows apart).
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "forms")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        #[sea_orm(unique)]
        pub partnership_id: i64,
        pub version: i32,
        pub header_school: String,
        pub header_enterprise: String,
        pub filler: String,
        pub phone: String,
        pub content_hash: String,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod form_rows {
    //! `form_rows`: one person row; `id` is stable while the row's cells do not change.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "form_rows")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub form_id: i64,
        pub position: i32,
        /// JSON array of the 22 cell strings in `Column::ALL` order.
        #[sea_orm(column_type = "Text")]
        pub cells: String,
        pub confirmed_version: Option<i32>,
        /// The enterprise's objection to the row (m0008); cleared when the school edits it.
        #[sea_orm(column_type = "Text", nullable)]
        pub objection: Option<String>,
        /// JSON cells as last confirmed (m0008), for showing what changed since.
        #[sea_orm(column_type = "Text", nullable)]
        pub confirmed_cells: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod scans {
    //! `scans`: the sealed form's scan, bound to the form version it seals.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "scans")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub form_id: i64,
        pub form_version: i32,
        pub content_type: String,
        #[sea_orm(column_type = "Blob")]
        pub bytes: Vec<u8>,
        pub sha256: String,
        pub size: i64,
        pub uploaded_by: Option<i64>,
        pub uploaded_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod submissions {
    //! `submissions`: one school's submission in one batch and its review state.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "submissions")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub batch_id: i64,
        pub school_id: i64,
        pub status: String,
        pub current_version: Option<i32>,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod submission_versions {
    //! `submission_versions`: each submit, with its receipt number and immutable snapshot.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "submission_versions")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub submission_id: i64,
        pub version_no: i32,
        #[sea_orm(unique)]
        pub receipt_no: String,
        #[sea_orm(column_type = "Text")]
        pub snapshot: String,
        pub snapshot_hash: String,
        pub submitted_by: Option<i64>,
        pub submitted_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod reviews {
    //! `reviews`: the commission's decision on one submission version.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "reviews")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub submission_version_id: i64,
        pub decision: String,
        /// JSON array of `{rule, message}`.
        #[sea_orm(column_type = "Text")]
        pub reasons: String,
        pub note: String,
        pub reviewer_id: Option<i64>,
        pub at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod form_checks {
    //! `form_checks`: a form's own findings and tally at the version they were computed on.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "form_checks")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub form_id: i64,
        pub batch_id: i64,
        pub school_id: i64,
        pub form_version: i32,
        pub teachers: i32,
        pub tech_vps: i32,
        pub engineers: i32,
        pub deans: i32,
        pub undetermined: i32,
        /// JSON: `CheckRecord` of the form's findings.
        #[sea_orm(column_type = "Text")]
        pub findings: String,
        pub checked_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod school_checks {
    //! `school_checks`: the findings about a school as a whole, and what they were computed on.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "school_checks")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub batch_id: i64,
        pub school_id: i64,
        /// The school's forms and versions the check saw (`id:version,…`).
        pub stamp: String,
        #[sea_orm(column_type = "Text")]
        pub findings: String,
        pub checked_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod people_index {
    //! `people_index`: one person row of one form, by identity key.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "people_index")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub batch_id: i64,
        pub school_id: i64,
        pub form_id: i64,
        pub row_no: i32,
        pub mobile_key: Option<String>,
        pub name_key: Option<String>,
        pub person_key: Option<String>,
        /// JSON: the `Occurrence` the duplicate rules read.
        #[sea_orm(column_type = "Text")]
        pub occurrence: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod batch_findings {
    //! `batch_findings`: a duplicate finding (D01–D03) of one key, on a form it concerns.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "batch_findings")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub batch_id: i64,
        pub form_id: i64,
        pub row_no: Option<i32>,
        pub key: String,
        /// The finding is on this form's row (else it names one of its rows).
        pub own: bool,
        #[sea_orm(column_type = "Text")]
        pub finding: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod pending_uploads {
    //! `pending_uploads`: a checked upload waiting for its commit, until `expires_at`.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "pending_uploads")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub token: String,
        pub user_id: i64,
        pub form_id: i64,
        pub form_version: i32,
        pub file_name: String,
        #[sea_orm(column_type = "Blob")]
        pub bytes: Vec<u8>,
        pub created_at: DateTimeUtc,
        pub expires_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod copies {
    //! `copies`: the oversight body that receives a submitted form's copy (`none`: 未分送).
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "copies")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub batch_id: i64,
        pub school_id: i64,
        pub submission_version_id: i64,
        pub form_id: i64,
        pub partnership_id: i64,
        pub enterprise_id: i64,
        pub body: String,
        pub routed_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod selections {
    //! `selections`: a person of an accepted submission and the commission's decision.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "selections")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub batch_id: i64,
        pub school_id: i64,
        pub enterprise_id: i64,
        pub submission_version_id: i64,
        pub form_id: i64,
        pub row_no: i32,
        pub name: String,
        pub direction: String,
        pub post: String,
        pub sending_unit: String,
        pub receiving_unit: String,
        pub term: String,
        pub body: String,
        pub status: String,
        #[sea_orm(column_type = "Text")]
        pub reason: String,
        pub decided_by: Option<i64>,
        pub decided_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod opinions {
    //! `opinions`: an oversight body's opinion on one selection.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "opinions")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub selection_id: i64,
        pub body: String,
        pub opinion: String,
        #[sea_orm(column_type = "Text")]
        pub reason: String,
        pub user_id: Option<i64>,
        pub at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod publications {
    //! `publications`: a 公示 or a final list revision, with its frozen public entries.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "publications")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub batch_id: i64,
        pub kind: String,
        pub revision: i32,
        pub state: String,
        /// JSON: the `PublicEntry` list as published.
        #[sea_orm(column_type = "Text")]
        pub entries: String,
        #[sea_orm(column_type = "Text")]
        pub note: String,
        pub opens_at: Option<DateTimeUtc>,
        pub closes_at: Option<DateTimeUtc>,
        pub made_by: Option<i64>,
        pub made_at: DateTimeUtc,
        pub approved_by: Option<i64>,
        pub published_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod objections {
    //! `objections`: an objection sent during a 公示, and how it was handled.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "objections")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub publication_id: i64,
        pub batch_id: i64,
        pub selection_id: Option<i64>,
        pub person: String,
        pub contact: String,
        #[sea_orm(column_type = "Text")]
        pub body: String,
        pub address_key: String,
        pub status: String,
        #[sea_orm(column_type = "Text")]
        pub note: String,
        pub handled_by: Option<i64>,
        pub handled_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod term_records {
    //! `term_records`: what the receiving unit recorded about one person's term.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "term_records")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub selection_id: i64,
        pub batch_id: i64,
        pub version: i32,
        /// `""` (not recorded), `arrived` or `absent`.
        pub arrival: String,
        /// `YYYY-MM-DD`.
        pub arrived_on: Option<String>,
        #[sea_orm(column_type = "Text")]
        pub absent_reason: String,
        #[sea_orm(column_type = "Text")]
        pub post: String,
        #[sea_orm(column_type = "Text")]
        pub tasks: String,
        #[sea_orm(column_type = "Text")]
        pub duties: String,
        /// `""`, `excellent`, `pass` or `fail`.
        pub assessment: String,
        #[sea_orm(column_type = "Text")]
        pub summary: String,
        #[sea_orm(column_type = "Text")]
        pub sender_remark: String,
        pub updated_by: Option<i64>,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod term_record_versions {
    //! `term_record_versions`: every version of a term record (append-only).
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "term_record_versions")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub record_id: i64,
        pub version: i32,
        /// JSON: the `TermContent` of this version.
        #[sea_orm(column_type = "Text")]
        pub content: String,
        pub user_id: Option<i64>,
        pub at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod term_closures {
    //! `term_closures`: the commission closed a batch's term; its records are frozen.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "term_closures")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub batch_id: i64,
        pub closed_by: Option<i64>,
        pub closed_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod ledger_entries {
    //! `ledger_entries`: one entry of the subsidy ledger (append-only).
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "ledger_entries")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub batch_id: i64,
        pub school_id: i64,
        /// `grant` (拨付), `supplement` (补拨) or `clawback` (扣回).
        pub kind: String,
        pub people: i32,
        pub rate: i64,
        /// Signed yuan: a 扣回 is negative.
        pub amount: i64,
        #[sea_orm(column_type = "Text")]
        pub reason: String,
        /// `pending` (待审批), `paid` (已拨付) or `withdrawn` (已撤回).
        pub status: String,
        /// `YYYY-MM-DD`.
        pub paid_on: Option<String>,
        pub voucher: String,
        pub prepared_by: Option<i64>,
        pub prepared_at: DateTimeUtc,
        pub approved_by: Option<i64>,
        pub approved_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod subsidy_uses {
    //! `subsidy_uses`: a receiving school's report of how its subsidy was used.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "subsidy_uses")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub batch_id: i64,
        pub school_id: i64,
        /// JSON: `[[category, yuan], …]` in the batch's category order.
        #[sea_orm(column_type = "Text")]
        pub amounts: String,
        pub total: i64,
        #[sea_orm(column_type = "Text")]
        pub note: String,
        pub user_id: Option<i64>,
        pub at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod reminders {
    //! `reminders`: a reminder sent to a unit that is behind.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "reminders")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub batch_id: i64,
        pub org_id: i64,
        pub reason: String,
        #[sea_orm(column_type = "Text")]
        pub message: String,
        /// The day it was sent, `YYYY-MM-DD` in Asia/Shanghai (one a day per unit and reason).
        pub day: String,
        pub emailed: bool,
        pub sent_by: Option<i64>,
        pub sent_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
