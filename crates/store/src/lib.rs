//! `shuangshi-store`: the service's database, and the only crate that knows SQL.
//!
//! One [`Store`] over SQLite (the default, a file under the data directory) or PostgreSQL, chosen
//! at run time from the URL; one migration set; repository functions that take a [`Scope`] for
//! every read of organisation data and an [`Actor`] for every change, which they record in the
//! hash-chained audit log in the same transaction.
//!
//! Modules: [`db`] (connect, transactions, time, paging), [`scope`], [`accounts`] (users, login,
//! tokens), [`sessions`] (tower-sessions store), [`audit`], [`orgs`], [`batches`],
//! [`partnerships`], [`forms`] (rows, confirmation, scans), [`imports`] (the commission's import of many forms, a
//! chunk per transaction), [`submissions`] (versions, reviews),
//! [`checks`] (findings kept as data, the identity index), [`pending`] (checked uploads).

mod entity;
mod migration;

pub mod accounts;
pub mod audit;
pub mod backup;
pub mod batches;
pub mod bulk;
pub mod checks;
pub mod dashboard;
pub mod db;
pub mod error;
pub mod forms;
pub mod imports;
pub mod orgs;
pub mod partnerships;
pub mod pending;
pub mod people;
pub mod scope;
pub mod selection;
pub mod sessions;
pub mod snapshot;
pub mod submissions;
pub mod term;
#[cfg(feature = "testing")]
pub mod testing;

pub use accounts::{ApiToken, LoginOutcome, NewUser, Role, User, UserFilter};
pub use audit::{AuditBreak, AuditCheck, AuditEntry, AuditFilter, AuditRecord};
pub use batches::{BatchRecord, BatchStatus, Extension};
pub use checks::{
    AffectedPeople, FormCheck, IndexedPerson, PersonKeys, PlacedFinding, SchoolCheck,
    StoredFormCheck, StoredSchoolCheck,
};
pub use dashboard::{BatchCounts, FormCount, SchoolStamp, SubmitEvent, TermTallies, TermTally};
pub use db::{Actor, Backend, PageRequest, Paged, Store, Tx, db_time, now};
pub use error::StoreError;
pub use forms::{
    FormContent, FormMeta, FormRecord, FormSummary, ReplaceOutcome, RowRecord, ScanInfo,
};
pub use imports::{ImportItem, ImportedForm};
pub use orgs::{ImportSummary, OrgFilter, OrgRecord};
pub use partnerships::{Partnership, PartnershipFilter, PartnershipStatus};
pub use pending::PendingUpload;
pub use people::Appearance;
pub use scope::Scope;
pub use selection::{
    Candidate, CopyRecord, NewObjection, Objection, ObjectionStatus, Opinion, PublicEntry,
    PublicList, Publication, PublicationKind, PublicationState, SelectionRecord, SelectionStatus,
};
pub use snapshot::{
    SNAPSHOT_VERSION, SnapActor, SnapBatch, SnapEnterprise, SnapForm, SnapReport, SnapRow,
    SnapScan, SnapSchool, Snapshot,
};
pub use submissions::{
    Decision, Review, ReviewReason, Submission, SubmissionFilter, SubmissionStatus,
    SubmissionVersion, SubmitRequest, VersionInfo, WorkflowFacts,
};
pub use term::{
    ArrivalState, Assessment, EntryKind, EntryStatus, LedgerEntry, NewEntry, Reminder, SubsidyUse,
    TermChange, TermContent, TermRow, TermVersion,
};
