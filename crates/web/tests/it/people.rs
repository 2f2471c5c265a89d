//! 人员履历: a person recommended in an earlier batch and again now is found by the identity index
//! (D03 on the row), and the commission sees both appearances, the mobile masked until asked.

use axum::http::StatusCode;
use shuangshi_rules::{Batch, Column};
use shuangshi_store::{Actor, AuditFilter, FormContent, PageRequest, Role, Scope};

use crate::school::{cells, pair, partner_with, teacher};
use crate::support::{PASSWORD, TestApp};

async fn batch(app: &TestApp, number: u32, name: &str) -> shuangshi_store::BatchRecord {
    let mut params = Batch::batch10();
    params.number = number;
    params.name = name.to_owned();
    params.deadline = (chrono::Utc::now() + chrono::Duration::days(30)).fixed_offset();
    let b = app
        .store()
        .create_batch(&params, &Actor::system())
        .await
        .unwrap();
    app.store()
        .open_batch(b.id, &Actor::system())
        .await
        .unwrap()
}

async fn fill(app: &TestApp, form_id: i64, p: &crate::school::Pair, mobile: &str) {
    let content = FormContent {
        header_school: p.school.name.clone(),
        header_enterprise: p.enterprise.name.clone(),
        filler: "王老师".into(),
        phone: "023-63865672".into(),
        rows: vec![cells(&teacher(p, mobile))],
    };
    app.store()
        .replace_rows(&Scope::All, form_id, &content, None, &Actor::system())
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn a_person_of_an_earlier_batch_is_found_and_shown_with_both_appearances() {
    let app = TestApp::new().await;
    let sys = Actor::system();
    let ninth = batch(&app, 9, "第九批").await;
    let a = pair(&app, "履甲", "中职").await;
    let (_, fa) = partner_with(&app, &ninth, &a).await;
    fill(&app, fa, &a, "13800138000").await;
    app.state
        .app
        .refresh_school(&ninth, a.school.id)
        .await
        .unwrap();
    app.store().close_batch(ninth.id, &sys).await.unwrap();

    let tenth = batch(&app, 10, "第十批").await;
    let b = pair(&app, "履乙", "中职").await;
    let (_, fb) = partner_with(&app, &tenth, &b).await;
    fill(&app, fb, &b, "13800138000").await;
    app.state
        .app
        .refresh_school(&tenth, b.school.id)
        .await
        .unwrap();

    // D03 stands on the row of this batch.
    let (_, report) = app
        .state
        .app
        .form_report(&Scope::All, &tenth, fb)
        .await
        .unwrap()
        .unwrap();
    assert!(
        report.findings.iter().any(|f| f.rule == "D03"),
        "{:?}",
        report.findings
    );

    let admin_user = app.user(Role::Admin).await;
    let mut admin = app.login_as(&admin_user, PASSWORD).await;
    let r = admin.get("/roster").await;
    assert!(
        r.body.contains(&format!("/people/{fb}/5")),
        "the roster links each person's history: {}",
        r.body
    );
    let r = admin.get(&format!("/people/{fb}/5")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("第九批")
            && r.body.contains("第十批")
            && r.body.contains(&a.school.name)
            && r.body.contains(&b.school.name)
            && r.body.contains("此人曾在 1 个其他批次中被推荐"),
        "{}",
        r.body
    );
    assert!(r.body.contains("138****8000") && !r.body.contains("13800138000"));
    let r = admin.get(&format!("/people/{fb}/5?full=1")).await;
    assert!(r.body.contains("13800138000"));
    let audited = app
        .store()
        .list_audit(
            &AuditFilter {
                action_prefix: Some("unmask.person".into()),
                ..AuditFilter::default()
            },
            PageRequest::new(0, 10),
        )
        .await
        .unwrap();
    assert_eq!(audited.total, 1);

    // The same through the API; a person of another number stands alone.
    let (api, _) = app.api_client(Role::Admin).await;
    let j = api
        .clone()
        .get(&format!("/api/v1/people/{fb}/5"))
        .await
        .json();
    let batches: Vec<&str> = j
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["batch"].as_str().unwrap())
        .collect();
    assert_eq!(batches, ["第九批", "第十批"]);
    assert_eq!(j[1]["this_row"], true);
    let mut other = cells(&teacher(&b, "13900139000"));
    other[Column::Name as usize] = "王五".into();
    let content = FormContent {
        header_school: b.school.name.clone(),
        header_enterprise: b.enterprise.name.clone(),
        filler: String::new(),
        phone: String::new(),
        rows: vec![other],
    };
    app.store()
        .replace_rows(&Scope::All, fb, &content, None, &sys)
        .await
        .unwrap()
        .unwrap();
    let j = api
        .clone()
        .get(&format!("/api/v1/people/{fb}/5"))
        .await
        .json();
    assert_eq!(j.as_array().unwrap().len(), 1, "{j}");

    // Outside the commission: refused; a row that does not exist: 404.
    let mut school = app.login_as(&b.school_user, PASSWORD).await;
    assert_eq!(
        school.get(&format!("/people/{fb}/5")).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        admin.get(&format!("/people/{fb}/99")).await.status,
        StatusCode::NOT_FOUND
    );
}
