//! 催办提醒: the commission sees the units behind at each stage of every batch in progress and
//! reminds them in one click. A reminder is stored (the unit sees it on its 工作台), audited, and
//! e-mailed to the unit's accounts when a [`Mailer`] is configured; a unit is reminded of a reason
//! at most once a day (Asia/Shanghai).
//!
//! Who is behind:
//! - while a batch collects forms (open, no final list yet), the units on the dashboard's list
//!   ([`crate::dashboard::Dashboard::behind`]): partnership unconfirmed, below the tier minimums
//!   (S03–S05), enterprise confirmation pending (W02), returned and not submitted again; and a
//!   school with no partner or no submission once its deadline (its extension's, when it has one)
//!   is at most the batch's `reminders.not_submitted_days` away;
//! - in a batch's term (final list published, term not closed): the receiving units with an
//!   overdue arrival (W04) or assessment (W05) record, and the receiving schools whose use report
//!   is overdue (W06).

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use shuangshi_rules::Finding;
use shuangshi_store::{
    BatchRecord, BatchStatus, PublicationKind, PublicationState, Reminder, Role,
};

use crate::checks::shanghai;
use crate::dashboard::{BehindUnit, Missing, Reason};
use crate::error::{Error, Result};
use crate::mail::Mailer;
use crate::{Actor, App, Disclosure, Scope};

/// The stage a batch is in, for its reminders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Partnerships, forms and submissions.
    Collection,
    /// The term of the final list.
    Term,
}

impl Stage {
    pub fn label(self) -> &'static str {
        match self {
            Stage::Collection => "报送阶段",
            Stage::Term => "聘期阶段",
        }
    }
}

/// A unit behind, with what it was already reminded of today.
#[derive(Debug, Clone)]
pub struct RemindUnit {
    pub unit: BehindUnit,
    /// The reasons already reminded of today (not sent again).
    pub sent_today: Vec<Reason>,
    /// How many of the unit's accounts have an e-mail address.
    pub addresses: usize,
}

impl RemindUnit {
    /// The reasons that would be sent now.
    pub fn due(&self) -> Vec<Reason> {
        let mut out: Vec<Reason> = Vec::new();
        for m in &self.unit.missing {
            if !self.sent_today.contains(&m.reason) && !out.contains(&m.reason) {
                out.push(m.reason);
            }
        }
        out
    }
}

/// The units behind in one batch.
#[derive(Debug, Clone)]
pub struct BehindBatch {
    pub batch: BatchRecord,
    pub stage: Stage,
    pub units: Vec<RemindUnit>,
}

/// What to remind: one unit of one batch of one reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Pick {
    pub batch_id: i64,
    pub org_id: i64,
    pub reason: Reason,
}

impl Pick {
    /// The form value of a pick: `batch:org:reason`.
    pub fn code(&self) -> String {
        format!("{}:{}:{}", self.batch_id, self.org_id, self.reason.as_str())
    }

    /// Reads [`Pick::code`].
    pub fn parse(code: &str) -> Option<Pick> {
        let mut it = code.split(':');
        let batch_id = it.next()?.parse().ok()?;
        let org_id = it.next()?.parse().ok()?;
        let reason = Reason::parse(it.next()?)?;
        it.next().is_none().then_some(Pick {
            batch_id,
            org_id,
            reason,
        })
    }
}

/// One unit reminded.
#[derive(Debug, Clone)]
pub struct Sent {
    pub batch_name: String,
    pub org_name: String,
    pub reasons: Vec<Reason>,
    /// Addresses the e-mail went to (none when no server or no address).
    pub emailed_to: usize,
    /// Why the e-mail failed, when it did (the reminder stands on the 工作台).
    pub mail_error: Option<String>,
}

/// The outcome of a send.
#[derive(Debug, Clone, Default)]
pub struct SendOutcome {
    pub sent: Vec<Sent>,
    /// Picks not sent because the unit was reminded of that reason today.
    pub already_today: usize,
}

impl SendOutcome {
    /// The summary a clerk reads after the click.
    pub fn summary(&self, mailing: bool) -> String {
        let units = self.sent.len();
        let mailed: usize = self.sent.iter().filter(|s| s.emailed_to > 0).count();
        let failed: Vec<String> = self
            .sent
            .iter()
            .filter_map(|s| {
                s.mail_error
                    .as_ref()
                    .map(|e| format!("「{}」：{e}", s.org_name))
            })
            .collect();
        let mut out = if units == 0 {
            "没有发出新的提醒".to_owned()
        } else {
            format!("已向 {units} 个单位发出提醒，已显示在其工作台")
        };
        if mailing && units > 0 {
            out.push_str(&format!("；{mailed} 个单位已发送电子邮件"));
        } else if units > 0 {
            out.push_str("；未配置邮件服务器（--smtp-url），未发送电子邮件");
        }
        if self.already_today > 0 {
            out.push_str(&format!(
                "；{} 项今天已提醒过，同一事项每天只提醒一次",
                self.already_today
            ));
        }
        if !failed.is_empty() {
            out.push_str(&format!("。邮件发送失败：{}", failed.join("；")));
        }
        out
    }
}

/// `YYYY-MM-DD` of `at` in Asia/Shanghai: the day a reminder counts in.
pub fn day_of(at: DateTime<Utc>) -> String {
    at.with_timezone(&shanghai()).format("%Y-%m-%d").to_string()
}

fn has_final_list(pubs: &[shuangshi_store::Publication]) -> bool {
    pubs.iter()
        .any(|p| p.kind == PublicationKind::Final && p.state == PublicationState::Published)
}

/// The reminder's wording for one unit and reason.
fn message(batch: &BatchRecord, unit: &BehindUnit, reason: Reason) -> String {
    let texts: Vec<&str> = unit
        .missing
        .iter()
        .filter(|m| m.reason == reason)
        .map(|m| m.text.as_str())
        .collect();
    format!("{}：{}。{}", batch.name, reason.label(), texts.join("；"))
}

impl App {
    /// Configures the e-mail of reminders.
    pub fn with_mailer(mut self, mailer: Mailer) -> App {
        self.mailer = Some(std::sync::Arc::new(mailer));
        self
    }

    /// The configured mailer, if any.
    pub fn mailer(&self) -> Option<&Mailer> {
        self.mailer.as_deref()
    }

    /// The units behind in every batch in progress (collection or term), in `scope`, at `now`.
    pub async fn behind_units(
        &self,
        scope: &Scope,
        now: DateTime<Utc>,
    ) -> Result<Vec<BehindBatch>> {
        let mut batches = self.store.list_batches().await?;
        batches.sort_by_key(|b| std::cmp::Reverse(b.number));
        let today = day_of(now);
        let mut out = Vec::new();
        for batch in batches {
            let pubs = self.store.list_publications(batch.id).await?;
            let (stage, units) = if has_final_list(&pubs) {
                if self.store.term_closed_at(batch.id).await?.is_some() {
                    continue;
                }
                (Stage::Term, self.term_behind(scope, &batch, now).await?)
            } else if batch.status == BatchStatus::Open {
                (
                    Stage::Collection,
                    self.collection_behind(scope, &batch, now).await?,
                )
            } else {
                continue;
            };
            let sent = self.store.reminders(batch.id, None).await?;
            let mut remind = Vec::new();
            for unit in units {
                let sent_today: Vec<Reason> = sent
                    .iter()
                    .filter(|r| r.org_id == unit.org_id && r.day == today)
                    .filter_map(|r| Reason::parse(&r.reason))
                    .collect();
                let addresses = self.store.org_emails(unit.org_id).await?.len();
                remind.push(RemindUnit {
                    unit,
                    sent_today,
                    addresses,
                });
            }
            out.push(BehindBatch {
                batch,
                stage,
                units: remind,
            });
        }
        Ok(out)
    }

    async fn collection_behind(
        &self,
        scope: &Scope,
        batch: &BatchRecord,
        now: DateTime<Utc>,
    ) -> Result<Vec<BehindUnit>> {
        let d = self.dashboard(scope, batch, now).await?;
        let extensions: HashMap<i64, DateTime<Utc>> = self
            .store
            .list_extensions(batch.id)
            .await?
            .into_iter()
            .map(|e| (e.school_id, e.deadline))
            .collect();
        let window = chrono::Duration::days(i64::from(batch.params.reminders.not_submitted_days));
        let mut out = Vec::new();
        for mut u in d.behind {
            let deadline = extensions
                .get(&u.org_id)
                .copied()
                .filter(|e| *e > batch.deadline())
                .unwrap_or_else(|| batch.deadline());
            let near = deadline - now <= window;
            u.missing
                .retain(|m| near || !matches!(m.reason, Reason::NotSubmitted | Reason::NoPartner));
            if !u.missing.is_empty() {
                out.push(u);
            }
        }
        Ok(out)
    }

    async fn term_behind(
        &self,
        scope: &Scope,
        batch: &BatchRecord,
        now: DateTime<Utc>,
    ) -> Result<Vec<BehindUnit>> {
        let board = self.term_board(scope, batch, now).await?;
        let mut units: BTreeMap<i64, BehindUnit> = BTreeMap::new();
        let mut push = |org_id: i64,
                        name: &str,
                        is_school: bool,
                        f: &Finding,
                        reason: Reason,
                        href: String| {
            units
                .entry(org_id)
                .or_insert_with(|| BehindUnit {
                    org_id,
                    name: name.to_owned(),
                    is_school,
                    category: String::new(),
                    missing: Vec::new(),
                })
                .missing
                .push(Missing {
                    reason,
                    text: f.message.clone(),
                    rule: Some(f.rule),
                    href: Some(href),
                });
        };
        for v in &board.rows {
            for f in &v.findings {
                let reason = match f.rule {
                    "W04" => Reason::ArrivalOverdue,
                    "W05" => Reason::AssessmentOverdue,
                    _ => continue,
                };
                push(
                    v.row.receiver_id,
                    &v.row.receiving_unit,
                    // An engineer (sent by the enterprise) is received by the school.
                    v.row.direction == "enterprise",
                    f,
                    reason,
                    format!("/term/{}", v.row.selection_id),
                );
            }
        }
        let disclosure = Disclosure::new(Role::Admin, Actor::system(), false);
        let ledger = self.ledger(scope, batch, &disclosure, now).await?;
        for r in &ledger.rows {
            for f in r.findings.iter().filter(|f| f.rule == "W06") {
                push(
                    r.school_id,
                    &r.school_name,
                    true,
                    f,
                    Reason::UseReportOverdue,
                    "/ledger".to_owned(),
                );
            }
        }
        let mut out: Vec<BehindUnit> = units.into_values().collect();
        for u in &mut out {
            if let Some(o) = self.store.get_org(&Scope::All, u.org_id).await? {
                u.name = o.name;
                u.category = o.category;
            }
        }
        out.sort_by(|a, b| (!a.is_school, &a.name).cmp(&(!b.is_school, &b.name)));
        Ok(out)
    }

    /// Reminds the units behind now: the `picks`, or every unit and reason behind when `None`.
    /// A pick that is not behind any more is refused; one already reminded today is counted and
    /// skipped. Each reminder is stored and audited; each unit gets one e-mail listing its new
    /// reasons when a mailer is configured and the unit has addresses.
    pub async fn send_reminders(
        &self,
        actor: &Actor,
        scope: &Scope,
        picks: Option<&[Pick]>,
        now: DateTime<Utc>,
    ) -> Result<SendOutcome> {
        let behind = self.behind_units(scope, now).await?;
        let wanted: Option<HashSet<Pick>> = picks.map(|p| p.iter().copied().collect());
        if let Some(w) = &wanted {
            if w.is_empty() {
                return Err(Error::refused("请先勾选要提醒的单位和事项"));
            }
            for p in w {
                let found = behind.iter().any(|b| {
                    b.batch.id == p.batch_id
                        && b.units
                            .iter()
                            .any(|u| u.unit.org_id == p.org_id && u.unit.has(p.reason))
                });
                if !found {
                    return Err(Error::refused(format!(
                        "所选单位当前没有「{}」方面的落后事项（可能已办理），请刷新页面后重新选择",
                        p.reason.label()
                    )));
                }
            }
        }
        let day = day_of(now);
        let mut outcome = SendOutcome::default();
        for b in &behind {
            for u in &b.units {
                let mut reasons = Vec::new();
                let mut lines = Vec::new();
                for reason in Reason::ALL {
                    if !u.unit.has(reason) {
                        continue;
                    }
                    let pick = Pick {
                        batch_id: b.batch.id,
                        org_id: u.unit.org_id,
                        reason,
                    };
                    if wanted.as_ref().is_some_and(|w| !w.contains(&pick)) {
                        continue;
                    }
                    let text = message(&b.batch, &u.unit, reason);
                    match self
                        .store
                        .send_reminder(
                            b.batch.id,
                            u.unit.org_id,
                            reason.as_str(),
                            &text,
                            &day,
                            actor,
                        )
                        .await?
                    {
                        Some(r) => {
                            reasons.push((reason, r.id));
                            lines.push(text);
                        }
                        None => outcome.already_today += 1,
                    }
                }
                if reasons.is_empty() {
                    continue;
                }
                let mut sent = Sent {
                    batch_name: b.batch.name.clone(),
                    org_name: u.unit.name.clone(),
                    reasons: reasons.iter().map(|(r, _)| *r).collect(),
                    emailed_to: 0,
                    mail_error: None,
                };
                if let Some(mailer) = self.mailer() {
                    let to = self.store.org_emails(u.unit.org_id).await?;
                    if !to.is_empty() {
                        let labels: Vec<&str> = sent.reasons.iter().map(|r| r.label()).collect();
                        let subject = format!(
                            "【双千双师】{}进度提醒：{}",
                            b.batch.name,
                            labels.join("、")
                        );
                        let body = format!(
                            "{}：\n\n市教委提醒贵单位在「{}」中尚有以下事项待办理：\n\n{}\n\n请登录双千双师交流计划管理系统，在工作台查看并尽快办理。\n\n（本邮件由系统发出，同一事项每天最多提醒一次。）\n",
                            u.unit.name,
                            b.batch.name,
                            lines
                                .iter()
                                .map(|l| format!("· {l}"))
                                .collect::<Vec<_>>()
                                .join("\n")
                        );
                        match mailer.send(&to, &subject, &body).await {
                            Ok(()) => {
                                for (_, id) in &reasons {
                                    self.store.mark_emailed(*id).await?;
                                }
                                sent.emailed_to = to.len();
                            }
                            Err(e) => {
                                tracing::warn!(unit = %u.unit.name, error = %e, "reminder e-mail failed");
                                sent.mail_error = Some(e);
                            }
                        }
                    }
                }
                outcome.sent.push(sent);
            }
        }
        Ok(outcome)
    }

    /// The reminders a unit received in the batches in progress, newest first (its 工作台).
    pub async fn reminders_of(&self, org_id: i64) -> Result<Vec<Reminder>> {
        let mut out = Vec::new();
        for b in self.store.list_batches().await? {
            if b.status == BatchStatus::Draft {
                continue;
            }
            out.extend(self.store.reminders(b.id, Some(org_id)).await?);
        }
        out.sort_by_key(|r| std::cmp::Reverse(r.sent_at));
        out.truncate(20);
        Ok(out)
    }

    /// Every reminder sent in the batches in progress, newest first (the commission's history).
    pub async fn reminder_history(&self, batches: &[BehindBatch]) -> Result<Vec<Reminder>> {
        let mut out = Vec::new();
        for b in batches {
            out.extend(self.store.reminders(b.batch.id, None).await?);
        }
        out.sort_by_key(|r| std::cmp::Reverse(r.sent_at));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pick_reads_back_its_code_and_nothing_else() {
        let p = Pick {
            batch_id: 3,
            org_id: 17,
            reason: Reason::ArrivalOverdue,
        };
        assert_eq!(Pick::parse(&p.code()), Some(p));
        assert_eq!(Pick::parse("3:17"), None);
        assert_eq!(Pick::parse("3:17:nonsense"), None);
        assert_eq!(Pick::parse("3:17:returned:x"), None);
        assert_eq!(Pick::parse("a:17:returned"), None);
    }

    #[test]
    fn the_day_is_counted_in_chongqing() {
        let late = DateTime::parse_from_rfc3339("2024-03-01T17:30:00Z")
            .map(|d| d.with_timezone(&Utc))
            .ok();
        assert_eq!(late.map(day_of).as_deref(), Some("2024-03-02"));
    }
}
