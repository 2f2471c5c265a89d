//! Group D: duplicates across every form of the batch.
//!
//! The rules run over [`Occurrence`]s, one per person row, so that a caller keeping the batch's
//! occurrences indexed by [`Occurrence::mobile_key`] and [`Occurrence::name_key`] can re-run
//! [`duplicates`] over only the occurrences sharing a key a change touched.

use std::borrow::Cow;
use std::collections::HashMap;
use std::collections::hash_map::Entry;

use serde::{Deserialize, Serialize};

use crate::catalogue::RuleMeta;
use crate::engine::{Ctx, Input};
use crate::finding::Finding;
use crate::form::Column;
use crate::registry::PastPerson;
use crate::rule;
use crate::text::{column_letters, is_norm, norm, parse_mobile};

rule! {
    /// The same person (the same mobile number) is recommended more than once in the batch. The first
    /// occurrence (by file, then row) stands; each later one is an error naming the first.
    ///
    /// **条款** 一：「选派100名…优秀教师」「选派100名企业优秀工程师」 — each person counts once; 附件注：「本表所有内容必须填写准确」。
    ///
    /// **Fix**: keep the person on one form only.
    pub const D01 = "D01", Error, "一", Batch, "同一人（同一手机号）重复推荐";
}

rule! {
    /// The same name and the same 派出单位 appear with different mobile numbers: perhaps one person
    /// entered twice, perhaps namesakes.
    ///
    /// **条款** 附件注：「本表所有内容必须填写准确、规范、完整」。
    ///
    /// **Fix**: check whether these are two people; correct the mobile number if not.
    pub const D02 = "D02", Warning, "附件", Batch, "同名同单位但手机号不同";
}

rule! {
    /// The person took part in an earlier batch (when the lists of earlier batches are given, by
    /// mobile number, or by name and sending unit).
    ///
    /// **条款** 三(二)：「科学选派交流人员」 — the commission decides whether to send the same person again.
    ///
    /// **Fix**: nothing required; the commission weighs it when selecting.
    pub const D03 = "D03", Warning, "三(二)", Batch, "曾参加往批次交流";
}

/// One person row as the duplicate rules see it: where it is and the cells they compare.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Occurrence {
    pub file: String,
    pub sheet: Option<String>,
    /// The row number a spreadsheet program shows (1-based).
    pub row: u32,
    /// The school the form's header names, as written.
    pub school: Option<String>,
    /// 姓名, as written.
    pub name: String,
    /// 手机号码, as written.
    pub mobile: String,
    /// 派出单位 as written (the cell; D02 compares the cell, whatever the direction).
    pub sending_unit: String,
    /// The address of the 姓名 cell (e.g. 「C5」), when the form has that column.
    #[serde(default)]
    pub name_cell: Option<String>,
    /// The address of the 手机号码 cell (e.g. 「J5」), when the form has that column.
    #[serde(default)]
    pub mobile_cell: Option<String>,
}

impl Occurrence {
    /// The normalised mobile number D01 compares; `None` when the cell is not a mobile number.
    pub fn mobile_key(&self) -> Option<String> {
        mobile_of(&norm(&self.mobile))
    }

    /// The normalised name, `'\u{1f}'`, and the normalised sending unit: what D02 compares; `None`
    /// when either is empty.
    pub fn name_key(&self) -> Option<String> {
        let (name, unit) = (norm(&self.name), norm(&self.sending_unit));
        (!name.is_empty() && !unit.is_empty()).then(|| format!("{name}\u{1f}{unit}"))
    }

    /// 「a.xlsx［Sheet1］」.
    fn form_place(&self) -> String {
        match &self.sheet {
            Some(sheet) => format!("{}［{}］", self.file, sheet),
            None => self.file.clone(),
        }
    }

    /// 「a.xlsx［Sheet1］第5行」.
    fn place(&self) -> String {
        format!("{}第{}行", self.form_place(), self.row)
    }

    /// A finding about this row's `col` cell, as the engine's cell findings are made.
    fn finding(&self, rule: &RuleMeta, col: Column, tail: String) -> Finding {
        let (value, cell) = match col {
            Column::Mobile => (&self.mobile, &self.mobile_cell),
            _ => (&self.name, &self.name_cell),
        };
        let place = match cell {
            Some(c) => format!("{}「{}」列（{c}）", self.place(), col.label()),
            None => format!("{}「{}」列", self.place(), col.label()),
        };
        let mut f = Finding::new(rule, place + &tail);
        f.file = Some(self.file.clone());
        f.sheet = self.sheet.clone();
        f.row = Some(self.row);
        f.column = Some(col.label());
        f.value = Some(value.clone());
        f.school = self.school.clone();
        f.cell = cell.clone();
        f
    }

    /// The order the rules go through occurrences: file, sheet, row, then the cells (so that the
    /// order of the slice given never matters).
    fn order_key(&self) -> (&str, Option<&str>, u32, &str, &str, &str, Option<&str>) {
        (
            &self.file,
            self.sheet.as_deref(),
            self.row,
            &self.name,
            &self.mobile,
            &self.sending_unit,
            self.school.as_deref(),
        )
    }
}

/// Whether digits alone are a mobile number, as [`parse_mobile`] decides.
fn mobile_digits(digits: &str) -> bool {
    let b = digits.as_bytes();
    b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1])
}

/// [`parse_mobile`] of a normalised cell.
fn mobile_of(normed: &str) -> Option<String> {
    if normed.bytes().all(|b| b.is_ascii_digit()) {
        // Digits only: parse_mobile would return them unchanged, when they are a mobile number.
        mobile_digits(normed).then(|| normed.to_string())
    } else {
        parse_mobile(normed)
    }
}

/// Every person row of every form, in report order (file, sheet, row).
pub fn occurrences(input: Input<'_>) -> Vec<Occurrence> {
    occurrences_of(&Ctx::new(input))
}

pub(crate) fn occurrences_of(ctx: &Ctx<'_>) -> Vec<Occurrence> {
    let mut out: Vec<Occurrence> = ctx
        .forms
        .iter()
        .flat_map(|fc| {
            fc.rows.iter().map(move |rc| Occurrence {
                file: fc.form.file.clone(),
                sheet: fc.form.sheet.clone(),
                row: rc.row.row,
                school: fc.school_name(),
                name: rc.row.get(Column::Name).raw.clone(),
                mobile: rc.row.get(Column::Mobile).raw.clone(),
                sending_unit: rc.row.get(Column::SendingUnit).raw.clone(),
                name_cell: fc.form.cell_ref(Column::Name, rc.row.row),
                mobile_cell: fc.form.cell_ref(Column::Mobile, rc.row.row),
            })
        })
        .collect();
    out.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
    out
}

/// The D01, D02 and D03 findings over these occurrences and the people of earlier batches. The
/// first occurrence of a mobile number, or of a name and sending unit, is the earliest by file, then
/// sheet, then row, whatever the order of the slice; the findings come in that order, D03 last.
pub fn duplicates(occurrences: &[Occurrence], history: &[PastPerson]) -> Vec<Finding> {
    duplicates_of(
        occurrences.iter().map(Person::of_occurrence).collect(),
        history,
    )
}

/// [`duplicates`] over every person row of the checked forms, read in place: the engine's path,
/// without an owned [`Occurrence`] per row.
pub(crate) fn duplicates_in(ctx: &Ctx<'_>, history: &[PastPerson]) -> Vec<Finding> {
    let people = ctx
        .forms
        .iter()
        .flat_map(|fc| {
            let form = fc.form;
            let school = form.school.as_ref().map(|s| s.raw.as_str());
            fc.rows.iter().map(move |rc| {
                let cell = |c: Column| rc.row.get(c).raw.as_str();
                Person {
                    file: &form.file,
                    sheet: form.sheet.as_deref(),
                    row: rc.row.row,
                    school,
                    name: cell(Column::Name),
                    mobile: cell(Column::Mobile),
                    sending_unit: cell(Column::SendingUnit),
                    name_cell: At::Column(form.column_index(Column::Name)),
                    mobile_cell: At::Column(form.column_index(Column::Mobile)),
                }
            })
        })
        .collect();
    duplicates_of(people, history)
}

/// Where a person's cell is: an address already written, or the sheet column of its form.
#[derive(Clone, Copy)]
enum At<'a> {
    Given(Option<&'a str>),
    Column(Option<u32>),
}

impl At<'_> {
    /// The address in row `row` (1-based), e.g. 「C5」, as [`crate::Form::cell_ref`] writes it.
    fn address(self, row: u32) -> Option<String> {
        match self {
            At::Given(a) => a.map(str::to_string),
            At::Column(c) => c.map(|i| format!("{}{}", column_letters(i), row)),
        }
    }
}

/// An [`Occurrence`] borrowed: from an occurrence, or from a person row in place.
struct Person<'a> {
    file: &'a str,
    sheet: Option<&'a str>,
    row: u32,
    school: Option<&'a str>,
    name: &'a str,
    mobile: &'a str,
    sending_unit: &'a str,
    name_cell: At<'a>,
    mobile_cell: At<'a>,
}

impl<'a> Person<'a> {
    fn of_occurrence(o: &'a Occurrence) -> Person<'a> {
        Person {
            file: &o.file,
            sheet: o.sheet.as_deref(),
            row: o.row,
            school: o.school.as_deref(),
            name: &o.name,
            mobile: &o.mobile,
            sending_unit: &o.sending_unit,
            name_cell: At::Given(o.name_cell.as_deref()),
            mobile_cell: At::Given(o.mobile_cell.as_deref()),
        }
    }

    /// [`Occurrence::order_key`].
    fn order_key(&self) -> (&str, Option<&str>, u32, &str, &str, &str, Option<&str>) {
        (
            self.file,
            self.sheet,
            self.row,
            self.name,
            self.mobile,
            self.sending_unit,
            self.school,
        )
    }

    /// 「a.xlsx［Sheet1］第5行」.
    fn place(&self) -> String {
        match self.sheet {
            Some(sheet) => format!("{}［{}］第{}行", self.file, sheet, self.row),
            None => format!("{}第{}行", self.file, self.row),
        }
    }

    /// [`Occurrence::finding`].
    fn finding(&self, rule: &RuleMeta, col: Column, tail: String) -> Finding {
        let (value, at) = match col {
            Column::Mobile => (self.mobile, self.mobile_cell),
            _ => (self.name, self.name_cell),
        };
        let cell = at.address(self.row);
        let place = match &cell {
            Some(c) => format!("{}「{}」列（{c}）", self.place(), col.label()),
            None => format!("{}「{}」列", self.place(), col.label()),
        };
        let mut f = Finding::new(rule, place + &tail);
        f.file = Some(self.file.to_string());
        f.sheet = self.sheet.map(str::to_string);
        f.row = Some(self.row);
        f.column = Some(col.label());
        f.value = Some(value.to_string());
        f.school = self.school.map(str::to_string);
        f.cell = cell;
        f
    }
}

/// [`norm`], borrowed when the text is already normal.
fn normed(s: &str) -> Cow<'_, str> {
    if is_norm(s) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(norm(s))
    }
}

/// [`mobile_of`], borrowed when the normalised cell is the number itself.
fn mobile_in<'s>(normed: &Cow<'s, str>) -> Option<Cow<'s, str>> {
    match normed {
        Cow::Borrowed(s) if s.bytes().all(|b| b.is_ascii_digit()) => {
            mobile_digits(s).then_some(Cow::Borrowed(*s))
        }
        _ => mobile_of(normed).map(Cow::Owned),
    }
}

/// (name, school or unit) → the first person with it and that person's mobile.
type ByName<'a, 'p> = HashMap<(Cow<'a, str>, Cow<'a, str>), (&'p Person<'a>, Cow<'a, str>)>;

fn duplicates_of(mut rows: Vec<Person<'_>>, history: &[PastPerson]) -> Vec<Finding> {
    rows.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
    let mut out = Vec::new();
    let mut by_mobile: HashMap<Cow<'_, str>, &Person<'_>> = HashMap::with_capacity(rows.len());
    let mut by_name: ByName<'_, '_> = HashMap::with_capacity(rows.len());
    for o in &rows {
        let mobile_normed = normed(o.mobile);
        let mobile = mobile_in(&mobile_normed);
        if let Some(m) = &mobile {
            match by_mobile.get(m) {
                Some(first) => out.push(o.finding(
                    &D01,
                    Column::Mobile,
                    format!(
                        "「{}」与 {}（{}）的手机号码相同，同一人不能重复推荐；请只在一张推荐表中保留此人",
                        o.mobile,
                        first.place(),
                        first.name
                    ),
                )),
                None => {
                    by_mobile.insert(m.clone(), o);
                }
            }
        }
        let (name, unit) = (normed(o.name), normed(o.sending_unit));
        if name.is_empty() || unit.is_empty() {
            continue;
        }
        let m = mobile.unwrap_or(mobile_normed);
        match by_name.entry((name, unit)) {
            Entry::Occupied(first) => {
                let (first, fm) = first.get();
                if *fm != m {
                    out.push(o.finding(
                        &D02,
                        Column::Name,
                        format!(
                            "「{}」与 {} 同名同派出单位，但手机号码不同；请核对是否为同一人",
                            o.name,
                            first.place()
                        ),
                    ));
                }
            }
            Entry::Vacant(v) => {
                v.insert((o, m));
            }
        }
    }
    if history.is_empty() {
        return out;
    }
    let mut past_mobile: HashMap<&str, &PastPerson> = HashMap::new();
    let mut past_name: HashMap<(String, String), &PastPerson> = HashMap::new();
    for p in history {
        if !p.mobile.is_empty() {
            past_mobile.insert(p.mobile.as_str(), p);
        }
        past_name.insert((norm(&p.name), norm(&p.unit)), p);
    }
    for o in &rows {
        let mobile = parse_mobile(&norm(o.mobile));
        let key = (norm(o.name), norm(o.sending_unit));
        let hit = mobile
            .as_deref()
            .and_then(|m| past_mobile.get(m).copied())
            .or_else(|| past_name.get(&key).copied());
        if let Some(p) = hit {
            out.push(o.finding(
                &D03,
                Column::Name,
                format!(
                    "「{}」曾参加{}交流（{}）；请确认是否再次推荐",
                    o.name, p.batch, p.unit
                ),
            ));
        }
    }
    out
}

/// What a duplicate finding depends on: the people sharing a mobile number (D01), a name and
/// sending unit (D02), or the one row against earlier batches (D03). A service that keeps the
/// findings files each under its key and recomputes a key's findings when its people change.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DuplicateKey {
    /// [`Occurrence::mobile_key`].
    Mobile(String),
    /// [`Occurrence::name_key`].
    NameUnit(String),
    /// The row alone.
    Row,
}

/// The key a finding of [`duplicates`] on occurrence `o` depends on.
pub fn duplicate_key(f: &Finding, o: &Occurrence) -> DuplicateKey {
    let key = if f.rule == D01.id {
        o.mobile_key().map(DuplicateKey::Mobile)
    } else if f.rule == D02.id {
        o.name_key().map(DuplicateKey::NameUnit)
    } else {
        None
    };
    key.unwrap_or(DuplicateKey::Row)
}

/// The D01 finding on the first occurrence of a mobile number, naming a later one: the school of
/// the first occurrence sees the duplicate too, on its own row.
pub fn counterpart(first: &Occurrence, later: &Occurrence) -> Finding {
    first.finding(
        &D01,
        Column::Mobile,
        format!(
            "「{}」又在 {}（{}）被推荐，同一人不能重复推荐；请与对方学校协商，只在一张推荐表中保留此人",
            first.mobile,
            later.place(),
            later.name
        ),
    )
}
