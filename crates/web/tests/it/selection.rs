//! 遴选与公布, the whole path through the doors: a submission accepted → its people 待遴选 →
//! selected (one rejected with a reason) → an oversight body's opinion → 公示 → an objection
//! upheld → the final list proposed by one 市教委管理员 and approved by a second → frozen → a
//! correction published as a new revision; the school sees each person's outcome.

use axum::http::StatusCode;
use shuangshi_app::selection::ObjectionForm;
use shuangshi_store::{
    Actor, PublicationKind, PublicationState, Role, Scope, SelectionRecord, SelectionStatus,
};

use crate::review::submit;
use crate::school::{open_batch, pair, prepared};
use crate::support::{PASSWORD, TestApp};

async fn people(app: &TestApp, batch_id: i64) -> Vec<SelectionRecord> {
    app.store()
        .list_selections(&Scope::All, batch_id)
        .await
        .unwrap()
}

fn status_of(list: &[SelectionRecord], id: i64) -> SelectionStatus {
    list.iter().find(|p| p.id == id).unwrap().status
}

/// Ends the running 公示's window (as if its working days had passed).
async fn end_window(app: &TestApp) {
    let n = app
        .db
        .execute(
            "UPDATE publications SET opens_at = '2000-01-01 00:00:00+00:00', \
             closes_at = '2000-01-02 00:00:00+00:00' WHERE kind = 'publicity'",
        )
        .await;
    assert!(n > 0, "no 公示 to end");
}

async fn audited(app: &TestApp, action: &str) -> u64 {
    app.db
        .query_text(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = '{action}'"
        ))
        .await
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn accepted_people_are_selected_published_objected_to_approved_and_frozen() {
    let app = TestApp::new().await;
    let batch = open_batch(&app).await;
    let a = pair(&app, "遴甲", "中职").await;
    prepared(&app, &batch, &a).await;
    let sid = submit(&app, &batch, &a).await;
    let mut admin = app.login(Role::Admin).await;

    // Nothing to select before acceptance.
    assert!(people(&app, batch.id).await.is_empty());
    let r = admin.post_form(&format!("/review/{sid}/accept"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let list = people(&app, batch.id).await;
    assert_eq!(
        list.len(),
        2,
        "both people of the accepted form are candidates"
    );
    assert!(list.iter().all(|p| p.status == SelectionStatus::Pending));
    assert_eq!(
        list.iter()
            .map(|p| p.direction.as_str())
            .collect::<Vec<_>>(),
        ["school", "enterprise"],
        "the direction the rules decided is kept"
    );
    let (teacher, engineer) = (list[0].id, list[1].id);

    let page = admin.get("/selection").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&list[0].name) && page.body.contains("待遴选"));

    // 未入选 needs a reason: refused, nothing changes.
    let id = engineer.to_string();
    admin
        .post_form(
            "/selection/decide",
            &[("id", &id), ("status", "rejected"), ("reason", "")],
        )
        .await;
    assert_eq!(
        status_of(&people(&app, batch.id).await, engineer),
        SelectionStatus::Pending
    );
    let page = admin.get("/selection").await;
    assert!(page.body.contains("须填写原因"), "{}", page.body);

    // Both selected in bulk over the filters (the teacher and the engineer).
    let r = admin
        .post_form(
            "/selection/decide",
            &[("all", "1"), ("status", "selected"), ("q", "遴甲")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let list = people(&app, batch.id).await;
    assert!(list.iter().all(|p| p.status == SelectionStatus::Selected));
    assert_eq!(audited(&app, "selection.decide").await, 2);
    // The standing over the selected people: one teacher, one engineer against the targets.
    let board = admin.get("/selection").await.body;
    assert!(board.contains("入选学校派出教师"), "{board}");

    // 工商联 (the enterprise is private) gives an opinion; the commission sees it and filters by it.
    app.app()
        .record_opinion(
            &Scope::PrivateRows,
            &Actor::system(),
            teacher,
            true,
            "请核实该同志的任职年限",
        )
        .await
        .unwrap();
    let objected = admin.get("/selection?opinion=object").await.body;
    assert!(objected.contains("请核实该同志的任职年限"), "{objected}");
    assert!(objected.contains(&list[0].name) && !objected.contains(&list[1].name));
    // 国资委 has no copy of this form: its opinion is refused as not found.
    assert!(
        app.app()
            .record_opinion(&Scope::StateOwnedRows, &Actor::system(), teacher, false, "")
            .await
            .is_err()
    );

    // 公示.
    let r = admin.post_form("/selection/publicity", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let public = app
        .store()
        .public_list(batch.number)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(public.publication.kind, PublicationKind::Publicity);
    assert_eq!(public.publication.entries.len(), 2);
    assert!(public.publication.is_open(chrono::Utc::now()));
    // During the 公示 the selection cannot change.
    let id = teacher.to_string();
    admin
        .post_form(
            "/selection/decide",
            &[("id", &id), ("status", "rejected"), ("reason", "改变主意")],
        )
        .await;
    assert_eq!(
        status_of(&people(&app, batch.id).await, teacher),
        SelectionStatus::Selected
    );
    // The final list cannot be proposed while the window is open.
    admin.post_form("/selection/final", &[]).await;
    assert!(
        app.store()
            .list_publications(batch.id)
            .await
            .unwrap()
            .iter()
            .all(|p| p.kind == PublicationKind::Publicity)
    );

    // An objection about the engineer (序号 2), upheld: the engineer becomes 未入选 with it as
    // the reason.
    let o = app
        .app()
        .submit_objection(
            batch.number,
            &ObjectionForm {
                seq: 2,
                contact: "李先生 023-12345678".into(),
                body: "该同志已调离本单位，不应再作为本单位派出人员。".into(),
            },
            "198.51.100.1",
        )
        .await
        .unwrap();
    assert_eq!(o.selection_id, Some(engineer));
    let page = admin.get("/selection").await.body;
    assert!(
        page.contains("已调离本单位") && page.contains("1 条待处理"),
        "{page}"
    );
    // The final list waits for the objection to be handled (and the window to end).
    end_window(&app).await;
    admin.post_form("/selection/final", &[]).await;
    let page = admin.get("/selection").await.body;
    assert!(page.contains("未处理"), "{page}");
    let r = admin
        .post_form(
            &format!("/selection/objections/{}", o.id),
            &[("decision", "upheld"), ("note", "经核实已调离")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let list = people(&app, batch.id).await;
    let eng = list.iter().find(|p| p.id == engineer).unwrap();
    assert_eq!(eng.status, SelectionStatus::Rejected);
    assert!(eng.reason.contains("公示异议成立") && eng.reason.contains("经核实已调离"));
    assert_eq!(audited(&app, "objection.handle").await, 1);

    // The final list: proposed by this admin; a second admin exists, so it waits for approval.
    let mut checker = app.login(Role::Admin).await;
    let r = admin
        .post_form("/selection/final", &[("note", "第一版")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let pubs = app.store().list_publications(batch.id).await.unwrap();
    let fin = pubs
        .iter()
        .find(|p| p.kind == PublicationKind::Final)
        .expect("a final list");
    assert_eq!(fin.state, PublicationState::Pending);
    assert_eq!(fin.entries.len(), 1, "only the teacher stays selected");
    // Not yet public: the 公示 is still what the public sees.
    assert_eq!(
        app.store()
            .public_list(batch.number)
            .await
            .unwrap()
            .unwrap()
            .publication
            .kind,
        PublicationKind::Publicity
    );
    // The maker cannot approve their own list.
    admin
        .post_form(&format!("/selection/final/{}/approve", fin.id), &[])
        .await;
    assert_eq!(
        app.store().list_publications(batch.id).await.unwrap()[1].state,
        PublicationState::Pending
    );
    let page = checker.get("/selection").await.body;
    assert!(page.contains("复核并公布"), "{page}");
    let r = checker
        .post_form(&format!("/selection/final/{}/approve", fin.id), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let public = app
        .store()
        .public_list(batch.number)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(public.publication.kind, PublicationKind::Final);
    assert_eq!(public.publication.entries.len(), 1);
    assert_eq!(audited(&app, "publication.final.approve").await, 1);

    // Frozen: no change of selection, no opinion.
    let id = teacher.to_string();
    admin
        .post_form("/selection/decide", &[("id", &id), ("status", "pending")])
        .await;
    assert_eq!(
        status_of(&people(&app, batch.id).await, teacher),
        SelectionStatus::Selected
    );
    let page = admin.get("/selection").await.body;
    assert!(page.contains("已锁定"), "{page}");
    assert!(
        app.app()
            .record_opinion(&Scope::PrivateRows, &Actor::system(), teacher, false, "")
            .await
            .is_err()
    );

    // The school sees its people's outcomes on its workbench.
    let mut school = app.login_as(&a.school_user, PASSWORD).await;
    let home = school.get("/").await.body;
    assert!(
        home.contains("遴选结果") && home.contains("已公布"),
        "{home}"
    );
    assert!(home.contains("经核实已调离"), "{home}");

    // A correction: opened with a reason, the engineer restored, a new revision approved.
    let r = admin
        .post_form("/selection/correction", &[("note", "核实后该同志未调离")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let id = engineer.to_string();
    admin
        .post_form("/selection/decide", &[("id", &id), ("status", "selected")])
        .await;
    assert_eq!(
        status_of(&people(&app, batch.id).await, engineer),
        SelectionStatus::Selected
    );
    admin.post_form("/selection/final", &[]).await;
    let rev2 = app
        .store()
        .list_publications(batch.id)
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.kind == PublicationKind::Final && p.revision == 2)
        .expect("revision 2");
    assert_eq!(rev2.state, PublicationState::Pending);
    checker
        .post_form(&format!("/selection/final/{}/approve", rev2.id), &[])
        .await;
    let public = app
        .store()
        .public_list(batch.number)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(public.publication.revision, 2);
    assert_eq!(public.publication.entries.len(), 2);
    assert_eq!(audited(&app, "publication.final.correct").await, 1);
}

#[tokio::test]
async fn the_api_selects_and_reports_the_standing_over_selected_people() {
    let app = TestApp::new().await;
    let batch = open_batch(&app).await;
    let a = pair(&app, "遴乙", "中职").await;
    prepared(&app, &batch, &a).await;
    let sid = submit(&app, &batch, &a).await;
    let mut admin = app.login(Role::Admin).await;
    admin.post_form(&format!("/review/{sid}/accept"), &[]).await;
    let (mut api, _) = app.api_client(Role::Admin).await;
    let board = api.get("/api/v1/selection").await;
    assert_eq!(board.status, StatusCode::OK, "{}", board.body);
    let json = board.json();
    assert_eq!(json["pending"], 2);
    let ids: Vec<i64> = json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    let teacher = json["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["direction"] == "学校派出")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let body = serde_json::json!({"ids": [teacher], "status": "selected"});
    let r = api
        .send(
            axum::http::Request::post("/api/v1/selection/decide")
                .header("content-type", "application/json")
                .body(axum::body::Body::from(body.to_string()))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["changed"], 1);
    // Over the selected people the school sends one and receives none: S01 names it.
    let json = api.get("/api/v1/selection").await.json();
    assert_eq!(json["selected"], 1);
    let school = &json["schools"][0];
    assert_eq!(school["teachers"], 1);
    assert_eq!(school["engineers"], 0);
    let rules: Vec<&str> = school["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["S01"], "{school}");
    // A rejection without a reason is a 409 with the Chinese reason; an unknown status a 400.
    let body = serde_json::json!({"ids": ids, "status": "rejected"});
    let r = api
        .send(
            axum::http::Request::post("/api/v1/selection/decide")
                .header("content-type", "application/json")
                .body(axum::body::Body::from(body.to_string()))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("须填写原因"));
    let body = serde_json::json!({"ids": ids, "status": "maybe"});
    let r = api
        .send(
            axum::http::Request::post("/api/v1/selection/decide")
                .header("content-type", "application/json")
                .body(axum::body::Body::from(body.to_string()))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}
