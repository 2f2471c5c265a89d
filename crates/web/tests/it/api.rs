//! The JSON API: bearer tokens (and their revocation), `/api/v1/check` on a real workbook and on
//! a file it cannot read, the OpenAPI document, the admin endpoints.

use axum::http::StatusCode;
use shuangshi_rules::{Batch, Cell, Column, PersonRow};
use shuangshi_sheet::write::Filled;
use shuangshi_store::{Actor, Role};

use crate::support::{Part, TestApp};

#[tokio::test]
async fn tokens_authenticate_the_api_until_revoked() {
    let app = TestApp::new().await;
    let (mut api, user) = app.api_client(Role::SchoolOfficer).await;
    let r = api.get("/api/v1/me").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["username"], user.username.as_str());
    assert_eq!(r.json()["role"], "school_officer");

    // A wrong token, no token, and a session cookie are all refused.
    let mut wrong = app.anon();
    wrong.bearer = Some(format!("ss_{}", "0".repeat(64)));
    assert_eq!(
        wrong.get("/api/v1/me").await.status,
        StatusCode::UNAUTHORIZED
    );
    let r = app.anon().get("/api/v1/me").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json()["error"], "请先登录");
    let mut browser = app.login_as(&user, crate::support::PASSWORD).await;
    assert_eq!(
        browser.get("/api/v1/me").await.status,
        StatusCode::UNAUTHORIZED
    );

    // A school officer's token cannot reach the administrator's endpoints.
    assert_eq!(
        api.get("/api/v1/accounts").await.status,
        StatusCode::FORBIDDEN
    );

    // Revoked: refused at once.
    let token = app.store().list_tokens(user.id).await.unwrap()[0].id;
    app.store()
        .revoke_token(token, None, &Actor::system())
        .await
        .unwrap();
    assert_eq!(api.get("/api/v1/me").await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn tokens_are_made_and_revoked_in_the_browser() {
    let app = TestApp::new().await;
    let mut c = app.login(Role::EnterpriseOfficer).await;
    let r = c.post_form("/tokens", &[("name", "对接系统")]).await;
    assert_eq!(r.status, StatusCode::OK);
    let start = r
        .body
        .find(r#"<code id="new-token">"#)
        .expect("token shown")
        + 21;
    let token = r.body[start..start + 67].to_owned();
    assert!(token.starts_with("ss_"), "{token}");
    let mut api = app.anon();
    api.bearer = Some(token.clone());
    assert_eq!(api.get("/api/v1/me").await.status, StatusCode::OK);
    // Shown once: the list does not show it again.
    let list = c.get("/tokens").await;
    assert!(!list.body.contains(&token));
    assert!(list.body.contains("对接系统"));
    let id = app
        .store()
        .list_tokens(c.user.as_ref().unwrap().id)
        .await
        .unwrap()[0]
        .id;
    // Another account cannot revoke it.
    let mut other = app.login(Role::SchoolOfficer).await;
    let r = other.post_form(&format!("/tokens/{id}/revoke"), &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = c.post_form(&format!("/tokens/{id}/revoke"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(api.get("/api/v1/me").await.status, StatusCode::UNAUTHORIZED);
}

fn workbook() -> Vec<u8> {
    let mut row = PersonRow::new(5);
    let cells = [
        (Column::Seq, "1"),
        (Column::Batch, "第十批"),
        (Column::Name, "张三"),
        (Column::SendingUnit, "重庆甲职业技术学院"),
        (Column::AdminPost, "无"),
        (Column::Field, "机械制造"),
        (Column::Title, "讲师"),
        (Column::Mobile, "1381234567"),
        (Column::ReceivingUnit, "重庆乙智能制造有限公司"),
        (Column::Post, "科技副总"),
    ];
    for (c, v) in cells {
        row.set(c, Cell::text(v));
    }
    let filled = Filled {
        school: "重庆甲职业技术学院".into(),
        enterprise: "重庆乙智能制造有限公司".into(),
        rows: vec![row],
        filler: "李四".into(),
        phone: "023-12345678".into(),
        supplementary: false,
    };
    shuangshi_sheet::write::filled_xlsx(&Batch::batch10(), &filled).unwrap()
}

#[tokio::test]
async fn check_answers_the_report_and_stores_nothing() {
    let app = TestApp::new().await;
    let (mut api, _) = app.api_client(Role::EnterpriseOfficer).await;
    let before = app.db.query_text("SELECT COUNT(*) FROM audit_log").await;
    let xlsx = workbook();
    let r = api
        .post_multipart("/api/v1/check", &[Part::file("file", "甲-乙.xlsx", &xlsx)])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let report = r.json();
    assert_eq!(report["summary"]["forms"], 1);
    assert_eq!(report["summary"]["people"], 1);
    let findings = report["findings"].as_array().unwrap();
    assert!(
        findings.iter().any(|f| f["rule"] == "F04"),
        "the 10-digit mobile is reported: {findings:?}"
    );
    assert_eq!(
        app.db.query_text("SELECT COUNT(*) FROM audit_log").await,
        before
    );

    // With the registry.
    let orgs = "单位名称,单位类别\n重庆甲职业技术学院,国家双高\n重庆乙智能制造有限公司,国有企业\n";
    let r = api
        .post_multipart(
            "/api/v1/check",
            &[
                Part::file("file", "甲-乙.xlsx", &xlsx),
                Part::file("orgs", "orgs.csv", orgs.as_bytes()),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // A text file: 422, in Chinese, naming the file.
    let r = api
        .post_multipart(
            "/api/v1/check",
            &[Part::file("file", "说明.txt", "这不是表格".as_bytes())],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let message = r.json()["error"].as_str().unwrap().to_owned();
    assert!(message.contains("说明.txt"), "{message}");
    // No file at all: 400.
    let r = api
        .post_multipart("/api/v1/check", &[Part::text("x", "y")])
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // Anonymous: 401.
    let r = app
        .anon()
        .post_multipart("/api/v1/check", &[Part::file("file", "a.xlsx", &xlsx)])
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_openapi_document_lists_the_api() {
    let app = TestApp::new().await;
    let r = app.anon().get("/api/openapi.json").await;
    assert_eq!(r.status, StatusCode::OK);
    let doc = r.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();

    // Every route of the router under /api/v1, with its method: a handler added without its
    // `#[utoipa::path]` (or left out of `ApiDoc`'s `paths(...)`) fails here.
    let mut missing = Vec::new();
    let mut api_routes = 0;
    for (method, path) in shuangshi_web::routes().registered() {
        if !path.starts_with("/api/v1/") {
            continue;
        }
        api_routes += 1;
        if !paths
            .get(path)
            .is_some_and(|p| p[method.to_ascii_lowercase()].is_object())
        {
            missing.push(format!("{method} {path}"));
        }
    }
    assert!(api_routes > 40, "the router's API routes were not found");
    assert!(
        missing.is_empty(),
        "API routes missing from the OpenAPI document: {missing:?}"
    );
    // And nothing documented that the router does not serve.
    let registered: std::collections::BTreeSet<(String, String)> = shuangshi_web::routes()
        .registered()
        .iter()
        .map(|(m, p)| (m.to_ascii_lowercase(), (*p).to_owned()))
        .collect();
    for (path, item) in paths {
        for method in item.as_object().unwrap().keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                assert!(
                    registered.contains(&(method.clone(), path.clone())),
                    "documented but not routed: {method} {path}"
                );
            }
        }
    }

    // Every schema a path refers to is in the document.
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let text = doc.to_string();
    for part in text.split("\"#/components/schemas/").skip(1) {
        let name = part.split('"').next().unwrap();
        assert!(
            schemas.contains_key(name),
            "{name} is referred to but missing"
        );
    }
    for schema in [
        "ApiPublicBatch",
        "ApiPublicList",
        "ApiPublicEntry",
        "ApiObjectionIn",
        "ApiObjectionReceipt",
        "ApiCopies",
        "ApiCopy",
        "ApiOpinionIn",
    ] {
        assert!(schemas.contains_key(schema), "{schema}");
    }
    // The public list and its objection need no token; the copies do.
    for (method, path) in [
        ("get", "/api/v1/public"),
        ("get", "/api/v1/public/{number}"),
        ("post", "/api/v1/public/{number}/objections"),
    ] {
        assert_eq!(
            doc["paths"][path][method]["security"],
            serde_json::json!([{}]),
            "{method} {path} is documented as anonymous"
        );
    }
    assert_eq!(
        doc["paths"]["/api/v1/copies/{selection_id}/opinion"]["post"]["security"],
        serde_json::json!([{"bearer": []}])
    );
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

#[tokio::test]
async fn admin_endpoints_manage_accounts_batches_and_the_registry() {
    let app = TestApp::new().await;
    let (mut api, _) = app.api_client(Role::Admin).await;
    let r = api
        .send(
            axum::http::Request::post("/api/v1/batches")
                .header("content-type", "application/json")
                .body(axum::body::Body::from("{}"))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["number"], 10);
    let id = r.json()["id"].as_i64().unwrap();
    let r = api
        .request(
            axum::http::Method::POST,
            &format!("/api/v1/batches/{id}/open"),
        )
        .await;
    assert_eq!(r.json()["status"], "open");
    let bad = api
        .send(
            axum::http::Request::put(format!("/api/v1/batches/{id}/params"))
                .header("content-type", "application/json")
                .body(axum::body::Body::from(r#"{"toml":"number = \"x\""}"#))
                .unwrap(),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(!bad.json()["error"].as_str().unwrap().is_empty());

    let csv = "单位名称,单位类别,所在区县\n重庆接口测试学院,中职,渝中区\n";
    let r = api
        .post_multipart(
            "/api/v1/orgs/import?dry_run=true",
            &[Part::file("file", "orgs.csv", csv.as_bytes())],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["inserted"], 1);
    assert_eq!(r.json()["dry_run"], true);
    assert_eq!(app.anon().get("/healthz").await.status, StatusCode::OK);
    let r = api
        .post_multipart(
            "/api/v1/orgs/import",
            &[Part::file("file", "orgs.csv", csv.as_bytes())],
        )
        .await;
    assert_eq!(r.json()["inserted"], 1);
    let r = api.get("/api/v1/orgs?name=接口测试").await;
    assert_eq!(r.json()["total"], 1);
    let org_id = r.json()["items"][0]["id"].as_i64().unwrap();

    let r = api.send(
        axum::http::Request::post("/api/v1/accounts")
            .header("content-type", "application/json")
            .body(axum::body::Body::from(format!(
                r#"{{"username":"api_school","display_name":"接口","role":"school_officer","org_id":{org_id}}}"#
            )))
            .unwrap(),
    ).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.json()["password"].as_str().unwrap().len() >= 12);
    assert_eq!(r.json()["account"]["must_change_password"], true);

    // Scoped: a school officer sees itself and the enterprises, not another school.
    let (mut school, _) = app.api_client(Role::SchoolOfficer).await;
    assert_eq!(
        school.get(&format!("/api/v1/orgs/{org_id}")).await.status,
        StatusCode::NOT_FOUND
    );

    let r = api.get("/api/v1/audit/verify").await;
    assert_eq!(r.json()["ok"], true, "{}", r.body);
    let r = api.get("/api/v1/audit?action=user.").await;
    assert!(r.json()["total"].as_u64().unwrap() >= 1);
}

/// Every `/api/v1` list answers the one page shape, `{items, total, page, per_page}`, with
/// `?page=&per_page=` and a bounded page size.
#[tokio::test]
async fn every_api_list_answers_one_page_shape() {
    let app = TestApp::new().await;
    let (mut admin, _) = app.api_client(Role::Admin).await;
    let (mut school, _) = app.api_client(Role::SchoolOfficer).await;
    let mut anon = app.anon();
    let mut answered = 0;
    for (who, uri) in [
        (0, "/api/v1/accounts"),
        (0, "/api/v1/orgs"),
        (0, "/api/v1/audit"),
        (0, "/api/v1/batches"),
        (0, "/api/v1/review/submissions"),
        (0, "/api/v1/roster"),
        (0, "/api/v1/copies"),
        (0, "/api/v1/selection"),
        (0, "/api/v1/selection/publications"),
        (0, "/api/v1/selection/objections"),
        (0, "/api/v1/term"),
        (0, "/api/v1/ledger"),
        (1, "/api/v1/partnerships"),
        (1, "/api/v1/forms"),
        (1, "/api/v1/outcomes"),
        (2, "/api/v1/public"),
    ] {
        let client = match who {
            0 => &mut admin,
            1 => &mut school,
            _ => &mut anon,
        };
        let sep = if uri.contains('?') { '&' } else { '?' };
        let r = client
            .get(&format!("{uri}{sep}page=1&per_page=100000"))
            .await;
        if r.status == StatusCode::CONFLICT {
            continue; // no batch in the state this list needs
        }
        assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.body);
        answered += 1;
        let j = r.json();
        assert!(j["items"].is_array(), "{uri}: {j}");
        assert!(j["total"].is_u64(), "{uri}: {j}");
        assert_eq!(j["page"], 1, "{uri}: {j}");
        assert_eq!(j["per_page"], 500, "{uri}: the page size is bounded");
    }
    assert!(answered >= 5, "only {answered} lists answered");
    // Page 2 of the accounts, one a page: the second account.
    let all = admin.get("/api/v1/accounts?per_page=500").await.json();
    let second = admin.get("/api/v1/accounts?page=2&per_page=1").await.json();
    assert_eq!(second["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(second["items"][0]["id"], all["items"][1]["id"]);
    assert_eq!(second["total"], all["total"]);
}
