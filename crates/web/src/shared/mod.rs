//! Helpers several domains use; none of them knows a domain. [`officer`] (the school or enterprise
//! an officer works for, in the current batch, and the school's forms with their findings),
//! [`batch`] (the current batch or a clear refusal), [`audit`] (auditing a view or an export),
//! [`download`] (xlsx content type, attachment headers), [`flash`] (answering a page form: back
//! with a flash, or an htmx fragment), [`pagination`] (the one page shape of every `/api/v1` list
//! and the page query of the HTML lists), [`query`] (list filters).

pub mod audit;
pub mod batch;
pub mod download;
pub mod flash;
pub mod officer;
pub mod pagination;
pub mod query;
