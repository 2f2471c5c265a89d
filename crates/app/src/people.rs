//! A person's history across batches (batches, schools, enterprises, posts, outcomes), read from
//! the identity index the checks maintain; D03 is the finding that points to it. Each appearance
//! comes with what became of it: the selection, the list in force, the term record and its
//! assessment.

use shuangshi_store::people::AppearanceOutcome;
use shuangshi_store::{Appearance, Scope};

use crate::{App, Result};

/// One appearance of the person with what became of it.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonAppearance {
    pub appearance: Appearance,
    /// `None` while the appearance has not reached selection (its school's submission not
    /// accepted).
    pub outcome: Option<AppearanceOutcome>,
}

impl App {
    /// The history of the person on row `row_no` of form `form_id` (see
    /// [`shuangshi_store::Store::person_history`]), each appearance with its selection, the list
    /// naming it and its term ([`shuangshi_store::Store::appearance_outcomes`]); the form's school
    /// is checked first when its check is missing, so its people are indexed. `None` outside
    /// `scope`.
    pub async fn person_history(
        &self,
        scope: &Scope,
        form_id: i64,
        row_no: u32,
    ) -> Result<Option<Vec<PersonAppearance>>> {
        let Some(form) = self.store.get_form(scope, form_id).await? else {
            return Ok(None);
        };
        if let Some(batch) = self.store.get_batch(form.batch_id).await? {
            // Computes (and indexes) the school's check when it is missing or stale.
            if self
                .school_report(scope, &batch, form.school_id)
                .await?
                .is_none()
            {
                return Ok(None);
            }
        }
        let Some(all) = self.store.person_history(scope, form_id, row_no).await? else {
            return Ok(None);
        };
        let outcomes = self.store.appearance_outcomes(scope, &all).await?;
        Ok(Some(
            all.into_iter()
                .zip(outcomes)
                .map(|(appearance, outcome)| PersonAppearance {
                    appearance,
                    outcome,
                })
                .collect(),
        ))
    }
}
