//! What every page of a face is made with: the person's language, the face's path (its
//! stylesheet, its home page, its forms' actions) and the face's cookies. Built once per request,
//! by the extractor or by [`PageContext::new`] when the request itself names a language.

use std::convert::Infallible;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};

use super::AppState;
use super::cookies::CookieJar;
use super::error::HttpError;
use super::i18n::{Locale, Notice};
use crate::oidc::{OAuthError, Provider};

#[derive(Debug, Clone)]
pub struct PageContext {
    /// The language the page is written in.
    pub locale: Locale,
    /// The face's path prefix ("" at the root), before every URL of the face.
    pub base: String,
    /// The face's cookies (their names, path and `Secure`).
    pub jar: CookieJar,
}

impl PageContext {
    /// The context of a request to `provider`'s face: in the language `ui_locales` asks for when
    /// the request names one this service speaks, else in the browser's (`Accept-Language`).
    pub fn new(provider: &Provider, headers: &HeaderMap, ui_locales: Option<&str>) -> Self {
        let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
        let base = provider.persona.base_path();
        let jar = CookieJar {
            secure: provider.persona.is_https(),
            // A face on a listener of its own, or sharing its sessions with the other faces
            // (which read its cookie), has its cookies on the whole host; their names differ.
            path: if base.is_empty() || provider.persona.own_listener || provider.persona.shares_sessions {
                "/".into()
            } else {
                base.clone()
            },
            face: provider.persona.face.clone(),
        };
        Self { locale: Locale::negotiate(ui_locales, accept), base, jar }
    }

    /// The URL of one of the face's own paths (`persona.paths`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// An error page in this context's language.
    pub fn error(&self, error: impl Into<OAuthError>) -> HttpError {
        HttpError::page(error).in_locale(self.locale)
    }

    /// An error page in this context's language that says what happened.
    pub fn notice(&self, notice: Notice, error: impl Into<OAuthError>) -> HttpError {
        HttpError::notice(notice, error).in_locale(self.locale)
    }
}

impl FromRequestParts<AppState> for PageContext {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(Self::new(&state.provider, &parts.headers, None))
    }
}
