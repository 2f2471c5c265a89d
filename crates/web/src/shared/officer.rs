//! Who an officer works for: the school of a 学校经办人 in the current batch ([`SchoolCtx`]), the
//! school's forms with their stored findings ([`SchoolData`]), and the enterprise of an
//! 企业经办人 ([`enterprise_id`]). Every store call takes the user's scope, so an id of another
//! organisation answers 404.

use shuangshi_rules::{Report, Tally};
use shuangshi_store::{
    BatchRecord, BatchStatus, FormRecord, Role, Scope, Store, Submission, SubmissionStatus,
    WorkflowFacts,
};

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::shared::batch::batch_or_conflict;
use crate::state::AppState;

/// The school an officer works for, in the current batch.
#[derive(Debug, Clone)]
pub struct SchoolCtx {
    pub batch: BatchRecord,
    pub school_id: i64,
    pub school_name: String,
    pub scope: Scope,
}

impl SchoolCtx {
    pub fn batch_open(&self) -> bool {
        self.batch.status == BatchStatus::Open
    }
}

/// The school of a 学校经办人 and the current batch.
pub async fn school_ctx(store: &Store, user: &CurrentUser) -> Result<SchoolCtx, AppError> {
    let Some(school_id) = user
        .user
        .org_id
        .filter(|_| user.role() == Role::SchoolOfficer)
    else {
        return Err(AppError::Forbidden);
    };
    let batch = batch_or_conflict(store).await?;
    Ok(SchoolCtx {
        batch,
        school_id,
        school_name: user.org_name.clone().unwrap_or_default(),
        scope: user.scope(),
    })
}

/// Everything the school's pages show: its forms with their stored findings (the school's
/// report, duplicates on its rows included), its tier, the workflow facts and the submission.
pub struct SchoolData {
    pub forms: Vec<FormRecord>,
    pub report: Report,
    /// The school's people by direction and post.
    pub tally: Tally,
    /// The school's tier (学校类别) in the registry.
    pub tier: Option<String>,
    pub facts: Option<WorkflowFacts>,
    pub submission: Option<Submission>,
}

impl SchoolData {
    /// Whether the school may still change its forms (batch open, not submitted or accepted).
    pub fn editable(&self, ctx: &SchoolCtx) -> bool {
        ctx.batch_open()
            && !matches!(
                self.submission.as_ref().map(|s| s.status),
                Some(SubmissionStatus::Submitted | SubmissionStatus::Accepted)
            )
    }
}

/// The school's forms with their stored findings ([`shuangshi_app::App::school_report`]).
pub async fn load_school(state: &AppState, ctx: &SchoolCtx) -> Result<SchoolData, AppError> {
    let school = state
        .app
        .school_report(&ctx.scope, &ctx.batch, ctx.school_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let tier = state
        .store
        .get_org(&ctx.scope, ctx.school_id)
        .await?
        .map(|o| o.category);
    let facts = state
        .store
        .workflow_facts(&ctx.scope, ctx.batch.id, ctx.school_id)
        .await?;
    let submission = state
        .store
        .get_submission(&ctx.scope, ctx.batch.id, ctx.school_id)
        .await?;
    Ok(SchoolData {
        forms: school.forms,
        report: school.report,
        tally: school.tally,
        tier,
        facts,
        submission,
    })
}

/// The enterprise of an 企业经办人.
pub fn enterprise_id(user: &CurrentUser) -> Result<i64, AppError> {
    user.user
        .org_id
        .filter(|_| user.role() == Role::EnterpriseOfficer)
        .ok_or(AppError::Forbidden)
}
