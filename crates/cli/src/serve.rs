//! The commands that work on the service's database: `serve` (the web application), `token
//! create` (an API token, printed once on the last line) and `audit verify` (the hash chain).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, anyhow};
use shuangshi_store::{Actor, Store};
use shuangshi_web::{AppState, WebConfig};

/// Where the database is: `--database-url`, else `DIR/shuangshi.db` (`--data-dir`, default
/// `./data`).
#[derive(Debug, Clone, clap::Args)]
pub struct DbArgs {
    /// 数据库地址：postgres://用户@主机/库名（默认使用数据目录中的 SQLite 文件）
    #[arg(long, value_name = "URL", env = "SHUANGSHI_DATABASE_URL")]
    pub database_url: Option<String>,
    /// 数据目录（SQLite 文件 shuangshi.db 所在）；默认为 ./data
    #[arg(long, value_name = "DIR", default_value = "data")]
    pub data_dir: PathBuf,
}

impl DbArgs {
    /// The database URL these options name (creating the data directory for SQLite).
    pub fn url(&self) -> anyhow::Result<String> {
        match &self.database_url {
            Some(u) => Ok(u.clone()),
            None => Store::sqlite_url_for_dir(&self.data_dir).map_err(|e| anyhow!("{e}")),
        }
    }

    /// Opens (and migrates) the database.
    pub async fn open(&self) -> anyhow::Result<Store> {
        let url = self.url()?;
        Store::connect(&url).await.map_err(|e| anyhow!("{e}"))
    }
}

/// The options of `serve`.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub addr: SocketAddr,
    pub db: DbArgs,
    pub demo: bool,
    pub secure_cookies: bool,
    pub trusted_origins: Vec<String>,
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("无法启动异步运行时")
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .try_init();
}

/// `shuangshi serve`.
pub fn serve(opts: ServeOptions) -> anyhow::Result<ExitCode> {
    init_logging();
    runtime()?.block_on(serve_async(opts))
}

async fn serve_async(opts: ServeOptions) -> anyhow::Result<ExitCode> {
    let store = opts.db.open().await?;
    if let Some(password) = store.bootstrap_admin().await.map_err(|e| anyhow!("{e}"))? {
        println!("已创建市教委管理员账号 admin，一次性密码：{password}");
        println!("（此密码只显示这一次；首次登录后必须修改）");
    }
    if opts.demo {
        crate::demo::seed(&store).await?;
    }
    let config = WebConfig {
        secure_cookies: opts.secure_cookies,
        trusted_origins: opts.trusted_origins.clone(),
        ..WebConfig::default()
    };
    let deletion = tokio::spawn(delete_expired_sessions(store.clone()));
    let app = shuangshi_web::router(AppState::new(config, store));
    let listener = tokio::net::TcpListener::bind(opts.addr)
        .await
        .with_context(|| format!("无法监听 {}（端口是否已被占用？）", opts.addr))?;
    let local = listener.local_addr().unwrap_or(opts.addr);
    println!("双千双师交流计划管理系统已启动：http://{local}/");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .context("服务异常退出")?;
    deletion.abort();
    Ok(ExitCode::SUCCESS)
}

/// Removes expired sessions every ten minutes.
async fn delete_expired_sessions(store: Store) {
    use shuangshi_web::session::ExpiredDeletion;
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
    loop {
        tick.tick().await;
        if let Err(e) = store.delete_expired().await {
            tracing::warn!(error = %e, "expired sessions not deleted");
        }
    }
}

/// `shuangshi token create --user NAME`: prints the token once, on the last line.
pub fn token_create(db: &DbArgs, user: &str, name: &str) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let store = db.open().await?;
        let account = store
            .get_user_by_username(user)
            .await
            .map_err(|e| anyhow!("{e}"))?
            .ok_or_else(|| anyhow!("没有用户名为「{user}」的账号"))?;
        if !account.active {
            return Err(anyhow!("账号「{user}」已停用，不能为其生成令牌"));
        }
        let (token, plaintext) = store
            .create_token(account.id, name, &Actor::system())
            .await
            .map_err(|e| anyhow!("{e}"))?;
        println!(
            "已为「{}」（{}）生成 API 令牌「{}」（编号 {}）。令牌只显示这一次，请妥善保存：",
            account.username,
            account.role.label(),
            token.name,
            token.id
        );
        println!("{plaintext}");
        Ok(ExitCode::SUCCESS)
    })
}

/// `shuangshi audit verify`: 0 when the chain is intact, 1 naming the first broken entry.
pub fn audit_verify(db: &DbArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let store = db.open().await?;
        let check = store.verify_audit().await.map_err(|e| anyhow!("{e}"))?;
        match check.broken {
            None => {
                println!(
                    "审计日志校验通过：共 {} 条记录，哈希链完整。",
                    check.checked
                );
                Ok(ExitCode::SUCCESS)
            }
            Some(b) => {
                println!("审计日志校验未通过：{b}");
                println!("（此前 {} 条记录完好）", check.checked);
                Ok(ExitCode::from(1))
            }
        }
    })
}
