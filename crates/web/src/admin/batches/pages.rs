//! 批次设置: the batches; a new batch from the previous one's parameters (the first from the
//! embedded 第十批), after a confirmation that says what will be created; the parameters of a
//! batch in preparation edited in a Chinese form ([`ParamForm`]: every field checked here, with
//! its message next to it, then the whole saved through `Store::update_batch_params`, which
//! validates with `Batch::from_toml`), read-only once the batch is open; the parameters exported
//! and imported as TOML (高级); open and close; per-school deadline extensions, the school chosen
//! from the registry.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, Path, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{NaiveDate, NaiveDateTime, TimeZone};
use serde::Deserialize;
use shuangshi_rules::Batch;
use shuangshi_rules::text::{norm, parse_batch_number, parse_term};
use shuangshi_store::{
    BatchRecord, BatchStatus, Extension, OrgFilter, PageRequest, Scope, StoreError,
};
use tower_sessions::Session;

use crate::auth::{CsrfForm, CurrentUser, check_csrf};
use crate::error::AppError;
use crate::filters;
use crate::fmt::SHANGHAI;
use crate::session::{push_flash, take_flash};
use crate::state::AppState;
use crate::ui::{Column, Flash, Frame};

/// A batch in the list.
pub struct BatchRow {
    pub batch: BatchRecord,
}

impl BatchRow {
    pub fn status(&self) -> &'static str {
        self.batch.status.label()
    }
    pub fn deadline(&self) -> String {
        crate::fmt::datetime(&self.batch.deadline())
    }
    pub fn created(&self) -> String {
        crate::fmt::datetime(&self.batch.created_at)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/batches.html")]
pub struct BatchesPage {
    pub frame: Frame,
    pub columns: Vec<Column>,
    pub rows: Vec<BatchRow>,
    /// The number and name proposed for the next batch (e.g. 11, 第十一批).
    pub next_number: u32,
    pub next_name: String,
    /// The batch whose parameters the next one copies (the newest; 第十批 when there is none).
    pub template_name: String,
    /// What 新建 will do, for its confirmation dialog.
    pub create_message: String,
    pub error: Option<String>,
}

/// 「第十一批」 for 11 (1–99).
pub fn batch_name(n: u32) -> String {
    const DIGITS: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    let d = |i: u32| DIGITS.get(i as usize).copied().unwrap_or("");
    let text = match n {
        0..=9 => d(n).to_owned(),
        10 => "十".to_owned(),
        11..=19 => format!("十{}", d(n % 10)),
        20..=99 if n.is_multiple_of(10) => format!("{}十", d(n / 10)),
        20..=99 => format!("{}十{}", d(n / 10), d(n % 10)),
        _ => n.to_string(),
    };
    format!("第{text}批")
}

async fn batches_page(
    state: &AppState,
    user: &CurrentUser,
    session: &Session,
    error: Option<String>,
) -> Result<BatchesPage, AppError> {
    let all = state.store.list_batches().await?;
    let next_number = all.first().map_or(10, |b| b.number + 1);
    let next_name = batch_name(next_number);
    let create_message = match all.first() {
        None => "将以内置的第十批参数创建第十批（草稿，状态为「筹备中」），学校在开放报送前看不到。创建后请核对参数再开放。".to_owned(),
        Some(prev) => format!(
            "将以{}的参数为模板创建{next_name}（草稿，状态为「筹备中」；如改了上面的编号或名称，以所填为准），学校在开放报送前看不到。创建后请核对交流时间和报送截止时间再开放。",
            prev.name
        ),
    };
    let template_name = all
        .first()
        .map_or_else(|| "第十批".to_owned(), |b| b.name.clone());
    let mut frame = user.frame_with_batch(state, "批次设置", "batches").await?;
    for f in take_flash(session).await {
        frame = frame.flash(f);
    }
    Ok(BatchesPage {
        frame,
        columns: vec![
            Column::new("编号"),
            Column::new("名称"),
            Column::new("状态"),
            Column::new("报送截止"),
            Column::new("创建时间"),
            Column::new("操作").class("w-actions"),
        ],
        rows: all.into_iter().map(|batch| BatchRow { batch }).collect(),
        next_number,
        next_name,
        template_name,
        create_message,
        error,
    })
}

/// `GET /admin/batches`.
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
) -> Result<BatchesPage, AppError> {
    batches_page(&state, &user, &session, None).await
}

#[derive(Debug, Deserialize)]
pub struct NewBatch {
    #[serde(default)]
    pub number: String,
    #[serde(default)]
    pub name: String,
}

/// `POST /admin/batches`: the next batch from the newest one's parameters, or 第十批 from the
/// embedded parameters when there is none.
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    CsrfForm(form): CsrfForm<NewBatch>,
) -> Result<Response, AppError> {
    let all = state.store.list_batches().await?;
    let result = match all.first() {
        None => {
            state
                .store
                .create_batch(&Batch::batch10(), &user.actor())
                .await
        }
        Some(prev) => {
            let Ok(number) = norm(&form.number).parse::<u32>() else {
                let page = batches_page(
                    &state,
                    &user,
                    &session,
                    Some(format!(
                        "批次编号「{}」不是正整数；请填写如 {} 这样的数字",
                        form.number.trim(),
                        prev.number + 1
                    )),
                )
                .await?;
                return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
            };
            let name = if form.name.trim().is_empty() {
                batch_name(number)
            } else {
                form.name.trim().to_owned()
            };
            state
                .store
                .create_from_previous(prev.id, number, &name, &user.actor())
                .await
        }
    };
    match result {
        Ok(b) => {
            push_flash(
                &session,
                Flash::success(format!(
                    "已新建{}（筹备中）：请核对参数，特别是交流时间和报送截止时间，再开放报送",
                    b.name
                )),
            )
            .await;
            Ok(Redirect::to(&format!("/admin/batches/{}", b.id)).into_response())
        }
        Err(StoreError::Invalid(m) | StoreError::Conflict(m)) => {
            let page = batches_page(&state, &user, &session, Some(m)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// The parameter form.

/// One input of the parameter form: its name, its label, the value as typed (or as stored), the
/// text of the read-only view, a hint, and the message when the value was refused.
#[derive(Debug, Clone, Default)]
pub struct Field {
    pub name: String,
    pub label: String,
    pub value: String,
    /// The value as the read-only view shows it (「2024年1月19日 17:00」, 「¥10,000」).
    pub display: String,
    pub hint: String,
    pub error: Option<String>,
}

impl Field {
    fn new(name: impl Into<String>, label: impl Into<String>, value: impl Into<String>) -> Field {
        let value = value.into();
        Field {
            name: name.into(),
            label: label.into(),
            display: value.clone(),
            value,
            hint: String::new(),
            error: None,
        }
    }

    fn display(mut self, text: impl Into<String>) -> Field {
        self.display = text.into();
        self
    }

    fn hint(mut self, text: impl Into<String>) -> Field {
        self.hint = text.into();
        self
    }

    /// The input's `id`.
    pub fn id(&self) -> String {
        format!("p-{}", self.name.replace('_', "-"))
    }

    /// The `id` of the message under the input.
    pub fn error_id(&self) -> String {
        format!("{}-error", self.id())
    }

    /// Runs `parse` over the value; a refusal becomes the field's message.
    fn check<T>(&mut self, parse: impl FnOnce(&str) -> Result<T, String>) -> Option<T> {
        match parse(&self.value) {
            Ok(v) => Some(v),
            Err(m) => {
                self.error = Some(m);
                None
            }
        }
    }

    fn refuse(&mut self, message: String) {
        if self.error.is_none() {
            self.error = Some(message);
        }
    }
}

/// A school tier and its minimums, one row of the table.
#[derive(Debug, Clone)]
pub struct TierRow {
    pub index: usize,
    pub name: String,
    /// The hidden field that names the tier the row was rendered for.
    pub name_field: String,
    /// 派出, 接收, the school's senior post, the enterprise's senior post.
    pub cells: Vec<Field>,
}

/// The batch parameters a clerk sets, as a form.
#[derive(Debug, Clone)]
pub struct ParamForm {
    pub number: Field,
    pub name: Field,
    pub term: Field,
    pub deadline: Field,
    pub subsidy: Field,
    /// The four programme targets.
    pub targets: Vec<Field>,
    /// The headings of the tier table's number columns.
    pub tier_columns: Vec<String>,
    pub tiers: Vec<TierRow>,
    pub posts_school: Field,
    pub posts_enterprise: Field,
    pub working_days: Field,
    pub contact: Field,
    /// 聘期开始, 聘期结束, 到岗记录截止, 考核鉴定截止, 经费使用报告截止.
    pub schedule: Vec<Field>,
    pub reminder_days: Field,
    /// A message about the whole (a tier table changed meanwhile, the store's refusal).
    pub general: Option<String>,
}

const TIER_KEYS: [&str; 4] = [
    "min_sent",
    "min_received",
    "min_school_senior",
    "min_enterprise_senior",
];
const SCHEDULE: [(&str, &str); 5] = [
    ("schedule_starts", "聘期开始日"),
    ("schedule_ends", "聘期结束日"),
    ("schedule_arrival_due", "到岗及岗位记录截止日"),
    ("schedule_assessment_due", "考核鉴定记录截止日"),
    ("schedule_use_report_due", "经费使用报告截止日"),
];

fn schedule_dates(s: &shuangshi_rules::batch::TermSchedule) -> [NaiveDate; 5] {
    [
        s.starts,
        s.ends,
        s.arrival_due,
        s.assessment_due,
        s.use_report_due,
    ]
}

/// `2024-01-19T17:00` in Asia/Shanghai, the value of a `datetime-local` input.
fn local_input(b: &Batch) -> String {
    b.deadline
        .with_timezone(&SHANGHAI)
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

/// The batch's schedule derived from its term alone (what an empty date stands for).
fn derived_schedule(b: &Batch) -> shuangshi_rules::batch::TermSchedule {
    let mut plain = b.clone();
    plain.term_schedule = None;
    plain.schedule()
}

impl ParamForm {
    /// The form filled with `b`'s values.
    pub fn from_batch(b: &Batch) -> ParamForm {
        let t = &b.targets;
        let target = |name: &str, label: &str, n: u32| {
            Field::new(name, label, n.to_string()).display(crate::fmt::people(n))
        };
        let tier_columns = vec![
            "派出教师".to_owned(),
            "接收企业人员".to_owned(),
            format!("其中挂任{}", b.posts.school_senior),
            format!("其中挂任{}", b.posts.enterprise_senior),
        ];
        let tiers = b
            .tiers
            .iter()
            .enumerate()
            .map(|(i, tier)| {
                let values = [
                    tier.min_sent,
                    tier.min_received,
                    tier.min_school_senior,
                    tier.min_enterprise_senior,
                ];
                TierRow {
                    index: i,
                    name: tier.name.clone(),
                    name_field: format!("tier_{i}_name"),
                    cells: TIER_KEYS
                        .iter()
                        .zip(values)
                        .zip(&tier_columns)
                        .map(|((key, n), column)| {
                            Field::new(
                                format!("tier_{i}_{key}"),
                                format!("「{}」{column}最低人数", tier.name),
                                n.to_string(),
                            )
                            .display(crate::fmt::people(n))
                        })
                        .collect(),
                }
            })
            .collect();
        let derived = schedule_dates(&derived_schedule(b));
        let stored = b.term_schedule.as_ref().map(schedule_dates);
        let schedule = SCHEDULE
            .iter()
            .enumerate()
            .map(|(i, (name, label))| {
                let d = derived.get(i).copied().unwrap_or_default();
                let hint = format!("留空则按交流时间推算：{}", crate::fmt::naive_date(&d));
                match stored.and_then(|s| s.get(i).copied()) {
                    Some(s) => Field::new(*name, *label, s.format("%Y-%m-%d").to_string())
                        .display(crate::fmt::naive_date(&s))
                        .hint(hint),
                    None => Field::new(*name, *label, "")
                        .display(format!("{}（按交流时间推算）", crate::fmt::naive_date(&d)))
                        .hint(hint),
                }
            })
            .collect();
        ParamForm {
            number: Field::new("number", "批次编号", b.number.to_string()),
            name: Field::new("name", "批次名称", b.name.clone())
                .hint("如「第十一批」，须与批次编号一致"),
            term: Field::new("term", "交流时间", b.term.clone()).hint("如「2025年春季学期」"),
            deadline: Field::new("deadline", "报送截止时间", local_input(b))
                .display(crate::fmt::datetime(&b.deadline))
                .hint("北京时间"),
            subsidy: Field::new(
                "subsidy_per_person",
                "补助标准（元/人）",
                b.subsidy_per_person.to_string(),
            )
            .display(crate::fmt::yuan(i64::from(b.subsidy_per_person)))
            .hint("按接收人数拨付给接收学校，如 10000"),
            targets: vec![
                target(
                    "target_school_to_enterprise",
                    "学校派出教师",
                    t.school_to_enterprise,
                ),
                target(
                    "target_tech_vice_president",
                    &format!("其中挂任{}", b.posts.school_senior),
                    t.tech_vice_president,
                ),
                target(
                    "target_enterprise_to_school",
                    "企业派出工程师",
                    t.enterprise_to_school,
                ),
                target(
                    "target_industry_dean",
                    &format!("其中挂任{}", b.posts.enterprise_senior),
                    t.industry_dean,
                ),
            ],
            tier_columns,
            tiers,
            posts_school: Field::new(
                "posts_school",
                "学校教师到企业的岗位",
                b.posts.school.join("\n"),
            )
            .display(b.posts.school.join("、"))
            .hint(format!("每行一个，须包含「{}」", b.posts.school_senior)),
            posts_enterprise: Field::new(
                "posts_enterprise",
                "企业人员到学校的岗位",
                b.posts.enterprise.join("\n"),
            )
            .display(b.posts.enterprise.join("、"))
            .hint(format!("每行一个，须包含「{}」", b.posts.enterprise_senior)),
            working_days: Field::new(
                "publicity_working_days",
                "公示工作日数",
                b.publicity.working_days.to_string(),
            )
            .display(format!("{} 个工作日", b.publicity.working_days))
            .hint("周一至周五计，如 5"),
            contact: Field::new(
                "publicity_contact",
                "异议联系方式",
                b.publicity.contact.clone(),
            )
            .hint("显示在公示页上"),
            schedule,
            reminder_days: Field::new(
                "reminders_not_submitted_days",
                "催办：截止前天数",
                b.reminders.not_submitted_days.to_string(),
            )
            .display(format!("截止前 {} 天", b.reminders.not_submitted_days))
            .hint("截止前这么多天仍未报送的学校列入催办"),
            general: None,
        }
    }

    fn fields_mut(&mut self) -> Vec<&mut Field> {
        let mut all = vec![
            &mut self.number,
            &mut self.name,
            &mut self.term,
            &mut self.deadline,
            &mut self.subsidy,
            &mut self.posts_school,
            &mut self.posts_enterprise,
            &mut self.working_days,
            &mut self.contact,
            &mut self.reminder_days,
        ];
        all.extend(self.targets.iter_mut());
        all.extend(self.tiers.iter_mut().flat_map(|t| t.cells.iter_mut()));
        all.extend(self.schedule.iter_mut());
        all
    }

    /// How many fields were refused.
    pub fn error_count(&self) -> usize {
        let mut me = self.clone();
        me.fields_mut().iter().filter(|f| f.error.is_some()).count()
    }

    /// Applies the submitted `input` over the stored `batch`: the form as typed with a message on
    /// every refused field, and the new parameters when nothing was refused. Fields the form does
    /// not carry (and fields missing from `input`) keep their stored values.
    pub fn apply(stored: &Batch, input: &HashMap<String, String>) -> (ParamForm, Option<Batch>) {
        let mut form = ParamForm::from_batch(stored);
        for f in form.fields_mut() {
            if let Some(v) = input.get(&f.name) {
                f.value = v.clone();
            }
        }
        let mut b = stored.clone();

        let number = form
            .number
            .check(|v| parse_int("批次编号", v, 1, 99, stored.number));
        if let Some(n) = number {
            b.number = n;
        }
        if let Some(name) = form.name.check(|v| required("批次名称", v, 20)) {
            if let Some(n) = number
                && parse_batch_number(&norm(&name)) != Some(n)
            {
                form.name.refuse(format!(
                    "批次名称「{name}」与批次编号 {n} 不一致；应为「{}」这样的写法",
                    batch_name(n)
                ));
            }
            b.name = name;
        }
        if let Some(term) = form.term.check(|v| required("交流时间", v, 30)) {
            if parse_term(&norm(&term)).is_none() {
                form.term.refuse(format!(
                    "交流时间「{term}」无法识别；应为「2025年春季学期」或「2025年秋季学期」这样的写法"
                ));
            }
            b.term = term;
        }
        let unchanged_deadline = form.deadline.value.trim() == local_input(stored);
        if !unchanged_deadline && let Some(d) = form.deadline.check(parse_deadline) {
            b.deadline = d.with_timezone(&SHANGHAI);
        }
        if let Some(n) = form
            .subsidy
            .check(|v| parse_int("补助标准（元/人）", v, 0, 1_000_000, 10000))
        {
            b.subsidy_per_person = n;
        }
        let examples = [100, 50, 100, 50];
        let mut targets = [0u32; 4];
        for ((f, slot), example) in form.targets.iter_mut().zip(&mut targets).zip(examples) {
            let label = format!("目标人数「{}」", f.label);
            if let Some(n) = f.check(|v| parse_int(&label, v, 0, 100_000, example)) {
                *slot = n;
            }
        }
        let [a, c, d, e] = targets;
        b.targets.school_to_enterprise = a;
        b.targets.tech_vice_president = c;
        b.targets.enterprise_to_school = d;
        b.targets.industry_dean = e;

        for row in &mut form.tiers {
            if let Some(sent) = input.get(&row.name_field)
                && sent.trim() != row.name
            {
                form.general = Some(
                    "学校类别表在您打开页面后已被修改，请刷新页面后重新填写最低人数".to_owned(),
                );
                continue;
            }
            let Some(tier) = b.tiers.get_mut(row.index) else {
                continue;
            };
            let mut values = [
                tier.min_sent,
                tier.min_received,
                tier.min_school_senior,
                tier.min_enterprise_senior,
            ];
            for (f, slot) in row.cells.iter_mut().zip(&mut values) {
                let label = f.label.clone();
                if let Some(n) = f.check(|v| parse_int(&label, v, 0, 1000, 2)) {
                    *slot = n;
                }
            }
            [
                tier.min_sent,
                tier.min_received,
                tier.min_school_senior,
                tier.min_enterprise_senior,
            ] = values;
        }

        let senior = stored.posts.school_senior.clone();
        if let Some(list) = form
            .posts_school
            .check(|v| parse_posts("学校教师到企业的岗位", v, &senior))
        {
            b.posts.school = list;
        }
        let senior = stored.posts.enterprise_senior.clone();
        if let Some(list) = form
            .posts_enterprise
            .check(|v| parse_posts("企业人员到学校的岗位", v, &senior))
        {
            b.posts.enterprise = list;
        }
        if let Some(n) = form
            .working_days
            .check(|v| parse_int("公示工作日数", v, 1, 60, 5))
        {
            b.publicity.working_days = n;
        }
        if let Some(text) = form.contact.check(|v| required("异议联系方式", v, 300)) {
            b.publicity.contact = text;
        }
        if let Some(n) = form
            .reminder_days
            .check(|v| parse_int("催办：截止前天数", v, 0, 90, 7))
        {
            b.reminders.not_submitted_days = n;
        }

        // The schedule: all empty = derived from the (new) term; an empty date among typed ones
        // takes the derived date.
        let mut dates: [Option<NaiveDate>; 5] = [None; 5];
        let mut schedule_ok = true;
        for (f, slot) in form.schedule.iter_mut().zip(&mut dates) {
            let label = f.label.clone();
            match f.check(|v| parse_date(&label, v)) {
                Some(d) => *slot = d,
                None => schedule_ok = false,
            }
        }
        if schedule_ok {
            if dates.iter().all(Option::is_none) {
                b.term_schedule = None;
            } else {
                let derived = schedule_dates(&derived_schedule(&b));
                let pick = |i: usize| {
                    dates
                        .get(i)
                        .copied()
                        .flatten()
                        .or_else(|| derived.get(i).copied())
                        .unwrap_or_default()
                };
                let s = shuangshi_rules::batch::TermSchedule {
                    starts: pick(0),
                    ends: pick(1),
                    arrival_due: pick(2),
                    assessment_due: pick(3),
                    use_report_due: pick(4),
                };
                let day = crate::fmt::naive_date;
                if s.ends < s.starts
                    && let Some(f) = form.schedule.get_mut(1)
                {
                    f.refuse(format!(
                        "聘期结束日「{}」早于聘期开始日「{}」；请填写开始日当天或之后的日期",
                        day(&s.ends),
                        day(&s.starts)
                    ));
                }
                if s.arrival_due < s.starts
                    && let Some(f) = form.schedule.get_mut(2)
                {
                    f.refuse(format!(
                        "到岗及岗位记录截止日「{}」早于聘期开始日「{}」；请填写开始日当天或之后的日期",
                        day(&s.arrival_due),
                        day(&s.starts)
                    ));
                }
                if s.assessment_due < s.arrival_due
                    && let Some(f) = form.schedule.get_mut(3)
                {
                    f.refuse(format!(
                        "考核鉴定记录截止日「{}」早于到岗及岗位记录截止日「{}」；请填写其后的日期",
                        day(&s.assessment_due),
                        day(&s.arrival_due)
                    ));
                }
                b.term_schedule = Some(s);
            }
        }

        let ok = form.general.is_none() && form.error_count() == 0;
        (form, ok.then_some(b))
    }
}

/// A required text of at most `max` characters, trimmed.
fn required(label: &str, raw: &str, max: usize) -> Result<String, String> {
    let v = raw.trim();
    if v.is_empty() {
        return Err(format!("请填写{label}"));
    }
    if v.chars().count() > max {
        return Err(format!(
            "{label}过长（{} 字）；最多 {max} 字",
            v.chars().count()
        ));
    }
    Ok(v.to_owned())
}

/// A whole number between `min` and `max`; full-width digits and thousands separators are read.
fn parse_int(label: &str, raw: &str, min: u32, max: u32, example: u32) -> Result<u32, String> {
    let shown = raw.trim();
    let accepted = if min == 0 {
        format!("请填写 0 到 {max} 之间的整数（阿拉伯数字），如 {example}")
    } else {
        format!("请填写 {min} 到 {max} 之间的整数（阿拉伯数字），如 {example}")
    };
    let v = norm(raw).replace([',', '，'], "");
    if v.is_empty() {
        return Err(format!("请填写{label}；{accepted}"));
    }
    let numeric = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit() || c == '.');
    if let Some(rest) = v.strip_prefix('-')
        && numeric(rest)
    {
        return Err(format!("{label}「{shown}」不能为负数；{accepted}"));
    }
    if !v.chars().all(|c| c.is_ascii_digit()) {
        if numeric(&v) {
            return Err(format!("{label}「{shown}」不是整数；{accepted}"));
        }
        return Err(format!("{label}「{shown}」不是数字；{accepted}"));
    }
    match v.parse::<u64>() {
        Ok(n) if n >= u64::from(min) && n <= u64::from(max) => {
            u32::try_from(n).map_err(|_| format!("{label}「{shown}」超出范围；{accepted}"))
        }
        _ => Err(format!("{label}「{shown}」超出范围；{accepted}")),
    }
}

/// A list typed one item a line: at least one, no repeats, containing `must_have`.
fn parse_posts(label: &str, raw: &str, must_have: &str) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for line in raw.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if line.chars().count() > 30 {
            return Err(format!(
                "{label}中的「{line}」过长；每行写一个岗位名称，最多 30 字"
            ));
        }
        if out.iter().any(|p| norm(p) == norm(line)) {
            return Err(format!("{label}中的「{line}」重复；每个岗位只写一行"));
        }
        out.push(line.to_owned());
    }
    if out.is_empty() {
        return Err(format!("请填写{label}，每行一个，如「{must_have}」"));
    }
    if !out.iter().any(|p| p == must_have) {
        return Err(format!(
            "{label}须包含「{must_have}」（统计该岗位人数用）；现为「{}」",
            out.join("、")
        ));
    }
    Ok(out)
}

/// A calendar date: empty is `None`; `2024-03-01`, `2024/3/1` and `2024年3月1日` are read.
fn parse_date(label: &str, raw: &str) -> Result<Option<NaiveDate>, String> {
    let v = norm(raw);
    if v.is_empty() {
        return Ok(None);
    }
    ["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日", "%Y.%m.%d"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(&v, f).ok())
        .map(Some)
        .ok_or_else(|| {
            format!(
                "{label}「{}」不是日期；请用日期选择器选择，或按 2024-03-01 的格式填写；留空则按交流时间推算",
                raw.trim()
            )
        })
}

/// The deadline as typed in the `datetime-local` input (or by hand), Asia/Shanghai.
fn parse_deadline(raw: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    if raw.trim().is_empty() {
        return Err("请填写报送截止时间；请用日期时间选择器选择（北京时间）".to_owned());
    }
    parse_local_deadline(raw).ok_or_else(|| {
        format!(
            "报送截止时间「{}」不是日期时间；请用日期时间选择器选择，或按 2024-01-19 17:00 的格式填写（北京时间）",
            raw.trim()
        )
    })
}

// ---------------------------------------------------------------------------------------------
// The batch page.

/// An extension in the batch page.
pub struct ExtensionRow {
    pub ext: Extension,
}

impl ExtensionRow {
    pub fn deadline(&self) -> String {
        crate::fmt::datetime(&self.ext.deadline)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/batch.html")]
pub struct BatchPage {
    pub frame: Frame,
    pub batch: BatchRecord,
    pub form: ParamForm,
    /// How many fields of `form` were refused (0 when nothing was submitted).
    pub form_errors: usize,
    /// The TOML of the 导入 textarea: the stored parameters, or the text refused.
    pub toml: String,
    /// Why an imported TOML text was refused (the 高级 section opens with it).
    pub error: Option<String>,
    pub extensions: Vec<ExtensionRow>,
    /// The registry's schools, for the extension's picker.
    pub schools: Vec<String>,
    /// The school chosen in a refused extension.
    pub ext_school: String,
    pub ext_error: Option<String>,
}

impl BatchPage {
    pub fn status(&self) -> &'static str {
        self.batch.status.label()
    }
    pub fn deadline(&self) -> String {
        crate::fmt::datetime(&self.batch.deadline())
    }
    pub fn is_draft(&self) -> bool {
        self.batch.status == BatchStatus::Draft
    }
    pub fn is_open(&self) -> bool {
        self.batch.status == BatchStatus::Open
    }
    pub fn is_closed(&self) -> bool {
        self.batch.status == BatchStatus::Closed
    }
    /// The export's URL.
    pub fn export_href(&self) -> String {
        format!("/admin/batches/{}/params.toml", self.batch.id)
    }
}

/// What a page render carries beyond the stored batch.
#[derive(Default)]
struct PageInput {
    form: Option<ParamForm>,
    toml: Option<String>,
    error: Option<String>,
    ext_school: String,
    ext_error: Option<String>,
}

/// Every school of the registry, by name.
async fn registry_schools(state: &AppState) -> Result<Vec<String>, AppError> {
    let filter = OrgFilter {
        is_school: Some(true),
        ..OrgFilter::default()
    };
    let mut out = Vec::new();
    loop {
        let page = state
            .store
            .list_orgs(
                &Scope::All,
                &filter,
                PageRequest::new(out.len() as u64, PageRequest::MAX_LIMIT),
            )
            .await?;
        let n = page.items.len();
        out.extend(page.items.into_iter().map(|o| o.name));
        if n == 0 || out.len() as u64 >= page.total {
            break;
        }
    }
    Ok(out)
}

async fn batch_page(
    state: &AppState,
    user: &CurrentUser,
    session: &Session,
    id: i64,
    input: PageInput,
) -> Result<BatchPage, AppError> {
    let batch = state.store.get_batch(id).await?.ok_or(AppError::NotFound)?;
    let toml = match input.toml {
        Some(t) => t,
        None => toml::to_string(&batch.params).map_err(AppError::internal)?,
    };
    let extensions = state
        .store
        .list_extensions(id)
        .await?
        .into_iter()
        .map(|ext| ExtensionRow { ext })
        .collect();
    let schools = registry_schools(state).await?;
    let mut frame = user.frame_with_batch(state, &batch.name, "batches").await?;
    for f in take_flash(session).await {
        frame = frame.flash(f);
    }
    let form = input
        .form
        .unwrap_or_else(|| ParamForm::from_batch(&batch.params));
    Ok(BatchPage {
        frame,
        form_errors: form.error_count(),
        form,
        batch,
        toml,
        error: input.error,
        extensions,
        schools,
        ext_school: input.ext_school,
        ext_error: input.ext_error,
    })
}

/// `GET /admin/batches/{id}`.
pub async fn edit(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Path(id): Path<i64>,
) -> Result<BatchPage, AppError> {
    batch_page(&state, &user, &session, id, PageInput::default()).await
}

const NOT_DRAFT: &str = "只有筹备中的批次可以修改参数；已开放或已截止的批次参数只能查看（学校需要更多时间时，请在下方给该校设置延期）";

/// Saves an imported TOML text; a refused text comes back in the 高级 section with the reason.
async fn import_toml(
    state: &AppState,
    user: &CurrentUser,
    session: &Session,
    id: i64,
    text: String,
) -> Result<Response, AppError> {
    let batch = state.store.get_batch(id).await?.ok_or(AppError::NotFound)?;
    let refused = if batch.status != BatchStatus::Draft {
        Some(NOT_DRAFT.to_owned())
    } else if text.trim().is_empty() {
        Some("请粘贴参数文本，或选择导出的 .toml 文件".to_owned())
    } else {
        match state
            .store
            .update_batch_params(id, &text, &user.actor())
            .await
        {
            Ok(b) => {
                push_flash(
                    session,
                    Flash::success(format!("已导入{}的参数，请在上面的表单中核对", b.name)),
                )
                .await;
                return Ok(Redirect::to(&format!("/admin/batches/{id}")).into_response());
            }
            Err(StoreError::Invalid(m) | StoreError::Conflict(m) | StoreError::State(m)) => Some(m),
            Err(e) => return Err(e.into()),
        }
    };
    let input = PageInput {
        toml: Some(text),
        error: refused,
        ..PageInput::default()
    };
    let page = batch_page(state, user, session, id, input).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

/// `POST /admin/batches/{id}`: saves the parameter form (fields the form does not carry keep
/// their stored values); refused fields come back as typed, each with its message. A `toml`
/// field instead imports that text (the earlier page's TOML editor posted here).
pub async fn save(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Path(id): Path<i64>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let input: HashMap<String, String> = fields.into_iter().collect();
    if let Some(text) = input.get("toml") {
        return import_toml(&state, &user, &session, id, text.clone()).await;
    }
    let batch = state.store.get_batch(id).await?.ok_or(AppError::NotFound)?;
    let (mut form, parsed) = ParamForm::apply(&batch.params, &input);
    if batch.status != BatchStatus::Draft {
        form.general = Some(NOT_DRAFT.to_owned());
    } else if let Some(params) = parsed {
        let text = toml::to_string(&params).map_err(AppError::internal)?;
        match state
            .store
            .update_batch_params(id, &text, &user.actor())
            .await
        {
            Ok(b) => {
                push_flash(&session, Flash::success(format!("{}的参数已保存", b.name))).await;
                return Ok(Redirect::to(&format!("/admin/batches/{id}")).into_response());
            }
            Err(StoreError::Invalid(m) | StoreError::Conflict(m) | StoreError::State(m)) => {
                form.general = Some(m);
            }
            Err(e) => return Err(e.into()),
        }
    }
    let input = PageInput {
        form: Some(form),
        ..PageInput::default()
    };
    let page = batch_page(&state, &user, &session, id, input).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

/// The largest TOML text or file taken by the import.
const MAX_TOML: usize = 256 * 1024;

/// `POST /admin/batches/{id}/import` (multipart: `_csrf`, a `file` or the `toml` text): 导入参数.
pub async fn import(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Path(id): Path<i64>,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let mut csrf = String::new();
    let mut text = String::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    let unreadable = |_| AppError::bad_request("上传的内容读取失败（可能已中断），请重新提交");
    while let Some(mut field) = multipart.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or("").to_owned();
        let file_name = field.file_name().unwrap_or("参数文件").to_owned();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
            if bytes.len() + chunk.len() > MAX_TOML {
                return Err(AppError::PayloadTooLarge(format!(
                    "参数内容超过上限 {} KB；批次参数文件通常只有几 KB，请确认选择的是导出的 .toml 文件",
                    MAX_TOML / 1024
                )));
            }
            bytes.extend_from_slice(&chunk);
        }
        match name.as_str() {
            "_csrf" => csrf = String::from_utf8_lossy(&bytes).into_owned(),
            "toml" => text = String::from_utf8_lossy(&bytes).into_owned(),
            "file" if !bytes.is_empty() => file = Some((file_name, bytes)),
            _ => {}
        }
    }
    check_csrf(&user, &headers, Some(&csrf))?;
    let text = match file {
        Some((name, bytes)) => match String::from_utf8(bytes) {
            Ok(t) => t.trim_start_matches('\u{feff}').to_owned(),
            Err(_) => {
                let input = PageInput {
                    error: Some(format!(
                        "文件「{name}」不是 UTF-8 编码的文本；请选择本页「导出参数（TOML）」下载的文件"
                    )),
                    ..PageInput::default()
                };
                let page = batch_page(&state, &user, &session, id, input).await?;
                return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
            }
        },
        None => text,
    };
    import_toml(&state, &user, &session, id, text).await
}

/// `GET /admin/batches/{id}/params.toml`: 导出参数.
pub async fn export(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let batch = state.store.get_batch(id).await?.ok_or(AppError::NotFound)?;
    let text = toml::to_string(&batch.params).map_err(AppError::internal)?;
    let file_name = format!("{}参数.toml", batch.name);
    let disposition = format!(
        "attachment; filename=\"batch-{}.toml\"; filename*=UTF-8''{}",
        batch.number,
        crate::fmt::url_encode(&file_name)
    );
    let mut response = text.into_response();
    let h = response.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/toml; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

#[derive(Debug, Deserialize)]
pub struct NoFields {}

/// `POST /admin/batches/{id}/open`.
pub async fn open(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Response, AppError> {
    let b = state.store.open_batch(id, &user.actor()).await?;
    push_flash(&session, Flash::success(format!("{}已开放报送", b.name))).await;
    Ok(Redirect::to(&format!("/admin/batches/{id}")).into_response())
}

/// `POST /admin/batches/{id}/close`.
pub async fn close(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Response, AppError> {
    let b = state.store.close_batch(id, &user.actor()).await?;
    push_flash(&session, Flash::success(format!("{}已截止报送", b.name))).await;
    Ok(Redirect::to(&format!("/admin/batches/{id}")).into_response())
}

#[derive(Debug, Deserialize)]
pub struct NewExtension {
    #[serde(default)]
    pub school: String,
    /// `YYYY-MM-DD HH:MM` (or `YYYY-MM-DDTHH:MM` from a datetime-local input), Asia/Shanghai.
    #[serde(default)]
    pub deadline: String,
}

/// A local date and time in Asia/Shanghai, as typed.
pub fn parse_local_deadline(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let t = text.trim().replace('T', " ");
    let naive = NaiveDateTime::parse_from_str(&t, "%Y-%m-%d %H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(&t, "%Y-%m-%d %H:%M:%S"))
        .ok()?;
    SHANGHAI
        .from_local_datetime(&naive)
        .single()
        .map(|d| d.with_timezone(&chrono::Utc))
}

/// `POST /admin/batches/{id}/extensions`: a school's own deadline.
pub async fn extend(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<NewExtension>,
) -> Result<Response, AppError> {
    let chosen = form.school.trim().to_owned();
    let refuse = async |m: String| -> Result<Response, AppError> {
        let input = PageInput {
            ext_school: chosen.clone(),
            ext_error: Some(m),
            ..PageInput::default()
        };
        let page = batch_page(&state, &user, &session, id, input).await?;
        Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
    };
    if chosen.is_empty() {
        return refuse("请从列表中选择要延期的学校".to_owned()).await;
    }
    let school = match state
        .app
        .pick_org(&chosen, shuangshi_app::picker::OrgKind::School)
        .await?
    {
        Ok(o) => o,
        Err(message) => return refuse(message).await,
    };
    let Some(deadline) = parse_local_deadline(&form.deadline) else {
        return refuse(format!(
            "延至「{}」不是日期时间；请用日期时间选择器选择，或按 2025-10-31 17:00 的格式填写（北京时间）",
            form.deadline.trim()
        ))
        .await;
    };
    match state
        .store
        .set_extension(id, school.id, deadline, &user.actor())
        .await
    {
        Ok(()) => {
            push_flash(
                &session,
                Flash::success(format!(
                    "已将「{}」的截止时间延至 {}",
                    school.name,
                    crate::fmt::datetime(&deadline)
                )),
            )
            .await;
            Ok(Redirect::to(&format!("/admin/batches/{id}")).into_response())
        }
        Err(StoreError::Invalid(m)) => refuse(m).await,
        Err(e) => Err(e.into()),
    }
}

/// `POST /admin/batches/{id}/extensions/{school_id}/delete`.
pub async fn remove_extension(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Path((id, school_id)): Path<(i64, i64)>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Response, AppError> {
    if !state
        .store
        .remove_extension(id, school_id, &user.actor())
        .await?
    {
        return Err(AppError::NotFound);
    }
    push_flash(&session, Flash::success("已取消该校的延期")).await;
    Ok(Redirect::to(&format!("/admin/batches/{id}")).into_response())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn names_and_deadlines() {
        assert_eq!(batch_name(10), "第十批");
        assert_eq!(batch_name(11), "第十一批");
        assert_eq!(batch_name(20), "第二十批");
        assert_eq!(batch_name(23), "第二十三批");
        let d = parse_local_deadline("2025-10-31 17:00").map(|d| d.to_rfc3339());
        assert_eq!(d.as_deref(), Some("2025-10-31T09:00:00+00:00"));
        assert!(parse_local_deadline("明天").is_none());
    }

    #[test]
    fn numbers_are_read_as_clerks_type_them() {
        assert_eq!(parse_int("x", "１０,０００", 0, 1_000_000, 1), Ok(10_000));
        let e = parse_int("补助标准（元/人）", "一万", 0, 1_000_000, 10000).unwrap_err();
        assert!(e.contains("「一万」不是数字"), "{e}");
        let e = parse_int("最低人数", "-1", 0, 1000, 2).unwrap_err();
        assert!(e.contains("不能为负数"), "{e}");
        assert!(
            parse_int("x", "2.5", 0, 9, 1)
                .unwrap_err()
                .contains("不是整数")
        );
    }

    #[test]
    fn an_unchanged_form_gives_back_the_stored_parameters() {
        let b = Batch::batch10();
        let (form, parsed) = ParamForm::apply(&b, &HashMap::new());
        assert_eq!(form.error_count(), 0);
        assert_eq!(parsed.as_ref(), Some(&b));
    }
}
