//! The oversight side of 四(四): every combination of enterprise kind × 隶属关系 × submission
//! status is routed to 市国资委, 市工商联 or nobody (未分送), and `/list` and `/api/v1/copies`
//! show each body exactly its rows (drafts to nobody), the commission all of them with 分送;
//! an opinion of 国资委 reaches the commission's selection page, 工商联 cannot give one on a
//! 国资委 row; the export is masked and audited.

use std::io::Read;

use axum::http::{Method, Request, StatusCode, header};
use shuangshi_rules::{Column, Org};
use shuangshi_store::{
    Actor, AuditFilter, BatchRecord, FormContent, OrgRecord, PageRequest, Role, Scope,
    SelectionStatus, SubmissionStatus, User,
};

use crate::review::submit;
use crate::school::{PNG, Pair, cells, engineer, open_batch, teacher};
use crate::support::{Client, Resp, TestApp};

/// Where a form's copy goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    Sasac,
    Federation,
    Unrouted,
}

/// Enterprise kind, 隶属关系, and where the copy goes (`rules::copy_to`).
const COMBOS: [(&str, &str, Body); 8] = [
    ("国有企业", "市国资委", Body::Sasac),
    ("国有企业", "国务院国资委", Body::Unrouted),
    ("民营企业", "市工商联", Body::Federation),
    ("新型研发机构", "市科技局", Body::Unrouted),
    ("新型研发机构", "市工商联", Body::Federation),
    ("其他企业", "市国资委", Body::Sasac),
    ("其他企业", "市工商联", Body::Federation),
    ("其他企业", "", Body::Unrouted),
];

/// The submission states of the schools.
const STATES: [Option<SubmissionStatus>; 4] = [
    None,
    Some(SubmissionStatus::Submitted),
    Some(SubmissionStatus::Returned),
    Some(SubmissionStatus::Accepted),
];

const STATE_TAGS: [&str; 4] = ["草", "报", "退", "受"];
const COMBO_TAGS: [&str; 8] = ["一", "二", "三", "四", "五", "六", "七", "八"];

/// One person of the seeded batch.
#[derive(Debug, Clone)]
struct Person {
    name: String,
    mobile: String,
    body: Body,
    state: Option<SubmissionStatus>,
}

struct Seeded {
    batch: BatchRecord,
    people: Vec<Person>,
    admin: Client,
}

impl Seeded {
    fn person(&self, body: Body, state: Option<SubmissionStatus>) -> &Person {
        self.people
            .iter()
            .find(|p| p.body == body && p.state == state)
            .unwrap()
    }
}

async fn enterprise(app: &TestApp, name: &str, kind: &str, affiliation: &str) -> OrgRecord {
    app.store()
        .create_org(
            &Org {
                name: name.to_owned(),
                category: kind.to_owned(),
                affiliation: affiliation.to_owned(),
                credit_code: String::new(),
                district: "渝中区".to_owned(),
            },
            &Actor::system(),
        )
        .await
        .unwrap()
}

/// One form of `school` with `ent`: the partnership confirmed, one teacher stored, confirmed and
/// sealed (what `school::prepared` does, with the teacher's and the engineer's names and mobiles
/// given).
async fn form_with(app: &TestApp, batch: &BatchRecord, p: &Pair, people: [(&str, &str); 2]) {
    let s = app.store();
    let a = Actor::system();
    let pt = s
        .propose_partnership(&Scope::All, batch.id, p.school.id, p.enterprise.id, &[], &a)
        .await
        .unwrap()
        .unwrap();
    let pt = s
        .respond_partnership(&Scope::All, pt.id, true, &a)
        .await
        .unwrap()
        .unwrap();
    let fid = pt.form_id.unwrap();
    let mut rows = vec![
        cells(&teacher(p, people[0].1)),
        cells(&engineer(p, people[1].1)),
    ];
    for (row, (name, _)) in rows.iter_mut().zip(people) {
        row[Column::Name as usize] = name.to_owned();
    }
    let content = FormContent {
        header_school: p.school.name.clone(),
        header_enterprise: p.enterprise.name.clone(),
        filler: "王老师".into(),
        phone: "023-63865672".into(),
        rows,
    };
    let out = s
        .replace_rows(&Scope::All, fid, &content, None, &a)
        .await
        .unwrap()
        .unwrap();
    let ids: Vec<i64> = out.form.rows.iter().map(|r| r.id).collect();
    s.confirm_rows(&Scope::All, fid, &ids, None, &a)
        .await
        .unwrap()
        .unwrap();
    s.put_scan(&Scope::All, fid, "image/png", PNG.to_vec(), &a)
        .await
        .unwrap()
        .unwrap();
}

/// Four schools (draft, submitted, returned, accepted), each with one form per combination of
/// [`COMBOS`], a teacher and an engineer per form (so that the school's sending and receiving
/// are equal and it can be accepted).
async fn seeded(app: &TestApp) -> Seeded {
    let batch = open_batch(app).await;
    let mut admin = app.login(Role::Admin).await;
    let mut people = Vec::new();
    for (si, state) in STATES.iter().enumerate() {
        let st = STATE_TAGS[si];
        let school = app
            .org_named(&format!("重庆市{st}分送职业学校"), "中职")
            .await;
        let school_user: User = app.user_in(Role::SchoolOfficer, Some(school.id)).await;
        let mut first = None;
        for (ci, (kind, affiliation, body)) in COMBOS.iter().enumerate() {
            let ct = COMBO_TAGS[ci];
            let ent = enterprise(
                app,
                &format!("重庆{st}{ct}分送科技有限公司"),
                kind,
                affiliation,
            )
            .await;
            let p = Pair {
                school: school.clone(),
                enterprise: ent,
                school_user: school_user.clone(),
                enterprise_user: school_user.clone(),
            };
            let teacher = (
                format!("钱{st}{ct}"),
                format!("138{:04}{:04}", si + 1, ci + 1),
            );
            let engineer = (
                format!("孙{st}{ct}"),
                format!("139{:04}{:04}", si + 1, ci + 1),
            );
            form_with(
                app,
                &batch,
                &p,
                [(&teacher.0, &teacher.1), (&engineer.0, &engineer.1)],
            )
            .await;
            for (name, mobile) in [teacher, engineer] {
                people.push(Person {
                    name,
                    mobile,
                    body: *body,
                    state: *state,
                });
            }
            first.get_or_insert(p);
        }
        let p = first.unwrap();
        match state {
            None => {}
            Some(SubmissionStatus::Submitted) => {
                submit(app, &batch, &p).await;
            }
            Some(SubmissionStatus::Returned) => {
                let sid = submit(app, &batch, &p).await;
                let r = admin
                    .post_form(
                        &format!("/review/{sid}/return"),
                        &[("note", "请核对账户信息")],
                    )
                    .await;
                assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
            }
            Some(SubmissionStatus::Accepted) => {
                let sid = submit(app, &batch, &p).await;
                let r = admin.post_form(&format!("/review/{sid}/accept"), &[]).await;
                assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
            }
            Some(SubmissionStatus::Draft) => unreachable!(),
        }
        let sub = app
            .store()
            .get_submission(&Scope::All, batch.id, school.id)
            .await
            .unwrap();
        assert_eq!(
            sub.map(|s| s.status)
                .filter(|s| *s != SubmissionStatus::Draft),
            *state,
            "school {st} is not in the state the test needs"
        );
    }
    Seeded {
        batch,
        people,
        admin,
    }
}

/// The `<tr>` of the table that names `name`.
fn row_of<'a>(body: &'a str, name: &str) -> Option<&'a str> {
    body.split("<tr").find(|r| r.contains(name))
}

fn status_label(s: Option<SubmissionStatus>) -> &'static str {
    s.map_or("草稿", |s| s.label())
}

fn outcome_label(s: Option<SubmissionStatus>) -> &'static str {
    match s {
        Some(SubmissionStatus::Accepted) => "待遴选",
        _ => "未受理",
    }
}

/// Checks what a page and an API answer show against the people `visible` should pick.
fn check_page(who: &str, page: &Resp, people: &[Person], visible: impl Fn(&Person) -> bool) {
    assert_eq!(page.status, StatusCode::OK, "{who}: {}", page.body);
    for p in people {
        let row = row_of(&page.body, &p.name);
        if visible(p) {
            let row = row.unwrap_or_else(|| panic!("{who} does not see {p:?}"));
            assert!(
                row.contains(status_label(p.state)) && row.contains(outcome_label(p.state)),
                "{who}: {p:?} shown as {row}"
            );
            assert!(!row.contains(&p.mobile), "{who}: full mobile of {p:?}");
        } else {
            assert!(row.is_none(), "{who} sees {p:?}");
        }
    }
}

fn check_api(who: &str, r: &Resp, people: &[Person], visible: impl Fn(&Person) -> bool) {
    assert_eq!(r.status, StatusCode::OK, "{who}: {}", r.body);
    let j = r.json();
    let items = j["items"].as_array().unwrap();
    let expected: Vec<&Person> = people.iter().filter(|p| visible(p)).collect();
    assert_eq!(
        j["total"].as_u64(),
        Some(expected.len() as u64),
        "{who}: {}",
        r.body
    );
    for p in people {
        let item = items.iter().find(|i| i["name"] == p.name.as_str());
        if visible(p) {
            let item = item.unwrap_or_else(|| panic!("{who} (API) does not see {p:?}"));
            assert_eq!(item["status"], status_label(p.state), "{who}: {p:?}");
            assert_eq!(item["outcome"], outcome_label(p.state), "{who}: {p:?}");
            assert_eq!(
                item["selection_id"].is_i64(),
                p.state == Some(SubmissionStatus::Accepted),
                "{who}: {p:?}"
            );
            assert_ne!(item["mobile"], p.mobile.as_str());
        } else {
            assert!(item.is_none(), "{who} (API) sees {p:?}");
        }
    }
}

#[tokio::test]
async fn each_body_sees_exactly_the_copies_routed_to_it() {
    let app = TestApp::new().await;
    let mut s = seeded(&app).await;
    let routed = |body: Body| move |p: &Person| p.body == body && p.state.is_some();

    let mut sasac = app.login(Role::SasacViewer).await;
    let page = sasac.get("/list").await;
    check_page("国资委", &page, &s.people, routed(Body::Sasac));
    assert!(page.body.contains("报送名单（市国资委）"), "{}", page.body);
    assert!(
        page.body.contains(r#"id="count-seen">12<"#),
        "{}",
        page.body
    );
    assert!(!page.body.contains("查看完整"), "国资委 may not unmask");
    // 国资委 cannot widen its list with 分送 nor unmask with full=1.
    let page = sasac.get("/list?body=federation&full=1&per_page=100").await;
    check_page(
        "国资委 body=federation",
        &page,
        &s.people,
        routed(Body::Sasac),
    );

    let mut federation = app.login(Role::FederationViewer).await;
    let page = federation.get("/list").await;
    check_page("工商联", &page, &s.people, routed(Body::Federation));
    assert!(page.body.contains("报送名单（市工商联）"));

    let page = s.admin.get("/list?per_page=100").await;
    check_page("市教委", &page, &s.people, |p| p.state.is_some());
    assert!(page.body.contains("报送分送") && page.body.contains("查看完整"));
    let page = s.admin.get("/list?body=none").await;
    check_page("市教委 未分送", &page, &s.people, routed(Body::Unrouted));
    assert!(page.body.contains("未分送"));
    let page = s.admin.get("/list?body=sasac").await;
    check_page("市教委 市国资委", &page, &s.people, routed(Body::Sasac));

    // Filters: 报送状态 and 遴选结果 (labels), kept by the pager.
    let page = sasac.get("/list?status=%E5%B7%B2%E9%80%80%E5%9B%9E").await;
    check_page("国资委 已退回", &page, &s.people, |p| {
        routed(Body::Sasac)(p) && p.state == Some(SubmissionStatus::Returned)
    });
    let page = federation
        .get("/list?outcome=%E5%BE%85%E9%81%B4%E9%80%89")
        .await;
    check_page("工商联 待遴选", &page, &s.people, |p| {
        routed(Body::Federation)(p) && p.state == Some(SubmissionStatus::Accepted)
    });
    let one = s.person(Body::Federation, Some(SubmissionStatus::Submitted));
    let page = federation
        .get(&format!(
            "/list?q={}",
            shuangshi_web::fmt::url_encode(&one.name)
        ))
        .await;
    check_page("工商联 by name", &page, &s.people, |p| {
        p.name == one.name
    });

    // The API says the same.
    let (mut sasac_api, _) = app.api_client(Role::SasacViewer).await;
    let r = sasac_api.get("/api/v1/copies").await;
    check_api("国资委", &r, &s.people, routed(Body::Sasac));
    let (mut federation_api, _) = app.api_client(Role::FederationViewer).await;
    let r = federation_api.get("/api/v1/copies?body=sasac").await;
    check_api("工商联", &r, &s.people, routed(Body::Federation));
    let (mut admin_api, _) = app.api_client(Role::Admin).await;
    let r = admin_api.get("/api/v1/copies").await;
    check_api("市教委", &r, &s.people, |p| p.state.is_some());
    let r = admin_api.get("/api/v1/copies?body=none").await;
    check_api("市教委 未分送", &r, &s.people, routed(Body::Unrouted));
    let r = admin_api.get("/api/v1/copies?status=accepted").await;
    check_api("市教委 已受理", &r, &s.people, |p| {
        p.state == Some(SubmissionStatus::Accepted)
    });
    let r = admin_api.get("/api/v1/copies?per_page=5&page=2").await;
    let j = r.json();
    assert_eq!(
        (j["total"].as_u64(), j["items"].as_array().map(Vec::len)),
        (Some(48), Some(5))
    );
    assert_eq!(j["items"][0]["seq"], 6);

    // Paging keeps the filters.
    let page = s
        .admin
        .get("/list?status=%E5%B7%B2%E6%8A%A5%E9%80%81&per_page=10")
        .await;
    assert!(page.body.contains("共 16 条"), "{}", page.body);
}

#[tokio::test]
async fn an_opinion_of_one_body_reaches_the_commission_and_not_the_other_body() {
    let app = TestApp::new().await;
    let mut s = seeded(&app).await;
    let target = s
        .person(Body::Sasac, Some(SubmissionStatus::Accepted))
        .clone();
    let other = s
        .person(Body::Federation, Some(SubmissionStatus::Accepted))
        .clone();
    let (mut sasac_api, _) = app.api_client(Role::SasacViewer).await;
    let j = sasac_api
        .get("/api/v1/copies?outcome=%E5%BE%85%E9%81%B4%E9%80%89")
        .await
        .json();
    let items = j["items"].as_array().unwrap();
    let sel = |name: &str| {
        items
            .iter()
            .find(|i| i["name"] == name)
            .and_then(|i| i["selection_id"].as_i64())
            .unwrap()
    };
    let sasac_sel = sel(&target.name);

    // The page shows the form on accepted people only, and the opinion goes back to the list.
    let mut sasac = app.login(Role::SasacViewer).await;
    let page = sasac.get("/list?per_page=10").await;
    let row = row_of(&page.body, &target.name).unwrap();
    assert!(
        row.contains(&format!(r#"action="/list/opinions/{sasac_sel}""#)),
        "{row}"
    );
    let submitted = s.person(Body::Sasac, Some(SubmissionStatus::Submitted));
    assert!(
        !row_of(&page.body, &submitted.name)
            .unwrap()
            .contains("/list/opinions/")
    );

    // 有异议 needs a reason: refused with a message, nothing recorded.
    let r = sasac
        .post_form(
            &format!("/list/opinions/{sasac_sel}"),
            &[
                ("opinion", "object"),
                ("reason", " "),
                ("back", "/list?per_page=10"),
            ],
        )
        .await;
    assert_eq!(
        (r.status, r.location()),
        (StatusCode::SEE_OTHER, "/list?per_page=10")
    );
    let page = sasac.get("/list?per_page=10").await;
    assert!(page.body.contains("须填写理由"), "{}", page.body);
    // A foreign `back` is not followed.
    let r = sasac
        .post_form(
            &format!("/list/opinions/{sasac_sel}"),
            &[
                ("opinion", "object"),
                ("reason", "该同志已调离原岗位"),
                ("back", "https://evil.example/list"),
            ],
        )
        .await;
    assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, "/list"));
    let page = sasac.get("/list").await;
    assert!(page.body.contains("已提交意见"), "{}", page.body);
    assert!(
        row_of(&page.body, &target.name)
            .unwrap()
            .contains("有异议：该同志已调离原岗位")
    );

    // The commission sees it on its selection page and board.
    let page = s.admin.get("/selection?opinion=object").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let row = row_of(&page.body, &target.name).unwrap_or_else(|| panic!("{}", page.body));
    assert!(
        row.contains("市国资委") && row.contains("该同志已调离原岗位"),
        "{row}"
    );
    assert!(row_of(&page.body, &other.name).is_none());
    let board = app
        .app()
        .selection_board(
            &Scope::All,
            &s.batch,
            &shuangshi_app::selection::SelectionFilter {
                opinion: "object".into(),
                ..Default::default()
            },
            &shuangshi_app::Disclosure::new(Role::Admin, Actor::system(), false),
        )
        .await
        .unwrap();
    let names: Vec<&str> = board
        .people
        .iter()
        .map(|p| p.record.name.as_str())
        .collect();
    assert_eq!(names, [target.name.as_str()]);
    let op = &board.people[0].record.opinions[0];
    assert_eq!(
        (op.body.as_str(), op.opinion.as_str(), op.reason.as_str()),
        ("sasac", "object", "该同志已调离原岗位")
    );

    // 工商联 cannot give an opinion on a 国资委 row: 404, page and API.
    let mut federation = app.login(Role::FederationViewer).await;
    let r = federation
        .post_form(
            &format!("/list/opinions/{sasac_sel}"),
            &[("opinion", "agree"), ("reason", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let (mut federation_api, _) = app.api_client(Role::FederationViewer).await;
    let r = json(
        &mut federation_api,
        &format!("/api/v1/copies/{sasac_sel}/opinion"),
        serde_json::json!({"opinion": "agree"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let op = &app
        .app()
        .selection_board(
            &Scope::All,
            &s.batch,
            &Default::default(),
            &shuangshi_app::Disclosure::new(Role::Admin, Actor::system(), false),
        )
        .await
        .unwrap()
        .people
        .into_iter()
        .find(|p| p.record.name == target.name)
        .unwrap()
        .record
        .opinions;
    assert_eq!(op.len(), 1, "工商联 changed nothing: {op:?}");
    assert_eq!(op[0].opinion, "object");

    // The API: a bad value is 400, 有异议 without a reason 400, 无异议 replaces the opinion.
    for bad in [
        serde_json::json!({"opinion": "maybe"}),
        serde_json::json!({"opinion": "object", "reason": ""}),
    ] {
        let r = json(
            &mut sasac_api,
            &format!("/api/v1/copies/{sasac_sel}/opinion"),
            bad,
        )
        .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    }
    let r = json(
        &mut sasac_api,
        &format!("/api/v1/copies/{sasac_sel}/opinion"),
        serde_json::json!({"opinion": "agree"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let j = sasac_api.get("/api/v1/copies").await.json();
    let item = j["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == target.name.as_str())
        .unwrap()
        .clone();
    assert_eq!(item["opinion"], "无异议");
    let page = s.admin.get("/selection?opinion=object").await;
    assert!(row_of(&page.body, &target.name).is_none());
    let page = s.admin.get("/selection?opinion=agree").await;
    assert!(row_of(&page.body, &target.name).is_some());

    // Once the final list stands, an opinion is refused: 409 in the API, an error on the page.
    let all: Vec<i64> = board_ids(&app, &s.batch).await;
    app.app()
        .decide_selection(
            &Scope::All,
            &Actor::system(),
            &s.batch,
            &all,
            SelectionStatus::Selected,
            "",
        )
        .await
        .unwrap();
    // A 公示 already over (published a month ago), then the final list.
    app.app()
        .publish_publicity(
            &Actor::system(),
            &s.batch,
            chrono::Utc::now() - chrono::Duration::days(30),
        )
        .await
        .unwrap();
    let p = app
        .app()
        .propose_final(&Actor::system(), &s.batch, "")
        .await
        .unwrap();
    if p.state != shuangshi_store::PublicationState::Published {
        let second = app.user(Role::Admin).await;
        app.app()
            .approve_final(&Actor::user(second.id, &second.username, ""), p.id)
            .await
            .unwrap();
    }
    let r = json(
        &mut sasac_api,
        &format!("/api/v1/copies/{sasac_sel}/opinion"),
        serde_json::json!({"opinion": "object", "reason": "补充意见"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let r = sasac
        .post_form(
            &format!("/list/opinions/{sasac_sel}"),
            &[("opinion", "agree")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = sasac.get("/list").await;
    assert!(page.body.contains("正式名单已公布"), "{}", page.body);
    assert!(row_of(&page.body, &target.name).unwrap().contains("已公布"));
}

async fn board_ids(app: &TestApp, batch: &BatchRecord) -> Vec<i64> {
    app.store()
        .list_selections(&Scope::All, batch.id)
        .await
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect()
}

async fn json(client: &mut Client, uri: &str, body: serde_json::Value) -> Resp {
    client
        .send(
            Request::builder()
                .method(Method::POST)
                .uri(uri)
                .header(header::CONTENT_TYPE, "application/json")
                .body(axum::body::Body::from(body.to_string()))
                .unwrap(),
        )
        .await
}

/// Every entry of an xlsx, as text.
fn unzipped(bytes: &[u8]) -> String {
    let mut out = String::new();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).unwrap();
        let mut s = String::new();
        let _ = entry.read_to_string(&mut s);
        out.push_str(&s);
    }
    out
}

async fn audit_count(app: &TestApp, user: &User, action: &str) -> u64 {
    app.store()
        .list_audit(
            &AuditFilter {
                action_prefix: Some(action.into()),
                actor_user_id: Some(user.id),
                ..AuditFilter::default()
            },
            PageRequest::new(0, 1),
        )
        .await
        .unwrap()
        .total
}

#[tokio::test]
async fn the_export_is_masked_for_the_bodies_and_audited() {
    let app = TestApp::new().await;
    let mut s = seeded(&app).await;
    let mut sasac = app.login(Role::SasacViewer).await;
    let user = sasac.user.clone().unwrap();
    // Asking for numbers in full changes nothing for 国资委.
    let r = sasac.get("/list.xlsx?full=1").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    let text = unzipped(&r.bytes);
    for p in &s.people {
        assert!(
            !text.contains(&p.mobile),
            "full mobile of {p:?} in the export"
        );
        assert_eq!(
            text.contains(&p.name),
            p.body == Body::Sasac && p.state.is_some(),
            "{p:?}"
        );
    }
    assert!(!text.contains("3100012345678901234"));
    assert!(text.contains("138****0001"), "masked mobiles are kept");
    assert_eq!(audit_count(&app, &user, "export.copies").await, 1);
    assert_eq!(audit_count(&app, &user, "export.copies_unmasked").await, 0);
    assert_eq!(audit_count(&app, &user, "unmask.").await, 0);

    // The filtered export: only the returned rows.
    let r = sasac.get("/list.xlsx?status=returned").await;
    let text = unzipped(&r.bytes);
    let returned = s.person(Body::Sasac, Some(SubmissionStatus::Returned));
    let accepted = s.person(Body::Sasac, Some(SubmissionStatus::Accepted));
    assert!(text.contains(&returned.name) && !text.contains(&accepted.name));
    assert_eq!(audit_count(&app, &user, "export.copies").await, 2);

    // The commission may export in full; that is audited as such.
    let admin_user = s.admin.user.clone().unwrap();
    let r = s.admin.get("/list.xlsx?body=none&full=1").await;
    let text = unzipped(&r.bytes);
    let unrouted = s
        .person(Body::Unrouted, Some(SubmissionStatus::Submitted))
        .clone();
    assert!(
        text.contains(&unrouted.mobile),
        "in full for the commission"
    );
    assert_eq!(
        audit_count(&app, &admin_user, "export.copies_unmasked").await,
        1
    );
    let page = s.admin.get("/list?full=1").await;
    assert!(page.body.contains(&unrouted.mobile) && page.body.contains("隐藏号码"));
    assert_eq!(audit_count(&app, &admin_user, "unmask.copies").await, 1);
}
