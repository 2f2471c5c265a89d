//! `shuangshi bench dashboard`: the commission's 工作台 and the 汇总名单 measured over many people
//! in many batches. A fresh database (an SQLite file in a new temporary directory, or a database
//! of its own created on the PostgreSQL server of `--database-url` and dropped at the end) is
//! migrated as `serve` does; the registry and the batches go through the store's repository
//! functions, everything else is written straight into the tables with multi-row `INSERT`s
//! (`shuangshi_store::bulk`): per batch the confirmed partnerships and their forms (eight people
//! each, the generated rows of `bench serve`), and for the closed batches their stored checks, the
//! identity index, the accepted submissions with their snapshots, the selections, the published
//! final list, the term records and the subsidy ledger. The last batch is open: a mix of
//! submitted, accepted and returned schools, drafts and schools that have nothing yet.
//!
//! The first dashboard computes the open batch's checks through the app, as a first visit after
//! the forms were typed would; then, `--runs` times each, the dashboard (`App::dashboard` and
//! `App::term_charts` for the commission) and the first page of the roster (unfiltered, and
//! filtered by one school) are timed, and each store read behind them once.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use chrono::{DateTime, Utc};
use shuangshi_app::export::RosterFilter;
use shuangshi_app::{App, Disclosure};
use shuangshi_rules::{Batch, Column, Direction, Input, Org, Registry, Tally, occurrences};
use shuangshi_store::bulk::{self, Value};
use shuangshi_store::{
    Actor, BatchRecord, FormRecord, OrgFilter, PageRequest, PersonKeys, PublicEntry, Role,
    SNAPSHOT_VERSION, Scope, SnapActor, SnapBatch, SnapEnterprise, SnapForm, SnapReport, SnapRow,
    SnapSchool, Snapshot, Store, SubmissionFilter,
};

use crate::bench_serve::chinese_number;

/// The options of `bench dashboard`.
#[derive(Debug, Clone)]
pub struct Options {
    pub people: usize,
    pub batches: usize,
    pub database_url: Option<String>,
    pub runs: usize,
    pub keep: bool,
    /// Drop the indexes of `m0006_scale` before loading (the figures before them).
    pub without_indexes: bool,
    /// Print the plans of the reads behind the dashboard and the roster.
    pub explain: bool,
}

/// People per generated form (the rows of `bench serve`'s clean form).
const PER_FORM: usize = 8;
/// Rows the roster page shows first.
const PAGE: usize = 20;

const DISTRICTS: [&str; 20] = [
    "渝中区",
    "江北区",
    "南岸区",
    "九龙坡区",
    "沙坪坝区",
    "大渡口区",
    "渝北区",
    "巴南区",
    "北碚区",
    "璧山区",
    "江津区",
    "合川区",
    "永川区",
    "长寿区",
    "涪陵区",
    "万州区",
    "黔江区",
    "綦江区",
    "大足区",
    "铜梁区",
];

const BRANDS: [&str; 40] = [
    "长安", "嘉陵", "宗申", "力帆", "隆鑫", "建设", "望江", "川仪", "重钢", "太极", "小康", "金康",
    "博腾", "华邦", "智飞", "莱美", "秦川", "再升", "渝开", "三峡", "山城", "两江", "巴渝", "缙云",
    "歌乐", "南山", "鹅岭", "朝天", "白沙", "龙门", "金佛", "四面", "黑山", "仙女", "武陵", "大巴",
    "明月", "铁山", "云篆", "华蓥",
];

const INDUSTRIES: [&str; 20] = [
    "汽车", "电子", "机械", "软件", "材料", "化工", "医药", "食品", "物流", "能源", "环保", "建筑",
    "通信", "装备", "仪表", "纺织", "农业", "数据", "文旅", "航空",
];

/// School tiers in a cycle of 20: 2 国家双高, 3 市级双高, 4 其他高职, 3 技工院校, 8 中职.
const TIER_CYCLE: [&str; 20] = [
    "国家双高",
    "市级双高",
    "其他高职",
    "技工院校",
    "中职",
    "中职",
    "其他高职",
    "市级双高",
    "中职",
    "技工院校",
    "国家双高",
    "中职",
    "其他高职",
    "市级双高",
    "中职",
    "技工院校",
    "中职",
    "其他高职",
    "中职",
    "中职",
];

const TAGS: [&str; 3] = ["33618", "成渝地区双城经济圈", "智能网联新能源汽车"];

fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn e(err: shuangshi_store::StoreError) -> anyhow::Error {
    match std::error::Error::source(&err) {
        Some(cause) => anyhow!("{err}（{cause}）"),
        None => anyhow!("{err}"),
    }
}

fn ea(err: shuangshi_app::Error) -> anyhow::Error {
    anyhow!("{err}")
}

fn json<T: serde::Serialize>(v: &T) -> anyhow::Result<String> {
    serde_json::to_string(v).context("生成的数据无法写成 JSON")
}

/// An organisation of the generated registry.
#[derive(Debug, Clone)]
struct Unit {
    id: i64,
    name: String,
    category: String,
}

fn school_org(i: usize) -> Org {
    let tier = TIER_CYCLE[i % TIER_CYCLE.len()];
    let district = DISTRICTS[i % DISTRICTS.len()];
    let stem = district.trim_end_matches('区');
    let suffix = match (tier, i % 2) {
        ("国家双高" | "市级双高" | "其他高职", 0) => "职业技术学院",
        ("国家双高" | "市级双高" | "其他高职", _) => "职业学院",
        ("技工院校", 0) => "技师学院",
        ("技工院校", _) => "高级技工学校",
        (_, 0) => "职业教育中心",
        _ => "工业学校",
    };
    Org {
        name: format!(
            "重庆{stem}第{}{suffix}",
            chinese_number(i / DISTRICTS.len() + 1)
        ),
        category: tier.to_owned(),
        affiliation: match tier {
            "技工院校" => "市人力社保局",
            "中职" => "区县教委",
            _ => "市教委",
        }
        .to_owned(),
        credit_code: String::new(),
        district: district.to_owned(),
    }
}

fn enterprise_org(i: usize) -> Org {
    let district = DISTRICTS[i % DISTRICTS.len()];
    let stem = district.trim_end_matches('区');
    let brand = BRANDS[(i / DISTRICTS.len()) % BRANDS.len()];
    let industry = INDUSTRIES[(i / (DISTRICTS.len() * BRANDS.len())) % INDUSTRIES.len()];
    let round = i / (DISTRICTS.len() * BRANDS.len() * INDUSTRIES.len());
    let brand = if round == 0 {
        brand.to_owned()
    } else {
        format!("{brand}{}", chinese_number(round + 1))
    };
    let (kind, affiliation, suffix) = match i % 4 {
        0 => ("国有企业", "市国资委", "集团有限公司"),
        1 | 2 => ("民营企业", "市工商联", "有限公司"),
        _ if i % 8 == 3 => ("新型研发机构", "市科技局", "研究院"),
        _ => ("其他企业", "市商务委", "股份有限公司"),
    };
    Org {
        name: format!("重庆{stem}{brand}{industry}{suffix}"),
        category: kind.to_owned(),
        affiliation: affiliation.to_owned(),
        credit_code: String::new(),
        district: district.to_owned(),
    }
}

/// The oversight body a form is routed to by its enterprise's kind.
fn body_of(kind: &str) -> &'static str {
    match kind {
        "国有企业" => "sasac",
        "民营企业" => "federation",
        _ => "none",
    }
}

/// Where a batch stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Closed, its term closed too.
    Old,
    /// Closed, in its term (the latest final list).
    Term,
    /// Open: forms being typed and submitted.
    Current,
}

/// The ids handed out so far, per table.
#[derive(Debug, Default)]
struct Next {
    form: i64,
    row: i64,
    index: i64,
    school_check: i64,
    submission: i64,
    version: i64,
    selection: i64,
    publication: i64,
    term_record: i64,
    closure: i64,
    ledger: i64,
    extension: i64,
}

fn bump(v: &mut i64) -> i64 {
    *v += 1;
    *v
}

/// What was generated, for the summary and the measurements.
#[derive(Debug, Default)]
struct Generated {
    schools: usize,
    enterprises: usize,
    forms: usize,
    people: usize,
    current_people: usize,
    current: Option<BatchRecord>,
    term: Option<BatchRecord>,
    /// The current batch's form ids and partnership ids (first 500, for the plans).
    current_forms: Vec<i64>,
    current_partnerships: Vec<i64>,
    /// Identity keys of one school's people (the keys a save of its check looks up).
    sample_mobiles: Vec<String>,
    sample_names: Vec<String>,
    /// A school with forms in the current batch (the filtered roster).
    sample_school: String,
    /// Rows written per table.
    rows: Vec<(&'static str, u64)>,
}

impl Generated {
    fn count(&mut self, table: &'static str, n: u64) {
        match self.rows.iter_mut().find(|(t, _)| *t == table) {
            Some((_, c)) => *c += n,
            None => self.rows.push((table, n)),
        }
    }
}

/// One generated form with its rows.
struct GenForm {
    id: i64,
    partnership_id: i64,
    school: usize,
    enterprise: usize,
    content: shuangshi_store::FormContent,
    row_ids: Vec<i64>,
    confirmed: Vec<bool>,
}

fn tally_of(batch: &Batch, rows: &[Vec<String>]) -> Tally {
    let mut t = Tally::default();
    for r in rows {
        let cell = |c: Column| r.get(c as usize).map(String::as_str).unwrap_or("");
        if cell(Column::Direction) == Direction::School.label() {
            t.teachers += 1;
            if cell(Column::Post) == batch.posts.school_senior {
                t.tech_vps += 1;
            }
        } else if cell(Column::Direction) == Direction::Enterprise.label() {
            t.engineers += 1;
            if cell(Column::Post) == batch.posts.enterprise_senior {
                t.deans += 1;
            }
        } else {
            t.undetermined += 1;
        }
    }
    t
}

const T_PARTNERSHIPS: [&str; 9] = [
    "id",
    "batch_id",
    "school_id",
    "enterprise_id",
    "status",
    "tags",
    "proposed_by",
    "created_at",
    "confirmed_at",
];
const T_FORMS: [&str; 9] = [
    "id",
    "partnership_id",
    "version",
    "header_school",
    "header_enterprise",
    "filler",
    "phone",
    "content_hash",
    "updated_at",
];
const T_ROWS: [&str; 5] = ["id", "form_id", "position", "cells", "confirmed_version"];
const T_FORM_CHECKS: [&str; 11] = [
    "form_id",
    "batch_id",
    "school_id",
    "form_version",
    "teachers",
    "tech_vps",
    "engineers",
    "deans",
    "undetermined",
    "findings",
    "checked_at",
];
const T_SCHOOL_CHECKS: [&str; 6] = [
    "id",
    "batch_id",
    "school_id",
    "stamp",
    "findings",
    "checked_at",
];
const T_INDEX: [&str; 9] = [
    "id",
    "batch_id",
    "school_id",
    "form_id",
    "row_no",
    "mobile_key",
    "name_key",
    "person_key",
    "occurrence",
];
const T_SUBMISSIONS: [&str; 6] = [
    "id",
    "batch_id",
    "school_id",
    "status",
    "current_version",
    "updated_at",
];
const T_VERSIONS: [&str; 8] = [
    "id",
    "submission_id",
    "version_no",
    "receipt_no",
    "snapshot",
    "snapshot_hash",
    "submitted_by",
    "submitted_at",
];
const T_SELECTIONS: [&str; 19] = [
    "id",
    "batch_id",
    "school_id",
    "enterprise_id",
    "submission_version_id",
    "form_id",
    "row_no",
    "name",
    "direction",
    "post",
    "sending_unit",
    "receiving_unit",
    "term",
    "body",
    "status",
    "reason",
    "decided_by",
    "decided_at",
    "created_at",
];
const T_PUBLICATIONS: [&str; 13] = [
    "id",
    "batch_id",
    "kind",
    "revision",
    "state",
    "entries",
    "note",
    "opens_at",
    "closes_at",
    "made_by",
    "made_at",
    "approved_by",
    "published_at",
];
const T_TERM: [&str; 15] = [
    "id",
    "selection_id",
    "batch_id",
    "version",
    "arrival",
    "arrived_on",
    "absent_reason",
    "post",
    "tasks",
    "duties",
    "assessment",
    "summary",
    "sender_remark",
    "updated_by",
    "updated_at",
];
const T_CLOSURES: [&str; 4] = ["id", "batch_id", "closed_by", "closed_at"];
const T_LEDGER: [&str; 15] = [
    "id",
    "batch_id",
    "school_id",
    "kind",
    "people",
    "rate",
    "amount",
    "reason",
    "status",
    "paid_on",
    "voucher",
    "prepared_by",
    "prepared_at",
    "approved_by",
    "approved_at",
];
const T_EXTENSIONS: [&str; 4] = ["id", "batch_id", "school_id", "deadline"];

/// The tables written with their own ids (their sequences are moved past them).
const TABLES: [&str; 13] = [
    "partnerships",
    "forms",
    "form_rows",
    "school_checks",
    "people_index",
    "submissions",
    "submission_versions",
    "selections",
    "publications",
    "term_records",
    "term_closures",
    "ledger_entries",
    "deadline_extensions",
];

/// Rows of one table for one batch, then written.
struct Rows {
    table: &'static str,
    columns: &'static [&'static str],
    rows: Vec<Vec<Value>>,
}

impl Rows {
    fn new(table: &'static str, columns: &'static [&'static str]) -> Rows {
        Rows {
            table,
            columns,
            rows: Vec::new(),
        }
    }

    async fn write(self, store: &Store, g: &mut Generated) -> anyhow::Result<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let n = store
            .bulk_insert(self.table, self.columns, self.rows)
            .await
            .map_err(|err| anyhow!("写入表 {} 失败：{err}", self.table))?;
        g.count(self.table, n);
        Ok(())
    }
}

/// Generates the registry and every batch.
async fn generate(store: &Store, people: usize, batches: usize) -> anyhow::Result<Generated> {
    let sys = Actor::system();
    let mut g = Generated::default();
    let per_batch = people / batches;
    let schools = (per_batch / 160).clamp(8, 300);
    let mut enterprises = (schools * 10).clamp(16, 3000);
    if enterprises.is_multiple_of(13) {
        enterprises += 1;
    }
    g.schools = schools;
    g.enterprises = enterprises;

    let mut registry: Vec<Org> = (0..schools).map(school_org).collect();
    registry.extend((0..enterprises).map(enterprise_org));
    store.import_orgs(registry, &sys).await.map_err(e)?;
    let mut by_name: HashMap<String, Unit> = HashMap::new();
    let mut offset = 0;
    loop {
        let page = store
            .list_orgs(
                &Scope::All,
                &OrgFilter::default(),
                PageRequest::new(offset, PageRequest::MAX_LIMIT),
            )
            .await
            .map_err(e)?;
        let n = page.items.len() as u64;
        for o in page.items {
            by_name.insert(
                o.name.clone(),
                Unit {
                    id: o.id,
                    name: o.name,
                    category: o.category,
                },
            );
        }
        offset += n;
        if n == 0 || offset >= page.total {
            break;
        }
    }
    let unit = |org: Org| {
        by_name
            .get(&org.name)
            .cloned()
            .ok_or_else(|| anyhow!("单位「{}」导入后缺失", org.name))
    };
    let school_units: Vec<Unit> = (0..schools)
        .map(|i| unit(school_org(i)))
        .collect::<anyhow::Result<_>>()?;
    let enterprise_units: Vec<Unit> = (0..enterprises)
        .map(|i| unit(enterprise_org(i)))
        .collect::<anyhow::Result<_>>()?;
    let rules_registry: Registry = store.registry().await.map_err(e)?;

    let now = shuangshi_store::now();
    let day = chrono::Duration::days(1);
    let mut next = Next::default();
    for b in 0..batches {
        let stage = if b + 1 == batches {
            Stage::Current
        } else if b + 2 == batches {
            Stage::Term
        } else {
            Stage::Old
        };
        let number = b + 1;
        let mut params = Batch::batch10();
        params.number = u32::try_from(number).context("批次过多")?;
        params.name = format!("第{}批", chinese_number(number));
        let tz = params.deadline.timezone();
        // Half a year between batches; the open one's deadline three weeks ahead.
        let deadline = now + day * 21 - day * (182 * i32::try_from(batches - 1 - b).unwrap_or(0));
        params.deadline = deadline.with_timezone(&tz);
        let record = store.create_batch(&params, &sys).await.map_err(e)?;
        let record = if stage == Stage::Current {
            store.open_batch(record.id, &sys).await.map_err(e)?
        } else {
            store
                .bulk_execute(&format!(
                    "UPDATE batches SET status = 'closed' WHERE id = {}",
                    record.id
                ))
                .await
                .map_err(e)?;
            record
        };
        let batch_people = if stage == Stage::Current {
            people - per_batch * (batches - 1)
        } else {
            per_batch
        };
        generate_batch(
            store,
            &mut g,
            &mut next,
            &record,
            &params,
            stage,
            batch_people,
            &school_units,
            &enterprise_units,
            &rules_registry,
            deadline,
        )
        .await?;
        match stage {
            Stage::Current => {
                g.current_people = batch_people;
                g.current = store.get_batch(record.id).await.map_err(e)?;
            }
            Stage::Term => g.term = store.get_batch(record.id).await.map_err(e)?,
            Stage::Old => {}
        }
        g.people += batch_people;
    }
    store.bulk_finish(&TABLES).await.map_err(e)?;
    Ok(g)
}

#[allow(clippy::too_many_arguments)]
async fn generate_batch(
    store: &Store,
    g: &mut Generated,
    next: &mut Next,
    record: &BatchRecord,
    params: &Batch,
    stage: Stage,
    people: usize,
    schools: &[Unit],
    enterprises: &[Unit],
    registry: &Registry,
    deadline: DateTime<Utc>,
) -> anyhow::Result<()> {
    let bid = record.id;
    let day = chrono::Duration::days(1);
    let opened = deadline - day * 40;
    let n_forms = people.div_ceil(PER_FORM);
    let s_n = schools.len();
    let e_n = enterprises.len();

    // Partnerships and forms: form k of the batch joins school k mod S with an enterprise that
    // school has no other form with.
    let mut forms: Vec<GenForm> = Vec::with_capacity(n_forms);
    let mut left = people;
    for k in 0..n_forms {
        let school = k % s_n;
        let j = k / s_n;
        let enterprise = (school * 7 + j * 13 + record.number as usize * 3) % e_n;
        let id = bump(&mut next.form);
        let mut content = crate::bench_serve::clean_form(
            params,
            &schools[school].name,
            TIER_CYCLE[school % TIER_CYCLE.len()],
            &enterprises[enterprise].name,
            usize::try_from(id).unwrap_or(0),
        );
        content.rows.truncate(left.min(PER_FORM));
        left -= content.rows.len();
        let row_ids = content.rows.iter().map(|_| bump(&mut next.row)).collect();
        // In the open batch an enterprise has yet to confirm some rows (W02).
        let confirmed = (0..content.rows.len())
            .map(|r| stage != Stage::Current || !(k % 9 == 4 && r >= 6))
            .collect();
        forms.push(GenForm {
            id,
            partnership_id: id,
            school,
            enterprise,
            content,
            row_ids,
            confirmed,
        });
    }
    if stage == Stage::Current {
        g.current_forms = forms.iter().take(500).map(|f| f.id).collect();
        g.current_partnerships = forms.iter().take(500).map(|f| f.partnership_id).collect();
        g.sample_school = forms
            .first()
            .map(|f| schools[f.school].name.clone())
            .unwrap_or_default();
    }
    g.forms += forms.len();

    let mut ps = Rows::new("partnerships", &T_PARTNERSHIPS);
    let mut fs = Rows::new("forms", &T_FORMS);
    let mut rs = Rows::new("form_rows", &T_ROWS);
    for (k, f) in forms.iter().enumerate() {
        let tags: Vec<&str> = match k % 4 {
            0 => vec![TAGS[0]],
            1 => vec![TAGS[1]],
            2 => vec![TAGS[0], TAGS[2]],
            _ => Vec::new(),
        };
        let created = opened + chrono::Duration::minutes(i64::try_from(k % 20_000).unwrap_or(0));
        ps.rows.push(vec![
            f.partnership_id.into(),
            bid.into(),
            schools[f.school].id.into(),
            enterprises[f.enterprise].id.into(),
            "confirmed".into(),
            json(&tags)?.into(),
            Value::Null,
            created.into(),
            (created + day).into(),
        ]);
        let c = &f.content;
        let hash = shuangshi_store::forms::content_hash(
            &c.header_school,
            &c.header_enterprise,
            &c.filler,
            &c.phone,
            &c.rows,
        );
        fs.rows.push(vec![
            f.id.into(),
            f.partnership_id.into(),
            1i32.into(),
            c.header_school.clone().into(),
            c.header_enterprise.clone().into(),
            c.filler.clone().into(),
            c.phone.clone().into(),
            hash.into(),
            (created + day * 2).into(),
        ]);
        for (pos, cells) in c.rows.iter().enumerate() {
            rs.rows.push(vec![
                f.row_ids[pos].into(),
                f.id.into(),
                i32::try_from(pos).unwrap_or(0).into(),
                json(cells)?.into(),
                f.confirmed[pos].then_some(1i32).into(),
            ]);
        }
    }
    if stage == Stage::Current {
        // A few proposals the enterprises have not answered yet (no form until they do).
        for s in (0..s_n).step_by(10) {
            let enterprise = (s * 7 + 11 + e_n / 2) % e_n;
            if forms
                .iter()
                .any(|f| f.school == s && f.enterprise == enterprise)
            {
                continue;
            }
            ps.rows.push(vec![
                bump(&mut next.form).into(),
                bid.into(),
                schools[s].id.into(),
                enterprises[enterprise].id.into(),
                "proposed".into(),
                "[]".into(),
                Value::Null,
                (deadline - day * 3).into(),
                Value::Null,
            ]);
        }
    }
    ps.write(store, g).await?;
    fs.write(store, g).await?;
    rs.write(store, g).await?;

    // Each school's forms, in form order.
    let mut of_school: Vec<Vec<&GenForm>> = vec![Vec::new(); s_n];
    for f in &forms {
        of_school[f.school].push(f);
    }

    // Closed batches: stored checks and the identity index (the open batch's are computed by
    // the first dashboard, through the app).
    if stage != Stage::Current {
        let mut fc = Rows::new("form_checks", &T_FORM_CHECKS);
        let mut sc = Rows::new("school_checks", &T_SCHOOL_CHECKS);
        let mut ix = Rows::new("people_index", &T_INDEX);
        let checked = deadline - day;
        for (s, mine) in of_school.iter().enumerate() {
            if mine.is_empty() {
                continue;
            }
            for f in mine {
                let t = tally_of(params, &f.content.rows);
                fc.rows.push(vec![
                    f.id.into(),
                    bid.into(),
                    schools[s].id.into(),
                    1i32.into(),
                    i32::try_from(t.teachers).unwrap_or(0).into(),
                    i32::try_from(t.tech_vps).unwrap_or(0).into(),
                    i32::try_from(t.engineers).unwrap_or(0).into(),
                    i32::try_from(t.deans).unwrap_or(0).into(),
                    i32::try_from(t.undetermined).unwrap_or(0).into(),
                    "[]".into(),
                    checked.into(),
                ]);
                let rules_form = record_of(record, f, schools, enterprises).to_rules_form();
                let input = Input {
                    batch: params,
                    forms: std::slice::from_ref(&rules_form),
                    registry: Some(registry),
                    history: &[],
                };
                for o in occurrences(input) {
                    let keys = PersonKeys::of(&o);
                    if stage == Stage::Term && s == 0 {
                        g.sample_mobiles.extend(keys.mobile.clone());
                        g.sample_names.extend(keys.name.clone());
                    }
                    ix.rows.push(vec![
                        bump(&mut next.index).into(),
                        bid.into(),
                        schools[s].id.into(),
                        f.id.into(),
                        i32::try_from(o.row).unwrap_or(0).into(),
                        keys.mobile.into(),
                        keys.name.into(),
                        keys.person.into(),
                        json(&o)?.into(),
                    ]);
                }
            }
            sc.rows.push(vec![
                bump(&mut next.school_check).into(),
                bid.into(),
                schools[s].id.into(),
                shuangshi_store::checks::stamp(mine.iter().map(|f| (f.id, 1))).into(),
                "[]".into(),
                checked.into(),
            ]);
        }
        fc.write(store, g).await?;
        sc.write(store, g).await?;
        ix.write(store, g).await?;
    }

    // Submissions and their versions: every school of a closed batch accepted; in the open one
    // by the school's number: 0–3 submitted (3 after a return), 4–5 accepted, 6 returned, 7–9
    // nothing yet.
    let mut subs = Rows::new("submissions", &T_SUBMISSIONS);
    let mut versions = Rows::new("submission_versions", &T_VERSIONS);
    let mut sels = Rows::new("selections", &T_SELECTIONS);
    let mut accepted_versions: Vec<(usize, i64, DateTime<Utc>)> = Vec::new();
    for (s, mine) in of_school.iter().enumerate() {
        if mine.is_empty() {
            continue;
        }
        let (status, n_versions) = match stage {
            Stage::Old | Stage::Term => ("accepted", 1),
            Stage::Current => match s % 10 {
                0..=2 => ("submitted", 1),
                3 => ("submitted", 2),
                4 | 5 => ("accepted", 1),
                6 => ("returned", 1),
                _ => continue,
            },
        };
        let sid = bump(&mut next.submission);
        let school = &schools[s];
        let mut last_at = deadline;
        let mut last_vid = 0;
        for v in 1..=n_versions {
            let vid = bump(&mut next.version);
            let back =
                i32::try_from((s * 7 + usize::try_from(v).unwrap_or(0)) % 20 + 1).unwrap_or(1);
            let at = deadline - day * back + chrono::Duration::minutes(i64::from(v) * 90);
            let receipt = shuangshi_store::submissions::receipt_no(
                i32::try_from(record.number).unwrap_or(0),
                school.id,
                v,
            );
            // Full snapshots for the batches the pages read them of; the older ones without
            // their rows (what they weigh is the forms' rows, already stored once).
            let full = stage != Stage::Old;
            let snap_forms: Vec<SnapForm> = if full {
                mine.iter()
                    .map(|f| snap_form(f, enterprises))
                    .collect::<Vec<_>>()
            } else {
                Vec::new()
            };
            let mut tally = Tally::default();
            for f in mine {
                tally += tally_of(params, &f.content.rows);
            }
            let snapshot = Snapshot {
                snapshot_version: SNAPSHOT_VERSION,
                receipt_no: receipt.clone(),
                batch: SnapBatch {
                    id: bid,
                    number: i32::try_from(record.number).unwrap_or(0),
                    name: record.name.clone(),
                },
                school: SnapSchool {
                    id: school.id,
                    name: school.name.clone(),
                    category: school.category.clone(),
                },
                version_no: v,
                submitted_at: at,
                submitted_by: SnapActor {
                    user_id: None,
                    name: "学校经办人".to_owned(),
                },
                forms: snap_forms,
                report: SnapReport {
                    findings: Vec::new(),
                    tally,
                },
            };
            let text = json(&snapshot)?;
            let hash = bulk::sha256_hex(&text);
            versions.rows.push(vec![
                vid.into(),
                sid.into(),
                v.into(),
                receipt.into(),
                text.into(),
                hash.into(),
                Value::Null,
                at.into(),
            ]);
            last_at = at;
            last_vid = vid;
        }
        subs.rows.push(vec![
            sid.into(),
            bid.into(),
            school.id.into(),
            status.into(),
            n_versions.into(),
            (last_at + day).into(),
        ]);
        if status == "accepted" {
            accepted_versions.push((s, last_vid, last_at + day));
        }
    }

    // Selections: the people of the accepted versions; decided in closed batches.
    let mut selected: Vec<(i64, usize, &GenForm, usize)> = Vec::new();
    for (s, vid, at) in &accepted_versions {
        for f in &of_school[*s] {
            for (pos, cells) in f.content.rows.iter().enumerate() {
                let cell = |c: Column| cells.get(c as usize).cloned().unwrap_or_default();
                let direction = if cell(Column::Direction) == Direction::Enterprise.label() {
                    "enterprise"
                } else {
                    "school"
                };
                let id = bump(&mut next.selection);
                let (status, reason, decided) = match stage {
                    Stage::Current => ("pending", "", None),
                    _ if (id % 10) == 7 => ("rejected", "名额有限", Some(*at + day * 10)),
                    _ => ("selected", "", Some(*at + day * 10)),
                };
                if status == "selected" {
                    selected.push((id, *s, *f, pos));
                }
                sels.rows.push(vec![
                    id.into(),
                    bid.into(),
                    schools[*s].id.into(),
                    enterprises[f.enterprise].id.into(),
                    (*vid).into(),
                    f.id.into(),
                    i32::try_from(pos + 5).unwrap_or(0).into(),
                    cell(Column::Name).into(),
                    direction.into(),
                    cell(Column::Post).into(),
                    cell(Column::SendingUnit).into(),
                    cell(Column::ReceivingUnit).into(),
                    cell(Column::Term).into(),
                    body_of(&enterprises[f.enterprise].category).into(),
                    status.into(),
                    reason.into(),
                    Value::Null,
                    decided.into(),
                    (*at).into(),
                ]);
            }
        }
    }
    subs.write(store, g).await?;
    versions.write(store, g).await?;
    sels.write(store, g).await?;

    if stage == Stage::Current {
        // Extended deadlines for a few schools.
        let mut ext = Rows::new("deadline_extensions", &T_EXTENSIONS);
        for s in (7..s_n).step_by(20) {
            ext.rows.push(vec![
                bump(&mut next.extension).into(),
                bid.into(),
                schools[s].id.into(),
                (deadline + day * 7).into(),
            ]);
        }
        ext.write(store, g).await?;
        return Ok(());
    }

    // The published final list, the term records and the ledger.
    let published = deadline + day * 30;
    let entries: Vec<PublicEntry> = selected
        .iter()
        .enumerate()
        .map(|(i, (id, _, f, pos))| {
            let cells = &f.content.rows[*pos];
            let cell = |c: Column| cells.get(c as usize).cloned().unwrap_or_default();
            PublicEntry {
                seq: u32::try_from(i + 1).unwrap_or(u32::MAX),
                name: cell(Column::Name),
                sending_unit: cell(Column::SendingUnit),
                receiving_unit: cell(Column::ReceivingUnit),
                post: cell(Column::Post),
                term: cell(Column::Term),
                direction: cell(Column::Direction),
                selection_id: *id,
            }
        })
        .collect();
    let mut pubs = Rows::new("publications", &T_PUBLICATIONS);
    pubs.rows.push(vec![
        bump(&mut next.publication).into(),
        bid.into(),
        "final".into(),
        1i32.into(),
        "published".into(),
        json(&entries)?.into(),
        String::new().into(),
        Value::Null,
        Value::Null,
        Value::Null,
        published.into(),
        Value::Null,
        published.into(),
    ]);
    pubs.write(store, g).await?;

    let mut term = Rows::new("term_records", &T_TERM);
    for (id, _, f, pos) in &selected {
        let cells = &f.content.rows[*pos];
        let post = cells
            .get(Column::Post as usize)
            .cloned()
            .unwrap_or_default();
        let absent = id % 20 == 3;
        let unrecorded = stage == Stage::Term && id % 20 == 9;
        if unrecorded {
            continue;
        }
        let assessment = match (stage, id % 5) {
            (Stage::Term, _) => "",
            (_, 0) => "excellent",
            _ => "pass",
        };
        let arrived_on = (published + day * 20).format("%Y-%m-%d").to_string();
        term.rows.push(vec![
            bump(&mut next.term_record).into(),
            (*id).into(),
            bid.into(),
            1i32.into(),
            if absent { "absent" } else { "arrived" }.into(),
            (!absent).then_some(arrived_on).into(),
            if absent {
                "因工作调整未能到岗"
            } else {
                ""
            }
            .into(),
            post.into(),
            "参与专业建设与课程开发".into(),
            "承担实训教学与技术攻关".into(),
            assessment.into(),
            if assessment.is_empty() {
                ""
            } else {
                "完成聘期任务"
            }
            .into(),
            String::new().into(),
            Value::Null,
            (published + day * 25).into(),
        ]);
    }
    term.write(store, g).await?;

    if stage == Stage::Old {
        let mut closures = Rows::new("term_closures", &T_CLOSURES);
        closures.rows.push(vec![
            bump(&mut next.closure).into(),
            bid.into(),
            Value::Null,
            (published + day * 200).into(),
        ]);
        closures.write(store, g).await?;
    }

    // One grant per receiving school: people × rate, paid (in the term batch a third pending).
    let rate = i64::from(params.subsidy_per_person);
    let mut per_school: Vec<i64> = vec![0; s_n];
    for (_, s, f, pos) in &selected {
        let d = f.content.rows[*pos]
            .get(Column::Direction as usize)
            .map(String::as_str)
            .unwrap_or("");
        if d == Direction::Enterprise.label() {
            per_school[*s] += 1;
        }
    }
    let mut ledger = Rows::new("ledger_entries", &T_LEDGER);
    for (s, n) in per_school.iter().enumerate() {
        if *n == 0 {
            continue;
        }
        let pending = stage == Stage::Term && s % 3 == 2;
        let at = published + day * 40;
        ledger.rows.push(vec![
            bump(&mut next.ledger).into(),
            bid.into(),
            schools[s].id.into(),
            "grant".into(),
            i32::try_from(*n).unwrap_or(0).into(),
            rate.into(),
            (n * rate).into(),
            String::new().into(),
            if pending { "pending" } else { "paid" }.into(),
            (!pending).then(|| at.format("%Y-%m-%d").to_string()).into(),
            format!("记-{:05}", s + 1).into(),
            Value::Null,
            at.into(),
            Value::Null,
            (!pending).then_some(at).into(),
        ]);
    }
    ledger.write(store, g).await?;
    Ok(())
}

fn record_of(
    batch: &BatchRecord,
    f: &GenForm,
    schools: &[Unit],
    enterprises: &[Unit],
) -> FormRecord {
    let c = &f.content;
    FormRecord {
        id: f.id,
        partnership_id: f.partnership_id,
        batch_id: batch.id,
        school_id: schools[f.school].id,
        school_name: schools[f.school].name.clone(),
        enterprise_id: enterprises[f.enterprise].id,
        enterprise_name: enterprises[f.enterprise].name.clone(),
        enterprise_category: enterprises[f.enterprise].category.clone(),
        version: 1,
        header_school: c.header_school.clone(),
        header_enterprise: c.header_enterprise.clone(),
        filler: c.filler.clone(),
        phone: c.phone.clone(),
        content_hash: String::new(),
        updated_at: shuangshi_store::now(),
        rows: c
            .rows
            .iter()
            .enumerate()
            .map(|(i, cells)| shuangshi_store::RowRecord {
                id: f.row_ids[i],
                position: i32::try_from(i).unwrap_or(0),
                cells: cells.clone(),
                confirmed_version: f.confirmed[i].then_some(1),
            })
            .collect(),
    }
}

fn snap_form(f: &GenForm, enterprises: &[Unit]) -> SnapForm {
    let c = &f.content;
    let en = &enterprises[f.enterprise];
    SnapForm {
        form_id: f.id,
        partnership_id: f.partnership_id,
        enterprise: SnapEnterprise {
            id: en.id,
            name: en.name.clone(),
            category: en.category.clone(),
        },
        version: 1,
        content_hash: shuangshi_store::forms::content_hash(
            &c.header_school,
            &c.header_enterprise,
            &c.filler,
            &c.phone,
            &c.rows,
        ),
        header_school: c.header_school.clone(),
        header_enterprise: c.header_enterprise.clone(),
        filler: c.filler.clone(),
        phone: c.phone.clone(),
        rows: c
            .rows
            .iter()
            .enumerate()
            .map(|(i, cells)| SnapRow {
                row_id: f.row_ids[i],
                position: i32::try_from(i).unwrap_or(0),
                cells: cells.clone(),
                confirmed_version: Some(1),
            })
            .collect(),
        scan: None,
    }
}

// ---------------------------------------------------------------------------------------------
// Measuring.

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The median and the largest of `times`, in ms.
fn p50_max(times: &[Duration]) -> (f64, f64) {
    let mut v: Vec<f64> = times.iter().copied().map(ms).collect();
    v.sort_by(f64::total_cmp);
    let p50 = v.get(v.len() / 2).copied().unwrap_or(f64::NAN);
    let max = v.last().copied().unwrap_or(f64::NAN);
    (p50, max)
}

/// One timed read of the store, for the breakdown.
async fn timed<T, F: std::future::Future<Output = Result<T, shuangshi_store::StoreError>>>(
    out: &mut Vec<(String, f64, String)>,
    label: &str,
    f: F,
    size: impl FnOnce(&T) -> String,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let v = f.await.map_err(e)?;
    out.push((label.to_owned(), ms(started.elapsed()), size(&v)));
    Ok(())
}

async fn measure(store: &Store, g: &Generated, runs: usize, explain: bool) -> anyhow::Result<()> {
    let app = App::new(store.clone());
    let batch = g.current.clone().ok_or_else(|| anyhow!("当前批次缺失"))?;
    let all = Scope::All;
    let disclosure = Disclosure::new(Role::Admin, Actor::system(), false);

    let started = Instant::now();
    let first = app.dashboard(&all, &batch, Utc::now()).await.map_err(ea)?;
    let warm = started.elapsed();
    println!(
        "首次打开工作台（计算当前批次各校的检查结果并建立人员索引）：{:.1} 秒",
        warm.as_secs_f64()
    );
    println!(
        "工作台统计的推荐人数：{} 人（生成的当前批次人数 {} 人）；已报送学校 {} / {} 所；进度落后的单位 {} 个；图表 {} 张。",
        thousands(first.people),
        thousands(g.current_people),
        first.submitted_schools,
        first.expected_schools,
        first.behind.len(),
        first.charts.len()
    );

    let school_filter = RosterFilter {
        q: g.sample_school.clone(),
        ..RosterFilter::default()
    };
    let (mut dash, mut roster, mut by_school) = (Vec::new(), Vec::new(), Vec::new());
    let (mut term_charts, mut matched) = (0, 0);
    for _ in 0..runs {
        let started = Instant::now();
        let d = app
            .full_dashboard(&all, &batch, Utc::now())
            .await
            .map_err(ea)?;
        dash.push(started.elapsed());
        term_charts = d.charts.len().saturating_sub(first.charts.len());
        std::hint::black_box(d.people);

        let started = Instant::now();
        let r = app
            .roster(&all, &batch, &RosterFilter::default(), &disclosure)
            .await
            .map_err(ea)?;
        let page: Vec<_> = r.people.iter().take(PAGE).collect();
        std::hint::black_box(page.len());
        roster.push(started.elapsed());

        let started = Instant::now();
        let r = app
            .roster(&all, &batch, &school_filter, &disclosure)
            .await
            .map_err(ea)?;
        matched = r.people.len();
        let page: Vec<_> = r.people.iter().take(PAGE).collect();
        std::hint::black_box(page.len());
        by_school.push(started.elapsed());
    }
    println!();
    println!("| 项目 | 次数 | p50 ms | 最大 ms |");
    println!("| --- | ---: | ---: | ---: |");
    let line = |label: String, t: &[Duration]| {
        let (p50, max) = p50_max(t);
        println!("| {label} | {} | {p50:.1} | {max:.1} |", t.len());
    };
    line(
        format!("工作台（当前批次的图表与进度落后的单位，另加聘期图表 {term_charts} 张）"),
        &dash,
    );
    line("汇总名单第一页（不筛选）".to_owned(), &roster);
    line(
        format!(
            "汇总名单第一页（按学校筛选「{}」，{} 人）",
            g.sample_school, matched
        ),
        &by_school,
    );
    let (p50, _) = p50_max(&dash);
    println!();
    println!(
        "工作台 p50 {p50:.1} ms，目标 < 300 ms：{}",
        if p50 < 300.0 { "达到" } else { "未达到" }
    );

    // Each read behind them, once.
    let mut parts: Vec<(String, f64, String)> = Vec::new();
    let bid = batch.id;
    timed(
        &mut parts,
        "batch_counts（工作台：合作、各表计数、检查、待确认行、遴选）",
        store.batch_counts(&all, bid),
        |v| format!("{} 张表", thousands(v.forms.len())),
    )
    .await?;
    timed(
        &mut parts,
        "batch_forms（汇总名单：推荐表与各行）",
        store.batch_forms(&all, bid),
        |v| format!("{} 张", thousands(v.len())),
    )
    .await?;
    timed(
        &mut parts,
        "batch_checks（各校检查结果）",
        store.batch_checks(&all, bid),
        |v| format!("{} 所", thousands(v.len())),
    )
    .await?;
    let ids: Vec<i64> = store
        .batch_forms(&all, bid)
        .await
        .map_err(e)?
        .iter()
        .map(|f| f.id)
        .collect();
    timed(
        &mut parts,
        "placed_findings（重复推荐）",
        store.placed_findings(&all, &ids),
        |v| format!("{} 条", thousands(v.len())),
    )
    .await?;
    timed(
        &mut parts,
        "list_submissions（报送，一页）",
        store.list_submissions(
            &all,
            &SubmissionFilter {
                batch_id: Some(bid),
                ..SubmissionFilter::default()
            },
            PageRequest::new(0, PageRequest::MAX_LIMIT),
        ),
        |v| format!("{} 份", thousands(v.items.len())),
    )
    .await?;
    timed(
        &mut parts,
        "submit_events（报送进度）",
        store.submit_events(&all, bid),
        |v| format!("{} 次", thousands(v.len())),
    )
    .await?;
    timed(
        &mut parts,
        "list_selections（遴选）",
        store.list_selections(&all, bid),
        |v| format!("{} 人", thousands(v.len())),
    )
    .await?;
    timed(
        &mut parts,
        "registry（单位名录）",
        store.registry(),
        |_| String::new(),
    )
    .await?;
    if let Some(term) = &g.term {
        timed(
            &mut parts,
            "term_tallies（工作台：聘期批次的正式名单计数）",
            store.term_tallies(&all, term.id),
            |v| {
                let n: u64 = v.groups.iter().map(|(_, n)| *n).sum();
                format!(
                    "{} 人，{} 组",
                    thousands(usize::try_from(n).unwrap_or(usize::MAX)),
                    v.groups.len()
                )
            },
        )
        .await?;
        timed(
            &mut parts,
            "term_rows（聘期页：聘期批次的正式名单）",
            store.term_rows(&all, term.id),
            |v| format!("{} 人", thousands(v.len())),
        )
        .await?;
        timed(
            &mut parts,
            "list_selections（聘期批次）",
            store.list_selections(&all, term.id),
            |v| format!("{} 人", thousands(v.len())),
        )
        .await?;
        timed(
            &mut parts,
            "ledger_entries（补助经费）",
            store.ledger_entries(term.id, None),
            |v| format!("{} 条", thousands(v.len())),
        )
        .await?;
        timed(
            &mut parts,
            "list_publications（聘期批次）",
            store.list_publications(term.id),
            |v| format!("{} 份", v.len()),
        )
        .await?;
    }
    println!();
    println!("其中各项读取（各一次）：");
    println!();
    println!("| 读取 | ms | 数量 |");
    println!("| --- | ---: | ---: |");
    for (label, t, size) in &parts {
        println!("| {label} | {t:.1} | {size} |");
    }

    if explain {
        print_plans(store, g, &batch).await?;
    }
    Ok(())
}

/// Text keys as an SQL list.
fn keys(ks: &[String]) -> String {
    if ks.is_empty() {
        return "''".to_owned();
    }
    ks.iter()
        .map(|k| format!("'{}'", k.replace('\'', "''")))
        .collect::<Vec<_>>()
        .join(", ")
}

fn id_list(ids: &[i64]) -> String {
    if ids.is_empty() {
        return "0".to_owned();
    }
    ids.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The plans of the reads behind the dashboard and the roster (the statements the store sends,
/// with the first chunk of ids where it sends them in chunks).
async fn print_plans(store: &Store, g: &Generated, batch: &BatchRecord) -> anyhow::Result<()> {
    let b = batch.id;
    let t = g.term.as_ref().map_or(0, |t| t.id);
    let forms = id_list(&g.current_forms);
    let partnerships = id_list(&g.current_partnerships);
    let statements = [
        (
            "推荐表：合作关系",
            format!("SELECT * FROM partnerships WHERE batch_id = {b}"),
        ),
        (
            "推荐表",
            format!("SELECT * FROM forms WHERE partnership_id IN ({partnerships})"),
        ),
        (
            "推荐表的行",
            format!(
                "SELECT * FROM form_rows WHERE form_id IN ({forms}) ORDER BY form_id, position, id"
            ),
        ),
        (
            "推荐表检查结果",
            format!("SELECT * FROM form_checks WHERE batch_id = {b}"),
        ),
        (
            "学校检查结果",
            format!("SELECT * FROM school_checks WHERE batch_id = {b}"),
        ),
        (
            "重复推荐",
            format!("SELECT * FROM batch_findings WHERE form_id IN ({forms})"),
        ),
        (
            "报送",
            format!(
                "SELECT * FROM submissions WHERE batch_id = {b} ORDER BY updated_at DESC, id DESC LIMIT 500"
            ),
        ),
        (
            "报送版本",
            format!(
                "SELECT submission_id, version_no, submitted_at FROM submission_versions WHERE submission_id IN (SELECT id FROM submissions WHERE batch_id = {b}) ORDER BY submitted_at"
            ),
        ),
        (
            "遴选",
            format!(
                "SELECT * FROM selections WHERE batch_id = {b} ORDER BY school_id, form_id, row_no"
            ),
        ),
        (
            "聘期批次的遴选",
            format!(
                "SELECT * FROM selections WHERE batch_id = {t} ORDER BY school_id, form_id, row_no"
            ),
        ),
        (
            "聘期记录",
            format!("SELECT * FROM term_records WHERE batch_id = {t}"),
        ),
        (
            "正式名单",
            format!(
                "SELECT * FROM publications WHERE batch_id = {t} AND kind = 'final' AND state = 'published' ORDER BY id DESC LIMIT 1"
            ),
        ),
        (
            "补助台账",
            format!("SELECT * FROM ledger_entries WHERE batch_id = {t} ORDER BY id"),
        ),
        (
            "人员索引（保存检查结果时，按手机号与姓名找同一人）",
            format!(
                "SELECT * FROM people_index WHERE mobile_key IN ({}) OR name_key IN ({})",
                keys(&g.sample_mobiles),
                keys(&g.sample_names)
            ),
        ),
    ];
    println!();
    println!("查询计划：");
    for (label, sql) in statements {
        println!();
        println!("【{label}】");
        let shown: String = sql.chars().take(160).collect();
        println!("{shown}{}", if sql.len() > shown.len() { " …" } else { "" });
        for l in store.explain(&sql).await.map_err(e)? {
            println!("    {l}");
        }
    }
    Ok(())
}

/// Removes the temporary data directory however the run ends (unless kept).
struct TempDir(Option<PathBuf>);

impl Drop for TempDir {
    fn drop(&mut self) {
        if let Some(d) = &self.0 {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

/// `shuangshi bench dashboard`.
pub fn run(opts: Options) -> anyhow::Result<ExitCode> {
    if opts.batches == 0 {
        bail!("--batches 至少为 1，实为「0」");
    }
    if opts.people < opts.batches * PER_FORM {
        bail!(
            "--people 至少为每批 {PER_FORM} 人（{} 批共 {} 人），实为「{}」",
            opts.batches,
            opts.batches * PER_FORM,
            opts.people
        );
    }
    let runs = opts.runs.max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("无法启动异步运行时")?;

    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| (d.as_secs(), d.subsec_nanos()))
        .unwrap_or((0, 0));
    let (url, backend, _dir, scratch) = match &opts.database_url {
        Some(admin) => {
            let name = format!("shuangshi_bench_{}_{}", stamp.0, std::process::id());
            let url = runtime
                .block_on(bulk::create_database(admin, &name))
                .map_err(e)?;
            println!(
                "数据库：PostgreSQL，新建的数据库 {name}（{}）",
                if opts.keep {
                    "结束后保留"
                } else {
                    "结束后删除"
                }
            );
            (
                url,
                "PostgreSQL",
                TempDir(None),
                Some((admin.clone(), name)),
            )
        }
        None => {
            let dir = std::env::temp_dir().join(format!(
                "shuangshi-bench-dashboard-{}-{}",
                std::process::id(),
                stamp.1
            ));
            let url = Store::sqlite_url_for_dir(&dir).map_err(e)?;
            println!(
                "数据库：SQLite，{}（{}）",
                dir.join("shuangshi.db").display(),
                if opts.keep {
                    "结束后保留"
                } else {
                    "结束后删除"
                }
            );
            let guard = TempDir((!opts.keep).then_some(dir));
            (url, "SQLite", guard, None)
        }
    };

    let result = runtime.block_on(async {
        let store = Store::connect(&url).await.map_err(e)?;
        if opts.without_indexes {
            for name in bulk::SCALE_INDEXES {
                store
                    .bulk_execute(&format!("DROP INDEX IF EXISTS {name}"))
                    .await
                    .map_err(e)?;
            }
            println!(
                "已删除迁移 m0006_scale 的索引（{}），测的是加索引之前。",
                bulk::SCALE_INDEXES.join("、")
            );
        }
        let started = Instant::now();
        let g = generate(&store, opts.people, opts.batches).await?;
        let took = started.elapsed();
        let current = g.current.as_ref().map(|b| b.name.clone()).unwrap_or_default();
        println!(
            "已生成 {} 个批次（当前批次「{current}」开放中，此前各批已公布正式名单）：学校 {} 所、企业 {} 家、推荐表 {} 张、人员 {} 人，其中当前批次 {} 人。生成数据耗时 {:.1} 秒（{backend}）。",
            opts.batches,
            thousands(g.schools),
            thousands(g.enterprises),
            thousands(g.forms),
            thousands(g.people),
            thousands(g.current_people),
            took.as_secs_f64()
        );
        let written: Vec<String> = g
            .rows
            .iter()
            .map(|(t, n)| format!("{t} {}", thousands(usize::try_from(*n).unwrap_or(0))))
            .collect();
        println!("写入的行数：{}", written.join("，"));
        measure(&store, &g, runs, opts.explain).await?;
        let _ = store.close().await;
        anyhow::Ok(())
    });
    if let Some((admin, name)) = scratch
        && !opts.keep
    {
        let dropped = runtime.block_on(bulk::drop_database(&admin, &name));
        if let Err(err) = dropped {
            eprintln!("未能删除数据库 {name}：{err}");
        }
    }
    result?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_names_are_distinct() {
        let mut names: std::collections::HashSet<String> = std::collections::HashSet::new();
        for i in 0..300 {
            assert!(names.insert(school_org(i).name));
        }
        for i in 0..3000 {
            assert!(names.insert(enterprise_org(i).name), "{i}");
        }
    }

    #[test]
    fn medians() {
        let t = [5, 1, 3].map(Duration::from_millis);
        assert_eq!(p50_max(&t), (3.0, 5.0));
    }
}
