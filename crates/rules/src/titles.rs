//! Professional titles (专业技术职务) and vocational skill levels (职业技能资格), read from free text by
//! the batch's dictionaries.
//!
//! Text is scanned left to right taking the longest dictionary word at each place, so 「助理工程师」 is
//! 初级 (not 工程师) and 「正高级工程师」 is 正高; the highest level found counts.

use crate::batch::{Batch, TITLE_LEVELS};
use crate::text::norm;

/// What a cell says about a level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// The highest recognised level (an index into the ascending list).
    Known(usize),
    /// The cell says there is none: 「无」.
    Nothing,
    /// Text the dictionary does not know: a person must look.
    Unknown,
}

/// The batch's dictionaries, sorted longest word first.
pub struct Dictionary {
    titles: Vec<(String, usize)>,
    skills: Vec<(String, usize, bool)>,
    pub min_title: usize,
    pub min_skill: usize,
}

/// Texts that mean "none".
pub fn says_nothing(normed: &str) -> bool {
    matches!(
        normed,
        "无" | "暂无" | "没有" | "/" | "-" | "—" | "——" | "无职称" | "未取得" | "无资格"
    )
}

impl Dictionary {
    pub fn new(batch: &Batch) -> Dictionary {
        let mut titles: Vec<(String, usize)> = batch
            .titles
            .iter()
            .filter_map(|(level, words)| {
                let idx = TITLE_LEVELS.iter().position(|l| l == level)?;
                Some(words.iter().map(move |w| (norm(w), idx)))
            })
            .flatten()
            .collect();
        titles.sort_by_key(|t| std::cmp::Reverse(t.0.chars().count()));
        let mut skills: Vec<(String, usize, bool)> = Vec::new();
        for (rank, s) in batch.skill_levels.iter().enumerate() {
            skills.push((norm(&s.name), rank, false));
            for a in &s.aliases {
                skills.push((norm(a), rank, true));
            }
        }
        skills.sort_by_key(|s| std::cmp::Reverse(s.0.chars().count()));
        Dictionary {
            titles,
            skills,
            min_title: 1,
            min_skill: batch.min_skill_rank(),
        }
    }

    /// The highest title level named in `raw`.
    pub fn title_level(&self, raw: &str) -> Level {
        let n = norm(raw);
        if says_nothing(&n) {
            return Level::Nothing;
        }
        scan(&n, self.titles.iter().map(|(w, l)| (w.as_str(), *l, false)))
    }

    /// The highest skill level named in `raw`. A grade alias such as 「二级」 counts only when it stands
    /// alone (「技师（二级）」, 「国家职业资格二级」), not inside another word (「二级建造师」).
    pub fn skill_level(&self, raw: &str) -> Level {
        let n = norm(raw);
        if says_nothing(&n) {
            return Level::Nothing;
        }
        scan(
            &n,
            self.skills
                .iter()
                .map(|(w, l, alias)| (w.as_str(), *l, *alias)),
        )
    }
}

fn is_cjk(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

fn scan<'w>(text: &str, words: impl Iterator<Item = (&'w str, usize, bool)> + Clone) -> Level {
    let mut best: Option<usize> = None;
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let hit = words.clone().find(|(w, _, alias)| {
            rest.starts_with(w) && (!alias || !rest[w.len()..].chars().next().is_some_and(is_cjk))
        });
        match hit {
            Some((w, level, _)) => {
                best = best.max(Some(level));
                i += w.len();
            }
            None => i += rest.chars().next().map_or(1, char::len_utf8),
        }
    }
    best.map_or(Level::Unknown, Level::Known)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dict() -> Dictionary {
        Dictionary::new(&Batch::batch10())
    }

    #[test]
    fn longest_title_wins() {
        let d = dict();
        assert_eq!(d.title_level("助理工程师"), Level::Known(0));
        assert_eq!(d.title_level("工程师"), Level::Known(1));
        assert_eq!(d.title_level("高级工程师"), Level::Known(2));
        assert_eq!(d.title_level("正高级工程师"), Level::Known(3));
        assert_eq!(d.title_level("讲师/工程师（双师）"), Level::Known(1));
        assert_eq!(d.title_level(" 副 教 授 "), Level::Known(2));
        assert_eq!(d.title_level("无"), Level::Nothing);
        assert_eq!(d.title_level("高级技工"), Level::Unknown);
    }

    #[test]
    fn skill_grades_count_only_standing_alone() {
        let d = dict();
        assert_eq!(d.skill_level("高级技师"), Level::Known(4));
        assert_eq!(d.skill_level("技师（二级）"), Level::Known(3));
        assert_eq!(d.skill_level("国家职业资格二级"), Level::Known(3));
        assert_eq!(d.skill_level("高级工"), Level::Known(2));
        assert_eq!(d.skill_level("二级建造师"), Level::Unknown);
        assert_eq!(d.min_skill, 3);
    }
}
