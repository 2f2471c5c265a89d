//! One Disclosure: every page a role can reach (crawled from its home page, every link followed,
//! every download unzipped) and every API read, as every role, carries no full mobile or account
//! number — finding messages, footer phones and version diffs included — unless the view exists to
//! show them and is audited; 「查看完整」 unmasks for the roles that may, and writes an audit entry.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::io::Read;

use axum::http::StatusCode;
use shuangshi_rules::Column;
use shuangshi_store::{Actor, AuditFilter, FormContent, PageRequest, Role, Scope, User};
use shuangshi_web::policy::rules;

use crate::review::{fix, submit};
use crate::school::{PNG, cells, engineer, open_batch, pair, prepared, teacher};
use crate::support::{Client, PASSWORD, Resp, TestApp};

/// Every number the seeded batch holds in full.
const SECRETS: &[&str] = &[
    "13800138000",
    "13900139000",
    "13700137000",
    "13600136000",
    "3100012345678901234",
    "6222020200012345678",
];

/// Views whose purpose is to show or hand out the numbers in full (the row's edit form, the print
/// for sealing, the filled form's download), each audited.
fn unmasked_by_purpose(role: Role, path: &str) -> bool {
    role == Role::SchoolOfficer
        && (path.ends_with("/edit")
            || path.ends_with("/print")
            || path.ends_with("/download.xlsx")
            || path.ends_with("/annotated.xlsx"))
}

/// The texts of a response: the body, or every entry of a zip (xlsx, docx).
fn texts(r: &Resp) -> String {
    if r.bytes.starts_with(b"PK") {
        let mut out = String::new();
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&r.bytes)).unwrap();
        for i in 0..zip.len() {
            let mut entry = zip.by_index(i).unwrap();
            let mut s = String::new();
            let _ = entry.read_to_string(&mut s);
            out.push_str(&s);
        }
        out
    } else {
        r.body.clone()
    }
}

fn leaks(text: &str) -> Vec<&'static str> {
    SECRETS
        .iter()
        .copied()
        .filter(|s| text.contains(s))
        .collect()
}

/// The same-site links of a page (`href="/…"`), without fragments.
fn links(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in body.split("href=\"").skip(1) {
        let Some(end) = part.find('"') else { continue };
        let href = part[..end].replace("&amp;", "&");
        let href = href.split('#').next().unwrap_or("").to_owned();
        if href.starts_with('/') && !href.starts_with("//") {
            out.push(href);
        }
    }
    out
}

fn skip(href: &str) -> bool {
    href == "/logout"
        || href.starts_with("/assets/")
        || href.starts_with("/api/")
        || href.contains("full=1")
}

/// Crawls everything `client` can reach from `/` (GET only); each page is handed to `check`.
async fn crawl(client: &mut Client, mut check: impl FnMut(&str, &Resp)) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut queue = VecDeque::from(["/".to_owned()]);
    while let Some(path) = queue.pop_front() {
        if seen.len() > 400 || !seen.insert(path.clone()) {
            continue;
        }
        let r = client.get(&path).await;
        assert!(
            !r.status.is_server_error(),
            "{path}: {} {}",
            r.status,
            r.body
        );
        if r.status.is_redirection() {
            let to = r.location().to_owned();
            if to.starts_with('/') && !skip(&to) {
                queue.push_back(to);
            }
            continue;
        }
        if r.status != StatusCode::OK {
            continue;
        }
        check(&path, &r);
        if r.body.contains("<html") {
            for href in links(&r.body) {
                if !skip(&href) && !seen.contains(&href) {
                    queue.push_back(href);
                }
            }
        }
    }
    seen
}

async fn unmask_entries(app: &TestApp, user: &User) -> u64 {
    let filter = AuditFilter {
        action_prefix: Some("unmask.".into()),
        actor_user_id: Some(user.id),
        ..AuditFilter::default()
    };
    app.store()
        .list_audit(&filter, PageRequest::new(0, 1))
        .await
        .unwrap()
        .total
}

/// A batch with a submitted school (two versions, a changed mobile between them) and a draft
/// school whose rows disagree on the account (F10 quotes the other row's number), whose footer
/// phone is a mobile, and which recommends a person of the first school again (D01).
async fn seeded() -> (TestApp, HashMap<Role, User>, Vec<i64>) {
    let app = TestApp::new().await;
    let batch = open_batch(&app).await;
    let a = pair(&app, "披甲", "中职").await;
    let (pa, fa) = prepared(&app, &batch, &a).await;
    let sid = submit(&app, &batch, &a).await;
    let mut admin = app.login(Role::Admin).await;
    let r = admin
        .post_form(
            &format!("/review/{sid}/return"),
            &[("note", "请核对手机号")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let s = app.store();
    let sys = Actor::system();
    let fa_now = crate::school::form(&app, fa.id).await;
    let mut changed = fa_now.rows[1].cells.clone();
    changed[Column::Mobile as usize] = "13700137000".into();
    s.update_row(&Scope::All, fa_now.rows[1].id, &changed, None, &sys)
        .await
        .unwrap()
        .unwrap();
    fix(&app, &crate::school::form(&app, fa.id).await, "正高级讲师").await;
    submit(&app, &batch, &a).await;

    let b = pair(&app, "披乙", "中职").await;
    let (pb, fb) = crate::school::partner_with(&app, &batch, &b).await;
    let mut other = cells(&engineer(&b, "13800138000"));
    other[Column::AccountNumber as usize] = "6222020200012345678".into();
    let content = FormContent {
        header_school: b.school.name.clone(),
        header_enterprise: b.enterprise.name.clone(),
        filler: "赵老师".into(),
        phone: "13600136000".into(),
        rows: vec![cells(&teacher(&b, "13900139001")), other],
    };
    let out = s
        .replace_rows(&Scope::All, fb, &content, None, &sys)
        .await
        .unwrap()
        .unwrap();
    s.put_scan(&Scope::All, fb, "image/png", PNG.to_vec(), &sys)
        .await
        .unwrap()
        .unwrap();
    let mut ids = vec![fa.id, fb, sid, pa, pb];
    ids.extend(out.form.rows.iter().map(|r| r.id));
    let mut users = HashMap::new();
    users.insert(Role::SchoolOfficer, b.school_user);
    users.insert(Role::EnterpriseOfficer, b.enterprise_user);
    for role in [
        Role::Admin,
        Role::VocationalReviewer,
        Role::SasacViewer,
        Role::FederationViewer,
    ] {
        users.insert(role, app.user(role).await);
    }
    (app, users, ids)
}

#[tokio::test]
async fn no_page_or_api_answer_carries_a_number_its_role_may_not_see() {
    let (app, users, ids) = seeded().await;
    let mut failures = Vec::new();
    for role in Role::ALL {
        let user = &users[&role];
        let mut client = app.login_as(user, PASSWORD).await;
        let before = unmask_entries(&app, user).await;
        let mut purposeful = 0;
        let seen = crawl(&mut client, |path, r| {
            let found = leaks(&texts(r));
            if found.is_empty() {
                return;
            }
            if unmasked_by_purpose(role, path) {
                purposeful += 1;
            } else {
                failures.push(format!("{role:?} GET {path}: {found:?}"));
            }
        })
        .await;
        assert!(seen.len() >= 3, "{role:?} reached only {seen:?}");
        // The views that show numbers on purpose are audited.
        if purposeful > 0 {
            let after = app
                .store()
                .list_audit(
                    &AuditFilter {
                        actor_user_id: Some(user.id),
                        ..AuditFilter::default()
                    },
                    PageRequest::new(0, 500),
                )
                .await
                .unwrap();
            assert!(
                after
                    .items
                    .iter()
                    .any(|e| e.action.starts_with("unmask.") || e.action.starts_with("export.")),
                "{role:?}: unmasked views without an audit entry"
            );
        }
        // Asking for numbers in full changes nothing for a role that may not see them.
        if !shuangshi_web::policy::may_unmask(role) {
            for path in &seen {
                let sep = if path.contains('?') { '&' } else { '?' };
                let r = client.get(&format!("{path}{sep}full=1")).await;
                let found = leaks(&texts(&r));
                if !found.is_empty() {
                    failures.push(format!("{role:?} GET {path}?full=1: {found:?}"));
                }
            }
            assert_eq!(unmask_entries(&app, user).await, before);
        }

        // Every API read, with every seeded id, with and without full=1.
        let (_, token) = app
            .store()
            .create_token(user.id, "测试", &Actor::system())
            .await
            .unwrap();
        let mut api = app.anon();
        api.bearer = Some(token);
        for rule in rules().iter().filter(|r| r.method == "GET") {
            if !rule.path.starts_with("/api/") {
                continue;
            }
            let paths: Vec<String> = if rule.path.contains('{') {
                ids.iter()
                    .map(|id| {
                        rule.path
                            .split('/')
                            .map(|s| {
                                if s.starts_with('{') {
                                    id.to_string()
                                } else {
                                    s.to_owned()
                                }
                            })
                            .collect::<Vec<_>>()
                            .join("/")
                    })
                    .collect()
            } else {
                vec![rule.path.to_owned()]
            };
            for path in paths {
                for full in [false, true] {
                    let uri = if full {
                        format!("{path}?full=1")
                    } else {
                        path.clone()
                    };
                    let r = api.get(&uri).await;
                    assert!(!r.status.is_server_error(), "{uri}: {}", r.body);
                    let found = leaks(&texts(&r));
                    let allowed = full && shuangshi_web::policy::may_unmask(role);
                    if !found.is_empty() && !allowed {
                        failures.push(format!("{role:?} API GET {uri}: {found:?}"));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} leaks:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn asking_for_numbers_in_full_shows_them_to_the_commission_and_is_audited() {
    let (app, users, ids) = seeded().await;
    let admin_user = &users[&Role::Admin];
    let mut admin = app.login_as(admin_user, PASSWORD).await;
    let sid = ids[2];
    // Masked by default, with the action offered.
    let r = admin.get("/roster").await;
    assert!(leaks(&r.body).is_empty());
    assert!(r.body.contains("查看完整"), "{}", r.body);
    assert_eq!(unmask_entries(&app, admin_user).await, 0);
    // In full on request, audited once per view.
    let r = admin.get("/roster?full=1").await;
    assert!(r.body.contains("13800138000") && r.body.contains("隐藏号码"));
    assert_eq!(unmask_entries(&app, admin_user).await, 1);
    let r = admin
        .get(&format!("/review/{sid}/diff?from=1&to=2&full=1"))
        .await;
    assert!(
        r.body.contains("13900139000") && r.body.contains("13700137000"),
        "{}",
        r.body
    );
    let r = admin.get(&format!("/review/{sid}/diff?from=1&to=2")).await;
    assert!(
        r.body.contains("139****9000") && !r.body.contains("13900139000"),
        "the diff masks both sides: {}",
        r.body
    );
    assert_eq!(unmask_entries(&app, admin_user).await, 2);
    let r = admin.get("/roster.xlsx?full=1").await;
    assert!(texts(&r).contains("13800138000"));
    let r = admin.get("/roster.xlsx").await;
    assert!(leaks(&texts(&r)).is_empty());

    // The enterprise sees the other row's account masked inside the F10 message, and the
    // footer's mobile masked, on its page and in the API.
    let ent = &users[&Role::EnterpriseOfficer];
    let mut page = app.login_as(ent, PASSWORD).await;
    let r = page.get(&format!("/confirmations/{}", ids[1])).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(leaks(&r.body).is_empty(), "{}", r.body);
    let mut api = app.anon();
    let (_, token) = app
        .store()
        .create_token(ent.id, "测试", &Actor::system())
        .await
        .unwrap();
    api.bearer = Some(token);
    let r = api.get(&format!("/api/v1/forms/{}?full=1", ids[1])).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let j = r.json();
    assert_eq!(j["phone"], "136****6000");
    let f10 = j["report"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "F10")
        .expect("the rows disagree on the account");
    assert!(
        f10["message"]
            .as_str()
            .unwrap()
            .contains("***************5678")
            || f10["message"]
                .as_str()
                .unwrap()
                .contains("***************1234"),
        "{f10}"
    );
    assert!(leaks(&r.body).is_empty(), "{}", r.body);
}

/// `POST /reveal` of one number (`version` "0": the form as it stands), the session's CSRF token
/// added, answered as `accept` asks (`json`, `htmx` or a page).
async fn reveal(
    client: &mut Client,
    form: i64,
    row: u32,
    column: &str,
    version: &str,
    accept: &str,
) -> Resp {
    let body = serde_urlencoded::to_string([
        ("_csrf", client.csrf.as_str()),
        ("form", &form.to_string()),
        ("row", &row.to_string()),
        ("column", column),
        ("version", version),
        ("back", "/roster"),
    ])
    .unwrap();
    let mut request = axum::http::Request::post("/reveal")
        .header("content-type", "application/x-www-form-urlencoded");
    match accept {
        "json" => request = request.header("accept", "application/json"),
        "htmx" => request = request.header("hx-request", "true"),
        _ => {}
    }
    client
        .send(request.body(axum::body::Body::from(body)).unwrap())
        .await
}

async fn value_entries(app: &TestApp) -> Vec<shuangshi_store::AuditRecord> {
    let filter = AuditFilter {
        action_prefix: Some("unmask.value".into()),
        ..AuditFilter::default()
    };
    app.store()
        .list_audit(&filter, PageRequest::new(0, 100))
        .await
        .unwrap()
        .items
}

/// The value of the first hidden input `name` in a page.
fn hidden(body: &str, name: &str) -> Option<String> {
    let pattern = format!(r#"name="{name}" value=""#);
    let start = body.find(&pattern)? + pattern.len();
    let end = body[start..].find('"')? + start;
    Some(body[start..end].to_owned())
}

#[tokio::test]
async fn the_commission_reveals_one_number_which_is_audited_without_the_value() {
    let (app, users, ids) = seeded().await;
    let (fa, fb, sid) = (ids[0], ids[1], ids[2]);
    let mut admin = app.login_as(&users[&Role::Admin], PASSWORD).await;
    // The roster offers 「查看完整」 beside each masked number, and only masked ones.
    let r = admin.get("/roster").await;
    assert!(r.body.contains(r#"action="/reveal""#), "{}", r.body);
    assert!(r.body.contains(&format!(r#"name="form" value="{fb}""#)));
    assert!(leaks(&r.body).is_empty());
    let r = admin.get("/roster?full=1").await;
    assert!(!r.body.contains(r#"action="/reveal""#));

    // The engineer is the second person (sheet row 6) of school 乙's form.
    let r = reveal(&mut admin, fb, 6, "mobile", "0", "json").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["value"], "13800138000");
    assert_eq!(r.json()["column"], "mobile");
    assert_eq!(leaks(&r.body), vec!["13800138000"], "exactly that number");
    let r = reveal(&mut admin, fb, 6, "account", "0", "htmx").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("6222020200012345678") && !r.body.contains("<html"));
    assert_eq!(leaks(&r.body), vec!["6222020200012345678"]);
    // Without JavaScript: a page with the value and the way back.
    let r = reveal(&mut admin, fb, 6, "mobile", "0", "page").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("13800138000") && r.body.contains(r#"href="/roster""#));

    let entries = value_entries(&app).await;
    assert_eq!(entries.len(), 3, "one entry per value shown");
    let mobile = entries
        .iter()
        .find(|e| e.detail.contains("手机号码") && e.target == format!("form:{fb}"))
        .expect("the mobile's entry");
    assert!(mobile.detail.contains("第 6 行"), "{}", mobile.detail);
    assert!(entries.iter().any(|e| e.detail.contains("账户账号")));
    for e in &entries {
        assert!(
            leaks(&e.detail).is_empty(),
            "no value in the log: {}",
            e.detail
        );
        assert_eq!(e.actor_user_id, Some(users[&Role::Admin].id));
    }

    // The review page reveals the number as submitted in the version shown: school 甲 changed
    // the second person's mobile from 13900139000 to 13700137000 between its two versions.
    let r = admin.get(&format!("/review/{sid}?v=1")).await;
    assert!(r.body.contains(r#"action="/reveal""#), "{}", r.body);
    let v1 = hidden(
        &r.body[r.body.find(r#"action="/reveal""#).unwrap()..],
        "version",
    )
    .unwrap();
    assert_ne!(v1, "0");
    let r = reveal(&mut admin, fa, 6, "mobile", &v1, "json").await;
    assert_eq!(r.json()["value"], "13900139000", "{}", r.body);
    let r = reveal(&mut admin, fa, 6, "mobile", "0", "json").await;
    assert_eq!(r.json()["value"], "13700137000", "{}", r.body);
    // A row that is not there.
    let r = reveal(&mut admin, fb, 40, "mobile", "0", "json").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(value_entries(&app).await.len(), 5);
}

#[tokio::test]
async fn a_role_that_may_not_unmask_or_another_school_cannot_reveal_a_number() {
    let (app, users, ids) = seeded().await;
    let fb = ids[1];
    for role in [
        Role::EnterpriseOfficer,
        Role::SasacViewer,
        Role::FederationViewer,
    ] {
        let mut c = app.login_as(&users[&role], PASSWORD).await;
        let r = reveal(&mut c, fb, 6, "mobile", "0", "json").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{role:?}: {}", r.body);
        assert!(leaks(&r.body).is_empty());
    }
    // The enterprise's confirmation page and the oversight list offer no 「查看完整」.
    let mut ent = app
        .login_as(&users[&Role::EnterpriseOfficer], PASSWORD)
        .await;
    let r = ent.get(&format!("/confirmations/{fb}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.body.contains(r#"action="/reveal""#));
    let mut sasac = app.login_as(&users[&Role::SasacViewer], PASSWORD).await;
    let r = sasac.get("/list").await;
    assert!(!r.body.contains(r#"action="/reveal""#));

    // Another school's officer: the form is not in its scope.
    let other = app.user(Role::SchoolOfficer).await;
    let mut c = app.login_as(&other, PASSWORD).await;
    let r = reveal(&mut c, fb, 6, "mobile", "0", "json").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(leaks(&r.body).is_empty());
    // Without the CSRF token.
    let mut admin = app.login_as(&users[&Role::Admin], PASSWORD).await;
    admin.csrf = String::new();
    let r = reveal(&mut admin, fb, 6, "mobile", "0", "json").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(leaks(&r.body).is_empty());
    assert!(value_entries(&app).await.is_empty());

    // The school's own officer sees the control on its form and may reveal its own numbers.
    let mut school = app.login_as(&users[&Role::SchoolOfficer], PASSWORD).await;
    let r = school.get(&format!("/forms/{fb}")).await;
    assert!(r.body.contains(r#"action="/reveal""#), "{}", r.body);
    let r = reveal(&mut school, fb, 6, "mobile", "0", "json").await;
    assert_eq!(r.json()["value"], "13800138000");
    assert_eq!(value_entries(&app).await.len(), 1);
}

/// The values of every hidden input `name` in a page, in order.
fn hidden_all(body: &str, name: &str) -> Vec<String> {
    let pattern = format!(r#"name="{name}" value=""#);
    body.split(&pattern)
        .skip(1)
        .filter_map(|part| part.find('"').map(|end| part[..end].to_owned()))
        .collect()
}

#[tokio::test]
async fn the_version_diff_and_the_footer_phone_reveal_one_value_each_audited() {
    let (app, users, ids) = seeded().await;
    let (fa, fb, sid) = (ids[0], ids[1], ids[2]);
    let mut admin = app.login_as(&users[&Role::Admin], PASSWORD).await;

    // The diff of school 甲's two versions shows the changed mobile masked on both sides, each
    // with 「查看完整」 of the value as it was in its own version.
    let r = admin.get(&format!("/review/{sid}/diff?from=1&to=2")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(leaks(&r.body).is_empty(), "{}", r.body);
    assert_eq!(
        hidden_all(&r.body, "column"),
        vec!["mobile", "mobile"],
        "{}",
        r.body
    );
    assert_eq!(hidden_all(&r.body, "row"), vec!["6", "6"]);
    assert_eq!(hidden_all(&r.body, "form"), vec![fa.to_string(); 2]);
    let versions = hidden_all(&r.body, "version");
    assert!(versions.iter().all(|v| v != "0") && versions[0] != versions[1]);
    assert_eq!(
        hidden(&r.body, "back").as_deref(),
        Some(format!("/review/{sid}/diff?from=1&#38;to=2").as_str())
    );
    let old = reveal(&mut admin, fa, 6, "mobile", &versions[0], "json").await;
    assert_eq!(old.json()["value"], "13900139000", "{}", old.body);
    let new = reveal(&mut admin, fa, 6, "mobile", &versions[1], "json").await;
    assert_eq!(new.json()["value"], "13700137000", "{}", new.body);
    // Shown in full (itself audited), the page offers nothing more.
    let r = admin
        .get(&format!("/review/{sid}/diff?from=1&to=2&full=1"))
        .await;
    assert!(r.body.contains("13900139000") && !r.body.contains(r#"action="/reveal""#));

    // The footer's 联系电话 of school 乙's form, a mobile: revealed alone, with the 学校填表人.
    let r = reveal(&mut admin, fb, 0, "contact", "0", "json").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["value"], "13600136000");
    assert_eq!(r.json()["name"], "赵老师");
    assert_eq!(r.json()["column"], "contact");
    assert_eq!(leaks(&r.body), vec!["13600136000"]);
    let entries = value_entries(&app).await;
    assert_eq!(entries.len(), 3, "one entry per value shown");
    let contact = entries
        .iter()
        .find(|e| e.target == format!("form:{fb}"))
        .expect("the footer's entry");
    assert!(
        contact.detail.contains("表尾「赵老师」联系电话"),
        "{}",
        contact.detail
    );
    assert!(entries.iter().all(|e| leaks(&e.detail).is_empty()));
    // School 甲's review page shows its footer phone masked, with 「查看完整」 of it as submitted.
    let r = admin.get(&format!("/review/{sid}?v=2")).await;
    assert!(!r.body.contains("023-63865672"), "{}", r.body);
    let columns = hidden_all(&r.body, "column");
    let at = columns
        .iter()
        .position(|c| c == "contact")
        .unwrap_or_else(|| panic!("no 「查看完整」 of the footer phone: {}", r.body));
    let version = hidden_all(&r.body, "version")[at].clone();
    assert_eq!(hidden_all(&r.body, "row")[at], "0");
    let r = reveal(&mut admin, fa, 0, "contact", &version, "json").await;
    assert_eq!(r.json()["value"], "023-63865672", "{}", r.body);
    assert_eq!(value_entries(&app).await.len(), 4);
    // Not a role that may unmask: refused like the rows' numbers.
    let mut sasac = app.login_as(&users[&Role::SasacViewer], PASSWORD).await;
    let r = reveal(&mut sasac, fb, 0, "contact", "0", "json").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}
