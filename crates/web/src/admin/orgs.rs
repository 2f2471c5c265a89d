//! 单位名录: the registry with filters (名称, 类别, 区县) and pagination; import of the same CSV/xlsx
//! as `check --orgs` with a preview (nothing stored) and an all-or-nothing commit; edit an
//! organisation.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use shuangshi_app::orgs::{OrgChange, summary_text};
use shuangshi_rules::Org;
use shuangshi_store::orgs::{ENTERPRISE_KINDS, SCHOOL_TIERS};
use shuangshi_store::{OrgFilter, OrgRecord, PageRequest, Scope, StoreError};
use tower_sessions::Session;

use super::{Paging, non_empty};
use crate::auth::{CsrfForm, CurrentUser, check_csrf};
use crate::error::AppError;
use crate::filters;
use crate::session::{push_flash, take_flash};
use crate::state::AppState;
use crate::ui::{Column, Flash, Frame, Pager, SearchField, SearchForm, SelectOption, Toolbar};

/// Session key of the registry read by the last preview, waiting for 确认导入.
const PENDING: &str = "org_import";

#[derive(Template, WebTemplate)]
#[template(path = "admin/orgs.html")]
pub struct OrgsPage {
    pub frame: Frame,
    pub search: SearchForm,
    pub toolbar: Toolbar,
    pub columns: Vec<Column>,
    pub rows: Vec<OrgRecord>,
    pub pager: Pager,
}

#[derive(Debug, Default, Deserialize)]
pub struct OrgQuery {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub district: String,
    #[serde(flatten)]
    pub paging: Paging,
}

/// Every school tier and enterprise kind, for selects.
pub fn category_options() -> Vec<SelectOption> {
    SCHOOL_TIERS
        .iter()
        .chain(ENTERPRISE_KINDS.iter())
        .map(|c| SelectOption::new(*c, *c))
        .collect()
}

/// `GET /admin/orgs`.
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Query(q): Query<OrgQuery>,
) -> Result<OrgsPage, AppError> {
    let filter = OrgFilter {
        name: non_empty(&q.name),
        category: non_empty(&q.category),
        district: non_empty(&q.district),
        is_school: None,
    };
    let first = Pager::new(
        "/admin/orgs",
        q.paging.page(),
        q.paging.per_page(),
        u64::MAX,
    );
    let mut page = state
        .store
        .list_orgs(
            &Scope::All,
            &filter,
            PageRequest::new(first.offset(), u64::from(first.per_page)),
        )
        .await?;
    let pager = Pager::new(
        "/admin/orgs",
        q.paging.page(),
        q.paging.per_page(),
        page.total,
    )
    .keep("name", &q.name)
    .keep("category", &q.category)
    .keep("district", &q.district);
    if pager.offset() != first.offset() {
        page = state
            .store
            .list_orgs(
                &Scope::All,
                &filter,
                PageRequest::new(pager.offset(), u64::from(pager.per_page)),
            )
            .await?;
    }
    let mut frame = user.frame_with_batch(&state, "单位名录", "orgs").await?;
    for f in take_flash(&session).await {
        frame = frame.flash(f);
    }
    Ok(OrgsPage {
        frame,
        search: SearchForm::new("/admin/orgs")
            .field(SearchField::text("name", "名称", &q.name))
            .field(SearchField::select(
                "category",
                "类别",
                &q.category,
                category_options(),
            ))
            .field(SearchField::text("district", "区县", &q.district)),
        toolbar: Toolbar {
            import_dialog: Some("org-import".into()),
            template_href: Some("/admin/orgs/template.csv".into()),
            ..Toolbar::default()
        },
        columns: vec![
            Column::new("单位名称"),
            Column::new("类别"),
            Column::new("隶属关系"),
            Column::new("统一社会信用代码"),
            Column::new("所在区县"),
            Column::new("操作").class("w-actions"),
        ],
        rows: page.items,
        pager,
    })
}

/// `GET /admin/orgs/template.csv`: the registry's columns (UTF-8 with BOM, so Excel and WPS
/// read the Chinese), with one example row of each kind.
pub async fn template() -> Response {
    let body = "\u{feff}单位名称,单位类别,隶属关系,统一社会信用代码,所在区县\r\n\
                重庆某某职业技术学院,国家双高,市教委,,沙坪坝区\r\n\
                重庆某某科技有限公司,国有企业,市国资委,,渝北区\r\n";
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"orgs-template.csv\"; filename*=UTF-8''%E5%8D%95%E4%BD%8D%E5%90%8D%E5%BD%95%E6%A8%A1%E6%9D%BF.csv",
            ),
        ],
        body,
    )
        .into_response()
}

/// What the import would do with one organisation.
#[derive(Debug, Clone)]
pub struct PreviewRow {
    pub org: Org,
    /// 新增, 更新 or 不变.
    pub change: &'static str,
}

/// The preview of an import.
pub struct ImportPreview {
    pub csrf: String,
    pub file_name: String,
    /// The reasons the file cannot be imported (nothing is stored).
    pub problems: Vec<String>,
    pub rows: Vec<PreviewRow>,
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub token: String,
}

impl ImportPreview {
    /// At most 200 rows are listed.
    pub fn shown(&self) -> &[PreviewRow] {
        &self.rows[..self.rows.len().min(200)]
    }
}

/// The preview inside the import dialog (htmx).
#[derive(Template, WebTemplate)]
#[template(path = "admin/org_import_body.html")]
pub struct ImportPreviewFragment {
    pub p: ImportPreview,
}

/// The preview as a page (without JavaScript).
#[derive(Template, WebTemplate)]
#[template(path = "admin/org_import_page.html")]
pub struct ImportPreviewPage {
    pub frame: Frame,
    pub p: ImportPreview,
}

async fn answer(
    state: &AppState,
    user: &CurrentUser,
    htmx: bool,
    p: ImportPreview,
) -> Result<Response, AppError> {
    if htmx {
        return Ok(ImportPreviewFragment { p }.into_response());
    }
    let frame = user.frame_with_batch(state, "导入单位名录", "orgs").await?;
    Ok(ImportPreviewPage { frame, p }.into_response())
}

#[derive(Serialize, Deserialize)]
struct Pending {
    token: String,
    orgs: Vec<(String, String, String, String, String)>,
}

/// `POST /admin/orgs/import` (multipart `file`, `_csrf`): reads and checks the registry, stores
/// nothing, and shows what would change.
pub async fn preview(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let mut csrf_field = None;
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| AppError::bad_request(format!("上传内容读取失败：{e}")))?
    {
        match field.name() {
            Some("_csrf") => csrf_field = field.text().await.ok(),
            Some("file") => {
                let name = field.file_name().unwrap_or("单位名录").to_owned();
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|e| AppError::bad_request(format!("文件「{name}」读取失败：{e}")))?;
                file = Some((name, bytes.to_vec()));
            }
            _ => {}
        }
    }
    check_csrf(&user, &headers, csrf_field.as_deref())?;
    let htmx = headers.contains_key("hx-request");
    let mut page = ImportPreview {
        csrf: user.csrf.clone(),
        file_name: String::new(),
        problems: Vec::new(),
        rows: Vec::new(),
        inserted: 0,
        updated: 0,
        unchanged: 0,
        token: String::new(),
    };
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        page.problems
            .push("请选择要导入的文件（CSV、xlsx 或 xls）".to_owned());
        return answer(&state, &user, htmx, page).await;
    };
    let preview = state.app.preview_org_import(&name, bytes).await?;
    page.file_name = preview.file_name.clone();
    page.problems = preview.problems.clone();
    if !preview.is_ok() {
        return answer(&state, &user, htmx, page).await;
    }
    page.inserted = preview.inserted;
    page.updated = preview.updated;
    page.unchanged = preview.unchanged;
    page.rows = preview
        .rows
        .iter()
        .map(|r| PreviewRow {
            org: r.org.clone(),
            change: r.change.label(),
        })
        .collect();
    page.token = crate::security::new_csrf_token();
    let pending = Pending {
        token: page.token.clone(),
        orgs: preview
            .rows
            .iter()
            .map(|OrgChange { org: o, .. }| {
                (
                    o.name.clone(),
                    o.category.clone(),
                    o.affiliation.clone(),
                    o.credit_code.clone(),
                    o.district.clone(),
                )
            })
            .collect(),
    };
    session
        .insert(PENDING, pending)
        .await
        .map_err(AppError::internal)?;
    answer(&state, &user, htmx, page).await
}

#[derive(Debug, Deserialize)]
pub struct Commit {
    #[serde(default)]
    pub token: String,
}

/// `POST /admin/orgs/import/commit`: imports the previewed registry, all or nothing.
pub async fn commit(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    CsrfForm(form): CsrfForm<Commit>,
) -> Result<Response, AppError> {
    let pending: Option<Pending> = session.remove(PENDING).await.map_err(AppError::internal)?;
    let Some(pending) = pending.filter(|p| {
        !p.token.is_empty() && crate::security::csrf_token_matches(&p.token, &form.token)
    }) else {
        return Err(AppError::conflict("预检结果已失效，请重新选择文件并预检"));
    };
    let orgs = pending
        .orgs
        .into_iter()
        .map(|(name, category, affiliation, credit_code, district)| Org {
            name,
            category,
            affiliation,
            credit_code,
            district,
        })
        .collect();
    let summary = state.app.commit_org_import(&user.actor(), orgs).await?;
    push_flash(
        &session,
        Flash::success(summary_text(
            false,
            summary.inserted,
            summary.updated,
            summary.unchanged,
        )),
    )
    .await;
    Ok(Redirect::to("/admin/orgs").into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/org_edit.html")]
pub struct OrgEditPage {
    pub frame: Frame,
    pub id: i64,
    pub form: OrgForm,
    pub categories: Vec<SelectOption>,
    pub error: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct OrgForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub affiliation: String,
    #[serde(default)]
    pub credit_code: String,
    #[serde(default)]
    pub district: String,
}

/// `GET /admin/orgs/{id}`.
pub async fn edit(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<OrgEditPage, AppError> {
    let org = state
        .store
        .get_org(&Scope::All, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(OrgEditPage {
        frame: user.frame_with_batch(&state, "编辑单位", "orgs").await?,
        id,
        form: OrgForm {
            name: org.name,
            category: org.category,
            affiliation: org.affiliation,
            credit_code: org.credit_code,
            district: org.district,
        },
        categories: category_options(),
        error: None,
    })
}

/// `POST /admin/orgs/{id}`.
pub async fn save(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<OrgForm>,
) -> Result<Response, AppError> {
    let org = Org {
        name: form.name.clone(),
        category: form.category.clone(),
        affiliation: form.affiliation.clone(),
        credit_code: form.credit_code.clone(),
        district: form.district.clone(),
    };
    let credit = form.credit_code.trim();
    let bad_code = !credit.is_empty() && !shuangshi_rules::text::uscc_is_valid(credit);
    let result = if bad_code {
        Err(StoreError::Invalid(format!(
            "统一社会信用代码「{credit}」校验不通过（GB 32100-2015），请核对"
        )))
    } else {
        state
            .store
            .update_org(&Scope::All, id, &org, &user.actor())
            .await
    };
    match result {
        Ok(Some(o)) => {
            push_flash(&session, Flash::success(format!("已保存「{}」", o.name))).await;
            Ok(Redirect::to("/admin/orgs").into_response())
        }
        Ok(None) => Err(AppError::NotFound),
        Err(StoreError::Invalid(m) | StoreError::Conflict(m) | StoreError::State(m)) => {
            let page = OrgEditPage {
                frame: user.frame_with_batch(&state, "编辑单位", "orgs").await?,
                id,
                form,
                categories: category_options(),
                error: Some(m),
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
