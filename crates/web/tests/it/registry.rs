//! The clerk's 单位名录, review and print screens (issue 12): 新增 · 编辑 · 删除 · 导出 of an
//! organisation (删除 refused, saying what, while anything references it; every change audited;
//! CSRF on every POST), the review page naming cells 「第7行·J列（手机号码）」 and showing the scan
//! inline, and the print view's rules for sealing.

use axum::http::{StatusCode, header};
use chrono::Utc;
use shuangshi_rules::{Batch, FindingRecord, Severity, Tally};
use shuangshi_store::{
    Actor, AuditFilter, PageRequest, Role, Scope, SnapReport, SubmitRequest, User,
};

use crate::school::{engineer, open_batch, pair, partner, prepared, teacher, xlsx};
use crate::support::{Client, Part, TestApp};

/// A valid 统一社会信用代码.
fn valid_uscc() -> String {
    shuangshi_rules::text::uscc_with_check_digit("91500000MA5U7AL9P").unwrap()
}

async fn audited(app: &TestApp, user: &User, action: &str) -> u64 {
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

/// The list page after a redirect (its flash shows there).
async fn list(admin: &mut Client) -> String {
    let r = admin.get("/admin/orgs").await;
    assert_eq!(r.status, StatusCode::OK);
    r.body
}

#[tokio::test]
async fn an_org_is_added_edited_and_deleted_each_audited() {
    let app = TestApp::new().await;
    let mut admin = app.login(Role::Admin).await;
    let me = admin.user.clone().unwrap();

    // The list offers 新增 first, then 导入, 导出, 下载模板.
    let page = list(&mut admin).await;
    let new = page.find(r#"href="/admin/orgs/new""#).unwrap();
    let import = page.find("data-bs-target=\"#org-import\"").unwrap();
    let export = page.find(r#"href="/admin/orgs/export.xlsx""#).unwrap();
    assert!(new < import && import < export, "toolbar order");

    let form = admin.get("/admin/orgs/new").await;
    assert_eq!(form.status, StatusCode::OK);
    for label in [
        "单位名称",
        "单位性质",
        "学校类别",
        "企业类别",
        "隶属关系（主管部门）",
        "统一社会信用代码",
        "所在区县",
    ] {
        assert!(form.body.contains(label), "{label} missing on 新增");
    }

    let code = valid_uscc();
    let r = admin
        .post_form(
            "/admin/orgs",
            &[
                ("name", "重庆新增职业技术学院"),
                ("kind", "school"),
                ("category", "市级双高"),
                ("affiliation", "市教委"),
                ("credit_code", &code),
                ("district", "沙坪坝区"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), "/admin/orgs");
    let org = app
        .store()
        .find_org_by_name(&Scope::All, "重庆新增职业技术学院")
        .await
        .unwrap()
        .unwrap();
    assert!(org.is_school);
    assert_eq!(
        (
            org.category.as_str(),
            org.credit_code.as_str(),
            org.district.as_str()
        ),
        ("市级双高", code.as_str(), "沙坪坝区")
    );
    let page = list(&mut admin).await;
    assert!(page.contains("已新增「重庆新增职业技术学院」"));
    // Each row: 编辑 links to the edit page, 删除 goes through the confirmation dialog.
    assert!(page.contains(&format!(r#"href="/admin/orgs/{}""#, org.id)));
    let del = format!(r#"action="/admin/orgs/{}/delete""#, org.id);
    let at = page.find(&del).unwrap();
    assert!(page[at..at + 400].contains("data-confirm="));

    // Refusals name the field and what is accepted; nothing is stored.
    for (fields, expected) in [
        (
            vec![("name", " "), ("category", "国有企业")],
            "「单位名称」不能为空",
        ),
        (
            vec![("name", "重庆某公司"), ("category", "")],
            "「单位类别」未选择；应为学校类别",
        ),
        (
            vec![
                ("name", "重庆某公司"),
                ("kind", "school"),
                ("category", "国有企业"),
            ],
            "单位性质选了「学校」，但「单位类别」「国有企业」是企业类别",
        ),
        (
            vec![
                ("name", "重庆某公司"),
                ("category", "国有企业"),
                ("credit_code", "123"),
            ],
            "「统一社会信用代码」「123」校验不通过",
        ),
        (
            vec![("name", "重庆新增职业技术学院"), ("category", "国家双高")],
            "单位名称「重庆新增职业技术学院」已存在",
        ),
    ] {
        let r = admin.post_form("/admin/orgs", &fields).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}");
        assert!(r.body.contains(expected), "{expected}: {}", r.body);
        assert!(r.body.contains("is-invalid"));
    }
    assert!(
        app.store()
            .find_org_by_name(&Scope::All, "重庆某公司")
            .await
            .unwrap()
            .is_none()
    );

    // 编辑.
    let edit = admin.get(&format!("/admin/orgs/{}", org.id)).await;
    assert_eq!(edit.status, StatusCode::OK);
    assert!(edit.body.contains(r#"value="school" checked"#));
    let r = admin
        .post_form(
            &format!("/admin/orgs/{}", org.id),
            &[
                ("name", "重庆新增职业技术学院"),
                ("kind", "school"),
                ("category", "国家双高"),
                ("affiliation", "市教委"),
                ("credit_code", ""),
                ("district", "北碚区"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let again = app
        .store()
        .get_org(&Scope::All, org.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (again.category.as_str(), again.district.as_str()),
        ("国家双高", "北碚区")
    );

    // 删除 of an organisation nothing references.
    let r = admin
        .post_form(&format!("/admin/orgs/{}/delete", org.id), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        app.store()
            .get_org(&Scope::All, org.id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        list(&mut admin)
            .await
            .contains("已删除「重庆新增职业技术学院」")
    );
    let r = admin
        .post_form(&format!("/admin/orgs/{}/delete", org.id), &[])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    for action in ["org.create", "org.update", "org.delete"] {
        assert_eq!(audited(&app, &me, action).await, 1, "{action}");
    }
}

#[tokio::test]
async fn a_referenced_org_is_not_deleted_and_the_refusal_says_why() {
    let app = TestApp::new().await;
    let batch = open_batch(&app).await;
    let p = pair(&app, "引用", "中职").await;
    partner(&app, &batch, &p).await;
    let lonely_school = app.org(true).await;
    app.user_in(Role::SchoolOfficer, Some(lonely_school.id))
        .await;
    let mut admin = app.login(Role::Admin).await;
    let me = admin.user.clone().unwrap();

    let r = admin
        .post_form(&format!("/admin/orgs/{}/delete", p.enterprise.id), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = list(&mut admin).await;
    assert!(
        page.contains(&format!(
            "「{}」仍被引用：账户 1 个、合作关系 1 个（推荐表 1 张），不能删除",
            p.enterprise.name
        )),
        "{page}"
    );
    assert!(
        app.store()
            .get_org(&Scope::All, p.enterprise.id)
            .await
            .unwrap()
            .is_some()
    );

    let r = admin
        .post_form(&format!("/admin/orgs/{}/delete", lonely_school.id), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = list(&mut admin).await;
    assert!(page.contains(&format!(
        "「{}」仍被引用：账户 1 个，不能删除",
        lonely_school.name
    )));
    assert!(
        app.store()
            .get_org(&Scope::All, lonely_school.id)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(audited(&app, &me, "org.delete").await, 0);
}

#[tokio::test]
async fn every_registry_post_needs_the_csrf_token_and_the_admin() {
    let app = TestApp::new().await;
    let org = app.org(false).await;
    let mut admin = app.login(Role::Admin).await;
    let create = [("name", "重庆无令牌有限公司"), ("category", "国有企业")];
    let r = admin.post_form_raw("/admin/orgs", &create).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = admin
        .post_form_raw(
            "/admin/orgs",
            &[
                ("_csrf", "wrong"),
                ("name", "重庆无令牌有限公司"),
                ("category", "国有企业"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = admin
        .post_form_raw(&format!("/admin/orgs/{}/delete", org.id), &[])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(
        app.store()
            .find_org_by_name(&Scope::All, "重庆无令牌有限公司")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        app.store()
            .get_org(&Scope::All, org.id)
            .await
            .unwrap()
            .is_some()
    );

    // Not the commission's administrator: refused whatever the token.
    let mut school = app.login(Role::SchoolOfficer).await;
    for path in ["/admin/orgs/new", "/admin/orgs/export.xlsx"] {
        assert_eq!(
            school.get(path).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    let r = school
        .post_form(&format!("/admin/orgs/{}/delete", org.id), &[])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(
        app.store()
            .get_org(&Scope::All, org.id)
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn the_export_is_the_filtered_list_in_the_import_columns_and_reimports_unchanged() {
    let app = TestApp::new().await;
    let a = app.org_named("重庆导出甲职业学院", "国家双高").await;
    let b = app.org_named("重庆导出乙职业学院", "国家双高").await;
    let c = app.org_named("重庆导出丙科技有限公司", "国有企业").await;
    let mut admin = app.login(Role::Admin).await;
    let me = admin.user.clone().unwrap();

    // The toolbar's 导出 keeps the filters.
    let page = admin
        .get("/admin/orgs?category=%E5%9B%BD%E5%AE%B6%E5%8F%8C%E9%AB%98")
        .await;
    assert!(page.body.contains(
        r#"href="/admin/orgs/export.xlsx?category=%E5%9B%BD%E5%AE%B6%E5%8F%8C%E9%AB%98""#
    ));

    let r = admin
        .get("/admin/orgs/export.xlsx?category=%E5%9B%BD%E5%AE%B6%E5%8F%8C%E9%AB%98")
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    assert!(
        r.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    // Read back with the import's own reader: the filtered organisations, nothing else.
    let registry = shuangshi_sheet::orgs::parse_registry(
        "单位名录.xlsx",
        &r.bytes,
        &Batch::batch10(),
        &shuangshi_sheet::guard::Limits::default(),
    )
    .unwrap();
    let names: Vec<&str> = registry.orgs().iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.contains(&a.name.as_str()) && names.contains(&b.name.as_str()));
    assert!(!names.contains(&c.name.as_str()));
    let got = registry.find(&a.name).unwrap();
    assert_eq!(
        (
            got.category.as_str(),
            got.affiliation.as_str(),
            got.district.as_str()
        ),
        ("国家双高", "市教委", "渝中区")
    );
    assert_eq!(audited(&app, &me, "export.orgs").await, 1);

    // The whole export goes back through 导入 as 「不变」.
    let all = admin.get("/admin/orgs/export.xlsx").await;
    assert_eq!(all.status, StatusCode::OK);
    let csrf = admin.csrf.clone();
    let r = admin
        .post_multipart(
            "/admin/orgs/import",
            &[
                Part::text("_csrf", &csrf),
                Part::file("file", "单位名录.xlsx", &all.bytes),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("共 3 个单位：新增 0，更新 0，不变 3"),
        "{}",
        r.body
    );
}

/// Submits the school's forms through the store with one finding about cell J7 (手机号码).
async fn submit_with_cell_finding(
    app: &TestApp,
    batch_id: i64,
    school_id: i64,
    enterprise: &str,
) -> i64 {
    let forms = app
        .store()
        .school_forms(&Scope::All, batch_id, school_id)
        .await
        .unwrap();
    let report = SnapReport {
        findings: vec![FindingRecord {
            rule: "F06".into(),
            severity: Severity::Error,
            file: None,
            sheet: None,
            row: Some(7),
            column: Some("手机号码".into()),
            value: Some("1380013800".into()),
            school: None,
            message: format!(
                "「{enterprise}」第 1 人（张三）「手机号码」列（J7）不是 11 位手机号码"
            ),
            clause: "附件".into(),
            cell: Some("J7".into()),
        }],
        tally: Tally::default(),
    };
    let req = SubmitRequest {
        batch_id,
        school_id,
        report,
        checked: forms.iter().map(|f| (f.id, f.version)).collect(),
    };
    app.store()
        .submit(
            &Scope::School(school_id),
            &req,
            Utc::now(),
            &Actor::system(),
        )
        .await
        .unwrap()
        .unwrap()
        .submission_id
}

#[tokio::test]
async fn review_names_cells_in_chinese_and_shows_the_scan_inline() {
    let app = TestApp::new().await;
    let batch = open_batch(&app).await;
    let p = pair(&app, "审阅", "中职").await;
    let (_, form) = prepared(&app, &batch, &p).await;
    let sid = submit_with_cell_finding(&app, batch.id, p.school.id, &p.enterprise.name).await;
    let mut admin = app.login(Role::Admin).await;

    let r = admin.get(&format!("/review/{sid}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("第7行·J列（手机号码）"), "{}", r.body);
    // The bare address, which reads like a rule ID, is gone from the place and the message.
    assert!(!r.body.contains("（J7）") && !r.body.contains("(J7)"));
    assert!(r.body.contains("不是 11 位手机号码"));

    // The scan: shown in the page (an image), viewable in a new tab, and still downloadable.
    let scan = app
        .store()
        .latest_scan(&Scope::All, form.id)
        .await
        .unwrap()
        .unwrap();
    let inline = format!("/scans/{}?inline=1", scan.id);
    assert!(r.body.contains(&format!(
        r#"<img class="img-fluid img-thumbnail" src="{inline}""#
    )));
    assert!(r.body.contains(&format!(r#"href="/scans/{}""#, scan.id)));
    let view = admin.get(&inline).await;
    assert_eq!(view.status, StatusCode::OK);
    assert_eq!(view.headers[header::CONTENT_TYPE], "image/png");
    assert!(
        view.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("inline")
    );
    let download = admin.get(&format!("/scans/{}", scan.id)).await;
    assert!(
        download.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    assert_eq!(view.bytes, download.bytes);
}

#[tokio::test]
async fn finding_lists_name_cells_in_chinese() {
    let app = TestApp::new().await;
    let batch = open_batch(&app).await;
    let p = pair(&app, "单元格", "中职").await;
    let fid = partner(&app, &batch, &p).await;
    let mut school = app.login_as(&p.school_user, crate::support::PASSWORD).await;
    let bad = xlsx(
        &p,
        &[teacher(&p, "1380013800"), engineer(&p, "13900139000")],
    );
    let r = school
        .post_multipart(
            &format!("/forms/{fid}/import"),
            &[Part::file("file", "推荐表.xlsx", &bad)],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body
            .contains(r#"<span class="finding-where">第5行·J列（手机号码）</span>"#),
        "{}",
        r.body
    );
    assert!(!r.body.contains("手机号码（J5）"));
}

#[test]
fn cell_places_read_as_row_column_and_header() {
    use shuangshi_web::submissions::snapshot::cell_place;
    assert_eq!(
        cell_place(Some(5), "手机号码", Some("R5")),
        "第5行·R列（手机号码）"
    );
    assert_eq!(
        cell_place(None, "开户行", Some("S6")),
        "第6行·S列（开户行）"
    );
    assert_eq!(
        cell_place(Some(12), "账号", Some("AB12")),
        "第12行·AB列（账号）"
    );
    assert_eq!(cell_place(Some(5), "姓名", None), "姓名");
}

#[tokio::test]
async fn the_print_view_keeps_seals_with_the_table_numbers_whole_and_pages_numbered() {
    let app = TestApp::new().await;
    let batch = open_batch(&app).await;
    let p = pair(&app, "打印", "中职").await;
    let (_, form) = prepared(&app, &batch, &p).await;
    let mut school = app.login_as(&p.school_user, crate::support::PASSWORD).await;

    let r = school.get(&format!("/forms/{}/print", form.id)).await;
    assert_eq!(r.status, StatusCode::OK);
    let html = &r.body;
    // The version stamp is a row of the repeated <thead>; the seal blocks are the table's last
    // row group; account and mobile numbers are `cell-number`.
    let thead = &html[html.find("<thead>").unwrap()..html.find("</thead>").unwrap()];
    assert!(
        thead.contains("sheet-stamp") && thead.contains(&format!("推荐表第 {} 版", form.version))
    );
    let end = html.find(r#"<tbody class="sheet-end">"#).unwrap();
    let table_end = html.find("</table>").unwrap();
    let seals = html.find("sheet-seals").unwrap();
    assert!(
        end < seals && seals < table_end,
        "seal blocks inside the table's last group"
    );
    assert!(html.contains(r#"class="sheet-last-row""#));
    assert_eq!(
        html.matches(r#"<td class="cell-number">"#).count(),
        2 * form.rows.len()
    );
    assert!(html.contains("<colgroup>"));

    let start = html.find("/assets/print.css?v=").unwrap();
    let href = &html[start..start + html[start..].find('"').unwrap()];
    let css = school.get(href).await;
    assert_eq!(css.status, StatusCode::OK);
    let css = css.body;
    for rule in [
        "@bottom-center",
        r#"content: "第 " counter(page) " 页"#,
        "tbody.sheet-end { break-before: avoid",
        ".sheet-last-row { break-after: avoid",
        "break-inside: avoid",
        ".sheet-table thead { display: table-header-group; }",
        "white-space: nowrap; word-break: keep-all",
        "size: A4 landscape",
    ] {
        assert!(css.contains(rule), "print.css lacks {rule}");
    }
}
