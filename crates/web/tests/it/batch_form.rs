//! 批次设置's parameter form: Chinese labels, no raw TOML keys or ISO timestamps in view, field
//! messages on refused values with nothing stored, TOML export → import, CSRF, the registry's
//! schools for an extension, the confirmation of 新建.

use axum::http::{StatusCode, header};
use shuangshi_rules::Batch;
use shuangshi_store::Role;

use crate::support::{Client, Part, TestApp};

/// The page without the collapsed 高级 section, the tags and their attributes: what a clerk reads.
fn visible_text(body: &str) -> String {
    let mut html = body.to_owned();
    if let Some(start) = html.find("<details class=\"add-row param-advanced\"") {
        let end = html[start..]
            .find("</details>")
            .map_or(html.len(), |e| start + e + "</details>".len());
        html.replace_range(start..end, "");
    }
    // Scripts and styles are not read either.
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    text
}

/// The page without the 高级 section, tags included (for attribute values like `value="…"`).
fn outside_advanced(body: &str) -> String {
    match body.find("<details class=\"add-row param-advanced\"") {
        Some(start) => {
            let end = body[start..]
                .find("</details>")
                .map_or(body.len(), |e| start + e);
            format!("{}{}", &body[..start], &body[end..])
        }
        None => body.to_owned(),
    }
}

/// A signed-in administrator and a new 第十批 (筹备中): the client and the batch's page path.
async fn draft_batch(app: &TestApp) -> (Client, String, i64) {
    let mut admin = app.login(Role::Admin).await;
    let r = admin.post_form("/admin/batches", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let path = r.location().to_owned();
    let id: i64 = path.rsplit('/').next().unwrap().parse().unwrap();
    (admin, path, id)
}

async fn stored(app: &TestApp, id: i64) -> Batch {
    app.store().get_batch(id).await.unwrap().unwrap().params
}

#[tokio::test]
async fn the_form_is_in_chinese_with_no_toml_keys_or_iso_timestamps_in_view() {
    let app = TestApp::new().await;
    let (mut admin, path, id) = draft_batch(&app).await;

    // A deadline with nanoseconds, as the demo's seeding stores one.
    let text = toml::to_string(&stored(&app, id).await)
        .unwrap()
        .lines()
        .map(|l| {
            if l.starts_with("deadline = ") {
                "deadline = \"2027-01-01T03:50:55.620293293+08:00\"".to_owned()
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let r = admin.post_form(&path, &[("toml", &text)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    let page = admin.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    for label in [
        "批次编号",
        "批次名称",
        "交流时间",
        "报送截止时间",
        "补助标准（元/人）",
        "全市目标人数",
        "各类学校最低人数",
        "国家双高",
        "派出教师",
        "其中挂任科技副总",
        "学校教师到企业的岗位",
        "公示工作日数",
        "异议联系方式",
        "聘期开始日",
        "催办：截止前天数",
        "导出参数（TOML）",
        "导入参数（TOML）",
    ] {
        assert!(page.body.contains(label), "no {label}");
    }
    assert!(page.body.contains(r#"type="datetime-local""#));
    assert!(page.body.contains(r#"value="2027-01-01T03:50""#));
    assert!(page.body.contains(r#"type="date""#));
    let seen = visible_text(&page.body);
    let outside = outside_advanced(&page.body);
    for raw in [
        "school_to_enterprise",
        "tech_vice_president",
        "min_sent",
        "min_received",
        "subsidy_per_person",
        "not_submitted_days",
        "working_days",
        "term_schedule",
        "[[tiers]]",
        "deadline =",
    ] {
        assert!(!seen.contains(raw), "raw key {raw} in view");
    }
    assert!(!outside.contains("620293293"), "nanoseconds outside 高级");
    assert!(!outside.contains("+08:00"), "ISO offset outside 高级");
    // The 高级 section is collapsed and holds the TOML.
    assert!(
        page.body
            .contains(r#"<details class="add-row param-advanced" id="params-advanced">"#)
    );

    // Open: the same fields, read-only, the deadline in Chinese.
    let r = admin.post_form(&format!("{path}/open"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = admin.get(&path).await;
    assert!(page.body.contains("2027年1月1日 03:50"));
    assert!(page.body.contains("补助标准（元/人）") && page.body.contains("¥10,000"));
    assert!(
        !page.body.contains(r#"name="deadline""#),
        "open batch is read-only"
    );
    assert!(!page.body.contains(r#"name="toml""#), "no import once open");
    let outside = outside_advanced(&page.body);
    assert!(!outside.contains("620293293") && !outside.contains("+08:00"));
    let seen = visible_text(&page.body);
    assert!(!seen.contains("min_sent") && !seen.contains("deadline ="));

    // A save posted anyway is refused and changes nothing.
    let before = stored(&app, id).await;
    let r = admin
        .post_form(&path, &[("subsidy_per_person", "20000")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("只有筹备中的批次可以修改参数"),
        "{}",
        r.body
    );
    assert_eq!(stored(&app, id).await, before);
}

#[tokio::test]
async fn saving_a_deadline_a_tier_minimum_and_posts_changes_the_stored_batch() {
    let app = TestApp::new().await;
    let (mut admin, path, id) = draft_batch(&app).await;
    let before = stored(&app, id).await;
    assert_eq!(before.tiers[0].name, "国家双高");

    let r = admin
        .post_form(
            &path,
            &[
                ("deadline", "2098-06-30T17:00"),
                ("tier_0_name", "国家双高"),
                ("tier_0_min_sent", "8"),
                ("tier_1_min_school_senior", "３"),
                ("subsidy_per_person", "12,000"),
                ("posts_school", "科技副总\r\n工程师\r\n技术顾问\r\n"),
                ("schedule_starts", ""),
                ("schedule_ends", ""),
                ("schedule_arrival_due", ""),
                ("schedule_assessment_due", ""),
                ("schedule_use_report_due", ""),
                ("reminders_not_submitted_days", "10"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let after = stored(&app, id).await;
    assert_eq!(after.deadline.to_rfc3339(), "2098-06-30T17:00:00+08:00");
    assert_eq!(after.tiers[0].min_sent, 8);
    assert_eq!(after.tiers[1].min_school_senior, 3);
    assert_eq!(after.subsidy_per_person, 12_000);
    assert_eq!(after.posts.school, ["科技副总", "工程师", "技术顾问"]);
    assert_eq!(after.reminders.not_submitted_days, 10);
    // Empty dates: the schedule is derived from the term again.
    assert_eq!(after.term_schedule, None);
    // Everything the form did not carry is as it was.
    let mut expected = before.clone();
    expected.deadline = after.deadline;
    expected.tiers[0].min_sent = 8;
    expected.tiers[1].min_school_senior = 3;
    expected.subsidy_per_person = 12_000;
    expected.posts.school = after.posts.school.clone();
    expected.reminders.not_submitted_days = 10;
    expected.term_schedule = None;
    assert_eq!(after, expected);

    let page = admin.get(&path).await;
    assert!(page.body.contains("2098年6月30日 17:00"));
    assert!(page.body.contains("的参数已保存"));

    // A typed schedule date is kept; the others come from the term.
    let r = admin
        .post_form(&path, &[("schedule_starts", "2024-02-26")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let s = stored(&app, id).await.term_schedule.unwrap();
    assert_eq!(s.starts.to_string(), "2024-02-26");
    assert_eq!(s.ends.to_string(), "2024-07-15");
}

#[tokio::test]
async fn bad_values_are_refused_on_their_fields_and_nothing_is_stored() {
    let app = TestApp::new().await;
    let (mut admin, path, id) = draft_batch(&app).await;
    let before = stored(&app, id).await;

    let r = admin
        .post_form(
            &path,
            &[
                ("subsidy_per_person", "一万"),
                ("tier_1_name", "市级双高"),
                ("tier_1_min_received", "-1"),
                ("deadline", "明天下午"),
                ("term", "明年春天"),
                ("schedule_ends", "2024-13-45"),
                ("posts_enterprise", "专业教师"),
                ("tier_0_min_sent", "8"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let b = &r.body;
    assert!(b.contains(r#"id="params-form-error""#));
    assert!(b.contains("有 6 处填写有误"), "{b}");
    assert!(
        b.contains("补助标准（元/人）「一万」不是数字；请填写 0 到 1000000 之间的整数"),
        "{b}"
    );
    assert!(
        b.contains("「市级双高」接收企业人员最低人数「-1」不能为负数"),
        "{b}"
    );
    assert!(b.contains("报送截止时间「明天下午」不是日期时间"), "{b}");
    assert!(b.contains("交流时间「明年春天」无法识别"), "{b}");
    assert!(b.contains("聘期结束日「2024-13-45」不是日期"), "{b}");
    assert!(
        b.contains("企业人员到学校的岗位须包含「产业副院长」"),
        "{b}"
    );
    // Each message sits under its own field, the typed values kept.
    let at = |needle: &str| b.find(needle).unwrap_or_else(|| panic!("no {needle}"));
    assert!(at(r#"id="p-subsidy-per-person""#) < at("「一万」不是数字"));
    assert!(at("「一万」不是数字") < at(r#"id="p-target-school-to-enterprise""#));
    assert!(b.contains(r#"value="一万""#) && b.contains(r#"value="-1""#));
    assert!(
        b.contains(r#"value="8""#),
        "an accepted value is kept as typed too"
    );
    assert!(b.contains(r#"aria-describedby="p-tier-1-min-received-error""#));
    assert_eq!(stored(&app, id).await, before, "nothing stored");

    // A name that contradicts the number.
    let r = admin.post_form(&path, &[("name", "第十一批")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("批次名称「第十一批」与批次编号 10 不一致"),
        "{}",
        r.body
    );
    assert_eq!(stored(&app, id).await, before);
}

#[tokio::test]
async fn toml_export_then_import_round_trips() {
    let app = TestApp::new().await;
    let (mut admin, path, id) = draft_batch(&app).await;
    let before = stored(&app, id).await;

    let r = admin.get(&format!("{path}/params.toml")).await;
    assert_eq!(r.status, StatusCode::OK);
    let ct = r
        .headers
        .get(header::CONTENT_TYPE)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(ct.starts_with("application/toml"), "{ct}");
    let cd = r
        .headers
        .get(header::CONTENT_DISPOSITION)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        cd.starts_with("attachment;") && cd.contains("batch-10.toml"),
        "{cd}"
    );
    assert_eq!(Batch::from_toml(&r.body).unwrap(), before);

    // The exported file, unchanged, imports to the same parameters.
    let r = admin
        .post_multipart(
            &format!("{path}/import"),
            &[Part::file("file", "第十批参数.toml", r.body.as_bytes())],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(stored(&app, id).await, before);

    // Edited, it changes the batch; the form shows the new value.
    let export = admin.get(&format!("{path}/params.toml")).await.body;
    let edited = export.replace("subsidy_per_person = 10000", "subsidy_per_person = 15000");
    assert_ne!(edited, export);
    let r = admin
        .post_multipart(&format!("{path}/import"), &[Part::text("toml", &edited)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(stored(&app, id).await.subsidy_per_person, 15_000);
    assert!(admin.get(&path).await.body.contains(r#"value="15000""#));

    // A broken file is refused in the 高级 section, opened, and nothing changes.
    let r = admin
        .post_multipart(
            &format!("{path}/import"),
            &[Part::file("file", "坏.toml", b"number = \"ten\"")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains(r#"id="params-error""#));
    assert!(r.body.contains(r#"id="params-advanced" open"#));
    assert_eq!(stored(&app, id).await.subsidy_per_person, 15_000);
    let r = admin
        .post_multipart(
            &format!("{path}/import"),
            &[Part::file("file", "gbk.toml", &[0xb5, 0xda, 0xca, 0xae])],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("不是 UTF-8 编码的文本"));
}

#[tokio::test]
async fn every_change_needs_the_csrf_token() {
    let app = TestApp::new().await;
    let (mut admin, path, id) = draft_batch(&app).await;
    let before = stored(&app, id).await;

    let r = admin
        .post_form_raw(&path, &[("subsidy_per_person", "20000")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = admin
        .post_form_raw(
            &path,
            &[("_csrf", "forged"), ("subsidy_per_person", "20000")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let export = admin.get(&format!("{path}/params.toml")).await.body;
    let edited = export.replace("subsidy_per_person = 10000", "subsidy_per_person = 20000");
    let mut forger = admin.clone();
    forger.csrf = String::new();
    let r = forger
        .post_multipart(&format!("{path}/import"), &[Part::text("toml", &edited)])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = forger
        .post_multipart(
            &format!("{path}/import"),
            &[Part::text("_csrf", "forged"), Part::text("toml", &edited)],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(stored(&app, id).await, before);

    // With the token, the same change is taken.
    let r = admin
        .post_form(&path, &[("subsidy_per_person", "20000")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(stored(&app, id).await.subsidy_per_person, 20_000);
}

#[tokio::test]
async fn new_batches_are_confirmed_and_extensions_pick_a_registry_school() {
    let app = TestApp::new().await;
    let school = app.org(true).await;
    let enterprise = app.org(false).await;
    let mut admin = app.login(Role::Admin).await;
    let r = admin.get("/admin/batches").await;
    assert!(
        r.body
            .contains("data-confirm=\"将以内置的第十批参数创建第十批（草稿"),
        "{}",
        r.body
    );
    let r = admin.post_form("/admin/batches", &[]).await;
    let path = r.location().to_owned();
    let r = admin.get("/admin/batches").await;
    assert!(
        r.body
            .contains("data-confirm=\"将以第十批的参数为模板创建第十一批（草稿"),
        "{}",
        r.body
    );
    assert!(r.body.contains("学校在开放报送前看不到"));

    let page = admin.get(&path).await;
    assert!(
        page.body
            .contains(r#"<input id="ext-school" name="school""#)
            && page.body.contains(r#"data-org-picker="school""#),
        "the school is chosen with the registry's picker"
    );

    let r = admin
        .post_form(
            &format!("{path}/extensions"),
            &[("school", "不存在的学校"), ("deadline", "2099-12-31T17:00")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body
            .contains("单位名录中没有学校「不存在的学校」，最接近的登记名称是")
    );
    let r = admin
        .post_form(
            &format!("{path}/extensions"),
            &[
                ("school", &enterprise.name),
                ("deadline", "2099-12-31T17:00"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = admin
        .post_form(
            &format!("{path}/extensions"),
            &[("school", &school.name), ("deadline", "下周")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("延至「下周」不是日期时间"));
    assert!(
        r.body.contains(&format!(r#"value="{}""#, school.name)),
        "the chosen school stays chosen"
    );
    let r = admin
        .post_form(
            &format!("{path}/extensions"),
            &[("school", &school.name), ("deadline", "2099-12-31T17:00")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(admin.get(&path).await.body.contains("2099年12月31日 17:00"));
}
