//! The rule engine: forms (and optionally the registry and earlier batches) in, a report out.
//!
//! It never fails and never does I/O. Each row's direction is decided once here; the rule groups in
//! [`crate::rules`] only read the context and push findings.

use std::collections::HashMap;

use crate::batch::Batch;
use crate::catalogue::RuleMeta;
use crate::finding::{Finding, FormSummary, Report};
use crate::form::{Column, Direction, Form, PersonRow};
use crate::registry::{Org, PastPerson, Registry};
use crate::rules;
pub use crate::rules::d::{Occurrence, duplicates, occurrences};
pub use crate::rules::p::totals;
use crate::tally::Tally;
use crate::text::{Season, column_letters, norm, parse_term};
use crate::titles::Dictionary;

/// What the engine checks.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    pub batch: &'a Batch,
    pub forms: &'a [Form],
    pub registry: Option<&'a Registry>,
    /// People of earlier batches (D03); empty when unknown.
    pub history: &'a [PastPerson],
}

/// Checks every form against every rule of groups F, T, E, S, D and P: [`check_forms`], then the
/// batch-wide rules ([`duplicates`] over the input's [`occurrences`], [`totals`] over its tally).
pub fn check(input: Input<'_>) -> Report {
    let ctx = Ctx::new(input);
    let mut out = form_findings(&ctx);
    out.extend(rules::d::duplicates_in(&ctx, input.history));
    let summaries: Vec<FormSummary> = ctx.forms.iter().map(FormCtx::summary).collect();
    let tally: Tally = summaries.iter().map(|s| s.tally).sum();
    out.extend(totals(input.batch, &tally));
    Report::new(&input.batch.name, summaries, out)
}

/// Checks every form against the rules whose scope is a row, a form or a school (groups F, T, E and
/// S): everything [`check`] finds except the batch-wide duplicates and totals. The report still has
/// the forms' summaries and tallies.
pub fn check_forms(input: Input<'_>) -> Report {
    let ctx = Ctx::new(input);
    let out = form_findings(&ctx);
    let summaries = ctx.forms.iter().map(FormCtx::summary).collect();
    Report::new(&input.batch.name, summaries, out)
}

/// The findings of the rules whose [`crate::catalogue::Scope`] is `Row`, `Form` or
/// `School`.
fn form_findings(ctx: &Ctx<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for form in &ctx.forms {
        rules::f::check_form(ctx, form, &mut out);
        for row in &form.rows {
            rules::f::check_row(ctx, form, row, &mut out);
            match row.direction {
                Some(Direction::School) => rules::t::check_row(ctx, form, row, &mut out),
                Some(Direction::Enterprise) => rules::e::check_row(ctx, form, row, &mut out),
                None => {}
            }
        }
    }
    rules::f::check_school_accounts(ctx, &mut out);
    rules::s::check(ctx, &mut out);
    out
}

/// Each row's direction as the rules decide it (the 派出类别 column, else the header's names, else
/// the post), form by form in input order: for lists and totals that must count people the way
/// the findings do.
pub fn directions(input: Input<'_>) -> Vec<Vec<Option<Direction>>> {
    let ctx = Ctx::new(input);
    ctx.forms
        .iter()
        .map(|f| f.rows.iter().map(|r| r.direction).collect())
        .collect()
}

/// Everything the rules read, computed once.
pub(crate) struct Ctx<'a> {
    pub batch: &'a Batch,
    pub registry: Option<&'a Registry>,
    pub dict: Dictionary,
    /// The batch's lists, normalised.
    pub normed: Normed,
    pub forms: Vec<FormCtx<'a>>,
}

/// The batch's texts the rules compare cells with, normalised once ([`crate::text::norm`]).
pub(crate) struct Normed {
    /// `posts.school` and `posts.enterprise`.
    pub school_posts: Vec<String>,
    pub enterprise_posts: Vec<String>,
    /// `posts.school_senior` and `posts.enterprise_senior`.
    pub school_senior: String,
    pub enterprise_senior: String,
    pub teacher_qualifications: Vec<String>,
    /// `priority_conditions`, in the batch's order.
    pub priority_conditions: Vec<String>,
    /// The batch's term, read.
    pub term: Option<(u32, Season)>,
}

impl Normed {
    fn new(batch: &Batch) -> Normed {
        let all = |v: &[String]| v.iter().map(|s| norm(s)).collect();
        Normed {
            school_posts: all(&batch.posts.school),
            enterprise_posts: all(&batch.posts.enterprise),
            school_senior: norm(&batch.posts.school_senior),
            enterprise_senior: norm(&batch.posts.enterprise_senior),
            teacher_qualifications: all(&batch.teacher_qualifications),
            priority_conditions: all(&batch.priority_conditions),
            term: parse_term(&norm(&batch.term)),
        }
    }

    /// The posts open to a direction, normalised.
    pub fn posts(&self, d: Direction) -> &[String] {
        match d {
            Direction::School => &self.school_posts,
            Direction::Enterprise => &self.enterprise_posts,
        }
    }
}

pub(crate) struct FormCtx<'a> {
    pub form: &'a Form,
    /// The school as the registry knows it, when it does.
    pub school_org: Option<&'a Org>,
    /// That school's registered name, normalised.
    pub school_org_norm: Option<String>,
    pub rows: Vec<RowCtx<'a>>,
    /// The form's people by direction, counted once for every rule and the report.
    pub tally: Tally,
    /// [`FormCtx::place`], made once.
    place: String,
    /// The column letters of each [`Column`] the form has.
    letters: Vec<Option<String>>,
}

pub(crate) struct RowCtx<'a> {
    pub row: &'a PersonRow,
    pub direction: Option<Direction>,
    /// How the direction was told (for F08's message).
    pub problem: Option<String>,
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(input: Input<'a>) -> Ctx<'a> {
        let batch = input.batch;
        let normed = Normed::new(batch);
        let forms = input
            .forms
            .iter()
            .map(|form| {
                let school_org = match (input.registry, &form.school) {
                    (Some(reg), Some(s)) => reg.find(&s.raw),
                    _ => None,
                };
                let rows: Vec<RowCtx<'a>> = form
                    .rows
                    .iter()
                    .map(|row| {
                        let (direction, problem) = direction_of(&normed, input.registry, form, row);
                        RowCtx {
                            row,
                            direction,
                            problem,
                        }
                    })
                    .collect();
                let tally = tally_of(&normed, &rows);
                FormCtx {
                    form,
                    school_org,
                    school_org_norm: school_org.map(|o| norm(&o.name)),
                    rows,
                    tally,
                    place: match &form.sheet {
                        Some(sheet) => format!("{}［{}］", form.file, sheet),
                        None => form.file.clone(),
                    },
                    letters: Column::ALL
                        .iter()
                        .map(|&c| form.column_index(c).map(column_letters))
                        .collect(),
                }
            })
            .collect();
        Ctx {
            batch,
            registry: input.registry,
            dict: Dictionary::new(batch),
            normed,
            forms,
        }
    }

    /// Forms grouped by school (normalised header name), in input order; forms naming no school are
    /// left out.
    pub fn schools(&self) -> Vec<(&str, Vec<&FormCtx<'a>>)> {
        let mut order: Vec<&str> = Vec::new();
        let mut map: HashMap<&str, Vec<&FormCtx<'a>>> = HashMap::new();
        for f in &self.forms {
            let key = f.form.school_key();
            if key.is_empty() {
                continue;
            }
            map.entry(key)
                .or_insert_with(|| {
                    order.push(key);
                    Vec::new()
                })
                .push(f);
        }
        order
            .into_iter()
            .map(|k| (k, map.remove(k).unwrap_or_default()))
            .collect()
    }
}

impl FormCtx<'_> {
    fn summary(&self) -> FormSummary {
        let count = |n: u32| usize::try_from(n).unwrap_or(usize::MAX);
        FormSummary {
            file: self.form.file.clone(),
            sheet: self.form.sheet.clone(),
            school: self.form.school.as_ref().map(|s| s.raw.clone()),
            enterprise: self.form.enterprise.as_ref().map(|s| s.raw.clone()),
            people: self.rows.len(),
            sent: count(self.tally.teachers),
            received: count(self.tally.engineers),
            tally: self.tally,
        }
    }

    pub fn school_name(&self) -> Option<String> {
        self.form.school.as_ref().map(|s| s.raw.clone())
    }

    /// 「a.xlsx［Sheet1］」.
    pub fn place(&self) -> &str {
        &self.place
    }

    /// The letters of `col`'s sheet column, when the form has it.
    fn letters(&self, col: Column) -> Option<&str> {
        self.letters.get(col as usize)?.as_deref()
    }

    /// The cell address of `col` in `row`, e.g. 「J5」 ([`Form::cell_ref`]).
    fn cell_ref(&self, col: Column, row: u32) -> Option<String> {
        self.letters(col).map(|l| format!("{l}{row}"))
    }

    /// Appends 「a.xlsx［Sheet1］第5行「手机号码」列（J5）」 to `out`.
    fn write_cell_place(&self, out: &mut String, row: u32, col: Column) {
        use std::fmt::Write;
        // Writing to a String cannot fail.
        let _ = match self.letters(col) {
            Some(l) => write!(
                out,
                "{}第{}行「{}」列（{l}{row}）",
                self.place,
                row,
                col.label()
            ),
            None => write!(out, "{}第{}行「{}」列", self.place, row, col.label()),
        };
    }

    /// A finding about one cell: file, sheet, row, column, value and cell address filled in.
    pub fn cell_finding(
        &self,
        rule: &RuleMeta,
        row: &PersonRow,
        col: Column,
        tail: String,
    ) -> Finding {
        let cell = row.get(col);
        let mut message = String::with_capacity(self.place.len() + 64 + tail.len());
        self.write_cell_place(&mut message, row.row, col);
        message.push_str(&tail);
        let mut f = Finding::new(rule, message);
        f.file = Some(self.form.file.clone());
        f.sheet = self.form.sheet.clone();
        f.row = Some(row.row);
        f.column = Some(col.label());
        f.value = Some(cell.raw.clone());
        f.school = self.school_name();
        f.cell = self.cell_ref(col, row.row);
        f
    }

    /// A finding about the form as a whole (its header line, footer or balance).
    pub fn form_finding(
        &self,
        rule: &RuleMeta,
        row: Option<u32>,
        column: Option<&'static str>,
        message: String,
    ) -> Finding {
        let mut f = Finding::new(rule, message);
        f.file = Some(self.form.file.clone());
        f.sheet = self.form.sheet.clone();
        f.row = row;
        f.column = column;
        f.school = self.school_name();
        f
    }
}

/// Counts a form's rows by direction, with the senior posts compared normalised.
fn tally_of(normed: &Normed, rows: &[RowCtx<'_>]) -> Tally {
    let mut t = Tally::default();
    for rc in rows {
        let post = rc.row.get(Column::Post).norm();
        match rc.direction {
            Some(Direction::School) => {
                t.teachers = t.teachers.saturating_add(1);
                t.tech_vps = t
                    .tech_vps
                    .saturating_add(u32::from(post == normed.school_senior));
            }
            Some(Direction::Enterprise) => {
                t.engineers = t.engineers.saturating_add(1);
                t.deans = t
                    .deans
                    .saturating_add(u32::from(*post == normed.enterprise_senior));
            }
            None => t.undetermined = t.undetermined.saturating_add(1),
        }
    }
    t
}

/// True when two organisation names, normalised (a [`crate::Cell::norm`], a
/// [`crate::HeaderName::norm`]), denote the same organisation: they are equal, or the same entry of
/// the registry.
pub(crate) fn same_org_normed(registry: Option<&Registry>, na: &str, nb: &str) -> bool {
    if na.is_empty() || nb.is_empty() {
        return false;
    }
    if na == nb {
        return true;
    }
    match registry {
        Some(reg) => match (reg.find_normed(na), reg.find_normed(nb)) {
            (Some(x), Some(y)) => std::ptr::eq(x, y),
            _ => false,
        },
        None => false,
    }
}

/// A header name as written and normalised ("" when the header does not say).
fn header_name(h: &Option<crate::form::HeaderName>) -> (&str, &str) {
    h.as_ref()
        .map_or(("", ""), |h| (h.raw.as_str(), h.norm.as_str()))
}

/// Decides a row's direction: the 派出类别 column when the form has it, else which of the header's
/// school and enterprise the 派出单位 / 接收单位 name, else the post. The second value explains why the
/// row fails F08, when it does.
fn direction_of(
    normed: &Normed,
    reg: Option<&Registry>,
    form: &Form,
    row: &PersonRow,
) -> (Option<Direction>, Option<String>) {
    // Each name as written (for messages) and normalised (for deciding).
    let (school, school_n) = header_name(&form.school);
    let (enterprise, enterprise_n) = header_name(&form.enterprise);
    let send_cell = row.get(Column::SendingUnit);
    let recv_cell = row.get(Column::ReceivingUnit);
    let (send, send_n) = (&send_cell.raw, send_cell.norm());
    let (recv, recv_n) = (&recv_cell.raw, recv_cell.norm());
    let by_post = {
        let post = row.get(Column::Post).norm();
        if normed.school_posts.iter().any(|p| p == post) {
            Some(Direction::School)
        } else if normed.enterprise_posts.iter().any(|p| p == post) {
            Some(Direction::Enterprise)
        } else {
            None
        }
    };
    let declared = row.get(Column::Direction);
    let stated = if form.has_column(Column::Direction) && !declared.is_empty() {
        match Direction::parse(declared.norm()) {
            Some(d) => Some(d),
            None => {
                return (
                    by_post,
                    Some(format!(
                        "派出类别「{}」无法识别；应填「学校派出」或「企业派出」",
                        declared.raw
                    )),
                );
            }
        }
    } else {
        None
    };
    if school.is_empty() || enterprise.is_empty() {
        // F12 reports the missing header; the post is the best remaining evidence.
        return (stated.or(by_post), None);
    }
    let is = |a: &str, b: &str| same_org_normed(reg, a, b);
    let direction = stated.or_else(|| {
        if is(send_n, school_n) || is(recv_n, enterprise_n) {
            Some(Direction::School)
        } else if is(send_n, enterprise_n) || is(recv_n, school_n) {
            Some(Direction::Enterprise)
        } else {
            None
        }
    });
    let expected = |d: Direction| match d {
        Direction::School => ((school, school_n), (enterprise, enterprise_n)),
        Direction::Enterprise => ((enterprise, enterprise_n), (school, school_n)),
    };
    match direction {
        Some(d) => {
            let ((want_send, want_send_n), (want_recv, want_recv_n)) = expected(d);
            let mut problems = Vec::new();
            if !send.trim().is_empty() && !is(send_n, want_send_n) {
                problems.push(format!("派出单位「{send}」应为「{want_send}」"));
            }
            if !recv.trim().is_empty() && !is(recv_n, want_recv_n) {
                problems.push(format!("接收单位「{recv}」应为「{want_recv}」"));
            }
            let problem = (!problems.is_empty()).then(|| {
                format!(
                    "本行为{}人员，{}（本表学校为「{school}」，企业为「{enterprise}」）",
                    d.label(),
                    problems.join("，")
                )
            });
            (Some(d), problem)
        }
        None => (
            by_post,
            Some(format!(
                "派出单位「{send}」与接收单位「{recv}」都不是本表的学校「{school}」或企业「{enterprise}」，无法判断是学校派出还是企业派出；学校派出人员应填 派出单位「{school}」、接收单位「{enterprise}」，企业派出人员反之"
            )),
        ),
    }
}
