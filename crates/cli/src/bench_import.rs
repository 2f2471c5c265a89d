//! `shuangshi bench import`: the commission's bulk import measured against `check` of the same
//! files, in the same run. The forms of `bench serve`'s generated batch (`--forms 600`: 300
//! schools of every tier, two forms each, about 4,200 people) are written as xlsx files into a
//! new temporary folder with their registry (CSV); then, alternately, `check` of the folder (the
//! path of `shuangshi check --orgs 名录 DIR`: collect, read, lay out, every rule, the text report)
//! and `import` of the folder into a fresh database (the path of `shuangshi import DIR`: the walk,
//! the reading, the use cases of `shuangshi_app::import`, the per-school report). Each import gets
//! a database of its own, migrated and given the batch and the registry before the clock starts:
//! an SQLite file in the temporary folder, or with `--database-url` a database created on that
//! PostgreSQL server and dropped afterwards.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use shuangshi_rules::{Batch, Input};
use shuangshi_sheet::guard::Limits;
use shuangshi_sheet::write::{Filled, filled_xlsx};
use shuangshi_store::{Store, bulk};

use crate::bench_serve::{self, thousands};
use crate::serve::DbArgs;

/// The options of `bench import`.
#[derive(Debug, Clone)]
pub struct Options {
    /// Forms generated (two per school).
    pub forms: usize,
    /// Runs of each side (the median is reported).
    pub runs: usize,
    /// A PostgreSQL server on which each import creates (and drops) a database of its own.
    pub database_url: Option<String>,
}

/// The ratio import / check the import is held to.
const TARGET: f64 = 1.5;

/// Removes the temporary folder however the run ends.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What was generated.
struct Generated {
    forms_dir: PathBuf,
    orgs: PathBuf,
    schools: usize,
    forms: usize,
    people: usize,
    bytes: u64,
}

/// A CSV field: quoted when it holds a comma, a quote or a line break.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// Writes the forms of `bench serve`'s batch as xlsx files (`{学校}-{企业}.xlsx` in `forms/`) and
/// their registry (`orgs.csv`) into `dir`.
fn generate(dir: &Path, batch: &Batch, forms: usize) -> anyhow::Result<Generated> {
    let schools = forms.div_ceil(2);
    let enterprises = (schools / 2).max(2);
    let school_specs: Vec<bench_serve::SchoolSpec> = (0..schools)
        .map(|i| bench_serve::school_spec(i, enterprises))
        .collect();
    let enterprise_specs: Vec<bench_serve::EnterpriseSpec> =
        (0..enterprises).map(bench_serve::enterprise_spec).collect();
    let forms_dir = dir.join("forms");
    std::fs::create_dir_all(&forms_dir)
        .with_context(|| format!("无法创建文件夹「{}」", forms_dir.display()))?;

    let mut csv = String::from("\u{feff}单位名称,单位类别,隶属关系,统一社会信用代码,所在区县\n");
    for o in bench_serve::registry_orgs(&school_specs, &enterprise_specs) {
        let _ = writeln!(
            csv,
            "{},{},{},{},{}",
            csv_field(&o.name),
            csv_field(&o.category),
            csv_field(&o.affiliation),
            csv_field(&o.credit_code),
            csv_field(&o.district)
        );
    }
    let orgs = dir.join("orgs.csv");
    std::fs::write(&orgs, csv).with_context(|| format!("无法写入「{}」", orgs.display()))?;

    // (school, which of its two enterprises), in order; people are numbered 14 per school.
    let jobs: Vec<(usize, usize)> = (0..schools)
        .flat_map(|s| [(s, 0), (s, 1)])
        .take(forms)
        .collect();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let chunk = jobs.len().div_ceil(threads).max(1);
    let written: Vec<anyhow::Result<(usize, u64)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .chunks(chunk)
            .map(|part| {
                let (school_specs, enterprise_specs, forms_dir) =
                    (&school_specs, &enterprise_specs, &forms_dir);
                scope.spawn(move || -> anyhow::Result<(usize, u64)> {
                    let (mut people, mut bytes) = (0usize, 0u64);
                    for &(s, which) in part {
                        let school = &school_specs[s];
                        let enterprise = &enterprise_specs[school.enterprises[which]];
                        let rows = bench_serve::form_rows(
                            batch,
                            school,
                            enterprise,
                            which,
                            s * 14 + which * 6,
                        );
                        people += rows.len();
                        let xlsx = filled_xlsx(
                            batch,
                            &Filled {
                                school: school.name.clone(),
                                enterprise: enterprise.name.clone(),
                                rows,
                                filler: bench_serve::person_name(1_000_000 + s),
                                phone: format!("023-6{:07}", 3_865_672 + s),
                                supplementary: true,
                            },
                        )
                        .map_err(|e| anyhow!("{e}"))?;
                        bytes += xlsx.len() as u64;
                        let path =
                            forms_dir.join(format!("{}-{}.xlsx", school.name, enterprise.name));
                        std::fs::write(&path, xlsx)
                            .with_context(|| format!("无法写入「{}」", path.display()))?;
                    }
                    Ok((people, bytes))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow!("生成推荐表的线程异常退出")))
            })
            .collect()
    });
    let (mut people, mut bytes) = (0, 0);
    for w in written {
        let (p, b) = w?;
        people += p;
        bytes += b;
    }
    Ok(Generated {
        forms_dir,
        orgs,
        schools,
        forms: jobs.len(),
        people,
        bytes,
    })
}

/// What one `check` saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Checked {
    forms: usize,
    people: usize,
    findings: usize,
}

/// `shuangshi check --orgs ORGS DIR` without printing: the registry read, the folder collected,
/// every file read and laid out, every rule over all the forms, the text report rendered.
fn check_folder(dir: &Path, orgs: &Path, batch: &Batch) -> anyhow::Result<Checked> {
    let limits = Limits::default();
    let registry = shuangshi_sheet::orgs::read_registry(orgs, batch, &limits)
        .map_err(|e| anyhow!("单位名录{e}"))?;
    let (files, unreadable) = crate::check::collect(&[dir.to_path_buf()]);
    if let Some(u) = unreadable.first() {
        bail!("{}", u.message);
    }
    let mut forms = Vec::new();
    for f in &files {
        let (_, read) = shuangshi_sheet::load_forms_path(f, &limits).map_err(|e| anyhow!("{e}"))?;
        forms.extend(read);
    }
    let report = shuangshi_rules::check(Input {
        batch,
        forms: &forms,
        registry: Some(&registry),
        history: &[],
    });
    let text = crate::render::text(&report, false);
    std::hint::black_box(text.len());
    Ok(Checked {
        forms: report.summary.forms,
        people: report.summary.people,
        findings: report.findings.len(),
    })
}

/// A fresh database for one import: its URL, and what removes it afterwards.
enum Scratch {
    Sqlite(TempDir),
    Postgres { admin: String, name: String },
}

impl Scratch {
    async fn create(
        root: &Path,
        server: Option<&str>,
        run: usize,
    ) -> anyhow::Result<(String, Scratch)> {
        match server {
            None => {
                let dir = root.join(format!("db-{run}"));
                let url = Store::sqlite_url_for_dir(&dir).map_err(|e| anyhow!("{e}"))?;
                Ok((url, Scratch::Sqlite(TempDir(dir))))
            }
            Some(admin) => {
                let stamp = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0);
                let name = format!(
                    "shuangshi_bench_import_{stamp}_{}_{run}",
                    std::process::id()
                );
                let url = bulk::create_database(admin, &name)
                    .await
                    .map_err(|e| anyhow!("无法在 --database-url 所指的服务器上新建数据库：{e}"))?;
                Ok((
                    url,
                    Scratch::Postgres {
                        admin: admin.to_owned(),
                        name,
                    },
                ))
            }
        }
    }

    async fn remove(self) {
        match self {
            Scratch::Sqlite(dir) => drop(dir),
            Scratch::Postgres { admin, name } => {
                if let Err(err) = bulk::drop_database(&admin, &name).await {
                    eprintln!("未能删除数据库 {name}：{err}");
                }
            }
        }
    }
}

/// One import of the folder into a fresh database: migrated, the batch opened and the registry
/// imported (as `orgs import` does) before the clock starts; the import itself timed.
async fn import_once(
    root: &Path,
    server: Option<&str>,
    run: usize,
    generated: &Generated,
) -> anyhow::Result<(Duration, crate::import::Counts)> {
    let (url, scratch) = Scratch::create(root, server, run).await?;
    let result = async {
        let db = DbArgs {
            database_url: Some(url),
            data_dir: PathBuf::from("data"),
        };
        let session = crate::ops::open(&db, &crate::ops::OperatorArgs { operator: None }).await?;
        let batch = crate::ops::batch(&session.app, None).await?;
        let orgs = std::fs::read(&generated.orgs)
            .with_context(|| format!("无法读取「{}」", generated.orgs.display()))?;
        let preview = session
            .app
            .preview_org_import(&generated.orgs.display().to_string(), orgs)
            .await
            .map_err(|e| anyhow!("{e}"))?;
        if !preview.is_ok() {
            bail!("生成的单位名录有问题：{}", preview.problem_text());
        }
        session
            .app
            .commit_org_import(&session.actor, preview.orgs())
            .await
            .map_err(|e| anyhow!("{e}"))?;
        let started = Instant::now();
        let counts = crate::import::import_paths(
            &session.app,
            &session.actor,
            &batch,
            std::slice::from_ref(&generated.forms_dir),
        )
        .await?;
        let took = started.elapsed();
        let _ = session.app.store().clone().close().await;
        anyhow::Ok((took, counts))
    }
    .await;
    scratch.remove().await;
    result
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// `shuangshi bench import`.
pub fn run(opts: Options) -> anyhow::Result<ExitCode> {
    if opts.forms == 0 {
        bail!("--forms 至少为 1，实为「0」");
    }
    let runs = opts.runs.max(1);
    let batch = Batch::batch10();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let root = std::env::temp_dir().join(format!(
        "shuangshi-bench-import-{}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&root)
        .with_context(|| format!("无法创建临时文件夹「{}」", root.display()))?;
    let _guard = TempDir(root.clone());
    println!("临时文件夹：{}（结束后删除）", root.display());

    let started = Instant::now();
    let generated = generate(&root, &batch, opts.forms)?;
    println!(
        "已生成{}的推荐表：学校 {} 所、推荐表 {} 张（xlsx，共 {:.1} MiB）、人员 {} 人，及单位名录 {}。生成耗时 {:.1} 秒。",
        batch.name,
        thousands(generated.schools),
        thousands(generated.forms),
        generated.bytes as f64 / (1024.0 * 1024.0),
        thousands(generated.people),
        generated.orgs.display(),
        started.elapsed().as_secs_f64()
    );
    let backend = if opts.database_url.is_some() {
        "PostgreSQL（每次新建数据库，结束后删除）"
    } else {
        "SQLite（每次新建数据库文件）"
    };
    println!("数据库：{backend}；每项 {runs} 次，取中位数。");

    let runtime = crate::ops::runtime()?;
    let (mut t_check, mut t_import) = (Vec::new(), Vec::new());
    let mut checked = None;
    let mut imported = None;
    for i in 0..runs {
        // Alternate the order so neither side always runs on a warmer cache.
        for step in if i.is_multiple_of(2) { [0, 1] } else { [1, 0] } {
            if step == 0 {
                let start = Instant::now();
                let c = check_folder(&generated.forms_dir, &generated.orgs, &batch)?;
                t_check.push(start.elapsed());
                checked = Some(c);
            } else {
                let (took, counts) = runtime.block_on(import_once(
                    &root,
                    opts.database_url.as_deref(),
                    i,
                    &generated,
                ))?;
                t_import.push(took);
                imported = Some(counts);
            }
        }
    }
    let (Some(checked), Some(imported)) = (checked, imported) else {
        bail!("没有完成任何一次测量");
    };
    let (c, m) = (median(t_check), median(t_import));
    let ratio = m.as_secs_f64() / c.as_secs_f64().max(1e-9);
    let per = |d: Duration| ms(d) / generated.forms.max(1) as f64;

    println!();
    println!("| 步骤 step | 中位耗时 median | 每张推荐表 per form |");
    println!("| --- | ---: | ---: |");
    println!(
        "| shuangshi check（读取 + 识别 + 全部规则 + 报告；{} 张推荐表、{} 人，{} 项结果） | {:.1} ms | {:.2} ms |",
        thousands(checked.forms),
        thousands(checked.people),
        thousands(checked.findings),
        ms(c),
        per(c)
    );
    println!(
        "| shuangshi import（读取 + 匹配单位 + 确认合作 + 整表替换 + 检查并保存 + 各校情况；{} 张推荐表、{} 人，{}） | {:.1} ms | {:.2} ms |",
        thousands(imported.forms),
        thousands(imported.people),
        if opts.database_url.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        },
        ms(m),
        per(m)
    );
    println!(
        "| 比值 import / check（ratio，目标 ≤ {TARGET} ×） | {ratio:.2} × | {} |",
        if ratio <= TARGET {
            "达到目标"
        } else {
            "未达到目标"
        }
    );

    // The import must have done what check saw: every form in, with its people.
    let whole = imported.files == generated.forms
        && imported.forms == checked.forms
        && imported.people == checked.people
        && imported.changed == imported.forms
        && imported.not_imported == 0
        && imported.schools == generated.schools;
    println!();
    println!(
        "核对：import 导入 {} 个文件中的 {} 张推荐表、{} 人（{} 所学校，{} 张有变化，{} 张有错误，{} 个未能导入）；check 读到 {} 张、{} 人：{}",
        thousands(imported.files),
        thousands(imported.forms),
        thousands(imported.people),
        thousands(imported.schools),
        thousands(imported.changed),
        thousands(imported.with_errors),
        imported.not_imported,
        thousands(checked.forms),
        thousands(checked.people),
        if whole { "一致" } else { "不一致" }
    );
    Ok(if whole {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
