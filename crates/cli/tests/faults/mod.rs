//! Faults of the real binary: a flood of idle connections, `kill -9` in the middle of row
//! replacements and imports, and two instances on one database. On PostgreSQL when
//! `TEST_DATABASE_URL` is set, else on an SQLite file (each test its own database).

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use shuangshi_rules::{Batch, Cell, Column, PersonRow};
use shuangshi_sheet::write::{Filled, filled_xlsx};
use shuangshi_store::testing::TestDb;
use shuangshi_store::{Actor, FormContent, NewUser, Role, Scope};

// ---------------------------------------------------------------------------------------------
// The server process and a small HTTP/1.1 client.

/// A running `shuangshi serve`; killed (SIGKILL) when dropped.
pub(super) struct Server {
    child: Child,
    pub(super) port: u16,
}

impl Server {
    /// Starts `serve` with `args` (through `prefix`, e.g. `prlimit …`, when given) and waits until
    /// it answers `/healthz`.
    pub(super) fn start(prefix: &[String], args: &[String]) -> Server {
        let port = super::free_port();
        let (program, pre) = match prefix.split_first() {
            Some((p, rest)) => (p.clone(), rest.to_vec()),
            None => (env!("CARGO_BIN_EXE_shuangshi").to_owned(), Vec::new()),
        };
        let mut command = Command::new(program);
        command.args(pre);
        if !prefix.is_empty() {
            command.arg(env!("CARGO_BIN_EXE_shuangshi"));
        }
        let child = command
            .arg("serve")
            .arg("--addr")
            .arg(format!("127.0.0.1:{port}"))
            .args(args)
            .env_remove("SHUANGSHI_DATABASE_URL")
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut server = Server { child, port };
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(r) = get(port, "/healthz", Duration::from_secs(2))
                && r.status == 200
            {
                return server;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("serve exited with {status}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("serve did not answer /healthz within a minute");
    }

    /// `serve` on the test database.
    fn on(db: &TestDb) -> Server {
        Server::start(&[], &["--database-url".to_owned(), db.url().to_owned()])
    }

    /// SIGKILL, and wait for the process to be gone.
    fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}

#[derive(Debug)]
pub(super) struct Answer {
    pub(super) status: u16,
    headers: Vec<(String, String)>,
    pub(super) body: String,
}

impl Answer {
    pub(super) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One request on a fresh connection (`Connection: close`); the whole answer.
pub(super) fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    timeout: Duration,
) -> std::io::Result<Answer> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\
         Content-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::new(ErrorKind::UnexpectedEof, "no answer head"))?;
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::new(ErrorKind::InvalidData, "no status"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    if chunked {
        body = dechunk(&body);
    }
    Ok(Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&body).to_string(),
    })
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for _ in 0..100_000 {
        let Some(eol) = raw.windows(2).position(|w| w == b"\r\n") else {
            break;
        };
        let size = std::str::from_utf8(&raw[..eol])
            .ok()
            .and_then(|s| usize::from_str_radix(s.split(';').next().unwrap_or("").trim(), 16).ok())
            .unwrap_or(0);
        raw = &raw[eol + 2..];
        if size == 0 || size > raw.len() {
            break;
        }
        out.extend_from_slice(&raw[..size]);
        raw = raw.get(size + 2..).unwrap_or(&[]);
    }
    out
}

fn get(port: u16, path: &str, timeout: Duration) -> std::io::Result<Answer> {
    http(port, "GET", path, &[], b"", timeout)
}

/// A deterministic sequence of numbers (the seed is printed by the tests that use it).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo).max(1)
    }
}

fn kill_seed() -> u64 {
    std::env::var("FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(7, |d| d.as_nanos() as u64)
        })
}

// ---------------------------------------------------------------------------------------------
// Idle connections.

/// The open-file limits of this process, the soft one raised to the hard one (the test itself
/// holds two thousand sockets).
fn descriptor_limits() -> (u64, u64) {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
    if soft < hard {
        setrlimit(Resource::RLIMIT_NOFILE, hard, hard).unwrap();
    }
    (soft, hard)
}

/// `count` connections that each send half a request line and then nothing.
fn idle_connections(port: u16, count: usize) -> Vec<TcpStream> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut open = Vec::with_capacity(count);
    while open.len() < count && Instant::now() < deadline {
        match TcpStream::connect_timeout(&addr, Duration::from_secs(2)) {
            Ok(mut s) => {
                let _ = s.write_all(b"GET /healthz HT");
                open.push(s);
            }
            Err(e) => panic!("connection {} refused: {e}", open.len()),
        }
    }
    assert_eq!(open.len(), count, "could not open {count} connections");
    open
}

/// How many of `streams` the server has closed (EOF or reset on read).
fn closed_by_server(streams: &mut [TcpStream]) -> usize {
    let mut closed = 0;
    let mut buf = [0u8; 512];
    for s in streams.iter_mut() {
        let _ = s.set_read_timeout(Some(Duration::from_millis(5)));
        let mut done = false;
        for _ in 0..16 {
            match s.read(&mut buf) {
                Ok(0) => {
                    done = true;
                    break;
                }
                // A 408 or similar before the close: keep reading.
                Ok(_) => continue,
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    break;
                }
                Err(_) => {
                    done = true;
                    break;
                }
            }
        }
        closed += usize::from(done);
    }
    closed
}

/// `/healthz` answers 200 within `within`.
fn healthz_within(port: u16, within: Duration) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < within {
        if let Ok(r) = get(port, "/healthz", Duration::from_millis(500))
            && r.status == 200
            && r.body.trim() == "ok"
        {
            return Some(start.elapsed());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

#[test]
fn idle_connections_are_closed_and_capped_and_healthz_keeps_answering() {
    let (_, hard) = descriptor_limits();
    assert!(
        hard >= 2_400,
        "the test needs an open-file hard limit of 2,400, got {hard}"
    );
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_arg = data.display().to_string();

    // Started with the usual soft limit of 1,024: the server raises it, so two thousand idle
    // clients do not exhaust its descriptors; after the header-read timeout they are gone.
    let prlimit = ["/usr/bin/prlimit", "/bin/prlimit"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists());
    let prefix: Vec<String> = prlimit
        .map(|p| vec![p.to_owned(), "--nofile=1024:".to_owned(), "--".to_owned()])
        .unwrap_or_default();
    let server = Server::start(
        &prefix,
        &[
            "--data-dir".into(),
            data_arg.clone(),
            "--header-read-timeout".into(),
            "2".into(),
        ],
    );
    let opened = Instant::now();
    let mut idle = idle_connections(server.port, 2_000);
    let took = healthz_within(server.port, Duration::from_secs(3));
    assert!(
        took.is_some(),
        "/healthz did not answer within 3 s beside 2,000 idle connections"
    );
    std::thread::sleep(
        (Duration::from_secs(2) + Duration::from_millis(1_500)).saturating_sub(opened.elapsed()),
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut closed = closed_by_server(&mut idle);
    while closed < idle.len() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(250));
        closed = closed_by_server(&mut idle);
    }
    assert_eq!(
        closed,
        idle.len(),
        "idle connections still open after the 2 s header-read timeout"
    );
    drop(idle);
    drop(server);

    // With a cap of 100 and a long header timeout, the connections beyond the cap are closed at
    // once; when the clients holding the slots go, the service answers again.
    let server = Server::start(
        &[],
        &[
            "--data-dir".into(),
            data_arg,
            "--header-read-timeout".into(),
            "60".into(),
            "--max-connections".into(),
            "100".into(),
        ],
    );
    let mut idle = idle_connections(server.port, 2_000);
    std::thread::sleep(Duration::from_millis(500));
    let closed = closed_by_server(&mut idle);
    assert!(
        (1_850..=1_900).contains(&closed),
        "{closed} of 2,000 closed at once, expected all but the 100 slots (some slots may be taken by the start-up probe)"
    );
    drop(idle);
    assert!(
        healthz_within(server.port, Duration::from_secs(5)).is_some(),
        "/healthz did not answer once the idle clients had gone"
    );
}

// ---------------------------------------------------------------------------------------------
// A school with a form, seeded through the store.

const PASSWORD: &str = "Test-Password-123";

struct Seeded {
    db: TestDb,
    names: Names,
    username: String,
}

/// What a writer needs to know of the seeded school.
#[derive(Clone)]
struct Names {
    school: String,
    enterprise: String,
    form_id: i64,
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn teacher(s: &Names, mobile: &str) -> Vec<(Column, String)> {
    [
        (Column::Seq, "1"),
        (Column::Batch, "第十批"),
        (Column::Name, "张三"),
        (Column::SendingUnit, &s.school),
        (Column::AdminPost, "无"),
        (Column::Field, "机械制造"),
        (Column::Title, "副教授"),
        (Column::TeacherQualification, "高等学校教师资格"),
        (Column::SkillQualification, "无"),
        (Column::Mobile, mobile),
        (Column::Term, "2024年春季学期"),
        (Column::ReceivingUnit, &s.enterprise),
        (Column::Post, "科技副总"),
        (Column::Bank, "中国工商银行重庆分行"),
        (Column::AccountName, &s.school),
        (Column::AccountNumber, "3100012345678901234"),
        (Column::Direction, "学校派出"),
        (Column::TeachingYears, "5"),
        (Column::ExchangeForm, "顶岗锻炼"),
    ]
    .into_iter()
    .map(|(c, v)| (c, v.to_owned()))
    .collect()
}

fn engineer(s: &Names, mobile: &str) -> Vec<(Column, String)> {
    [
        (Column::Seq, "2"),
        (Column::Batch, "第十批"),
        (Column::Name, "李四"),
        (Column::SendingUnit, &s.enterprise),
        (Column::AdminPost, "无"),
        (Column::Field, "机械制造"),
        (Column::Title, "高级工程师"),
        (Column::TeacherQualification, "无"),
        (Column::SkillQualification, "技师"),
        (Column::Mobile, mobile),
        (Column::Term, "2024年春季学期"),
        (Column::ReceivingUnit, &s.school),
        (Column::Post, "产业副院长"),
        (Column::Bank, "中国工商银行重庆分行"),
        (Column::AccountName, &s.school),
        (Column::AccountNumber, "3100012345678901234"),
        (Column::Direction, "企业派出"),
        (Column::EnterpriseYears, "8"),
        (Column::FrontlineYears, "5"),
        (Column::ExchangeForm, "兼职讲座"),
    ]
    .into_iter()
    .map(|(c, v)| (c, v.to_owned()))
    .collect()
}

/// Version `k` of the form: a teacher and an engineer whose mobiles both carry `k`.
fn version(s: &Names, k: u64) -> Vec<Vec<(Column, String)>> {
    vec![
        teacher(s, &format!("138{k:08}")),
        engineer(s, &format!("139{k:08}")),
    ]
}

fn cells(row: &[(Column, String)]) -> Vec<String> {
    let mut out = vec![String::new(); Column::ALL.len()];
    for (c, v) in row {
        out[*c as usize] = v.clone();
    }
    out
}

/// A school of tier 中职 and a private enterprise in an open batch, a confirmed partnership, the
/// school's officer (password [`PASSWORD`]), and the form holding version 0.
fn seed(rt: &tokio::runtime::Runtime, tag: &str) -> Seeded {
    rt.block_on(async {
        let db = TestDb::new().await;
        let a = Actor::system();
        let mut batch = Batch::batch10();
        let tz = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
        batch.deadline = (chrono::Utc::now() + chrono::Duration::days(30)).with_timezone(&tz);
        let b = db.create_batch(&batch, &a).await.unwrap();
        db.open_batch(b.id, &a).await.unwrap();
        let org = |name: String, category: &str| shuangshi_rules::Org {
            name,
            category: category.to_owned(),
            affiliation: "市教委".to_owned(),
            credit_code: String::new(),
            district: "渝中区".to_owned(),
        };
        let school = db
            .create_org(&org(format!("重庆市{tag}职业学校"), "中职"), &a)
            .await
            .unwrap();
        let enterprise = db
            .create_org(&org(format!("重庆{tag}科技有限公司"), "民营企业"), &a)
            .await
            .unwrap();
        let username = format!("school_{tag}");
        db.create_user(
            NewUser {
                username: username.clone(),
                display_name: format!("{tag}学校联络员"),
                role: Role::SchoolOfficer,
                org_id: Some(school.id),
                password: PASSWORD.to_owned(),
                must_change_password: false,
            },
            &a,
        )
        .await
        .unwrap();
        let pt = db
            .propose_partnership(&Scope::All, b.id, school.id, enterprise.id, &[], &a)
            .await
            .unwrap()
            .unwrap();
        let pt = db
            .respond_partnership(&Scope::All, pt.id, true, &a)
            .await
            .unwrap()
            .unwrap();
        let names = Names {
            school: school.name,
            enterprise: enterprise.name,
            form_id: pt.form_id.unwrap(),
        };
        db.replace_rows(&Scope::All, names.form_id, &content(&names, 0), None, &a)
            .await
            .unwrap()
            .unwrap();
        Seeded {
            db,
            names,
            username,
        }
    })
}

fn content(s: &Names, k: u64) -> FormContent {
    FormContent {
        header_school: s.school.clone(),
        header_enterprise: s.enterprise.clone(),
        filler: "王老师".into(),
        phone: "023-63865672".into(),
        rows: version(s, k).iter().map(|r| cells(r)).collect(),
    }
}

/// `shuangshi token create` for the school's officer; the token (the last line).
fn token(s: &Seeded) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_shuangshi"))
        .args([
            "token",
            "create",
            "--user",
            &s.username,
            "--database-url",
            s.db.url(),
        ])
        .env_remove("SHUANGSHI_DATABASE_URL")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    text.trim_end().lines().last().unwrap().to_owned()
}

fn audit_verify(s: &Seeded) {
    let out = Command::new(env!("CARGO_BIN_EXE_shuangshi"))
        .args(["audit", "verify", "--database-url", s.db.url()])
        .env_remove("SHUANGSHI_DATABASE_URL")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("审计日志校验通过"), "{text}");
}

/// The version the stored form holds: every row must carry the same `k`, in the shape version
/// `k` was written (never a mix of two).
fn stored_version(rt: &tokio::runtime::Runtime, s: &Seeded) -> u64 {
    let form = rt
        .block_on(s.db.get_form(&Scope::All, s.names.form_id))
        .unwrap()
        .unwrap();
    let mobile = Column::Mobile as usize;
    let ks: Vec<u64> = form
        .rows
        .iter()
        .map(|r| r.cells[mobile][3..].parse::<u64>().unwrap())
        .collect();
    assert_eq!(ks.len(), 2, "the form holds {} rows: {ks:?}", ks.len());
    assert!(
        ks.iter().all(|k| *k == ks[0]),
        "rows of two versions: {ks:?}"
    );
    let rows: Vec<Vec<String>> = form.rows.iter().map(|r| r.cells.clone()).collect();
    assert_eq!(
        rows,
        content(&s.names, ks[0]).rows,
        "version {} not whole",
        ks[0]
    );
    ks[0]
}

fn put_rows(port: u16, token: &str, s: &Names, k: u64) -> std::io::Result<Answer> {
    let rows: Vec<serde_json::Value> = version(s, k)
        .iter()
        .map(|r| {
            serde_json::Value::Object(
                r.iter()
                    .map(|(c, v)| (c.label().to_owned(), serde_json::Value::String(v.clone())))
                    .collect(),
            )
        })
        .collect();
    let body = serde_json::json!({"filler": "王老师", "phone": "023-63865672", "rows": rows});
    let auth = format!("Bearer {token}");
    http(
        port,
        "PUT",
        &format!("/api/v1/forms/{}/rows", s.form_id),
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        body.to_string().as_bytes(),
        Duration::from_secs(20),
    )
}

fn upload(port: u16, token: &str, s: &Names, k: u64) -> std::io::Result<Answer> {
    let filled = Filled {
        school: s.school.clone(),
        enterprise: s.enterprise.clone(),
        rows: version(s, k)
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let mut pr = PersonRow::new(i as u32 + 1);
                for (c, v) in r {
                    pr.set(*c, Cell::text(v.as_str()));
                }
                pr
            })
            .collect(),
        filler: "王老师".into(),
        phone: "023-63865672".into(),
        supplementary: true,
    };
    let xlsx = filled_xlsx(&Batch::batch10(), &filled).unwrap();
    let boundary = "----shuangshi-fault-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"v{k}.xlsx\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&xlsx);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let auth = format!("Bearer {token}");
    let ct = format!("multipart/form-data; boundary={boundary}");
    http(
        port,
        "POST",
        &format!("/api/v1/forms/{}/upload?commit=true", s.form_id),
        &[("Authorization", &auth), ("Content-Type", &ct)],
        &body,
        Duration::from_secs(20),
    )
}

// ---------------------------------------------------------------------------------------------
// kill -9.

#[test]
fn kill_9_during_row_replacements_and_imports_leaves_one_whole_version() {
    let rt = runtime();
    let s = seed(&rt, "癸");
    let token = token(&s);
    let seed = kill_seed();
    let mut rng = Lcg(seed);
    let next_k = Arc::new(AtomicU64::new(1));
    let mut committed_any = false;
    for round in 0..4 {
        let mut server = Server::on(&s.db);
        let port = server.port;
        let stop = Arc::new(AtomicBool::new(false));
        // (last version answered 200, version in flight)
        let state = Arc::new(Mutex::new((None::<u64>, None::<u64>)));
        let writer = {
            let (stop, state, next_k, token) =
                (stop.clone(), state.clone(), next_k.clone(), token.clone());
            let names = s.names.clone();
            std::thread::spawn(move || {
                let deadline = Instant::now() + Duration::from_secs(20);
                for _ in 0..10_000 {
                    if stop.load(Ordering::Relaxed) || Instant::now() > deadline {
                        break;
                    }
                    let k = next_k.fetch_add(1, Ordering::Relaxed);
                    state.lock().unwrap().1 = Some(k);
                    let answer = if k % 2 == 0 {
                        put_rows(port, &token, &names, k)
                    } else {
                        upload(port, &token, &names, k)
                    };
                    match answer {
                        Ok(a) if a.status == 200 && a.json()["committed"] == true => {
                            *state.lock().unwrap() = (Some(k), None);
                        }
                        Ok(a) => panic!("version {k} refused: {} {}", a.status, a.body),
                        Err(_) => break,
                    }
                }
            })
        };
        let wait = rng.between(300, 1_500);
        std::thread::sleep(Duration::from_millis(wait));
        server.kill9();
        stop.store(true, Ordering::Relaxed);
        writer.join().expect("the writer failed");
        let (ok, in_flight) = *state.lock().unwrap();
        committed_any |= ok.is_some();
        let stored = stored_version(&rt, &s);
        let allowed: Vec<u64> = [ok, in_flight].into_iter().flatten().collect();
        if !allowed.is_empty() {
            assert!(
                allowed.contains(&stored),
                "round {round} (seed {seed}, kill after {wait} ms): the form holds version \
                 {stored}, expected one of {allowed:?}"
            );
        }
    }
    assert!(
        committed_any,
        "no write was committed before the kills (seed {seed})"
    );

    // It restarts; the audit chain holds; the stored version is still whole.
    let server = Server::on(&s.db);
    let r = put_rows(server.port, &token, &s.names, 99_999_999).unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    drop(server);
    assert_eq!(stored_version(&rt, &s), 99_999_999);
    audit_verify(&s);
}

// ---------------------------------------------------------------------------------------------
// kill -9 during `shuangshi import`.

/// Schools (each with two enterprises) in the folders the import reads.
const IMPORT_SCHOOLS: usize = 10;

/// A number in Chinese digits, one character per digit (12 → 一二): distinct names.
fn digits(n: usize) -> String {
    const D: [char; 10] = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
    n.to_string()
        .bytes()
        .map(|b| D[usize::from(b - b'0')])
        .collect()
}

fn import_school(i: usize) -> String {
    format!("重庆测试第{}职业学校", digits(i + 1))
}

fn import_enterprise(i: usize, which: usize) -> String {
    format!(
        "重庆测试{}{}科技有限公司",
        digits(i + 1),
        ["甲", "乙"][which]
    )
}

/// The (name, mobile) of each person in version `v` ('A': two people, 'B': three) of form
/// `form` (0-based across the folder).
fn import_people(form: usize, v: char) -> Vec<(String, String)> {
    let (count, prefix) = if v == 'A' { (2, "138") } else { (3, "139") };
    (0..count)
        .map(|k| {
            (
                format!(
                    "{}{}{}",
                    if v == 'A' { "安" } else { "贝" },
                    digits(form + 1),
                    digits(k)
                ),
                format!("{prefix}{form:04}{k:04}"),
            )
        })
        .collect()
}

/// The folder of version `v` of every form, as xlsx files.
fn import_folder(dir: &std::path::Path, v: char) -> std::path::PathBuf {
    let folder = dir.join(format!("版本{v}"));
    std::fs::create_dir_all(&folder).unwrap();
    let batch = Batch::batch10();
    for i in 0..IMPORT_SCHOOLS {
        for which in 0..2 {
            let form = i * 2 + which;
            let (school, enterprise) = (import_school(i), import_enterprise(i, which));
            let rows = import_people(form, v)
                .iter()
                .enumerate()
                .map(|(k, (name, mobile))| {
                    let teacher = k % 2 == 0;
                    super::person(
                        &school,
                        &enterprise,
                        teacher,
                        name,
                        mobile,
                        if teacher {
                            "科技副总"
                        } else {
                            "产业副院长"
                        },
                        "机械制造",
                        if teacher { "讲师" } else { "高级工程师" },
                    )
                })
                .collect();
            let filled = Filled {
                school: school.clone(),
                enterprise: enterprise.clone(),
                rows,
                filler: "王老师".into(),
                phone: "023-63865672".into(),
                supplementary: true,
            };
            std::fs::write(
                folder.join(format!("{school}-{enterprise}.xlsx")),
                filled_xlsx(&batch, &filled).unwrap(),
            )
            .unwrap();
        }
    }
    folder
}

fn cli(db: &TestDb, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_shuangshi"))
        .args(args)
        .args(["--database-url", db.url()])
        .env_remove("SHUANGSHI_DATABASE_URL")
        .env("USER", "测试员")
        .output()
        .unwrap()
}

/// Every imported form, as (school — enterprise) → the version its rows are, asserting each is
/// one whole version: the rows of A or of B, in order, nothing more, nothing less.
fn stored_versions(rt: &tokio::runtime::Runtime, db: &TestDb) -> Vec<(String, char)> {
    let store: &shuangshi_store::Store = db;
    let forms = rt.block_on(async {
        let batch = store
            .list_batches()
            .await
            .unwrap()
            .into_iter()
            .next()
            .unwrap();
        store.batch_forms(&Scope::All, batch.id).await.unwrap()
    });
    assert_eq!(forms.len(), IMPORT_SCHOOLS * 2, "forms in the batch");
    let (name, mobile) = (Column::Name as usize, Column::Mobile as usize);
    let mut out = Vec::new();
    for f in &forms {
        let i = (0..IMPORT_SCHOOLS)
            .find(|&i| import_school(i) == f.school_name)
            .unwrap();
        let which = (0..2)
            .find(|&w| import_enterprise(i, w) == f.enterprise_name)
            .unwrap();
        let form = i * 2 + which;
        let rows: Vec<(String, String)> = f
            .rows
            .iter()
            .map(|r| (r.cells[name].clone(), r.cells[mobile].clone()))
            .collect();
        let v = ['A', 'B']
            .into_iter()
            .find(|&v| rows == import_people(form, v))
            .unwrap_or_else(|| {
                panic!(
                    "「{}—{}」holds neither whole version A nor B: {rows:?}",
                    f.school_name, f.enterprise_name
                )
            });
        out.push((format!("{}—{}", f.school_name, f.enterprise_name), v));
    }
    out.sort();
    out
}

#[test]
fn kill_9_during_a_cli_import_leaves_every_form_one_whole_version() {
    let rt = runtime();
    let db = rt.block_on(TestDb::new());
    let dir = tempfile::tempdir().unwrap();
    let mut orgs = String::from("单位名称,单位类别,隶属关系,统一社会信用代码,所在区县\n");
    for i in 0..IMPORT_SCHOOLS {
        orgs.push_str(&format!("{},中职,区县教委,,江津区\n", import_school(i)));
        for which in 0..2 {
            orgs.push_str(&format!(
                "{},民营企业,市工商联,,江津区\n",
                import_enterprise(i, which)
            ));
        }
    }
    let orgs_file = dir.path().join("名录.csv");
    std::fs::write(&orgs_file, orgs).unwrap();
    let out = cli(&db, &["orgs", "import", orgs_file.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let a = import_folder(dir.path(), 'A');
    let b = import_folder(dir.path(), 'B');
    let forms = IMPORT_SCHOOLS * 2;

    // Version A, fully.
    let out = cli(&db, &["import", a.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        matches!(out.status.code(), Some(0 | 1)) && text.contains("导入完成"),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stored_versions(&rt, &db).iter().all(|(_, v)| *v == 'A'));

    // Imports killed after a random number of forms (and a random few milliseconds more):
    // of B, then of A, then of B again, so every round has forms to change. A late random
    // kill may find the import already finished; once four rounds have passed without a
    // kill midway, the next rounds kill right after the first form.
    let seed = kill_seed();
    let mut rng = Lcg(seed);
    let mut killed_midway = 0;
    let mut round = 0;
    while round < 4 || (killed_midway == 0 && round < 12) {
        let (folder, to) = if round % 2 == 0 { (&b, 'B') } else { (&a, 'A') };
        let (after, extra) = if round < 4 {
            (
                rng.between(1, forms as u64 - 1) as usize,
                rng.between(0, 40),
            )
        } else {
            (1, 0)
        };
        let mut child = Command::new(env!("CARGO_BIN_EXE_shuangshi"))
            .args([
                "import",
                "--database-url",
                db.url(),
                folder.to_str().unwrap(),
            ])
            .env_remove("SHUANGSHI_DATABASE_URL")
            .env("USER", "测试员")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Count the forms the import reports, one line each ("[n/total] …").
        let done = Arc::new(AtomicU64::new(0));
        let mut pipe = child.stdout.take().unwrap();
        let reader = {
            let done = done.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let mut all = Vec::new();
                while let Ok(n) = pipe.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    all.extend_from_slice(&buf[..n]);
                    let lines = String::from_utf8_lossy(&all)
                        .lines()
                        .filter(|l| l.starts_with('['))
                        .count();
                    done.store(lines as u64, Ordering::Relaxed);
                }
                String::from_utf8_lossy(&all).to_string()
            })
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut exited = false;
        while Instant::now() < deadline && (done.load(Ordering::Relaxed) as usize) < after {
            if let Ok(Some(_)) = child.try_wait() {
                exited = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        std::thread::sleep(Duration::from_millis(extra));
        if !exited && child.try_wait().unwrap().is_none() {
            killed_midway += 1;
        }
        let _ = child.kill();
        let _ = child.wait();
        let printed = reader.join().unwrap();
        // Every form is one whole version, and every form the import reported as imported
        // holds the version it was importing.
        let versions = stored_versions(&rt, &db);
        for line in printed.lines().filter(|l| l.contains("已导入")) {
            let (key, v) = versions
                .iter()
                .find(|(key, _)| {
                    let (school, enterprise) = key.split_once('—').unwrap();
                    line.contains(&format!("{school} — {enterprise}"))
                })
                .unwrap_or_else(|| panic!("no form for {line}"));
            assert_eq!(
                *v, to,
                "round {round} (seed {seed}): 「{key}」 was reported imported as {to}: {line}"
            );
        }
        round += 1;
    }
    assert!(
        killed_midway > 0,
        "no import was killed before it finished (seed {seed})"
    );

    // The audit chain holds; the import runs again to the end and every form is B.
    let out = cli(&db, &["audit", "verify"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = cli(&db, &["import", b.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        matches!(out.status.code(), Some(0 | 1))
            && (text.contains("导入完成") || text.contains("无变化")),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!text.contains("未导入："), "{text}");
    assert!(
        stored_versions(&rt, &db).iter().all(|(_, v)| *v == 'B'),
        "seed {seed}"
    );
    let out = cli(&db, &["audit", "verify"]);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("审计日志校验通过"), "{text}");
}

// ---------------------------------------------------------------------------------------------
// Two instances on one database.

#[test]
fn two_instances_share_sessions_and_race_to_one_receipt() {
    let rt = runtime();
    let s = seed(&rt, "壬");
    // The enterprise confirms the rows and the scan is stored: the school may submit.
    rt.block_on(async {
        let a = Actor::system();
        let form = s.db.get_form(&Scope::All, s.names.form_id).await.unwrap().unwrap();
        let ids: Vec<i64> = form.rows.iter().map(|r| r.id).collect();
        s.db.confirm_rows(&Scope::All, s.names.form_id, &ids, None, &a)
            .await
            .unwrap()
            .unwrap();
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\x0f\0\0\x01\x01\0\x05\x18\xd8N\0\0\0\0IEND\xaeB`\x82";
        s.db.put_scan(&Scope::All, s.names.form_id, "image/png", png.to_vec(), &a)
            .await
            .unwrap()
            .unwrap();
    });
    let token = token(&s);
    let one = Server::on(&s.db);
    let two = Server::on(&s.db);

    // A session made on one instance works on the other.
    let login = format!(
        "username={}&password={}",
        s.username,
        PASSWORD.replace('-', "%2D")
    );
    let r = http(
        one.port,
        "POST",
        "/login",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        login.as_bytes(),
        Duration::from_secs(20),
    )
    .unwrap();
    assert_eq!(r.status, 303, "{}", r.body);
    let cookie = r
        .headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
        .map(|(_, v)| v.split(';').next().unwrap_or("").to_owned())
        .find(|c| c.starts_with("ss_session="))
        .expect("a session cookie");
    let page = |port: u16, cookie: Option<&str>| {
        let headers: Vec<(&str, &str)> = cookie.map(|c| ("Cookie", c)).into_iter().collect();
        http(
            port,
            "GET",
            "/submissions",
            &headers,
            b"",
            Duration::from_secs(20),
        )
        .unwrap()
    };
    let r = page(two.port, Some(&cookie));
    assert_eq!(r.status, 200, "the session of instance one on instance two");
    assert!(r.body.contains(&s.names.school), "{}", r.body);
    let r = page(two.port, None);
    assert_eq!(r.status, 303, "without the cookie: to the login");
    assert!(r.header("location").unwrap_or("").starts_with("/login"));

    // Four submissions at once, two on each instance: one receipt.
    let barrier = Arc::new(Barrier::new(4));
    let racers: Vec<_> = [one.port, two.port, one.port, two.port]
        .into_iter()
        .map(|port| {
            let (barrier, token) = (barrier.clone(), token.clone());
            std::thread::spawn(move || {
                let auth = format!("Bearer {token}");
                barrier.wait();
                http(
                    port,
                    "POST",
                    "/api/v1/submission",
                    &[("Authorization", &auth)],
                    b"",
                    Duration::from_secs(30),
                )
                .unwrap()
            })
        })
        .collect();
    let answers: Vec<Answer> = racers.into_iter().map(|t| t.join().unwrap()).collect();
    let receipts: Vec<String> = answers
        .iter()
        .filter(|a| a.status == 201)
        .map(|a| a.json()["receipt_no"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(
        receipts.len(),
        1,
        "{:?}",
        answers
            .iter()
            .map(|a| (a.status, a.body.as_str()))
            .collect::<Vec<_>>()
    );
    assert!(receipts[0].starts_with("SQ10-"), "{receipts:?}");
    for a in answers.iter().filter(|a| a.status != 201) {
        assert!(
            (400..500).contains(&a.status),
            "a losing submission must be refused, not fail: {} {}",
            a.status,
            a.body
        );
        let error = a.json()["error"].as_str().unwrap_or("").to_owned();
        assert!(
            error
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{}",
            a.body
        );
    }
    let versions = rt.block_on(s.db.query_text("SELECT COUNT(*) FROM submission_versions"));
    assert_eq!(versions.as_deref(), Some("1"));
    drop(one);
    drop(two);
    audit_verify(&s);
}
