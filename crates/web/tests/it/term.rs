//! 聘期管理 and 补助经费 through the doors: only the receiving unit records a person's term (the
//! sending unit only remarks, any other unit gets 404, other roles 403), overdue records are W04 /
//! W05 findings, the closed term is frozen; the ledger pays people × rate per receiving school with
//! maker–checker, corrections are 扣回 / 补拨 entries, totals reconcile, the finance export is the
//! only unmasked one and is audited, and the school's report of the use must sum to what it got.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use shuangshi_app::term::TermForm;
use shuangshi_store::{Actor, BatchRecord, Role, Scope};

use crate::review::submit;
use crate::school::{Pair, open_batch, pair, prepared_with};
use crate::support::{Client, Resp, TestApp};

/// Accepts the pairs' submissions, selects everyone, runs the 公示 and publishes the final list.
pub(crate) async fn final_list(app: &TestApp, pairs: &[&Pair]) -> BatchRecord {
    let batch = open_batch(app).await;
    let mut admin = app.login(Role::Admin).await;
    for (i, p) in pairs.iter().enumerate() {
        prepared_with(
            app,
            &batch,
            p,
            &format!("1380013800{i}"),
            &format!("1390013900{i}"),
        )
        .await;
        let sid = submit(app, &batch, p).await;
        let r = admin.post_form(&format!("/review/{sid}/accept"), &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let a = app.app();
    let sys = Actor::system();
    let ids: Vec<i64> = app
        .store()
        .list_selections(&Scope::All, batch.id)
        .await
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(ids.len(), pairs.len() * 2);
    a.decide_selection(
        &Scope::All,
        &sys,
        &batch,
        &ids,
        shuangshi_store::SelectionStatus::Selected,
        "",
    )
    .await
    .unwrap();
    a.publish_publicity(
        &sys,
        &batch,
        chrono::Utc::now() - chrono::Duration::days(30),
    )
    .await
    .unwrap();
    app.db
        .execute(
            "UPDATE publications SET opens_at = '2000-01-01 00:00:00+00:00', \
             closes_at = '2000-01-02 00:00:00+00:00' WHERE kind = 'publicity'",
        )
        .await;
    let p = a.propose_final(&sys, &batch, "").await.unwrap();
    if p.state != shuangshi_store::PublicationState::Published {
        a.approve_final(&Actor::system(), p.id).await.unwrap();
    }
    batch
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

async fn json(c: &mut Client, method: &str, uri: &str, body: serde_json::Value) -> Resp {
    c.send(
        Request::builder()
            .method(method)
            .uri(uri)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap(),
    )
    .await
}

/// The selection ids of the teacher and the engineer of `p`.
async fn people_of(app: &TestApp, batch: &BatchRecord, p: &Pair) -> (i64, i64) {
    let rows = app.store().term_rows(&Scope::All, batch.id).await.unwrap();
    let find = |dir: &str| {
        rows.iter()
            .find(|r| r.school_id == p.school.id && r.direction == dir)
            .unwrap()
            .selection_id
    };
    (find("school"), find("enterprise"))
}

#[tokio::test]
async fn only_the_receiving_unit_records_the_term_and_overdue_records_are_findings() {
    let app = TestApp::new().await;
    let a = pair(&app, "聘甲", "中职").await;
    let other = pair(&app, "聘乙", "中职").await;
    let batch = final_list(&app, &[&a]).await;
    let n = batch.number;
    let (teacher, engineer) = people_of(&app, &batch, &a).await;

    let mut ent = app
        .login_as(&a.enterprise_user, crate::support::PASSWORD)
        .await;
    let page = ent.get(&format!("/term?batch={n}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("张三") && page.body.contains("李四"));
    // batch10's 到岗 deadline (2024-03-08) has passed: both are W04 before anything is recorded.
    assert!(page.body.contains("W04"), "{}", page.body);

    // The enterprise receives the teacher: it records the arrival and the placement.
    let r = ent
        .post_form(
            &format!("/term/{teacher}"),
            &[
                ("batch", &n.to_string()),
                ("version", "0"),
                ("arrival", "arrived"),
                ("arrived_on", "2024-02-26"),
                ("post", "技术研发部 科技副总"),
                ("tasks", "产线数字化改造"),
                ("duties", "主持工艺优化"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let row = app
        .store()
        .term_row(&Scope::All, teacher)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.version, 1);
    assert_eq!(row.content.arrival, shuangshi_store::ArrivalState::Arrived);
    assert_eq!(audited(&app, "term.record").await, 1);

    // The enterprise sent the engineer: it may not record the school's part.
    ent.post_form(
        &format!("/term/{engineer}"),
        &[
            ("batch", &n.to_string()),
            ("version", "0"),
            ("arrival", "arrived"),
            ("arrived_on", "2024-02-26"),
        ],
    )
    .await;
    let back = ent.get(&format!("/term/{engineer}?batch={n}")).await;
    assert!(back.body.contains("由接收单位"), "{}", back.body);
    let row = app
        .store()
        .term_row(&Scope::All, engineer)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.version, 0, "the sending unit's write is refused");

    // A date outside the term is refused with a message naming it.
    let mut school = app.login_as(&a.school_user, crate::support::PASSWORD).await;
    school
        .post_form(
            &format!("/term/{engineer}"),
            &[
                ("batch", &n.to_string()),
                ("version", "0"),
                ("arrival", "arrived"),
                ("arrived_on", "2019-01-01"),
            ],
        )
        .await;
    let back = school.get(&format!("/term/{engineer}?batch={n}")).await;
    assert!(back.body.contains("不在本批聘期"), "{}", back.body);

    // The school sends the teacher: it adds its remark, but cannot touch the record.
    let r = school
        .post_form(
            &format!("/term/{teacher}/remark"),
            &[
                ("batch", &n.to_string()),
                ("version", "1"),
                ("remark", "表现良好"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let row = app
        .store()
        .term_row(&Scope::All, teacher)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (row.version, row.content.sender_remark.as_str()),
        (2, "表现良好")
    );
    assert_eq!(
        row.content.post, "技术研发部 科技副总",
        "the remark keeps the record"
    );

    // Another unit: 404 on the page and on the API; the oversight bodies are not term readers.
    let mut stranger = app
        .login_as(&other.enterprise_user, crate::support::PASSWORD)
        .await;
    assert_eq!(
        stranger
            .get(&format!("/term/{teacher}?batch={n}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let r = stranger
        .post_form(
            &format!("/term/{teacher}"),
            &[
                ("batch", &n.to_string()),
                ("version", "2"),
                ("arrival", "absent"),
                ("absent_reason", "x"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let mut sasac = app.login(Role::SasacViewer).await;
    assert_eq!(sasac.get("/term").await.status, StatusCode::FORBIDDEN);

    // The API: the teacher is now W05 (assessment overdue), the engineer W04.
    let (mut api, _) = app.api_client(Role::Admin).await;
    let list = api.get(&format!("/api/v1/term?batch={n}")).await.json();
    let rules_of = |id: i64| -> Vec<String> {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id)
            .unwrap()["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(rules_of(teacher), ["W05"]);
    assert_eq!(rules_of(engineer), ["W04"]);
    assert_eq!(list["overdue"], 2);

    // The school records the engineer's arrival and assessment through the API.
    let (mut school_api, _) = {
        let (_, token) = app
            .store()
            .create_token(a.school_user.id, "测试", &Actor::system())
            .await
            .unwrap();
        let mut c = app.anon();
        c.bearer = Some(token);
        (c, ())
    };
    let r = json(
        &mut school_api,
        "PUT",
        &format!("/api/v1/term/{engineer}"),
        serde_json::json!({"batch": n, "version": 0, "arrival": "已到岗", "arrived_on": "2024年3月1日",
            "post": "机电学院 产业副院长", "tasks": "共建实训基地", "duties": "每周授课4学时",
            "assessment": "优秀", "summary": "聘期任务全部完成"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["assessment"], "excellent");
    assert!(r.json()["findings"].as_array().unwrap().is_empty());
    // A stale version is a conflict, not a silent overwrite.
    let r = json(
        &mut school_api,
        "PUT",
        &format!("/api/v1/term/{engineer}"),
        serde_json::json!({"batch": n, "version": 0, "arrival": "absent", "absent_reason": "x"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);

    // The commission closes the term: records are frozen.
    let mut admin = app.login(Role::Admin).await;
    let r = admin
        .post_form("/term/close", &[("batch", &n.to_string())])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        app.store()
            .term_closed_at(batch.id)
            .await
            .unwrap()
            .is_some()
    );
    let r = json(
        &mut school_api,
        "PUT",
        &format!("/api/v1/term/{engineer}"),
        serde_json::json!({"batch": n, "version": 1, "arrival": "absent", "absent_reason": "x"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("冻结"), "{}", r.body);
    let versions = app
        .store()
        .term_versions(&Scope::All, engineer)
        .await
        .unwrap();
    assert_eq!(versions.len(), 1, "every saved change is one version");
}

/// Records `id` as arrived by its receiving school.
async fn arrive(app: &TestApp, batch: &BatchRecord, p: &Pair, id: i64, version: i32) {
    app.app()
        .record_term(
            &Scope::School(p.school.id),
            &Actor::system(),
            batch,
            id,
            version,
            &TermForm {
                arrival: "arrived".into(),
                arrived_on: "2024-02-26".into(),
                post: "产业副院长".into(),
                tasks: "任务".into(),
                duties: "职责".into(),
                ..TermForm::default()
            },
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn the_ledger_pays_people_times_rate_with_a_second_admin_and_corrects_by_entries() {
    let app = TestApp::new().await;
    let a = pair(&app, "账甲", "中职").await;
    let b = pair(&app, "账乙", "中职").await;
    let batch = final_list(&app, &[&a, &b]).await;
    let n = batch.number.to_string();
    let (_, eng_a) = people_of(&app, &batch, &a).await;
    let (_, eng_b) = people_of(&app, &batch, &b).await;
    arrive(&app, &batch, &a, eng_a, 0).await;
    arrive(&app, &batch, &b, eng_b, 0).await;

    let mut maker = app.login(Role::Admin).await;
    let mut checker = app.login(Role::Admin).await;
    let page = maker.get(&format!("/ledger?batch={n}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("¥10,000") && page.body.contains("待拨付"),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("3100012345678901234"),
        "the page masks the account"
    );

    for (p, voucher) in [(&a, "V-1"), (&b, "V-2")] {
        let r = maker
            .post_form(
                &format!("/ledger/{}/entries", p.school.id),
                &[
                    ("batch", &n),
                    ("kind", "grant"),
                    ("paid_on", "2024-03-15"),
                    ("voucher", voucher),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
    }
    let entries = app.store().ledger_entries(batch.id, None).await.unwrap();
    assert_eq!(entries.len(), 2);
    assert!(
        entries
            .iter()
            .all(|e| e.status == shuangshi_store::EntryStatus::Pending)
    );
    // The maker cannot approve its own entry; the second administrator can.
    maker
        .post_form(
            &format!("/ledger/entries/{}/approve", entries[0].id),
            &[("batch", &n)],
        )
        .await;
    assert_eq!(
        app.store().ledger_entries(batch.id, None).await.unwrap()[0].status,
        shuangshi_store::EntryStatus::Pending
    );
    for e in &entries {
        checker
            .post_form(
                &format!("/ledger/entries/{}/approve", e.id),
                &[("batch", &n)],
            )
            .await;
    }
    let d = shuangshi_app::Disclosure::new(Role::Admin, Actor::system(), false);
    let ledger = app
        .app()
        .ledger(&Scope::All, &batch, &d, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(ledger.rows.len(), 2);
    for r in &ledger.rows {
        assert_eq!(r.paid, r.people * ledger.rate, "{}", r.school_name);
        assert_eq!(r.status, "已拨付");
    }
    assert_eq!(ledger.paid, 20_000);
    // The commission's dashboard shows the term and the money, each number linking to its list.
    let dash = maker.get("/").await.body;
    assert!(dash.contains("补助经费：已拨付与应拨付"), "{dash}");
    assert!(
        dash.contains("聘期：到岗与考核") && dash.contains("/term?batch="),
        "{dash}"
    );
    assert!(dash.contains("¥10,000"), "{dash}");

    // A second grant is refused: a correction is an entry with a reason, never an edit.
    let r = app
        .app()
        .pay(&Actor::system(), &batch, a.school.id, "2024-04-01", "V-3")
        .await;
    assert!(matches!(r, Err(shuangshi_app::Error::Refused(_))));
    // The engineer of 账甲 turns out not to have arrived: due falls to 0, the money is taken back.
    arrive_absent(&app, &batch, &a, eng_a).await;
    let row = |l: &shuangshi_app::ledger::Ledger, id: i64| {
        l.rows.iter().find(|r| r.school_id == id).unwrap().clone()
    };
    let l = app
        .app()
        .ledger(&Scope::All, &batch, &d, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(row(&l, a.school.id).status, "待扣回");
    let r = maker
        .post_form(
            &format!("/ledger/{}/entries", a.school.id),
            &[
                ("batch", &n),
                ("kind", "clawback"),
                ("amount", "10,000"),
                ("reason", ""),
                ("paid_on", "2024-04-01"),
                ("voucher", "V-4"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.store()
            .ledger_entries(batch.id, None)
            .await
            .unwrap()
            .len(),
        2,
        "no reason, no entry"
    );
    maker
        .post_form(
            &format!("/ledger/{}/entries", a.school.id),
            &[
                ("batch", &n),
                ("kind", "clawback"),
                ("amount", "10,000"),
                ("reason", "未到岗"),
                ("paid_on", "2024-04-01"),
                ("voucher", "V-4"),
            ],
        )
        .await;
    let back = app
        .store()
        .ledger_entries(batch.id, Some(a.school.id))
        .await
        .unwrap();
    let claw = back.last().unwrap();
    assert_eq!(
        (claw.amount, claw.kind),
        (-10_000, shuangshi_store::EntryKind::Clawback)
    );
    checker
        .post_form(
            &format!("/ledger/entries/{}/approve", claw.id),
            &[("batch", &n)],
        )
        .await;
    let l = app
        .app()
        .ledger(&Scope::All, &batch, &d, chrono::Utc::now())
        .await
        .unwrap();
    for r in &l.rows {
        let sum: i64 = r
            .entries
            .iter()
            .filter(|e| e.status == shuangshi_store::EntryStatus::Paid)
            .map(|e| e.amount)
            .sum();
        assert_eq!(
            sum,
            r.people * l.rate,
            "Σ amounts = people × rate for {}",
            r.school_name
        );
    }
    assert_eq!(row(&l, a.school.id).paid, 0);

    // The finance export is the only one with the full account, and it is audited.
    let x = maker.get(&format!("/ledger.xlsx?batch={n}")).await;
    assert_eq!(x.status, StatusCode::OK);
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(x.bytes.clone())).unwrap();
    let range = calamine::Reader::worksheet_range(&mut book, "补助经费").unwrap();
    let cells: Vec<String> = range.cells().map(|(_, _, c)| c.to_string()).collect();
    assert!(
        cells.iter().any(|c| c == "3100012345678901234"),
        "{cells:?}"
    );
    assert_eq!(audited(&app, "export.ledger").await, 1);
    let api = maker.get(&format!("/api/v1/ledger?batch={n}")).await;
    assert!(!api.body.contains("3100012345678901234"), "{}", api.body);

    // 账乙 reports the use of its 10,000: the sum must match.
    let mut school = app.login_as(&b.school_user, crate::support::PASSWORD).await;
    assert_eq!(
        school.get("/ledger.xlsx").await.status,
        StatusCode::FORBIDDEN
    );
    school
        .post_form(
            "/ledger/use",
            &[
                ("batch", &n),
                ("amount:聘期工作", "6000"),
                ("amount:食宿", "3000"),
            ],
        )
        .await;
    let page = school.get(&format!("/ledger?batch={n}")).await;
    assert!(page.body.contains("不一致"), "{}", page.body);
    assert!(
        !page.body.contains("账甲"),
        "a school sees its own row only"
    );
    school
        .post_form(
            "/ledger/use",
            &[
                ("batch", &n),
                ("amount:聘期工作", "6000"),
                ("amount:食宿", "4,000"),
            ],
        )
        .await;
    let uses = app.store().subsidy_uses(batch.id).await.unwrap();
    assert_eq!(uses.len(), 1);
    assert_eq!(uses[0].total, 10_000);
    let mut ent = app
        .login_as(&b.enterprise_user, crate::support::PASSWORD)
        .await;
    assert_eq!(ent.get("/ledger").await.status, StatusCode::FORBIDDEN);
}

async fn arrive_absent(app: &TestApp, batch: &BatchRecord, p: &Pair, id: i64) {
    let v = app
        .store()
        .term_row(&Scope::All, id)
        .await
        .unwrap()
        .unwrap()
        .version;
    app.app()
        .record_term(
            &Scope::School(p.school.id),
            &Actor::system(),
            batch,
            id,
            v,
            &TermForm {
                arrival: "absent".into(),
                absent_reason: "本人退出".into(),
                ..TermForm::default()
            },
        )
        .await
        .unwrap();
}
