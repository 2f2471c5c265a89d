//! `shuangshi check`: read forms (files or folders), check them, print the report, and optionally write
//! annotated copies.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::anyhow;
use shuangshi_rules::{Form, Input, Report, Unreadable};
use shuangshi_sheet::guard::Limits;
use shuangshi_sheet::{Workbook, load_forms_path, load_path};

use crate::render;

pub struct Options {
    pub orgs: Option<PathBuf>,
    pub batch: Option<PathBuf>,
    pub history: Option<PathBuf>,
    pub json: bool,
    pub annotate: Option<PathBuf>,
    pub paths: Vec<PathBuf>,
}

/// The extensions a folder is searched for: every kind the reader reads (it decides by content).
pub(crate) const FORM_EXTENSIONS: [&str; 11] = [
    "xlsx", "xlsm", "xltx", "xltm", "xls", "xlt", "ods", "ots", "docx", "docm", "dotx",
];

/// Files of other programs that a form is often saved as: they are read like forms (the reader
/// decides by content), and when they cannot be, the file fails (exit 2) with what to do.
pub(crate) const FORM_LIKE: [(&str, &str, &str); 17] = [
    (
        "doc",
        "旧版 Word 文档（.doc）",
        "请在 Word 或 WPS 中另存为 .docx 后再提交",
    ),
    (
        "dot",
        "旧版 Word 模板（.dot）",
        "请在 Word 或 WPS 中另存为 .docx 后再提交",
    ),
    (
        "wps",
        "WPS 文字文档（.wps）",
        "请在 WPS 中另存为 .docx 后再提交",
    ),
    (
        "wpt",
        "WPS 文字模板（.wpt）",
        "请在 WPS 中另存为 .docx 后再提交",
    ),
    (
        "et",
        "WPS 表格文件（.et）",
        "请在 WPS 中另存为 .xlsx 后再提交",
    ),
    (
        "ett",
        "WPS 表格模板（.ett）",
        "请在 WPS 中另存为 .xlsx 后再提交",
    ),
    (
        "xlsb",
        "Excel 二进制工作簿（.xlsb）",
        "请在 Excel 中另存为 .xlsx 后再提交",
    ),
    (
        "numbers",
        "Numbers 表格（.numbers）",
        "请在 Numbers 中导出为 Excel（.xlsx）后再提交",
    ),
    (
        "pages",
        "Pages 文稿（.pages）",
        "请在 Pages 中导出为 Word（.docx）后再提交",
    ),
    (
        "odt",
        "OpenDocument 文本（.odt）",
        "请另存为 .docx 后再提交",
    ),
    (
        "ott",
        "OpenDocument 文本模板（.ott）",
        "请另存为 .docx 后再提交",
    ),
    (
        "fods",
        "单文件 OpenDocument 表格（.fods）",
        "请另存为 .xlsx 或 .ods 后再提交",
    ),
    ("uos", "UOF 表格（.uos）", "请另存为 .xlsx 后再提交"),
    ("uof", "UOF 文档（.uof）", "请另存为 .xlsx 后再提交"),
    (
        "rtf",
        "RTF 文档（.rtf）",
        "请在 Word 或 WPS 中另存为 .docx 后再提交",
    ),
    ("wk4", "Lotus 表格（.wk4）", "请另存为 .xlsx 后再提交"),
    ("dbf", "dBase 表格（.dbf）", "请另存为 .xlsx 后再提交"),
];

/// Names that office programs and file managers leave beside the forms.
fn is_temporary(name: &str) -> bool {
    let lower = name.to_lowercase();
    name.starts_with("~$")
        || name.starts_with('.')
        || name.starts_with("~WRL")
        || lower == "thumbs.db"
        || lower == "desktop.ini"
        || lower.ends_with(".tmp")
}

fn extension(p: &Path) -> String {
    p.extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default()
}

/// The form-like kind of `p` by its extension: its description and what to do.
fn form_like(p: &Path) -> Option<(&'static str, &'static str)> {
    let ext = extension(p);
    FORM_LIKE
        .iter()
        .find(|(e, _, _)| *e == ext)
        .map(|(_, what, todo)| (*what, *todo))
}

fn skipped(p: &Path, why: &str) -> Unreadable {
    Unreadable {
        file: p.display().to_string(),
        message: format!("文件「{}」：{why}", p.display()),
        skipped: true,
    }
}

/// Expands folders into the files they contain (recursively, sorted); files are kept as given.
/// Returns the files to read and the files that are only listed or cannot be read: temporary files
/// (「~$a.xlsx」, `.DS_Store`, `Thumbs.db`) and files of other kinds are listed as skipped; a missing
/// input fails.
pub fn collect(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<Unreadable>) {
    let mut files = Vec::new();
    let mut bad = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut files, &mut bad);
        } else if p.exists() {
            files.push(p.clone());
        } else {
            bad.push(Unreadable {
                file: p.display().to_string(),
                message: format!("文件「{}」不存在", p.display()),
                skipped: false,
            });
        }
    }
    (files, bad)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>, bad: &mut Vec<Unreadable>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            bad.push(Unreadable {
                file: dir.display().to_string(),
                message: format!(
                    "文件夹「{}」无法读取：{}",
                    dir.display(),
                    shuangshi_sheet::io_reason(&e)
                ),
                skipped: false,
            });
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        if p.is_dir() {
            if name.starts_with('.') || name == "__MACOSX" {
                bad.push(Unreadable {
                    file: p.display().to_string(),
                    message: format!("文件夹「{}」：隐藏文件夹，已跳过", p.display()),
                    skipped: true,
                });
            } else {
                walk(&p, files, bad);
            }
        } else if is_temporary(&name) {
            bad.push(skipped(&p, "临时文件，已跳过"));
        } else if FORM_EXTENSIONS.contains(&extension(&p).as_str()) || form_like(&p).is_some() {
            files.push(p);
        } else {
            let ext = extension(&p);
            let kind = if ext.is_empty() {
                "没有扩展名".to_string()
            } else {
                format!(".{ext} 文件")
            };
            bad.push(skipped(
                &p,
                &format!(
                    "不是推荐表文件（{kind}），已跳过；推荐表请提交 .xlsx、.xls、.ods 或 .docx 格式"
                ),
            ));
        }
    }
}

/// The message for a file that could not be read: for a form-like file the reader refused as not
/// supported, what it is and what to do.
fn unreadable_message(path: &Path, e: &shuangshi_sheet::guard::ReadError) -> String {
    match (&e.reason, form_like(path)) {
        (shuangshi_sheet::guard::Reason::NotSupported(_), Some((what, todo))) => format!(
            "文件「{}」无法读取：这是{what}，本程序无法读取其中的推荐表；{todo}",
            path.display()
        ),
        _ => e.to_string(),
    }
}

pub fn run(opts: Options) -> anyhow::Result<ExitCode> {
    let batch = crate::load_batch(opts.batch.as_ref())?;
    let limits = Limits::default();
    let registry = match &opts.orgs {
        Some(p) => Some(
            shuangshi_sheet::orgs::read_registry(p, &batch, &limits)
                .map_err(|e| anyhow!("单位名录{e}"))?,
        ),
        None => None,
    };
    let history = match &opts.history {
        Some(p) => {
            shuangshi_sheet::orgs::read_history(p, &limits).map_err(|e| anyhow!("往批次名单{e}"))?
        }
        None => Vec::new(),
    };
    let (files, mut unreadable) = collect(&opts.paths);
    // The sheets are kept only for annotating; otherwise their cells move into the forms.
    let mut books: Vec<Workbook> = Vec::new();
    let mut forms: Vec<Form> = Vec::new();
    for f in &files {
        let loaded = if opts.annotate.is_some() {
            load_path(f, &limits).map(|book| {
                forms.extend(book.forms.iter().cloned());
                books.push(book);
            })
        } else {
            load_forms_path(f, &limits).map(|(_, f)| forms.extend(f))
        };
        if let Err(e) = loaded {
            unreadable.push(Unreadable {
                file: f.display().to_string(),
                message: unreadable_message(f, &e),
                skipped: false,
            });
        }
    }
    if files.is_empty() && unreadable.iter().all(|u| u.skipped) {
        let skipped = if unreadable.is_empty() {
            String::new()
        } else {
            format!("（跳过了 {} 个其他文件）", unreadable.len())
        };
        return Err(anyhow!(
            "在 {} 中没有找到推荐表（.xlsx、.xlsm、.xls、.ods、.docx）{skipped}",
            display_paths(&opts.paths)
        ));
    }
    let mut report = shuangshi_rules::check(Input {
        batch: &batch,
        forms: &forms,
        registry: registry.as_ref(),
        history: &history,
    });
    report.unreadable = unreadable;
    if let Some(dir) = &opts.annotate {
        annotate(dir, &books, &report)?;
    }
    if opts.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        print!("{}", render::text(&report, colour));
    }
    let code = exit_code(&report);
    // The process ends right after this: freeing every cell, form and finding one by one (a
    // tenth of the run on a 10,000-person form) would only give back memory the exit gives back.
    std::mem::forget(report);
    std::mem::forget(forms);
    std::mem::forget(books);
    Ok(code)
}

fn display_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| format!("「{}」", p.display()))
        .collect::<Vec<_>>()
        .join("、")
}

/// 2 when an input could not be read (files only listed as skipped do not count), 1 when there
/// is an error, else 0.
pub fn exit_code(report: &Report) -> ExitCode {
    if report.unreadable.iter().any(|u| !u.skipped) {
        ExitCode::from(2)
    } else if report.has_errors() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Writes `<stem>_核验.xlsx` into `dir` for each input that could be read.
fn annotate(dir: &Path, books: &[Workbook], report: &Report) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| {
        anyhow!(
            "无法创建文件夹「{}」：{}",
            dir.display(),
            shuangshi_sheet::io_reason(&e)
        )
    })?;
    for book in books {
        let findings: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.file.as_deref() == Some(book.file.as_str()))
            .cloned()
            .collect();
        let bytes = shuangshi_sheet::write::annotate_xlsx(&book.grids, &book.forms, &findings)
            .map_err(|e| anyhow!("{e}"))?;
        let stem = Path::new(&book.file)
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_else(|| "推荐表".into());
        let out = dir.join(format!("{stem}_核验.xlsx"));
        std::fs::write(&out, bytes).map_err(|e| {
            anyhow!(
                "无法写入「{}」：{}",
                out.display(),
                shuangshi_sheet::io_reason(&e)
            )
        })?;
        eprintln!("已写入标注文件：{}", out.display());
    }
    Ok(())
}
