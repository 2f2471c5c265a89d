//! The commands that work on the service's database: `serve` (the web application), `token
//! create` (an API token, printed once on the last line) and `audit verify` (the hash chain).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

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
    /// The SMTP server URL and the sender of reminder e-mails.
    pub smtp: Option<(String, String)>,
    pub listen: ListenArgs,
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
    let descriptors = raise_descriptor_limit();
    let mailer = match &opts.smtp {
        Some((url, from)) => {
            Some(shuangshi_app::mail::Mailer::new(url, from).map_err(|e| anyhow!("{e}"))?)
        }
        None => None,
    };
    let store = opts.db.open().await?;
    store.warm_login();
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
    let mut state = AppState::new(config, store);
    if let Some(m) = mailer {
        println!("催办提醒将通过邮件服务器 {} 发送", m.server());
        state = state.with_mailer(m);
    }
    let app = shuangshi_web::router(state);
    let listener = tokio::net::TcpListener::bind(opts.addr)
        .await
        .with_context(|| format!("无法监听 {}（端口是否已被占用？）", opts.addr))?;
    let local = listener.local_addr().unwrap_or(opts.addr);
    println!("双千双师交流计划管理系统已启动：http://{local}/");
    let limits = opts.listen.limits(descriptors);
    tracing::info!(
        max_connections = limits.max_connections,
        header_read_timeout_secs = limits.header_read_timeout.as_secs_f64(),
        "listening"
    );
    serve_connections(listener, app, limits, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await;
    deletion.abort();
    Ok(ExitCode::SUCCESS)
}

/// The hidden options of `serve` that bound what one client can hold: how long a connection may
/// take to send a request's headers (or stay idle between requests), and how many connections
/// are served at once.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ListenArgs {
    /// 等待请求头（以及保持连接时等待下一个请求）的最长秒数；默认 10
    #[arg(long, value_name = "SECS", hide = true)]
    pub header_read_timeout: Option<f64>,
    /// 同时服务的最多连接数；默认按文件描述符上限留出余量
    #[arg(long, value_name = "N", hide = true)]
    pub max_connections: Option<usize>,
}

/// How long a client may take to send its request headers, and how long a kept-alive connection
/// may wait for its next request, by default.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Descriptors kept free of client connections: the database pool, the data files, logs.
const RESERVED_DESCRIPTORS: u64 = 256;

/// The bounds the accept loop works within.
#[derive(Debug, Clone, Copy)]
pub struct ListenLimits {
    pub header_read_timeout: Duration,
    pub max_connections: usize,
}

impl ListenArgs {
    /// The limits given, else the defaults for a process that may open `descriptors` files.
    pub fn limits(&self, descriptors: u64) -> ListenLimits {
        let header_read_timeout = self
            .header_read_timeout
            .filter(|s| s.is_finite() && *s > 0.0)
            .map_or(DEFAULT_HEADER_READ_TIMEOUT, |s| {
                Duration::from_secs_f64(s.min(3600.0))
            });
        let by_descriptors = descriptors
            .saturating_sub(RESERVED_DESCRIPTORS.max(descriptors / 8))
            .max(16);
        let max_connections = self
            .max_connections
            .unwrap_or(usize::try_from(by_descriptors).unwrap_or(usize::MAX))
            .max(1);
        ListenLimits {
            header_read_timeout,
            max_connections,
        }
    }
}

/// Raises the soft limit on open files to the hard limit (a service holds one descriptor per
/// connection; the default soft limit of 1,024 is reached by a thousand idle clients) and
/// returns the limit now in force.
#[cfg(unix)]
fn raise_descriptor_limit() -> u64 {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    match getrlimit(Resource::RLIMIT_NOFILE) {
        Ok((soft, hard)) if soft < hard => match setrlimit(Resource::RLIMIT_NOFILE, hard, hard) {
            Ok(()) => hard,
            Err(e) => {
                tracing::warn!(error = %e, soft, hard, "open-file limit not raised");
                soft
            }
        },
        Ok((soft, _)) => soft,
        Err(e) => {
            tracing::warn!(error = %e, "open-file limit unknown");
            1024
        }
    }
}

#[cfg(not(unix))]
fn raise_descriptor_limit() -> u64 {
    8192
}

/// Serves `app` on `listener` until `shutdown` completes, then stops accepting and waits for the
/// open connections to finish (idle ones are closed at once).
///
/// Each connection is HTTP/1.1 with a header-read timeout, which also bounds how long a kept-alive
/// connection may sit idle; at most `limits.max_connections` are served at once, and a connection
/// beyond that is accepted and closed straight away so its descriptor is freed.
async fn serve_connections(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    limits: ListenLimits,
    shutdown: impl std::future::Future<Output = ()>,
) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::Service;

    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    let mut refused: u64 = 0;
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of descriptors or a connection reset before it was accepted: wait a
                    // moment rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            refused += 1;
            if refused.is_power_of_two() {
                tracing::warn!(
                    refused,
                    max = limits.max_connections,
                    "connection limit reached, connection closed"
                );
            }
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let router = app.clone();
        let service = hyper::service::service_fn(
            move |mut request: axum::http::Request<hyper::body::Incoming>| {
                request
                    .extensions_mut()
                    .insert(axum::extract::ConnectInfo(remote));
                router.clone().call(request)
            },
        );
        let connection = http.serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, %remote, "connection ended");
            }
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
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
