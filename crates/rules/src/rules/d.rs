//! Group D: duplicates across every form of the batch.

use std::borrow::Cow;
use std::collections::HashMap;
use std::collections::hash_map::Entry;

use crate::engine::{Ctx, FormCtx, RowCtx};
use crate::finding::Finding;
use crate::form::Column;
use crate::rule;
use crate::text::{norm, parse_mobile};

rule! {
    /// The same person (the same mobile number) is recommended more than once in the batch. The first
    /// occurrence (by file, then row) stands; each later one is an error naming the first.
    ///
    /// **条款** 一：「选派100名…优秀教师」「选派100名企业优秀工程师」 — each person counts once; 附件注：「本表所有内容必须填写准确」。
    ///
    /// **Fix**: keep the person on one form only.
    pub const D01 = "D01", Error, "一", Batch, "同一人（同一手机号）重复推荐";
}

rule! {
    /// The same name and the same 派出单位 appear with different mobile numbers: perhaps one person
    /// entered twice, perhaps namesakes.
    ///
    /// **条款** 附件注：「本表所有内容必须填写准确、规范、完整」。
    ///
    /// **Fix**: check whether these are two people; correct the mobile number if not.
    pub const D02 = "D02", Warning, "附件", Batch, "同名同单位但手机号不同";
}

rule! {
    /// The person took part in an earlier batch (when the lists of earlier batches are given, by
    /// mobile number, or by name and sending unit).
    ///
    /// **条款** 三(二)：「科学选派交流人员」 — the commission decides whether to send the same person again.
    ///
    /// **Fix**: nothing required; the commission weighs it when selecting.
    pub const D03 = "D03", Warning, "三(二)", Batch, "曾参加往批次交流";
}

/// [`parse_mobile`] of a normalised cell, borrowing the cell when it is the number already.
fn mobile_key(normed: &str) -> Option<Cow<'_, str>> {
    if normed.bytes().all(|b| b.is_ascii_digit()) {
        // Digits only: parse_mobile would return them unchanged, when they are a mobile number.
        let b = normed.as_bytes();
        (b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]))
            .then_some(Cow::Borrowed(normed))
    } else {
        parse_mobile(normed).map(Cow::Owned)
    }
}

fn place(fc: &FormCtx<'_>, rc: &RowCtx<'_>) -> String {
    format!("{}第{}行", fc.place(), rc.row.row)
}

pub(crate) fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    // Occurrences in report order: file, sheet, row.
    let mut rows: Vec<(&FormCtx<'_>, &RowCtx<'_>)> = ctx
        .forms
        .iter()
        .flat_map(|fc| fc.rows.iter().map(move |rc| (fc, rc)))
        .collect();
    rows.sort_by(|a, b| {
        (&a.0.form.file, &a.0.form.sheet, a.1.row.row).cmp(&(
            &b.0.form.file,
            &b.0.form.sheet,
            b.1.row.row,
        ))
    });

    let mut by_mobile: HashMap<Cow<'_, str>, (&FormCtx<'_>, &RowCtx<'_>)> =
        HashMap::with_capacity(rows.len());
    let mut by_name: HashMap<(&str, &str), (&FormCtx<'_>, &RowCtx<'_>, Cow<'_, str>)> =
        HashMap::with_capacity(rows.len());
    for &(fc, rc) in &rows {
        let mobile_cell = rc.row.get(Column::Mobile);
        let mobile = mobile_key(&mobile_cell.norm);
        if let Some(m) = &mobile {
            match by_mobile.get(m) {
                Some(&(ffc, frc)) => out.push(fc.cell_finding(
                    &D01,
                    rc.row,
                    Column::Mobile,
                    format!(
                        "「{}」与 {}（{}）的手机号码相同，同一人不能重复推荐；请只在一张推荐表中保留此人",
                        mobile_cell.raw,
                        place(ffc, frc),
                        frc.row.get(Column::Name).raw
                    ),
                )),
                None => {
                    by_mobile.insert(m.clone(), (fc, rc));
                }
            }
        }
        let name = rc.row.get(Column::Name).norm.as_str();
        let unit = rc.row.get(Column::SendingUnit).norm.as_str();
        if name.is_empty() || unit.is_empty() {
            continue;
        }
        let m = mobile.unwrap_or(Cow::Borrowed(mobile_cell.norm.as_str()));
        match by_name.entry((name, unit)) {
            Entry::Occupied(first) => {
                let (ffc, frc, fm) = first.get();
                if *fm != m {
                    out.push(fc.cell_finding(
                        &D02,
                        rc.row,
                        Column::Name,
                        format!(
                            "「{}」与 {} 同名同派出单位，但手机号码不同；请核对是否为同一人",
                            rc.row.get(Column::Name).raw,
                            place(ffc, frc)
                        ),
                    ));
                }
            }
            Entry::Vacant(v) => {
                v.insert((fc, rc, m));
            }
        }
    }
    if ctx.history.is_empty() {
        return;
    }
    let mut past_mobile: HashMap<&str, &crate::registry::PastPerson> = HashMap::new();
    let mut past_name: HashMap<(String, String), &crate::registry::PastPerson> = HashMap::new();
    for p in ctx.history {
        if !p.mobile.is_empty() {
            past_mobile.insert(p.mobile.as_str(), p);
        }
        past_name.insert((norm(&p.name), norm(&p.unit)), p);
    }
    for &(fc, rc) in &rows {
        let mobile = parse_mobile(&rc.row.get(Column::Mobile).norm);
        let key = (
            rc.row.get(Column::Name).norm.clone(),
            rc.row.get(Column::SendingUnit).norm.clone(),
        );
        let hit = mobile
            .as_deref()
            .and_then(|m| past_mobile.get(m).copied())
            .or_else(|| past_name.get(&key).copied());
        if let Some(p) = hit {
            out.push(fc.cell_finding(
                &D03,
                rc.row,
                Column::Name,
                format!(
                    "「{}」曾参加{}交流（{}）；请确认是否再次推荐",
                    rc.row.get(Column::Name).raw,
                    p.batch,
                    p.unit
                ),
            ));
        }
    }
}
