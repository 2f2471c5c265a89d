//! Tests of the writers: the blank template and the filled form read back with calamine and
//! inspected as xml, and the annotated copy of a small grid.

use std::io::{Cursor, Read};
use std::time::Instant;

use calamine::{Data, Reader, Xlsx};
use shuangshi_rules::catalogue::lookup;
use shuangshi_rules::{Batch, Cell, Column, Finding, Form, PersonRow, Severity};
use shuangshi_sheet::grid::{Grid, Rect};
use shuangshi_sheet::write::{
    Filled, SHEET_NAME, SUMMARY_SHEET, WORD_SHEET, annotate_xlsx, filled_xlsx, template_xlsx,
};

// ---- helpers -------------------------------------------------------------------------------

fn part(bytes: &[u8], name: &str) -> String {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut file = zip.by_name(name).unwrap();
    let mut s = String::new();
    file.read_to_string(&mut s).unwrap();
    s
}

fn has_part(bytes: &[u8], name: &str) -> bool {
    let zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    zip.file_names_raw().any(|n| n == name.as_bytes())
}

fn open(bytes: &[u8]) -> Xlsx<Cursor<Vec<u8>>> {
    Xlsx::new(Cursor::new(bytes.to_vec())).unwrap()
}

fn range(bytes: &[u8], sheet: &str) -> calamine::Range<Data> {
    open(bytes).worksheet_range(sheet).unwrap()
}

/// The text at a 0-based position ("" when empty).
fn text(r: &calamine::Range<Data>, row: u32, col: u32) -> String {
    match r.get_value((row, col)) {
        Some(Data::String(s)) => s.clone(),
        Some(Data::Float(f)) => f.to_string(),
        Some(Data::Int(i)) => i.to_string(),
        Some(Data::Empty) | None => String::new(),
        Some(other) => format!("{other:?}"),
    }
}

fn merges(bytes: &[u8], sheet: &str) -> Vec<((u32, u32), (u32, u32))> {
    open(bytes)
        .merge_cells_by_sheet_name(sheet)
        .unwrap()
        .iter()
        .map(|d| (d.start, d.end))
        .collect()
}

/// The value of attribute `name` inside the xml element text `elem`.
fn attr<'a>(elem: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let start = elem.find(&key)? + key.len();
    let end = elem[start..].find('"')? + start;
    Some(&elem[start..end])
}

/// The style index of cell `r` (e.g. "J5") in a sheet's xml.
fn cell_style(sheet_xml: &str, r: &str) -> Option<usize> {
    let key = format!("<c r=\"{r}\"");
    let start = sheet_xml.find(&key)?;
    let end = sheet_xml[start..].find('>')? + start;
    attr(&sheet_xml[start..end], "s")?.parse().ok()
}

/// The `<xf …>` elements of `cellXfs` in styles.xml.
fn cell_xfs(styles: &str) -> Vec<String> {
    let start = styles.find("<cellXfs").unwrap();
    let end = styles[start..].find("</cellXfs>").unwrap() + start;
    styles[start..end]
        .split("<xf ")
        .skip(1)
        .map(|s| format!(" {}", s.split('>').next().unwrap_or("")))
        .collect()
}

/// The `<fill>` elements of styles.xml.
fn fills(styles: &str) -> Vec<String> {
    let start = styles.find("<fills").unwrap();
    let end = styles[start..].find("</fills>").unwrap() + start;
    styles[start..end]
        .split("<fill>")
        .skip(1)
        .map(str::to_string)
        .collect()
}

/// The fill colour (ARGB) of a cell, if it has a solid fill.
fn cell_fill(bytes: &[u8], sheet_part: &str, r: &str) -> Option<String> {
    let styles = part(bytes, "xl/styles.xml");
    let xml = part(bytes, sheet_part);
    let xf = cell_xfs(&styles).get(cell_style(&xml, r)?)?.clone();
    let fill_id: usize = attr(&xf, "fillId")?.parse().ok()?;
    let fill = fills(&styles).get(fill_id)?.clone();
    attr(&fill, "rgb").map(str::to_string)
}

fn cell_num_fmt(bytes: &[u8], sheet_part: &str, r: &str) -> Option<String> {
    let styles = part(bytes, "xl/styles.xml");
    let xml = part(bytes, sheet_part);
    let xf = cell_xfs(&styles).get(cell_style(&xml, r)?)?.clone();
    attr(&xf, "numFmtId").map(str::to_string)
}

fn person(i: usize) -> PersonRow {
    PersonRow::new(0)
        .with(Column::Seq, "99")
        .with(Column::Batch, "第十批")
        .with(Column::Name, &format!("张{i}"))
        .with(Column::SendingUnit, "重庆工业职业技术学院")
        .with(Column::AdminPost, "无")
        .with(Column::Field, "机械制造")
        .with(Column::Title, "副教授")
        .with(Column::TeacherQualification, "高等学校教师资格")
        .with(Column::SkillQualification, "无")
        .with(Column::Mobile, "13812345678")
        .with(Column::Term, "2024年春季学期")
        .with(Column::ReceivingUnit, "重庆长安汽车股份有限公司")
        .with(Column::Post, "科技副总")
        .with(Column::Bank, "中国工商银行重庆渝北支行")
        .with(Column::AccountName, "重庆工业职业技术学院")
        .with(Column::AccountNumber, "3100021209024801234")
        .with(Column::Direction, "学校派出")
        .with(Column::TeachingYears, "8")
}

fn filled(rows: Vec<PersonRow>, supplementary: bool) -> Filled {
    Filled {
        school: "重庆工业职业技术学院".to_string(),
        enterprise: "重庆长安汽车股份有限公司".to_string(),
        rows,
        filler: "李老师".to_string(),
        phone: "023-63865672".to_string(),
        supplementary,
    }
}

// ---- the blank template ----------------------------------------------------------------------

#[test]
fn template_has_the_title_header_line_headers_and_the_supplementary_group() {
    let bytes = template_xlsx(&Batch::batch10()).unwrap();
    let r = range(&bytes, SHEET_NAME);
    assert_eq!(text(&r, 0, 0), "“双千双师交流计划”第十批交流互聘人员推荐表");
    assert_eq!(text(&r, 1, 0), "交流互聘学校（盖章）：");
    assert_eq!(text(&r, 1, 2), "");
    assert_eq!(text(&r, 1, 7), "交流互聘企业（盖章）：");
    assert_eq!(text(&r, 1, 10), "");
    for (i, c) in Column::OFFICIAL.iter().enumerate() {
        assert_eq!(text(&r, 2, i as u32), c.template_header(), "{c:?}");
        assert_eq!(Column::from_header(&text(&r, 2, i as u32)), Some(*c));
    }
    assert_eq!(text(&r, 2, 16), "补充信息");
    for (i, c) in Column::SUPPLEMENTARY.iter().enumerate() {
        assert_eq!(text(&r, 3, 16 + i as u32), c.template_header(), "{c:?}");
    }
    // 30 numbered empty rows (rows 5–34), then the footer (35) and the note (36).
    for k in 0..30u32 {
        assert_eq!(text(&r, 4 + k, 0), (k + 1).to_string());
        assert_eq!(text(&r, 4 + k, 2), "");
    }
    assert_eq!(text(&r, 34, 0), "学校填表人：");
    assert_eq!(text(&r, 34, 7), "联系电话：");
    assert_eq!(
        text(&r, 35, 0),
        "注：本表所有内容必须填写准确、规范、完整，须同时加盖校企双方公章。"
    );

    let m = merges(&bytes, SHEET_NAME);
    for want in [
        ((0, 0), (0, 21)),   // title A1:V1
        ((1, 0), (1, 1)),    // A2:B2
        ((1, 2), (1, 6)),    // C2:G2
        ((1, 7), (1, 9)),    // H2:J2
        ((1, 10), (1, 15)),  // K2:P2
        ((2, 0), (3, 0)),    // 序号 over rows 3–4
        ((2, 15), (3, 15)),  // 账户账号 over rows 3–4
        ((2, 16), (2, 21)),  // 补充信息 Q3:V3
        ((34, 1), (34, 4)),  // filler B35:E35
        ((34, 7), (34, 8)),  // 联系电话 label H35:I35
        ((34, 9), (34, 11)), // phone J35:L35
        ((35, 0), (35, 21)), // note
    ] {
        assert!(m.contains(&want), "missing merge {want:?} in {m:?}");
    }
}

#[test]
fn template_mobile_and_account_columns_are_text() {
    let bytes = template_xlsx(&Batch::batch10()).unwrap();
    let sheet = "xl/worksheets/sheet1.xml";
    // numFmtId 49 is the built-in 「@」 (text).
    for cell in ["J5", "J34", "P5", "P34", "J35"] {
        assert_eq!(
            cell_num_fmt(&bytes, sheet, cell).as_deref(),
            Some("49"),
            "{cell}"
        );
    }
    assert_ne!(cell_num_fmt(&bytes, sheet, "C5").as_deref(), Some("49"));
}

#[test]
fn template_has_validations_prompts_page_setup_and_print_titles() {
    let bytes = template_xlsx(&Batch::batch10()).unwrap();
    let xml = part(&bytes, "xl/worksheets/sheet1.xml");
    assert!(xml.contains("<dataValidations count=\"6\""), "{xml}");
    for needle in [
        "sqref=\"B5:B34\"",
        "<formula1>\"第十批\"</formula1>",
        "sqref=\"K5:K34\"",
        "<formula1>\"2024年春季学期\"</formula1>",
        "sqref=\"M5:M34\"",
        "<formula1>\"科技副总,工程师,产业副院长,专业教师\"</formula1>",
        "sqref=\"Q5:Q34\"",
        "<formula1>\"学校派出,企业派出\"</formula1>",
        "prompt=\"请填写11位手机号码\"",
        "prompt=\"请以文本格式填写完整账号\"",
        "sqref=\"J5:J34\"",
        "sqref=\"P5:P34\"",
    ] {
        assert!(xml.contains(needle), "missing {needle}");
    }
    // A4 (paperSize 9), landscape, fit to one page wide.
    let setup_start = xml.find("<pageSetup").unwrap();
    let setup = &xml[setup_start..setup_start + xml[setup_start..].find("/>").unwrap()];
    assert!(setup.contains("orientation=\"landscape\""), "{setup}");
    assert!(setup.contains("paperSize=\"9\""), "{setup}");
    assert!(setup.contains("fitToHeight=\"0\""), "{setup}");
    assert!(!setup.contains("fitToWidth=\"0\""), "{setup}");
    assert!(xml.contains("<pageSetUpPr fitToPage=\"1\"/>"), "{xml}");
    assert!(xml.contains("horizontalCentered=\"1\""));
    assert!(xml.contains("<oddFooter>&amp;C第 &amp;P 页，共 &amp;N 页</oddFooter>"));
    // Frozen below the headers, right of 姓名.
    assert!(xml.contains("topLeftCell=\"D5\""), "{xml}");
    assert!(xml.contains("state=\"frozen\""));
    // No formula anywhere.
    assert!(!xml.contains("<f>"));

    let wb = part(&bytes, "xl/workbook.xml");
    assert!(wb.contains("_xlnm.Print_Titles"), "{wb}");
    assert!(
        wb.contains("推荐表!$3:$4") || wb.contains("'推荐表'!$3:$4"),
        "{wb}"
    );
    assert!(wb.contains("_xlnm.Print_Area"));
    assert!(wb.contains("$A$1:$V$36"), "{wb}");

    let core = part(&bytes, "docProps/core.xml");
    assert!(core.contains("第十批交流互聘人员推荐表"));
}

#[test]
fn template_for_a_batch_with_many_posts_puts_the_list_on_a_hidden_sheet() {
    let mut batch = Batch::batch10();
    batch.posts.school = (0..40).map(|i| format!("企业挂职岗位{i}")).collect();
    let bytes = template_xlsx(&batch).unwrap();
    let wb = part(&bytes, "xl/workbook.xml");
    assert!(wb.contains("name=\"下拉选项\""), "{wb}");
    assert!(wb.contains("state=\"hidden\""), "{wb}");
    let xml = part(&bytes, "xl/worksheets/sheet1.xml");
    assert!(xml.contains("下拉选项'!$A$1:$A$42"), "{xml}");
    let lists = range(&bytes, "下拉选项");
    assert_eq!(text(&lists, 0, 0), "企业挂职岗位0");
    assert_eq!(text(&lists, 41, 0), "专业教师");
}

// ---- the filled form -------------------------------------------------------------------------

#[test]
fn filled_form_round_trips_values_exactly() {
    let mut rows = vec![person(1), person(2), person(3)];
    rows[1] = rows[1]
        .clone()
        .with(Column::Name, "=1+1")
        .with(Column::AdminPost, "+86")
        .with(Column::Field, "-机械")
        .with(Column::Title, "@讲师")
        .with(Column::Mobile, "138 1234 5678");
    rows[2] = rows[2].clone().with(Column::Bank, "");
    let f = filled(rows.clone(), true);
    let bytes = filled_xlsx(&Batch::batch10(), &f).unwrap();
    let r = range(&bytes, SHEET_NAME);
    assert_eq!(text(&r, 1, 2), "重庆工业职业技术学院");
    assert_eq!(text(&r, 1, 10), "重庆长安汽车股份有限公司");
    for (k, row) in rows.iter().enumerate() {
        let sheet_row = 4 + k as u32;
        assert_eq!(
            r.get_value((sheet_row, 0)),
            Some(&Data::Float((k + 1) as f64)),
            "序号"
        );
        for (i, c) in Column::ALL.iter().enumerate().skip(1) {
            assert_eq!(text(&r, sheet_row, i as u32), row.get(*c).raw, "{c:?}");
        }
    }
    assert_eq!(
        r.get_value((4, 9)),
        Some(&Data::String("13812345678".to_string()))
    );
    assert_eq!(
        r.get_value((4, 15)),
        Some(&Data::String("3100021209024801234".to_string()))
    );
    assert_eq!(text(&r, 5, 2), "=1+1");
    // Footer directly after the 3 rows (row 8), the note below it.
    assert_eq!(text(&r, 7, 0), "学校填表人：");
    assert_eq!(text(&r, 7, 1), "李老师");
    assert_eq!(text(&r, 7, 7), "联系电话：");
    assert_eq!(text(&r, 7, 9), "023-63865672");
    assert!(text(&r, 8, 0).starts_with("注：本表所有内容"));
    assert_eq!(r.end().map(|(row, _)| row), Some(8));

    let xml = part(&bytes, "xl/worksheets/sheet1.xml");
    assert!(!xml.contains("<f>"), "a value became a formula");
    assert!(xml.contains("sqref=\"B5:B7\""));
    let sheet = "xl/worksheets/sheet1.xml";
    assert_eq!(cell_num_fmt(&bytes, sheet, "J6").as_deref(), Some("49"));
    assert_eq!(cell_num_fmt(&bytes, sheet, "J8").as_deref(), Some("49"));
}

#[test]
fn filled_form_without_supplementary_columns_ends_at_p() {
    let bytes = filled_xlsx(&Batch::batch10(), &filled(vec![person(1)], false)).unwrap();
    let r = range(&bytes, SHEET_NAME);
    assert_eq!(r.end().map(|(_, col)| col), Some(15));
    assert_eq!(text(&r, 2, 15), "账户账号");
    assert_eq!(text(&r, 4, 16), "");
    let m = merges(&bytes, SHEET_NAME);
    assert!(m.contains(&((0, 0), (0, 15))), "{m:?}");
    let xml = part(&bytes, "xl/worksheets/sheet1.xml");
    assert!(xml.contains("<dataValidations count=\"5\""));
    assert!(!xml.contains("学校派出,企业派出"));
}

#[test]
fn filled_form_with_no_rows_has_the_footer_right_after_the_headers() {
    let bytes = filled_xlsx(&Batch::batch10(), &filled(Vec::new(), true)).unwrap();
    let r = range(&bytes, SHEET_NAME);
    assert_eq!(text(&r, 4, 0), "学校填表人：");
    let xml = part(&bytes, "xl/worksheets/sheet1.xml");
    assert!(!xml.contains("<dataValidation "));
}

#[test]
fn ten_thousand_people_are_written_quickly() {
    let rows: Vec<PersonRow> = (0..10_000).map(person).collect();
    let start = Instant::now();
    let bytes = filled_xlsx(&Batch::batch10(), &filled(rows, true)).unwrap();
    let took = start.elapsed();
    eprintln!("10,000 rows: {} bytes in {took:?}", bytes.len());
    assert!(took.as_secs() < 30, "took {took:?}");
    let r = range(&bytes, SHEET_NAME);
    assert_eq!(text(&r, 4 + 9_999, 2), "张9999");
    assert_eq!(text(&r, 4 + 10_000, 0), "学校填表人：");
}

// ---- the annotated copy ----------------------------------------------------------------------

fn finding(rule: &str, severity: Severity, sheet: Option<&str>, cell: Option<&str>) -> Finding {
    let mut f = Finding::new(lookup(rule).unwrap(), format!("{rule} 的说明"));
    f.severity = severity;
    f.sheet = sheet.map(str::to_string);
    f.cell = cell.map(str::to_string);
    f.row = cell.and_then(|c| c.trim_start_matches(char::is_alphabetic).parse().ok());
    f.column = Some("手机号码");
    f.value = Some("=HYPERLINK(\"x\")".to_string());
    f
}

fn numeric(raw: &str, digits_lost: bool) -> Cell {
    Cell::number(raw, digits_lost)
}

fn small_grid() -> Grid {
    let cells = vec![
        (0, 0, Cell::text("推荐表")),
        (1, 0, Cell::text("交流互聘学校（盖章）：某学院")),
        (2, 0, Cell::text("序号")),
        (2, 1, Cell::text("姓名")),
        (2, 2, Cell::text("手机号码")),
        (2, 3, Cell::text("账户账号")),
        (3, 0, numeric("1", false)),
        (3, 1, Cell::text("=1+1")),
        (3, 2, Cell::text("1381234567")),
        (3, 3, numeric("6222020000000000000", true)),
        (4, 0, numeric("2", false)),
        (4, 1, Cell::text("李四")),
        (4, 2, numeric("13912345678", false)),
        (4, 3, numeric("622202000000123", false)),
    ];
    let merges = vec![Rect {
        first_row: 0,
        first_col: 0,
        last_row: 0,
        last_col: 3,
    }];
    Grid::from_cells(Some("Sheet1".to_string()), cells, merges)
}

#[test]
fn annotated_copy_keeps_values_colours_cells_and_adds_opinions_and_a_summary() {
    let grid = small_grid();
    let word = Grid::from_cells(None, vec![(0, 0, Cell::text("姓名"))], Vec::new());
    let mut form = Form::official("a.xlsx", "某学院", "某企业", false);
    form.sheet = Some("Sheet1".to_string());
    let findings = vec![
        finding("F04", Severity::Error, Some("Sheet1"), Some("C4")),
        finding("F10", Severity::Warning, Some("Sheet1"), Some("C4")),
        finding("F10", Severity::Warning, Some("Sheet1"), Some("D4")),
        finding("T03", Severity::Info, Some("Sheet1"), Some("B5")),
        finding("F01", Severity::Error, Some("Sheet1"), Some("B6")),
        finding("F12", Severity::Error, Some("Sheet1"), Some("B1")),
        finding("S01", Severity::Error, None, None),
        finding("F04", Severity::Error, None, Some("A1")),
        finding("F04", Severity::Error, Some("Other"), Some("A1")),
    ];
    let bytes = annotate_xlsx(&[grid, word], &[form], &findings).unwrap();

    let names = open(&bytes).sheet_names();
    assert_eq!(names, vec![SUMMARY_SHEET, "Sheet1", WORD_SHEET]);

    // Same values at the same places; numbers stay numbers unless their digits were lost.
    let r = range(&bytes, "Sheet1");
    assert_eq!(text(&r, 0, 0), "推荐表");
    assert_eq!(text(&r, 0, 1), "");
    assert_eq!(text(&r, 2, 2), "手机号码");
    assert_eq!(r.get_value((3, 0)), Some(&Data::Float(1.0)));
    assert_eq!(text(&r, 3, 1), "=1+1");
    assert_eq!(text(&r, 3, 2), "1381234567");
    assert_eq!(
        r.get_value((3, 3)),
        Some(&Data::String("6222020000000000000".to_string()))
    );
    assert_eq!(r.get_value((4, 2)), Some(&Data::Float(13_912_345_678.0)));
    assert!(merges(&bytes, "Sheet1").contains(&((0, 0), (0, 3))));

    // 核验意见 right after the last used column (D → E).
    assert_eq!(text(&r, 2, 4), "核验意见");
    let row4 = text(&r, 3, 4);
    assert!(
        row4.contains("[F04] F04 的说明")
            && row4.contains("；")
            && row4.contains("[F10] F10 的说明"),
        "{row4}"
    );
    assert!(text(&r, 4, 4).contains("[T03]"));
    assert!(text(&r, 5, 4).contains("[F01]"));
    assert!(text(&r, 0, 4).contains("[F12]"));

    // Colours: error wins over warning on C4; D4 warning; the empty B6 red; B5 (info) uncoloured.
    let sheet = "xl/worksheets/sheet2.xml";
    assert_eq!(cell_fill(&bytes, sheet, "C4").as_deref(), Some("FFFFC7CE"));
    assert_eq!(cell_fill(&bytes, sheet, "D4").as_deref(), Some("FFFFEB9C"));
    assert_eq!(cell_fill(&bytes, sheet, "B6").as_deref(), Some("FFFFC7CE"));
    assert_eq!(cell_fill(&bytes, sheet, "B5"), None);
    assert_eq!(cell_fill(&bytes, sheet, "A4"), None);
    // A long integer keeps showing all its digits (number format 1, 「0」).
    assert_eq!(
        r.get_value((4, 3)),
        Some(&Data::Float(622_202_000_000_123.0))
    );
    assert_eq!(cell_num_fmt(&bytes, sheet, "D5").as_deref(), Some("1"));
    assert_ne!(cell_num_fmt(&bytes, sheet, "C5").as_deref(), Some("1"));
    // B1 lies in the merged title A1:D1: the area is coloured.
    assert_eq!(cell_fill(&bytes, sheet, "A1").as_deref(), Some("FFFFC7CE"));
    let xml = part(&bytes, sheet);
    assert!(!xml.contains("<f>"));

    // Notes carry the rule and message.
    let comments: Vec<String> = (1..=3)
        .map(|i| format!("xl/comments{i}.xml"))
        .filter(|p| has_part(&bytes, p))
        .map(|p| part(&bytes, &p))
        .collect();
    let all = comments.join("\n");
    assert!(all.contains("[F04] F04 的说明"), "{all}");
    assert!(all.contains("[T03] T03 的说明"));

    // The Word table's copy got the finding without a sheet on A1.
    let w = range(&bytes, WORD_SHEET);
    assert_eq!(text(&w, 0, 0), "姓名");
    assert_eq!(
        cell_fill(&bytes, "xl/worksheets/sheet3.xml", "A1").as_deref(),
        Some("FFFFC7CE")
    );

    // The summary lists every finding, school-level ones included; values stay text.
    let s = range(&bytes, SUMMARY_SHEET);
    assert!(text(&s, 0, 0).contains("共 9 条"));
    assert_eq!(text(&s, 1, 0), "级别");
    let summary_rows: Vec<(String, String, String)> = (2..11)
        .map(|i| (text(&s, i, 0), text(&s, i, 1), text(&s, i, 7)))
        .collect();
    assert!(summary_rows.contains(&(
        "错误".to_string(),
        "S01".to_string(),
        "S01 的说明".to_string()
    )));
    assert!(
        summary_rows
            .iter()
            .any(|(sev, rule, _)| sev == "警告" && rule == "F10")
    );
    assert!(
        summary_rows
            .iter()
            .any(|(sev, rule, _)| sev == "提示" && rule == "T03")
    );
    assert_eq!(text(&s, 2, 6), "=HYPERLINK(\"x\")");
    assert_eq!(text(&s, 2, 2), "Sheet1");
    assert_eq!(text(&s, 2, 3), "4");
    assert!(!part(&bytes, "xl/worksheets/sheet1.xml").contains("<f>"));
}

#[test]
fn annotated_copy_renames_a_clashing_summary_sheet_and_accepts_no_findings() {
    let grids = vec![
        Grid::from_cells(
            Some(SUMMARY_SHEET.to_string()),
            vec![(0, 0, Cell::text("旧"))],
            vec![],
        ),
        Grid::default(),
    ];
    let bytes = annotate_xlsx(&grids, &[], &[]).unwrap();
    let names = open(&bytes).sheet_names();
    assert_eq!(names, vec!["核验汇总(2)", SUMMARY_SHEET, WORD_SHEET]);
    assert_eq!(text(&range(&bytes, SUMMARY_SHEET), 0, 0), "旧");
    assert_eq!(text(&range(&bytes, "核验汇总(2)"), 2, 0), "未发现问题。");
}

#[test]
fn annotated_copy_of_our_own_template_round_trips_its_cells() {
    // Read our filled form back into a grid by hand and annotate it: same values, same merges.
    let bytes = filled_xlsx(&Batch::batch10(), &filled(vec![person(1)], true)).unwrap();
    let r = range(&bytes, SHEET_NAME);
    let mut cells = Vec::new();
    for (row, col, v) in r.used_cells() {
        let raw = match v {
            Data::String(s) => s.clone(),
            Data::Float(f) => f.to_string(),
            _ => continue,
        };
        cells.push((row as u32, col as u32, Cell::text(raw)));
    }
    let m: Vec<Rect> = merges(&bytes, SHEET_NAME)
        .into_iter()
        .map(|((a, b), (c, d))| Rect {
            first_row: a,
            first_col: b,
            last_row: c,
            last_col: d,
        })
        .collect();
    let grid = Grid::from_cells(Some(SHEET_NAME.to_string()), cells, m.clone());
    let out = annotate_xlsx(std::slice::from_ref(&grid), &[], &[]).unwrap();
    let back = range(&out, SHEET_NAME);
    for row in &grid.rows {
        for (col, cell) in &row.cells {
            let top_left = m
                .iter()
                .find(|x| x.contains(row.index, *col))
                .is_none_or(|x| (x.first_row, x.first_col) == (row.index, *col));
            if top_left {
                assert_eq!(
                    text(&back, row.index, *col),
                    cell.raw,
                    "{} {col}",
                    row.index
                );
            }
        }
    }
    let mut again = merges(&out, SHEET_NAME);
    let mut want = merges(&bytes, SHEET_NAME);
    again.sort();
    want.sort();
    assert_eq!(again, want);
}

#[test]
fn a_table_export_keeps_every_value_as_text() {
    let rows = vec![
        vec![
            "张三".to_owned(),
            "13800138000".to_owned(),
            "6217000012345678901".to_owned(),
            "=HYPERLINK(\"http://x\")".to_owned(),
        ],
        vec![
            "李四".to_owned(),
            String::new(),
            String::new(),
            "+1".to_owned(),
        ],
    ];
    let bytes = shuangshi_sheet::write::table_xlsx(
        "第十批汇总名单[草稿]",
        "第十批交流互聘人员汇总名单",
        &["姓名", "手机号码", "账户账号", "备注"],
        &rows,
    )
    .unwrap();
    let r = range(&bytes, "第十批汇总名单_草稿_");
    assert_eq!(text(&r, 0, 0), "第十批交流互聘人员汇总名单");
    assert_eq!(text(&r, 1, 2), "账户账号");
    assert_eq!(text(&r, 2, 1), "13800138000");
    assert_eq!(text(&r, 2, 2), "6217000012345678901", "no digit lost");
    assert_eq!(text(&r, 2, 3), "=HYPERLINK(\"http://x\")");
    assert_eq!(text(&r, 3, 3), "+1");
    let sheet = part(&bytes, "xl/worksheets/sheet1.xml");
    assert!(!sheet.contains("<f>"), "no formula: {sheet}");
    assert!(sheet.contains("ySplit=\"2\""), "header frozen: {sheet}");
}
