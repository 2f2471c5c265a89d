//! Group W: the workflow (三(四), 四(二)–(四)): W01–W03 the submission, W04–W06 the term and the
//! subsidy after the final list. The service knows the facts (when, who confirmed, which scan, what
//! the receiving unit recorded); this module only judges them, so the rules stay pure like the others.

use chrono::{DateTime, FixedOffset};

use crate::batch::Batch;
use crate::finding::Finding;
use crate::rule;

rule! {
    /// Submitted after the deadline (Asia/Shanghai), unless the commission granted that school an
    /// extension and the submission is within it.
    ///
    /// **条款** 四(四)：「于2023年9月24日(星期天)前报送至市教委人事处」。
    ///
    /// **Fix**: ask the commission for an extension.
    pub const W01 = "W01", Error, "四(四)", Workflow, "在截止时间前报送";
}

rule! {
    /// The enterprise has not confirmed the rows that concern it.
    ///
    /// **条款** 四(四)：「派出、接收人员需经校、企双方商定同意、达成一致」。
    ///
    /// **Fix**: the enterprise's officer confirms the rows in the system.
    pub const W02 = "W02", Error, "四(四)", Workflow, "企业已确认相关人员";
}

rule! {
    /// No scan of the form sealed by both school and enterprise is attached to the version submitted
    /// (a later edit of the form voids the scan).
    ///
    /// **条款** 四(四)：「纸质件同时加盖学校、企业公章后统一寄送」；附件注：「须同时加盖校企双方公章」。
    ///
    /// **Fix**: print the current version, have it sealed by both, upload the scan.
    pub const W03 = "W03", Error, "四(四)", Workflow, "已上传校企双方盖章的扫描件";
}

/// What the service knows about one submission.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    pub school: &'a str,
    pub now: DateTime<FixedOffset>,
    /// The school's extended deadline, if the commission granted one.
    pub extension: Option<DateTime<FixedOffset>>,
    /// Names of the people whose rows the enterprise has not confirmed.
    pub unconfirmed: Vec<String>,
    /// A sealed scan is attached to the version being submitted.
    pub sealed_scan_current: bool,
}

/// W01–W03 for one submission.
pub fn check(batch: &Batch, facts: &Facts<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let deadline = facts
        .extension
        .map_or(batch.deadline, |e| e.max(batch.deadline));
    if facts.now > deadline {
        let mut f = Finding::new(
            &W01,
            format!(
                "「{}」报送时间已过截止时间 {}{}；请联系市教委申请延期",
                facts.school,
                deadline.format("%Y年%-m月%-d日 %H:%M"),
                if facts.extension.is_some() {
                    "（已含延期）"
                } else {
                    ""
                }
            ),
        );
        f.school = Some(facts.school.to_string());
        out.push(f);
    }
    if !facts.unconfirmed.is_empty() {
        let mut f = Finding::new(
            &W02,
            format!(
                "「{}」有 {} 人尚未经企业确认：{}；请企业经办人确认后再报送",
                facts.school,
                facts.unconfirmed.len(),
                facts.unconfirmed.join("、")
            ),
        );
        f.school = Some(facts.school.to_string());
        out.push(f);
    }
    if !facts.sealed_scan_current {
        let mut f = Finding::new(
            &W03,
            format!(
                "「{}」尚未上传当前版本推荐表的校企双方盖章扫描件（修改推荐表后原扫描件作废）；请打印当前版本盖章后上传",
                facts.school
            ),
        );
        f.school = Some(facts.school.to_string());
        out.push(f);
    }
    out
}

rule! {
    /// The term has begun past its 到岗 deadline and the receiving unit has not recorded the person's
    /// arrival (到岗日期, or 未到岗 with a reason) or, for a person who arrived, the post actually held,
    /// the term's tasks (聘期任务) and the duties (岗位职责). The deadline is the batch's
    /// `term_schedule.arrival_due`.
    ///
    /// **条款** 三(四)：「接收单位根据公布人员名单…安排工作岗位，明确工作任务，细化岗位职责，提供必要的工作、生活条件，确保交流人员按时到岗」。
    ///
    /// **Fix**: the receiving unit (the enterprise for a teacher, the school for an engineer) records
    /// the arrival and the placement on 聘期管理.
    pub const W04 = "W04", Error, "三(四)", Workflow, "接收单位按时记录到岗与岗位安排";
}

rule! {
    /// The assessment deadline (`term_schedule.assessment_due`) has passed and the receiving unit has
    /// not recorded the 考核鉴定 (优秀 / 合格 / 不合格 with a summary) of a person who arrived.
    ///
    /// **条款** 四(二)：「明确聘期任务，加强聘期管理，严格考核鉴定，落实待遇政策」。
    ///
    /// **Fix**: the receiving unit records the assessment on 聘期管理.
    pub const W05 = "W05", Error, "四(二)", Workflow, "聘期结束后按时完成考核鉴定";
}

rule! {
    /// The report deadline (`term_schedule.use_report_due`) has passed and a school that received
    /// subsidy has not reported how it was used, in the batch's categories, summing to what it received.
    ///
    /// **条款** 四(三)：「市教委按1万元/人标准对接收学校给予工作经费补助，专项用于接收交流互聘人员的聘期工作、培养培训、食宿、交通补贴等支出」。
    ///
    /// **Fix**: the receiving school reports the use of the subsidy on 补助经费.
    pub const W06 = "W06", Error, "四(三)", Workflow, "接收学校按时报告补助经费使用情况";
}

/// What the receiving unit has recorded about one person's term.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// Nothing recorded yet.
    Unrecorded,
    /// 到岗 on a day.
    Arrived,
    /// 未到岗, with a reason.
    Absent,
}

/// The facts of one person's term record, as the service holds them.
#[derive(Debug, Clone)]
pub struct TermFacts<'a> {
    pub name: &'a str,
    pub receiving_unit: &'a str,
    pub now: DateTime<FixedOffset>,
    pub arrival: Arrival,
    pub post: &'a str,
    pub tasks: &'a str,
    pub duties: &'a str,
    pub assessed: bool,
}

/// The end of a day in Asia/Shanghai (the batch deadline's offset, +08:00).
fn end_of(batch: &Batch, day: chrono::NaiveDate) -> DateTime<FixedOffset> {
    let offset = *batch.deadline.offset();
    let end = day.and_hms_opt(23, 59, 59).unwrap_or_default();
    DateTime::from_naive_utc_and_offset(
        end - chrono::Duration::seconds(i64::from(offset.local_minus_utc())),
        offset,
    )
}

fn day_text(day: chrono::NaiveDate) -> String {
    day.format("%Y年%-m月%-d日").to_string()
}

/// W04 and W05 for one person on the final list.
pub fn check_term(batch: &Batch, facts: &TermFacts<'_>) -> Vec<Finding> {
    let schedule = batch.schedule();
    let mut out = Vec::new();
    if facts.now > end_of(batch, schedule.arrival_due) {
        let mut missing: Vec<&str> = Vec::new();
        match facts.arrival {
            Arrival::Unrecorded => missing.push("到岗日期（或未到岗原因）"),
            Arrival::Absent => {}
            Arrival::Arrived => {
                for (label, value) in [
                    ("实际岗位", facts.post),
                    ("聘期任务", facts.tasks),
                    ("岗位职责", facts.duties),
                ] {
                    if value.trim().is_empty() {
                        missing.push(label);
                    }
                }
            }
        }
        if !missing.is_empty() {
            let mut f = Finding::new(
                &W04,
                format!(
                    "「{}」的{}未填写，应由接收单位「{}」于{}前填报；请在聘期管理中补录",
                    facts.name,
                    missing.join("、"),
                    facts.receiving_unit,
                    day_text(schedule.arrival_due)
                ),
            );
            f.school = Some(facts.receiving_unit.to_string());
            out.push(f);
        }
    }
    if facts.arrival == Arrival::Arrived
        && !facts.assessed
        && facts.now > end_of(batch, schedule.assessment_due)
    {
        let mut f = Finding::new(
            &W05,
            format!(
                "「{}」的考核鉴定（优秀、合格或不合格，附简要评语）未填写，应由接收单位「{}」于{}前完成；请在聘期管理中填报",
                facts.name,
                facts.receiving_unit,
                day_text(schedule.assessment_due)
            ),
        );
        f.school = Some(facts.receiving_unit.to_string());
        out.push(f);
    }
    out
}

/// W06 for one receiving school: `received` yuan paid, `reported` whether its use is reported.
pub fn check_use_report(
    batch: &Batch,
    school: &str,
    received: i64,
    reported: bool,
    now: DateTime<FixedOffset>,
) -> Vec<Finding> {
    let due = batch.schedule().use_report_due;
    if received <= 0 || reported || now <= end_of(batch, due) {
        return Vec::new();
    }
    let mut f = Finding::new(
        &W06,
        format!(
            "「{school}」已收到补助经费 {}，尚未报告使用情况（{}），应于{}前填报，合计须等于所收金额",
            crate::text::yuan(received),
            batch.subsidy.categories.join("、"),
            day_text(due)
        ),
    );
    f.school = Some(school.to_string());
    vec![f]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    #[test]
    fn deadline_extension_confirmation_and_scan() {
        let b = Batch::batch10();
        let ok = Facts {
            school: "甲校",
            now: at("2023-09-24T23:59:59+08:00"),
            extension: None,
            unconfirmed: vec![],
            sealed_scan_current: true,
        };
        assert!(check(&b, &ok).is_empty());
        let late = Facts {
            now: at("2023-09-25T00:00:00+08:00"),
            ..ok.clone()
        };
        assert_eq!(
            check(&b, &late).iter().map(|f| f.rule).collect::<Vec<_>>(),
            ["W01"]
        );
        let extended = Facts {
            extension: Some(at("2023-09-30T23:59:59+08:00")),
            ..late.clone()
        };
        assert!(check(&b, &extended).is_empty());
        let open = Facts {
            unconfirmed: vec!["张三".into()],
            sealed_scan_current: false,
            ..ok
        };
        assert_eq!(
            check(&b, &open).iter().map(|f| f.rule).collect::<Vec<_>>(),
            ["W02", "W03"]
        );
    }

    fn term_facts(now: &str) -> TermFacts<'static> {
        TermFacts {
            name: "张三",
            receiving_unit: "重庆某某科技有限公司",
            now: at(now),
            arrival: Arrival::Unrecorded,
            post: "",
            tasks: "",
            duties: "",
            assessed: false,
        }
    }

    fn ids(v: &[Finding]) -> Vec<&'static str> {
        v.iter().map(|f| f.rule).collect()
    }

    #[test]
    fn arrival_is_overdue_only_after_its_day_and_until_recorded() {
        let b = Batch::batch10();
        // batch10.toml: arrival_due = 2024-03-08.
        assert!(check_term(&b, &term_facts("2024-03-08T23:59:59+08:00")).is_empty());
        let late = term_facts("2024-03-09T00:00:00+08:00");
        let f = check_term(&b, &late);
        assert_eq!(ids(&f), ["W04"]);
        assert!(f[0].message.contains("到岗日期") && f[0].message.contains("2024年3月8日"));
        // Arrived but the placement is half recorded: the missing fields are named.
        let half = TermFacts {
            arrival: Arrival::Arrived,
            post: "技术研发部工程师",
            ..late.clone()
        };
        let f = check_term(&b, &half);
        assert_eq!(ids(&f), ["W04"]);
        assert!(f[0].message.contains("聘期任务、岗位职责") && !f[0].message.contains("实际岗位"));
        let full = TermFacts {
            tasks: "产线改造",
            duties: "工艺优化",
            ..half
        };
        assert!(check_term(&b, &full).is_empty());
        // 未到岗 with a reason is a record: no W04, and no assessment is due for them.
        let absent = TermFacts {
            arrival: Arrival::Absent,
            now: at("2024-08-30T00:00:00+08:00"),
            ..late
        };
        assert!(check_term(&b, &absent).is_empty());
    }

    #[test]
    fn assessment_is_overdue_after_its_day_for_people_who_arrived() {
        let b = Batch::batch10();
        let arrived = TermFacts {
            arrival: Arrival::Arrived,
            post: "工程师",
            tasks: "任务",
            duties: "职责",
            ..term_facts("2024-07-26T12:00:00+08:00")
        };
        assert!(check_term(&b, &arrived).is_empty());
        let late = TermFacts {
            now: at("2024-07-27T00:00:01+08:00"),
            ..arrived
        };
        assert_eq!(ids(&check_term(&b, &late)), ["W05"]);
        let done = TermFacts {
            assessed: true,
            ..late
        };
        assert!(check_term(&b, &done).is_empty());
    }

    #[test]
    fn use_report_is_due_from_schools_that_received_money() {
        let b = Batch::batch10();
        let before = at("2024-07-31T23:00:00+08:00");
        let after = at("2024-08-01T00:00:00+08:00");
        assert!(check_use_report(&b, "甲校", 20000, false, before).is_empty());
        let f = check_use_report(&b, "甲校", 20000, false, after);
        assert_eq!(ids(&f), ["W06"]);
        assert!(f[0].message.contains("¥20,000") && f[0].message.contains("培养培训"));
        assert!(check_use_report(&b, "甲校", 20000, true, after).is_empty());
        assert!(check_use_report(&b, "乙校", 0, false, after).is_empty());
    }

    #[test]
    fn schedule_is_derived_from_the_term_when_a_batch_has_none() {
        let mut b = Batch::batch10();
        b.term_schedule = None;
        b.term = "2023年秋季学期".into();
        let s = b.schedule();
        assert_eq!(s.starts.to_string(), "2023-09-01");
        assert_eq!(s.ends.to_string(), "2024-01-15");
        assert_eq!(s.arrival_due.to_string(), "2023-09-15");
        assert_eq!(s.assessment_due.to_string(), "2024-01-30");
    }
}
