//! The web crate's one integration-test binary: the real router with its whole middleware stack on
//! a fresh database (SQLite, or PostgreSQL with `TEST_DATABASE_URL`), called in process.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
mod webdriver;

mod admin;
mod api;
mod auth;
mod batch_form;
mod browser;
mod clerk;
mod confirm;
mod copies;
mod dashboard;
mod disclosure;
mod grid;
mod layout;
mod limits;
mod people;
mod pickers;
mod policy;
mod public;
mod registry;
mod reminders;
mod review;
mod roster;
mod school;
mod security;
mod selection;
mod shell;
mod states;
mod term;
