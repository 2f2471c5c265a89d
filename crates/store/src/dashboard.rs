//! Reads for the commission's 工作台 that no list page needs: when each submission version of a
//! batch was submitted (the 报送 line against the deadline). Everything else the dashboard shows
//! comes from the queries the lists use (the roster, partnerships, submissions, selections).

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::db::Store;
use crate::entity::{submission_versions, submissions};
use crate::error::StoreError;
use crate::scope::Scope;

/// One submit (a submission version), without its snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubmitEvent {
    pub submission_id: i64,
    pub school_id: i64,
    pub version_no: i32,
    pub submitted_at: DateTime<Utc>,
}

impl Store {
    /// Every submit of the batch's submissions in scope, oldest first.
    pub async fn submit_events(
        &self,
        scope: &Scope,
        batch_id: i64,
    ) -> Result<Vec<SubmitEvent>, StoreError> {
        let subs: Vec<(i64, i64)> = submissions::Entity::find()
            .select_only()
            .column(submissions::Column::Id)
            .column(submissions::Column::SchoolId)
            .filter(submissions::Column::BatchId.eq(batch_id))
            .filter(scope.submission_filter())
            .into_tuple()
            .all(self.conn())
            .await?;
        let school_of: std::collections::HashMap<i64, i64> = subs.iter().copied().collect();
        let ids: Vec<i64> = subs.iter().map(|(id, _)| *id).collect();
        let mut out = Vec::new();
        for chunk in ids.chunks(500) {
            let rows: Vec<(i64, i32, DateTime<Utc>)> = submission_versions::Entity::find()
                .select_only()
                .column(submission_versions::Column::SubmissionId)
                .column(submission_versions::Column::VersionNo)
                .column(submission_versions::Column::SubmittedAt)
                .filter(submission_versions::Column::SubmissionId.is_in(chunk.iter().copied()))
                .order_by_asc(submission_versions::Column::SubmittedAt)
                .into_tuple()
                .all(self.conn())
                .await?;
            out.extend(rows.into_iter().filter_map(|(sid, v, at)| {
                Some(SubmitEvent {
                    submission_id: sid,
                    school_id: *school_of.get(&sid)?,
                    version_no: v,
                    submitted_at: at,
                })
            }));
        }
        out.sort_by_key(|e| (e.submitted_at, e.submission_id, e.version_no));
        Ok(out)
    }
}
