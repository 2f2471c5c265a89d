//! 遴选, the oversight bodies' opinions, 公示 with objections, and the final list (三(四),
//! 四(四): 「市教委会同各有关部门确定并公布交流互派人员名单」).
//!
//! Every door — the selection page, the public pages, the oversight pages, the API and the demo
//! seeding — calls these. The standing over the selected people (targets, each school's tier
//! minimums and reciprocity) is computed here from one [`Tally`] per school, with the rules'
//! own wording (`rules::s::selected_standing`, `rules::p::totals`).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc, Weekday};
use sha2::{Digest, Sha256};
use shuangshi_rules::text::norm;
use shuangshi_rules::{Column as C, Direction, Finding, Input, Tally, directions};
use shuangshi_store::forms::FIRST_ROW;
use shuangshi_store::selection::UNROUTED;
use shuangshi_store::{
    BatchRecord, Candidate, FormRecord, NewObjection, Objection, PublicEntry, PublicList,
    Publication, PublicationKind, PublicationState, RowRecord, SelectionRecord, SelectionStatus,
    Snapshot, StoreError,
};

use crate::checks::shanghai;
use crate::error::{Error, Refusal, Result};
use crate::export::Total;
use crate::{Actor, App, Disclosure, Scope};

/// The selection page's filters (blank: any).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SelectionFilter {
    /// Part of a name, a school or an enterprise.
    pub q: String,
    pub tier: String,
    /// `school`, `enterprise`.
    pub direction: String,
    pub kind: String,
    pub status: Option<SelectionStatus>,
    /// `object` (an oversight body objected), `agree`, `none` (no opinion yet).
    pub opinion: String,
    /// Copy target: `sasac`, `federation`, `none` (未分送).
    pub body: String,
}

/// A person in the selection as a user may see them, with the outcome in words.
#[derive(Debug, Clone)]
pub struct Candidacy {
    pub record: SelectionRecord,
    pub direction_label: &'static str,
    /// 待遴选 / 入选 / 未入选 / 公示中 / 已公布.
    pub outcome: &'static str,
    /// The duplicate findings (D01–D03) standing on the person's row.
    pub duplicates: Vec<Finding>,
    pub body_label: &'static str,
}

/// One school's standing over its selected people.
#[derive(Debug, Clone)]
pub struct SchoolStanding {
    pub school: String,
    pub tier: String,
    pub tally: Tally,
    pub min_sent: u32,
    pub min_received: u32,
    pub min_school_senior: u32,
    pub min_enterprise_senior: u32,
    /// S01, S03–S05 over the selected people.
    pub findings: Vec<Finding>,
}

/// The selection page.
#[derive(Debug, Clone)]
pub struct Board {
    pub batch_name: String,
    pub people: Vec<Candidacy>,
    /// 待遴选, 入选, 未入选 over the whole batch.
    pub counts: [usize; 3],
    /// Program totals over the selected people against the targets.
    pub totals: Vec<Total>,
    /// P01/P02 over the selected people.
    pub programme: Vec<Finding>,
    pub schools: Vec<SchoolStanding>,
    pub publications: Vec<Publication>,
    pub objections: Vec<Objection>,
    /// A final list stands and no correction is open.
    pub frozen: bool,
    /// A 公示 takes objections now.
    pub publicity_open: Option<Publication>,
    /// A final list waits for a second administrator.
    pub pending_final: Option<Publication>,
    /// A correction is open.
    pub correcting: bool,
    /// Forms submitted whose enterprise fits neither oversight body.
    pub unrouted: usize,
}

/// The outcome of one person, for the school's and the enterprise's workbench.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub record: SelectionRecord,
    pub outcome: &'static str,
    pub direction_label: &'static str,
}

fn direction_label(d: &str) -> &'static str {
    match d {
        "school" => Direction::School.label(),
        "enterprise" => Direction::Enterprise.label(),
        _ => "未能判断",
    }
}

fn body_label(b: &str) -> &'static str {
    shuangshi_rules::Oversight::parse(b).map_or("未分送", |o| o.label())
}

/// Maps a store refusal to the refusal a user sees.
pub(crate) fn refused(e: StoreError) -> Error {
    match e {
        StoreError::State(_)
        | StoreError::Conflict(_)
        | StoreError::Invalid(_)
        | StoreError::VersionConflict { .. } => Error::Refused(Refusal::new(e.to_string())),
        StoreError::NotFound(_) => Error::NotFound,
        e => Error::Store(e),
    }
}

/// The end of a 公示 published at `at`: 23:59:59 (Asia/Shanghai) of the `working_days`-th
/// working day (Monday to Friday) after the day of publication.
pub fn publicity_closes(at: DateTime<Utc>, working_days: u32) -> DateTime<Utc> {
    let tz = shanghai();
    let mut day = at.with_timezone(&tz).date_naive();
    let mut left = working_days.max(1);
    while left > 0 {
        day = day.succ_opt().unwrap_or(day);
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            left -= 1;
        }
    }
    let end = day.and_time(NaiveTime::from_hms_opt(23, 59, 59).unwrap_or_default());
    tz.from_local_datetime(&end)
        .single()
        .map_or(at + Duration::days(7), |t| t.with_timezone(&Utc))
}

/// Whether the selection is in a final list or a running 公示, for the outcome's wording.
fn outcome_of(r: &SelectionRecord, published: &HashMap<i64, PublicationKind>) -> &'static str {
    match (r.status, published.get(&r.id)) {
        (SelectionStatus::Selected, Some(PublicationKind::Final)) => "已公布",
        (SelectionStatus::Selected, Some(PublicationKind::Publicity)) => "公示中",
        (s, _) => s.label(),
    }
}

/// The selections named by the list in force (final, else 公示).
fn published_map(pubs: &[Publication]) -> HashMap<i64, PublicationKind> {
    let mut out = HashMap::new();
    let current = |kind| {
        pubs.iter()
            .rev()
            .find(|p| p.kind == kind && p.state == PublicationState::Published)
    };
    if let Some(p) = current(PublicationKind::Publicity) {
        for e in &p.entries {
            out.insert(e.selection_id, PublicationKind::Publicity);
        }
    }
    if let Some(p) = current(PublicationKind::Final) {
        out.clear();
        for e in &p.entries {
            out.insert(e.selection_id, PublicationKind::Final);
        }
    }
    out
}

/// The candidates of an accepted snapshot: every row, with the direction the rules decide.
pub fn candidates(
    batch: &BatchRecord,
    registry: &shuangshi_rules::Registry,
    snap: &Snapshot,
) -> Vec<Candidate> {
    let records: Vec<FormRecord> = snap
        .forms
        .iter()
        .map(|f| FormRecord {
            id: f.form_id,
            partnership_id: f.partnership_id,
            batch_id: snap.batch.id,
            school_id: snap.school.id,
            school_name: snap.school.name.clone(),
            enterprise_id: f.enterprise.id,
            enterprise_name: f.enterprise.name.clone(),
            enterprise_category: f.enterprise.category.clone(),
            version: f.version,
            header_school: f.header_school.clone(),
            header_enterprise: f.header_enterprise.clone(),
            filler: f.filler.clone(),
            phone: f.phone.clone(),
            content_hash: f.content_hash.clone(),
            updated_at: snap.submitted_at,
            rows: f
                .rows
                .iter()
                .map(|r| RowRecord {
                    id: r.row_id,
                    position: r.position,
                    cells: r.cells.clone(),
                    confirmed_version: r.confirmed_version,
                })
                .collect(),
        })
        .collect();
    let forms = crate::checks::rules_forms(&records);
    let dirs = directions(Input {
        batch: &batch.params,
        forms: &forms,
        registry: Some(registry),
        history: &[],
    });
    let mut out = Vec::new();
    for (f, form_dirs) in records.iter().zip(&dirs) {
        for (i, r) in f.rows.iter().enumerate() {
            let direction = match form_dirs.get(i).copied().flatten() {
                Some(Direction::School) => "school",
                Some(Direction::Enterprise) => "enterprise",
                None => "",
            };
            out.push(Candidate {
                form_id: f.id,
                enterprise_id: f.enterprise_id,
                row_no: i32::try_from(FIRST_ROW as usize + i).unwrap_or(i32::MAX),
                name: r.cell(C::Name).to_owned(),
                direction: direction.to_owned(),
                post: r.cell(C::Post).to_owned(),
                sending_unit: r.cell(C::SendingUnit).to_owned(),
                receiving_unit: r.cell(C::ReceivingUnit).to_owned(),
                term: r.cell(C::Term).to_owned(),
            });
        }
    }
    out
}

/// The public entries of the selected people, numbered from 1 (school, form, row order).
fn entries_of(selected: &[SelectionRecord], default_term: &str) -> Vec<PublicEntry> {
    selected
        .iter()
        .filter(|r| r.status == SelectionStatus::Selected)
        .enumerate()
        .map(|(i, r)| PublicEntry {
            seq: u32::try_from(i + 1).unwrap_or(u32::MAX),
            name: r.name.clone(),
            sending_unit: r.sending_unit.clone(),
            receiving_unit: r.receiving_unit.clone(),
            post: r.post.clone(),
            term: if r.term.trim().is_empty() {
                default_term.to_owned()
            } else {
                r.term.clone()
            },
            direction: direction_label(&r.direction).to_owned(),
            selection_id: r.id,
        })
        .collect()
}

/// A keyed hash of a sender's address: enough to count, never the address.
pub fn address_key(ip: &str) -> String {
    hex::encode(Sha256::digest(
        format!("shuangshi-objection:{ip}").as_bytes(),
    ))
}

/// An objection as the public typed it.
#[derive(Debug, Clone, Default)]
pub struct ObjectionForm {
    /// 序号 on the list (0: not about one person).
    pub seq: u32,
    pub contact: String,
    pub body: String,
}

/// The most characters an objection's text may have, and its contact.
pub const OBJECTION_MAX_CHARS: usize = 2000;
pub const CONTACT_MAX_CHARS: usize = 100;

/// Plain text: control characters (but line breaks) removed, trimmed.
fn plain(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .collect::<String>()
        .trim()
        .to_owned()
}

impl App {
    /// The selection page: every person of the accepted submissions in scope, the standing over
    /// the selected ones, the publications and the objections.
    pub async fn selection_board(
        &self,
        scope: &Scope,
        batch: &BatchRecord,
        filter: &SelectionFilter,
        disclosure: &Disclosure,
    ) -> Result<Board> {
        let all = self.store.list_selections(scope, batch.id).await?;
        let publications = self.store.list_publications(batch.id).await?;
        let objections = if matches!(scope, Scope::All) {
            self.store.list_objections(batch.id).await?
        } else {
            Vec::new()
        };
        let published = published_map(&publications);
        let mut form_ids: Vec<i64> = all.iter().map(|r| r.form_id).collect();
        form_ids.sort_unstable();
        form_ids.dedup();
        let mut dups: HashMap<(i64, u32), Vec<Finding>> = HashMap::new();
        for p in self.store.placed_findings(scope, &form_ids).await? {
            if let (true, Some(row)) = (p.own, p.row_no) {
                let mut f = Finding::try_from(p.finding).map_err(|e| {
                    Error::Store(StoreError::Corrupt(format!("已保存的检查结果：{e}")))
                })?;
                disclosure.finding(&mut f);
                dups.entry((p.form_id, row)).or_default().push(f);
            }
        }
        let params = &batch.params;
        let senior_school = norm(&params.posts.school_senior);
        let senior_enterprise = norm(&params.posts.enterprise_senior);
        let mut counts = [0usize; 3];
        let mut per_school: BTreeMap<(String, String), Tally> = BTreeMap::new();
        let mut total = Tally::default();
        for r in &all {
            counts[match r.status {
                SelectionStatus::Pending => 0,
                SelectionStatus::Selected => 1,
                SelectionStatus::Rejected => 2,
            }] += 1;
            let t = per_school
                .entry((r.school_name.clone(), r.school_tier.clone()))
                .or_default();
            if r.status != SelectionStatus::Selected {
                continue;
            }
            let mut one = Tally::default();
            match r.direction.as_str() {
                "school" => {
                    one.teachers = 1;
                    one.tech_vps = u32::from(norm(&r.post) == senior_school);
                }
                "enterprise" => {
                    one.engineers = 1;
                    one.deans = u32::from(norm(&r.post) == senior_enterprise);
                }
                _ => one.undetermined = 1,
            }
            *t += one;
            total += one;
        }
        let schools = per_school
            .into_iter()
            .map(|((school, tier_name), tally)| {
                let tier = params.tier(&tier_name);
                SchoolStanding {
                    findings: tier
                        .map(|t| {
                            shuangshi_rules::rules::s::selected_standing(params, t, &school, &tally)
                        })
                        .unwrap_or_default(),
                    min_sent: tier.map_or(0, |t| t.min_sent),
                    min_received: tier.map_or(0, |t| t.min_received),
                    min_school_senior: tier.map_or(0, |t| t.min_school_senior),
                    min_enterprise_senior: tier.map_or(0, |t| t.min_enterprise_senior),
                    school,
                    tier: tier_name,
                    tally,
                }
            })
            .collect();
        let targets = &params.targets;
        let totals = vec![
            Total {
                label: "入选学校派出教师",
                have: total.teachers,
                target: targets.school_to_enterprise,
            },
            Total {
                label: "其中挂任科技副总",
                have: total.tech_vps,
                target: targets.tech_vice_president,
            },
            Total {
                label: "入选企业派出工程师",
                have: total.engineers,
                target: targets.enterprise_to_school,
            },
            Total {
                label: "其中挂任产业副院长",
                have: total.deans,
                target: targets.industry_dean,
            },
        ];
        let programme = shuangshi_rules::totals(params, &total)
            .into_iter()
            .map(|mut f| {
                f.message = f.message.replace("共推荐", "入选");
                f
            })
            .collect();
        let needle = norm(filter.q.trim());
        let people = all
            .iter()
            .filter(|r| {
                (needle.is_empty()
                    || [&r.name, &r.school_name, &r.enterprise_name]
                        .iter()
                        .any(|s| norm(s).contains(&needle)))
                    && (filter.tier.is_empty() || r.school_tier == filter.tier)
                    && (filter.direction.is_empty() || r.direction == filter.direction)
                    && (filter.kind.is_empty() || r.enterprise_kind == filter.kind)
                    && filter.status.is_none_or(|s| s == r.status)
                    && (filter.body.is_empty() || r.body == filter.body)
                    && match filter.opinion.as_str() {
                        "object" => r.opinions.iter().any(|o| o.opinion == "object"),
                        "agree" => {
                            !r.opinions.is_empty()
                                && r.opinions.iter().all(|o| o.opinion == "agree")
                        }
                        "none" => r.opinions.is_empty(),
                        _ => true,
                    }
            })
            .map(|r| Candidacy {
                direction_label: direction_label(&r.direction),
                outcome: outcome_of(r, &published),
                duplicates: dups
                    .get(&(r.form_id, u32::try_from(r.row_no).unwrap_or(0)))
                    .cloned()
                    .unwrap_or_default(),
                body_label: body_label(&r.body),
                record: r.clone(),
            })
            .collect();
        let at = Utc::now();
        let finals = || {
            publications
                .iter()
                .filter(|p| p.kind == PublicationKind::Final)
        };
        let frozen = finals().any(|p| p.state == PublicationState::Published)
            && !finals()
                .any(|p| matches!(p.state, PublicationState::Draft | PublicationState::Pending));
        let unrouted = self
            .store
            .list_copies(scope, batch.id)
            .await?
            .iter()
            .filter(|c| c.body == UNROUTED)
            .count();
        Ok(Board {
            batch_name: batch.name.clone(),
            people,
            counts,
            totals,
            programme,
            schools,
            publicity_open: publications.iter().rev().find(|p| p.is_open(at)).cloned(),
            pending_final: finals()
                .find(|p| p.state == PublicationState::Pending)
                .cloned(),
            correcting: finals().any(|p| p.state == PublicationState::Draft),
            frozen,
            publications,
            objections,
            unrouted,
        })
    }

    /// 入选 / 未入选 (with a reason) / back to 待遴选, for one person or many.
    pub async fn decide_selection(
        &self,
        scope: &Scope,
        actor: &Actor,
        batch: &BatchRecord,
        ids: &[i64],
        status: SelectionStatus,
        reason: &str,
    ) -> Result<u64> {
        if ids.is_empty() {
            return Err(Error::refused("请先勾选人员"));
        }
        self.store
            .decide_selections(scope, batch.id, ids, status, reason, actor)
            .await
            .map_err(refused)
    }

    /// An oversight body's opinion (无异议 / 有异议 + reason) on a person in its copies.
    pub async fn record_opinion(
        &self,
        scope: &Scope,
        actor: &Actor,
        selection_id: i64,
        object: bool,
        reason: &str,
    ) -> Result<()> {
        match self
            .store
            .record_opinion(scope, selection_id, object, reason, actor)
            .await
        {
            Ok(Some(())) => Ok(()),
            Ok(None) => Err(Error::NotFound),
            Err(e) => Err(refused(e)),
        }
    }

    /// Publishes the 公示 of the people selected now, open for the batch's working days from `at`.
    pub async fn publish_publicity(
        &self,
        actor: &Actor,
        batch: &BatchRecord,
        at: DateTime<Utc>,
    ) -> Result<Publication> {
        let all = self.store.list_selections(&Scope::All, batch.id).await?;
        let entries = entries_of(&all, &batch.params.term);
        let closes = publicity_closes(at, batch.params.publicity.working_days);
        self.store
            .publish_publicity(batch.id, &entries, at, closes, actor)
            .await
            .map_err(refused)
    }

    /// Proposes the final list of the people selected now: published at once when this is the
    /// only active 市教委管理员, otherwise waiting for a second one.
    pub async fn propose_final(
        &self,
        actor: &Actor,
        batch: &BatchRecord,
        note: &str,
    ) -> Result<Publication> {
        let all = self.store.list_selections(&Scope::All, batch.id).await?;
        let pending = all
            .iter()
            .filter(|r| r.status == SelectionStatus::Pending)
            .count();
        if pending > 0 {
            return Err(Error::refused(format!(
                "尚有 {pending} 人「待遴选」，请全部确定入选或未入选后再公布正式名单"
            )));
        }
        let entries = entries_of(&all, &batch.params.term);
        let needs_approval = self.store.active_admins().await? > 1;
        self.store
            .propose_final(batch.id, &entries, note, needs_approval, actor)
            .await
            .map_err(refused)
    }

    /// A second 市教委管理员 approves the final list.
    pub async fn approve_final(&self, actor: &Actor, publication_id: i64) -> Result<Publication> {
        self.store
            .approve_final(publication_id, actor)
            .await
            .map_err(refused)
    }

    /// The maker withdraws a final list waiting for approval.
    pub async fn withdraw_final(&self, actor: &Actor, publication_id: i64) -> Result<()> {
        self.store
            .withdraw_final(publication_id, actor)
            .await
            .map_err(refused)
    }

    /// Opens a correction of the published final list (a reason is required).
    pub async fn open_correction(
        &self,
        actor: &Actor,
        batch: &BatchRecord,
        reason: &str,
    ) -> Result<()> {
        self.store
            .open_correction(batch.id, reason, actor)
            .await
            .map_err(refused)
    }

    /// An objection from the public: the contact and the text are required and capped, kept as
    /// plain text; the rate limit is the store's.
    pub async fn submit_objection(
        &self,
        batch_number: u32,
        form: &ObjectionForm,
        ip: &str,
    ) -> Result<Objection> {
        let contact = plain(&form.contact);
        let body = plain(&form.body);
        if contact.is_empty() {
            return Err(Error::refused(
                "请填写联系方式（姓名及电话或电子邮箱），以便核实情况",
            ));
        }
        if contact.chars().count() > CONTACT_MAX_CHARS {
            return Err(Error::refused(format!(
                "联系方式不超过 {CONTACT_MAX_CHARS} 字，现为 {} 字",
                contact.chars().count()
            )));
        }
        if body.chars().count() < 5 {
            return Err(Error::refused("请写明异议的具体事实和理由（至少 5 个字）"));
        }
        if body.chars().count() > OBJECTION_MAX_CHARS {
            return Err(Error::refused(format!(
                "异议内容不超过 {OBJECTION_MAX_CHARS} 字，现为 {} 字",
                body.chars().count()
            )));
        }
        let o = NewObjection {
            batch_number,
            seq: form.seq,
            contact,
            body,
            address_key: address_key(ip),
        };
        match self.store.submit_objection(&o).await {
            Ok(o) => Ok(o),
            Err(StoreError::Throttled(m)) => Err(Error::Store(StoreError::Throttled(m))),
            Err(e) => Err(refused(e)),
        }
    }

    /// 成立 (the person becomes 未入选 with the objection as the reason) or 不成立, with a note.
    pub async fn handle_objection(
        &self,
        actor: &Actor,
        objection_id: i64,
        upheld: bool,
        note: &str,
    ) -> Result<Objection> {
        self.store
            .handle_objection(objection_id, upheld, note, actor)
            .await
            .map_err(refused)
    }

    /// What `/public` lists: every batch with a published list.
    pub async fn public_lists(&self) -> Result<Vec<PublicList>> {
        Ok(self.store.public_lists().await?)
    }

    /// The list in force for the public of batch `number`.
    pub async fn public_list(&self, number: u32) -> Result<PublicList> {
        self.store.public_list(number).await?.ok_or(Error::NotFound)
    }

    /// The outcome of every person in scope (the school's and the enterprise's workbench).
    pub async fn outcomes(&self, scope: &Scope, batch: &BatchRecord) -> Result<Vec<Outcome>> {
        let all = self.store.list_selections(scope, batch.id).await?;
        let pubs = self.store.list_publications(batch.id).await?;
        let published = published_map(&pubs);
        Ok(all
            .into_iter()
            .map(|r| Outcome {
                outcome: outcome_of(&r, &published),
                direction_label: direction_label(&r.direction),
                record: r,
            })
            .collect())
    }

    /// The copies routed to the caller's body (or, for the commission, every copy), one line per
    /// person of the newest routed version of each form, with the submission's status and the
    /// selection outcome; numbers through `disclosure`.
    pub async fn copies(
        &self,
        scope: &Scope,
        batch: &BatchRecord,
        filter: &CopyFilter,
        disclosure: &Disclosure,
    ) -> Result<Vec<CopiedPerson>> {
        let copies = self.store.list_copies(scope, batch.id).await?;
        let selections: HashMap<(i64, i64, i32), SelectionRecord> = self
            .store
            .list_selections(scope, batch.id)
            .await?
            .into_iter()
            .map(|r| ((r.submission_version_id, r.form_id, r.row_no), r))
            .collect();
        let pubs = self.store.list_publications(batch.id).await?;
        let published = published_map(&pubs);
        let registry = self.store.registry().await?;
        // The newest version of each form (copies come newest first per school).
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        let needle = norm(filter.q.trim());
        let mut snapshots: HashMap<i64, Option<(Snapshot, String)>> = HashMap::new();
        for c in copies {
            if !seen.insert(c.form_id) {
                continue;
            }
            if !filter.body.is_empty() && c.body != filter.body {
                continue;
            }
            if let std::collections::hash_map::Entry::Vacant(slot) =
                snapshots.entry(c.submission_version_id)
            {
                slot.insert(
                    self.store
                        .copied_version(scope, c.submission_version_id)
                        .await?,
                );
            }
            let Some(Some((snap, status))) = snapshots.get(&c.submission_version_id) else {
                continue;
            };
            let status_label = status
                .parse::<shuangshi_store::SubmissionStatus>()
                .map(|s| s.label())
                .unwrap_or("");
            let Some(form) = snap.forms.iter().find(|f| f.form_id == c.form_id) else {
                continue;
            };
            let affiliation = registry
                .find(&form.enterprise.name)
                .map(|o| o.affiliation.clone())
                .unwrap_or_default();
            for (i, r) in form.rows.iter().enumerate() {
                let row_no = i32::try_from(FIRST_ROW as usize + i).unwrap_or(i32::MAX);
                let sel = selections.get(&(c.submission_version_id, c.form_id, row_no));
                let outcome = sel.map_or("未受理", |s| outcome_of(s, &published));
                let p = CopiedPerson {
                    name: r.cell(C::Name).to_owned(),
                    sending_unit: r.cell(C::SendingUnit).to_owned(),
                    receiving_unit: r.cell(C::ReceivingUnit).to_owned(),
                    post: r.cell(C::Post).to_owned(),
                    term: r.cell(C::Term).to_owned(),
                    title: r.cell(C::Title).to_owned(),
                    mobile: disclosure.cell(C::Mobile, r.cell(C::Mobile)),
                    account: disclosure.cell(C::AccountNumber, r.cell(C::AccountNumber)),
                    school: snap.school.name.clone(),
                    enterprise: form.enterprise.name.clone(),
                    kind: form.enterprise.category.clone(),
                    affiliation: affiliation.clone(),
                    body: body_label(&c.body),
                    receipt_no: snap.receipt_no.clone(),
                    routed_at: c.routed_at,
                    status: status_label,
                    outcome,
                    reason: sel.map(|s| s.reason.clone()).unwrap_or_default(),
                    selection_id: sel.map(|s| s.id),
                    opinion: sel
                        .and_then(|s| s.opinions.first())
                        .map(|o| {
                            format!(
                                "{}{}",
                                o.label(),
                                if o.reason.is_empty() {
                                    String::new()
                                } else {
                                    format!("：{}", o.reason)
                                }
                            )
                        })
                        .unwrap_or_default(),
                    version_id: c.submission_version_id,
                    form_id: c.form_id,
                    row_no,
                };
                let keep = (needle.is_empty()
                    || [&p.name, &p.school, &p.enterprise]
                        .iter()
                        .any(|s| norm(s).contains(&needle)))
                    && (filter.status.is_empty() || p.status == filter.status)
                    && (filter.outcome.is_empty() || p.outcome == filter.outcome);
                if keep {
                    out.push(p);
                }
            }
        }
        Ok(out)
    }
}

/// The oversight page's filters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopyFilter {
    pub q: String,
    /// A submission status label (已报送 …).
    pub status: String,
    /// An outcome label (待遴选 …, 未受理).
    pub outcome: String,
    /// Copy target (`sasac`, `federation`, `none`); the commission's filter.
    pub body: String,
}

/// One person of a routed copy.
#[derive(Debug, Clone)]
pub struct CopiedPerson {
    pub name: String,
    pub sending_unit: String,
    pub receiving_unit: String,
    pub post: String,
    pub term: String,
    pub title: String,
    pub mobile: String,
    pub account: String,
    pub school: String,
    pub enterprise: String,
    pub kind: String,
    pub affiliation: String,
    pub body: &'static str,
    pub receipt_no: String,
    pub routed_at: DateTime<Utc>,
    pub status: &'static str,
    pub outcome: &'static str,
    pub reason: String,
    pub selection_id: Option<i64>,
    pub opinion: String,
    /// Where the row is: the submitted version, its form and the sheet row (for 「查看完整」).
    pub version_id: i64,
    pub form_id: i64,
    pub row_no: i32,
}

/// The headers of the oversight export, in [`CopiedPerson::cells`] order.
pub const COPY_HEADERS: [&str; 15] = [
    "姓名",
    "派出单位",
    "接收单位",
    "拟挂任职务",
    "交流期限",
    "现任专业技术职务",
    "手机号码",
    "账户账号",
    "学校",
    "企业",
    "企业类别",
    "隶属关系",
    "报送状态",
    "遴选结果",
    "意见",
];

impl CopiedPerson {
    pub fn cells(&self) -> Vec<String> {
        vec![
            self.name.clone(),
            self.sending_unit.clone(),
            self.receiving_unit.clone(),
            self.post.clone(),
            self.term.clone(),
            self.title.clone(),
            self.mobile.clone(),
            self.account.clone(),
            self.school.clone(),
            self.enterprise.clone(),
            self.kind.clone(),
            self.affiliation.clone(),
            self.status.to_owned(),
            if self.reason.is_empty() {
                self.outcome.to_owned()
            } else {
                format!("{}（{}）", self.outcome, self.reason)
            },
            self.opinion.clone(),
        ]
    }
}

/// The copies as an xlsx workbook (numbers as the disclosure gave them).
pub fn copies_xlsx(title: &str, people: &[CopiedPerson]) -> Result<Vec<u8>> {
    let rows: Vec<Vec<String>> = people.iter().map(CopiedPerson::cells).collect();
    shuangshi_sheet::write::table_xlsx("报送名单", title, &COPY_HEADERS, &rows)
        .map_err(|e| Error::refused(format!("名单文件生成失败：{e}")))
}

/// The headers of the public list.
pub const PUBLIC_HEADERS: [&str; 7] = [
    "序号",
    "姓名",
    "派出单位",
    "接收单位",
    "拟挂任职务",
    "交流期限",
    "派出方向",
];

/// The public list as an xlsx workbook: the public fields only.
pub fn public_xlsx(list: &PublicList) -> Result<Vec<u8>> {
    let rows: Vec<Vec<String>> = list
        .publication
        .entries
        .iter()
        .map(|e| {
            vec![
                e.seq.to_string(),
                e.name.clone(),
                e.sending_unit.clone(),
                e.receiving_unit.clone(),
                e.post.clone(),
                e.term.clone(),
                e.direction.clone(),
            ]
        })
        .collect();
    let title = public_title(list);
    shuangshi_sheet::write::table_xlsx("名单", &title, &PUBLIC_HEADERS, &rows)
        .map_err(|e| Error::refused(format!("名单文件生成失败：{e}")))
}

/// 「双千双师交流计划第十批交流互派人员名单（公示）」.
pub fn public_title(list: &PublicList) -> String {
    match list.publication.kind {
        PublicationKind::Publicity => {
            format!(
                "双千双师交流计划{}交流互派人员名单（公示）",
                list.batch_name
            )
        }
        PublicationKind::Final => format!(
            "双千双师交流计划{}交流互派人员名单{}",
            list.batch_name,
            if list.publication.revision > 1 {
                format!("（第 {} 次修订）", list.publication.revision - 1)
            } else {
                String::new()
            }
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publicity_counts_working_days_after_the_day_of_publication() {
        // Friday 2026-12-04 10:00 in Shanghai: 7, 8, 9, 10, 11 December are the five days.
        let at = shanghai()
            .with_ymd_and_hms(2026, 12, 4, 10, 0, 0)
            .single()
            .map(|t| t.with_timezone(&Utc));
        let Some(at) = at else { panic!("a valid time") };
        let closes = publicity_closes(at, 5).with_timezone(&shanghai());
        assert_eq!(
            closes.format("%Y-%m-%d %H:%M:%S").to_string(),
            "2026-12-11 23:59:59"
        );
    }

    #[test]
    fn plain_text_drops_control_characters() {
        assert_eq!(plain(" a\u{0}b\u{7}\nc "), "ab\nc");
    }
}
