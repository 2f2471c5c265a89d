//! The security review's findings, each through the real router: scans with active content,
//! the credential lifecycle, weak passwords, refusals logged and audited, sessions stored hashed
//! and HSTS. (The open redirect of `/login?next=` is in `auth.rs`.)

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use lopdf::{Document, Object, Stream, dictionary};
use shuangshi_store::{Actor, AuditFilter, PageRequest, Role, Scope};
use shuangshi_web::WebConfig;
use shuangshi_web::account::pages::LOGIN_FAILED;

use crate::school::{open_batch, pair, prepared};
use crate::support::{PASSWORD, Part, TestApp};

/// A one-page PDF written by lopdf, with `extra` entries in its catalog.
fn pdf(extra: Vec<(&str, Object)>) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let content = doc.add_object(Stream::new(dictionary! {}, b"0 0 m 100 100 l S".to_vec()));
    let page = doc.add_object(dictionary! {
        "Type" => "Page",
        "Parent" => pages_id,
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        "Contents" => content,
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => vec![page.into()],
            "Count" => 1,
        }),
    );
    let mut catalog = dictionary! { "Type" => "Catalog", "Pages" => pages_id };
    for (k, v) in extra {
        catalog.set(k, v);
    }
    let catalog = doc.add_object(catalog);
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

/// A PNG written by the `image` crate.
fn png() -> Vec<u8> {
    let img = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8, y as u8, 200]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn jpeg() -> Vec<u8> {
    let img = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8, y as u8, 90]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

#[tokio::test]
async fn scans_with_active_content_or_that_do_not_decode_are_refused_and_not_stored() {
    let app = TestApp::new().await;
    let batch = open_batch(&app).await;
    let p = pair(&app, "庚", "国家双高").await;
    let (_, form) = prepared(&app, &batch, &p).await;
    let mut school = app.login_as(&p.school_user, PASSWORD).await;
    let (_, token) = app
        .store()
        .create_token(p.school_user.id, "扫描件", &Actor::system())
        .await
        .unwrap();
    let mut api = app.anon();
    api.bearer = Some(token);
    let count = || async {
        app.store()
            .list_scans(&Scope::All, form.id)
            .await
            .unwrap()
            .len()
    };
    let before = count().await;

    let js = dictionary! { "S" => "JavaScript", "JS" => Object::string_literal("app.alert(1)") };
    let launch = dictionary! { "S" => "Launch", "F" => Object::string_literal("cmd.exe") };
    let mut html = b"%PDF-1.4\n".to_vec();
    html.extend_from_slice(b"<html><body><script>alert(document.cookie)</script></body></html>");
    let mut truncated = png();
    truncated.truncate(truncated.len() / 2);
    let refused: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "脚本.pdf",
            pdf(vec![("OpenAction", Object::Dictionary(js.clone()))]),
            "JavaScript",
        ),
        (
            "附加动作.pdf",
            pdf(vec![(
                "AA",
                Object::Dictionary(dictionary! { "WC" => Object::Dictionary(js.clone()) }),
            )]),
            "JavaScript",
        ),
        (
            "启动.pdf",
            pdf(vec![("OpenAction", Object::Dictionary(launch))]),
            "Launch",
        ),
        ("网页.pdf", html, "无法按 PDF 读取"),
        ("残缺.png", truncated, "无法按 PNG 图片完整解码"),
    ];
    for (name, bytes, reason) in &refused {
        // The page: back to the form with the reason.
        let r = school
            .post_multipart(
                &format!("/forms/{}/scan", form.id),
                &[Part::file("file", name, bytes)],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{name}: {}", r.body);
        let page = school.get(&format!("/forms/{}", form.id)).await;
        assert!(
            page.body.contains(&format!("「{name}」")) && page.body.contains(reason),
            "{name}: {}",
            page.body
        );
        // The API: 422 with the same reason.
        let r = api
            .post_multipart(
                &format!("/api/v1/forms/{}/scans", form.id),
                &[Part::file("file", name, bytes)],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name}: {}",
            r.body
        );
        assert!(
            r.json()["error"].as_str().unwrap().contains(reason),
            "{}",
            r.body
        );
    }
    assert_eq!(count().await, before, "nothing refused is stored");

    // Real scans are accepted: a one-page PDF, a PNG and a JPEG.
    for (name, bytes) in [
        ("盖章.pdf", pdf(vec![])),
        ("盖章.png", png()),
        ("盖章.jpg", jpeg()),
    ] {
        let r = api
            .post_multipart(
                &format!("/api/v1/forms/{}/scans", form.id),
                &[Part::file("file", name, &bytes)],
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{name}: {}", r.body);
    }
    assert_eq!(count().await, before + 3);
}

#[tokio::test]
async fn a_password_change_ends_the_other_sessions_and_a_reset_ends_sessions_and_tokens() {
    let app = TestApp::new().await;
    open_batch(&app).await;
    let user = app.user(Role::SchoolOfficer).await;
    let mut here = app.login_as(&user, PASSWORD).await;
    let mut elsewhere = app.login_as(&user, PASSWORD).await;
    assert_eq!(app.store().count_sessions(user.id).await.unwrap(), 2);
    let new_password = "Jiaowei-Lianhe-7Pq";
    let r = here
        .post_form(
            "/password",
            &[
                ("old_password", PASSWORD),
                ("new_password", new_password),
                ("repeat_password", new_password),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // This browser carries on (in a new session); the other one is signed out.
    assert_eq!(here.get("/").await.status, StatusCode::OK);
    let r = elsewhere.get("/").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.location().starts_with("/login"), "{}", r.location());
    assert_eq!(app.store().count_sessions(user.id).await.unwrap(), 1);

    // The administrator's reset ends every session and revokes the API tokens.
    let (_, token) = app
        .store()
        .create_token(user.id, "脚本", &Actor::system())
        .await
        .unwrap();
    let mut api = app.anon();
    api.bearer = Some(token);
    assert_eq!(api.get("/api/v1/forms").await.status, StatusCode::OK);
    let mut admin = app.login(Role::Admin).await;
    let r = admin
        .post_form(&format!("/admin/accounts/{}/reset", user.id), &[])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = here.get("/").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "the user's session ended");
    assert_eq!(
        api.get("/api/v1/forms").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.store().count_sessions(user.id).await.unwrap(), 0);
    assert_eq!(
        admin.get("/").await.status,
        StatusCode::OK,
        "the admin's own session lives"
    );
}

#[tokio::test]
async fn wrong_old_passwords_count_toward_the_lockout_and_are_audited() {
    let app = TestApp::new().await;
    let user = app.user(Role::EnterpriseOfficer).await;
    let mut c = app.login_as(&user, PASSWORD).await;
    for i in 1..=5 {
        let r = c
            .post_form(
                "/password",
                &[
                    ("old_password", "Guessed-Wrong-42x"),
                    ("new_password", "Jiaowei-Lianhe-7Pq"),
                    ("repeat_password", "Jiaowei-Lianhe-7Pq"),
                ],
            )
            .await;
        if i < 5 {
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{i}: {}",
                r.body
            );
            assert!(r.body.contains("当前密码不正确"), "{}", r.body);
        } else {
            assert!(r.body.contains("账号已锁定"), "{}", r.body);
        }
    }
    let log = app
        .store()
        .list_audit(
            &AuditFilter {
                action_prefix: Some("user.change_password_failed".into()),
                ..Default::default()
            },
            PageRequest::new(0, 10),
        )
        .await
        .unwrap();
    assert_eq!(log.total, 5);
    assert!(log.items.iter().all(|e| e.ip == "10.0.0.1"));
    // Locked: the session ended and even the right password does not sign in.
    assert_eq!(c.get("/").await.status, StatusCode::SEE_OTHER);
    let r = app
        .anon()
        .post_form_raw(
            "/login",
            &[("username", &user.username), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains(LOGIN_FAILED));
}

#[tokio::test]
async fn weak_new_passwords_are_refused_with_a_hint() {
    let app = TestApp::new().await;
    let mut c = app.login(Role::SchoolOfficer).await;
    for weak in ["Password1234", "Qwerty123456!"] {
        let r = c
            .post_form(
                "/password",
                &[
                    ("old_password", PASSWORD),
                    ("new_password", weak),
                    ("repeat_password", weak),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{weak}");
        assert!(r.body.contains("容易被猜中"), "{weak}: {}", r.body);
    }
    // The old password still works: nothing changed.
    let user = c.user.clone().unwrap();
    app.login_as(&user, PASSWORD).await;
}

/// A tracing subscriber writing into a buffer, for the current thread.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

#[tokio::test]
async fn refusals_are_logged_and_repeated_ones_audited() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_max_level(tracing::Level::WARN)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let app = TestApp::new().await;
    let batch = open_batch(&app).await;
    let other = pair(&app, "辛", "国家双高").await;
    let (_, foreign) = prepared(&app, &batch, &other).await;
    let mut school = app.login(Role::SchoolOfficer).await;
    let username = school.user.clone().unwrap().username;

    // 403 by role.
    let r = school.get("/admin/accounts").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // 404 out of scope: another school's form.
    let r = school.get(&format!("/forms/{}", foreign.id)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // CSRF 403: the session's token missing.
    let r = school.post_form_raw("/logout", &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // CSRF 403 of the layer: a cross-site POST.
    let r = school
        .send(
            Request::post("/logout")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header("sec-fetch-site", "cross-site")
                .body(Body::from(format!("_csrf={}", school.csrf)))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let log = captured.text();
    for (route, reason) in [
        ("/admin/accounts", "role not allowed"),
        ("/forms/{id}", "not found or out of scope"),
        ("/logout", "csrf token missing or wrong"),
        ("/logout", "cross-site request"),
    ] {
        assert!(
            log.lines().any(|l| l.contains("request refused")
                && l.contains(&username)
                && l.contains("school_officer")
                && l.contains(&format!("route=\"{route}\""))
                && l.contains(reason)),
            "{route} {reason}: {log}"
        );
        assert!(log.contains(reason), "{reason}: {log}");
    }

    let audited = || async {
        app.store()
            .list_audit(
                &AuditFilter {
                    action_prefix: Some("access.refused_repeatedly".into()),
                    ..Default::default()
                },
                PageRequest::new(0, 10),
            )
            .await
            .unwrap()
    };
    assert_eq!(
        audited().await.total,
        0,
        "four refusals are not yet audited"
    );
    // The fifth writes one entry; more refusals in the window write no more.
    for _ in 0..3 {
        let r = school.request(Method::DELETE, "/admin/accounts").await;
        assert!(r.status.is_client_error());
        school.get("/admin/audit").await;
    }
    let entries = audited().await;
    assert_eq!(entries.total, 1, "{:?}", entries.items);
    assert_eq!(
        entries.items[0].actor_user_id,
        school.user.as_ref().map(|u| u.id)
    );
    assert!(
        entries.items[0].detail.contains("5 refusals"),
        "{:?}",
        entries.items[0]
    );
}

#[tokio::test]
async fn sessions_are_stored_hashed_and_hsts_is_sent_behind_tls() {
    let app = TestApp::with_config(WebConfig {
        secure_cookies: true,
        ..Default::default()
    })
    .await;
    let c = app.login(Role::Admin).await;
    let cookie = c.cookie.clone().unwrap();
    let id = cookie.strip_prefix("ss_session=").unwrap();
    let stored = app.db.query_text("SELECT id FROM sessions").await.unwrap();
    assert_ne!(stored, id, "the raw id is not stored");
    assert_eq!(
        stored,
        shuangshi_store::sessions::session_key(&id.parse().unwrap())
    );
    let data = app
        .db
        .query_text("SELECT data FROM sessions")
        .await
        .unwrap();
    assert!(!c.csrf.is_empty());
    assert!(!data.contains(&c.csrf), "no CSRF token stored: {data}");
    assert!(!data.contains(id));

    let r = app.anon().get("/login").await;
    assert_eq!(
        r.headers
            .get(header::STRICT_TRANSPORT_SECURITY)
            .and_then(|v| v.to_str().ok()),
        Some("max-age=31536000")
    );
    let plain = TestApp::new().await;
    let r = plain.anon().get("/login").await;
    assert!(r.headers.get(header::STRICT_TRANSPORT_SECURITY).is_none());
}
