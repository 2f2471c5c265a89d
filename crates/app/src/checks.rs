//! Running the rulebook on stored forms and wording its findings for people.
//!
//! A stored form has no sheet the user sees, so a finding's place 「学校—企业［推荐表］第6行「手机号码」
//! 列（J6）」 becomes 「「企业」第 3 人（姓名）「手机号码」」 (the person's number in the form, as the print
//! view and the xlsx number them). Which findings concern the school as a whole comes from the
//! catalogue's scope metadata, never from lists of rule IDs.

use chrono::{DateTime, FixedOffset, Offset, Utc};
use shuangshi_rules::catalogue::{Scope as RuleScope, lookup};
use shuangshi_rules::rules::w::{Facts, check as check_workflow};
use shuangshi_rules::{Batch, Column, Finding, Form, Input, Registry, Report, check_forms};
use shuangshi_store::forms::FIRST_ROW;
use shuangshi_store::{FormRecord, WorkflowFacts};

/// Asia/Shanghai (UTC+8, no daylight saving).
pub fn shanghai() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| Utc.fix())
}

/// The file name the engine knows a stored form by: 「学校—企业」.
pub fn form_file(form: &FormRecord) -> String {
    format!("{}—{}", form.school_name, form.enterprise_name)
}

/// The rules forms of stored forms.
pub fn rules_forms(forms: &[FormRecord]) -> Vec<Form> {
    forms.iter().map(FormRecord::to_rules_form).collect()
}

/// Checks a school's forms together with every rule of scope row, form and school (the duplicate
/// and programme rules are maintained batch-wide apart).
pub fn check_school(batch: &Batch, registry: &Registry, forms: &[Form]) -> Report {
    check_forms(Input {
        batch,
        forms,
        registry: Some(registry),
        history: &[],
    })
}

/// The scope of a finding's rule, from the catalogue.
pub fn rule_scope(f: &Finding) -> Option<RuleScope> {
    lookup(f.rule).map(|m| m.scope)
}

/// Whether a finding is about the school as a whole or the whole batch (its totals and
/// minimums), not about one form.
pub fn is_school_level(f: &Finding) -> bool {
    matches!(rule_scope(f), Some(RuleScope::School | RuleScope::Batch)) && f.row.is_none()
}

/// What the wording of findings needs to know about one stored form: its file name, its school
/// and enterprise, and its people's names by position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormNames {
    pub file: String,
    pub school: String,
    pub enterprise: String,
    /// 姓名 of each row, in order.
    pub people: Vec<String>,
}

impl FormNames {
    pub fn of(form: &FormRecord) -> FormNames {
        FormNames {
            file: form_file(form),
            school: form.school_name.clone(),
            enterprise: form.enterprise_name.clone(),
            people: form
                .rows
                .iter()
                .map(|r| r.cell(Column::Name).to_owned())
                .collect(),
        }
    }

    fn place(&self) -> String {
        format!("{}［推荐表］", self.file)
    }
}

/// Rewrites the findings of stored forms for people (see the module docs). Findings of other
/// files are left as they are.
pub fn tidy(report: &mut Report, forms: &[FormRecord]) {
    let names: Vec<FormNames> = forms.iter().map(FormNames::of).collect();
    for f in &mut report.findings {
        tidy_finding(f, &names);
    }
}

/// [`tidy`] for one finding, knowing the forms by [`FormNames`].
pub fn tidy_finding(f: &mut Finding, forms: &[FormNames]) {
    f.message = name_rows(&f.message, forms);
    let Some(form) = f
        .file
        .as_deref()
        .and_then(|file| forms.iter().find(|n| n.file == file))
    else {
        // School-level findings name the school only; they may still quote a place.
        for form in forms {
            let place = form.place();
            if f.message.contains(place.as_str()) {
                f.message = f
                    .message
                    .replace(place.as_str(), &format!("「{}」推荐表", form.enterprise));
            }
        }
        return;
    };
    let place = form.place();
    let ent = &form.enterprise;
    let mut msg = f.message.clone();
    if let Some(r) = f.row {
        let row_prefix = format!("{place}第{r}行");
        let person = r >= FIRST_ROW && ((r - FIRST_ROW) as usize) < form.people.len();
        let footer = !person
            && f.column
                .is_some_and(|c| c == "学校填表人" || c == "联系电话");
        let who = if person {
            let n = (r - FIRST_ROW) as usize + 1;
            let name = &form.people[n - 1];
            if name.is_empty() {
                format!("「{ent}」第 {n} 人")
            } else {
                format!("「{ent}」第 {n} 人（{name}）")
            }
        } else if footer {
            format!("「{ent}」表尾")
        } else {
            format!("「{ent}」推荐表")
        };
        if let Some(rest) = msg.strip_prefix(row_prefix.as_str()) {
            // 「…第6行表尾「联系电话」…」: the footer is named once.
            let rest = if footer {
                rest.strip_prefix("表尾").unwrap_or(rest)
            } else {
                rest
            };
            let mut rest = rest.to_owned();
            if let (Some(col), Some(cell)) = (f.column, f.cell.as_deref()) {
                rest = rest.replacen(&format!("「{col}」列（{cell}）"), &format!("「{col}」"), 1);
            }
            if let Some(col) = f.column {
                rest = rest.replacen(&format!("「{col}」列"), &format!("「{col}」"), 1);
            }
            msg = format!("{who}{rest}");
        }
    }
    msg = msg.replace(place.as_str(), &format!("「{ent}」推荐表"));
    f.message = msg;
    f.cell = None;
}

/// Rewrites every 「学校—企业［推荐表］第6行」 a message quotes (another form's row, as D01–D03 name
/// the first occurrence) into 「「学校」「企业」推荐表第 2 人」. The finding's own row, at the start
/// of its message, is left to [`tidy_finding`].
fn name_rows(msg: &str, forms: &[FormNames]) -> String {
    let mut out = msg.to_owned();
    for form in forms {
        let place = format!("{}第", form.place());
        let mut from = 0;
        while let Some(found) = out[from..].find(&place) {
            let start = from + found;
            let after = start + place.len();
            let digits: String = out[after..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            let end = after + digits.len();
            let row: Option<u32> = digits.parse().ok();
            match row {
                // The finding's own row opens its message: tidy_finding names it.
                _ if start == 0 => from = end,
                Some(r) if out[end..].starts_with('行') && r >= FIRST_ROW => {
                    let who = format!(
                        "「{}」「{}」推荐表第 {} 人",
                        form.school,
                        form.enterprise,
                        r - FIRST_ROW + 1
                    );
                    out.replace_range(start..end + '行'.len_utf8(), &who);
                    from = start + who.len();
                }
                _ => from = end,
            }
        }
    }
    out
}

/// The part of a tidied cell finding's message after 「「企业」第 N 人（姓名）「列」」.
pub fn cell_text(f: &Finding) -> &str {
    let Some(col) = f.column else {
        return &f.message;
    };
    let marker = format!("「{col}」");
    match f.message.find("人") {
        Some(i) => match f.message[i..].find(&marker) {
            Some(j) => f.message[i + j + marker.len()..].trim_start_matches(['：', '，', ':', ' ']),
            None => &f.message,
        },
        None => &f.message,
    }
}

/// The W01–W03 findings for a school now (server clock, Asia/Shanghai).
pub fn workflow_findings(
    batch: &Batch,
    school: &str,
    facts: &WorkflowFacts,
    now: DateTime<Utc>,
) -> Vec<Finding> {
    let tz = shanghai();
    let facts = Facts {
        school,
        now: now.with_timezone(&tz),
        extension: facts.extension.map(|e| e.with_timezone(&tz)),
        unconfirmed: facts.unconfirmed.clone(),
        sealed_scan_current: facts.sealed_scan_current,
    };
    check_workflow(batch, &facts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<FormNames> {
        vec![
            FormNames {
                file: "甲校—乙企业".into(),
                school: "甲校".into(),
                enterprise: "乙企业".into(),
                people: vec!["张三".into(), "李四".into()],
            },
            FormNames {
                file: "丙校—丁企业".into(),
                school: "丙校".into(),
                enterprise: "丁企业".into(),
                people: vec!["王五".into()],
            },
        ]
    }

    #[test]
    fn another_forms_row_is_named_as_a_person() {
        let msg = "「13800000000」与 丙校—丁企业［推荐表］第5行（王五）的手机号码相同";
        assert_eq!(
            name_rows(msg, &names()),
            "「13800000000」与 「丙校」「丁企业」推荐表第 1 人（王五）的手机号码相同"
        );
    }

    #[test]
    fn the_own_row_becomes_the_person_of_the_form() {
        let mut f = Finding::new(
            &shuangshi_rules::rules::d::D01,
            "甲校—乙企业［推荐表］第6行「手机号码」列（J6）：与 丙校—丁企业［推荐表］第5行（王五）相同".into(),
        );
        f.file = Some("甲校—乙企业".into());
        f.row = Some(6);
        f.column = Some("手机号码");
        f.cell = Some("J6".into());
        tidy_finding(&mut f, &names());
        assert_eq!(
            f.message,
            "「乙企业」第 2 人（李四）「手机号码」：与 「丙校」「丁企业」推荐表第 1 人（王五）相同"
        );
        assert_eq!(f.cell, None);
    }

    #[test]
    fn the_footer_is_named_once() {
        for (column, message, tidy) in [
            (
                "联系电话",
                "甲校—乙企业［推荐表］第8行表尾「联系电话」未填写；请填写手机号码或固定电话",
                "「乙企业」表尾「联系电话」未填写；请填写手机号码或固定电话",
            ),
            (
                "学校填表人",
                "甲校—乙企业［推荐表］第8行「学校填表人」未填写；请填写填表人姓名",
                "「乙企业」表尾「学校填表人」未填写；请填写填表人姓名",
            ),
        ] {
            let mut f = Finding::new(&shuangshi_rules::rules::f::F11, message.into());
            f.file = Some("甲校—乙企业".into());
            f.row = Some(8);
            f.column = Some(column);
            tidy_finding(&mut f, &names());
            assert_eq!(f.message, tidy);
        }
    }
}
