//! Data scope in one place: which organisations, partnerships, forms, rows and submissions a caller
//! may see. Every list and get over organisation data filters through the conditions here, and
//! returns `None` / nothing for what lies outside; which scope a user has is decided by the web
//! crate's policy table, not here.
//!
//! | scope | orgs | partnerships, forms, rows | submissions |
//! | --- | --- | --- | --- |
//! | `All` | all | all | all |
//! | `VocationalSchools` | schools of tier 中职 | those of 中职 schools | those of 中职 schools |
//! | `School(id)` | itself and every enterprise (to pick a partner) | its own | its own |
//! | `Enterprise(id)` | itself and the schools it has a partnership with | its own | none |
//! | `StateOwnedRows` | enterprises of kind 国有企业 | those whose form was copied to 市国资委 when submitted | none |
//! | `PrivateRows` | enterprises of kind 民营企业 | those whose form was copied to 市工商联 when submitted | none |
//! | `None` | none | none | none |
//!
//! The routed copies and the selections (with their opinions) are rows that name their school,
//! their enterprise and the oversight body their form was routed to at submission
//! (`shuangshi_rules::copy_to`); [`Scope::routed_filter`] decides them for every scope alike: the
//! commission all, 职成教处 those of 中职 schools, a school or an enterprise its own, an oversight
//! scope those routed to its body.

use sea_orm::sea_query::{Expr, LikeExpr, Query, SelectStatement};
use sea_orm::{ColumnTrait, Condition};

use crate::entity::{copies, forms, orgs, partnerships, submissions};

/// The school tier whose submissions 职成教处 reviews.
pub const VOCATIONAL_TIER: &str = "中职";
/// The enterprise kind 市国资委 reads.
pub const STATE_OWNED_KIND: &str = "国有企业";
/// The enterprise kind 市工商联 reads.
pub const PRIVATE_KIND: &str = "民营企业";

/// What part of the organisation data a caller may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Everything (市教委管理员).
    All,
    /// Schools of tier 中职 and their data (职成教处审核员).
    VocationalSchools,
    /// One school's own data (学校经办人).
    School(i64),
    /// One enterprise's own data (企业经办人).
    Enterprise(i64),
    /// Rows copied to 市国资委 (国资委查阅).
    StateOwnedRows,
    /// Rows copied to 市工商联 (工商联查阅).
    PrivateRows,
    /// Nothing.
    None,
}

fn nothing() -> Condition {
    Condition::all().add(Expr::cust("1 = 0"))
}

fn everything() -> Condition {
    Condition::all()
}

/// The schools 职成教处 reviews (tier 中职), as a condition on `orgs`.
fn vocational_schools() -> Condition {
    Condition::all()
        .add(orgs::Column::IsSchool.eq(true))
        .add(orgs::Column::Category.eq(VOCATIONAL_TIER))
}

fn org_ids_where(cond: Condition) -> SelectStatement {
    Query::select()
        .column(orgs::Column::Id)
        .from(orgs::Entity)
        .cond_where(cond)
        .to_owned()
}

/// The partnerships with a form copied to `body` (四(四): from submission on, never a draft).
fn routed_to(body: shuangshi_rules::Oversight) -> SelectStatement {
    Query::select()
        .column(copies::Column::PartnershipId)
        .from(copies::Entity)
        .and_where(copies::Column::Body.eq(body.as_str()))
        .to_owned()
}

fn partnership_ids_where(cond: Condition) -> SelectStatement {
    Query::select()
        .column(partnerships::Column::Id)
        .from(partnerships::Entity)
        .cond_where(cond)
        .to_owned()
}

/// The ids of the forms in scope, as a subquery (for tables keyed by form).
pub(crate) fn form_ids_where(scope: &Scope) -> SelectStatement {
    Query::select()
        .column(forms::Column::Id)
        .from(forms::Entity)
        .cond_where(scope.form_filter())
        .to_owned()
}

impl Scope {
    /// The condition on `orgs`.
    pub(crate) fn org_filter(&self) -> Condition {
        match *self {
            Scope::All => everything(),
            Scope::VocationalSchools => vocational_schools(),
            Scope::School(id) => Condition::any()
                .add(orgs::Column::Id.eq(id))
                .add(orgs::Column::IsSchool.eq(false)),
            Scope::Enterprise(id) => Condition::any().add(orgs::Column::Id.eq(id)).add(
                orgs::Column::Id.in_subquery(
                    Query::select()
                        .column(partnerships::Column::SchoolId)
                        .from(partnerships::Entity)
                        .and_where(partnerships::Column::EnterpriseId.eq(id))
                        .to_owned(),
                ),
            ),
            Scope::StateOwnedRows => Condition::all()
                .add(orgs::Column::IsSchool.eq(false))
                .add(orgs::Column::Category.eq(STATE_OWNED_KIND)),
            Scope::PrivateRows => Condition::all()
                .add(orgs::Column::IsSchool.eq(false))
                .add(orgs::Column::Category.eq(PRIVATE_KIND)),
            Scope::None => nothing(),
        }
    }

    /// The condition on `partnerships` (and through them on forms, rows and scans).
    pub(crate) fn partnership_filter(&self) -> Condition {
        match *self {
            Scope::All => everything(),
            Scope::VocationalSchools => Condition::all().add(
                partnerships::Column::SchoolId.in_subquery(org_ids_where(vocational_schools())),
            ),
            Scope::School(id) => Condition::all().add(partnerships::Column::SchoolId.eq(id)),
            Scope::Enterprise(id) => {
                Condition::all().add(partnerships::Column::EnterpriseId.eq(id))
            }
            Scope::StateOwnedRows => Condition::all().add(
                partnerships::Column::Id
                    .in_subquery(routed_to(shuangshi_rules::Oversight::StateAssets)),
            ),
            Scope::PrivateRows => Condition::all().add(
                partnerships::Column::Id
                    .in_subquery(routed_to(shuangshi_rules::Oversight::Federation)),
            ),
            Scope::None => nothing(),
        }
    }

    /// The condition on `forms`: the form's partnership is in scope.
    pub(crate) fn form_filter(&self) -> Condition {
        match self {
            Scope::All => everything(),
            Scope::None => nothing(),
            _ => Condition::all().add(
                forms::Column::PartnershipId
                    .in_subquery(partnership_ids_where(self.partnership_filter())),
            ),
        }
    }

    /// The condition on `submissions`.
    pub(crate) fn submission_filter(&self) -> Condition {
        match *self {
            Scope::All => everything(),
            Scope::VocationalSchools => Condition::all().add(
                submissions::Column::SchoolId.in_subquery(org_ids_where(vocational_schools())),
            ),
            Scope::School(id) => Condition::all().add(submissions::Column::SchoolId.eq(id)),
            Scope::Enterprise(_) | Scope::StateOwnedRows | Scope::PrivateRows | Scope::None => {
                nothing()
            }
        }
    }

    /// The condition on a table of routed rows (`copies`, `selections`), given its columns of the
    /// school's id, the enterprise's id and the oversight body the form was routed to: the
    /// commission sees every row, 职成教处 those of 中职 schools, a school or an enterprise its own,
    /// 国资委 / 工商联 those routed to their body (never a draft: such rows exist from submission on).
    pub(crate) fn routed_filter<C: ColumnTrait>(
        &self,
        school_id: C,
        enterprise_id: C,
        body: C,
    ) -> Condition {
        match *self {
            Scope::All => everything(),
            Scope::VocationalSchools => {
                Condition::all().add(school_id.in_subquery(org_ids_where(vocational_schools())))
            }
            Scope::School(id) => Condition::all().add(school_id.eq(id)),
            Scope::Enterprise(id) => Condition::all().add(enterprise_id.eq(id)),
            Scope::StateOwnedRows => {
                Condition::all().add(body.eq(shuangshi_rules::Oversight::StateAssets.as_str()))
            }
            Scope::PrivateRows => {
                Condition::all().add(body.eq(shuangshi_rules::Oversight::Federation.as_str()))
            }
            Scope::None => nothing(),
        }
    }

    /// Whether this scope may act for school `school_id` (propose, edit, submit): only `All` and the
    /// school itself, or `VocationalSchools` for a 中职 school (checked by the caller's query).
    pub(crate) fn is_school(&self, school_id: i64) -> bool {
        matches!(*self, Scope::All) || *self == Scope::School(school_id)
    }
}

/// Escapes `%`, `_` and `\` for a LIKE pattern.
fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `LIKE '%s%'` with `s` taken literally.
pub(crate) fn like_contains(s: &str) -> LikeExpr {
    LikeExpr::new(format!("%{}%", escape_like(s))).escape('\\')
}

/// `LIKE 's%'` with `s` taken literally.
pub(crate) fn like_prefix(s: &str) -> LikeExpr {
    LikeExpr::new(format!("{}%", escape_like(s))).escape('\\')
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{DbBackend, EntityTrait, QueryFilter, QueryTrait};

    #[test]
    fn scopes_render_on_both_backends() {
        for scope in [
            Scope::All,
            Scope::VocationalSchools,
            Scope::School(3),
            Scope::Enterprise(4),
            Scope::StateOwnedRows,
            Scope::PrivateRows,
            Scope::None,
        ] {
            for backend in [DbBackend::Sqlite, DbBackend::Postgres] {
                let sql = forms::Entity::find()
                    .filter(scope.form_filter())
                    .build(backend)
                    .to_string();
                assert!(sql.starts_with("SELECT"), "{sql}");
            }
        }
        let sql = partnerships::Entity::find()
            .filter(Scope::StateOwnedRows.partnership_filter())
            .build(DbBackend::Postgres)
            .to_string();
        assert!(sql.contains("IN (SELECT"), "{sql}");
        assert!(sql.contains("\"copies\""), "{sql}");
        assert!(sql.contains("'sasac'"), "{sql}");
    }

    #[test]
    fn routed_rows_are_decided_by_school_enterprise_and_body() {
        use crate::entity::selections;
        let sql = |scope: Scope| {
            copies::Entity::find()
                .filter(scope.routed_filter(
                    copies::Column::SchoolId,
                    copies::Column::EnterpriseId,
                    copies::Column::Body,
                ))
                .build(DbBackend::Postgres)
                .to_string()
        };
        assert!(!sql(Scope::All).contains(" = "), "{}", sql(Scope::All));
        assert!(sql(Scope::StateOwnedRows).contains("\"body\" = 'sasac'"));
        assert!(sql(Scope::PrivateRows).contains("\"body\" = 'federation'"));
        assert!(sql(Scope::School(3)).contains("\"school_id\" = 3"));
        assert!(sql(Scope::Enterprise(4)).contains("\"enterprise_id\" = 4"));
        assert!(sql(Scope::VocationalSchools).contains("'中职'"));
        assert!(sql(Scope::None).contains("1 = 0"));
        let sql = selections::Entity::find()
            .filter(Scope::Enterprise(4).routed_filter(
                selections::Column::SchoolId,
                selections::Column::EnterpriseId,
                selections::Column::Body,
            ))
            .build(DbBackend::Sqlite)
            .to_string();
        assert!(
            sql.contains("\"selections\".\"enterprise_id\" = 4"),
            "{sql}"
        );
    }

    #[test]
    fn like_patterns_are_literal() {
        assert_eq!(escape_like("50%_a\\"), "50\\%\\_a\\\\");
    }
}
