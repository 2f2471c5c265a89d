//! What the commission's commands share (`orgs import`, `import`, `export`): the database opened
//! and migrated as `serve` opens it, with the embedded 第十批 created and opened in a database that
//! has no batch yet, and the [`Actor`] the audit log records: `--operator NAME` (a 市教委管理员
//! account) or the command line under the OS user.

use anyhow::{Context, anyhow};
use shuangshi_app::App;
use shuangshi_store::{Actor, BatchRecord, Role};

use crate::serve::DbArgs;

/// The options every commission command takes besides the database.
#[derive(Debug, Clone, clap::Args)]
pub struct OperatorArgs {
    /// 以此市教委管理员账号的名义操作（记入审计日志）；默认记为「命令行（操作系统用户名）」
    #[arg(long, value_name = "NAME")]
    pub operator: Option<String>,
}

/// The actor the command line writes to the audit log without `--operator`.
pub fn os_actor() -> Actor {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .ok()
        .map(|u| u.trim().to_owned())
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "未知用户".to_owned());
    Actor {
        user_id: None,
        name: format!("命令行（{user}）"),
        ip: String::new(),
    }
}

pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("无法启动异步运行时")
}

/// The opened database, the use cases over it, and who acts.
pub struct Session {
    pub app: App,
    pub actor: Actor,
}

/// Opens (creating and migrating) the database, makes sure a batch exists, and resolves the
/// operator.
pub async fn open(db: &DbArgs, operator: &OperatorArgs) -> anyhow::Result<Session> {
    let store = db.open().await?;
    let actor = match operator.operator.as_deref().map(str::trim) {
        None | Some("") => os_actor(),
        Some(name) => {
            let user = store
                .get_user_by_username(name)
                .await
                .map_err(|e| anyhow!("{e}"))?
                .ok_or_else(|| {
                    anyhow!("--operator：没有用户名为「{name}」的账号；请填写市教委管理员的用户名")
                })?;
            if user.role != Role::Admin {
                return Err(anyhow!(
                    "--operator：账号「{name}」是{}，不是市教委管理员；只有市教委管理员可以执行此命令",
                    user.role.label()
                ));
            }
            if !user.active {
                return Err(anyhow!("--operator：账号「{name}」已停用"));
            }
            Actor::user(user.id, &user.username, "")
        }
    };
    let app = App::new(store);
    ensure_batch(&app, &actor).await?;
    Ok(Session { app, actor })
}

/// In a database without any batch, creates the embedded 第十批 and opens it.
async fn ensure_batch(app: &App, actor: &Actor) -> anyhow::Result<()> {
    let store = app.store();
    if !store
        .list_batches()
        .await
        .map_err(|e| anyhow!("{e}"))?
        .is_empty()
    {
        return Ok(());
    }
    let batch = match store
        .create_batch(&shuangshi_rules::Batch::batch10(), actor)
        .await
    {
        Ok(b) => b,
        // Another process created it in the meantime.
        Err(shuangshi_store::StoreError::Conflict(_)) => return Ok(()),
        Err(e) => return Err(anyhow!("{e}")),
    };
    store
        .open_batch(batch.id, actor)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    Ok(())
}

/// The batch `--batch NAME` names (by name or number), else the current one.
pub async fn batch(app: &App, name: Option<&str>) -> anyhow::Result<BatchRecord> {
    let all = app
        .store()
        .list_batches()
        .await
        .map_err(|e| anyhow!("{e}"))?;
    match name.map(str::trim).filter(|n| !n.is_empty()) {
        None => shuangshi_app::orgs::pick_current(&all)
            .cloned()
            .ok_or_else(|| anyhow!("数据库中还没有批次")),
        Some(n) => {
            let wanted = shuangshi_rules::text::norm(n);
            all.iter()
                .find(|b| {
                    shuangshi_rules::text::norm(&b.name) == wanted || b.number.to_string() == wanted
                })
                .cloned()
                .ok_or_else(|| {
                    let names: Vec<String> = all
                        .iter()
                        .map(|b| format!("{}（编号 {}）", b.name, b.number))
                        .collect();
                    anyhow!(
                        "--batch：没有名为「{n}」的批次；现有批次：{}",
                        names.join("、")
                    )
                })
        }
    }
}

/// `shuangshi orgs import FILE [--dry-run]`: the registry import of the web page (preview, then
/// all or nothing), with the same counts.
pub fn orgs_import(
    db: &DbArgs,
    operator: &OperatorArgs,
    file: &std::path::Path,
    dry_run: bool,
) -> anyhow::Result<std::process::ExitCode> {
    let shown = file.display().to_string();
    let bytes = std::fs::read(file).map_err(|e| {
        anyhow!(
            "单位名录文件「{shown}」无法读取：{}",
            shuangshi_sheet::io_reason(&e)
        )
    })?;
    runtime()?.block_on(async {
        let session = open(db, operator).await?;
        let preview = session
            .app
            .preview_org_import(&shown, bytes)
            .await
            .map_err(|e| anyhow!("{e}"))?;
        if !preview.is_ok() {
            println!("{}", preview.problem_text());
            return Ok(std::process::ExitCode::from(1));
        }
        for r in preview
            .rows
            .iter()
            .filter(|r| r.change != shuangshi_app::orgs::Change::Unchanged)
        {
            println!(
                "  {}：{}（{}）",
                r.change.label(),
                r.org.name.trim(),
                r.org.category.trim()
            );
        }
        if dry_run {
            println!(
                "{}",
                shuangshi_app::orgs::summary_text(
                    true,
                    preview.inserted,
                    preview.updated,
                    preview.unchanged
                )
            );
            return Ok(std::process::ExitCode::SUCCESS);
        }
        let summary = session
            .app
            .commit_org_import(&session.actor, preview.orgs())
            .await
            .map_err(|e| anyhow!("单位名录未导入：{e}"))?;
        println!(
            "{}",
            shuangshi_app::orgs::summary_text(
                false,
                summary.inserted,
                summary.updated,
                summary.unchanged
            )
        );
        Ok(std::process::ExitCode::SUCCESS)
    })
}

/// `shuangshi backup --out FILE`.
pub fn backup(db: &DbArgs, out: &std::path::Path) -> anyhow::Result<std::process::ExitCode> {
    runtime()?.block_on(async {
        let store = db.open().await?;
        let manifest = store.backup_to(out).await.map_err(|e| anyhow!("{e}"))?;
        for t in &manifest.tables {
            println!(
                "  {:<22} {:>8} 行  {}",
                t.name,
                t.rows,
                &t.sha256[..16.min(t.sha256.len())]
            );
        }
        println!(
            "已备份：{} 张表、{} 行 → {}（总校验值 {}）",
            manifest.tables.len(),
            manifest.rows(),
            out.display(),
            manifest.sha256
        );
        Ok(std::process::ExitCode::SUCCESS)
    })
}

/// `shuangshi restore FILE [--force]`.
pub fn restore(
    db: &DbArgs,
    file: &std::path::Path,
    force: bool,
) -> anyhow::Result<std::process::ExitCode> {
    runtime()?.block_on(async {
        let store = db.open().await?;
        let manifest = store
            .restore_from(file, force)
            .await
            .map_err(|e| anyhow!("未恢复：{e}"))?;
        let check = store.verify_audit().await.map_err(|e| anyhow!("{e}"))?;
        println!(
            "已恢复：{} 张表、{} 行（备份于 {}，来源 {}）；审计日志 {} 条，哈希链{}",
            manifest.tables.len(),
            manifest.rows(),
            manifest.created_at,
            manifest.source,
            check.checked,
            if check.broken.is_none() {
                "完整"
            } else {
                "不完整"
            }
        );
        Ok(if check.broken.is_none() {
            std::process::ExitCode::SUCCESS
        } else {
            std::process::ExitCode::from(1)
        })
    })
}
