//! The organisation pickers (the registry's names offered as one types, an exact name checked
//! against the registry without JavaScript, the closest name when it is not there) and the
//! partner enterprises without an account, shown to the school and to the commission with
//! 「开通账号」.

use axum::http::StatusCode;
use shuangshi_store::{Actor, PageRequest, Role, Scope, UserFilter};

use crate::school::open_batch;
use crate::support::{PASSWORD, TestApp};

#[tokio::test]
async fn the_picker_offers_registry_names_and_accounts_take_only_a_registry_org() {
    let app = TestApp::new().await;
    let ent = app.org_named("重庆长江智造科技有限公司", "国有企业").await;
    let school = app.org_named("重庆嘉陵职业学院", "国家双高").await;
    let mut admin = app.login(Role::Admin).await;

    let r = admin.get("/orgs/options?kind=enterprise&q=长江").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let items = r.json();
    assert_eq!(items.as_array().unwrap().len(), 1, "{items}");
    assert_eq!(items[0]["name"], ent.name.as_str());
    assert_eq!(items[0]["id"], ent.id);
    let r = admin.get("/orgs/options?kind=school&q=长江").await;
    assert!(r.json().as_array().unwrap().is_empty(), "only schools");
    let r = admin
        .get("/orgs/options?kind=school&q=%E5%98%89%20%E9%99%B5")
        .await;
    assert_eq!(r.json()[0]["name"], school.name.as_str(), "spaces ignored");
    // A school officer picks enterprises too (proposing a partnership).
    let mut officer = app.login(Role::SchoolOfficer).await;
    let r = officer.get("/orgs/options?kind=enterprise&q=智造").await;
    assert_eq!(r.json()[0]["name"], ent.name.as_str());

    let r = admin.get("/admin/accounts/new").await;
    assert!(
        r.body.contains(r#"<input id="org" name="org""#) && r.body.contains("data-org-picker"),
        "{}",
        r.body
    );
    let create = |org: &'static str, username: &'static str| {
        vec![
            ("username", username),
            ("display_name", "刘经理"),
            ("role", "enterprise_officer"),
            ("org", org),
        ]
    };
    // Part of a name is not an organisation: the closest registered name is named.
    let r = admin
        .post_form("/admin/accounts", &create("长江智造", "liu"))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains(
            "单位名录中没有企业「长江智造」，最接近的登记名称是「重庆长江智造科技有限公司」"
        ),
        "{}",
        r.body
    );
    // A school is not an enterprise.
    let r = admin
        .post_form("/admin/accounts", &create("重庆嘉陵职业学院", "liu"))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("登记为学校，不是企业"), "{}", r.body);
    let count = |app: &TestApp| {
        let store = app.store().clone();
        async move {
            store
                .list_users(
                    &UserFilter {
                        role: Some(Role::EnterpriseOfficer),
                        ..UserFilter::default()
                    },
                    PageRequest::new(0, 100),
                )
                .await
                .unwrap()
                .items
        }
    };
    assert!(count(&app).await.is_empty(), "nothing created");
    // The registry's name (as the picker fills it in) creates the account in that enterprise.
    let r = admin
        .post_form(
            "/admin/accounts",
            &create("重庆长江智造科技有限公司", "liu"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let users = count(&app).await;
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].org_id, Some(ent.id));
}

/// The notice of the school's partner enterprises without an account (`ui::no_account_notice`).
fn notice(body: &str) -> Option<&str> {
    let start = body.find(r#"id="no-account""#)?;
    let end = body[start..].find("</div>")? + start;
    Some(&body[start..end])
}

/// The commission's list of them on 账号管理.
fn commission_list(body: &str) -> Option<&str> {
    let start = body.find(r#"id="no-account-list""#)?;
    let end = body[start..].find("</section>")? + start;
    Some(&body[start..end])
}

#[tokio::test]
async fn partners_without_an_account_are_shown_and_the_commission_opens_one() {
    let app = TestApp::new().await;
    let batch = open_batch(&app).await;
    let school = app.org_named("重庆市綦江职业学校", "中职").await;
    let officer = app.user_in(Role::SchoolOfficer, Some(school.id)).await;
    let lonely = app.org_named("重庆綦江齿轮有限公司", "民营企业").await;
    let staffed = app.org_named("重庆綦江铝业有限公司", "民营企业").await;
    app.user_in(Role::EnterpriseOfficer, Some(staffed.id)).await;
    let sys = Actor::system();
    for e in [&lonely, &staffed] {
        app.store()
            .propose_partnership(&Scope::All, batch.id, school.id, e.id, &[], &sys)
            .await
            .unwrap()
            .unwrap();
    }
    // Another school, with no partners of its own, sees nothing.
    let other = app.user(Role::SchoolOfficer).await;
    let mut c = app.login_as(&other, PASSWORD).await;
    assert!(notice(&c.get("/partners").await.body).is_none());

    let mut school_page = app.login_as(&officer, PASSWORD).await;
    for path in ["/partners", "/"] {
        let r = school_page.get(path).await;
        assert_eq!(r.status, StatusCode::OK);
        let n = notice(&r.body).unwrap_or_else(|| panic!("{path}: {}", r.body));
        assert!(n.contains(&lonely.name), "{path}: {n}");
        assert!(n.contains("该企业尚无账号，无法确认；请联系市教委开通"));
        assert!(!n.contains(&staffed.name), "{path}: {n}");
    }
    let r = school_page.get("/partners").await;
    assert!(r.body.contains("尚无账号</span>"));

    let mut admin = app.login(Role::Admin).await;
    let r = admin.get("/admin/accounts").await;
    let list = commission_list(&r.body).unwrap_or_else(|| panic!("{}", r.body));
    assert!(list.contains("有合作但无账号的企业") && list.contains(&lonely.name));
    assert!(list.contains(&school.name), "the school that named it");
    assert!(!list.contains(&staffed.name));
    let open = format!("/admin/accounts/new?org={}", lonely.id);
    assert!(list.contains(&format!(r#"href="{open}""#)), "{list}");
    // 开通账号 opens account creation with the enterprise and the role chosen.
    let r = admin.get(&open).await;
    assert!(
        r.body.contains(&format!(r#"value="{}""#, lonely.name)),
        "{}",
        r.body
    );
    assert!(
        r.body
            .contains(r#"<option value="enterprise_officer" selected>"#)
    );
    let r = admin
        .post_form(
            "/admin/accounts",
            &[
                ("username", "qijiang"),
                ("display_name", "齿轮公司经办人"),
                ("role", "enterprise_officer"),
                ("org", &lonely.name),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(commission_list(&admin.get("/admin/accounts").await.body).is_none());
    assert!(notice(&school_page.get("/partners").await.body).is_none());
    assert!(notice(&school_page.get("/").await.body).is_none());
}
