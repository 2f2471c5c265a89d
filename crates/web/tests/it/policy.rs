//! The one policy table: every route of the router is in it (and nothing else), and every route
//! answers every role — and anonymous callers — exactly as the table says. Pages are called with
//! a session, `/api/` routes with a bearer token (a session cookie alone never opens the API).
//! Also: numbers are masked for roles that may not unmask them.

use std::collections::{BTreeSet, HashMap};

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use shuangshi_rules::Column;
use shuangshi_store::{Actor, FormContent, Role, Scope};
use shuangshi_web::policy::{Access, rules};

use crate::support::{Client, Resp, TestApp};

#[test]
fn the_router_serves_exactly_the_table() {
    let registered: BTreeSet<(String, String)> = shuangshi_web::routes()
        .registered()
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    let table: BTreeSet<(String, String)> = rules()
        .iter()
        .map(|r| (r.method.to_owned(), r.path.to_owned()))
        .collect();
    let missing: Vec<_> = registered.difference(&table).collect();
    let extra: Vec<_> = table.difference(&registered).collect();
    assert!(
        missing.is_empty(),
        "routes missing from the policy table: {missing:?}"
    );
    assert!(
        extra.is_empty(),
        "policy rules for routes that do not exist: {extra:?}"
    );
    assert_eq!(table.len(), rules().len(), "a rule is listed twice");
}

/// The path with its parameters filled: ids that exist nowhere, so a handler that runs answers
/// 404 (or a validation error) without changing anything.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|seg| {
            if seg.starts_with("{*") {
                "app.css".to_owned()
            } else if seg.starts_with('{') {
                "999999".to_owned()
            } else {
                seg.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

async fn call(client: &mut Client, method: &str, path: &str) -> Resp {
    let uri = concrete(path);
    let method = Method::from_bytes(method.as_bytes()).unwrap();
    let mut builder = Request::builder().method(method.clone()).uri(&uri);
    if method == Method::GET {
        return client.send(builder.body(Body::empty()).unwrap()).await;
    }
    builder = builder
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("x-csrf-token", client.csrf.clone());
    let body = format!("_csrf={}", client.csrf);
    client.send(builder.body(Body::from(body)).unwrap()).await
}

fn is_login_redirect(r: &Resp) -> bool {
    r.status == StatusCode::SEE_OTHER && r.location().starts_with("/login?next=")
}

#[tokio::test]
async fn every_route_answers_every_role_as_the_table_says() {
    let app = TestApp::new().await;
    let mut pages: HashMap<Role, Client> = HashMap::new();
    let mut apis: HashMap<Role, Client> = HashMap::new();
    for role in Role::ALL {
        pages.insert(role, app.login(role).await);
        apis.insert(role, app.api_client(role).await.0);
    }
    let mut all = rules();
    // Logging out ends the session the other calls use: last.
    all.sort_by_key(|r| r.path == "/logout");
    let mut failures = Vec::new();
    for rule in &all {
        let api = rule.path.starts_with("/api/");
        // Anonymous.
        let r = call(&mut app.anon(), rule.method, rule.path).await;
        let ok = match rule.access {
            // The guard never refuses a public route (a failed login's own 401 page is the handler's).
            Access::Public => r.status != StatusCode::FORBIDDEN && !is_login_redirect(&r),
            _ if api => r.status == StatusCode::UNAUTHORIZED,
            _ => is_login_redirect(&r),
        };
        if !ok {
            failures.push(format!(
                "{} {} anonymous: {}",
                rule.method, rule.path, r.status
            ));
        }
        // A session cookie alone never opens the API.
        if api && rule.access != Access::Public {
            let mut c = pages[&Role::Admin].clone();
            let r = call(&mut c, rule.method, rule.path).await;
            if r.status != StatusCode::UNAUTHORIZED {
                failures.push(format!(
                    "{} {} with a cookie only: {}",
                    rule.method, rule.path, r.status
                ));
            }
        }
        for role in Role::ALL {
            let client = if api {
                apis.get_mut(&role)
            } else {
                pages.get_mut(&role)
            };
            let client = client.unwrap();
            let r = call(client, rule.method, rule.path).await;
            let allowed = rule.access.allows(Some(role));
            let ok = if allowed {
                r.status != StatusCode::FORBIDDEN
                    && (r.status != StatusCode::UNAUTHORIZED || rule.path == "/login")
                    && !is_login_redirect(&r)
                    && !r.status.is_server_error()
            } else {
                r.status == StatusCode::FORBIDDEN
            };
            if !ok {
                failures.push(format!(
                    "{} {} as {:?} (allowed: {allowed}): {} {}",
                    rule.method,
                    rule.path,
                    role,
                    r.status,
                    r.body.chars().take(120).collect::<String>()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn a_route_outside_the_table_is_refused() {
    // HEAD follows GET's rule; an unknown method on a known path is 405, not a way around.
    let app = TestApp::new().await;
    let mut school = app.login(Role::SchoolOfficer).await;
    let r = school.request(Method::HEAD, "/admin/accounts").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = school.request(Method::DELETE, "/admin/accounts").await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn numbers_are_masked_for_roles_that_may_not_unmask() {
    let app = TestApp::new().await;
    let store = app.store();
    let sys = Actor::system();
    let mut params = shuangshi_rules::Batch::batch10();
    params.deadline = (chrono::Utc::now() + chrono::Duration::days(30)).fixed_offset();
    let batch = store.create_batch(&params, &sys).await.unwrap();
    store.open_batch(batch.id, &sys).await.unwrap();
    let school = app.org(true).await;
    let state_owned = app.org(false).await;
    let private = app.org_named("重庆民营测试有限公司", "民营企业").await;
    for ent in [&state_owned, &private] {
        let p = store
            .propose_partnership(&Scope::All, batch.id, school.id, ent.id, &[], &sys)
            .await
            .unwrap()
            .unwrap();
        let p = store
            .respond_partnership(&Scope::All, p.id, true, &sys)
            .await
            .unwrap()
            .unwrap();
        let mut row = vec![String::new(); Column::ALL.len()];
        row[Column::Name as usize] = format!("张{}", ent.id);
        row[Column::Mobile as usize] = "13812345678".into();
        row[Column::AccountNumber as usize] = "6222020200012345678".into();
        row[Column::SendingUnit as usize] = school.name.clone();
        row[Column::ReceivingUnit as usize] = ent.name.clone();
        let content = FormContent {
            header_school: school.name.clone(),
            header_enterprise: ent.name.clone(),
            filler: String::new(),
            phone: String::new(),
            rows: vec![row],
        };
        let fid = p.form_id.unwrap();
        let out = store
            .replace_rows(&Scope::All, fid, &content, None, &sys)
            .await
            .unwrap()
            .unwrap();
        let ids: Vec<i64> = out.form.rows.iter().map(|r| r.id).collect();
        store
            .confirm_rows(&Scope::All, fid, &ids, None, &sys)
            .await
            .unwrap()
            .unwrap();
        store
            .put_scan(
                &Scope::All,
                fid,
                "image/png",
                crate::school::PNG.to_vec(),
                &sys,
            )
            .await
            .unwrap()
            .unwrap();
    }
    // Submitted: each form's copy goes to its enterprise's body (a draft would go to nobody).
    let forms = store
        .school_forms(&Scope::All, batch.id, school.id)
        .await
        .unwrap();
    let req = shuangshi_store::SubmitRequest {
        batch_id: batch.id,
        school_id: school.id,
        report: shuangshi_store::SnapReport {
            findings: Vec::new(),
            tally: shuangshi_rules::Tally::default(),
        },
        checked: forms.iter().map(|f| (f.id, f.version)).collect(),
    };
    store
        .submit(&Scope::All, &req, chrono::Utc::now(), &sys)
        .await
        .unwrap()
        .unwrap();
    let mut sasac = app.login(Role::SasacViewer).await;
    let page = sasac.get("/list").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&format!("张{}", state_owned.id)));
    assert!(
        !page.body.contains(&format!("张{}", private.id)),
        "private rows are not 国资委's"
    );
    assert!(page.body.contains("138****5678"), "{}", page.body);
    assert!(page.body.contains("***************5678"));
    assert!(!page.body.contains("13812345678") && !page.body.contains("6222020200012345678"));

    let mut federation = app.login(Role::FederationViewer).await;
    let page = federation.get("/list").await;
    assert!(page.body.contains(&format!("张{}", private.id)));
    assert!(!page.body.contains(&format!("张{}", state_owned.id)));
    assert!(!page.body.contains("13812345678"));

    assert!(!shuangshi_web::policy::may_unmask(Role::SasacViewer));
    assert!(!shuangshi_web::policy::may_unmask(Role::FederationViewer));
    assert!(shuangshi_web::policy::may_unmask(Role::Admin));
}

#[test]
fn scopes_follow_roles() {
    use shuangshi_web::policy::scope_for;
    let user = |role, org| shuangshi_store::User {
        id: 1,
        username: "u".into(),
        display_name: String::new(),
        role,
        org_id: org,
        must_change_password: false,
        failed_logins: 0,
        locked_until: None,
        active: true,
        created_at: chrono::Utc::now(),
        email: String::new(),
    };
    assert_eq!(scope_for(&user(Role::Admin, None)), Scope::All);
    assert_eq!(
        scope_for(&user(Role::VocationalReviewer, None)),
        Scope::VocationalSchools
    );
    assert_eq!(
        scope_for(&user(Role::SasacViewer, None)),
        Scope::StateOwnedRows
    );
    assert_eq!(
        scope_for(&user(Role::FederationViewer, None)),
        Scope::PrivateRows
    );
    assert_eq!(
        scope_for(&user(Role::SchoolOfficer, Some(7))),
        Scope::School(7)
    );
    assert_eq!(
        scope_for(&user(Role::EnterpriseOfficer, Some(8))),
        Scope::Enterprise(8)
    );
    assert_eq!(scope_for(&user(Role::SchoolOfficer, None)), Scope::None);
}
