//! Sessions and login: the same answer to every failure, lockout, throttling, cookie flags, id
//! cycling, idle and absolute expiry, CSRF, forced password change, logout.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use shuangshi_store::{Actor, AuditFilter, NewUser, PageRequest, Role};
use shuangshi_web::WebConfig;
use shuangshi_web::account::pages::{LOGIN_FAILED, LOGIN_THROTTLED};

use crate::support::{PASSWORD, TestApp};

#[tokio::test]
async fn login_failures_all_look_the_same_and_lock_after_five() {
    let app = TestApp::new().await;
    let user = app.user(Role::SchoolOfficer).await;
    let mut c = app.anon();

    let unknown = c
        .post_form_raw("/login", &[("username", "nobody"), ("password", PASSWORD)])
        .await;
    let wrong = c
        .post_form_raw(
            "/login",
            &[
                ("username", &user.username),
                ("password", "Wrong-Password-1"),
            ],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(unknown.body.contains(LOGIN_FAILED), "{}", unknown.body);
    assert!(wrong.body.contains(LOGIN_FAILED));
    assert!(c.cookie.is_none(), "no session for a failed login");
    // Four more wrong passwords lock the account: then even the right one gets the same answer.
    for _ in 0..4 {
        c.post_form_raw(
            "/login",
            &[
                ("username", &user.username),
                ("password", "Wrong-Password-1"),
            ],
        )
        .await;
    }
    let locked = c
        .post_form_raw(
            "/login",
            &[("username", &user.username), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(locked.status, StatusCode::UNAUTHORIZED);
    assert!(locked.body.contains(LOGIN_FAILED));
    assert_eq!(
        locked.body.replace(&user.username, "X"),
        unknown.body.replace("nobody", "X"),
        "a locked account and an unknown user get the same page"
    );

    // Every attempt is in the audit log with the client address.
    let log = app
        .store()
        .list_audit(
            &AuditFilter {
                action_prefix: Some("login.".into()),
                ..Default::default()
            },
            PageRequest::new(0, 100),
        )
        .await
        .unwrap();
    assert_eq!(log.total, 7);
    assert!(log.items.iter().all(|e| e.ip == "10.0.0.1"));
    assert!(log.items.iter().any(|e| e.action == "login.locked"));

    // The administrator unlocks; the right password works again.
    app.store()
        .unlock_user(user.id, &Actor::system())
        .await
        .unwrap();
    let ok = c
        .post_form_raw(
            "/login",
            &[("username", &user.username), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert_eq!(ok.location(), "/");
}

#[tokio::test]
async fn logins_are_throttled_per_address() {
    let app = TestApp::with_config(WebConfig {
        login_attempts_per_window: 3,
        ..Default::default()
    })
    .await;
    let mut c = app.anon();
    for _ in 0..3 {
        let r = c
            .post_form_raw("/login", &[("username", "x"), ("password", "y")])
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = c
        .post_form_raw("/login", &[("username", "x"), ("password", "y")])
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.body.contains(LOGIN_THROTTLED));
    // Another address is not affected.
    let mut other = app.anon();
    other.ip = "10.0.0.2".into();
    let r = other
        .post_form_raw("/login", &[("username", "x"), ("password", "y")])
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn session_cookie_is_strict_http_only_and_cycled_at_login() {
    let app = TestApp::new().await;
    let a = app.user(Role::Admin).await;
    let b = app.user(Role::SchoolOfficer).await;
    let mut c = app.anon();
    let r = c
        .post_form_raw(
            "/login",
            &[("username", &a.username), ("password", PASSWORD)],
        )
        .await;
    let cookie = r.set_cookie().expect("session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    assert!(!cookie.contains("Secure"), "{cookie}");
    let first = c.cookie.clone().unwrap();
    assert_eq!(c.get("/").await.status, StatusCode::OK);

    // Logging in again (as someone else) with that cookie gives a new id; the old one is dead.
    let r = c
        .post_form_raw(
            "/login",
            &[("username", &b.username), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let second = c.cookie.clone().unwrap();
    assert_ne!(first, second);
    let mut old = app.anon();
    old.cookie = Some(first);
    let r = old.get("/").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.location().starts_with("/login"));
    let page = c.get("/").await;
    assert!(page.body.contains(&b.display_name), "now signed in as b");

    // Behind TLS the cookie is Secure.
    let tls = TestApp::with_config(WebConfig {
        secure_cookies: true,
        ..Default::default()
    })
    .await;
    let u = tls.user(Role::Admin).await;
    let r = tls
        .anon()
        .post_form_raw(
            "/login",
            &[("username", &u.username), ("password", PASSWORD)],
        )
        .await;
    assert!(r.set_cookie().unwrap().contains("Secure"));
}

#[tokio::test]
async fn sessions_expire_when_idle_and_after_the_absolute_limit() {
    let app = TestApp::with_config(WebConfig {
        idle_timeout: Duration::from_secs(1),
        ..Default::default()
    })
    .await;
    let mut c = app.login(Role::Admin).await;
    assert_eq!(c.get("/").await.status, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let r = c.get("/").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "idle session ended");
    assert!(r.location().starts_with("/login"));

    let app = TestApp::with_config(WebConfig {
        absolute_timeout: Duration::from_secs(3),
        ..Default::default()
    })
    .await;
    let mut c = app.login(Role::Admin).await;
    assert_eq!(c.get("/").await.status, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(c.get("/").await.status, StatusCode::OK, "still active");
    tokio::time::sleep(Duration::from_millis(3100)).await;
    let r = c.get("/").await;
    assert_eq!(
        r.status,
        StatusCode::SEE_OTHER,
        "12-hour limit (here 3 s) reached"
    );
}

#[tokio::test]
async fn state_changes_need_the_csrf_token() {
    let app = TestApp::new().await;
    let mut c = app.login(Role::Admin).await;
    assert_eq!(c.csrf.len(), 64);

    // A cross-site POST is refused by the layer, before any handler.
    let r = c
        .send(
            Request::post("/logout")
                .header("sec-fetch-site", "cross-site")
                .header(header::ORIGIN, "https://evil.example")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(format!("_csrf={}", c.csrf)))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // A same-site POST without the token (or with a wrong one) is refused too.
    let r = c.post_form_raw("/logout", &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("页面已过期"), "{}", r.body);
    let r = c
        .post_form_raw("/logout", &[("_csrf", &"0".repeat(64))])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(c.get("/").await.status, StatusCode::OK, "still signed in");

    // With the token: signed out, and the old cookie no longer works.
    let cookie = c.cookie.clone();
    let r = c.post_form("/logout", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/login?bye=1");
    let mut old = app.anon();
    old.cookie = cookie;
    assert_eq!(old.get("/").await.status, StatusCode::SEE_OTHER);
    let page = app.anon().get("/login?bye=1").await;
    assert!(page.body.contains("您已安全退出登录"));
}

#[tokio::test]
async fn a_one_time_password_must_be_changed_first() {
    let app = TestApp::new().await;
    let user = app
        .store()
        .create_user(
            NewUser {
                username: "new_admin".into(),
                display_name: "新管理员".into(),
                role: Role::Admin,
                org_id: None,
                password: "Initial-Pass-99".into(),
                must_change_password: true,
            },
            &Actor::system(),
        )
        .await
        .unwrap();
    let mut c = app.anon();
    let r = c
        .post_form_raw(
            "/login",
            &[("username", "new_admin"), ("password", "Initial-Pass-99")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/password");
    c.user = Some(user);
    c.refresh_csrf().await;
    // Every other page sends the account back to /password.
    for path in ["/", "/admin/accounts", "/admin/audit"] {
        let r = c.get(path).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(r.location(), "/password", "{path}");
    }
    let page = c.get("/password").await;
    assert!(page.body.contains("这是系统分配的初始密码"));

    // A weak password is refused with the rule; a good one is taken.
    let r = c
        .post_form(
            "/password",
            &[
                ("old_password", "Initial-Pass-99"),
                ("new_password", "short"),
                ("repeat_password", "short"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("至少需要 12 个字符"), "{}", r.body);
    let r = c
        .post_form(
            "/password",
            &[
                ("old_password", "Wrong-Initial-1"),
                ("new_password", "Brand-New-Pass-42"),
                ("repeat_password", "Brand-New-Pass-42"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("当前密码不正确"), "{}", r.body);
    let r = c
        .post_form(
            "/password",
            &[
                ("old_password", "Initial-Pass-99"),
                ("new_password", "Brand-New-Pass-42"),
                ("repeat_password", "Brand-New-Pass-42"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let home = c.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("密码已修改"));
}

#[tokio::test]
async fn dashboards_greet_each_role() {
    let app = TestApp::new().await;
    for role in [
        Role::Admin,
        Role::VocationalReviewer,
        Role::SchoolOfficer,
        Role::EnterpriseOfficer,
    ] {
        let mut c = app.login(role).await;
        let r = c.get("/").await;
        assert_eq!(r.status, StatusCode::OK, "{role:?}");
        assert!(r.body.contains("工作台"), "{role:?}");
        assert!(r.body.contains(role.label()), "{role:?}");
    }
    // The oversight bodies have no dashboard: their list is their home.
    let mut c = app.login(Role::SasacViewer).await;
    let r = c.get("/").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/list");
}

/// Targets a browser would resolve to another site (after dropping tabs and newlines and reading
/// `\` as `/`), or that cannot stand in a header.
const OFF_SITE: &[&str] = &[
    "%2F%09%2Fevil.example",
    "%2F%0A%2Fevil.example",
    "%2F%0B%2Fevil.example",
    "%2F%0D%0A%2Fevil.example",
    "%0D%0A%2F%2Fevil.example",
    "%20%2F%2Fevil.example",
    "%2F%2Fevil.example",
    "//evil.example",
    "%2F%5Cevil.example",
    "/%5C/evil.example",
    "%5C%5Cevil.example",
    "https://evil.example",
    "https%3A%2F%2Fevil.example",
    "javascript:alert(1)",
    "evil.example",
];

#[tokio::test]
async fn login_next_never_leaves_the_site() {
    let app = TestApp::new().await;
    let user = app.user(Role::SchoolOfficer).await;
    let mut signed_in = app.login_as(&user, PASSWORD).await;
    for payload in OFF_SITE {
        // Signed in: straight to the target.
        let r = signed_in.get(&format!("/login?next={payload}")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{payload}: {}", r.body);
        assert_eq!(r.location(), "/", "{payload}");
        // Signed out: the login form carries the target, and the login goes there.
        let mut anon = app.anon();
        let r = anon.get(&format!("/login?next={payload}")).await;
        assert_eq!(r.status, StatusCode::OK, "{payload}");
        assert!(
            r.body.contains(r#"name="next" value="/""#),
            "{payload}: {}",
            r.body
        );
        let next = format!("next={payload}");
        let decoded: Vec<(String, String)> = serde_urlencoded::from_str(&next).unwrap();
        let r = anon
            .post_form_raw(
                "/login",
                &[
                    ("username", &user.username),
                    ("password", PASSWORD),
                    ("next", &decoded[0].1),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{payload}: {}", r.body);
        assert_eq!(r.location(), "/", "{payload}");
    }
    // A path on the site is kept, made safe for the header.
    let r = signed_in.get("/login?next=%2Fforms%3Ftab%3D2").await;
    assert_eq!(r.location(), "/forms?tab=2");
    let r = signed_in.get("/login?next=%2Fforms%2F%E5%AD%A6%20x").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/forms/%E5%AD%A6%20x");
    let r = signed_in.get("/login?next=%2F%09forms").await;
    assert_eq!(r.location(), "/forms");
}
