//! The organisation registry (单位名录): schools with their tier, enterprises with their kind and
//! affiliation. Reading it from CSV or xlsx is the `shuangshi-sheet` crate's job; this is the model.

use std::collections::HashMap;

use crate::text::norm;

/// One organisation of the registry.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Org {
    /// 单位名称, as registered.
    pub name: String,
    /// 单位类别: a school tier (国家双高 …) or an enterprise kind (国有企业 …).
    pub category: String,
    /// 隶属关系 (e.g. 市国资委), optional.
    pub affiliation: String,
    /// 统一社会信用代码, optional.
    pub credit_code: String,
    /// 所在区县, optional.
    pub district: String,
}

impl Org {
    /// An organisation with its name, 单位类别, 隶属关系 and 所在区县 (no credit code).
    pub fn new(name: &str, category: &str, affiliation: &str, district: &str) -> Org {
        Org {
            name: name.into(),
            category: category.into(),
            affiliation: affiliation.into(),
            credit_code: String::new(),
            district: district.into(),
        }
    }
}

/// All registered organisations, looked up by normalised name.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    orgs: Vec<Org>,
    by_name: HashMap<String, usize>,
}

impl Registry {
    pub fn new(orgs: Vec<Org>) -> Registry {
        let by_name = orgs
            .iter()
            .enumerate()
            .map(|(i, o)| (norm(&o.name), i))
            .collect();
        Registry { orgs, by_name }
    }

    /// The organisation with this name (spaces and bracket widths ignored).
    pub fn find(&self, name: &str) -> Option<&Org> {
        self.by_name
            .get(&norm(name))
            .and_then(|&i| self.orgs.get(i))
    }

    /// [`Registry::find`] for a name already normalised by [`norm`].
    pub fn find_normed(&self, normed: &str) -> Option<&Org> {
        self.by_name.get(normed).and_then(|&i| self.orgs.get(i))
    }

    pub fn orgs(&self) -> &[Org] {
        &self.orgs
    }

    pub fn len(&self) -> usize {
        self.orgs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.orgs.is_empty()
    }
}

/// A person of an earlier batch (for D03), from a published list.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PastPerson {
    pub batch: String,
    pub name: String,
    pub unit: String,
    /// Digits only.
    pub mobile: String,
}
