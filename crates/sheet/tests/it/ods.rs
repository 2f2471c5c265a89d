//! `.ods` files as LibreOffice and WPS write them (a zip with `mimetype`, a manifest and
//! `content.xml`, written here by hand), read like xlsx: values, spans, repeats, and the same
//! guard for hostile files.

use std::io::{Cursor, Write};

use shuangshi_rules::Column;
use shuangshi_sheet::grid::{Grid, Rect};
use shuangshi_sheet::guard::{FileKind, Limits, MIB, ReadError, Reason, sniff};
use shuangshi_sheet::read::read_grids;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use crate::alloc::peak_during;
use crate::read::lie_about_size;

const MEMORY_BOUND: usize = 64 << 20;
const SPREADSHEET: &str = "application/vnd.oasis.opendocument.spreadsheet";

fn manifest(mimetype: &str, content_entry: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3"><manifest:file-entry manifest:full-path="/" manifest:version="1.3" manifest:media-type="{mimetype}"/>{content_entry}</manifest:manifest>"#
    )
}

const PLAIN_ENTRY: &str =
    r#"<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>"#;

/// A package as LibreOffice writes it: `mimetype` first and stored, then the manifest and content.
fn package(mimetype: &str, manifest: &str, content: &[u8]) -> Vec<u8> {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    let deflated = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    w.start_file("mimetype", stored).unwrap();
    w.write_all(mimetype.as_bytes()).unwrap();
    w.start_file("META-INF/manifest.xml", deflated).unwrap();
    w.write_all(manifest.as_bytes()).unwrap();
    w.start_file("content.xml", deflated).unwrap();
    w.write_all(content).unwrap();
    w.finish().unwrap().into_inner()
}

fn content(tables: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0" office:version="1.3"><office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body></office:document-content>"#
    )
}

pub(crate) fn ods(tables: &str) -> Vec<u8> {
    package(
        SPREADSHEET,
        &manifest(SPREADSHEET, PLAIN_ENTRY),
        content(tables).as_bytes(),
    )
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

pub(crate) fn table(name: &str, rows: &str) -> String {
    format!(
        r#"<table:table table:name="{}"><table:table-column table:number-columns-repeated="1024"/>{rows}<table:table-row table:number-rows-repeated="1048000"><table:table-cell table:number-columns-repeated="1024"/></table:table-row></table:table>"#,
        esc(name)
    )
}

pub(crate) fn row(cells: &str) -> String {
    format!("<table:table-row>{cells}</table:table-row>")
}

/// A text cell, as LibreOffice writes one.
pub(crate) fn s(text: &str) -> String {
    format!(
        r#"<table:table-cell office:value-type="string" calcext:value-type="string"><text:p>{}</text:p></table:table-cell>"#,
        esc(text)
    )
}

const EMPTY: &str = "<table:table-cell/>";

fn read(name: &str, bytes: &[u8]) -> Result<(FileKind, Vec<Grid>), ReadError> {
    read_grids(name, bytes, &Limits::default())
}

fn text(g: &Grid, row: u32, col: u32) -> Option<&str> {
    g.get(row, col).map(|c| c.raw.as_str())
}

#[test]
fn ods_values_spans_and_repeats_are_read_like_xlsx() {
    let rows = [
        row(r#"<table:table-cell table:number-columns-spanned="4" table:number-rows-spanned="1" office:value-type="string"><text:p>第十批推荐表</text:p></table:table-cell><table:covered-table-cell table:number-columns-repeated="3"/>"#),
        row(&[
            r#"<table:table-cell office:value-type="float" office:value="13812345678" calcext:value-type="float"><text:p>1.38E+10</text:p></table:table-cell>"#,
            r#"<table:table-cell office:value-type="string"><text:p>张<text:s text:c="2"/>三</text:p><text:p>第二段 <text:span>加粗</text:span>&amp;<text:line-break/>换行</text:p><office:annotation><dc:creator>李四</dc:creator><text:p>批注不是内容</text:p></office:annotation></table:table-cell>"#,
            r#"<table:table-cell office:value-type="date" office:date-value="2024-02-26" calcext:value-type="date"><text:p>2024/2/26</text:p></table:table-cell>"#,
            r#"<table:table-cell office:value-type="date" office:date-value="2024-02-26T08:30:00"/>"#,
            r#"<table:table-cell office:value-type="boolean" office:boolean-value="true"><text:p>TRUE</text:p></table:table-cell>"#,
            r#"<table:table-cell office:value-type="float" office:value="6222021234567890123"><text:p>6.22E+18</text:p></table:table-cell>"#,
        ].concat()),
        // Two empty rows (as one repeated row), then a value repeated over three columns.
        r#"<table:table-row table:number-rows-repeated="2"><table:table-cell table:number-columns-repeated="16"/></table:table-row>"#.to_string(),
        row(&format!(
            r#"{EMPTY}<table:table-cell table:number-columns-repeated="3" office:value-type="string"><text:p>同</text:p></table:table-cell>"#
        )),
        // A vertical span over two rows.
        row(r#"<table:table-cell table:number-rows-spanned="2" office:value-type="string"><text:p>纵向</text:p></table:table-cell>"#),
        row("<table:covered-table-cell/>"),
    ]
    .concat();
    let bytes = ods(&[
        table("推荐表 & 附件", &rows),
        table("第二页", &row(&s("另一张"))),
    ]
    .concat());
    assert_eq!(sniff(&bytes), Some(FileKind::Ods));
    let (kind, grids) = read("a.ods", &bytes).unwrap();
    assert_eq!(kind, FileKind::Ods);
    assert_eq!(grids.len(), 2);
    let g = &grids[0];
    assert_eq!(g.name.as_deref(), Some("推荐表 & 附件"));
    assert_eq!(text(g, 0, 3), Some("第十批推荐表"), "a span fills across");
    assert_eq!(
        g.merges[0],
        Rect {
            first_row: 0,
            first_col: 0,
            last_row: 0,
            last_col: 3
        }
    );
    let mobile = g.get(1, 0).unwrap();
    assert_eq!(
        (mobile.raw.as_str(), mobile.numeric, mobile.digits_lost),
        ("13812345678", true, false)
    );
    assert_eq!(text(g, 1, 1), Some("张  三\n第二段 加粗&\n换行"));
    assert_eq!(
        text(g, 1, 2),
        Some("2024/2/26"),
        "a date as the file shows it"
    );
    assert_eq!(
        text(g, 1, 3),
        Some("2024年2月26日 8:30"),
        "a date without text"
    );
    assert_eq!(text(g, 1, 4), Some("TRUE"));
    assert!(g.get(1, 5).unwrap().digits_lost);
    assert_eq!(text(g, 2, 0), None);
    assert_eq!(
        (text(g, 4, 0), text(g, 4, 1), text(g, 4, 3), text(g, 4, 4)),
        (None, Some("同"), Some("同"), None)
    );
    assert_eq!(text(g, 6, 0), Some("纵向"), "a vertical span fills down");
    assert_eq!(g.rows.last().map(|r| r.index), Some(6));
    assert_eq!(text(&grids[1], 0, 0), Some("另一张"));
}

#[test]
fn an_ods_form_is_found_like_an_xlsx_one() {
    let header = [
        "序号",
        "批次",
        "姓名",
        "派出单位",
        "现任行政职务",
        "从事学科专业领域",
        "现任专业技术职务",
        "已取得的教师资格",
        "已取得的职业技能资格",
        "手机号码",
        "交流期限",
        "接收单位",
        "拟挂任职务",
        "学校对公账户开户行（不得填零余额银行）",
        "开户名（规范名称）",
        "账户账号",
    ];
    let person = [
        "1",
        "第十批",
        "张三",
        "甲学院",
        "无",
        "机械",
        "讲师",
        "高等学校教师资格",
        "无",
        "13812345678",
        "2024年春季学期",
        "乙公司",
        "科技副总",
        "工行",
        "甲学院",
        "123456789012",
    ];
    let rows = [
        row(r#"<table:table-cell table:number-columns-spanned="16" office:value-type="string"><text:p>“双千双师交流计划”第十批交流互聘人员推荐表</text:p></table:table-cell>"#),
        row(&s("交流互聘学校（盖章）：甲学院    交流互聘企业（盖章）：乙公司")),
        row(&header.map(s).concat()),
        row(&person.map(s).concat()),
        row(&[s("学校填表人：李四"), s("联系电话：023-63865672")].concat()),
    ]
    .concat();
    let bytes = ods(&table("Sheet1", &rows));
    let book = shuangshi_sheet::load("甲学院.ods", &bytes, &Limits::default()).unwrap();
    assert_eq!(book.kind, FileKind::Ods);
    assert_eq!(book.forms.len(), 1);
    let f = &book.forms[0];
    assert_eq!(f.school.as_ref().map(|s| s.raw.as_str()), Some("甲学院"));
    assert_eq!(f.header_row, 3);
    assert_eq!(f.rows.len(), 1);
    assert_eq!(f.rows[0].get(Column::Mobile).raw, "13812345678");
    assert_eq!(f.rows[0].get(Column::AccountNumber).raw, "123456789012");
}

#[test]
fn an_ods_with_a_far_away_cell_is_refused_with_bounded_memory() {
    let rows = format!(
        r#"{}<table:table-row table:number-rows-repeated="5000000"><table:table-cell/></table:table-row>{}"#,
        row(&s("表头")),
        row(&s("远处"))
    );
    let bytes = ods(&format!(
        r#"<table:table table:name="S">{rows}</table:table>"#
    ));
    let (result, peak) = peak_during(|| read("far.ods", &bytes));
    match result.unwrap_err().reason {
        Reason::SheetTooLarge(m) => {
            assert!(m.contains("工作表「S」") && m.contains("超出范围"), "{m}")
        }
        other => panic!("{other:?}"),
    }
    assert!(peak < MEMORY_BOUND, "peak {peak}");

    // A value repeated far to the right.
    let bytes = ods(&table(
        "S",
        &row(
            r#"<table:table-cell table:number-columns-repeated="16384" office:value-type="string"><text:p>满</text:p></table:table-cell>"#,
        ),
    ));
    assert!(
        matches!(read("wide.ods", &bytes).unwrap_err().reason, Reason::SheetTooLarge(m) if m.contains("超出范围"))
    );
}

#[test]
fn a_value_repeated_over_many_rows_is_charged_to_the_cell_budget() {
    let long = "长".repeat(1000);
    let bytes = ods(&table(
        "S",
        &format!(
            r#"<table:table-row table:number-rows-repeated="90000">{}</table:table-row>"#,
            s(&long).replace(
                "<table:table-cell ",
                r#"<table:table-cell table:number-columns-repeated="20" "#
            )
        ),
    ));
    let (result, peak) = peak_during(|| read("many.ods", &bytes));
    match result.unwrap_err().reason {
        Reason::SheetTooLarge(m) => assert!(
            m.contains("重复的单元格文字") || m.contains("单元格超过"),
            "{m}"
        ),
        other => panic!("{other:?}"),
    }
    assert!(peak < MEMORY_BOUND + 64 * MIB as usize, "peak {peak}");

    let limits = Limits {
        max_cells: 10,
        ..Limits::default()
    };
    let bytes = ods(&table(
        "S",
        r#"<table:table-row table:number-rows-repeated="11"><table:table-cell office:value-type="float" office:value="1"/></table:table-row>"#,
    ));
    let err = read_grids("cells.ods", &bytes, &limits).unwrap_err();
    assert!(matches!(err.reason, Reason::SheetTooLarge(m) if m.contains("超过 10 个")));
}

#[test]
fn an_encrypted_ods_is_reported_as_encrypted() {
    let entry = r#"<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml" manifest:size="5000"><manifest:encryption-data manifest:checksum-type="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0#sha256-1k" manifest:checksum="AAAA"><manifest:algorithm manifest:algorithm-name="http://www.w3.org/2001/04/xmlenc#aes256-cbc" manifest:initialisation-vector="AAAA"/><manifest:key-derivation manifest:key-derivation-name="PBKDF2" manifest:key-size="32" manifest:iteration-count="100000" manifest:salt="AAAA"/></manifest:encryption-data></manifest:file-entry>"#;
    let noise: Vec<u8> = (0u32..5000)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let bytes = package(SPREADSHEET, &manifest(SPREADSHEET, entry), &noise);
    let err = read("密码.ods", &bytes).unwrap_err();
    assert_eq!(err.reason, Reason::Encrypted);
    assert!(err.to_string().contains("文件已加密"), "{err}");
}

#[test]
fn an_ods_bomb_is_refused_by_the_guard_before_parsing() {
    // content.xml of 100 MB of whitespace inside the spreadsheet element.
    let head = content("");
    let (open, close) = head.split_at(head.find("</office:spreadsheet>").unwrap());
    let mut body = open.as_bytes().to_vec();
    body.resize(body.len() + 100 * MIB as usize, b' ');
    body.extend_from_slice(close.as_bytes());
    let mut bytes = package(SPREADSHEET, &manifest(SPREADSHEET, PLAIN_ENTRY), &body);
    drop(body);
    let (result, peak) = peak_during(|| read("bomb.ods", &bytes));
    assert!(matches!(result.unwrap_err().reason, Reason::ZipBomb(m) if m.contains("content.xml")),);
    assert!(peak < MEMORY_BOUND, "peak {peak}");

    lie_about_size(&mut bytes, "content.xml", 1000);
    let (result, peak) = peak_during(|| read("liar.ods", &bytes));
    assert!(matches!(result.unwrap_err().reason, Reason::ZipBomb(m) if m.contains("超过它声明的")),);
    assert!(peak < MEMORY_BOUND, "peak {peak}");
}

#[test]
fn other_opendocument_files_and_broken_ones_say_what_they_are() {
    let text = "application/vnd.oasis.opendocument.text";
    let bytes = package(text, &manifest(text, PLAIN_ENTRY), b"<x/>");
    let err = read("a.odt", &bytes).unwrap_err();
    assert!(
        matches!(&err.reason, Reason::NotSupported(m) if m.contains(".odt") && m.contains(".docx")),
        "{err}"
    );
    let whole = content(&table("S", &row(&s("截断"))));
    let cut = &whole.as_bytes()[..whole.find("截断").unwrap()];
    let bytes = package(SPREADSHEET, &manifest(SPREADSHEET, PLAIN_ENTRY), cut);
    assert!(matches!(
        read("cut.ods", &bytes).unwrap_err().reason,
        Reason::Corrupt(_)
    ));
    let bytes = ods(&table(
        "S",
        &row(r#"<table:table-cell office:value-type="float" office:value="十"/>"#),
    ));
    assert!(
        matches!(read("bad.ods", &bytes).unwrap_err().reason, Reason::Corrupt(m) if m.contains("十"))
    );
}
