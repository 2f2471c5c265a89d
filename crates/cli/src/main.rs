//! `shuangshi` — the command line of the 双千双师交流计划管理系统: run the web service, check forms
//! against the notice, write the official template, print the rule catalogue, make API tokens,
//! verify the audit log, and measure the checker's speed.

mod alloc;
mod bench;
mod bench_dashboard;
mod bench_import;
mod bench_serve;
mod check;
mod demo;
mod export;
mod import;
mod ops;
mod render;
mod serve;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

#[global_allocator]
static ALLOCATOR: alloc::Counting = alloc::Counting;

#[derive(Parser)]
#[command(
    name = "shuangshi",
    version,
    about = "双千双师交流计划管理系统 — 推荐表核验、模板与规则目录"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Format {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum RulesFormat {
    Text,
    Json,
    Markdown,
}

#[derive(Subcommand)]
enum Command {
    /// 启动网页服务（默认使用数据目录中的 SQLite 文件；首次启动时创建管理员账号 admin 并打印一次性密码）
    Serve {
        /// 监听地址
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
        #[command(flatten)]
        db: serve::DbArgs,
        /// 生成演示数据（开放中的第十批、各类学校与企业、每个角色一个账号、各种状态的推荐表），并打印演示账号
        #[arg(long)]
        demo: bool,
        /// 会话 Cookie 加 Secure 标记（经 HTTPS 访问时使用）
        #[arg(long)]
        secure_cookies: bool,
        /// 反向代理改写 Host 时，允许提交表单的来源（如 https://shuangshi.example.gov.cn），可重复
        #[arg(long, value_name = "ORIGIN")]
        trusted_origin: Vec<String>,
        /// 催办提醒的邮件服务器（如 smtp://mail.example.gov.cn:25、smtps://用户名:密码@mail.example.gov.cn:465）；
        /// 不设置时提醒只显示在单位的工作台
        #[arg(long, value_name = "URL", env = "SHUANGSHI_SMTP_URL")]
        smtp_url: Option<String>,
        /// 提醒邮件的发件人
        #[arg(
            long,
            value_name = "ADDRESS",
            default_value = "双千双师交流计划 <noreply@localhost>"
        )]
        smtp_from: String,
        #[command(flatten)]
        listen: serve::ListenArgs,
    },
    /// 单位名录
    Orgs {
        #[command(subcommand)]
        command: OrgsCommand,
    },
    /// 批量导入学校报来的推荐表（文件、文件夹或 zip 压缩包）到批次；合作关系记为市教委确认。
    /// 退出码：0 全部导入且无错误，1 有推荐表带错误，2 有文件或推荐表未能导入
    Import {
        /// 批次名称或编号（如「第十批」或 10）；默认为开放中的批次
        #[arg(long, value_name = "NAME")]
        batch: Option<String>,
        /// 只读取和核验，不写入任何数据
        #[arg(long)]
        dry_run: bool,
        /// 输出格式
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        #[command(flatten)]
        db: serve::DbArgs,
        #[command(flatten)]
        operator: ops::OperatorArgs,
        /// 推荐表文件、文件夹或 zip 压缩包
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
    /// 导出名单：roster（汇总名单）、public（公示名单）、ledger（补助台账）
    Export {
        #[arg(value_enum)]
        what: export::Kind,
        /// 批次名称或编号；默认为开放中的批次
        #[arg(long, value_name = "NAME")]
        batch: Option<String>,
        /// 文件格式
        #[arg(long, value_enum, default_value = "xlsx")]
        format: export::FileFormat,
        /// 输出文件
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// 手机号码、账户账号写完整号码（默认打码；完整导出记入审计日志）
        #[arg(long)]
        full: bool,
        #[command(flatten)]
        db: serve::DbArgs,
        #[command(flatten)]
        operator: ops::OperatorArgs,
    },
    /// 备份整个数据库到一个文件（服务运行时也可执行；SQLite 与 PostgreSQL 格式相同）
    Backup {
        /// 备份文件
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        #[command(flatten)]
        db: serve::DbArgs,
    },
    /// 从备份文件恢复数据库（可恢复到 SQLite 或 PostgreSQL）；目标库已有数据时须加 --force
    Restore {
        /// 备份文件
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// 用备份替换目标数据库中的全部数据
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        db: serve::DbArgs,
    },
    /// API 令牌
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// 审计日志
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// 核验推荐表（.xlsx/.xls/.docx，或包含它们的文件夹）。退出码：0 无错误，1 有错误，2 有文件无法读取
    Check {
        /// 单位名录（CSV 或 xlsx：单位名称,单位类别,隶属关系,统一社会信用代码,所在区县）
        #[arg(long, value_name = "FILE")]
        orgs: Option<PathBuf>,
        /// 批次参数文件（TOML）；默认为内置的第十批
        #[arg(long, value_name = "FILE")]
        batch: Option<PathBuf>,
        /// 往批次名单（CSV 或 xlsx：批次,姓名,派出单位,手机号码），用于 D03
        #[arg(long, value_name = "FILE")]
        history: Option<PathBuf>,
        /// 输出格式
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// 为每个输入文件写一份标注副本（问题单元格标红/黄，并加「核验意见」列）到此文件夹
        #[arg(long, value_name = "DIR")]
        annotate: Option<PathBuf>,
        /// 推荐表文件或文件夹
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
    /// 生成空白的官方推荐表模板（xlsx）
    Template {
        /// 输出文件；默认为「推荐表模板.xlsx」
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// 批次参数文件（TOML）；默认为内置的第十批
        #[arg(long, value_name = "FILE")]
        batch: Option<PathBuf>,
    },
    /// 打印规则目录
    Rules {
        #[arg(long, value_enum, default_value = "text")]
        format: RulesFormat,
    },
    /// 性能测试：生成一个官方格式的推荐表，对比 check 与 calamine 直接读取所有单元格的耗时和内存峰值；
    /// `bench serve` 测网页服务，`bench dashboard` 测工作台与汇总名单的规模，`bench import` 测批量导入
    Bench {
        #[command(subcommand)]
        mode: Option<BenchMode>,
        /// 推荐表中的人数
        #[arg(long, default_value_t = 10_000)]
        people: usize,
        /// 每项重复次数（取中位数）
        #[arg(long, default_value_t = 7)]
        runs: usize,
        /// 保留生成的工作簿到此路径
        #[arg(long, value_name = "FILE")]
        keep: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum BenchMode {
    // The hidden steps of the process benchmark (calamine-read, rusage).
    #[command(flatten)]
    Child(bench::Child),
    /// 服务端基准：在新建的临时数据库中生成整批数据（--scale 1：300 所学校、600 张推荐表、约 4,200 人），
    /// 在本机启动网页服务，用多个并发客户端依次测各端点的每秒请求数与延迟
    Serve {
        /// 数据规模：1 为 300 所学校、600 张推荐表；10 为其十倍
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
        scale: u32,
        /// 并发客户端数
        #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=1024))]
        clients: u64,
        /// 每个端点测量的秒数
        #[arg(long, default_value_t = 5.0)]
        seconds: f64,
        /// 使用此 PostgreSQL 数据库（须为新建的空库）；默认在新建的临时目录中使用 SQLite
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
        /// 学校数（代替 --scale，用于快速试跑）
        #[arg(long, hide = true)]
        schools: Option<usize>,
    },
    /// 工作台与汇总名单的规模测试：在新建的数据库中直接写入多个批次的数据（默认 20 批共 1,000,000 人），
    /// 测市教委工作台（当前批次）与汇总名单第一页（不筛选、按学校筛选）的耗时
    Dashboard {
        /// 全部批次的人数合计
        #[arg(long, default_value_t = 1_000_000)]
        people: usize,
        /// 批次数（最后一批为开放中的当前批次，其前一批在聘期中）
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=99))]
        batches: u64,
        /// PostgreSQL 服务器（如 postgres://postgres@127.0.0.1:5432/test）：在其上新建一个数据库，结束后删除；
        /// 默认在新建的临时目录中使用 SQLite
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
        /// 每项重复次数（取中位数与最大值）
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// 结束后保留数据库（SQLite 文件或 PostgreSQL 数据库）
        #[arg(long)]
        keep: bool,
        /// 先删除迁移 m0006_scale 的索引再生成数据（测加索引之前）
        #[arg(long)]
        without_indexes: bool,
        /// 打印工作台与汇总名单背后各查询的查询计划（PostgreSQL 为 EXPLAIN ANALYZE）
        #[arg(long)]
        explain: bool,
    },
    /// 批量导入的基准：在临时文件夹中生成整批推荐表（默认 600 张 xlsx，300 所学校，约 4,200 人）及单位名录，
    /// 对比 check 该文件夹与 import 该文件夹到新建数据库的耗时（目标：import 不超过 check 的 1.5 倍）
    Import {
        /// 生成的推荐表张数（每所学校两张）
        #[arg(long, default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..=100_000))]
        forms: u64,
        /// 每项重复次数（取中位数）
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// PostgreSQL 服务器（如 postgres://postgres@127.0.0.1:5432/test）：每次导入在其上新建一个数据库，结束后删除；
        /// 默认每次在临时文件夹中新建 SQLite 数据库
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
    },
}

#[derive(Subcommand)]
enum OrgsCommand {
    /// 导入单位名录（CSV：UTF-8 或 GBK；或 xlsx），与网页「单位名录 → 导入」相同：整体导入，有任何问题则不导入。
    /// 退出码：0 已导入（或预检通过），1 名录有问题
    Import {
        /// 只预检，不写入
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        db: serve::DbArgs,
        #[command(flatten)]
        operator: ops::OperatorArgs,
        /// 单位名录文件
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// 为账号生成 API 令牌；令牌只打印一次，在最后一行
    Create {
        /// 用户名
        #[arg(long, value_name = "NAME")]
        user: String,
        /// 令牌名称（说明用途）
        #[arg(long, default_value = "命令行生成")]
        name: String,
        #[command(flatten)]
        db: serve::DbArgs,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// 校验审计日志的哈希链。退出码：0 完整，1 有记录被改动或删除（并指出第一条）
    Verify {
        #[command(flatten)]
        db: serve::DbArgs,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check {
            orgs,
            batch,
            history,
            format,
            annotate,
            paths,
        } => check::run(check::Options {
            orgs,
            batch,
            history,
            json: format == Format::Json,
            annotate,
            paths,
        }),
        Command::Template { out, batch } => template(out, batch),
        Command::Rules { format } => {
            match format {
                RulesFormat::Text => print!("{}", shuangshi_rules::catalogue::text()),
                RulesFormat::Markdown => print!("{}", shuangshi_rules::catalogue::markdown()),
                RulesFormat::Json => match serde_json::to_string_pretty(shuangshi_rules::RULES) {
                    Ok(s) => println!("{s}"),
                    Err(e) => eprintln!("错误：{e}"),
                },
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            mode: Some(BenchMode::Child(step)),
            ..
        } => bench::child(step),
        Command::Bench {
            mode:
                Some(BenchMode::Serve {
                    scale,
                    clients,
                    seconds,
                    database_url,
                    schools,
                }),
            ..
        } => bench_serve::run(bench_serve::Options {
            scale,
            schools,
            clients: usize::try_from(clients).unwrap_or(16),
            seconds,
            database_url,
        }),
        Command::Bench {
            mode:
                Some(BenchMode::Dashboard {
                    people,
                    batches,
                    database_url,
                    runs,
                    keep,
                    without_indexes,
                    explain,
                }),
            ..
        } => bench_dashboard::run(bench_dashboard::Options {
            people,
            batches: usize::try_from(batches).unwrap_or(20),
            database_url,
            runs,
            keep,
            without_indexes,
            explain,
        }),
        Command::Bench {
            mode:
                Some(BenchMode::Import {
                    forms,
                    runs,
                    database_url,
                }),
            ..
        } => bench_import::run(bench_import::Options {
            forms: usize::try_from(forms).unwrap_or(600),
            runs,
            database_url,
        }),
        Command::Bench {
            mode: None,
            people,
            runs,
            keep,
        } => bench::run(people, runs.max(1), keep),
        Command::Serve {
            addr,
            db,
            demo,
            secure_cookies,
            trusted_origin,
            smtp_url,
            smtp_from,
            listen,
        } => serve::serve(serve::ServeOptions {
            addr,
            db,
            demo,
            secure_cookies,
            trusted_origins: trusted_origin,
            smtp: smtp_url.map(|url| (url, smtp_from)),
            listen,
        }),
        Command::Orgs {
            command:
                OrgsCommand::Import {
                    dry_run,
                    db,
                    operator,
                    file,
                },
        } => ops::orgs_import(&db, &operator, &file, dry_run),
        Command::Import {
            batch,
            dry_run,
            format,
            db,
            operator,
            paths,
        } => import::run(import::Options {
            db,
            operator,
            batch,
            dry_run,
            json: format == Format::Json,
            paths,
        }),
        Command::Export {
            what,
            batch,
            format,
            out,
            full,
            db,
            operator,
        } => export::run(export::Options {
            full,
            what,
            batch,
            format,
            out,
            db,
            operator,
        }),
        Command::Backup { out, db } => ops::backup(&db, &out),
        Command::Restore { file, force, db } => ops::restore(&db, &file, force),
        Command::Token {
            command: TokenCommand::Create { user, name, db },
        } => serve::token_create(&db, &user, &name),
        Command::Audit {
            command: AuditCommand::Verify { db },
        } => serve::audit_verify(&db),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("错误：{e:#}");
            ExitCode::from(2)
        }
    }
}

/// Loads `--batch FILE`, or the embedded batch 10.
pub(crate) fn load_batch(path: Option<&PathBuf>) -> anyhow::Result<shuangshi_rules::Batch> {
    match path {
        None => Ok(shuangshi_rules::Batch::batch10()),
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| {
                anyhow::anyhow!(
                    "批次参数文件「{}」无法读取：{}",
                    p.display(),
                    shuangshi_sheet::io_reason(&e)
                )
            })?;
            shuangshi_rules::Batch::from_toml(&text)
                .map_err(|e| anyhow::anyhow!("批次参数文件「{}」：{e}", p.display()))
        }
    }
}

fn template(out: Option<PathBuf>, batch: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let batch = load_batch(batch.as_ref())?;
    let out = out.unwrap_or_else(|| PathBuf::from("推荐表模板.xlsx"));
    let bytes =
        shuangshi_sheet::write::template_xlsx(&batch).map_err(|e| anyhow::anyhow!("{e}"))?;
    std::fs::write(&out, bytes).map_err(|e| {
        anyhow::anyhow!(
            "无法写入「{}」：{}",
            out.display(),
            shuangshi_sheet::io_reason(&e)
        )
    })?;
    println!("已生成{}推荐表模板：{}", batch.name, out.display());
    Ok(ExitCode::SUCCESS)
}
