//! 推荐表：the list with the school's standing (S01–S07, deadline), the form page (rows typed in
//! the browser, every finding on its cell; header line fixed, footer editable), row edit and
//! delete, the filled official xlsx and the A4-landscape print view.

use crate::disclosure::Disclosure;
use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Deserialize;
use shuangshi_app::forms::{Edit, Edited};
use shuangshi_app::ledger::Bank;
use shuangshi_rules::{Cell, Column, Finding, PersonRow};
use shuangshi_sheet::write::{Filled, filled_xlsx, template_xlsx};
use shuangshi_store::forms::CELLS;
use shuangshi_store::{FormMeta, FormRecord, ScanInfo};
use tower_sessions::Session;

use crate::auth::{CsrfForm, CurrentUser};
use crate::error::AppError;
use crate::filters;
use crate::forms::checks::{self, FormFindings, RowView, Standing};
use crate::session::{push_flash, take_flash};
use crate::shared::download::{XLSX, attachment};
use crate::shared::flash::back;
use crate::shared::officer::{SchoolCtx, SchoolData, load_school, school_ctx};
use crate::state::AppState;
use crate::ui::{self, Flash, Frame};

/// The standing panel of the school now.
pub fn school_standing(ctx: &SchoolCtx, data: &SchoolData) -> Standing {
    let (deadline, extended) = match &data.facts {
        Some(f) => (
            f.effective_deadline(),
            f.extension.is_some_and(|e| e > f.deadline),
        ),
        None => (ctx.batch.deadline(), false),
    };
    checks::standing(
        &ctx.batch.params,
        data.tier.as_deref(),
        &ctx.school_name,
        &data.tally,
        &data.report,
        (deadline, extended),
    )
}

/// One form in the list.
pub struct FormListRow {
    pub id: i64,
    pub enterprise: String,
    pub people: usize,
    pub sent: usize,
    pub received: usize,
    pub confirmed: usize,
    pub errors: usize,
    pub warnings: usize,
    pub version: i32,
    pub scan: &'static str,
    pub scan_class: &'static str,
    pub updated_at: chrono::DateTime<Utc>,
}

/// The label and tag class of a form's latest scan.
pub fn scan_state(scan: Option<&ScanInfo>) -> (&'static str, &'static str) {
    match scan {
        None => ("未上传", "tag tag-grey"),
        Some(s) if s.valid => ("已上传", "tag tag-green"),
        Some(_) => ("已作废，需重新上传", "tag tag-orange"),
    }
}

/// 推荐表 (list).
#[derive(Template, WebTemplate)]
#[template(path = "school/forms.html")]
pub struct FormsPage {
    pub frame: Frame,
    pub standing: Standing,
    pub columns: Vec<ui::Column>,
    pub rows: Vec<FormListRow>,
    pub submission: &'static str,
    pub pending_partners: u64,
}

/// `GET /forms`.
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
) -> Result<Response, AppError> {
    let ctx = school_ctx(&state.store, &user).await?;
    let data = load_school(&state, &ctx).await?;
    let mut rows = Vec::new();
    for (form, summary) in data.forms.iter().zip(&data.report.forms) {
        let laid = checks::lay_out(form, &data.report, &Disclosure::masked(&user));
        let scan = state.store.latest_scan(&ctx.scope, form.id).await?;
        let (scan, scan_class) = scan_state(scan.as_ref());
        rows.push(FormListRow {
            id: form.id,
            enterprise: form.enterprise_name.clone(),
            people: form.rows.len(),
            sent: summary.sent,
            received: summary.received,
            confirmed: form.rows.iter().filter(|r| r.confirmed()).count(),
            errors: laid.errors,
            warnings: laid.warnings,
            version: form.version,
            scan,
            scan_class,
            updated_at: form.updated_at,
        });
    }
    let pending_partners = state
        .store
        .list_partnerships(
            &ctx.scope,
            &shuangshi_store::PartnershipFilter {
                batch_id: Some(ctx.batch.id),
                status: Some(shuangshi_store::PartnershipStatus::Proposed),
                ..Default::default()
            },
            shuangshi_store::PageRequest::new(0, 1),
        )
        .await?
        .total;
    let standing = school_standing(&ctx, &data);
    let mut frame = user.frame_with_batch(&state, "推荐表", "forms").await?;
    for f in take_flash(&session).await {
        frame = frame.flash(f);
    }
    let columns = [
        "合作企业",
        "人数",
        "派出 / 接收",
        "企业已确认",
        "检查结果",
        "盖章扫描件",
        "版本",
        "更新时间",
        "操作",
    ]
    .into_iter()
    .map(|c| match c {
        "人数" | "版本" => ui::Column::new(c).class("num"),
        "操作" => ui::Column::new(c).class("w-actions"),
        _ => ui::Column::new(c),
    })
    .collect();
    Ok(FormsPage {
        frame,
        standing,
        columns,
        rows,
        submission: data
            .submission
            .as_ref()
            .map_or("草稿", |s| s.status.label()),
        pending_partners,
    }
    .into_response())
}

/// A column head of the form table.
pub struct ColumnHead {
    pub label: &'static str,
    pub official: bool,
}

fn heads() -> Vec<ColumnHead> {
    Column::ALL
        .iter()
        .map(|c| ColumnHead {
            label: c.template_header(),
            official: c.is_official(),
        })
        .collect()
}

/// One input of the row form.
pub struct FieldView {
    pub name: String,
    pub label: &'static str,
    pub value: String,
    pub findings: Vec<Finding>,
    /// The id of a `<datalist>` of usual values ("" for none).
    pub list: &'static str,
    pub required: bool,
    pub help: &'static str,
}

/// A `<datalist>` of usual values.
pub struct Choices {
    pub id: &'static str,
    pub values: Vec<String>,
}

fn choices(ctx: &SchoolCtx) -> Vec<Choices> {
    let b = &ctx.batch.params;
    let mut posts = b.posts.school.clone();
    posts.extend(b.posts.enterprise.iter().cloned());
    vec![
        Choices {
            id: "dl-batch",
            values: vec![b.name.clone()],
        },
        Choices {
            id: "dl-term",
            values: vec![b.term.clone()],
        },
        Choices {
            id: "dl-post",
            values: posts,
        },
        Choices {
            id: "dl-direction",
            values: vec!["学校派出".into(), "企业派出".into()],
        },
        Choices {
            id: "dl-qualification",
            values: b
                .teacher_qualifications
                .iter()
                .cloned()
                .chain(["无".to_owned()])
                .collect(),
        },
        Choices {
            id: "dl-form",
            values: b.exchange_forms.clone(),
        },
        Choices {
            id: "dl-priority",
            values: b.priority_conditions.clone(),
        },
        Choices {
            id: "dl-units",
            values: Vec::new(),
        },
    ]
}

fn field_list(c: Column) -> &'static str {
    match c {
        Column::Batch => "dl-batch",
        Column::Term => "dl-term",
        Column::Post => "dl-post",
        Column::Direction => "dl-direction",
        Column::TeacherQualification => "dl-qualification",
        Column::ExchangeForm => "dl-form",
        Column::Priority => "dl-priority",
        Column::SendingUnit | Column::ReceivingUnit | Column::AccountName => "dl-units",
        _ => "",
    }
}

fn field_help(c: Column) -> &'static str {
    match c {
        Column::Mobile => "11 位手机号码",
        Column::AccountNumber => "只填数字，9–30 位",
        Column::Bank => "不得填零余额账户",
        Column::AccountName => "学校规范全称",
        Column::TeacherQualification | Column::SkillQualification => "没有请填「无」",
        Column::AdminPost => "没有请填「无」",
        Column::Direction => "学校派出或企业派出",
        _ => "",
    }
}

/// The inputs of a row: `cells` in `Column::ALL` order with their findings (if any).
pub fn fields(cells: &[String], findings: Option<&RowView>) -> Vec<FieldView> {
    Column::ALL
        .iter()
        .enumerate()
        .map(|(i, &c)| FieldView {
            name: format!("c{i}"),
            label: c.template_header(),
            value: cells.get(i).cloned().unwrap_or_default(),
            findings: findings
                .and_then(|r| r.cells.get(i))
                .map(|cell| {
                    cell.findings
                        .iter()
                        .map(|f| {
                            let mut f = f.clone();
                            f.message = checks::cell_text(&f).to_owned();
                            f
                        })
                        .collect()
                })
                .unwrap_or_default(),
            list: field_list(c),
            required: c.is_official() && c != Column::Seq,
            help: field_help(c),
        })
        .collect()
}

/// The row typed in the browser, from the form's `c0`…`c21` fields.
pub fn cells_from(form: &HashMap<String, String>) -> Result<Vec<String>, AppError> {
    let mut cells = Vec::with_capacity(CELLS);
    for i in 0..CELLS {
        let v = form.get(&format!("c{i}")).map(|s| s.trim()).unwrap_or("");
        if v.chars().count() > 200 {
            return Err(AppError::bad_request(format!(
                "「{}」过长（最多 200 个字）",
                Column::ALL[i].label()
            )));
        }
        cells.push(v.to_owned());
    }
    if cells.iter().skip(1).all(String::is_empty) {
        return Err(AppError::bad_request("该行没有填写任何内容"));
    }
    Ok(cells)
}

fn expected_version(form: &HashMap<String, String>) -> Option<i32> {
    form.get("version").and_then(|v| v.parse().ok())
}

/// 推荐表 (one form).
#[derive(Template, WebTemplate)]
#[template(path = "school/form.html")]
pub struct FormPage {
    pub frame: Frame,
    pub form: FormRecord,
    pub laid: FormFindings,
    pub heads: Vec<ColumnHead>,
    pub new_fields: Vec<FieldView>,
    pub choices: Vec<Choices>,
    pub units: Vec<String>,
    pub editable: bool,
    pub scan: Option<ScanInfo>,
    pub scan_label: &'static str,
    pub scan_class: &'static str,
    pub standing: Standing,
    /// Whether the numbers are shown in full (「查看完整」) and whether the role may ask for that.
    pub full: bool,
    pub may_unmask: bool,
    pub batch_name: String,
    /// The enterprise's objection to a row, by row id (「有异议」 on its confirmation page).
    pub objections: std::collections::HashMap<i64, String>,
}

impl FormPage {
    /// The cell as shown (already through the request's [`Disclosure`]).
    pub fn shown(&self, cell: &checks::CellView) -> String {
        cell.value.clone()
    }

    /// `mobile` or `account` when the cell holds that number (its 「查看完整」), else "".
    pub fn number_of(&self, cell: &checks::CellView) -> &'static str {
        match cell.column {
            Column::Mobile => "mobile",
            Column::AccountNumber => "account",
            _ => "",
        }
    }

    /// The sheet row of a row of the grid (the first person is row 5, as in the form).
    pub fn row_no(&self, row: &checks::RowView) -> usize {
        row.number - 1 + shuangshi_store::forms::FIRST_ROW as usize
    }

    /// The enterprise's objection to row `id`, through the request's masking.
    pub fn objection(&self, id: &i64) -> Option<&str> {
        self.objections.get(id).map(String::as_str)
    }
}

/// Loads a form of the school (404 outside its scope).
pub async fn school_form(
    state: &AppState,
    ctx: &SchoolCtx,
    id: i64,
) -> Result<FormRecord, AppError> {
    let form = state
        .store
        .get_form(&ctx.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if form.school_id != ctx.school_id || form.batch_id != ctx.batch.id {
        return Err(AppError::NotFound);
    }
    Ok(form)
}

/// `GET /forms/{id}`.
pub async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    disclosure: Disclosure,
    session: Session,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let ctx = school_ctx(&state.store, &user).await?;
    let mut form = school_form(&state, &ctx, id).await?;
    let data = load_school(&state, &ctx).await?;
    let laid = checks::lay_out(&form, &data.report, &disclosure);
    form.phone = disclosure.phone(&form.phone);
    disclosure
        .record(
            &state.store,
            "form",
            format!("form:{}", form.id),
            format!("version {}", form.version),
        )
        .await;
    let scan = state.store.latest_scan(&ctx.scope, form.id).await?;
    let (scan_label, scan_class) = scan_state(scan.as_ref());
    let standing = school_standing(&ctx, &data);
    let objections = state
        .store
        .row_notes(&ctx.scope, form.id)
        .await?
        .into_iter()
        .filter_map(|(id, n)| n.objection.map(|o| (id, disclosure.text(&o))))
        .collect();
    let mut frame = user
        .frame_with_batch(
            &state,
            &format!("推荐表：{}", form.enterprise_name),
            "forms",
        )
        .await?;
    for f in take_flash(&session).await {
        frame = frame.flash(f);
    }
    let mut blank = vec![String::new(); CELLS];
    blank[Column::Seq as usize] = (form.rows.len() + 1).to_string();
    blank[Column::Batch as usize] = ctx.batch.params.name.clone();
    blank[Column::Term as usize] = ctx.batch.params.term.clone();
    // F10: every row of a school carries the same bank details, so a new row starts with the
    // school's (the account as the page shows it; sent back unchanged it is kept, see `add_row`).
    if let Some(bank) = Bank::of_forms(&data.forms) {
        blank[Column::Bank as usize] = bank.bank;
        blank[Column::AccountName as usize] = bank.account_name;
        blank[Column::AccountNumber as usize] =
            disclosure.cell(Column::AccountNumber, &bank.account_number);
    }
    let units = vec![form.school_name.clone(), form.enterprise_name.clone()];
    Ok(FormPage {
        frame,
        laid,
        heads: heads(),
        new_fields: fields(&blank, None),
        choices: choices(&ctx),
        units,
        editable: data.editable(&ctx),
        scan,
        scan_label,
        scan_class,
        standing,
        full: disclosure.full(),
        may_unmask: disclosure.may_unmask(),
        batch_name: ctx.batch.name.clone(),
        objections,
        form,
    }
    .into_response())
}

/// Flash after a save: what the check now says about the row.
async fn saved_flash(
    state: &AppState,
    user: &CurrentUser,
    ctx: &SchoolCtx,
    form_id: i64,
    row_id: i64,
    what: &str,
) -> Result<Flash, AppError> {
    let data = load_school(state, ctx).await?;
    let Some(form) = data.forms.iter().find(|f| f.id == form_id) else {
        return Ok(Flash::success(what.to_owned()));
    };
    let laid = checks::lay_out(form, &data.report, &Disclosure::masked(user));
    Ok(match laid.rows.iter().find(|r| r.id == row_id) {
        Some(r) if r.errors > 0 => Flash::warning(format!(
            "{what}：第 {} 行（{}）有 {} 处错误、{} 处警告，已在单元格上标出，请修改",
            r.number,
            if r.name().is_empty() {
                "未填姓名"
            } else {
                r.name()
            },
            r.errors,
            r.warnings
        )),
        Some(r) if r.warnings > 0 => Flash::info(format!(
            "{what}：第 {} 行有 {} 处警告，请核对",
            r.number, r.warnings
        )),
        _ => Flash::success(format!("{what}，检查通过")),
    })
}

/// A refusal the user can act on becomes a flash on the page; anything else an error.
async fn refused(
    session: &Session,
    e: shuangshi_app::Error,
    to: &str,
) -> Result<Response, AppError> {
    let e = AppError::from(e);
    match e {
        AppError::NotFound | AppError::Internal(_) => Err(e),
        other => {
            push_flash(session, Flash::error(other.to_string())).await;
            Ok(back(to))
        }
    }
}

/// `POST /forms/{id}/rows`: adds a typed row; it is checked at once.
pub async fn add_row(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Path(id): Path<i64>,
    CsrfForm(body): CsrfForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let ctx = school_ctx(&state.store, &user).await?;
    school_form(&state, &ctx, id).await?;
    let to = format!("/forms/{id}");
    let mut cells = match cells_from(&body) {
        Ok(c) => c,
        Err(e) => {
            push_flash(&session, Flash::error(e.to_string())).await;
            return Ok(back(&to));
        }
    };
    // The account the new row was pre-filled with, sent back as the page showed it (masked).
    let account = Column::AccountNumber as usize;
    if cells[account].contains('*') {
        let data = load_school(&state, &ctx).await?;
        if let Some(bank) = Bank::of_forms(&data.forms)
            && cells[account]
                == Disclosure::masked(&user).cell(Column::AccountNumber, &bank.account_number)
        {
            cells[account] = bank.account_number;
        }
    }
    match state
        .app
        .edit_form(
            &ctx.scope,
            &user.actor(),
            &ctx.batch,
            id,
            expected_version(&body),
            &Edit::AddRow(cells),
        )
        .await
    {
        Ok(Edited {
            row_id: Some(row_id),
            ..
        }) => {
            let flash = saved_flash(&state, &user, &ctx, id, row_id, "已添加").await?;
            push_flash(&session, flash).await;
            Ok(back(&format!("{to}#row-{row_id}")))
        }
        Ok(_) => Err(AppError::NotFound),
        Err(e) => refused(&session, e, &to).await,
    }
}

/// 编辑第 N 行.
#[derive(Template, WebTemplate)]
#[template(path = "school/row_edit.html")]
pub struct RowEditPage {
    pub frame: Frame,
    pub form: FormRecord,
    pub row: RowView,
    pub fields: Vec<FieldView>,
    pub choices: Vec<Choices>,
    pub units: Vec<String>,
    pub editable: bool,
}

/// `GET /forms/{id}/rows/{row_id}/edit`.
pub async fn edit_row_page(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Path((id, row_id)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    let ctx = school_ctx(&state.store, &user).await?;
    let form = school_form(&state, &ctx, id).await?;
    let data = load_school(&state, &ctx).await?;
    // The edit form needs the values as stored: an unmasked view, audited.
    let disclosure = Disclosure::for_editing(&user);
    let laid = checks::lay_out(&form, &data.report, &disclosure);
    disclosure
        .record(
            &state.store,
            "row_edit",
            format!("form:{}", form.id),
            format!("row {row_id}"),
        )
        .await;
    let row = laid
        .rows
        .into_iter()
        .find(|r| r.id == row_id)
        .ok_or(AppError::NotFound)?;
    let cells: Vec<String> = row.cells.iter().map(|c| c.value.clone()).collect();
    let mut frame = user
        .frame_with_batch(&state, &format!("编辑第 {} 行", row.number), "forms")
        .await?
        .breadcrumbs([
            ("首页".to_owned(), Some("/".to_owned())),
            ("推荐表".to_owned(), Some("/forms".to_owned())),
            (form.enterprise_name.clone(), Some(format!("/forms/{id}"))),
            (format!("编辑第 {} 行", row.number), None),
        ]);
    for f in take_flash(&session).await {
        frame = frame.flash(f);
    }
    Ok(RowEditPage {
        frame,
        fields: fields(&cells, Some(&row)),
        row,
        choices: choices(&ctx),
        units: vec![form.school_name.clone(), form.enterprise_name.clone()],
        editable: data.editable(&ctx),
        form,
    }
    .into_response())
}

/// `POST /forms/{id}/rows/{row_id}`: saves an edited row (its confirmation by the enterprise is
/// cleared when a cell changes).
pub async fn update_row(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Path((id, row_id)): Path<(i64, i64)>,
    CsrfForm(body): CsrfForm<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let ctx = school_ctx(&state.store, &user).await?;
    let form = school_form(&state, &ctx, id).await?;
    if !form.rows.iter().any(|r| r.id == row_id) {
        return Err(AppError::NotFound);
    }
    let edit = format!("/forms/{id}/rows/{row_id}/edit");
    let cells = match cells_from(&body) {
        Ok(c) => c,
        Err(e) => {
            push_flash(&session, Flash::error(e.to_string())).await;
            return Ok(back(&edit));
        }
    };
    match state
        .app
        .edit_form(
            &ctx.scope,
            &user.actor(),
            &ctx.batch,
            id,
            expected_version(&body),
            &Edit::UpdateRow { row_id, cells },
        )
        .await
    {
        Ok(_) => {
            let flash = saved_flash(&state, &user, &ctx, id, row_id, "已保存").await?;
            push_flash(&session, flash).await;
            Ok(back(&format!("/forms/{id}#row-{row_id}")))
        }
        Err(e) => refused(&session, e, &edit).await,
    }
}

/// A form that only carries the version it was made from.
#[derive(Debug, Deserialize)]
pub struct VersionForm {
    #[serde(default)]
    pub version: Option<i32>,
}

/// `POST /forms/{id}/rows/{row_id}/delete`.
pub async fn delete_row(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Path((id, row_id)): Path<(i64, i64)>,
    CsrfForm(body): CsrfForm<VersionForm>,
) -> Result<Response, AppError> {
    let ctx = school_ctx(&state.store, &user).await?;
    let form = school_form(&state, &ctx, id).await?;
    let Some(row) = form.rows.iter().find(|r| r.id == row_id) else {
        return Err(AppError::NotFound);
    };
    let name = row.cell(Column::Name).to_owned();
    let to = format!("/forms/{id}");
    match state
        .app
        .edit_form(
            &ctx.scope,
            &user.actor(),
            &ctx.batch,
            id,
            body.version,
            &Edit::DeleteRow { row_id },
        )
        .await
    {
        Ok(_) => {
            push_flash(
                &session,
                Flash::success(format!(
                    "已删除「{}」一行",
                    if name.is_empty() {
                        "未填姓名"
                    } else {
                        &name
                    }
                )),
            )
            .await;
            Ok(back(&to))
        }
        Err(e) => refused(&session, e, &to).await,
    }
}

/// The footer form (the header line is fixed: the partnership's school and enterprise).
#[derive(Debug, Deserialize)]
pub struct MetaForm {
    #[serde(default)]
    pub version: Option<i32>,
    #[serde(default)]
    pub filler: String,
    #[serde(default)]
    pub phone: String,
}

/// `POST /forms/{id}/meta`.
pub async fn save_meta(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Path(id): Path<i64>,
    CsrfForm(body): CsrfForm<MetaForm>,
) -> Result<Response, AppError> {
    let ctx = school_ctx(&state.store, &user).await?;
    let form = school_form(&state, &ctx, id).await?;
    let to = format!("/forms/{id}");
    if body.filler.chars().count() > 50 || body.phone.chars().count() > 50 {
        push_flash(&session, Flash::error("填表人和联系电话均不超过 50 个字")).await;
        return Ok(back(&to));
    }
    let meta = FormMeta {
        header_school: form.school_name.clone(),
        header_enterprise: form.enterprise_name.clone(),
        filler: body.filler,
        phone: Disclosure::kept(&form.phone, &body.phone),
    };
    match state
        .app
        .edit_form(
            &ctx.scope,
            &user.actor(),
            &ctx.batch,
            id,
            body.version,
            &Edit::Meta(meta),
        )
        .await
    {
        Ok(_) => {
            push_flash(&session, Flash::success("已保存表头与表尾")).await;
            Ok(back(&format!("{to}#footer")))
        }
        Err(e) => refused(&session, e, &to).await,
    }
}

/// The content of a stored form for the writers.
pub fn filled(form: &FormRecord) -> Filled {
    Filled {
        school: if form.header_school.is_empty() {
            form.school_name.clone()
        } else {
            form.header_school.clone()
        },
        enterprise: if form.header_enterprise.is_empty() {
            form.enterprise_name.clone()
        } else {
            form.header_enterprise.clone()
        },
        rows: form
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let mut row = PersonRow::new(u32::try_from(i).unwrap_or(0) + 1);
                for (c, v) in Column::ALL.iter().zip(&r.cells) {
                    row.set(*c, Cell::text(v.as_str()));
                }
                row
            })
            .collect(),
        filler: form.filler.clone(),
        phone: form.phone.clone(),
        supplementary: true,
    }
}

async fn audit_export(state: &AppState, user: &CurrentUser, form: &FormRecord, what: &str) {
    crate::shared::audit::audit(
        &state.store,
        user,
        &format!("export.form_{what}"),
        format!("form:{}", form.id),
        format!("version {}", form.version),
    )
    .await;
}

/// `GET /forms/{id}/download.xlsx`: the filled official form.
pub async fn download(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let ctx = school_ctx(&state.store, &user).await?;
    let form = school_form(&state, &ctx, id).await?;
    let bytes = filled_xlsx(&ctx.batch.params, &filled(&form)).map_err(AppError::internal)?;
    audit_export(&state, &user, &form, "xlsx").await;
    Ok(attachment(
        bytes,
        XLSX,
        &format!(
            "{}推荐表（{}—{}）.xlsx",
            ctx.batch.name, form.school_name, form.enterprise_name
        ),
    ))
}

/// `GET /forms/template.xlsx`: the blank official template.
pub async fn template(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Response, AppError> {
    let ctx = school_ctx(&state.store, &user).await?;
    let bytes = template_xlsx(&ctx.batch.params).map_err(AppError::internal)?;
    Ok(attachment(
        bytes,
        XLSX,
        &format!("{}交流互聘人员推荐表（模板）.xlsx", ctx.batch.name),
    ))
}

/// The print view: A4 landscape, for sealing.
#[derive(Template, WebTemplate)]
#[template(path = "school/print.html")]
pub struct PrintPage {
    pub title: String,
    pub form: FormRecord,
    pub heads: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
    pub back: String,
}

/// `GET /forms/{id}/print`.
pub async fn print(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let ctx = school_ctx(&state.store, &user).await?;
    let form = school_form(&state, &ctx, id).await?;
    audit_export(&state, &user, &form, "print").await;
    let rows = form
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            Column::OFFICIAL
                .iter()
                .map(|&c| {
                    if c == Column::Seq {
                        (i + 1).to_string()
                    } else {
                        r.cell(c).to_owned()
                    }
                })
                .collect()
        })
        .collect();
    Ok(PrintPage {
        title: shuangshi_sheet::write::template::title(&ctx.batch.params),
        heads: Column::OFFICIAL
            .iter()
            .map(|c| c.template_header())
            .collect(),
        rows,
        back: format!("/forms/{id}"),
        form,
    }
    .into_response())
}
