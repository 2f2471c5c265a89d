//! Batch parameters: every number and list of the notice that a rule uses, read from TOML.
//!
//! Batch 10 ships embedded ([`Batch::batch10`]); another batch is another TOML file with the same keys,
//! so a new notice needs no code change.

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::text::{Season, norm, parse_batch_number, parse_term};

/// The embedded parameters of batch 10 (第十批), the default everywhere.
pub const BATCH10_TOML: &str = include_str!("../batches/batch10.toml");

/// The parameters of one batch of the programme.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Batch {
    /// The batch number (10 for 第十批).
    pub number: u32,
    /// The batch name as the notice writes it (「第十批」).
    pub name: String,
    /// The exchange term (交流期限), e.g. 「2024年春季学期」.
    pub term: String,
    /// The submission deadline, with its UTC offset (Asia/Shanghai is +08:00).
    pub deadline: DateTime<FixedOffset>,
    /// The subsidy per received person, in yuan, paid to the receiving school.
    pub subsidy_per_person: u32,
    pub targets: Targets,
    pub posts: Posts,
    pub exchange_forms: Vec<String>,
    pub priority_conditions: Vec<String>,
    pub teacher_qualifications: Vec<String>,
    pub years: Years,
    pub tiers: Vec<Tier>,
    pub enterprise_kinds: Vec<EnterpriseKind>,
    /// Title level (正高, 副高, 中级, 初级) → the titles of that level.
    pub titles: BTreeMap<String, Vec<String>>,
    pub skill_levels: Vec<SkillLevel>,
    pub skills: Skills,
    pub fields: Fields,
    /// The 公示 of the selected people (四(四) 确定并公布); defaults when a batch file has none.
    #[serde(default)]
    pub publicity: Publicity,
    /// The term's dates and the deadlines of its records (四(一), 三(四), 四(二)); derived from
    /// [`Batch::term`] when a batch file has none (see [`Batch::schedule`]).
    #[serde(default)]
    pub term_schedule: Option<TermSchedule>,
    /// Who the subsidy counts and how its use is reported (四(三)); the rate is
    /// [`Batch::subsidy_per_person`].
    #[serde(default)]
    pub subsidy: Subsidy,
    /// When the commission's reminders count a school as behind; defaults when a batch file has
    /// none.
    #[serde(default)]
    pub reminders: Reminders,
}

/// When a unit counts as behind for a reminder.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct Reminders {
    /// A school with no submission is reminded from this many days before its deadline.
    pub not_submitted_days: u32,
}

impl Default for Reminders {
    fn default() -> Reminders {
        Reminders {
            not_submitted_days: 7,
        }
    }
}

/// The term of a batch and the days by which the receiving units record it.
///
/// 四(一)：「第十批交流互聘时间为2024年春季学期」；三(四)：「接收单位…安排工作岗位，明确工作任务，细化岗位职责
/// …确保交流人员按时到岗」；四(二)：「明确聘期任务，加强聘期管理，严格考核鉴定」.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct TermSchedule {
    /// The first day of the term.
    pub starts: NaiveDate,
    /// The last day of the term.
    pub ends: NaiveDate,
    /// 到岗 and the placement (实际岗位、聘期任务、岗位职责) are recorded by the end of this day (W04).
    pub arrival_due: NaiveDate,
    /// The 考核鉴定 is recorded by the end of this day (W05).
    pub assessment_due: NaiveDate,
    /// The receiving school reports the use of its subsidy by the end of this day (W06).
    pub use_report_due: NaiveDate,
}

/// Who is paid for: people on the final list who arrived, or every person on the final list.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum SubsidyBasis {
    /// On the final list and recorded as arrived (到岗).
    #[default]
    Arrived,
    /// On the final list.
    Listed,
}

/// The subsidy to receiving schools (四(三) 按1万元/人标准对接收学校给予工作经费补助).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Subsidy {
    pub counts: SubsidyBasis,
    /// The categories in which the school reports the use of the money.
    pub categories: Vec<String>,
}

impl Default for Subsidy {
    fn default() -> Subsidy {
        Subsidy {
            counts: SubsidyBasis::Arrived,
            categories: ["聘期工作", "培养培训", "食宿", "交通补贴", "其他"]
                .map(str::to_owned)
                .to_vec(),
        }
    }
}

/// The 公示: how long objections are taken and whom the public writes to.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Publicity {
    /// The objection window, in working days (Monday to Friday, Asia/Shanghai).
    pub working_days: u32,
    /// Whom to contact with an objection (shown on the public page).
    pub contact: String,
}

impl Default for Publicity {
    fn default() -> Publicity {
        Publicity {
            working_days: 5,
            contact: "市教委人事处，023-63865672，cqjwrsc@163.com，江北区北滨一路369号401室（邮编400020）".to_owned(),
        }
    }
}

/// Programme-wide targets (一).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Targets {
    pub school_to_enterprise: u32,
    pub tech_vice_president: u32,
    pub enterprise_to_school: u32,
    pub industry_dean: u32,
}

/// The posts (拟挂任职务) open to each direction, and the senior post of each.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Posts {
    pub school: Vec<String>,
    pub enterprise: Vec<String>,
    /// 科技副总.
    pub school_senior: String,
    /// 产业副院长.
    pub enterprise_senior: String,
}

/// Minimum years of experience (二(一)3, 二(二)2).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Years {
    pub teaching_min: f64,
    pub enterprise_min: f64,
    pub frontline_min: f64,
}

/// A school tier (学校类别) and its minimums (三(二), 三(三)).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Tier {
    pub name: String,
    pub min_sent: u32,
    pub min_received: u32,
    pub min_school_senior: u32,
    pub min_enterprise_senior: u32,
}

/// An enterprise kind (企业类别) and the authority that receives a copy (四(四)).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EnterpriseKind {
    pub name: String,
    pub copy_to: String,
}

/// One vocational skill level, in ascending order in [`Batch::skill_levels`].
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SkillLevel {
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Skills {
    /// The lowest skill level that qualifies an engineer (技师).
    pub minimum: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Fields {
    /// Two-character words too common to show that two subject fields correspond (S02).
    pub generic_bigrams: Vec<String>,
}

/// Why a batch file could not be used.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchError(pub String);

impl std::fmt::Display for BatchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BatchError {}

/// Title levels in ascending order; 中级 and above qualify (二(一)2, 二(二)2).
pub const TITLE_LEVELS: [&str; 4] = ["初级", "中级", "副高", "正高"];

impl Batch {
    /// Batch 10, from the embedded TOML.
    pub fn batch10() -> Batch {
        match Batch::from_toml(BATCH10_TOML) {
            Ok(batch) => batch,
            // The embedded file is checked by a unit test; reaching this is a build defect.
            Err(e) => panic!("embedded batch10.toml is invalid: {e}"),
        }
    }

    /// Parses and validates a batch file. Messages are Chinese and name the key at fault.
    pub fn from_toml(text: &str) -> Result<Batch, BatchError> {
        let batch: Batch =
            toml::from_str(text).map_err(|e| BatchError(format!("批次参数文件格式不正确：{e}")))?;
        batch.validate()?;
        Ok(batch)
    }

    fn validate(&self) -> Result<(), BatchError> {
        if parse_batch_number(&norm(&self.name)) != Some(self.number) {
            return Err(BatchError(format!(
                "批次参数 name「{}」与 number {} 不一致；应为「第{}批」这样的写法",
                self.name, self.number, self.number
            )));
        }
        if parse_term(&norm(&self.term)).is_none() {
            return Err(BatchError(format!(
                "批次参数 term「{}」无法识别；应为「2024年春季学期」这样的写法",
                self.term
            )));
        }
        for level in self.titles.keys() {
            if !TITLE_LEVELS.contains(&level.as_str()) {
                return Err(BatchError(format!(
                    "批次参数 [titles] 中的职称等级「{level}」无法识别；应为 正高、副高、中级、初级 之一"
                )));
            }
        }
        if !self
            .skill_levels
            .iter()
            .any(|s| s.name == self.skills.minimum)
        {
            return Err(BatchError(format!(
                "批次参数 skills.minimum「{}」不在 [[skill_levels]] 中",
                self.skills.minimum
            )));
        }
        if !self.posts.school.contains(&self.posts.school_senior)
            || !self
                .posts
                .enterprise
                .contains(&self.posts.enterprise_senior)
        {
            return Err(BatchError(
                "批次参数 posts.school_senior / posts.enterprise_senior 必须分别出现在 posts.school / posts.enterprise 中".into(),
            ));
        }
        let t = self.schedule();
        if t.ends < t.starts || t.arrival_due < t.starts || t.assessment_due < t.arrival_due {
            return Err(BatchError(format!(
                "批次参数 [term_schedule] 的日期顺序不对：应为 starts ≤ arrival_due ≤ assessment_due，且 starts ≤ ends（现为 {} / {} / {} / {}）",
                t.starts, t.arrival_due, t.assessment_due, t.ends
            )));
        }
        if self.subsidy.categories.is_empty() {
            return Err(BatchError(
                "批次参数 [subsidy] categories 不能为空；应列出经费使用类别，如「聘期工作」「培养培训」".into(),
            ));
        }
        Ok(())
    }

    /// The tier named `name` (exact, after normalisation).
    pub fn tier(&self, name: &str) -> Option<&Tier> {
        let key = norm(name);
        self.tiers.iter().find(|t| norm(&t.name) == key)
    }

    /// The enterprise kind named `name`.
    pub fn enterprise_kind(&self, name: &str) -> Option<&EnterpriseKind> {
        let key = norm(name);
        self.enterprise_kinds.iter().find(|k| norm(&k.name) == key)
    }

    /// The rank of the minimum qualifying skill level.
    pub fn min_skill_rank(&self) -> usize {
        self.skill_levels
            .iter()
            .position(|s| s.name == self.skills.minimum)
            .unwrap_or(usize::MAX)
    }

    /// The term's schedule: the batch file's `[term_schedule]`, or else derived from [`Batch::term`]
    /// (spring: 3月1日–7月15日; autumn: 9月1日–次年1月15日; 到岗 recorded within 14 days of the start,
    /// the assessment and the use of the subsidy within 15 days of the end).
    pub fn schedule(&self) -> TermSchedule {
        if let Some(s) = self.term_schedule {
            return s;
        }
        let (year, season) = parse_term(&norm(&self.term)).unwrap_or((2024, Season::Spring));
        let year = i32::try_from(year).unwrap_or(2024);
        let day = |y: i32, m: u32, d: u32| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
        let (starts, ends) = match season {
            Season::Spring => (day(year, 3, 1), day(year, 7, 15)),
            Season::Autumn => (day(year, 9, 1), day(year + 1, 1, 15)),
        };
        let plus = |d: NaiveDate, n: u64| d.checked_add_days(chrono::Days::new(n)).unwrap_or(d);
        TermSchedule {
            starts,
            ends,
            arrival_due: plus(starts, 14),
            assessment_due: plus(ends, 15),
            use_report_due: plus(ends, 15),
        }
    }

    /// The deadline in Chinese, e.g. 「2023年9月24日 23:59」.
    pub fn deadline_text(&self) -> String {
        self.deadline.format("%Y年%-m月%-d日 %H:%M").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_batch10_parses_with_the_notices_numbers() {
        let b = Batch::from_toml(BATCH10_TOML).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(b.number, 10);
        assert_eq!(b.targets.school_to_enterprise, 100);
        assert_eq!(b.targets.tech_vice_president, 50);
        assert_eq!(b.tier("国家双高").map(|t| t.min_sent), Some(6));
        assert_eq!(b.deadline_text(), "2023年9月24日 23:59");
        assert_eq!(b.skill_levels[b.min_skill_rank()].name, "技师");
    }

    #[test]
    fn a_batch_whose_name_contradicts_its_number_is_rejected() {
        let text = BATCH10_TOML.replace("name = \"第十批\"", "name = \"第十一批\"");
        let err = Batch::from_toml(&text)
            .err()
            .map(|e| e.0)
            .unwrap_or_default();
        assert!(err.contains("第十一批"), "{err}");
    }

    #[test]
    fn a_batch_eleven_needs_only_data() {
        let text = BATCH10_TOML
            .replace("number = 10", "number = 11")
            .replace("name = \"第十批\"", "name = \"第十一批\"")
            .replace("term = \"2024年春季学期\"", "term = \"2025年春季学期\"");
        let b = Batch::from_toml(&text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(b.name, "第十一批");
    }
}
