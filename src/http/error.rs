//! The one error type of the HTTP edge: each protocol error in its protocol's form — OAuth JSON,
//! a `WWW-Authenticate` challenge, or a page for the person. A 5xx never carries internal detail.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::i18n::{Locale, Notice};
use super::pages::{ErrorPage, WayBack};
use super::security;
use crate::model::Client;
use crate::oidc::{ErrorCode, OAuthError, Provider};

#[derive(Debug)]
pub enum HttpError {
    /// OAuth error JSON (RFC 6749 §5.2); `basic` adds a `WWW-Authenticate: Basic` challenge.
    Json { error: OAuthError, basic: bool },
    /// A bearer-token error (RFC 6750 §3): status and challenge in the header, JSON body.
    Bearer(OAuthError),
    /// A page for the person, rendered by the face's [`localise`] layer.
    Page(PageError),
}

/// An error page for the person. It says what it is, not how it looks: the face's [`localise`]
/// layer renders it, in the language of the login that failed when one was loaded (its
/// `ui_locales`), else of the request's `Accept-Language`, under the face's own path.
#[derive(Debug, Clone)]
pub struct PageError {
    pub error: OAuthError,
    /// What happened, in words the person understands, beside the protocol's description.
    pub notice: Option<Notice>,
    /// A way back to the client's registered website (else the page links this service's home).
    pub back: Option<WayBack>,
    /// The language of the login this error belongs to, when one was loaded.
    pub locale: Option<Locale>,
    /// The HTTP status, when not the one the error code implies (429 for too many logins).
    pub status: Option<StatusCode>,
}

impl HttpError {
    pub fn json(error: OAuthError) -> Self {
        Self::Json { error, basic: false }
    }

    /// An error page for `error`.
    pub fn page(error: impl Into<OAuthError>) -> Self {
        Self::Page(PageError { error: error.into(), notice: None, back: None, locale: None, status: None })
    }

    /// An error page that says what happened in the person's language.
    pub fn notice(notice: Notice, error: impl Into<OAuthError>) -> Self {
        match Self::page(error) {
            Self::Page(page) => Self::Page(PageError { notice: Some(notice), ..page }),
            other => other,
        }
    }

    /// A page error shown in `locale` (the language a login asked for), whatever the browser's.
    pub fn in_locale(self, locale: Locale) -> Self {
        match self {
            Self::Page(page) => Self::Page(PageError { locale: Some(locale), ..page }),
            other => other,
        }
    }

    /// A page error with its own HTTP status.
    pub fn with_status(self, status: StatusCode) -> Self {
        match self {
            Self::Page(page) => Self::Page(PageError { status: Some(status), ..page }),
            other => other,
        }
    }

    /// A page error that offers the way back to `client`'s registered website, if it has one.
    pub fn back_to(self, client: &Client) -> Self {
        match self {
            Self::Page(page @ PageError { back: None, .. }) => {
                Self::Page(PageError { back: WayBack::to(client), ..page })
            }
            other => other,
        }
    }
}

impl PageError {
    fn status(&self) -> StatusCode {
        self.status.unwrap_or(match self.error.code {
            ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::AccessDenied => StatusCode::FORBIDDEN,
            _ => StatusCode::BAD_REQUEST,
        })
    }

    fn render(&self, locale: Locale, base: String) -> String {
        ErrorPage {
            locale,
            base,
            status: self.status().as_u16(),
            error: self.error.code.as_str().to_owned(),
            description: self.error.description.clone(),
            notice: self.notice,
            back: self.back.clone(),
        }
        .render()
    }
}

/// The layer of a face's routes that renders its page errors (see [`PageError`]): in the
/// request's language unless the error names its login's, with the face's stylesheet and home.
pub async fn localise(State(provider): State<Provider>, request: Request, next: Next) -> Response {
    let accept = request.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let mut response = next.run(request).await;
    if let Some(page) = response.extensions_mut().remove::<PageError>() {
        let locale = page.locale.unwrap_or_else(|| Locale::negotiate(None, accept.as_deref()));
        *response.body_mut() = Body::from(page.render(locale, provider.persona.base_path()));
    }
    response
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
            Self::Page(page) => {
                // Rendered here as the primary's page in its login's language (or Czech), in
                // case no face's layer is on the way; the face's [`localise`] renders it again.
                let html = page.render(page.locale.unwrap_or_default(), String::new());
                let mut response = security::page(page.status(), html, None);
                response.extensions_mut().insert(page);
                response
            }
        }
    }
}
