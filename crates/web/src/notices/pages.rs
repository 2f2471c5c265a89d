//! 通知与模板: what the school works against — the batch's parameters as the notice states them
//! (term, deadline or the school's extension, the tier minimums with the school's own tier
//! marked, the posts and exchange forms, the subsidy), the notice itself (第十批's text, embedded
//! from `assets/notices/batch10-notice.txt`, a copy of the commission's notice), the blank official
//! template, and every check the system makes with its rule ID and clause.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use shuangshi_rules::{RULES, RuleMeta};
use shuangshi_store::db_time;

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::filters;
use crate::shared::officer::school_ctx;
use crate::state::AppState;
use crate::ui::Frame;

/// One tier's minimums.
pub struct TierLine {
    pub name: String,
    pub min_sent: u32,
    pub min_received: u32,
    pub min_school_senior: u32,
    pub min_enterprise_senior: u32,
    pub ours: bool,
}

/// The text of 第十批's notice (《关于推荐双千双师交流计划第十批交流互聘人选的通知》), as the
/// commission issued it (the attached form follows the signature; the page shows the notice up to
/// it and offers the template to download instead).
pub const BATCH10_NOTICE: &str = include_str!("../../assets/notices/batch10-notice.txt");

/// How a paragraph of the notice is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    /// The title lines, centred and bold.
    Title,
    /// 「一、交流互聘人数」: a section heading.
    Heading,
    Body,
    /// The issuing bodies and the date, right-aligned.
    Sign,
}

/// One paragraph of the notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticePara {
    pub kind: NoticeKind,
    pub text: String,
}

impl NoticePara {
    /// The Bootstrap classes of the paragraph.
    pub fn class(&self) -> &'static str {
        match self.kind {
            NoticeKind::Title => "text-center fw-bold fs-6 mb-1",
            NoticeKind::Heading => "fw-bold mt-3 mb-2",
            NoticeKind::Body => "mb-2",
            NoticeKind::Sign => "text-end mb-1",
        }
    }
}

/// The notice's text as paragraphs: the title (the lines before the addressees), section
/// headings (「一、」…), the body, and after 「附件：」 the signature and date; the attached form
/// (its lines are set with tabs) is left out.
pub fn notice_paragraphs(text: &str) -> Vec<NoticePara> {
    const NUMERALS: &[char] = &['一', '二', '三', '四', '五', '六', '七', '八', '九', '十'];
    let mut out = Vec::new();
    let mut in_title = true;
    let mut signing = false;
    for line in text.lines() {
        if line.contains('\t') {
            break;
        }
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        if in_title && t.ends_with('：') {
            in_title = false;
        }
        if signing {
            for part in t.split("  ").map(str::trim).filter(|p| !p.is_empty()) {
                out.push(NoticePara {
                    kind: NoticeKind::Sign,
                    text: part.to_owned(),
                });
            }
            continue;
        }
        let heading = t.split_once('、').is_some_and(|(n, rest)| {
            !n.is_empty() && n.chars().all(|c| NUMERALS.contains(&c)) && rest.chars().count() <= 20
        });
        let kind = if in_title {
            NoticeKind::Title
        } else if heading {
            NoticeKind::Heading
        } else {
            NoticeKind::Body
        };
        out.push(NoticePara {
            kind,
            text: t.to_owned(),
        });
        if t.starts_with("附件") {
            signing = true;
        }
    }
    out
}

/// 通知与模板.
#[derive(Template, WebTemplate)]
#[template(path = "school/notices.html")]
pub struct NoticesPage {
    pub frame: Frame,
    pub batch_name: String,
    pub term: String,
    pub deadline: DateTime<Utc>,
    /// The batch's own deadline, shown beside the school's extension.
    pub batch_deadline: DateTime<Utc>,
    /// Whether this school has an extension (a deadline of its own, later than the batch's).
    pub extended: bool,
    pub subsidy: u32,
    pub tiers: Vec<TierLine>,
    pub school_posts: String,
    pub enterprise_posts: String,
    pub school_senior: String,
    pub enterprise_senior: String,
    pub exchange_forms: String,
    pub rules: &'static [RuleMeta],
    /// The notice's paragraphs (empty when the batch's notice is not embedded).
    pub notice: Vec<NoticePara>,
}

/// `GET /notices`.
pub async fn page(State(state): State<AppState>, user: CurrentUser) -> Result<Response, AppError> {
    let ctx = school_ctx(&state.store, &user).await?;
    let p = &ctx.batch.params;
    let deadline = state
        .store
        .effective_deadline(ctx.batch.id, ctx.school_id)
        .await?;
    // Stored times carry microseconds, a batch's parameters may carry more: compare as stored.
    let batch_deadline = db_time(ctx.batch.deadline());
    let extended = state
        .store
        .list_extensions(ctx.batch.id)
        .await?
        .iter()
        .any(|e| e.school_id == ctx.school_id && e.deadline > batch_deadline);
    let tier = state
        .store
        .get_org(&ctx.scope, ctx.school_id)
        .await?
        .map(|o| o.category)
        .unwrap_or_default();
    let tiers = p
        .tiers
        .iter()
        .map(|t| TierLine {
            name: t.name.clone(),
            min_sent: t.min_sent,
            min_received: t.min_received,
            min_school_senior: t.min_school_senior,
            min_enterprise_senior: t.min_enterprise_senior,
            ours: t.name == tier,
        })
        .collect();
    let frame = user
        .frame_with_batch(&state, "通知与模板", "notices")
        .await?;
    Ok(NoticesPage {
        frame,
        batch_name: ctx.batch.name.clone(),
        term: p.term.clone(),
        deadline,
        batch_deadline,
        extended,
        subsidy: p.subsidy_per_person,
        tiers,
        school_posts: p.posts.school.join("、"),
        enterprise_posts: p.posts.enterprise.join("、"),
        school_senior: p.posts.school_senior.clone(),
        enterprise_senior: p.posts.enterprise_senior.clone(),
        exchange_forms: p.exchange_forms.join("、"),
        rules: RULES,
        notice: if ctx.batch.number == 10 {
            notice_paragraphs(BATCH10_NOTICE)
        } else {
            Vec::new()
        },
    }
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_notice_reads_as_paragraphs_without_the_attached_form() {
        let paras = notice_paragraphs(BATCH10_NOTICE);
        let titles: Vec<&str> = paras
            .iter()
            .filter(|p| p.kind == NoticeKind::Title)
            .map(|p| p.text.as_str())
            .collect();
        assert_eq!(
            titles,
            [
                "重庆市教育委员会等4部门",
                "关于推荐双千双师交流计划第十批",
                "交流互聘人选的通知"
            ]
        );
        let headings: Vec<&str> = paras
            .iter()
            .filter(|p| p.kind == NoticeKind::Heading)
            .map(|p| p.text.as_str())
            .collect();
        assert_eq!(
            headings,
            [
                "一、交流互聘人数",
                "二、交流互聘人选条件",
                "三、交流互聘程序",
                "四、工作要求"
            ]
        );
        assert!(paras.iter().any(|p| p.text.contains("1万元/人")));
        assert!(paras.iter().all(|p| !p.text.contains("序  号")));
        assert_eq!(
            paras.last().map(|p| (p.kind, p.text.as_str())),
            Some((NoticeKind::Sign, "2023年9月 日"))
        );
    }
}
