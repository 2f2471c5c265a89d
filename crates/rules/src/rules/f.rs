//! Group F: the form itself — every cell of every row, the header line and the footer (附件 and its
//! note 「本表所有内容必须填写准确、规范、完整」).

use std::borrow::Cow;
use std::collections::HashMap;

use crate::engine::{Ctx, FormCtx, RowCtx, same_org_normed};
use crate::finding::Finding;
use crate::form::{Column, Direction};
use crate::rule;
use crate::text::{
    digits_ignoring, is_landline, norm, parse_batch_number, parse_mobile, parse_term,
};

rule! {
    /// Every one of the 15 content columns (all but 序号) is filled; 「无」 is the way to say none.
    /// One finding per empty cell; a column missing from the form's header is one finding for the form.
    ///
    /// **条款** 附件注：「本表所有内容必须填写准确、规范、完整」；四(四)：「对于材料不齐全、不规范的不予受理」。
    ///
    /// **Fix**: fill the cell, or write 「无」 (e.g. 现任行政职务 of a teacher without one).
    pub const F01 = "F01", Error, "附件", Row, "每一栏都已填写（没有的填「无」）";
}

rule! {
    /// 批次 denotes this batch. 「第十批」, 「第10批」 and 「10」 are the same batch.
    ///
    /// **条款** 标题及附件：「“双千双师交流计划”第十批交流互聘人员推荐表」，批次栏「第十批」。
    ///
    /// **Fix**: write the batch's name as the notice does (「第十批」).
    pub const F02 = "F02", Error, "附件", Row, "批次为本批次";
}

rule! {
    /// 交流期限 denotes this batch's term: 「2024年春季学期」; 「2024春季学期」 is the same.
    ///
    /// **条款** 四(一)：「第十批交流互聘时间为2024年春季学期。」
    ///
    /// **Fix**: write the term as the notice does.
    pub const F03 = "F03", Error, "四(一)", Row, "交流期限为本批次的交流时间";
}

rule! {
    /// 手机号码 is an 11-digit mainland mobile number, `1[3-9]` followed by 9 digits, after removing
    /// spaces and hyphens. A number stored as a spreadsheet number is read as its exact integer.
    ///
    /// **条款** 附件注：「本表所有内容必须填写准确、规范、完整」（手机号码栏）。
    ///
    /// **Fix**: an 11-digit mobile such as 13812345678.
    pub const F04 = "F04", Error, "附件", Row, "手机号码为11位大陆手机号";
}

rule! {
    /// 开户行 and 开户名 do not name a zero-balance account: neither contains 「零余额」.
    ///
    /// **条款** 附件表头：「学校对公账户开户行（不得填零余额银行）」。
    ///
    /// **Fix**: give the school's ordinary public account, which can receive the subsidy.
    pub const F05 = "F05", Error, "附件", Row, "不得填零余额账户";
}

rule! {
    /// 开户名 is the school's standardised full name: equal to the school named in the form's header,
    /// or, with an organisation registry, to the school's registered name. Never a person's name.
    ///
    /// **条款** 附件表头：「开户名（规范名称）」；四(三)：「补助经费直接划拨到相关学校」。
    ///
    /// **Fix**: the school's full registered name, exactly as the bank account is opened.
    pub const F06 = "F06", Error, "附件", Row, "开户名为学校规范全称";
}

rule! {
    /// 账户账号 is digits only (spaces allowed and ignored), 9 to 30 digits. An account number of more
    /// than 15 digits stored as a spreadsheet number has already lost its trailing digits.
    ///
    /// **条款** 附件表头：「账户账号」；附件注：「本表所有内容必须填写准确、规范、完整」。
    ///
    /// **Fix**: format the column as text and type the account number again.
    pub const F07 = "F07", Error, "附件", Row, "账户账号为9–30位数字";
}

rule! {
    /// The row's direction can be told, and 派出单位 / 接收单位 match the form's school and enterprise
    /// that way round: a teacher goes from the school to the enterprise, an engineer the other way.
    /// A 派出类别 column, when the form has one, decides the direction.
    ///
    /// **条款** 三(二)：「坚持人员选派与人员接收对等原则」；附件：「（学校派出人员）…（接收企业）」「（企业派出人员）…（接收学校）」。
    ///
    /// **Fix**: school-dispatched rows name the school as 派出单位 and the enterprise as 接收单位;
    /// enterprise-dispatched rows the reverse, with the names as in the header line.
    pub const F08 = "F08", Error, "三(二)", Row, "派出单位、接收单位与表头的学校、企业对应";
}

rule! {
    /// 拟挂任职务 is one of the batch's posts for the row's direction: 科技副总 / 工程师 for
    /// school-dispatched teachers, 产业副院长 / 专业教师 for enterprise-dispatched engineers.
    ///
    /// **条款** 一：「选派100名职业院校…优秀教师到企业担任工程师，其中50名挂任企业“科技副总”。选派100名企业优秀工程师到职业院校…担任专业教师，其中50名挂任二级学院“产业副院长”」。
    ///
    /// **Fix**: choose the post from the template's list.
    pub const F09 = "F09", Error, "一", Row, "拟挂任职务与派出方向相符";
}

rule! {
    /// All rows of one school carry the same bank, account name and account number (the subsidy goes
    /// to one account of the school). Rows that differ from the school's most common value are flagged.
    ///
    /// **条款** 四(三)：「补助经费直接划拨到相关学校」。
    ///
    /// **Fix**: use the one public account of the school on every row.
    pub const F10 = "F10", Warning, "四(三)", School, "同一学校各行账户信息一致";
}

rule! {
    /// The footer's 学校填表人 and 联系电话 are filled; 联系电话 is a mobile number or a landline
    /// (e.g. 023-63865672).
    ///
    /// **条款** 附件表尾：「学校填表人：        联系电话：」。
    ///
    /// **Fix**: fill both after 「学校填表人：」 and 「联系电话：」 below the table.
    pub const F11 = "F11", Error, "附件", Form, "表尾填表人和联系电话已填写";
}

rule! {
    /// The header line names both the school and the enterprise: 「交流互聘学校（盖章）：…」 and
    /// 「交流互聘企业（盖章）：…」. One form is one school–enterprise pair.
    ///
    /// **条款** 附件表头：「交流互聘学校（盖章）：      交流互聘企业（盖章）：」。
    ///
    /// **Fix**: write the school's and the enterprise's full names after the two labels.
    pub const F12 = "F12", Error, "附件", Form, "表头写明交流互聘学校和企业";
}

/// The 15 content columns (all but 序号).
const CONTENT: [Column; 15] = [
    Column::Batch,
    Column::Name,
    Column::SendingUnit,
    Column::AdminPost,
    Column::Field,
    Column::Title,
    Column::TeacherQualification,
    Column::SkillQualification,
    Column::Mobile,
    Column::Term,
    Column::ReceivingUnit,
    Column::Post,
    Column::Bank,
    Column::AccountName,
    Column::AccountNumber,
];

/// F01 (missing columns), F11 and F12.
pub(crate) fn check_form(ctx: &Ctx<'_>, fc: &FormCtx<'_>, out: &mut Vec<Finding>) {
    let _ = ctx;
    let form = fc.form;
    for col in CONTENT {
        if !form.has_column(col) && !fc.rows.is_empty() {
            out.push(fc.form_finding(
                &F01,
                Some(form.header_row),
                Some(col.label()),
                format!(
                    "{}第{}行表头中没有「{}」列；请使用官方推荐表的16列，不要删除或合并列",
                    fc.place(),
                    form.header_row,
                    col.label()
                ),
            ));
        }
    }
    let line_row = form.header_line_row;
    let missing =
        |name: &Option<crate::form::HeaderName>| name.as_ref().is_none_or(|n| n.norm.is_empty());
    if missing(&form.school) {
        out.push(fc.form_finding(
            &F12,
            line_row,
            Some("交流互聘学校"),
            format!(
                "{}表头未写明交流互聘学校；请在「交流互聘学校（盖章）：」后填写学校全称",
                fc.place()
            ),
        ));
    }
    if missing(&form.enterprise) {
        out.push(fc.form_finding(
            &F12,
            line_row,
            Some("交流互聘企业"),
            format!(
                "{}表头未写明交流互聘企业；请在「交流互聘企业（盖章）：」后填写企业全称",
                fc.place()
            ),
        ));
    }
    match &form.footer {
        None => out.push(fc.form_finding(
            &F11,
            None,
            Some("学校填表人"),
            format!(
                "{}表格下方没有找到「学校填表人：…  联系电话：…」；请保留表尾并填写填表人姓名和联系电话",
                fc.place()
            ),
        )),
        Some(footer) => {
            if norm(&footer.filler).is_empty() {
                out.push(fc.form_finding(
                    &F11,
                    Some(footer.row),
                    Some("学校填表人"),
                    format!("{}第{}行「学校填表人」未填写；请填写填表人姓名", fc.place(), footer.row),
                ));
            }
            let phone = norm(&footer.phone);
            if phone.is_empty() {
                out.push(fc.form_finding(
                    &F11,
                    Some(footer.row),
                    Some("联系电话"),
                    format!("{}第{}行表尾「联系电话」未填写；请填写手机号码或固定电话（如 023-63865672）", fc.place(), footer.row),
                ));
            } else if parse_mobile(&phone).is_none() && !is_landline(&phone) {
                let mut f = fc.form_finding(
                    &F11,
                    Some(footer.row),
                    Some("联系电话"),
                    format!(
                        "{}第{}行表尾「联系电话」填写为「{}」，不是有效的电话号码；应为11位手机号码或固定电话（如 023-63865672）",
                        fc.place(),
                        footer.row,
                        footer.phone.trim()
                    ),
                );
                f.value = Some(footer.phone.trim().to_string());
                out.push(f);
            }
        }
    }
}

/// F01–F09 on one row.
pub(crate) fn check_row(ctx: &Ctx<'_>, fc: &FormCtx<'_>, rc: &RowCtx<'_>, out: &mut Vec<Finding>) {
    let batch = ctx.batch;
    let row = rc.row;
    let form = fc.form;
    // F01
    for col in CONTENT {
        if form.has_column(col) && row.get(col).is_empty() {
            out.push(fc.cell_finding(
                &F01,
                row,
                col,
                "未填写；本表所有内容必须填写，没有的请填「无」".to_string(),
            ));
        }
    }
    // F02
    let cell = row.get(Column::Batch);
    if !cell.is_empty() && parse_batch_number(cell.norm()) != Some(batch.number) {
        out.push(fc.cell_finding(
            &F02,
            row,
            Column::Batch,
            format!("填写为「{}」，不是本批次；应填「{}」", cell.raw, batch.name),
        ));
    }
    // F03
    let cell = row.get(Column::Term);
    if !cell.is_empty() && parse_term(cell.norm()) != ctx.normed.term {
        out.push(fc.cell_finding(
            &F03,
            row,
            Column::Term,
            format!(
                "填写为「{}」，与本批次的交流时间不符；应填「{}」",
                cell.raw, batch.term
            ),
        ));
    }
    // F04
    let cell = row.get(Column::Mobile);
    if !cell.is_empty() && parse_mobile(cell.norm()).is_none() {
        out.push(fc.cell_finding(
            &F04,
            row,
            Column::Mobile,
            format!(
                "填写为「{}」，不是11位手机号码；应填以1开头、第二位为3–9的11位数字，如 13812345678（可含空格或短横线）",
                cell.raw
            ),
        ));
    }
    // F05
    for col in [Column::Bank, Column::AccountName] {
        let cell = row.get(col);
        if cell.norm().contains("零余额") {
            out.push(fc.cell_finding(
                &F05,
                row,
                col,
                format!(
                    "填写为「{}」，是零余额账户，无法接收补助经费；应填学校的基本户或一般户",
                    cell.raw
                ),
            ));
        }
    }
    // F06
    check_account_name(ctx, fc, rc, out);
    // F07
    let cell = row.get(Column::AccountNumber);
    if !cell.is_empty() {
        if cell.digits_lost {
            out.push(fc.cell_finding(
                &F07,
                row,
                Column::AccountNumber,
                format!(
                    "「{}」以数字格式保存，Excel 只保留15位有效数字，末尾几位已变成0；请把该列设置为「文本」格式后重新输入完整账号",
                    cell.raw
                ),
            ));
        } else {
            let digits = digits_ignoring(cell.norm(), &[]);
            let ok = digits.as_ref().is_some_and(|d| (9..=30).contains(&d.len()));
            if !ok {
                out.push(fc.cell_finding(
                    &F07,
                    row,
                    Column::AccountNumber,
                    format!(
                        "填写为「{}」，不是有效的账号；应为9至30位数字（可含空格）",
                        cell.raw
                    ),
                ));
            }
        }
    }
    // F08
    if let Some(problem) = &rc.problem {
        let col = if form.has_column(Column::Direction)
            && !row.get(Column::Direction).is_empty()
            && rc.direction.is_none()
        {
            Column::Direction
        } else if problem.contains("接收单位「") && !problem.contains("派出单位「") {
            Column::ReceivingUnit
        } else {
            Column::SendingUnit
        };
        out.push(fc.cell_finding(&F08, row, col, format!("：{problem}")));
    }
    // F09
    let cell = row.get(Column::Post);
    if let Some(d) = rc.direction
        && !cell.is_empty()
    {
        let posts = match d {
            Direction::School => &batch.posts.school,
            Direction::Enterprise => &batch.posts.enterprise,
        };
        if !ctx.normed.posts(d).iter().any(|p| p == cell.norm()) {
            out.push(fc.cell_finding(
                &F09,
                row,
                Column::Post,
                format!(
                    "填写为「{}」，{}人员可挂任的职务为 {}；请从中选择",
                    cell.raw,
                    d.label(),
                    posts.join("、")
                ),
            ));
        }
    }
}

fn check_account_name(ctx: &Ctx<'_>, fc: &FormCtx<'_>, rc: &RowCtx<'_>, out: &mut Vec<Finding>) {
    let row = rc.row;
    let cell = row.get(Column::AccountName);
    if cell.is_empty() || cell.norm().contains("零余额") {
        return;
    }
    let (header, header_norm) = fc
        .form
        .school
        .as_ref()
        .map_or(("", ""), |s| (s.raw.as_str(), s.norm.as_str()));
    let registered = fc.school_org.map(|o| o.name.as_str());
    if header.trim().is_empty() && registered.is_none() {
        return; // F12 reports the missing school; there is nothing to compare with.
    }
    let matches = same_org_normed(ctx.registry, cell.norm(), header_norm)
        || fc
            .school_org_norm
            .as_ref()
            .is_some_and(|r| *r == cell.norm());
    if matches {
        return;
    }
    let expected = registered.unwrap_or(header);
    let why = if cell.norm() == row.get(Column::Name).norm() {
        "是个人姓名；开户名必须是学校对公账户的户名".to_string()
    } else if fc
        .form
        .enterprise
        .as_ref()
        .is_some_and(|e| e.norm == cell.norm())
    {
        "是企业名称；补助经费拨付给学校，开户名应为学校".to_string()
    } else {
        "与学校规范名称不一致".to_string()
    };
    out.push(fc.cell_finding(
        &F06,
        row,
        Column::AccountName,
        format!(
            "填写为「{}」，{why}；应填学校规范全称「{expected}」",
            cell.raw
        ),
    ));
}

/// F10: one account per school across all its forms.
pub(crate) fn check_school_accounts<'a>(ctx: &Ctx<'a>, out: &mut Vec<Finding>) {
    for (_, forms) in ctx.schools() {
        for col in [Column::Bank, Column::AccountName, Column::AccountNumber] {
            let key = |s: &'a str| -> Cow<'a, str> {
                if col == Column::AccountNumber && s.contains(' ') {
                    Cow::Owned(s.replace(' ', ""))
                } else {
                    Cow::Borrowed(s)
                }
            };
            // Value → (rows, order of its first row). Rows usually repeat one value: count runs of
            // equal cells, and look each run up once.
            let mut counts: HashMap<Cow<'a, str>, (usize, usize)> = HashMap::new();
            let mut count_run = |run: Option<(&'a str, usize, usize)>| {
                if let Some((value, rows, first)) = run {
                    counts.entry(key(value)).or_insert((0, first)).0 += rows;
                }
            };
            let mut run: Option<(&'a str, usize, usize)> = None;
            let mut order = 0usize;
            for fc in &forms {
                for rc in &fc.rows {
                    let cell = rc.row.get(col);
                    if cell.is_empty() {
                        continue;
                    }
                    match &mut run {
                        Some((value, rows, _)) if *value == cell.norm() => *rows += 1,
                        _ => {
                            count_run(run.take());
                            run = Some((cell.norm(), 1, order));
                        }
                    }
                    order += 1;
                }
            }
            count_run(run);
            if counts.len() < 2 {
                continue;
            }
            // The most common value; ties go to the one seen first.
            let Some((common, _)) = counts
                .iter()
                .max_by(|a, b| a.1.0.cmp(&b.1.0).then(b.1.1.cmp(&a.1.1)))
            else {
                continue;
            };
            let common = common.clone();
            let mut common_raw = common.to_string();
            'find: for fc in &forms {
                for rc in &fc.rows {
                    if key(rc.row.get(col).norm()) == common {
                        common_raw = rc.row.get(col).raw.clone();
                        break 'find;
                    }
                }
            }
            for fc in &forms {
                for rc in &fc.rows {
                    let cell = rc.row.get(col);
                    if !cell.is_empty() && key(cell.norm()) != common {
                        out.push(fc.cell_finding(
                            &F10,
                            rc.row,
                            col,
                            format!(
                                "填写为「{}」，与本校其他行的「{}」不一致；同一学校各行应填写同一个对公账户",
                                cell.raw, common_raw
                            ),
                        ));
                    }
                }
            }
        }
    }
}
