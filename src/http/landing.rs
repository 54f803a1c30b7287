//! The landing page at `/` (and at the issuer's path): what this server is, its issuer and the
//! links a portal developer needs first — discovery, JWKS and health. Czech by default; English
//! with `?lang=en` (or `ui_locales`) or the browser's `Accept-Language`. In dev mode
//! (`serve --dev`) it also lists the accounts, the demo passwords and the clients
//! ([`crate::dev::listing`]); outside it, none of that.

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;

use super::i18n::Locale;
use super::page_context::PageContext;
use super::pages::LandingPage;
use super::{AppState, form, security};
use crate::oidc::Provider;

/// Mounts the page at the issuer's path and, when that is not the root, at `/` too.
pub fn mount(app: Router<AppState>, base: &str) -> Router<AppState> {
    let app = app.route("/", get(show));
    if base.is_empty() { app } else { app.route(base, get(show)).route(&format!("{base}/"), get(show)) }
}

pub async fn show(State(provider): State<Provider>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    // In dev mode the page also lists the accounts and clients; without them it still helps.
    let dev = crate::dev::listing(&provider.config, &provider.stores).await.unwrap_or_else(|error| {
        tracing::warn!(%error, "reading the dev mode listing failed");
        None
    });
    // A malformed query is no reason to refuse this page: it then just picks no language.
    let pairs = form::pairs(query.unwrap_or_default().as_bytes()).unwrap_or_default();
    let asked = pairs.iter().find(|(k, _)| k == "lang" || k == "ui_locales").map(|(_, v)| v.as_str());
    let ctx = PageContext::new(&provider, &headers, asked);
    let locale = ctx.locale;
    let other_locale = match locale {
        Locale::Cs => Locale::En,
        Locale::En => Locale::Cs,
    };
    let issuer = provider.issuer().to_owned();
    let base = ctx.base;
    let paths = &provider.persona.paths;
    let page = LandingPage {
        locale,
        other_locale,
        other_language_href: format!("{base}/?lang={}", other_locale.tag()),
        discovery: format!("{issuer}{}", paths.discovery),
        jwks: format!("{issuer}{}", paths.jwks),
        health: "/healthz".to_owned(),
        ready: "/readyz".to_owned(),
        issuer,
        base,
        dev,
    };
    security::page(StatusCode::OK, page.render(), None)
}
