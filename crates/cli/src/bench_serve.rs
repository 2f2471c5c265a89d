//! `shuangshi bench serve`: the web service measured at real scale. A fresh database (an SQLite
//! file in a new temporary directory, or an empty PostgreSQL database) is migrated as `serve` does
//! and seeded through the store's repository functions with a whole batch (`--scale 1`: 300
//! schools of every tier, 150 enterprises, 600 confirmed partnerships with their forms, about
//! 4,200 people); the real router is started in-process on 127.0.0.1; concurrent keep-alive
//! HTTP/1.1 clients (a small client over tokio's `TcpStream`, below) then call each endpoint in
//! turn for a fixed time, every answer checked against the status the endpoint must give.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use chrono::Utc;
use shuangshi_app::checks;
use shuangshi_rules::{Batch, Column, Org, PersonRow, Severity};
use shuangshi_store::{Actor, BatchRecord, FormContent, FormRecord, NewUser, Role, Scope, Store};
use shuangshi_web::{AppState, WebConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinSet;

/// The options of `bench serve`.
#[derive(Debug, Clone)]
pub struct Options {
    /// 1 = 300 schools, 600 forms; 10 = ten times that.
    pub scale: u32,
    /// Overrides the number of schools (a quick run).
    pub schools: Option<usize>,
    pub clients: usize,
    pub seconds: f64,
    pub database_url: Option<String>,
}

/// The password of every account the benchmark makes (a throw-away database).
const PASSWORD: &str = "Bench-Shuangshi-2025";
/// Schools per unit of `--scale`.
const SCHOOLS_PER_SCALE: usize = 300;
/// Schools made ready to submit (each needs an account, whose password hash is slow on purpose).
const MAX_READY: usize = 200;
/// Writers seeding at the same time.
const SEED_TASKS: usize = 4;
/// Longest one request may take before it counts as an error.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);
/// Requests one client makes at most per endpoint (besides the time bound).
const MAX_PER_CLIENT: u64 = 1_000_000;
/// Largest response head and body the client accepts.
const MAX_HEAD: usize = 64 * 1024;
const MAX_BODY: usize = 64 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// The generated batch.

/// School tiers in a cycle of 20: 2 国家双高, 3 市级双高, 4 其他高职, 3 技工院校, 8 中职.
const TIER_CYCLE: [&str; 20] = [
    "国家双高",
    "市级双高",
    "其他高职",
    "中职",
    "技工院校",
    "中职",
    "其他高职",
    "市级双高",
    "中职",
    "其他高职",
    "国家双高",
    "中职",
    "技工院校",
    "其他高职",
    "中职",
    "市级双高",
    "中职",
    "技工院校",
    "中职",
    "中职",
];

const DISTRICTS: [&str; 20] = [
    "渝中区",
    "江北区",
    "南岸区",
    "沙坪坝区",
    "九龙坡区",
    "大渡口区",
    "渝北区",
    "巴南区",
    "北碚区",
    "江津区",
    "永川区",
    "合川区",
    "涪陵区",
    "万州区",
    "綦江区",
    "大足区",
    "璧山区",
    "铜梁区",
    "荣昌区",
    "长寿区",
];

const BRANDS: [&str; 20] = [
    "长江", "嘉陵", "山城", "巴渝", "渝州", "两江", "缙云", "歌乐", "南山", "金佛", "朝天", "龙门",
    "通远", "华岩", "鹅岭", "佛图", "红岩", "磁器", "白沙", "东溪",
];

const INDUSTRIES: [&str; 10] = [
    "智能制造",
    "汽车零部件",
    "电子科技",
    "软件",
    "新材料",
    "物流",
    "建设工程",
    "食品",
    "医药",
    "机电",
];

/// (学科专业领域, the enterprise side's field): they share a meaningful bigram, so S02 holds.
const FIELDS: [(&str, &str); 10] = [
    ("机械制造", "机械制造与维修"),
    ("数控技术", "数控加工"),
    ("汽车检测", "汽车检测与维修"),
    ("电子商务", "电子商务运营"),
    ("软件技术", "软件开发"),
    ("护理", "临床护理"),
    ("建筑施工", "建筑施工管理"),
    ("物流管理", "物流仓储"),
    ("化工技术", "化工生产"),
    ("酒店管理", "酒店运营"),
];

const SURNAMES: [&str; 50] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
    "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁",
    "任", "沈",
];

const GIVEN: [&str; 80] = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀", "霞", "平", "刚", "桂", "英", "华", "建", "文", "辉", "玲", "鑫", "宇", "浩", "凯",
    "健", "俊", "帆", "帅", "旭", "宁", "龙", "林", "欢", "阳", "佳", "莉", "红", "波", "琳", "晨",
    "雪", "飞", "鹏", "婷", "倩", "颖", "博", "志", "春", "梅", "荣", "新", "亮", "斌", "峰", "云",
    "海", "燕", "萍", "清", "昊", "瑞", "然", "睿", "思", "雨", "嘉", "晓", "家", "诗", "子", "毅",
];

const MOBILE_PREFIXES: [&str; 12] = [
    "139", "138", "137", "136", "135", "158", "159", "186", "187", "188", "177", "199",
];

const BANKS: [&str; 5] = [
    "中国工商银行重庆",
    "中国建设银行重庆",
    "中国农业银行重庆",
    "中国银行重庆",
    "重庆农村商业银行",
];

/// 1 → 一, 23 → 二十三, 105 → 一百零五 (up to 9,999).
pub(crate) fn chinese_number(n: usize) -> String {
    const D: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    const U: [&str; 4] = ["", "十", "百", "千"];
    if n == 0 {
        return D[0].to_owned();
    }
    let digits: Vec<usize> = n
        .to_string()
        .bytes()
        .map(|b| usize::from(b - b'0'))
        .collect();
    let len = digits.len();
    let mut out = String::new();
    let mut zero = false;
    for (i, &d) in digits.iter().enumerate() {
        let unit = len - 1 - i;
        if d == 0 {
            zero = true;
            continue;
        }
        if zero && !out.is_empty() {
            out.push_str(D[0]);
        }
        zero = false;
        // 十二 rather than 一十二 when the number starts with the tens.
        if !(d == 1 && unit == 1 && i == 0) {
            out.push_str(D[d]);
        }
        out.push_str(U[unit.min(3)]);
    }
    out
}

/// One school of the generated batch.
#[derive(Debug, Clone)]
pub(crate) struct SchoolSpec {
    pub(crate) index: usize,
    pub(crate) name: String,
    pub(crate) tier: &'static str,
    district: &'static str,
    bank: String,
    account: String,
    /// Indexes of its two partner enterprises.
    pub(crate) enterprises: [usize; 2],
}

#[derive(Debug, Clone)]
pub(crate) struct EnterpriseSpec {
    pub(crate) name: String,
    kind: &'static str,
    affiliation: &'static str,
    district: &'static str,
}

pub(crate) fn school_spec(index: usize, enterprises: usize) -> SchoolSpec {
    let tier = TIER_CYCLE[index % TIER_CYCLE.len()];
    let district = DISTRICTS[index % DISTRICTS.len()];
    let stem = district.trim_end_matches('区');
    let ordinal = chinese_number(index / DISTRICTS.len() + 1);
    let suffix = match (tier, index % 2) {
        ("国家双高" | "市级双高" | "其他高职", 0) => "职业技术学院",
        ("国家双高" | "市级双高" | "其他高职", _) => "职业学院",
        ("技工院校", 0) => "技师学院",
        ("技工院校", _) => "高级技工学校",
        (_, 0) => "职业教育中心",
        _ => "工业学校",
    };
    SchoolSpec {
        index,
        name: format!("重庆{stem}第{ordinal}{suffix}"),
        tier,
        district,
        bank: format!("{}{stem}支行", BANKS[index % BANKS.len()]),
        account: format!("310002{:013}", 1_000_000 + index * 7),
        enterprises: [(2 * index) % enterprises, (2 * index + 1) % enterprises],
    }
}

pub(crate) fn enterprise_spec(index: usize) -> EnterpriseSpec {
    let district = DISTRICTS[index % DISTRICTS.len()];
    let stem = district.trim_end_matches('区');
    let brand = BRANDS[(index / DISTRICTS.len()) % BRANDS.len()];
    let industry = INDUSTRIES[(index / (DISTRICTS.len() * BRANDS.len())) % INDUSTRIES.len()];
    let round = index / (DISTRICTS.len() * BRANDS.len() * INDUSTRIES.len());
    let brand = if round == 0 {
        brand.to_owned()
    } else {
        format!("{brand}{}", chinese_number(round + 1))
    };
    let (kind, affiliation, suffix) = match index % 4 {
        0 => ("国有企业", "市国资委", "集团有限公司"),
        1 | 2 => ("民营企业", "市工商联", "有限公司"),
        _ if index % 8 == 3 => ("新型研发机构", "市科技局", "研究院"),
        _ => ("其他企业", "市商务委", "股份有限公司"),
    };
    EnterpriseSpec {
        name: format!("重庆{stem}{brand}{industry}{suffix}"),
        kind,
        affiliation,
        district,
    }
}

/// A person's name: a surname and one or two given-name characters (a bijection of `i` keeps
/// near neighbours apart).
pub(crate) fn person_name(i: usize) -> String {
    let h = (i * 7919 + 13) % 320_000;
    let mut name = String::from(SURNAMES[h % SURNAMES.len()]);
    name.push_str(GIVEN[(h / SURNAMES.len()) % GIVEN.len()]);
    let second = (h / (SURNAMES.len() * GIVEN.len())) % GIVEN.len();
    if !second.is_multiple_of(3) {
        name.push_str(GIVEN[second]);
    }
    name
}

/// A mobile number unique to person `i` (7 is coprime with 10⁸, so the tails never repeat).
fn mobile(i: usize) -> String {
    format!(
        "{}{:08}",
        MOBILE_PREFIXES[i % MOBILE_PREFIXES.len()],
        (i * 7 + 20_230_917) % 100_000_000
    )
}

/// The rows of the school's form with its `which`-th enterprise: 6 or 8 people, half teachers
/// sent by the school, half engineers received, posts alternating so every tier's minimums hold.
/// `first` is the batch-wide number of the form's first person. A few schools get an error on
/// purpose (a 10-digit mobile, too few years in the enterprise), and a few repeat a person of the
/// previous school (D01 across schools).
pub(crate) fn form_rows(
    batch: &Batch,
    school: &SchoolSpec,
    enterprise: &EnterpriseSpec,
    which: usize,
    first: usize,
) -> Vec<PersonRow> {
    let people = if which == 0 { 6 } else { 8 };
    let (field_s, field_e) = FIELDS[(school.index * 2 + which) % FIELDS.len()];
    let vocational = matches!(school.tier, "中职" | "技工院校");
    (0..people)
        .map(|k| {
            let i = first + k;
            let teacher = k.is_multiple_of(2);
            let nth = k / 2;
            let (send, recv) = if teacher {
                (school.name.as_str(), enterprise.name.as_str())
            } else {
                (enterprise.name.as_str(), school.name.as_str())
            };
            let mut name = person_name(i);
            let mut phone = mobile(i);
            if which == 0 && k == 0 && school.index % 50 == 25 {
                // The previous school's first teacher, recommended again.
                let previous_first = first - 14;
                name = person_name(previous_first);
                phone = mobile(previous_first);
            }
            if which == 0 && k == 1 && school.index % 40 == 17 {
                phone.pop();
            }
            let mut enterprise_years = 5 + (i % 12);
            if which == 1 && k == 7 && school.index % 40 == 33 {
                enterprise_years = 3;
            }
            let row = PersonRow::new(0)
                .with(Column::Seq, &(k + 1).to_string())
                .with(Column::Batch, &batch.name)
                .with(Column::Name, &name)
                .with(Column::SendingUnit, send)
                .with(
                    Column::AdminPost,
                    if teacher && nth == 0 {
                        "教研室主任"
                    } else {
                        "无"
                    },
                )
                .with(Column::Field, if teacher { field_s } else { field_e })
                .with(Column::Mobile, &phone)
                .with(Column::Term, &batch.term)
                .with(Column::ReceivingUnit, recv)
                .with(Column::Bank, &school.bank)
                .with(Column::AccountName, &school.name)
                .with(Column::AccountNumber, &school.account)
                .with(
                    Column::ExchangeForm,
                    &batch.exchange_forms[i % batch.exchange_forms.len().max(1)],
                );
            if teacher {
                row.with(
                    Column::Title,
                    match (vocational, i % 3) {
                        (true, 0) => "高级讲师",
                        (true, _) => "讲师",
                        (false, 0) => "教授",
                        (false, 1) => "副教授",
                        (false, _) => "讲师",
                    },
                )
                .with(
                    Column::TeacherQualification,
                    if vocational {
                        "中等职业学校教师资格"
                    } else {
                        "高等学校教师资格"
                    },
                )
                .with(Column::SkillQualification, "无")
                .with(Column::Post, &batch.posts.school[nth % 2])
                .with(Column::Direction, "学校派出")
                .with(Column::TeachingYears, &(3 + i % 20).to_string())
                .with(Column::EnterpriseYears, "")
                .with(Column::FrontlineYears, "")
                .with(
                    Column::Priority,
                    if i.is_multiple_of(3) {
                        "骨干教师"
                    } else {
                        "无"
                    },
                )
            } else {
                let (title, skill) = match i % 3 {
                    0 => ("高级工程师", "无"),
                    1 => ("工程师", "技师"),
                    _ => ("无", "高级技师"),
                };
                row.with(Column::Title, title)
                    .with(Column::TeacherQualification, "无")
                    .with(Column::SkillQualification, skill)
                    .with(Column::Post, &batch.posts.enterprise[nth % 2])
                    .with(Column::Direction, "企业派出")
                    .with(Column::TeachingYears, "")
                    .with(Column::EnterpriseYears, &enterprise_years.to_string())
                    .with(Column::FrontlineYears, &(3 + i % 9).to_string())
                    .with(Column::Priority, "无")
            }
        })
        .collect()
}

/// A form with no error for `school` (of `tier`) and `enterprise`: 8 people, 4 teachers sent
/// (2 as 科技副总) and 4 engineers received (2 as 产业副院长), enough for every tier's minimums.
/// `index` keeps people and the school's account apart from other generated forms.
pub(crate) fn clean_form(
    batch: &Batch,
    school: &str,
    tier: &'static str,
    enterprise: &str,
    index: usize,
) -> FormContent {
    let mut spec = school_spec(index, 1);
    spec.name = school.to_owned();
    spec.tier = tier;
    let mut ent = enterprise_spec(index);
    ent.name = enterprise.to_owned();
    let rows = form_rows(batch, &spec, &ent, 1, 900_000 + index * 14);
    content(&spec, &ent, &rows)
}

/// The registry of the generated batch: every school with its tier, every enterprise with its
/// kind.
pub(crate) fn registry_orgs(schools: &[SchoolSpec], enterprises: &[EnterpriseSpec]) -> Vec<Org> {
    let mut registry: Vec<Org> = schools
        .iter()
        .map(|s| Org {
            name: s.name.clone(),
            category: s.tier.to_owned(),
            affiliation: match s.tier {
                "技工院校" => "市人力社保局",
                "中职" => "区县教委",
                _ => "市教委",
            }
            .to_owned(),
            credit_code: String::new(),
            district: s.district.to_owned(),
        })
        .collect();
    registry.extend(enterprises.iter().map(|en| Org {
        name: en.name.clone(),
        category: en.kind.to_owned(),
        affiliation: en.affiliation.to_owned(),
        credit_code: String::new(),
        district: en.district.to_owned(),
    }));
    registry
}

fn content(school: &SchoolSpec, enterprise: &EnterpriseSpec, rows: &[PersonRow]) -> FormContent {
    FormContent {
        header_school: school.name.clone(),
        header_enterprise: enterprise.name.clone(),
        filler: person_name(1_000_000 + school.index),
        phone: format!("023-6{:07}", 3_865_672 + school.index),
        rows: rows
            .iter()
            .map(|r| Column::ALL.iter().map(|&c| r.get(c).raw.clone()).collect())
            .collect(),
    }
}

// ---------------------------------------------------------------------------------------------
// Seeding.

fn e(err: shuangshi_store::StoreError) -> anyhow::Error {
    anyhow!("{err}")
}

/// A school once seeded.
struct Seeded {
    index: usize,
    id: i64,
    forms: Vec<FormRecord>,
    /// No error finding in the school's own check (what the submit refuses on).
    clean: bool,
}

/// Everything the clients need.
struct Plan {
    batch_name: String,
    schools: usize,
    enterprises: usize,
    forms: usize,
    people: usize,
    with_errors: usize,
    /// The school whose form page is read and whose rows are saved.
    page_school: Seeded,
    page_username: String,
    admin_username: String,
    /// An API token of the admin (for `/api/v1/check`).
    admin_token: String,
    /// Submissions awaiting review (`/review/{id}`).
    submitted: Vec<i64>,
    /// API tokens of ready schools' officers, one submission each.
    ready_tokens: Vec<String>,
    /// The workbook uploaded to `/api/v1/check` and its people.
    check_xlsx: Vec<u8>,
    check_people: usize,
}

async fn seed_school(
    store: Store,
    batch: BatchRecord,
    registry: Arc<shuangshi_rules::Registry>,
    spec: SchoolSpec,
    school_id: i64,
    partners: [(i64, EnterpriseSpec); 2],
) -> anyhow::Result<Seeded> {
    let sys = Actor::system();
    let all = Scope::All;
    let mut forms = Vec::with_capacity(2);
    for (which, (enterprise_id, enterprise)) in partners.iter().enumerate() {
        let p = store
            .propose_partnership(&all, batch.id, school_id, *enterprise_id, &[], &sys)
            .await
            .map_err(e)?
            .ok_or_else(|| anyhow!("无法为「{}」建立合作关系", spec.name))?;
        let p = store
            .respond_partnership(&all, p.id, true, &sys)
            .await
            .map_err(e)?
            .ok_or_else(|| anyhow!("无法确认「{}」的合作关系", spec.name))?;
        let form_id = p
            .form_id
            .ok_or_else(|| anyhow!("「{}」确认合作后没有推荐表", spec.name))?;
        // People are numbered 14 per school: 6 in the first form, 8 in the second.
        let first = spec.index * 14 + which * 6;
        let rows = form_rows(&batch.params, &spec, enterprise, which, first);
        let outcome = store
            .replace_rows(
                &all,
                form_id,
                &content(&spec, enterprise, &rows),
                None,
                &sys,
            )
            .await
            .map_err(e)?
            .ok_or_else(|| anyhow!("「{}」的推荐表缺失", spec.name))?;
        forms.push(outcome.form);
    }
    // The school's own check, as its pages and the submit run it.
    let report = checks::check_school(&batch.params, &registry, &checks::rules_forms(&forms));
    let clean = !report
        .findings
        .iter()
        .any(|f| f.severity == Severity::Error);
    if clean {
        // The enterprise confirms every row and the sealed scan is attached (W02, W03).
        for form in &mut forms {
            let ids: Vec<i64> = form.rows.iter().map(|r| r.id).collect();
            *form = store
                .confirm_rows(&all, form.id, &ids, Some(form.version), &sys)
                .await
                .map_err(e)?
                .ok_or_else(|| anyhow!("「{}」的推荐表缺失", spec.name))?;
            store
                .put_scan(
                    &all,
                    form.id,
                    "image/png",
                    shuangshi_sheet::scan::TINY_PNG.to_vec(),
                    &sys,
                )
                .await
                .map_err(e)?;
        }
    }
    Ok(Seeded {
        index: spec.index,
        id: school_id,
        forms,
        clean,
    })
}

/// Submits a seeded school's forms through the same use case as the web's submit.
async fn submit(store: &Store, batch: &BatchRecord, school: &Seeded) -> anyhow::Result<i64> {
    let all = Scope::All;
    shuangshi_app::App::new(store.clone())
        .submit(&all, &Actor::system(), batch, school.id, Utc::now())
        .await
        .map_err(|err| anyhow!("「{}」无法报送：{err}", school.id))?;
    let s = store
        .get_submission(&all, batch.id, school.id)
        .await
        .map_err(e)?
        .ok_or_else(|| anyhow!("报送后找不到报送记录"))?;
    Ok(s.id)
}

async fn account(
    store: &Store,
    username: String,
    role: Role,
    org_id: Option<i64>,
) -> anyhow::Result<i64> {
    let user = store
        .create_user(
            NewUser {
                display_name: format!("基准{}", role.label()),
                username,
                role,
                org_id,
                password: PASSWORD.to_owned(),
                must_change_password: false,
            },
            &Actor::system(),
        )
        .await
        .map_err(e)?;
    Ok(user.id)
}

async fn token(store: &Store, user_id: i64) -> anyhow::Result<String> {
    let (_, plaintext) = store
        .create_token(user_id, "基准测试", &Actor::system())
        .await
        .map_err(e)?;
    Ok(plaintext)
}

/// Seeds the batch; returns what the clients need.
async fn seed(store: &Store, schools: usize) -> anyhow::Result<Plan> {
    let sys = Actor::system();
    let all = Scope::All;
    let existing = store.list_batches().await.map_err(e)?;
    if !existing.is_empty() {
        bail!(
            "--database-url 所指的数据库中已有批次（如「{}」）：基准测试会写入大量数据，只能在新建的空数据库上运行（如 createdb shuangshi_bench 后用 --database-url postgres://…/shuangshi_bench）",
            existing[0].name
        );
    }
    let enterprises = (schools / 2).max(2);
    let school_specs: Vec<SchoolSpec> = (0..schools).map(|i| school_spec(i, enterprises)).collect();
    let enterprise_specs: Vec<EnterpriseSpec> = (0..enterprises).map(enterprise_spec).collect();

    let mut params = Batch::batch10();
    let tz = params.deadline.timezone();
    params.deadline = (Utc::now() + chrono::Duration::days(30)).with_timezone(&tz);
    let batch = store.create_batch(&params, &sys).await.map_err(e)?;
    let batch = store.open_batch(batch.id, &sys).await.map_err(e)?;

    let registry = registry_orgs(&school_specs, &enterprise_specs);
    store.import_orgs(registry, &sys).await.map_err(e)?;
    let mut ids: HashMap<String, i64> = HashMap::new();
    for name in school_specs
        .iter()
        .map(|s| &s.name)
        .chain(enterprise_specs.iter().map(|en| &en.name))
    {
        let org = store
            .find_org_by_name(&all, name)
            .await
            .map_err(e)?
            .ok_or_else(|| anyhow!("单位「{name}」导入后缺失"))?;
        ids.insert(name.clone(), org.id);
    }
    let id_of = |name: &str| {
        ids.get(name)
            .copied()
            .ok_or_else(|| anyhow!("单位「{name}」导入后缺失"))
    };
    let registry = Arc::new(store.registry().await.map_err(e)?);

    // Partnerships and forms, a few schools at a time.
    let mut seeded: Vec<Seeded> = Vec::with_capacity(schools);
    let mut tasks: JoinSet<anyhow::Result<Seeded>> = JoinSet::new();
    for spec in &school_specs {
        if tasks.len() >= SEED_TASKS
            && let Some(done) = tasks.join_next().await
        {
            seeded.push(done.context("生成数据的任务异常退出")??);
        }
        let partners = [0, 1].map(|k| {
            let en = &enterprise_specs[spec.enterprises[k]];
            (id_of(&en.name), en.clone())
        });
        let [(a, ea), (b, eb)] = partners;
        let partners = [(a?, ea), (b?, eb)];
        tasks.spawn(seed_school(
            store.clone(),
            batch.clone(),
            registry.clone(),
            spec.clone(),
            id_of(&spec.name)?,
            partners,
        ));
    }
    while let Some(done) = tasks.join_next().await {
        seeded.push(done.context("生成数据的任务异常退出")??);
    }
    seeded.sort_by_key(|s| s.index);
    // Clean means clean as the school's pages show it, duplicates across schools included: every
    // school is checked (and its people indexed) first, so a duplicate found by a later school is
    // already placed on the earlier one when it is judged.
    let app = shuangshi_app::App::new(store.clone());
    for s in &seeded {
        app.refresh_school(&batch, s.id)
            .await
            .map_err(|err| anyhow!("{err}"))?;
    }
    for s in &mut seeded {
        if s.clean {
            let report = app
                .school_report(&Scope::All, &batch, s.id)
                .await
                .map_err(|err| anyhow!("{err}"))?
                .ok_or_else(|| anyhow!("学校 {} 的检查结果缺失", s.id))?;
            s.clean = !report.report.has_errors();
        }
    }
    let forms = seeded.iter().map(|s| s.forms.len()).sum();
    let people = seeded
        .iter()
        .flat_map(|s| &s.forms)
        .map(|f| f.rows.len())
        .sum();
    let with_errors = seeded.iter().filter(|s| !s.clean).count();

    // School 0 (国家双高) is the one whose pages are read and rows saved; a tenth of the other
    // clean schools have submitted (the review inbox), the next ones are ready to submit.
    let mut rest = seeded.into_iter();
    let page_school = rest
        .next()
        .ok_or_else(|| anyhow!("至少需要一所学校（--schools 1 或更多）"))?;
    let clean: Vec<Seeded> = rest.filter(|s| s.clean).collect();
    let n_submitted = (clean.len() / 10).max(1).min(clean.len());
    let mut submitted = Vec::with_capacity(n_submitted);
    for school in &clean[..n_submitted] {
        submitted.push(submit(store, &batch, school).await?);
    }

    let admin_username = "bench_admin".to_owned();
    let admin_id = account(store, admin_username.clone(), Role::Admin, None).await?;
    let admin_token = token(store, admin_id).await?;
    let page_username = "bench_school".to_owned();
    account(
        store,
        page_username.clone(),
        Role::SchoolOfficer,
        Some(page_school.id),
    )
    .await?;
    let mut ready_tokens = Vec::new();
    let mut tasks: JoinSet<anyhow::Result<String>> = JoinSet::new();
    for school in clean[n_submitted..].iter().take(MAX_READY) {
        if tasks.len() >= SEED_TASKS
            && let Some(done) = tasks.join_next().await
        {
            ready_tokens.push(done.context("生成账号的任务异常退出")??);
        }
        let (store, username, org) = (
            store.clone(),
            format!("bench_school_{}", school.index),
            school.id,
        );
        tasks.spawn(async move {
            let id = account(&store, username, Role::SchoolOfficer, Some(org)).await?;
            token(&store, id).await
        });
    }
    while let Some(done) = tasks.join_next().await {
        ready_tokens.push(done.context("生成账号的任务异常退出")??);
    }

    // The upload checked by /api/v1/check: the page school's second form as a workbook.
    let spec = &school_specs[0];
    let enterprise = &enterprise_specs[spec.enterprises[1]];
    let rows = form_rows(&batch.params, spec, enterprise, 1, 6);
    let check_people = rows.len();
    let check_xlsx = shuangshi_sheet::write::filled_xlsx(
        &batch.params,
        &shuangshi_sheet::write::Filled {
            school: spec.name.clone(),
            enterprise: enterprise.name.clone(),
            rows,
            filler: "李老师".into(),
            phone: "023-63865672".into(),
            supplementary: true,
        },
    )
    .map_err(|err| anyhow!("{err}"))?;

    Ok(Plan {
        batch_name: batch.name.clone(),
        schools,
        enterprises,
        forms,
        people,
        with_errors,
        page_school,
        page_username,
        admin_username,
        admin_token,
        submitted,
        ready_tokens,
        check_xlsx,
        check_people,
    })
}

// ---------------------------------------------------------------------------------------------
// A small HTTP/1.1 client: one keep-alive connection, Content-Length and chunked bodies.

/// An answer.
struct Reply {
    status: u16,
    /// Header names in lower case.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

struct Http {
    addr: SocketAddr,
    stream: Option<TcpStream>,
    buf: Vec<u8>,
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

impl Http {
    fn new(addr: SocketAddr) -> Http {
        Http {
            addr,
            stream: None,
            buf: Vec::with_capacity(16 * 1024),
        }
    }

    /// Sends one request (the whole message) and reads the answer.
    async fn send(&mut self, request: &[u8]) -> anyhow::Result<Reply> {
        let result = self.round_trip(request).await;
        if result.as_ref().map_or(true, |(_, close)| *close) {
            self.stream = None;
            self.buf.clear();
        }
        result.map(|(reply, _)| reply)
    }

    async fn fill(&mut self) -> anyhow::Result<()> {
        let stream = self.stream.as_mut().ok_or_else(|| anyhow!("连接已关闭"))?;
        let mut chunk = [0u8; 16 * 1024];
        let n = stream.read(&mut chunk).await.context("读取应答失败")?;
        if n == 0 {
            bail!("服务器在应答完成前关闭了连接");
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }

    async fn round_trip(&mut self, request: &[u8]) -> anyhow::Result<(Reply, bool)> {
        if self.stream.is_none() {
            let stream = TcpStream::connect(self.addr)
                .await
                .with_context(|| format!("无法连接 {}", self.addr))?;
            stream.set_nodelay(true).context("无法设置 TCP_NODELAY")?;
            self.stream = Some(stream);
            self.buf.clear();
        }
        if let Some(stream) = self.stream.as_mut() {
            stream.write_all(request).await.context("发送请求失败")?;
        }
        let head_end = loop {
            if let Some(p) = find(&self.buf, b"\r\n\r\n") {
                break p;
            }
            if self.buf.len() > MAX_HEAD {
                bail!("应答头超过 {MAX_HEAD} 字节");
            }
            self.fill().await?;
        };
        let head = String::from_utf8_lossy(&self.buf[..head_end]).into_owned();
        self.buf.drain(..head_end + 4);
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or("");
        let status: u16 = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| anyhow!("无法识别的状态行「{status_line}」"))?;
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let get = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        let chunked = get("transfer-encoding").is_some_and(|v| v.contains("chunked"));
        let length: Option<usize> = get("content-length").and_then(|v| v.parse().ok());
        let mut close = get("connection").is_some_and(|v| v.eq_ignore_ascii_case("close"));
        let mut body = Vec::new();
        if chunked {
            loop {
                let line_end = loop {
                    if let Some(p) = find(&self.buf, b"\r\n") {
                        break p;
                    }
                    self.fill().await?;
                };
                let line = String::from_utf8_lossy(&self.buf[..line_end]).into_owned();
                self.buf.drain(..line_end + 2);
                let size_text = line.split(';').next().unwrap_or("").trim();
                let size = usize::from_str_radix(size_text, 16)
                    .map_err(|_| anyhow!("无法识别的分块长度「{size_text}」"))?;
                if size == 0 {
                    // Trailers, up to the empty line.
                    loop {
                        let end = loop {
                            if let Some(p) = find(&self.buf, b"\r\n") {
                                break p;
                            }
                            self.fill().await?;
                        };
                        self.buf.drain(..end + 2);
                        if end == 0 {
                            break;
                        }
                    }
                    break;
                }
                if body.len() + size > MAX_BODY {
                    bail!("应答体超过 {MAX_BODY} 字节");
                }
                while self.buf.len() < size + 2 {
                    self.fill().await?;
                }
                body.extend_from_slice(&self.buf[..size]);
                self.buf.drain(..size + 2);
            }
        } else if let Some(len) = length {
            if len > MAX_BODY {
                bail!("应答体超过 {MAX_BODY} 字节");
            }
            while self.buf.len() < len {
                self.fill().await?;
            }
            body = self.buf.drain(..len).collect();
        } else if !(status < 200 || status == 204 || status == 304) {
            // Neither length nor chunks: the body runs to the end of the connection.
            loop {
                match self.fill().await {
                    Ok(()) if self.buf.len() <= MAX_BODY => {}
                    Ok(()) => bail!("应答体超过 {MAX_BODY} 字节"),
                    Err(_) => break,
                }
            }
            body = std::mem::take(&mut self.buf);
            close = true;
        }
        Ok((
            Reply {
                status,
                headers,
                body,
            },
            close,
        ))
    }
}

/// A whole request message.
fn request(
    method: &str,
    path: &str,
    addr: SocketAddr,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Vec<u8> {
    let mut head =
        format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: shuangshi-bench\r\n");
    for (n, v) in headers {
        let _ = write!(head, "{n}: {v}\r\n");
    }
    if !body.is_empty() || method == "POST" || method == "PUT" {
        let _ = write!(head, "Content-Length: {}\r\n", body.len());
    }
    head.push_str("\r\n");
    let mut out = head.into_bytes();
    out.extend_from_slice(body);
    out
}

fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn form_body(fields: &[(&str, &str)]) -> Vec<u8> {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
        .into_bytes()
}

/// A signed-in page session: the cookie and the session's CSRF token.
#[derive(Clone)]
struct Session {
    cookie: String,
    csrf: String,
}

/// Signs in through the real `POST /login` and reads the CSRF token from a page's
/// `<meta name="csrf-token">`.
async fn login(addr: SocketAddr, username: &str) -> anyhow::Result<Session> {
    let mut http = Http::new(addr);
    let body = form_body(&[("username", username), ("password", PASSWORD)]);
    let r = http
        .send(&request(
            "POST",
            "/login",
            addr,
            &[("Content-Type", "application/x-www-form-urlencoded")],
            &body,
        ))
        .await?;
    if r.status != 303 {
        bail!(
            "账号「{username}」登录失败：应为 303，实为 {}：{}",
            r.status,
            snippet(&r.body_text())
        );
    }
    let cookie = r
        .headers
        .iter()
        .filter(|(n, _)| n == "set-cookie")
        .filter_map(|(_, v)| v.split(';').next())
        .find(|pair| pair.starts_with("ss_session="))
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("账号「{username}」登录后没有会话 Cookie"))?;
    let r = http
        .send(&request(
            "GET",
            "/password",
            addr,
            &[("Cookie", &cookie)],
            b"",
        ))
        .await?;
    let page = r.body_text();
    let pattern = r#"<meta name="csrf-token" content=""#;
    let csrf = page
        .find(pattern)
        .map(|i| &page[i + pattern.len()..])
        .and_then(|rest| rest.find('"').map(|end| rest[..end].to_owned()))
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            anyhow!(
                "账号「{username}」的页面中没有 CSRF 令牌（状态 {}）",
                r.status
            )
        })?;
    Ok(Session { cookie, csrf })
}

/// What an answer says, on one line: for an HTML page its `<main>` text without the markup (the
/// message a user would read), else the body's start.
fn snippet(text: &str) -> String {
    let main = text
        .find("<main")
        .map(|i| &text[i..])
        .map(|m| m.find("</main>").map_or(m, |j| &m[..j]))
        .unwrap_or(text);
    let mut plain = String::with_capacity(main.len());
    let mut in_tag = false;
    for c in main.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                plain.push(' ');
            }
            _ if !in_tag => plain.push(c),
            _ => {}
        }
    }
    let one_line: String = plain.split_whitespace().collect::<Vec<_>>().join(" ");
    one_line.chars().take(200).collect()
}

// ---------------------------------------------------------------------------------------------
// Driving the endpoints.

/// What an answer must be.
#[derive(Clone)]
enum Expect {
    Status(u16),
    /// `303 See Other` to exactly this location.
    SeeOther(String),
}

/// One request and its expected answer.
struct Job {
    request: Vec<u8>,
    expect: Expect,
}

/// Makes the `n`-th request of client `c`; `None` when there is nothing left to do.
type Maker = Arc<dyn Fn(usize, u64) -> Option<Job> + Send + Sync>;

struct Endpoint {
    label: String,
    make: Maker,
}

struct Measured {
    label: String,
    latencies: Vec<Duration>,
    errors: usize,
    /// The first few failures, for the listing after the table.
    samples: Vec<String>,
    elapsed: Duration,
}

impl Measured {
    fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    fn percentile(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return 0.0;
        }
        let mut v = self.latencies.clone();
        v.sort();
        let i = ((v.len() as f64 * p).ceil() as usize).clamp(1, v.len()) - 1;
        v[i].as_secs_f64() * 1e3
    }
}

fn check_reply(reply: &Reply, expect: &Expect) -> Result<(), String> {
    match expect {
        Expect::Status(s) if reply.status == *s => Ok(()),
        Expect::SeeOther(to) if reply.status == 303 && reply.header("location") == Some(to) => {
            Ok(())
        }
        Expect::Status(s) => Err(format!(
            "应为 {s}，实为 {}：{}",
            reply.status,
            snippet(&reply.body_text())
        )),
        Expect::SeeOther(to) => Err(format!(
            "应为 303 转到「{to}」，实为 {}（转到「{}」）：{}",
            reply.status,
            reply.header("location").unwrap_or(""),
            snippet(&reply.body_text())
        )),
    }
}

/// `clients` keep-alive connections calling one endpoint until `duration` has passed.
async fn drive(addr: SocketAddr, clients: usize, duration: Duration, ep: &Endpoint) -> Measured {
    let start = Instant::now();
    let deadline = start + duration;
    let mut set = JoinSet::new();
    for c in 0..clients {
        let make = ep.make.clone();
        set.spawn(async move {
            let mut http = Http::new(addr);
            let mut latencies = Vec::new();
            let mut errors = 0usize;
            let mut samples = Vec::new();
            let mut n = 0u64;
            while Instant::now() < deadline && n < MAX_PER_CLIENT {
                let Some(job) = make(c, n) else {
                    break;
                };
                n += 1;
                let t = Instant::now();
                let outcome = tokio::time::timeout(REQUEST_TIMEOUT, http.send(&job.request)).await;
                latencies.push(t.elapsed());
                let failure = match outcome {
                    Ok(Ok(reply)) => check_reply(&reply, &job.expect).err(),
                    Ok(Err(err)) => Some(format!("{err:#}")),
                    Err(_) => Some(format!("{} 秒内没有应答", REQUEST_TIMEOUT.as_secs())),
                };
                if let Some(f) = failure {
                    errors += 1;
                    if samples.len() < 3 {
                        samples.push(f);
                    }
                }
            }
            (latencies, errors, samples)
        });
    }
    let mut out = Measured {
        label: ep.label.clone(),
        latencies: Vec::new(),
        errors: 0,
        samples: Vec::new(),
        elapsed: Duration::ZERO,
    };
    while let Some(done) = set.join_next().await {
        match done {
            Ok((latencies, errors, samples)) => {
                out.latencies.extend(latencies);
                out.errors += errors;
                for s in samples {
                    if out.samples.len() < 3 {
                        out.samples.push(s);
                    }
                }
            }
            Err(err) => {
                out.errors += 1;
                out.samples.push(format!("客户端任务异常退出：{err}"));
            }
        }
    }
    out.elapsed = start.elapsed();
    out
}

/// The endpoints, in the order they are measured.
fn endpoints(addr: SocketAddr, plan: &Plan, school: &Session, admin: &Session) -> Vec<Endpoint> {
    let mut eps = Vec::new();
    let get = |path: String, session: Option<&Session>| -> Vec<u8> {
        match session {
            Some(s) => request("GET", &path, addr, &[("Cookie", &s.cookie)], b""),
            None => request("GET", &path, addr, &[], b""),
        }
    };

    let healthz = Arc::new(get("/healthz".to_owned(), None));
    eps.push(Endpoint {
        label: "GET /healthz".to_owned(),
        make: Arc::new(move |_, _| {
            Some(Job {
                request: healthz.to_vec(),
                expect: Expect::Status(200),
            })
        }),
    });

    let forms: Vec<i64> = plan.page_school.forms.iter().map(|f| f.id).collect();
    let pages: Arc<Vec<Vec<u8>>> = Arc::new(
        forms
            .iter()
            .map(|id| get(format!("/forms/{id}"), Some(school)))
            .collect(),
    );
    eps.push(Endpoint {
        label: "GET /forms/{id}（学校的推荐表页）".to_owned(),
        make: Arc::new(move |c, n| {
            Some(Job {
                request: pages[(c + n as usize) % pages.len().max(1)].clone(),
                expect: Expect::Status(200),
            })
        }),
    });

    let inbox = Arc::new(get("/review".to_owned(), Some(admin)));
    eps.push(Endpoint {
        label: "GET /review（审核收件箱）".to_owned(),
        make: Arc::new(move |_, _| {
            Some(Job {
                request: inbox.to_vec(),
                expect: Expect::Status(200),
            })
        }),
    });

    let reviews: Arc<Vec<Vec<u8>>> = Arc::new(
        plan.submitted
            .iter()
            .map(|id| get(format!("/review/{id}"), Some(admin)))
            .collect(),
    );
    eps.push(Endpoint {
        label: "GET /review/{id}（一份报送的审核页）".to_owned(),
        make: Arc::new(move |c, n| {
            let r = reviews.get((c + n as usize) % reviews.len().max(1))?;
            Some(Job {
                request: r.clone(),
                expect: Expect::Status(200),
            })
        }),
    });

    let roster = Arc::new(get("/roster".to_owned(), Some(admin)));
    eps.push(Endpoint {
        label: "GET /roster（汇总名单）".to_owned(),
        make: Arc::new(move |_, _| {
            Some(Job {
                request: roster.to_vec(),
                expect: Expect::Status(200),
            })
        }),
    });

    let boundary = "----shuangshi-bench-7d93a1";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"bench.xlsx\"\r\nContent-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(&plan.check_xlsx);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let bearer = format!("Bearer {}", plan.admin_token);
    let check = Arc::new(request(
        "POST",
        "/api/v1/check",
        addr,
        &[
            ("Content-Type", content_type.as_str()),
            ("Authorization", bearer.as_str()),
        ],
        &body,
    ));
    eps.push(Endpoint {
        label: format!("POST /api/v1/check（上传 xlsx，{} 人）", plan.check_people),
        make: Arc::new(move |_, _| {
            Some(Job {
                request: check.to_vec(),
                expect: Expect::Status(200),
            })
        }),
    });

    // Saving one row: each client its own row, 行政职务 toggled so every save changes the row.
    let rows: Arc<Vec<(i64, i64, Vec<String>)>> = Arc::new(
        plan.page_school
            .forms
            .iter()
            .flat_map(|f| f.rows.iter().map(|r| (f.id, r.id, r.cells.clone())))
            .collect(),
    );
    let (cookie, csrf) = (school.cookie.clone(), school.csrf.clone());
    eps.push(Endpoint {
        label: "POST /forms/{id}/rows/{row}（保存一行）".to_owned(),
        make: Arc::new(move |c, n| {
            let (form_id, row_id, cells) = rows.get(c % rows.len().max(1))?;
            let mut fields: Vec<(String, String)> = vec![("_csrf".to_owned(), csrf.clone())];
            for (i, cell) in cells.iter().enumerate() {
                let value = if i == Column::AdminPost as usize {
                    if n.is_multiple_of(2) {
                        "教研室副主任".to_owned()
                    } else {
                        "无".to_owned()
                    }
                } else {
                    cell.clone()
                };
                fields.push((format!("c{i}"), value));
            }
            let pairs: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            Some(Job {
                request: request(
                    "POST",
                    &format!("/forms/{form_id}/rows/{row_id}"),
                    addr,
                    &[
                        ("Cookie", cookie.as_str()),
                        ("Content-Type", "application/x-www-form-urlencoded"),
                    ],
                    &form_body(&pairs),
                ),
                expect: Expect::SeeOther(format!("/forms/{form_id}#row-{row_id}")),
            })
        }),
    });

    // Submitting: every request a different ready school, until none is left.
    let tokens = Arc::new(plan.ready_tokens.clone());
    let next = Arc::new(AtomicUsize::new(0));
    eps.push(Endpoint {
        label: format!(
            "POST /api/v1/submission（报送，{} 所就绪）",
            plan.ready_tokens.len()
        ),
        make: Arc::new(move |_, _| {
            let token = tokens.get(next.fetch_add(1, Ordering::Relaxed))?;
            let bearer = format!("Bearer {token}");
            Some(Job {
                request: request(
                    "POST",
                    "/api/v1/submission",
                    addr,
                    &[("Authorization", bearer.as_str())],
                    b"",
                ),
                expect: Expect::Status(201),
            })
        }),
    });
    eps
}

/// Removes the temporary data directory however the run ends.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub(crate) fn thousands(n: usize) -> String {
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

/// `shuangshi bench serve`.
pub fn run(opts: Options) -> anyhow::Result<ExitCode> {
    if !(opts.seconds > 0.0 && opts.seconds <= 600.0) {
        bail!(
            "--seconds 应在 0 到 600 之间（每个端点测多少秒），实为「{}」",
            opts.seconds
        );
    }
    let schools = opts
        .schools
        .unwrap_or(SCHOOLS_PER_SCALE * opts.scale as usize);
    if schools == 0 {
        bail!("--schools 至少为 1，实为「0」");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("无法启动异步运行时")?;

    let (url, backend, _dir) = match &opts.database_url {
        Some(u) => (u.clone(), "PostgreSQL", None),
        None => {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0);
            let dir = std::env::temp_dir().join(format!(
                "shuangshi-bench-serve-{}-{nanos}",
                std::process::id()
            ));
            let url = Store::sqlite_url_for_dir(&dir).map_err(e)?;
            println!("数据目录：{}（结束后删除）", dir.display());
            (url, "SQLite", Some(TempDir(dir)))
        }
    };

    let (store, plan, seeding) = runtime.block_on(async {
        let store = Store::connect(&url).await.map_err(e)?;
        let started = Instant::now();
        let plan = seed(&store, schools).await?;
        anyhow::Ok((store, plan, started.elapsed()))
    })?;
    println!(
        "已生成{}：学校 {} 所（{}）、企业 {} 家、已确认的合作及推荐表 {} 张、人员 {} 人，其中 {} 所学校的推荐表有错误；已报送 {} 所，待报送 {} 所。生成数据耗时 {:.1} 秒。",
        plan.batch_name,
        thousands(plan.schools),
        tier_counts(plan.schools),
        thousands(plan.enterprises),
        thousands(plan.forms),
        thousands(plan.people),
        plan.with_errors,
        plan.submitted.len(),
        plan.ready_tokens.len(),
        seeding.as_secs_f64()
    );

    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .context("无法在 127.0.0.1 上监听")?;
    let addr = listener.local_addr().context("无法取得监听地址")?;
    let app = shuangshi_web::router(AppState::new(WebConfig::default(), store.clone()));
    let server = runtime.spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });

    // The clients run on a runtime of their own, so they never wait behind the server's work.
    let (clients, duration) = (opts.clients, Duration::from_secs_f64(opts.seconds));
    let results = std::thread::spawn(move || -> anyhow::Result<(Vec<Measured>, Plan)> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("无法启动客户端的异步运行时")?;
        rt.block_on(async {
            let school = login(addr, &plan.page_username).await?;
            let admin = login(addr, &plan.admin_username).await?;
            let mut out = Vec::new();
            for ep in endpoints(addr, &plan, &school, &admin) {
                out.push(drive(addr, clients, duration, &ep).await);
            }
            Ok((out, plan))
        })
    })
    .join()
    .map_err(|_| anyhow!("客户端线程异常退出"))?;
    server.abort();
    let (measured, plan) = results?;
    runtime.block_on(async {
        let _ = store.close().await;
    });

    print_table(&opts, backend, &plan, &measured);
    let errors: usize = measured.iter().map(|m| m.errors).sum();
    Ok(if errors == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn tier_counts(schools: usize) -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for i in 0..schools {
        let tier = TIER_CYCLE[i % TIER_CYCLE.len()];
        match counts.iter_mut().find(|(t, _)| *t == tier) {
            Some((_, n)) => *n += 1,
            None => counts.push((tier, 1)),
        }
    }
    counts
        .iter()
        .map(|(t, n)| format!("{t} {n}"))
        .collect::<Vec<_>>()
        .join("、")
}

fn print_table(opts: &Options, backend: &str, plan: &Plan, measured: &[Measured]) {
    let scale = match opts.schools {
        Some(n) => format!("{n} 所学校"),
        None => format!("{}×", opts.scale),
    };
    println!(
        "\n规模 {scale}（{} 人），{backend}，{} 个并发客户端（HTTP/1.1 长连接），每个端点 {} 秒：\n",
        thousands(plan.people),
        opts.clients,
        opts.seconds
    );
    let health = measured.first().map_or(0.0, Measured::rate);
    println!("| 端点 | 请求数 | 每秒请求 | p50 ms | p99 ms | 错误 | 相对 /healthz |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for m in measured {
        println!(
            "| {} | {} | {:.1} | {:.1} | {:.1} | {} | {:.1} % |",
            m.label,
            m.latencies.len(),
            m.rate(),
            m.percentile(0.50),
            m.percentile(0.99),
            m.errors,
            100.0 * m.rate() / health.max(1e-9)
        );
    }
    let failed: Vec<&Measured> = measured.iter().filter(|m| m.errors > 0).collect();
    if !failed.is_empty() {
        println!("\n出错的请求：");
        for m in failed {
            for s in &m.samples {
                println!("  {}：{s}", m.label);
            }
        }
    }
    let pages = measured.iter().skip(1);
    let slow: Vec<&str> = pages
        .clone()
        .filter(|m| m.rate() < 0.25 * health)
        .map(|m| m.label.as_str())
        .collect();
    let late: Vec<&str> = pages
        .filter(|m| m.percentile(0.99) >= 50.0)
        .map(|m| m.label.as_str())
        .collect();
    let verdict = |misses: &[&str]| {
        if misses.is_empty() {
            "达到".to_owned()
        } else {
            format!("未达到：{}", misses.join("；"))
        }
    };
    println!("\n目标（见议题）：");
    println!(
        "- 每个页面的每秒请求数不低于同次运行中 /healthz 的 25 %：{}",
        verdict(&slow)
    );
    println!(
        "- 16 个客户端时 p99 < 50 ms{}：{}",
        if opts.clients == 16 {
            String::new()
        } else {
            format!("（本次为 {} 个客户端）", opts.clients)
        },
        verdict(&late)
    );
    println!(
        "- 同一页面在 1× 与 10× 下耗时相同：分别用 --scale 1 与 --scale 10 运行，比较两张表的同一行"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_numbers() {
        let got: Vec<String> = [1, 10, 12, 20, 23, 100, 105, 110, 150, 1001]
            .into_iter()
            .map(chinese_number)
            .collect();
        assert_eq!(
            got,
            [
                "一",
                "十",
                "十二",
                "二十",
                "二十三",
                "一百",
                "一百零五",
                "一百一十",
                "一百五十",
                "一千零一"
            ]
        );
    }

    #[test]
    fn names_and_numbers_are_distinct() {
        let schools: std::collections::HashSet<String> =
            (0..3000).map(|i| school_spec(i, 1500).name).collect();
        assert_eq!(schools.len(), 3000);
        let enterprises: std::collections::HashSet<String> =
            (0..1500).map(|i| enterprise_spec(i).name).collect();
        assert_eq!(enterprises.len(), 1500);
        let mobiles: std::collections::HashSet<String> = (0..42_000).map(mobile).collect();
        assert_eq!(mobiles.len(), 42_000);
        assert!(mobiles.iter().all(|m| m.len() == 11));
    }

    #[test]
    fn generated_schools_pass_their_own_check_unless_made_wrong() {
        let batch = Batch::batch10();
        let enterprises: Vec<EnterpriseSpec> = (0..30).map(enterprise_spec).collect();
        let mut registry_orgs = Vec::new();
        let specs: Vec<SchoolSpec> = (0..60).map(|i| school_spec(i, 30)).collect();
        for s in &specs {
            registry_orgs.push(Org {
                name: s.name.clone(),
                category: s.tier.to_owned(),
                affiliation: "市教委".to_owned(),
                credit_code: String::new(),
                district: s.district.to_owned(),
            });
        }
        for en in &enterprises {
            registry_orgs.push(Org {
                name: en.name.clone(),
                category: en.kind.to_owned(),
                affiliation: en.affiliation.to_owned(),
                credit_code: String::new(),
                district: en.district.to_owned(),
            });
        }
        let registry = shuangshi_rules::Registry::new(registry_orgs);
        for s in &specs {
            let forms: Vec<shuangshi_rules::Form> = (0..2)
                .map(|which| {
                    let en = &enterprises[s.enterprises[which]];
                    let mut form = shuangshi_rules::Form::official(
                        &format!("{}—{}", s.name, en.name),
                        &s.name,
                        &en.name,
                        true,
                    );
                    form.rows = form_rows(&batch, s, en, which, s.index * 14 + which * 6);
                    form.footer = Some(shuangshi_rules::Footer {
                        row: 20,
                        filler: "李老师".to_owned(),
                        phone: "023-63865672".to_owned(),
                    });
                    form
                })
                .collect();
            let report = checks::check_school(&batch, &registry, &forms);
            let errors: Vec<&str> = report
                .findings
                .iter()
                .filter(|f| f.severity == Severity::Error)
                .map(|f| f.rule)
                .collect();
            let made_wrong = s.index % 40 == 17 || s.index % 40 == 33;
            assert_eq!(
                !errors.is_empty(),
                made_wrong,
                "school {} ({}): {errors:?}",
                s.index,
                s.tier
            );
        }
    }
}
