//! Group T: teachers sent by schools (二(一)).

use crate::engine::{Ctx, FormCtx, RowCtx};
use crate::finding::{Finding, Severity};
use crate::form::Column;
use crate::rule;
use crate::text::parse_years;
use crate::titles::{Level, says_nothing};

rule! {
    /// 已取得的教师资格 includes 高等学校教师资格, 中等职业学校教师资格 or 高级中学教师资格 (the batch's
    /// list of accepted qualifications, which also knows the usual short forms such as 高校教师资格).
    ///
    /// **条款** 二(一)2：「具有高等学校教师、中等职业学校教师或高级中学教师以上资格」。
    ///
    /// **Fix**: name the qualification held, e.g. 「高等学校教师资格」.
    pub const T01 = "T01", Error, "二(一)2", Row, "教师具有高校、中职或高中教师资格";
}

rule! {
    /// 现任专业技术职务 is intermediate (中级) or higher, by the batch's title dictionary. A title the
    /// dictionary does not know is a `warning` asking for a human check, not an error.
    ///
    /// **条款** 二(一)2：「取得中级及以上专业技术职称」。
    ///
    /// **Fix**: a title of 中级 or above (讲师, 副教授, 高级讲师, 工程师 …).
    pub const T02 = "T02", Error / Warning, "二(一)2", Row, "教师职称为中级及以上";
}

rule! {
    /// 从事职业教育教学年限 (补充信息) is at least 3 years. `info` when the form does not say.
    ///
    /// **条款** 二(一)3：「从事职业教育教学工作三年及以上」。
    ///
    /// **Fix**: fill the 补充信息 column with the number of years.
    pub const T03 = "T03", Error / Info, "二(一)3", Row, "从事职业教育教学三年及以上";
}

rule! {
    /// The 优先条件 a teacher claims (骨干教师, 学科（专业）带头人, 优秀教师, 优秀教育工作者): reported
    /// for the commission's selection.
    ///
    /// **条款** 二(一)：「骨干教师、学科（专业）带头人、优秀教师、优秀教育工作者等，符合以上条件的，可优先选派」。
    ///
    /// **Fix**: nothing to fix; the commission reads it when selecting.
    pub const T04 = "T04", Info, "二(一)", Row, "可优先选派的条件";
}

pub(crate) fn check_row(ctx: &Ctx<'_>, fc: &FormCtx<'_>, rc: &RowCtx<'_>, out: &mut Vec<Finding>) {
    let batch = ctx.batch;
    let row = rc.row;
    // T01
    let cell = row.get(Column::TeacherQualification);
    if !cell.is_empty()
        && !ctx
            .normed
            .teacher_qualifications
            .iter()
            .any(|q| cell.norm().contains(q.as_str()))
    {
        out.push(fc.cell_finding(
            &T01,
            row,
            Column::TeacherQualification,
            format!(
                "填写为「{}」；学校派出教师须具有高等学校教师、中等职业学校教师或高级中学教师资格，请填写如「高等学校教师资格」",
                cell.raw
            ),
        ));
    }
    // T02
    let cell = row.get(Column::Title);
    if !cell.is_empty() {
        match ctx.dict.title_level_normed(cell.norm()) {
            Level::Known(l) if l >= ctx.dict.min_title => {}
            Level::Known(_) | Level::Nothing => out.push(fc.cell_finding(
                &T02,
                row,
                Column::Title,
                format!("填写为「{}」，低于中级；学校派出教师须取得中级及以上专业技术职称（如 讲师、副教授、高级讲师）", cell.raw),
            )),
            Level::Unknown => out.push(
                fc.cell_finding(
                    &T02,
                    row,
                    Column::Title,
                    format!("填写为「{}」，系统无法识别其职称等级，请人工核对是否为中级及以上", cell.raw),
                )
                .severity(Severity::Warning),
            ),
        }
    }
    // T03
    years(
        fc,
        rc,
        Column::TeachingYears,
        batch.years.teaching_min,
        &T03,
        "从事职业教育教学",
        out,
    );
    // T04
    let cell = row.get(Column::Priority);
    if fc.form.has_column(Column::Priority) && !cell.is_empty() && !says_nothing(cell.norm()) {
        let known = ctx
            .normed
            .priority_conditions
            .iter()
            .any(|p| cell.norm().contains(p.as_str()));
        let tail = if !known {
            format!(
                "：填写为「{}」，不是通知列出的优先条件（骨干教师、学科（专业）带头人、优秀教师、优秀教育工作者），遴选时请人工判断",
                cell.raw
            )
        } else {
            format!("：可优先选派：{}", cell.raw)
        };
        out.push(fc.cell_finding(&T04, row, Column::Priority, tail));
    }
}

/// The shared check of T03, E02 and E03: a number of years from a 补充信息 column.
pub(crate) fn years(
    fc: &FormCtx<'_>,
    rc: &RowCtx<'_>,
    col: Column,
    min: f64,
    rule: &crate::catalogue::RuleMeta,
    what: &str,
    out: &mut Vec<Finding>,
) {
    let row = rc.row;
    let cell = row.get(col);
    if !fc.form.has_column(col) || cell.is_empty() {
        let mut f = fc.cell_finding(
            rule,
            row,
            col,
            format!("：表中未注明{what}年限，须满{min}年，系统无法核对，请人工核实（在补充信息「{}」列填写可自动核对）", col.label()),
        );
        f.severity = Severity::Info;
        if !fc.form.has_column(col) {
            f.cell = None;
            f.value = None;
            f.message = format!(
                "{}第{}行：表中未注明{what}年限，须满{min}年，系统无法核对，请人工核实（在补充信息「{}」列填写可自动核对）",
                fc.place(),
                row.row,
                col.label()
            );
        }
        out.push(f);
        return;
    }
    match parse_years(cell.norm()) {
        Some(y) if y >= min => {}
        Some(_) => out.push(fc.cell_finding(
            rule,
            row,
            col,
            format!("填写为「{}」，不足{min}年；须{what}满{min}年", cell.raw),
        )),
        None => out.push(fc.cell_finding(
            rule,
            row,
            col,
            format!(
                "填写为「{}」，无法识别为年数；请填写数字，如「5」",
                cell.raw
            ),
        )),
    }
}
