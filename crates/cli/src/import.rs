//! `shuangshi import`: the forms schools e-mailed, from files, folders (recursively) and zip
//! archives, into a batch. This module only walks the inputs and prints; every decision about a
//! form is `shuangshi_app::import`'s.
//!
//! Zip entries are named in UTF-8 or, as Windows' built-in zip writes them without the UTF-8 flag,
//! in GBK/GB18030; both are read from the raw name bytes. Nested zips, `__MACOSX/`, `~$` lock files
//! and `Thumbs.db` are skipped and listed; every other file that is not read is listed with its
//! reason. Exit 0: every form imported without errors; 1: some forms carry errors; 2: some files
//! or forms could not be imported.

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::anyhow;
use serde_json::json;
use shuangshi_app::import::{FileImport, Importer, ReadFile, SchoolImport};
use shuangshi_sheet::guard::Limits;

use crate::ops::{self, OperatorArgs};
use crate::serve::DbArgs;

pub struct Options {
    pub db: DbArgs,
    pub operator: OperatorArgs,
    pub batch: Option<String>,
    pub dry_run: bool,
    pub json: bool,
    pub paths: Vec<PathBuf>,
}

/// The most entries read from one zip archive.
const MAX_ARCHIVE_ENTRIES: usize = 20_000;

/// Extensions read as forms (the reader decides by content and says why it cannot read one).
fn is_form_like(ext: &str) -> bool {
    crate::check::FORM_EXTENSIONS.contains(&ext)
        || crate::check::FORM_LIKE.iter().any(|(e, _, _)| *e == ext)
}

fn ext_of(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or(name);
    match last.rsplit_once('.') {
        Some((b, e)) if !b.is_empty() => e.to_lowercase(),
        _ => String::new(),
    }
}

/// Why a name is skipped without reading it, if it is: files other programs leave behind.
fn junk_reason(name: &str) -> Option<&'static str> {
    let last = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let lower = last.to_lowercase();
    if name.split(['/', '\\']).any(|part| part == "__MACOSX") {
        Some("macOS 压缩时附带的资源文件（__MACOSX），不是推荐表")
    } else if last.starts_with("~$") {
        Some("Office 打开文件时留下的临时锁定文件（~$），不是推荐表")
    } else if lower == "thumbs.db" || lower == "desktop.ini" || lower == ".ds_store" {
        Some("系统生成的缩略图或文件夹设置文件，不是推荐表")
    } else {
        None
    }
}

/// Why a file of this extension is not read, if it is not.
fn not_form_reason(ext: &str) -> Option<String> {
    if is_form_like(ext) || ext == "zip" {
        return None;
    }
    let what = match ext {
        "jpg" | "jpeg" | "png" | "gif" | "bmp" | "tif" | "tiff" | "heic" | "webp" => {
            "图片".to_owned()
        }
        "pdf" => "PDF 文件（扫描件）".to_owned(),
        "" => "没有扩展名的文件".to_owned(),
        e => format!(".{e} 文件"),
    };
    Some(format!(
        "{what}不是推荐表，未读取；推荐表应为 .xlsx、.xls、.ods 或 .docx"
    ))
}

/// One thing to read.
enum Item {
    File(PathBuf),
    /// A zip archive with its entries to read (index, name as decoded).
    Zip {
        path: PathBuf,
        entries: Vec<(usize, String)>,
    },
}

/// What the walk found: the items to read and what is only listed.
#[derive(Default)]
struct Walk {
    items: Vec<Item>,
    skipped: Vec<(String, String)>,
    total: usize,
}

/// A zip entry's name: UTF-8 when the bytes are UTF-8 (with or without the flag), else GB18030
/// (a superset of GBK, which Windows' zip writes).
fn entry_name(raw: &[u8]) -> String {
    match std::str::from_utf8(raw) {
        Ok(s) => s.to_owned(),
        Err(_) => {
            let (text, _) = encoding_rs::GB18030.decode_without_bom_handling(raw);
            text.into_owned()
        }
    }
}

fn display_entry(archive: &Path, entry: &str) -> String {
    format!("{}/{}", archive.display(), entry.trim_start_matches('/'))
}

impl Walk {
    fn add_path(&mut self, p: &Path, given: bool) -> anyhow::Result<()> {
        let shown = p.display().to_string();
        let meta = match std::fs::metadata(p) {
            Ok(m) => m,
            Err(e) if given => {
                return Err(anyhow!(
                    "「{shown}」无法读取：{}",
                    shuangshi_sheet::io_reason(&e)
                ));
            }
            Err(e) => {
                self.skipped.push((shown, shuangshi_sheet::io_reason(&e)));
                return Ok(());
            }
        };
        if meta.is_dir() {
            let mut children: Vec<PathBuf> = match std::fs::read_dir(p) {
                Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
                Err(e) => {
                    self.skipped.push((shown, shuangshi_sheet::io_reason(&e)));
                    return Ok(());
                }
            };
            children.sort();
            for c in children {
                self.add_path(&c, false)?;
            }
            return Ok(());
        }
        let name = p.to_string_lossy();
        if let Some(why) = junk_reason(&name) {
            self.skipped.push((shown, why.to_owned()));
            return Ok(());
        }
        let ext = ext_of(&name);
        if ext == "zip" {
            self.add_zip(p);
            return Ok(());
        }
        if let Some(why) = not_form_reason(&ext) {
            self.skipped.push((shown, why));
            return Ok(());
        }
        self.items.push(Item::File(p.to_path_buf()));
        self.total += 1;
        Ok(())
    }

    fn add_zip(&mut self, p: &Path) {
        let shown = p.display().to_string();
        let archive = std::fs::File::open(p)
            .map_err(|e| shuangshi_sheet::io_reason(&e))
            .and_then(|f| {
                zip::ZipArchive::new(std::io::BufReader::new(f))
                    .map_err(|e| format!("不是可读取的 zip 压缩包（{e}）"))
            });
        let mut zip = match archive {
            Ok(z) => z,
            Err(why) => {
                self.skipped.push((shown, why));
                return;
            }
        };
        if zip.len() > MAX_ARCHIVE_ENTRIES {
            self.skipped.push((
                shown,
                format!(
                    "压缩包中有 {} 个条目，超过上限 {MAX_ARCHIVE_ENTRIES}；请分成几个压缩包",
                    zip.len()
                ),
            ));
            return;
        }
        let mut entries = Vec::new();
        for i in 0..zip.len() {
            let (name, is_dir) = match zip.by_index_raw(i) {
                Ok(f) => (entry_name(f.name_raw()), f.is_dir()),
                Err(e) => {
                    self.skipped.push((
                        format!("{shown}（第 {} 个条目）", i + 1),
                        format!("压缩包条目无法读取（{e}）"),
                    ));
                    continue;
                }
            };
            if is_dir {
                continue;
            }
            let full = display_entry(p, &name);
            if let Some(why) = junk_reason(&name) {
                self.skipped.push((full, why.to_owned()));
                continue;
            }
            let ext = ext_of(&name);
            if ext == "zip" {
                self.skipped
                    .push((full, "压缩包中的压缩包未展开；请解压后单独导入".to_owned()));
                continue;
            }
            if let Some(why) = not_form_reason(&ext) {
                self.skipped.push((full, why));
                continue;
            }
            entries.push((i, name));
        }
        self.total += entries.len();
        self.items.push(Item::Zip {
            path: p.to_path_buf(),
            entries,
        });
    }
}

/// Reads a file on disk, refusing one larger than a form may be before reading it.
fn read_file(p: &Path, limits: &Limits) -> Result<Vec<u8>, String> {
    let len = std::fs::metadata(p)
        .map_err(|e| shuangshi_sheet::io_reason(&e))?
        .len();
    if len > limits.max_file_bytes {
        return Err(format!(
            "文件大小 {} 字节，超过上限 {} 字节",
            len, limits.max_file_bytes
        ));
    }
    std::fs::read(p).map_err(|e| shuangshi_sheet::io_reason(&e))
}

/// Reads one zip entry, bounded by the largest file a form may be.
fn read_entry<R: Read + std::io::Seek>(
    zip: &mut zip::ZipArchive<R>,
    index: usize,
    limits: &Limits,
) -> Result<Vec<u8>, String> {
    let entry = match zip.by_index(index) {
        Ok(e) => e,
        Err(zip::result::ZipError::UnsupportedArchive(m)) if m.contains("assword") => {
            return Err("压缩包条目已加密，无法读取；请解除密码后重新打包".to_owned());
        }
        Err(e) => return Err(format!("压缩包条目无法读取（{e}）")),
    };
    if entry.encrypted() {
        return Err("压缩包条目已加密，无法读取；请解除密码后重新打包".to_owned());
    }
    let max = limits.max_file_bytes;
    let mut bytes = Vec::new();
    entry
        .take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("压缩包条目解压失败（{e}）"))?;
    if bytes.len() as u64 > max {
        return Err(format!("解压后超过 {max} 字节的上限，未读取"));
    }
    Ok(bytes)
}

/// Where lines go: above the progress bar on a terminal, else plain lines on stdout.
struct Out {
    bar: Option<indicatif::ProgressBar>,
    quiet: bool,
}

impl Out {
    fn line(&self, s: &str) {
        if self.quiet {
            return;
        }
        match &self.bar {
            Some(b) => b.println(s),
            None => println!("{s}"),
        }
    }

    fn step(&self, name: &str) {
        if let Some(b) = &self.bar {
            b.set_message(name.to_owned());
            b.inc(1);
        }
    }
}

/// Everything the run saw, for the summary and the JSON.
#[derive(Default)]
struct Tally {
    files: Vec<FileImport>,
    skipped: Vec<(String, String)>,
    unread: Vec<(String, String)>,
}

fn form_line(f: &shuangshi_app::import::FormImport, dry_run: bool) -> String {
    let sheet = f
        .sheet
        .as_deref()
        .map(|s| format!("（工作表「{s}」）"))
        .unwrap_or_default();
    let what = if dry_run {
        "预检通过（未导入）"
    } else if f.changed {
        "已导入"
    } else {
        "无变化"
    };
    let mut s = format!(
        "「{}」{sheet}：{} — {}，{} 人，{what}",
        f.file, f.school, f.enterprise, f.people
    );
    if f.partnership_confirmed {
        s.push_str("（合作关系由市教委确认）");
    }
    if f.errors > 0 {
        s.push_str(&format!("；{} 处错误", f.errors));
    }
    if f.warnings > 0 {
        s.push_str(&format!("；{} 处警告", f.warnings));
    }
    if let Some(n) = &f.note {
        s.push_str(&format!("；{n}"));
    }
    s
}

/// How many files are read and laid out ahead of the database work: at least a chunk of forms
/// ([`shuangshi_app::import::CHUNK`]), so the writer finds a chunk ready when it is slower.
const READ_AHEAD: usize = shuangshi_app::import::CHUNK;

/// The threads that guard, read and lay out files: one per core.
fn readers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// A file to lay out: its place in the walk, its name as shown and its bytes (or why it cannot be
/// read).
type Job = (usize, String, Result<Vec<u8>, String>);

/// Reads the bytes of every item in order (files from disk, zip entries from their archive)
/// and sends them on, numbered; stops when the receiver is gone.
fn read_items(items: Vec<Item>, limits: &Limits, tx: &std::sync::mpsc::SyncSender<Job>) {
    let mut n = 0usize;
    let mut send = |shown: String, bytes: Result<Vec<u8>, String>| {
        let sent = tx.send((n, shown, bytes)).is_ok();
        n += 1;
        sent
    };
    for item in items {
        match item {
            Item::File(p) => {
                let shown = p.display().to_string();
                if !send(shown, read_file(&p, limits)) {
                    return;
                }
            }
            Item::Zip { path, entries } => {
                let opened = std::fs::File::open(&path)
                    .map_err(|e| shuangshi_sheet::io_reason(&e))
                    .and_then(|f| {
                        zip::ZipArchive::new(std::io::BufReader::new(f))
                            .map_err(|e| format!("不是可读取的 zip 压缩包（{e}）"))
                    });
                match opened {
                    Ok(mut zip) => {
                        for (i, name) in entries {
                            let bytes = read_entry(&mut zip, i, limits);
                            if !send(display_entry(&path, &name), bytes) {
                                return;
                            }
                        }
                    }
                    Err(why) => {
                        for (_, name) in entries {
                            if !send(display_entry(&path, &name), Err(why.clone())) {
                                return;
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A file on its way to the database: read and laid out, or refused before reading.
enum Ahead {
    Read(ReadFile),
    Unread(String, String),
}

/// Guards, reads and lays out the files the reader sends, until it is done or the receiver is
/// gone (one such thread per core).
fn lay_out(
    jobs: &std::sync::Mutex<std::sync::mpsc::Receiver<Job>>,
    tx: &tokio::sync::mpsc::Sender<(usize, Ahead)>,
) {
    loop {
        // A poisoned lock only means another reader panicked; the receiver is intact.
        let job = jobs.lock().unwrap_or_else(|e| e.into_inner()).recv();
        let Ok((n, shown, bytes)) = job else {
            return;
        };
        let ahead = match bytes {
            Ok(bytes) => Ahead::Read(ReadFile::read(shown, &bytes)),
            Err(why) => Ahead::Unread(shown, why),
        };
        if tx.blocking_send((n, ahead)).is_err() {
            return;
        }
    }
}

/// Prints a file's result: one line per form and per form not imported.
fn print_file(out: &Out, done: &FileImport, n: &mut usize, total: usize, dry_run: bool) {
    let prefix = |n: usize| {
        if out.bar.is_some() {
            String::new()
        } else {
            format!("[{n}/{total}] ")
        }
    };
    *n += 1;
    let p = prefix(*n);
    let file = done
        .forms
        .first()
        .map(|f| f.file.as_str())
        .or_else(|| done.not_imported.first().map(|u| u.file.as_str()))
        .unwrap_or("");
    out.step(file);
    for f in &done.forms {
        out.line(&format!("{p}{}", form_line(f, dry_run)));
    }
    for u in &done.not_imported {
        let sheet = u
            .sheet
            .as_deref()
            .map(|s| format!("（工作表「{s}」）"))
            .unwrap_or_default();
        out.line(&format!("{p}「{}」{sheet}：未导入：{}", u.file, u.reason));
    }
}

/// Imports every file the walk found, in order. The bytes are read on a thread of their own and
/// each file is guarded, read and laid out on one of a few threads (one per core), up to
/// [`READ_AHEAD`] files ahead, while the forms before it are written; the files laid out when the
/// database is free are handed to the import together (a chunk per write transaction, in the
/// walk's order), and each file is printed once its forms are stored with their findings.
async fn import_walk(importer: &mut Importer, walk: Walk, out: &Out) -> anyhow::Result<Tally> {
    let mut tally = Tally {
        skipped: walk.skipped,
        ..Tally::default()
    };
    let total = walk.total;
    let dry_run = importer.dry_run();
    let (job_tx, job_rx) = std::sync::mpsc::sync_channel(READ_AHEAD);
    let (tx, mut rx) = tokio::sync::mpsc::channel(READ_AHEAD);
    let items = walk.items;
    let reader = std::thread::spawn(move || read_items(items, &Limits::default(), &job_tx));
    let jobs = std::sync::Arc::new(std::sync::Mutex::new(job_rx));
    let workers: Vec<_> = (0..readers())
        .map(|_| {
            let (jobs, tx) = (jobs.clone(), tx.clone());
            std::thread::spawn(move || lay_out(&jobs, &tx))
        })
        .collect();
    drop(tx);
    let mut ready: std::collections::BTreeMap<usize, Ahead> = std::collections::BTreeMap::new();
    let mut next = 0usize;
    let mut printed = 0usize;
    let mut ended = false;
    loop {
        // Wait for the next file in order, then take every one after it already laid out.
        while !ended && !ready.contains_key(&next) {
            match rx.recv().await {
                Some((n, ahead)) => {
                    ready.insert(n, ahead);
                }
                None => ended = true,
            }
        }
        while let Ok((n, ahead)) = rx.try_recv() {
            ready.insert(n, ahead);
        }
        let mut reads = Vec::new();
        while reads.len() < READ_AHEAD {
            let Some(ahead) = ready.remove(&next) else {
                break;
            };
            next += 1;
            match ahead {
                Ahead::Unread(shown, why) => {
                    printed += 1;
                    out.step(&shown);
                    let p = if out.bar.is_some() {
                        String::new()
                    } else {
                        format!("[{printed}/{total}] ")
                    };
                    out.line(&format!("{p}「{shown}」：未导入：{why}"));
                    tally.unread.push((shown, why));
                }
                Ahead::Read(read) => reads.push(read),
            }
        }
        if reads.is_empty() {
            if ended {
                if !ready.is_empty() {
                    return Err(anyhow!("读取推荐表的线程异常退出"));
                }
                break;
            }
            continue;
        }
        let done = importer
            .import_files(reads)
            .await
            .map_err(|e| anyhow!("导入时出错：{e}"))?;
        for d in done {
            print_file(out, &d, &mut printed, total, dry_run);
            tally.files.push(d);
        }
    }
    let done = importer
        .finish()
        .await
        .map_err(|e| anyhow!("导入时出错：{e}"))?;
    for d in done {
        print_file(out, &d, &mut printed, total, dry_run);
        tally.files.push(d);
    }
    drop(rx);
    reader
        .join()
        .map_err(|_| anyhow!("读取文件的线程异常退出"))?;
    for w in workers {
        w.join().map_err(|_| anyhow!("读取推荐表的线程异常退出"))?;
    }
    Ok(tally)
}

/// What an import did, counted (for `bench import`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub files: usize,
    pub forms: usize,
    pub people: usize,
    pub changed: usize,
    pub with_errors: usize,
    pub not_imported: usize,
    pub schools: usize,
}

/// `shuangshi import PATH...` without its output: the same walk, the same reading and the same
/// use cases, then the per-school report; what was done, counted.
pub async fn import_paths(
    app: &shuangshi_app::App,
    actor: &shuangshi_store::Actor,
    batch: &shuangshi_store::BatchRecord,
    paths: &[PathBuf],
) -> anyhow::Result<Counts> {
    let mut walk = Walk::default();
    for p in paths {
        walk.add_path(p, true)?;
    }
    let files = walk.total;
    let mut importer = Importer::new(app, actor, batch, false)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    let out = Out {
        bar: None,
        quiet: true,
    };
    let tally = import_walk(&mut importer, walk, &out).await?;
    let schools = importer.report().await.map_err(|e| anyhow!("{e}"))?;
    let forms: Vec<&shuangshi_app::import::FormImport> =
        tally.files.iter().flat_map(|f| &f.forms).collect();
    Ok(Counts {
        files,
        forms: forms.len(),
        people: forms.iter().map(|f| f.people).sum(),
        changed: forms.iter().filter(|f| f.changed).count(),
        with_errors: forms.iter().filter(|f| f.errors > 0).count(),
        not_imported: tally
            .files
            .iter()
            .map(|f| f.not_imported.len())
            .sum::<usize>()
            + tally.unread.len(),
        schools: schools.len(),
    })
}

/// `shuangshi import`.
pub fn run(opts: Options) -> anyhow::Result<ExitCode> {
    let mut walk = Walk::default();
    for p in &opts.paths {
        walk.add_path(p, true)?;
    }
    ops::runtime()?.block_on(run_async(opts, walk))
}

async fn run_async(opts: Options, walk: Walk) -> anyhow::Result<ExitCode> {
    let session = ops::open(&opts.db, &opts.operator).await?;
    let batch = ops::batch(&session.app, opts.batch.as_deref()).await?;
    let mut importer = Importer::new(&session.app, &session.actor, &batch, opts.dry_run)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    let terminal = std::io::stderr().is_terminal() && !opts.json;
    let bar = terminal.then(|| {
        let b = indicatif::ProgressBar::new(walk.total as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{bar:30.cyan/blue} {pos}/{len} 已用 {elapsed_precise} 剩余约 {eta} {wide_msg}",
        ) {
            b.set_style(style);
        }
        b
    });
    let out = Out {
        bar,
        quiet: opts.json,
    };
    out.line(&format!(
        "{}推荐表到{}：共 {} 个文件{}",
        if opts.dry_run { "预检" } else { "导入" },
        batch.name,
        walk.total,
        if walk.skipped.is_empty() {
            String::new()
        } else {
            format!("（另有 {} 个文件跳过，见文末）", walk.skipped.len())
        }
    ));
    let tally = import_walk(&mut importer, walk, &out).await?;
    if let Some(b) = &out.bar {
        b.finish_and_clear();
    }
    let schools = importer.report().await.map_err(|e| anyhow!("{e}"))?;
    let forms: Vec<&shuangshi_app::import::FormImport> =
        tally.files.iter().flat_map(|f| &f.forms).collect();
    let not_imported = tally
        .files
        .iter()
        .map(|f| f.not_imported.len())
        .sum::<usize>()
        + tally.unread.len();
    let with_errors = forms.iter().filter(|f| f.errors > 0).count();
    let changed = forms.iter().filter(|f| f.changed).count();
    let code: u8 = if not_imported > 0 {
        2
    } else if with_errors > 0 {
        1
    } else {
        0
    };
    if opts.json {
        let value = json!({
            "batch": batch.name,
            "dry_run": opts.dry_run,
            "forms": forms.iter().map(|f| json!({
                "file": f.file,
                "sheet": f.sheet,
                "school": f.school,
                "enterprise": f.enterprise,
                "people": f.people,
                "errors": f.errors,
                "warnings": f.warnings,
                "changed": f.changed,
                "partnership_confirmed": f.partnership_confirmed,
                "note": f.note,
                "error_findings": f.error_findings,
            })).collect::<Vec<_>>(),
            "not_imported": tally.files.iter().flat_map(|f| &f.not_imported).map(|u| json!({
                "file": u.file, "sheet": u.sheet, "reason": u.reason,
            })).chain(tally.unread.iter().map(|(f, r)| json!({"file": f, "sheet": null, "reason": r})))
            .collect::<Vec<_>>(),
            "skipped": tally.skipped.iter().map(|(f, r)| json!({"file": f, "reason": r})).collect::<Vec<_>>(),
            "schools": schools.iter().map(school_json).collect::<Vec<_>>(),
            "summary": {
                "forms": forms.len(),
                "changed": changed,
                "unchanged": if opts.dry_run { 0 } else { forms.len() - changed },
                "with_errors": with_errors,
                "not_imported": not_imported,
                "skipped": tally.skipped.len(),
            },
            "exit_code": code,
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&value).map_err(|e| anyhow!("{e}"))?
        );
        return Ok(ExitCode::from(code));
    }
    println!();
    if !schools.is_empty() {
        println!("各校情况（{}）：", batch.name);
        for s in &schools {
            print_school(s);
        }
        println!();
    }
    if !tally.skipped.is_empty() {
        println!("跳过的文件（{} 个）：", tally.skipped.len());
        for (f, why) in &tally.skipped {
            println!("  - 「{f}」：{why}");
        }
        println!();
    }
    if not_imported > 0 {
        println!("未导入（{not_imported} 个）：");
        for f in &tally.files {
            for u in &f.not_imported {
                let sheet = u
                    .sheet
                    .as_deref()
                    .map(|s| format!("（工作表「{s}」）"))
                    .unwrap_or_default();
                println!("  - 「{}」{sheet}：{}", u.file, u.reason);
            }
        }
        for (f, why) in &tally.unread {
            println!("  - 「{f}」：{why}");
        }
        println!();
    }
    if opts.dry_run {
        println!(
            "预检完成（未写入任何数据）：{} 张推荐表可导入，其中 {with_errors} 张有错误；{not_imported} 个未能导入；{} 个跳过",
            forms.len(),
            tally.skipped.len()
        );
    } else if changed == 0 && !forms.is_empty() {
        println!(
            "无变化：{} 张推荐表与库中内容相同，未作任何修改；{not_imported} 个未能导入；{} 个跳过",
            forms.len(),
            tally.skipped.len()
        );
    } else {
        println!(
            "导入完成：{} 张推荐表，其中 {changed} 张有变化、{} 张无变化，{with_errors} 张有错误；{not_imported} 个未能导入；{} 个跳过",
            forms.len(),
            forms.len() - changed,
            tally.skipped.len()
        );
    }
    Ok(ExitCode::from(code))
}

fn print_school(s: &SchoolImport) {
    println!(
        "■ {}：本次 {} 张推荐表、{} 人（{} 张有变化）；库中共 {} 人",
        s.school, s.forms, s.people, s.changed, s.people_stored
    );
    for st in &s.standing {
        if st.findings.is_empty() {
            println!("    {} {}：{}", st.rule, st.title, st.clear());
        } else {
            for f in &st.findings {
                println!("    {} {}：{}", st.rule, st.title, f.message);
            }
        }
    }
    if s.errors.is_empty() {
        println!("    错误：无");
    } else {
        println!("    错误 {} 处：", s.errors.len());
        for f in &s.errors {
            println!("      - {} {}", f.rule, f.message);
        }
    }
    if s.missing.is_empty() {
        println!("    尚缺：无");
    } else {
        println!("    尚缺：");
        for m in &s.missing {
            println!("      - {m}");
        }
    }
}

fn school_json(s: &SchoolImport) -> serde_json::Value {
    json!({
        "school": s.school,
        "forms": s.forms,
        "people": s.people,
        "changed": s.changed,
        "people_stored": s.people_stored,
        "standing": s.standing.iter().map(|st| json!({
            "rule": st.rule,
            "title": st.title,
            "met": st.findings.is_empty(),
            "findings": st.findings,
        })).collect::<Vec<_>>(),
        "errors": s.errors,
        "missing": s.missing,
    })
}
