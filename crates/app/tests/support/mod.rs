//! What the use-case tests share: a fresh database with the embedded batch open and three
//! organisations registered ([`World`]), forms made through the use cases, sealed and submitted.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, Utc};
use shuangshi_app::forms::Mode;
use shuangshi_app::{App, Error};
use shuangshi_rules::{Batch, Org};
use shuangshi_store::testing::TestDb;
use shuangshi_store::{Actor, BatchRecord, FormContent, FormRecord, Scope, Store};

pub const SCHOOL_A: &str = "重庆丁工业学校";
pub const SCHOOL_B: &str = "重庆戌职业教育中心";
pub const ENTERPRISE: &str = "重庆戊机电集团有限公司";
pub use shuangshi_sheet::scan::TINY_PNG;

/// A fresh database (SQLite, or PostgreSQL with `TEST_DATABASE_URL`), the embedded batch open
/// with its deadline a month away, and the use cases over it.
pub struct World {
    pub db: TestDb,
    pub app: App,
    pub batch: BatchRecord,
    pub sys: Actor,
}

impl World {
    /// The world with these organisations registered.
    pub async fn with_orgs(orgs: Vec<Org>) -> World {
        let db = TestDb::new().await;
        let store = db.store().clone();
        let sys = Actor::system();
        let mut params = Batch::batch10();
        let tz = params.deadline.timezone();
        params.deadline = (Utc::now() + Duration::days(30)).with_timezone(&tz);
        let batch = store.create_batch(&params, &sys).await.unwrap();
        let batch = store.open_batch(batch.id, &sys).await.unwrap();
        store.import_orgs(orgs, &sys).await.unwrap();
        World {
            app: App::new(store),
            db,
            batch,
            sys,
        }
    }

    pub fn store(&self) -> &Store {
        self.app.store()
    }

    pub async fn id_of(&self, name: &str) -> i64 {
        self.store()
            .find_org_by_name(&Scope::All, name)
            .await
            .unwrap()
            .unwrap()
            .id
    }

    pub async fn get(&self, form_id: i64) -> FormRecord {
        self.store()
            .get_form(&Scope::All, form_id)
            .await
            .unwrap()
            .unwrap()
    }

    /// A confirmed partnership of `school` with [`ENTERPRISE`], tagged with `tags`, its form
    /// holding `content` (typed in by the school).
    pub async fn form_tagged(
        &self,
        school: &str,
        tags: &[String],
        content: &FormContent,
    ) -> FormRecord {
        let (s, e) = (self.id_of(school).await, self.id_of(ENTERPRISE).await);
        let p = self
            .store()
            .propose_partnership(&Scope::All, self.batch.id, s, e, tags, &self.sys)
            .await
            .unwrap()
            .unwrap();
        let p = self
            .store()
            .respond_partnership(&Scope::All, p.id, true, &self.sys)
            .await
            .unwrap()
            .unwrap();
        let form = self.get(p.form_id.unwrap()).await;
        self.app
            .replace_content(
                &Scope::School(s),
                &self.sys,
                &self.batch,
                &form,
                content,
                None,
                Mode::Commit,
            )
            .await
            .unwrap();
        self.get(form.id).await
    }

    /// Confirms every row of the form as it stands and seals it (W02, W03).
    pub async fn seal(&self, form_id: i64) {
        let form = self.get(form_id).await;
        let ids: Vec<i64> = form.rows.iter().map(|r| r.id).collect();
        self.store()
            .confirm_rows(&Scope::All, form.id, &ids, Some(form.version), &self.sys)
            .await
            .unwrap();
        self.store()
            .put_scan(
                &Scope::All,
                form.id,
                "image/png",
                TINY_PNG.to_vec(),
                &self.sys,
            )
            .await
            .unwrap();
    }

    /// The school's submission, as the school makes it: its id, or the refusal.
    pub async fn try_submit(&self, school: &str) -> Result<i64, Error> {
        let s = self.id_of(school).await;
        self.app
            .submit(&Scope::School(s), &self.sys, &self.batch, s, Utc::now())
            .await
            .map(|v| v.submission_id)
    }
}
