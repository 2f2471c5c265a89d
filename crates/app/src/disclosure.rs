//! What one request (or one command) may see of mobile and account numbers, decided once.
//!
//! Every outgoing answer that carries people's rows — pages, JSON, exports, finding messages,
//! footer phones, version diffs — passes its values through the caller's [`Disclosure`]. Numbers
//! are masked (`138****1234`, `************5678`) unless the caller asked for them in full (the
//! 「查看完整」 action, `?full=1`, `--full`) and its role may see them in full ([`may_unmask`]);
//! an answer that shows numbers in full writes one audit entry through [`Disclosure::record`].

use shuangshi_rules::text::{mask_account, mask_mobile, mask_numbers_in};
use shuangshi_rules::{Column, Finding, Report};
use shuangshi_store::forms::FIRST_ROW;
use shuangshi_store::{Actor, AuditEntry, Role, Scope, Store};

use crate::{App, Error, Result};

/// The roles that may see mobile and account numbers in full: the commission (which checks them)
/// and the officers of the school that entered them; never the enterprises or the oversight
/// bodies (`138****1234`, `************5678`).
pub const UNMASKING_ROLES: &[Role] = &[Role::Admin, Role::VocationalReviewer, Role::SchoolOfficer];

/// Whether `role` may see mobile and account numbers in full ([`UNMASKING_ROLES`]).
pub fn may_unmask(role: Role) -> bool {
    UNMASKING_ROLES.contains(&role)
}

/// The disclosure of one request or command.
#[derive(Clone, Debug)]
pub struct Disclosure {
    full: bool,
    may_unmask: bool,
    actor: Actor,
}

impl Disclosure {
    /// The disclosure of `actor` in `role`; `asked` is whether it asked for numbers in full.
    pub fn new(role: Role, actor: Actor, asked: bool) -> Disclosure {
        let may_unmask = may_unmask(role);
        Disclosure {
            full: asked && may_unmask,
            may_unmask,
            actor,
        }
    }

    /// Whether numbers are shown in full.
    pub fn full(&self) -> bool {
        self.full
    }

    /// Whether the role could ask for numbers in full (the 「查看完整」 action is offered).
    pub fn may_unmask(&self) -> bool {
        self.may_unmask
    }

    /// A cell's value as shown.
    pub fn cell(&self, column: Column, value: &str) -> String {
        if self.full || value.trim().is_empty() {
            return value.to_owned();
        }
        match column {
            Column::Mobile => mask_mobile(value.trim()),
            Column::AccountNumber => mask_account(value.trim()),
            _ => mask_numbers_in(value),
        }
    }

    /// A form footer's 联系电话: a mobile inside it masked like a row's mobile (an office landline
    /// stays as written).
    pub fn phone(&self, value: &str) -> String {
        self.text(value)
    }

    /// Free text (a finding's message, a note) with every number that could be a mobile or an
    /// account masked.
    pub fn text(&self, value: &str) -> String {
        if self.full {
            value.to_owned()
        } else {
            mask_numbers_in(value)
        }
    }

    /// A finding as shown: its message and its quoted value.
    pub fn finding(&self, f: &mut Finding) {
        if self.full {
            return;
        }
        f.message = mask_numbers_in(&f.message);
        if let Some(v) = f.value.as_mut() {
            *v = mask_numbers_in(v);
        }
    }

    /// Every finding of a report (see [`Disclosure::finding`]).
    pub fn report(&self, report: &mut Report) {
        for f in &mut report.findings {
            self.finding(f);
        }
    }

    /// A value sent back from a page that showed it masked: when `sent` is exactly what the page
    /// showed for `stored`, the stored value is kept (the user did not touch it); anything else is
    /// what the user typed.
    pub fn kept(stored: &str, sent: &str) -> String {
        if sent != stored && sent == mask_numbers_in(stored) {
            stored.to_owned()
        } else {
            sent.to_owned()
        }
    }

    /// Records that this answer showed numbers in full (`unmask.<what>` on `target`); nothing when
    /// it did not. A failure to write is logged, never shown to the user.
    pub async fn record(&self, store: &Store, what: &str, target: String, detail: String) {
        if !self.full {
            return;
        }
        let entry = AuditEntry::new(&self.actor, &format!("unmask.{what}"), target, detail);
        if let Err(e) = store.audit(entry).await {
            tracing::warn!(error = %e, what, "unmasked view not audited");
        }
    }
}

/// Which number of a row the 「查看完整」 action of one value reveals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Number {
    /// 手机号码.
    Mobile,
    /// 账户账号.
    Account,
    /// The footer's 联系电话 (of the school's 学校填表人; the row is not used).
    Contact,
}

impl Number {
    /// `mobile` or `account`, as the pages send it.
    pub fn parse(s: &str) -> Option<Number> {
        match s.trim() {
            "mobile" => Some(Number::Mobile),
            "account" => Some(Number::Account),
            "contact" => Some(Number::Contact),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Number::Mobile => "mobile",
            Number::Account => "account",
            Number::Contact => "contact",
        }
    }

    /// The row's column holding the number; `None` for the footer's 联系电话.
    pub fn column(self) -> Option<Column> {
        match self {
            Number::Mobile => Some(Column::Mobile),
            Number::Account => Some(Column::AccountNumber),
            Number::Contact => None,
        }
    }

    /// 手机号码 / 账户账号 / 联系电话.
    pub fn label(self) -> &'static str {
        self.column().map_or("联系电话", Column::label)
    }

    /// The number `self` names in a form: the row's cell (`cell` of the row at `index`, with the
    /// person's name), or the footer's phone with the 学校填表人.
    fn pick<'a>(
        self,
        index: usize,
        row: impl Fn(usize, Column) -> Option<&'a str>,
        filler: &'a str,
        phone: &'a str,
    ) -> Option<(&'a str, &'a str, String)> {
        match self.column() {
            Some(column) => Some((
                row(index, Column::Name)?,
                row(index, column)?,
                format!("第 {} 行", index + FIRST_ROW as usize),
            )),
            None => Some((filler, phone, "表尾".to_owned())),
        }
    }
}

/// One value to show in full: the number of the person on sheet row `row_no` (the first person
/// is row 5, as in the downloaded form) of form `form_id`, or the form's footer 联系电话 (row not
/// used) — as it stands now, or as submitted in submission version `version_id`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RevealTarget {
    pub form_id: i64,
    pub row_no: u32,
    pub number: Number,
    pub version_id: Option<i64>,
}

/// A value shown in full, with the person it belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revealed {
    pub value: String,
    /// The person's name (as written in the row).
    pub name: String,
    /// 手机号码 / 账户账号.
    pub label: &'static str,
}

impl App {
    /// 「查看完整」 of one value: the number `target` names, in full, for a caller whose role may
    /// see numbers in full; one `unmask.value` audit entry names the form, the row, the column
    /// and the person (never the value). `Error::NotFound` when the form, the version or the row
    /// is not in `scope`; refused for a role that may not unmask.
    pub async fn reveal(
        &self,
        scope: &Scope,
        disclosure: &Disclosure,
        target: RevealTarget,
    ) -> Result<Revealed> {
        if !disclosure.may_unmask() {
            return Err(Error::refused("本账号无权查看完整号码"));
        }
        let index = match target.number {
            Number::Contact => 0,
            _ => target
                .row_no
                .checked_sub(FIRST_ROW)
                .and_then(|i| usize::try_from(i).ok())
                .ok_or(Error::NotFound)?,
        };
        // The person's name, the value, where it is in the form, and which form it is.
        let picked = |found: Option<(&str, &str, String)>, where_: String| {
            let (name, value, at) = found.ok_or(Error::NotFound)?;
            Ok::<_, Error>((name.to_owned(), value.to_owned(), at, where_))
        };
        let (name, value, at, where_) = match target.version_id {
            None => {
                let form = self
                    .store
                    .get_form(scope, target.form_id)
                    .await?
                    .ok_or(Error::NotFound)?;
                let cell = |i: usize, c: Column| form.rows.get(i).map(|r| r.cell(c));
                picked(
                    target.number.pick(index, cell, &form.filler, &form.phone),
                    format!("推荐表 {}（{}）", form.id, form.enterprise_name),
                )?
            }
            Some(version_id) => {
                let version = self
                    .store
                    .get_version(scope, version_id)
                    .await?
                    .ok_or(Error::NotFound)?;
                let form = version
                    .snapshot
                    .forms
                    .iter()
                    .find(|f| f.form_id == target.form_id)
                    .ok_or(Error::NotFound)?;
                let cell = |i: usize, c: Column| form.rows.get(i).map(|r| r.cell(c));
                picked(
                    target.number.pick(index, cell, &form.filler, &form.phone),
                    format!(
                        "推荐表 {}（{}）第 {} 次报送",
                        form.form_id, form.enterprise.name, version.snapshot.version_no
                    ),
                )?
            }
        };
        let value = value.trim().to_owned();
        if value.is_empty() {
            return Err(Error::NotFound);
        }
        let entry = AuditEntry::new(
            &disclosure.actor,
            "unmask.value",
            format!("form:{}", target.form_id),
            format!("{where_} {at}「{name}」{}", target.number.label()),
        );
        self.store.audit(entry).await?;
        Ok(Revealed {
            value,
            name,
            label: target.number.label(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_untouched_masked_value_keeps_the_stored_one() {
        assert_eq!(
            Disclosure::kept("13600136000", "136****6000"),
            "13600136000"
        );
        assert_eq!(
            Disclosure::kept("13600136000", "13600136001"),
            "13600136001"
        );
        assert_eq!(
            Disclosure::kept("023-63865672", "023-63865672"),
            "023-63865672"
        );
        assert_eq!(Disclosure::kept("13600136000", ""), "");
    }

    #[test]
    fn only_roles_that_may_unmask_get_numbers_in_full() {
        let d = Disclosure::new(Role::SasacViewer, Actor::system(), true);
        assert!(!d.full());
        assert_eq!(d.cell(Column::Mobile, "13812345678"), "138****5678");
        let d = Disclosure::new(Role::Admin, Actor::system(), false);
        assert_eq!(
            d.cell(Column::AccountNumber, "6222020200012345678"),
            "***************5678"
        );
        assert_eq!(
            d.text("与「6222020200012345678」不一致"),
            "与「***************5678」不一致"
        );
        let d = Disclosure::new(Role::Admin, Actor::system(), true);
        assert_eq!(d.cell(Column::Mobile, "13812345678"), "13812345678");
    }
}
