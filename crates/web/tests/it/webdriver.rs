//! A small W3C WebDriver client for the browser journeys: it starts Debian's `chromedriver` on a
//! free port, opens one headless Chromium session in a fresh profile, and speaks the protocol's
//! JSON over plain HTTP/1.1 on loopback (no TLS, no extra dependency). Every wait polls with a
//! deadline and, on failure, panics with the page's URL and visible text and keeps a screenshot in
//! the target directory, so a failing journey says what the user would have seen.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The W3C element reference key.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
/// How long a wait polls before it fails.
const PATIENCE: Duration = Duration::from_secs(15);

/// The driver binary: `CHROMEDRIVER`, else Debian's.
fn driver_binary() -> PathBuf {
    std::env::var_os("CHROMEDRIVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromedriver"))
}

/// The browser binary: `CHROMIUM`, else Debian's.
fn browser_binary() -> PathBuf {
    std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"))
}

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    l.local_addr().expect("the port's address").port()
}

/// One HTTP/1.1 exchange with the driver; `Connection: close`, so the body is read to the end.
fn http(port: u16, method: &str, path: &str, body: Option<&Value>) -> Result<(u16, Value), String> {
    let mut stream =
        TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .map_err(|e| e.to_string())?;
    let payload = body.map(Value::to_string).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\
         Content-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\n\r\n{payload}",
        payload.len()
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("write: {e}"))?;
    // Read the head, then exactly the body its length names (the driver may keep the
    // connection open whatever the request asked).
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    let split = loop {
        if let Some(p) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break p;
        }
        let n = stream.read(&mut buf).map_err(|e| format!("read: {e}"))?;
        if n == 0 {
            return Err("connection closed before the head".into());
        }
        raw.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut body = raw[split + 4..].to_vec();
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line: {head}"))?;
    let lower = head.to_ascii_lowercase();
    let length = lower.lines().find_map(|l| {
        l.strip_prefix("content-length:")
            .and_then(|v| v.trim().parse::<usize>().ok())
    });
    let chunked = lower.contains("transfer-encoding: chunked");
    loop {
        let done = match length {
            Some(len) => body.len() >= len,
            None if chunked => body.ends_with(b"0\r\n\r\n"),
            None => false,
        };
        if done {
            break;
        }
        let n = stream.read(&mut buf).map_err(|e| format!("read: {e}"))?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&buf[..n]);
    }
    if chunked {
        body = dechunk(&body);
    }
    let value = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| format!("not JSON ({e}): {}", String::from_utf8_lossy(&body)))?
    };
    Ok((status, value))
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = data.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&data[..eol]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = eol + 2;
        let end = (start + size).min(data.len());
        out.extend_from_slice(&data[start..end]);
        data = &data[(end + 2).min(data.len())..];
    }
    out
}

/// A running chromedriver with one Chromium session.
pub struct Browser {
    port: u16,
    session: String,
    driver: Child,
    profile: PathBuf,
    /// Where screenshots of failures go.
    shots: PathBuf,
    /// The journey's name, for the screenshots' file names.
    name: String,
}

/// WebDriver's codes of the keys [`Browser::press`] presses.
pub const KEY_ENTER: &str = "\u{E007}";
pub const KEY_LEFT: &str = "\u{E012}";
pub const KEY_UP: &str = "\u{E013}";
pub const KEY_RIGHT: &str = "\u{E014}";
pub const KEY_DOWN: &str = "\u{E015}";
pub const KEY_END: &str = "\u{E010}";
pub const KEY_HOME: &str = "\u{E011}";

impl Browser {
    /// Starts chromedriver and a headless Chromium (flags of STACK.md, `--lang=zh-CN`). Panics
    /// with what to install when the binaries are missing: the journey is part of the test suite.
    pub fn start(name: &str) -> Browser {
        let driver_bin = driver_binary();
        let browser_bin = browser_binary();
        for bin in [&driver_bin, &browser_bin] {
            assert!(
                bin.exists(),
                "{} is missing: the browser journeys need Debian's Chromium \
                 (`apt-get install -y chromium chromium-driver fonts-noto-cjk`, as scripts/test does)",
                bin.display()
            );
        }
        let port = free_port();
        let driver = Command::new(&driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", driver_bin.display()));
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok((200, v)) = http(port, "GET", "/status", None)
                && v["value"]["ready"] == true
            {
                break;
            }
            assert!(Instant::now() < deadline, "chromedriver did not get ready");
            std::thread::sleep(Duration::from_millis(100));
        }
        let profile =
            std::env::temp_dir().join(format!("shuangshi-chromium-{}-{port}", std::process::id()));
        let _ = std::fs::remove_dir_all(&profile);
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "goog:chromeOptions": {
                "binary": browser_bin.to_string_lossy(),
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--lang=zh-CN",
                    "--window-size=1440,1000",
                    format!("--user-data-dir={}", profile.display()),
                ],
                "prefs": {"intl.accept_languages": "zh-CN,zh"}
            }
        }}});
        let (status, v) = http(port, "POST", "/session", Some(&caps))
            .unwrap_or_else(|e| panic!("new session: {e}"));
        assert_eq!(status, 200, "chromedriver refused the session: {v}");
        let session = v["value"]["sessionId"]
            .as_str()
            .expect("a session id")
            .to_owned();
        let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser");
        let _ = std::fs::create_dir_all(&shots);
        Browser {
            port,
            session,
            driver,
            profile,
            shots,
            name: name.to_owned(),
        }
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let path = format!("/session/{}{path}", self.session);
        let (status, v) = http(self.port, method, &path, body.as_ref())?;
        if status == 200 {
            Ok(v["value"].clone())
        } else {
            Err(format!("{method} {path}: {status} {}", v["value"]))
        }
    }

    fn must(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        match self.call(method, path, body) {
            Ok(v) => v,
            Err(e) => self.fail(&e),
        }
    }

    /// Panics with the page as the user sees it and keeps a screenshot.
    pub fn fail(&self, why: &str) -> ! {
        let url = self.url();
        let text = self
            .call(
                "POST",
                "/execute/sync",
                Some(json!({"script": "return document.body ? document.body.innerText : ''", "args": []})),
            )
            .ok();
        let shot = self.screenshot("failure");
        panic!(
            "{why}\n  at {url}\n  screenshot: {}\n  page text:\n{}",
            shot.map(|p| p.display().to_string()).unwrap_or_default(),
            text.and_then(|t| t.as_str().map(str::to_owned))
                .unwrap_or_default()
        );
    }

    /// Saves a PNG of the viewport; returns its path.
    pub fn screenshot(&self, label: &str) -> Option<PathBuf> {
        let v = self.call("GET", "/screenshot", None).ok()?;
        let bytes = base64_decode(v.as_str()?)?;
        let path = self.shots.join(format!("{}-{label}.png", self.name));
        std::fs::write(&path, bytes).ok()?;
        Some(path)
    }

    pub fn url(&self) -> String {
        self.call("GET", "/url", None)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    pub fn goto(&self, url: &str) {
        self.must("POST", "/url", Some(json!({"url": url})));
    }

    /// Runs `script` in the page; returns its value.
    pub fn script(&self, script: &str, args: Value) -> Value {
        self.must(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": args})),
        )
    }

    /// The page's visible text.
    pub fn text(&self) -> String {
        self.script(
            "return document.body ? document.body.innerText : ''",
            json!([]),
        )
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    fn try_find(&self, css: &str) -> Option<String> {
        let v = self
            .call(
                "POST",
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .ok()?;
        v[ELEMENT].as_str().map(str::to_owned)
    }

    /// Waits for an element matching `css` that is displayed; returns its reference.
    pub fn find(&self, css: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(id) = self.try_find(css) {
                let shown = self
                    .call("GET", &format!("/element/{id}/displayed"), None)
                    .ok()
                    .and_then(|v| v.as_bool())
                    .unwrap_or(false);
                if shown {
                    return id;
                }
            }
            if Instant::now() > deadline {
                self.fail(&format!("no visible element matches `{css}`"));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Whether an element matches `css` now (shown or not).
    pub fn exists(&self, css: &str) -> bool {
        self.try_find(css).is_some()
    }

    /// Clicks the visible element matching `css` (scrolled into view first).
    pub fn click(&self, css: &str) {
        let id = self.find(css);
        self.script(
            "arguments[0].scrollIntoView({block: 'center'});",
            json!([{ELEMENT: id}]),
        );
        self.must("POST", &format!("/element/{id}/click"), Some(json!({})));
    }

    /// Replaces the value of the input matching `css` with `text`, as typed.
    pub fn fill(&self, css: &str, text: &str) {
        let id = self.find(css);
        self.must("POST", &format!("/element/{id}/clear"), Some(json!({})));
        self.must(
            "POST",
            &format!("/element/{id}/value"),
            Some(json!({"text": text})),
        );
    }

    /// Presses `keys` on whatever has the focus, one after another, as typed (WebDriver's key
    /// codes: `KEY_RIGHT`, `KEY_ENTER`, …).
    pub fn press(&self, keys: &[&str]) {
        let actions: Vec<Value> = keys
            .iter()
            .flat_map(|k| {
                [
                    json!({"type": "keyDown", "value": k}),
                    json!({"type": "keyUp", "value": k}),
                ]
            })
            .collect();
        self.must(
            "POST",
            "/actions",
            Some(json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]})),
        );
    }

    /// Chooses `file` in the file input matching `css` (it may be hidden inside a dialog).
    pub fn choose_file(&self, css: &str, file: &Path) {
        let id = self
            .try_find(css)
            .unwrap_or_else(|| self.fail(&format!("no file input `{css}`")));
        self.must(
            "POST",
            &format!("/element/{id}/value"),
            Some(json!({"text": file.to_string_lossy()})),
        );
    }

    /// The text of the first element matching `css`.
    pub fn text_of(&self, css: &str) -> String {
        let id = self.find(css);
        self.must("GET", &format!("/element/{id}/text"), None)
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Waits until the page's visible text contains every one of `needles`.
    pub fn wait_text(&self, needles: &[&str]) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let text = self.text();
            if needles.iter().all(|n| text.contains(n)) {
                return;
            }
            if Instant::now() > deadline {
                let missing: Vec<&&str> = needles.iter().filter(|n| !text.contains(**n)).collect();
                self.fail(&format!("the page never showed {missing:?}"));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until the URL's path ends with `suffix`.
    pub fn wait_path(&self, suffix: &str) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let url = self.url();
            let path = url.split(['?', '#']).next().unwrap_or_default();
            if path.ends_with(suffix) {
                return;
            }
            if Instant::now() > deadline {
                self.fail(&format!("the browser never reached …{suffix}"));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Resizes the window (`POST /session/{id}/window/rect`) and waits until the page's viewport
    /// has the new width: headless Chromium draws no frame at the sides, so the viewport is as wide
    /// as the window (a 390 px window is a 390 px phone screen).
    pub fn set_window_size(&self, width: u32, height: u32) {
        self.must(
            "POST",
            "/window/rect",
            Some(json!({"width": width, "height": height})),
        );
        let deadline = Instant::now() + PATIENCE;
        loop {
            let inner = self.script("return window.innerWidth", json!([]));
            if inner.as_u64() == Some(u64::from(width)) {
                return;
            }
            if Instant::now() > deadline {
                self.fail(&format!(
                    "the viewport stayed {inner} px wide after resizing the window to {width} px"
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The page's HTML as the browser holds it now.
    pub fn source(&self) -> String {
        self.must("GET", "/source", None)
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Waits until the text of the first element matching `css` is `expected` (trimmed).
    pub fn wait_text_of(&self, css: &str, expected: &str) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let now = self
                .try_find(css)
                .and_then(|id| self.call("GET", &format!("/element/{id}/text"), None).ok())
                .and_then(|v| v.as_str().map(|t| t.trim().to_owned()));
            if now.as_deref() == Some(expected) {
                return;
            }
            if Instant::now() > deadline {
                self.fail(&format!(
                    "`{css}` never read 「{expected}」 (last: {now:?})"
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Forgets every cookie of the current site (signs the user out without a click).
    pub fn clear_cookies(&self) {
        // On a blank page there is no site yet: nothing to forget.
        let _ = self.call("DELETE", "/cookie", None);
    }

    /// Accepts the page's confirmation dialog (the Bootstrap modal of app.js).
    pub fn confirm_dialog(&self) {
        self.click("#confirm-modal.show [data-confirm-ok]");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = http(
            self.port,
            "DELETE",
            &format!("/session/{}", self.session),
            None,
        );
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// Standard base64 (the screenshot), without a dependency.
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    fn val(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    }
    let bytes: Vec<u8> = s.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        let mut len = 0;
        for &c in chunk {
            if c == b'=' {
                break;
            }
            n = (n << 6) | val(c)?;
            len += 1;
        }
        n <<= 6 * (4 - len);
        let b = n.to_be_bytes();
        out.extend_from_slice(&b[1..len.max(1)]);
    }
    Some(out)
}
