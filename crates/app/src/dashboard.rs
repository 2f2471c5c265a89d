//! The commission's 工作台: charts over the batch and the units that are behind.
//!
//! Every number is what the lists count, never counted a second way: a chart's number for
//! 「国家双高 · 学校派出」 is the length of the roster filtered `tier=国家双高&direction=school`, and
//! links there. The dashboard does not lay the roster out, though: it reads the counts kept as
//! data ([`shuangshi_store::Store::batch_counts`]) — each form's stored tally (the school check
//! counts a form's people by direction, as the roster decides each row's direction, once per
//! change), the school checks' findings (the minimums, S03–S05), the rows awaiting the enterprise,
//! the selections per status — and adds them up per school tier, district, enterprise kind,
//! cluster tag and submission status, which are the form's. The totals against the programme's
//! targets are the batch's [`Tally`] (the one P01/P02 check), the submissions the stored
//! versions. The term's charts count the final list by what its records hold
//! ([`shuangshi_store::Store::term_tallies`]), W04/W05 decided per kind of record.
//!
//! A [`Chart`] is plain data (categories × series, each value with the link to the filtered list
//! it counts) so that the page draws any chart the same way — an ECharts chart and, beside it, its
//! numbers as a table — and another use case can push its own charts (rates, money) into
//! [`Dashboard::charts`] with [`Chart::new`], [`Chart::category`] and [`Series`].

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc};
use serde::Serialize;
use shuangshi_rules::{Finding, Tally};
use shuangshi_store::checks::stamp;
use shuangshi_store::{
    Actor, BatchCounts, BatchRecord, OrgFilter, PageRequest, Partnership, PartnershipFilter,
    PartnershipStatus, Role, SchoolStamp, SelectionStatus, Submission, SubmissionFilter,
    SubmissionStatus,
};

use crate::checks::shanghai;
use crate::error::{Error, Result};
use crate::{App, Disclosure, Scope};

/// How a chart is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChartKind {
    Bar,
    Line,
    Pie,
}

/// One series of a chart: a value per category, each with the link to the list it counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    pub name: String,
    /// The unit of this series when it differs from the chart's (empty: the chart's).
    pub unit: String,
    /// Drawn as this kind rather than the chart's (bars of a daily count under a running total).
    pub kind: Option<ChartKind>,
    /// One per category of the chart; NaN where there is no value (serialised as `null`, a gap).
    pub values: Vec<f64>,
    /// One per value: the filtered list whose length (or sum) the value is; `None` when no list
    /// can be filtered so (a target, a day).
    pub links: Vec<Option<String>>,
}

impl Series {
    pub fn new(name: impl Into<String>) -> Series {
        Series {
            name: name.into(),
            unit: String::new(),
            kind: None,
            values: Vec::new(),
            links: Vec::new(),
        }
    }

    /// The series counted in another unit than its chart's.
    pub fn unit(mut self, unit: &str) -> Series {
        self.unit = unit.to_owned();
        self
    }

    /// The series drawn as `kind` (a bar series on a line chart).
    pub fn drawn_as(mut self, kind: ChartKind) -> Series {
        self.kind = Some(kind);
        self
    }

    /// Appends a value and its link.
    pub fn push(&mut self, value: f64, link: Option<String>) {
        self.values.push(value);
        self.links.push(link);
    }

    /// The sum of the values (a missing value, NaN, counts nothing).
    pub fn total(&self) -> f64 {
        self.values.iter().filter(|v| !v.is_nan()).sum()
    }
}

/// A marker on a category (the deadline on a time axis).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mark {
    /// One of the chart's categories.
    pub category: String,
    pub label: String,
}

/// One chart of the dashboard, with its numbers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chart {
    /// Unique on the page (an HTML id: ASCII letters, digits and `-`).
    pub id: String,
    pub title: String,
    pub kind: ChartKind,
    /// What the values count: 「人」「份次」「所」 (shown as 「12 人」), 「%」 (「85.0%」) or 「元」
    /// (「¥100,000」, whole yuan); see [`Chart::display`].
    pub unit: String,
    pub categories: Vec<String>,
    pub series: Vec<Series>,
    /// One per category: the list filtered by the category alone.
    pub links: Vec<Option<String>>,
    /// Bars of the series stacked per category.
    pub stacked: bool,
    pub marks: Vec<Mark>,
    /// A sentence under the chart: what is counted, what the table omits.
    pub note: String,
}

/// A row of a chart's table: a category and its value in each series.
#[derive(Debug, Clone, PartialEq)]
pub struct TableRow {
    pub label: String,
    pub href: Option<String>,
    /// `(text, link)` per series.
    pub cells: Vec<(String, Option<String>)>,
}

impl Chart {
    pub fn new(id: &str, title: &str, kind: ChartKind, unit: &str) -> Chart {
        Chart {
            id: id.to_owned(),
            title: title.to_owned(),
            kind,
            unit: unit.to_owned(),
            categories: Vec::new(),
            series: Vec::new(),
            links: Vec::new(),
            stacked: false,
            marks: Vec::new(),
            note: String::new(),
        }
    }

    /// Appends a category and its link (push the series' values in the same order).
    pub fn category(&mut self, name: impl Into<String>, link: Option<String>) {
        self.categories.push(name.into());
        self.links.push(link);
    }

    pub fn note(mut self, note: impl Into<String>) -> Chart {
        self.note = note.into();
        self
    }

    /// A value as the table shows it, in the chart's unit.
    pub fn display(&self, v: f64) -> String {
        display(&self.unit, v)
    }

    /// A value of `series` as the table shows it (the series' unit, else the chart's).
    pub fn display_in(&self, series: &Series, v: f64) -> String {
        if series.unit.is_empty() {
            self.display(v)
        } else {
            display(&series.unit, v)
        }
    }

    /// Whether some number of the chart links to a list.
    pub fn linked(&self) -> bool {
        self.links.iter().any(Option::is_some)
            || self
                .series
                .iter()
                .any(|s| s.links.iter().any(Option::is_some))
    }

    /// Whether there is nothing to draw (no category, or every value zero).
    pub fn is_empty(&self) -> bool {
        self.series
            .iter()
            .all(|s| s.values.iter().all(|v| *v == 0.0 || v.is_nan()))
    }

    /// The numbers as table rows: one per category, one cell per series.
    pub fn table(&self) -> Vec<TableRow> {
        self.categories
            .iter()
            .enumerate()
            .map(|(i, c)| TableRow {
                label: c.clone(),
                href: self.links.get(i).cloned().flatten(),
                cells: self
                    .series
                    .iter()
                    .map(|s| {
                        let v = s.values.get(i).copied().unwrap_or(0.0);
                        (self.display_in(s, v), s.links.get(i).cloned().flatten())
                    })
                    .collect(),
            })
            .collect()
    }
}

/// `v` in `unit`: 「12 人」, 「85.0%」, 「¥100,000」; a missing value (NaN) 「—」.
fn display(unit: &str, v: f64) -> String {
    if v.is_nan() {
        return "—".to_owned();
    }
    match unit {
        // Whole yuan, as the ledger writes money.
        "元" => crate::ledger::yuan(v.round() as i64),
        "%" => format!("{v:.1}%"),
        unit => format!("{} {unit}", number(v)),
    }
}

/// An integer without decimals, else one decimal.
fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:.1}")
    }
}

/// Why a unit is behind (the key a reminder is sent for).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// A school has proposed no partnership.
    NoPartner,
    /// An enterprise has not answered a school's proposal.
    PartnershipUnconfirmed,
    /// A school has not submitted (draft, or nothing yet).
    NotSubmitted,
    /// A school is below its tier's minimums (S03–S05).
    BelowMinimum,
    /// An enterprise has not confirmed the rows concerning it (W02).
    ConfirmationPending,
    /// A school's submission was returned and not submitted again.
    Returned,
    /// A receiving unit has not recorded a person's arrival and placement in time (W04).
    ArrivalOverdue,
    /// A receiving unit has not recorded a person's assessment in time (W05).
    AssessmentOverdue,
    /// A receiving school has not reported the subsidy's use in time (W06).
    UseReportOverdue,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::NoPartner => "no_partner",
            Reason::PartnershipUnconfirmed => "partnership_unconfirmed",
            Reason::NotSubmitted => "not_submitted",
            Reason::BelowMinimum => "below_minimum",
            Reason::ConfirmationPending => "confirmation_pending",
            Reason::Returned => "returned",
            Reason::ArrivalOverdue => "arrival_overdue",
            Reason::AssessmentOverdue => "assessment_overdue",
            Reason::UseReportOverdue => "use_report_overdue",
        }
    }

    /// Every reason, in the order a unit's list shows them.
    pub const ALL: [Reason; 9] = [
        Reason::NoPartner,
        Reason::PartnershipUnconfirmed,
        Reason::NotSubmitted,
        Reason::Returned,
        Reason::BelowMinimum,
        Reason::ConfirmationPending,
        Reason::ArrivalOverdue,
        Reason::AssessmentOverdue,
        Reason::UseReportOverdue,
    ];

    /// The reason of a code ([`Reason::as_str`]).
    pub fn parse(code: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.as_str() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Reason::NoPartner => "未提出合作",
            Reason::PartnershipUnconfirmed => "合作未确认",
            Reason::NotSubmitted => "未报送",
            Reason::BelowMinimum => "未达人数下限",
            Reason::ConfirmationPending => "人员待企业确认",
            Reason::Returned => "退回未重报",
            Reason::ArrivalOverdue => "到岗情况逾期未登记",
            Reason::AssessmentOverdue => "考核鉴定逾期未登记",
            Reason::UseReportOverdue => "经费使用情况逾期未报告",
        }
    }
}

/// One thing a unit has still to do.
#[derive(Debug, Clone, PartialEq)]
pub struct Missing {
    pub reason: Reason,
    /// What is missing, in words (a rule's own wording for S03–S05).
    pub text: String,
    /// The rule the text is, when it is one (S03, S04, S05, W02).
    pub rule: Option<&'static str>,
    /// Where it is seen (the roster or the inbox filtered to the unit).
    pub href: Option<String>,
}

/// A school or an enterprise that is behind, with everything it is missing.
#[derive(Debug, Clone, PartialEq)]
pub struct BehindUnit {
    pub org_id: i64,
    pub name: String,
    pub is_school: bool,
    /// The school's tier or the enterprise's kind.
    pub category: String,
    pub missing: Vec<Missing>,
}

impl BehindUnit {
    pub fn has(&self, reason: Reason) -> bool {
        self.missing.iter().any(|m| m.reason == reason)
    }
}

/// The commission's 工作台.
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub batch_name: String,
    /// The batch's deadline (a school's extension is on its own line in [`Dashboard::behind`]).
    pub deadline: DateTime<Utc>,
    /// People in the batch's forms in scope (the roster's length).
    pub people: usize,
    /// Schools that have submitted (已报送, 已受理) against the schools expected to.
    pub submitted_schools: usize,
    pub expected_schools: usize,
    pub charts: Vec<Chart>,
    /// Schools first, then enterprises, each by name.
    pub behind: Vec<BehindUnit>,
    /// People of accepted submissions not yet decided (待遴选), from the stored counts.
    pub pending_selections: u64,
    /// The scope sees part of the batch only.
    pub partial: bool,
}

/// Percent-encodes a query value (everything but the unreserved characters).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A list's URL with the non-empty parameters.
pub fn href(path: &str, params: &[(&str, &str)]) -> String {
    let q: Vec<String> = params
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect();
    if q.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", q.join("&"))
    }
}

/// The roster filtered by `params` (its query parameters: tier, direction, post, kind,
/// district, status, tag, q).
pub fn roster_href(params: &[(&str, &str)]) -> String {
    href("/roster", params)
}

/// The directions as the roster filters them (`direction=`) and labels them.
const DIRECTIONS: [(&str, &str); 3] = [
    ("school", "学校派出"),
    ("enterprise", "企业派出"),
    ("unknown", "未能判断"),
];

const UNREGISTERED: &str = "未登记";

/// One form of the batch in scope, counted: what the charts distinguish about its people (the
/// roster's columns, which are the form's) and its stored tally (its people by direction).
#[derive(Debug, Clone)]
struct Counted<'a> {
    form_id: i64,
    partnership: &'a Partnership,
    /// The school's tier in the registry.
    tier: String,
    /// The school's district in the registry, else the enterprise's.
    district: String,
    status: SubmissionStatus,
    /// The form has a stored check.
    checked: bool,
    tally: Tally,
}

impl Counted<'_> {
    fn people(&self) -> u32 {
        self.tally.people()
    }

    /// The people in direction `dir` (a key of [`DIRECTIONS`]).
    fn in_direction(&self, dir: &str) -> u32 {
        match dir {
            "school" => self.tally.teachers,
            "enterprise" => self.tally.engineers,
            _ => self.tally.undetermined,
        }
    }

    fn kind(&self) -> &str {
        &self.partnership.enterprise_category
    }

    /// The form's name in findings (`school—enterprise`).
    fn file(&self) -> String {
        format!(
            "{}—{}",
            self.partnership.school_name, self.partnership.enterprise_name
        )
    }
}

/// People counted per category value and direction, drawn as stacked bars by direction; each
/// number links to the roster filtered by `key=value` and the direction. An empty value is
/// 「未登记」, which the roster cannot filter (no link).
fn by_direction<'a, 'p>(
    mut chart: Chart,
    key: &str,
    values: Vec<String>,
    forms: &'a [Counted<'p>],
    value_of: impl Fn(&'a Counted<'p>) -> &'a str,
) -> Chart {
    let mut counts: HashMap<(&str, &str), u32> = HashMap::new();
    for f in forms {
        for (dir, _) in DIRECTIONS {
            let n = f.in_direction(dir);
            if n > 0 {
                *counts.entry((value_of(f), dir)).or_default() += n;
            }
        }
    }
    let any_unknown = counts.keys().any(|(_, d)| *d == "unknown");
    for v in &values {
        let link = (!v.is_empty()).then(|| roster_href(&[(key, v)]));
        chart.category(if v.is_empty() { UNREGISTERED } else { v }, link);
    }
    for (dir, label) in DIRECTIONS {
        if dir == "unknown" && !any_unknown {
            continue;
        }
        let mut s = Series::new(label);
        for v in &values {
            let n = counts.get(&(v.as_str(), dir)).copied().unwrap_or(0);
            let link = (!v.is_empty()).then(|| roster_href(&[(key, v), ("direction", dir)]));
            s.push(f64::from(n), link);
        }
        chart.series.push(s);
    }
    chart.stacked = true;
    chart
}

/// People per value of `field`.
fn people_by<'a, 'p>(
    forms: &'a [Counted<'p>],
    field: impl Fn(&'a Counted<'p>) -> &'a str,
) -> BTreeMap<&'a str, usize> {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for f in forms.iter().filter(|f| f.people() > 0) {
        *seen.entry(field(f)).or_default() += f.people() as usize;
    }
    seen
}

/// The values of `field` of the people: `first` in their order, then any other seen (by count),
/// then 「未登记」 when some person has none.
fn values_of<'a, 'p>(
    first: &[String],
    forms: &'a [Counted<'p>],
    field: impl Fn(&'a Counted<'p>) -> &'a str,
) -> Vec<String> {
    let seen = people_by(forms, field);
    let mut out: Vec<String> = first.to_vec();
    let mut rest: Vec<(&str, usize)> = seen
        .iter()
        .filter(|(v, _)| !v.is_empty() && !first.iter().any(|f| f == *v))
        .map(|(v, n)| (*v, *n))
        .collect();
    rest.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    out.extend(rest.into_iter().map(|(v, _)| v.to_owned()));
    if seen.contains_key("") {
        out.push(String::new());
    }
    out
}

/// `2023年9月24日 23:59` (Asia/Shanghai).
fn when(t: DateTime<Utc>) -> String {
    let t = t.with_timezone(&shanghai());
    format!(
        "{}年{}月{}日 {:02}:{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute()
    )
}

fn day_label(d: NaiveDate) -> String {
    format!("{}月{}日", d.month(), d.day())
}

/// The longest time axis the submissions chart draws, in days.
const MAX_DAYS: i64 = 92;

impl App {
    /// Every partnership of the batch in scope.
    pub(crate) async fn batch_partnerships(
        &self,
        scope: &Scope,
        batch_id: i64,
    ) -> Result<Vec<Partnership>> {
        let filter = PartnershipFilter {
            batch_id: Some(batch_id),
            ..PartnershipFilter::default()
        };
        let mut out = Vec::new();
        loop {
            let page = self
                .store
                .list_partnerships(
                    scope,
                    &filter,
                    PageRequest::new(out.len() as u64, PageRequest::MAX_LIMIT),
                )
                .await?;
            let n = page.items.len();
            out.extend(page.items);
            if n == 0 || out.len() as u64 >= page.total {
                break;
            }
        }
        Ok(out)
    }

    async fn batch_submissions(&self, scope: &Scope, batch_id: i64) -> Result<Vec<Submission>> {
        let filter = SubmissionFilter {
            batch_id: Some(batch_id),
            ..SubmissionFilter::default()
        };
        let mut out = Vec::new();
        loop {
            let page = self
                .store
                .list_submissions(
                    scope,
                    &filter,
                    PageRequest::new(out.len() as u64, PageRequest::MAX_LIMIT),
                )
                .await?;
            let n = page.items.len();
            out.extend(page.items);
            if n == 0 || out.len() as u64 >= page.total {
                break;
            }
        }
        Ok(out)
    }

    async fn registry_schools(&self, scope: &Scope) -> Result<Vec<shuangshi_store::OrgRecord>> {
        let filter = OrgFilter {
            is_school: Some(true),
            ..OrgFilter::default()
        };
        let mut out = Vec::new();
        loop {
            let page = self
                .store
                .list_orgs(
                    scope,
                    &filter,
                    PageRequest::new(out.len() as u64, PageRequest::MAX_LIMIT),
                )
                .await?;
            let n = page.items.len();
            out.extend(page.items);
            if n == 0 || out.len() as u64 >= page.total {
                break;
            }
        }
        Ok(out)
    }

    /// The batch's counts in scope ([`shuangshi_store::Store::batch_counts`]), every school check
    /// missing or stale computed first (as [`App::batch_report`] does).
    async fn fresh_counts(&self, scope: &Scope, batch: &BatchRecord) -> Result<BatchCounts> {
        let mut counts = self.store.batch_counts(scope, batch.id).await?;
        let school_of: HashMap<i64, i64> = counts
            .partnerships
            .iter()
            .map(|p| (p.id, p.school_id))
            .collect();
        let mut want: BTreeMap<i64, Vec<(i64, i32)>> = BTreeMap::new();
        let mut unchecked: BTreeSet<i64> = BTreeSet::new();
        for f in &counts.forms {
            let Some(school) = school_of.get(&f.partnership_id) else {
                continue;
            };
            want.entry(*school)
                .or_default()
                .push((f.form_id, f.version));
            if f.checked.is_none_or(|(v, _)| v != f.version) {
                unchecked.insert(*school);
            }
        }
        let have: HashMap<i64, &str> = counts
            .schools
            .iter()
            .map(|c| (c.school_id, c.stamp.as_str()))
            .collect();
        let mut stale = Vec::new();
        for (school, versions) in &want {
            // A school's stamp covers all its forms; in a narrower scope compare the visible ones.
            let is_stale = unchecked.contains(school)
                || match have.get(school) {
                    None => true,
                    Some(s) if *scope == Scope::All => *s != stamp(versions.iter().copied()),
                    Some(s) => versions
                        .iter()
                        .any(|(id, v)| !s.split(',').any(|p| p == format!("{id}:{v}"))),
                };
            if is_stale {
                stale.push(*school);
            }
        }
        if !stale.is_empty() {
            for school in stale {
                self.refresh_school(batch, school).await?;
            }
            counts = self.store.batch_counts(scope, batch.id).await?;
        }
        Ok(counts)
    }

    /// The commission's whole 工作台: [`App::dashboard`] of `batch` with the [`App::term_charts`]
    /// appended, the two computed side by side.
    pub async fn full_dashboard(
        &self,
        scope: &Scope,
        batch: &BatchRecord,
        now: DateTime<Utc>,
    ) -> Result<Dashboard> {
        let (mut d, term) = tokio::try_join!(
            self.dashboard(scope, batch, now),
            self.term_charts(scope, now)
        )?;
        d.charts.extend(term);
        Ok(d)
    }

    /// The 工作台 of the batch in `scope`: the charts and the units behind (see the module docs).
    pub async fn dashboard(
        &self,
        scope: &Scope,
        batch: &BatchRecord,
        now: DateTime<Utc>,
    ) -> Result<Dashboard> {
        // Independent reads, side by side (each on a connection of the pool).
        let (counts, submissions, events, registry_schools, extensions, registry) = tokio::try_join!(
            self.fresh_counts(scope, batch),
            self.batch_submissions(scope, batch.id),
            async { Ok::<_, Error>(self.store.submit_events(scope, batch.id).await?) },
            self.registry_schools(scope),
            async { Ok::<_, Error>(self.store.list_extensions(batch.id).await?) },
            async { Ok::<_, Error>(self.store.registry().await?) },
        )?;
        let params = &batch.params;
        let deadline = batch.deadline();
        let partnerships = &counts.partnerships;

        let status_of: HashMap<i64, SubmissionStatus> = submissions
            .iter()
            .map(|s| (s.school_id, s.status))
            .collect();
        let by_partnership: HashMap<i64, &Partnership> =
            partnerships.iter().map(|p| (p.id, p)).collect();
        let mut forms: Vec<Counted<'_>> = counts
            .forms
            .iter()
            .filter_map(|f| {
                let p = *by_partnership.get(&f.partnership_id)?;
                let school_org = registry.find(&p.school_name);
                let enterprise_org = registry.find(&p.enterprise_name);
                Some(Counted {
                    form_id: f.form_id,
                    partnership: p,
                    tier: school_org.map(|o| o.category.clone()).unwrap_or_default(),
                    district: school_org
                        .map(|o| o.district.clone())
                        .filter(|d| !d.is_empty())
                        .or_else(|| enterprise_org.map(|o| o.district.clone()))
                        .unwrap_or_default(),
                    status: status_of
                        .get(&p.school_id)
                        .copied()
                        .unwrap_or(SubmissionStatus::Draft),
                    checked: f.checked.is_some(),
                    tally: f.checked.map(|(_, t)| t).unwrap_or_default(),
                })
            })
            .collect();
        // The order of the roster (and of the consolidated list): school, enterprise, form.
        forms.sort_by(|a, b| {
            (
                a.partnership.school_name.as_str(),
                a.partnership.enterprise_name.as_str(),
                a.form_id,
            )
                .cmp(&(
                    b.partnership.school_name.as_str(),
                    b.partnership.enterprise_name.as_str(),
                    b.form_id,
                ))
        });
        let mut tally = Tally::default();
        for f in &forms {
            tally += f.tally;
        }

        let mut charts = vec![targets_chart(batch, &tally, &forms)];
        let tiers: Vec<String> = params.tiers.iter().map(|t| t.name.clone()).collect();
        charts.push(
            by_direction(
                Chart::new("by-tier", "按学校类别", ChartKind::Bar, "人"),
                "tier",
                values_of(&tiers, &forms, |f| &f.tier),
                &forms,
                |f| &f.tier,
            )
            .note("按学校在单位名录中的类别统计推荐人员。"),
        );
        let mut districts = values_of(&[], &forms, |f| &f.district);
        let per_district = people_by(&forms, |f| &f.district);
        let per_district = |d: &str| per_district.get(d).copied().unwrap_or(0);
        districts.sort_by(|a, b| {
            (a.is_empty(), std::cmp::Reverse(per_district(a)), a).cmp(&(
                b.is_empty(),
                std::cmp::Reverse(per_district(b)),
                b,
            ))
        });
        charts.push(
            by_direction(
                Chart::new("by-district", "按区县", ChartKind::Bar, "人"),
                "district",
                districts,
                &forms,
                |f| &f.district,
            )
            .note("区县取学校在单位名录中的区县（未登记时取企业的）。"),
        );
        charts.push(kind_chart(params, &forms));
        charts.push(cluster_chart(partnerships, &forms));
        charts.push(status_chart(&forms));
        charts.push(submissions_chart(&events, deadline, now));
        charts.push(selection_chart(&counts.selections));

        let behind = behind(
            batch,
            &forms,
            &counts,
            &submissions,
            &registry_schools,
            &extensions,
        )?;
        let submitted_schools = submissions
            .iter()
            .filter(|s| {
                matches!(
                    s.status,
                    SubmissionStatus::Submitted | SubmissionStatus::Accepted
                )
            })
            .count();
        let expected_schools =
            expected_schools(batch, partnerships, &submissions, &registry_schools).len();
        Ok(Dashboard {
            batch_name: batch.name.clone(),
            deadline,
            people: forms.iter().map(|f| f.people() as usize).sum(),
            submitted_schools,
            expected_schools,
            charts,
            behind,
            pending_selections: counts
                .selections
                .get(shuangshi_store::SelectionStatus::Pending.as_str())
                .copied()
                .unwrap_or(0),
            partial: !matches!(scope, Scope::All),
        })
    }
}

/// People recommended against the programme's targets (P01, P02): from the batch report's
/// tally; the accepted ones are the tallies of the forms of accepted schools.
fn targets_chart(batch: &BatchRecord, tally: &Tally, forms: &[Counted<'_>]) -> Chart {
    let params = &batch.params;
    let t = &params.targets;
    let school_senior = params.posts.school_senior.as_str();
    let enterprise_senior = params.posts.enterprise_senior.as_str();
    // (label, direction, post, recommended, target, the part of a tally it counts: a row of the
    // direction whose post is the senior one, or any row of the direction without a post asked)
    type Part = fn(&Tally, bool) -> u32;
    let rows: [(&str, &str, &str, u32, u32, Part); 4] = [
        (
            "学校派出教师",
            "school",
            "",
            tally.teachers,
            t.school_to_enterprise,
            |t, _| t.teachers,
        ),
        (
            "其中挂任科技副总",
            "school",
            school_senior,
            tally.tech_vps,
            t.tech_vice_president,
            |t, any| if any { t.teachers } else { t.tech_vps },
        ),
        (
            "企业派出工程师",
            "enterprise",
            "",
            tally.engineers,
            t.enterprise_to_school,
            |t, _| t.engineers,
        ),
        (
            "其中挂任产业副院长",
            "enterprise",
            enterprise_senior,
            tally.deans,
            t.industry_dean,
            |t, any| if any { t.engineers } else { t.deans },
        ),
    ];
    let accepted = SubmissionStatus::Accepted;
    let mut chart = Chart::new("targets", "推荐人数与计划", ChartKind::Bar, "人").note(format!(
        "计划：学校派出教师 {} 人（其中科技副总 {} 人）、企业派出工程师 {} 人（其中产业副院长 {} 人）；「已推荐」含草稿。",
        t.school_to_enterprise, t.tech_vice_president, t.enterprise_to_school, t.industry_dean
    ));
    let mut have = Series::new("已推荐");
    let mut done = Series::new("其中已受理");
    let mut plan = Series::new("计划");
    for (label, dir, post, n, target, part) in rows {
        let filter = [("direction", dir), ("post", post)];
        chart.category(label, Some(roster_href(&filter)));
        have.push(f64::from(n), Some(roster_href(&filter)));
        // The roster filtered by an empty post keeps every post.
        let any_post = post.is_empty();
        let n_accepted: u32 = forms
            .iter()
            .filter(|f| f.status == accepted)
            .map(|f| part(&f.tally, any_post))
            .sum();
        done.push(
            f64::from(n_accepted),
            Some(roster_href(&[
                ("direction", dir),
                ("post", post),
                ("status", accepted.as_str()),
            ])),
        );
        plan.push(f64::from(target), None);
    }
    chart.series = vec![have, done, plan];
    chart
}

fn kind_chart(params: &shuangshi_rules::Batch, forms: &[Counted<'_>]) -> Chart {
    let kinds: Vec<String> = params
        .enterprise_kinds
        .iter()
        .map(|k| k.name.clone())
        .collect();
    let mut chart = Chart::new("by-kind", "按企业类别", ChartKind::Pie, "人")
        .note("按合作企业在单位名录中的类别统计推荐人员（学校派出与企业派出合计）。");
    let per_kind = people_by(forms, Counted::kind);
    let mut s = Series::new("人数");
    for k in values_of(&kinds, forms, Counted::kind) {
        let n = per_kind.get(k.as_str()).copied().unwrap_or(0);
        let link = (!k.is_empty()).then(|| roster_href(&[("kind", &k)]));
        chart.category(if k.is_empty() { UNREGISTERED } else { &k }, link.clone());
        s.push(n as f64, link);
    }
    chart.series.push(s);
    chart
}

/// People by the industry cluster their partnership is tagged with (a partnership may carry
/// several tags, so a person may count under several).
fn cluster_chart(partnerships: &[Partnership], forms: &[Counted<'_>]) -> Chart {
    let tags_of: HashMap<i64, &[String]> = partnerships
        .iter()
        .filter_map(|p| Some((p.form_id?, p.tags.as_slice())))
        .collect();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut untagged = 0;
    for f in forms {
        let n = f.people() as usize;
        if n == 0 {
            continue;
        }
        match tags_of.get(&f.form_id).filter(|t| !t.is_empty()) {
            Some(tags) => {
                for t in tags.iter() {
                    *counts.entry(t.as_str()).or_default() += n;
                }
            }
            None => untagged += n,
        }
    }
    let mut tags: Vec<(&str, usize)> = counts.into_iter().collect();
    tags.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let mut chart = Chart::new("by-cluster", "按产业集群", ChartKind::Bar, "人").note(
        "按学校提出合作时为合作关系选择的标签（如「33618」、成渝地区双城经济圈）统计；一个合作关系可有多个标签。",
    );
    let mut s = Series::new("人数");
    for (tag, n) in tags {
        let link = Some(roster_href(&[("tag", tag)]));
        chart.category(tag, link.clone());
        s.push(n as f64, link);
    }
    if untagged > 0 {
        chart.category("未标注", None);
        s.push(untagged as f64, None);
    }
    chart.series.push(s);
    chart
}

fn status_chart(forms: &[Counted<'_>]) -> Chart {
    let mut chart = Chart::new("by-status", "按报送状态", ChartKind::Bar, "人")
        .note("推荐人员所在学校的报送状态。");
    let mut s = Series::new("人数");
    for st in SubmissionStatus::ALL {
        let n: u32 = forms
            .iter()
            .filter(|f| f.status == st)
            .map(Counted::people)
            .sum();
        let link = Some(roster_href(&[("status", st.as_str())]));
        chart.category(st.label(), link.clone());
        s.push(f64::from(n), link);
    }
    chart.series.push(s);
    chart
}

/// Submits per day (Asia/Shanghai) and the schools that had submitted by the end of each day,
/// up to the deadline or today, the deadline marked.
fn submissions_chart(
    events: &[shuangshi_store::SubmitEvent],
    deadline: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Chart {
    let tz = shanghai();
    let day = |t: DateTime<Utc>| t.with_timezone(&tz).date_naive();
    let deadline_day = day(deadline);
    let mut chart = Chart::new("submissions", "报送进度", ChartKind::Line, "份次").note(format!(
        "每日报送（含退回后重新报送）与累计已报送学校数；截止时间 {}（个别学校获准延期的以延期为准）。按日期的明细见「报送审核」。",
        when(deadline)
    ));
    let (Some(first), Some(last)) = (events.first(), events.last()) else {
        chart.series = vec![
            Series::new("当日报送"),
            Series::new("累计已报送学校").unit("所"),
        ];
        return chart;
    };
    let start = day(first.submitted_at);
    let end = day(last.submitted_at)
        .max(day(now).min(deadline_day))
        .max(start);
    let start = start.max(end - Duration::days(MAX_DAYS - 1));
    // A deadline ahead is the axis' last category, without values (a gap in the line).
    let ahead = (deadline_day > end && deadline_day - start < Duration::days(MAX_DAYS))
        .then_some(deadline_day);
    let mut per_day: BTreeMap<NaiveDate, usize> = BTreeMap::new();
    let mut first_of: HashMap<i64, NaiveDate> = HashMap::new();
    for e in events {
        let d = day(e.submitted_at);
        *per_day.entry(d.max(start)).or_default() += 1;
        first_of
            .entry(e.school_id)
            .and_modify(|f| *f = (*f).min(d))
            .or_insert(d);
    }
    let mut daily = Series::new("当日报送").drawn_as(ChartKind::Bar);
    let mut schools = Series::new("累计已报送学校").unit("所");
    let mut d = start;
    while d <= end {
        chart.category(day_label(d), None);
        daily.push(per_day.get(&d).copied().unwrap_or(0) as f64, None);
        let by_then = first_of.values().filter(|f| **f <= d).count();
        schools.push(by_then as f64, None);
        if d == deadline_day {
            chart.marks.push(Mark {
                category: day_label(d),
                label: format!("截止 {}", when(deadline)),
            });
        }
        match d.succ_opt() {
            Some(n) => d = n,
            None => break,
        }
    }
    if let Some(d) = ahead {
        chart.category(day_label(d), None);
        daily.push(f64::NAN, None);
        schools.push(f64::NAN, None);
        chart.marks.push(Mark {
            category: day_label(d),
            label: format!("截止 {}", when(deadline)),
        });
    }
    chart.series = vec![daily, schools];
    chart
}

fn selection_chart(selections: &BTreeMap<String, u64>) -> Chart {
    let mut chart = Chart::new("selection", "遴选情况", ChartKind::Pie, "人")
        .note("报送经受理后，推荐人员进入待遴选；数字链接到「遴选与公布」的筛选结果。");
    let mut s = Series::new("人数");
    for st in SelectionStatus::ALL {
        let n = selections.get(st.as_str()).copied().unwrap_or(0);
        let link = Some(href("/selection", &[("status", st.as_str())]));
        chart.category(st.label(), link.clone());
        s.push(n as f64, link);
    }
    chart.series.push(s);
    chart
}

/// The schools expected to submit: those of the registry in scope whose tier sets a minimum, and
/// any school that proposed a partnership or has a submission in the batch.
fn expected_schools(
    batch: &BatchRecord,
    partnerships: &[Partnership],
    submissions: &[Submission],
    registry: &[shuangshi_store::OrgRecord],
) -> BTreeMap<i64, (String, String)> {
    let mut out: BTreeMap<i64, (String, String)> = BTreeMap::new();
    for o in registry {
        let needs = batch.params.tier(&o.category).is_some_and(|t| {
            t.min_sent + t.min_received + t.min_school_senior + t.min_enterprise_senior > 0
        });
        if needs {
            out.insert(o.id, (o.name.clone(), o.category.clone()));
        }
    }
    for p in partnerships
        .iter()
        .filter(|p| p.status != PartnershipStatus::Rejected)
    {
        out.entry(p.school_id)
            .or_insert_with(|| (p.school_name.clone(), p.school_category.clone()));
    }
    for s in submissions {
        out.entry(s.school_id)
            .or_insert_with(|| (s.school_name.clone(), s.school_category.clone()));
    }
    out
}

const MINIMUM_RULES: [&str; 3] = ["S03", "S04", "S05"];

/// The units behind, each with what it is missing.
fn behind(
    batch: &BatchRecord,
    forms: &[Counted<'_>],
    counts: &BatchCounts,
    submissions: &[Submission],
    registry: &[shuangshi_store::OrgRecord],
    extensions: &[shuangshi_store::Extension],
) -> Result<Vec<BehindUnit>> {
    let params = &batch.params;
    let partnerships = &counts.partnerships;
    let expected = expected_schools(batch, partnerships, submissions, registry);
    let status_of: HashMap<i64, SubmissionStatus> = submissions
        .iter()
        .map(|s| (s.school_id, s.status))
        .collect();
    let extended: HashMap<i64, DateTime<Utc>> = extensions
        .iter()
        .filter(|e| e.deadline > batch.deadline())
        .map(|e| (e.school_id, e.deadline))
        .collect();
    // Which school each stored form (file) is, and each school's tally.
    let school_of_file: HashMap<String, i64> = forms
        .iter()
        .map(|f| (f.file(), f.partnership.school_id))
        .collect();
    let school_of_name: HashMap<&str, i64> = forms
        .iter()
        .map(|f| (f.partnership.school_name.as_str(), f.partnership.school_id))
        .collect();
    let mut tally_of: HashMap<i64, Tally> = HashMap::new();
    for f in forms {
        if let Some(id) = school_of_file.get(&f.file()) {
            *tally_of.entry(*id).or_default() += f.tally;
        }
    }
    // The minimums (S03–S05) stored with the checks of the schools whose forms are in scope.
    let checked: HashSet<i64> = forms
        .iter()
        .filter(|f| f.checked)
        .map(|f| f.partnership.school_id)
        .collect();
    let stored: Vec<Finding> = counts
        .schools
        .iter()
        .filter(|c: &&SchoolStamp| checked.contains(&c.school_id))
        .flat_map(|c| c.findings.iter())
        .filter(|r| MINIMUM_RULES.contains(&r.rule.as_str()))
        .map(|r| {
            Finding::try_from(r.clone()).map_err(|e| {
                Error::Store(shuangshi_store::StoreError::Corrupt(format!(
                    "已保存的检查结果：{e}"
                )))
            })
        })
        .collect::<Result<_>>()?;
    let mut minimums: HashMap<i64, Vec<&Finding>> = HashMap::new();
    let mut seen: HashSet<(i64, &str)> = HashSet::new();
    for f in &stored {
        let Some(id) = f
            .file
            .as_deref()
            .and_then(|file| school_of_file.get(file))
            .or_else(|| f.school.as_deref().and_then(|s| school_of_name.get(s)))
        else {
            continue;
        };
        if seen.insert((*id, f.message.as_str())) {
            minimums.entry(*id).or_default().push(f);
        }
    }
    let live: BTreeSet<i64> = partnerships
        .iter()
        .filter(|p| p.status != PartnershipStatus::Rejected)
        .map(|p| p.school_id)
        .collect();

    let mut out: Vec<BehindUnit> = Vec::new();
    for (id, (name, tier)) in &expected {
        let mut missing = Vec::new();
        let review = Some(href("/review", &[("school", name)]));
        if !live.contains(id) {
            missing.push(Missing {
                reason: Reason::NoPartner,
                text: "尚未提出合作企业".to_owned(),
                rule: None,
                href: None,
            });
        }
        match status_of.get(id) {
            None | Some(SubmissionStatus::Draft) => missing.push(Missing {
                reason: Reason::NotSubmitted,
                text: match extended.get(id) {
                    Some(d) => format!("尚未报送（已获延期至 {}）", when(*d)),
                    None => "尚未报送".to_owned(),
                },
                rule: None,
                href: status_of.contains_key(id).then(|| review.clone()).flatten(),
            }),
            Some(SubmissionStatus::Returned) => missing.push(Missing {
                reason: Reason::Returned,
                text: "报送已被退回，尚未重新报送".to_owned(),
                rule: None,
                href: review.clone(),
            }),
            Some(SubmissionStatus::Submitted | SubmissionStatus::Accepted) => {}
        }
        let t = tally_of.get(id).copied().unwrap_or_default();
        let people = roster_href(&[("q", name)]);
        if t.teachers == 0 && t.engineers == 0 {
            // The rules do not judge a school with nobody yet: its minimums, worded by the rules.
            if let Some(tier) = params.tier(tier) {
                for f in shuangshi_rules::rules::s::selected_standing(params, tier, name, &t) {
                    if MINIMUM_RULES.contains(&f.rule) {
                        missing.push(Missing {
                            reason: Reason::BelowMinimum,
                            text: f.message,
                            rule: Some(f.rule),
                            href: None,
                        });
                    }
                }
            }
        } else {
            for f in minimums.get(id).into_iter().flatten() {
                missing.push(Missing {
                    reason: Reason::BelowMinimum,
                    text: f.message.clone(),
                    rule: Some(f.rule),
                    href: Some(people.clone()),
                });
            }
        }
        if !missing.is_empty() {
            out.push(BehindUnit {
                org_id: *id,
                name: name.clone(),
                is_school: true,
                category: tier.clone(),
                missing,
            });
        }
    }

    let mut enterprises: BTreeMap<i64, BehindUnit> = BTreeMap::new();
    let unit = |p: &Partnership| BehindUnit {
        org_id: p.enterprise_id,
        name: p.enterprise_name.clone(),
        is_school: false,
        category: p.enterprise_category.clone(),
        missing: Vec::new(),
    };
    for p in partnerships
        .iter()
        .filter(|p| p.status == PartnershipStatus::Proposed)
    {
        enterprises
            .entry(p.enterprise_id)
            .or_insert_with(|| unit(p))
            .missing
            .push(Missing {
                reason: Reason::PartnershipUnconfirmed,
                text: format!("尚未确认「{}」提出的合作", p.school_name),
                rule: None,
                href: None,
            });
    }
    let by_partnership: HashMap<i64, &Partnership> =
        partnerships.iter().map(|p| (p.id, p)).collect();
    for f in forms {
        let Some(names) = counts.unconfirmed.get(&f.form_id) else {
            continue;
        };
        let open: Vec<&str> = names
            .iter()
            .map(|n| {
                if n.is_empty() {
                    "（未填姓名）"
                } else {
                    n.as_str()
                }
            })
            .collect();
        let Some(p) = by_partnership.get(&f.partnership.id) else {
            continue;
        };
        if open.is_empty() {
            continue;
        }
        enterprises
            .entry(f.partnership.enterprise_id)
            .or_insert_with(|| unit(p))
            .missing
            .push(Missing {
                reason: Reason::ConfirmationPending,
                text: format!(
                    "「{}」推荐表中有 {} 人尚未经企业确认：{}",
                    f.partnership.school_name,
                    open.len(),
                    open.join("、")
                ),
                rule: Some("W02"),
                href: Some(roster_href(&[("q", &f.partnership.enterprise_name)])),
            });
    }
    let mut enterprises: Vec<BehindUnit> = enterprises.into_values().collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    enterprises.sort_by(|a, b| a.name.cmp(&b.name));
    out.extend(enterprises);
    Ok(out)
}

impl App {
    /// The charts of the batch in its term (the latest with a published final list): arrival and
    /// assessment against the list, and the subsidy paid against due. Empty before any final list.
    pub async fn term_charts(&self, scope: &Scope, now: DateTime<Utc>) -> Result<Vec<Chart>> {
        let batch = self.term_batch(None).await?;
        let tallies = self.store.term_tallies(scope, batch.id).await?;
        let board = crate::term::term_counts(&batch, &tallies, now);
        if board.listed == 0 {
            return Ok(Vec::new());
        }
        let n = batch.number;
        let term_link = |state: &str| {
            Some(if state.is_empty() {
                format!("/term?batch={n}")
            } else {
                format!("/term?batch={n}&state={state}")
            })
        };
        let mut term = Chart::new(
            "term",
            &format!("{}聘期：到岗与考核", batch.name),
            ChartKind::Bar,
            "人",
        )
        .note(format!(
            "正式名单 {} 人；逾期未填报 {} 人（W04、W05）。",
            board.listed, board.overdue
        ));
        let mut people = Series::new("人数");
        for (label, state, v) in [
            ("正式名单", "", board.listed),
            ("已到岗", "arrived", board.arrived),
            ("未到岗", "absent", board.absent),
            ("到岗未填报", "unrecorded", board.unrecorded),
            ("已考核", "assessed", board.assessed),
            ("逾期未填报", "overdue", board.overdue),
        ] {
            term.category(label, term_link(state));
            people.push(v as f64, term_link(state));
        }
        term.series.push(people);
        let mut charts = vec![term];
        if matches!(*scope, Scope::All) {
            let disclosure = Disclosure::new(Role::Admin, Actor::system(), false);
            // The commission's scope is every school: the same counts, without the bank details.
            let ledger = self
                .ledger_of(scope, &batch, &disclosure, now, &tallies, false)
                .await?;
            let link = Some(format!("/ledger?batch={n}"));
            let mut money = Chart::new(
                "subsidy",
                &format!("{}补助经费：已拨付与应拨付", batch.name),
                ChartKind::Bar,
                "元",
            )
            .note(format!(
                "标准 {}/人，按{}计算。",
                crate::ledger::yuan(ledger.rate),
                ledger.basis
            ));
            let (mut due, mut paid) = (Series::new("应拨"), Series::new("已拨"));
            for r in &ledger.rows {
                money.category(r.school_name.clone(), link.clone());
                due.push(r.due as f64, link.clone());
                paid.push(r.paid as f64, link.clone());
            }
            money.series.push(due);
            money.series.push(paid);
            if !money.categories.is_empty() {
                charts.push(money);
            }
        }
        Ok(charts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_shown_with_their_units() {
        let c = Chart::new("x", "x", ChartKind::Bar, "人");
        assert_eq!(c.display(12.0), "12 人");
        let c = Chart::new("x", "x", ChartKind::Bar, "元");
        assert_eq!(c.display(100_000.0), "¥100,000");
        assert_eq!(c.display(1_234_567.0), "¥1,234,567");
        assert_eq!(c.display(999.0), "¥999");
        let c = Chart::new("x", "x", ChartKind::Line, "%");
        assert_eq!(c.display(85.0), "85.0%");
    }

    #[test]
    fn links_are_encoded() {
        assert_eq!(
            roster_href(&[("tier", "国家双高"), ("direction", "school"), ("post", "")]),
            "/roster?tier=%E5%9B%BD%E5%AE%B6%E5%8F%8C%E9%AB%98&direction=school"
        );
        assert_eq!(roster_href(&[]), "/roster");
        assert_eq!(
            href("/review", &[("school", "a b&c")]),
            "/review?school=a%20b%26c"
        );
    }

    #[test]
    fn a_table_row_per_category() {
        let mut c = Chart::new("t", "t", ChartKind::Bar, "人");
        c.category("甲", Some("/roster?x=1".into()));
        c.category("乙", None);
        let mut s = Series::new("人数");
        s.push(3.0, Some("/roster?x=1".into()));
        s.push(0.0, None);
        c.series.push(s);
        let rows = c.table();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[0].cells[0],
            ("3 人".to_owned(), Some("/roster?x=1".to_owned()))
        );
        assert_eq!(rows[1].href, None);
        assert!(!c.is_empty());
    }
}
