//! The harness: [`TestApp`] (a fresh database and the router) and [`Client`] (a browser-like
//! caller with a cookie jar, the session's CSRF token, a client address, or an API token).
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use shuangshi_rules::Org;
use shuangshi_store::testing::TestDb;
use shuangshi_store::{Actor, NewUser, OrgRecord, Role, Store, User};
use shuangshi_web::{AppState, WebConfig, router};
use tower::ServiceExt;

/// The password every test account gets.
pub const PASSWORD: &str = "Test-Password-123";

static COUNTER: AtomicU32 = AtomicU32::new(1);

fn next_n() -> u32 {
    COUNTER.fetch_add(1, Ordering::Relaxed)
}

/// A fresh database and the router over it.
pub struct TestApp {
    pub db: TestDb,
    pub state: AppState,
    pub router: Router,
}

/// An answer.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub bytes: Vec<u8>,
    pub body: String,
}

impl Resp {
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn set_cookie(&self) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with("ss_session="))
            .map(str::to_owned)
    }
}

impl TestApp {
    pub async fn new() -> TestApp {
        TestApp::with_config(WebConfig::default()).await
    }

    pub async fn with_config(config: WebConfig) -> TestApp {
        let db = TestDb::new().await;
        let state = AppState::new(config, db.store().clone());
        let router = router(state.clone());
        TestApp { db, state, router }
    }

    /// A service that e-mails reminders through `mailer`.
    pub async fn with_mailer(mailer: shuangshi_app::mail::Mailer) -> TestApp {
        let db = TestDb::new().await;
        let state = AppState::new(WebConfig::default(), db.store().clone()).with_mailer(mailer);
        let router = router(state.clone());
        TestApp { db, state, router }
    }

    pub fn store(&self) -> &Store {
        self.db.store()
    }

    /// The router served over HTTP on a free loopback port, for a real browser: its base URL
    /// (`http://127.0.0.1:PORT`) and the server's task (abort it when done).
    pub async fn serve(&self) -> (String, tokio::task::JoinHandle<std::io::Result<()>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let service = self
            .router
            .clone()
            .into_make_service_with_connect_info::<SocketAddr>();
        let server = tokio::spawn(async move { axum::serve(listener, service).await });
        (base, server)
    }

    /// The use cases over the test database (the same ones the router calls).
    pub fn app(&self) -> &shuangshi_app::App {
        &self.state.app
    }

    /// Another instance of the service over the same database: its own router and process
    /// state (throttles, caches), sharing only what the database holds.
    pub fn second_instance(&self) -> Router {
        router(AppState::new(
            (*self.state.config).clone(),
            self.db.store().clone(),
        ))
    }

    /// A new organisation (`school`: a 国家双高 school; else a 国有企业).
    pub async fn org(&self, school: bool) -> OrgRecord {
        let n = next_n();
        let (name, category) = if school {
            (format!("重庆测试职业学院{n}"), "国家双高")
        } else {
            (format!("重庆测试科技有限公司{n}"), "国有企业")
        };
        self.org_named(&name, category).await
    }

    pub async fn org_named(&self, name: &str, category: &str) -> OrgRecord {
        let org = Org {
            name: name.to_owned(),
            category: category.to_owned(),
            affiliation: "市教委".to_owned(),
            credit_code: String::new(),
            district: "渝中区".to_owned(),
        };
        self.store()
            .create_org(&org, &Actor::system())
            .await
            .unwrap()
    }

    /// A new account of `role` (with a new school or enterprise for the officers), password
    /// [`PASSWORD`], no forced change.
    pub async fn user(&self, role: Role) -> User {
        let org_id = match role {
            Role::SchoolOfficer => Some(self.org(true).await.id),
            Role::EnterpriseOfficer => Some(self.org(false).await.id),
            _ => None,
        };
        self.user_in(role, org_id).await
    }

    pub async fn user_in(&self, role: Role, org_id: Option<i64>) -> User {
        let n = next_n();
        self.store()
            .create_user(
                NewUser {
                    username: format!("{}_{n}", role.as_str()),
                    display_name: format!("{}{n}", role.label()),
                    role,
                    org_id,
                    password: PASSWORD.to_owned(),
                    must_change_password: false,
                },
                &Actor::system(),
            )
            .await
            .unwrap()
    }

    /// A caller with no session.
    pub fn anon(&self) -> Client {
        Client {
            router: self.router.clone(),
            cookie: None,
            csrf: String::new(),
            user: None,
            ip: "10.0.0.1".to_owned(),
            bearer: None,
        }
    }

    /// A new account of `role`, signed in through the real `POST /login`.
    pub async fn login(&self, role: Role) -> Client {
        let user = self.user(role).await;
        self.login_as(&user, PASSWORD).await
    }

    /// Signs `user` in with `password`; panics when the login fails.
    pub async fn login_as(&self, user: &User, password: &str) -> Client {
        let mut client = self.anon();
        let r = client
            .post_form_raw(
                "/login",
                &[("username", &user.username), ("password", password)],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "login failed: {}", r.body);
        client.user = Some(user.clone());
        client.refresh_csrf().await;
        client
    }

    /// A caller with an API token of a new account of `role`.
    pub async fn api_client(&self, role: Role) -> (Client, User) {
        let user = self.user(role).await;
        let (_, token) = self
            .store()
            .create_token(user.id, "测试", &Actor::system())
            .await
            .unwrap();
        let mut client = self.anon();
        client.bearer = Some(token);
        client.user = Some(user.clone());
        (client, user)
    }
}

/// One part of a multipart body.
pub struct Part<'a> {
    pub name: &'a str,
    pub file_name: Option<&'a str>,
    pub content_type: &'a str,
    pub bytes: &'a [u8],
}

impl<'a> Part<'a> {
    pub fn text(name: &'a str, value: &'a str) -> Self {
        Part {
            name,
            file_name: None,
            content_type: "text/plain; charset=utf-8",
            bytes: value.as_bytes(),
        }
    }

    pub fn file(name: &'a str, file_name: &'a str, bytes: &'a [u8]) -> Self {
        Part {
            name,
            file_name: Some(file_name),
            content_type: "application/octet-stream",
            bytes,
        }
    }
}

/// A browser-like caller.
#[derive(Clone)]
pub struct Client {
    router: Router,
    /// `ss_session=…` as last set.
    pub cookie: Option<String>,
    /// The session's CSRF token (from the page's `<meta name="csrf-token">`).
    pub csrf: String,
    pub user: Option<User>,
    /// The client address the server sees.
    pub ip: String,
    /// An API token sent as `Authorization: Bearer`.
    pub bearer: Option<String>,
}

impl Client {
    /// Sends `request` as a same-origin browser request (cookie, `Sec-Fetch-Site`, address).
    pub async fn send(&mut self, mut request: Request<Body>) -> Resp {
        let headers = request.headers_mut();
        headers.insert(header::HOST, "shuangshi.test".parse().unwrap());
        if !headers.contains_key("sec-fetch-site") {
            headers.insert("sec-fetch-site", "same-origin".parse().unwrap());
        }
        if let Some(c) = &self.cookie {
            headers.insert(header::COOKIE, c.parse().unwrap());
        }
        if let Some(t) = &self.bearer {
            headers.insert(
                header::AUTHORIZATION,
                format!("Bearer {t}").parse().unwrap(),
            );
        }
        let addr: SocketAddr = format!("{}:40000", self.ip).parse().unwrap();
        request.extensions_mut().insert(ConnectInfo(addr));
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec();
        let resp = Resp {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes,
        };
        if let Some(set) = resp.set_cookie() {
            let pair = set.split(';').next().unwrap_or("").to_owned();
            let expired = set.contains("Max-Age=0") || pair == "ss_session=";
            self.cookie = if expired { None } else { Some(pair) };
        }
        resp
    }

    /// The same caller (cookie, token, address) talking to another instance.
    pub fn on(&self, router: Router) -> Client {
        Client {
            router,
            ..self.clone()
        }
    }

    pub async fn get(&mut self, uri: &str) -> Resp {
        self.send(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }

    pub async fn request(&mut self, method: Method, uri: &str) -> Resp {
        self.send(
            Request::builder()
                .method(method)
                .uri(uri)
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    /// A urlencoded POST with the session's CSRF token added as `_csrf`.
    pub async fn post_form(&mut self, uri: &str, fields: &[(&str, &str)]) -> Resp {
        let csrf = self.csrf.clone();
        let mut all: Vec<(&str, &str)> = vec![("_csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_form_raw(uri, &all).await
    }

    /// A urlencoded POST of exactly `fields`.
    pub async fn post_form_raw(&mut self, uri: &str, fields: &[(&str, &str)]) -> Resp {
        let body = serde_urlencoded::to_string(fields).unwrap();
        self.send(
            Request::post(uri)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .unwrap(),
        )
        .await
    }

    /// A multipart POST (the CSRF token goes in `X-CSRF-Token` when the client has one).
    pub async fn post_multipart(&mut self, uri: &str, parts: &[Part<'_>]) -> Resp {
        let boundary = "----shuangshi-test-boundary-7d93";
        let mut body = Vec::new();
        for p in parts {
            body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
            match p.file_name {
                Some(f) => body.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{}\"; filename=\"{f}\"\r\n",
                        p.name
                    )
                    .as_bytes(),
                ),
                None => body.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{}\"\r\n", p.name).as_bytes(),
                ),
            }
            body.extend_from_slice(format!("Content-Type: {}\r\n\r\n", p.content_type).as_bytes());
            body.extend_from_slice(p.bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let mut request = Request::post(uri).header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        );
        if !self.csrf.is_empty() {
            request = request.header("x-csrf-token", &self.csrf);
        }
        self.send(request.body(Body::from(body)).unwrap()).await
    }

    /// Reads the session's CSRF token from a page's `<meta name="csrf-token">`.
    pub async fn refresh_csrf(&mut self) {
        let r = self.get("/password").await;
        self.csrf = meta_csrf(&r.body).unwrap_or_default();
    }
}

/// The CSRF token in a page.
pub fn meta_csrf(body: &str) -> Option<String> {
    let pattern = r#"<meta name="csrf-token" content=""#;
    let start = body.find(pattern)? + pattern.len();
    let end = body[start..].find('"')? + start;
    Some(body[start..end].to_owned())
}
