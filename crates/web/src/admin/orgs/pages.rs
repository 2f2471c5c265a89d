//! 单位名录: the registry with filters (名称, 类别, 区县) and pagination; import of the same CSV/xlsx
//! as `check --orgs` with a preview (nothing stored) and an all-or-nothing commit; 新增, 编辑 and
//! 删除 of one organisation (删除 refused, saying what, while anything references it); 导出 of the
//! filtered list as xlsx in the columns the import reads, so an export can be imported again.
//! Every change is audited by the store, the export here.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use shuangshi_app::orgs::{OrgChange, summary_text};
use shuangshi_rules::Org;
use shuangshi_store::orgs::{ENTERPRISE_KINDS, SCHOOL_TIERS, category_is_school};
use shuangshi_store::{OrgFilter, OrgRecord, PageRequest, Scope, StoreError};
use tower_sessions::Session;

use crate::auth::{CsrfForm, CurrentUser, check_csrf};
use crate::error::AppError;
use crate::filters;
use crate::session::{push_flash, take_flash};
use crate::shared::pagination::Paging;
use crate::shared::query::non_empty;
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

impl OrgsPage {
    /// The 编辑 link of a row.
    pub fn edit_href(&self, o: &OrgRecord) -> String {
        format!("/admin/orgs/{}", o.id)
    }

    /// Where 删除 posts for a row.
    pub fn delete_action(&self, o: &OrgRecord) -> String {
        format!("/admin/orgs/{}/delete", o.id)
    }

    /// What the 删除 confirmation names.
    pub fn delete_what(&self, o: &OrgRecord) -> String {
        format!(
            "单位「{}」（有账户、合作关系、推荐表或报送记录引用的单位不能删除）",
            o.name
        )
    }
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

impl OrgQuery {
    fn filter(&self) -> OrgFilter {
        OrgFilter {
            name: non_empty(&self.name),
            category: non_empty(&self.category),
            district: non_empty(&self.district),
            is_school: None,
        }
    }

    /// The filters as a query string (`?name=…`), empty when there are none.
    fn query_string(&self) -> String {
        let parts: Vec<String> = [
            ("name", &self.name),
            ("category", &self.category),
            ("district", &self.district),
        ]
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}={}", crate::fmt::url_encode(v.trim())))
        .collect();
        if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        }
    }
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
    let filter = q.filter();
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
        search: search_form(&q),
        toolbar: Toolbar {
            new_href: Some("/admin/orgs/new".into()),
            new_label: None,
            import_dialog: Some("org-import".into()),
            export_href: Some(format!("/admin/orgs/export.xlsx{}", q.query_string())),
            template_href: Some("/admin/orgs/template.csv".into()),
        },
        columns: vec![
            Column::new("单位名称"),
            Column::new("类别"),
            Column::new("学校/企业"),
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

/// 新增 and 编辑 of one organisation (`admin/org_edit.html`).
#[derive(Template, WebTemplate)]
#[template(path = "admin/org_edit.html")]
pub struct OrgEditPage {
    pub frame: Frame,
    /// `None` for 新增.
    pub id: Option<i64>,
    pub form: OrgForm,
    pub school_categories: Vec<SelectOption>,
    pub enterprise_categories: Vec<SelectOption>,
    pub error: Option<String>,
    /// The field the error is about (its `id`), outlined red.
    pub error_field: &'static str,
}

impl OrgEditPage {
    fn new(frame: Frame, id: Option<i64>, form: OrgForm) -> Self {
        OrgEditPage {
            frame,
            id,
            form,
            school_categories: SCHOOL_TIERS
                .iter()
                .map(|c| SelectOption::new(*c, *c))
                .collect(),
            enterprise_categories: ENTERPRISE_KINDS
                .iter()
                .map(|c| SelectOption::new(*c, *c))
                .collect(),
            error: None,
            error_field: "",
        }
    }

    pub fn action(&self) -> String {
        match self.id {
            Some(id) => format!("/admin/orgs/{id}"),
            None => "/admin/orgs".to_owned(),
        }
    }

    /// The `is-invalid` class for the field the error is about.
    pub fn invalid(&self, field: &str) -> &'static str {
        if self.error.is_some() && self.error_field == field {
            " is-invalid"
        } else {
            ""
        }
    }

    fn with_error(mut self, field: &'static str, message: String) -> Self {
        self.error = Some(message);
        self.error_field = field;
        self
    }
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct OrgForm {
    #[serde(default)]
    pub name: String,
    /// `school` or `enterprise`; empty: decided by the category.
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub affiliation: String,
    #[serde(default)]
    pub credit_code: String,
    #[serde(default)]
    pub district: String,
}

impl OrgForm {
    fn of(org: &OrgRecord) -> Self {
        OrgForm {
            name: org.name.clone(),
            kind: if org.is_school {
                "school"
            } else {
                "enterprise"
            }
            .to_owned(),
            category: org.category.clone(),
            affiliation: org.affiliation.clone(),
            credit_code: org.credit_code.clone(),
            district: org.district.clone(),
        }
    }

    fn org(&self) -> Org {
        Org {
            name: self.name.clone(),
            category: self.category.clone(),
            affiliation: self.affiliation.clone(),
            credit_code: self.credit_code.clone(),
            district: self.district.clone(),
        }
    }

    /// The first problem of the form: (field id, Chinese message naming what is accepted).
    fn problem(&self) -> Option<(&'static str, String)> {
        if self.name.trim().is_empty() {
            return Some((
                "name",
                "「单位名称」不能为空；请填写单位全称（与公章一致）".to_owned(),
            ));
        }
        let Some(is_school) = category_is_school(&self.category) else {
            let given = self.category.trim();
            let given = if given.is_empty() {
                "未选择".to_owned()
            } else {
                format!("「{given}」")
            };
            return Some((
                "category",
                format!(
                    "「单位类别」{given}；应为学校类别 {} 或企业类别 {} 之一",
                    SCHOOL_TIERS.join("、"),
                    ENTERPRISE_KINDS.join("、")
                ),
            ));
        };
        let kind = match self.kind.as_str() {
            "school" => Some(true),
            "enterprise" => Some(false),
            _ => None,
        };
        if kind.is_some_and(|k| k != is_school) {
            let (chosen, belongs) = if is_school {
                ("企业", "学校类别")
            } else {
                ("学校", "企业类别")
            };
            return Some((
                "category",
                format!(
                    "单位性质选了「{chosen}」，但「单位类别」「{}」是{belongs}；请改选与性质相符的类别",
                    self.category.trim()
                ),
            ));
        }
        let credit = self.credit_code.trim();
        if !credit.is_empty() && !shuangshi_rules::text::uscc_is_valid(credit) {
            return Some((
                "credit_code",
                format!(
                    "「统一社会信用代码」「{credit}」校验不通过（GB 32100-2015）；应为 18 位代码（数字和大写字母，不含 I、O、Z、S、V），可留空"
                ),
            ));
        }
        None
    }
}

/// The field a store refusal is about.
fn field_of(message: &str) -> &'static str {
    if message.contains("类别") {
        "category"
    } else if message.contains("信用代码") {
        "credit_code"
    } else {
        "name"
    }
}

/// `GET /admin/orgs/new`.
pub async fn new_page(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<OrgEditPage, AppError> {
    let frame = user.frame_with_batch(&state, "新增单位", "orgs").await?;
    Ok(OrgEditPage::new(frame, None, OrgForm::default()))
}

/// `POST /admin/orgs`: adds one organisation (audited as `org.create`).
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    CsrfForm(form): CsrfForm<OrgForm>,
) -> Result<Response, AppError> {
    let refuse = |field: &'static str, message: String, form: OrgForm| {
        let state = state.clone();
        let user = user.clone();
        async move {
            let frame = user.frame_with_batch(&state, "新增单位", "orgs").await?;
            let page = OrgEditPage::new(frame, None, form).with_error(field, message);
            Ok::<_, AppError>((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    };
    if let Some((field, message)) = form.problem() {
        return refuse(field, message, form).await;
    }
    match state.store.create_org(&form.org(), &user.actor()).await {
        Ok(o) => {
            push_flash(
                &session,
                Flash::success(format!("已新增「{}」（{}）", o.name, o.category)),
            )
            .await;
            Ok(Redirect::to("/admin/orgs").into_response())
        }
        Err(StoreError::Invalid(m) | StoreError::Conflict(m) | StoreError::State(m)) => {
            refuse(field_of(&m), m, form).await
        }
        Err(e) => Err(e.into()),
    }
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
    let frame = user.frame_with_batch(&state, "编辑单位", "orgs").await?;
    Ok(OrgEditPage::new(frame, Some(id), OrgForm::of(&org)))
}

/// `POST /admin/orgs/{id}` (audited as `org.update`).
pub async fn save(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<OrgForm>,
) -> Result<Response, AppError> {
    let result = match form.problem() {
        Some((field, m)) => Err((field, m)),
        None => match state
            .store
            .update_org(&Scope::All, id, &form.org(), &user.actor())
            .await
        {
            Ok(r) => Ok(r),
            Err(StoreError::Invalid(m) | StoreError::Conflict(m) | StoreError::State(m)) => {
                Err((field_of(&m), m))
            }
            Err(e) => return Err(e.into()),
        },
    };
    match result {
        Ok(Some(o)) => {
            push_flash(&session, Flash::success(format!("已保存「{}」", o.name))).await;
            Ok(Redirect::to("/admin/orgs").into_response())
        }
        Ok(None) => Err(AppError::NotFound),
        Err((field, m)) => {
            let frame = user.frame_with_batch(&state, "编辑单位", "orgs").await?;
            let page = OrgEditPage::new(frame, Some(id), form).with_error(field, m);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

/// `POST /admin/orgs/{id}/delete`: deletes an organisation nothing references (audited as
/// `org.delete`); otherwise back to the list with the refusal naming what references it.
pub async fn delete(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, AppError> {
    match state.store.delete_org(&Scope::All, id, &user.actor()).await {
        Ok(Some(o)) => {
            push_flash(
                &session,
                Flash::success(format!("已删除「{}」（{}）", o.name, o.category)),
            )
            .await;
        }
        Ok(None) => return Err(AppError::NotFound),
        Err(StoreError::State(m) | StoreError::Conflict(m)) => {
            push_flash(&session, Flash::error(m)).await;
        }
        Err(e) => return Err(e.into()),
    }
    Ok(Redirect::to("/admin/orgs").into_response())
}

/// A form with nothing but the CSRF token.
#[derive(Debug, Default, Deserialize)]
pub struct Empty {}

/// The registry's columns, as the import reads them (`shuangshi_sheet::orgs::parse_registry`).
pub const EXPORT_HEADERS: [&str; 5] = [
    "单位名称",
    "单位类别",
    "隶属关系",
    "统一社会信用代码",
    "所在区县",
];

/// The search form of 单位名录 with `q`'s filters (the page shows it, the export describes its
/// filters in the audit log with it).
fn search_form(q: &OrgQuery) -> SearchForm {
    SearchForm::new("/admin/orgs")
        .field(SearchField::text("name", "名称", &q.name))
        .field(SearchField::select(
            "category",
            "类别",
            &q.category,
            category_options(),
        ))
        .field(SearchField::text("district", "区县", &q.district))
}

/// `GET /admin/orgs/export.xlsx`: the filtered list (every page) in the import's columns, so the
/// file can be edited and imported again; audited as `export.orgs`.
pub async fn export(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<OrgQuery>,
) -> Result<Response, AppError> {
    let orgs = state.store.all_orgs(&Scope::All, &q.filter()).await?;
    let count = orgs.len();
    let rows: Vec<Vec<String>> = orgs
        .into_iter()
        .map(|o| vec![o.name, o.category, o.affiliation, o.credit_code, o.district])
        .collect();
    let title = format!(
        "单位名录（导出于 {}）",
        crate::fmt::datetime(&chrono::Utc::now())
    );
    let bytes = tokio::task::spawn_blocking(move || {
        shuangshi_sheet::write::table_xlsx("单位名录", &title, &EXPORT_HEADERS, &rows)
    })
    .await
    .map_err(AppError::internal)?
    .map_err(|e| AppError::internal(e.to_string()))?;
    crate::shared::audit::audit(
        &state.store,
        &user,
        "export.orgs",
        "orgs".to_owned(),
        format!("{count} 个单位；筛选：{}", search_form(&q).describe()),
    )
    .await;
    Ok(crate::shared::download::attachment(
        bytes,
        crate::shared::download::XLSX,
        "单位名录.xlsx",
    ))
}
