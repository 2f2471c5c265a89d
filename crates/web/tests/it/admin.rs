//! The administrator's pages: accounts, batches, the registry, the audit log.

use axum::http::StatusCode;
use shuangshi_store::Role;

use crate::support::{Part, TestApp};

fn between<'a>(body: &'a str, start: &str, end: &str) -> &'a str {
    let i = body.find(start).map(|i| i + start.len()).unwrap_or(0);
    let j = body[i..].find(end).map_or(body.len(), |j| i + j);
    &body[i..j]
}

#[tokio::test]
async fn accounts_are_created_reset_disabled_and_unlocked() {
    let app = TestApp::new().await;
    let school = app.org(true).await;
    let mut admin = app.login(Role::Admin).await;

    let list = admin.get("/admin/accounts").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("账号管理") && list.body.contains("新增账号"));

    // An officer needs an organisation of the registry.
    let r = admin
        .post_form(
            "/admin/accounts",
            &[
                ("username", "wang"),
                ("display_name", "王老师"),
                ("role", "school_officer"),
                ("org", "没有这个学校"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains(&format!(
            "单位名录中没有学校「没有这个学校」，最接近的登记名称是「{}」",
            school.name
        )),
        "{}",
        r.body
    );
    let r = admin
        .post_form(
            "/admin/accounts",
            &[
                ("username", "wang"),
                ("display_name", "王老师"),
                ("role", "school_officer"),
                ("org", &school.name),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let password = between(&r.body, r#"<code id="one-time-password">"#, "</code>").to_owned();
    assert!(password.len() >= 12, "{password}");

    // The new account signs in with it and must change it first.
    let mut wang = app.anon();
    let r = wang
        .post_form_raw("/login", &[("username", "wang"), ("password", &password)])
        .await;
    assert_eq!(r.location(), "/password");

    // Search finds it.
    let r = admin
        .get("/admin/accounts?name=wang&role=school_officer")
        .await;
    assert!(r.body.contains("王老师") && r.body.contains(&school.name));
    let user = app
        .store()
        .get_user_by_username("wang")
        .await
        .unwrap()
        .unwrap();

    // Reset: a new one-time password; the old one no longer works.
    let r = admin
        .post_form(&format!("/admin/accounts/{}/reset", user.id), &[])
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let new_password = between(&r.body, r#"<code id="one-time-password">"#, "</code>").to_owned();
    assert_ne!(new_password, password);
    let r = app
        .anon()
        .post_form_raw("/login", &[("username", "wang"), ("password", &password)])
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    // Disable: the session ends and login fails; enable again.
    let r = admin
        .post_form(&format!("/admin/accounts/{}/disable", user.id), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(wang.get("/password").await.status, StatusCode::SEE_OTHER);
    let r = app
        .anon()
        .post_form_raw(
            "/login",
            &[("username", "wang"), ("password", &new_password)],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    admin
        .post_form(&format!("/admin/accounts/{}/enable", user.id), &[])
        .await;
    let list = admin.get("/admin/accounts?name=wang").await;
    assert!(list.body.contains("正常"));

    // Lock by five failures, shown as 已锁定, then unlock.
    for _ in 0..5 {
        app.anon()
            .post_form_raw(
                "/login",
                &[("username", "wang"), ("password", "nope-nope-nope")],
            )
            .await;
    }
    let list = admin.get("/admin/accounts?name=wang").await;
    assert!(list.body.contains("已锁定"));
    let r = admin
        .post_form(&format!("/admin/accounts/{}/unlock", user.id), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = app
        .anon()
        .post_form_raw(
            "/login",
            &[("username", "wang"), ("password", &new_password)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);

    // The admin cannot disable itself; another account's id that does not exist is 404.
    let me = admin.user.clone().unwrap();
    let r = admin
        .post_form(&format!("/admin/accounts/{}/disable", me.id), &[])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = admin.post_form("/admin/accounts/999999/reset", &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn batches_are_made_from_the_previous_edited_opened_and_extended() {
    let app = TestApp::new().await;
    let school = app.org(true).await;
    let mut admin = app.login(Role::Admin).await;
    let r = admin.get("/admin/batches").await;
    assert!(r.body.contains("从第十批参数新建"));
    let r = admin.post_form("/admin/batches", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let ten = r.location().to_owned();
    let page = admin.get(&ten).await;
    assert!(page.body.contains("第十批") && page.body.contains("筹备中"));

    // A bad parameter file is refused with the reason, and nothing changes.
    let r = admin.post_form(&ten, &[("toml", "name = 3")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains(r#"id="params-error""#));
    // The same text, edited, is taken.
    let toml = between(&page.body, "spellcheck=\"false\">", "</textarea>")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    let start = toml
        .find("deadline = ")
        .expect("deadline in the parameters");
    let end = start + toml[start..].find('\n').unwrap();
    let edited = format!(
        "{}deadline = \"2098-06-30T17:00:00+08:00\"{}",
        &toml[..start],
        &toml[end..]
    );
    let r = admin.post_form(&ten, &[("toml", &edited)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(admin.get(&ten).await.body.contains("2098年6月30日 17:00"));

    let r = admin.post_form(&format!("{ten}/open"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(admin.get(&ten).await.body.contains("报送中"));

    // An extension for a school, then removed.
    let r = admin
        .post_form(
            &format!("{ten}/extensions"),
            &[("school", &school.name), ("deadline", "2099-12-31T17:00")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = admin.get(&ten).await;
    assert!(page.body.contains(&school.name) && page.body.contains("2099年12月31日 17:00"));
    let r = admin
        .post_form(
            &format!("{ten}/extensions"),
            &[("school", "不存在的学校"), ("deadline", "2099-12-31 17:00")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = admin
        .post_form(&format!("{ten}/extensions/{}/delete", school.id), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);

    // The next batch from this one's parameters.
    let r = admin
        .post_form("/admin/batches", &[("number", "11"), ("name", "")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = admin.get(r.location()).await;
    assert!(page.body.contains("第十一批"));
    let r = admin.post_form(&format!("{ten}/close"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_registry_is_imported_after_a_preview_all_or_nothing() {
    let app = TestApp::new().await;
    let mut admin = app.login(Role::Admin).await;
    let page = admin.get("/admin/orgs").await;
    assert!(page.body.contains("导入单位名录") && page.body.contains("/admin/orgs/template.csv"));
    let t = admin.get("/admin/orgs/template.csv").await;
    assert!(t.body.contains("单位名称,单位类别"));

    // A broken list: the problems, nothing stored.
    let bad = "单位名称,单位类别,所在区县\n重庆坏数据学院,大学,渝中区\n";
    let r = admin
        .post_multipart(
            "/admin/orgs/import",
            &[Part::file("file", "坏.csv", bad.as_bytes())],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains("无法识别") && r.body.contains("未导入任何数据"),
        "{}",
        r.body
    );

    let good = "单位名称,单位类别,隶属关系,统一社会信用代码,所在区县\n\
                重庆预览职业学院,国家双高,市教委,,沙坪坝区\n\
                重庆预览科技有限公司,民营企业,市工商联,,渝北区\n";
    let r = admin
        .post_multipart(
            "/admin/orgs/import",
            &[Part::file("file", "名录.csv", good.as_bytes())],
        )
        .await;
    assert!(r.body.contains("新增 2"), "{}", r.body);
    assert!(
        app.store()
            .find_org_by_name(&shuangshi_store::Scope::All, "重庆预览职业学院")
            .await
            .unwrap()
            .is_none(),
        "preview stores nothing"
    );
    let token = between(&r.body, r#"name="token" value=""#, "\"").to_owned();
    assert_eq!(token.len(), 64, "{}", r.body);
    // A wrong token commits nothing.
    let r = admin
        .post_form("/admin/orgs/import/commit", &[("token", "x")])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = admin
        .post_multipart(
            "/admin/orgs/import",
            &[Part::file("file", "名录.csv", good.as_bytes())],
        )
        .await;
    let token2 = between(&r.body, r#"name="token" value=""#, "\"").to_owned();
    assert_ne!(token, token2);
    let r = admin
        .post_form("/admin/orgs/import/commit", &[("token", &token2)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let list = admin.get("/admin/orgs?name=预览").await;
    assert!(list.body.contains("导入完成：新增 2 个"));
    assert!(list.body.contains("重庆预览职业学院") && list.body.contains("重庆预览科技有限公司"));
    let list = admin.get("/admin/orgs?category=民营企业").await;
    assert!(list.body.contains("重庆预览科技有限公司") && !list.body.contains("重庆预览职业学院"));

    // Edit one.
    let org = app
        .store()
        .find_org_by_name(&shuangshi_store::Scope::All, "重庆预览职业学院")
        .await
        .unwrap()
        .unwrap();
    let page = admin.get(&format!("/admin/orgs/{}", org.id)).await;
    assert!(page.body.contains("编辑单位"));
    let r = admin
        .post_form(
            &format!("/admin/orgs/{}", org.id),
            &[
                ("name", "重庆预览职业学院"),
                ("category", "市级双高"),
                ("affiliation", "市教委"),
                ("credit_code", "123"),
                ("district", "沙坪坝区"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("统一社会信用代码"));
    let r = admin
        .post_form(
            &format!("/admin/orgs/{}", org.id),
            &[
                ("name", "重庆预览职业学院"),
                ("category", "市级双高"),
                ("affiliation", "市教委"),
                ("credit_code", ""),
                ("district", "沙坪坝区"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let org = app
        .store()
        .get_org(&shuangshi_store::Scope::All, org.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(org.category, "市级双高");
}

#[tokio::test]
async fn the_audit_chain_verifies_after_a_series_of_actions_and_names_a_tampered_entry() {
    let app = TestApp::new().await;
    let mut admin = app.login(Role::Admin).await;
    admin.post_form("/admin/batches", &[]).await;
    admin
        .post_form(
            "/admin/accounts",
            &[
                ("username", "chain"),
                ("display_name", "链"),
                ("role", "sasac_viewer"),
                ("org", ""),
            ],
        )
        .await;
    app.anon()
        .post_form_raw("/login", &[("username", "chain"), ("password", "wrong")])
        .await;
    let r = admin.post_form("/admin/audit/verify", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = admin.get("/admin/audit").await;
    assert!(page.body.contains("校验通过"), "{}", page.body);
    assert!(
        page.body.contains("login.failed")
            && page.body.contains("batch.create")
            && page.body.contains("user.create")
    );
    let filtered = admin.get("/admin/audit?action=login.").await;
    assert!(filtered.body.contains("login.ok") && !filtered.body.contains("batch.create"));

    app.db
        .execute("UPDATE audit_log SET detail = 'edited' WHERE id = 2")
        .await;
    admin.post_form("/admin/audit/verify", &[]).await;
    let page = admin.get("/admin/audit").await;
    assert!(
        page.body.contains("校验未通过：第 2 条审计记录"),
        "{}",
        page.body
    );
}
