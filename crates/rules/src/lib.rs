//! `shuangshi-rules`: the rulebook of the “双千双师交流计划” as code.
//!
//! Forms, the organisation registry and the batch parameters go in; findings come out
//! ([`engine::check`]). The service runs the same rules in parts: [`check_forms`] for the rules of a
//! row, a form or a school, [`duplicates`] over [`Occurrence`]s and [`totals`] over a batch's
//! [`Tally`], and stores the findings as [`FindingRecord`]s. This crate is pure: it never does I/O and never fails — every input, however
//! malformed, gives a report. Reading files is `shuangshi-sheet`'s job.

pub mod batch;
pub mod catalogue;
pub mod copies;
pub mod engine;
pub mod finding;
pub mod form;
pub mod registry;
pub mod rules;
pub mod tally;
pub mod text;
pub mod titles;

pub use batch::Batch;
pub use catalogue::{RULES, RuleMeta};
pub use catalogue::{Scope, scope_of};
pub use copies::{Oversight, copy_to};
pub use engine::{Input, check, check_forms, directions};
pub use finding::{
    Finding, FindingRecord, FormSummary, RecordError, Report, SchoolTally, Severity, Unreadable,
};
pub use form::{Cell, Column, Direction, Footer, Form, HeaderName, PersonRow};
pub use registry::{Org, PastPerson, Registry};
pub use rules::d::{Occurrence, duplicates, occurrences};
pub use rules::p::totals;
pub use tally::Tally;
