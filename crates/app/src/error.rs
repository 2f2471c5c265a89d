//! What a use case answers when it does not do what was asked.
//!
//! - [`Error::Refused`]: the request was understood and is not allowed now; the [`Refusal`] carries
//!   the Chinese reason and the findings the user must see (the errors that block a submission, the
//!   problems of an unreadable file). Every door shows it as it is: a flash and the list on a page,
//!   `{"error", "findings"}` in the API, lines on the terminal.
//! - [`Error::NotFound`]: nothing there, or outside the caller's scope (the two look the same).
//! - [`Error::Store`]: the store's own error (its `Display` is the Chinese message; database
//!   details stay in the source chain).

use shuangshi_rules::Finding;
use shuangshi_store::StoreError;

/// Why a use case did not do what was asked, as the user must see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    /// One Chinese sentence: what did not happen and why.
    pub message: String,
    /// The findings behind it (may be empty).
    pub findings: Vec<Finding>,
}

impl Refusal {
    pub fn new(message: impl Into<String>) -> Refusal {
        Refusal {
            message: message.into(),
            findings: Vec::new(),
        }
    }

    pub fn with_findings(message: impl Into<String>, findings: Vec<Finding>) -> Refusal {
        Refusal {
            message: message.into(),
            findings,
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// A failed use case. `Display` is the Chinese message a user may see.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Not allowed now; the refusal says why and carries the findings.
    #[error("{0}")]
    Refused(Refusal),
    /// Nothing there, or outside the caller's scope.
    #[error("您访问的内容不存在，或您无权查看")]
    NotFound,
    /// The store failed or refused (a version conflict, a state it does not allow …).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A blocking task could not finish (should not happen).
    #[error("处理时出错，请稍后重试")]
    Task(#[source] tokio::task::JoinError),
}

impl Error {
    pub fn refused(message: impl Into<String>) -> Error {
        Error::Refused(Refusal::new(message))
    }
}

/// A use case's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;
