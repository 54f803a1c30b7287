//! The back office's edge: its pages under [`PAGES`] (`pages.rs`) and the JSON admin API under [`API`] (clerks log in there, or send an
//! API token), served on the primary listener apart from every face. Its session cookie is its
//! own ([`COOKIE`]: HttpOnly, SameSite=Strict, Secure under https, Path=/), never the citizens'
//! single sign-on; a write with the session carries its CSRF token in [`CSRF_HEADER`].
//!
//! Handlers extract, call one function of `crate::validation` (which checks the role) or of
//! `crate::authn::backoffice`, and render JSON ([`error::ApiError`]).

mod api;
mod api_saml;
pub mod auth;
pub mod error;
pub mod openapi;
mod pages;

use axum::Router;
use axum::routing::{get, post};

use super::AppState;

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
];

/// The admin API's routes.
pub fn routes() -> Router<AppState> {
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
        .fallback(api::not_found);
    let pages = Router::new()
        .route("/", get(pages::home))
        .route("/login", post(pages::login))
        .route("/code", get(pages::code_form).post(pages::code))
        .route("/logout", post(pages::logout))
        .route("/persons", get(pages::persons_search))
        .route("/persons/{id}", get(pages::person_show).post(pages::person_save))
        .route("/czech-point", get(pages::czech_point_form).post(pages::czech_point_record))
        .route("/audit", get(pages::audit_log));
    Router::new().nest(API, api).nest(PAGES, pages)
}
