//! Group E: engineers sent by enterprises (二(二)).

use crate::engine::{Ctx, FormCtx, RowCtx};
use crate::finding::{Finding, Severity};
use crate::form::Column;
use crate::rule;
use crate::rules::t::years;
use crate::titles::Level;

rule! {
    /// 现任专业技术职务 is intermediate (中级) or higher, **or** 已取得的职业技能资格 is 技师 (二级) or
    /// higher (高级技师 / 一级, 特级技师, 首席技师). When neither qualifies and one of them is text the
    /// dictionaries do not know, the finding is a `warning` asking for a human check.
    ///
    /// **条款** 二(二)2：「取得中级以上专业技术职称或技师以上职业技能资格」。
    ///
    /// **Fix**: a title of 中级 or above, or a skill level of 技师 or above.
    pub const E01 = "E01", Error / Warning, "二(二)2", Row, "工程师职称中级以上或技能技师以上";
}

rule! {
    /// 本企业工作年限 (补充信息) is at least 5 years. `info` when the form does not say.
    ///
    /// **条款** 二(二)2：「在本企业工作五年以上」。
    ///
    /// **Fix**: fill the 补充信息 column with the number of years.
    pub const E02 = "E02", Error / Info, "二(二)2", Row, "在本企业工作五年以上";
}

rule! {
    /// 生产一线工作年限 (补充信息) is at least 3 years. `info` when the form does not say.
    ///
    /// **条款** 二(二)2：「具有三年以上生产一线工作经历」。
    ///
    /// **Fix**: fill the 补充信息 column with the number of years.
    pub const E03 = "E03", Error / Info, "二(二)2", Row, "三年以上生产一线工作经历";
}

pub(crate) fn check_row(ctx: &Ctx<'_>, fc: &FormCtx<'_>, rc: &RowCtx<'_>, out: &mut Vec<Finding>) {
    let row = rc.row;
    let title = row.get(Column::Title);
    let skill = row.get(Column::SkillQualification);
    if !(title.is_empty() && skill.is_empty()) {
        let t = if title.is_empty() {
            Level::Nothing
        } else {
            ctx.dict.title_level_normed(title.norm())
        };
        let s = if skill.is_empty() {
            Level::Nothing
        } else {
            ctx.dict.skill_level_normed(skill.norm())
        };
        let title_ok = matches!(t, Level::Known(l) if l >= ctx.dict.min_title);
        let skill_ok = matches!(s, Level::Known(l) if l >= ctx.dict.min_skill);
        if !title_ok && !skill_ok {
            let unknown = t == Level::Unknown || s == Level::Unknown;
            let tail = format!(
                "填写为「{}」，已取得的职业技能资格为「{}」；企业派出人员须取得中级以上专业技术职称或技师（二级）以上职业技能资格{}",
                title.raw,
                skill.raw,
                if unknown {
                    "，系统无法识别其等级，请人工核对"
                } else {
                    ""
                }
            );
            let f = fc.cell_finding(&E01, row, Column::Title, tail);
            out.push(if unknown {
                f.severity(Severity::Warning)
            } else {
                f
            });
        }
    }
    let years_min = &ctx.batch.years;
    years(
        fc,
        rc,
        Column::EnterpriseYears,
        years_min.enterprise_min,
        &E02,
        "在本企业工作",
        out,
    );
    years(
        fc,
        rc,
        Column::FrontlineYears,
        years_min.frontline_min,
        &E03,
        "生产一线工作",
        out,
    );
}
