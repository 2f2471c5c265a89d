//! What one request (or one command) may see of mobile and account numbers, decided once.
//!
//! Every outgoing answer that carries people's rows — pages, JSON, exports, finding messages,
//! footer phones, version diffs — passes its values through the caller's [`Disclosure`]. Numbers
//! are masked (`138****1234`, `************5678`) unless the caller asked for them in full (the
//! 「查看完整」 action, `?full=1`, `--full`) and its role may see them in full ([`may_unmask`]);
//! an answer that shows numbers in full writes one audit entry through [`Disclosure::record`].

use shuangshi_rules::text::{mask_account, mask_mobile, mask_numbers_in};
use shuangshi_rules::{Column, Finding, Report};
use shuangshi_store::{Actor, AuditEntry, Role, Store};

/// Whether `role` may see mobile and account numbers in full: the commission (which checks them)
/// and the officers of the school that entered them; never the enterprises or the oversight
/// bodies (`138****1234`, `************5678`).
pub fn may_unmask(role: Role) -> bool {
    match role {
        Role::Admin | Role::VocationalReviewer | Role::SchoolOfficer => true,
        Role::EnterpriseOfficer | Role::SasacViewer | Role::FederationViewer => false,
    }
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
