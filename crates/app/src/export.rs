//! 汇总名单 and its exports: every person in the batch's forms within a scope, laid out with the
//! school's tier, the enterprise's kind, the submission status and the duplicate findings
//! (D01–D03) on each person, and the programme's totals against the batch's targets (P01, P02).
//! The web page, its xlsx export, `/api/v1/roster` and `shuangshi export roster` all read
//! [`App::roster`]; the files are built here ([`roster_xlsx`], [`roster_csv`]) so that every door
//! exports the same columns.
//!
//! Files carry no formula from user input: xlsx cells are written as text, and a CSV cell that a
//! spreadsheet would read as a formula (leading `=`, `+`, `-`, `@`, tab or carriage return) is
//! prefixed with 「'」.

use std::collections::{BTreeSet, HashMap};

use shuangshi_rules::text::norm;

use crate::Disclosure;
use shuangshi_rules::{Column as C, Direction, Finding, Input, directions};
use shuangshi_store::forms::FIRST_ROW;
use shuangshi_store::{BatchRecord, PageRequest, SubmissionFilter, SubmissionStatus};

use crate::error::{Error, Result};
use crate::{App, Scope};

/// The roster's filters (blank: any).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RosterFilter {
    /// Part of a name, a school or an enterprise.
    pub q: String,
    pub tier: String,
    /// `school` (学校派出), `enterprise` (企业派出), anything else: undetermined.
    pub direction: String,
    pub post: String,
    /// The enterprise's kind.
    pub kind: String,
    /// The school's (else the enterprise's) district.
    pub district: String,
    pub status: Option<SubmissionStatus>,
    /// Only people with a duplicate finding.
    pub dup: bool,
    /// Only people whose partnership carries this tag (the industry cluster 「33618」 …).
    pub tag: String,
}

/// One person of the list, as this user may see it.
#[derive(Debug, Clone)]
pub struct Person {
    pub name: String,
    pub direction: &'static str,
    pub sending: String,
    pub receiving: String,
    pub post: String,
    pub title: String,
    pub school: String,
    pub tier: String,
    pub enterprise: String,
    pub kind: String,
    pub district: String,
    pub status: &'static str,
    pub mobile: String,
    pub account: String,
    /// The duplicate findings (D01–D03) on this person.
    pub duplicates: Vec<Finding>,
    /// Where the row is (for 人员履历, `/people/{form}/{row}`).
    pub form_id: i64,
    pub row_no: u32,
}

impl Person {
    pub fn cells(&self) -> Vec<String> {
        vec![
            self.name.clone(),
            self.direction.to_owned(),
            self.sending.clone(),
            self.receiving.clone(),
            self.post.clone(),
            self.title.clone(),
            self.school.clone(),
            self.tier.clone(),
            self.enterprise.clone(),
            self.kind.clone(),
            self.district.clone(),
            self.status.to_owned(),
            self.mobile.clone(),
            self.account.clone(),
            self.duplicates
                .iter()
                .map(|f| format!("{} {}", f.rule, f.message))
                .collect::<Vec<_>>()
                .join("；"),
        ]
    }
}

/// The headers of the list and of its export, in [`Person::cells`] order.
pub const HEADERS: [&str; 15] = [
    "姓名",
    "派出方向",
    "派出单位",
    "接收单位",
    "拟挂任职务",
    "现任专业技术职务",
    "学校",
    "学校类别",
    "企业",
    "企业类别",
    "区县",
    "报送状态",
    "手机号码",
    "账户账号",
    "重复推荐",
];

/// One total against its target.
#[derive(Debug, Clone)]
pub struct Total {
    pub label: &'static str,
    pub have: u32,
    pub target: u32,
}

impl Total {
    pub fn met(&self) -> bool {
        self.have >= self.target
    }

    pub fn bar_value(&self) -> u32 {
        self.have.min(self.target.max(1))
    }

    pub fn bar_max(&self) -> u32 {
        self.target.max(1)
    }
}

/// What the rules say of the whole list.
pub struct Gathered {
    pub batch_name: String,
    pub people: Vec<Person>,
    pub totals: Vec<Total>,
    /// P01/P02 findings.
    pub programme: Vec<Finding>,
    /// Every D finding (for the count).
    pub duplicates: usize,
    pub tiers: Vec<String>,
    pub kinds: Vec<String>,
    pub posts: Vec<String>,
    pub districts: Vec<String>,
    /// Whether the user sees only part of the batch (the totals are then partial).
    pub partial: bool,
    pub unmasked: bool,
    /// The forms and stored findings the list was laid out from (its tally is the totals').
    pub source: crate::BatchReport,
}

impl App {
    /// Loads the batch's forms in `scope`, reads their stored findings, and lays the people out
    /// (every value through `disclosure`), filtered by `q`.
    pub async fn roster(
        &self,
        scope: &Scope,
        batch: &BatchRecord,
        q: &RosterFilter,
        disclosure: &Disclosure,
    ) -> Result<Gathered> {
        let scope = *scope;
        let stored = self.batch_report(&scope, batch).await?;
        let forms = stored.forms;
        let report = stored.report;
        // The partnerships carrying the tag asked for (only read when one is).
        let tagged: Option<std::collections::HashSet<i64>> = match q.tag.trim() {
            "" => None,
            tag => Some(
                self.batch_partnerships(&scope, batch.id)
                    .await?
                    .into_iter()
                    .filter(|p| p.tags.iter().any(|t| t == tag))
                    .map(|p| p.id)
                    .collect(),
            ),
        };
        let registry = self.store.registry().await?;
        let mut status_of: HashMap<i64, SubmissionStatus> = HashMap::new();
        let filter = SubmissionFilter {
            batch_id: Some(batch.id),
            ..SubmissionFilter::default()
        };
        let mut offset = 0;
        loop {
            let page = self
                .store
                .list_submissions(
                    &scope,
                    &filter,
                    PageRequest::new(offset, PageRequest::MAX_LIMIT),
                )
                .await?;
            let n = page.items.len() as u64;
            status_of.extend(page.items.iter().map(|s| (s.school_id, s.status)));
            offset += n;
            if n == 0 || offset >= page.total {
                break;
            }
        }
        let rules_forms: Vec<shuangshi_rules::Form> = crate::checks::rules_forms(&forms);
        let params = &batch.params;
        let input = Input {
            batch: params,
            forms: &rules_forms,
            registry: Some(&registry),
            history: &[],
        };
        // The stored findings (worded as the pages word them); each row's direction as the rules
        // decide it, for the lists.
        let dirs = directions(input);
        let mut dup_at: HashMap<(&str, u32), Vec<Finding>> = HashMap::new();
        let mut duplicates = 0;
        let mut programme = Vec::new();
        for f in &report.findings {
            if shuangshi_rules::scope_of(f.rule) != Some(shuangshi_rules::Scope::Batch) {
                continue;
            }
            match (f.file.as_deref(), f.row) {
                (Some(file), Some(row)) => {
                    duplicates += 1;
                    let mut f = f.clone();
                    disclosure.finding(&mut f);
                    dup_at.entry((file, row)).or_default().push(f);
                }
                _ => programme.push(f.clone()),
            }
        }
        let org = |name: &str| registry.find(name);
        let wanted_status = q.status;
        let needle = norm(q.q.trim());
        let senior_school = norm(&params.posts.school_senior);
        let senior_enterprise = norm(&params.posts.enterprise_senior);
        let (mut sent, mut received, mut vp, mut dean) = (0u32, 0u32, 0u32, 0u32);
        let mut districts = BTreeSet::new();
        let mut people = Vec::new();
        for ((form, rules_form), form_dirs) in forms.iter().zip(&rules_forms).zip(&dirs) {
            let school_org = org(&form.school_name);
            let enterprise_org = org(&form.enterprise_name);
            let tier = school_org.map(|o| o.category.clone()).unwrap_or_default();
            let district = school_org
                .map(|o| o.district.clone())
                .filter(|d| !d.is_empty())
                .or_else(|| enterprise_org.map(|o| o.district.clone()))
                .unwrap_or_default();
            if !district.is_empty() {
                districts.insert(district.clone());
            }
            let status = status_of
                .get(&form.school_id)
                .copied()
                .unwrap_or(SubmissionStatus::Draft);
            for (i, row) in form.rows.iter().enumerate() {
                let direction = form_dirs.get(i).copied().flatten();
                let post = row.cell(C::Post);
                match direction {
                    Some(Direction::School) => {
                        sent += 1;
                        if norm(post) == senior_school {
                            vp += 1;
                        }
                    }
                    Some(Direction::Enterprise) => {
                        received += 1;
                        if norm(post) == senior_enterprise {
                            dean += 1;
                        }
                    }
                    None => {}
                }
                let sheet_row = FIRST_ROW + u32::try_from(i).unwrap_or(0);
                let dups = dup_at
                    .get(&(rules_form.file.as_str(), sheet_row))
                    .cloned()
                    .unwrap_or_default();
                let person = Person {
                    name: row.cell(C::Name).to_owned(),
                    direction: direction.map(Direction::label).unwrap_or("未能判断"),
                    sending: row.cell(C::SendingUnit).to_owned(),
                    receiving: row.cell(C::ReceivingUnit).to_owned(),
                    post: post.to_owned(),
                    title: row.cell(C::Title).to_owned(),
                    school: form.school_name.clone(),
                    tier: tier.clone(),
                    enterprise: form.enterprise_name.clone(),
                    kind: form.enterprise_category.clone(),
                    district: district.clone(),
                    status: status.label(),
                    mobile: disclosure.cell(C::Mobile, row.cell(C::Mobile)),
                    account: disclosure.cell(C::AccountNumber, row.cell(C::AccountNumber)),
                    duplicates: dups,
                    form_id: form.id,
                    row_no: sheet_row,
                };
                let keep = (needle.is_empty()
                    || [&person.name, &person.school, &person.enterprise]
                        .iter()
                        .any(|s| norm(s).contains(&needle)))
                    && (q.tier.is_empty() || person.tier == q.tier)
                    && (q.direction.is_empty()
                        || match q.direction.as_str() {
                            "school" => direction == Some(Direction::School),
                            "enterprise" => direction == Some(Direction::Enterprise),
                            _ => direction.is_none(),
                        })
                    && (q.post.is_empty() || norm(&person.post) == norm(&q.post))
                    && (q.kind.is_empty() || person.kind == q.kind)
                    && (q.district.is_empty() || person.district == q.district)
                    && wanted_status.is_none_or(|s| s == status)
                    && (!q.dup || !person.duplicates.is_empty())
                    && tagged
                        .as_ref()
                        .is_none_or(|t| t.contains(&form.partnership_id));
                if keep {
                    people.push(person);
                }
            }
        }
        let targets = &params.targets;
        let totals = vec![
            Total {
                label: "学校派出教师",
                have: sent,
                target: targets.school_to_enterprise,
            },
            Total {
                label: "其中挂任科技副总",
                have: vp,
                target: targets.tech_vice_president,
            },
            Total {
                label: "企业派出工程师",
                have: received,
                target: targets.enterprise_to_school,
            },
            Total {
                label: "其中挂任产业副院长",
                have: dean,
                target: targets.industry_dean,
            },
        ];
        let posts = params
            .posts
            .school
            .iter()
            .chain(&params.posts.enterprise)
            .cloned()
            .collect();
        Ok(Gathered {
            batch_name: batch.name.clone(),
            people,
            totals,
            programme,
            duplicates,
            tiers: params.tiers.iter().map(|t| t.name.clone()).collect(),
            kinds: params
                .enterprise_kinds
                .iter()
                .map(|k| k.name.clone())
                .collect(),
            posts,
            districts: districts.into_iter().collect(),
            partial: !matches!(scope, Scope::All),
            unmasked: disclosure.full(),
            source: crate::BatchReport { forms, report },
        })
    }
}

/// The roster as an xlsx workbook: a title line, the frozen header, every value as text.
pub fn roster_xlsx(batch_name: &str, people: &[Person]) -> Result<Vec<u8>> {
    let rows: Vec<Vec<String>> = people.iter().map(Person::cells).collect();
    let title = format!("{batch_name}交流互聘人员汇总名单");
    shuangshi_sheet::write::table_xlsx("汇总名单", &title, &HEADERS, &rows)
        .map_err(|e| Error::refused(format!("汇总名单文件生成失败：{e}")))
}

/// The roster as CSV: UTF-8 with a BOM (so Excel and WPS read the Chinese), the header line,
/// CRLF line ends, formula-leading cells neutralised.
pub fn roster_csv(people: &[Person]) -> Vec<u8> {
    let mut out = String::from("\u{feff}");
    csv_line(&mut out, HEADERS.iter().map(|h| (*h).to_owned()));
    for p in people {
        csv_line(&mut out, p.cells());
    }
    out.into_bytes()
}

/// One CSV cell: neutralised if a spreadsheet would read it as a formula, quoted if needed.
pub fn csv_cell(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

fn csv_line(out: &mut String, cells: impl IntoIterator<Item = String>) {
    let line: Vec<String> = cells.into_iter().map(|c| csv_cell(&c)).collect();
    out.push_str(&line.join(","));
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::csv_cell;

    #[test]
    fn formula_leading_cells_are_neutralised_and_quoted() {
        assert_eq!(csv_cell("=1+1"), "'=1+1");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("-2"), "'-2");
        assert_eq!(csv_cell("+86"), "'+86");
        assert_eq!(csv_cell("\tx"), "'\tx");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("张三"), "张三");
    }
}
