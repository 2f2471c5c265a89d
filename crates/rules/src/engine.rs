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

/// Checks every form against every rule of groups F, T, E, S, D and P.
pub fn check(input: Input<'_>) -> Report {
    let ctx = Ctx::new(input);
    let mut out = Vec::new();
    for form in &ctx.forms {
        rules::f::check_form(&ctx, form, &mut out);
        for row in &form.rows {
            rules::f::check_row(&ctx, form, row, &mut out);
            match row.direction {
                Some(Direction::School) => rules::t::check_row(&ctx, form, row, &mut out),
                Some(Direction::Enterprise) => rules::e::check_row(&ctx, form, row, &mut out),
                None => {}
            }
        }
    }
    rules::f::check_school_accounts(&ctx, &mut out);
    rules::s::check(&ctx, &mut out);
    rules::d::check(&ctx, &mut out);
    rules::p::check(&ctx, &mut out);
    let summaries = ctx.forms.iter().map(FormCtx::summary).collect();
    Report::new(&input.batch.name, summaries, out)
}

/// Everything the rules read, computed once.
pub(crate) struct Ctx<'a> {
    pub batch: &'a Batch,
    pub registry: Option<&'a Registry>,
    pub history: &'a [PastPerson],
    pub dict: Dictionary,
    pub forms: Vec<FormCtx<'a>>,
}

pub(crate) struct FormCtx<'a> {
    pub form: &'a Form,
    /// The school as the registry knows it, when it does.
    pub school_org: Option<&'a Org>,
    pub rows: Vec<RowCtx<'a>>,
}

pub(crate) struct RowCtx<'a> {
    pub row: &'a PersonRow,
    pub direction: Option<Direction>,
    /// How the direction was told (for F08's message).
    pub problem: Option<String>,
}

impl<'a> Ctx<'a> {
    fn new(input: Input<'a>) -> Ctx<'a> {
        let batch = input.batch;
        let forms = input
            .forms
            .iter()
            .map(|form| {
                let school_org = match (input.registry, &form.school) {
                    (Some(reg), Some(s)) => reg.find(&s.raw),
                    _ => None,
                };
                let rows = form
                    .rows
                    .iter()
                    .map(|row| {
                        let (direction, problem) = direction_of(batch, input.registry, form, row);
                        RowCtx {
                            row,
                            direction,
                            problem,
                        }
                    })
                    .collect();
                FormCtx {
                    form,
                    school_org,
                    rows,
                }
            })
            .collect();
        Ctx {
            batch,
            registry: input.registry,
            history: input.history,
            dict: Dictionary::new(batch),
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
        let count = |d| self.rows.iter().filter(|r| r.direction == Some(d)).count();
        FormSummary {
            file: self.form.file.clone(),
            sheet: self.form.sheet.clone(),
            school: self.form.school.as_ref().map(|s| s.raw.clone()),
            enterprise: self.form.enterprise.as_ref().map(|s| s.raw.clone()),
            people: self.rows.len(),
            sent: count(Direction::School),
            received: count(Direction::Enterprise),
        }
    }

    pub fn school_name(&self) -> Option<String> {
        self.form.school.as_ref().map(|s| s.raw.clone())
    }

    /// 「a.xlsx［Sheet1］」.
    pub fn place(&self) -> String {
        match &self.form.sheet {
            Some(sheet) => format!("{}［{}］", self.form.file, sheet),
            None => self.form.file.clone(),
        }
    }

    /// 「a.xlsx［Sheet1］第5行「手机号码」列（J5）」.
    pub fn cell_place(&self, row: u32, col: Column) -> String {
        match self.form.cell_ref(col, row) {
            Some(r) => format!("{}第{}行「{}」列（{}）", self.place(), row, col.label(), r),
            None => format!("{}第{}行「{}」列", self.place(), row, col.label()),
        }
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
        let mut f = Finding::new(rule, format!("{}{}", self.cell_place(row.row, col), tail));
        f.file = Some(self.form.file.clone());
        f.sheet = self.form.sheet.clone();
        f.row = Some(row.row);
        f.column = Some(col.label());
        f.value = Some(cell.raw.clone());
        f.school = self.school_name();
        f.cell = self.form.cell_ref(col, row.row);
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

    pub fn count(&self, d: Direction) -> usize {
        self.rows.iter().filter(|r| r.direction == Some(d)).count()
    }
}

/// True when two organisation names denote the same organisation: equal once normalised, or the same
/// entry of the registry.
pub(crate) fn same_org(registry: Option<&Registry>, a: &str, b: &str) -> bool {
    let (na, nb) = (crate::text::norm(a), crate::text::norm(b));
    if na.is_empty() || nb.is_empty() {
        return false;
    }
    if na == nb {
        return true;
    }
    match registry {
        Some(reg) => match (reg.find(&na), reg.find(&nb)) {
            (Some(x), Some(y)) => std::ptr::eq(x, y),
            _ => false,
        },
        None => false,
    }
}

/// Decides a row's direction: the 派出类别 column when the form has it, else which of the header's
/// school and enterprise the 派出单位 / 接收单位 name, else the post. The second value explains why the
/// row fails F08, when it does.
fn direction_of(
    batch: &Batch,
    reg: Option<&Registry>,
    form: &Form,
    row: &PersonRow,
) -> (Option<Direction>, Option<String>) {
    let school = form.school.as_ref().map(|s| s.raw.as_str()).unwrap_or("");
    let enterprise = form
        .enterprise
        .as_ref()
        .map(|s| s.raw.as_str())
        .unwrap_or("");
    let send = &row.get(Column::SendingUnit).raw;
    let recv = &row.get(Column::ReceivingUnit).raw;
    let by_post = {
        let post = &row.get(Column::Post).norm;
        if batch
            .posts
            .school
            .iter()
            .any(|p| crate::text::norm(p) == *post)
        {
            Some(Direction::School)
        } else if batch
            .posts
            .enterprise
            .iter()
            .any(|p| crate::text::norm(p) == *post)
        {
            Some(Direction::Enterprise)
        } else {
            None
        }
    };
    let declared = row.get(Column::Direction);
    let stated = if form.has_column(Column::Direction) && !declared.is_empty() {
        match Direction::parse(&declared.norm) {
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
    let is = |a: &str, b: &str| same_org(reg, a, b);
    let direction = stated.or_else(|| {
        if is(send, school) || is(recv, enterprise) {
            Some(Direction::School)
        } else if is(send, enterprise) || is(recv, school) {
            Some(Direction::Enterprise)
        } else {
            None
        }
    });
    let expected = |d: Direction| match d {
        Direction::School => (school, enterprise),
        Direction::Enterprise => (enterprise, school),
    };
    match direction {
        Some(d) => {
            let (want_send, want_recv) = expected(d);
            let mut problems = Vec::new();
            if !send.trim().is_empty() && !is(send, want_send) {
                problems.push(format!("派出单位「{send}」应为「{want_send}」"));
            }
            if !recv.trim().is_empty() && !is(recv, want_recv) {
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
