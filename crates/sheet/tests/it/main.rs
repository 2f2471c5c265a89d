//! The integration tests of `shuangshi-sheet`: real files written by the tests, read back.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod alloc;
mod layout;
mod mutation;
mod ods;
mod read;
mod scan;
mod write;
