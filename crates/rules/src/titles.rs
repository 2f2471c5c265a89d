//! Professional titles (专业技术职务) and vocational skill levels (职业技能资格), read from free text by
//! the batch's dictionaries.
//!
//! Text is scanned left to right taking the longest dictionary word at each place, so 「助理工程师」 is
//! 初级 (not 工程师) and 「正高级工程师」 is 正高; the highest level found counts.

use std::collections::HashMap;

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

/// The batch's dictionaries, indexed by first character, longest word first.
pub struct Dictionary {
    titles: Words,
    skills: Words,
    pub min_title: usize,
    pub min_skill: usize,
}

/// Dictionary words (normalised) with their level and whether each is a grade alias (which counts
/// only standing alone), grouped by first character; each group longest first, in the batch's
/// order among words of one length.
struct Words(HashMap<char, Vec<(String, usize, bool)>>);

impl Words {
    fn new(mut words: Vec<(String, usize, bool)>) -> Words {
        words.sort_by_key(|w| std::cmp::Reverse(w.0.chars().count()));
        let mut by_first: HashMap<char, Vec<(String, usize, bool)>> = HashMap::new();
        for w in words {
            // An empty word names nothing (it would match everywhere without advancing).
            if let Some(first) = w.0.chars().next() {
                by_first.entry(first).or_default().push(w);
            }
        }
        Words(by_first)
    }
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
        let titles: Vec<(String, usize, bool)> = batch
            .titles
            .iter()
            .filter_map(|(level, words)| {
                let idx = TITLE_LEVELS.iter().position(|l| l == level)?;
                Some(words.iter().map(move |w| (norm(w), idx, false)))
            })
            .flatten()
            .collect();
        let mut skills: Vec<(String, usize, bool)> = Vec::new();
        for (rank, s) in batch.skill_levels.iter().enumerate() {
            skills.push((norm(&s.name), rank, false));
            for a in &s.aliases {
                skills.push((norm(a), rank, true));
            }
        }
        Dictionary {
            titles: Words::new(titles),
            skills: Words::new(skills),
            min_title: 1,
            min_skill: batch.min_skill_rank(),
        }
    }

    /// The highest title level named in `raw`.
    pub fn title_level(&self, raw: &str) -> Level {
        self.title_level_normed(&norm(raw))
    }

    /// [`Dictionary::title_level`] for a text already normalised (such as [`crate::Cell::norm`]).
    pub fn title_level_normed(&self, normed: &str) -> Level {
        if says_nothing(normed) {
            return Level::Nothing;
        }
        scan(normed, &self.titles)
    }

    /// The highest skill level named in `raw`. A grade alias such as 「二级」 counts only when it stands
    /// alone (「技师（二级）」, 「国家职业资格二级」), not inside another word (「二级建造师」).
    pub fn skill_level(&self, raw: &str) -> Level {
        self.skill_level_normed(&norm(raw))
    }

    /// [`Dictionary::skill_level`] for a text already normalised (such as [`crate::Cell::norm`]).
    pub fn skill_level_normed(&self, normed: &str) -> Level {
        if says_nothing(normed) {
            return Level::Nothing;
        }
        scan(normed, &self.skills)
    }
}

fn is_cjk(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

/// Left to right, the longest word at each place; the highest level found.
fn scan(text: &str, words: &Words) -> Level {
    let mut best: Option<usize> = None;
    let mut i = 0;
    while let Some(first) = text.get(i..).and_then(|rest| rest.chars().next()) {
        let rest = &text[i..];
        let hit = words.0.get(&first).and_then(|group| {
            group.iter().find(|(w, _, alias)| {
                rest.starts_with(w.as_str())
                    && (!alias || !rest[w.len()..].chars().next().is_some_and(is_cjk))
            })
        });
        match hit {
            Some((w, level, _)) => {
                best = best.max(Some(*level));
                i += w.len();
            }
            None => i += first.len_utf8(),
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
