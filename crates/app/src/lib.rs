//! `shuangshi-app`: the use cases of the service, each written once. Every door — the web pages,
//! the JSON API, the command line and the demo seeding — calls them, so a state one door reaches
//! is a state every door shows the same way.
//!
//! - [`App`] holds the [`Store`]; a use case takes the caller's [`Scope`] (what it may see, decided
//!   once per request by the web layer's policy or by the CLI's operator) and an [`Actor`] (who is
//!   recorded in the audit log) and returns a typed outcome or an [`Error`]: a [`Refusal`] carries
//!   the reason and the findings the user must see, never a bare string.
//! - Findings are data ([`findings`]): every change of a school's forms computes its check once
//!   and stores it; pages read stored findings.
//!
//! Modules: [`checks`] (the engine over stored forms, findings worded for people), [`findings`]
//! (stored findings, the duplicate index), [`forms`] (form content: rows typed or a file, dry run
//! or commit), [`submissions`] (submit and the review decisions), [`selection`] (遴选, 公示, the final list),
//! [`term`] (聘期: arrival, placement, assessment), [`ledger`] (补助经费), [`dashboard`] (the
//! commission's 工作台), [`reminders`] (催办提醒, e-mailed by [`mail`]), [`error`].

pub mod checks;
pub mod dashboard;
pub mod disclosure;
pub mod error;
pub mod export;
pub mod findings;
pub mod forms;
pub mod import;
pub mod ledger;
pub mod mail;
pub mod orgs;
pub mod people;
pub mod picker;
pub mod reminders;
pub mod selection;
pub mod submissions;
pub mod term;

pub use disclosure::Disclosure;
pub use error::{Error, Refusal, Result};
pub use findings::{BatchReport, SchoolReport};
pub use shuangshi_store::{Actor, Scope, Store};

/// The application: the use cases over one store. Cheap to clone.
#[derive(Debug, Clone)]
pub struct App {
    store: Store,
    /// Where reminders are e-mailed, when configured ([`App::with_mailer`]).
    mailer: Option<std::sync::Arc<mail::Mailer>>,
    /// One turn per school for [`App::refresh_school`] in this process (shared by the clones).
    turns: findings::Turns,
}

impl App {
    pub fn new(store: Store) -> App {
        App {
            store,
            mailer: None,
            turns: findings::Turns::default(),
        }
    }

    /// The store, for reads that are not use cases (lists, lookups).
    pub fn store(&self) -> &Store {
        &self.store
    }
}
