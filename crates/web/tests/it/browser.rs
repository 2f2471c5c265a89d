//! The journey of issue 3 in Debian's Chromium, through the real server on a loopback port and the
//! database of the run (SQLite, or PostgreSQL with `TEST_DATABASE_URL`): a school logs in, uploads
//! a form with an error, sees it on the cell and fixes it; the enterprise confirms; the school
//! uploads the sealed scan and submits; the commission returns it with a reason; the school
//! corrects and resubmits; the commission accepts. Every step is clicked and typed as a clerk
//! would, with the pages' own dialogs.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use shuangshi_rules::Column;
use shuangshi_store::{Role, Scope, SubmissionStatus, User};

use crate::school::{PNG, engineer, open_batch, pair, partner, teacher, xlsx};
use crate::support::{PASSWORD, TestApp};
use crate::webdriver::Browser;

/// A scratch directory for the files the clerk chooses in the browser.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "journey-{name}-{}-{}",
        std::process::id(),
        rand_suffix()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default()
}

/// Signs in through the login page (after clearing the previous user's cookies).
fn login(b: &Browser, base: &str, user: &User) {
    b.clear_cookies();
    b.goto(&format!("{base}/login"));
    b.fill("#username", &user.username);
    b.fill("#password", PASSWORD);
    b.click("form button[type=submit]");
    b.wait_text(&["退出", &user.display_name]);
}

/// On a form's page: uploads the sealed scan, then submits from 报送 through its dialog.
fn seal_and_submit(b: &Browser, base: &str, scan: &Path) {
    b.choose_file("#scan-file", scan);
    b.click(".scan-form button[type=submit]");
    b.wait_text(&["已上传"]);
    b.goto(&format!("{base}/submissions"));
    b.click("form[action='/submissions/submit'] button[type=submit]");
    b.confirm_dialog();
}

/// The whole journey, blocking (WebDriver calls), on a thread of its own; `rt` reads the database
/// between steps.
#[allow(clippy::too_many_arguments)]
fn journey(
    b: &Browser,
    base: &str,
    rt: &tokio::runtime::Handle,
    app: &TestApp,
    dir: &Path,
    fid: i64,
    p: &crate::school::Pair,
    reviewer: &User,
    admin: &User,
) {
    let mobile = Column::Mobile as usize;

    // 1. The school uploads a form whose first mobile has ten digits.
    login(b, base, &p.school_user);
    b.goto(&format!("{base}/forms/{fid}"));
    b.wait_text(&["交流互聘人员推荐表", &p.enterprise.name]);
    let bad = dir.join("推荐表（有错）.xlsx");
    std::fs::write(
        &bad,
        xlsx(p, &[teacher(p, "1380013800"), engineer(p, "13900139000")]),
    )
    .unwrap();
    b.click("button[data-bs-target='#import-dialog']");
    b.find("#import-dialog.show");
    b.choose_file("#import-dialog-file", &bad);
    b.click("button[form='import-dialog-form']");
    b.wait_text(&["F04", "手机号码", "1 处错误会标在推荐表的单元格上"]);
    b.screenshot("1-import-preview");
    b.click("#import-dialog-result .import-actions button[type=submit]");
    b.wait_text(&["已导入", "1 处错误已标在单元格上"]);

    // 2. The error stands on the mobile's cell of the first row.
    let cell = b.text_of("tr.row-has-error td.cell-error");
    assert!(
        cell.contains("******3800") && !cell.contains("1380013800") && cell.contains("F04"),
        "the cell shows the value (masked until 「查看完整」) and its rule: {cell}"
    );
    b.screenshot("2-error-on-cell");
    let stored = rt.block_on(crate::school::form(app, fid));
    assert_eq!(stored.rows.len(), 2);
    assert_eq!(stored.rows[0].cells[mobile], "1380013800");

    // The submit page refuses while it stands.
    b.goto(&format!("{base}/submissions"));
    b.wait_text(&["F04"]);
    assert!(b.exists("button[disabled][title='请先处理下方列出的问题']"));

    // 3. The school fixes it in the row editor; the finding goes away.
    b.goto(&format!("{base}/forms/{fid}"));
    b.click("tr.row-has-error a.row-action");
    let field = format!("#f-c{mobile}");
    b.find(&format!("{field}[aria-invalid='true']"));
    b.fill(&field, "13800138000");
    b.click(".form-actions button[type=submit]");
    b.wait_path(&format!("/forms/{fid}"));
    b.wait_text(&["错误 0"]);
    assert!(
        !b.exists("td.cell-error"),
        "no cell is marked after the fix"
    );
    let stored = rt.block_on(crate::school::form(app, fid));
    assert_eq!(stored.rows[0].cells[mobile], "13800138000");

    // 4. The enterprise confirms its two people.
    login(b, base, &p.enterprise_user);
    b.goto(&format!("{base}/confirmations"));
    b.click(&format!("a[href='/confirmations/{fid}']"));
    b.wait_text(&["待确认 2 人"]);
    b.click("form[action^='/confirmations/'] button[type=submit]");
    b.confirm_dialog();
    b.wait_text(&["已确认"]);
    let stored = rt.block_on(crate::school::form(app, fid));
    assert!(stored.rows.iter().all(|r| r.confirmed()));

    // 5. The school uploads the sealed scan and submits.
    let scan = dir.join("盖章扫描件.png");
    std::fs::write(&scan, PNG).unwrap();
    login(b, base, &p.school_user);
    b.goto(&format!("{base}/forms/{fid}"));
    seal_and_submit(b, base, &scan);
    b.wait_text(&["已报送", "最近回执号"]);
    b.screenshot("5-submitted");
    let sub = rt
        .block_on(
            app.store()
                .get_submission(&Scope::All, stored.batch_id, p.school.id),
        )
        .unwrap()
        .unwrap();
    assert_eq!(sub.status, SubmissionStatus::Submitted);

    // 6. 职成教处 returns it with a note on the footer's phone.
    login(b, base, reviewer);
    b.goto(&format!("{base}/review"));
    b.click(&format!("a[href='/review/{}']", sub.id));
    b.wait_text(&[&p.school.name, "退回"]);
    b.fill("#note", "联系电话请填写经办人手机");
    b.click("form[action$='/return'] button[type=submit]");
    b.confirm_dialog();
    b.wait_text(&["已退回"]);

    // 7. The school reads the reason, corrects the footer, seals again and resubmits.
    login(b, base, &p.school_user);
    b.goto(&format!("{base}/submissions"));
    b.wait_text(&["市教委已退回", "联系电话请填写经办人手机"]);
    b.goto(&format!("{base}/forms/{fid}"));
    b.fill("#phone", "13700137000");
    b.click("#footer button[type=submit]");
    b.wait_text(&["已作废，需重新上传"]);
    seal_and_submit(b, base, &scan);
    b.wait_text(&["已报送", "第 2 次报送"]);

    // 8. The commission sees what changed and accepts.
    login(b, base, admin);
    b.goto(&format!("{base}/review/{}", sub.id));
    b.wait_text(&["第 2 次报送"]);
    b.click(&format!(
        "form[action='/review/{}/accept'] button[type=submit]",
        sub.id
    ));
    b.confirm_dialog();
    b.wait_text(&["已受理"]);
    b.screenshot("8-accepted");

    login(b, base, &p.school_user);
    b.goto(&format!("{base}/submissions"));
    b.wait_text(&["已受理"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_school_submits_in_chromium_and_the_commission_returns_then_accepts() {
    let app = TestApp::new().await;
    let batch = open_batch(&app).await;
    let p = pair(&app, "浏览器", "中职").await;
    let fid = partner(&app, &batch, &p).await;
    let reviewer = app.user(Role::VocationalReviewer).await;
    let admin = app.user(Role::Admin).await;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let service = app
        .router
        .clone()
        .into_make_service_with_connect_info::<SocketAddr>();
    let server = tokio::spawn(async move { axum::serve(listener, service).await });

    let rt = tokio::runtime::Handle::current();
    let dir = scratch("school");
    tokio::task::block_in_place(|| {
        let b = Browser::start("journey");
        journey(&b, &base, &rt, &app, &dir, fid, &p, &reviewer, &admin);
    });
    server.abort();
    let _ = std::fs::remove_dir_all(&dir);

    // What the clicks left in the database: two versions, the second accepted, and an intact
    // audit chain naming the people who acted.
    let sub = app
        .store()
        .get_submission(&Scope::All, batch.id, p.school.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sub.status, SubmissionStatus::Accepted);
    assert_eq!(sub.current_version, Some(2));
    let check = app.store().verify_audit().await.unwrap();
    assert!(check.is_ok() && check.checked > 10, "{check:?}");
}
