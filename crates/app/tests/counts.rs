//! The counts the commission's 工作台 reads are kept as data, maintained with every change: after
//! each change made through the use cases (a form typed, a person added, a submission returned
//! and accepted, the final list published, an arrival and an assessment recorded) the stored
//! counts equal a recount from the rows, and the dashboard's numbers equal the roster's and the
//! term board's. On SQLite, or PostgreSQL with `TEST_DATABASE_URL`.

#![allow(clippy::unwrap_used, clippy::expect_used)]
use chrono::{Duration, Utc};
use shuangshi_app::Disclosure;
use shuangshi_app::dashboard::Chart;
use shuangshi_app::export::RosterFilter;
use shuangshi_app::forms::Edit;
use shuangshi_app::submissions::Decide;
use shuangshi_app::term::TermForm;
use shuangshi_rules::text::norm;
use shuangshi_rules::{Batch, Column, Direction, Input, Org, Tally, directions};
use shuangshi_store::{
    Actor, ArrivalState, Decision, FormContent, FormRecord, PublicationState, Role, Scope,
    SelectionStatus, SubmissionStatus,
};

mod support;
use support::{ENTERPRISE, SCHOOL_A, SCHOOL_B, World};

fn cells(pairs: &[(Column, String)]) -> Vec<String> {
    let mut cells = vec![String::new(); Column::ALL.len()];
    for (c, v) in pairs {
        cells[*c as usize] = v.clone();
    }
    cells
}

/// A row of `school`'s form, every cell as the notice asks: a teacher sent (`teacher`) or an
/// engineer received.
fn person(
    batch: &Batch,
    school: &str,
    account: &str,
    seq: usize,
    name: &str,
    mobile: &str,
    teacher: bool,
) -> Vec<String> {
    let mut v = vec![
        (Column::Seq, seq.to_string()),
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
        (Column::Name, name.to_owned()),
        (Column::Mobile, mobile.to_owned()),
    ];
    if teacher {
        v.extend([
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
    } else {
        v.extend([
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
    }
    cells(&v)
}

fn content(batch: &Batch, school: &str, account: &str, n: u8) -> FormContent {
    FormContent {
        header_school: school.to_owned(),
        header_enterprise: ENTERPRISE.to_owned(),
        filler: "李老师".to_owned(),
        phone: "023-63865672".to_owned(),
        rows: vec![
            person(
                batch,
                school,
                account,
                1,
                &format!("赵老师{n}"),
                &format!("1380000001{n}"),
                true,
            ),
            person(
                batch,
                school,
                account,
                2,
                &format!("钱工程{n}"),
                &format!("1390000001{n}"),
                false,
            ),
        ],
    }
}

impl World {
    async fn new() -> World {
        World::with_orgs(vec![
            Org::new(SCHOOL_A, "中职", "区县教委", "江津区"),
            Org::new(SCHOOL_B, "中职", "区县教委", ""),
            Org::new(ENTERPRISE, "国有企业", "市国资委", "九龙坡区"),
        ])
        .await
    }

    /// A confirmed partnership of `school` (tagged) with its form holding `content`.
    async fn form(&self, school: &str, content: &FormContent) -> FormRecord {
        self.form_tagged(school, &["33618".to_owned()], content)
            .await
    }

    async fn submit(&self, school: &str) -> i64 {
        self.try_submit(school).await.unwrap()
    }

    async fn decide(&self, submission_id: i64, decision: Decision) {
        let d = Decide {
            submission_id,
            decision,
            picked: Vec::new(),
            extra: Vec::new(),
            note: "请补充材料".to_owned(),
        };
        self.app
            .decide(&Scope::All, &self.sys, &self.batch, &d)
            .await
            .unwrap();
    }

    /// The forms' tallies recounted from their rows, as the rules decide each row's direction.
    async fn recount(&self) -> Vec<(i64, i32, Tally)> {
        let forms = self
            .store()
            .batch_forms(&Scope::All, self.batch.id)
            .await
            .unwrap();
        let registry = self.store().registry().await.unwrap();
        let rules: Vec<shuangshi_rules::Form> =
            forms.iter().map(FormRecord::to_rules_form).collect();
        let params = &self.batch.params;
        let dirs = directions(Input {
            batch: params,
            forms: &rules,
            registry: Some(&registry),
            history: &[],
        });
        let (vp, dean) = (
            norm(&params.posts.school_senior),
            norm(&params.posts.enterprise_senior),
        );
        let mut out: Vec<(i64, i32, Tally)> = forms
            .iter()
            .zip(&dirs)
            .map(|(f, d)| {
                let mut t = Tally::default();
                for (row, dir) in f.rows.iter().zip(d) {
                    let post = norm(row.cell(Column::Post));
                    match dir {
                        Some(Direction::School) => {
                            t.teachers += 1;
                            t.tech_vps += u32::from(post == vp);
                        }
                        Some(Direction::Enterprise) => {
                            t.engineers += 1;
                            t.deans += u32::from(post == dean);
                        }
                        None => t.undetermined += 1,
                    }
                }
                (f.id, f.version, t)
            })
            .collect();
        out.sort_by_key(|(id, _, _)| *id);
        out
    }

    /// The stored counts of the batch equal a recount from the rows, without the dashboard
    /// computing anything first; then the dashboard's numbers equal the roster's.
    async fn counts_hold(&self) {
        let counts = self
            .store()
            .batch_counts(&Scope::All, self.batch.id)
            .await
            .unwrap();
        let mut stored: Vec<(i64, i32, Tally)> = counts
            .forms
            .iter()
            .map(|f| {
                let (v, t) = f.checked.expect("every form has its stored check");
                assert_eq!(v, f.version, "the check is of the form as it stands");
                (f.form_id, v, t)
            })
            .collect();
        stored.sort_by_key(|(id, _, _)| *id);
        assert_eq!(stored, self.recount().await);
        let forms = self
            .store()
            .batch_forms(&Scope::All, self.batch.id)
            .await
            .unwrap();
        for f in &forms {
            let names: Vec<String> = f
                .rows
                .iter()
                .filter(|r| !r.confirmed())
                .map(|r| r.cell(Column::Name).to_owned())
                .collect();
            assert_eq!(
                counts.unconfirmed.get(&f.id).cloned().unwrap_or_default(),
                names,
                "rows awaiting the enterprise"
            );
        }
        let selections = self
            .store()
            .list_selections(&Scope::All, self.batch.id)
            .await
            .unwrap();
        for st in SelectionStatus::ALL {
            let n = selections.iter().filter(|s| s.status == st).count() as u64;
            assert_eq!(
                counts.selections.get(st.as_str()).copied().unwrap_or(0),
                n,
                "selections {st:?}"
            );
        }

        let d = self
            .app
            .dashboard(&Scope::All, &self.batch, Utc::now())
            .await
            .unwrap();
        let disclosure = Disclosure::new(Role::Admin, Actor::system(), false);
        let g = self
            .app
            .roster(
                &Scope::All,
                &self.batch,
                &RosterFilter::default(),
                &disclosure,
            )
            .await
            .unwrap();
        let people = &g.people;
        assert_eq!(d.people, people.len());
        let chart = |id: &str| -> &Chart { d.charts.iter().find(|c| c.id == id).unwrap() };
        let value = |c: &Chart, series: &str, category: &str| -> usize {
            let i = c.categories.iter().position(|x| x == category).unwrap();
            let s = c.series.iter().find(|s| s.name == series).unwrap();
            s.values[i] as usize
        };
        // Every chart's number is the length of the filtered roster.
        let status = chart("by-status");
        for st in SubmissionStatus::ALL {
            let n = people.iter().filter(|p| p.status == st.label()).count();
            assert_eq!(value(status, "人数", st.label()), n, "{st:?}");
        }
        let tier = chart("by-tier");
        let district = chart("by-district");
        for (dir, label) in [
            (Direction::School, "学校派出"),
            (Direction::Enterprise, "企业派出"),
        ] {
            let n = people.iter().filter(|p| p.direction == dir.label()).count();
            let s = tier.series.iter().find(|s| s.name == label).unwrap();
            assert_eq!(s.total() as usize, n, "by tier, {label}");
            for (i, c) in district.categories.iter().enumerate() {
                let want = people
                    .iter()
                    .filter(|p| {
                        p.direction == dir.label()
                            && (p.district == *c || (c == "未登记" && p.district.is_empty()))
                    })
                    .count();
                let s = district.series.iter().find(|s| s.name == label).unwrap();
                assert_eq!(s.values[i] as usize, want, "district {c}, {label}");
            }
        }
        let kind = chart("by-kind");
        assert_eq!(
            value(kind, "人数", "国有企业"),
            people.iter().filter(|p| p.kind == "国有企业").count()
        );
        let cluster = chart("by-cluster");
        assert_eq!(value(cluster, "人数", "33618"), people.len());
        let targets = chart("targets");
        let accepted = people
            .iter()
            .filter(|p| p.status == SubmissionStatus::Accepted.label());
        let teachers = accepted
            .clone()
            .filter(|p| p.direction == Direction::School.label())
            .count();
        let vps = accepted
            .clone()
            .filter(|p| {
                p.direction == Direction::School.label()
                    && norm(&p.post) == norm(&self.batch.params.posts.school_senior)
            })
            .count();
        let engineers = accepted
            .filter(|p| p.direction == Direction::Enterprise.label())
            .count();
        assert_eq!(value(targets, "其中已受理", "学校派出教师"), teachers);
        assert_eq!(value(targets, "其中已受理", "其中挂任科技副总"), vps);
        assert_eq!(value(targets, "其中已受理", "企业派出工程师"), engineers);
        assert_eq!(
            value(targets, "已推荐", "学校派出教师"),
            g.totals[0].have as usize
        );
        let selection = chart("selection");
        for st in SelectionStatus::ALL {
            let n = selections.iter().filter(|s| s.status == st).count();
            assert_eq!(value(selection, "人数", st.label()), n, "{st:?}");
        }
    }

    /// The final list counted equals its rows, and the term's charts the term board and the
    /// ledger.
    async fn term_holds(&self) {
        let now = Utc::now();
        let tallies = self
            .store()
            .term_tallies(&Scope::All, self.batch.id)
            .await
            .unwrap();
        let rows = self
            .store()
            .term_rows(&Scope::All, self.batch.id)
            .await
            .unwrap();
        let total: u64 = tallies.groups.iter().map(|(_, n)| *n).sum();
        assert_eq!(total as usize, rows.len());
        for r in &rows {
            let c = &r.content;
            let key = tallies
                .groups
                .iter()
                .find(|(g, _)| {
                    g.direction == r.direction
                        && g.school_id == r.school_id
                        && g.arrival == c.arrival
                        && g.post != c.post.trim().is_empty()
                        && g.tasks != c.tasks.trim().is_empty()
                        && g.duties != c.duties.trim().is_empty()
                        && g.assessed == c.assessment.is_some()
                })
                .map(|(_, n)| *n);
            let same = rows
                .iter()
                .filter(|o| {
                    o.direction == r.direction
                        && o.school_id == r.school_id
                        && o.content.arrival == c.arrival
                        && o.content.post.trim().is_empty() == c.post.trim().is_empty()
                        && o.content.tasks.trim().is_empty() == c.tasks.trim().is_empty()
                        && o.content.duties.trim().is_empty() == c.duties.trim().is_empty()
                        && o.content.assessment.is_some() == c.assessment.is_some()
                })
                .count() as u64;
            assert_eq!(key, Some(same), "{}", r.name);
        }
        let board = self
            .app
            .term_board(&Scope::All, &self.batch, now)
            .await
            .unwrap();
        let charts = self.app.term_charts(&Scope::All, now).await.unwrap();
        if board.listed == 0 {
            assert!(charts.is_empty(), "no term chart before a final list");
            return;
        }
        let term = charts.iter().find(|c| c.id == "term").unwrap();
        let want = [
            board.listed,
            board.arrived,
            board.absent,
            board.unrecorded,
            board.assessed,
            board.overdue,
        ];
        let got: Vec<usize> = term.series[0].values.iter().map(|v| *v as usize).collect();
        assert_eq!(got, want);
        let disclosure = Disclosure::new(Role::Admin, Actor::system(), false);
        let ledger = self
            .app
            .ledger(&Scope::All, &self.batch, &disclosure, now)
            .await
            .unwrap();
        match charts.iter().find(|c| c.id == "subsidy") {
            Some(money) => {
                let names: Vec<&str> = ledger.rows.iter().map(|r| r.school_name.as_str()).collect();
                assert_eq!(money.categories, names);
                let due: Vec<i64> = ledger.rows.iter().map(|r| r.due).collect();
                let paid: Vec<i64> = ledger.rows.iter().map(|r| r.paid).collect();
                let as_i64 = |s: &str| -> Vec<i64> {
                    let s = money.series.iter().find(|x| x.name == s).unwrap();
                    s.values.iter().map(|v| *v as i64).collect()
                };
                assert_eq!(as_i64("应拨"), due);
                assert_eq!(as_i64("已拨"), paid);
            }
            None => assert!(ledger.rows.is_empty()),
        }
    }
}

#[tokio::test]
async fn the_stored_counts_follow_every_change_and_equal_a_recount() {
    let w = World::new().await;
    let p = &w.batch.params;
    let a = w
        .form(SCHOOL_A, &content(p, SCHOOL_A, "3100021000000000017", 1))
        .await;
    w.counts_hold().await;
    let b = w
        .form(SCHOOL_B, &content(p, SCHOOL_B, "3100021000000000025", 2))
        .await;
    w.counts_hold().await;

    // A person added, then a row whose direction the rules cannot decide.
    let added = person(
        p,
        SCHOOL_A,
        "3100021000000000017",
        3,
        "孙老师",
        "13800000013",
        true,
    );
    let s_a = Scope::School(w.id_of(SCHOOL_A).await);
    let teacher = w
        .app
        .edit_form(
            &s_a,
            &w.sys,
            &w.batch,
            a.id,
            None,
            &Edit::AddRow(added.clone()),
        )
        .await
        .unwrap();
    w.counts_hold().await;
    let mut unknown = added;
    unknown[Column::Name as usize] = String::new();
    unknown[Column::Direction as usize] = String::new();
    unknown[Column::Post as usize] = String::new();
    unknown[Column::SendingUnit as usize] = String::new();
    unknown[Column::ReceivingUnit as usize] = String::new();
    let edited = w
        .app
        .edit_form(&s_a, &w.sys, &w.batch, a.id, None, &Edit::AddRow(unknown))
        .await
        .unwrap();
    w.counts_hold().await;
    // And both deleted again (the school sends as many as it receives).
    for row in [edited.row_id.unwrap(), teacher.row_id.unwrap()] {
        w.app
            .edit_form(
                &s_a,
                &w.sys,
                &w.batch,
                a.id,
                None,
                &Edit::DeleteRow { row_id: row },
            )
            .await
            .unwrap();
        w.counts_hold().await;
    }

    // Submitted, returned, submitted again and accepted: statuses and selections move.
    w.seal(a.id).await;
    w.seal(b.id).await;
    w.counts_hold().await;
    let sub_a = w.submit(SCHOOL_A).await;
    w.counts_hold().await;
    w.decide(sub_a, Decision::Returned).await;
    w.counts_hold().await;
    // Changed after the return (the footer), sealed again and submitted again.
    let form = w.get(a.id).await;
    w.app
        .edit_form(
            &s_a,
            &w.sys,
            &w.batch,
            a.id,
            None,
            &Edit::Meta(shuangshi_store::FormMeta {
                header_school: form.header_school.clone(),
                header_enterprise: form.header_enterprise.clone(),
                filler: "王老师".to_owned(),
                phone: form.phone.clone(),
            }),
        )
        .await
        .unwrap();
    w.seal(a.id).await;
    w.counts_hold().await;
    let sub_a = w.submit(SCHOOL_A).await;
    w.decide(sub_a, Decision::Accepted).await;
    let sub_b = w.submit(SCHOOL_B).await;
    w.decide(sub_b, Decision::Accepted).await;
    w.counts_hold().await;

    // 遴选, 公示 and the final list.
    let ids: Vec<i64> = w
        .store()
        .list_selections(&Scope::All, w.batch.id)
        .await
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect();
    let (first, rest) = ids.split_first().unwrap();
    w.app
        .decide_selection(
            &Scope::All,
            &w.sys,
            &w.batch,
            rest,
            SelectionStatus::Selected,
            "",
        )
        .await
        .unwrap();
    w.counts_hold().await;
    w.app
        .decide_selection(
            &Scope::All,
            &w.sys,
            &w.batch,
            &[*first],
            SelectionStatus::Rejected,
            "名额已满",
        )
        .await
        .unwrap();
    w.counts_hold().await;
    w.term_holds().await;
    w.app
        .publish_publicity(&w.sys, &w.batch, Utc::now() - Duration::days(30))
        .await
        .unwrap();
    w.db.execute(
        "UPDATE publications SET opens_at = '2000-01-01 00:00:00+00:00', \
         closes_at = '2000-01-02 00:00:00+00:00' WHERE kind = 'publicity'",
    )
    .await;
    let fin = w.app.propose_final(&w.sys, &w.batch, "").await.unwrap();
    if fin.state != PublicationState::Published {
        w.app.approve_final(&Actor::system(), fin.id).await.unwrap();
    }
    w.counts_hold().await;
    w.term_holds().await;

    // Arrivals and an assessment, recorded by the receiving units.
    let schedule = p.schedule();
    let rows = w.store().term_rows(&Scope::All, w.batch.id).await.unwrap();
    assert_eq!(rows.len(), ids.len() - 1);
    for (i, r) in rows.iter().enumerate() {
        let scope = if r.direction == "enterprise" {
            Scope::School(r.receiver_id)
        } else {
            Scope::Enterprise(r.receiver_id)
        };
        let form = match i {
            0 => TermForm {
                arrival: "arrived".into(),
                arrived_on: schedule.starts.to_string(),
                post: "技术研发部副总经理".into(),
                tasks: "产教融合项目".into(),
                duties: "组织研发".into(),
                assessment: "优秀".into(),
                summary: "完成聘期任务".into(),
                ..TermForm::default()
            },
            1 => TermForm {
                arrival: "arrived".into(),
                arrived_on: schedule.starts.to_string(),
                post: "实训中心".into(),
                ..TermForm::default()
            },
            _ => TermForm {
                arrival: "absent".into(),
                absent_reason: "本人因病申请退出".into(),
                ..TermForm::default()
            },
        };
        w.app
            .record_term(&scope, &w.sys, &w.batch, r.selection_id, r.version, &form)
            .await
            .unwrap();
        w.term_holds().await;
    }
    let rows = w.store().term_rows(&Scope::All, w.batch.id).await.unwrap();
    assert!(
        rows.iter()
            .any(|r| r.content.arrival == ArrivalState::Arrived)
    );
}
