//! 汇总名单 and 通知与模板: the consolidated list with its filters, totals against the targets,
//! duplicates on their people, scope (职成教处 sees the 中职 schools only), masking and the audited
//! export; the school's page of the batch's parameters.

use std::io::Cursor;

use axum::http::StatusCode;
use calamine::{Data, Reader, Xlsx};
use shuangshi_store::{AuditFilter, PageRequest, Role};

use crate::school::{open_batch, pair, prepared};
use crate::support::{PASSWORD, TestApp};

/// The school's cell of a row of the list.
fn school_cell(name: &str) -> String {
    format!("<td class=\"col-unit\">{name}<span")
}

#[tokio::test]
async fn the_roster_filters_counts_against_targets_and_shows_duplicates() {
    let app = TestApp::new().await;
    let batch = open_batch(&app).await;
    // Both schools recommend the same two people (the same mobiles): D-findings on each.
    let a = pair(&app, "汇甲", "中职").await;
    let b = pair(&app, "汇乙", "国家双高").await;
    prepared(&app, &batch, &a).await;
    prepared(&app, &batch, &b).await;

    let mut admin = app.login(Role::Admin).await;
    let r = admin.get("/roster").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains(&a.school.name) && r.body.contains(&b.school.name));
    // Two teachers (both 科技副总) and two engineers (both 产业副院长) against batch 10's plan.
    assert!(
        r.body.contains("学校派出教师")
            && r.body
                .contains("2 人 <span class=\"gauge-min\">/ 计划 100 人")
            && r.body.contains("P01"),
        "{}",
        r.body
    );
    assert!(r.body.contains("符合条件 4 人"), "{}", r.body);
    assert!(r.body.contains("处重复推荐（D01–D03）"), "{}", r.body);
    // The commission sees numbers masked until it asks for them in full; that view is audited.
    assert!(!r.body.contains("13800138000") && r.body.contains("138****8000"));
    let r = admin.get("/roster?full=1").await;
    assert!(r.body.contains("13800138000"));
    let audited = app
        .store()
        .list_audit(
            &AuditFilter {
                action_prefix: Some("unmask.roster".into()),
                ..AuditFilter::default()
            },
            PageRequest::new(0, 10),
        )
        .await
        .unwrap();
    assert_eq!(audited.total, 1);

    // Filters: tier, direction, duplicates only, a name.
    let r = admin.get("/roster?tier=%E4%B8%AD%E8%81%8C").await;
    let b_cell = school_cell(&b.school.name);
    assert!(r.body.contains(&school_cell(&a.school.name)));
    assert!(r.body.contains("符合条件 2 人") && !r.body.contains(&b_cell));
    let r = admin.get("/roster?direction=enterprise").await;
    assert!(
        r.body.contains("符合条件 2 人") && r.body.contains("李四") && !r.body.contains("张三"),
        "{}",
        r.body
    );
    // D01 marks every later occurrence and names the first, as a person of a form.
    let r = admin.get("/roster?dup=1").await;
    let first = format!(
        "「{}」「{}」推荐表第 1 人（张三）",
        b.school.name, b.enterprise.name
    );
    assert!(
        r.body.contains("符合条件 2 人") && r.body.contains("D01") && r.body.contains(&first),
        "{}",
        r.body
    );
    let r = admin.get("/roster?q=%E5%BC%A0%E4%B8%89").await;
    assert!(r.body.contains("符合条件 2 人"));
    let r = admin.get("/roster?status=accepted").await;
    assert!(r.body.contains("符合条件 0 人") && r.body.contains("没有符合条件的人员"));

    // The export is the filtered list, every value text, and it is audited.
    let r = admin.get("/roster.xlsx?tier=%E4%B8%AD%E8%81%8C").await;
    assert_eq!(r.status, StatusCode::OK);
    let mut book = Xlsx::new(Cursor::new(r.bytes.clone())).unwrap();
    let sheet = book.worksheet_range("汇总名单").unwrap();
    let cell = |row: u32, col: u32| match sheet.get_value((row, col)) {
        Some(Data::String(s)) => s.clone(),
        other => format!("{other:?}"),
    };
    assert_eq!(cell(1, 0), "姓名");
    assert_eq!(sheet.height(), 4, "title, header and two people");
    assert_eq!(cell(2, 6), a.school.name);
    assert_eq!(cell(2, 12), "138****8000", "masked unless asked in full");
    let r = admin
        .get("/roster.xlsx?tier=%E4%B8%AD%E8%81%8C&full=1")
        .await;
    let mut book = Xlsx::new(Cursor::new(r.bytes.clone())).unwrap();
    let full = book.worksheet_range("汇总名单").unwrap();
    assert_eq!(
        full.get_value((2, 12)),
        Some(&Data::String("13800138000".into()))
    );
    let audited = app
        .store()
        .list_audit(
            &AuditFilter {
                action_prefix: Some("export.roster".into()),
                ..AuditFilter::default()
            },
            PageRequest::new(0, 10),
        )
        .await
        .unwrap();
    assert_eq!(audited.total, 2);
    assert_eq!(audited.items[0].action, "export.roster_unmasked");
    assert!(
        audited.items[0].detail.contains("2 人"),
        "{:?}",
        audited.items[0]
    );

    // 职成教处 sees only the 中职 school, and is told the totals are partial.
    let mut reviewer = app.login(Role::VocationalReviewer).await;
    let r = reviewer.get("/roster").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains(&school_cell(&a.school.name))
            && !r.body.contains(&b_cell)
            && r.body.contains("仅统计本账号可见范围内的学校"),
        "{}",
        r.body
    );
    let r = reviewer.get("/roster.xlsx").await;
    let mut book = Xlsx::new(Cursor::new(r.bytes.clone())).unwrap();
    assert_eq!(book.worksheet_range("汇总名单").unwrap().height(), 4);

    // The same list through the API, with the same filters, totals and duplicates.
    let (api, _) = app.api_client(Role::Admin).await;
    let r = api
        .clone()
        .get("/api/v1/roster?direction=school&full=1")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let j = r.json();
    assert_eq!(j["total"], 2);
    assert_eq!(j["totals"][0]["have"], 2);
    assert_eq!(j["totals"][0]["target"], 100);
    assert_eq!(j["items"][0]["name"], "张三");
    assert_eq!(j["items"][0]["mobile"], "13800138000");
    let dups: usize = j["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["duplicates"].as_array().unwrap().len())
        .sum();
    assert_eq!(dups, 1, "{j}");
    let (api, _) = app.api_client(Role::VocationalReviewer).await;
    let j = api.clone().get("/api/v1/roster").await.json();
    assert_eq!(
        (j["total"].as_u64(), j["partial"].as_bool()),
        (Some(2), Some(true))
    );

    // Officers have no roster.
    let mut school = app.login_as(&a.school_user, PASSWORD).await;
    assert_eq!(school.get("/roster").await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_school_reads_the_batch_parameters_and_the_checks() {
    let app = TestApp::new().await;
    open_batch(&app).await;
    let a = pair(&app, "知丙", "市级双高").await;
    let mut school = app.login_as(&a.school_user, PASSWORD).await;
    let r = school.get("/notices").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("2024年春季学期")
            && r.body.contains("各类学校推荐人数下限")
            && r.body.contains("/forms/template.xlsx")
            && r.body.contains("F04"),
        "{}",
        r.body
    );
    // The school's own tier is marked.
    let mine = r
        .body
        .find("市级双高 <span class=\"tag tag-blue\">本校</span>");
    assert!(mine.is_some(), "{}", r.body);
    // The menu no longer leads anywhere missing.
    let r = school.get("/").await;
    assert!(r.body.contains("href=\"/notices\""));
}
