//! The request's [`Disclosure`], decided once from the policy: the application layer's
//! [`shuangshi_app::Disclosure`] for the signed-in account, with `?full=1` (the 「查看完整」
//! action) read from the query. Every handler that answers with people's rows takes it (or one of
//! the constructors below) and passes its values through it.

use std::ops::Deref;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::auth::{CurrentUser, resolve};
use crate::error::AppError;
use crate::state::AppState;

/// The disclosure of one request (see [`shuangshi_app::disclosure`]).
#[derive(Clone, Debug)]
pub struct Disclosure(shuangshi_app::Disclosure);

impl Deref for Disclosure {
    type Target = shuangshi_app::Disclosure;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl Disclosure {
    /// The disclosure of `user`'s request; `asked` is whether it asked for numbers in full.
    pub fn new(user: &CurrentUser, asked: bool) -> Disclosure {
        Disclosure(shuangshi_app::Disclosure::new(
            user.role(),
            user.actor(),
            asked,
        ))
    }

    /// Numbers masked, whatever the role (answers whose purpose is not to show them).
    pub fn masked(user: &CurrentUser) -> Disclosure {
        Disclosure::new(user, false)
    }

    /// Numbers in full when the role may see them: the views whose purpose is to show or edit them
    /// (a row's edit form). Still audited through [`shuangshi_app::Disclosure::record`].
    pub fn for_editing(user: &CurrentUser) -> Disclosure {
        Disclosure::new(user, true)
    }

    /// See [`shuangshi_app::Disclosure::kept`].
    pub fn kept(stored: &str, sent: &str) -> String {
        shuangshi_app::Disclosure::kept(stored, sent)
    }
}

/// Whether the query string asks for numbers in full (`full=1`).
pub fn asked_full(query: Option<&str>) -> bool {
    query.is_some_and(|q| {
        q.split('&')
            .any(|pair| pair == "full=1" || pair == "full=true")
    })
}

impl FromRequestParts<AppState> for Disclosure {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let user = resolve(state, parts)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        Ok(Disclosure::new(&user, asked_full(parts.uri.query())))
    }
}

#[cfg(test)]
mod tests {
    use super::asked_full;

    #[test]
    fn only_full_1_asks() {
        assert!(asked_full(Some("page=2&full=1")));
        assert!(!asked_full(Some("fullx=1")));
        assert!(!asked_full(Some("full=0")));
        assert!(!asked_full(None));
    }
}
