//! The one error type of the HTTP edge: each protocol error in its protocol's form — OAuth JSON,
//! a `WWW-Authenticate` challenge, or a page for the person. A 5xx never carries internal detail.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::i18n::{Locale, Notice};
use super::pages::{ErrorPage, WayBack};
use super::security;
use crate::model::Client;
use crate::oidc::{ErrorCode, OAuthError};

#[derive(Debug)]
pub enum HttpError {
    /// OAuth error JSON (RFC 6749 §5.2); `basic` adds a `WWW-Authenticate: Basic` challenge.
    Json { error: OAuthError, basic: bool },
    /// A bearer-token error (RFC 6750 §3): status and challenge in the header, JSON body.
    Bearer(OAuthError),
    /// A page for the person, with what happened in their language when known, and a way back
    /// to the client's website when that is known (else the page links this service's home).
    Page { error: OAuthError, locale: Locale, base: String, notice: Option<Notice>, back: Option<WayBack> },
}

impl HttpError {
    pub fn json(error: OAuthError) -> Self {
        Self::Json { error, basic: false }
    }

    /// A page error that offers the way back to `client`'s registered website, if it has one.
    pub fn back_to(self, client: &Client) -> Self {
        match self {
            Self::Page { error, locale, base, notice, back: None } => {
                Self::Page { error, locale, base, notice, back: WayBack::to(client) }
            }
            other => other,
        }
    }
}

pub fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::InvalidClient | ErrorCode::InvalidToken => StatusCode::UNAUTHORIZED,
        ErrorCode::InsufficientScope | ErrorCode::AccessDenied => StatusCode::FORBIDDEN,
        ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    }
}

fn json_body(error: &OAuthError) -> String {
    json!({ "error": error.code.as_str(), "error_description": error.description }).to_string()
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        match self {
            Self::Json { error, basic } => {
                let mut response = (status_of(error.code), json_body(&error)).into_response();
                let headers = response.headers_mut();
                headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
                security::no_store(headers);
                if basic && error.code == ErrorCode::InvalidClient {
                    headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"identita\""));
                }
                response
            }
            Self::Bearer(error) => {
                let status = status_of(error.code);
                let challenge = format!(
                    "Bearer realm=\"identita\", error=\"{}\", error_description=\"{}\"",
                    error.code.as_str(),
                    error.description
                );
                let mut response = (status, json_body(&error)).into_response();
                let headers = response.headers_mut();
                headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
                if let Ok(value) = HeaderValue::from_str(&challenge) {
                    headers.insert(header::WWW_AUTHENTICATE, value);
                }
                security::no_store(headers);
                response
            }
            Self::Page { error, locale, base, notice, back } => {
                let status = match error.code {
                    ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
                    ErrorCode::AccessDenied => StatusCode::FORBIDDEN,
                    _ => StatusCode::BAD_REQUEST,
                };
                let page = ErrorPage {
                    locale,
                    base,
                    status: status.as_u16(),
                    error: error.code.as_str().to_owned(),
                    description: error.description,
                    notice,
                    back,
                };
                security::page(status, page.render(), None)
            }
        }
    }
}
