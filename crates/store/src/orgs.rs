//! The organisation registry: all-or-nothing import (upsert by normalised name), scoped lists with
//! filters and pagination, get, create, update, and delete (refused while anything references the
//! organisation).

use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, EntityTrait, NotSet, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use shuangshi_rules::Org;
use shuangshi_rules::text::norm;

use crate::audit::AuditEntry;
use crate::db::{Actor, PageRequest, Paged, Store, Tx};
use crate::entity::orgs;
use crate::error::{StoreError, on_conflict};
use crate::scope::{Scope, like_contains};

/// The school tiers (学校类别), in the notice's order.
pub const SCHOOL_TIERS: [&str; 5] = ["国家双高", "市级双高", "其他高职", "技工院校", "中职"];
/// The enterprise kinds (企业类别).
pub const ENTERPRISE_KINDS: [&str; 4] = ["国有企业", "民营企业", "新型研发机构", "其他企业"];

/// A stored organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgRecord {
    pub id: i64,
    pub name: String,
    /// A school tier or an enterprise kind.
    pub category: String,
    pub affiliation: String,
    pub credit_code: String,
    pub district: String,
    pub is_school: bool,
}

impl OrgRecord {
    /// The registry entry the rule engine reads.
    pub fn to_rules_org(&self) -> Org {
        Org {
            name: self.name.clone(),
            category: self.category.clone(),
            affiliation: self.affiliation.clone(),
            credit_code: self.credit_code.clone(),
            district: self.district.clone(),
        }
    }
}

/// Filters for [`Store::list_orgs`]; `None` means any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrgFilter {
    /// Name containing this text.
    pub name: Option<String>,
    pub category: Option<String>,
    pub district: Option<String>,
    pub is_school: Option<bool>,
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
}

pub(crate) fn org_from(m: orgs::Model) -> OrgRecord {
    OrgRecord {
        id: m.id,
        name: m.name,
        category: m.category,
        affiliation: m.affiliation,
        credit_code: m.credit_code,
        district: m.district,
        is_school: m.is_school,
    }
}

/// Whether `category` is a school tier (`Some(true)`), an enterprise kind (`Some(false)`), or
/// neither.
pub fn category_is_school(category: &str) -> Option<bool> {
    let c = norm(category);
    if SCHOOL_TIERS.contains(&c.as_str()) {
        Some(true)
    } else if ENTERPRISE_KINDS.contains(&c.as_str()) {
        Some(false)
    } else {
        None
    }
}

/// Trims and validates one organisation; returns it with its name key and school flag.
fn clean(org: &Org) -> Result<(Org, String, bool), StoreError> {
    let name = org.name.trim().to_string();
    let key = norm(&name);
    if key.is_empty() {
        return Err(StoreError::Invalid("单位名称不能为空".to_string()));
    }
    let category = norm(&org.category);
    let is_school = category_is_school(&category).ok_or_else(|| {
        StoreError::Invalid(format!(
            "单位「{name}」的类别「{}」无法识别；应为 {} 或 {} 之一",
            org.category.trim(),
            SCHOOL_TIERS.join("、"),
            ENTERPRISE_KINDS.join("、")
        ))
    })?;
    Ok((
        Org {
            name,
            category,
            affiliation: org.affiliation.trim().to_string(),
            credit_code: org.credit_code.trim().to_string(),
            district: org.district.trim().to_string(),
        },
        key,
        is_school,
    ))
}

/// The organisations in scope matching `filter`.
fn filtered(scope: &Scope, filter: &OrgFilter) -> sea_orm::Select<orgs::Entity> {
    let mut q = orgs::Entity::find().filter(scope.org_filter());
    if let Some(name) = filter
        .name
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        q = q.filter(orgs::Column::Name.like(like_contains(name)));
    }
    if let Some(c) = filter.category.as_deref().filter(|s| !s.is_empty()) {
        q = q.filter(orgs::Column::Category.eq(norm(c)));
    }
    if let Some(d) = filter
        .district
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        q = q.filter(orgs::Column::District.eq(d));
    }
    if let Some(s) = filter.is_school {
        q = q.filter(orgs::Column::IsSchool.eq(s));
    }
    q
}

impl Store {
    /// Imports the registry: each organisation is inserted or, when one with the same normalised
    /// name exists, updated. All or nothing: one invalid entry (or a name twice in the list)
    /// changes nothing.
    pub async fn import_orgs(
        &self,
        list: Vec<Org>,
        actor: &Actor,
    ) -> Result<ImportSummary, StoreError> {
        let mut cleaned = Vec::with_capacity(list.len());
        let mut seen = std::collections::HashSet::new();
        for org in &list {
            let c = clean(org)?;
            if !seen.insert(c.1.clone()) {
                return Err(StoreError::Invalid(format!(
                    "导入的名录中「{}」出现了不止一次",
                    c.0.name
                )));
            }
            cleaned.push(c);
        }
        let tx = self.begin_write().await?;
        let mut summary = ImportSummary::default();
        for (org, key, is_school) in cleaned {
            let existing = orgs::Entity::find()
                .filter(orgs::Column::NameKey.eq(key.as_str()))
                .one(tx.conn())
                .await?;
            match existing {
                Some(m) => {
                    let same = m.name == org.name
                        && m.category == org.category
                        && m.affiliation == org.affiliation
                        && m.credit_code == org.credit_code
                        && m.district == org.district
                        && m.is_school == is_school;
                    if same {
                        summary.unchanged += 1;
                        continue;
                    }
                    if m.is_school != is_school {
                        self.check_kind_change(&tx, m.id, &m.name).await?;
                    }
                    let am = orgs::ActiveModel {
                        id: Set(m.id),
                        name: Set(org.name.clone()),
                        name_key: Set(key),
                        category: Set(org.category),
                        affiliation: Set(org.affiliation),
                        credit_code: Set(org.credit_code),
                        district: Set(org.district),
                        is_school: Set(is_school),
                    };
                    orgs::Entity::update(am)
                        .exec(tx.conn())
                        .await
                        .map_err(|e| {
                            on_conflict(e, || format!("单位名称「{}」已存在", org.name))
                        })?;
                    summary.updated += 1;
                }
                None => {
                    let am = orgs::ActiveModel {
                        id: NotSet,
                        name: Set(org.name.clone()),
                        name_key: Set(key),
                        category: Set(org.category),
                        affiliation: Set(org.affiliation),
                        credit_code: Set(org.credit_code),
                        district: Set(org.district),
                        is_school: Set(is_school),
                    };
                    orgs::Entity::insert(am)
                        .exec(tx.conn())
                        .await
                        .map_err(|e| {
                            on_conflict(e, || format!("单位名称「{}」已存在", org.name))
                        })?;
                    summary.inserted += 1;
                }
            }
        }
        self.audit_in(
            &tx,
            AuditEntry::new(
                actor,
                "org.import",
                "orgs",
                format!(
                    "inserted {} updated {} unchanged {}",
                    summary.inserted, summary.updated, summary.unchanged
                ),
            ),
        )
        .await?;
        crate::checks::clear_checks_in(tx.conn(), None).await?;
        tx.commit().await?;
        Ok(summary)
    }

    /// A school cannot become an enterprise (or the reverse) once it has partnerships or accounts.
    async fn check_kind_change(&self, tx: &Tx, org_id: i64, name: &str) -> Result<(), StoreError> {
        use crate::entity::{partnerships, users};
        let used = partnerships::Entity::find()
            .filter(
                Condition::any()
                    .add(partnerships::Column::SchoolId.eq(org_id))
                    .add(partnerships::Column::EnterpriseId.eq(org_id)),
            )
            .count(tx.conn())
            .await?
            + users::Entity::find()
                .filter(users::Column::OrgId.eq(org_id))
                .count(tx.conn())
                .await?;
        if used > 0 {
            return Err(StoreError::State(format!(
                "「{name}」已有合作关系或账户，不能在学校与企业之间改变类别"
            )));
        }
        Ok(())
    }

    /// Adds one organisation.
    pub async fn create_org(&self, org: &Org, actor: &Actor) -> Result<OrgRecord, StoreError> {
        let (org, key, is_school) = clean(org)?;
        let tx = self.begin_write().await?;
        let am = orgs::ActiveModel {
            id: NotSet,
            name: Set(org.name.clone()),
            name_key: Set(key),
            category: Set(org.category.clone()),
            affiliation: Set(org.affiliation.clone()),
            credit_code: Set(org.credit_code.clone()),
            district: Set(org.district.clone()),
            is_school: Set(is_school),
        };
        let id = orgs::Entity::insert(am)
            .exec(tx.conn())
            .await
            .map_err(|e| on_conflict(e, || format!("单位名称「{}」已存在", org.name)))?
            .last_insert_id;
        self.audit_in(
            &tx,
            AuditEntry::new(actor, "org.create", format!("org:{id}"), org.name.clone()),
        )
        .await?;
        let m = orgs::Entity::find_by_id(id)
            .one(tx.conn())
            .await?
            .ok_or(StoreError::NotFound("单位"))?;
        crate::checks::clear_checks_in(tx.conn(), None).await?;
        tx.commit().await?;
        Ok(org_from(m))
    }

    /// Edits an organisation (administrator). `None` when there is no such organisation in scope.
    pub async fn update_org(
        &self,
        scope: &Scope,
        id: i64,
        org: &Org,
        actor: &Actor,
    ) -> Result<Option<OrgRecord>, StoreError> {
        let (org, key, is_school) = clean(org)?;
        let tx = self.begin_write().await?;
        let Some(m) = orgs::Entity::find_by_id(id)
            .filter(scope.org_filter())
            .lock_exclusive()
            .one(tx.conn())
            .await?
        else {
            return Ok(None);
        };
        if m.is_school != is_school {
            self.check_kind_change(&tx, m.id, &m.name).await?;
        }
        let am = orgs::ActiveModel {
            id: Set(id),
            name: Set(org.name.clone()),
            name_key: Set(key),
            category: Set(org.category.clone()),
            affiliation: Set(org.affiliation.clone()),
            credit_code: Set(org.credit_code.clone()),
            district: Set(org.district.clone()),
            is_school: Set(is_school),
        };
        let updated = orgs::Entity::update(am)
            .exec(tx.conn())
            .await
            .map_err(|e| on_conflict(e, || format!("单位名称「{}」已存在", org.name)))?;
        self.audit_in(
            &tx,
            AuditEntry::new(
                actor,
                "org.update",
                format!("org:{id}"),
                format!("{} → {}", m.name, org.name),
            ),
        )
        .await?;
        crate::checks::clear_checks_in(tx.conn(), None).await?;
        tx.commit().await?;
        Ok(Some(org_from(updated)))
    }

    /// What references an organisation, in Chinese (「账户 2 个、合作关系 1 个（推荐表 1 张）」);
    /// empty when nothing does.
    async fn references(&self, tx: &Tx, org_id: i64) -> Result<Vec<String>, StoreError> {
        use crate::entity::{
            deadline_extensions, forms, ledger_entries, partnerships, reminders, submissions,
            subsidy_uses, users,
        };
        let conn = tx.conn();
        let mut out = Vec::new();
        let accounts = users::Entity::find()
            .filter(users::Column::OrgId.eq(org_id))
            .count(conn)
            .await?;
        if accounts > 0 {
            out.push(format!("账户 {accounts} 个"));
        }
        let partnership_ids: Vec<i64> = partnerships::Entity::find()
            .filter(
                Condition::any()
                    .add(partnerships::Column::SchoolId.eq(org_id))
                    .add(partnerships::Column::EnterpriseId.eq(org_id)),
            )
            .select_only()
            .column(partnerships::Column::Id)
            .into_tuple()
            .all(conn)
            .await?;
        if !partnership_ids.is_empty() {
            let form_count = forms::Entity::find()
                .filter(forms::Column::PartnershipId.is_in(partnership_ids.iter().copied()))
                .count(conn)
                .await?;
            if form_count > 0 {
                out.push(format!(
                    "合作关系 {} 个（推荐表 {form_count} 张）",
                    partnership_ids.len()
                ));
            } else {
                out.push(format!("合作关系 {} 个", partnership_ids.len()));
            }
        }
        let counts = [
            (
                "报送记录",
                submissions::Entity::find()
                    .filter(submissions::Column::SchoolId.eq(org_id))
                    .count(conn)
                    .await?,
            ),
            (
                "报送延期",
                deadline_extensions::Entity::find()
                    .filter(deadline_extensions::Column::SchoolId.eq(org_id))
                    .count(conn)
                    .await?,
            ),
            (
                "补助经费记录",
                ledger_entries::Entity::find()
                    .filter(ledger_entries::Column::SchoolId.eq(org_id))
                    .count(conn)
                    .await?,
            ),
            (
                "经费使用报告",
                subsidy_uses::Entity::find()
                    .filter(subsidy_uses::Column::SchoolId.eq(org_id))
                    .count(conn)
                    .await?,
            ),
            (
                "催办记录",
                reminders::Entity::find()
                    .filter(reminders::Column::OrgId.eq(org_id))
                    .count(conn)
                    .await?,
            ),
        ];
        for (what, n) in counts {
            if n > 0 {
                out.push(format!("{what} {n} 条"));
            }
        }
        Ok(out)
    }

    /// Deletes an organisation (administrator). `None` when there is no such organisation in
    /// scope; refused with [`StoreError::State`], naming what references it, while any account,
    /// partnership (and so form), submission, extension or money record does.
    pub async fn delete_org(
        &self,
        scope: &Scope,
        id: i64,
        actor: &Actor,
    ) -> Result<Option<OrgRecord>, StoreError> {
        let tx = self.begin_write().await?;
        let Some(m) = orgs::Entity::find_by_id(id)
            .filter(scope.org_filter())
            .lock_exclusive()
            .one(tx.conn())
            .await?
        else {
            return Ok(None);
        };
        let refs = self.references(&tx, id).await?;
        if !refs.is_empty() {
            return Err(StoreError::State(format!(
                "「{}」仍被引用：{}，不能删除；请先停用或移交这些记录，或改为编辑该单位",
                m.name,
                refs.join("、")
            )));
        }
        orgs::Entity::delete_by_id(id)
            .exec(tx.conn())
            .await
            .map_err(|e| match e.sql_err() {
                Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(_)) => StoreError::State(
                    format!("「{}」仍被其他记录引用，不能删除；请改为编辑该单位", m.name),
                ),
                _ => StoreError::from(e),
            })?;
        self.audit_in(
            &tx,
            AuditEntry::new(
                actor,
                "org.delete",
                format!("org:{id}"),
                format!("{}（{}）", m.name, m.category),
            ),
        )
        .await?;
        crate::checks::clear_checks_in(tx.conn(), None).await?;
        tx.commit().await?;
        Ok(Some(org_from(m)))
    }

    /// Every organisation in scope matching `filter`, by name (for the export).
    pub async fn all_orgs(
        &self,
        scope: &Scope,
        filter: &OrgFilter,
    ) -> Result<Vec<OrgRecord>, StoreError> {
        Ok(filtered(scope, filter)
            .order_by_asc(orgs::Column::Name)
            .order_by_asc(orgs::Column::Id)
            .all(self.conn())
            .await?
            .into_iter()
            .map(org_from)
            .collect())
    }

    /// One organisation, if it is in scope.
    pub async fn get_org(&self, scope: &Scope, id: i64) -> Result<Option<OrgRecord>, StoreError> {
        Ok(orgs::Entity::find_by_id(id)
            .filter(scope.org_filter())
            .one(self.conn())
            .await?
            .map(org_from))
    }

    /// The organisation with this name (spaces and bracket widths ignored), if in scope.
    pub async fn find_org_by_name(
        &self,
        scope: &Scope,
        name: &str,
    ) -> Result<Option<OrgRecord>, StoreError> {
        Ok(orgs::Entity::find()
            .filter(orgs::Column::NameKey.eq(norm(name)))
            .filter(scope.org_filter())
            .one(self.conn())
            .await?
            .map(org_from))
    }

    /// Organisations in scope matching `filter`, by name.
    pub async fn list_orgs(
        &self,
        scope: &Scope,
        filter: &OrgFilter,
        page: PageRequest,
    ) -> Result<Paged<OrgRecord>, StoreError> {
        let q = filtered(scope, filter);
        let total = q.clone().count(self.conn()).await?;
        let items = q
            .order_by_asc(orgs::Column::Name)
            .order_by_asc(orgs::Column::Id)
            .offset(page.offset)
            .limit(page.limit)
            .all(self.conn())
            .await?
            .into_iter()
            .map(org_from)
            .collect();
        Ok(Paged {
            items,
            total,
            offset: page.offset,
            limit: page.limit,
        })
    }

    /// The whole registry as the rule engine reads it (for checking forms; not scoped: the rules
    /// need every organisation's category, and the registry holds no personal data).
    pub async fn registry(&self) -> Result<shuangshi_rules::Registry, StoreError> {
        let all = orgs::Entity::find()
            .order_by_asc(orgs::Column::Id)
            .all(self.conn())
            .await?;
        Ok(shuangshi_rules::Registry::new(
            all.into_iter()
                .map(|m| org_from(m).to_rules_org())
                .collect(),
        ))
    }
}
