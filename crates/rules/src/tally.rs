//! People counted by direction, once per form: what the S and P rules, the report and the
//! service's batch totals count.

use std::iter::Sum;
use std::ops::{Add, AddAssign, Sub};

use serde::{Deserialize, Serialize};

/// People by direction. A row counts as a teacher or an engineer by the direction the engine decides
/// for it; the senior posts are compared normalised with the batch's `posts.school_senior` and
/// `posts.enterprise_senior`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Rows sent by a school (学校派出).
    pub teachers: u32,
    /// Of those, the ones whose post is the batch's `posts.school_senior` (科技副总).
    pub tech_vps: u32,
    /// Rows sent by an enterprise (企业派出).
    pub engineers: u32,
    /// Of those, the ones whose post is the batch's `posts.enterprise_senior` (产业副院长).
    pub deans: u32,
    /// Rows whose direction could not be decided.
    pub undetermined: u32,
}

impl Tally {
    /// Every person row counted: teachers, engineers and the undetermined.
    pub fn people(&self) -> u32 {
        self.teachers
            .saturating_add(self.engineers)
            .saturating_add(self.undetermined)
    }

    fn zip(self, o: Tally, f: impl Fn(u32, u32) -> u32) -> Tally {
        Tally {
            teachers: f(self.teachers, o.teachers),
            tech_vps: f(self.tech_vps, o.tech_vps),
            engineers: f(self.engineers, o.engineers),
            deans: f(self.deans, o.deans),
            undetermined: f(self.undetermined, o.undetermined),
        }
    }
}

impl Add for Tally {
    type Output = Tally;
    /// Field by field (saturating, so that no input can overflow).
    fn add(self, o: Tally) -> Tally {
        self.zip(o, u32::saturating_add)
    }
}

impl AddAssign for Tally {
    fn add_assign(&mut self, o: Tally) {
        *self = *self + o;
    }
}

impl Sub for Tally {
    type Output = Tally;
    /// Field by field, saturating at zero (removing a form's tally from a batch's).
    fn sub(self, o: Tally) -> Tally {
        self.zip(o, u32::saturating_sub)
    }
}

impl Sum for Tally {
    fn sum<I: Iterator<Item = Tally>>(iter: I) -> Tally {
        iter.fold(Tally::default(), Add::add)
    }
}

impl<'a> Sum<&'a Tally> for Tally {
    fn sum<I: Iterator<Item = &'a Tally>>(iter: I) -> Tally {
        iter.copied().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_subtracts_and_sums_field_by_field() {
        let a = Tally {
            teachers: 3,
            tech_vps: 1,
            engineers: 2,
            deans: 1,
            undetermined: 1,
        };
        let b = Tally {
            teachers: 1,
            engineers: 5,
            ..Tally::default()
        };
        assert_eq!((a + b).engineers, 7);
        assert_eq!((a + b).people(), 12);
        assert_eq!((a + b) - b, a);
        assert_eq!(
            b - a,
            Tally {
                engineers: 3,
                ..Tally::default()
            }
        );
        assert_eq!([a, b].iter().sum::<Tally>(), a + b);
        let mut c = a;
        c += a;
        assert_eq!(c.teachers, 6);
        let max = Tally {
            teachers: u32::MAX,
            ..Tally::default()
        };
        assert_eq!((max + a).teachers, u32::MAX);
    }
}
