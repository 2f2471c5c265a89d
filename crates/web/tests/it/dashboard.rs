//! 工作台: the commission's charts (every number in a chart's table equals the roster's count for
//! the filter it links to), the units behind (exactly those), the page without JavaScript, and
//! the school's and the enterprise's standing with the next thing to do.

use std::collections::BTreeSet;

use axum::http::StatusCode;
use chrono::Utc;
use shuangshi_app::dashboard::Reason;
use shuangshi_store::{Actor, BatchRecord, FormContent, Role, Scope};

use crate::review::submit;
use crate::school::{PNG, Pair, cells, engineer, open_batch, pair, teacher};
use crate::support::{Client, PASSWORD, TestApp};

/// A partnership tagged `tags`, its two people (mobiles made from `n`, so no two schools share
/// one), confirmed by the enterprise when `confirm` and sealed. Returns the form id.
async fn filled(
    app: &TestApp,
    batch: &BatchRecord,
    p: &Pair,
    tags: &[&str],
    n: u32,
    confirm: bool,
) -> i64 {
    let s = app.store();
    let a = Actor::system();
    let tags: Vec<String> = tags.iter().map(|t| (*t).to_owned()).collect();
    let pt = s
        .propose_partnership(
            &Scope::All,
            batch.id,
            p.school.id,
            p.enterprise.id,
            &tags,
            &a,
        )
        .await
        .unwrap()
        .unwrap();
    let pt = s
        .respond_partnership(&Scope::All, pt.id, true, &a)
        .await
        .unwrap()
        .unwrap();
    let fid = pt.form_id.unwrap();
    let content = FormContent {
        header_school: p.school.name.clone(),
        header_enterprise: p.enterprise.name.clone(),
        filler: "王老师".into(),
        phone: "023-63865672".into(),
        rows: vec![
            cells(&teacher(p, &format!("138{:08}", n))),
            cells(&engineer(p, &format!("139{:08}", n))),
        ],
    };
    let out = s
        .replace_rows(&Scope::All, fid, &content, None, &a)
        .await
        .unwrap()
        .unwrap();
    if confirm {
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
    fid
}

/// A school proposes the enterprise; the enterprise does not answer.
async fn proposed(app: &TestApp, batch: &BatchRecord, p: &Pair) {
    app.store()
        .propose_partnership(
            &Scope::All,
            batch.id,
            p.school.id,
            p.enterprise.id,
            &[],
            &Actor::system(),
        )
        .await
        .unwrap()
        .unwrap();
}

/// The text between `start` (included) and the next `end` after it.
fn between<'a>(body: &'a str, start: &str, end: &str) -> &'a str {
    let Some(at) = body.find(start) else {
        panic!("no {start} in {body}")
    };
    let rest = &body[at..];
    let stop = rest.find(end).map_or(rest.len(), |e| e + end.len());
    &rest[..stop]
}

/// Every number cell `<td class="num"><a href="…">N unit</a>` in `html`: (href with the escaped `&` undone, N).
fn linked_numbers(html: &str) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let mut rest = html;
    const CELL: &str = "<td class=\"num\"><a href=\"";
    while let Some(at) = rest.find(CELL) {
        rest = &rest[at + CELL.len()..];
        let Some(q) = rest.find('"') else { break };
        let href = unescape(&rest[..q]);
        let Some(gt) = rest.find('>') else { break };
        let Some(close) = rest.find("</a>") else {
            break;
        };
        let text = &rest[gt + 1..close];
        let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
        if let (false, Ok(n)) = (digits.is_empty(), digits.parse::<u64>()) {
            out.push((href, n));
        }
        rest = &rest[close..];
    }
    out
}

/// An attribute's value as the browser reads it.
fn unescape(s: &str) -> String {
    [
        ("&#34;", "\""),
        ("&quot;", "\""),
        ("&#39;", "'"),
        ("&#60;", "<"),
        ("&lt;", "<"),
        ("&#62;", ">"),
        ("&gt;", ">"),
        ("&#38;", "&"),
        ("&amp;", "&"),
    ]
    .iter()
    .fold(s.to_owned(), |s, (from, to)| s.replace(from, to))
}

/// The chart ids on the page, in order.
fn chart_ids(body: &str) -> Vec<String> {
    body.match_indices("<table class=\"table table-sm data-table\" id=\"table-")
        .map(|(at, m)| {
            let rest = &body[at + m.len()..];
            rest[..rest.find('"').unwrap()].to_owned()
        })
        .collect()
}

/// The roster's count for a `/roster?…` link, through `/api/v1/roster` with the same query.
async fn roster_count(api: &mut Client, href: &str) -> u64 {
    let query = href.strip_prefix("/roster").unwrap();
    let j = api.get(&format!("/api/v1/roster{query}")).await.json();
    j["total"].as_u64().unwrap()
}

/// The batch of the chart tests: schools of three tiers and districts, one enterprise of each
/// kind, a tagged partnership, drafts, a submission, an acceptance.
async fn seeded(app: &TestApp) -> BatchRecord {
    let batch = open_batch(app).await;
    let a = pair(app, "图甲", "国家双高").await;
    let b = pair(app, "图乙", "中职").await;
    let c = pair(app, "图丙", "市级双高").await;
    // Another district for b's school, another kind for c's enterprise.
    let moved = |o: &shuangshi_store::OrgRecord, category: &str, district: &str| {
        let mut org = o.to_rules_org();
        org.category = category.to_owned();
        org.district = district.to_owned();
        org
    };
    let s = app.store();
    let org = moved(&b.school, "中职", "江北区");
    s.update_org(&Scope::All, b.school.id, &org, &Actor::system())
        .await
        .unwrap()
        .unwrap();
    let org = moved(&c.enterprise, "国有企业", "渝中区");
    s.update_org(&Scope::All, c.enterprise.id, &org, &Actor::system())
        .await
        .unwrap()
        .unwrap();
    filled(app, &batch, &a, &["33618"], 1, true).await;
    filled(app, &batch, &b, &["33618", "成渝地区双城经济圈"], 2, true).await;
    filled(app, &batch, &c, &[], 3, false).await;
    submit(app, &batch, &b).await;
    let sid = submit(app, &batch, &a).await;
    let mut admin = app.login(Role::Admin).await;
    // b is accepted (its people enter 待遴选); a stays 已报送.
    let b_sid = app
        .store()
        .get_submission(&Scope::All, batch.id, b.school.id)
        .await
        .unwrap()
        .unwrap()
        .id;
    let r = admin
        .post_form(&format!("/review/{b_sid}/accept"), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_ne!(sid, b_sid);
    batch
}

#[tokio::test]
async fn dashboard_charts_tables_equal_the_rosters_counts() {
    let app = TestApp::new().await;
    let batch = seeded(&app).await;
    let mut admin = app.login(Role::Admin).await;
    let (mut api, _) = app.api_client(Role::Admin).await;

    let r = admin.get("/").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let ids = chart_ids(&r.body);
    for id in [
        "targets",
        "by-tier",
        "by-district",
        "by-kind",
        "by-cluster",
        "by-status",
        "submissions",
        "selection",
    ] {
        assert!(ids.iter().any(|i| i == id), "{id} missing: {ids:?}");
    }

    // Every linked number of every chart's table is the roster's count for its filter.
    let mut checked = 0;
    for id in &ids {
        let table = between(&r.body, &format!("id=\"table-{id}\""), "</table>");
        for (href, n) in linked_numbers(table) {
            if href.starts_with("/roster") {
                assert_eq!(roster_count(&mut api, &href).await, n, "{id}: {href}");
                checked += 1;
            } else {
                assert!(href.starts_with("/selection?status="), "{href}");
            }
        }
    }
    assert!(checked >= 30, "only {checked} numbers checked");

    // The targets: 3 teachers (科技副总 each), 3 engineers (产业副院长 each), as the roster's totals.
    let totals = api.get("/api/v1/roster").await.json();
    let targets = between(&r.body, "id=\"table-targets\"", "</table>");
    for (i, t) in totals["totals"].as_array().unwrap().iter().enumerate() {
        let have = t["have"].as_u64().unwrap();
        let target = t["target"].as_u64().unwrap();
        let row = targets.split("<tr>").nth(i + 2).unwrap();
        assert!(
            row.contains(&format!(">{have} 人</a>")) && row.contains(&format!(">{target} 人<")),
            "{t} in {row}"
        );
    }
    assert_eq!(totals["total"].as_u64(), Some(6));

    // The cluster chart counts the tagged partnerships' people; the roster filters so too.
    let cluster = between(&r.body, "id=\"table-by-cluster\"", "</table>");
    let tagged = linked_numbers(cluster);
    assert!(
        tagged.contains(&("/roster?tag=33618".to_owned(), 4)),
        "{tagged:?}"
    );
    assert!(
        cluster.contains("未标注") && cluster.contains(">2 人<"),
        "{cluster}"
    );

    // The selection: the accepted school's two people wait for 遴选.
    let selection = between(&r.body, "id=\"table-selection\"", "</table>");
    assert!(
        selection.contains("<a href=\"/selection?status=pending\">2 人</a>"),
        "{selection}"
    );

    // The submissions line: two schools have submitted today, the deadline (a month ahead) marked.
    let d = app
        .app()
        .dashboard(&Scope::All, &batch, Utc::now())
        .await
        .unwrap();
    let line = d.charts.iter().find(|c| c.id == "submissions").unwrap();
    assert_eq!(line.series[0].total(), 2.0);
    assert_eq!(line.series[1].values.first(), Some(&2.0));
    assert_eq!(
        line.categories.len(),
        2,
        "today and the deadline: {:?}",
        line.categories
    );
    assert_eq!(line.marks.len(), 1, "{:?}", line.categories);
    assert_eq!(line.marks[0].category, line.categories[1]);
    assert_eq!((d.submitted_schools, d.people), (2, 6));

    // Without JavaScript the tables are the page: the canvases stay hidden until the script runs;
    // the scripts are our own files (no CDN), served.
    let at = r.body.find("data-chart=\"").unwrap() + "data-chart=\"".len();
    let raw = &r.body[at..at + r.body[at..].find('"').unwrap()];
    let data: serde_json::Value = serde_json::from_str(&unescape(raw)).unwrap();
    assert_eq!(data["id"], "targets");
    assert_eq!(data["kind"], "bar");
    assert_eq!(data["series"][0]["values"][0], 3.0);
    assert_eq!(data["series"][0]["links"][0], "/roster?direction=school");
    assert!(r.body.contains("aria-hidden=\"true\" hidden></div>"));
    assert!(r.body.contains("<caption>推荐人数与计划"));
    for asset in ["vendor/echarts/echarts.min.js", "dashboard.js"] {
        let at = r.body.find(&format!("/assets/{asset}?v=")).unwrap();
        let url = &r.body[at..at + r.body[at..].find('"').unwrap()];
        let js = admin.get(url).await;
        assert_eq!(js.status, StatusCode::OK, "{url}");
        assert!(
            js.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/javascript")
        );
    }
    assert!(!r.body.contains("<script>") && !r.body.contains("cdn"));
}

#[tokio::test]
async fn the_behind_list_names_exactly_the_units_behind() {
    let app = TestApp::new().await;
    let batch = open_batch(&app).await;
    // Submitted, no minimums: not behind; its enterprise confirmed all: not behind.
    let ok = pair(&app, "落甲", "中职").await;
    filled(&app, &batch, &ok, &[], 11, true).await;
    submit(&app, &batch, &ok).await;
    // Submitted but below the 国家双高 minimums (S03–S05).
    let low = pair(&app, "落乙", "国家双高").await;
    filled(&app, &batch, &low, &[], 12, true).await;
    submit(&app, &batch, &low).await;
    // A draft, all confirmed: the school has not submitted.
    let draft = pair(&app, "落丙", "中职").await;
    filled(&app, &batch, &draft, &[], 13, true).await;
    // Proposed, not answered: the enterprise has not confirmed, the school not submitted.
    let asked = pair(&app, "落丁", "中职").await;
    proposed(&app, &batch, &asked).await;
    // Submitted, then returned.
    let back = pair(&app, "落戊", "中职").await;
    filled(&app, &batch, &back, &[], 15, true).await;
    let sid = submit(&app, &batch, &back).await;
    let mut admin = app.login(Role::Admin).await;
    let r = admin
        .post_form(&format!("/review/{sid}/return"), &[("note", "请修改")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // Rows the enterprise has not confirmed (W02).
    let open = pair(&app, "落己", "中职").await;
    filled(&app, &batch, &open, &[], 16, false).await;
    // A 国家双高 school of the registry that has done nothing.
    let idle = app.org_named("重庆市落庚职业学院", "国家双高").await;
    // A 中职 school of the registry that has done nothing: no minimum, not expected.
    app.org_named("重庆市落辛职业学校", "中职").await;

    let d = app
        .app()
        .dashboard(&Scope::All, &batch, Utc::now())
        .await
        .unwrap();
    let got: BTreeSet<(String, Vec<Reason>)> = d
        .behind
        .iter()
        .map(|u| {
            let mut r: Vec<Reason> = u.missing.iter().map(|m| m.reason).collect();
            r.dedup();
            (u.name.clone(), r)
        })
        .collect();
    let want: BTreeSet<(String, Vec<Reason>)> = [
        (low.school.name.clone(), vec![Reason::BelowMinimum]),
        (draft.school.name.clone(), vec![Reason::NotSubmitted]),
        (asked.school.name.clone(), vec![Reason::NotSubmitted]),
        (
            asked.enterprise.name.clone(),
            vec![Reason::PartnershipUnconfirmed],
        ),
        (back.school.name.clone(), vec![Reason::Returned]),
        (open.school.name.clone(), vec![Reason::NotSubmitted]),
        (
            open.enterprise.name.clone(),
            vec![Reason::ConfirmationPending],
        ),
        (
            idle.name.clone(),
            vec![
                Reason::NoPartner,
                Reason::NotSubmitted,
                Reason::BelowMinimum,
            ],
        ),
    ]
    .into_iter()
    .collect();
    assert_eq!(got, want);

    // The minimums as the rules word them (S03–S05), a W02 with the names.
    let low_unit = d.behind.iter().find(|u| u.name == low.school.name).unwrap();
    let rules: BTreeSet<&str> = low_unit.missing.iter().filter_map(|m| m.rule).collect();
    assert_eq!(rules, ["S03", "S04", "S05"].into_iter().collect());
    assert!(
        low_unit
            .missing
            .iter()
            .any(|m| m.text.contains("为国家双高院校，派出 1 人，少于下限 6 人")),
        "{low_unit:?}"
    );
    let idle_unit = d.behind.iter().find(|u| u.name == idle.name).unwrap();
    assert!(
        idle_unit
            .missing
            .iter()
            .any(|m| m.text.contains("派出 0 人，少于下限 6 人")),
        "{idle_unit:?}"
    );
    let w02 = d
        .behind
        .iter()
        .find(|u| u.name == open.enterprise.name)
        .unwrap();
    assert!(
        w02.missing[0]
            .text
            .contains("有 2 人尚未经企业确认：张三、李四")
            && w02.missing[0].rule == Some("W02"),
        "{w02:?}"
    );

    // The page lists exactly those units.
    let r = admin.get("/").await;
    let table = between(
        &r.body,
        "<table class=\"table table-sm data-table\" id=\"behind\">",
        "</table>",
    );
    let orgs: BTreeSet<i64> = table
        .match_indices("data-org=\"")
        .map(|(at, m)| {
            let rest = &table[at + m.len()..];
            rest[..rest.find('"').unwrap()].parse().unwrap()
        })
        .collect();
    let want_orgs: BTreeSet<i64> = d.behind.iter().map(|u| u.org_id).collect();
    assert_eq!(orgs, want_orgs);
    assert_eq!(orgs.len(), 8);
    assert!(table.contains("报送已被退回，尚未重新报送") && table.contains("未达人数下限"));
    assert!(!table.contains(&ok.school.name) && !table.contains(&ok.enterprise.name));
}

#[tokio::test]
async fn the_school_and_the_enterprise_see_their_standing_and_next_step() {
    let app = TestApp::new().await;
    let batch = open_batch(&app).await;
    let p = pair(&app, "台甲", "国家双高").await;
    filled(&app, &batch, &p, &[], 21, false).await;

    let mut school = app.login_as(&p.school_user, PASSWORD).await;
    let r = school.get("/").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("本校推荐情况")
            && r.body.contains("学校类别：<strong>国家双高</strong>")
            && r.body.contains("1 人 / 1 人")
            && r.body.contains("下限 6 人")
            && r.body.contains("S03")
            && r.body.contains("剩余 29 天"),
        "{}",
        r.body
    );
    // The next thing: the errors first (S03–S05 block submitting), then W02.
    let next = between(&r.body, "todo-item todo-next", "</li>");
    assert!(next.contains("处错误，改正后才能报送"), "{next}");
    assert!(r.body.contains("尚未经企业确认") && r.body.contains("W02"));

    let mut ent = app.login_as(&p.enterprise_user, PASSWORD).await;
    let r = ent.get("/").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("本单位确认情况")
            && r.body
                .contains("0 人 <span class=\"gauge-min\">/ 涉及本单位 2 人")
            && r.body.contains(&p.school.name),
        "{}",
        r.body
    );
    let next = between(&r.body, "todo-item todo-next", "</li>");
    assert!(next.contains("2 人涉及本单位、尚未确认") && next.contains("/confirmations"));

    // A school with no partner yet: propose one.
    let q = pair(&app, "台乙", "中职").await;
    let mut school = app.login_as(&q.school_user, PASSWORD).await;
    let r = school.get("/").await;
    let next = between(&r.body, "todo-item todo-next", "</li>");
    assert!(
        next.contains("提出合作") && next.contains("/partners/new"),
        "{next}"
    );
    // Only the commission gets the charts.
    assert!(!r.body.contains("data-chart") && !r.body.contains("echarts"));
}
