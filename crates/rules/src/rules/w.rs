//! Group W: the submission workflow (三(四), 四(四)). The service knows the facts (when, who confirmed,
//! which scan); this module only judges them, so the rules stay pure like the others.

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
}
