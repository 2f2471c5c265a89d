//! `shuangshi bench`: generates 10,000-person workbooks in the official layout and times `check` on
//! them against a bare calamine read of every cell of the same file, in the same run: in this
//! process (with each step's peak heap from the counting allocator) and as whole processes (the
//! `shuangshi check FILE` process against `shuangshi bench calamine-read FILE`, wall and CPU time
//! and peak RSS from `getrusage`).
//!
//! Two workbooks: the one the project's template writer produces (rust_xlsxwriter, which keeps
//! text in a shared-strings table), and one written here the way Excel writes a form (numbers as
//! numbers, text as `t="s"` cells into `xl/sharedStrings.xml`, styles, `spans`, merges), so the
//! figures do not depend on one writer.

use std::collections::HashMap;
use std::ffi::OsString;
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};
use calamine::{Data, Reader, Xlsx};
use shuangshi_rules::{Batch, Column, Input, PersonRow};
use shuangshi_sheet::grid::Grid;
use shuangshi_sheet::guard::Limits;
use shuangshi_sheet::write::{Filled, filled_xlsx};

use crate::alloc::peak_during;

/// The hidden steps the process benchmark runs as separate processes.
#[derive(clap::Subcommand)]
pub enum Child {
    /// 仅用 calamine 读取 FILE 的全部单元格（基准对照进程），打印非空单元格数
    #[command(name = "calamine-read", hide = true)]
    CalamineRead { file: PathBuf },
    /// 运行 PROGRAM 并打印其耗时（纳秒）、CPU 时间（纳秒）、内存峰值（KiB）与退出码
    #[command(name = "rusage", hide = true)]
    Rusage {
        program: PathBuf,
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<OsString>,
    },
}

/// Runs a hidden step.
pub fn child(step: Child) -> anyhow::Result<ExitCode> {
    match step {
        Child::CalamineRead { file } => {
            println!("{}", bare_read(&file)?);
            Ok(ExitCode::SUCCESS)
        }
        Child::Rusage { program, args } => rusage(&program, &args),
    }
}

/// A valid person row number `i` (even: a teacher sent by the school, odd: an engineer received).
pub fn person(batch: &Batch, school: &str, enterprise: &str, i: usize) -> PersonRow {
    let teacher = i.is_multiple_of(2);
    let (send, recv) = if teacher {
        (school, enterprise)
    } else {
        (enterprise, school)
    };
    let post = if teacher {
        &batch.posts.school[i / 2 % 2]
    } else {
        &batch.posts.enterprise[i / 2 % 2]
    };
    PersonRow::new(0)
        .with(Column::Seq, &(i + 1).to_string())
        .with(Column::Batch, &batch.name)
        .with(Column::Name, &format!("测试{i:05}"))
        .with(Column::SendingUnit, send)
        .with(Column::AdminPost, "无")
        .with(
            Column::Field,
            if i % 4 < 2 {
                "机械制造"
            } else {
                "数控技术"
            },
        )
        .with(
            Column::Title,
            if teacher {
                "副教授"
            } else {
                "高级工程师"
            },
        )
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
        .with(Column::Mobile, &format!("139{i:08}"))
        .with(Column::Term, &batch.term)
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
        .with(Column::Priority, if teacher { "骨干教师" } else { "无" })
}

/// The benchmark's workbook: one form of `people` valid rows.
pub fn workbook(batch: &Batch, people: usize) -> anyhow::Result<Vec<u8>> {
    let school = "重庆示范职业技术学院";
    let enterprise = "重庆示范智能制造有限公司";
    let filled = Filled {
        school: school.into(),
        enterprise: enterprise.into(),
        rows: (0..people)
            .map(|i| person(batch, school, enterprise, i))
            .collect(),
        filler: "李老师".into(),
        phone: "023-63865672".into(),
        supplementary: true,
    };
    filled_xlsx(batch, &filled).map_err(|e| anyhow!("{e}"))
}

/// Reads every cell of every sheet with calamine alone; returns the number of non-empty cells.
fn bare_read(path: &Path) -> anyhow::Result<usize> {
    let mut book: Xlsx<_> = calamine::open_workbook(path).map_err(|e| anyhow!("calamine: {e}"))?;
    let mut cells = 0;
    for name in book.sheet_names() {
        let range = book
            .worksheet_range(&name)
            .map_err(|e| anyhow!("calamine: {e}"))?;
        cells += range
            .used_cells()
            .filter(|(_, _, v)| match v {
                Data::Empty => false,
                Data::String(s) => !s.is_empty(),
                _ => true,
            })
            .count();
    }
    Ok(cells)
}

/// Runs `program` as a child of this (small, fresh) process and prints its wall time, CPU time
/// (user + system), peak RSS and exit code. `RUSAGE_CHILDREN` holds the largest RSS of the
/// children waited for, and this process has exactly one.
#[cfg(unix)]
fn rusage(program: &Path, args: &[OsString]) -> anyhow::Result<ExitCode> {
    use nix::sys::resource::{UsageWho, getrusage};
    let start = Instant::now();
    let status = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .with_context(|| format!("无法运行「{}」", program.display()))?;
    let wall = start.elapsed();
    let usage = getrusage(UsageWho::RUSAGE_CHILDREN).map_err(|e| anyhow!("getrusage：{e}"))?;
    let ns = |t: nix::sys::time::TimeVal| {
        i128::from(t.tv_sec()) * 1_000_000_000 + i128::from(t.tv_usec()) * 1_000
    };
    let cpu = ns(usage.user_time()) + ns(usage.system_time());
    println!(
        "{} {} {} {}",
        wall.as_nanos(),
        cpu,
        usage.max_rss(),
        status.code().unwrap_or(-1)
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(not(unix))]
fn rusage(_: &Path, _: &[OsString]) -> anyhow::Result<ExitCode> {
    Err(anyhow!("按进程测量仅支持 Unix 系统"))
}

/// One measured process.
#[derive(Clone, Copy)]
struct Process {
    wall: Duration,
    cpu: Duration,
    /// Peak resident set, bytes.
    rss: u64,
}

/// Runs `exe args` through `exe bench rusage`, so the figures are the child's alone.
fn measure(exe: &Path, args: &[&std::ffi::OsStr], ok: &[i32]) -> anyhow::Result<Process> {
    let out = Command::new(exe)
        .args(["bench", "rusage", "--"])
        .arg(exe)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("无法运行「{}」", exe.display()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let fields: Vec<i128> = text
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    let [wall, cpu, rss_kib, code] = fields[..] else {
        return Err(anyhow!("测量进程的输出无法解析：{text}"));
    };
    let code = i32::try_from(code).unwrap_or(-1);
    if !ok.contains(&code) {
        return Err(anyhow!(
            "「{}」退出码为 {code}",
            args.iter()
                .map(|a| a.to_string_lossy())
                .collect::<Vec<_>>()
                .join(" ")
        ));
    }
    let dur = |ns: i128| Duration::from_nanos(u64::try_from(ns).unwrap_or(0));
    Ok(Process {
        wall: dur(wall),
        cpu: dur(cpu),
        rss: u64::try_from(rss_kib).unwrap_or(0) * 1024,
    })
}

/// Time spent in each phase of one `check`.
#[derive(Default, Clone, Copy)]
struct Phases {
    read: Duration,
    layout: Duration,
    rules: Duration,
}

/// Reads, finds the forms and runs every rule, as `check` does without `--annotate`
/// ([`shuangshi_sheet::load_forms_path`], in its two steps); returns (people, findings) and the
/// phase times.
fn full_check(path: &Path, batch: &Batch) -> anyhow::Result<((usize, usize), Phases)> {
    let t0 = Instant::now();
    let (_, grids) =
        shuangshi_sheet::read::read_path(path, &Limits::default()).map_err(|e| anyhow!("{e}"))?;
    let t1 = Instant::now();
    let file = path.display().to_string();
    let forms: Vec<_> = grids
        .into_iter()
        .flat_map(|g| shuangshi_sheet::layout::into_forms(&file, g))
        .collect();
    let t2 = Instant::now();
    let report = shuangshi_rules::check(Input {
        batch,
        forms: &forms,
        registry: None,
        history: &[],
    });
    let t3 = Instant::now();
    let phases = Phases {
        read: t1 - t0,
        layout: t2 - t1,
        rules: t3 - t2,
    };
    Ok(((report.summary.people, report.findings.len()), phases))
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn median_u64(mut v: Vec<u64>) -> u64 {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

/// The column letters of a 0-based column: 0 → "A".
fn letters(col: u32) -> String {
    let mut n = u64::from(col) + 1;
    let mut out = Vec::new();
    while n > 0 {
        out.push(b'A' + ((n - 1) % 26) as u8);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// A number as Excel stores a typed one: a short run of digits without a leading zero.
fn typed_number(raw: &str) -> bool {
    (1..=9).contains(&raw.len())
        && raw.bytes().all(|b| b.is_ascii_digit())
        && (raw == "0" || !raw.starts_with('0'))
}

/// The sheets of `grids` written as Excel (and LibreOffice) write a workbook: every text once in
/// `xl/sharedStrings.xml` and referenced by `t="s"` cells, typed numbers (序号, years) as numbers,
/// each cell with a style, rows with `spans`, the merged areas declared after the data. With
/// `inline`, each text is written in its cell (`t="inlineStr"`) and there is no shared-strings
/// table, as openpyxl 3.1 writes.
fn excel_style(grids: &[Grid], inline: bool) -> anyhow::Result<Vec<u8>> {
    const MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let mut strings: Vec<&str> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut refs = 0usize;
    let mut sheets: Vec<String> = Vec::new();
    for grid in grids {
        let mut x = String::new();
        x.push_str(&format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n<worksheet \
             xmlns=\"{MAIN}\" xmlns:r=\"{REL}\">"
        ));
        let last_row = grid.rows.last().map_or(0, |r| r.index);
        let last_col = grid.last_col().unwrap_or(0);
        x.push_str(&format!(
            "<dimension ref=\"A1:{}{}\"/><sheetViews><sheetView workbookViewId=\"0\"/></sheetViews>\
             <sheetFormatPr defaultRowHeight=\"13.5\"/><sheetData>",
            letters(last_col),
            last_row + 1
        ));
        for row in &grid.rows {
            let first = row.cells.first().map_or(0, |(c, _)| *c);
            let last = row.cells.last().map_or(0, |(c, _)| *c);
            x.push_str(&format!(
                "<row r=\"{}\" spans=\"{}:{}\">",
                row.index + 1,
                first + 1,
                last + 1
            ));
            for (col, cell) in &row.cells {
                // A merged area keeps its value in its top-left cell only.
                let covered = grid.merges.iter().any(|m| {
                    m.contains(row.index, *col) && (m.first_row, m.first_col) != (row.index, *col)
                });
                if covered {
                    continue;
                }
                let at = format!("{}{}", letters(*col), row.index + 1);
                if typed_number(&cell.raw) {
                    x.push_str(&format!("<c r=\"{at}\" s=\"1\"><v>{}</v></c>", cell.raw));
                } else if inline {
                    x.push_str(&format!(
                        "<c r=\"{at}\" s=\"2\" t=\"inlineStr\"><is><t>{}</t></is></c>",
                        escape(&cell.raw)
                    ));
                } else {
                    let next = strings.len();
                    let i = *index.entry(cell.raw.as_str()).or_insert(next);
                    if i == next {
                        strings.push(cell.raw.as_str());
                    }
                    refs += 1;
                    x.push_str(&format!("<c r=\"{at}\" s=\"2\" t=\"s\"><v>{i}</v></c>"));
                }
            }
            x.push_str("</row>");
        }
        x.push_str("</sheetData>");
        if !grid.merges.is_empty() {
            x.push_str(&format!("<mergeCells count=\"{}\">", grid.merges.len()));
            for m in &grid.merges {
                x.push_str(&format!(
                    "<mergeCell ref=\"{}{}:{}{}\"/>",
                    letters(m.first_col),
                    m.first_row + 1,
                    letters(m.last_col),
                    m.last_row + 1
                ));
            }
            x.push_str("</mergeCells>");
        }
        x.push_str(
            "<pageMargins left=\"0.7\" right=\"0.7\" top=\"0.75\" bottom=\"0.75\" header=\"0.3\" \
             footer=\"0.3\"/></worksheet>",
        );
        sheets.push(x);
    }
    let mut sst = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n<sst xmlns=\"{MAIN}\" \
         count=\"{refs}\" uniqueCount=\"{}\">",
        strings.len()
    );
    for s in &strings {
        let space = if s.trim() != *s {
            " xml:space=\"preserve\""
        } else {
            ""
        };
        sst.push_str(&format!("<si><t{space}>{}</t></si>", escape(s)));
    }
    sst.push_str("</sst>");
    let styles = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n<styleSheet xmlns=\"{MAIN}\">\
         <fonts count=\"1\"><font><sz val=\"11\"/><name val=\"宋体\"/><charset val=\"134\"/></font></fonts>\
         <fills count=\"2\"><fill><patternFill patternType=\"none\"/></fill><fill><patternFill \
         patternType=\"gray125\"/></fill></fills><borders count=\"1\"><border><left/><right/><top/>\
         <bottom/><diagonal/></border></borders><cellStyleXfs count=\"1\"><xf numFmtId=\"0\" \
         fontId=\"0\" fillId=\"0\" borderId=\"0\"/></cellStyleXfs><cellXfs count=\"3\"><xf \
         numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\"/><xf numFmtId=\"0\" \
         fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyAlignment=\"1\"><alignment \
         horizontal=\"center\" vertical=\"center\"/></xf><xf numFmtId=\"49\" fontId=\"0\" fillId=\"0\" \
         borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\" applyAlignment=\"1\"><alignment \
         vertical=\"center\" wrapText=\"1\"/></xf></cellXfs><cellStyles count=\"1\"><cellStyle \
         name=\"常规\" xfId=\"0\" builtinId=\"0\"/></cellStyles></styleSheet>"
    );
    let mut sheet_list = String::new();
    let mut rels = String::new();
    let mut overrides = String::new();
    for (i, grid) in grids.iter().enumerate() {
        let n = i + 1;
        let name = grid.name.clone().unwrap_or_else(|| format!("Sheet{n}"));
        sheet_list.push_str(&format!(
            "<sheet name=\"{}\" sheetId=\"{n}\" r:id=\"rId{n}\"/>",
            escape(&name)
        ));
        rels.push_str(&format!(
            "<Relationship Id=\"rId{n}\" Type=\"{REL}/worksheet\" Target=\"worksheets/sheet{n}.xml\"/>"
        ));
        overrides.push_str(&format!(
            "<Override PartName=\"/xl/worksheets/sheet{n}.xml\" \
             ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>"
        ));
    }
    let n = grids.len();
    rels.push_str(&format!(
        "<Relationship Id=\"rId{}\" Type=\"{REL}/styles\" Target=\"styles.xml\"/>",
        n + 1
    ));
    if !inline {
        rels.push_str(&format!(
            "<Relationship Id=\"rId{}\" Type=\"{REL}/sharedStrings\" Target=\"sharedStrings.xml\"/>",
            n + 2
        ));
        overrides.push_str(
            "<Override PartName=\"/xl/sharedStrings.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml\"/>",
        );
    }
    let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n";
    let mut parts: Vec<(String, String)> = vec![
        (
            "[Content_Types].xml".into(),
            format!(
                "{xml}<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
                 <Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
                 <Default Extension=\"xml\" ContentType=\"application/xml\"/>\
                 <Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>\
                 {overrides}<Override PartName=\"/xl/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml\"/></Types>"
            ),
        ),
        (
            "_rels/.rels".into(),
            format!(
                "{xml}<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
                 <Relationship Id=\"rId1\" Type=\"{REL}/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>"
            ),
        ),
        (
            "xl/workbook.xml".into(),
            format!(
                "{xml}<workbook xmlns=\"{MAIN}\" xmlns:r=\"{REL}\"><bookViews><workbookView/></bookViews>\
                 <sheets>{sheet_list}</sheets></workbook>"
            ),
        ),
        (
            "xl/_rels/workbook.xml.rels".into(),
            format!(
                "{xml}<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">{rels}</Relationships>"
            ),
        ),
        ("xl/styles.xml".into(), styles),
    ];
    if !inline {
        parts.push(("xl/sharedStrings.xml".into(), sst));
    }
    for (i, sheet) in sheets.into_iter().enumerate() {
        parts.push((format!("xl/worksheets/sheet{}.xml", i + 1), sheet));
    }
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, text) in parts {
        zip.start_file(name, options)?;
        zip.write_all(text.as_bytes())?;
    }
    Ok(zip.finish()?.into_inner())
}

/// How a workbook stores its text: the shared-strings table's entries and the cells of each kind.
fn describe(bytes: &[u8]) -> String {
    let count = |name: &str, needle: &[u8]| -> Option<usize> {
        use std::io::Read;
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
        let mut entry = zip.by_name(name).ok()?;
        let mut text = Vec::new();
        entry.read_to_end(&mut text).ok()?;
        Some(text.windows(needle.len()).filter(|w| *w == needle).count())
    };
    let shared = count("xl/worksheets/sheet1.xml", b"t=\"s\"").unwrap_or(0);
    let inline = count("xl/worksheets/sheet1.xml", b"t=\"inlineStr\"").unwrap_or(0)
        + count("xl/worksheets/sheet1.xml", b"t=\"str\"").unwrap_or(0);
    match count("xl/sharedStrings.xml", b"<si>") {
        Some(si) => format!(
            "共享字符串表 {si} 条，推荐表工作表中 t=\"s\" 单元格 {shared} 个、内联字符串 {inline} 个"
        ),
        None => format!("无共享字符串表，推荐表工作表中内联字符串 {inline} 个"),
    }
}

/// The figures of one workbook.
struct Figures {
    label: &'static str,
    path: PathBuf,
    kib: f64,
    storage: String,
    cells: usize,
    outcome: (usize, usize),
    bare: Duration,
    check: Duration,
    bare_heap: usize,
    check_heap: usize,
    phases: Vec<Phases>,
    proc_bare: Vec<Process>,
    proc_check: Vec<Process>,
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "未知".into())
}

fn in_process(f: &mut Figures, batch: &Batch, runs: usize) -> anyhow::Result<()> {
    let (mut t_bare, mut t_check) = (Vec::new(), Vec::new());
    for i in 0..runs {
        // Alternate the order so neither side always runs on a warmer cache.
        for step in if i.is_multiple_of(2) { [0, 1] } else { [1, 0] } {
            let start = Instant::now();
            if step == 0 {
                let (r, peak) = peak_during(|| bare_read(&f.path));
                t_bare.push(start.elapsed());
                f.bare_heap = f.bare_heap.max(peak);
                f.cells = r?;
            } else {
                let (r, peak) = peak_during(|| full_check(&f.path, batch));
                t_check.push(start.elapsed());
                f.check_heap = f.check_heap.max(peak);
                let (o, p) = r?;
                f.outcome = o;
                f.phases.push(p);
            }
        }
    }
    f.bare = median(t_bare);
    f.check = median(t_check);
    Ok(())
}

fn as_processes(f: &mut Figures, exe: &Path, runs: usize) -> anyhow::Result<()> {
    let file = f.path.as_os_str();
    for i in 0..runs {
        for step in if i.is_multiple_of(2) { [0, 1] } else { [1, 0] } {
            if step == 0 {
                let args = ["bench".as_ref(), "calamine-read".as_ref(), file];
                f.proc_bare.push(measure(exe, &args, &[0])?);
            } else {
                // 0: no error, 1: errors found; 2 (unreadable) is a failure of the benchmark.
                f.proc_check
                    .push(measure(exe, &["check".as_ref(), file], &[0, 1])?);
            }
        }
    }
    Ok(())
}

pub fn run(people: usize, runs: usize, keep: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let batch = Batch::batch10();
    let exe = std::env::current_exe().context("找不到本程序的路径")?;
    let ours = workbook(&batch, people)?;
    let (_, grids) = shuangshi_sheet::read::read_grids("bench.xlsx", &ours, &Limits::default())
        .map_err(|e| anyhow!("{e}"))?;
    let excel = excel_style(&grids, false)?;
    let inline = excel_style(&grids, true)?;
    drop(grids);
    let base = keep.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("shuangshi-bench-{}.xlsx", std::process::id()))
    });
    let stem = base
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "bench".into());
    let excel_path = base.with_file_name(format!("{stem}-excel.xlsx"));
    let inline_path = base.with_file_name(format!("{stem}-inline.xlsx"));
    let mut books = Vec::new();
    for (label, path, bytes) in [
        ("本项目模板写出（rust_xlsxwriter）", base, ours),
        ("按 Excel 的方式写出（共享字符串表）", excel_path, excel),
        (
            "按 openpyxl 3.1 的方式写出（内联字符串）",
            inline_path,
            inline,
        ),
    ] {
        std::fs::write(&path, &bytes)
            .map_err(|e| anyhow!("无法写入「{}」：{e}", path.display()))?;
        books.push(Figures {
            label,
            kib: bytes.len() as f64 / 1024.0,
            storage: describe(&bytes),
            path,
            cells: 0,
            outcome: (0, 0),
            bare: Duration::ZERO,
            check: Duration::ZERO,
            bare_heap: 0,
            check_heap: 0,
            phases: Vec::new(),
            proc_bare: Vec::new(),
            proc_check: Vec::new(),
        });
    }
    println!(
        "{people} 人，每项 {runs} 次取中位数；开始时负载 {}",
        load_average()
    );
    // The processes first: each is started from a fresh measuring process, so nothing of this
    // one's memory counts, but the machine is quieter before the in-process runs warm it.
    let empty = (0..runs)
        .map(|_| measure(&exe, &["--version".as_ref()], &[0]))
        .collect::<anyhow::Result<Vec<_>>>()?;
    for f in &mut books {
        as_processes(f, &exe, runs)?;
    }
    for f in &mut books {
        in_process(f, &batch, runs)?;
    }
    let result = report(&books, &empty);
    println!("结束时负载 {}", load_average());
    if keep.is_none() {
        for f in &books {
            let _ = std::fs::remove_file(&f.path);
        }
    }
    result
}

fn report(books: &[Figures], empty: &[Process]) -> anyhow::Result<ExitCode> {
    let mib = |x: f64| x / (1024.0 * 1024.0);
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let ratio = |a: f64, b: f64| a / b.max(1e-9);
    for f in books {
        println!(
            "\n## {}：{}（{:.1} KiB）\n{}",
            f.label,
            f.path.display(),
            f.kib,
            f.storage
        );
        println!("\n进程内（计数分配器测堆内存峰值）：\n");
        println!("| 步骤 | 中位耗时 | 堆内存峰值 |");
        println!("| --- | --- | --- |");
        println!(
            "| calamine 读取全部单元格（{} 个） | {:.1} ms | {:.1} MiB |",
            f.cells,
            ms(f.bare),
            mib(f.bare_heap as f64)
        );
        println!(
            "| shuangshi check（读取 + 识别 + 全部规则；{} 人，{} 项结果） | {:.1} ms | {:.1} MiB |",
            f.outcome.0,
            f.outcome.1,
            ms(f.check),
            mib(f.check_heap as f64)
        );
        println!(
            "| 比值 check / calamine | {:.2} × | {:.2} × |",
            ratio(f.check.as_secs_f64(), f.bare.as_secs_f64()),
            ratio(f.check_heap as f64, f.bare_heap as f64)
        );
        let phase = |g: fn(&Phases) -> Duration| ms(median(f.phases.iter().map(g).collect()));
        println!(
            "\ncheck 各阶段中位耗时：读取（含安全检查）{:.1} ms，识别推荐表 {:.1} ms，规则 {:.1} ms",
            phase(|p| p.read),
            phase(|p| p.layout),
            phase(|p| p.rules)
        );
        let wall = |v: &[Process]| median(v.iter().map(|p| p.wall).collect());
        let cpu = |v: &[Process]| median(v.iter().map(|p| p.cpu).collect());
        let rss = |v: &[Process]| median_u64(v.iter().map(|p| p.rss).collect());
        println!("\n整个进程（getrusage：墙钟时间、CPU 时间的中位数，内存峰值 RSS 的中位数）：\n");
        println!("| 进程 | 墙钟时间 | CPU 时间 | 内存峰值（RSS） |");
        println!("| --- | --- | --- | --- |");
        println!(
            "| shuangshi --version（空进程，作参照） | {:.1} ms | {:.1} ms | {:.1} MiB |",
            ms(wall(empty)),
            ms(cpu(empty)),
            mib(rss(empty) as f64)
        );
        println!(
            "| shuangshi bench calamine-read FILE | {:.1} ms | {:.1} ms | {:.1} MiB |",
            ms(wall(&f.proc_bare)),
            ms(cpu(&f.proc_bare)),
            mib(rss(&f.proc_bare) as f64)
        );
        println!(
            "| shuangshi check FILE | {:.1} ms | {:.1} ms | {:.1} MiB |",
            ms(wall(&f.proc_check)),
            ms(cpu(&f.proc_check)),
            mib(rss(&f.proc_check) as f64)
        );
        println!(
            "| 比值 check / calamine | {:.2} × | {:.2} × | {:.2} × |",
            ratio(
                wall(&f.proc_check).as_secs_f64(),
                wall(&f.proc_bare).as_secs_f64()
            ),
            ratio(
                cpu(&f.proc_check).as_secs_f64(),
                cpu(&f.proc_bare).as_secs_f64()
            ),
            ratio(rss(&f.proc_check) as f64, rss(&f.proc_bare) as f64)
        );
    }
    Ok(ExitCode::SUCCESS)
}
