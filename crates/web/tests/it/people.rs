//! 人员履历: a person recommended in an earlier batch and again now is found by the identity index
//! (D03 on the row), and the commission sees both appearances, the mobile masked until asked; each
//! appearance shows its selection outcome and, on the published final list, its term record and
//! assessment; the term and selection pages link each name to it.

use axum::http::StatusCode;
use shuangshi_rules::{Batch, Column};
use shuangshi_store::{Actor, AuditFilter, FormContent, PageRequest, Role, Scope, SelectionStatus};

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
        .json()["items"]
        .clone();
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
        .json()["items"]
        .clone();
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

/// The teacher's selection (the person the school sends) of `p` in `batch`.
async fn teacher_selection(
    app: &TestApp,
    batch: &shuangshi_store::BatchRecord,
    p: &crate::school::Pair,
) -> shuangshi_store::SelectionRecord {
    app.store()
        .list_selections(&Scope::All, batch.id)
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.school_id == p.school.id && s.direction == "school")
        .unwrap()
}

#[tokio::test]
async fn a_person_on_the_final_list_shows_the_outcome_the_term_and_the_assessment() {
    let app = TestApp::new().await;
    let a = pair(&app, "履丙", "中职").await;
    let batch = crate::term::final_list(&app, &[&a]).await;
    let sel = teacher_selection(&app, &batch, &a).await;
    let (form, row) = (sel.form_id, sel.row_no);

    // The enterprise receives the teacher: arrival, placement, assessment 优秀; the school remarks.
    let rec = app
        .app()
        .record_term(
            &Scope::Enterprise(a.enterprise.id),
            &Actor::system(),
            &batch,
            sel.id,
            0,
            &shuangshi_app::term::TermForm {
                arrival: "arrived".into(),
                arrived_on: "2024-02-26".into(),
                post: "技术研发部 科技副总".into(),
                tasks: "产线数字化改造".into(),
                duties: "主持工艺优化".into(),
                assessment: "优秀".into(),
                summary: "聘期任务全部完成，成效显著".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    app.app()
        .remark_term(
            &Scope::School(a.school.id),
            &Actor::system(),
            &batch,
            sel.id,
            rec.version,
            "同意接收单位考核意见",
        )
        .await
        .unwrap();

    let mut admin = app.login(Role::Admin).await;
    let r = admin.get(&format!("/people/{form}/{row}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    for text in [
        "遴选结果",
        "入选",
        "已列入正式名单",
        "已到岗",
        "2024-02-26",
        "优秀",
        "聘期记录",
        "技术研发部 科技副总",
        "产线数字化改造",
        "主持工艺优化",
        "聘期任务全部完成，成效显著",
        "派出单位意见",
        "同意接收单位考核意见",
    ] {
        assert!(r.body.contains(text), "{text}: {}", r.body);
    }
    assert!(!r.body.contains("未入选"), "{}", r.body);
    assert!(r.body.contains("138****8000") && !r.body.contains("13800138000"));

    // The same through the API.
    let (mut api, _) = app.api_client(Role::Admin).await;
    let j = api
        .get(&format!("/api/v1/people/{form}/{row}"))
        .await
        .json()["items"]
        .clone();
    let me = j
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["this_row"] == true)
        .unwrap();
    assert_eq!(me["selection"], "入选");
    assert_eq!(me["listed"], "正式名单");
    assert_eq!(me["on_final_list"], true);
    let t = &me["term_record"];
    assert_eq!(t["recorded"], true, "{j}");
    assert_eq!(t["arrival"], "已到岗");
    assert_eq!(t["arrived_on"], "2024-02-26");
    assert_eq!(t["post"], "技术研发部 科技副总");
    assert_eq!(t["assessment"], "优秀");
    assert_eq!(t["summary"], "聘期任务全部完成，成效显著");
    assert_eq!(t["sender_remark"], "同意接收单位考核意见");
    assert_eq!(me["mobile"], "138****8000");

    // The engineer is on the list too, with nothing recorded yet: 未填报, no panel of its own.
    let j = api
        .get(&format!("/api/v1/people/{form}/{}", row + 1))
        .await
        .json()["items"]
        .clone();
    assert_eq!(j[0]["selection"], "入选", "{j}");
    assert_eq!(j[0]["term_record"]["recorded"], false);
    assert_eq!(j[0]["term_record"]["arrival"], "未填报");

    // From any row: the term page and the selection page link each name to the history, for the
    // commission only.
    let href = format!("href=\"/people/{form}/{row}\"");
    let n = batch.number;
    let r = admin.get(&format!("/term?batch={n}")).await;
    assert!(r.body.contains(&href), "{}", r.body);
    let r = admin.get("/selection").await;
    assert!(r.body.contains(&href), "{}", r.body);
    let mut reviewer = app.login(Role::VocationalReviewer).await;
    let r = reviewer.get(&format!("/term?batch={n}")).await;
    assert!(r.body.contains(&href), "{}", r.body);
    assert_eq!(
        reviewer.get(&format!("/people/{form}/{row}")).await.status,
        StatusCode::OK
    );
    let mut ent = app.login_as(&a.enterprise_user, PASSWORD).await;
    let r = ent.get(&format!("/term?batch={n}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains("张三") && !r.body.contains("/people/"),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn a_person_not_selected_shows_the_rejection_and_no_term() {
    let app = TestApp::new().await;
    let b = pair(&app, "履丁", "中职").await;
    let batch = crate::school::open_batch(&app).await;
    let (_, f) = crate::school::prepared(&app, &batch, &b).await;
    let mut admin = app.login(Role::Admin).await;

    // Before acceptance the appearance has not reached selection.
    let r = admin.get(&format!("/people/{}/5", f.id)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("未进入遴选"), "{}", r.body);

    let sid = crate::review::submit(&app, &batch, &b).await;
    let r = admin.post_form(&format!("/review/{sid}/accept"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let sel = teacher_selection(&app, &batch, &b).await;
    app.app()
        .decide_selection(
            &Scope::All,
            &Actor::system(),
            &batch,
            &[sel.id],
            SelectionStatus::Rejected,
            "本批名额已满",
        )
        .await
        .unwrap();

    let r = admin
        .get(&format!("/people/{}/{}", sel.form_id, sel.row_no))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("未入选") && r.body.contains("本批名额已满"),
        "{}",
        r.body
    );
    assert!(
        !r.body.contains("聘期记录") && !r.body.contains("已列入正式名单"),
        "{}",
        r.body
    );

    let (mut api, _) = app.api_client(Role::Admin).await;
    let j = api
        .get(&format!("/api/v1/people/{}/{}", sel.form_id, sel.row_no))
        .await
        .json()["items"]
        .clone();
    assert_eq!(j[0]["selection"], "未入选", "{j}");
    assert_eq!(j[0]["selection_reason"], "本批名额已满");
    assert_eq!(j[0]["on_final_list"], false);
    assert!(j[0]["term_record"].is_null(), "{j}");
}
