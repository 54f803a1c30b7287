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
