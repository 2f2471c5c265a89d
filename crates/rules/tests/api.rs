//! The parts of the API the service builds on: stored findings, tallies, the duplicate rules over
//! occurrences and the engine split by rule scope.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use shuangshi_rules::{
    Batch, Cell, Column, Finding, FindingRecord, Footer, Form, HeaderName, Input, Org, PastPerson,
    PersonRow, RecordError, Registry, check,
};

const SCHOOL: &str = "重庆甲职业技术学院";
const OTHER_SCHOOL: &str = "重庆丁职业学院";
const ENTERPRISE: &str = "重庆乙制造有限公司";

fn teacher(
    row: u32,
    school: &str,
    enterprise: &str,
    name: &str,
    mobile: &str,
    post: &str,
) -> PersonRow {
    PersonRow::new(row)
        .with(Column::Seq, "1")
        .with(Column::Batch, "第十批")
        .with(Column::Name, name)
        .with(Column::SendingUnit, school)
        .with(Column::AdminPost, "无")
        .with(Column::Field, "机械制造")
        .with(Column::Title, "副教授")
        .with(Column::TeacherQualification, "高等学校教师资格")
        .with(Column::SkillQualification, "无")
        .with(Column::Mobile, mobile)
        .with(Column::Term, "2024年春季学期")
        .with(Column::ReceivingUnit, enterprise)
        .with(Column::Post, post)
        .with(Column::Bank, "中国工商银行重庆沙坪坝支行")
        .with(Column::AccountName, school)
        .with(Column::AccountNumber, "3100 0201 0920 0012 345")
        .with(Column::Direction, "学校派出")
        .with(Column::TeachingYears, "8")
        .with(Column::ExchangeForm, "项目合作")
        .with(Column::Priority, "无")
}

fn engineer(
    row: u32,
    school: &str,
    enterprise: &str,
    name: &str,
    mobile: &str,
    post: &str,
) -> PersonRow {
    teacher(row, school, enterprise, name, mobile, post)
        .with(Column::SendingUnit, enterprise)
        .with(Column::ReceivingUnit, school)
        .with(Column::Field, "机械制造工艺")
        .with(Column::Title, "高级工程师")
        .with(Column::TeacherQualification, "无")
        .with(Column::SkillQualification, "技师")
        .with(Column::Direction, "企业派出")
        .with(Column::TeachingYears, "")
        .with(Column::EnterpriseYears, "9")
        .with(Column::FrontlineYears, "6")
}

fn form(file: &str, school: &str, enterprise: &str, rows: Vec<PersonRow>) -> Form {
    let mut f = Form::official(file, school, enterprise, true);
    f.footer = Some(Footer {
        row: 5 + rows.len() as u32,
        filler: "王老师".into(),
        phone: "023-63865672".into(),
    });
    f.rows = rows;
    f
}

fn registry() -> Registry {
    Registry::new(vec![
        Org {
            name: SCHOOL.into(),
            category: "国家双高".into(),
            ..Org::default()
        },
        Org {
            name: ENTERPRISE.into(),
            category: "国有企业".into(),
            ..Org::default()
        },
    ])
}

/// A batch with small targets, so that P01 and P02 fire on a few forms.
fn small_batch() -> Batch {
    let mut b = Batch::batch10();
    b.targets.school_to_enterprise = 2;
    b.targets.tech_vice_president = 1;
    b.targets.enterprise_to_school = 2;
    b.targets.industry_dean = 1;
    b
}

/// Forms that make nearly every rule group fire: duplicates within and across files and sheets, a
/// header without an enterprise, a form without a footer, an unknown direction, an unbalanced
/// school, bad cells.
fn rich_forms() -> Vec<Form> {
    let a = form(
        "甲.xlsx",
        SCHOOL,
        ENTERPRISE,
        vec![
            teacher(5, SCHOOL, ENTERPRISE, "张一", "13800000001", "科技副总"),
            teacher(6, SCHOOL, ENTERPRISE, "张二", "138 0000 0001", "工程师"),
            engineer(7, SCHOOL, ENTERPRISE, "李一", "13900000001", "产业副院长"),
            engineer(8, SCHOOL, ENTERPRISE, "李二", "1390000000", "专业教师")
                .with(Column::Batch, "第九批"),
        ],
    );
    let mut b = form(
        "甲.xlsx",
        SCHOOL,
        "重庆丙公司",
        vec![
            teacher(5, SCHOOL, "重庆丙公司", "张一", "13800000009", "科技副总"),
            teacher(6, SCHOOL, "重庆丙公司", "王五", "13900000001", "工程师")
                .with(Column::Direction, "其他")
                .with(Column::SendingUnit, "某单位"),
        ],
    );
    b.sheet = Some("第二页".into());
    b.footer = None;
    let mut c = form(
        "乙.xlsx",
        OTHER_SCHOOL,
        ENTERPRISE,
        vec![
            engineer(
                5,
                OTHER_SCHOOL,
                ENTERPRISE,
                "李一",
                "13900000001",
                "产业副院长",
            ),
            engineer(
                6,
                OTHER_SCHOOL,
                ENTERPRISE,
                "赵六",
                "13700000006",
                "产业副院长",
            ),
            teacher(7, OTHER_SCHOOL, ENTERPRISE, "", "", ""),
        ],
    );
    c.enterprise = None;
    c.rows[0].set(Column::Mobile, Cell::text("139-0000-0001"));
    let mut d = form(
        "丙.docx",
        "",
        "",
        vec![teacher(
            4,
            OTHER_SCHOOL,
            ENTERPRISE,
            "孙七",
            "13600000007",
            "科技副总",
        )],
    );
    d.sheet = None;
    d.school = Some(HeaderName::new(""));
    vec![a, b, c, d]
}

fn history() -> Vec<PastPerson> {
    vec![
        PastPerson {
            batch: "第九批".into(),
            name: "赵六".into(),
            unit: ENTERPRISE.into(),
            mobile: "13700000006".into(),
        },
        PastPerson {
            batch: "第八批".into(),
            name: "孙七".into(),
            unit: OTHER_SCHOOL.into(),
            mobile: String::new(),
        },
    ]
}

#[test]
fn every_finding_of_a_rich_input_round_trips_through_a_record() {
    let batch = small_batch();
    let forms = rich_forms();
    let (reg, past) = (registry(), history());
    let report = check(Input {
        batch: &batch,
        forms: &forms,
        registry: Some(&reg),
        history: &past,
    });
    let rules: std::collections::BTreeSet<&str> = report.findings.iter().map(|f| f.rule).collect();
    for id in [
        "F01", "F02", "F04", "F08", "F11", "F12", "S01", "D01", "D02", "D03", "P01", "P02",
    ] {
        assert!(
            rules.contains(id),
            "the rich input should make {id} fire: {rules:?}"
        );
    }
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.column == Some("交流互聘企业"))
    );
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.column == Some("学校填表人"))
    );
    for f in &report.findings {
        let record = FindingRecord::from(f);
        assert_eq!(record.rule, f.rule);
        let json = serde_json::to_string(&record).unwrap();
        // The stored shape is the report's.
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&json).unwrap(),
            serde_json::to_value(f).unwrap()
        );
        let back: FindingRecord = serde_json::from_str(&json).unwrap();
        assert_eq!(Finding::try_from(back).unwrap(), *f);
    }
}

#[test]
fn a_record_of_an_unknown_rule_or_column_is_refused_in_chinese() {
    let batch = Batch::batch10();
    let forms = rich_forms();
    let report = check(Input {
        batch: &batch,
        forms: &forms,
        registry: None,
        history: &[],
    });
    let f = report.findings.iter().find(|f| f.column.is_some()).unwrap();
    let mut r = FindingRecord::from(f);
    r.rule = "X99".into();
    let err = Finding::try_from(r).unwrap_err();
    assert_eq!(err, RecordError::UnknownRule("X99".into()));
    assert!(err.to_string().contains("「X99」不在规则目录中"), "{err}");

    let mut r = FindingRecord::from(f);
    r.column = Some("身高".into());
    let err = Finding::try_from(r).unwrap_err();
    assert!(matches!(err, RecordError::UnknownColumn { .. }));
    assert!(err.to_string().contains("「身高」"), "{err}");
    assert!(err.to_string().contains("应为推荐表的列名"), "{err}");

    // A lower-case ID names the same rule.
    let mut r = FindingRecord::from(f);
    r.rule = r.rule.to_ascii_lowercase();
    assert_eq!(Finding::try_from(r).unwrap(), *f);
}
