//! 公示公告 without an account: `/public` and a batch's list (page, print view, xlsx, JSON) name the
//! selected people with the public fields only — no value of any form that is not public, for
//! anyone on the database; objections are taken while the 公示 runs, capped, throttled per address,
//! kept as plain text and never echoed unescaped; a closed window refuses them; the final list
//! replaces the 公示 and an earlier batch's list stays reachable.
//!
//! The batches are built through the real use cases: forms prepared and submitted, accepted by the
//! commission over HTTP, people decided, the 公示 published, the final list proposed.

use std::io::Read;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{Duration, Utc};
use shuangshi_rules::{Batch, Column};
use shuangshi_store::{
    Actor, BatchRecord, FormRecord, PublicList, Role, Scope, SelectionRecord, SelectionStatus,
    SubmissionStatus,
};

use crate::review::submit;
use crate::school::{PNG, Pair, form, pair, prepared};
use crate::support::{Client, Resp, TestApp};

/// The batch's objection contact. Batch 10's own contact carries the commission's number, which
/// the fixtures also use as the schools' footer phone; a distinct one keeps that phone private.
const CONTACT: &str = "市教委人事处，023-60000000，gongshi@example.cn";

/// An open batch `number` (`name`) with batch 10's rules, the deadline a month ahead.
async fn open_numbered(app: &TestApp, number: u32, name: &str) -> BatchRecord {
    let mut batch = Batch::batch10();
    batch.number = number;
    batch.name = name.to_owned();
    batch.publicity.contact = CONTACT.to_owned();
    let tz = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    batch.deadline = (Utc::now() + Duration::days(30)).with_timezone(&tz);
    let b = app
        .store()
        .create_batch(&batch, &Actor::system())
        .await
        .unwrap();
    app.store()
        .open_batch(b.id, &Actor::system())
        .await
        .unwrap()
}

/// Rewrites every row's 批次 cell (a batch other than the tenth), confirms and seals again.
async fn retag(app: &TestApp, f: &FormRecord, batch_name: &str) {
    let s = app.store();
    let a = Actor::system();
    for r in &f.rows {
        let mut cells = r.cells.clone();
        cells[Column::Batch as usize] = batch_name.to_owned();
        s.update_row(&Scope::All, r.id, &cells, None, &a)
            .await
            .unwrap()
            .unwrap();
    }
    let f = form(app, f.id).await;
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

/// A pair whose forms (张三 the teacher, 李四 the engineer) are submitted and accepted by `admin`.
async fn accepted(app: &TestApp, batch: &BatchRecord, admin: &mut Client, tag: &str) -> Pair {
    let p = pair(app, tag, "中职").await;
    let (_, f) = prepared(app, batch, &p).await;
    if batch.number != 10 {
        retag(app, &f, &batch.name).await;
    }
    let sid = submit(app, batch, &p).await;
    let r = admin.post_form(&format!("/review/{sid}/accept"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let sub = app
        .store()
        .get_submission(&Scope::All, batch.id, p.school.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sub.status, SubmissionStatus::Accepted, "not accepted");
    p
}

fn actor_of(c: &Client) -> Actor {
    let u = c.user.as_ref().unwrap();
    Actor {
        user_id: Some(u.id),
        name: u.display_name.clone(),
        ip: String::new(),
    }
}

/// 入选 for the people `keep` picks, 未入选 (with a reason) for the others.
async fn decide(
    app: &TestApp,
    actor: &Actor,
    batch: &BatchRecord,
    keep: impl Fn(&SelectionRecord) -> bool,
) -> Vec<SelectionRecord> {
    let all = app
        .store()
        .list_selections(&Scope::All, batch.id)
        .await
        .unwrap();
    let (yes, no): (Vec<&SelectionRecord>, Vec<&SelectionRecord>) =
        all.iter().partition(|r| keep(r));
    let ids = |v: &[&SelectionRecord]| v.iter().map(|r| r.id).collect::<Vec<i64>>();
    if !yes.is_empty() {
        app.app()
            .decide_selection(
                &Scope::All,
                actor,
                batch,
                &ids(&yes),
                SelectionStatus::Selected,
                "",
            )
            .await
            .unwrap();
    }
    if !no.is_empty() {
        app.app()
            .decide_selection(
                &Scope::All,
                actor,
                batch,
                &ids(&no),
                SelectionStatus::Rejected,
                "名额已满",
            )
            .await
            .unwrap();
    }
    all
}

/// Batch 10 with one school: 张三 selected, 李四 not; the 公示 published at `at`.
struct Published {
    batch: BatchRecord,
    admin: Client,
    pair: Pair,
    selections: Vec<SelectionRecord>,
}

async fn published(app: &TestApp, at: chrono::DateTime<Utc>) -> Published {
    let batch = open_numbered(app, 10, "第十批").await;
    let mut admin = app.login(Role::Admin).await;
    let actor = actor_of(&admin);
    let pair = accepted(app, &batch, &mut admin, "公示甲").await;
    let selections = decide(app, &actor, &batch, |r| r.name == "张三").await;
    app.app()
        .publish_publicity(&actor, &batch, at)
        .await
        .unwrap();
    Published {
        batch,
        admin,
        pair,
        selections,
    }
}

/// The texts of a response: the body, or every entry of a zip (xlsx).
fn texts(r: &Resp) -> String {
    if r.bytes.starts_with(b"PK") {
        let mut out = String::new();
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&r.bytes)).unwrap();
        for i in 0..zip.len() {
            let mut entry = zip.by_index(i).unwrap();
            let mut s = String::new();
            let _ = entry.read_to_string(&mut s);
            out.push_str(&s);
        }
        out
    } else {
        r.body.clone()
    }
}

/// The columns a public list shows (or that say nothing about a person: 序号, 批次).
const PUBLIC_COLUMNS: [Column; 8] = [
    Column::Seq,
    Column::Batch,
    Column::Name,
    Column::SendingUnit,
    Column::Term,
    Column::ReceivingUnit,
    Column::Post,
    Column::Direction,
];

/// Every value of every row of every form in the batch that is not a public field (mobile,
/// account, bank, account name, title, admin post, field, qualifications, years…), and every
/// footer phone and filler. A value that is itself public (an account named after the school,
/// which is also the 派出单位) or says nothing (「无」, a one-digit year) is left out.
async fn private_values(
    app: &TestApp,
    batch: &BatchRecord,
    schools: &[i64],
    list: &PublicList,
) -> Vec<String> {
    let public: Vec<&str> = list
        .publication
        .entries
        .iter()
        .flat_map(|e| {
            [
                e.name.as_str(),
                e.sending_unit.as_str(),
                e.receiving_unit.as_str(),
                e.post.as_str(),
                e.term.as_str(),
                e.direction.as_str(),
            ]
        })
        .collect();
    let mut out = Vec::new();
    for &school in schools {
        for f in app
            .store()
            .school_forms(&Scope::All, batch.id, school)
            .await
            .unwrap()
        {
            out.push(f.phone.clone());
            out.push(f.filler.clone());
            for r in &f.rows {
                for c in Column::ALL {
                    if !PUBLIC_COLUMNS.contains(&c) {
                        out.push(r.cells[c as usize].clone());
                    }
                }
            }
        }
    }
    out.retain(|v| v.trim().chars().count() >= 2 && !public.contains(&v.trim()));
    out.sort();
    out.dedup();
    out
}

fn assert_private_absent(what: &str, text: &str, secrets: &[String]) {
    let leaked: Vec<&String> = secrets
        .iter()
        .filter(|s| text.contains(s.as_str()))
        .collect();
    assert!(leaked.is_empty(), "{what} shows {leaked:?}");
}

/// Whether `text` appears in `body` HTML-escaped (named or numeric entities).
fn shown_escaped(body: &str, text: &str) -> bool {
    let named = text.replace('<', "&lt;").replace('>', "&gt;");
    let numeric = text.replace('<', "&#60;").replace('>', "&#62;");
    body.contains(&named) || body.contains(&numeric)
}

async fn post_json(c: &mut Client, uri: &str, body: serde_json::Value) -> Resp {
    c.send(
        Request::post(uri)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn anonymous_visitors_see_the_selected_people_and_nothing_private() {
    let app = TestApp::new().await;
    let mut anon = app.anon();

    // Before anything is published: the empty state, and no batch page.
    let r = anon.get("/public").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("目前尚无公示或公布的名单"), "{}", r.body);
    let r = anon.get("/login").await;
    assert!(r.body.contains(r#"href="/public""#) && r.body.contains("公示公告"));

    let p = published(&app, Utc::now()).await;
    let r = anon.get("/public/10").await;
    assert_eq!(r.status, StatusCode::OK);
    let list = app.app().public_list(10).await.unwrap();
    let secrets = private_values(&app, &p.batch, &[p.pair.school.id], &list).await;
    for s in [
        "13800138000",
        "13900139000",
        "3100012345678901234",
        "023-63865672",
        "副教授",
    ] {
        assert!(
            secrets.iter().any(|x| x == s),
            "{s} missing from {secrets:?}"
        );
    }

    // The index: the batch, its kind, the date published and the window.
    let r = anon.get("/public").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.body.contains("目前尚无公示或公布的名单"));
    assert!(
        r.body.contains("第十批")
            && r.body.contains("公示名单")
            && r.body.contains(r#"href="/public/10""#),
        "{}",
        r.body
    );
    let closes = list.publication.closes_at.unwrap();
    let window = format!(
        "{} 至 {}",
        shuangshi_store::submissions::beijing_time(list.publication.opens_at.unwrap()),
        shuangshi_store::submissions::beijing_time(closes)
    );
    assert!(r.body.contains(&window), "{window} not in {}", r.body);
    assert_private_absent("/public", &r.body, &secrets);

    // The batch's page, its print view, its xlsx and the JSON: 张三, never 李四.
    let mut bodies = Vec::new();
    for uri in [
        "/public/10",
        "/public/10/print",
        "/public/10/list.xlsx",
        "/api/v1/public/10",
        "/api/v1/public",
    ] {
        let r = anon.get(uri).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.body);
        bodies.push((uri, texts(&r), r));
    }
    for (uri, text, _) in &bodies {
        assert_private_absent(uri, text, &secrets);
        assert!(!text.contains("李四"), "{uri} names the rejected person");
        if *uri != "/api/v1/public" {
            assert!(text.contains("张三"), "{uri} lacks the selected person");
            assert!(text.contains(&p.pair.school.name) && text.contains(&p.pair.enterprise.name));
        }
    }
    let page = &bodies[0].1;
    assert!(
        page.contains("双千双师交流计划第十批交流互派人员名单（公示）"),
        "{page}"
    );
    assert!(page.contains("重庆市教育委员会 · 双千双师交流计划"));
    assert!(page.contains("公示期") && page.contains(&window));
    assert!(page.contains(CONTACT), "the objection contact");
    assert!(
        page.contains(r#"action="/public/10/objections""#),
        "the form while open"
    );
    assert!(
        page.contains(r#"href="/public/10/print""#)
            && page.contains(r#"href="/public/10/list.xlsx""#)
    );
    assert!(!page.contains("app-sidebar"), "no side menu");
    for h in [
        "序号",
        "姓名",
        "派出单位",
        "接收单位",
        "拟挂任职务",
        "交流期限",
        "派出方向",
    ] {
        assert!(page.contains(h), "{h}");
    }
    let print = &bodies[1].1;
    assert!(print.contains("data-print") && print.contains("print-table"));
    assert!(!print.contains("public-header") && !print.contains("objections"));
    let xlsx = &bodies[2].2;
    assert!(
        xlsx.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains(&shuangshi_web::fmt::url_encode("第十批交流互派人员名单"))
    );
    // The JSON: the public fields, nothing more (no selection id).
    let j = bodies[3].2.json();
    assert_eq!(j["batch_number"], 10);
    assert_eq!(j["kind"], "publicity");
    assert_eq!(j["contact"], CONTACT);
    let entries = j["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    let mut keys: Vec<&str> = entries[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "direction",
            "name",
            "post",
            "receiving_unit",
            "sending_unit",
            "seq",
            "term"
        ]
    );
    assert_eq!(entries[0]["name"], "张三");
    let all = bodies[4].2.json();
    assert_eq!(all["items"][0]["batch_number"], 10);
    assert_eq!(all["items"][0]["accepting_objections"], true);

    // Another batch number: the public 404 page.
    let r = anon.get("/public/9").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("尚无公布的名单") && r.body.contains(r#"href="/public""#));
    let r = anon.get("/api/v1/public/9").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.json()["error"].is_string());
}

#[tokio::test]
async fn objections_are_taken_capped_throttled_and_kept_as_plain_text() {
    let app = TestApp::new().await;
    let mut p = published(&app, Utc::now()).await;
    let mut anon = app.anon();
    let stored = || async { app.store().list_objections(p.batch.id).await.unwrap() };

    // Refusals keep what was typed, show the app's message and store nothing.
    let long = "很".repeat(2001);
    let r = anon
        .post_form_raw(
            "/public/10/objections",
            &[
                ("seq", "1"),
                ("contact", "王五 13312345678"),
                ("body", &long),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body.contains("异议内容不超过 2000 字，现为 2001 字"),
        "{}",
        r.body
    );
    assert!(
        r.body.contains(r#"value="王五 13312345678""#),
        "the contact is kept"
    );
    let r = anon
        .post_form_raw(
            "/public/10/objections",
            &[
                ("seq", "1"),
                ("contact", " "),
                ("body", "<script>alert(1)</script>情况不实"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("请填写联系方式"), "{}", r.body);
    assert!(
        shown_escaped(&r.body, "<script>alert(1)</script>情况不实"),
        "{}",
        r.body
    );
    assert!(!r.body.contains("<script>alert"), "echoed unescaped");
    let r = anon
        .post_form_raw(
            "/public/10/objections",
            &[
                ("seq", "99"),
                ("contact", "王五"),
                ("body", "情况不实，请核查"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("公示名单中没有序号 99"), "{}", r.body);
    let r = anon
        .post_form_raw(
            "/public/10/objections",
            &[
                ("seq", "x"),
                ("contact", "王五"),
                ("body", "情况不实，请核查"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let mut api = app.anon();
    let r = post_json(
        &mut api,
        "/api/v1/public/10/objections",
        serde_json::json!({"seq": 1, "contact": "", "body": "情况不实，请核查"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.json()["error"]
            .as_str()
            .unwrap()
            .contains("请填写联系方式")
    );
    assert!(stored().await.is_empty(), "a refusal stored something");

    // A valid objection about 序号 1 is stored against 张三.
    let r = anon
        .post_form_raw(
            "/public/10/objections",
            &[
                ("seq", "1"),
                ("contact", "王五 13312345678"),
                ("body", "张三的任职经历与事实不符"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("已收到您的异议，市教委将核实处理"));
    let zhang = p.selections.iter().find(|s| s.name == "张三").unwrap();
    let list = stored().await;
    assert_eq!(list.len(), 1);
    assert_eq!(
        (list[0].person.as_str(), list[0].selection_id),
        ("张三", Some(zhang.id))
    );
    assert_eq!(list[0].body, "张三的任职经历与事实不符");
    assert!(r.body.contains(&shuangshi_store::submissions::beijing_time(
        list[0].created_at
    )));

    // Markup is kept as the plain text typed; the answer does not echo it.
    let r = anon
        .post_form_raw(
            "/public/10/objections",
            &[
                ("seq", "0"),
                ("contact", "匿名<b>x</b>"),
                ("body", "<script>alert(1)</script>名单有误"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(!r.body.contains("<script>alert") && !r.body.contains("<b>x"));
    assert!(r.body.contains("不针对具体人员"));
    let list = stored().await;
    assert_eq!(list[0].body, "<script>alert(1)</script>名单有误");
    assert_eq!((list[0].person.as_str(), list[0].selection_id), ("", None));
    let r = p.admin.get("/selection").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        shown_escaped(&r.body, "<script>alert(1)</script>名单有误"),
        "the commission sees it escaped"
    );
    assert!(!r.body.contains("<script>alert"));

    // The API takes the third: 201 with its id and time.
    let r = post_json(
        &mut api,
        "/api/v1/public/10/objections",
        serde_json::json!({"seq": 1, "contact": "赵六", "body": "请核实张三的职称"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let j = r.json();
    assert!(j["id"].as_i64().unwrap() > 0 && j["created_at"].is_string());
    assert_eq!(stored().await.len(), 3);

    // The fourth from the same address within the hour: 429 with the message, nothing stored.
    let r = anon
        .post_form_raw(
            "/public/10/objections",
            &[
                ("seq", "1"),
                ("contact", "王五"),
                ("body", "再次反映情况不实"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.body.contains("一小时内最多提交 3 条异议"), "{}", r.body);
    assert!(r.body.contains("再次反映情况不实"), "the text is kept");
    let r = post_json(
        &mut api,
        "/api/v1/public/10/objections",
        serde_json::json!({"seq": 0, "contact": "赵六", "body": "再次反映情况不实"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        r.json()["error"]
            .as_str()
            .unwrap()
            .contains("一小时内最多提交 3 条异议")
    );
    assert_eq!(stored().await.len(), 3);

    // Another batch number has no list.
    let r = anon
        .post_form_raw(
            "/public/9/objections",
            &[
                ("seq", "0"),
                ("contact", "王五"),
                ("body", "情况不实，请核查"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_closed_window_refuses_objections() {
    let app = TestApp::new().await;
    let p = published(&app, Utc::now() - Duration::days(10)).await;
    let mut anon = app.anon();
    let r = anon.get("/public/10").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("公示期已结束，不再受理异议"), "{}", r.body);
    assert!(
        !r.body.contains(r#"action="/public/10/objections""#),
        "no form once closed"
    );
    let r = anon
        .post_form_raw(
            "/public/10/objections",
            &[
                ("seq", "1"),
                ("contact", "王五"),
                ("body", "情况不实，请核查"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(
        r.body.contains("目前不在公示期内，不受理异议"),
        "{}",
        r.body
    );
    let r = post_json(
        &mut app.anon(),
        "/api/v1/public/10/objections",
        serde_json::json!({"seq": 1, "contact": "王五", "body": "情况不实，请核查"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.json()["error"].as_str().unwrap().contains("不在公示期内"));
    assert_eq!(
        app.anon().get("/api/v1/public").await.json()["items"][0]["accepting_objections"],
        false
    );
    assert!(
        app.store()
            .list_objections(p.batch.id)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn the_final_list_replaces_the_publicity_and_an_earlier_batch_stays_listed() {
    let app = TestApp::new().await;
    let mut admin = app.login(Role::Admin).await;
    let actor = actor_of(&admin);
    let past = Utc::now() - Duration::days(10);

    // 第九批, carried to its final list, then closed.
    let nine = open_numbered(&app, 9, "第九批").await;
    accepted(&app, &nine, &mut admin, "九批").await;
    decide(&app, &actor, &nine, |_| true).await;
    app.app()
        .publish_publicity(&actor, &nine, past)
        .await
        .unwrap();
    let f9 = app.app().propose_final(&actor, &nine, "").await.unwrap();
    assert_eq!(f9.state, shuangshi_store::PublicationState::Published);
    app.store()
        .close_batch(nine.id, &Actor::system())
        .await
        .unwrap();

    // 第十批: its 公示 (closed) stands until the final list is published.
    let ten = open_numbered(&app, 10, "第十批").await;
    accepted(&app, &ten, &mut admin, "十批").await;
    decide(&app, &actor, &ten, |r| r.name == "张三").await;
    app.app()
        .publish_publicity(&actor, &ten, past)
        .await
        .unwrap();
    let mut anon = app.anon();
    let r = anon.get("/public/10").await;
    assert!(r.body.contains("交流互派人员名单（公示）") && r.body.contains("公示期"));
    let final10 = app.app().propose_final(&actor, &ten, "").await.unwrap();

    let r = anon.get("/public/10").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains("双千双师交流计划第十批交流互派人员名单"),
        "{}",
        r.body
    );
    assert!(
        !r.body.contains("（公示）") && !r.body.contains("公示期"),
        "{}",
        r.body
    );
    assert!(!r.body.contains("/public/10/objections"));
    let published = shuangshi_store::submissions::beijing_time(final10.published_at.unwrap());
    assert!(r.body.contains("公布日期") && r.body.contains(&published));
    assert!(!r.body.contains("修订于"));
    assert!(r.body.contains("张三") && !r.body.contains("李四"));
    let j = anon.get("/api/v1/public/10").await.json();
    assert_eq!(
        (j["kind"].as_str(), j["revision"].as_i64()),
        (Some("final"), Some(1))
    );
    assert!(j["opens_at"].is_null());

    // Both batches on /public, the newest first, each a final list with its link.
    let r = anon.get("/public").await;
    let (at10, at9) = (
        r.body.find("/public/10").unwrap(),
        r.body.find("/public/9").unwrap(),
    );
    assert!(at10 < at9, "newest first");
    assert_eq!(r.body.matches(">正式名单</span>").count(), 2, "{}", r.body);
    let j = anon.get("/api/v1/public").await.json();
    let numbers: Vec<i64> = j["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["batch_number"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, [10, 9]);
    let r = anon.get("/public/9").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains("第九批交流互派人员名单")
            && r.body.contains("张三")
            && r.body.contains("李四")
    );
    let r = anon.get("/public/9/list.xlsx").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(texts(&r).contains("李四"));

    // A correction: the revised list says when it was revised, the first date stays.
    app.app()
        .open_correction(&actor, &ten, "更正派出单位")
        .await
        .unwrap();
    let r = anon.get("/public/10").await;
    assert!(
        r.body.contains(&published) && !r.body.contains("修订于"),
        "the list in force meanwhile"
    );
    let revised = app.app().propose_final(&actor, &ten, "").await.unwrap();
    assert_eq!(revised.revision, 2);
    let r = anon.get("/public/10").await;
    assert!(r.body.contains("（第 1 次修订）"), "{}", r.body);
    assert!(r.body.contains(&format!(
        "修订于 {}",
        shuangshi_store::submissions::beijing_time(revised.published_at.unwrap())
    )));
    assert!(
        r.body
            .contains(&format!("公布日期</dt><dd id=\"published-at\">{published}")),
        "{}",
        r.body
    );
}
