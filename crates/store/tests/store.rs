//! The store against real databases: SQLite by default, PostgreSQL when `TEST_DATABASE_URL` is set.
//! Every test gets a fresh database of its own (`shuangshi_store::testing::TestDb`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Duration, FixedOffset, TimeZone, Utc};
use shuangshi_rules::{Batch, Column, Org};
use shuangshi_store::testing::TestDb;
use shuangshi_store::*;
use tower_sessions_core::session::{Id, Record};
use tower_sessions_core::session_store::{ExpiredDeletion, SessionStore};

const PASSWORD: &str = "Correct-Horse-42";

fn admin() -> Actor {
    Actor {
        user_id: None,
        name: "测试".into(),
        ip: "127.0.0.1".into(),
    }
}

fn org(name: &str, category: &str) -> Org {
    Org::new(name, category, "", "渝中区")
}

fn row(name: &str) -> Vec<String> {
    let mut cells = vec![String::new(); Column::ALL.len()];
    cells[Column::Name as usize] = name.into();
    cells[Column::Mobile as usize] = "13800138000".into();
    cells
}

fn content(names: &[&str]) -> FormContent {
    FormContent {
        header_school: "甲校".into(),
        header_enterprise: "丙企业".into(),
        filler: "王老师".into(),
        phone: "023-12345678".into(),
        rows: names.iter().map(|n| row(n)).collect(),
    }
}

/// Batch 10's parameters with the deadline a month ahead.
fn open_params() -> Batch {
    let mut b = Batch::batch10();
    let tz = FixedOffset::east_opt(8 * 3600).unwrap();
    b.deadline = (Utc::now() + Duration::days(30)).with_timezone(&tz);
    b
}

struct Fixture {
    batch: BatchRecord,
    /// 甲校 (国家双高).
    a: OrgRecord,
    /// 乙校 (中职).
    b: OrgRecord,
    /// 丙企业 (国有企业).
    e: OrgRecord,
    /// 丁企业 (民营企业).
    p: OrgRecord,
    /// 甲校–丙企业, confirmed.
    pa: Partnership,
    /// 乙校–丙企业, confirmed.
    pb: Partnership,
}

async fn org_by_name(db: &TestDb, name: &str) -> OrgRecord {
    db.find_org_by_name(&Scope::All, name)
        .await
        .unwrap()
        .unwrap()
}

async fn fixture(db: &TestDb) -> Fixture {
    db.import_orgs(
        vec![
            org("甲校", "国家双高"),
            org("乙校", "中职"),
            org("丙企业", "国有企业"),
            org("丁企业", "民营企业"),
        ],
        &admin(),
    )
    .await
    .unwrap();
    let a = org_by_name(db, "甲校").await;
    let b = org_by_name(db, "乙校").await;
    let e = org_by_name(db, "丙企业").await;
    let p = org_by_name(db, "丁企业").await;
    let batch = db.create_batch(&open_params(), &admin()).await.unwrap();
    let batch = db.open_batch(batch.id, &admin()).await.unwrap();
    let mut ps = Vec::new();
    for school in [&a, &b] {
        let proposed = db
            .propose_partnership(
                &Scope::School(school.id),
                batch.id,
                school.id,
                e.id,
                &["33618".to_string()],
                &admin(),
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(proposed.status, PartnershipStatus::Proposed);
        let confirmed = db
            .respond_partnership(&Scope::Enterprise(e.id), proposed.id, true, &admin())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(confirmed.status, PartnershipStatus::Confirmed);
        assert!(confirmed.form_id.is_some());
        ps.push(confirmed);
    }
    let pb = ps.pop().unwrap();
    let pa = ps.pop().unwrap();
    Fixture {
        batch,
        a,
        b,
        e,
        p,
        pa,
        pb,
    }
}

async fn new_user(db: &TestDb, name: &str, role: Role, org_id: Option<i64>) -> User {
    db.create_user(
        NewUser {
            username: name.into(),
            display_name: name.into(),
            role,
            org_id,
            password: PASSWORD.into(),
            must_change_password: false,
        },
        &admin(),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn migrations_run_and_are_idempotent() {
    let db = TestDb::new().await;
    assert_eq!(
        db.query_text("SELECT COUNT(*) FROM seaql_migrations").await,
        Some("9".into())
    );
    // Connecting again runs no migration twice.
    let again = Store::connect(db.url()).await.unwrap();
    assert_eq!(again.backend(), db.backend());
    again.close().await.unwrap();
    assert_eq!(
        db.query_text("SELECT COUNT(*) FROM seaql_migrations").await,
        Some("9".into())
    );
    for table in [
        "orgs",
        "users",
        "sessions",
        "api_tokens",
        "audit_log",
        "audit_head",
        "batches",
        "deadline_extensions",
        "partnerships",
        "forms",
        "form_rows",
        "scans",
        "submissions",
        "submission_versions",
        "reviews",
    ] {
        db.query_text(&format!("SELECT COUNT(*) FROM {table}"))
            .await;
    }
}

#[tokio::test]
async fn sqlite_pragmas_are_in_effect() {
    let db = TestDb::new().await;
    if db.is_postgres() {
        return;
    }
    assert_eq!(
        db.query_text("PRAGMA journal_mode").await.as_deref(),
        Some("wal")
    );
    assert_eq!(
        db.query_text("PRAGMA synchronous").await.as_deref(),
        Some("2")
    );
    assert_eq!(
        db.query_text("PRAGMA foreign_keys").await.as_deref(),
        Some("1")
    );
    assert_eq!(
        db.query_text("PRAGMA busy_timeout").await.as_deref(),
        Some("5000")
    );
}

#[tokio::test]
async fn sqlite_url_for_dir_creates_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("a").join("b");
    let url = Store::sqlite_url_for_dir(&nested).unwrap();
    assert!(nested.is_dir());
    assert!(
        url.starts_with("sqlite://") && url.ends_with("shuangshi.db?mode=rwc"),
        "{url}"
    );
    let store = Store::connect(&url).await.unwrap();
    assert_eq!(store.backend(), Backend::Sqlite);
    store.close().await.unwrap();
    assert!(nested.join("shuangshi.db").is_file());
    assert!(matches!(
        Store::connect("mysql://x").await,
        Err(StoreError::UnsupportedUrl(_))
    ));
}

#[tokio::test]
async fn login_locks_after_five_failures_and_unlocks_after_fifteen_minutes() {
    let db = TestDb::new().await;
    let user = new_user(&db, "officer", Role::Admin, None).await;
    let t0 = Utc.with_ymd_and_hms(2030, 1, 1, 9, 0, 0).unwrap();
    for i in 0..5 {
        let out = db
            .check_login(
                "officer",
                "wrong-Password-1",
                t0 + Duration::seconds(i),
                "1.2.3.4",
            )
            .await
            .unwrap();
        assert_eq!(out, LoginOutcome::Rejected, "attempt {i}");
    }
    let until = t0 + Duration::seconds(4) + Duration::minutes(15);
    // Now even the right password is refused.
    let out = db
        .check_login("officer", PASSWORD, t0 + Duration::minutes(1), "1.2.3.4")
        .await
        .unwrap();
    assert_eq!(out, LoginOutcome::Locked { until });
    let out = db
        .check_login("officer", PASSWORD, until - Duration::seconds(1), "1.2.3.4")
        .await
        .unwrap();
    assert_eq!(out, LoginOutcome::Locked { until });
    let stored = db.get_user(user.id).await.unwrap().unwrap();
    assert_eq!(stored.locked_until, Some(until));
    // After fifteen minutes the right password works and the counter starts afresh.
    let out = db
        .check_login("officer", PASSWORD, until + Duration::seconds(1), "1.2.3.4")
        .await
        .unwrap();
    let LoginOutcome::Success(u) = out else {
        panic!("expected success, got {out:?}");
    };
    assert_eq!(u.failed_logins, 0);
    assert_eq!(u.locked_until, None);
    let stored = db.get_user(user.id).await.unwrap().unwrap();
    assert_eq!((stored.failed_logins, stored.locked_until), (0, None));
    // Four failures and a success do not lock.
    for _ in 0..4 {
        db.check_login("officer", "nope-Nope-123", until, "")
            .await
            .unwrap();
    }
    assert!(matches!(
        db.check_login("officer", PASSWORD, until, "")
            .await
            .unwrap(),
        LoginOutcome::Success(_)
    ));
    assert!(matches!(
        db.check_login("officer", "nope-Nope-123", until, "")
            .await
            .unwrap(),
        LoginOutcome::Rejected
    ));
    assert_eq!(
        db.get_user(user.id).await.unwrap().unwrap().failed_logins,
        1
    );
    // Every attempt is in the audit log.
    let failed = db
        .list_audit(
            &AuditFilter {
                action_prefix: Some("login.".into()),
                ..AuditFilter::default()
            },
            PageRequest::new(0, 100),
        )
        .await
        .unwrap();
    assert_eq!(failed.total, 14);
    assert!(failed.items.iter().all(|e| e.action.starts_with("login.")));
}

#[tokio::test]
async fn unknown_user_and_wrong_password_look_the_same() {
    let db = TestDb::new().await;
    new_user(&db, "known", Role::Admin, None).await;
    let now = Utc::now();
    let unknown = db.check_login("nobody", PASSWORD, now, "").await.unwrap();
    let wrong = db
        .check_login("known", "Wrong-Password-9", now, "")
        .await
        .unwrap();
    assert_eq!(unknown, LoginOutcome::Rejected);
    assert_eq!(wrong, unknown);
    // The unknown user costs an Argon2 verification too. Noise only makes things slower, so
    // compare the fastest of three unknown-user logins with the fastest of three bare
    // verifications: without the dummy verification the login would take a small fraction of it.
    let hash = shuangshi_store::accounts::hash_password(PASSWORD)
        .await
        .unwrap();
    let mut verify = std::time::Duration::MAX;
    let mut login = std::time::Duration::MAX;
    for _ in 0..3 {
        let t = std::time::Instant::now();
        assert!(!shuangshi_store::accounts::verify_password("x", &hash).await);
        verify = verify.min(t.elapsed());
        let t = std::time::Instant::now();
        db.check_login("nobody", PASSWORD, now, "").await.unwrap();
        login = login.min(t.elapsed());
    }
    assert!(
        login * 2 >= verify,
        "unknown-user login {login:?}, verification {verify:?}"
    );
    // A disabled account answers the same.
    let u = db.get_user_by_username("known").await.unwrap().unwrap();
    db.set_user_active(u.id, false, &admin()).await.unwrap();
    assert_eq!(
        db.check_login("known", PASSWORD, now, "").await.unwrap(),
        LoginOutcome::Rejected
    );
}

#[tokio::test]
async fn passwords_follow_the_rule_and_change() {
    let db = TestDb::new().await;
    let err = db
        .create_user(
            NewUser {
                username: "weak".into(),
                display_name: "weak".into(),
                role: Role::Admin,
                org_id: None,
                password: "short".into(),
                must_change_password: false,
            },
            &admin(),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("密码至少"), "{err}");
    let u = new_user(&db, "u1", Role::Admin, None).await;
    let stored_hash = db
        .query_text(&format!(
            "SELECT password_hash FROM users WHERE id = {}",
            u.id
        ))
        .await
        .unwrap();
    assert!(stored_hash.starts_with("$argon2id$"), "{stored_hash}");
    assert!(
        db.change_password(u.id, "wrong", "New-Password-77", &admin())
            .await
            .is_err()
    );
    db.change_password(u.id, PASSWORD, "New-Password-77", &admin())
        .await
        .unwrap();
    assert!(matches!(
        db.check_login("u1", "New-Password-77", Utc::now(), "")
            .await
            .unwrap(),
        LoginOutcome::Success(_)
    ));
    db.reset_password(u.id, "Reset-Password-88", &admin())
        .await
        .unwrap();
    let LoginOutcome::Success(u) = db
        .check_login("u1", "Reset-Password-88", Utc::now(), "")
        .await
        .unwrap()
    else {
        panic!("reset password must work");
    };
    assert!(u.must_change_password);
    // Duplicate user names are refused with a message naming the name.
    let dup = db
        .create_user(
            NewUser {
                username: "u1".into(),
                display_name: "again".into(),
                role: Role::Admin,
                org_id: None,
                password: PASSWORD.into(),
                must_change_password: false,
            },
            &admin(),
        )
        .await
        .unwrap_err();
    assert!(dup.to_string().contains("u1"), "{dup}");
    // Officers need an organisation of the right kind.
    let f = fixture(&db).await;
    assert!(
        db.create_user(
            NewUser {
                username: "s".into(),
                display_name: "s".into(),
                role: Role::SchoolOfficer,
                org_id: Some(f.e.id),
                password: PASSWORD.into(),
                must_change_password: false,
            },
            &admin(),
        )
        .await
        .is_err()
    );
    new_user(&db, "s", Role::SchoolOfficer, Some(f.a.id)).await;
    let listed = db
        .list_users(
            &UserFilter {
                role: Some(Role::SchoolOfficer),
                ..UserFilter::default()
            },
            PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(listed.total, 1);
    assert_eq!(listed.items[0].org_id, Some(f.a.id));
}

#[tokio::test]
async fn bootstrap_admin_only_on_an_empty_database() {
    let db = TestDb::new().await;
    let pw = db.bootstrap_admin().await.unwrap().unwrap();
    assert!(db.bootstrap_admin().await.unwrap().is_none());
    let LoginOutcome::Success(u) = db.check_login("admin", &pw, Utc::now(), "").await.unwrap()
    else {
        panic!("bootstrap password must work");
    };
    assert!(u.must_change_password);
    assert_eq!(u.role, Role::Admin);
}

#[tokio::test]
async fn tokens_are_stored_hashed_and_revocable() {
    let db = TestDb::new().await;
    let u = new_user(&db, "api", Role::Admin, None).await;
    let (token, plaintext) = db.create_token(u.id, "脚本", &admin()).await.unwrap();
    assert!(
        plaintext.starts_with("ss_") && plaintext.len() == 67,
        "{plaintext}"
    );
    // The plaintext is nowhere in the database; its SHA-256 is.
    let stored = db
        .query_text(&format!(
            "SELECT token_hash FROM api_tokens WHERE id = {}",
            token.id
        ))
        .await
        .unwrap();
    assert_ne!(stored, plaintext);
    assert_eq!(stored.len(), 64);
    assert_eq!(
        db.query_text(&format!(
            "SELECT COUNT(*) FROM api_tokens WHERE token_hash = '{plaintext}' OR name = '{plaintext}'"
        ))
        .await,
        Some("0".into())
    );
    let found = db.user_for_token(&plaintext, Utc::now()).await.unwrap();
    assert_eq!(found.map(|u| u.id), Some(u.id));
    assert!(
        db.list_tokens(u.id).await.unwrap()[0]
            .last_used_at
            .is_some()
    );
    assert!(
        db.user_for_token("ss_nope", Utc::now())
            .await
            .unwrap()
            .is_none()
    );
    // Another user cannot revoke it; the owner can.
    assert!(
        !db.revoke_token(token.id, Some(u.id + 1), &admin())
            .await
            .unwrap()
    );
    assert!(
        db.revoke_token(token.id, Some(u.id), &admin())
            .await
            .unwrap()
    );
    assert!(
        db.user_for_token(&plaintext, Utc::now())
            .await
            .unwrap()
            .is_none()
    );
    // A disabled account's token stops working too.
    let (_, second) = db.create_token(u.id, "二", &admin()).await.unwrap();
    assert!(
        db.user_for_token(&second, Utc::now())
            .await
            .unwrap()
            .is_some()
    );
    db.set_user_active(u.id, false, &admin()).await.unwrap();
    assert!(
        db.user_for_token(&second, Utc::now())
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn sessions_round_trip_and_expire() {
    let db = TestDb::new().await;
    let store: &Store = &db;
    let mut data = std::collections::HashMap::new();
    data.insert("user_id".to_string(), serde_json::json!(7));
    let mut record = Record {
        id: Id::default(),
        data,
        expiry_date: time::OffsetDateTime::now_utc() + time::Duration::minutes(30),
    };
    store.create(&mut record).await.unwrap();
    let loaded = store.load(&record.id).await.unwrap().unwrap();
    assert_eq!(loaded.data, record.data);
    assert_eq!(
        loaded.expiry_date.unix_timestamp_nanos() / 1000,
        record.expiry_date.unix_timestamp_nanos() / 1000
    );
    record.data.insert("csrf".into(), serde_json::json!("abc"));
    store.save(&record).await.unwrap();
    assert_eq!(store.load(&record.id).await.unwrap().unwrap().data.len(), 2);
    // An expired record is not loaded and is deleted by delete_expired.
    let mut old = Record {
        id: Id::default(),
        data: Default::default(),
        expiry_date: time::OffsetDateTime::now_utc() - time::Duration::minutes(1),
    };
    store.create(&mut old).await.unwrap();
    assert!(store.load(&old.id).await.unwrap().is_none());
    store.delete_expired().await.unwrap();
    assert_eq!(
        db.query_text("SELECT COUNT(*) FROM sessions").await,
        Some("1".into())
    );
    store.delete(&record.id).await.unwrap();
    assert!(store.load(&record.id).await.unwrap().is_none());
}

#[tokio::test]
async fn audit_chain_verifies_and_names_a_tampered_entry() {
    let db = TestDb::new().await;
    for i in 0..5 {
        db.audit(AuditEntry::new(
            &admin(),
            "test.append",
            format!("t:{i}"),
            "ok",
        ))
        .await
        .unwrap();
    }
    let check = db.verify_audit().await.unwrap();
    assert!(check.is_ok(), "{check:?}");
    assert_eq!(check.checked, 5);
    db.execute("UPDATE audit_log SET detail = 'forged' WHERE id = 3")
        .await;
    let check = db.verify_audit().await.unwrap();
    let broken = check.broken.expect("tampering must be detected");
    assert_eq!(broken.id, 3);
    assert!(broken.reason.contains("改动"), "{}", broken.reason);
    assert_eq!(check.checked, 2);
    // A deleted entry is named too.
    db.execute("UPDATE audit_log SET detail = 'ok' WHERE id = 3")
        .await;
    assert!(db.verify_audit().await.unwrap().is_ok());
    db.execute("DELETE FROM audit_log WHERE id = 2").await;
    assert_eq!(db.verify_audit().await.unwrap().broken.unwrap().id, 2);
}

#[tokio::test]
async fn deleting_the_newest_audit_entries_is_detected() {
    let db = TestDb::new().await;
    for i in 0..3 {
        db.audit(AuditEntry::new(
            &admin(),
            "test.append",
            format!("t:{i}"),
            "",
        ))
        .await
        .unwrap();
    }
    db.execute("DELETE FROM audit_log WHERE id = 3").await;
    let broken = db.verify_audit().await.unwrap().broken.unwrap();
    assert_eq!(broken.id, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_appends_keep_the_chain_valid() {
    let db = TestDb::new().await;
    let store: Store = db.store().clone();
    let mut tasks = Vec::new();
    for i in 0..20 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            if i % 2 == 0 {
                store
                    .audit(AuditEntry::new(
                        &Actor::system(),
                        "test.concurrent",
                        format!("t:{i}"),
                        "",
                    ))
                    .await
                    .map(|_| ())
            } else {
                // The same through the transaction helper (and its future is Send).
                let s = store.clone();
                store
                    .write(async |tx| {
                        s.audit_in(
                            tx,
                            AuditEntry::new(
                                &Actor::system(),
                                "test.concurrent",
                                format!("t:{i}"),
                                "",
                            ),
                        )
                        .await
                        .map(|_| ())
                    })
                    .await
            }
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let check = db.verify_audit().await.unwrap();
    assert!(check.is_ok(), "{check:?}");
    assert_eq!(check.checked, 20);
}

#[tokio::test]
async fn a_failed_write_rolls_back_its_audit_entry() {
    let db = TestDb::new().await;
    let res: Result<(), StoreError> = db
        .write(async |tx| {
            db.audit_in(tx, AuditEntry::new(&admin(), "test.rollback", "", ""))
                .await?;
            Err(StoreError::Invalid("故意失败".into()))
        })
        .await;
    assert!(res.is_err());
    assert_eq!(
        db.query_text("SELECT COUNT(*) FROM audit_log").await,
        Some("0".into())
    );
    assert!(db.verify_audit().await.unwrap().is_ok());
    db.audit(AuditEntry::new(&admin(), "test.after", "", ""))
        .await
        .unwrap();
    assert!(db.verify_audit().await.unwrap().is_ok());
}

#[tokio::test]
async fn orgs_import_all_or_nothing_and_upsert_by_name() {
    let db = TestDb::new().await;
    let err = db
        .import_orgs(
            vec![org("甲校", "国家双高"), org("怪单位", "不存在的类别")],
            &admin(),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("怪单位"), "{err}");
    assert_eq!(
        db.query_text("SELECT COUNT(*) FROM orgs").await,
        Some("0".into())
    );
    let s = db
        .import_orgs(
            vec![org("甲校", "国家双高"), org("丙企业", "国有企业")],
            &admin(),
        )
        .await
        .unwrap();
    assert_eq!((s.inserted, s.updated, s.unchanged), (2, 0, 0));
    // Same name with different spacing and bracket width: the same organisation.
    let mut changed = org(" 甲 校 ", "市级双高");
    changed.district = "沙坪坝区".into();
    let s = db
        .import_orgs(vec![changed, org("丙企业", "国有企业")], &admin())
        .await
        .unwrap();
    assert_eq!((s.inserted, s.updated, s.unchanged), (0, 1, 1));
    let a = org_by_name(&db, "甲校").await;
    assert_eq!(a.category, "市级双高");
    assert!(a.is_school);
    // Lists filter and paginate.
    for i in 0..25 {
        db.create_org(&org(&format!("企业{i:02}"), "民营企业"), &admin())
            .await
            .unwrap();
    }
    let page = db
        .list_orgs(
            &Scope::All,
            &OrgFilter {
                category: Some("民营企业".into()),
                ..OrgFilter::default()
            },
            PageRequest::page(2, 10),
        )
        .await
        .unwrap();
    assert_eq!(page.total, 25);
    assert_eq!(page.items.len(), 10);
    assert_eq!(page.items[0].name, "企业10");
    let by_name = db
        .list_orgs(
            &Scope::All,
            &OrgFilter {
                name: Some("业0".into()),
                ..OrgFilter::default()
            },
            PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(by_name.total, 10);
    // A literal % in the filter matches nothing rather than everything.
    let pct = db
        .list_orgs(
            &Scope::All,
            &OrgFilter {
                name: Some("%".into()),
                ..OrgFilter::default()
            },
            PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(pct.total, 0);
    let updated = db
        .update_org(&Scope::All, a.id, &org("甲校", "国家双高"), &admin())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(updated.category, "国家双高");
}

#[tokio::test]
async fn batches_are_created_from_the_previous_one_and_validated() {
    let db = TestDb::new().await;
    let b10 = db.create_batch(&Batch::batch10(), &admin()).await.unwrap();
    assert_eq!(b10.params, Batch::batch10());
    assert_eq!(b10.status, BatchStatus::Draft);
    let b11 = db
        .create_from_previous(b10.id, 11, "第十一批", &admin())
        .await
        .unwrap();
    assert_eq!(b11.number, 11);
    assert_eq!(b11.params.tiers, b10.params.tiers);
    assert!(
        db.create_from_previous(b10.id, 12, "第十一批", &admin())
            .await
            .is_err()
    );
    assert!(
        db.create_from_previous(b10.id, 11, "第十一批", &admin())
            .await
            .unwrap_err()
            .is_conflict()
    );
    let err = db
        .update_batch_params(b11.id, "number = 11\n", &admin())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    let text = shuangshi_rules::batch::BATCH10_TOML
        .replace("number = 10", "number = 11")
        .replace("第十批", "第十一批");
    let edited = db
        .update_batch_params(b11.id, &text, &admin())
        .await
        .unwrap();
    assert_eq!(edited.name, "第十一批");
    assert!(db.close_batch(b11.id, &admin()).await.is_err());
    db.open_batch(b11.id, &admin()).await.unwrap();
    db.close_batch(b11.id, &admin()).await.unwrap();
    assert!(
        db.update_batch_params(b11.id, &text, &admin())
            .await
            .is_err()
    );
    let listed = db.list_batches().await.unwrap();
    assert_eq!(
        listed.iter().map(|b| b.number).collect::<Vec<_>>(),
        vec![11, 10]
    );
}

#[tokio::test]
async fn timestamps_round_trip_equal() {
    let db = TestDb::new().await;
    let f = fixture(&db).await;
    // A time with nanoseconds is stored at microsecond precision and reads back equal.
    let t = Utc.timestamp_opt(1_900_000_000, 123_456_789).unwrap();
    db.set_extension(f.batch.id, f.a.id, t, &admin())
        .await
        .unwrap();
    let ext = db.list_extensions(f.batch.id).await.unwrap();
    assert_eq!(ext.len(), 1);
    assert_eq!(ext[0].deadline, db_time(t));
    assert_eq!(ext[0].deadline.timestamp_subsec_nanos(), 123_456_000);
    assert_eq!(
        db.effective_deadline(f.batch.id, f.a.id).await.unwrap(),
        db_time(t)
    );
    assert_eq!(
        db.effective_deadline(f.batch.id, f.b.id).await.unwrap(),
        db_time(f.batch.deadline())
    );
    // Values written by the store read back identical.
    let u = new_user(&db, "t", Role::Admin, None).await;
    assert_eq!(db.get_user(u.id).await.unwrap().unwrap(), u);
    let form = db
        .get_form(&Scope::All, f.pa.form_id.unwrap())
        .await
        .unwrap()
        .unwrap();
    let again = db.get_form(&Scope::All, form.id).await.unwrap().unwrap();
    assert_eq!(form.updated_at, again.updated_at);
    let audit = db
        .list_audit(&AuditFilter::default(), PageRequest::new(0, 1))
        .await
        .unwrap();
    assert_eq!(audit.items[0].at, db_time(audit.items[0].at));
    // Batch deadline with its +08:00 offset survives the TOML round trip.
    let b = db.get_batch(f.batch.id).await.unwrap().unwrap();
    assert_eq!(b.params.deadline, f.batch.params.deadline);
}

#[tokio::test]
async fn scope_keeps_each_school_to_its_own_data() {
    let db = TestDb::new().await;
    let f = fixture(&db).await;
    let form_b = f.pb.form_id.unwrap();
    db.replace_rows(
        &Scope::School(f.b.id),
        form_b,
        &content(&["张三"]),
        None,
        &admin(),
    )
    .await
    .unwrap()
    .unwrap();
    let row_b = db
        .get_form(&Scope::All, form_b)
        .await
        .unwrap()
        .unwrap()
        .rows[0]
        .id;
    let a = Scope::School(f.a.id);
    // Another school's partnership, form, rows and scans are simply not there.
    assert!(db.get_partnership(&a, f.pb.id).await.unwrap().is_none());
    assert!(db.get_form(&a, form_b).await.unwrap().is_none());
    assert!(
        db.get_form_by_partnership(&a, f.pb.id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(db.form_as_rules_form(&a, form_b).await.unwrap().is_none());
    assert!(
        db.replace_rows(&a, form_b, &content(&["李四"]), None, &admin())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        db.update_row(&a, row_b, &row("李四"), None, &admin())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        db.delete_row(&a, row_b, None, &admin())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        db.add_row(&a, form_b, &row("李四"), None, &admin())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        db.put_scan(&a, form_b, "application/pdf", b"%PDF".to_vec(), &admin())
            .await
            .unwrap()
            .is_none()
    );
    assert!(db.list_scans(&a, form_b).await.unwrap().is_empty());
    assert!(
        db.propose_partnership(&a, f.batch.id, f.b.id, f.p.id, &[], &admin())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        db.get_submission(&a, f.batch.id, f.b.id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        db.workflow_facts(&a, f.batch.id, f.b.id)
            .await
            .unwrap()
            .is_none()
    );
    let own = db
        .list_partnerships(&a, &PartnershipFilter::default(), PageRequest::default())
        .await
        .unwrap();
    assert_eq!(
        own.items.iter().map(|p| p.id).collect::<Vec<_>>(),
        vec![f.pa.id]
    );
    assert_eq!(
        db.list_forms(&a, f.batch.id, None, None)
            .await
            .unwrap()
            .len(),
        1
    );
    // The school sees itself and the enterprises, not the other school.
    assert!(db.get_org(&a, f.b.id).await.unwrap().is_none());
    assert!(db.get_org(&a, f.e.id).await.unwrap().is_some());
    // The enterprise sees both partnerships; the other enterprise neither.
    let ent = db
        .list_partnerships(
            &Scope::Enterprise(f.e.id),
            &PartnershipFilter::default(),
            PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(ent.total, 2);
    assert!(
        db.get_form(&Scope::Enterprise(f.p.id), form_b)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        db.respond_partnership(&Scope::Enterprise(f.p.id), f.pa.id, false, &admin())
            .await
            .unwrap()
            .is_none()
    );
    // 职成教处 sees the 中职 school only; the oversight roles see only forms copied to them at
    // submission (四(四)), so a draft is nobody's but the school's and its enterprise's.
    let voc = db
        .list_partnerships(
            &Scope::VocationalSchools,
            &PartnershipFilter::default(),
            PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(
        voc.items.iter().map(|p| p.id).collect::<Vec<_>>(),
        vec![f.pb.id]
    );
    assert!(
        db.get_form(&Scope::StateOwnedRows, form_b)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        db.get_form(&Scope::PrivateRows, form_b)
            .await
            .unwrap()
            .is_none()
    );
    assert!(db.get_form(&Scope::None, form_b).await.unwrap().is_none());
    let subs = db
        .list_submissions(
            &Scope::VocationalSchools,
            &SubmissionFilter::default(),
            PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(
        subs.items.iter().map(|s| s.school_id).collect::<Vec<_>>(),
        vec![f.b.id]
    );
    assert_eq!(
        db.list_submissions(
            &Scope::StateOwnedRows,
            &SubmissionFilter::default(),
            PageRequest::default()
        )
        .await
        .unwrap()
        .total,
        0
    );
}

#[tokio::test]
async fn replace_rows_is_all_or_nothing_and_idempotent() {
    let db = TestDb::new().await;
    let f = fixture(&db).await;
    let scope = Scope::School(f.a.id);
    let form_id = f.pa.form_id.unwrap();
    let first = db
        .replace_rows(
            &scope,
            form_id,
            &content(&["张三", "李四"]),
            Some(1),
            &admin(),
        )
        .await
        .unwrap()
        .unwrap();
    assert!(first.changed);
    assert_eq!(first.form.version, 2);
    assert_eq!(first.added, 2);
    let before = first.form;
    // The same content again changes nothing, whatever version the caller had.
    let again = db
        .replace_rows(
            &scope,
            form_id,
            &content(&["张三", "李四"]),
            Some(1),
            &admin(),
        )
        .await
        .unwrap()
        .unwrap();
    assert!(!again.changed);
    assert_eq!(again.form, before);
    // A bad third row fails after the first two were written: nothing is kept.
    let mut bad = content(&["王五", "赵六", "钱七"]);
    bad.rows[2].pop();
    let err = db
        .replace_rows(&scope, form_id, &bad, Some(2), &admin())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    assert_eq!(db.get_form(&scope, form_id).await.unwrap().unwrap(), before);
    // A stale version is refused.
    let err = db
        .replace_rows(&scope, form_id, &content(&["王五"]), Some(1), &admin())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::VersionConflict {
                expected: 1,
                current: 2
            }
        ),
        "{err}"
    );
    // Unchanged rows keep their ids across a replace; changed ones are new.
    let next = db
        .replace_rows(
            &scope,
            form_id,
            &content(&["李四", "王五"]),
            Some(2),
            &admin(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!((next.kept, next.added, next.removed), (1, 1, 1));
    assert_eq!(next.form.rows[0].id, before.rows[1].id);
    assert_eq!(next.form.rows[0].position, 0);
    assert_ne!(next.form.rows[1].id, before.rows[0].id);
    assert_eq!(next.form.version, 3);
    // The engine's view of the form.
    let rules = db
        .form_as_rules_form(&scope, form_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rules.rows.len(), 2);
    assert_eq!(rules.rows[0].get(Column::Name).raw, "李四");
    assert_eq!(rules.rows[0].row, 5, "numbered like the downloaded form");
    assert_eq!(rules.footer.as_ref().unwrap().filler, "王老师");
    assert_eq!(rules.school_key(), "甲校");
    // Row edits: add, update (clears confirmation), delete (positions close up).
    let (form, new_row) = db
        .add_row(&scope, form_id, &row("孙八"), Some(3), &admin())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(form.version, 4);
    assert_eq!(form.rows.last().unwrap().id, new_row);
    let confirmed = db
        .confirm_rows(
            &Scope::Enterprise(f.e.id),
            form_id,
            &[new_row],
            Some(4),
            &admin(),
        )
        .await
        .unwrap()
        .unwrap();
    assert!(confirmed.rows.last().unwrap().confirmed());
    assert_eq!(confirmed.version, 4);
    let edited = db
        .update_row(&scope, new_row, &row("孙九"), Some(4), &admin())
        .await
        .unwrap()
        .unwrap();
    assert!(!edited.rows.last().unwrap().confirmed());
    assert_eq!(edited.version, 5);
    let deleted = db
        .delete_row(&scope, edited.rows[0].id, Some(5), &admin())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        deleted.rows.iter().map(|r| r.position).collect::<Vec<_>>(),
        vec![0, 1]
    );
    assert_eq!(deleted.version, 6);
    // The stored hash is the hash of the stored content.
    let c = deleted.content();
    assert_eq!(
        deleted.content_hash,
        shuangshi_store::forms::content_hash(
            &c.header_school,
            &c.header_enterprise,
            &c.filler,
            &c.phone,
            &c.rows
        )
    );
    assert!(db.verify_audit().await.unwrap().is_ok());
}

#[tokio::test]
async fn a_later_edit_voids_the_scan() {
    let db = TestDb::new().await;
    let f = fixture(&db).await;
    let scope = Scope::School(f.a.id);
    let form_id = f.pa.form_id.unwrap();
    db.replace_rows(&scope, form_id, &content(&["张三"]), None, &admin())
        .await
        .unwrap();
    let scan = db
        .put_scan(
            &scope,
            form_id,
            "application/pdf",
            b"%PDF-1.7 sealed".to_vec(),
            &admin(),
        )
        .await
        .unwrap()
        .unwrap();
    assert!(scan.valid);
    assert_eq!(scan.form_version, 2);
    let (info, bytes) = db.get_scan(&scope, scan.id).await.unwrap().unwrap();
    assert_eq!(bytes, b"%PDF-1.7 sealed");
    assert_eq!(info.size, 15);
    assert!(
        db.get_scan(&Scope::School(f.b.id), scan.id)
            .await
            .unwrap()
            .is_none()
    );
    let facts = db
        .workflow_facts(&scope, f.batch.id, f.a.id)
        .await
        .unwrap()
        .unwrap();
    assert!(facts.sealed_scan_current);
    let form = db.get_form(&scope, form_id).await.unwrap().unwrap();
    db.update_row(&scope, form.rows[0].id, &row("张三丰"), None, &admin())
        .await
        .unwrap();
    let latest = db.latest_scan(&scope, form_id).await.unwrap().unwrap();
    assert_eq!(latest.id, scan.id);
    assert!(!latest.valid);
    let facts = db
        .workflow_facts(&scope, f.batch.id, f.a.id)
        .await
        .unwrap()
        .unwrap();
    assert!(!facts.sealed_scan_current);
    assert_eq!(facts.unconfirmed, vec!["张三丰（丙企业）".to_string()]);
}

/// Fills 甲校's form, has the enterprise confirm it and uploads the scan; returns what `submit`
/// needs.
async fn ready_to_submit(db: &TestDb, f: &Fixture, names: &[&str]) -> SubmitRequest {
    let scope = Scope::School(f.a.id);
    let form_id = f.pa.form_id.unwrap();
    let out = db
        .replace_rows(&scope, form_id, &content(names), None, &admin())
        .await
        .unwrap()
        .unwrap();
    let ids: Vec<i64> = out.form.rows.iter().map(|r| r.id).collect();
    let form = db
        .confirm_rows(
            &Scope::Enterprise(f.e.id),
            form_id,
            &ids,
            Some(out.form.version),
            &admin(),
        )
        .await
        .unwrap()
        .unwrap();
    db.put_scan(
        &scope,
        form_id,
        "image/png",
        b"\x89PNG sealed".to_vec(),
        &admin(),
    )
    .await
    .unwrap()
    .unwrap();
    SubmitRequest {
        batch_id: f.batch.id,
        school_id: f.a.id,
        report: shuangshi_store::SnapReport {
            findings: Vec::new(),
            tally: shuangshi_rules::Tally::default(),
        },
        checked: vec![(form_id, form.version)],
    }
}

#[tokio::test]
async fn submit_gives_a_receipt_and_an_immutable_snapshot() {
    let db = TestDb::new().await;
    let f = fixture(&db).await;
    let scope = Scope::School(f.a.id);
    let form_id = f.pa.form_id.unwrap();
    let sub = db
        .get_submission(&scope, f.batch.id, f.a.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sub.status, SubmissionStatus::Draft);
    // Nothing confirmed, no scan: refused.
    db.replace_rows(&scope, form_id, &content(&["张三"]), None, &admin())
        .await
        .unwrap();
    let req = SubmitRequest {
        batch_id: f.batch.id,
        school_id: f.a.id,
        report: shuangshi_store::SnapReport {
            findings: Vec::new(),
            tally: shuangshi_rules::Tally::default(),
        },
        checked: vec![(form_id, 2)],
    };
    let err = db
        .submit(&scope, &req, Utc::now(), &admin())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("尚未经企业确认"), "{err}");

    let req = ready_to_submit(&db, &f, &["张三", "李四"]).await;
    // Stale versions are refused.
    let mut stale = req.clone();
    stale.checked = vec![(form_id, 1)];
    assert!(
        db.submit(&scope, &stale, Utc::now(), &admin())
            .await
            .unwrap_err()
            .is_conflict()
    );
    // After the deadline: refused, unless extended.
    let late = f.batch.deadline() + Duration::hours(1);
    let err = db.submit(&scope, &req, late, &admin()).await.unwrap_err();
    assert!(err.to_string().contains("截止"), "{err}");
    // Another school cannot submit for this one.
    assert!(
        db.submit(&Scope::School(f.b.id), &req, Utc::now(), &admin())
            .await
            .unwrap()
            .is_none()
    );
    db.set_extension(f.batch.id, f.a.id, late + Duration::hours(1), &admin())
        .await
        .unwrap();
    let v1 = db
        .submit(&scope, &req, late, &admin())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(v1.receipt_no, format!("SQ10-{:04}-01", f.a.id));
    assert_eq!(v1.version_no, 1);
    let sub = db
        .get_submission(&scope, f.batch.id, f.a.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sub.status, SubmissionStatus::Submitted);
    assert_eq!(sub.current_version, Some(1));
    // Submitted forms cannot change, nor be submitted again.
    let err = db
        .replace_rows(&scope, form_id, &content(&["王五"]), None, &admin())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::State(_)), "{err}");
    assert!(db.submit(&scope, &req, late, &admin()).await.is_err());
    // The snapshot holds the rows, the scan and the report.
    let snap1 = db.get_version(&scope, v1.id).await.unwrap().unwrap();
    assert_eq!(snap1.snapshot.receipt_no, v1.receipt_no);
    let rows = &snap1.snapshot.forms[0].rows;
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].cells[Column::Name as usize], "张三");
    assert_eq!(
        snap1.snapshot.forms[0]
            .scan
            .as_ref()
            .map(|s| s.form_version),
        Some(3)
    );
    assert!(snap1.snapshot.report.findings.is_empty());
    // The inbox shows it; the reviewer returns it with reasons.
    let inbox = db
        .list_submissions(
            &Scope::All,
            &SubmissionFilter {
                status: Some(SubmissionStatus::Submitted),
                tier: Some("国家双高".into()),
                ..SubmissionFilter::default()
            },
            PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(
        inbox.items.iter().map(|s| s.school_id).collect::<Vec<_>>(),
        vec![f.a.id]
    );
    assert!(
        db.review(
            &Scope::VocationalSchools,
            v1.id,
            Decision::Accepted,
            &[],
            "",
            &[],
            &admin()
        )
        .await
        .unwrap()
        .is_none()
    );
    let reasons = vec![ReviewReason {
        rule: "F04".into(),
        message: "手机号码格式不正确".into(),
    }];
    let review = db
        .review(
            &Scope::All,
            v1.id,
            Decision::Returned,
            &reasons,
            "请修改后重报",
            &[],
            &admin(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(review.reasons, reasons);
    assert_eq!(
        db.get_submission(&scope, f.batch.id, f.a.id)
            .await
            .unwrap()
            .unwrap()
            .status,
        SubmissionStatus::Returned
    );
    // The school corrects and resubmits: version 2, version 1 untouched.
    let req2 = ready_to_submit(&db, &f, &["张三", "李四", "王五"]).await;
    let v2 = db
        .submit(&scope, &req2, Utc::now(), &admin())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(v2.receipt_no, format!("SQ10-{:04}-02", f.a.id));
    assert_eq!(
        db.get_version(&scope, v1.id)
            .await
            .unwrap()
            .unwrap()
            .snapshot,
        snap1.snapshot
    );
    // Only the latest version can be reviewed.
    assert!(
        db.review(
            &Scope::All,
            v1.id,
            Decision::Accepted,
            &[],
            "",
            &[],
            &admin()
        )
        .await
        .is_err()
    );
    db.review(
        &Scope::All,
        v2.id,
        Decision::Accepted,
        &[],
        "",
        &[],
        &admin(),
    )
    .await
    .unwrap()
    .unwrap();
    let versions = db.list_versions(&scope, sub.id).await.unwrap().unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(
        versions[0].review.as_ref().unwrap().decision,
        Decision::Returned
    );
    assert_eq!(
        versions[1].review.as_ref().unwrap().decision,
        Decision::Accepted
    );
    assert!(
        db.list_versions(&Scope::School(f.b.id), sub.id)
            .await
            .unwrap()
            .is_none()
    );
    // The snapshot's hash is in the audit log.
    let submits = db
        .list_audit(
            &AuditFilter {
                action_prefix: Some("submission.submit".into()),
                ..AuditFilter::default()
            },
            PageRequest::default(),
        )
        .await
        .unwrap();
    assert!(
        submits
            .items
            .iter()
            .any(|e| e.detail.contains(&v1.snapshot_hash))
    );
    assert!(db.verify_audit().await.unwrap().is_ok());
}

#[tokio::test]
async fn partnerships_need_an_open_batch_and_the_right_kinds() {
    let db = TestDb::new().await;
    let f = fixture(&db).await;
    let a = Scope::School(f.a.id);
    // An enterprise cannot be proposed twice; a school cannot be a partner enterprise.
    assert!(
        db.propose_partnership(&a, f.batch.id, f.a.id, f.e.id, &[], &admin())
            .await
            .unwrap_err()
            .is_conflict()
    );
    assert!(
        db.propose_partnership(&a, f.batch.id, f.a.id, f.b.id, &[], &admin())
            .await
            .is_err()
    );
    // Rejected, then proposed again, then confirmed.
    let p = db
        .propose_partnership(
            &a,
            f.batch.id,
            f.a.id,
            f.p.id,
            &["成渝地区双城经济圈".into()],
            &admin(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.tags, vec!["成渝地区双城经济圈".to_string()]);
    let r = db
        .respond_partnership(&Scope::Enterprise(f.p.id), p.id, false, &admin())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.status, PartnershipStatus::Rejected);
    assert!(r.form_id.is_none());
    assert!(
        db.respond_partnership(&Scope::Enterprise(f.p.id), p.id, true, &admin())
            .await
            .is_err()
    );
    let again = db
        .propose_partnership(&a, f.batch.id, f.a.id, f.p.id, &[], &admin())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.id, p.id);
    assert_eq!(again.status, PartnershipStatus::Proposed);
    // A closed batch changes no more.
    db.close_batch(f.batch.id, &admin()).await.unwrap();
    let err = db
        .respond_partnership(&Scope::Enterprise(f.p.id), p.id, true, &admin())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::State(_)), "{err}");
    let err = db
        .replace_rows(
            &a,
            f.pa.form_id.unwrap(),
            &content(&["张三"]),
            None,
            &admin(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::State(_)), "{err}");
}

#[test]
fn errors_read_in_chinese() {
    let e = StoreError::VersionConflict {
        expected: 1,
        current: 2,
    };
    assert!(e.to_string().contains("请刷新后重试"));
    assert_eq!(
        StoreError::NotFound("表单").to_string(),
        "表单不存在或无权访问"
    );
    let when: DateTime<Utc> = Utc.with_ymd_and_hms(2023, 9, 24, 15, 59, 0).unwrap();
    assert_eq!(
        shuangshi_store::submissions::beijing_time(when),
        "2023年9月24日 23:59"
    );
}

/// Read-then-write transactions racing on one form: on SQLite a deferred transaction would fail
/// with "database is locked" when it upgrades to a writer; `BEGIN IMMEDIATE` queues them instead.
/// On PostgreSQL the form row is locked (`FOR UPDATE`), so no version or position is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_row_edits_are_serialised() {
    let db = TestDb::new().await;
    let f = fixture(&db).await;
    let form_id = f.pa.form_id.unwrap();
    let scope = Scope::School(f.a.id);
    let mut tasks = Vec::new();
    for i in 0..20 {
        let store = db.store().clone();
        tasks.push(tokio::spawn(async move {
            store
                .add_row(
                    &scope,
                    form_id,
                    &row(&format!("人员{i:02}")),
                    None,
                    &admin(),
                )
                .await
                .map(|r| r.is_some())
        }));
    }
    for t in tasks {
        assert!(t.await.unwrap().unwrap());
    }
    let form = db.get_form(&scope, form_id).await.unwrap().unwrap();
    assert_eq!(form.version, 21);
    assert_eq!(form.rows.len(), 20);
    let mut positions: Vec<i32> = form.rows.iter().map(|r| r.position).collect();
    positions.sort_unstable();
    assert_eq!(positions, (0..20).collect::<Vec<_>>());
    assert!(db.verify_audit().await.unwrap().is_ok());
}

#[tokio::test]
async fn batch_forms_loads_every_form_in_scope_with_its_rows() {
    let db = TestDb::new().await;
    let f = fixture(&db).await;
    let (form_a, form_b) = (f.pa.form_id.unwrap(), f.pb.form_id.unwrap());
    db.replace_rows(
        &Scope::All,
        form_a,
        &content(&["张三", "李四"]),
        None,
        &admin(),
    )
    .await
    .unwrap()
    .unwrap();
    db.replace_rows(&Scope::All, form_b, &content(&["王五"]), None, &admin())
        .await
        .unwrap()
        .unwrap();
    let all = db.batch_forms(&Scope::All, f.batch.id).await.unwrap();
    assert_eq!(all.len(), 2);
    for form in &all {
        // The bulk load gives what the one-form load gives.
        let one = db.get_form(&Scope::All, form.id).await.unwrap().unwrap();
        assert_eq!(form, &one);
    }
    let names: Vec<&str> = all
        .iter()
        .flat_map(|x| {
            x.rows
                .iter()
                .map(|r| r.cells[Column::Name as usize].as_str())
        })
        .collect();
    assert_eq!(names.len(), 3);
    // A school sees its own; 职成教处 only the 中职 school's; the enterprise both of its forms.
    let a = db
        .batch_forms(&Scope::School(f.a.id), f.batch.id)
        .await
        .unwrap();
    assert_eq!(a.iter().map(|x| x.id).collect::<Vec<_>>(), [form_a]);
    let v = db
        .batch_forms(&Scope::VocationalSchools, f.batch.id)
        .await
        .unwrap();
    assert_eq!(v.iter().map(|x| x.id).collect::<Vec<_>>(), [form_b]);
    let e = db
        .batch_forms(&Scope::Enterprise(f.e.id), f.batch.id)
        .await
        .unwrap();
    assert_eq!(e.len(), 2);
    assert!(
        db.batch_forms(&Scope::None, f.batch.id)
            .await
            .unwrap()
            .is_empty()
    );
}

fn session_for(user_id: Option<i64>) -> Record {
    let mut data = std::collections::HashMap::new();
    if let Some(uid) = user_id {
        data.insert(sessions::SESSION_USER.to_string(), serde_json::json!(uid));
    }
    Record {
        id: Id::default(),
        data,
        expiry_date: time::OffsetDateTime::now_utc() + time::Duration::minutes(30),
    }
}

#[tokio::test]
async fn sessions_are_stored_under_a_hash_with_their_account() {
    let db = TestDb::new().await;
    let store: &Store = &db;
    let u = new_user(&db, "hashed", Role::Admin, None).await;
    let mut record = session_for(Some(u.id));
    store.create(&mut record).await.unwrap();
    let key = db.query_text("SELECT id FROM sessions").await.unwrap();
    assert_ne!(key, record.id.to_string(), "the raw id is never stored");
    assert_eq!(key, sessions::session_key(&record.id));
    assert_eq!(key.len(), 64);
    assert_eq!(
        db.query_text("SELECT user_id FROM sessions").await,
        Some(u.id.to_string())
    );
    assert!(store.load(&record.id).await.unwrap().is_some());
    assert_eq!(db.count_sessions(u.id).await.unwrap(), 1);
    // A session ended while one of its requests was running is not brought back by its save.
    store.delete(&record.id).await.unwrap();
    store.save(&record).await.unwrap();
    assert!(store.load(&record.id).await.unwrap().is_none());
    assert_eq!(
        db.query_text("SELECT COUNT(*) FROM sessions").await,
        Some("0".into())
    );
}

#[tokio::test]
async fn password_changes_end_sessions_and_resets_revoke_tokens() {
    let db = TestDb::new().await;
    let store: &Store = &db;
    let u = new_user(&db, "lifecycle", Role::VocationalReviewer, None).await;
    let other = new_user(&db, "bystander", Role::Admin, None).await;
    let mut a = session_for(Some(u.id));
    let mut b = session_for(Some(u.id));
    let mut c = session_for(Some(other.id));
    let mut anon = session_for(None);
    for r in [&mut a, &mut b, &mut c, &mut anon] {
        store.create(r).await.unwrap();
    }
    let (_, token) = db.create_token(u.id, "t", &admin()).await.unwrap();
    db.change_password(u.id, PASSWORD, "Jiaowei-Lianhe-7Pq", &admin())
        .await
        .unwrap();
    assert!(store.load(&a.id).await.unwrap().is_none());
    assert!(store.load(&b.id).await.unwrap().is_none());
    assert!(
        store.load(&c.id).await.unwrap().is_some(),
        "others untouched"
    );
    assert!(store.load(&anon.id).await.unwrap().is_some());
    assert!(
        db.user_for_token(&token, Utc::now())
            .await
            .unwrap()
            .is_some(),
        "a change keeps the tokens"
    );
    let mut d = session_for(Some(u.id));
    store.create(&mut d).await.unwrap();
    db.reset_password(u.id, "Reset-Qx7-Lianhe-Jw", &admin())
        .await
        .unwrap();
    assert!(store.load(&d.id).await.unwrap().is_none());
    assert!(
        db.user_for_token(&token, Utc::now())
            .await
            .unwrap()
            .is_none(),
        "a reset revokes the tokens"
    );
    assert!(db.list_tokens(u.id).await.unwrap()[0].revoked_at.is_some());
    assert!(store.load(&c.id).await.unwrap().is_some());
    let log = db
        .list_audit(
            &AuditFilter {
                action_prefix: Some("user.reset_password".into()),
                ..Default::default()
            },
            PageRequest::new(0, 10),
        )
        .await
        .unwrap();
    assert_eq!(log.items[0].detail, "sessions ended: 1; tokens revoked: 1");
}

#[tokio::test]
async fn wrong_current_passwords_count_toward_the_lockout() {
    let db = TestDb::new().await;
    let u = new_user(&db, "guessed", Role::Admin, None).await;
    for i in 1..=4 {
        let e = db
            .change_password(u.id, "Wrong-Guess-Qx7", "Jiaowei-Lianhe-7Pq", &admin())
            .await
            .unwrap_err();
        assert_eq!(e.to_string(), "当前密码不正确", "{i}");
    }
    let e = db
        .change_password(u.id, "Wrong-Guess-Qx7", "Jiaowei-Lianhe-7Pq", &admin())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("账号已锁定"), "{e}");
    // Locked: neither the right current password nor a login is accepted.
    let e = db
        .change_password(u.id, PASSWORD, "Jiaowei-Lianhe-7Pq", &admin())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("锁定"), "{e}");
    assert!(matches!(
        db.check_login("guessed", PASSWORD, Utc::now(), "")
            .await
            .unwrap(),
        LoginOutcome::Locked { .. }
    ));
    let failed = db
        .list_audit(
            &AuditFilter {
                action_prefix: Some("user.change_password_failed".into()),
                ..Default::default()
            },
            PageRequest::new(0, 10),
        )
        .await
        .unwrap();
    assert_eq!(failed.total, 5);
}

#[tokio::test]
async fn easily_guessed_passwords_are_refused() {
    let db = TestDb::new().await;
    for weak in ["Password1234", "Qwerty123456!"] {
        let err = db
            .create_user(
                NewUser {
                    username: "weakling".into(),
                    display_name: "weakling".into(),
                    role: Role::Admin,
                    org_id: None,
                    password: weak.into(),
                    must_change_password: false,
                },
                &admin(),
            )
            .await
            .unwrap_err();
        assert!(err.to_string().contains("容易被猜中"), "{weak}: {err}");
    }
    // The account's own name is an easy guess too.
    let err = db
        .create_user(
            NewUser {
                username: "zhangsan".into(),
                display_name: "张三".into(),
                role: Role::Admin,
                org_id: None,
                password: "Zhangsan2024!".into(),
                must_change_password: false,
            },
            &admin(),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("容易被猜中"), "{err}");
    assert!(accounts::check_password_strength("Jiaowei-Lianhe-7Pq").is_ok());
}

#[tokio::test]
async fn a_schools_people_are_found_by_an_index_of_batch_and_school() {
    // Saving a school's check reads and replaces its people in the identity index; without this
    // index each save scanned the whole batch's people.
    let db = TestDb::new().await;
    let columns = if db.is_postgres() {
        db.query_text(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'people_index' \
             AND indexname = 'idx_people_school'",
        )
        .await
    } else {
        db.query_text("SELECT group_concat(name, ', ') FROM pragma_index_info('idx_people_school')")
            .await
    };
    let columns = columns.expect("the index exists");
    assert!(
        columns.contains("batch_id, school_id"),
        "idx_people_school is on ({columns})"
    );
}

// ---------------------------------------------------------------------------------------------
// The commission's import of many forms at once.

fn import_item(school: &OrgRecord, enterprise: &OrgRecord, names: &[&str]) -> ImportItem {
    ImportItem {
        school_id: school.id,
        enterprise_id: enterprise.id,
        content: FormContent {
            header_school: school.name.clone(),
            header_enterprise: enterprise.name.clone(),
            ..content(names)
        },
    }
}

async fn audit_count(db: &TestDb, prefix: &str) -> u64 {
    db.list_audit(
        &AuditFilter {
            action_prefix: Some(prefix.into()),
            ..AuditFilter::default()
        },
        PageRequest::new(0, 1),
    )
    .await
    .unwrap()
    .total
}

async fn cells_of(db: &TestDb, form_id: i64) -> Vec<(i64, String)> {
    db.get_form(&Scope::All, form_id)
        .await
        .unwrap()
        .unwrap()
        .rows
        .iter()
        .map(|r| (r.id, r.cell(Column::Name).to_owned()))
        .collect()
}

#[tokio::test]
async fn import_forms_writes_a_chunk_and_reports_the_bad_form() {
    let db = TestDb::new().await;
    let f = fixture(&db).await;
    let before_confirm = audit_count(&db, "partnership.confirm_by_commission").await;
    let before_replace = audit_count(&db, "form.replace_rows").await;
    let mut short = import_item(&f.b, &f.p, &["坏行"]);
    short.content.rows[0].pop();
    let items = vec![
        // An existing confirmed partnership: its form replaced.
        import_item(&f.a, &f.e, &["张三", "李四"]),
        // New partnerships: confirmed by the commission, their forms created with the rows.
        import_item(&f.a, &f.p, &["王五"]),
        // A row one cell short: refused, nothing of it stored.
        short,
        // An enterprise that is not one: refused by the single-form path.
        ImportItem {
            enterprise_id: f.b.id,
            ..import_item(&f.a, &f.e, &["赵六"])
        },
    ];
    let done = db.import_forms(f.batch.id, &items, &admin()).await.unwrap();
    assert_eq!(done.len(), 4);
    let replaced = done[0].as_ref().unwrap();
    assert!(replaced.changed && !replaced.confirmed, "{replaced:?}");
    assert_eq!(Some(replaced.form_id), f.pa.form_id);
    let created = done[1].as_ref().unwrap();
    assert!(created.changed && created.confirmed, "{created:?}");
    assert_eq!(created.version, 2);
    assert!(
        matches!(&done[2], Err(StoreError::Invalid(m)) if m.contains("单元格")),
        "{:?}",
        done[2]
    );
    assert!(
        matches!(&done[3], Err(StoreError::NotFound("企业"))),
        "{:?}",
        done[3]
    );
    let form = db
        .get_form(&Scope::All, replaced.form_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(form.version, replaced.version);
    assert_eq!(
        form.rows
            .iter()
            .map(|r| r.cell(Column::Name))
            .collect::<Vec<_>>(),
        ["张三", "李四"]
    );
    let new = db
        .get_form(&Scope::All, created.form_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((new.school_id, new.enterprise_id), (f.a.id, f.p.id));
    assert_eq!(new.rows.len(), 1);
    assert_eq!(new.header_enterprise, f.p.name);
    let partnership = db
        .get_partnership(&Scope::All, created.partnership_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(partnership.status, PartnershipStatus::Confirmed);
    // 乙校–丁企业 was refused: no partnership.
    let b_forms = db
        .list_forms(&Scope::All, f.batch.id, Some(f.b.id), None)
        .await
        .unwrap();
    assert!(
        b_forms.iter().all(|s| s.enterprise_id != f.p.id),
        "{b_forms:?}"
    );
    // One confirmation and two replacements audited, the chain intact.
    assert_eq!(
        audit_count(&db, "partnership.confirm_by_commission").await,
        before_confirm + 1
    );
    assert_eq!(
        audit_count(&db, "form.replace_rows").await,
        before_replace + 2
    );
    let entries = db
        .list_audit(
            &AuditFilter {
                target: Some(format!("form:{}", created.form_id)),
                ..AuditFilter::default()
            },
            PageRequest::new(0, 10),
        )
        .await
        .unwrap();
    assert_eq!(entries.items.len(), 1);
    assert_eq!(
        entries.items[0].detail,
        "version 1 -> 2; rows kept 0, added 1, removed 0"
    );
    assert!(db.verify_audit().await.unwrap().is_ok());

    // The same forms again: nothing changes, nothing is audited.
    let audited = db
        .list_audit(&AuditFilter::default(), PageRequest::new(0, 1))
        .await
        .unwrap()
        .total;
    let again = db
        .import_forms(f.batch.id, &items[..2], &admin())
        .await
        .unwrap();
    for (a, b) in again.iter().zip(&done) {
        let (a, b) = (a.as_ref().unwrap(), b.as_ref().unwrap());
        assert!(!a.changed && !a.confirmed, "{a:?}");
        assert_eq!((a.form_id, a.version), (b.form_id, b.version));
    }
    assert_eq!(
        db.list_audit(&AuditFilter::default(), PageRequest::new(0, 1))
            .await
            .unwrap()
            .total,
        audited
    );

    // A changed form: the unchanged row keeps its id (moved), the others are replaced.
    let kept = cells_of(&db, replaced.form_id).await;
    let changed = db
        .import_forms(
            f.batch.id,
            &[import_item(&f.a, &f.e, &["钱七", "张三"])],
            &admin(),
        )
        .await
        .unwrap();
    let changed = changed[0].as_ref().unwrap();
    assert!(changed.changed && !changed.confirmed);
    assert_eq!(changed.version, replaced.version + 1);
    let now = cells_of(&db, replaced.form_id).await;
    assert_eq!(now[1], kept[0], "张三 keeps its row: {now:?}");
    assert_eq!(now[0].1, "钱七");
    let entries = db
        .list_audit(
            &AuditFilter {
                target: Some(format!("form:{}", replaced.form_id)),
                ..AuditFilter::default()
            },
            PageRequest::new(0, 1),
        )
        .await
        .unwrap();
    assert_eq!(
        entries.items[0].detail,
        format!(
            "version {} -> {}; rows kept 1, added 1, removed 1",
            replaced.version, changed.version
        )
    );
    assert!(db.verify_audit().await.unwrap().is_ok());
}

#[tokio::test]
async fn import_forms_names_a_partnership_twice_in_order() {
    let db = TestDb::new().await;
    let f = fixture(&db).await;
    let items = vec![
        import_item(&f.b, &f.p, &["甲"]),
        import_item(&f.b, &f.e, &["乙"]),
        import_item(&f.b, &f.p, &["丙", "丁"]),
    ];
    let done = db.import_forms(f.batch.id, &items, &admin()).await.unwrap();
    let (first, last) = (done[0].as_ref().unwrap(), done[2].as_ref().unwrap());
    assert!(first.confirmed && first.changed);
    assert!(!last.confirmed && last.changed);
    assert_eq!(first.form_id, last.form_id);
    assert_eq!(last.version, first.version + 1);
    let names: Vec<String> = cells_of(&db, last.form_id)
        .await
        .into_iter()
        .map(|(_, n)| n)
        .collect();
    assert_eq!(names, ["丙", "丁"]);
    assert!(db.verify_audit().await.unwrap().is_ok());
}
