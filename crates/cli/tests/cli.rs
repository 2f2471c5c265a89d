//! The `shuangshi` binary, run as a user runs it: on the shipped examples (snapshots of the text and
//! JSON reports), on a template filled the way a spreadsheet program fills it, and on bad input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use shuangshi_rules::{Batch, Column, PersonRow};
use shuangshi_sheet::write::{Filled, filled_docx, filled_xlsx};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// Runs the binary in the workspace root (so reported paths are `examples/…`).
fn shuangshi(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_shuangshi"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

// ---------------------------------------------------------------------------------------------
// The examples shipped in `examples/` (regenerate with UPDATE_EXAMPLES=1).

const JIA: &str = "重庆甲职业技术学院";
const YI: &str = "重庆乙智能制造有限公司";
const BING: &str = "重庆丙软件有限公司";
const DING: &str = "重庆丁工业学校";
const WU: &str = "重庆戊机电集团有限公司";

#[allow(clippy::too_many_arguments)]
fn person(
    school: &str,
    enterprise: &str,
    teacher: bool,
    name: &str,
    mobile: &str,
    post: &str,
    field: &str,
    title: &str,
) -> PersonRow {
    let (send, recv) = if teacher {
        (school, enterprise)
    } else {
        (enterprise, school)
    };
    PersonRow::new(0)
        .with(Column::Batch, "第十批")
        .with(Column::Name, name)
        .with(Column::SendingUnit, send)
        .with(
            Column::AdminPost,
            if teacher {
                "教研室主任"
            } else {
                "技术部经理"
            },
        )
        .with(Column::Field, field)
        .with(Column::Title, title)
        .with(
            Column::TeacherQualification,
            if teacher {
                "高等学校教师资格"
            } else {
                "无"
            },
        )
        .with(
            Column::SkillQualification,
            if teacher { "无" } else { "技师" },
        )
        .with(Column::Mobile, mobile)
        .with(Column::Term, "2024年春季学期")
        .with(Column::ReceivingUnit, recv)
        .with(Column::Post, post)
        .with(Column::Bank, "中国工商银行重庆沙坪坝支行")
        .with(Column::AccountName, school)
        .with(Column::AccountNumber, "3100020109200012345")
        .with(
            Column::Direction,
            if teacher {
                "学校派出"
            } else {
                "企业派出"
            },
        )
        .with(Column::TeachingYears, if teacher { "8" } else { "" })
        .with(Column::EnterpriseYears, if teacher { "" } else { "9" })
        .with(Column::FrontlineYears, if teacher { "" } else { "6" })
        .with(Column::ExchangeForm, "项目合作")
        .with(Column::Priority, if teacher { "骨干教师" } else { "" })
}

fn write_examples(dir: &Path) {
    let batch = Batch::batch10();
    let forms = dir.join("forms");
    std::fs::create_dir_all(&forms).unwrap();
    // 甲 ⇄ 乙: the template with 补充信息, and mistakes a school really makes.
    let rows = vec![
        person(
            JIA,
            YI,
            true,
            "张  伟",
            "13800000001",
            "科技副总",
            "机械制造及自动化",
            "副教授",
        ),
        person(
            JIA,
            YI,
            true,
            "王芳",
            "1381234567",
            "工程师",
            "数控技术",
            "讲师",
        ),
        person(
            JIA,
            YI,
            true,
            "李娜",
            "13800000003",
            "科技副总",
            "工业机器人技术",
            "助教",
        ),
        person(
            JIA,
            YI,
            false,
            "刘洋",
            "13900000001",
            "产业副院长",
            "机械制造工艺",
            "高级工程师",
        ),
        person(
            JIA,
            YI,
            false,
            "陈静",
            "13900000002",
            "专业教师",
            "数控加工",
            "工程师",
        )
        .with(Column::Bank, "中国建设银行零余额账户"),
        person(
            JIA,
            YI,
            false,
            "杨帆",
            "13900000003",
            "产业副院长",
            "工业机器人应用",
            "工程师",
        )
        .with(Column::EnterpriseYears, "4"),
    ];
    let filled = Filled {
        school: JIA.into(),
        enterprise: YI.into(),
        rows,
        filler: "赵老师".into(),
        phone: "023-63865672".into(),
        supplementary: true,
    };
    std::fs::write(
        forms.join(format!("{JIA}-{YI}.xlsx")),
        filled_xlsx(&batch, &filled).unwrap(),
    )
    .unwrap();
    // 甲 ⇄ 丙: the official 16 columns only (years cannot be checked: info).
    let rows = vec![
        person(
            JIA,
            BING,
            true,
            "周杰",
            "13800000011",
            "工程师",
            "软件技术",
            "讲师",
        ),
        person(
            JIA,
            BING,
            false,
            "吴磊",
            "13900000011",
            "专业教师",
            "软件开发",
            "工程师",
        ),
    ];
    let filled = Filled {
        school: JIA.into(),
        enterprise: BING.into(),
        rows,
        filler: "赵老师".into(),
        phone: "13800001111".into(),
        supplementary: false,
    };
    std::fs::write(
        forms.join(format!("{JIA}-{BING}.xlsx")),
        filled_xlsx(&batch, &filled).unwrap(),
    )
    .unwrap();
    // 丁 ⇄ 戊: a Word form, footer phone missing, one person already on 甲's form.
    let rows = vec![
        person(
            DING,
            WU,
            true,
            "郑强",
            "13800000001",
            "科技副总",
            "机电技术应用",
            "高级讲师",
        )
        .with(Column::AccountName, DING),
        person(
            DING,
            WU,
            false,
            "孙丽",
            "13900000021",
            "产业副院长",
            "机电一体化",
            "高级工程师",
        )
        .with(Column::AccountName, DING),
    ];
    let filled = Filled {
        school: DING.into(),
        enterprise: WU.into(),
        rows,
        filler: "钱老师".into(),
        phone: String::new(),
        supplementary: false,
    };
    std::fs::write(
        forms.join(format!("{DING}-{WU}.docx")),
        filled_docx(&batch, &filled).unwrap(),
    )
    .unwrap();
    let orgs = format!(
        "\u{feff}单位名称,单位类别,隶属关系,统一社会信用代码,所在区县\n{JIA},国家双高,市教委,,沙坪坝区\n{DING},中职,区县教委,,江津区\n{YI},国有企业,市国资委,91350100M000100Y43,两江新区\n{BING},民营企业,市工商联,,渝北区\n{WU},国有企业,区县国资委,,江津区\n"
    );
    std::fs::write(dir.join("orgs.csv"), orgs).unwrap();
}

fn examples() -> PathBuf {
    let dir = root().join("examples");
    if std::env::var_os("UPDATE_EXAMPLES").is_some() || !dir.join("orgs.csv").exists() {
        write_examples(&dir);
    }
    dir
}

#[test]
fn check_on_the_examples_prints_the_findings_in_chinese() {
    examples();
    let out = shuangshi(&["check", "--orgs", "examples/orgs.csv", "examples/forms"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout(&out);
    for expected in [
        "第十批 推荐表核验报告",
        "[错误] F04",
        "「1381234567」",
        "[错误] F05",
        "[错误] T02",
        "[错误] E02",
        "[错误] F11",
        "[错误] D01",
        "[错误] S03",
        "[提示] T03",
        "汇总：3 张推荐表，10 人",
    ] {
        assert!(text.contains(expected), "missing {expected} in\n{text}");
    }
    assert!(!text.contains("\x1b["), "no colour when not on a terminal");
    insta::assert_snapshot!("examples_text", text);
}

#[test]
fn check_json_has_the_rulebooks_shape() {
    examples();
    let out = shuangshi(&[
        "check",
        "--format",
        "json",
        "--orgs",
        "examples/orgs.csv",
        "examples/forms",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["batch"], "第十批");
    assert_eq!(v["summary"]["forms"], 3);
    assert_eq!(v["summary"]["people"], 10);
    let f04 = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "F04")
        .unwrap();
    assert_eq!(f04["severity"], "error");
    assert_eq!(f04["row"], 6);
    assert_eq!(f04["column"], "手机号码");
    assert_eq!(f04["value"], "1381234567");
    assert_eq!(f04["sheet"], "推荐表");
    assert_eq!(f04["school"], JIA);
    assert!(f04["file"].as_str().unwrap().ends_with(".xlsx"));
    let s03 = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "S03")
        .unwrap();
    assert_eq!(s03["row"], serde_json::Value::Null);
    insta::assert_json_snapshot!("examples_json", v);
}

#[test]
fn without_registry_the_tier_is_not_checked() {
    examples();
    let out = shuangshi(&["check", "--format", "json", "examples/forms"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"S07"));
    assert!(!rules.contains(&"S03"));
}

// ---------------------------------------------------------------------------------------------
// The template, filled the way a spreadsheet program fills it: cells written into its sheet XML.

/// Sets cells of the first worksheet of an xlsx to inline strings, keeping their styles.
fn fill_cells(xlsx: &[u8], values: &[(&str, &str)]) -> Vec<u8> {
    let mut zin = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).unwrap();
    let mut zout = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for i in 0..zin.len() {
        let mut entry = zin.by_index(i).unwrap();
        let name = entry.name().unwrap().to_string();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        if name == "xl/worksheets/sheet1.xml" {
            let mut xml = String::from_utf8(data).unwrap();
            for (cell, value) in values {
                xml = set_cell(&xml, cell, value);
            }
            data = xml.into_bytes();
        }
        zout.start_file(name, opts).unwrap();
        zout.write_all(&data).unwrap();
    }
    zout.finish().unwrap().into_inner()
}

/// Replaces `<c r="C5" s="7"/>` (or a cell with content) by an inline-string cell.
fn set_cell(xml: &str, cell: &str, value: &str) -> String {
    let open = format!("<c r=\"{cell}\"");
    let start = xml
        .find(&open)
        .unwrap_or_else(|| panic!("template has no cell {cell}"));
    let tag_end = start + xml[start..].find('>').unwrap();
    let self_closing = xml.as_bytes()[tag_end - 1] == b'/';
    let end = if self_closing {
        tag_end + 1
    } else {
        tag_end + xml[tag_end..].find("</c>").unwrap() + 4
    };
    let attrs = &xml[start + open.len()..if self_closing { tag_end - 1 } else { tag_end }];
    let style = attrs
        .split_whitespace()
        .find(|a| a.starts_with("s="))
        .unwrap_or("");
    let new = format!("<c r=\"{cell}\" {style} t=\"inlineStr\"><is><t>{value}</t></is></c>");
    format!("{}{}{}", &xml[..start], new, &xml[end..])
}

#[test]
fn a_template_filled_in_a_spreadsheet_program_passes_check() {
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("模板.xlsx");
    let out = shuangshi(&["template", "--out", template.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let blank = std::fs::read(&template).unwrap();
    // The blank template itself is a form with no people.
    let out = shuangshi(&["check", "--format", "json", template.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["people"], 0, "{v}");

    let teacher = [
        "第十批",
        "张伟",
        JIA,
        "无",
        "机械制造",
        "副教授",
        "高等学校教师资格",
        "无",
        "13800000001",
        "2024年春季学期",
        YI,
        "科技副总",
        "中国工商银行重庆沙坪坝支行",
        JIA,
        "3100020109200012345",
        "学校派出",
        "8",
        "",
        "",
        "项目合作",
        "骨干教师",
    ];
    let engineer = [
        "第十批",
        "刘洋",
        YI,
        "技术部经理",
        "机械制造工艺",
        "高级工程师",
        "无",
        "技师",
        "13900000001",
        "2024年春季学期",
        JIA,
        "产业副院长",
        "中国工商银行重庆沙坪坝支行",
        JIA,
        "3100020109200012345",
        "企业派出",
        "",
        "9",
        "6",
        "项目合作",
        "无",
    ];
    let letters = [
        "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O", "P", "Q", "R", "S",
        "T", "U", "V",
    ];
    let mut cells: Vec<(String, &str)> = vec![
        ("C2".into(), JIA),
        ("K2".into(), YI),
        ("B35".into(), "赵老师"),
        ("J35".into(), "023-63865672"),
    ];
    for (row, values) in [(5, &teacher), (6, &engineer)] {
        for (l, v) in letters.iter().zip(values.iter()) {
            if !v.is_empty() {
                cells.push((format!("{l}{row}"), v));
            }
        }
    }
    let refs: Vec<(&str, &str)> = cells.iter().map(|(c, v)| (c.as_str(), *v)).collect();
    let filled = dir.path().join("已填.xlsx");
    std::fs::write(&filled, fill_cells(&blank, &refs)).unwrap();
    let out = shuangshi(&["check", "--format", "json", filled.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["people"], 2, "{v:#}");
    assert_eq!(v["summary"]["errors"], 0, "{v:#}");
    assert_eq!(out.status.code(), Some(0));
}

// ---------------------------------------------------------------------------------------------
// Exit codes, annotation, the catalogue.

#[test]
fn unreadable_input_exits_2_naming_the_file_and_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("假的.xlsx");
    std::fs::write(&fake, "这不是表格").unwrap();
    let out = shuangshi(&["check", fake.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let text = stdout(&out);
    assert!(
        text.contains("假的.xlsx") && text.contains("无法读取"),
        "{text}"
    );
    let out = shuangshi(&["check", "--format", "json", fake.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["unreadable"][0]["message"]
            .as_str()
            .unwrap()
            .contains("假的.xlsx")
    );
    let out = shuangshi(&["check", dir.path().join("不存在.xlsx").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_clean_form_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let batch = Batch::batch10();
    let rows = vec![
        person(
            JIA,
            YI,
            true,
            "张伟",
            "13800000001",
            "科技副总",
            "机械制造",
            "副教授",
        ),
        person(
            JIA,
            YI,
            false,
            "刘洋",
            "13900000001",
            "产业副院长",
            "机械制造工艺",
            "高级工程师",
        ),
    ];
    let filled = Filled {
        school: JIA.into(),
        enterprise: YI.into(),
        rows,
        filler: "赵".into(),
        phone: "13800001111".into(),
        supplementary: true,
    };
    let path = dir.path().join("ok.xlsx");
    std::fs::write(&path, filled_xlsx(&batch, &filled).unwrap()).unwrap();
    let out = shuangshi(&["check", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("错误 0 项"));
}

#[test]
fn annotate_writes_a_marked_copy_per_input() {
    examples();
    let dir = tempfile::tempdir().unwrap();
    let out = shuangshi(&[
        "check",
        "--annotate",
        dir.path().to_str().unwrap(),
        "examples/forms",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(names.iter().all(|n| n.ends_with("_核验.xlsx")));
    use calamine::Reader;
    let path = dir.path().join(format!("{JIA}-{YI}_核验.xlsx"));
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&path).unwrap();
    let range = book.worksheet_range("推荐表").unwrap();
    let all: Vec<String> = range
        .rows()
        .flat_map(|r| r.iter().map(|c| c.to_string()))
        .collect();
    assert!(all.iter().any(|c| c == "核验意见"));
    assert!(
        all.iter()
            .any(|c| c.contains("[F04]") && c.contains("1381234567")),
        "{all:?}"
    );
}

#[test]
fn rules_lists_every_rule_with_its_clause() {
    let out = shuangshi(&["rules"]);
    let text = stdout(&out);
    for id in ["F01", "F12", "T04", "E03", "S07", "D03", "P02", "W03"] {
        assert!(text.contains(id), "{id}");
    }
    let out = shuangshi(&["rules", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), shuangshi_rules::RULES.len());
    assert_eq!(v[3]["id"], "F04");
    assert_eq!(v[3]["clause"], "附件");
    let out = shuangshi(&["rules", "--format", "markdown"]);
    assert_eq!(
        stdout(&out),
        std::fs::read_to_string(root().join("docs/rules.md")).unwrap()
    );
}

#[test]
fn another_batch_is_only_a_toml_file() {
    let dir = tempfile::tempdir().unwrap();
    let toml = shuangshi_rules::batch::BATCH10_TOML
        .replace("number = 10", "number = 11")
        .replace("name = \"第十批\"", "name = \"第十一批\"");
    let batch_file = dir.path().join("batch11.toml");
    std::fs::write(&batch_file, toml).unwrap();
    examples();
    let out = shuangshi(&[
        "check",
        "--format",
        "json",
        "--batch",
        batch_file.to_str().unwrap(),
        "examples/forms",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["batch"], "第十一批");
    let f02 = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "F02")
        .count();
    assert_eq!(f02, 10, "every row names 第十批, not 第十一批");
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "number = ").unwrap();
    let out = shuangshi(&["check", "--batch", bad.to_str().unwrap(), "examples/forms"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.toml"));
}

// ---------------------------------------------------------------------------------------------
// `serve`, `token create` and `audit verify` on an SQLite data directory.

/// A port nobody listens on right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `GET path` over plain HTTP/1.1; the status line and the body.
fn http_get(port: u16, path: &str) -> Option<(String, String)> {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let status = answer.lines().next()?.to_owned();
    let body = answer.split("\r\n\r\n").nth(1)?.to_owned();
    Some((status, body))
}

/// Starts `serve` and waits until it answers; returns the child (the caller kills and waits for
/// it) and what it printed.
#[allow(clippy::zombie_processes)]
fn start_serve(data: &Path, port: u16, demo: bool) -> (std::process::Child, String) {
    let mut args = vec![
        "serve".to_owned(),
        "--addr".to_owned(),
        format!("127.0.0.1:{port}"),
        "--data-dir".to_owned(),
        data.display().to_string(),
    ];
    if demo {
        args.push("--demo".to_owned());
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_shuangshi"))
        .args(&args)
        .env_remove("SHUANGSHI_DATABASE_URL")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        let mut all = Vec::new();
        while let Ok(n) = out.read(&mut buf) {
            if n == 0 {
                break;
            }
            all.extend_from_slice(&buf[..n]);
            let _ = tx.send(String::from_utf8_lossy(&all).to_string());
        }
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let mut printed = String::new();
    while std::time::Instant::now() < deadline {
        while let Ok(s) = rx.try_recv() {
            printed = s;
        }
        if printed.contains("已启动") {
            return (child, printed);
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("serve exited with {status}: {printed}");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("serve did not start within 2 minutes: {printed}");
}

#[test]
fn serve_starts_answers_healthz_and_makes_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let port = free_port();
    let (mut child, printed) = start_serve(&data, port, true);
    let result = std::panic::catch_unwind(|| {
        assert!(
            printed.contains("已创建市教委管理员账号 admin，一次性密码："),
            "{printed}"
        );
        assert!(
            printed.contains("demo_school") && printed.contains("demo_gzw"),
            "{printed}"
        );
        assert!(data.join("shuangshi.db").exists());
        let (status, body) = http_get(port, "/healthz").unwrap();
        assert!(status.contains("200"), "{status}");
        assert_eq!(body.trim(), "ok");
        let (status, body) = http_get(port, "/api/openapi.json").unwrap();
        assert!(
            status.contains("200") && body.contains("/api/v1/check"),
            "{status}"
        );
        let (status, _) = http_get(port, "/").unwrap();
        assert!(status.contains("303"), "{status}");
    });
    let _ = child.kill();
    let _ = child.wait();
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }

    // A second start with --demo seeds nothing twice and creates no second admin.
    let port = free_port();
    let (mut child, printed) = start_serve(&data, port, true);
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        !printed.contains("一次性密码") && !printed.contains("正在生成演示数据"),
        "{printed}"
    );
    assert!(printed.contains("demo_admin"));

    let data_arg = data.display().to_string();
    let out = shuangshi(&[
        "token",
        "create",
        "--user",
        "demo_school",
        "--data-dir",
        &data_arg,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout(&out);
    let last = text.trim_end().lines().last().unwrap();
    assert!(last.starts_with("ss_") && last.len() == 67, "{text}");
    let out = shuangshi(&[
        "token",
        "create",
        "--user",
        "nobody",
        "--data-dir",
        &data_arg,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("没有用户名为「nobody」的账号"));

    let out = shuangshi(&["audit", "verify", "--data-dir", &data_arg]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("审计日志校验通过"));

    // The demo's 第九批 went through its term: its paid ledger exports for the finance office,
    // with every receiving school's full account number.
    let ledger = dir.path().join("ledger.xlsx");
    let ledger_arg = ledger.display().to_string();
    let out = shuangshi(&[
        "export",
        "ledger",
        "--out",
        &ledger_arg,
        "--data-dir",
        &data_arg,
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout(&out).contains("第九批补助经费拨付表"),
        "{}",
        stdout(&out)
    );
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&ledger).unwrap();
    let range = calamine::Reader::worksheet_range(&mut book, "补助经费").unwrap();
    let text: Vec<String> = range.cells().map(|(_, _, c)| c.to_string()).collect();
    assert!(text.iter().any(|c| c.contains("扣回")), "{text:?}");
    assert!(
        !text.iter().any(|c| c.contains('*')),
        "the finance export is unmasked: {text:?}"
    );
    let out = shuangshi(&[
        "export",
        "ledger",
        "--format",
        "csv",
        "--out",
        &ledger_arg,
        "--data-dir",
        &data_arg,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("只导出 xlsx"));
}

#[test]
fn bench_serve_drives_every_endpoint_without_errors() {
    let out = shuangshi(&[
        "bench",
        "serve",
        "--schools",
        "24",
        "--clients",
        "2",
        "--seconds",
        "0.3",
    ]);
    let text = stdout(&out);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("学校 24 所"), "{text}");
    assert!(text.contains("生成数据耗时"), "{text}");
    assert!(
        text.contains("| 端点 | 请求数 | 每秒请求 | p50 ms | p99 ms | 错误 | 相对 /healthz |"),
        "{text}"
    );
    let endpoints = [
        "GET /healthz",
        "GET /forms/{id}",
        "GET /review（",
        "GET /review/{id}",
        "GET /roster",
        "POST /api/v1/check",
        "POST /forms/{id}/rows/{row}",
        "POST /api/v1/submission",
    ];
    for endpoint in endpoints {
        let row = text
            .lines()
            .find(|l| l.starts_with(&format!("| {endpoint}")))
            .unwrap_or_else(|| panic!("no row for {endpoint}:\n{text}"));
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        // | label | requests | req/s | p50 | p99 | errors | ratio |
        let requests: usize = cells[2].parse().unwrap();
        assert!(requests > 0, "{endpoint} made no request:\n{text}");
        assert_eq!(cells[6], "0", "{endpoint} had errors:\n{text}");
    }
    assert!(!text.contains("出错的请求"), "{text}");
    assert!(text.contains("p99 < 50 ms"), "{text}");
}

// ---------------------------------------------------------------------------------------------
// Folders as schools hand them in: every readable kind read, every other file listed.

fn clean_form() -> Vec<u8> {
    let batch = Batch::batch10();
    let rows = vec![
        person(
            JIA,
            YI,
            true,
            "张伟",
            "13800000001",
            "科技副总",
            "机械制造",
            "副教授",
        ),
        person(
            JIA,
            YI,
            false,
            "刘洋",
            "13900000001",
            "产业副院长",
            "机械制造工艺",
            "高级工程师",
        ),
    ];
    let filled = Filled {
        school: JIA.into(),
        enterprise: YI.into(),
        rows,
        filler: "赵".into(),
        phone: "13800001111".into(),
        supplementary: true,
    };
    filled_xlsx(&batch, &filled).unwrap()
}

#[test]
fn a_folder_reads_xlsm_and_lists_the_files_it_skips() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("子目录")).unwrap();
    std::fs::write(d.join("子目录").join("宏.xlsm"), clean_form()).unwrap();
    std::fs::write(d.join("~$宏.xlsm"), b"lock").unwrap();
    std::fs::write(d.join(".DS_Store"), b"\0\0\0\x01Bud1").unwrap();
    std::fs::write(d.join("Thumbs.db"), b"thumbs").unwrap();
    std::fs::write(d.join("盖章扫描件.pdf"), b"%PDF-1.7").unwrap();
    let out = shuangshi(&["check", "--format", "json", d.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["people"], 2);
    assert!(v["forms"][0]["file"].as_str().unwrap().ends_with("宏.xlsm"));
    let listed = v["unreadable"].as_array().unwrap();
    assert_eq!(listed.len(), 4, "{listed:#?}");
    assert!(listed.iter().all(|u| u["skipped"] == true));
    let message = |name: &str| {
        listed
            .iter()
            .find(|u| u["file"].as_str().unwrap().ends_with(name))
            .map(|u| u["message"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("{name} not listed"))
    };
    for name in ["~$宏.xlsm", ".DS_Store", "Thumbs.db"] {
        assert!(message(name).contains("临时文件，已跳过"), "{name}");
    }
    assert!(message("盖章扫描件.pdf").contains("不是推荐表文件（.pdf 文件），已跳过"));

    let out = shuangshi(&["check", d.to_str().unwrap()]);
    let text = stdout(&out);
    assert!(
        text.contains("已跳过的文件") && text.contains("跳过 4 个文件"),
        "{text}"
    );
    assert!(!text.contains("无法读取"), "{text}");
}

#[test]
fn a_form_like_file_in_a_folder_that_cannot_be_read_exits_2_saying_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("好.xlsx"), clean_form()).unwrap();
    std::fs::write(d.join("旧版.doc"), "不是真正的 Word 文件").unwrap();
    std::fs::write(d.join("表格.et"), "不是真正的表格").unwrap();
    std::fs::write(d.join("坏.ods"), b"PK\x03\x04broken").unwrap();
    let out = shuangshi(&["check", "--format", "json", d.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["summary"]["people"], 2,
        "the readable form is still checked"
    );
    let listed = v["unreadable"].as_array().unwrap();
    assert_eq!(listed.len(), 3, "{listed:#?}");
    assert!(listed.iter().all(|u| u.get("skipped").is_none()));
    let text: Vec<&str> = listed
        .iter()
        .map(|u| u["message"].as_str().unwrap())
        .collect();
    assert!(
        text.iter()
            .any(|m| m.contains("旧版.doc") && m.contains("另存为 .docx 后再提交")),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|m| m.contains("表格.et") && m.contains("请在 WPS 中另存为 .xlsx 后再提交")),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|m| m.contains("坏.ods") && m.contains("无法读取")),
        "{text:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Faults of the running service (one test binary for the crate: the module lives beside).

#[path = "faults/mod.rs"]
mod faults;

// ---------------------------------------------------------------------------------------------
// The commission's commands: import, export, backup and restore.

#[path = "commission/mod.rs"]
mod commission;

// ---------------------------------------------------------------------------------------------
// The UI sweep: every page of every demo account in Chromium, through the WebDriver client of
// the web crate's journeys.

#[path = "../../web/tests/it/webdriver.rs"]
mod webdriver;

#[path = "sweep/mod.rs"]
mod sweep;

// ---------------------------------------------------------------------------------------------
// The xlsx reader: the direct reader reports what calamine's would, over the bench's workbooks.

#[test]
fn the_check_bench_runs_and_both_xlsx_readers_report_alike_on_its_workbooks() {
    let dir = tempfile::tempdir().unwrap();
    let keep = dir.path().join("bench.xlsx");
    let out = shuangshi(&[
        "bench",
        "--people",
        "300",
        "--runs",
        "1",
        "--keep",
        &keep.to_string_lossy(),
    ]);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert_eq!(
        text.matches("| 比值 check / calamine |").count(),
        6,
        "{text}"
    );
    let mut files: Vec<PathBuf> = ["bench.xlsx", "bench-excel.xlsx", "bench-inline.xlsx"]
        .iter()
        .map(|f| dir.path().join(f))
        .collect();
    files.extend(
        std::fs::read_dir(root().join("examples/forms"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "xlsx")),
    );
    for file in &files {
        let report = |calamine: bool| {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_shuangshi"));
            cmd.args(["check", "--format", "json"])
                .arg(file)
                .current_dir(root());
            if calamine {
                cmd.env("SHUANGSHI_XLSX_READER", "calamine");
            }
            let out = cmd.output().unwrap();
            (out.status.code(), stdout(&out))
        };
        let (direct, calamine) = (report(false), report(true));
        assert!(direct.1.contains("\"findings\""), "{}", direct.1);
        assert_eq!(direct, calamine, "{}", file.display());
    }
}
