//! The clerk's screens (issue 12): the top bar's batch switcher switches the batch every page
//! works in and returns to the page (never without the CSRF token, never for a school); the forced
//! password change shows no menu; the audit log reads in Chinese, filters by who, what and when,
//! and exports what it shows (audited); 通知与模板 tells only a school with an extension that it
//! has one, writes money as 「¥10,000」 and carries the notice's text.

use std::io::Cursor;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use calamine::{Data, Reader, Xlsx};
use shuangshi_rules::Batch;
use shuangshi_store::audit::{ACTION_GROUPS, ACTION_NAMES};
use shuangshi_store::{Actor, AuditFilter, NewUser, PageRequest, Role};

use crate::school::{open_batch, pair};
use crate::support::{Client, PASSWORD, TestApp};

/// A page's visible text: tags, and the values of attributes with them, left out.
fn visible_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// The text of the first `<title>`.
fn title(html: &str) -> &str {
    let start = html.find("<title>").map_or(0, |i| i + "<title>".len());
    let end = html[start..].find("</title>").map_or(start, |i| start + i);
    &html[start..end]
}

/// `POST /batch` choosing `batch_id`, from the page `referer`, with the client's CSRF token
/// (or none).
async fn switch(
    client: &mut Client,
    batch_id: i64,
    referer: &str,
    csrf: bool,
) -> (StatusCode, String) {
    let id = batch_id.to_string();
    let mut fields = vec![("batch_id", id.as_str())];
    let token = client.csrf.clone();
    if csrf {
        fields.push(("_csrf", token.as_str()));
    }
    let body = serde_urlencoded::to_string(&fields).unwrap();
    let r = client
        .send(
            Request::post("/batch")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::REFERER, referer)
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
    (r.status, r.location().to_owned())
}

#[tokio::test]
async fn the_batch_switcher_switches_every_page_and_returns_to_it() {
    let app = TestApp::new().await;
    let ten = open_batch(&app).await;
    let mut params = Batch::batch10();
    params.number = 9;
    params.name = "第九批".to_owned();
    params.term = "2023年春季学期".to_owned();
    let nine = app
        .store()
        .create_batch(&params, &Actor::system())
        .await
        .unwrap();
    let mut admin = app.login(Role::Admin).await;

    // The open batch is current: the switcher offers both, the page is 第十批's.
    let page = admin.get("/roster").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains(r#"action="/batch""#), "{}", page.body);
    assert!(
        page.body.contains(&format!(
            r#"<option value="{}" selected>第十批</option>"#,
            ten.id
        )),
        "{}",
        page.body
    );
    assert!(title(&page.body).starts_with("第十批汇总名单"));

    // Without the token nothing changes.
    let (status, _) = switch(
        &mut admin,
        nine.id,
        "http://shuangshi.test/roster?dup=1",
        false,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(title(&admin.get("/roster").await.body).starts_with("第十批汇总名单"));

    // With it: back to the very page, which now shows 第九批, as does every other page.
    let (status, location) = switch(
        &mut admin,
        nine.id,
        "http://shuangshi.test/roster?dup=1",
        true,
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, "/roster?dup=1");
    let page = admin.get("/roster?dup=1").await;
    assert!(
        title(&page.body).starts_with("第九批汇总名单"),
        "{}",
        page.body
    );
    assert!(page.body.contains(&format!(
        r#"<option value="{}" selected>第九批</option>"#,
        nine.id
    )));
    let selection = admin.get("/selection").await;
    assert!(
        title(&selection.body).starts_with("第九批遴选与公布"),
        "{}",
        selection.body
    );

    // A page of another site, or none, sends the user to 工作台.
    let (_, location) = switch(&mut admin, ten.id, "https://evil.example/roster", true).await;
    assert_eq!(location, "/");
    assert!(title(&admin.get("/roster").await.body).starts_with("第十批汇总名单"));
    // A batch that does not exist changes nothing and says so.
    let (status, _) = switch(&mut admin, 999_999, "http://shuangshi.test/roster", true).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(title(&admin.get("/roster").await.body).starts_with("第十批"));

    // The choice is this account's, in this session: another admin still works in the open batch.
    switch(&mut admin, nine.id, "/roster", true).await;
    let mut other = app.login(Role::Admin).await;
    assert!(title(&other.get("/roster").await.body).starts_with("第十批汇总名单"));

    // A school has no switcher and may not switch.
    let a = pair(&app, "切换", "中职").await;
    let mut school = app.login_as(&a.school_user, PASSWORD).await;
    let page = school.get("/notices").await;
    assert!(!page.body.contains(r#"action="/batch""#));
    let (status, _) = switch(&mut school, nine.id, "/notices", true).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(school.get("/notices").await.body.contains("2024年春季学期"));
}

#[tokio::test]
async fn the_forced_password_change_shows_no_menu() {
    let app = TestApp::new().await;
    open_batch(&app).await;
    let user = app
        .store()
        .create_user(
            NewUser {
                username: "chushi".to_owned(),
                display_name: "初始用户".to_owned(),
                role: Role::Admin,
                org_id: None,
                password: PASSWORD.to_owned(),
                must_change_password: true,
            },
            &Actor::system(),
        )
        .await
        .unwrap();
    let mut client = app.login_as(&user, PASSWORD).await;
    let page = client.get("/password").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("请先设置您自己的密码"), "{}", page.body);
    for absent in [
        "app-sidebar",
        "app-menu-link",
        "app-breadcrumb",
        r#"action="/batch""#,
        r#"href="/admin/audit""#,
        r#"href="/password""#,
        r#"href="/""#,
    ] {
        assert!(!page.body.contains(absent), "{absent} on the forced page");
    }
    assert!(
        page.body.contains("双千双师交流计划管理系统")
            && page.body.contains("初始用户")
            && page.body.contains(r#"action="/logout""#)
            && page.body.contains("退出"),
        "{}",
        page.body
    );

    // Once changed, the page has its frame again.
    let r = client
        .post_form(
            "/password",
            &[
                ("old_password", PASSWORD),
                ("new_password", "Brand-New-Secret-42"),
                ("repeat_password", "Brand-New-Secret-42"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    client.refresh_csrf().await;
    let page = client.get("/password").await;
    assert!(page.body.contains("app-sidebar") && page.body.contains(r#"href="/admin/audit""#));
}

#[tokio::test]
async fn the_audit_log_reads_in_chinese_filters_and_exports() {
    let app = TestApp::new().await;
    open_batch(&app).await;
    let a = pair(&app, "审计", "中职").await;
    let mut admin = app.login(Role::Admin).await;
    let admin_name = admin.user.as_ref().unwrap().display_name.clone();
    app.login_as(&a.school_user, PASSWORD).await;
    app.anon()
        .post_form_raw("/login", &[("username", "nobody"), ("password", "wrong")])
        .await;
    app.anon()
        .post_form_raw(
            "/login",
            &[("username", &a.school_user.username), ("password", "wrong")],
        )
        .await;

    let page = admin.get("/admin/audit").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let text = visible_text(&page.body);
    for name in ["登录成功", "登录失败", "新增账号", "新增单位"] {
        assert!(text.contains(name), "{name} missing: {text}");
    }
    for code in [
        "login.ok",
        "login.failed",
        "user.create",
        "user:",
        "org.create",
    ] {
        assert!(!text.contains(code), "raw {code} shown: {text}");
    }
    // People by name and organisation, not by id.
    let rows = visible_text(tbody(&page.body));
    assert!(rows.contains(&a.school_user.display_name) && rows.contains(&a.school.name));
    assert!(rows.contains(&admin_name) && rows.contains("重庆市教育委员会"));
    assert!(rows.contains("nobody（非本系统账号）"), "{rows}");

    // 操作类型: only logins.
    let page = admin.get("/admin/audit?action=login.").await;
    let rows = page.body.matches("<tr data-action=").count();
    assert!(rows >= 4, "{}", page.body);
    assert_eq!(
        page.body.matches(r#"<tr data-action="login."#).count(),
        rows
    );

    // 操作人 (by name, or by organisation): only that account's entries.
    let school_name = &a.school.name;
    for who in [a.school_user.display_name.as_str(), school_name.as_str()] {
        let page = admin
            .get(&format!("/admin/audit?user={}", urlencode(who)))
            .await;
        let rows = tbody(&page.body);
        let n = rows.matches("<tr data-action=").count();
        assert!(n >= 2, "a login and a failed one: {}", page.body);
        assert!(
            rows.split("<tr data-action=")
                .skip(1)
                .all(|row| row.contains(&a.school_user.display_name)),
            "{rows}"
        );
        assert!(
            !rows.contains(&admin_name) && !rows.contains("nobody"),
            "{rows}"
        );
    }

    // 起止日期 (Beijing time): today has everything, long ago nothing.
    let today = chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .format("%Y-%m-%d")
        .to_string();
    let all = admin.get("/admin/audit?per_page=100").await;
    let everything = all.body.matches("<tr data-action=").count();
    let page = admin
        .get(&format!(
            "/admin/audit?per_page=100&from={today}&to={today}"
        ))
        .await;
    assert_eq!(page.body.matches("<tr data-action=").count(), everything);
    let page = admin
        .get("/admin/audit?from=2000-01-01&to=2000-12-31")
        .await;
    assert_eq!(page.body.matches("<tr data-action=").count(), 0);
    assert!(page.body.contains("没有符合条件的审计记录"));
    let page = admin.get("/admin/audit?from=yesterday").await;
    assert!(page.body.contains("起始日期「yesterday」无法识别"));

    // The filters stay in the page links.
    let page = admin
        .get("/admin/audit?action=login.&per_page=10&to=2099-01-01")
        .await;
    assert!(
        page.body
            .contains(r#"<input type="hidden" name="action" value="login.">"#)
            && page
                .body
                .contains(r#"<input type="hidden" name="to" value="2099-01-01">"#),
        "{}",
        page.body
    );
    let unescaped = page.body.replace("&#38;", "&").replace("&amp;", "&");
    assert!(
        unescaped.contains(r#"href="/admin/audit.xlsx?action=login.&to=2099-01-01""#),
        "{}",
        page.body
    );

    // 导出: the filtered log, row for row, and itself an audit entry.
    let listed = admin.get("/admin/audit?action=login.&per_page=100").await;
    let ids: Vec<String> = listed
        .body
        .split("<tr data-action=")
        .skip(1)
        .filter_map(|row| {
            let cell = row.split("<td class=\"num py-1 lh-sm\">").nth(1)?;
            Some(cell.split('<').next()?.to_owned())
        })
        .collect();
    let r = admin.get("/admin/audit.xlsx?action=login.").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.contains("spreadsheetml"))
    );
    let mut book = Xlsx::new(Cursor::new(r.bytes.clone())).unwrap();
    let sheet = book.worksheet_range("审计日志").unwrap();
    let cell = |row: u32, col: u32| match sheet.get_value((row, col)) {
        Some(Data::String(s)) => s.clone(),
        other => format!("{other:?}"),
    };
    assert_eq!(cell(1, 0), "序号");
    assert_eq!(cell(1, 4), "操作");
    let exported: Vec<String> = (2..sheet.height() as u32).map(|r| cell(r, 0)).collect();
    assert_eq!(exported, ids);
    for r in 2..sheet.height() as u32 {
        assert!(cell(r, 4).starts_with("登录"), "{}", cell(r, 4));
        assert!(cell(r, 8).starts_with("login."));
    }
    let audited = app
        .store()
        .list_audit(
            &AuditFilter {
                action_prefix: Some("export.audit".into()),
                ..AuditFilter::default()
            },
            PageRequest::new(0, 10),
        )
        .await
        .unwrap();
    assert_eq!(audited.total, 1);
    assert!(
        audited.items[0]
            .detail
            .contains(&format!("{} 条", ids.len()))
    );
    assert!(
        audited.items[0].detail.contains("筛选：操作类型「登录」")
            && !audited.items[0].detail.contains("action="),
        "{}",
        audited.items[0].detail
    );
    let page = admin.get("/admin/audit?action=export.").await;
    assert!(visible_text(&page.body).contains("导出审计日志"));

    // The export is the administrator's only.
    let mut school = app.login_as(&a.school_user, PASSWORD).await;
    assert_eq!(
        school.get("/admin/audit.xlsx").await.status,
        StatusCode::FORBIDDEN
    );
}

/// The plain string literals of Rust source (comments and char literals skipped).
fn string_literals(src: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = src.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '/' if chars.get(i + 1) == Some(&'/') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '\'' if chars.get(i + 2) == Some(&'\'') => i += 3,
            '\'' if chars.get(i + 1) == Some(&'\\') && chars.get(i + 3) == Some(&'\'') => i += 4,
            '"' => {
                let mut lit = String::new();
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\\' {
                        i += 1;
                    }
                    if let Some(c) = chars.get(i) {
                        lit.push(*c);
                    }
                    i += 1;
                }
                out.push(lit);
                i += 1;
            }
            _ => i += 1,
        }
    }
    out
}

/// The `<tbody>` of a page (the rows of its list).
fn tbody(html: &str) -> &str {
    let start = html.find("<tbody>").unwrap_or(0);
    let end = html[start..]
        .find("</tbody>")
        .map_or(html.len(), |i| start + i);
    &html[start..end]
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("v", s)])
        .unwrap()
        .trim_start_matches("v=")
        .to_owned()
}

/// Every action code written anywhere in the code base has its Chinese name in the one table.
#[test]
fn every_audited_action_has_a_chinese_name() {
    let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut missing = Vec::new();
    let mut stack = vec![crates];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if path.is_dir() {
                if name != "tests" && name != "target" {
                    stack.push(path);
                }
                continue;
            }
            if !name.ends_with(".rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            for literal in string_literals(&text) {
                let looks_like_code = literal
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_' || c == '.')
                    && ACTION_GROUPS
                        .iter()
                        .any(|(p, _)| p.ends_with('.') && literal.starts_with(p))
                    && !literal.ends_with('.')
                    && ![
                        ".html", ".css", ".js", ".csv", ".xlsx", ".json", ".toml", ".txt",
                    ]
                    .iter()
                    .any(|ext| literal.ends_with(ext));
                if looks_like_code && !ACTION_NAMES.iter().any(|(c, _)| *c == literal) {
                    missing.push(format!("{literal} ({})", path.display()));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "action codes without a Chinese name: {missing:?}"
    );
    assert_eq!(shuangshi_store::audit::action_name("login.ok"), "登录成功");
    assert_eq!(
        shuangshi_store::audit::action_name("something.new"),
        "其他操作（something.new）"
    );
}

#[tokio::test]
async fn the_notices_say_extension_only_where_there_is_one_and_write_money_with_the_yuan_sign() {
    let app = TestApp::new().await;
    let batch = open_batch(&app).await;
    let extended = pair(&app, "延期", "市级双高").await;
    let plain = pair(&app, "如期", "市级双高").await;
    app.store()
        .set_extension(
            batch.id,
            extended.school.id,
            batch.deadline() + chrono::Duration::days(7),
            &Actor::system(),
        )
        .await
        .unwrap();

    let mut school = app.login_as(&extended.school_user, PASSWORD).await;
    let page = school.get("/notices").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("本校已获延期"), "{}", page.body);

    let mut school = app.login_as(&plain.school_user, PASSWORD).await;
    let page = school.get("/notices").await;
    assert!(!page.body.contains("本校已获延期"), "{}", page.body);
    assert!(page.body.contains("¥10,000") && !page.body.contains("10,000 元"));
    // The heading names the rules its table is about.
    assert!(page.body.contains("S03–S05") && !page.body.contains("S02–S05"));
    // The notice itself, collapsible, without the attached form's table.
    assert!(page.body.contains("<details>") && page.body.contains("通知原文"));
    assert!(page.body.contains("交流互聘人选的通知") && page.body.contains("1万元/人"));
    assert!(page.body.contains("四、工作要求"));
    assert!(!page.body.contains("自行添加行"));
}
