//! Every status shown is the one the data holds: after a return the school's 工作台 names the
//! return as the next step, the 报送 page says 已退回 with the reasons and keeps the button
//! disabled (saying why) while the forms are unchanged or an error stands, and the problems a
//! reviewer types in the return dialog reach the school as typed.

use axum::http::StatusCode;
use shuangshi_rules::Column;
use shuangshi_store::{Actor, FormRecord, Role, Scope};

use crate::review::{fix, submit};
use crate::school::{PNG, form, open_batch, pair, prepared_with};
use crate::support::{PASSWORD, Resp, TestApp};

/// The 报送 page offers the submit (the confirm form posting to it).
fn offers_submit(r: &Resp) -> bool {
    r.body.contains(r#"action="/submissions/submit""#)
}

/// The 报送 page's button is there, disabled, with the reasons beside it.
fn submit_disabled(r: &Resp) -> bool {
    !offers_submit(r)
        && r.body
            .contains(r#"disabled aria-describedby="holds-title""#)
}

/// Nothing on the page says the school may submit.
fn no_all_passed(r: &Resp) -> bool {
    !r.body.contains("检查全部通过")
        && !r.body.contains("检查已全部通过")
        && !r.body.contains("可以报送")
}

/// Puts a mobile number no rule accepts on the first row, confirms and seals it again: the form
/// changed, an error stands, W02 and W03 are clear.
async fn break_mobile(app: &TestApp, f: &FormRecord) {
    let s = app.store();
    let a = Actor::system();
    let mut cells = f.rows[0].cells.clone();
    cells[Column::Mobile as usize] = "1234".to_owned();
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

#[tokio::test]
async fn a_returned_submission_shows_the_return_until_changed_and_checked() {
    let app = TestApp::new().await;
    let batch = open_batch(&app).await;
    let p = pair(&app, "态甲", "中职").await;
    let (_, f) = prepared_with(&app, &batch, &p, "13800138101", "13900139101").await;
    let mut school = app.login_as(&p.school_user, PASSWORD).await;

    // Before submitting, everything passes: the page says so and offers the button.
    let r = school.get("/submissions").await;
    assert!(
        r.body.contains("检查全部通过") && offers_submit(&r),
        "{}",
        r.body
    );

    let sid = submit(&app, &batch, &p).await;
    let mut admin = app.login(Role::Admin).await;
    let r = admin
        .post_form(
            &format!("/review/{sid}/return"),
            &[(
                "others",
                "盖章页模糊，请重新扫描\n\n  请核对第 2 人的开户行  \n",
            )],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = admin.get(&format!("/review/{sid}")).await;
    assert!(r.body.contains("已退回该校报送（2 条问题）"), "{}", r.body);

    // Returned, nothing changed: the 工作台 names the return first, and nothing else.
    let r = school.get("/").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains("报送已被退回：查看退回原因并修改")
            && r.body.contains(r##"href="/submissions#reasons-title""##),
        "{}",
        r.body
    );
    assert!(
        !r.body.contains("填写或上传推荐表")
            && !r.body.contains("填写或导入推荐表")
            && no_all_passed(&r),
        "{}",
        r.body
    );
    let first = r.body.find("报送已被退回").unwrap();
    assert!(
        r.body[..first]
            .rfind("todo-item")
            .is_some_and(|i| r.body[i..first].contains("todo-next")),
        "the return is the first step: {}",
        r.body
    );

    // 报送: 已退回 with the typed reasons as typed, the button disabled and why.
    let r = school.get("/submissions").await;
    assert!(
        r.body.contains("已退回")
            && r.body.contains("市教委已退回")
            && r.body.contains("盖章页模糊，请重新扫描")
            && r.body.contains("请核对第 2 人的开户行"),
        "{}",
        r.body
    );
    assert!(r.body.contains("推荐表自退回后尚未修改"), "{}", r.body);
    assert!(submit_disabled(&r) && no_all_passed(&r), "{}", r.body);

    // Changed, but with an error: still no "all passed", the error counted and linked.
    break_mobile(&app, &form(&app, f.id).await).await;
    let r = school.get("/submissions").await;
    assert!(submit_disabled(&r) && no_all_passed(&r), "{}", r.body);
    assert!(
        r.body.contains("处错误，改正后才能报送") && r.body.contains(r##"href="#blockers-title""##),
        "{}",
        r.body
    );
    assert!(!r.body.contains("推荐表自退回后尚未修改"), "{}", r.body);
    let r = school.get("/").await;
    assert!(
        r.body.contains("报送已被退回，推荐表已修改")
            && r.body.contains("处错误，改正后才能报送")
            && no_all_passed(&r),
        "{}",
        r.body
    );

    // Corrected, confirmed and sealed again: now it may be submitted again.
    let mut f = form(&app, f.id).await;
    f.rows[0].cells[Column::Mobile as usize] = "13800138101".to_owned();
    fix(&app, &f, "正高级讲师").await;
    let r = school.get("/submissions").await;
    assert!(
        offers_submit(&r) && r.body.contains("可以重新报送"),
        "{}",
        r.body
    );
    let r = school.get("/").await;
    assert!(r.body.contains("可以重新报送"), "{}", r.body);
    let r = school.post_form("/submissions/submit", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = school.get("/submissions").await;
    assert!(
        r.body.contains("报送成功") && !offers_submit(&r),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn an_error_before_submitting_keeps_the_button_disabled() {
    let app = TestApp::new().await;
    let batch = open_batch(&app).await;
    let p = pair(&app, "态乙", "中职").await;
    let (_, f) = prepared_with(&app, &batch, &p, "13800138102", "13900139102").await;
    break_mobile(&app, &f).await;
    let mut school = app.login_as(&p.school_user, PASSWORD).await;
    let r = school.get("/submissions").await;
    assert!(submit_disabled(&r) && no_all_passed(&r), "{}", r.body);
    assert!(r.body.contains("暂不能报送"), "{}", r.body);
    let r = school.get("/").await;
    assert!(
        r.body.contains("处错误，改正后才能报送") && no_all_passed(&r),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn typed_return_reasons_are_required_bounded_and_reach_the_school() {
    let app = TestApp::new().await;
    let batch = open_batch(&app).await;
    let p = pair(&app, "态丙", "中职").await;
    prepared_with(&app, &batch, &p, "13800138103", "13900139103").await;
    let sid = submit(&app, &batch, &p).await;
    let mut admin = app.login(Role::Admin).await;

    // The dialog offers the 其他问题 field.
    let r = admin.get(&format!("/review/{sid}")).await;
    assert!(
        r.body.contains("其他问题") && r.body.contains(r#"name="others""#),
        "{}",
        r.body
    );

    // Blank lines are no reason: refused, nothing changes.
    admin
        .post_form(&format!("/review/{sid}/return"), &[("others", " \n \n")])
        .await;
    let r = admin.get(&format!("/review/{sid}")).await;
    assert!(r.body.contains("退回时须选择问题或填写说明"), "{}", r.body);
    // A reason too long: refused with the reason.
    let long = "很".repeat(501);
    admin
        .post_form(&format!("/review/{sid}/return"), &[("others", &long)])
        .await;
    let r = admin.get(&format!("/review/{sid}")).await;
    assert!(r.body.contains("超过 500 字"), "{}", r.body);
    assert!(r.body.contains("确认退回"), "still undecided: {}", r.body);

    // A typed reason beside a ticked finding: both reach the school, the typed one as typed.
    let typed = "<b>附件</b>缺少「法人授权书」";
    admin
        .post_form(
            &format!("/review/{sid}/return"),
            &[("reason_0", "1"), ("others", typed)],
        )
        .await;
    let mut school = app.login_as(&p.school_user, PASSWORD).await;
    let r = school.get("/submissions").await;
    assert!(
        r.body.contains("F10")
            && r.body
                .contains("&#60;b&#62;附件&#60;/b&#62;缺少「法人授权书」")
            && !r.body.contains(typed),
        "{}",
        r.body
    );
    let r = school.get("/").await;
    assert!(
        r.body.contains("报送已被退回：查看退回原因并修改"),
        "{}",
        r.body
    );
}
