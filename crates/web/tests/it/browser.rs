//! The journeys in Debian's Chromium, through the real server on a loopback port and the database
//! of the run (SQLite, or PostgreSQL with `TEST_DATABASE_URL`).
//!
//! 1. Issue 3: a school logs in, uploads a form with an error, sees it on the cell and fixes it;
//!    the enterprise confirms; the school uploads the sealed scan and submits; the commission
//!    returns it with a reason; the school corrects and resubmits; the commission accepts.
//! 2. Issue 9: the commission selects the accepted people on 遴选与公布 and publishes the 公示; an
//!    anonymous visitor reads it on a 390 px phone screen and at 1366×768 (nothing wider than the
//!    screen, the names shown, no mobile or other non-public value); after the 公示期 the
//!    commission proposes the final list, a second 市教委管理员 approves it, and the visitor sees
//!    the 正式名单, 已公布.
//! 3. Issue 10: the enterprise records its teacher's arrival, post, tasks and assessment; the
//!    commission's 工作台 charts move, one 市教委管理员 pays the school and another approves, and
//!    the subsidy chart shows it paid.
//!
//! Every step is clicked and typed as a clerk would, with the pages' own dialogs.

use std::path::{Path, PathBuf};

use axum::http::StatusCode;
use serde_json::json;
use shuangshi_rules::Column;
use shuangshi_store::{
    PublicationKind, PublicationState, Role, Scope, SelectionStatus, SubmissionStatus, User,
};

use crate::school::{PNG, engineer, open_batch, pair, partner, prepared, teacher, xlsx};
use crate::support::{PASSWORD, TestApp};
use crate::webdriver::Browser;

/// A scratch directory for the files the clerk chooses in the browser.
pub(crate) fn scratch(name: &str) -> PathBuf {
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
pub(crate) fn login(b: &Browser, base: &str, user: &User) {
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
    // Nothing is ticked until the officer asks: 「全选待确认人员」 ticks both.
    assert!(!b.exists("input[type=checkbox][name^='row_']:checked"));
    b.click("#select-all");
    b.wait_text(&["取消全选"]);
    assert!(b.exists("input[type=checkbox][name^='row_']:checked"));
    b.screenshot("4-enterprise-confirm");
    b.click("#confirm-selected");
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

    let (base, server) = app.serve().await;

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

/// Elements that stick out of the viewport sideways (outside any box that scrolls or clips them
/// on purpose), and the document's own scroll width: empty when the page fits the screen.
const OVERFLOW: &str = r#"
const vw = document.documentElement.clientWidth;
const out = [];
const hints = [];
const de = document.documentElement;
if (de.scrollWidth > window.innerWidth) out.push(`document ${de.scrollWidth} px > ${window.innerWidth} px`);
if (document.body.scrollWidth > vw) out.push(`body ${document.body.scrollWidth} px > ${vw} px`);
const clipped = (el) => {
  for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
    if (['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(p).overflowX)) return true;
  }
  return false;
};
const named = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
  (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : '');
for (const el of document.body.querySelectorAll('*')) {
  const r = el.getBoundingClientRect();
  if (r.width === 0 || r.height === 0 || clipped(el)) continue;
  if (r.right > vw + 0.5 || r.left < -0.5) {
    out.push(`${named(el)}: ${Math.round(r.left)}–${Math.round(r.right)} px of ${vw} px`);
  } else if (getComputedStyle(el).overflowX === 'visible' && el.clientWidth > 0 &&
             el.scrollWidth > el.clientWidth + 1) {
    // Text wider than its box spills out without being an element itself.
    hints.push(`${named(el)}: content ${el.scrollWidth} px in ${el.clientWidth} px`);
  }
}
return out.length ? out.concat(hints).slice(0, 16) : [];
"#;

/// The page fits a screen `width` px wide: nothing scrolls sideways.
pub(crate) fn assert_fits(b: &Browser, width: u32, what: &str) {
    let over = b.script(OVERFLOW, json!([]));
    let over: Vec<String> = over
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    if !over.is_empty() {
        b.fail(&format!(
            "{what} is wider than a {width} px screen: {over:?}"
        ));
    }
}

/// What the public may never read, searched for in the page's HTML and text: every person's
/// mobile (as stored and masked), account number, title and bank, and the form's contact phone;
/// and anything that looks like a mobile number at all.
fn assert_public_only(b: &Browser, secrets: &[String], what: &str) {
    let html = b.source();
    let text = b.text();
    for s in secrets {
        if html.contains(s.as_str()) || text.contains(s.as_str()) {
            b.fail(&format!("{what} shows the non-public value 「{s}」"));
        }
    }
    let digits: Vec<char> = text.chars().collect();
    for w in digits.windows(11) {
        if w[0] == '1' && ('3'..='9').contains(&w[1]) && w.iter().all(char::is_ascii_digit) {
            let s: String = w.iter().collect();
            b.fail(&format!("{what} shows something like a mobile number: {s}"));
        }
    }
    if text.contains("****") {
        b.fail(&format!("{what} shows a masked number"));
    }
}

/// The anonymous visitor reads `/public` (showing `index_shows`) and the batch's list at
/// `width`×`height`; returns the list page's visible text.
#[allow(clippy::too_many_arguments)]
fn visit(
    b: &Browser,
    base: &str,
    number: u32,
    index_shows: &str,
    width: u32,
    height: u32,
    names: &[&str],
    secrets: &[String],
    label: &str,
) -> String {
    b.set_window_size(width, height);
    b.clear_cookies();
    b.goto(&format!("{base}/public"));
    b.wait_text(&["公示公告", index_shows]);
    assert_fits(b, width, "/public");
    assert_public_only(b, secrets, "/public");
    b.screenshot(&format!("{label}-index-{width}"));
    b.click(&format!(".public-list-title a[href='/public/{number}']"));
    b.wait_path(&format!("/public/{number}"));
    b.wait_text(names);
    assert_fits(b, width, "the list");
    assert_public_only(b, secrets, "the list");
    // A phone reads one card per person, each value under its label; a wide screen a table.
    let display = b
        .script(
            "return getComputedStyle(document.querySelector('.public-table td.col-name')).display",
            json!([]),
        )
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if width < 640 {
        assert_eq!(display, "flex", "a card per person on a {width} px screen");
    } else {
        assert_eq!(display, "table-cell", "a table on a {width} px screen");
        let inner = b.script(
            "const w = document.querySelector('.public-table-wrap'); return w.scrollWidth <= w.clientWidth",
            json!([]),
        );
        assert_eq!(
            inner,
            json!(true),
            "the table fits at {width} px without scrolling"
        );
    }
    b.screenshot(&format!("{label}-list-{width}"));
    b.text()
}

/// Ends the running 公示's window, as if its working days had passed (as `selection.rs` does).
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_commission_publishes_in_chromium_and_a_visitor_reads_it_on_a_phone_and_a_laptop() {
    let app = TestApp::new().await;
    let batch = open_batch(&app).await;
    // Long names, so the phone's cards have to wrap them.
    let p = pair(&app, "两江新区智能制造与工业互联网产教融合示范", "中职").await;
    let (_, form) = prepared(&app, &batch, &p).await;
    let sid = crate::review::submit(&app, &batch, &p).await;
    let admin = app.user(Role::Admin).await;
    let checker = app.user(Role::Admin).await;
    let mut commission = app.login_as(&admin, PASSWORD).await;
    let r = commission
        .post_form(&format!("/review/{sid}/accept"), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let people = app
        .store()
        .list_selections(&Scope::All, batch.id)
        .await
        .unwrap();
    assert_eq!(people.len(), 2);
    let teacher_id = people
        .iter()
        .find(|s| s.direction == "school")
        .expect("the teacher")
        .id;
    let names: Vec<String> = people.iter().map(|s| s.name.clone()).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();

    // Everything of the form the public may not read.
    // (The form's footer phone is left out: the tests' forms give the commission's own number,
    // which the 公示 names as where to object.)
    let mut secrets = Vec::new();
    for row in &form.rows {
        for col in [
            Column::Mobile,
            Column::AccountNumber,
            Column::Title,
            Column::Bank,
        ] {
            let v = row.cells[col as usize].trim();
            if !v.is_empty() && v != "无" {
                secrets.push(v.to_owned());
            }
        }
        let m = row.cells[Column::Mobile as usize].trim();
        if m.len() == 11 {
            secrets.push(format!("{}****{}", &m[..3], &m[7..]));
        }
    }
    assert!(secrets.len() >= 8, "{secrets:?}");

    let (base, server) = app.serve().await;
    let rt = tokio::runtime::Handle::current();
    let number = batch.number;

    tokio::task::block_in_place(|| {
        let b = Browser::start("publication");

        // 1. The commission marks the teacher 入选 by ticking the row, then the whole filtered
        //    list through the page's dialog, and publishes the 公示.
        login(&b, &base, &admin);
        b.goto(&format!("{base}/selection"));
        b.wait_text(&["遴选", names[0], names[1], "待遴选"]);
        b.wait_text_of("#count-pending", "2");
        b.click(&format!("input[name=id][value='{teacher_id}']"));
        b.click("#bulk button[name=status][value=selected]");
        b.wait_text_of("#count-selected", "1");
        b.click("form[action='/selection/decide'][data-confirm] button[type=submit]");
        b.confirm_dialog();
        b.wait_text_of("#count-selected", "2");
        b.wait_text_of("#count-pending", "0");
        b.screenshot("1-selected");
        b.click("form[action='/selection/publicity'] button[type=submit]");
        b.confirm_dialog();
        b.wait_text(&["公示中", "公示期至"]);
        b.screenshot("2-publicity");

        // 2. An anonymous visitor on a phone and on a laptop: the 公示 with its window and the
        //    objection form, every name, nothing else.
        for (w, h) in [(390, 844), (1366, 768)] {
            let text = visit(
                &b,
                &base,
                number,
                "公示中 · 受理异议",
                w,
                h,
                &names,
                &secrets,
                "publicity",
            );
            assert!(
                text.contains("公示中") && text.contains("公示期") && text.contains("对公示有异议"),
                "{text}"
            );
            assert!(b.exists("form[action$='/objections']"));
        }

        // 3. The window ends; the commission proposes the final list and a second
        //    administrator approves it.
        rt.block_on(end_window(&app));
        b.set_window_size(1440, 1000);
        login(&b, &base, &admin);
        b.goto(&format!("{base}/selection"));
        b.fill("#final-note", "公示期满无异议");
        b.click("form[action='/selection/final'] button[type=submit]");
        b.confirm_dialog();
        b.wait_text(&["待复核", "须由另一位市教委管理员复核"]);
        login(&b, &base, &checker);
        b.goto(&format!("{base}/selection"));
        b.click("form[action$='/approve'] button[type=submit]");
        b.confirm_dialog();
        b.wait_text(&["已公布", "正式名单已公布"]);
        b.screenshot("3-final");

        // 4. The visitor sees the final list, 已公布, on both screens.
        for (w, h) in [(390, 844), (1366, 768)] {
            let text = visit(
                &b,
                &base,
                number,
                "正式名单",
                w,
                h,
                &names,
                &secrets,
                "final",
            );
            assert!(
                text.contains("已公布")
                    && text.contains("公布日期")
                    && !text.contains("对公示有异议"),
                "{text}"
            );
        }
    });
    server.abort();

    // What the clicks left: both people selected, the final list published by the second
    // administrator, and an intact audit chain.
    let people = app
        .store()
        .list_selections(&Scope::All, batch.id)
        .await
        .unwrap();
    assert!(people.iter().all(|s| s.status == SelectionStatus::Selected));
    let pubs = app.store().list_publications(batch.id).await.unwrap();
    let fin = pubs
        .iter()
        .find(|p| p.kind == PublicationKind::Final)
        .expect("a final list");
    assert_eq!(fin.state, PublicationState::Published);
    assert_eq!(fin.entries.len(), 2);
    let check = app.store().verify_audit().await.unwrap();
    assert!(check.is_ok(), "{check:?}");
}

/// The text of the row labelled `label` in the dashboard table `table` (cells tab-separated).
fn table_row(b: &Browser, table: &str, label: &str) -> String {
    b.script(
        "var rows = document.querySelectorAll(arguments[0] + ' tbody tr');\
         for (var i = 0; i < rows.length; i++) {\
           var th = rows[i].querySelector('th');\
           if (th && th.innerText.trim() === arguments[1]) {\
             return Array.from(rows[i].querySelectorAll('td')).map(function (td) { return td.innerText.trim(); }).join('\\t');\
           }\
         }\
         return '';",
        json!([table, label]),
    )
    .as_str()
    .unwrap_or_default()
    .to_owned()
}

/// Sets a form control's value as a picker would (date inputs and selects), firing `change`.
fn set_value(b: &Browser, css: &str, value: &str) {
    b.find(css);
    b.script(
        "var el = document.querySelector(arguments[0]); el.value = arguments[1];\
         el.dispatchEvent(new Event('change', { bubbles: true }));",
        json!([css, value]),
    );
}

/// Issue 10: on the final list, the enterprise records its teacher's arrival, post, tasks and
/// assessment on 聘期管理; the commission sees the term chart move on its 工作台, pays the school
/// for the engineer it received (prepared by one 市教委管理员, approved by another) and sees the
/// subsidy chart show it paid.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_enterprise_records_the_term_and_the_commission_pays_in_chromium() {
    let app = TestApp::new().await;
    let p = pair(&app, "聘期旅程", "中职").await;
    let batch = crate::term::final_list(&app, &[&p]).await;
    let rows = app.store().term_rows(&Scope::All, batch.id).await.unwrap();
    let find = |dir: &str| {
        rows.iter()
            .find(|r| r.direction == dir)
            .expect("a person of each direction")
            .clone()
    };
    let (teacher, engineer) = (find("school"), find("enterprise"));
    let maker = app.user(Role::Admin).await;
    let checker = app.user(Role::Admin).await;

    let (base, server) = app.serve().await;
    let rt = tokio::runtime::Handle::current();
    let number = batch.number;

    tokio::task::block_in_place(|| {
        let b = Browser::start("term");
        b.set_window_size(1366, 768);

        // 1. Before anything is recorded: nobody arrived, nothing paid.
        login(&b, &base, &maker);
        b.goto(&format!("{base}/"));
        b.find("#table-term");
        assert_eq!(table_row(&b, "#table-term", "已到岗"), "0 人");
        assert_eq!(table_row(&b, "#table-term", "已考核"), "0 人");

        // 2. The enterprise opens its teacher on 聘期管理 and records arrival, post and tasks,
        //    then the assessment.
        login(&b, &base, &p.enterprise_user);
        b.goto(&format!("{base}/term?batch={number}"));
        b.wait_text(&["聘期管理", &teacher.name]);
        b.click(&format!("a[href^='/term/{}']", teacher.selection_id));
        b.wait_text(&["到岗、岗位与考核", &teacher.name]);
        set_value(&b, "#arrival", "arrived");
        set_value(&b, "#arrived_on", "2024-02-26");
        b.fill("#post", "技术研发部 副总工程师");
        b.fill("#tasks", "牵头数控产线改造，开发两门校企共建课程");
        b.fill("#duties", "产线工艺优化；带教青年技术人员");
        b.click("form.term-form button[type=submit]");
        b.wait_text(&["第 1 版"]);
        set_value(&b, "#assessment", "excellent");
        b.fill("#summary", "按期完成聘期任务，成效显著");
        b.click("form.term-form button[type=submit]");
        b.wait_text(&["第 2 版"]);
        b.screenshot("1-term-recorded");

        // The school records the engineer it received (the same use case its page calls).
        rt.block_on(record_arrival(&app, &batch, &engineer));

        // 3. The commission's dashboard moved; the school is due one person × ¥10,000.
        login(&b, &base, &maker);
        b.goto(&format!("{base}/"));
        b.find("#table-term");
        assert_eq!(table_row(&b, "#table-term", "已到岗"), "2 人");
        assert_eq!(table_row(&b, "#table-term", "已考核"), "1 人");
        assert_eq!(
            table_row(&b, "#table-subsidy", &p.school.name),
            "¥10,000\t¥0"
        );

        // 4. One administrator prepares the payment, the other approves it.
        b.goto(&format!("{base}/ledger?batch={number}"));
        b.wait_text(&[&p.school.name, "待拨付"]);
        b.fill(&format!("#voucher-{}", p.school.id), "渝财拨〔2024〕18号");
        b.click(&format!(
            "form[action='/ledger/{}/entries'][data-confirm] button[type=submit]",
            p.school.id
        ));
        b.confirm_dialog();
        b.wait_text(&["待审批", "须另一位市教委管理员审批"]);
        login(&b, &base, &checker);
        b.goto(&format!("{base}/ledger?batch={number}"));
        b.click("form[action$='/approve'] button[type=submit]");
        b.confirm_dialog();
        // The flash of the approval (the dialog itself also says 已拨付).
        b.wait_text(&["¥10,000：已拨付"]);
        b.screenshot("2-paid");

        // 5. The dashboard shows it paid.
        b.goto(&format!("{base}/"));
        b.find("#table-subsidy");
        assert_eq!(
            table_row(&b, "#table-subsidy", &p.school.name),
            "¥10,000\t¥10,000"
        );
    });
    server.abort();

    let entries = app.store().ledger_entries(batch.id, None).await.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].amount, 10_000);
    assert_eq!(entries[0].status, shuangshi_store::EntryStatus::Paid);
    let t = app
        .store()
        .term_row(&Scope::All, teacher.selection_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(t.version, 2);
    assert_eq!(
        t.content.assessment,
        Some(shuangshi_store::Assessment::Excellent)
    );
}

async fn record_arrival(
    app: &TestApp,
    batch: &shuangshi_store::BatchRecord,
    engineer: &shuangshi_store::TermRow,
) {
    let form = shuangshi_app::term::TermForm {
        arrival: "arrived".into(),
        arrived_on: "2024-02-26".into(),
        post: "智能制造学院 产业副院长".into(),
        tasks: "共建实训基地".into(),
        duties: "专业建设指导".into(),
        ..Default::default()
    };
    app.app()
        .record_term(
            &Scope::School(engineer.receiver_id),
            &shuangshi_store::Actor::system(),
            batch,
            engineer.selection_id,
            0,
            &form,
        )
        .await
        .unwrap();
}

/// Issue 12: the commission types part of an enterprise's name in 新增账号's picker, chooses the
/// registry's name from the list, and the account is created in that enterprise; on 汇总名单 one
/// click on 「查看完整」 shows that one mobile in full in place.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_commission_picks_an_enterprise_and_reveals_one_number_in_chromium() {
    let app = TestApp::new().await;
    let batch = open_batch(&app).await;
    let p = pair(&app, "选单位", "中职").await;
    prepared(&app, &batch, &p).await;
    let wanted = app.org_named("重庆长江智造科技有限公司", "国有企业").await;
    app.org_named("重庆长江航运有限公司", "国有企业").await;
    let admin = app.user(Role::Admin).await;

    let (base, server) = app.serve().await;
    tokio::task::block_in_place(|| {
        let b = Browser::start("pickers");
        login(&b, &base, &admin);
        b.goto(&format!("{base}/admin/accounts/new"));
        b.fill("#username", "zhizao");
        b.fill("#display_name", "智造公司经办人");
        set_value(&b, "#role", "enterprise_officer");
        b.fill("#org", "智造");
        b.wait_text_of(
            "#org-options .org-option",
            "重庆长江智造科技有限公司 国有企业 · 渝中区",
        );
        b.click("#org-options .org-option");
        let chosen = b.script("return document.querySelector('#org').value", json!([]));
        assert_eq!(chosen.as_str(), Some("重庆长江智造科技有限公司"));
        b.click("form[action='/admin/accounts'] button[type=submit]");
        b.wait_text(&["账号已创建", "zhizao"]);

        b.goto(&format!("{base}/roster"));
        b.click(".reveal-btn");
        let shown = b.text_of(".revealed .reveal-value");
        assert!(
            ["13800138000", "13900139000"].contains(&shown.trim()),
            "{shown}"
        );
        assert!(b.exists(".reveal-btn"), "the other numbers stay masked");
    });
    server.abort();
    let created = app
        .store()
        .get_user_by_username("zhizao")
        .await
        .unwrap()
        .expect("the account");
    assert_eq!(created.org_id, Some(wanted.id));
    let entries = app
        .store()
        .list_audit(
            &shuangshi_store::AuditFilter {
                action_prefix: Some("unmask.value".into()),
                ..Default::default()
            },
            shuangshi_store::PageRequest::new(0, 10),
        )
        .await
        .unwrap();
    assert_eq!(entries.total, 1);
}
