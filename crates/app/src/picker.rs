//! 选择单位: the organisation pickers (a name typed in part, the registry's names offered as one
//! types) and what an exact name typed without them resolves to, with the closest registered
//! name when it is not in the registry; and the partner enterprises that have no account yet
//! (the school cannot get W02 confirmed until the commission opens one).

use shuangshi_rules::text::norm;
use shuangshi_store::{
    OrgFilter, OrgRecord, PageRequest, Partnership, PartnershipFilter, PartnershipStatus, Role,
    UserFilter,
};

use crate::error::Result;
use crate::import::distance;
use crate::{App, Scope};

/// Which organisations a picker offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrgKind {
    School,
    Enterprise,
    Any,
}

impl OrgKind {
    /// `school`, `enterprise`, anything else: any.
    pub fn parse(s: &str) -> OrgKind {
        match s.trim() {
            "school" => OrgKind::School,
            "enterprise" => OrgKind::Enterprise,
            _ => OrgKind::Any,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::School => "school",
            OrgKind::Enterprise => "enterprise",
            OrgKind::Any => "",
        }
    }

    fn is_school(self) -> Option<bool> {
        match self {
            OrgKind::School => Some(true),
            OrgKind::Enterprise => Some(false),
            OrgKind::Any => None,
        }
    }

    /// 学校 / 企业 / 单位.
    pub fn label(self) -> &'static str {
        match self {
            OrgKind::School => "学校",
            OrgKind::Enterprise => "企业",
            OrgKind::Any => "单位",
        }
    }
}

/// A partner enterprise of the batch with no account of its own: nobody can confirm its rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoAccount {
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub enterprise_category: String,
    /// The schools that named it (by name).
    pub schools: Vec<String>,
}

impl App {
    async fn orgs_of(&self, kind: OrgKind) -> Result<Vec<OrgRecord>> {
        let filter = OrgFilter {
            is_school: kind.is_school(),
            ..OrgFilter::default()
        };
        Ok(self.store.all_orgs(&Scope::All, &filter).await?)
    }

    /// The registry's organisations of `kind` whose name contains `q` (spaces and widths
    /// ignored), those starting with it first, then by name; at most `limit`.
    pub async fn org_options(
        &self,
        q: &str,
        kind: OrgKind,
        limit: usize,
    ) -> Result<Vec<OrgRecord>> {
        let needle = norm(q);
        let mut hits: Vec<(bool, OrgRecord)> = self
            .orgs_of(kind)
            .await?
            .into_iter()
            .filter_map(|o| {
                let key = norm(&o.name);
                key.contains(&needle)
                    .then(|| (!key.starts_with(&needle), o))
            })
            .collect();
        hits.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.name.cmp(&b.1.name)));
        Ok(hits.into_iter().take(limit).map(|(_, o)| o).collect())
    }

    /// The registered organisation of `kind` named `given` (spaces and widths ignored), or the
    /// Chinese reason it is not, quoting `given` and naming the closest registered name.
    pub async fn pick_org(
        &self,
        given: &str,
        kind: OrgKind,
    ) -> Result<std::result::Result<OrgRecord, String>> {
        let given = given.trim();
        if given.is_empty() {
            return Ok(Err(format!("请选择{}", kind.label())));
        }
        if let Some(o) = self.store.find_org_by_name(&Scope::All, given).await? {
            return Ok(match kind.is_school() {
                Some(want) if o.is_school != want => Err(format!(
                    "「{given}」在单位名录中登记为{}，不是{}；请重新选择",
                    if o.is_school { "学校" } else { "企业" },
                    kind.label()
                )),
                _ => Ok(o),
            });
        }
        let key = norm(given);
        let all = self.orgs_of(kind).await?;
        // A part of a name first (the shortest name containing it), else the smallest edit.
        let containing = all
            .iter()
            .filter(|o| norm(&o.name).contains(&key))
            .min_by_key(|o| o.name.chars().count());
        let closest =
            containing.or_else(|| all.iter().min_by_key(|o| distance(&key, &norm(&o.name))));
        Ok(Err(match closest {
            Some(o) => format!(
                "单位名录中没有{}「{given}」，最接近的登记名称是「{}」；请从列表中选择（名录中没有的单位须先在「单位名录」中登记）",
                kind.label(),
                o.name
            ),
            None => format!(
                "单位名录中没有{}「{given}」，名录中也还没有{}；请先在「单位名录」中登记",
                kind.label(),
                kind.label()
            ),
        }))
    }

    /// The partner enterprises of batch `batch_id` (the partnerships in `scope`, proposed or
    /// confirmed) that have no active 企业经办人 account, by name.
    pub async fn partners_without_account(
        &self,
        scope: &Scope,
        batch_id: i64,
    ) -> Result<Vec<NoAccount>> {
        let mut partnerships: Vec<Partnership> = Vec::new();
        let mut offset = 0;
        loop {
            let page = self
                .store
                .list_partnerships(
                    scope,
                    &PartnershipFilter {
                        batch_id: Some(batch_id),
                        ..PartnershipFilter::default()
                    },
                    PageRequest::new(offset, PageRequest::MAX_LIMIT),
                )
                .await?;
            let n = page.items.len() as u64;
            partnerships.extend(page.items);
            offset += n;
            if n == 0 || offset >= page.total {
                break;
            }
        }
        partnerships.retain(|p| p.status != PartnershipStatus::Rejected);
        if partnerships.is_empty() {
            return Ok(Vec::new());
        }
        let mut with_account = std::collections::HashSet::new();
        let mut offset = 0;
        loop {
            let page = self
                .store
                .list_users(
                    &UserFilter {
                        role: Some(Role::EnterpriseOfficer),
                        ..UserFilter::default()
                    },
                    PageRequest::new(offset, PageRequest::MAX_LIMIT),
                )
                .await?;
            let n = page.items.len() as u64;
            with_account.extend(
                page.items
                    .iter()
                    .filter(|u| u.active)
                    .filter_map(|u| u.org_id),
            );
            offset += n;
            if n == 0 || offset >= page.total {
                break;
            }
        }
        let mut out: Vec<NoAccount> = Vec::new();
        for p in partnerships {
            if with_account.contains(&p.enterprise_id) {
                continue;
            }
            match out.iter_mut().find(|x| x.enterprise_id == p.enterprise_id) {
                Some(x) => {
                    if !x.schools.contains(&p.school_name) {
                        x.schools.push(p.school_name);
                    }
                }
                None => out.push(NoAccount {
                    enterprise_id: p.enterprise_id,
                    enterprise_name: p.enterprise_name,
                    enterprise_category: p.enterprise_category,
                    schools: vec![p.school_name],
                }),
            }
        }
        out.sort_by(|a, b| a.enterprise_name.cmp(&b.enterprise_name));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::OrgKind;

    #[test]
    fn kinds_read_as_sent() {
        assert_eq!(OrgKind::parse("school"), OrgKind::School);
        assert_eq!(OrgKind::parse("enterprise").label(), "企业");
        assert_eq!(OrgKind::parse(""), OrgKind::Any);
    }
}
