//! `serve --demo`: a batch open for submissions (第十批's parameters, the deadline a month ahead),
//! schools of every tier, enterprises of every kind, one account per role, and partnerships and
//! forms in every state, people in every selection state with a 公示 running and one objection,
//! and an earlier batch (第九批) whose final list is published, so that a newcomer can click
//! through each role at once. Idempotent: a
//! second start finds the demo accounts and only prints them again.

use anyhow::anyhow;
use chrono::{Duration, Utc};
use shuangshi_app::forms::Mode;
use shuangshi_app::submissions::Decide;
use shuangshi_rules::{Batch, Column, Org};
use shuangshi_store::{
    Actor, BatchStatus, Decision, FormContent, NewUser, ReviewReason, Role, Scope, SelectionStatus,
    Store,
};

/// The password of every demo account (a demo is for clicking through, not for real data).
pub const DEMO_PASSWORD: &str = "Demo-Shuangshi-2025";

/// The demo accounts: (user name, role, organisation, what to try).
const ACCOUNTS: &[(&str, Role, Option<&str>, &str)] = &[
    (
        "demo_admin",
        Role::Admin,
        None,
        "批次设置、单位名录、账号、审核、遴选与公示、审计",
    ),
    (
        "demo_admin2",
        Role::Admin,
        None,
        "复核并公布正式名单（第二位管理员，提交与复核不能是同一人）",
    ),
    (
        "demo_zcj",
        Role::VocationalReviewer,
        None,
        "审核中职学校的报送",
    ),
    (
        "demo_gzw",
        Role::SasacViewer,
        None,
        "查阅分送市国资委的报送名单，提出意见",
    ),
    (
        "demo_gsl",
        Role::FederationViewer,
        None,
        "查阅分送市工商联的报送名单，提出意见",
    ),
    (
        "demo_school",
        Role::SchoolOfficer,
        Some("重庆甲职业技术学院"),
        "推荐表有错误待修改（草稿）",
    ),
    (
        "demo_school_zz",
        Role::SchoolOfficer,
        Some("重庆丁工业学校"),
        "已报送，待职成教处审核",
    ),
    (
        "demo_school_ret",
        Role::SchoolOfficer,
        Some("重庆壬城市职业学院"),
        "已被退回，查看原因后修改重报",
    ),
    (
        "demo_school_ok",
        Role::SchoolOfficer,
        Some("重庆庚高等专科学校"),
        "已受理",
    ),
    (
        "demo_school_sel",
        Role::SchoolOfficer,
        Some("重庆子交通职业学院"),
        "已受理，人员已入选、公示中",
    ),
    (
        "demo_school_new",
        Role::SchoolOfficer,
        Some("重庆辛技师学院"),
        "刚提出合作，等待企业确认",
    ),
    (
        "demo_ent",
        Role::EnterpriseOfficer,
        Some("重庆乙智能制造有限公司"),
        "确认推荐表中涉及本企业的人员",
    ),
    (
        "demo_ent_p",
        Role::EnterpriseOfficer,
        Some("重庆癸商贸有限公司"),
        "确认学校提出的合作",
    ),
];

fn registry() -> Vec<Org> {
    vec![
        Org::new("重庆甲职业技术学院", "国家双高", "市教委", "沙坪坝区"),
        Org::new("重庆壬城市职业学院", "市级双高", "市教委", "永川区"),
        Org::new("重庆庚高等专科学校", "其他高职", "市教委", "南岸区"),
        Org::new("重庆辛技师学院", "技工院校", "市人力社保局", "九龙坡区"),
        Org::new("重庆丁工业学校", "中职", "区县教委", "江津区"),
        Org::new("重庆子交通职业学院", "其他高职", "市教委", "九龙坡区"),
        Org::new("重庆丑电子工程职业学院", "市级双高", "市教委", "沙坪坝区"),
        Org::new("重庆乙智能制造有限公司", "国有企业", "市国资委", "两江新区"),
        Org::new("重庆戊机电集团有限公司", "国有企业", "区县国资委", "江津区"),
        Org::new("重庆丙软件有限公司", "民营企业", "市工商联", "渝北区"),
        Org::new("重庆己新材料研究院", "新型研发机构", "市科技局", "北碚区"),
        Org::new("重庆癸商贸有限公司", "其他企业", "市商务委", "渝中区"),
    ]
}

const FORM_YI: &[u8] =
    include_bytes!("../../../examples/forms/重庆甲职业技术学院-重庆乙智能制造有限公司.xlsx");
const FORM_BING: &[u8] =
    include_bytes!("../../../examples/forms/重庆甲职业技术学院-重庆丙软件有限公司.xlsx");

/// The content of an example file, with the header line naming `school` and `enterprise`.
fn content(
    file: &str,
    bytes: &[u8],
    school: &str,
    enterprise: &str,
) -> anyhow::Result<FormContent> {
    let (_, forms) =
        shuangshi_sheet::load_forms(file, bytes, &shuangshi_sheet::guard::Limits::default())
            .map_err(|e| anyhow!("{e}"))?;
    let form = forms
        .first()
        .ok_or_else(|| anyhow!("示例文件「{file}」中没有推荐表"))?;
    let mut c = FormContent::from_rules_form(form);
    c.header_school = school.to_owned();
    c.header_enterprise = enterprise.to_owned();
    Ok(c)
}

fn e(err: shuangshi_store::StoreError) -> anyhow::Error {
    anyhow!("{err}")
}

/// Seeds the demo (once) and prints the accounts.
pub async fn seed(store: &Store) -> anyhow::Result<()> {
    let sys = Actor::system();
    let all = Scope::All;
    if store
        .get_user_by_username("demo_admin")
        .await
        .map_err(e)?
        .is_none()
    {
        println!("正在生成演示数据……");
        // The batch: 第十批's parameters, the deadline a month ahead, open.
        let batch = match store.get_batch_by_number(10).await.map_err(e)? {
            Some(b) => b,
            None => {
                let mut params = Batch::batch10();
                let tz = params.deadline.timezone();
                params.deadline = (Utc::now() + Duration::days(30)).with_timezone(&tz);
                store.create_batch(&params, &sys).await.map_err(e)?
            }
        };
        if batch.status != BatchStatus::Open {
            store.open_batch(batch.id, &sys).await.map_err(e)?;
        }
        store.import_orgs(registry(), &sys).await.map_err(e)?;
        let id_of = async |name: &str| -> anyhow::Result<i64> {
            Ok(store
                .find_org_by_name(&all, name)
                .await
                .map_err(e)?
                .ok_or_else(|| anyhow!("演示单位「{name}」缺失"))?
                .id)
        };
        for (username, role, org_name, _) in ACCOUNTS {
            let org_id = match org_name {
                Some(n) => Some(id_of(n).await?),
                None => None,
            };
            let created = store
                .create_user(
                    NewUser {
                        username: (*username).to_owned(),
                        display_name: format!("演示{}", role.label()),
                        role: *role,
                        org_id,
                        password: DEMO_PASSWORD.to_owned(),
                        must_change_password: false,
                    },
                    &sys,
                )
                .await
                .map_err(e)?;
            // Officers get an address, so reminders show where they would be e-mailed.
            if org_id.is_some() {
                store
                    .set_user_email(created.id, &format!("{username}@example.com"), &sys)
                    .await
                    .map_err(e)?;
            }
        }
        // Every state below is reached through the same use cases as the pages and the API.
        let app = shuangshi_app::App::new(store.clone());
        let refused = |err: shuangshi_app::Error| anyhow!("{err}");
        // A confirmed partnership with a form of `c`; returns the form id.
        let partner_in = async |batch: &shuangshi_store::BatchRecord,
                                school: &str,
                                enterprise: &str,
                                c: Option<FormContent>|
               -> anyhow::Result<Option<i64>> {
            let (s, en) = (id_of(school).await?, id_of(enterprise).await?);
            let p = store
                .propose_partnership(&all, batch.id, s, en, &["33618".to_owned()], &sys)
                .await
                .map_err(e)?
                .ok_or_else(|| anyhow!("无法建立合作关系"))?;
            let Some(c) = c else {
                return Ok(None);
            };
            let p = store
                .respond_partnership(&all, p.id, true, &sys)
                .await
                .map_err(e)?
                .ok_or_else(|| anyhow!("无法确认合作关系"))?;
            let form_id = p.form_id.ok_or_else(|| anyhow!("确认后没有推荐表"))?;
            let form = store
                .get_form(&all, form_id)
                .await
                .map_err(e)?
                .ok_or_else(|| anyhow!("推荐表缺失"))?;
            app.replace_content(&all, &sys, batch, &form, &c, None, Mode::Commit)
                .await
                .map_err(refused)?;
            Ok(Some(form_id))
        };
        let partner = async |school: &str,
                             enterprise: &str,
                             c: Option<FormContent>|
               -> anyhow::Result<Option<i64>> {
            partner_in(&batch, school, enterprise, c).await
        };
        // The enterprise confirms every row, the sealed scan is uploaded, and the school submits;
        // returns the submission id.
        let submit_in = async |batch: &shuangshi_store::BatchRecord,
                               school: &str,
                               forms: &[i64]|
               -> anyhow::Result<i64> {
            let school_id = id_of(school).await?;
            for &f in forms {
                let form = store
                    .get_form(&all, f)
                    .await
                    .map_err(e)?
                    .ok_or_else(|| anyhow!("推荐表缺失"))?;
                let ids: Vec<i64> = form.rows.iter().map(|r| r.id).collect();
                store
                    .confirm_rows(&all, f, &ids, Some(form.version), &sys)
                    .await
                    .map_err(e)?
                    .ok_or_else(|| anyhow!("推荐表缺失"))?;
                store
                    .put_scan(
                        &all,
                        f,
                        "image/png",
                        shuangshi_sheet::scan::TINY_PNG.to_vec(),
                        &sys,
                    )
                    .await
                    .map_err(e)?;
            }
            let v = app
                .submit(&all, &sys, batch, school_id, Utc::now())
                .await
                .map_err(refused)?;
            Ok(v.submission_id)
        };
        let submit = async |school: &str, forms: &[i64]| -> anyhow::Result<i64> {
            submit_in(&batch, school, forms).await
        };
        let accept = async |batch: &shuangshi_store::BatchRecord, id: i64| {
            let d = Decide {
                submission_id: id,
                decision: Decision::Accepted,
                picked: Vec::new(),
                extra: Vec::new(),
                note: String::new(),
            };
            app.decide(&all, &sys, batch, &d).await.map_err(refused)
        };
        let clean = |school: &str, tier: &'static str, enterprise: &str, index: usize| {
            crate::bench_serve::clean_form(&batch.params, school, tier, enterprise, index)
        };
        // 已报送 (中职: 职成教处 reviews it). Its first teacher, 郑强, is recommended again by
        // 重庆甲职业技术学院 below (D01): both schools see it, and it cannot be accepted until it
        // is resolved.
        let mut ding = clean("重庆丁工业学校", "中职", "重庆戊机电集团有限公司", 1);
        if let Some(row) = ding.rows.first_mut() {
            row[Column::Name as usize] = "郑强".to_owned();
            row[Column::Mobile as usize] = "13800000001".to_owned();
        }
        if let Some(f) = partner("重庆丁工业学校", "重庆戊机电集团有限公司", Some(ding)).await?
        {
            submit("重庆丁工业学校", &[f]).await?;
        }
        // 草稿: two forms with errors (and the duplicate of 郑强).
        let yi = content(
            "乙.xlsx",
            FORM_YI,
            "重庆甲职业技术学院",
            "重庆乙智能制造有限公司",
        )?;
        partner("重庆甲职业技术学院", "重庆乙智能制造有限公司", Some(yi)).await?;
        let bing = content(
            "丙.xlsx",
            FORM_BING,
            "重庆甲职业技术学院",
            "重庆丙软件有限公司",
        )?;
        partner("重庆甲职业技术学院", "重庆丙软件有限公司", Some(bing)).await?;
        // 已退回, with reasons.
        let ren = clean("重庆壬城市职业学院", "市级双高", "重庆丙软件有限公司", 2);
        if let Some(f) = partner("重庆壬城市职业学院", "重庆丙软件有限公司", Some(ren)).await?
        {
            let id = submit("重庆壬城市职业学院", &[f]).await?;
            let d = Decide {
                submission_id: id,
                decision: Decision::Returned,
                picked: Vec::new(),
                extra: vec![ReviewReason {
                    rule: String::new(),
                    message: "派出教师的专业与企业接收岗位的对应关系不清楚，请在「专业领域」中写明"
                        .to_owned(),
                }],
                note: "请补充后重新报送。".to_owned(),
            };
            app.decide(&all, &sys, &batch, &d).await.map_err(refused)?;
        }
        // 已受理.
        let geng = clean("重庆庚高等专科学校", "其他高职", "重庆己新材料研究院", 3);
        if let Some(f) = partner("重庆庚高等专科学校", "重庆己新材料研究院", Some(geng)).await?
        {
            let id = submit("重庆庚高等专科学校", &[f]).await?;
            accept(&batch, id).await?;
        }
        // 遴选 and 公示 (issue: selection and publication). Two more accepted schools, one with a
        // state-owned partner (its copy goes to 市国资委), one with a private one (市工商联).
        let admin = store
            .get_user_by_username("demo_admin")
            .await
            .map_err(e)?
            .ok_or_else(|| anyhow!("演示管理员缺失"))?;
        let admin2 = store
            .get_user_by_username("demo_admin2")
            .await
            .map_err(e)?
            .ok_or_else(|| anyhow!("演示管理员缺失"))?;
        let as_actor = |u: &shuangshi_store::User| Actor {
            user_id: Some(u.id),
            name: u.username.clone(),
            ip: String::new(),
        };
        let (maker, checker) = (as_actor(&admin), as_actor(&admin2));
        let mut accepted = Vec::new();
        for (school, tier, enterprise, index) in [
            (
                "重庆子交通职业学院",
                "其他高职",
                "重庆乙智能制造有限公司",
                4,
            ),
            (
                "重庆丑电子工程职业学院",
                "市级双高",
                "重庆丙软件有限公司",
                5,
            ),
        ] {
            let c = clean(school, tier, enterprise, index);
            if let Some(f) = partner(school, enterprise, Some(c)).await? {
                let id = submit(school, &[f]).await?;
                accept(&batch, id).await?;
                accepted.push(school);
            }
        }
        let people = store.list_selections(&all, batch.id).await.map_err(e)?;
        let of = |school: &str| -> Vec<i64> {
            people
                .iter()
                .filter(|p| p.school_name == school)
                .map(|p| p.id)
                .collect()
        };
        // 子: everyone 入选; 丑: one 未入选 with a reason, the rest 入选; 庚 stays 待遴选.
        let zi = of("重庆子交通职业学院");
        let chou = of("重庆丑电子工程职业学院");
        app.decide_selection(&all, &maker, &batch, &zi, SelectionStatus::Selected, "")
            .await
            .map_err(refused)?;
        if let Some((first, rest)) = chou.split_first() {
            app.decide_selection(&all, &maker, &batch, rest, SelectionStatus::Selected, "")
                .await
                .map_err(refused)?;
            app.decide_selection(
                &all,
                &maker,
                &batch,
                &[*first],
                SelectionStatus::Rejected,
                "本批次该校派出名额已满，建议下一批次推荐",
            )
            .await
            .map_err(refused)?;
        }
        // The oversight bodies' opinions on their rows.
        let gzw = Actor {
            user_id: None,
            name: "demo_gzw".to_owned(),
            ip: String::new(),
        };
        if let Some(&p) = zi.first() {
            app.record_opinion(&Scope::StateOwnedRows, &gzw, p, false, "")
                .await
                .map_err(refused)?;
        }
        if let Some(&p) = chou.get(1) {
            let gsl = Actor {
                name: "demo_gsl".to_owned(),
                ..gzw.clone()
            };
            app.record_opinion(
                &Scope::PrivateRows,
                &gsl,
                p,
                true,
                "该同志所在企业近期有重组安排，建议核实能否保证交流时间",
            )
            .await
            .map_err(refused)?;
        }
        // The 公示 runs now, with one objection waiting for the commission.
        app.publish_publicity(&maker, &batch, Utc::now())
            .await
            .map_err(refused)?;
        app.submit_objection(
            batch.number,
            &shuangshi_app::selection::ObjectionForm {
                seq: 1,
                contact: "王先生 13000000000".to_owned(),
                body: "反映该同志近三年未在本单位一线岗位工作，不符合推荐条件，请核实。".to_owned(),
            },
            "203.0.113.7",
        )
        .await
        .map_err(refused)?;
        // 第九批: an earlier batch, fully published (its 公示 ended, the final list approved by
        // the second administrator), then closed.
        let nine = match store.get_batch_by_number(9).await.map_err(e)? {
            Some(b) => b,
            None => {
                let mut params = Batch::batch10();
                params.number = 9;
                params.name = "第九批".to_owned();
                params.term = "2023年秋季学期".to_owned();
                // Its term dates follow from the term (2023-09-01 – 2024-01-15).
                params.term_schedule = None;
                let tz = params.deadline.timezone();
                params.deadline = (Utc::now() + Duration::days(1)).with_timezone(&tz);
                store.create_batch(&params, &sys).await.map_err(e)?
            }
        };
        if nine.status != BatchStatus::Open {
            store.open_batch(nine.id, &sys).await.map_err(e)?;
        }
        let clean9 = |school: &str, tier: &'static str, enterprise: &str, index: usize| {
            crate::bench_serve::clean_form(&nine.params, school, tier, enterprise, index)
        };
        for (school, tier, enterprise, index) in [
            (
                "重庆壬城市职业学院",
                "市级双高",
                "重庆乙智能制造有限公司",
                7,
            ),
            ("重庆庚高等专科学校", "其他高职", "重庆丙软件有限公司", 8),
        ] {
            let c = clean9(school, tier, enterprise, index);
            if let Some(f) = partner_in(&nine, school, enterprise, Some(c)).await? {
                let id = submit_in(&nine, school, &[f]).await?;
                accept(&nine, id).await?;
            }
        }
        let ids: Vec<i64> = store
            .list_selections(&all, nine.id)
            .await
            .map_err(e)?
            .iter()
            .map(|p| p.id)
            .collect();
        app.decide_selection(&all, &maker, &nine, &ids, SelectionStatus::Selected, "")
            .await
            .map_err(refused)?;
        app.publish_publicity(&maker, &nine, Utc::now() - Duration::days(21))
            .await
            .map_err(refused)?;
        let proposed = app
            .propose_final(&maker, &nine, "第九批交流互派人员名单")
            .await
            .map_err(refused)?;
        if proposed.state != shuangshi_store::PublicationState::Published {
            app.approve_final(&checker, proposed.id)
                .await
                .map_err(refused)?;
        }
        store.close_batch(nine.id, &sys).await.map_err(e)?;
        seed_term(&app, &nine, &maker, &checker).await?;
        // 待企业确认.
        partner("重庆辛技师学院", "重庆癸商贸有限公司", None).await?;
        println!("演示数据已生成。");
    }
    println!("演示账号（密码均为 {DEMO_PASSWORD}；若已修改，请用修改后的密码）：");
    for (username, role, org_name, what) in ACCOUNTS {
        println!(
            "  {username:<16} {}{}：{what}",
            role.label(),
            org_name.map(|o| format!("（{o}）")).unwrap_or_default()
        );
    }
    Ok(())
}

/// 第九批 through its term: every receiving unit records the arrival and placement, all but one
/// person is assessed (a W05 to see), the receiving schools are paid by one administrator and
/// approved by the other, one person is later recorded 未到岗 and the money taken back (扣回),
/// and one school reports the use of its subsidy.
async fn seed_term(
    app: &shuangshi_app::App,
    nine: &shuangshi_store::BatchRecord,
    maker: &Actor,
    checker: &Actor,
) -> anyhow::Result<()> {
    use shuangshi_app::term::TermForm;
    let refused = |err: shuangshi_app::Error| anyhow!("{err}");
    let sys = Actor::system();
    let rows = app
        .store()
        .term_rows(&Scope::All, nine.id)
        .await
        .map_err(e)?;
    let starts = nine.params.schedule().starts;
    let receiver = |r: &shuangshi_store::TermRow| {
        if r.direction == "enterprise" {
            Scope::School(r.school_id)
        } else {
            Scope::Enterprise(r.enterprise_id)
        }
    };
    let last = rows.len().saturating_sub(1);
    for (i, r) in rows.iter().enumerate() {
        let form = TermForm {
            arrival: "arrived".to_owned(),
            arrived_on: (starts + Duration::days(i64::try_from(i % 5).unwrap_or(0))).to_string(),
            post: if r.listed_post.is_empty() {
                "技术骨干".to_owned()
            } else {
                r.listed_post.clone()
            },
            tasks: "参与专业建设与课程开发，指导学生实训，开展校企联合技术攻关一项。".to_owned(),
            duties: "每周到岗不少于3天；承担一门实训课程；参加教研活动与项目例会。".to_owned(),
            assessment: if i == last {
                String::new()
            } else if i % 3 == 0 {
                "excellent".to_owned()
            } else {
                "pass".to_owned()
            },
            summary: if i == last {
                String::new()
            } else {
                "聘期任务全部完成，工作认真负责，校企双方评价良好。".to_owned()
            },
            ..TermForm::default()
        };
        app.record_term(&receiver(r), &sys, nine, r.selection_id, 0, &form)
            .await
            .map_err(refused)?;
    }
    // Every receiving school is paid (prepared by one administrator, approved by the other).
    let d = shuangshi_app::Disclosure::new(Role::Admin, maker.clone(), false);
    let ledger = app
        .ledger(&Scope::All, nine, &d, Utc::now())
        .await
        .map_err(refused)?;
    let paid_on = nine.params.schedule().starts + Duration::days(20);
    for (i, row) in ledger.rows.iter().enumerate() {
        let entry = app
            .pay(
                maker,
                nine,
                row.school_id,
                &paid_on.to_string(),
                &format!("渝教财〔2023〕{}号", 101 + i),
            )
            .await
            .map_err(refused)?;
        if entry.status == shuangshi_store::EntryStatus::Pending {
            app.approve_entry(checker, entry.id)
                .await
                .map_err(refused)?;
        }
    }
    // One engineer is later found not to have taken up the post: recorded 未到岗, money taken back.
    if let Some(r) = rows.iter().find(|r| r.direction == "enterprise") {
        let now = app
            .store()
            .term_row(&Scope::All, r.selection_id)
            .await
            .map_err(e)?
            .ok_or_else(|| anyhow!("演示聘期记录缺失"))?;
        let form = TermForm {
            arrival: "absent".to_owned(),
            absent_reason: "本人因企业重大项目攻关无法脱产，经校企协商未到岗".to_owned(),
            ..TermForm::default()
        };
        app.record_term(&receiver(r), &sys, nine, r.selection_id, now.version, &form)
            .await
            .map_err(refused)?;
        let entry = app
            .adjust(
                maker,
                nine,
                r.school_id,
                shuangshi_store::EntryKind::Clawback,
                &nine.params.subsidy_per_person.to_string(),
                &format!("{}未到岗，扣回其补助", r.name),
                &(paid_on + Duration::days(30)).to_string(),
                "渝教财〔2023〕201号",
            )
            .await
            .map_err(refused)?;
        if entry.status == shuangshi_store::EntryStatus::Pending {
            app.approve_entry(checker, entry.id)
                .await
                .map_err(refused)?;
        }
    }
    // The first receiving school reports how it used the money.
    let ledger = app
        .ledger(&Scope::All, nine, &d, Utc::now())
        .await
        .map_err(refused)?;
    if let Some(row) = ledger.rows.iter().find(|r| r.paid > 0) {
        let cats = &nine.params.subsidy.categories;
        let mut amounts: Vec<(String, String)> =
            cats.iter().map(|c| (c.clone(), "0".to_owned())).collect();
        if let Some(first) = amounts.first_mut() {
            first.1 = (row.paid / 2).to_string();
        }
        if let Some(second) = amounts.get_mut(1) {
            second.1 = (row.paid - row.paid / 2).to_string();
        }
        app.report_use(
            &Scope::School(row.school_id),
            &sys,
            nine,
            &amounts,
            "按学校经费管理办法统筹使用",
        )
        .await
        .map_err(refused)?;
    }
    Ok(())
}
