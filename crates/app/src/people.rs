//! A person's history across batches (batches, schools, enterprises, posts, outcomes), read from
//! the identity index the checks maintain; D03 is the finding that points to it.

use shuangshi_store::{Appearance, Scope};

use crate::{App, Result};

impl App {
    /// The history of the person on row `row_no` of form `form_id` (see
    /// [`shuangshi_store::Store::person_history`]); the form's school is checked first when its
    /// check is missing, so its people are indexed. `None` outside `scope`.
    pub async fn person_history(
        &self,
        scope: &Scope,
        form_id: i64,
        row_no: u32,
    ) -> Result<Option<Vec<Appearance>>> {
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
        Ok(self.store.person_history(scope, form_id, row_no).await?)
    }
}
