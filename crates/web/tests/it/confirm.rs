//! The enterprise's confirmation of rows (W02) is not blind: nothing is ticked until the officer
//! ticks it or asks for 「全选」, confirming ticked rows confirms only those, a row changed after its
//! confirmation shows what changed (confirmed → now), and 「有异议」 with a reason is audited and
//! kept beside the row for the school. CSRF is required; another enterprise's form answers 404.

use axum::http::StatusCode;
use shuangshi_rules::Column;
use shuangshi_store::{Actor, AuditFilter, FormContent, PageRequest, Scope};

use crate::school::{cells, engineer, form, open_batch, pair, partner, teacher};
use crate::support::TestApp;

/// A confirmed partnership whose form holds a teacher and an engineer, neither confirmed yet.
/// Returns (form id, [teacher row id, engineer row id], pair).
async fn two_rows(app: &TestApp, tag: &str) -> (i64, [i64; 2], crate::school::Pair) {
    let batch = match app.store().list_batches().await.unwrap().pop() {
        Some(b) => b,
        None => open_batch(app).await,
    };
    let p = pair(app, tag, "中职").await;
    let fid = partner(app, &batch, &p).await;
    let content = FormContent {
        header_school: p.school.name.clone(),
        header_enterprise: p.enterprise.name.clone(),
        filler: "王老师".into(),
        phone: "023-63865672".into(),
        rows: vec![
            cells(&teacher(&p, "13800138000")),
            cells(&engineer(&p, "13900139000")),
        ],
    };
    let out = app
        .store()
        .replace_rows(&Scope::All, fid, &content, None, &Actor::system())
        .await
        .unwrap()
        .unwrap();
    let ids = [out.form.rows[0].id, out.form.rows[1].id];
    (fid, ids, p)
}

#[tokio::test]
async fn nothing_is_pre_ticked_and_select_all_ticks_every_row_to_confirm() {
    let app = TestApp::new().await;
    let (fid, [r1, r2], p) = two_rows(&app, "确认甲").await;
    let mut ent = app
        .login_as(&p.enterprise_user, crate::support::PASSWORD)
        .await;

    let r = ent.get(&format!("/confirmations/{fid}")).await;
    assert_eq!(r.status, StatusCode::OK);
    for id in [r1, r2] {
        assert!(r.body.contains(&format!("name=\"row_{id}\"")), "{}", r.body);
    }
    assert!(
        !r.body.contains(" checked"),
        "no box is pre-ticked: {}",
        r.body
    );
    // The compact columns an enterprise needs.
    for head in [
        "姓名",
        "派出方向",
        "拟挂任职务",
        "交流期限",
        "岗位/工作内容",
        "异议",
    ] {
        assert!(r.body.contains(&format!(">{head}</th>")), "{head}");
    }
    assert!(
        r.body
            .contains(&format!("href=\"/confirmations/{fid}?select=all\""))
            && r.body.contains("全选"),
        "select-all exists: {}",
        r.body
    );

    let r = ent.get(&format!("/confirmations/{fid}?select=all")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body.matches(" checked").count(), 2, "{}", r.body);
    assert!(r.body.contains("取消全选"));
}

#[tokio::test]
async fn confirming_ticked_rows_confirms_only_those() {
    let app = TestApp::new().await;
    let (fid, [r1, r2], p) = two_rows(&app, "确认乙").await;
    let mut ent = app
        .login_as(&p.enterprise_user, crate::support::PASSWORD)
        .await;
    let v = form(&app, fid).await.version.to_string();

    // Nothing ticked: refused with a message, nothing confirmed.
    let r = ent
        .post_form(&format!("/confirmations/{fid}"), &[("version", &v)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(form(&app, fid).await.rows.iter().all(|r| !r.confirmed()));
    let r = ent.get(&format!("/confirmations/{fid}")).await;
    assert!(r.body.contains("请勾选要确认的人员"), "{}", r.body);

    let k1 = format!("row_{r1}");
    let r = ent
        .post_form(
            &format!("/confirmations/{fid}"),
            &[(&k1, "1"), ("version", &v)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let f = form(&app, fid).await;
    let by_id = |id: i64| f.rows.iter().find(|r| r.id == id).unwrap().confirmed();
    assert!(by_id(r1) && !by_id(r2), "only the ticked row is confirmed");

    let r = ent.get(&format!("/confirmations/{fid}")).await;
    assert!(
        r.body.contains("已确认 1 人") && r.body.contains("待确认 1 人"),
        "{}",
        r.body
    );
    assert!(!r.body.contains(&format!("name=\"row_{r1}\"")));
    assert!(r.body.contains(&format!("name=\"row_{r2}\"")));
}

#[tokio::test]
async fn a_row_changed_after_confirmation_shows_what_changed() {
    let app = TestApp::new().await;
    let (fid, [r1, r2], p) = two_rows(&app, "确认丙").await;
    let s = app.store();
    s.confirm_rows(&Scope::All, fid, &[r1, r2], None, &Actor::system())
        .await
        .unwrap()
        .unwrap();
    let f = form(&app, fid).await;
    let row = f.rows.iter().find(|r| r.id == r1).unwrap();
    let old_post = row.cell(Column::Post).to_owned();
    let mut changed = row.cells.clone();
    changed[Column::Post as usize] = "车间技术副主任".into();
    changed[Column::Mobile as usize] = "13800138001".into();
    s.update_row(
        &Scope::School(p.school.id),
        r1,
        &changed,
        None,
        &Actor::system(),
    )
    .await
    .unwrap()
    .unwrap();

    let mut ent = app
        .login_as(&p.enterprise_user, crate::support::PASSWORD)
        .await;
    let r = ent.get(&format!("/confirmations/{fid}")).await;
    assert!(r.body.contains("确认后已修改"), "{}", r.body);
    assert!(
        r.body.contains(&format!("<span class=\"diff-old\">{old_post}</span> → <span class=\"diff-new\">车间技术副主任</span>")),
        "old → new of the changed cell: {}",
        r.body
    );
    // A masked number's change is named, never shown.
    assert!(r.body.contains("手机号码：已修改"));
    assert!(!r.body.contains("13800138001") && !r.body.contains("13800138000"));
    // The row is to confirm again; the other stays confirmed and unmarked.
    assert!(r.body.contains(&format!("name=\"row_{r1}\"")));
    assert!(!r.body.contains(&format!("name=\"row_{r2}\"")));
    assert_eq!(r.body.matches("class=\"table-warning\"").count(), 1);

    // Confirmed again: no longer marked.
    let v = form(&app, fid).await.version.to_string();
    let k1 = format!("row_{r1}");
    ent.post_form(
        &format!("/confirmations/{fid}"),
        &[(&k1, "1"), ("version", &v)],
    )
    .await;
    let r = ent.get(&format!("/confirmations/{fid}")).await;
    assert!(!r.body.contains("确认后已修改"), "{}", r.body);
}

#[tokio::test]
async fn an_objection_with_a_reason_is_audited_and_kept_for_the_school() {
    let app = TestApp::new().await;
    let (fid, [r1, r2], p) = two_rows(&app, "确认丁").await;
    let s = app.store();
    s.confirm_rows(&Scope::All, fid, &[r1], None, &Actor::system())
        .await
        .unwrap()
        .unwrap();
    let mut ent = app
        .login_as(&p.enterprise_user, crate::support::PASSWORD)
        .await;
    let uri = format!("/confirmations/{fid}/rows/{r1}/object");

    // A reason is required.
    let r = ent.post_form(&uri, &[("reason", "  ")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = ent.get(&format!("/confirmations/{fid}")).await;
    assert!(r.body.contains("请填写异议理由"), "{}", r.body);
    assert!(
        s.row_notes(&Scope::All, fid).await.unwrap()[&r1]
            .objection
            .is_none()
    );

    let reason = "拟挂任职务与商定的不一致，应为技术顾问";
    let version = form(&app, fid).await.version;
    let r = ent.post_form(&uri, &[("reason", reason)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let f = form(&app, fid).await;
    assert_eq!(f.version, version, "an objection is no edit of the form");
    assert!(
        !f.rows.iter().find(|r| r.id == r1).unwrap().confirmed(),
        "an objected row is not confirmed"
    );

    // Audited, with the reason.
    let log = s
        .list_audit(
            &AuditFilter {
                action_prefix: Some("form.object_row".into()),
                target: Some(format!("form:{fid}")),
                ..Default::default()
            },
            PageRequest::new(0, 10),
        )
        .await
        .unwrap();
    assert_eq!(log.total, 1);
    assert!(
        log.items[0].detail.contains(&format!("row:{r1}")) && log.items[0].detail.contains(reason)
    );
    assert_eq!(log.items[0].actor_user_id, Some(p.enterprise_user.id));

    // The enterprise sees it on the row.
    let r = ent.get(&format!("/confirmations/{fid}")).await;
    assert!(
        r.body.contains("有异议") && r.body.contains(reason),
        "{}",
        r.body
    );

    // The school reads it beside the row (its scope), the other row has none.
    let notes = s.row_notes(&Scope::School(p.school.id), fid).await.unwrap();
    assert_eq!(notes[&r1].objection.as_deref(), Some(reason));
    assert!(notes.get(&r2).is_none_or(|n| n.objection.is_none()));
    let mut school = app.login_as(&p.school_user, crate::support::PASSWORD).await;
    let page = school.get(&format!("/forms/{fid}")).await;
    assert_eq!(page.status, axum::http::StatusCode::OK);
    assert_eq!(page.body.matches("企业有异议").count(), 1, "{}", page.body);
    assert!(
        page.body.contains(&format!("理由：{reason}")),
        "{}",
        page.body
    );
    let home = school.get("/").await;
    assert!(home.body.contains("对 1 名人员提出异议"), "{}", home.body);

    // The school edits the row: the objection is answered (cleared), the row is to confirm again.
    let row = f.rows.iter().find(|r| r.id == r1).unwrap();
    let mut changed = row.cells.clone();
    changed[Column::Post as usize] = "技术顾问".into();
    s.update_row(
        &Scope::School(p.school.id),
        r1,
        &changed,
        None,
        &Actor::system(),
    )
    .await
    .unwrap()
    .unwrap();
    let notes = s.row_notes(&Scope::School(p.school.id), fid).await.unwrap();
    assert!(notes[&r1].objection.is_none());
    let r = ent.get(&format!("/confirmations/{fid}")).await;
    assert!(
        r.body.contains("确认后已修改") && r.body.contains("技术顾问"),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn csrf_is_required_and_another_enterprises_form_answers_404() {
    let app = TestApp::new().await;
    let (fid, [r1, _], p) = two_rows(&app, "确认戊").await;
    let (fb, [rb, _], _) = two_rows(&app, "确认己").await;
    let mut ent = app
        .login_as(&p.enterprise_user, crate::support::PASSWORD)
        .await;
    let v = form(&app, fid).await.version.to_string();
    let k1 = format!("row_{r1}");

    // Without the token: 403, nothing changes.
    let r = ent
        .post_form_raw(
            &format!("/confirmations/{fid}"),
            &[(&k1, "1"), ("version", &v)],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = ent
        .post_form_raw(
            &format!("/confirmations/{fid}/rows/{r1}/object"),
            &[("reason", "理由")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(form(&app, fid).await.rows.iter().all(|r| !r.confirmed()));
    assert!(
        app.store()
            .row_notes(&Scope::All, fid)
            .await
            .unwrap()
            .is_empty()
    );

    // Another enterprise's form, and its row through this enterprise's form.
    let r = ent.get(&format!("/confirmations/{fb}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = ent.get(&format!("/confirmations/{fb}?select=all")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let kb = format!("row_{rb}");
    let r = ent
        .post_form(
            &format!("/confirmations/{fb}"),
            &[(&kb, "1"), ("version", &v)],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    for uri in [
        format!("/confirmations/{fb}/rows/{rb}/object"),
        format!("/confirmations/{fid}/rows/{rb}/object"),
    ] {
        let r = ent.post_form(&uri, &[("reason", "理由")]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "POST {uri}");
    }
    assert!(
        app.store()
            .row_notes(&Scope::All, fb)
            .await
            .unwrap()
            .is_empty()
    );
    // A school may not object.
    let mut school = app.login_as(&p.school_user, crate::support::PASSWORD).await;
    let r = school
        .post_form(
            &format!("/confirmations/{fid}/rows/{r1}/object"),
            &[("reason", "理由")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}
