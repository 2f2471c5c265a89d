//! 补助经费: the subsidy ledger per receiving school (四(三) 按1万元/人标准对接收学校给予工作经费补助…补助经费
//! 直接划拨到相关学校), the maker–checker payment, adjustments (补拨 / 扣回) instead of edits, the
//! finance office's export (the only export with full account numbers) and the receiving school's
//! report of the use of the money.
//!
//! Who counts and the rate are batch parameters (`subsidy.counts`, `subsidy_per_person`): by
//! default the engineers on the final list whom the school received and who arrived.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use shuangshi_rules::Column as C;
use shuangshi_rules::Finding;
use shuangshi_rules::batch::SubsidyBasis;
use shuangshi_rules::rules::w::check_use_report;
use shuangshi_store::{
    ArrivalState, AuditEntry, BatchRecord, EntryKind, EntryStatus, LedgerEntry, NewEntry,
    SubsidyUse, TermTallies,
};

use crate::checks::shanghai;
use crate::error::{Error, Result};
use crate::selection::refused;
use crate::term::parse_day;
use crate::{Actor, App, Disclosure, Scope};

pub use shuangshi_rules::text::yuan;

/// Reads an amount of yuan as typed: 「10000」, 「10,000」, 「¥10,000」, 「10000元」, 「1万」.
pub fn parse_yuan(text: &str) -> Option<i64> {
    let t = shuangshi_rules::text::norm(text);
    let t = t
        .trim_start_matches('¥')
        .trim_start_matches('￥')
        .trim_end_matches('元')
        .replace(',', "");
    if let Some(w) = t.strip_suffix('万') {
        let v: f64 = w.parse().ok()?;
        let y = (v * 10_000.0).round();
        return (0.0..1e12).contains(&y).then_some(y as i64);
    }
    let v: i64 = t.parse().ok()?;
    (v >= 0).then_some(v)
}

/// A school's bank details as its forms give them (F05/F10-checked: the same on every row).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bank {
    pub bank: String,
    pub account_name: String,
    /// Masked unless the disclosure is full.
    pub account_number: String,
}

impl Bank {
    /// A school's bank details from its stored forms: the first row with an account number (F10
    /// holds every row of a school to the same details), in full; `None` when no row has one.
    pub fn of_forms(forms: &[shuangshi_store::FormRecord]) -> Option<Bank> {
        forms
            .iter()
            .flat_map(|f| f.rows.iter())
            .find(|r| !r.cell(C::AccountNumber).trim().is_empty())
            .map(|r| Bank {
                bank: r.cell(C::Bank).trim().to_owned(),
                account_name: r.cell(C::AccountName).trim().to_owned(),
                account_number: r.cell(C::AccountNumber).trim().to_owned(),
            })
    }
}

/// One receiving school in the ledger.
#[derive(Debug, Clone)]
pub struct LedgerRow {
    pub school_id: i64,
    pub school_name: String,
    /// People counted (on the final list and, by default, arrived).
    pub people: i64,
    /// People on the final list received by this school.
    pub listed: i64,
    pub rate: i64,
    /// people × rate.
    pub due: i64,
    /// Σ of the paid entries (grants, 补拨, minus 扣回).
    pub paid: i64,
    /// Σ of the entries waiting for approval.
    pub pending: i64,
    /// due − paid.
    pub balance: i64,
    /// 待拨付 / 待审批 / 已拨付 / 待补拨 / 待扣回 / 无需拨付.
    pub status: &'static str,
    pub bank: Bank,
    pub entries: Vec<LedgerEntry>,
    pub use_report: Option<SubsidyUse>,
    /// W06 now.
    pub findings: Vec<Finding>,
}

impl LedgerRow {
    /// Whether a first 拨付 can be prepared (nothing paid or waiting yet, something due).
    pub fn may_grant(&self) -> bool {
        self.pending == 0
            && self.balance > 0
            && !self
                .entries
                .iter()
                .any(|e| e.kind == EntryKind::Grant && e.status != EntryStatus::Withdrawn)
    }
}

/// The ledger of a batch.
#[derive(Debug, Clone)]
pub struct Ledger {
    pub rows: Vec<LedgerRow>,
    pub rate: i64,
    /// 「已到岗人员」 or 「正式名单人员」.
    pub basis: &'static str,
    pub people: i64,
    pub due: i64,
    pub paid: i64,
    pub pending: i64,
    /// A second 市教委管理员 approves each entry.
    pub needs_approval: bool,
    pub categories: Vec<String>,
}

fn status_of(due: i64, paid: i64, pending: i64) -> &'static str {
    if pending != 0 {
        "待审批"
    } else if due == 0 && paid == 0 {
        "无需拨付"
    } else if paid == 0 {
        "待拨付"
    } else if paid == due {
        "已拨付"
    } else if paid < due {
        "待补拨"
    } else {
        "待扣回"
    }
}

/// The headers of the finance office's export.
pub const LEDGER_HEADERS: [&str; 13] = [
    "序号",
    "接收学校",
    "开户名称",
    "学校对公账户开户行",
    "账户账号",
    "名单人数",
    "计补人数",
    "标准（元/人）",
    "应拨金额（元）",
    "已拨金额（元）",
    "待审批（元）",
    "差额（元）",
    "拨付记录",
];

impl App {
    /// The ledger of `batch` within `scope` (the commission sees every school, a school its own
    /// row); account numbers through `disclosure`.
    pub async fn ledger(
        &self,
        scope: &Scope,
        batch: &BatchRecord,
        disclosure: &Disclosure,
        at: DateTime<Utc>,
    ) -> Result<Ledger> {
        let term = self.store.term_tallies(&Scope::All, batch.id).await?;
        self.ledger_of(scope, batch, disclosure, at, &term, true)
            .await
    }

    /// The ledger of `batch` from its final list counted ([`shuangshi_store::Store::term_tallies`]
    /// over every school); the bank details read only when `banks` (else left empty).
    pub(crate) async fn ledger_of(
        &self,
        scope: &Scope,
        batch: &BatchRecord,
        disclosure: &Disclosure,
        at: DateTime<Utc>,
        term: &TermTallies,
        banks: bool,
    ) -> Result<Ledger> {
        let rate = i64::from(batch.params.subsidy_per_person);
        let basis = batch.params.subsidy.counts;
        let mut listed: BTreeMap<i64, (String, i64, i64)> = BTreeMap::new();
        for (g, n) in term
            .groups
            .iter()
            .filter(|(g, _)| g.direction == "enterprise")
        {
            let n = i64::try_from(*n).unwrap_or(i64::MAX);
            let e = listed.entry(g.school_id).or_insert_with(|| {
                (
                    term.school_names
                        .get(&g.school_id)
                        .cloned()
                        .unwrap_or_default(),
                    0,
                    0,
                )
            });
            e.1 += n;
            if basis == SubsidyBasis::Listed || g.arrival == ArrivalState::Arrived {
                e.2 += n;
            }
        }
        let entries = self.store.ledger_entries(batch.id, None).await?;
        for e in &entries {
            listed
                .entry(e.school_id)
                .or_insert_with(|| (e.school_name.clone(), 0, 0));
        }
        let uses: HashMap<i64, SubsidyUse> = self
            .store
            .subsidy_uses(batch.id)
            .await?
            .into_iter()
            .map(|u| (u.school_id, u))
            .collect();
        let banks = if banks {
            self.banks(batch).await?
        } else {
            HashMap::new()
        };
        let now = at.with_timezone(&shanghai());
        let mut rows = Vec::new();
        for (school_id, (school_name, listed_n, people)) in listed {
            if let Scope::School(me) = *scope
                && me != school_id
            {
                continue;
            }
            if !matches!(
                *scope,
                Scope::All | Scope::School(_) | Scope::VocationalSchools
            ) {
                continue;
            }
            let mine: Vec<LedgerEntry> = entries
                .iter()
                .filter(|e| e.school_id == school_id)
                .cloned()
                .collect();
            let sum = |s: EntryStatus| {
                mine.iter()
                    .filter(|e| e.status == s)
                    .map(|e| e.amount)
                    .sum::<i64>()
            };
            let (paid, pending) = (sum(EntryStatus::Paid), sum(EntryStatus::Pending));
            let due = people * rate;
            let mut bank = banks.get(&school_id).cloned().unwrap_or_default();
            bank.account_number = disclosure.cell(C::AccountNumber, &bank.account_number);
            let use_report = uses.get(&school_id).cloned();
            rows.push(LedgerRow {
                findings: check_use_report(
                    &batch.params,
                    &school_name,
                    paid,
                    use_report.is_some(),
                    now,
                ),
                school_id,
                school_name,
                people,
                listed: listed_n,
                rate,
                due,
                paid,
                pending,
                balance: due - paid,
                status: status_of(due, paid, pending),
                bank,
                entries: mine,
                use_report,
            });
        }
        Ok(Ledger {
            people: rows.iter().map(|r| r.people).sum(),
            due: rows.iter().map(|r| r.due).sum(),
            paid: rows.iter().map(|r| r.paid).sum(),
            pending: rows.iter().map(|r| r.pending).sum(),
            rows,
            rate,
            basis: match basis {
                SubsidyBasis::Arrived => "正式名单中已到岗的人员",
                SubsidyBasis::Listed => "正式名单人员",
            },
            needs_approval: self.store.active_admins().await? > 1,
            categories: batch.params.subsidy.categories.clone(),
        })
    }

    /// Each receiving school's bank details, from the accepted version its people came from.
    async fn banks(&self, batch: &BatchRecord) -> Result<HashMap<i64, Bank>> {
        let sels = self.store.list_selections(&Scope::All, batch.id).await?;
        let mut versions: BTreeMap<i64, i64> = BTreeMap::new();
        for s in &sels {
            versions
                .entry(s.school_id)
                .or_insert(s.submission_version_id);
        }
        let mut out = HashMap::new();
        for (school, vid) in versions {
            let Some(v) = self.store.get_version(&Scope::All, vid).await? else {
                continue;
            };
            let found = v
                .snapshot
                .forms
                .iter()
                .flat_map(|f| f.rows.iter())
                .find(|r| !r.cell(C::AccountNumber).trim().is_empty());
            if let Some(r) = found {
                out.insert(
                    school,
                    Bank {
                        bank: r.cell(C::Bank).trim().to_owned(),
                        account_name: r.cell(C::AccountName).trim().to_owned(),
                        account_number: r.cell(C::AccountNumber).trim().to_owned(),
                    },
                );
            }
        }
        Ok(out)
    }

    async fn ledger_row(&self, batch: &BatchRecord, school_id: i64) -> Result<LedgerRow> {
        let actor = Actor::system();
        let d = Disclosure::new(shuangshi_store::Role::Admin, actor, false);
        self.ledger(&Scope::All, batch, &d, Utc::now())
            .await?
            .rows
            .into_iter()
            .find(|r| r.school_id == school_id)
            .ok_or(Error::NotFound)
    }

    /// Prepares the first 拨付 of a school: its balance (people × rate), paid on `paid_on` with
    /// voucher `voucher`. Waits for a second 市教委管理员 when there is one.
    pub async fn pay(
        &self,
        actor: &Actor,
        batch: &BatchRecord,
        school_id: i64,
        paid_on: &str,
        voucher: &str,
    ) -> Result<LedgerEntry> {
        let row = self.ledger_row(batch, school_id).await?;
        if !row.may_grant() {
            return Err(Error::refused(format!(
                "「{}」当前{}（应拨 {}，已拨 {}）；已拨付后的更正请使用「补拨」或「扣回」并写明原因",
                row.school_name,
                row.status,
                yuan(row.due),
                yuan(row.paid)
            )));
        }
        let (day, voucher) = read_payment(paid_on, voucher)?;
        let people = i32::try_from(row.people).unwrap_or(i32::MAX);
        let needs = self.store.active_admins().await? > 1;
        self.store
            .prepare_entry(
                &NewEntry {
                    batch_id: batch.id,
                    school_id,
                    kind: EntryKind::Grant,
                    people,
                    rate: row.rate,
                    amount: row.balance,
                    reason: format!(
                        "{} 人 × {}（{}）",
                        row.people,
                        yuan(row.rate),
                        batch.params.name
                    ),
                    paid_on: day,
                    voucher,
                },
                needs,
                actor,
            )
            .await
            .map_err(refused)
    }

    /// A correction after payment: 补拨 or 扣回 of `amount` yuan with a reason (never an edit).
    #[allow(clippy::too_many_arguments)]
    pub async fn adjust(
        &self,
        actor: &Actor,
        batch: &BatchRecord,
        school_id: i64,
        kind: EntryKind,
        amount: &str,
        reason: &str,
        paid_on: &str,
        voucher: &str,
    ) -> Result<LedgerEntry> {
        if kind == EntryKind::Grant {
            return self.pay(actor, batch, school_id, paid_on, voucher).await;
        }
        let row = self.ledger_row(batch, school_id).await?;
        let Some(v) = parse_yuan(amount).filter(|v| *v > 0) else {
            return Err(Error::refused(format!(
                "「金额」填写为「{}」，无法识别；应为大于 0 的整数金额（元），如「10000」或「¥10,000」",
                amount.trim()
            )));
        };
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(Error::refused(format!(
                "{}须写明原因，例如「李四未到岗，扣回补助」",
                kind.label()
            )));
        }
        if kind == EntryKind::Clawback && v > row.paid {
            return Err(Error::refused(format!(
                "扣回金额 {} 超过「{}」已拨金额 {}",
                yuan(v),
                row.school_name,
                yuan(row.paid)
            )));
        }
        let (day, voucher) = read_payment(paid_on, voucher)?;
        let needs = self.store.active_admins().await? > 1;
        self.store
            .prepare_entry(
                &NewEntry {
                    batch_id: batch.id,
                    school_id,
                    kind,
                    people: 0,
                    rate: row.rate,
                    amount: if kind == EntryKind::Clawback { -v } else { v },
                    reason: reason.to_owned(),
                    paid_on: day,
                    voucher,
                },
                needs,
                actor,
            )
            .await
            .map_err(refused)
    }

    /// The second 市教委管理员 approves a waiting entry.
    pub async fn approve_entry(&self, actor: &Actor, id: i64) -> Result<LedgerEntry> {
        self.store.approve_entry(id, actor).await.map_err(refused)
    }

    /// Withdraws a waiting entry.
    pub async fn withdraw_entry(&self, actor: &Actor, id: i64) -> Result<()> {
        self.store.withdraw_entry(id, actor).await.map_err(refused)
    }

    /// The receiving school reports how its subsidy was used: one amount per category of the
    /// batch; the sum must equal what it received.
    pub async fn report_use(
        &self,
        scope: &Scope,
        actor: &Actor,
        batch: &BatchRecord,
        amounts: &[(String, String)],
        note: &str,
    ) -> Result<SubsidyUse> {
        let Scope::School(school_id) = *scope else {
            return Err(Error::refused("经费使用情况由接收学校填报"));
        };
        let row = self.ledger_row(batch, school_id).await?;
        if row.paid <= 0 {
            return Err(Error::refused(
                "本校尚未收到本批补助经费，收到后再填报使用情况",
            ));
        }
        let mut out = Vec::new();
        for category in &batch.params.subsidy.categories {
            let text = amounts
                .iter()
                .find(|(c, _)| c == category)
                .map_or("", |(_, v)| v.as_str())
                .trim();
            let v = if text.is_empty() {
                0
            } else {
                parse_yuan(text).ok_or_else(|| {
                    Error::refused(format!(
                        "「{category}」金额填写为「{text}」，无法识别；应为不小于 0 的整数金额（元）"
                    ))
                })?
            };
            out.push((category.clone(), v));
        }
        if let Some((c, _)) = amounts
            .iter()
            .find(|(c, _)| !batch.params.subsidy.categories.contains(c))
        {
            return Err(Error::refused(format!(
                "经费类别「{c}」不在本批类别（{}）中",
                batch.params.subsidy.categories.join("、")
            )));
        }
        let total: i64 = out.iter().map(|(_, v)| *v).sum();
        if total != row.paid {
            return Err(Error::refused(format!(
                "各类别合计 {}，与本校收到的补助 {} 不一致；合计须等于所收金额",
                yuan(total),
                yuan(row.paid)
            )));
        }
        self.store
            .report_use(batch.id, school_id, &out, note, actor)
            .await
            .map_err(refused)
    }

    /// The finance office's workbook: every receiving school with its full account number and
    /// its entries. The only export with full numbers; audited as `export.ledger`.
    pub async fn ledger_xlsx(&self, actor: &Actor, batch: &BatchRecord) -> Result<Vec<u8>> {
        let d = Disclosure::new(shuangshi_store::Role::Admin, actor.clone(), true);
        let ledger = self.ledger(&Scope::All, batch, &d, Utc::now()).await?;
        let rows: Vec<Vec<String>> = ledger
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let history = r
                    .entries
                    .iter()
                    .filter(|e| e.status != EntryStatus::Withdrawn)
                    .map(|e| {
                        format!(
                            "{} {} {} {}{}",
                            e.kind.label(),
                            yuan(e.amount),
                            e.status.label(),
                            e.paid_on.map(|d| d.to_string()).unwrap_or_default(),
                            if e.voucher.is_empty() {
                                String::new()
                            } else {
                                format!(" 凭证 {}", e.voucher)
                            }
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("；");
                vec![
                    (i + 1).to_string(),
                    r.school_name.clone(),
                    r.bank.account_name.clone(),
                    r.bank.bank.clone(),
                    r.bank.account_number.clone(),
                    r.listed.to_string(),
                    r.people.to_string(),
                    r.rate.to_string(),
                    r.due.to_string(),
                    r.paid.to_string(),
                    r.pending.to_string(),
                    r.balance.to_string(),
                    history,
                ]
            })
            .collect();
        let title = format!(
            "双千双师交流计划{}接收学校工作经费补助拨付表（{}，{} 元/人）",
            batch.params.name, ledger.basis, ledger.rate
        );
        let bytes = shuangshi_sheet::write::table_xlsx("补助经费", &title, &LEDGER_HEADERS, &rows)
            .map_err(|e| Error::refused(format!("拨付表生成失败：{e}")))?;
        self.store
            .audit(AuditEntry::new(
                actor,
                "export.ledger",
                format!("batch:{}", batch.id),
                format!(
                    "{} 所学校，应拨 {} 元，已拨 {} 元（含完整账号）",
                    ledger.rows.len(),
                    ledger.due,
                    ledger.paid
                ),
            ))
            .await?;
        Ok(bytes)
    }
}

fn read_payment(paid_on: &str, voucher: &str) -> Result<(chrono::NaiveDate, String)> {
    let text = paid_on.trim();
    let Some(day) = parse_day(text) else {
        return Err(Error::refused(format!(
            "「拨付日期」填写为「{text}」，无法识别；应为「2024-03-15」这样的日期"
        )));
    };
    let voucher = voucher.trim();
    if voucher.is_empty() {
        return Err(Error::refused(
            "请填写「凭证号」（财务拨付凭证的编号），以便对账",
        ));
    }
    Ok((day, voucher.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_written_with_the_yuan_sign_and_thousands() {
        assert_eq!(yuan(100_000), "¥100,000");
        assert_eq!(yuan(10_000), "¥10,000");
        assert_eq!(yuan(999), "¥999");
        assert_eq!(yuan(0), "¥0");
        assert_eq!(yuan(-5_000), "-¥5,000");
        assert_eq!(yuan(1_234_567), "¥1,234,567");
    }

    #[test]
    fn amounts_are_read_as_typed() {
        for (t, v) in [
            ("10000", 10000),
            ("10,000", 10000),
            ("¥10,000", 10000),
            ("10000元", 10000),
            ("1万", 10000),
            ("1.5万", 15000),
            ("０", 0),
        ] {
            assert_eq!(parse_yuan(t), Some(v), "{t}");
        }
        for t in ["", "-5", "十元", "1e3"] {
            assert_eq!(parse_yuan(t), None, "{t}");
        }
    }

    #[test]
    fn status_follows_due_paid_and_pending() {
        assert_eq!(status_of(20_000, 0, 0), "待拨付");
        assert_eq!(status_of(20_000, 0, 20_000), "待审批");
        assert_eq!(status_of(20_000, 20_000, 0), "已拨付");
        assert_eq!(status_of(20_000, 10_000, 0), "待补拨");
        assert_eq!(status_of(10_000, 20_000, 0), "待扣回");
        assert_eq!(status_of(0, 0, 0), "无需拨付");
    }
}
