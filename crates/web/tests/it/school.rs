//! The school's, the enterprise's and the commission's journey over HTTP (partnership → form with
//! errors → corrected upload → confirmation → scan → submit → return → edit → resubmit → accept),
//! another organisation's ids answering 404 on every id-taking route, hostile uploads changing
//! nothing, and the JSON API of forms and submissions.

use axum::http::{Method, Request, StatusCode, header};
use shuangshi_rules::{Batch, Cell, Column, PersonRow};
use shuangshi_sheet::write::{Filled, filled_xlsx};
use shuangshi_store::{
    Actor, BatchRecord, FormContent, FormRecord, OrgRecord, Role, Scope, SubmissionStatus, User,
};

use crate::support::{Client, PASSWORD, Part, TestApp};

/// A tiny valid PNG (1×1 RGBA), as a scanner would never make one; it decodes in full.
pub const PNG: &[u8] = shuangshi_sheet::scan::TINY_PNG;

/// The batch of the tests: batch 10's parameters, open, the deadline a month ahead.
pub async fn open_batch(app: &TestApp) -> BatchRecord {
    open_batch_due_in(app, 30).await
}

/// Batch 10's parameters, open, the deadline `days` ahead.
pub async fn open_batch_due_in(app: &TestApp, days: i64) -> BatchRecord {
    let mut batch = Batch::batch10();
    let tz = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    batch.deadline = (chrono::Utc::now() + chrono::Duration::days(days)).with_timezone(&tz);
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

/// A school of tier 中职 (no headcount minimums) and a private enterprise, with an officer each.
pub struct Pair {
    pub school: OrgRecord,
    pub enterprise: OrgRecord,
    pub school_user: User,
    pub enterprise_user: User,
}

pub async fn pair(app: &TestApp, tag: &str, tier: &str) -> Pair {
    let school = app.org_named(&format!("重庆市{tag}职业学校"), tier).await;
    let enterprise = app
        .org_named(&format!("重庆{tag}科技有限公司"), "民营企业")
        .await;
    let school_user = app.user_in(Role::SchoolOfficer, Some(school.id)).await;
    let enterprise_user = app
        .user_in(Role::EnterpriseOfficer, Some(enterprise.id))
        .await;
    Pair {
        school,
        enterprise,
        school_user,
        enterprise_user,
    }
}

type Row = Vec<(Column, String)>;

fn row(cells: &[(Column, &str)]) -> Row {
    cells.iter().map(|(c, v)| (*c, (*v).to_owned())).collect()
}

/// A teacher sent by the school, every rule satisfied.
pub fn teacher(p: &Pair, mobile: &str) -> Row {
    row(&[
        (Column::Seq, "1"),
        (Column::Batch, "第十批"),
        (Column::Name, "张三"),
        (Column::SendingUnit, &p.school.name),
        (Column::AdminPost, "无"),
        (Column::Field, "机械制造"),
        (Column::Title, "副教授"),
        (Column::TeacherQualification, "高等学校教师资格"),
        (Column::SkillQualification, "无"),
        (Column::Mobile, mobile),
        (Column::Term, "2024年春季学期"),
        (Column::ReceivingUnit, &p.enterprise.name),
        (Column::Post, "科技副总"),
        (Column::Bank, "中国工商银行重庆分行"),
        (Column::AccountName, &p.school.name),
        (Column::AccountNumber, "3100012345678901234"),
        (Column::Direction, "学校派出"),
        (Column::TeachingYears, "5"),
        (Column::ExchangeForm, "顶岗锻炼"),
    ])
}

/// An engineer sent by the enterprise, every rule satisfied.
pub fn engineer(p: &Pair, mobile: &str) -> Row {
    row(&[
        (Column::Seq, "2"),
        (Column::Batch, "第十批"),
        (Column::Name, "李四"),
        (Column::SendingUnit, &p.enterprise.name),
        (Column::AdminPost, "无"),
        (Column::Field, "机械制造"),
        (Column::Title, "高级工程师"),
        (Column::TeacherQualification, "无"),
        (Column::SkillQualification, "技师"),
        (Column::Mobile, mobile),
        (Column::Term, "2024年春季学期"),
        (Column::ReceivingUnit, &p.school.name),
        (Column::Post, "产业副院长"),
        (Column::Bank, "中国工商银行重庆分行"),
        (Column::AccountName, &p.school.name),
        (Column::AccountNumber, "3100012345678901234"),
        (Column::Direction, "企业派出"),
        (Column::EnterpriseYears, "8"),
        (Column::FrontlineYears, "5"),
        (Column::ExchangeForm, "兼职讲座"),
    ])
}

/// The official xlsx filled with `rows` (as `filled_xlsx` writes it).
pub fn xlsx(p: &Pair, rows: &[Row]) -> Vec<u8> {
    let filled = Filled {
        school: p.school.name.clone(),
        enterprise: p.enterprise.name.clone(),
        rows: rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let mut pr = PersonRow::new(i as u32 + 1);
                for (c, v) in r {
                    pr.set(*c, Cell::text(v.as_str()));
                }
                pr
            })
            .collect(),
        filler: "王老师".into(),
        phone: "023-63865672".into(),
        supplementary: true,
    };
    filled_xlsx(&Batch::batch10(), &filled).unwrap()
}

/// The cells of a row in `Column::ALL` order.
pub fn cells(r: &Row) -> Vec<String> {
    let mut out = vec![String::new(); Column::ALL.len()];
    for (c, v) in r {
        out[*c as usize] = v.clone();
    }
    out
}

/// The form fields `c0`…`c21` of a row.
pub fn row_fields(r: &Row) -> Vec<(String, String)> {
    cells(r)
        .into_iter()
        .enumerate()
        .map(|(i, v)| (format!("c{i}"), v))
        .collect()
}

/// The commit token in a 预检 result.
pub fn commit_token(body: &str) -> Option<String> {
    let pattern = r#"name="token" value=""#;
    let start = body.find(pattern)? + pattern.len();
    let end = body[start..].find('"')? + start;
    Some(body[start..end].to_owned())
}

pub async fn form(app: &TestApp, id: i64) -> FormRecord {
    app.store()
        .get_form(&Scope::All, id)
        .await
        .unwrap()
        .unwrap()
}

async fn post_fields(
    c: &mut Client,
    uri: &str,
    fields: &[(String, String)],
) -> crate::support::Resp {
    let f: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    c.post_form(uri, &f).await
}

/// A confirmed partnership through the store; returns (partnership, form).
pub async fn partner_with(app: &TestApp, batch: &BatchRecord, p: &Pair) -> (i64, i64) {
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
    (pt.id, pt.form_id.unwrap())
}

/// The form of a confirmed partnership made through the store, still empty.
pub async fn partner(app: &TestApp, batch: &BatchRecord, p: &Pair) -> i64 {
    partner_with(app, batch, p).await.1
}

/// Partnership confirmed, rows stored, confirmed and sealed, through the store (for tests that
/// need a school further along). Returns (partnership, form).
pub async fn prepared(app: &TestApp, batch: &BatchRecord, p: &Pair) -> (i64, FormRecord) {
    prepared_with(app, batch, p, "13800138000", "13900139000").await
}

/// [`prepared`] with the teacher's and the engineer's mobile numbers (distinct people across
/// schools).
pub async fn prepared_with(
    app: &TestApp,
    batch: &BatchRecord,
    p: &Pair,
    teacher_mobile: &str,
    engineer_mobile: &str,
) -> (i64, FormRecord) {
    let s = app.store();
    let a = Actor::system();
    let (pt, fid) = partner_with(app, batch, p).await;
    let content = FormContent {
        header_school: p.school.name.clone(),
        header_enterprise: p.enterprise.name.clone(),
        filler: "王老师".into(),
        phone: "023-63865672".into(),
        rows: vec![
            cells(&teacher(p, teacher_mobile)),
            cells(&engineer(p, engineer_mobile)),
        ],
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
    (pt, form(app, fid).await)
}

#[tokio::test]
async fn journey_from_partnership_to_acceptance() {
    let app = TestApp::new().await;
    let batch = open_batch(&app).await;
    let p = pair(&app, "甲", "中职").await;
    let mut school = app.login_as(&p.school_user, PASSWORD).await;
    let mut ent = app.login_as(&p.enterprise_user, PASSWORD).await;

    // The school proposes the enterprise, chosen from the registry.
    let r = school.get("/partners/new?name=%E7%94%B2").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains(&p.enterprise.name));
    let r = school
        .get(&format!("/partners/new?enterprise_id={}", p.enterprise.id))
        .await;
    assert!(r.body.contains("提出合作") && r.body.contains("33618"));
    let eid = p.enterprise.id.to_string();
    let r = school
        .post_form("/partners", &[("enterprise_id", &eid), ("tag_0", "1")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = school.get("/partners").await;
    assert!(
        r.body.contains("待企业确认") && r.body.contains("33618"),
        "{}",
        r.body
    );
    assert!(r.body.contains("已向"), "flash: {}", r.body);

    // The enterprise confirms it (with a confirmation dialog).
    let r = ent.get("/partners").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains(&p.school.name) && r.body.contains("data-confirm="));
    let pid = app
        .store()
        .list_partnerships(&Scope::All, &Default::default(), Default::default())
        .await
        .unwrap()
        .items[0]
        .id;
    let r = ent
        .post_form(&format!("/partners/{pid}/confirm"), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = ent.get("/partners").await;
    assert!(r.body.contains("已确认"));

    // The form appears; the panel shows the school's standing.
    let fid = app
        .store()
        .list_forms(&Scope::All, batch.id, None, None)
        .await
        .unwrap()[0]
        .id;
    let r = school.get("/forms").await;
    assert!(r.body.contains(&format!("/forms/{fid}")), "{}", r.body);
    assert!(r.body.contains("本校推荐情况") && r.body.contains("中职"));
    assert!(r.body.contains("剩余 29 天") || r.body.contains("剩余 30 天"));

    // A file with a bad mobile: the dry run shows F04 on its cell, nothing is stored yet.
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
        r.body.contains("F04") && r.body.contains("第5行·J列（手机号码）"),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("确认导入") && r.body.contains("1 处错误会标在推荐表的单元格上"),
        "a form may be imported with errors, to correct them on the cells: {}",
        r.body
    );
    assert!(r.body.contains("下载标注文件"));
    let f = form(&app, fid).await;
    assert_eq!((f.version, f.rows.len()), (1, 0));

    // The corrected file: dry run, annotated copy, commit.
    let good = xlsx(
        &p,
        &[teacher(&p, "13800138000"), engineer(&p, "13900139000")],
    );
    let r = school
        .post_multipart(
            &format!("/forms/{fid}/import"),
            &[Part::file("file", "推荐表.xlsx", &good)],
        )
        .await;
    assert!(r.body.contains("确认导入"), "{}", r.body);
    let token = commit_token(&r.body).unwrap();
    let r = school
        .get(&format!("/forms/{fid}/import/{token}/annotated.xlsx"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.bytes.starts_with(b"PK"));
    let r = school
        .post_form(&format!("/forms/{fid}/import/commit"), &[("token", &token)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = school.get(&format!("/forms/{fid}")).await;
    assert!(r.body.contains("已导入") && r.body.contains("张三") && r.body.contains("李四"));
    let f = form(&app, fid).await;
    assert_eq!((f.version, f.rows.len()), (2, 2));

    // The same file again changes nothing.
    let r = school
        .post_multipart(
            &format!("/forms/{fid}/import"),
            &[Part::file("file", "推荐表.xlsx", &good)],
        )
        .await;
    let token = commit_token(&r.body).unwrap();
    school
        .post_form(&format!("/forms/{fid}/import/commit"), &[("token", &token)])
        .await;
    let r = school.get(&format!("/forms/{fid}")).await;
    assert!(r.body.contains("未做任何修改"), "{}", r.body);
    assert_eq!(form(&app, fid).await.version, 2);

    // Downloads: the filled official xlsx reads back; the print view is A4 landscape.
    let r = school.get(&format!("/forms/{fid}/download.xlsx")).await;
    assert_eq!(r.status, StatusCode::OK);
    let wb = shuangshi_sheet::load("x.xlsx", &r.bytes, &Default::default()).unwrap();
    assert_eq!(wb.forms[0].rows.len(), 2);
    let r = school.get(&format!("/forms/{fid}/print")).await;
    assert!(r.body.contains("/assets/print.css?v=") && r.body.contains("交流互聘企业（盖章）"));
    assert!(r.body.contains("学校（盖章）") && r.body.contains("企业（盖章）"));

    // The enterprise confirms the rows (masked numbers).
    let r = ent.get("/confirmations").await;
    assert!(r.body.contains(&p.school.name));
    let r = ent.get(&format!("/confirmations/{fid}")).await;
    assert!(r.body.contains("138****8000") && !r.body.contains("13800138000"));
    let f = form(&app, fid).await;
    let (r1, r2) = (f.rows[0].id.to_string(), f.rows[1].id.to_string());
    let (k1, k2) = (format!("row_{r1}"), format!("row_{r2}"));
    let v = f.version.to_string();
    let r = ent
        .post_form(
            &format!("/confirmations/{fid}"),
            &[(&k1, "1"), (&k2, "1"), ("version", &v)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(form(&app, fid).await.rows.iter().all(|r| r.confirmed()));

    // Submit without the scan is refused with W03.
    let r = school.get("/submissions").await;
    assert!(
        r.body.contains("W03") && !r.body.contains("W02"),
        "{}",
        r.body
    );
    let r = school.post_form("/submissions/submit", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = school.get("/submissions").await;
    assert!(
        r.body.contains("报送未成功") && r.body.contains("W03"),
        "{}",
        r.body
    );

    // The sealed scan, then the submit with its receipt.
    let r = school
        .post_multipart(
            &format!("/forms/{fid}/scan"),
            &[Part::file("file", "盖章.png", PNG)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = school.get(&format!("/forms/{fid}")).await;
    assert!(r.body.contains("已上传"));
    let r = school.get("/submissions").await;
    assert!(r.body.contains("检查全部通过"), "{}", r.body);
    school.post_form("/submissions/submit", &[]).await;
    let r = school.get("/submissions").await;
    assert!(r.body.contains("报送成功，回执号 SQ10-"), "{}", r.body);
    let sub = app
        .store()
        .get_submission(&Scope::All, batch.id, p.school.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sub.status, SubmissionStatus::Submitted);

    // While it waits for review the form cannot change.
    let mut edited = teacher(&p, "13800138000");
    edited[6].1 = "教授".into();
    let r = post_fields(
        &mut school,
        &format!("/forms/{fid}/rows/{r1}"),
        &row_fields(&edited),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = school.get(&format!("/forms/{fid}/rows/{r1}/edit")).await;
    assert!(r.body.contains("已报送待审核"), "{}", r.body);

    // The commission returns it with a reason.
    let mut admin = app.login(Role::Admin).await;
    let r = admin.get("/review").await;
    assert!(r.body.contains(&p.school.name));
    let r = admin
        .get("/review?status=submitted&tier=%E4%B8%AD%E8%81%8C")
        .await;
    assert!(r.body.contains(&p.school.name));
    let r = admin.get("/review?status=accepted").await;
    assert!(!r.body.contains(&p.school.name));
    let r = admin.get(&format!("/review/{}", sub.id)).await;
    assert!(r.body.contains("受理") && r.body.contains("退回") && r.body.contains("张三"));
    let r = admin
        .post_form(
            &format!("/review/{}/return", sub.id),
            &[("note", "请核对张三的职称")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    // The school sees the reason, edits (the scan is voided), confirms and seals again, resubmits.
    let r = school.get("/submissions").await;
    assert!(
        r.body.contains("市教委已退回") && r.body.contains("请核对张三的职称"),
        "{}",
        r.body
    );
    let r = post_fields(
        &mut school,
        &format!("/forms/{fid}/rows/{r1}"),
        &row_fields(&edited),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = school.get(&format!("/forms/{fid}")).await;
    assert!(r.body.contains("已保存") && r.body.contains("教授"));
    assert!(r.body.contains("已作废"), "the scan is void: {}", r.body);
    let r = school.get("/submissions").await;
    assert!(r.body.contains("W02") && r.body.contains("W03"));
    let f = form(&app, fid).await;
    let v = f.version.to_string();
    let k = format!("row_{}", f.rows[0].id);
    ent.post_form(
        &format!("/confirmations/{fid}"),
        &[(&k, "1"), ("version", &v)],
    )
    .await;
    school
        .post_multipart(
            &format!("/forms/{fid}/scan"),
            &[Part::file("file", "盖章2.png", PNG)],
        )
        .await;
    school.post_form("/submissions/submit", &[]).await;
    let r = school.get("/submissions").await;
    assert!(r.body.contains("-02"), "second receipt: {}", r.body);

    // The commission sees the change between the versions, and accepts.
    let r = admin
        .get(&format!("/review/{}/diff?from=1&to=2", sub.id))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("现任专业技术职务") && r.body.contains("副教授") && r.body.contains("教授")
    );
    let r = admin
        .post_form(&format!("/review/{}/accept", sub.id), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = school.get("/submissions").await;
    assert!(r.body.contains("已受理"));
    let sub = app
        .store()
        .get_submission(&Scope::All, batch.id, p.school.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sub.status, SubmissionStatus::Accepted);
}

#[tokio::test]
async fn typed_rows_are_checked_on_save_and_findings_shown_on_their_cells() {
    let app = TestApp::new().await;
    let batch = open_batch(&app).await;
    let p = pair(&app, "丙", "中职").await;
    let (_, f) = prepared(&app, &batch, &p).await;
    let mut school = app.login_as(&p.school_user, PASSWORD).await;
    let mut bad = teacher(&p, "12345");
    bad[2].1 = "王五".into();
    let mut fields = row_fields(&bad);
    fields.push(("version".into(), f.version.to_string()));
    let r = post_fields(&mut school, &format!("/forms/{}/rows", f.id), &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = school.get(&format!("/forms/{}", f.id)).await;
    assert!(
        r.body.contains("已添加：第 3 行（王五）有 1 处错误"),
        "{}",
        r.body
    );
    // The cell is outlined, its message under it, the rule ID small and grey with the clause.
    let at = r
        .body
        .find("finding-cell cell-error")
        .expect("an outlined cell");
    // The cell with its 「查看完整」 control: the window ends on a character boundary.
    let end = (at + 2400..=r.body.len())
        .find(|&i| r.body.is_char_boundary(i))
        .unwrap_or(r.body.len());
    let cell = &r.body[at..end];
    assert!(
        cell.contains("12345") && cell.contains("F04") && cell.contains("通知条款"),
        "{cell}"
    );
    // Deleting it (with the version) brings the form back.
    let f2 = form(&app, f.id).await;
    let rid = f2.rows[2].id;
    let v = f2.version.to_string();
    let r = school
        .post_form(
            &format!("/forms/{}/rows/{rid}/delete", f.id),
            &[("version", &v)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(form(&app, f.id).await.rows.len(), 2);
    // A stale version is refused with a message, nothing changes.
    let r = post_fields(&mut school, &format!("/forms/{}/rows", f.id), &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = school.get(&format!("/forms/{}", f.id)).await;
    assert!(r.body.contains("表单已被修改"), "{}", r.body);
    assert_eq!(form(&app, f.id).await.rows.len(), 2);
    // The footer.
    let v = form(&app, f.id).await.version.to_string();
    school
        .post_form(
            &format!("/forms/{}/meta", f.id),
            &[("version", &v), ("filler", "赵老师"), ("phone", "abc")],
        )
        .await;
    let r = school.get(&format!("/forms/{}", f.id)).await;
    assert!(
        r.body.contains("赵老师") && r.body.contains("F11"),
        "{}",
        r.body
    );
}

/// An xlsx whose sheet declares 4 GB once unpacked: refused from the zip directory.
fn zip_bomb(p: &Pair) -> Vec<u8> {
    let mut bytes = xlsx(p, &[teacher(p, "13800138000")]);
    let name = b"xl/worksheets/sheet1.xml";
    let mut patched = 0;
    for at in 0..bytes.len().saturating_sub(46) {
        let (name_len_at, name_at, size_at) = match &bytes[at..at + 4] {
            b"PK\x03\x04" => (at + 26, at + 30, at + 22),
            b"PK\x01\x02" => (at + 28, at + 46, at + 24),
            _ => continue,
        };
        let len = u16::from_le_bytes([bytes[name_len_at], bytes[name_len_at + 1]]) as usize;
        if bytes.get(name_at..name_at + len) == Some(&name[..]) {
            bytes[size_at..size_at + 4].copy_from_slice(&0xFFFF_0000u32.to_le_bytes());
            patched += 1;
        }
    }
    assert_eq!(patched, 2);
    bytes
}

#[tokio::test]
async fn hostile_uploads_get_a_chinese_message_and_change_nothing() {
    let app = TestApp::new().await;
    let batch = open_batch(&app).await;
    let p = pair(&app, "丁", "中职").await;
    let (_, f) = prepared(&app, &batch, &p).await;
    let mut school = app.login_as(&p.school_user, PASSWORD).await;
    let uri = format!("/forms/{}/import", f.id);
    let bomb = zip_bomb(&p);
    for (name, bytes, expect) in [
        ("炸弹.xlsx", bomb.as_slice(), "超过单个文件上限"),
        (
            "伪装.xlsx",
            "这不是表格，只是一段文字".as_bytes(),
            "伪装.xlsx",
        ),
        ("空.xlsx", b"".as_slice(), "请选择要导入的文件"),
    ] {
        let r = school
            .post_multipart(&uri, &[Part::file("file", name, bytes)])
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name}: {}",
            r.body
        );
        assert!(
            r.body.contains("无法导入") && r.body.contains(expect),
            "{name}: {}",
            r.body
        );
        assert!(commit_token(&r.body).is_none());
    }
    // htmx gets the fragment (no frame), still with the message.
    let mut req = Request::post(&uri);
    let boundary = "b0undary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"伪装.xlsx\"\r\n\r\nhello\r\n--{boundary}--\r\n"
    );
    req = req
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header("hx-request", "true")
        .header("x-csrf-token", school.csrf.clone());
    let r = school
        .send(req.body(axum::body::Body::from(body)).unwrap())
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("无法导入") && !r.body.contains("<html"));
    // A scan that is not a PDF/JPG/PNG by content is refused whatever its name.
    let r = school
        .post_multipart(
            &format!("/forms/{}/scan", f.id),
            &[Part::file("file", "盖章.png", b"GIF89a not really")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = school.get(&format!("/forms/{}", f.id)).await;
    assert!(r.body.contains("不是 PDF、JPG 或 PNG 文件"), "{}", r.body);
    // Without the CSRF token an upload is refused.
    let mut no_csrf = school.clone();
    no_csrf.csrf.clear();
    let r = no_csrf
        .post_multipart(&uri, &[Part::file("file", "a.xlsx", &bomb)])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Nothing stored changed.
    let after = form(&app, f.id).await;
    assert_eq!(after, f);
    assert_eq!(
        app.store()
            .list_scans(&Scope::All, f.id)
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn another_organisations_ids_answer_404() {
    let app = TestApp::new().await;
    let batch = open_batch(&app).await;
    let a = pair(&app, "戊", "中职").await;
    let b = pair(&app, "己", "国家双高").await;
    let (_, fa) = prepared(&app, &batch, &a).await;
    let (_, fb) = prepared(&app, &batch, &b).await;
    // A proposal of B's still waiting for its enterprise.
    let other_ent = app.org_named("重庆庚科技有限公司", "国有企业").await;
    let pb = app
        .store()
        .propose_partnership(
            &Scope::All,
            batch.id,
            b.school.id,
            other_ent.id,
            &[],
            &Actor::system(),
        )
        .await
        .unwrap()
        .unwrap();
    let sb = app.store().list_scans(&Scope::All, fb.id).await.unwrap()[0].id;
    let rb = fb.rows[0].id;
    let f = fb.id;
    let good = xlsx(&b, &[teacher(&b, "13800138000")]);

    let mut school = app.login_as(&a.school_user, PASSWORD).await;
    for uri in [
        format!("/forms/{f}"),
        format!("/forms/{f}/rows/{rb}/edit"),
        format!("/forms/{f}/download.xlsx"),
        format!("/forms/{f}/print"),
        format!("/forms/{f}/import/abc/annotated.xlsx"),
        format!("/scans/{sb}"),
        format!("/forms/{}/rows/{rb}/edit", fa.id),
    ] {
        let r = school.get(&uri).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "GET {uri}: {}", r.body);
        assert!(r.body.contains("不存在"), "{uri}");
    }
    let v = fb.version.to_string();
    for uri in [
        format!("/forms/{f}/meta"),
        format!("/forms/{f}/rows"),
        format!("/forms/{f}/rows/{rb}"),
        format!("/forms/{f}/rows/{rb}/delete"),
        format!("/forms/{f}/import/commit"),
        format!("/forms/{}/rows/{rb}", fa.id),
        format!("/forms/{}/rows/{rb}/delete", fa.id),
    ] {
        let mut fields = row_fields(&teacher(&b, "13700137000"));
        fields.push(("version".into(), v.clone()));
        fields.push(("token".into(), "abc".into()));
        let r = post_fields(&mut school, &uri, &fields).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "POST {uri}: {}", r.body);
    }
    for uri in [format!("/forms/{f}/import"), format!("/forms/{f}/scan")] {
        let r = school
            .post_multipart(&uri, &[Part::file("file", "a.png", PNG)])
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "POST {uri}");
    }
    let r = school
        .post_form("/partners", &[("enterprise_id", &b.school.id.to_string())])
        .await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "a school is no partner enterprise"
    );

    // The other enterprise.
    let mut ent = app.login_as(&a.enterprise_user, PASSWORD).await;
    for uri in [
        format!("/partners/{}/confirm", pb.id),
        format!("/partners/{}/reject", pb.id),
        format!("/confirmations/{f}"),
    ] {
        let r = ent
            .post_form(&uri, &[(&format!("row_{rb}"), "1"), ("version", &v)])
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "POST {uri}: {}", r.body);
    }
    let r = ent.get(&format!("/confirmations/{f}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // A row of B's form confirmed through A's form id.
    let r = ent
        .post_form(
            &format!("/confirmations/{}", fa.id),
            &[
                (&format!("row_{rb}"), "1"),
                ("version", &fa.version.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // The API, with tokens.
    let token = |u: &User| {
        let store = app.store().clone();
        let id = u.id;
        async move {
            let (_, t) = store.create_token(id, "t", &Actor::system()).await.unwrap();
            t
        }
    };
    let mut api_school = app.anon();
    api_school.bearer = Some(token(&a.school_user).await);
    let mut api_ent = app.anon();
    api_ent.bearer = Some(token(&a.enterprise_user).await);
    for (who, method, uri) in [
        ("school", Method::GET, format!("/api/v1/forms/{f}")),
        ("school", Method::GET, format!("/api/v1/forms/{f}/scans")),
        ("school", Method::POST, format!("/api/v1/forms/{f}/scans")),
        ("school", Method::POST, format!("/api/v1/forms/{f}/upload")),
        ("ent", Method::GET, format!("/api/v1/forms/{f}")),
        (
            "ent",
            Method::POST,
            format!("/api/v1/partnerships/{}/confirm", pb.id),
        ),
        (
            "ent",
            Method::POST,
            format!("/api/v1/partnerships/{}/reject", pb.id),
        ),
    ] {
        let c = if who == "school" {
            &mut api_school
        } else {
            &mut api_ent
        };
        let r = if uri.ends_with("/scans") || uri.ends_with("/upload") {
            if method == Method::GET {
                c.get(&uri).await
            } else {
                c.post_multipart(&uri, &[Part::file("file", "a.xlsx", &good)])
                    .await
            }
        } else {
            c.request(method.clone(), &uri).await
        };
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "{method} {uri}: {}",
            r.body
        );
        assert!(r.json()["error"].as_str().unwrap().contains("不存在"));
    }
    let json = |c: &mut Client, m: Method, uri: &str, body: serde_json::Value| {
        let req = Request::builder()
            .method(m)
            .uri(uri)
            .header(header::CONTENT_TYPE, "application/json")
            .body(axum::body::Body::from(body.to_string()))
            .unwrap();
        let mut c = c.clone();
        async move { c.send(req).await }
    };
    let r = json(
        &mut api_school,
        Method::PUT,
        &format!("/api/v1/forms/{f}/rows"),
        serde_json::json!({"rows": []}),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = json(
        &mut api_ent,
        Method::POST,
        &format!("/api/v1/forms/{f}/confirmations"),
        serde_json::json!({"row_ids": [rb]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Nothing of B's changed.
    assert_eq!(form(&app, f).await, fb);
    let p = app
        .store()
        .get_partnership(&Scope::All, pb.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.status, shuangshi_store::PartnershipStatus::Proposed);
}

#[tokio::test]
async fn the_api_replaces_rows_confirms_seals_and_submits() {
    let app = TestApp::new().await;
    let _batch = open_batch(&app).await;
    let p = pair(&app, "辛", "中职").await;
    let store = app.store().clone();
    let mut school = app.anon();
    school.bearer = Some(
        store
            .create_token(p.school_user.id, "t", &Actor::system())
            .await
            .unwrap()
            .1,
    );
    let mut ent = app.anon();
    ent.bearer = Some(
        store
            .create_token(p.enterprise_user.id, "t", &Actor::system())
            .await
            .unwrap()
            .1,
    );
    let send = |c: &Client, m: Method, uri: &str, body: serde_json::Value| {
        let req = Request::builder()
            .method(m)
            .uri(uri)
            .header(header::CONTENT_TYPE, "application/json")
            .body(axum::body::Body::from(body.to_string()))
            .unwrap();
        let mut c = c.clone();
        async move { c.send(req).await }
    };

    let r = send(
        &school,
        Method::POST,
        "/api/v1/partnerships",
        serde_json::json!({"enterprise_id": p.enterprise.id, "tags": ["33618"]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let pid = r.json()["id"].as_i64().unwrap();
    let r = ent
        .request(Method::POST, &format!("/api/v1/partnerships/{pid}/confirm"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let fid = r.json()["form_id"].as_i64().unwrap();
    let r = ent.get("/api/v1/partnerships").await;
    assert_eq!(r.json()["items"][0]["status"], "confirmed");

    let by_label = |r: &Row| -> serde_json::Value {
        serde_json::Value::Object(
            r.iter()
                .map(|(c, v)| (c.label().to_owned(), serde_json::Value::String(v.clone())))
                .collect(),
        )
    };
    let bad = serde_json::json!({
        "filler": "王老师", "phone": "023-63865672",
        "rows": [by_label(&teacher(&p, "1380013800")), by_label(&engineer(&p, "13900139000"))]
    });
    let uri = format!("/api/v1/forms/{fid}/rows");
    let r = send(
        &school,
        Method::PUT,
        &format!("{uri}?dry_run=true"),
        bad.clone(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let j = r.json();
    assert_eq!(j["committed"], false);
    let f04 = j["report"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "F04")
        .expect("F04");
    assert_eq!(f04["severity"], "error");
    assert_eq!(f04["column"], "手机号码");
    let r = send(&school, Method::PUT, &uri, bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(form(&app, fid).await.rows.len(), 0);
    let good = serde_json::json!({
        "filler": "王老师", "phone": "023-63865672",
        "rows": [by_label(&teacher(&p, "13800138000")), by_label(&engineer(&p, "13900139000"))]
    });
    let r = send(&school, Method::PUT, &uri, good.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        (r.json()["committed"].clone(), r.json()["changed"].clone()),
        (true.into(), true.into())
    );
    let r = send(&school, Method::PUT, &uri, good).await;
    assert_eq!(r.json()["changed"], false);

    // Uploads: a text file is refused naming the file; a real one checks (dry run by default).
    let r = school
        .post_multipart(
            &format!("/api/v1/forms/{fid}/upload"),
            &[Part::file("file", "假的.xlsx", b"plain text")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.json()["error"].as_str().unwrap().contains("假的.xlsx"));
    let bytes = xlsx(
        &p,
        &[teacher(&p, "13800138000"), engineer(&p, "13900139000")],
    );
    let r = school
        .post_multipart(
            &format!("/api/v1/forms/{fid}/upload"),
            &[Part::file("file", "推荐表.xlsx", &bytes)],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["committed"], false);
    assert_eq!(r.json()["report"]["batch"], "第十批");

    // The enterprise reads (masked) and confirms; the school seals and submits.
    let r = ent.get(&format!("/api/v1/forms/{fid}")).await;
    let j = r.json();
    assert_eq!(j["rows"][0]["cells"]["手机号码"], "138****8000");
    let ids: Vec<i64> = j["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    let r = send(
        &ent,
        Method::POST,
        &format!("/api/v1/forms/{fid}/confirmations"),
        serde_json::json!({"row_ids": ids}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = school.request(Method::POST, "/api/v1/submission").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.json()["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "W03")
    );
    let r = school
        .post_multipart(
            &format!("/api/v1/forms/{fid}/scans"),
            &[Part::file("file", "s.png", PNG)],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["valid"], true);
    let r = school.request(Method::POST, "/api/v1/submission").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert!(
        r.json()["receipt_no"]
            .as_str()
            .unwrap()
            .starts_with("SQ10-")
    );
    let r = school.get("/api/v1/submission").await;
    assert_eq!(r.json()["status"], "submitted");

    // The commission's inbox and decision.
    let (admin, _) = app.api_client(Role::Admin).await;
    let r = admin
        .clone()
        .get("/api/v1/review/submissions?status=submitted")
        .await;
    let items = r.json()["items"].as_array().unwrap().clone();
    let sid = items
        .iter()
        .find(|s| s["school_id"] == p.school.id)
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let r = admin
        .clone()
        .get(&format!("/api/v1/review/submissions/{sid}"))
        .await;
    assert_eq!(r.json()["versions"][0]["version_no"], 1);
    let r = send(
        &admin,
        Method::POST,
        &format!("/api/v1/review/submissions/{sid}/decision"),
        serde_json::json!({"decision": "accept"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["decision"], "accepted");

    // Every endpoint is in the OpenAPI document, with its schemas.
    let doc = app.anon().get("/api/openapi.json").await.json();
    for path in [
        "/api/v1/partnerships",
        "/api/v1/partnerships/{id}/confirm",
        "/api/v1/forms/{id}",
        "/api/v1/forms/{id}/rows",
        "/api/v1/forms/{id}/upload",
        "/api/v1/forms/{id}/confirmations",
        "/api/v1/forms/{id}/scans",
        "/api/v1/submission",
        "/api/v1/review/submissions",
        "/api/v1/review/submissions/{id}/diff",
        "/api/v1/review/submissions/{id}/decision",
    ] {
        assert!(
            doc["paths"][path].is_object(),
            "{path} missing from the OpenAPI document"
        );
    }
    for schema in ["ApiForm", "ReplaceResult", "ApiScan", "ApiDiff", "FormDiff"] {
        assert!(doc["components"]["schemas"][schema].is_object(), "{schema}");
    }
}

#[test]
fn stored_rows_are_numbered_like_the_downloaded_form() {
    // A finding on a stored row names the cell (J5) the clerk finds in the downloaded xlsx.
    assert_eq!(
        shuangshi_store::forms::FIRST_ROW,
        shuangshi_sheet::write::FIRST_DATA_ROW
    );
}

#[tokio::test]
async fn an_import_checked_on_one_instance_is_committed_on_another() {
    let app = TestApp::new().await;
    let batch = open_batch(&app).await;
    let p = pair(&app, "双实", "中职").await;
    let (_, fid) = partner_with(&app, &batch, &p).await;
    let mut one = app.login_as(&p.school_user, PASSWORD).await;
    let file = xlsx(
        &p,
        &[teacher(&p, "13800138000"), engineer(&p, "13900139000")],
    );
    let r = one
        .post_multipart(
            &format!("/forms/{fid}/import"),
            &[Part::file("file", "推荐表.xlsx", &file)],
        )
        .await;
    let token = commit_token(&r.body).unwrap();
    // The second instance knows the session and the checked upload from the database alone.
    let mut two = one.on(app.second_instance());
    let r = two
        .get(&format!("/forms/{fid}/import/{token}/annotated.xlsx"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = two
        .post_form(&format!("/forms/{fid}/import/commit"), &[("token", &token)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let f = form(&app, fid).await;
    assert_eq!((f.version, f.rows.len()), (2, 2));
    // The token is spent, on either instance.
    let r = one
        .post_form(&format!("/forms/{fid}/import/commit"), &[("token", &token)])
        .await;
    assert_eq!(form(&app, fid).await.version, 2, "{}", r.body);
}
