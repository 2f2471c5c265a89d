//! 催办提醒 through the doors: the commission sees exactly the units behind, one click reminds
//! them, the SMTP sink the test starts receives exactly those units' mails, a second click the same
//! day sends nothing, every reminder is audited and shows on the unit's 工作台; only the
//! 市教委管理员 may send. In the term, the receiving units with overdue records are the ones behind.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use shuangshi_app::mail::Mailer;
use shuangshi_store::{Actor, FormContent, Role, Scope};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::review::submit;
use crate::school::{cells, engineer, pair, partner_with, prepared_with, teacher};
use crate::support::{PASSWORD, TestApp};

/// One message as the sink received it: the envelope's recipients and the data.
#[derive(Debug, Clone)]
struct Mail {
    rcpt: Vec<String>,
    data: String,
}

/// A local SMTP server that accepts everything and keeps what it got.
struct SmtpSink {
    port: u16,
    mails: Arc<Mutex<Vec<Mail>>>,
}

impl SmtpSink {
    async fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let mails: Arc<Mutex<Vec<Mail>>> = Arc::default();
        let kept = mails.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let kept = kept.clone();
                tokio::spawn(async move {
                    let (read, mut write) = stream.into_split();
                    let mut lines = BufReader::new(read).lines();
                    let _ = write.write_all(b"220 sink ESMTP\r\n").await;
                    let mut rcpt = Vec::new();
                    while let Ok(Some(line)) = lines.next_line().await {
                        let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                        let reply: &[u8] = match verb.as_str() {
                            "EHLO" => b"250-sink\r\n250 8BITMIME\r\n",
                            "RCPT" => {
                                let to = line
                                    .split_once('<')
                                    .and_then(|(_, r)| r.split_once('>'))
                                    .map(|(a, _)| a.to_owned())
                                    .unwrap_or_default();
                                rcpt.push(to);
                                b"250 OK\r\n"
                            }
                            "DATA" => {
                                let _ = write.write_all(b"354 go on\r\n").await;
                                let mut data = String::new();
                                while let Ok(Some(l)) = lines.next_line().await {
                                    if l == "." {
                                        break;
                                    }
                                    data.push_str(&l);
                                    data.push('\n');
                                }
                                kept.lock().unwrap().push(Mail {
                                    rcpt: std::mem::take(&mut rcpt),
                                    data,
                                });
                                b"250 queued\r\n"
                            }
                            "QUIT" => {
                                let _ = write.write_all(b"221 bye\r\n").await;
                                break;
                            }
                            _ => b"250 OK\r\n",
                        };
                        if write.write_all(reply).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        SmtpSink { port, mails }
    }

    fn mails(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }

    fn recipients(&self) -> BTreeSet<String> {
        self.mails().into_iter().flat_map(|m| m.rcpt).collect()
    }
}

async fn count(app: &TestApp, sql: &str) -> u64 {
    app.db
        .query_text(sql)
        .await
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

async fn email(app: &TestApp, user: &shuangshi_store::User, address: &str) {
    app.store()
        .set_user_email(user.id, address, &Actor::system())
        .await
        .unwrap();
}

#[tokio::test]
async fn reminders_go_once_a_day_to_exactly_the_units_behind_by_mail_and_on_their_dashboard() {
    let sink = SmtpSink::start().await;
    let mailer = Mailer::new(
        &format!("smtp://127.0.0.1:{}", sink.port),
        "双千双师交流计划 <noreply@example.com>",
    )
    .unwrap();
    let app = TestApp::with_mailer(mailer).await;
    // The deadline three days ahead: inside the reminder window of seven.
    let batch = crate::school::open_batch_due_in(&app, 3).await;
    let sys = Actor::system();

    // 甲: submitted, every row confirmed: not behind.
    let a = pair(&app, "催甲", "中职").await;
    prepared_with(&app, &batch, &a, "13800138001", "13900139001").await;
    submit(&app, &batch, &a).await;
    // 乙: proposed, the enterprise has not answered; nothing submitted three days before the deadline.
    let b = pair(&app, "催乙", "中职").await;
    app.store()
        .propose_partnership(
            &Scope::All,
            batch.id,
            b.school.id,
            b.enterprise.id,
            &[],
            &sys,
        )
        .await
        .unwrap()
        .unwrap();
    // 丙: partnership confirmed, rows typed, the enterprise has not confirmed them.
    let c = pair(&app, "催丙", "中职").await;
    let (_, fid) = partner_with(&app, &batch, &c).await;
    let content = FormContent {
        header_school: c.school.name.clone(),
        header_enterprise: c.enterprise.name.clone(),
        filler: "李老师".into(),
        phone: "023-63865672".into(),
        rows: vec![
            cells(&teacher(&c, "13800138003")),
            cells(&engineer(&c, "13900139003")),
        ],
    };
    app.store()
        .replace_rows(&Scope::All, fid, &content, None, &sys)
        .await
        .unwrap()
        .unwrap();
    for (p, tag) in [(&a, "a"), (&b, "b"), (&c, "c")] {
        email(&app, &p.school_user, &format!("school-{tag}@example.com")).await;
        email(&app, &p.enterprise_user, &format!("ent-{tag}@example.com")).await;
    }

    let mut admin = app.login(Role::Admin).await;
    let page = admin.get("/reminders").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for name in [
        &b.school.name,
        &b.enterprise.name,
        &c.school.name,
        &c.enterprise.name,
    ] {
        assert!(page.body.contains(name.as_str()), "{name} is behind");
    }
    for name in [&a.school.name, &a.enterprise.name] {
        assert!(!page.body.contains(name.as_str()), "{name} is not behind");
    }
    assert!(
        page.body.contains("一键提醒全部（4 个单位）"),
        "{}",
        page.body
    );

    // A school officer may neither see nor send; no CSRF token, no send.
    let mut school = app.login_as(&b.school_user, PASSWORD).await;
    assert_eq!(school.get("/reminders").await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        school
            .post_form("/reminders/send", &[("all", "1")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        admin
            .post_form_raw("/reminders/send", &[("all", "1")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert!(sink.mails().is_empty());

    // A unit that is not behind cannot be picked.
    let not_behind = format!("{}:{}:not_submitted", batch.id, a.school.id);
    let r = admin
        .post_form("/reminders/send", &[("pick", not_behind.as_str())])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = admin.get("/reminders").await;
    assert!(
        page.body.contains("当前没有「未报送」方面的落后事项"),
        "{}",
        page.body
    );
    assert!(sink.mails().is_empty());

    // One click: exactly the four units behind get one mail each.
    let r = admin.post_form("/reminders/send", &[("all", "1")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let expected: BTreeSet<String> = [
        "school-b@example.com",
        "ent-b@example.com",
        "school-c@example.com",
        "ent-c@example.com",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(sink.recipients(), expected);
    assert_eq!(sink.mails().len(), 4);
    assert!(
        sink.mails()
            .iter()
            .all(|m| m.data.contains("Subject:") && m.data.contains("noreply@example.com"))
    );
    let page = admin.get("/reminders").await;
    assert!(page.body.contains("已向 4 个单位发出提醒"), "{}", page.body);
    assert!(
        page.body.contains("4 个单位已发送电子邮件"),
        "{}",
        page.body
    );
    assert!(page.body.contains("今日已提醒"), "{}", page.body);
    let stored = count(&app, "SELECT COUNT(*) FROM reminders").await;
    // 乙 not submitted, 乙's enterprise unconfirmed; 丙 not submitted, 丙's enterprise W02.
    assert_eq!(stored, 4);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM reminders WHERE emailed = true").await,
        4
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'reminder.send'"
        )
        .await,
        4
    );

    // The same day again: nothing new, no mail.
    let r = admin.post_form("/reminders/send", &[("all", "1")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(sink.mails().len(), 4);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM reminders").await, 4);
    let page = admin.get("/reminders").await;
    assert!(page.body.contains("今天已提醒过"), "{}", page.body);

    // The units see it on their 工作台; the one not behind sees none.
    let home = school.get("/").await;
    assert!(home.body.contains("市教委提醒"), "{}", home.body);
    assert!(home.body.contains("未报送"), "{}", home.body);
    let mut ent = app.login_as(&c.enterprise_user, PASSWORD).await;
    let home = ent.get("/").await;
    assert!(home.body.contains("人员待企业确认"), "{}", home.body);
    let mut fine = app.login_as(&a.school_user, PASSWORD).await;
    assert!(!fine.get("/").await.body.contains("市教委提醒"));
}

#[tokio::test]
async fn in_the_term_the_receiving_units_with_overdue_records_are_reminded_without_mail() {
    let app = TestApp::new().await;
    let a = pair(&app, "期甲", "中职").await;
    // Batch 10's term (spring 2024) is long past: every arrival and assessment is overdue.
    let batch = crate::term::final_list(&app, &[&a]).await;
    let units = app
        .app()
        .behind_units(&Scope::All, chrono::Utc::now())
        .await
        .unwrap();
    let term = units.iter().find(|u| u.batch.id == batch.id).unwrap();
    assert_eq!(term.stage, shuangshi_app::reminders::Stage::Term);
    let orgs: BTreeSet<i64> = term.units.iter().map(|u| u.unit.org_id).collect();
    // The enterprise receives the teacher, the school the engineer.
    assert_eq!(orgs, BTreeSet::from([a.school.id, a.enterprise.id]));
    for u in &term.units {
        assert!(u.unit.has(shuangshi_app::dashboard::Reason::ArrivalOverdue));
        assert!(
            u.unit
                .missing
                .iter()
                .any(|m| m.rule == Some("W04") && m.href.is_some())
        );
    }

    let mut admin = app.login(Role::Admin).await;
    let page = admin.get("/reminders").await;
    assert!(page.body.contains("聘期阶段"), "{}", page.body);
    assert!(page.body.contains("未配置邮件服务器"), "{}", page.body);
    let r = admin.post_form("/reminders/send", &[("all", "1")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = admin.get("/reminders").await;
    assert!(page.body.contains("未发送电子邮件"), "{}", page.body);
    assert!(
        count(
            &app,
            "SELECT COUNT(*) FROM reminders WHERE reason = 'arrival_overdue'"
        )
        .await
            >= 2
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM reminders WHERE emailed = true").await,
        0
    );
    let mut ent = app.login_as(&a.enterprise_user, PASSWORD).await;
    let home = ent.get("/").await;
    assert!(home.body.contains("到岗情况逾期未登记"), "{}", home.body);
}
