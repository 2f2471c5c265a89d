//! Tests of the read part: xlsx, xls and docx files written by the tests and read back, and hostile
//! files (zip bombs, far-away cells, encryption, wrong formats) refused with bounded memory.

use std::io::{Cursor, Write};
use std::time::Instant;

use rust_xlsxwriter::{Chart, ChartType, ExcelDateTime, Format, Workbook};
use shuangshi_sheet::grid::{Grid, Rect};
use shuangshi_sheet::guard::{FileKind, Limits, MIB, ReadError, Reason, inspect_zip, sniff};
use shuangshi_sheet::read::{read_grids, read_path};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use crate::alloc::peak_during;

/// Reading a hostile file must stay below this many live heap bytes.
const MEMORY_BOUND: usize = 64 << 20;

fn text(g: &Grid, row: u32, col: u32) -> Option<&str> {
    g.get(row, col).map(|c| c.raw.as_str())
}

fn read(name: &str, bytes: &[u8]) -> Result<(FileKind, Vec<Grid>), ReadError> {
    read_grids(name, bytes, &Limits::default())
}

fn reason(name: &str, bytes: &[u8]) -> Reason {
    read(name, bytes)
        .expect_err("the file should be refused")
        .reason
}

// ---------------------------------------------------------------------------------------------
// xlsx

fn sample_xlsx() -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("推荐表").unwrap();
    ws.merge_range(
        0,
        0,
        0,
        15,
        "第十批“双千双师交流计划”推荐表",
        &Format::new(),
    )
    .unwrap();
    for (col, head) in [
        "序号",
        "批次",
        "姓名",
        "手机号码",
        "账户账号",
        "到岗日期",
        "备注",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string(2, col as u16, *head).unwrap();
    }
    ws.write_number(3, 0, 1).unwrap();
    ws.write_string(3, 1, "第十批").unwrap();
    ws.write_string(3, 2, " 张  三 ").unwrap();
    ws.write_number(3, 3, 13_812_345_678.0).unwrap();
    ws.write_number(3, 4, 6_222_021_234_567_890_123.0).unwrap();
    let date = ExcelDateTime::from_ymd(2024, 3, 1).unwrap();
    ws.write_datetime_with_format(3, 5, &date, &Format::new().set_num_format("yyyy-mm-dd"))
        .unwrap();
    ws.write_number(3, 6, 2.5).unwrap();
    ws.write_string(4, 3, "１３８１２３４５６７８").unwrap();
    ws.write_boolean(4, 6, true).unwrap();
    // A vertical merge over an empty area.
    ws.merge_range(5, 0, 7, 0, "合并", &Format::new()).unwrap();

    let hidden = wb.add_worksheet();
    hidden.set_name("隐藏").unwrap();
    hidden.write_string(0, 0, "隐藏的内容").unwrap();
    hidden.set_hidden(true);

    let chart_sheet = wb.add_chartsheet();
    let mut chart = Chart::new(ChartType::Column);
    chart.add_series().set_values("推荐表!$A$4:$A$4");
    chart_sheet.insert_chart(0, 0, &chart).unwrap();

    wb.save_to_buffer().unwrap()
}

#[test]
fn xlsx_values_numbers_dates_and_merges() {
    let bytes = sample_xlsx();
    assert_eq!(sniff(&bytes), Some(FileKind::Xlsx));
    let (kind, grids) = read("推荐表.xlsx", &bytes).unwrap();
    assert_eq!(kind, FileKind::Xlsx);
    // Hidden sheets are read, the chart sheet is not.
    let names: Vec<_> = grids.iter().map(|g| g.name.as_deref().unwrap()).collect();
    assert_eq!(names, ["推荐表", "隐藏"]);
    let g = &grids[0];

    // The title merged across A1:P1 is filled across; the merge is kept as declared.
    assert_eq!(text(g, 0, 0), Some("第十批“双千双师交流计划”推荐表"));
    assert_eq!(text(g, 0, 15), Some("第十批“双千双师交流计划”推荐表"));
    assert!(g.merges.contains(&Rect {
        first_row: 0,
        first_col: 0,
        last_row: 0,
        last_col: 15
    }));
    assert_eq!(text(g, 2, 0), Some("序号"));

    let name = g.get(3, 2).unwrap();
    assert_eq!((name.raw.as_str(), name.norm()), (" 张  三 ", "张三"));
    assert_eq!(text(g, 3, 0), Some("1"));

    let mobile = g.get(3, 3).unwrap();
    assert_eq!(mobile.raw, "13812345678");
    assert!(mobile.numeric && !mobile.digits_lost);

    let account = g.get(3, 4).unwrap();
    assert!(account.numeric && account.digits_lost, "{account:?}");
    assert_eq!(account.raw.len(), 19);

    assert_eq!(text(g, 3, 5), Some("2024-03-01"));
    assert_eq!(text(g, 3, 6), Some("2.5"));
    assert_eq!(text(g, 4, 6), Some("TRUE"));

    // Full-width digits stay in raw; norm is half-width.
    let full = g.get(4, 3).unwrap();
    assert_eq!(full.raw, "１３８１２３４５６７８");
    assert_eq!(full.norm(), "13812345678");
    assert!(!full.numeric);

    assert_eq!(text(g, 7, 0), Some("合并"));
    assert_eq!(text(&grids[1], 0, 0), Some("隐藏的内容"));
}

#[test]
fn xlsx_far_away_cell_is_refused_by_its_declared_dimension_with_bounded_memory() {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "序号").unwrap();
    ws.write_string(1_048_575, 16_383, "远").unwrap();
    let bytes = wb.save_to_buffer().unwrap();

    let (result, peak) = peak_during(|| read("far.xlsx", &bytes));
    let err = result.unwrap_err();
    assert_eq!(
        err.reason,
        Reason::SheetTooLarge(
            "工作表「Sheet1」的范围 A1:XFD1048576 过大（最多 100000 行、1024 列）".into()
        )
    );
    assert!(
        err.to_string().starts_with(
            "文件「far.xlsx」无法读取：工作表「Sheet1」的范围 A1:XFD1048576 过大（最多 100000 行、1024 列）"
        ),
        "{err}"
    );
    assert!(peak < MEMORY_BOUND, "peak {peak}");
}

#[test]
fn xlsx_far_away_cell_under_a_lying_dimension_is_refused_while_streaming() {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "序号").unwrap();
    ws.write_string(1_048_575, 16_383, "远").unwrap();
    let bytes = wb.save_to_buffer().unwrap();
    let bytes = rewrite_entry(&bytes, "xl/worksheets/sheet1.xml", |xml| {
        xml.replace(
            r#"<dimension ref="A1:XFD1048576"/>"#,
            r#"<dimension ref="A1"/>"#,
        )
    });

    let (result, peak) = peak_during(|| read("far.xlsx", &bytes));
    match result.unwrap_err().reason {
        Reason::SheetTooLarge(m) => assert!(m.contains("在 XFD1048576 有内容"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert!(peak < MEMORY_BOUND, "peak {peak}");
}

#[test]
fn xlsx_cells_and_merges_are_limited() {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    for row in 0..50 {
        ws.write_string(row, 0, "x").unwrap();
    }
    ws.merge_range(60, 0, 79, 9, "大合并", &Format::new())
        .unwrap();
    let bytes = wb.save_to_buffer().unwrap();

    let few_cells = Limits {
        max_cells: 10,
        ..Limits::default()
    };
    let err = read_grids("a.xlsx", &bytes, &few_cells).unwrap_err();
    assert!(
        matches!(err.reason, Reason::SheetTooLarge(ref m) if m.contains("超过 10 个")),
        "{err}"
    );

    let few_merged = Limits {
        max_merge_cells: 100,
        ..Limits::default()
    };
    let err = read_grids("a.xlsx", &bytes, &few_merged).unwrap_err();
    assert!(
        matches!(err.reason, Reason::SheetTooLarge(ref m) if m.contains("合并单元格")),
        "{err}"
    );

    let (_, grids) = read("a.xlsx", &bytes).unwrap();
    assert_eq!(text(&grids[0], 79, 9), Some("大合并"));
}

#[test]
fn a_damaged_xlsx_is_corrupt_not_a_panic() {
    let bytes = sample_xlsx();
    let broken = rewrite_entry(&bytes, "xl/worksheets/sheet1.xml", |xml| {
        xml.replace(
            "</sheetData>",
            "<row><c r=\"A999\" t=\"s\"><v>999999</v></c></row></sheetData>",
        )
    });
    assert!(matches!(reason("bad.xlsx", &broken), Reason::Corrupt(_)));
    let truncated = &bytes[..bytes.len() / 2];
    assert!(matches!(reason("cut.xlsx", truncated), Reason::Corrupt(_)));
}

// ---------------------------------------------------------------------------------------------
// zip helpers

fn deflated() -> SimpleFileOptions {
    SimpleFileOptions::default().compression_method(CompressionMethod::Deflated)
}

/// A zip of (name, content) entries, deflated.
fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, content) in entries {
        w.start_file(*name, deflated()).unwrap();
        w.write_all(content).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// Copies a zip, changing one text entry.
fn rewrite_entry(bytes: &[u8], target: &str, f: impl Fn(&str) -> String) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let name = entry.name().unwrap().to_string();
        let mut content = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut content).unwrap();
        if name == target {
            content = f(std::str::from_utf8(&content).unwrap()).into_bytes();
        }
        w.start_file(name, deflated()).unwrap();
        w.write_all(&content).unwrap();
    }
    w.finish().unwrap().into_inner()
}

const CONTENT_TYPES: &[u8] = br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>"#;
const WORKBOOK: &[u8] = br#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets><sheet name="Sheet1" sheetId="1"/></sheets></workbook>"#;

/// An xlsx-shaped zip whose sheet1.xml is `size` bytes, nearly all whitespace.
fn bomb(size: usize) -> Vec<u8> {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    w.start_file("[Content_Types].xml", deflated()).unwrap();
    w.write_all(CONTENT_TYPES).unwrap();
    w.start_file("xl/workbook.xml", deflated()).unwrap();
    w.write_all(WORKBOOK).unwrap();
    w.start_file("xl/worksheets/sheet1.xml", deflated())
        .unwrap();
    let head = r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#;
    w.write_all(head.as_bytes()).unwrap();
    // Whitespace between elements: valid XML that compresses about 1000:1.
    let chunk = vec![b' '; 1 << 20];
    let mut written = head.len();
    while written < size {
        let n = chunk.len().min(size - written);
        w.write_all(&chunk[..n]).unwrap();
        written += n;
    }
    w.finish().unwrap().into_inner()
}

/// Sets the uncompressed size of `name` in both its local header and its central directory record.
pub(crate) fn lie_about_size(bytes: &mut [u8], name: &str, declared: u32) {
    let name = name.as_bytes();
    let mut patched = 0;
    for at in 0..bytes.len().saturating_sub(46) {
        let sig = &bytes[at..at + 4];
        let (name_len_at, name_at, size_at) = match sig {
            b"PK\x03\x04" => (at + 26, at + 30, at + 22),
            b"PK\x01\x02" => (at + 28, at + 46, at + 24),
            _ => continue,
        };
        let len = u16::from_le_bytes([bytes[name_len_at], bytes[name_len_at + 1]]) as usize;
        if bytes.get(name_at..name_at + len) == Some(name) {
            bytes[size_at..size_at + 4].copy_from_slice(&declared.to_le_bytes());
            patched += 1;
        }
    }
    assert_eq!(patched, 2, "local header and central directory");
}

// ---------------------------------------------------------------------------------------------
// hostile zips

#[test]
fn a_zip_bomb_declaring_its_size_is_refused_from_the_directory() {
    let started = Instant::now();
    let bytes = bomb(300_000_000);
    assert!(
        started.elapsed().as_secs() < 10,
        "generation took {:?}",
        started.elapsed()
    );
    assert!(bytes.len() < 1_000_000, "{} bytes", bytes.len());
    assert_eq!(sniff(&bytes), Some(FileKind::Xlsx));

    let (result, peak) = peak_during(|| read("bomb.xlsx", &bytes));
    let err = result.unwrap_err();
    match &err.reason {
        Reason::ZipBomb(m) => assert!(
            m.contains("xl/worksheets/sheet1.xml") && m.contains("64 MB"),
            "{m}"
        ),
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("压缩包内容异常"), "{err}");
    assert!(peak < MEMORY_BOUND, "peak {peak}");
}

#[test]
fn a_zip_bomb_lying_about_its_size_is_caught_while_decompressing() {
    let mut bytes = bomb(300_000_000);
    lie_about_size(&mut bytes, "xl/worksheets/sheet1.xml", 1000);

    let (result, peak) = peak_during(|| read("liar.xlsx", &bytes));
    match result.unwrap_err().reason {
        Reason::ZipBomb(m) => assert!(m.contains("超过它声明的"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert!(peak < MEMORY_BOUND, "peak {peak}");
}

#[test]
fn zip_ratio_total_and_entry_count_are_limited() {
    // 2 MiB that compress far better than 200:1.
    let bytes = bomb(2 * MIB as usize);
    assert!(
        bytes.len() < 2 * MIB as usize / 200,
        "{} bytes",
        bytes.len()
    );
    match inspect_zip(&bytes, &Limits::default()) {
        Err(Reason::ZipBomb(m)) => assert!(m.contains("压缩比"), "{m}"),
        other => panic!("{other:?}"),
    }

    let small_total = Limits {
        max_total_bytes: 1000,
        ..Limits::default()
    };
    let bytes = bomb(5000);
    match inspect_zip(&bytes, &small_total) {
        Err(Reason::ZipBomb(m)) => assert!(m.contains("超过上限 1000 字节"), "{m}"),
        other => panic!("{other:?}"),
    }

    let names: Vec<String> = (0..1001).map(|i| format!("xl/media/{i}.xml")).collect();
    let mut entries: Vec<(&str, &[u8])> = vec![("xl/workbook.xml", WORKBOOK)];
    entries.extend(names.iter().map(|n| (n.as_str(), &b"<a/>"[..])));
    let bytes = zip_of(&entries);
    match reason("many.xlsx", &bytes) {
        Reason::ZipBomb(m) => assert!(m.contains("1002 个文件"), "{m}"),
        other => panic!("{other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// wrong, empty, large and encrypted files

#[test]
fn wrong_formats_are_not_supported_whatever_their_name() {
    let random: Vec<u8> = (0u32..4096)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    for (name, bytes) in [
        ("random.xlsx", random.as_slice()),
        (
            "scan.xlsx",
            b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj".as_slice(),
        ),
        ("list.xls", "序号,姓名\n1,张三\n".as_bytes()),
        ("notes.docx", b"just some notes".as_slice()),
    ] {
        let err = read(name, bytes).unwrap_err();
        assert!(
            matches!(err.reason, Reason::NotSupported(_)),
            "{name}: {err}"
        );
        assert!(
            err.to_string()
                .ends_with("请提交 .xlsx、.xls、.ods 或 .docx 格式的推荐表"),
            "{err}"
        );
        assert!(
            err.to_string()
                .starts_with(&format!("文件「{name}」无法读取："))
        );
    }
    let err = read("scan.xlsx", b"%PDF-1.7").unwrap_err();
    assert!(err.to_string().contains("PDF"), "{err}");

    // A zip that is neither a workbook nor a document.
    let bytes = zip_of(&[("readme.txt", b"hello")]);
    assert!(matches!(reason("a.xlsx", &bytes), Reason::NotSupported(m) if m.contains("zip")));
}

#[test]
fn empty_and_too_large_files() {
    assert_eq!(reason("empty.xlsx", b""), Reason::Empty);
    let small = Limits {
        max_file_bytes: 100,
        ..Limits::default()
    };
    let bytes = sample_xlsx();
    let err = read_grids("big.xlsx", &bytes, &small).unwrap_err();
    assert_eq!(
        err.reason,
        Reason::TooLarge {
            bytes: bytes.len() as u64,
            max: 100
        }
    );
    assert!(err.to_string().contains("超过上限 100 字节"), "{err}");
}

#[test]
fn read_path_checks_the_size_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("推荐表.xlsx");
    std::fs::write(&path, sample_xlsx()).unwrap();
    let (kind, grids) = read_path(&path, &Limits::default()).unwrap();
    assert_eq!(kind, FileKind::Xlsx);
    assert_eq!(text(&grids[0], 2, 0), Some("序号"));

    // A sparse 10 GB file is refused from its metadata, without reading it.
    let huge = dir.path().join("huge.xlsx");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(10 << 30)
        .unwrap();
    let (result, peak) = peak_during(|| read_path(&huge, &Limits::default()));
    let err = result.unwrap_err();
    assert!(matches!(err.reason, Reason::TooLarge { bytes, .. } if bytes == 10 << 30));
    assert_eq!(err.file, huge.display().to_string());
    assert!(peak < 1 << 20, "peak {peak}");

    let missing = dir.path().join("missing.xlsx");
    let err = read_path(&missing, &Limits::default()).unwrap_err();
    assert_eq!(err.reason, Reason::Io("文件不存在".into()));
    assert!(err.to_string().contains("missing.xlsx"));
}

/// An OLE compound file holding the given streams.
fn ole(streams: &[(&str, &[u8])]) -> Vec<u8> {
    let mut cf = cfb::CompoundFile::create(Cursor::new(Vec::new())).unwrap();
    for (name, content) in streams {
        let mut s = cf.create_stream(name).unwrap();
        s.write_all(content).unwrap();
    }
    cf.flush().unwrap();
    cf.into_inner().into_inner()
}

#[test]
fn an_encrypted_office_file_is_refused_as_encrypted() {
    let bytes = ole(&[
        ("EncryptionInfo", &[4, 0, 4, 0, 0x40, 0, 0, 0][..]),
        ("EncryptedPackage", &[0u8; 64][..]),
    ]);
    assert_eq!(sniff(&bytes), None);
    let err = read("加密.xlsx", &bytes).unwrap_err();
    assert_eq!(err.reason, Reason::Encrypted);
    assert_eq!(
        err.to_string(),
        "文件「加密.xlsx」无法读取：文件已加密（设置了打开密码）；请在 Excel 中（Word 文档则在 Word 中）取消密码后另存再提交"
    );
    // An old Word document is an OLE file too, but not a workbook.
    let doc = ole(&[("WordDocument", &[0u8; 64][..])]);
    assert!(matches!(reason("a.doc", &doc), Reason::NotSupported(m) if m.contains(".doc")));
}

// ---------------------------------------------------------------------------------------------
// xls: a tiny BIFF8 writer

pub(crate) mod biff {
    use std::io::{Cursor, Write};

    pub fn record(typ: u16, data: &[u8]) -> Vec<u8> {
        let mut out = typ.to_le_bytes().to_vec();
        out.extend((data.len() as u16).to_le_bytes());
        out.extend(data);
        out
    }

    fn utf16(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    /// XLUnicodeString: cch, flags (1 = UTF-16), characters.
    fn unicode_string(s: &str) -> Vec<u8> {
        let mut out = (s.encode_utf16().count() as u16).to_le_bytes().to_vec();
        out.push(1);
        out.extend(utf16(s));
        out
    }

    fn cell_head(row: u16, col: u16) -> Vec<u8> {
        let mut out = row.to_le_bytes().to_vec();
        out.extend(col.to_le_bytes());
        out.extend(0u16.to_le_bytes()); // ixfe
        out
    }

    /// LABEL: a string written in the cell record itself.
    pub fn label(row: u16, col: u16, s: &str) -> Vec<u8> {
        let mut data = cell_head(row, col);
        data.extend(unicode_string(s));
        record(0x0204, &data)
    }

    /// LABELSST: a string from the shared string table.
    pub fn label_sst(row: u16, col: u16, index: u32) -> Vec<u8> {
        let mut data = cell_head(row, col);
        data.extend(index.to_le_bytes());
        record(0x00FD, &data)
    }

    pub fn number(row: u16, col: u16, v: f64) -> Vec<u8> {
        let mut data = cell_head(row, col);
        data.extend(v.to_le_bytes());
        record(0x0203, &data)
    }

    /// MERGEDCELLS with (first_row, last_row, first_col, last_col) areas.
    pub fn merged(areas: &[(u16, u16, u16, u16)]) -> Vec<u8> {
        let mut data = (areas.len() as u16).to_le_bytes().to_vec();
        for (r1, r2, c1, c2) in areas {
            for v in [r1, r2, c1, c2] {
                data.extend(v.to_le_bytes());
            }
        }
        record(0x00E5, &data)
    }

    /// BIFF8 DIMENSIONS: first row, last row + 1, first column, last column + 1.
    pub fn dimensions(first_row: u32, end_row: u32, first_col: u16, end_col: u16) -> Vec<u8> {
        let mut data = first_row.to_le_bytes().to_vec();
        data.extend(end_row.to_le_bytes());
        data.extend(first_col.to_le_bytes());
        data.extend(end_col.to_le_bytes());
        data.extend([0, 0]);
        record(0x0200, &data)
    }

    /// FILEPASS with RC4 encryption (the header content does not matter to a reader that refuses).
    pub fn filepass() -> Vec<u8> {
        let mut data = vec![1, 0, 1, 0, 1, 0];
        data.extend([0u8; 48]);
        record(0x002F, &data)
    }

    fn bof(kind: u16) -> Vec<u8> {
        let mut data = 0x0600u16.to_le_bytes().to_vec();
        data.extend(kind.to_le_bytes());
        data.extend(0x0DBBu16.to_le_bytes());
        data.extend(0x07CCu16.to_le_bytes());
        data.extend(0u32.to_le_bytes());
        data.extend(6u32.to_le_bytes());
        record(0x0809, &data)
    }

    fn eof() -> Vec<u8> {
        record(0x000A, &[])
    }

    fn boundsheet(pos: u32, name: &str) -> Vec<u8> {
        let mut data = pos.to_le_bytes().to_vec();
        data.extend([0, 0]); // visible worksheet
        data.push(name.encode_utf16().count() as u8);
        data.push(1);
        data.extend(utf16(name));
        record(0x0085, &data)
    }

    fn sst(strings: &[&str]) -> Vec<u8> {
        let mut data = (strings.len() as u32).to_le_bytes().to_vec();
        data.extend((strings.len() as u32).to_le_bytes());
        for s in strings {
            data.extend(unicode_string(s));
        }
        record(0x00FC, &data)
    }

    /// A BIFF8 workbook stream in an OLE file: globals (with `extra` records after BOF), the
    /// shared strings, and one substream per sheet holding `records`.
    pub fn workbook(
        extra: &[Vec<u8>],
        strings: &[&str],
        sheets: &[(&str, Vec<Vec<u8>>)],
    ) -> Vec<u8> {
        let build = |positions: &[u32]| {
            let mut globals = bof(0x0005);
            for r in extra {
                globals.extend(r);
            }
            globals.extend(record(0x0042, &1200u16.to_le_bytes())); // CODEPAGE: UTF-16
            for ((name, _), pos) in sheets.iter().zip(positions) {
                globals.extend(boundsheet(*pos, name));
            }
            if !strings.is_empty() {
                globals.extend(sst(strings));
            }
            globals.extend(eof());
            globals
        };
        // Positions depend only on the globals' length, which does not depend on the positions.
        let globals_len = build(&vec![0; sheets.len()]).len();
        let mut positions = Vec::new();
        let mut bodies = Vec::new();
        let mut at = globals_len;
        for (_, records) in sheets {
            positions.push(at as u32);
            let mut body = bof(0x0010);
            for r in records {
                body.extend(r);
            }
            body.extend(eof());
            at += body.len();
            bodies.push(body);
        }
        let mut stream = build(&positions);
        for b in bodies {
            stream.extend(b);
        }
        // Excel keeps the stream at least 4096 bytes (out of the OLE mini stream).
        stream.resize(stream.len().max(4096), 0);

        // Excel writes version 3 (512-byte sectors) with small property streams in the mini stream.
        let mut cf =
            cfb::CompoundFile::create_with_version(cfb::Version::V3, Cursor::new(Vec::new()))
                .unwrap();
        cf.create_stream("Workbook")
            .unwrap()
            .write_all(&stream)
            .unwrap();
        cf.create_stream("\u{5}SummaryInformation")
            .unwrap()
            .write_all(&[0xFE, 0xFF, 0, 0, 6, 2, 0, 0])
            .unwrap();
        cf.flush().unwrap();
        cf.into_inner().into_inner()
    }
}

#[test]
fn xls_strings_numbers_and_merges() {
    let sheet = vec![
        biff::dimensions(0, 4, 0, 16),
        biff::label(0, 0, "第十批推荐表"),
        biff::merged(&[(0, 0, 0, 15), (2, 3, 2, 2)]),
        biff::label_sst(1, 0, 0),
        biff::label_sst(1, 9, 1),
        biff::number(2, 0, 1.0),
        biff::label(2, 2, "张三"),
        biff::number(2, 9, 13_812_345_678.0),
        biff::number(2, 15, 6_222_021_234_567_890_123.0),
        biff::label(3, 9, "１３８　１２３４"),
    ];
    let bytes = biff::workbook(
        &[],
        &["序号", "手机号码"],
        &[("推荐表", sheet), ("空", vec![])],
    );
    assert_eq!(sniff(&bytes), Some(FileKind::Xls));

    let (kind, grids) = read("推荐表.xls", &bytes).unwrap();
    assert_eq!(kind, FileKind::Xls);
    assert_eq!(grids.len(), 2);
    let g = &grids[0];
    assert_eq!(g.name.as_deref(), Some("推荐表"));
    assert_eq!(text(g, 0, 0), Some("第十批推荐表"));
    assert_eq!(text(g, 0, 15), Some("第十批推荐表"));
    assert_eq!(text(g, 1, 0), Some("序号"));
    assert_eq!(text(g, 1, 9), Some("手机号码"));
    assert_eq!(text(g, 2, 0), Some("1"));
    assert_eq!(text(g, 3, 2), Some("张三"));
    let mobile = g.get(2, 9).unwrap();
    assert_eq!(mobile.raw, "13812345678");
    assert!(mobile.numeric && !mobile.digits_lost);
    assert!(g.get(2, 15).unwrap().digits_lost);
    let full = g.get(3, 9).unwrap();
    assert_eq!(
        (full.raw.as_str(), full.norm()),
        ("１３８　１２３４", "1381234")
    );
    assert_eq!(g.merges.len(), 2);
    assert!(grids[1].rows.is_empty());
}

#[test]
fn xls_with_a_password_is_encrypted() {
    let sheet = vec![biff::label(0, 0, "秘密")];
    let bytes = biff::workbook(&[biff::filepass()], &[], &[("Sheet1", sheet)]);
    assert_eq!(sniff(&bytes), Some(FileKind::Xls));
    assert_eq!(reason("加密.xls", &bytes), Reason::Encrypted);
}

#[test]
fn xls_areas_calamine_would_allocate_densely_are_refused_first() {
    // Two cells at opposite corners of a legacy sheet: 65536 × 256 dense cells.
    let sheet = vec![biff::label(0, 0, "a"), biff::label(65_535, 255, "b")];
    let bytes = biff::workbook(&[], &[], &[("Sheet1", sheet)]);
    let (result, peak) = peak_during(|| read("corners.xls", &bytes));
    assert!(matches!(
        result.unwrap_err().reason,
        Reason::SheetTooLarge(_)
    ));
    assert!(peak < MEMORY_BOUND, "peak {peak}");

    // A DIMENSIONS record claiming four billion rows.
    let sheet = vec![biff::dimensions(0, u32::MAX, 0, 2), biff::label(0, 0, "a")];
    let bytes = biff::workbook(&[], &[], &[("Sheet1", sheet)]);
    let (result, peak) = peak_during(|| read("dims.xls", &bytes));
    assert!(matches!(
        result.unwrap_err().reason,
        Reason::SheetTooLarge(_)
    ));
    assert!(peak < MEMORY_BOUND, "peak {peak}");

    // A cell past the column limit.
    let sheet = vec![biff::label(0, 2000, "far")];
    let bytes = biff::workbook(&[], &[], &[("Sheet1", sheet)]);
    assert!(matches!(
        reason("col.xls", &bytes),
        Reason::SheetTooLarge(_)
    ));

    // A record whose length runs past the end of the stream.
    let mut bytes = biff::workbook(&[], &[], &[("Sheet1", vec![biff::label(0, 0, "a")])]);
    let label_at = bytes
        .windows(4)
        .position(|w| w == [0x04, 0x02, 0x0B, 0x00])
        .unwrap();
    bytes[label_at + 2] = 0xFF;
    bytes[label_at + 3] = 0x7F;
    assert!(matches!(reason("cut.xls", &bytes), Reason::Corrupt(_)));

    // Garbage in a Workbook stream, and garbage after the OLE signature.
    let bytes = ole(&[("Workbook", &[0xFF; 5000][..])]);
    assert!(matches!(reason("junk.xls", &bytes), Reason::Corrupt(_)));
    let mut bytes = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1".to_vec();
    bytes.extend([0x5A; 3000]);
    assert!(matches!(reason("junk.xls", &bytes), Reason::Corrupt(_)));
}

// ---------------------------------------------------------------------------------------------
// docx

fn docx(body: &str) -> Vec<u8> {
    let document = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}<w:sectPr/></w:body></w:document>"#
    );
    zip_of(&[
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", br#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"/>"#),
        ("word/document.xml", document.as_bytes()),
    ])
}

fn p(s: &str) -> String {
    format!("<w:p><w:r><w:t xml:space=\"preserve\">{s}</w:t></w:r></w:p>")
}

fn tc(props: &str, paragraphs: &[&str]) -> String {
    let ps: String = paragraphs.iter().map(|s| p(s)).collect();
    let ps = if ps.is_empty() {
        "<w:p/>".to_string()
    } else {
        ps
    };
    format!("<w:tc><w:tcPr>{props}</w:tcPr>{ps}</w:tc>")
}

#[test]
fn docx_paragraphs_and_a_table_with_spans_and_vertical_merges() {
    let span2 = r#"<w:gridSpan w:val="2"/>"#;
    let restart = r#"<w:vMerge w:val="restart"/>"#;
    let cont = "<w:vMerge/>";
    let body = [
        p("第十批“双千双师交流计划”推荐表"),
        "<w:p/>".to_string(),
        p("交流互聘学校（盖章）：重庆某某职业技术学院"),
        "<w:tbl><w:tblPr/>".to_string(),
        format!(
            "<w:tr>{}{}{}</w:tr>",
            tc("", &["序", "号"]),
            tc(span2, &["姓名"]),
            tc("", &["手机号码"])
        ),
        format!(
            "<w:tr>{}{}{}</w:tr>",
            tc(restart, &["1"]),
            tc(&format!("{span2}{restart}"), &["张三"]),
            tc("", &["13812345678"])
        ),
        format!(
            "<w:tr>{}{}{}</w:tr>",
            tc(cont, &[]),
            tc(&format!("{span2}{cont}"), &[]),
            tc("", &["13900000000"])
        ),
        format!(
            "<w:tr>{}{}{}</w:tr>",
            tc("", &[]),
            tc(span2, &[]),
            tc("", &[])
        ),
        "</w:tbl>".to_string(),
        p("学校填表人：李四  联系电话：023-12345678"),
    ]
    .concat();
    let bytes = docx(&body);
    assert_eq!(sniff(&bytes), Some(FileKind::Docx));

    let (kind, grids) = read("推荐表.docx", &bytes).unwrap();
    assert_eq!(kind, FileKind::Docx);
    assert_eq!(grids.len(), 1);
    let g = &grids[0];
    assert_eq!(g.name, None);
    // Rows: title 0, header line 1, table rows 2–5, footer 6 (the empty paragraph makes none).
    assert_eq!(text(g, 0, 0), Some("第十批“双千双师交流计划”推荐表"));
    assert_eq!(
        text(g, 1, 0),
        Some("交流互聘学校（盖章）：重庆某某职业技术学院")
    );
    assert_eq!(text(g, 2, 0), Some("序\n号"));
    assert_eq!(g.get(2, 0).unwrap().norm(), "序号");
    assert_eq!(text(g, 2, 1), Some("姓名"));
    assert_eq!(text(g, 2, 2), Some("姓名"));
    assert_eq!(text(g, 2, 3), Some("手机号码"));
    assert_eq!(text(g, 3, 0), Some("1"));
    assert_eq!(text(g, 3, 2), Some("张三"));
    assert_eq!(text(g, 3, 3), Some("13812345678"));
    // The continuation row takes the values above, across the span too.
    assert_eq!(text(g, 4, 0), Some("1"));
    assert_eq!(text(g, 4, 1), Some("张三"));
    assert_eq!(text(g, 4, 2), Some("张三"));
    assert_eq!(text(g, 4, 3), Some("13900000000"));
    assert!(!g.get(4, 3).unwrap().numeric);
    // The empty table row keeps its index but holds nothing.
    assert!(g.rows.iter().all(|r| r.index != 5));
    assert_eq!(
        text(g, 6, 0),
        Some("学校填表人：李四  联系电话：023-12345678")
    );

    let merges = &g.merges;
    let rect = |first_row, first_col, last_row, last_col| Rect {
        first_row,
        first_col,
        last_row,
        last_col,
    };
    assert!(merges.contains(&rect(2, 1, 2, 2)), "{merges:?}");
    assert!(merges.contains(&rect(3, 0, 4, 0)), "{merges:?}");
    assert!(merges.contains(&rect(3, 1, 4, 2)), "{merges:?}");
    assert!(merges.contains(&rect(5, 1, 5, 2)), "{merges:?}");
    assert_eq!(merges.len(), 4, "{merges:?}");
}

#[test]
fn a_docx_without_a_body_or_with_broken_xml_is_corrupt() {
    let bytes = docx("<w:p><w:r><w:t>未闭合</w:r></w:p>");
    assert!(matches!(reason("bad.docx", &bytes), Reason::Corrupt(_)));
}

#[test]
fn xlsx_dates_are_quoted_in_the_cells_own_format() {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let date = ExcelDateTime::from_ymd(2024, 2, 26).unwrap();
    for (col, format) in [
        "yyyy\"年\"m\"月\"d\"日\"",
        "yyyy/m/d",
        "d-mmm-yy",
        "yyyy/m/d h:mm",
    ]
    .iter()
    .enumerate()
    {
        let dt = if col == 3 {
            ExcelDateTime::from_ymd(2024, 2, 26)
                .unwrap()
                .and_hms(8, 30, 0)
                .unwrap()
        } else {
            date.clone()
        };
        ws.write_datetime_with_format(0, col as u16, &dt, &Format::new().set_num_format(*format))
            .unwrap();
    }
    let (_, grids) = read("日期.xlsx", &wb.save_to_buffer().unwrap()).unwrap();
    let g = &grids[0];
    assert_eq!(text(g, 0, 0), Some("2024年2月26日"));
    assert_eq!(text(g, 0, 1), Some("2024/2/26"));
    assert_eq!(
        text(g, 0, 2),
        Some("2024年2月26日"),
        "month names: the Chinese fallback"
    );
    assert_eq!(text(g, 0, 3), Some("2024/2/26 8:30"));
    assert!(g.get(0, 0).unwrap().numeric);
}
