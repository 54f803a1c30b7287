//! The back office's edge: its pages under [`PAGES`] (`pages.rs`) and the JSON admin API under [`API`] (clerks log in there, or send an
//! API token), served on the primary listener apart from every face. Its session is
//! `tower-sessions`', whose layer is on these routes only: the cookie is its own ([`COOKIE`]:
//! HttpOnly, SameSite=Strict, Secure under https, Path=/, ending after 15 idle minutes), never
//! the citizens' single sign-on; the record is in `Stores::backoffice_sessions` (SQL, or Redis).
//! A write with the session carries its CSRF token in [`CSRF_HEADER`].
//!
//! Handlers extract, call one function of `crate::validation` (which checks the role) or of
//! `crate::authn::backoffice`, and render JSON ([`error::ApiError`]).

mod api;
mod api_mojeid;
mod api_saml;
pub mod auth;
pub mod error;
pub mod openapi;
mod pages;
mod pages_mojeid;

use axum::Router;
use axum::extract::OriginalUri;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use super::AppState;
use crate::authn::backoffice::IDLE;

/// Where the back office's pages are served.
pub const PAGES: &str = "/backoffice";
/// Where the admin API is served.
pub const API: &str = "/api/admin/v1";
/// The back office's session cookie (with `__Host-` under https).
pub const COOKIE: &str = "identita_backoffice";
/// The header a write made with the session carries the session's CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Every route of the admin API, as (method, path under [`API`]): what the OpenAPI document must
/// describe.
#[cfg(test)]
pub const ROUTES: &[(&str, &str)] = &[
    ("post", "/login"),
    ("post", "/login/code"),
    ("post", "/logout"),
    ("get", "/me"),
    ("get", "/persons"),
    ("post", "/persons"),
    ("get", "/persons/{id}"),
    ("put", "/persons/{id}"),
    ("post", "/czech-point/requests"),
    ("get", "/audit"),
    ("get", "/audit/verify"),
    ("get", "/clerks"),
    ("post", "/saml/service-providers"),
    ("get", "/saml/service-providers"),
    ("get", "/saml/service-providers/{entity_id}"),
    ("delete", "/saml/service-providers/{entity_id}"),
    ("get", "/openapi.json"),
    ("get", "/mojeid/accounts"),
    ("get", "/mojeid/accounts/{username}"),
    ("post", "/mojeid/accounts/{username}/validations"),
    ("post", "/mojeid/accounts/{username}/contacts-verified"),
];

/// The back office's routes (the admin API's and the pages), in the session layer over the
/// state's store.
pub fn routes(state: &AppState) -> Router<AppState> {
    let api = Router::new()
        .route("/login", post(api::login))
        .route("/login/code", post(api::login_code))
        .route("/logout", post(api::logout))
        .route("/me", get(api::me))
        .route("/persons", get(api::persons_search).post(api::persons_create))
        .route("/persons/{id}", get(api::persons_show).put(api::persons_change))
        .route("/czech-point/requests", post(api::czech_point_record))
        .route("/audit", get(api::audit_list))
        .route("/audit/verify", get(api::audit_verify))
        .route("/clerks", get(api::clerks_list))
        .route(
            "/saml/service-providers",
            get(api_saml::list).post(api_saml::add).layer(axum::extract::DefaultBodyLimit::max(api_saml::BODY_LIMIT)),
        )
        .route("/saml/service-providers/{entity_id}", get(api_saml::show).delete(api_saml::remove))
        .route("/openapi.json", get(openapi::document))
        .route("/mojeid/accounts", get(api_mojeid::search))
        .route("/mojeid/accounts/{username}", get(api_mojeid::show))
        .route("/mojeid/accounts/{username}/validations", post(api_mojeid::validate))
        .route("/mojeid/accounts/{username}/contacts-verified", post(api_mojeid::verify_contacts))
        .fallback(api::not_found);
    let pages = Router::new()
        .route("/", get(pages::home))
        .route("/login", post(pages::login))
        .route("/code", get(pages::code_form).post(pages::code))
        .route("/logout", post(pages::logout))
        .route("/persons", get(pages::persons_search))
        .route("/persons/{id}", get(pages::person_show).post(pages::person_save))
        .route("/czech-point", get(pages::czech_point_form).post(pages::czech_point_record))
        .route("/audit", get(pages::audit_log))
        .route("/mojeid", get(pages_mojeid::search))
        .route("/mojeid/{username}", get(pages_mojeid::show).post(pages_mojeid::act));
    let https = state.provider.persona.is_https();
    let sessions = SessionManagerLayer::new(state.provider.stores.backoffice_sessions.clone())
        .with_name(auth::cookie_name(https))
        .with_same_site(SameSite::Strict)
        .with_http_only(true)
        .with_secure(https)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(time::Duration::seconds(IDLE)));
    Router::new()
        .nest(API, api)
        .nest(PAGES, pages)
        .layer(sessions)
        .layer(axum::middleware::map_response_with_state(state.clone(), session_failure))
}

/// The session layer answers a bare 500 (no header, no body) when it cannot store the session
/// as a request ends: the back office says so in its own way, a 503 without internals (the log
/// has the cause).
async fn session_failure(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    response: Response,
) -> Response {
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR || !response.headers().is_empty() {
        return response;
    }
    if uri.path().starts_with(API) {
        error::ApiError::internal("the back-office session could not be stored").into_response()
    } else {
        pages::unavailable(&state, &headers)
    }
}
