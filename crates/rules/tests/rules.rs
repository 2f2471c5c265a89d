//! Every rule of groups F, T, E, S, D and P, with a case that passes it and one that fails it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use shuangshi_rules::{
    Batch, Cell, Column, Direction, Footer, Form, Input, Org, PastPerson, PersonRow, Registry,
    Report, Severity, check, directions,
};

const SCHOOL: &str = "重庆甲职业技术学院";
const ENTERPRISE: &str = "重庆乙制造有限公司";

fn teacher(row: u32, name: &str, mobile: &str, post: &str) -> PersonRow {
    PersonRow::new(row)
        .with(Column::Seq, "1")
        .with(Column::Batch, "第十批")
        .with(Column::Name, name)
        .with(Column::SendingUnit, SCHOOL)
        .with(Column::AdminPost, "无")
        .with(Column::Field, "机械制造")
        .with(Column::Title, "副教授")
        .with(Column::TeacherQualification, "高等学校教师资格")
        .with(Column::SkillQualification, "无")
        .with(Column::Mobile, mobile)
        .with(Column::Term, "2024年春季学期")
        .with(Column::ReceivingUnit, ENTERPRISE)
        .with(Column::Post, post)
        .with(Column::Bank, "中国工商银行重庆沙坪坝支行")
        .with(Column::AccountName, SCHOOL)
        .with(Column::AccountNumber, "3100 0201 0920 0012 345")
        .with(Column::Direction, "学校派出")
        .with(Column::TeachingYears, "8")
        .with(Column::ExchangeForm, "项目合作")
        .with(Column::Priority, "无")
}

fn engineer(row: u32, name: &str, mobile: &str, post: &str) -> PersonRow {
    teacher(row, name, mobile, post)
        .with(Column::SendingUnit, ENTERPRISE)
        .with(Column::ReceivingUnit, SCHOOL)
        .with(Column::Field, "机械制造工艺")
        .with(Column::Title, "高级工程师")
        .with(Column::TeacherQualification, "无")
        .with(Column::SkillQualification, "技师")
        .with(Column::Direction, "企业派出")
        .with(Column::TeachingYears, "")
        .with(Column::EnterpriseYears, "9")
        .with(Column::FrontlineYears, "6")
}

/// A form with no error: two teachers (one 科技副总) and two engineers (one 产业副院长).
fn valid() -> Form {
    let mut f = Form::official("甲.xlsx", SCHOOL, ENTERPRISE, true);
    f.rows = vec![
        teacher(5, "张一", "13800000001", "科技副总"),
        teacher(6, "张二", "13800000002", "工程师"),
        engineer(7, "李一", "13900000001", "产业副院长"),
        engineer(8, "李二", "13900000002", "专业教师"),
    ];
    f.footer = Some(Footer {
        row: 9,
        filler: "王老师".into(),
        phone: "023-63865672".into(),
    });
    f
}

fn registry(tier: &str) -> Registry {
    Registry::new(vec![
        Org {
            name: SCHOOL.into(),
            category: tier.into(),
            ..Org::default()
        },
        Org {
            name: ENTERPRISE.into(),
            category: "国有企业".into(),
            affiliation: "市国资委".into(),
            ..Org::default()
        },
    ])
}

fn run_with(forms: &[Form], reg: Option<&Registry>, history: &[PastPerson]) -> Report {
    let batch = Batch::batch10();
    check(Input {
        batch: &batch,
        forms,
        registry: reg,
        history,
    })
}

fn run(form: Form) -> Report {
    run_with(&[form], Some(&registry("其他高职")), &[])
}

fn ids(r: &Report, rule: &str) -> Vec<(Option<u32>, Severity, String)> {
    r.findings
        .iter()
        .filter(|f| f.rule == rule)
        .map(|f| (f.row, f.severity, f.message.clone()))
        .collect()
}

/// Asserts `rule` does not fire on the valid form and fires (at `severity`, on `row`) after `change`.
fn fails(
    rule: &str,
    severity: Severity,
    row: Option<u32>,
    change: impl FnOnce(&mut Form),
) -> String {
    assert!(
        ids(&run(valid()), rule).is_empty(),
        "{rule} fires on the valid form"
    );
    let mut f = valid();
    change(&mut f);
    let found = ids(&run(f), rule);
    assert!(
        found.iter().any(|(r, s, _)| *r == row && *s == severity),
        "{rule} expected at row {row:?} as {severity:?}, got {found:?}"
    );
    found
        .into_iter()
        .map(|(_, _, m)| m)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Asserts `rule` does not fire after `change` (an accepted variant).
fn passes(rule: &str, change: impl FnOnce(&mut Form)) {
    let mut f = valid();
    change(&mut f);
    let found = ids(&run(f), rule);
    assert!(found.is_empty(), "{rule} should pass, got {found:?}");
}

fn set(f: &mut Form, row: usize, c: Column, v: &str) {
    f.rows[row].set(c, Cell::text(v));
}

#[test]
fn the_valid_form_has_no_error_or_warning() {
    let r = run(valid());
    let serious: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.severity != Severity::Info)
        .collect();
    assert!(serious.is_empty(), "{serious:#?}");
    assert_eq!(r.summary.people, 4);
    assert_eq!((r.forms[0].sent, r.forms[0].received), (2, 2));
}

#[test]
fn f01_every_content_cell_is_filled() {
    let m = fails("F01", Severity::Error, Some(6), |f| {
        set(f, 1, Column::AdminPost, " ")
    });
    assert!(m.contains("第6行「现任行政职务」列（E6）未填写"), "{m}");
    assert!(m.contains("「无」"), "{m}");
    passes("F01", |f| set(f, 1, Column::AdminPost, "无"));
    passes("F01", |f| set(f, 1, Column::Seq, ""));
    // A column missing from the header is one finding for the form.
    let mut f = valid();
    f.columns[Column::Bank as usize] = None;
    let found = ids(&run(f), "F01");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].2.contains("没有「学校对公账户开户行」列"));
}

#[test]
fn f02_batch_is_this_batch() {
    let m = fails("F02", Severity::Error, Some(5), |f| {
        set(f, 0, Column::Batch, "第九批")
    });
    assert!(
        m.contains("「第九批」") && m.contains("应填「第十批」"),
        "{m}"
    );
    for ok in ["第10批", "10", "第 十 批"] {
        passes("F02", |f| set(f, 0, Column::Batch, ok));
    }
}

#[test]
fn f03_term_is_this_batchs_term() {
    let m = fails("F03", Severity::Error, Some(5), |f| {
        set(f, 0, Column::Term, "2023年秋季学期")
    });
    assert!(m.contains("应填「2024年春季学期」"), "{m}");
    passes("F03", |f| set(f, 0, Column::Term, "2024春季学期"));
}

#[test]
fn f04_mobile_is_eleven_digits() {
    let m = fails("F04", Severity::Error, Some(5), |f| {
        set(f, 0, Column::Mobile, "1381234567")
    });
    assert!(
        m.contains("第5行「手机号码」列（J5）填写为「1381234567」"),
        "{m}"
    );
    passes("F04", |f| set(f, 0, Column::Mobile, "138-0000-0001"));
    let wide: String = "13800000003"
        .chars()
        .map(|c| char::from_u32(c as u32 + 0xfee0).unwrap())
        .collect();
    passes("F04", |f| set(f, 0, Column::Mobile, &wide));
    fails("F04", Severity::Error, Some(5), |f| {
        set(f, 0, Column::Mobile, "12800000001")
    });
}

#[test]
fn f05_no_zero_balance_account() {
    let m = fails("F05", Severity::Error, Some(6), |f| {
        set(f, 1, Column::Bank, "中国银行零余额账户")
    });
    assert!(m.contains("零余额"), "{m}");
    fails("F05", Severity::Error, Some(7), |f| {
        set(f, 2, Column::AccountName, "重庆甲职业技术学院零余额账户")
    });
}

#[test]
fn f06_account_name_is_the_school() {
    let m = fails("F06", Severity::Error, Some(5), |f| {
        set(f, 0, Column::AccountName, "张一")
    });
    assert!(m.contains("个人姓名"), "{m}");
    let m = fails("F06", Severity::Error, Some(5), |f| {
        set(f, 0, Column::AccountName, "甲职院")
    });
    assert!(m.contains("应填学校规范全称「重庆甲职业技术学院」"), "{m}");
    passes("F06", |f| {
        set(f, 0, Column::AccountName, "重庆甲职业技术学院 ")
    });
    // With a registry, the registered name is accepted.
    let reg = Registry::new(vec![Org {
        name: "重庆甲职业技术学院".into(),
        category: "其他高职".into(),
        ..Org::default()
    }]);
    let mut f = valid();
    set(&mut f, 0, Column::AccountName, "重庆甲职业技术学院");
    assert!(ids(&run_with(&[f], Some(&reg), &[]), "F06").is_empty());
}

#[test]
fn f07_account_is_nine_to_thirty_digits() {
    fails("F07", Severity::Error, Some(5), |f| {
        set(f, 0, Column::AccountNumber, "3100-0201")
    });
    fails("F07", Severity::Error, Some(5), |f| {
        set(f, 0, Column::AccountNumber, "12345678")
    });
    let m = fails("F07", Severity::Error, Some(5), |f| {
        f.rows[0].set(
            Column::AccountNumber,
            Cell::number("3100020109200012000", true),
        )
    });
    assert!(m.contains("文本"), "{m}");
    passes("F07", |f| set(f, 0, Column::AccountNumber, "123456789"));
}

#[test]
fn f08_units_match_the_header_the_right_way_round() {
    let m = fails("F08", Severity::Error, Some(5), |f| {
        set(f, 0, Column::ReceivingUnit, "重庆丙公司")
    });
    assert!(
        m.contains("接收单位「重庆丙公司」应为「重庆乙制造有限公司」"),
        "{m}"
    );
    // Without the 派出类别 column, the direction comes from the units.
    passes("F08", |f| f.columns[Column::Direction as usize] = None);
    let mut f = valid();
    f.columns[Column::Direction as usize] = None;
    set(&mut f, 0, Column::SendingUnit, "重庆丙公司");
    set(&mut f, 0, Column::ReceivingUnit, "重庆丁学院");
    let found = ids(&run(f), "F08");
    assert!(
        found.iter().any(|(_, _, m)| m.contains("无法判断")),
        "{found:?}"
    );
    fails("F08", Severity::Error, Some(5), |f| {
        set(f, 0, Column::Direction, "其他")
    });
}

#[test]
fn f09_post_fits_the_direction() {
    let m = fails("F09", Severity::Error, Some(5), |f| {
        set(f, 0, Column::Post, "产业副院长")
    });
    assert!(m.contains("科技副总、工程师"), "{m}");
    fails("F09", Severity::Error, Some(7), |f| {
        set(f, 2, Column::Post, "副总经理")
    });
}

#[test]
fn f10_one_account_per_school() {
    let m = fails("F10", Severity::Warning, Some(8), |f| {
        set(f, 3, Column::AccountNumber, "310002010920001234")
    });
    assert!(m.contains("3100 0201 0920 0012 345"), "{m}");
    passes("F10", |f| {
        set(f, 3, Column::AccountNumber, "3100020109200012345")
    });
}

#[test]
fn f11_footer_is_filled() {
    fails("F11", Severity::Error, Some(9), |f| {
        f.footer = Some(Footer {
            row: 9,
            filler: "".into(),
            phone: "13800001111".into(),
        })
    });
    fails("F11", Severity::Error, Some(9), |f| {
        f.footer = Some(Footer {
            row: 9,
            filler: "王".into(),
            phone: "12".into(),
        })
    });
    fails("F11", Severity::Error, None, |f| f.footer = None);
    passes("F11", |f| {
        f.footer = Some(Footer {
            row: 9,
            filler: "王".into(),
            phone: "13800001111".into(),
        })
    });
}

#[test]
fn f12_header_names_school_and_enterprise() {
    let m = fails("F12", Severity::Error, Some(2), |f| f.enterprise = None);
    assert!(m.contains("交流互聘企业"), "{m}");
    fails("F12", Severity::Error, Some(2), |f| {
        f.school = Some(shuangshi_rules::HeaderName::new("  "))
    });
}

#[test]
fn t01_teacher_qualification() {
    let m = fails("T01", Severity::Error, Some(5), |f| {
        set(f, 0, Column::TeacherQualification, "小学教师资格")
    });
    assert!(m.contains("高等学校教师"), "{m}");
    passes("T01", |f| {
        set(f, 0, Column::TeacherQualification, "中等职业学校教师资格证")
    });
    // Engineers are not asked for it.
    passes("T01", |f| set(f, 2, Column::TeacherQualification, "无"));
}

#[test]
fn t02_teacher_title_intermediate_or_higher() {
    fails("T02", Severity::Error, Some(5), |f| {
        set(f, 0, Column::Title, "助教")
    });
    fails("T02", Severity::Error, Some(5), |f| {
        set(f, 0, Column::Title, "助理讲师")
    });
    let m = fails("T02", Severity::Warning, Some(5), |f| {
        set(f, 0, Column::Title, "主任科员")
    });
    assert!(m.contains("人工核对"), "{m}");
    passes("T02", |f| set(f, 0, Column::Title, "讲师"));
}

#[test]
fn t03_teaching_years() {
    fails("T03", Severity::Error, Some(5), |f| {
        set(f, 0, Column::TeachingYears, "2")
    });
    fails("T03", Severity::Error, Some(5), |f| {
        set(f, 0, Column::TeachingYears, "很多")
    });
    fails("T03", Severity::Info, Some(5), |f| {
        set(f, 0, Column::TeachingYears, "")
    });
    fails("T03", Severity::Info, Some(5), |f| {
        f.columns[Column::TeachingYears as usize] = None
    });
    passes("T03", |f| set(f, 0, Column::TeachingYears, "三年"));
}

#[test]
fn t04_priority_is_reported() {
    let m = fails("T04", Severity::Info, Some(5), |f| {
        set(f, 0, Column::Priority, "骨干教师")
    });
    assert!(m.contains("可优先选派"), "{m}");
}

#[test]
fn e01_engineer_title_or_skill() {
    fails("E01", Severity::Error, Some(7), |f| {
        set(f, 2, Column::Title, "助理工程师");
        set(f, 2, Column::SkillQualification, "高级工");
    });
    fails("E01", Severity::Warning, Some(7), |f| {
        set(f, 2, Column::Title, "无");
        set(f, 2, Column::SkillQualification, "二级建造师");
    });
    passes("E01", |f| {
        set(f, 2, Column::Title, "无");
        set(f, 2, Column::SkillQualification, "高级技师");
    });
    passes("E01", |f| {
        set(f, 2, Column::Title, "工程师");
        set(f, 2, Column::SkillQualification, "无");
    });
}

#[test]
fn e02_e03_enterprise_and_frontline_years() {
    fails("E02", Severity::Error, Some(7), |f| {
        set(f, 2, Column::EnterpriseYears, "4")
    });
    fails("E02", Severity::Info, Some(7), |f| {
        set(f, 2, Column::EnterpriseYears, "")
    });
    fails("E03", Severity::Error, Some(8), |f| {
        set(f, 3, Column::FrontlineYears, "2.5")
    });
    fails("E03", Severity::Info, Some(8), |f| {
        f.columns[Column::FrontlineYears as usize] = None
    });
    passes("E02", |f| set(f, 2, Column::EnterpriseYears, "5年"));
}

#[test]
fn s01_reciprocity_across_the_schools_forms() {
    let m = fails("S01", Severity::Error, None, |f| {
        f.rows.pop();
    });
    assert!(m.contains("派出 2 人、接收 1 人"), "{m}");
    // Two unbalanced forms that balance together: S06 on each, no S01.
    let mut a = valid();
    a.rows.truncate(2);
    let mut b = valid();
    b.file = "乙.xlsx".into();
    b.rows.drain(..2);
    let r = run_with(&[a, b], Some(&registry("其他高职")), &[]);
    assert!(ids(&r, "S01").is_empty());
    assert_eq!(ids(&r, "S06").len(), 2);
}

#[test]
fn s02_fields_correspond() {
    let m = fails("S02", Severity::Warning, Some(6), |f| {
        set(f, 1, Column::Field, "护理")
    });
    assert!(m.contains("「护理」"), "{m}");
}

#[test]
fn s03_s04_s05_tier_minimums() {
    let r = run_with(&[valid()], Some(&registry("国家双高")), &[]);
    assert_eq!(ids(&r, "S03").len(), 2, "sent and received below 6");
    assert_eq!(ids(&r, "S04").len(), 1);
    assert_eq!(ids(&r, "S05").len(), 1);
    assert!(ids(&r, "S04")[0].2.contains("少于下限 3 人"));
    let r = run_with(&[valid()], Some(&registry("中职")), &[]);
    assert!(ids(&r, "S03").is_empty() && ids(&r, "S04").is_empty() && ids(&r, "S05").is_empty());
    // 技工院校: no headcount minimum, but one of each senior post.
    let mut f = valid();
    set(&mut f, 0, Column::Post, "工程师");
    let r = run_with(&[f], Some(&registry("技工院校")), &[]);
    assert!(ids(&r, "S03").is_empty());
    assert_eq!(ids(&r, "S04").len(), 1);
    assert!(ids(&r, "S05").is_empty());
    fails("S05", Severity::Error, None, |f| {
        set(f, 2, Column::Post, "专业教师")
    });
}

#[test]
fn s06_one_form_unbalanced() {
    fails("S06", Severity::Warning, None, |f| {
        f.rows.remove(0);
    });
}

#[test]
fn s07_without_registry_the_tier_is_unknown() {
    let r = run_with(&[valid()], None, &[]);
    let s07 = ids(&r, "S07");
    assert_eq!(s07.len(), 1);
    assert_eq!(s07[0].1, Severity::Info);
    assert!(ids(&r, "S03").is_empty());
    let r = run_with(&[valid()], Some(&Registry::new(vec![])), &[]);
    assert!(ids(&r, "S07")[0].2.contains("单位名录中没有"));
    assert!(ids(&run(valid()), "S07").is_empty());
}

#[test]
fn d01_same_mobile_twice() {
    let m = fails("D01", Severity::Error, Some(6), |f| {
        set(f, 1, Column::Mobile, "138 0000 0001")
    });
    assert!(m.contains("第5行"), "{m}");
    // Across files, the row of the file that sorts later is the duplicate (乙 U+4E59 < 甲 U+7532).
    let a = valid();
    let mut b = valid();
    b.file = "乙.xlsx".into();
    b.enterprise = Some(shuangshi_rules::HeaderName::new("重庆丙公司"));
    let r = run_with(&[b, a], None, &[]);
    let d01: Vec<_> = r.findings.iter().filter(|f| f.rule == "D01").collect();
    assert_eq!(d01.len(), 4);
    assert!(d01.iter().all(|f| f.file.as_deref() == Some("甲.xlsx")));
}

#[test]
fn d02_same_name_and_unit_with_another_mobile() {
    fails("D02", Severity::Warning, Some(6), |f| {
        set(f, 1, Column::Name, "张一")
    });
}

#[test]
fn d03_earlier_batches() {
    let past = [PastPerson {
        batch: "第九批".into(),
        name: "张一".into(),
        unit: SCHOOL.into(),
        mobile: "13800000001".into(),
    }];
    let r = run_with(&[valid()], None, &past);
    let d03 = ids(&r, "D03");
    assert_eq!(d03.len(), 1);
    assert!(d03[0].2.contains("第九批"));
    assert!(ids(&run_with(&[valid()], None, &[]), "D03").is_empty());
}

#[test]
fn p01_p02_programme_targets() {
    let mut forms = Vec::new();
    for s in 0..26 {
        let mut f = valid();
        f.file = format!("{s:02}.xlsx");
        for (i, r) in f.rows.iter_mut().enumerate() {
            r.set(Column::Mobile, Cell::text(format!("137{s:04}{i:04}")));
            r.set(Column::Name, Cell::text(format!("人{s}-{i}")));
        }
        f.rows.extend(f.rows.clone().into_iter().map(|mut r| {
            let m = r.get(Column::Mobile).raw.replace("137", "136");
            r.set(Column::Mobile, Cell::text(m));
            r.set(
                Column::Post,
                Cell::text(if r.get(Column::Direction).raw == "学校派出" {
                    "科技副总"
                } else {
                    "产业副院长"
                }),
            );
            r
        }));
        forms.push(f);
    }
    // 26 forms × 2 teachers × 2 = 104 teachers, of whom 78 科技副总; the same for engineers.
    let r = run_with(&forms, None, &[]);
    let p01 = ids(&r, "P01");
    assert_eq!(p01.len(), 2, "{p01:?}");
    assert!(p01[0].2.contains("104 人"));
    assert_eq!(ids(&r, "P02").len(), 2);
    assert!(
        r.findings
            .iter()
            .filter(|f| f.rule == "P01")
            .all(|f| f.file.is_none() && f.row.is_none())
    );
    assert!(ids(&run(valid()), "P01").is_empty());
}

#[test]
fn findings_are_sorted_by_file_row_rule_and_carry_the_json_fields() {
    let mut f = valid();
    set(&mut f, 1, Column::Mobile, "123");
    set(&mut f, 0, Column::Batch, "第九批");
    let r = run(f);
    let keys: Vec<_> = r
        .findings
        .iter()
        .map(|f| (f.file.clone(), f.row, f.rule))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort_by(|a, b| {
        (a.0.is_none(), &a.0, a.1.is_none(), a.1, a.2).cmp(&(
            b.0.is_none(),
            &b.0,
            b.1.is_none(),
            b.1,
            b.2,
        ))
    });
    assert_eq!(keys, sorted);
    let json = serde_json::to_value(&r).unwrap();
    let first = &json["findings"][0];
    for k in [
        "rule", "severity", "file", "sheet", "row", "column", "value", "school", "message",
    ] {
        assert!(first.get(k).is_some(), "missing {k}");
    }
    assert_eq!(first["severity"], "error");
    assert_eq!(json["summary"]["errors"], 2);
}

#[test]
fn docs_rules_md_is_generated_from_the_rules() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/rules.md");
    let fresh = shuangshi_rules::catalogue::markdown();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(path, &fresh).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == fresh,
        "docs/rules.md is stale: run `UPDATE_DOCS=1 cargo test -p shuangshi-rules --test rules docs_rules_md` (or `shuangshi rules --format markdown > docs/rules.md`)"
    );
}

#[test]
fn directions_are_the_ones_the_totals_count() {
    let mut f = valid();
    // The declared 派出类别 decides, and the totals follow it.
    set(&mut f, 1, Column::Direction, "企业派出");
    let forms = [f];
    let batch = Batch::batch10();
    let reg = registry("其他高职");
    let input = Input {
        batch: &batch,
        forms: &forms,
        registry: Some(&reg),
        history: &[],
    };
    let d = directions(input);
    assert_eq!(
        d,
        vec![vec![
            Some(Direction::School),
            Some(Direction::Enterprise),
            Some(Direction::Enterprise),
            Some(Direction::Enterprise),
        ]]
    );
    let report = check(input);
    assert_eq!((report.forms[0].sent, report.forms[0].received), (1, 3));
}
