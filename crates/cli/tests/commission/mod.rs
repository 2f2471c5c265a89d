//! The commission's commands on the real binary: `orgs import`, `import` of a folder with junk and
//! a zip made the way Windows makes it (GBK names, no UTF-8 flag), the second import a no-op,
//! `export roster`, `backup`, `restore` into the other database (PostgreSQL when
//! `TEST_DATABASE_URL` is set, else another SQLite file) and the export again, identical.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

use shuangshi_rules::Batch;
use shuangshi_sheet::write::{Filled, filled_xlsx};
use shuangshi_store::Store;
use shuangshi_store::testing::TestDb;

use super::{BING, DING, JIA, WU, YI, examples, person, root, stdout};

/// Runs the binary in the workspace root with `--data-dir`-style arguments already in `args`.
fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_shuangshi"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env("USER", "测试员")
        .env_remove("SHUANGSHI_DATABASE_URL")
        .output()
        .unwrap()
}

fn both(o: &Output) -> String {
    format!(
        "{}\n--- stderr ---\n{}",
        stdout(o),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A zip archive as Windows' 「发送到 → 压缩文件夹」 writes it on a Chinese system: names in GBK,
/// the UTF-8 flag (bit 11) not set, entries stored.
fn windows_zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in entries {
        let (raw, _, unmappable) = encoding_rs::GBK.encode(name);
        assert!(!unmappable, "{name} is not GBK");
        let offset = u32::try_from(out.len()).unwrap();
        let crc = crc32(data);
        let size = u32::try_from(data.len()).unwrap();
        let name_len = u16::try_from(raw.len()).unwrap();
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        out.extend_from_slice(&20u16.to_le_bytes()); // version needed
        out.extend_from_slice(&0u16.to_le_bytes()); // flags: no UTF-8 bit
        out.extend_from_slice(&0u16.to_le_bytes()); // stored
        out.extend_from_slice(&0u16.to_le_bytes()); // time
        out.extend_from_slice(&0x5A21u16.to_le_bytes()); // date
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&name_len.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&raw);
        out.extend_from_slice(data);
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes()); // made by (FAT)
        central.extend_from_slice(&20u16.to_le_bytes());
        central.extend_from_slice(&0u16.to_le_bytes());
        central.extend_from_slice(&0u16.to_le_bytes());
        central.extend_from_slice(&0u16.to_le_bytes());
        central.extend_from_slice(&0x5A21u16.to_le_bytes());
        central.extend_from_slice(&crc.to_le_bytes());
        central.extend_from_slice(&size.to_le_bytes());
        central.extend_from_slice(&size.to_le_bytes());
        central.extend_from_slice(&name_len.to_le_bytes());
        central.extend_from_slice(&0u16.to_le_bytes()); // extra
        central.extend_from_slice(&0u16.to_le_bytes()); // comment
        central.extend_from_slice(&0u16.to_le_bytes()); // disk
        central.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
        central.extend_from_slice(&0u32.to_le_bytes()); // external attributes
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(&raw);
    }
    let cd_offset = u32::try_from(out.len()).unwrap();
    let cd_size = u32::try_from(central.len()).unwrap();
    let n = u16::try_from(entries.len()).unwrap();
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&cd_size.to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// A clean form of 重庆丁工业学校 with 重庆乙智能制造有限公司 (one person each way).
fn ding_yi_form(school_header: &str) -> Vec<u8> {
    let batch = Batch::batch10();
    let rows = vec![
        person(
            DING,
            YI,
            true,
            "周敏",
            "13800000071",
            "科技副总",
            "机械制造",
            "讲师",
        ),
        person(
            DING,
            YI,
            false,
            "吴刚",
            "13900000071",
            "产业副院长",
            "机械制造工艺",
            "高级工程师",
        ),
    ];
    let filled = Filled {
        school: school_header.into(),
        enterprise: YI.into(),
        rows,
        filler: "钱".into(),
        phone: "13800002222".into(),
        supplementary: true,
    };
    filled_xlsx(&batch, &filled).unwrap()
}

/// Legacy Excel (.xls): a BIFF8 workbook stream in an OLE compound file, written by hand.
mod biff {
    fn record(typ: u16, data: &[u8]) -> Vec<u8> {
        let mut out = typ.to_le_bytes().to_vec();
        out.extend(u16::try_from(data.len()).unwrap().to_le_bytes());
        out.extend(data);
        out
    }

    fn utf16(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    /// XLUnicodeString: cch, flags (1 = UTF-16), characters.
    fn unicode_string(s: &str) -> Vec<u8> {
        let mut out = u16::try_from(s.encode_utf16().count())
            .unwrap()
            .to_le_bytes()
            .to_vec();
        out.push(1);
        out.extend(utf16(s));
        out
    }

    /// LABEL: a string written in the cell record itself.
    pub fn label(row: u16, col: u16, s: &str) -> Vec<u8> {
        let mut data = row.to_le_bytes().to_vec();
        data.extend(col.to_le_bytes());
        data.extend(0u16.to_le_bytes()); // ixfe
        data.extend(unicode_string(s));
        record(0x0204, &data)
    }

    /// MERGEDCELLS with (first_row, last_row, first_col, last_col) areas.
    pub fn merged(areas: &[(u16, u16, u16, u16)]) -> Vec<u8> {
        let mut data = u16::try_from(areas.len()).unwrap().to_le_bytes().to_vec();
        for (r1, r2, c1, c2) in areas {
            for v in [r1, r2, c1, c2] {
                data.extend(v.to_le_bytes());
            }
        }
        record(0x00E5, &data)
    }

    /// DIMENSIONS: first row, last row + 1, first column, last column + 1.
    pub fn dimensions(end_row: u32, end_col: u16) -> Vec<u8> {
        let mut data = 0u32.to_le_bytes().to_vec();
        data.extend(end_row.to_le_bytes());
        data.extend(0u16.to_le_bytes());
        data.extend(end_col.to_le_bytes());
        data.extend([0, 0]);
        record(0x0200, &data)
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
        data.push(u8::try_from(name.encode_utf16().count()).unwrap());
        data.push(1);
        data.extend(utf16(name));
        record(0x0085, &data)
    }

    /// The BIFF8 workbook stream: the globals, then one substream per sheet holding `records`.
    fn stream(sheets: &[(String, Vec<Vec<u8>>)]) -> Vec<u8> {
        let build = |positions: &[u32]| {
            let mut globals = bof(0x0005);
            globals.extend(record(0x0042, &1200u16.to_le_bytes())); // CODEPAGE: UTF-16
            for ((name, _), pos) in sheets.iter().zip(positions) {
                globals.extend(boundsheet(*pos, name));
            }
            globals.extend(eof());
            globals
        };
        // Positions depend only on the globals' length, which does not depend on the positions.
        let mut at = build(&vec![0; sheets.len()]).len();
        let mut positions = Vec::new();
        let mut bodies = Vec::new();
        for (_, records) in sheets {
            positions.push(u32::try_from(at).unwrap());
            let mut body = bof(0x0010);
            for r in records {
                body.extend(r);
            }
            body.extend(eof());
            at += body.len();
            bodies.push(body);
        }
        let mut out = build(&positions);
        for b in bodies {
            out.extend(b);
        }
        // Excel keeps the stream at least 4096 bytes (out of the OLE mini stream).
        out.resize(out.len().max(4096), 0);
        out
    }

    /// An OLE compound file (version 3, 512-byte sectors) holding one `Workbook` stream: the
    /// header, one FAT sector, one directory sector, then the stream's sectors.
    fn ole(stream: &[u8]) -> Vec<u8> {
        const FREE: u32 = 0xFFFF_FFFF;
        const END: u32 = 0xFFFF_FFFE;
        const FAT_SECTOR: u32 = 0xFFFF_FFFD;
        let sectors = stream.len().div_ceil(512);
        assert!(sectors + 2 <= 128, "one FAT sector maps 128 sectors");
        let mut out = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
        out.extend([0u8; 16]); // CLSID
        for v in [0x003Eu16, 0x0003, 0xFFFE, 9, 6] {
            out.extend(v.to_le_bytes()); // minor, major, byte order, sector and mini sector shift
        }
        out.extend([0u8; 6]);
        for v in [0u32, 1, 1, 0, 4096, END, 0, END, 0] {
            // directory sectors, FAT sectors, first directory sector, transaction, mini stream
            // cutoff, first mini FAT sector, mini FAT sectors, first DIFAT sector, DIFAT sectors
            out.extend(v.to_le_bytes());
        }
        out.extend(0u32.to_le_bytes()); // DIFAT[0]: the FAT is sector 0
        for _ in 1..109 {
            out.extend(FREE.to_le_bytes());
        }
        assert_eq!(out.len(), 512);
        // The FAT: itself, the directory, then the stream's chain.
        let mut fat = vec![FAT_SECTOR, END];
        for i in 0..sectors {
            let next = u32::try_from(i + 3).unwrap();
            fat.push(if i + 1 == sectors { END } else { next });
        }
        fat.resize(128, FREE);
        for v in fat {
            out.extend(v.to_le_bytes());
        }
        let entry = |name: &str, kind: u8, child: u32, start: u32, size: usize| {
            let mut e = vec![0u8; 128];
            let n: Vec<u8> = name
                .encode_utf16()
                .chain([0])
                .flat_map(u16::to_le_bytes)
                .collect();
            e[..n.len()].copy_from_slice(&n);
            e[64..66].copy_from_slice(&u16::try_from(n.len()).unwrap().to_le_bytes());
            e[66] = kind;
            e[67] = 1; // black
            e[68..72].copy_from_slice(&FREE.to_le_bytes());
            e[72..76].copy_from_slice(&FREE.to_le_bytes());
            e[76..80].copy_from_slice(&child.to_le_bytes());
            e[116..120].copy_from_slice(&start.to_le_bytes());
            e[120..124].copy_from_slice(&u32::try_from(size).unwrap().to_le_bytes());
            e
        };
        out.extend(entry("Root Entry", 5, 1, END, 0));
        out.extend(entry("Workbook", 2, FREE, 2, stream.len()));
        for _ in 0..2 {
            let mut unused = entry("", 0, FREE, 0, 0);
            unused[64..68].fill(0);
            out.extend(unused);
        }
        out.extend(stream);
        out.resize(512 * (3 + sectors), 0);
        out
    }

    /// The sheets of a workbook as an .xls file: every value as a string cell, the merged areas
    /// declared again (a merged area's value written once, in its first cell).
    pub fn workbook(grids: &[shuangshi_sheet::grid::Grid]) -> Vec<u8> {
        let sheets: Vec<(String, Vec<Vec<u8>>)> = grids
            .iter()
            .enumerate()
            .map(|(i, g)| {
                let mut records = Vec::new();
                let end_row = g.rows.last().map_or(0, |r| r.index + 1);
                let end_col = g.last_col().map_or(0, |c| c + 1);
                records.push(dimensions(end_row, u16::try_from(end_col).unwrap()));
                for r in &g.rows {
                    for (c, cell) in &r.cells {
                        let hidden = g.merges.iter().any(|m| {
                            m.contains(r.index, *c) && (m.first_row, m.first_col) != (r.index, *c)
                        });
                        if !hidden {
                            let (row, col) =
                                (u16::try_from(r.index).unwrap(), u16::try_from(*c).unwrap());
                            records.push(label(row, col, &cell.raw));
                        }
                    }
                }
                let areas: Vec<(u16, u16, u16, u16)> = g
                    .merges
                    .iter()
                    .map(|m| {
                        let v = |x: u32| u16::try_from(x).unwrap();
                        (v(m.first_row), v(m.last_row), v(m.first_col), v(m.last_col))
                    })
                    .collect();
                if !areas.is_empty() {
                    records.push(merged(&areas));
                }
                let name = g.name.clone().unwrap_or_else(|| format!("Sheet{}", i + 1));
                (name, records)
            })
            .collect();
        ole(&stream(&sheets))
    }
}

/// The form of 重庆丁工业学校 with 重庆丙软件有限公司 as a legacy .xls (the template's sheets read
/// back and written as BIFF8).
fn ding_bing_xls() -> Vec<u8> {
    let batch = Batch::batch10();
    let filled = Filled {
        school: DING.into(),
        enterprise: BING.into(),
        rows: vec![
            person(
                DING,
                BING,
                true,
                "孙丽",
                "13800000081",
                "科技副总",
                "软件技术",
                "讲师",
            ),
            person(
                DING,
                BING,
                false,
                "钱进",
                "13900000081",
                "产业副院长",
                "软件开发",
                "高级工程师",
            ),
        ],
        filler: "孙".into(),
        phone: "13800003333".into(),
        supplementary: true,
    };
    let xlsx = filled_xlsx(&batch, &filled).unwrap();
    let (_, grids) = shuangshi_sheet::read::read_grids(
        "模板.xlsx",
        &xlsx,
        &shuangshi_sheet::guard::Limits::default(),
    )
    .unwrap();
    let xls = biff::workbook(&grids);
    // Read back as what it is: a legacy workbook with the same form.
    let (kind, forms) =
        shuangshi_sheet::load_forms("丁丙.xls", &xls, &shuangshi_sheet::guard::Limits::default())
            .unwrap();
    assert_eq!(kind, shuangshi_sheet::guard::FileKind::Xls);
    assert_eq!(forms.len(), 1);
    assert_eq!(forms[0].rows.len(), 2);
    xls
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn digests(url: &str) -> Vec<shuangshi_store::backup::TableDigest> {
    rt().block_on(async {
        let store = Store::connect(url).await.unwrap();
        let d = store.table_digests().await.unwrap();
        store.close().await.unwrap();
        d
    })
}

#[test]
fn import_twice_export_backup_restore_into_the_other_database_and_export_again() {
    examples();
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let data_s = data.to_str().unwrap().to_owned();
    let db = ["--data-dir", data_s.as_str()];

    // The registry, into a fresh data directory (the embedded batch is created and opened).
    let mut args = vec!["orgs", "import", "--dry-run"];
    args.extend(db);
    args.push("examples/orgs.csv");
    let out = run(&args);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    assert!(
        stdout(&out).contains("预检完成（未导入）：将新增 5 个"),
        "{}",
        both(&out)
    );
    let mut args = vec!["orgs", "import"];
    args.extend(db);
    args.push("examples/orgs.csv");
    let out = run(&args);
    assert!(
        stdout(&out).contains("导入完成：新增 5 个，更新 0 个，不变 0 个"),
        "{}",
        both(&out)
    );

    // The mail folder: the shipped forms, junk, a near miss, and a zip from Windows.
    let mail = work.path().join("邮件");
    std::fs::create_dir_all(mail.join("附件")).unwrap();
    for f in std::fs::read_dir(root().join("examples/forms")).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, mail.join("附件").join(f.file_name().unwrap())).unwrap();
    }
    std::fs::write(mail.join("Thumbs.db"), b"thumbs").unwrap();
    std::fs::write(mail.join("~$推荐表.xlsx"), b"lock").unwrap();
    std::fs::write(mail.join("盖章页.jpg"), b"\xFF\xD8\xFF\xE0").unwrap();
    std::fs::write(mail.join("写错校名.xlsx"), ding_yi_form("重庆丁工业学院")).unwrap();
    let form = ding_yi_form(DING);
    let xls = ding_bing_xls();
    let zip = windows_zip(&[
        (
            "重庆丁工业学校/重庆丁工业学校-重庆乙智能制造有限公司.xlsx",
            &form,
        ),
        ("重庆丁工业学校/重庆丁工业学校-重庆丙软件有限公司.xls", &xls),
        ("重庆丁工业学校/~$草稿.xlsx", b"lock"),
        ("__MACOSX/._推荐表.xlsx", b"\0\x05\x16\x07"),
        ("重庆丁工业学校/旧附件.zip", b"PK\x05\x06"),
    ]);
    std::fs::write(mail.join("丁校来信.zip"), &zip).unwrap();
    let mail_s = mail.to_str().unwrap().to_owned();

    let mut args = vec!["import", "--format", "json"];
    args.extend(db);
    args.push(&mail_s);
    let out = run(&args);
    assert_eq!(out.status.code(), Some(2), "{}", both(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let forms = v["forms"].as_array().unwrap();
    assert_eq!(forms.len(), 5, "{v:#}");
    assert!(forms.iter().all(|f| f["changed"] == true), "{v:#}");
    let zipped = forms
        .iter()
        .find(|f| f["file"].as_str().unwrap().contains(".zip/"))
        .unwrap();
    assert!(
        zipped["file"]
            .as_str()
            .unwrap()
            .ends_with("丁校来信.zip/重庆丁工业学校/重庆丁工业学校-重庆乙智能制造有限公司.xlsx"),
        "{zipped:#}"
    );
    assert_eq!(zipped["school"], DING);
    assert_eq!(zipped["enterprise"], YI);
    assert_eq!(zipped["people"], 2);
    assert_eq!(zipped["partnership_confirmed"], true);
    // The legacy .xls in the zip: read, matched and imported with its people.
    let legacy = forms
        .iter()
        .find(|f| f["file"].as_str().unwrap().ends_with(".xls"))
        .unwrap_or_else(|| panic!("the .xls form was not imported: {v:#}"));
    assert!(
        legacy["file"]
            .as_str()
            .unwrap()
            .ends_with("丁校来信.zip/重庆丁工业学校/重庆丁工业学校-重庆丙软件有限公司.xls"),
        "{legacy:#}"
    );
    assert_eq!(legacy["school"], DING);
    assert_eq!(legacy["enterprise"], BING);
    assert_eq!(legacy["people"], 2);
    assert_eq!(legacy["changed"], true);
    let missed = v["not_imported"].as_array().unwrap();
    assert_eq!(missed.len(), 1, "{v:#}");
    let reason = missed[0]["reason"].as_str().unwrap();
    assert!(
        missed[0]["file"]
            .as_str()
            .unwrap()
            .ends_with("写错校名.xlsx")
            && reason.contains("「重庆丁工业学院」不在单位名录中")
            && reason.contains(&format!("最接近的登记名称是「{DING}」")),
        "{reason}"
    );
    let skipped: Vec<String> = v["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            format!(
                "{} {}",
                s["file"].as_str().unwrap(),
                s["reason"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(skipped.len(), 6, "{skipped:#?}");
    for (name, why) in [
        ("Thumbs.db", "缩略图"),
        ("~$推荐表.xlsx", "临时锁定文件"),
        ("盖章页.jpg", "图片不是推荐表"),
        ("丁校来信.zip/重庆丁工业学校/~$草稿.xlsx", "临时锁定文件"),
        ("丁校来信.zip/__MACOSX/._推荐表.xlsx", "__MACOSX"),
        ("丁校来信.zip/重庆丁工业学校/旧附件.zip", "压缩包中的压缩包"),
    ] {
        assert!(
            skipped.iter().any(|s| s.contains(name) && s.contains(why)),
            "{name}: {skipped:#?}"
        );
    }
    let schools = v["schools"].as_array().unwrap();
    let jia = schools.iter().find(|s| s["school"] == JIA).unwrap();
    assert_eq!(jia["forms"], 2);
    assert_eq!(jia["standing"].as_array().unwrap().len(), 7);
    assert_eq!(jia["standing"][0]["rule"], "S01");
    let ding = schools.iter().find(|s| s["school"] == DING).unwrap();
    assert_eq!(ding["forms"], 3, "the docx and the two zipped forms");
    let ding_people: u64 = forms
        .iter()
        .filter(|f| f["school"] == DING)
        .map(|f| f["people"].as_u64().unwrap())
        .sum();
    assert_eq!(ding["people"], ding_people, "{ding:#}");

    // The same files again: nothing changes, and the report says so.
    let mut args = vec!["import"];
    args.extend(db);
    args.push(&mail_s);
    let out = run(&args);
    assert_eq!(out.status.code(), Some(2), "{}", both(&out));
    let text = stdout(&out);
    assert!(
        text.contains("无变化：5 张推荐表与库中内容相同，未作任何修改"),
        "{text}"
    );
    assert!(!text.contains("已导入"), "{text}");
    assert!(text.contains("各校情况") && text.contains("S03"), "{text}");
    // What must hold is 「符合」; a condition that did not occur (S06: every form balances; S07:
    // the registry names every school's tier) is 「无」, never 「符合」.
    assert!(
        text.contains("S02 派出教师的专业有相应专业的接收人员：符合"),
        "{text}"
    );
    assert!(
        text.contains("S07 学校类别未知，未核对人数下限：无"),
        "{text}"
    );
    assert!(!text.contains("未核对人数下限：符合"), "{text}");

    // The audit log names who imported and that the commission confirmed the partnerships.
    let source_url = format!("sqlite://{}?mode=rwc", data.join("shuangshi.db").display());
    rt().block_on(async {
        let store = Store::connect(&source_url).await.unwrap();
        let page = store
            .list_audit(
                &shuangshi_store::AuditFilter {
                    action_prefix: Some("partnership.confirm_by_commission".into()),
                    ..Default::default()
                },
                shuangshi_store::PageRequest::new(0, 50),
            )
            .await
            .unwrap();
        assert_eq!(page.total, 5);
        assert!(
            page.items
                .iter()
                .all(|e| e.actor_name == "命令行（测试员）")
        );
        assert!(
            page.items[0]
                .detail
                .contains("市教委导入推荐表时确认合作关系")
        );
        store.close().await.unwrap();
    });

    // Export, back up, restore into the other database, export again.
    let csv1 = work.path().join("名单1.csv");
    let xlsx1 = work.path().join("名单1.xlsx");
    for (fmt, path) in [("csv", &csv1), ("xlsx", &xlsx1)] {
        let p = path.to_str().unwrap().to_owned();
        let mut args = vec!["export", "roster", "--format", fmt, "--out", p.as_str()];
        args.extend(db);
        let out = run(&args);
        assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    }
    let csv = std::fs::read(&csv1).unwrap();
    assert!(csv.starts_with("\u{feff}姓名,派出方向".as_bytes()));
    let csv_text = String::from_utf8(csv.clone()).unwrap();
    assert!(csv_text.contains("周敏") && csv_text.contains(BING) && csv_text.contains(WU));
    assert!(
        csv_text.contains("孙丽") && csv_text.contains("钱进"),
        "the people of the .xls form are in the roster: {csv_text}"
    );
    assert!(std::fs::metadata(&xlsx1).unwrap().len() > 1000);
    let mut args = vec!["export", "public", "--out", "x.xlsx"];
    args.extend(db);
    let out = run(&args);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("尚未发布公示或正式名单"));

    let backup = work.path().join("备份.zip");
    let b = backup.to_str().unwrap().to_owned();
    let mut args = vec!["backup", "--out", b.as_str()];
    args.extend(db);
    let out = run(&args);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    assert!(stdout(&out).contains("已备份：31 张表"), "{}", both(&out));

    let target = rt().block_on(TestDb::new());
    let target_url = target.url().to_owned();
    let to = ["--database-url", target_url.as_str()];
    let mut args = vec!["restore", b.as_str()];
    args.extend(to);
    let out = run(&args);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    assert!(stdout(&out).contains("哈希链完整"), "{}", both(&out));
    assert_eq!(digests(&source_url), digests(&target_url));
    let mut args = vec!["audit", "verify"];
    args.extend(to);
    assert_eq!(run(&args).status.code(), Some(0));

    let csv2 = work.path().join("名单2.csv");
    let c2 = csv2.to_str().unwrap().to_owned();
    let mut args = vec!["export", "roster", "--format", "csv", "--out", c2.as_str()];
    args.extend(to);
    let out = run(&args);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    assert_eq!(std::fs::read(&csv2).unwrap(), csv);

    // A database with data is refused without --force; a truncated or altered file always.
    let mut args = vec!["restore", b.as_str()];
    args.extend(to);
    let out = run(&args);
    assert_eq!(out.status.code(), Some(2));
    let refused = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        refused.contains("已有数据") && refused.contains("--force"),
        "{}",
        both(&out)
    );
    assert_eq!(refused.matches("未恢复").count(), 1, "said once: {refused}");
    let bytes = std::fs::read(&backup).unwrap();
    let cut = work.path().join("截断.zip");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let mut args = vec!["restore", "--force", cut.to_str().unwrap()];
    args.extend(to);
    let out = run(&args);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("不完整或已损坏"),
        "{}",
        both(&out)
    );
    let altered = work.path().join("改动.zip");
    altered_backup(&backup, &altered);
    let mut args = vec!["restore", "--force", altered.to_str().unwrap()];
    args.extend(to);
    let out = run(&args);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("表 orgs 的校验值不符"),
        "{}",
        both(&out)
    );
    // With --force the same backup replaces the data; the chain still verifies.
    let mut args = vec!["restore", "--force", b.as_str()];
    args.extend(to);
    assert_eq!(run(&args).status.code(), Some(0));
    assert_eq!(digests(&source_url), digests(&target_url));

    // The restored database takes new rows (PostgreSQL's id sequences were moved on).
    let more = work.path().join("新单位.csv");
    std::fs::write(
        &more,
        "单位名称,单位类别,所在区县\n重庆己职业技术学院,市级双高,永川区\n",
    )
    .unwrap();
    let mut args = vec!["orgs", "import", more.to_str().unwrap()];
    args.extend(to);
    let out = run(&args);
    assert!(
        stdout(&out).contains("导入完成：新增 1 个"),
        "{}",
        both(&out)
    );
    let mut args = vec!["audit", "verify"];
    args.extend(to);
    assert_eq!(run(&args).status.code(), Some(0));

    // `serve` on the restored database serves the imported batch, its forms and its people as
    // they were exported before the backup.
    let server =
        super::faults::Server::start(&[], &["--database-url".to_owned(), target_url.clone()]);
    let mut args = vec!["token", "create", "--user", "admin"];
    args.extend(to);
    let out = run(&args);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    let token = stdout(&out).trim_end().lines().last().unwrap().to_owned();
    let auth = format!("Bearer {token}");
    let get = |path: &str| {
        let a = super::faults::http(
            server.port,
            "GET",
            path,
            &[("Authorization", auth.as_str())],
            b"",
            std::time::Duration::from_secs(60),
        )
        .unwrap();
        assert_eq!(a.status, 200, "{path}: {}", a.body);
        a.json()
    };
    let batches = get("/api/v1/batches");
    assert!(
        batches.to_string().contains("第十批"),
        "the restored batch: {batches:#}"
    );
    let roster = get("/api/v1/roster?per_page=500");
    assert_eq!(roster["batch"], "第十批", "{roster:#}");
    let exported = csv_rows(&csv_text);
    let column = |name: &str| exported[0].iter().position(|h| h == name).unwrap();
    let (name, post, school, enterprise) = (
        column("姓名"),
        column("拟挂任职务"),
        column("学校"),
        column("企业"),
    );
    let before: BTreeSet<[String; 4]> = exported[1..]
        .iter()
        .map(|r| {
            [
                r[name].clone(),
                r[school].clone(),
                r[enterprise].clone(),
                r[post].clone(),
            ]
        })
        .collect();
    let served: BTreeSet<[String; 4]> = roster["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            ["name", "school", "enterprise", "post"].map(|k| p[k].as_str().unwrap().to_owned())
        })
        .collect();
    assert_eq!(
        roster["total"].as_u64(),
        Some(exported.len() as u64 - 1),
        "{roster:#}"
    );
    assert_eq!(served, before);
    for person in ["周敏", "孙丽", "钱进"] {
        assert!(
            served.iter().any(|p| p[0] == person),
            "{person}: {served:?}"
        );
    }
    let forms: BTreeSet<(&str, &str)> = served
        .iter()
        .map(|p| (p[1].as_str(), p[2].as_str()))
        .collect();
    assert_eq!(
        forms,
        BTreeSet::from([(DING, BING), (DING, WU), (DING, YI), (JIA, BING), (JIA, YI)]),
        "the five imported forms"
    );
    drop(server);
}

/// The rows of a CSV text (a BOM, quoted fields with doubled quotes).
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.trim_start_matches('\u{feff}').chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

/// The backup with one organisation's name changed in its table file (the manifest kept).
fn altered_backup(from: &Path, to: &Path) {
    use std::io::{Read, Write};
    let mut zin = zip::ZipArchive::new(std::fs::File::open(from).unwrap()).unwrap();
    let mut zout = zip::ZipWriter::new(std::fs::File::create(to).unwrap());
    for i in 0..zin.len() {
        let mut e = zin.by_index(i).unwrap();
        let name = e.name().unwrap().into_owned();
        let mut bytes = Vec::new();
        e.read_to_end(&mut bytes).unwrap();
        if name == "tables/orgs.jsonl" {
            let text = String::from_utf8(bytes)
                .unwrap()
                .replace(JIA, "重庆某职业技术学院");
            bytes = text.into_bytes();
        }
        zout.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zout.write_all(&bytes).unwrap();
    }
    zout.finish().unwrap();
}
