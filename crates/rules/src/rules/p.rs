//! Group P: the programme as a whole, against the batch's targets (一). For the commission.

use crate::batch::Batch;
use crate::finding::Finding;
use crate::rule;
use crate::tally::Tally;

rule! {
    /// More school teachers recommended than the batch's target (100), or more 科技副总 than 50.
    ///
    /// **条款** 一：「选派100名职业院校（含技工院校）优秀教师到企业担任工程师，其中50名挂任企业“科技副总”」。
    ///
    /// **Fix**: the commission selects down to the target.
    pub const P01 = "P01", Warning, "一", Batch, "学校派出人数超过计划";
}

rule! {
    /// More enterprise engineers recommended than the batch's target (100), or more 产业副院长 than 50.
    ///
    /// **条款** 一：「选派100名企业优秀工程师到职业院校（含技工院校）担任专业教师，其中50名挂任二级学院“产业副院长”」。
    ///
    /// **Fix**: the commission selects down to the target.
    pub const P02 = "P02", Warning, "一", Batch, "企业派出人数超过计划";
}

/// The P01 and P02 findings for a batch's tally (every form of the batch summed): the totals
/// against the batch's targets. `check` runs this over the input's tally; the service runs it over
/// the tally it keeps for the batch.
pub fn totals(b: &Batch, tally: &Tally) -> Vec<Finding> {
    let mut out = Vec::new();
    let Tally {
        teachers,
        tech_vps: vps,
        engineers,
        deans,
        ..
    } = *tally;
    let t = &b.targets;
    if teachers > t.school_to_enterprise {
        out.push(Finding::new(
            &P01,
            format!(
                "{}共推荐学校派出教师 {teachers} 人，超过计划 {} 人",
                b.name, t.school_to_enterprise
            ),
        ));
    }
    if vps > t.tech_vice_president {
        out.push(Finding::new(
            &P01,
            format!(
                "{}共推荐挂任「{}」{vps} 人，超过计划 {} 人",
                b.name, b.posts.school_senior, t.tech_vice_president
            ),
        ));
    }
    if engineers > t.enterprise_to_school {
        out.push(Finding::new(
            &P02,
            format!(
                "{}共推荐企业派出工程师 {engineers} 人，超过计划 {} 人",
                b.name, t.enterprise_to_school
            ),
        ));
    }
    if deans > t.industry_dean {
        out.push(Finding::new(
            &P02,
            format!(
                "{}共推荐挂任「{}」{deans} 人，超过计划 {} 人",
                b.name, b.posts.enterprise_senior, t.industry_dean
            ),
        ));
    }
    out
}
