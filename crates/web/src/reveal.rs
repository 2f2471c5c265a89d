//! 「查看完整」 of one value: `POST /reveal` (CSRF-checked) shows one mobile or account number in
//! full — the row's number on the form as it stands, or as submitted in a version — for a role
//! the request's [`Disclosure`] lets unmask (any other role: 403), within the caller's scope
//! (anything else: 404), and writes one `unmask.value` audit entry naming the form, the row, the
//! column and the person ([`shuangshi_app::App::reveal`]).
//!
//! The pages offer it beside each masked number (`partials/ui.html`'s `reveal`): with htmx the
//! answer is a small fragment that replaces the masked value in place; `Accept:
//! application/json` gets `{"value", "name", "column"}`; without JavaScript the form posts and
//! the answer is a short page with the value and a link back to the page it came from.

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::ACCEPT;
use axum::response::{Html, IntoResponse, Response};
use serde::{Deserialize, Serialize};
use shuangshi_app::disclosure::{Number, RevealTarget};

use crate::auth::{CsrfForm, CurrentUser};
use crate::disclosure::Disclosure;
use crate::error::AppError;
use crate::filters;
use crate::policy::{Access, Routes};
use crate::state::AppState;
use crate::ui::Frame;

/// Who may call it: the roles the Disclosure lets unmask (every other role: 403).
pub fn routes() -> Routes {
    Routes::new().post(
        "/reveal",
        Access::Roles(shuangshi_app::disclosure::UNMASKING_ROLES),
        reveal,
    )
}

/// What identifies the value: the form, the sheet row (the first person is row 5), the column
/// (`mobile` or `account`) and, for a submitted version, its id; `back` is the page to return to.
#[derive(Debug, Default, Deserialize)]
pub struct RevealForm {
    #[serde(default)]
    pub form: String,
    #[serde(default)]
    pub row: String,
    #[serde(default)]
    pub column: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub back: String,
}

/// The JSON answer.
#[derive(Debug, Serialize)]
pub struct RevealAnswer {
    pub value: String,
    pub name: String,
    pub column: &'static str,
}

/// The answer without JavaScript.
#[derive(Template, WebTemplate)]
#[template(path = "reveal.html")]
pub struct RevealPage {
    pub frame: Frame,
    pub name: String,
    pub label: &'static str,
    pub value: String,
    pub back: String,
}

/// The fragment htmx puts in place of the masked value.
#[derive(Template)]
#[template(
    source = r#"<span class="revealable revealed"><span class="reveal-value">{{ value }}</span></span>"#,
    ext = "html"
)]
struct RevealFragment<'a> {
    value: &'a str,
}

/// A local path of this site to go back to ("/" otherwise).
fn local(back: &str) -> String {
    let b = back.trim();
    if b.starts_with('/') && !b.starts_with("//") && !b.contains('\\') {
        b.to_owned()
    } else {
        "/".to_owned()
    }
}

fn target(f: &RevealForm) -> Result<RevealTarget, AppError> {
    let missing = || AppError::bad_request("要查看的号码不存在，请刷新页面后重试");
    let form_id = f.form.trim().parse::<i64>().map_err(|_| missing())?;
    let row_no = f.row.trim().parse::<u32>().map_err(|_| missing())?;
    let number = Number::parse(&f.column).ok_or_else(missing)?;
    let version_id = match f.version.trim() {
        "" | "0" => None,
        v => Some(v.parse::<i64>().map_err(|_| missing())?),
    };
    Ok(RevealTarget {
        form_id,
        row_no,
        number,
        version_id,
    })
}

/// `POST /reveal`.
pub async fn reveal(
    State(state): State<AppState>,
    user: CurrentUser,
    disclosure: Disclosure,
    headers: HeaderMap,
    CsrfForm(f): CsrfForm<RevealForm>,
) -> Result<Response, AppError> {
    if !disclosure.may_unmask() {
        return Err(AppError::Forbidden);
    }
    let target = target(&f)?;
    let r = state.app.reveal(&user.scope(), &disclosure, target).await?;
    if headers.contains_key("hx-request") {
        let html = RevealFragment { value: &r.value }.render()?;
        return Ok(Html(html).into_response());
    }
    let json = headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json"));
    if json {
        return Ok(Json(RevealAnswer {
            value: r.value,
            name: r.name,
            column: target.number.as_str(),
        })
        .into_response());
    }
    let frame = user
        .frame_with_batch(&state, &format!("查看完整{}", r.label), "")
        .await?;
    Ok(RevealPage {
        frame,
        name: r.name,
        label: r.label,
        value: r.value,
        back: local(&f.back),
    }
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::local;

    #[test]
    fn only_local_paths_are_gone_back_to() {
        assert_eq!(local("/roster?page=2"), "/roster?page=2");
        assert_eq!(local("//evil.example"), "/");
        assert_eq!(local("https://evil.example"), "/");
        assert_eq!(local("/\\evil"), "/");
    }
}
