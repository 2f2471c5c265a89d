//! Group S: each school's whole batch, across all its forms (三(二), 三(三)). The tier comes from the
//! organisation registry.

use crate::batch::Tier;
use crate::engine::{Ctx, FormCtx};
use crate::finding::Finding;
use crate::form::{Column, Direction};
use crate::rule;
use crate::tally::Tally;
use crate::text::norm;

rule! {
    /// Reciprocity: the school sends as many people as it receives, over all its forms.
    ///
    /// **条款** 三(二)：「坚持人员选派与人员接收对等原则，在派出交流人员的同时，相应专业、岗位同时接收交流人员」。
    ///
    /// **Fix**: add the missing people on either side, or remove the surplus.
    pub const S01 = "S01", Error, "三(二)", School, "学校派出与接收人数对等";
}

rule! {
    /// Each 从事学科专业领域 among the school's outgoing teachers has an incoming engineer in a
    /// corresponding field: the two fields are equal, one contains the other, or they share a
    /// two-character word that is not too generic (the batch's `generic_bigrams`, e.g. 技术, 工程).
    ///
    /// **条款** 三(二)：「在派出交流人员的同时，相应专业、岗位同时接收交流人员」。
    ///
    /// **Fix**: receive an engineer in the teacher's field, or check that the fields do correspond.
    pub const S02 = "S02", Warning, "三(二)", School, "派出教师的专业有相应专业的接收人员";
}

rule! {
    /// The headcount minimums of the school's tier: 国家双高 6 sent and 6 received, 市级双高 4 and 4,
    /// 其他高职 2 and 2 (技工院校 and 中职 are encouraged, without a minimum). A school with no rows in
    /// the batch is not checked.
    ///
    /// **条款** 三(二)：「各国家“双高计划”院校与企业交流互聘人员推荐不少于12名（分别派出6名、接收6名）、市级“双高计划”院校…不少于8名（分别派出4名、接收4名）、其他高职院校…不少于4名（分别派出2名、接收2名）」。
    ///
    /// **Fix**: recommend at least the tier's minimum in each direction.
    pub const S03 = "S03", Error, "三(二)", School, "达到学校类别的推荐人数下限";
}

rule! {
    /// The 科技副总 minimum of the school's tier: 国家双高 3, 市级双高 2, 其他高职 and 技工院校 1.
    /// [interpretation] 三(三) names 技工院校 with 其他高职, so a participating 技工院校 needs one.
    ///
    /// **条款** 三(三)：「国家“双高计划”院校至少选派3名符合条件的专家到企业挂任“科技副总”…市级“双高计划”院校至少选派2名…其他高职院校（含技工院校）至少选派1名」。
    ///
    /// **Fix**: make enough of the school's teachers 科技副总.
    pub const S04 = "S04", Error, "三(三)", School, "科技副总人数达到下限";
}

rule! {
    /// The 产业副院长 minimum of the school's tier: 国家双高 3, 市级双高 2, 其他高职 and 技工院校 1.
    ///
    /// **条款** 三(三)：「交流互聘企业选派3名符合条件的优秀工程师到学校二级学院挂任“产业副院长”」（市级双高2名，其他高职院校（含技工院校）1名）。
    ///
    /// **Fix**: make enough of the received engineers 产业副院长.
    pub const S05 = "S05", Error, "三(三)", School, "产业副院长人数达到下限";
}

rule! {
    /// One school–enterprise form sends and receives different numbers of people. The school as a whole
    /// may still balance (S01 decides); this only points at the form.
    ///
    /// **条款** 三(二)：「突出双方需求对等」「坚持人员选派与人员接收对等原则」。
    ///
    /// **Fix**: nothing, if another form of the school balances it.
    pub const S06 = "S06", Warning, "三(二)", Form, "单张推荐表派出与接收不对等";
}

rule! {
    /// Without an organisation registry (or when the school is not in it, or is not registered as a
    /// school), the tier is unknown and S03–S05 are not checked.
    ///
    /// **条款** 三(二)、三(三)：the minimums depend on the school's tier (国家双高, 市级双高, 其他高职, 技工院校, 中职).
    ///
    /// **Fix**: give the registry (`--orgs`) with the school's 单位类别.
    pub const S07 = "S07", Info, "三(二)", School, "学校类别未知，未核对人数下限";
}

struct Standing<'f, 'a> {
    /// The school's people over all its forms.
    tally: Tally,
    forms: Vec<&'f FormCtx<'a>>,
}

pub(crate) fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let batch = ctx.batch;
    for (_, forms) in ctx.schools() {
        let st = Standing {
            tally: forms.iter().map(|fc| fc.tally).sum(),
            forms,
        };
        let t = st.tally;
        if t.teachers == 0 && t.engineers == 0 {
            continue;
        }
        let Some(first) = st.forms.first().copied() else {
            continue;
        };
        let name = first.school_name().unwrap_or_default();
        let school_finding = |rule, message: String| {
            let mut f = Finding::new(rule, message);
            f.file = Some(first.form.file.clone());
            f.school = Some(name.clone());
            f
        };
        // S01
        if let Some(f) = reciprocity(&t, &name, "全部推荐表合计") {
            out.push(school_finding(f.0, f.1));
        }
        // S02
        check_fields(ctx, &st, out);
        // S06
        for fc in &st.forms {
            let (s, r) = (fc.tally.teachers, fc.tally.engineers);
            if s != r {
                out.push(fc.form_finding(
                    &S06,
                    None,
                    None,
                    format!(
                        "{}（{name} — {}）派出 {s} 人、接收 {r} 人，本表不对等；若本校其他推荐表已补足可忽略",
                        fc.place(),
                        fc.form.enterprise.as_ref().map(|e| e.raw.as_str()).unwrap_or("未写明企业")
                    ),
                ));
            }
        }
        // S03–S05, S07
        let org = first.school_org;
        let tier: Result<&Tier, String> = match (ctx.registry, org) {
            (None, _) => Err("未提供单位名录（--orgs），无法确定学校类别".to_string()),
            (Some(_), None) => Err(format!("单位名录中没有「{name}」，无法确定学校类别")),
            (Some(_), Some(o)) => batch
                .tier(&o.category)
                .ok_or_else(|| format!("单位名录中「{}」的单位类别为「{}」，不是学校类别（国家双高、市级双高、其他高职、技工院校、中职）", o.name, o.category)),
        };
        match tier {
            Err(why) => out.push(school_finding(
                &S07,
                format!("「{name}」：{why}，未核对推荐人数、科技副总和产业副院长下限（S03–S05）"),
            )),
            Ok(tier) => out.extend(
                minimums(&st.tally, tier, batch, &name)
                    .into_iter()
                    .map(|(rule, message)| school_finding(rule, message)),
            ),
        }
    }
}

type Worded = (&'static crate::catalogue::RuleMeta, String);

/// S01 over a school's tally: `what` says which people were counted.
fn reciprocity(t: &Tally, name: &str, what: &str) -> Option<Worded> {
    (t.teachers != t.engineers).then(|| {
        (
            &S01,
            format!(
                "「{name}」{what}派出 {} 人、接收 {} 人，不对等；派出与接收人数应相等",
                t.teachers, t.engineers
            ),
        )
    })
}

/// S01 and S03–S05 over the people of a school that were selected (遴选), worded as the
/// recommendation check words them: the selection page shows where each school would stand.
pub fn selected_standing(
    batch: &crate::batch::Batch,
    tier: &Tier,
    name: &str,
    tally: &Tally,
) -> Vec<Finding> {
    reciprocity(tally, name, "入选人员")
        .into_iter()
        .chain(minimums(tally, tier, batch, name))
        .map(|(rule, message)| {
            let mut f = Finding::new(rule, message);
            f.school = Some(name.to_owned());
            f
        })
        .collect()
}

fn minimums(tally: &Tally, t: &Tier, batch: &crate::batch::Batch, name: &str) -> Vec<Worded> {
    let mut out: Vec<Worded> = Vec::new();
    if tally.teachers < t.min_sent {
        out.push((
            &S03,
            format!(
                "「{name}」为{}院校，派出 {} 人，少于下限 {} 人",
                t.name, tally.teachers, t.min_sent
            ),
        ));
    }
    if tally.engineers < t.min_received {
        out.push((
            &S03,
            format!(
                "「{name}」为{}院校，接收 {} 人，少于下限 {} 人",
                t.name, tally.engineers, t.min_received
            ),
        ));
    }
    if tally.tech_vps < t.min_school_senior {
        out.push((
            &S04,
            format!(
                "「{name}」为{}院校，挂任「{}」{} 人，少于下限 {} 人",
                t.name, batch.posts.school_senior, tally.tech_vps, t.min_school_senior
            ),
        ));
    }
    if tally.deans < t.min_enterprise_senior {
        out.push((
            &S05,
            format!(
                "「{name}」为{}院校，接收挂任「{}」{} 人，少于下限 {} 人",
                t.name, batch.posts.enterprise_senior, tally.deans, t.min_enterprise_senior
            ),
        ));
    }
    out
}

fn is_cjk(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

/// True when two subject fields correspond (see S02).
pub fn fields_correspond(a: &str, b: &str, generic: &[String]) -> bool {
    fields_correspond_normed(&norm(a), &norm(b), generic)
}

/// [`fields_correspond`] for fields already normalised.
fn fields_correspond_normed(a: &str, b: &str, generic: &[String]) -> bool {
    if a.is_empty() || b.is_empty() {
        return false;
    }
    if a.contains(b) || b.contains(a) {
        return true;
    }
    let bigrams = |s: &str| -> Vec<String> {
        let cs: Vec<char> = s.chars().collect();
        cs.windows(2)
            .filter(|w| is_cjk(w[0]) && is_cjk(w[1]))
            .map(|w| w.iter().collect::<String>())
            .filter(|g| !generic.iter().any(|x| x == g))
            .collect()
    };
    let bb = bigrams(b);
    bigrams(a).iter().any(|g| bb.contains(g))
}

fn check_fields(ctx: &Ctx<'_>, st: &Standing<'_, '_>, out: &mut Vec<Finding>) {
    let generic = &ctx.batch.fields.generic_bigrams;
    let incoming: Vec<&crate::form::Cell> = st
        .forms
        .iter()
        .flat_map(|fc| fc.rows.iter())
        .filter(|rc| rc.direction == Some(Direction::Enterprise))
        .map(|rc| rc.row.get(Column::Field))
        .filter(|f| !f.raw.trim().is_empty())
        .collect();
    // Each distinct field once, normalised, for matching.
    let mut distinct: Vec<&str> = incoming.iter().map(|c| c.norm()).collect();
    distinct.sort_unstable();
    distinct.dedup();
    for fc in &st.forms {
        for rc in fc
            .rows
            .iter()
            .filter(|rc| rc.direction == Some(Direction::School))
        {
            let cell = rc.row.get(Column::Field);
            if cell.is_empty()
                || distinct
                    .iter()
                    .any(|i| fields_correspond_normed(cell.norm(), i, generic))
            {
                continue;
            }
            let list = if incoming.is_empty() {
                "（无）".to_string()
            } else {
                incoming
                    .iter()
                    .map(|c| c.raw.as_str())
                    .collect::<Vec<_>>()
                    .join("、")
            };
            out.push(fc.cell_finding(
                &S02,
                rc.row,
                Column::Field,
                format!("填写为「{}」，本校接收的企业人员中没有相应专业（接收人员专业：{list}）；请核对是否「相应专业、岗位同时接收」", cell.raw),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_correspond_by_a_meaningful_shared_word() {
        let g = crate::batch::Batch::batch10().fields.generic_bigrams;
        assert!(fields_correspond("机械设计制造及其自动化", "机械制造", &g));
        assert!(fields_correspond("数控技术", "数控加工", &g));
        assert!(fields_correspond("汽车", "新能源汽车技术", &g));
        assert!(!fields_correspond("计算机应用技术", "汽车检测技术", &g));
        assert!(!fields_correspond("会计", "护理", &g));
    }
}

#[cfg(test)]
mod selected_tests {
    use super::*;

    #[test]
    fn selected_standing_names_reciprocity_and_tier_minimums() {
        let b = crate::Batch::batch10();
        let Some(tier) = b.tier("国家双高") else {
            panic!("国家双高 is a tier of batch 10")
        };
        let short = Tally {
            teachers: 1,
            ..Tally::default()
        };
        let rules: Vec<&str> = selected_standing(&b, tier, "甲校", &short)
            .iter()
            .map(|f| f.rule)
            .collect();
        assert!(
            rules.contains(&"S01") && rules.contains(&"S03"),
            "{rules:?}"
        );
        let enough = Tally {
            teachers: tier
                .min_sent
                .max(tier.min_received)
                .max(tier.min_school_senior),
            tech_vps: tier.min_school_senior,
            engineers: tier
                .min_sent
                .max(tier.min_received)
                .max(tier.min_school_senior),
            deans: tier.min_enterprise_senior,
            undetermined: 0,
        };
        assert!(selected_standing(&b, tier, "甲校", &enough).is_empty());
    }
}
