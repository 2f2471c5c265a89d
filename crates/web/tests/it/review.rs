//! The commission's review: 职成教处 sees only 中职 schools (another school's submission is 404 on
//! every review route), returning needs a reason and shows it to the school, and the diff between
//! two versions names the changed cells.

use axum::http::{Method, Request, StatusCode, header};
use chrono::Utc;
use shuangshi_rules::{Column, FindingRecord, Severity, Tally};
use shuangshi_store::{Actor, BatchRecord, FormRecord, Role, Scope, SnapReport, SubmitRequest};

use crate::school::{PNG, Pair, form, open_batch, pair, prepared};
use crate::support::{Client, PASSWORD, TestApp};

/// Submits the school's forms through the store, with a report holding one warning.
pub(crate) async fn submit(app: &TestApp, batch: &BatchRecord, p: &Pair) -> i64 {
    let forms = app
        .store()
        .school_forms(&Scope::All, batch.id, p.school.id)
        .await
        .unwrap();
    let report = SnapReport {
        findings: vec![FindingRecord {
            rule: "F10".into(),
            severity: Severity::Warning,
            file: None,
            sheet: None,
            row: None,
            column: None,
            value: None,
            school: Some(p.school.name.clone()),
            message: "各行开户行、开户名、账号不一致".into(),
            clause: "附件".into(),
            cell: None,
        }],
        tally: Tally::default(),
    };
    let req = SubmitRequest {
        batch_id: batch.id,
        school_id: p.school.id,
        report,
        checked: forms.iter().map(|f| (f.id, f.version)).collect(),
    };
    let v = app
        .store()
        .submit(
            &Scope::School(p.school.id),
            &req,
            Utc::now(),
            &Actor::system(),
        )
        .await
        .unwrap()
        .unwrap();
    v.submission_id
}

/// Changes the title of the form's first row, confirms and seals again (a returned school's fix).
pub(crate) async fn fix(app: &TestApp, f: &FormRecord, title: &str) {
    let s = app.store();
    let a = Actor::system();
    let mut cells = f.rows[0].cells.clone();
    cells[Column::Title as usize] = title.to_owned();
    s.update_row(&Scope::All, f.rows[0].id, &cells, None, &a)
        .await
        .unwrap()
        .unwrap();
    let ids: Vec<i64> = f.rows.iter().map(|r| r.id).collect();
    s.confirm_rows(&Scope::All, f.id, &ids, None, &a)
        .await
        .unwrap()
        .unwrap();
    s.put_scan(&Scope::All, f.id, "image/png", PNG.to_vec(), &a)
        .await
        .unwrap()
        .unwrap();
}

fn json(
    c: &Client,
    m: Method,
    uri: &str,
    body: serde_json::Value,
) -> impl Future<Output = crate::support::Resp> {
    let req = Request::builder()
        .method(m)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .body(axum::body::Body::from(body.to_string()))
        .unwrap();
    let mut c = c.clone();
    async move { c.send(req).await }
}

#[tokio::test]
async fn the_vocational_reviewer_sees_only_vocational_schools() {
    let app = TestApp::new().await;
    let batch = open_batch(&app).await;
    let a = pair(&app, "中甲", "中职").await;
    let b = pair(&app, "高乙", "国家双高").await;
    prepared(&app, &batch, &a).await;
    prepared(&app, &batch, &b).await;
    let sa = submit(&app, &batch, &a).await;
    let sb = submit(&app, &batch, &b).await;

    let mut reviewer = app.login(Role::VocationalReviewer).await;
    let r = reviewer.get("/review").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains(&a.school.name) && !r.body.contains(&b.school.name),
        "{}",
        r.body
    );
    assert!(r.body.contains("共 1 条"));
    let r = reviewer.get(&format!("/review/{sa}")).await;
    assert_eq!(r.status, StatusCode::OK);
    for uri in [
        format!("/review/{sb}"),
        format!("/review/{sb}/diff?from=1&to=1"),
    ] {
        let r = reviewer.get(&uri).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{uri}");
    }
    for uri in [
        format!("/review/{sb}/accept"),
        format!("/review/{sb}/return"),
    ] {
        let r = reviewer.post_form(&uri, &[("note", "x")]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{uri}");
    }
    let (api, _) = app.api_client(Role::VocationalReviewer).await;
    for uri in [
        format!("/api/v1/review/submissions/{sb}"),
        format!("/api/v1/review/submissions/{sb}/diff"),
    ] {
        let r = api.clone().get(&uri).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{uri}");
    }
    let r = json(
        &api,
        Method::POST,
        &format!("/api/v1/review/submissions/{sb}/decision"),
        serde_json::json!({"decision": "accept"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = api.clone().get("/api/v1/review/submissions").await;
    assert_eq!(r.json()["total"], 1);

    // The admin sees both, and filters by tier.
    let mut admin = app.login(Role::Admin).await;
    let r = admin.get("/review").await;
    assert!(r.body.contains(&a.school.name) && r.body.contains(&b.school.name));
    let r = admin
        .get("/review?tier=%E5%9B%BD%E5%AE%B6%E5%8F%8C%E9%AB%98")
        .await;
    assert!(!r.body.contains(&a.school.name) && r.body.contains(&b.school.name));
    let r = admin.get("/review?school=%E4%B8%AD%E7%94%B2").await;
    assert!(r.body.contains(&a.school.name) && !r.body.contains(&b.school.name));

    // Schools and enterprises have no review pages at all.
    let mut school = app.login_as(&a.school_user, PASSWORD).await;
    assert_eq!(school.get("/review").await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        school.get(&format!("/review/{sa}")).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn returning_needs_a_reason_the_school_sees_it_and_the_diff_names_the_cells() {
    let app = TestApp::new().await;
    let batch = open_batch(&app).await;
    let p = pair(&app, "审丙", "中职").await;
    let (_, f) = prepared(&app, &batch, &p).await;
    let sid = submit(&app, &batch, &p).await;
    let mut admin = app.login(Role::Admin).await;

    // No reason, no note: refused, nothing changes.
    let r = admin.post_form(&format!("/review/{sid}/return"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = admin.get(&format!("/review/{sid}")).await;
    assert!(r.body.contains("退回时须选择问题或填写说明"), "{}", r.body);
    assert!(r.body.contains("F10") && r.body.contains("各行开户行、开户名、账号不一致"));
    assert!(r.body.contains("data-confirm=") && r.body.contains("确认退回"));

    // The chosen finding and a note.
    let r = admin
        .post_form(
            &format!("/review/{sid}/return"),
            &[("reason_0", "1"), ("note", "请统一账户信息")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = admin.get(&format!("/review/{sid}")).await;
    assert!(r.body.contains("已退回"), "{}", r.body);
    let mut school = app.login_as(&p.school_user, PASSWORD).await;
    let r = school.get("/submissions").await;
    assert!(
        r.body.contains("市教委已退回")
            && r.body.contains("F10")
            && r.body.contains("请统一账户信息")
    );

    // A second version with one changed cell.
    fix(&app, &form(&app, f.id).await, "正高级讲师").await;
    submit(&app, &batch, &p).await;
    let r = admin.get(&format!("/review/{sid}/diff?from=1&to=2")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains("修改的人员（1）")
            && r.body.contains("副教授")
            && r.body.contains("正高级讲师"),
        "{}",
        r.body
    );
    let r = admin.get(&format!("/review/{sid}?v=1")).await;
    assert!(r.body.contains("历史版本") && !r.body.contains("确认退回"));
    let (api, _) = app.api_client(Role::Admin).await;
    let r = api
        .clone()
        .get(&format!(
            "/api/v1/review/submissions/{sid}/diff?from=1&to=2"
        ))
        .await;
    let j = r.json();
    let change = &j["forms"][0]["changed"][0]["changes"][0];
    assert_eq!(
        (
            change["column"].as_str(),
            change["old"].as_str(),
            change["new"].as_str()
        ),
        (Some("现任专业技术职务"), Some("副教授"), Some("正高级讲师"))
    );
    // The old version's decision cannot be taken again; the current one is accepted.
    let r = json(
        &api,
        Method::POST,
        &format!("/api/v1/review/submissions/{sid}/decision"),
        serde_json::json!({"decision": "return"}),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::CONFLICT,
        "a return needs a reason: {}",
        r.body
    );
    let r = admin.post_form(&format!("/review/{sid}/accept"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = admin.get(&format!("/review/{sid}")).await;
    assert!(r.body.contains("已受理") && !r.body.contains("确认退回"));
}
