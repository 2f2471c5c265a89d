//! A static page built from the partials with sample data, served with the real middleware stack,
//! for looking at the frame in a browser (the application itself never serves it):
//!
//! ```text
//! cargo run -p shuangshi-web --example showcase -- 127.0.0.1:8099
//! ```
//!
//! Pages: `/demo/list` (a school officer's list), `/demo/admin` (the commission's frame with the
//! batch switcher, dashboard numbers and findings on cells), `/demo/empty` (empty state),
//! `/demo/import` (an import pre-check report), `/demo/password`, and the application's own
//! `/login` and error pages.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::Path;
use axum::routing::get;
use chrono::{DateTime, TimeZone, Utc};
use shuangshi_rules::{Finding, Severity};
use shuangshi_web::account::pages::ChangePasswordPage;
use shuangshi_web::filters;
use shuangshi_web::ui::{
    BatchChoice, Column, Flash, Frame, FrameUser, ImportPreview, Pager, Role, RowFindings,
    SearchField, SearchForm, SelectOption, Toolbar,
};
use shuangshi_web::{AppError, AppState, WebConfig, security};

struct Row {
    name: &'static str,
    uscc: &'static str,
    kind: &'static str,
    district: &'static str,
    mobile: &'static str,
    people: u32,
    status: &'static str,
    updated: DateTime<Utc>,
}

struct Person {
    name: &'static str,
    mobile: &'static str,
    mobile_findings: Vec<Finding>,
    post: &'static str,
    post_findings: Vec<Finding>,
    account: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "dev/showcase.html")]
struct Showcase {
    frame: Frame,
    search: SearchForm,
    toolbar: Toolbar,
    columns: Vec<Column>,
    rows: Vec<Row>,
    pager: Pager,
    deadline: DateTime<Utc>,
    show_stats: bool,
    show_findings: bool,
    people: Vec<Person>,
    preview: Option<ImportPreview>,
}

fn at(d: u32, h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2023, 9, d, h, m, 0)
        .single()
        .unwrap_or_default()
}

fn finding(
    rule: &'static str,
    severity: Severity,
    row: u32,
    column: &'static str,
    cell: &str,
    message: &str,
    clause: &'static str,
) -> Finding {
    Finding {
        rule,
        severity,
        file: None,
        sheet: None,
        row: Some(row),
        column: Some(column),
        value: None,
        school: None,
        message: message.into(),
        clause,
        cell: Some(cell.into()),
    }
}

fn school_user() -> FrameUser {
    FrameUser {
        name: "张敏".into(),
        org: "重庆工业职业技术学院".into(),
        role: Role::SchoolOfficer,
    }
}

fn admin_user() -> FrameUser {
    FrameUser {
        name: "李处长".into(),
        org: "重庆市教育委员会".into(),
        role: Role::Admin,
    }
}

fn batches() -> (BatchChoice, Vec<BatchChoice>) {
    let b = |id, name: &str| BatchChoice {
        id,
        name: name.into(),
    };
    (
        b(10, "第十批"),
        vec![b(10, "第十批"), b(9, "第九批"), b(8, "第八批")],
    )
}

fn sample_rows() -> Vec<Row> {
    vec![
        Row {
            name: "重庆长安汽车股份有限公司",
            uscc: "915000002028133840",
            kind: "国有企业",
            district: "江北区",
            mobile: "13812341234",
            people: 4,
            status: "已受理",
            updated: at(20, 2, 15),
        },
        Row {
            name: "重庆川仪自动化股份有限公司",
            uscc: "91500000202819430X",
            kind: "国有企业",
            district: "北碚区",
            mobile: "13923456789",
            people: 3,
            status: "已报送",
            updated: at(22, 7, 40),
        },
        Row {
            name: "重庆宗申动力机械股份有限公司",
            uscc: "91500000202800583N",
            kind: "民营企业",
            district: "巴南区",
            mobile: "15000001111",
            people: 2,
            status: "已退回",
            updated: at(23, 1, 5),
        },
        Row {
            name: "重庆小康工业集团股份有限公司",
            uscc: "915000007474885459",
            kind: "民营企业",
            district: "沙坪坝区",
            mobile: "18623005678",
            people: 1,
            status: "草稿",
            updated: at(24, 9, 30),
        },
        Row {
            name: "重庆智能制造研究院有限公司",
            uscc: "91500106MA5U3X7Y2K",
            kind: "民营企业",
            district: "两江新区",
            mobile: "17708231234",
            people: 0,
            status: "未入选",
            updated: at(24, 15, 59),
        },
    ]
}

fn list_page(user: FrameUser, empty: bool, admin: bool) -> Showcase {
    let title = if admin {
        "汇总名单"
    } else {
        "合作企业"
    };
    let key = if admin { "roster" } else { "partners" };
    let (current, all) = batches();
    let frame = Frame::new(user, title, security::new_csrf_token())
        .active(key)
        .batch(current, all)
        .flash(Flash::success("已保存合作企业「重庆长安汽车股份有限公司」"));
    let kinds = vec![
        SelectOption::new("state", "国有企业"),
        SelectOption::new("private", "民营企业"),
    ];
    let statuses = ["草稿", "已报送", "已退回", "已受理", "未入选"]
        .into_iter()
        .map(|s| SelectOption::new(s, s))
        .collect();
    let districts = [
        "渝中区",
        "江北区",
        "沙坪坝区",
        "九龙坡区",
        "南岸区",
        "北碚区",
        "渝北区",
        "巴南区",
        "两江新区",
    ]
    .into_iter()
    .map(|s| SelectOption::new(s, s))
    .collect();
    let search = SearchForm::new("/demo/list")
        .field(SearchField::text("name", "名称", ""))
        .field(SearchField::select("status", "状态", "已报送", statuses))
        .field(SearchField::select("kind", "类别", "", kinds))
        .field(SearchField::select("district", "区县", "", districts));
    let toolbar = Toolbar {
        new_href: Some("/demo/list".into()),
        new_label: Some("新增".into()),
        import_dialog: Some("import-dialog".into()),
        export_href: Some("/demo/export.xlsx".into()),
        template_href: Some("/demo/template.xlsx".into()),
    };
    let columns = vec![
        Column::new("序号").class("num"),
        Column::new("企业名称"),
        Column::new("统一社会信用代码"),
        Column::new("企业性质"),
        Column::new("区县"),
        Column::new("联系人手机"),
        Column::new("推荐人数").class("num"),
        Column::new("状态"),
        Column::new("更新时间"),
        Column::new("操作").class("w-actions"),
    ];
    let rows = if empty { Vec::new() } else { sample_rows() };
    let total = if empty { 0 } else { 137 };
    let pager =
        Pager::new("/demo/list", if empty { 1 } else { 3 }, 20, total).keep("status", "已报送");
    let people = vec![
        Person {
            name: "王建国",
            mobile: "1381234123",
            mobile_findings: vec![finding(
                "F04",
                Severity::Error,
                5,
                "手机号码",
                "J5",
                "手机号码应为 11 位大陆手机号，这里是 10 位",
                "附件",
            )],
            post: "科技副总",
            post_findings: vec![],
            account: "6222021234567895678",
        },
        Person {
            name: "刘芳",
            mobile: "13987654321",
            mobile_findings: vec![],
            post: "技术顾问",
            post_findings: vec![finding(
                "F09",
                Severity::Warning,
                6,
                "拟挂任职务",
                "L6",
                "拟挂任职务不在本批次岗位之列（科技副总 / 工程师）",
                "一",
            )],
            account: "6222021234567895678",
        },
    ];
    Showcase {
        frame,
        search,
        toolbar,
        columns,
        rows,
        pager,
        deadline: at(24, 15, 59),
        show_stats: admin,
        show_findings: admin,
        people,
        preview: None,
    }
}

fn import_page() -> Showcase {
    let mut page = list_page(school_user(), false, false);
    page.frame = Frame::new(school_user(), "推荐表", security::new_csrf_token()).active("forms");
    let errors = vec![
        finding(
            "F04",
            Severity::Error,
            5,
            "手机号码",
            "J5",
            "手机号码应为 11 位大陆手机号，这里是 10 位",
            "附件",
        ),
        finding(
            "F01",
            Severity::Error,
            5,
            "开户行",
            "N5",
            "开户行未填写（没有的填「无」）",
            "附件",
        ),
    ];
    let warnings = vec![finding(
        "F09",
        Severity::Warning,
        6,
        "拟挂任职务",
        "L6",
        "拟挂任职务不在本批次岗位之列（科技副总 / 工程师）",
        "一",
    )];
    page.preview = Some(ImportPreview {
        file_name: "重庆工业职业技术学院-推荐表.xlsx".into(),
        people: 8,
        errors: 2,
        warnings: 1,
        infos: 0,
        errors_allowed: false,
        groups: vec![
            RowFindings {
                row: Some(5),
                errors: 2,
                warnings: 0,
                findings: errors,
            },
            RowFindings {
                row: Some(6),
                errors: 0,
                warnings: 1,
                findings: warnings,
            },
        ],
        commit_action: "/demo/commit".into(),
        token: "t".into(),
        annotated_href: "/demo/annotated.xlsx".into(),
    });
    page
}

async fn demo(Path(page): Path<String>) -> Result<axum::response::Response, AppError> {
    use axum::response::IntoResponse;
    Ok(match page.as_str() {
        "list" => list_page(school_user(), false, false).into_response(),
        "empty" => list_page(school_user(), true, false).into_response(),
        "admin" => list_page(admin_user(), false, true).into_response(),
        "import" => import_page().into_response(),
        "password" => ChangePasswordPage {
            frame: Frame::new(school_user(), "修改密码", security::new_csrf_token()),
            error: Some("两次输入的新密码不一致".into()),
            forced: true,
        }
        .into_response(),
        "boom" => return Err(AppError::internal("a sample internal error")),
        _ => return Err(AppError::NotFound),
    })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8099".into());
    let config = WebConfig::default();
    // The pages need no data, but the state carries a database: a scratch SQLite file.
    let dir = std::env::temp_dir().join("shuangshi-showcase");
    let store =
        shuangshi_store::Store::connect(&shuangshi_store::Store::sqlite_url_for_dir(&dir)?).await?;
    let app = security::apply(
        shuangshi_web::routes()
            .into_router()
            .route("/demo/{page}", get(demo)),
        &config,
    )
    .with_state(AppState::new(config, store));
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("showcase on http://{addr}/demo/list");
    axum::serve(listener, app).await?;
    Ok(())
}
