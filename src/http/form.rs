//! Reading `application/x-www-form-urlencoded` bodies and query strings as (name, value) pairs,
//! so duplicates can be detected (RFC 6749 §3.1: parameters must not repeat).

use std::collections::HashMap;

use crate::oidc::OAuthError;

pub fn pairs(bytes: &[u8]) -> Result<Vec<(String, String)>, OAuthError> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes)
        .map_err(|_| OAuthError::invalid_request("the parameters are not valid application/x-www-form-urlencoded"))
}

/// The parameters as a map; a parameter given twice is an error.
pub fn unique(pairs: Vec<(String, String)>) -> Result<HashMap<String, String>, OAuthError> {
    let mut map = HashMap::with_capacity(pairs.len());
    for (name, value) in pairs {
        if map.insert(name.clone(), value).is_some() {
            return Err(OAuthError::invalid_request(format!("the parameter {name} is included more than once")));
        }
    }
    Ok(map)
}

/// Whether the request's content type is a form.
pub fn is_form(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"))
}

/// A form body for a page: a malformed or incomplete form gets an error page, not a bare 4xx.
pub struct PageForm<T>(pub T);

/// A query string for a page, with the same error handling as [`PageForm`].
pub struct PageQuery<T>(pub T);

fn malformed(what: &str, detail: String) -> axum::response::Response {
    use axum::response::IntoResponse;
    let error = OAuthError::invalid_request(format!("the {what} is incomplete or malformed ({detail})"));
    super::error::HttpError::page(error).into_response()
}

impl<T: serde::de::DeserializeOwned> axum::extract::FromRequest<super::AppState> for PageForm<T> {
    type Rejection = axum::response::Response;

    async fn from_request(req: axum::extract::Request, state: &super::AppState) -> Result<Self, Self::Rejection> {
        match axum::Form::<T>::from_request(req, state).await {
            Ok(axum::Form(value)) => Ok(Self(value)),
            Err(rejection) => Err(malformed("form", rejection.body_text())),
        }
    }
}

impl<T: serde::de::DeserializeOwned> axum::extract::FromRequestParts<super::AppState> for PageQuery<T> {
    type Rejection = axum::response::Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &super::AppState,
    ) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Self(value)),
            Err(rejection) => Err(malformed("link", rejection.body_text())),
        }
    }
}
