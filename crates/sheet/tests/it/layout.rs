//! Whole files in the layouts schools really send — legacy .xls, xlsx with text above the header,
//! several forms in one workbook, Word tables — loaded and checked end to end.

use rust_xlsxwriter::{Format, Workbook};
use shuangshi_rules::{Batch, Column, Input, Report, check};
use shuangshi_sheet::guard::{Limits, Reason};
use shuangshi_sheet::load;
use shuangshi_sheet::write::{Filled, filled_docx};

use crate::read::biff;

const HEADER: [&str; 16] = [
    "序  号",
    "批次",
    "姓  名",
    "派出单位",
    "现任行政职务",
    "从事学科专业领域",
    "现任专业技术职务",
    "已取得的教师资格",
    "已取得的职业技能资格",
    "手机号码",
    "交流\n期限",
    "接收单位",
    "拟挂任职务",
    "学校对公账户开户行（不得填零余额银行）",
    "开户名（规范名称）",
    "账户账号",
];

fn teacher(school: &str, enterprise: &str, name: &str) -> [String; 16] {
    [
        "1",
        "第十批",
        name,
        school,
        "无",
        "机械制造",
        "讲师",
        "高等学校教师资格",
        "无",
        "13800000001",
        "2024年春季学期",
        enterprise,
        "科技副总",
        "中国银行重庆分行",
        school,
        "1234567890123",
    ]
    .map(String::from)
}

fn engineer(school: &str, enterprise: &str, name: &str) -> [String; 16] {
    [
        "2",
        "第10批",
        name,
        enterprise,
        "技术部经理",
        "机械制造工艺",
        "高级工程师",
        "无",
        "技师",
        "13900000001",
        "2024春季学期",
        school,
        "产业副院长",
        "中国银行重庆分行",
        school,
        "1234567890123",
    ]
    .map(String::from)
}

fn run(bytes: &[u8], name: &str) -> Report {
    let book = load(name, bytes, &Limits::default()).unwrap_or_else(|e| panic!("{e}"));
    let batch = Batch::batch10();
    check(Input {
        batch: &batch,
        forms: &book.forms,
        registry: None,
        history: &[],
    })
}

fn rules(r: &Report) -> Vec<&'static str> {
    r.findings
        .iter()
        .filter(|f| f.severity != shuangshi_rules::Severity::Info)
        .map(|f| f.rule)
        .collect()
}

#[test]
fn a_legacy_xls_in_the_notices_layout_with_a_mobile_stored_as_a_number() {
    let school = "重庆甲学院";
    let enterprise = "重庆乙公司";
    let mut records = vec![
        biff::dimensions(0, 9, 0, 16),
        biff::label(0, 0, "“双千双师交流计划”第十批交流互聘人员推荐表"),
        biff::merged(&[(0, 0, 0, 15)]),
        biff::label(
            1,
            0,
            &format!("交流互聘学校（盖章）：{school}        交流互聘企业（盖章）：{enterprise}"),
        ),
    ];
    for (c, h) in HEADER.iter().enumerate() {
        records.push(biff::label(2, c as u16, h));
    }
    // The template's placeholder row.
    records.push(biff::label(3, 1, "第十批"));
    records.push(biff::label(3, 2, "（学校派出人员）"));
    records.push(biff::label(3, 11, "（接收企业）"));
    for (r, row) in [
        (4u16, teacher(school, enterprise, "张三")),
        (5, engineer(school, enterprise, "李四")),
    ] {
        for (c, v) in row.iter().enumerate() {
            if c == 9 {
                records.push(biff::number(r, c as u16, v.parse().unwrap()));
            } else {
                records.push(biff::label(r, c as u16, v));
            }
        }
    }
    records.push(biff::label(6, 1, "......"));
    records.push(biff::label(6, 2, "(自行添加行）"));
    records.push(biff::label(
        7,
        0,
        "学校填表人：王五                    联系电话：023-63865672",
    ));
    records.push(biff::label(
        8,
        0,
        "注：本表所有内容必须填写准确、规范、完整，须同时加盖校企双方公章。",
    ));
    let bytes = biff::workbook(&[], &[], &[("Sheet1", records)]);
    let r = run(&bytes, "甲.xls");
    assert_eq!(r.summary.people, 2);
    assert_eq!(r.forms[0].school.as_deref(), Some(school));
    assert_eq!(r.forms[0].enterprise.as_deref(), Some(enterprise));
    assert_eq!((r.forms[0].sent, r.forms[0].received), (1, 1));
    assert!(rules(&r).is_empty(), "{:#?}", r.findings);
}

#[test]
fn an_xlsx_with_notes_above_labels_in_cells_two_forms_and_an_instruction_sheet() {
    let mut wb = Workbook::new();
    let text = Format::new().set_num_format("@");
    let s = wb.add_worksheet().set_name("填表说明").unwrap();
    s.write(0, 0, "请按通知要求填写，每个合作企业一张表")
        .unwrap();
    for (sheet, enterprise) in [("乙公司", "重庆乙公司"), ("丙公司", "重庆丙公司")]
    {
        let s = wb.add_worksheet().set_name(sheet).unwrap();
        s.write(0, 0, "附件").unwrap();
        s.write(3, 0, "“双千双师交流计划”第十批交流互聘人员推荐表")
            .unwrap();
        s.merge_range(
            3,
            0,
            3,
            15,
            "“双千双师交流计划”第十批交流互聘人员推荐表",
            &Format::new(),
        )
        .unwrap();
        s.write(5, 0, "交流互聘学校（盖章）:").unwrap();
        s.merge_range(5, 2, 5, 6, "重庆甲学院", &Format::new())
            .unwrap();
        s.write(5, 8, "交流互聘企业(盖章)：").unwrap();
        s.write(5, 10, enterprise).unwrap();
        for (c, h) in HEADER.iter().enumerate() {
            s.write(6, c as u16, *h).unwrap();
        }
        let mut t = teacher("重庆甲学院", enterprise, &format!("张{sheet}"));
        t[9] = format!(
            "１３８０００００{}",
            if sheet == "乙公司" {
                "００２"
            } else {
                "００３"
            }
        );
        let mut e = engineer("重庆甲学院", enterprise, &format!("李{sheet}"));
        e[9] = if sheet == "乙公司" {
            "139 0000 0002"
        } else {
            "139-0000-0003"
        }
        .into();
        for (r, row) in [(7u32, &t), (8, &e)] {
            for (c, v) in row.iter().enumerate() {
                s.write_with_format(r, c as u16, v.as_str(), &text).unwrap();
            }
        }
        s.write(10, 0, "学校填表人：").unwrap();
        s.write(10, 1, "王五").unwrap();
        s.write(10, 6, "联系电话：").unwrap();
        s.write(10, 7, 13_812_340_000_f64).unwrap();
    }
    let bytes = wb.save_to_buffer().unwrap();
    let r = run(&bytes, "甲.xlsx");
    assert_eq!(r.summary.forms, 2, "{:#?}", r.forms);
    assert_eq!(r.summary.people, 4);
    assert_eq!(r.forms[1].enterprise.as_deref(), Some("重庆丙公司"));
    // The header row is the 7th row; the data begins on the 8th.
    assert!(rules(&r).is_empty(), "{:#?}", r.findings);
    let f = load("甲.xlsx", &bytes, &Limits::default()).unwrap();
    assert_eq!(f.forms[0].header_row, 7);
    assert_eq!(f.forms[0].rows[0].row, 8);
    assert_eq!(
        f.forms[0].rows[0].get(Column::Mobile).raw,
        "１３８０００００００２"
    );
}

#[test]
fn an_account_number_stored_as_a_number_has_lost_digits() {
    let mut wb = Workbook::new();
    let s = wb.add_worksheet();
    s.write(
        0,
        0,
        "交流互聘学校（盖章）：重庆甲学院 交流互聘企业（盖章）：重庆乙公司",
    )
    .unwrap();
    for (c, h) in HEADER.iter().enumerate() {
        s.write(1, c as u16, *h).unwrap();
    }
    for (c, v) in teacher("重庆甲学院", "重庆乙公司", "张三")
        .iter()
        .enumerate()
    {
        if c == 15 {
            s.write(2, c as u16, 6_222_020_200_112_345_678f64).unwrap();
        } else {
            s.write(2, c as u16, v.as_str()).unwrap();
        }
    }
    let r = run(&wb.save_to_buffer().unwrap(), "甲.xlsx");
    let f07: Vec<_> = r.findings.iter().filter(|f| f.rule == "F07").collect();
    assert_eq!(f07.len(), 1, "{:#?}", r.findings);
    assert!(f07[0].message.contains("文本"), "{}", f07[0].message);
    assert_eq!(f07[0].cell.as_deref(), Some("P3"));
}

#[test]
fn a_word_form_is_read_like_a_sheet() {
    let batch = Batch::batch10();
    let mk = |cells: [String; 16]| {
        let mut row = shuangshi_rules::PersonRow::new(0);
        for (c, v) in Column::OFFICIAL.iter().zip(cells) {
            row.set(*c, shuangshi_rules::Cell::text(v));
        }
        row
    };
    let filled = Filled {
        school: "重庆甲学院".into(),
        enterprise: "重庆乙公司".into(),
        rows: vec![
            mk(teacher("重庆甲学院", "重庆乙公司", "张三")),
            mk(engineer("重庆甲学院", "重庆乙公司", "李四")),
        ],
        filler: "王五".into(),
        phone: "13800001111".into(),
        supplementary: false,
    };
    let r = run(&filled_docx(&batch, &filled).unwrap(), "甲.docx");
    assert_eq!(r.summary.people, 2);
    assert_eq!(r.forms[0].sheet, None);
    assert!(rules(&r).is_empty(), "{:#?}", r.findings);
}

#[test]
fn a_workbook_without_a_form_says_so() {
    let mut wb = Workbook::new();
    wb.add_worksheet().write(0, 0, "通知").unwrap();
    let err = load(
        "说明.xlsx",
        &wb.save_to_buffer().unwrap(),
        &Limits::default(),
    )
    .unwrap_err();
    assert_eq!(err.reason, Reason::NoForm);
    let msg = err.to_string();
    assert!(msg.contains("说明.xlsx") && msg.contains("表头"), "{msg}");
}

/// The header typed over two rows: (upper, lower) per column; `None` below means the upper text
/// is merged over both rows.
const TWO_ROW_HEADER: [(&str, Option<&str>); 16] = [
    ("序号", None),
    ("批次", None),
    ("姓名", None),
    ("派出单位", None),
    ("现任行政", Some("职务")),
    ("从事学科", Some("专业领域")),
    ("现任专业技术", Some("职务")),
    ("已取得的资格", Some("教师资格")),
    ("已取得的资格", Some("职业技能资格")),
    ("手机号码", None),
    ("交流期限", None),
    ("接收单位", None),
    ("拟挂任", Some("职务")),
    ("学校对公账户", Some("开户行（不得填零余额银行）")),
    ("学校对公账户", Some("开户名（规范名称）")),
    ("学校对公账户", Some("账户账号")),
];

/// A form whose header takes rows 3–4, with vertical merges and 「已取得的资格」, 「学校对公账户」
/// merged across the columns they group; `header` gives each column's texts.
fn two_row_form(header: &[(&str, Option<&str>)]) -> Vec<u8> {
    let (school, enterprise) = ("重庆甲学院", "重庆乙公司");
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let f = Format::new();
    ws.merge_range(
        0,
        0,
        0,
        15,
        "“双千双师交流计划”第十批交流互聘人员推荐表",
        &f,
    )
    .unwrap();
    ws.write(
        1,
        0,
        format!("交流互聘学校（盖章）：{school}    交流互聘企业（盖章）：{enterprise}"),
    )
    .unwrap();
    let mut c = 0;
    while c < header.len() {
        let (upper, lower) = header[c];
        match lower {
            None => {
                ws.merge_range(2, c as u16, 3, c as u16, upper, &f).unwrap();
                c += 1;
            }
            Some(_) => {
                let mut end = c;
                while end + 1 < header.len()
                    && header[end + 1].0 == upper
                    && header[end + 1].1.is_some()
                {
                    end += 1;
                }
                if end > c {
                    ws.merge_range(2, c as u16, 2, end as u16, upper, &f)
                        .unwrap();
                } else {
                    ws.write(2, c as u16, upper).unwrap();
                }
                for (k, (_, l)) in header.iter().enumerate().take(end + 1).skip(c) {
                    ws.write(3, k as u16, l.unwrap_or_default()).unwrap();
                }
                c = end + 1;
            }
        }
    }
    for (r, row) in [
        (4u32, teacher(school, enterprise, "张三")),
        (5, engineer(school, enterprise, "李四")),
    ] {
        for (c, v) in row.iter().enumerate() {
            ws.write_string(r, c as u16, v).unwrap();
        }
    }
    ws.write(6, 0, "学校填表人：王五    联系电话：023-63865672")
        .unwrap();
    wb.save_to_buffer().unwrap()
}

#[test]
fn a_header_typed_over_two_rows_is_read_by_joining_its_texts() {
    let bytes = two_row_form(&TWO_ROW_HEADER);
    let book = load("两行表头.xlsx", &bytes, &Limits::default()).unwrap();
    let form = &book.forms[0];
    assert_eq!(form.header_row, 4, "the header's last row");
    for k in Column::OFFICIAL {
        assert!(form.has_column(k), "{k:?}");
    }
    assert_eq!(form.column_index(Column::AdminPost), Some(4));
    assert_eq!(form.column_index(Column::Bank), Some(13));
    assert_eq!(form.rows.len(), 2);
    assert_eq!(
        form.rows[0].row, 5,
        "people start after the second header row"
    );
    let r = run(&bytes, "两行表头.xlsx");
    assert_eq!(r.summary.people, 2);
    assert_eq!((r.forms[0].sent, r.forms[0].received), (1, 1));
    assert!(rules(&r).is_empty(), "{:#?}", r.findings);
}

#[test]
fn a_header_that_cannot_be_recognised_makes_the_file_unreadable() {
    let mut header = TWO_ROW_HEADER;
    header[4] = ("现任职务", Some("行政"));
    header[6] = ("现任职务", Some("技术"));
    let bytes = two_row_form(&header);
    let err = load("乱表头.xlsx", &bytes, &Limits::default()).unwrap_err();
    match &err.reason {
        Reason::Header(m) => {
            assert!(m.contains("第 3–4 行"), "{m}");
            assert!(m.contains("「现任职务行政」"), "{m}");
            assert!(m.contains("「现任行政职务」"), "{m}");
        }
        other => panic!("{other:?}"),
    }
    let msg = err.to_string();
    assert!(
        msg.starts_with("文件「乱表头.xlsx」无法读取：工作表「Sheet1」") && msg.contains("列名"),
        "{msg}"
    );
    // The same header with a column really missing and nothing unrecognised is read (F01 says so).
    let mut short = TWO_ROW_HEADER.to_vec();
    short.remove(4);
    let book = load("少一列.xlsx", &two_row_form(&short), &Limits::default()).unwrap();
    assert!(!book.forms[0].has_column(Column::AdminPost));
}
