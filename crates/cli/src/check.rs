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

/// The extensions a folder is searched for.
const FORM_EXTENSIONS: [&str; 3] = ["xlsx", "xls", "docx"];

/// Expands folders into the form files they contain (recursively, sorted); files are kept as given.
/// Office lock files (「~$a.xlsx」) are skipped.
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
        if name.starts_with("~$") || name.starts_with('.') {
            continue;
        }
        if p.is_dir() {
            walk(&p, files, bad);
        } else if p
            .extension()
            .is_some_and(|e| FORM_EXTENSIONS.iter().any(|x| e.eq_ignore_ascii_case(x)))
        {
            files.push(p);
        }
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
                message: e.to_string(),
            });
        }
    }
    if files.is_empty() && unreadable.is_empty() {
        return Err(anyhow!(
            "在 {} 中没有找到推荐表（.xlsx、.xls、.docx）",
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
    Ok(exit_code(&report))
}

fn display_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| format!("「{}」", p.display()))
        .collect::<Vec<_>>()
        .join("、")
}

/// 2 when an input could not be read, 1 when there is an error, else 0.
pub fn exit_code(report: &Report) -> ExitCode {
    if !report.unreadable.is_empty() {
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
