//! 报送 and 审核: the school submits its forms (refused while an error or W01–W03 stands), the
//! commission accepts (refused while an error stands on the school's rows now) or returns with
//! reasons.

use chrono::{DateTime, Utc};
use shuangshi_rules::{Finding, FindingRecord, Severity};
use shuangshi_store::{
    BatchRecord, Decision, Review, ReviewReason, SnapReport, StoreError, Submission,
    SubmissionStatus, SubmitRequest, VersionInfo, WorkflowFacts,
};

use crate::checks::workflow_findings;
use crate::error::{Error, Refusal, Result};
use crate::{Actor, App, Scope};

/// What stops a school from submitting now: every `error` of its findings and W01–W03.
pub fn blockers(
    batch: &BatchRecord,
    school: &str,
    findings: &[Finding],
    facts: Option<&WorkflowFacts>,
    now: DateTime<Utc>,
) -> Vec<Finding> {
    let mut out: Vec<Finding> = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .cloned()
        .collect();
    out.dedup_by(|a, b| a.rule == b.rule && a.message == b.message);
    if let Some(facts) = facts {
        out.extend(workflow_findings(&batch.params, school, facts, now));
    }
    out
}

/// A store refusal (a state, a conflict, invalid input) as the user's refusal; other store errors
/// stay errors.
fn refusal_of(e: StoreError, prefix: &str) -> Error {
    match e {
        StoreError::State(_)
        | StoreError::Conflict(_)
        | StoreError::Invalid(_)
        | StoreError::VersionConflict { .. } => {
            Error::Refused(Refusal::new(format!("{prefix}{e}")))
        }
        e => Error::Store(e),
    }
}

/// A review decision as asked.
#[derive(Debug, Clone, PartialEq)]
pub struct Decide {
    pub submission_id: i64,
    pub decision: Decision,
    /// Indexes into [`App::review_findings`] of the findings chosen as reasons.
    pub picked: Vec<usize>,
    /// Reasons given as text.
    pub extra: Vec<ReviewReason>,
    pub note: String,
}

impl App {
    /// 报送: a new version with a receipt and its snapshot. Refused while any error or W01–W03
    /// stands (the refusal lists them), before the school has forms, or when the store refuses
    /// (deadline, state, a form changed meanwhile).
    pub async fn submit(
        &self,
        scope: &Scope,
        actor: &Actor,
        batch: &BatchRecord,
        school_id: i64,
        now: DateTime<Utc>,
    ) -> Result<VersionInfo> {
        let report = self
            .school_report(scope, batch, school_id)
            .await?
            .ok_or(Error::NotFound)?;
        if report.forms.is_empty() {
            return Err(Error::refused("尚无已确认的合作企业及推荐表，不能报送"));
        }
        let facts = self
            .store
            .workflow_facts(scope, batch.id, school_id)
            .await?
            .ok_or(Error::NotFound)?;
        let school = report
            .forms
            .first()
            .map(|f| f.school_name.clone())
            .unwrap_or_default();
        let blocking = blockers(batch, &school, &report.report.findings, Some(&facts), now);
        if !blocking.is_empty() {
            return Err(Error::Refused(Refusal::with_findings(
                format!(
                    "报送未成功：仍有 {} 处问题（错误或 W01–W03），请逐项处理后再报送",
                    blocking.len()
                ),
                blocking,
            )));
        }
        if let Some(previous) = self
            .store
            .get_submission(scope, batch.id, school_id)
            .await?
            && self.returned_unchanged(scope, &previous, &facts).await?
        {
            return Err(Error::refused(
                "报送未成功：报送已被退回，推荐表自退回后尚未修改；请按退回原因修改推荐表后再报送",
            ));
        }
        let req = SubmitRequest {
            batch_id: batch.id,
            school_id,
            report: SnapReport {
                findings: report
                    .report
                    .findings
                    .iter()
                    .map(FindingRecord::from)
                    .collect(),
                tally: report.tally,
            },
            checked: report.forms.iter().map(|f| (f.id, f.version)).collect(),
        };
        match self.store.submit(scope, &req, now, actor).await {
            Ok(Some(v)) => Ok(v),
            Ok(None) => Err(Error::NotFound),
            Err(e) => Err(refusal_of(e, "报送未成功：")),
        }
    }

    /// Whether a returned submission is unchanged since the return: the school's forms now
    /// (`facts.form_versions`) are, form by form and version by version, those of the version the
    /// commission returned, and no form has a newer scan than the one submitted. `false` unless
    /// the submission is 已退回.
    pub async fn returned_unchanged(
        &self,
        scope: &Scope,
        submission: &Submission,
        facts: &WorkflowFacts,
    ) -> Result<bool> {
        if submission.status != SubmissionStatus::Returned {
            return Ok(false);
        }
        let versions = self
            .store
            .list_versions(scope, submission.id)
            .await?
            .ok_or(Error::NotFound)?;
        let Some(v) = versions.last() else {
            return Ok(false);
        };
        let full = self
            .store
            .get_version(scope, v.id)
            .await?
            .ok_or(Error::NotFound)?;
        let mut then: Vec<(i64, i32)> = full
            .snapshot
            .forms
            .iter()
            .map(|f| (f.form_id, f.version))
            .collect();
        then.sort_unstable();
        let mut now = facts.form_versions.clone();
        now.sort_unstable();
        if then != now {
            return Ok(false);
        }
        // A new sealed scan (a return for an unreadable seal) is a change too.
        for form in &full.snapshot.forms {
            let latest = self.store.latest_scan(scope, form.form_id).await?;
            if latest.map(|s| s.id) != form.scan.as_ref().map(|s| s.scan_id) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The findings a reviewer weighs for a submission: the ones its current snapshot was
    /// submitted with, then those standing now on the school's rows that the snapshot did not
    /// have (a duplicate recommended by another school since, a change of the registry).
    pub async fn review_findings(
        &self,
        scope: &Scope,
        batch: &BatchRecord,
        submission_id: i64,
    ) -> Result<(Vec<Finding>, Vec<Finding>)> {
        let sub = self
            .store
            .get_submission_by_id(scope, submission_id)
            .await?
            .ok_or(Error::NotFound)?;
        let versions = self
            .store
            .list_versions(scope, submission_id)
            .await?
            .ok_or(Error::NotFound)?;
        let Some(v) = versions.last() else {
            return Ok((Vec::new(), Vec::new()));
        };
        let full = self
            .store
            .get_version(scope, v.id)
            .await?
            .ok_or(Error::NotFound)?;
        let submitted: Vec<Finding> = full
            .snapshot
            .report
            .findings
            .into_iter()
            .map(Finding::try_from)
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| Error::Store(StoreError::Corrupt(format!("报送快照的检查结果：{e}"))))?;
        let now: Vec<Finding> = match self.school_report(scope, batch, sub.school_id).await? {
            Some(r) => r
                .report
                .findings
                .into_iter()
                .filter(|f| {
                    !submitted
                        .iter()
                        .any(|s| s.rule == f.rule && s.message == f.message)
                })
                .collect(),
            None => Vec::new(),
        };
        Ok((submitted, now))
    }

    /// 受理 or 退回 the current version. Accepting is refused while an error stands on the
    /// school's rows now (the refusal lists them); returning needs a reason or a note.
    pub async fn decide(
        &self,
        scope: &Scope,
        actor: &Actor,
        batch: &BatchRecord,
        d: &Decide,
    ) -> Result<Review> {
        let versions = self
            .store
            .list_versions(scope, d.submission_id)
            .await?
            .ok_or(Error::NotFound)?;
        let Some(v) = versions.last() else {
            return Err(Error::refused("该学校尚未报送，无法审核"));
        };
        if d.note.chars().count() > 2000 {
            return Err(Error::refused("审核意见不超过 2000 字"));
        }
        let (submitted, now) = self.review_findings(scope, batch, d.submission_id).await?;
        if d.decision == Decision::Accepted {
            let standing: Vec<Finding> = now
                .iter()
                .filter(|f| f.severity == Severity::Error)
                .cloned()
                .collect();
            if !standing.is_empty() {
                return Err(Error::Refused(Refusal::with_findings(
                    format!(
                        "不能受理：该校推荐表现有 {} 处错误（报送后出现，如其他学校重复推荐了同一人），请退回并说明原因",
                        standing.len()
                    ),
                    standing,
                )));
            }
        }
        let all: Vec<&Finding> = submitted.iter().chain(now.iter()).collect();
        let mut reasons: Vec<ReviewReason> = d
            .picked
            .iter()
            .filter_map(|&i| all.get(i))
            .map(|f| ReviewReason {
                rule: f.rule.to_owned(),
                message: f.message.clone(),
            })
            .collect();
        reasons.extend(d.extra.iter().cloned());
        // 遴选 starts with acceptance: every person of the accepted version becomes 待遴选.
        let candidates = if d.decision == Decision::Accepted {
            let version = self
                .store
                .get_version(scope, v.id)
                .await?
                .ok_or(Error::NotFound)?;
            let registry = self.store.registry().await?;
            crate::selection::candidates(batch, &registry, &version.snapshot)
        } else {
            Vec::new()
        };
        match self
            .store
            .review(
                scope,
                v.id,
                d.decision,
                &reasons,
                &d.note,
                &candidates,
                actor,
            )
            .await
        {
            Ok(Some(r)) => Ok(r),
            Ok(None) => Err(Error::NotFound),
            Err(e) => Err(refusal_of(e, "")),
        }
    }
}
