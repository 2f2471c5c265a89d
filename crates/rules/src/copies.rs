//! Who receives a copy of a submitted form (四(四)): 「同时按隶属关系分别报送市国资委、市工商联」.
//!
//! The enterprise's kind decides first (the batch's `enterprise_kinds[].copy_to`: 国有企业 →
//! 市国资委, 民营企业 → 市工商联); a kind whose copy goes 「按隶属关系」 is decided by the
//! registry's 隶属关系. An enterprise answering to a central authority (中央企业, 国务院国资委) or
//! to neither body (a research institute under 市科技局, a kind with no 隶属关系) gets no copy: the
//! commission lists it as 未分送 so that nobody is silently left out.

use crate::Batch;
use crate::text::norm;

/// An oversight body that receives copies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Oversight {
    /// 市国资委 (state-owned enterprises).
    StateAssets,
    /// 市工商联 (private enterprises).
    Federation,
}

impl Oversight {
    pub const ALL: [Oversight; 2] = [Oversight::StateAssets, Oversight::Federation];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Oversight::StateAssets => "sasac",
            Oversight::Federation => "federation",
        }
    }

    pub fn parse(s: &str) -> Option<Oversight> {
        match s {
            "sasac" => Some(Oversight::StateAssets),
            "federation" => Some(Oversight::Federation),
            _ => None,
        }
    }

    /// The body's name as the notice writes it.
    pub fn label(self) -> &'static str {
        match self {
            Oversight::StateAssets => "市国资委",
            Oversight::Federation => "市工商联",
        }
    }

    fn named_in(text: &str) -> Option<Oversight> {
        if text.contains("工商联") {
            Some(Oversight::Federation)
        } else if text.contains("国资") {
            Some(Oversight::StateAssets)
        } else {
            None
        }
    }
}

/// Authorities above the city's bodies: an enterprise under one of them gets no city copy.
const CENTRAL: [&str; 3] = ["中央", "国务院", "央企"];

/// The body that receives a copy of a form with an enterprise of `kind` and `affiliation`
/// (隶属关系), or `None` (未分送).
pub fn copy_to(batch: &Batch, kind: &str, affiliation: &str) -> Option<Oversight> {
    let affiliation = norm(affiliation);
    if CENTRAL.iter().any(|c| affiliation.contains(c)) {
        return None;
    }
    let by_kind = batch
        .enterprise_kinds
        .iter()
        .find(|k| norm(&k.name) == norm(kind))
        .and_then(|k| Oversight::named_in(&k.copy_to));
    by_kind.or_else(|| Oversight::named_in(&affiliation))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_decides_then_affiliation() {
        let b = Batch::batch10();
        assert_eq!(
            copy_to(&b, "国有企业", "市国资委"),
            Some(Oversight::StateAssets)
        );
        assert_eq!(
            copy_to(&b, "国有企业", "区县国资委"),
            Some(Oversight::StateAssets)
        );
        assert_eq!(copy_to(&b, "民营企业", ""), Some(Oversight::Federation));
        assert_eq!(copy_to(&b, "国有企业", "国务院国资委"), None);
        assert_eq!(copy_to(&b, "新型研发机构", "市科技局"), None);
        assert_eq!(copy_to(&b, "新型研发机构", ""), None);
        assert_eq!(
            copy_to(&b, "其他企业", "市工商联"),
            Some(Oversight::Federation)
        );
        assert_eq!(copy_to(&b, "", ""), None);
    }
}
