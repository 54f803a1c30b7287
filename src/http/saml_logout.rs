//! SAML single logout at the SSO URL (HTTP-Redirect): a service provider's `LogoutRequest`, and
//! the `LogoutResponse`s the session's other service providers send back.
//!
//! The other service providers are told front-channel, as SAML's Redirect binding has it: the
//! browser loads each one's signed `LogoutRequest` in a hidden frame (its cookies are sent there,
//! so it finds its own session), then goes on to the asking SP's `LogoutResponse`. A page of
//! frames rather than a chain of redirects keeps no logout state here and cannot stall on an SP
//! that never answers: the page moves on when every frame has loaded, or after five seconds.

use askama::Template;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::i18n::{self, Locale, Notice, Texts};
use super::page_context::PageContext;
use super::pages::render_or_fallback;
use super::{cookies, interaction, respond, security, shared_sessions};
use crate::oidc::{OAuthError, Provider};
use crate::saml::logout::{self, LogoutError, Outcome};
use crate::secret;

/// A `LogoutRequest` from a service provider.
pub(crate) async fn request(provider: &Provider, headers: &HeaderMap, raw_query: &str) -> Response {
    let ctx = PageContext::new(provider, headers, None);
    let cookie = ctx.jar.get(headers, cookies::SESSION);
    let browser = match provider.sessions().current(cookie.as_deref()).await {
        Ok(session) => session,
        Err(error) => return ctx.error(error).into_response(),
    };
    let outcome = match logout::handle(provider, raw_query, browser.as_ref()).await {
        Ok(outcome) => outcome,
        Err(LogoutError::Saml(error)) => return ctx.error(OAuthError::from(&error)).into_response(),
        Err(error) => {
            tracing::info!(%error, "SAML logout request not served");
            let notice = match error {
                LogoutError::UnknownSp(_) => Notice::UnknownClient,
                _ => Notice::BadRequest,
            };
            return ctx.notice(notice, OAuthError::invalid_request(error.to_string())).into_response();
        }
    };
    // This browser's own session ended: its cookie goes, and the faces sharing sign-on with
    // this one forget the browser too.
    let own = matches!((&outcome.ended, &browser), (Some(ended), Some(mine)) if ended.key == mine.key);
    let mut cleared = Vec::new();
    if own {
        cleared.extend(ctx.jar.clear(cookies::SESSION));
        match shared_sessions::end_at_siblings(provider, headers).await {
            Ok(siblings) => cleared.extend(siblings),
            Err(error) => tracing::warn!(%error, "ending the sibling faces' sessions failed"),
        }
    }
    let response = answer(&outcome);
    cleared.into_iter().fold(response, |response, cookie| interaction::with_cookie(response, Some(cookie)))
}

/// To the asking SP at once, or through the page that tells the others first.
fn answer(outcome: &Outcome) -> Response {
    if outcome.others.is_empty() {
        return respond::redirect(&outcome.response_url);
    }
    let nonce = secret::random_token(16);
    let page = SamlLogoutPage {
        others: outcome.others.clone(),
        next: outcome.response_url.clone(),
        script_nonce: nonce.clone(),
    };
    let mut response = security::page(StatusCode::OK, page.render(), Some(&nonce));
    // The frames may load the other SPs' single logout services, and nothing else.
    let origins: Vec<String> = outcome
        .others
        .iter()
        .filter_map(|u| url::Url::parse(u).ok())
        .map(|u| u.origin().ascii_serialization())
        .collect();
    let csp = format!(
        "default-src 'none'; script-src 'nonce-{nonce}'; frame-src {}; style-src 'self'; frame-ancestors 'none'; base-uri 'none'",
        origins.join(" ")
    );
    if let Ok(value) = HeaderValue::from_str(&csp) {
        response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

/// A service provider's `LogoutResponse` to one of the `LogoutRequest`s above, in its frame:
/// the session is already over, so there is nothing to do but show an empty page there.
pub(crate) fn response() -> Response {
    let mut response = security::page(StatusCode::OK, String::new(), None);
    // Shown inside this identity provider's own logout page.
    if let Ok(value) = HeaderValue::from_str("default-src 'none'; frame-ancestors 'self'") {
        response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response.headers_mut().insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("SAMEORIGIN"));
    response
}

/// The page of frames that carry the other SPs' `LogoutRequest`s, then goes to `next`.
#[derive(Debug, Template)]
#[template(path = "saml_logout.html")]
pub struct SamlLogoutPage {
    /// The signed `LogoutRequest` URLs.
    pub others: Vec<String>,
    /// The asking SP's signed `LogoutResponse` URL.
    pub next: String,
    /// Must match the `script-src 'nonce-…'` of the response's Content-Security-Policy.
    pub script_nonce: String,
}

impl SamlLogoutPage {
    pub fn render(&self) -> String {
        render_or_fallback(self, "saml_logout")
    }

    // Seen for a moment, before the person's language is known: both languages.
    fn cs(&self) -> &'static Texts {
        i18n::texts(Locale::Cs)
    }

    fn en(&self) -> &'static Texts {
        i18n::texts(Locale::En)
    }
}
