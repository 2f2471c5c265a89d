//! The use cases over a real database (SQLite, or PostgreSQL with `TEST_DATABASE_URL`): findings
//! stored once per change and shown the same on every page, duplicates across schools, typed
//! snapshots, and checked uploads that any instance can commit.

#![allow(clippy::unwrap_used, clippy::expect_used)]
use shuangshi_app::forms::{Edit, Mode};
use shuangshi_app::submissions::Decide;
use shuangshi_app::{App, Error};
use shuangshi_rules::{Batch, Column, Org, Severity};
use shuangshi_store::testing::TestDb;
use shuangshi_store::{Actor, Decision, FormContent, FormRecord, ReviewReason, Scope, Store};

mod support;
use support::{ENTERPRISE, SCHOOL_A, SCHOOL_B, TINY_PNG, World};

/// One teacher sent and one engineer received, every cell as the notice asks.
fn clean(batch: &Batch, school: &str, account: &str, teacher: (&str, &str)) -> FormContent {
    let row = |pairs: &[(Column, &str)]| {
        let mut cells = vec![String::new(); Column::ALL.len()];
        for (c, v) in pairs {
            cells[*c as usize] = (*v).to_owned();
        }
        cells
    };
    let common = |seq: &str| {
        vec![
            (Column::Seq, seq.to_owned()),
            (Column::Batch, batch.name.clone()),
            (Column::Term, batch.term.clone()),
            (Column::Bank, "中国工商银行重庆江津支行".to_owned()),
            (Column::AccountName, school.to_owned()),
            (Column::AccountNumber, account.to_owned()),
            (
                Column::ExchangeForm,
                batch.exchange_forms.first().cloned().unwrap_or_default(),
            ),
            (Column::AdminPost, "无".to_owned()),
            (Column::Priority, "无".to_owned()),
        ]
    };
    let mut t: Vec<(Column, String)> = common("1");
    t.extend([
        (Column::Name, teacher.0.to_owned()),
        (Column::Mobile, teacher.1.to_owned()),
        (Column::SendingUnit, school.to_owned()),
        (Column::ReceivingUnit, ENTERPRISE.to_owned()),
        (Column::Field, "机械制造".to_owned()),
        (Column::Title, "讲师".to_owned()),
        (
            Column::TeacherQualification,
            "中等职业学校教师资格".to_owned(),
        ),
        (Column::SkillQualification, "无".to_owned()),
        (Column::Post, batch.posts.school_senior.clone()),
        (Column::Direction, "学校派出".to_owned()),
        (Column::TeachingYears, "6".to_owned()),
    ]);
    let mut e: Vec<(Column, String)> = common("2");
    e.extend([
        (Column::Name, "钱工程".to_owned()),
        (
            Column::Mobile,
            format!("139{}", &account[account.len() - 8..]),
        ),
        (Column::SendingUnit, ENTERPRISE.to_owned()),
        (Column::ReceivingUnit, school.to_owned()),
        (Column::Field, "智能制造".to_owned()),
        (Column::Title, "高级工程师".to_owned()),
        (Column::TeacherQualification, "无".to_owned()),
        (Column::SkillQualification, "无".to_owned()),
        (Column::Post, batch.posts.enterprise_senior.clone()),
        (Column::Direction, "企业派出".to_owned()),
        (Column::EnterpriseYears, "8".to_owned()),
        (Column::FrontlineYears, "5".to_owned()),
    ]);
    let as_refs = |v: &Vec<(Column, String)>| -> Vec<String> {
        let pairs: Vec<(Column, &str)> = v.iter().map(|(c, s)| (*c, s.as_str())).collect();
        row(&pairs)
    };
    FormContent {
        header_school: school.to_owned(),
        header_enterprise: ENTERPRISE.to_owned(),
        filler: "李老师".to_owned(),
        phone: "023-63865672".to_owned(),
        rows: vec![as_refs(&t), as_refs(&e)],
    }
}

impl World {
    async fn new() -> World {
        World::with_orgs(vec![
            Org::new(SCHOOL_A, "中职", "区县教委", "江津区"),
            Org::new(SCHOOL_B, "中职", "区县教委", "江津区"),
            Org::new(ENTERPRISE, "国有企业", "市国资委", "江津区"),
        ])
        .await
    }

    async fn form(&self, school: &str, content: &FormContent) -> FormRecord {
        self.form_tagged(school, &[], content).await
    }

    async fn submit(&self, school: &str) -> Result<i64, Error> {
        self.try_submit(school).await
    }

    async fn rules_on(&self, school: &str) -> Vec<(&'static str, Severity)> {
        let s = self.id_of(school).await;
        self.app
            .school_report(&Scope::School(s), &self.batch, s)
            .await
            .unwrap()
            .unwrap()
            .report
            .findings
            .iter()
            .map(|f| (f.rule, f.severity))
            .collect()
    }
}

fn has(findings: &[(&'static str, Severity)], rule: &str) -> bool {
    findings.iter().any(|(r, _)| *r == rule)
}

#[tokio::test]
async fn a_clean_school_submits_and_its_snapshot_reads_back_typed() {
    let w = World::new().await;
    let f = w
        .form(
            SCHOOL_A,
            &clean(
                &w.batch.params,
                SCHOOL_A,
                "3100021000000000017",
                ("赵老师", "13800000011"),
            ),
        )
        .await;
    let errors: Vec<_> = w
        .rules_on(SCHOOL_A)
        .await
        .into_iter()
        .filter(|(_, s)| *s == Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    w.seal(f.id).await;
    let sub = w.submit(SCHOOL_A).await.unwrap();
    let versions = w
        .store()
        .list_versions(&Scope::All, sub)
        .await
        .unwrap()
        .unwrap();
    let v = w
        .store()
        .get_version(&Scope::All, versions[0].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        v.snapshot.snapshot_version,
        shuangshi_store::SNAPSHOT_VERSION
    );
    assert_eq!(v.snapshot.forms[0].rows.len(), 2);
    assert_eq!(v.snapshot.report.tally.teachers, 1);
    assert_eq!(v.snapshot.report.tally.engineers, 1);
    // A snapshot this program cannot read is an error, never a default.
    w.db.execute(&format!(
        "UPDATE submission_versions SET snapshot = '{{\"receipt_no\":\"x\"}}' WHERE id = {}",
        versions[0].id
    ))
    .await;
    assert!(
        w.store()
            .get_version(&Scope::All, versions[0].id)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn a_person_recommended_by_two_schools_blocks_both_and_the_acceptance() {
    let w = World::new().await;
    let batch = w.batch.params.clone();
    let fa = w
        .form(
            SCHOOL_A,
            &clean(
                &batch,
                SCHOOL_A,
                "3100021000000000017",
                ("郑强", "13800000001"),
            ),
        )
        .await;
    w.seal(fa.id).await;
    let sub_a = w.submit(SCHOOL_A).await.unwrap();
    // School B recommends the same person (same mobile) after A submitted.
    let fb = w
        .form(
            SCHOOL_B,
            &clean(
                &batch,
                SCHOOL_B,
                "3100021000000000029",
                ("郑强", "138 0000 0001"),
            ),
        )
        .await;
    w.seal(fb.id).await;
    let on_a = w.rules_on(SCHOOL_A).await;
    let on_b = w.rules_on(SCHOOL_B).await;
    assert!(has(&on_a, "D01"), "{on_a:?}");
    assert!(has(&on_b, "D01"), "{on_b:?}");
    match w.submit(SCHOOL_B).await {
        Err(Error::Refused(r)) => assert!(r.findings.iter().any(|f| f.rule == "D01"), "{r:?}"),
        other => panic!("B submitted despite D01: {other:?}"),
    }
    // The commission cannot accept A while the duplicate stands; it sees why.
    let d = Decide {
        submission_id: sub_a,
        decision: Decision::Accepted,
        picked: Vec::new(),
        extra: Vec::new(),
        note: String::new(),
    };
    match w.app.decide(&Scope::All, &w.sys, &w.batch, &d).await {
        Err(Error::Refused(r)) => assert!(r.findings.iter().any(|f| f.rule == "D01"), "{r:?}"),
        other => panic!("accepted despite D01: {other:?}"),
    }
    // B removes the person: the finding goes from both schools, and A can be accepted.
    let b = w.id_of(SCHOOL_B).await;
    let row = fb.rows[0].id;
    w.app
        .edit_form(
            &Scope::School(b),
            &w.sys,
            &w.batch,
            fb.id,
            None,
            &Edit::DeleteRow { row_id: row },
        )
        .await
        .unwrap();
    assert!(!has(&w.rules_on(SCHOOL_A).await, "D01"));
    assert!(!has(&w.rules_on(SCHOOL_B).await, "D01"));
    w.app
        .decide(&Scope::All, &w.sys, &w.batch, &d)
        .await
        .unwrap();
}

#[tokio::test]
async fn findings_are_stored_with_the_versions_they_were_computed_on() {
    let w = World::new().await;
    let f = w
        .form(
            SCHOOL_A,
            &clean(
                &w.batch.params,
                SCHOOL_A,
                "3100021000000000017",
                ("赵老师", "1380000001"),
            ),
        )
        .await;
    let a = w.id_of(SCHOOL_A).await;
    let stored = w
        .store()
        .school_check(&Scope::All, w.batch.id, a)
        .await
        .unwrap()
        .expect("the change stored its check");
    assert_eq!(stored.forms[0].form_version, f.version);
    assert!(stored.forms[0].findings.iter().any(|r| r.rule == "F04"));
    // The stored check is what the page shows (no engine run on the read).
    w.db.execute("UPDATE form_checks SET findings = '{\"version\":1,\"findings\":[]}'")
        .await;
    assert!(!has(&w.rules_on(SCHOOL_A).await, "F04"));
    // A change made behind the application's back leaves a stale stamp: the next read computes
    // the check again.
    w.db.execute(&format!(
        "UPDATE forms SET version = version + 1 WHERE id = {}",
        f.id
    ))
    .await;
    assert!(has(&w.rules_on(SCHOOL_A).await, "F04"));
    // The registry changes: the batch's checks are dropped and computed again on the next read.
    w.store()
        .import_orgs(
            vec![Org::new(SCHOOL_A, "国家双高", "市教委", "江津区")],
            &w.sys,
        )
        .await
        .unwrap();
    assert!(
        w.store()
            .school_check(&Scope::All, w.batch.id, a)
            .await
            .unwrap()
            .is_none()
    );
    assert!(has(&w.rules_on(SCHOOL_A).await, "S03"));
}

#[tokio::test]
async fn an_upload_previewed_on_one_instance_is_committed_on_another() {
    let w = World::new().await;
    let batch = w.batch.params.clone();
    let f = w
        .form(
            SCHOOL_A,
            &clean(
                &batch,
                SCHOOL_A,
                "3100021000000000017",
                ("赵老师", "13800000011"),
            ),
        )
        .await;
    // The file: the same form with a third person, written as the official xlsx.
    let mut content = clean(
        &batch,
        SCHOOL_A,
        "3100021000000000017",
        ("孙老师", "13800000012"),
    );
    content.rows.push(content.rows[0].clone());
    content.rows[2][Column::Name as usize] = "周老师".to_owned();
    content.rows[2][Column::Mobile as usize] = "13800000013".to_owned();
    let rows: Vec<shuangshi_rules::PersonRow> = content
        .rows
        .iter()
        .map(|cells| {
            let mut r = shuangshi_rules::PersonRow::new(0);
            for (c, v) in Column::ALL.iter().zip(cells) {
                r = r.with(*c, v);
            }
            r
        })
        .collect();
    let xlsx = shuangshi_sheet::write::filled_xlsx(
        &batch,
        &shuangshi_sheet::write::Filled {
            school: SCHOOL_A.into(),
            enterprise: ENTERPRISE.into(),
            rows,
            filler: "李老师".into(),
            phone: "023-63865672".into(),
            supplementary: true,
        },
    )
    .unwrap();
    let a = w.id_of(SCHOOL_A).await;
    let scope = Scope::School(a);
    let user = w
        .store()
        .create_user(
            shuangshi_store::NewUser {
                username: "school_a".into(),
                display_name: "学校".into(),
                role: shuangshi_store::Role::SchoolOfficer,
                org_id: Some(a),
                password: "Long-Enough-Pass-2025".into(),
                must_change_password: false,
            },
            &w.sys,
        )
        .await
        .unwrap();
    let preview = w
        .app
        .preview_upload(&scope, user.id, &w.batch, &f, "新表.xlsx".into(), xlsx)
        .await
        .unwrap();
    assert_eq!(preview.upload.people, 3);
    // Another instance: its own connection pool on the same database.
    let other = App::new(Store::connect(w.db.url()).await.unwrap());
    let done = other
        .commit_upload(&scope, &w.sys, user.id, &w.batch, &f, &preview.token)
        .await
        .unwrap();
    assert!(done.outcome.changed);
    assert_eq!(done.outcome.form.rows.len(), 3);
    // The token is spent.
    assert!(matches!(
        other
            .commit_upload(&scope, &w.sys, user.id, &w.batch, &f, &preview.token)
            .await,
        Err(Error::Refused(_))
    ));
}

#[tokio::test]
async fn a_registry_preview_says_what_its_commit_then_does() {
    let db = TestDb::new().await;
    let app = App::new(db.store().clone());
    let actor = Actor::system();
    db.import_orgs(
        vec![Org::new(SCHOOL_A, "中职", "区县教委", "江津区")],
        &actor,
    )
    .await
    .unwrap();
    let csv = format!(
        "单位名称,单位类别,隶属关系,统一社会信用代码,所在区县\n\
         {SCHOOL_A},中职,区县教委,,江津区\n\
         {SCHOOL_B},中职,市教委,,江津区\n\
         {ENTERPRISE},国有企业,区县国资委,,江津区\n"
    );
    let preview = app
        .preview_org_import("名录.csv", csv.into_bytes())
        .await
        .unwrap();
    assert!(preview.is_ok(), "{:?}", preview.problems);
    let changes: Vec<(&str, &str)> = preview
        .rows
        .iter()
        .map(|r| (r.org.name.as_str(), r.change.label()))
        .collect();
    assert_eq!(
        changes,
        [(SCHOOL_A, "不变"), (SCHOOL_B, "新增"), (ENTERPRISE, "新增")]
    );
    assert_eq!(
        db.registry().await.unwrap().len(),
        1,
        "a preview stores nothing"
    );
    let done = app.commit_org_import(&actor, preview.orgs()).await.unwrap();
    assert_eq!(
        (done.inserted, done.updated, done.unchanged),
        (preview.inserted, preview.updated, preview.unchanged)
    );
    assert_eq!(db.registry().await.unwrap().len(), 3);

    let bad = "单位名称,单位类别\n重庆某某学院,不存在的类别\n";
    let p = app
        .preview_org_import("坏名录.csv", bad.as_bytes().to_vec())
        .await
        .unwrap();
    assert!(!p.is_ok());
    assert!(
        p.problem_text().contains("坏名录.csv"),
        "{}",
        p.problem_text()
    );
    assert!(
        p.problems.iter().any(|m| m.contains("不存在的类别")),
        "{:?}",
        p.problems
    );
}

#[tokio::test]
async fn a_returned_submission_is_not_resubmitted_unchanged_at_any_door() {
    let w = World::new().await;
    let f = w
        .form(
            SCHOOL_A,
            &clean(
                &w.batch.params,
                SCHOOL_A,
                "3100021000000000017",
                ("赵老师", "13800000011"),
            ),
        )
        .await;
    w.seal(f.id).await;
    let sub = w.submit(SCHOOL_A).await.unwrap();
    let d = Decide {
        submission_id: sub,
        decision: Decision::Returned,
        picked: Vec::new(),
        extra: vec![ReviewReason {
            rule: String::new(),
            message: "盖章扫描件不清晰，请重新扫描".to_owned(),
        }],
        note: String::new(),
    };
    w.app
        .decide(&Scope::All, &w.sys, &w.batch, &d)
        .await
        .unwrap();
    // Nothing changed since the return: the use case itself refuses, whatever door calls it.
    match w.submit(SCHOOL_A).await {
        Err(Error::Refused(r)) => assert!(r.message.contains("尚未修改"), "{r:?}"),
        other => panic!("an unchanged returned submission was taken again: {other:?}"),
    }
    // A new sealed scan is a change: the school may submit again.
    w.store()
        .put_scan(&Scope::All, f.id, "image/png", TINY_PNG.to_vec(), &w.sys)
        .await
        .unwrap();
    assert_eq!(w.submit(SCHOOL_A).await.unwrap(), sub);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_changes_of_one_school_all_land_and_leave_a_current_check() {
    let w = World::new().await;
    let content = clean(
        &w.batch.params,
        SCHOOL_A,
        "3100021000000000017",
        ("赵老师", "13800000001"),
    );
    let form = w.form(SCHOOL_A, &content).await;
    let a = w.id_of(SCHOOL_A).await;
    // A deadline rush on one school: many saves at once, each a real change. Every save lands
    // and none is refused because the school's check was being computed by another.
    let saves = (0..64).map(|i| {
        let (app, batch, sys, form) = (w.app.clone(), w.batch.clone(), w.sys.clone(), form.clone());
        let mut changed = content.clone();
        changed.filler = format!("李老师{i}");
        tokio::spawn(async move {
            app.replace_content(
                &Scope::School(a),
                &sys,
                &batch,
                &form,
                &changed,
                None,
                Mode::Commit,
            )
            .await
            .map(|_| ())
        })
    });
    let outcomes: Vec<Result<(), Error>> = futures_join(saves).await;
    let refused: Vec<String> = outcomes
        .iter()
        .filter_map(|o| o.as_ref().err().map(|e| e.to_string()))
        .collect();
    assert!(refused.is_empty(), "refused saves: {refused:?}");
    let now = w
        .store()
        .get_form(&Scope::All, form.id)
        .await
        .unwrap()
        .unwrap();
    let stored = w
        .store()
        .school_check(&Scope::All, w.batch.id, a)
        .await
        .unwrap()
        .expect("a check is stored");
    assert_eq!(stored.forms[0].form_version, now.version);
}

/// Awaits every task, in order.
async fn futures_join<T>(tasks: impl Iterator<Item = tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::new();
    for t in tasks.collect::<Vec<_>>() {
        out.push(t.await.unwrap());
    }
    out
}
