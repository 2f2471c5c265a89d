//! The parts of the API the service builds on: stored findings, tallies, the duplicate rules over
//! occurrences and the engine split by rule scope.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use shuangshi_rules::{
    Batch, Cell, Column, Finding, FindingRecord, Footer, Form, HeaderName, Input, Occurrence, Org,
    PastPerson, PersonRow, RecordError, Registry, Scope, Tally, check, check_forms, duplicates,
    occurrences, scope_of, totals,
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

fn is_d(f: &Finding) -> bool {
    f.rule.starts_with('D')
}

/// The D findings of `check`, in the order it reports them, against `duplicates` over the input's
/// occurrences sorted the same way.
fn assert_duplicates_match(input: Input<'_>) {
    let report = check(input);
    let from_check: Vec<Finding> = report
        .findings
        .iter()
        .filter(|f| is_d(f))
        .cloned()
        .collect();
    let mut alone = duplicates(&occurrences(input), input.history);
    shuangshi_rules::finding::sort_findings(&mut alone);
    assert_eq!(from_check, alone);
}

#[test]
fn duplicates_over_occurrences_are_the_d_findings_of_check() {
    let batch = Batch::batch10();
    let forms = rich_forms();
    let past = history();
    let input = Input {
        batch: &batch,
        forms: &forms,
        registry: None,
        history: &past,
    };
    assert_duplicates_match(input);
    let report = check(input);
    let d01: Vec<&Finding> = report.findings.iter().filter(|f| f.rule == "D01").collect();
    // 张二 (138 0000 0001) repeats 张一; 王五 on the second sheet and 李一 in 乙.xlsx repeat 李一.
    assert_eq!(d01.len(), 3, "{d01:#?}");
    let zhang = d01
        .iter()
        .find(|f| f.value.as_deref() == Some("138 0000 0001"))
        .unwrap();
    assert_eq!(zhang.cell.as_deref(), Some("J6"));
    assert_eq!(
        zhang.message,
        "甲.xlsx［推荐表］第6行「手机号码」列（J6）「138 0000 0001」与 甲.xlsx［推荐表］第5行（张一）的手机号码相同，同一人不能重复推荐；请只在一张推荐表中保留此人"
    );
    // 乙.xlsx sorts before 甲.xlsx (U+4E59 < U+7532), so 李一 there stands, on either sheet of 甲.
    for sheet in ["推荐表", "第二页"] {
        let f = d01
            .iter()
            .find(|f| {
                f.sheet.as_deref() == Some(sheet) && f.value.as_deref() == Some("13900000001")
            })
            .unwrap();
        assert!(
            f.message.contains("与 乙.xlsx［推荐表］第5行（李一）"),
            "{}",
            f.message
        );
    }
    let d03: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.rule == "D03")
        .map(|f| f.value.as_deref().unwrap_or(""))
        .collect();
    assert_eq!(d03, ["孙七", "赵六"]);

    // The order of the slice does not matter.
    let mut occ = occurrences(input);
    let want = duplicates(&occ, &past);
    occ.reverse();
    assert_eq!(duplicates(&occ, &past), want);
}

#[test]
fn duplicates_over_the_occurrences_of_one_key_are_theirs_in_the_whole_batch() {
    let batch = Batch::batch10();
    let forms = rich_forms();
    let input = Input {
        batch: &batch,
        forms: &forms,
        registry: None,
        history: &[],
    };
    let occ = occurrences(input);
    let all = duplicates(&occ, &[]);
    let keys: Vec<String> = occ.iter().filter_map(Occurrence::mobile_key).collect();
    assert!(keys.contains(&"13900000001".to_string()));
    for key in keys {
        let subset: Vec<Occurrence> = occ
            .iter()
            .filter(|o| o.mobile_key().as_deref() == Some(key.as_str()))
            .cloned()
            .collect();
        let here = |f: &Finding| {
            f.rule == "D01"
                && subset.iter().any(|o| {
                    f.file.as_deref() == Some(&o.file) && f.sheet == o.sheet && f.row == Some(o.row)
                })
        };
        let expected: Vec<&Finding> = all.iter().filter(|f| here(f)).collect();
        let got = duplicates(&subset, &[]);
        let got: Vec<&Finding> = got.iter().filter(|f| f.rule == "D01").collect();
        assert_eq!(got, expected, "key {key}");
    }
    let names: Vec<String> = occ.iter().filter_map(Occurrence::name_key).collect();
    assert!(names.contains(&"李一\u{1f}重庆乙制造有限公司".to_string()));
    for key in names {
        let subset: Vec<Occurrence> = occ
            .iter()
            .filter(|o| o.name_key().as_deref() == Some(key.as_str()))
            .cloned()
            .collect();
        let expected: Vec<&Finding> = all
            .iter()
            .filter(|f| {
                f.rule == "D02"
                    && subset.iter().any(|o| {
                        f.file.as_deref() == Some(&o.file)
                            && f.sheet == o.sheet
                            && f.row == Some(o.row)
                    })
            })
            .collect();
        let got = duplicates(&subset, &[]);
        let got: Vec<&Finding> = got.iter().filter(|f| f.rule == "D02").collect();
        assert_eq!(got, expected, "key {key}");
    }
}

#[test]
fn occurrence_keys_are_the_normalised_cells() {
    let o = Occurrence {
        file: "a.xlsx".into(),
        sheet: None,
        row: 5,
        school: None,
        name: " 张 一".into(),
        mobile: "138-0000-0001".into(),
        sending_unit: "重庆甲（职业）学院".into(),
        name_cell: None,
        mobile_cell: None,
    };
    assert_eq!(o.mobile_key().as_deref(), Some("13800000001"));
    assert_eq!(o.name_key().as_deref(), Some("张一\u{1f}重庆甲(职业)学院"));
    let none = Occurrence {
        mobile: "023-63865672".into(),
        sending_unit: " ".into(),
        ..o
    };
    assert_eq!(none.mobile_key(), None);
    assert_eq!(none.name_key(), None);
}

#[test]
fn tallies_count_each_form_school_and_the_batch() {
    let batch = Batch::batch10();
    let forms = rich_forms();
    let input = Input {
        batch: &batch,
        forms: &forms,
        registry: None,
        history: &[],
    };
    let report = check(input);
    // 甲.xlsx 推荐表: 2 teachers (1 科技副总), 2 engineers (1 产业副院长).
    assert_eq!(
        report.forms[0].tally,
        Tally {
            teachers: 2,
            tech_vps: 1,
            engineers: 2,
            deans: 1,
            undetermined: 0
        }
    );
    assert_eq!((report.forms[0].sent, report.forms[0].received), (2, 2));
    for f in &report.forms {
        assert_eq!(f.tally.people() as usize, f.people);
        assert_eq!(f.tally.teachers as usize, f.sent);
        assert_eq!(f.tally.engineers as usize, f.received);
    }
    let sum: Tally = report.forms.iter().map(|f| f.tally).sum();
    assert_eq!(report.tally, sum);
    assert_eq!(report.tally.people() as usize, report.summary.people);
    // Two schools; 丙.docx names none.
    let schools: Vec<&str> = report.schools.iter().map(|s| s.school.as_str()).collect();
    assert_eq!(schools, [SCHOOL, OTHER_SCHOOL]);
    assert_eq!(
        report.schools[0].tally,
        report.forms[0].tally + report.forms[1].tally
    );
    assert!(report.tally.people() > report.schools.iter().map(|s| s.tally.people()).sum::<u32>());
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["tally"]["teachers"], report.tally.teachers);
    assert_eq!(json["schools"][1]["school"], OTHER_SCHOOL);
    assert_eq!(json["forms"][0]["tally"]["deans"], 1);
}

#[test]
fn check_is_check_forms_with_duplicates_and_totals() {
    let batch = small_batch();
    let forms = rich_forms();
    let (reg, past) = (registry(), history());
    let input = Input {
        batch: &batch,
        forms: &forms,
        registry: Some(&reg),
        history: &past,
    };
    let whole = check(input);
    let part = check_forms(input);
    assert_eq!(part.forms, whole.forms);
    assert_eq!(part.tally, whole.tally);
    assert_eq!(part.schools, whole.schools);
    for f in &part.findings {
        let scope = scope_of(f.rule).unwrap();
        assert!(
            matches!(scope, Scope::Row | Scope::Form | Scope::School),
            "{} in check_forms",
            f.rule
        );
    }
    let mut batch_wide = duplicates(&occurrences(input), &past);
    batch_wide.extend(totals(&batch, &whole.tally));
    assert!(
        batch_wide
            .iter()
            .all(|f| scope_of(f.rule) == Some(Scope::Batch))
    );
    assert!(batch_wide.iter().any(|f| f.rule == "P01"));
    let mut all = part.findings.clone();
    all.extend(batch_wide);
    shuangshi_rules::finding::sort_findings(&mut all);
    assert_eq!(all, whole.findings);
}

#[test]
fn totals_compare_a_batch_tally_with_the_targets() {
    let batch = Batch::batch10();
    let at = Tally {
        teachers: 100,
        tech_vps: 50,
        engineers: 100,
        deans: 50,
        undetermined: 7,
    };
    assert!(totals(&batch, &at).is_empty());
    let over = at
        + Tally {
            teachers: 1,
            deans: 1,
            ..Tally::default()
        };
    let found = totals(&batch, &over);
    let rules: Vec<&str> = found.iter().map(|f| f.rule).collect();
    assert_eq!(rules, ["P01", "P02"]);
    assert!(
        found[0]
            .message
            .contains("共推荐学校派出教师 101 人，超过计划 100 人"),
        "{}",
        found[0].message
    );
    assert!(
        found[1].message.contains("「产业副院长」51 人"),
        "{}",
        found[1].message
    );
}

#[test]
fn scope_of_reads_the_catalogue() {
    assert_eq!(scope_of("D01"), Some(Scope::Batch));
    assert_eq!(scope_of("f04"), Some(Scope::Row));
    assert_eq!(scope_of("S06"), Some(Scope::Form));
    assert_eq!(scope_of("X01"), None);
    let s: Scope = serde_json::from_str("\"school\"").unwrap();
    assert_eq!(s, Scope::School);
}

/// A random person row on a random one of three small forms: names, units and mobile numbers from
/// small pools, so that duplicates are frequent.
fn arb_rows() -> impl Strategy<Value = Vec<(usize, u32, usize, usize, usize)>> {
    prop::collection::vec((0usize..3, 4u32..9, 0usize..4, 0usize..3, 0usize..5), 0..14)
}

proptest! {
    #[test]
    fn duplicates_match_check_on_random_batches(rows in arb_rows(), with_history in any::<bool>()) {
        let names = ["张一", "李一", "王 五", ""];
        let units = [SCHOOL, ENTERPRISE, ""];
        let mobiles = ["13800000001", "138 0000 0001", "13900000002", "123", ""];
        let mut forms = vec![
            form("甲.xlsx", SCHOOL, ENTERPRISE, vec![]),
            form("甲.xlsx", SCHOOL, "重庆丙公司", vec![]),
            form("乙.xlsx", OTHER_SCHOOL, ENTERPRISE, vec![]),
        ];
        forms[1].sheet = Some("二".into());
        for (f, row, n, u, m) in rows {
            forms[f].rows.push(
                teacher(row, SCHOOL, ENTERPRISE, names[n], mobiles[m], "工程师")
                    .with(Column::SendingUnit, units[u]),
            );
        }
        let past = if with_history { history() } else { vec![] };
        let batch = Batch::batch10();
        let input = Input { batch: &batch, forms: &forms, registry: None, history: &past };
        let report = check(input);
        let from_check: Vec<Finding> = report.findings.iter().filter(|f| is_d(f)).cloned().collect();
        let mut occ = occurrences(input);
        let mut alone = duplicates(&occ, &past);
        shuangshi_rules::finding::sort_findings(&mut alone);
        prop_assert_eq!(&from_check, &alone);
        occ.reverse();
        let mut reversed = duplicates(&occ, &past);
        shuangshi_rules::finding::sort_findings(&mut reversed);
        prop_assert_eq!(&reversed, &alone);
    }
}
