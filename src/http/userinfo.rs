//! The userinfo endpoint, GET and POST, with the bearer token in the `Authorization` header or
//! (POST) in the form body — never both (RFC 6750 §2). Every refusal is logged (src/http/trace.rs).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::error::HttpError;
use super::{form, security, trace};
use crate::oidc::userinfo::{self, UserInfo};
use crate::oidc::{OAuthError, Provider};

pub async fn handle(
    State(provider): State<Provider>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, HttpError> {
    let answer = answer(&provider, method, &headers, &body).await;
    if let Err(HttpError::Bearer(error) | HttpError::Json { error, .. }) = &answer {
        // The client is known only from a valid token, and a refusal here is mostly its absence.
        trace::refused("userinfo", None, error);
    }
    answer
}

async fn answer(provider: &Provider, method: Method, headers: &HeaderMap, body: &Bytes) -> Result<Response, HttpError> {
    let header_token = match headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        Some(value) => match value.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => {
                Some(token.trim().to_owned())
            }
            _ => {
                return Err(HttpError::Bearer(OAuthError::invalid_request(
                    "the Authorization header must be a Bearer token",
                )));
            }
        },
        None => None,
    };
    let body_token = if method == Method::POST && form::is_form(headers) {
        let params = form::pairs(body).and_then(form::unique).map_err(HttpError::Bearer)?;
        params.get("access_token").cloned()
    } else {
        None
    };
    let token = match (header_token, body_token) {
        (Some(_), Some(_)) => {
            return Err(HttpError::Bearer(OAuthError::invalid_request("send the access token in one place only")));
        }
        (Some(t), None) | (None, Some(t)) => t,
        (None, None) => {
            tracing::info!(endpoint = "userinfo", description = "no access token: a bare challenge", "request refused");
            return Ok(missing_token());
        }
    };
    let info = userinfo::userinfo(provider, &token).await.map_err(HttpError::Bearer)?;
    let mut response = match info {
        UserInfo::Json(claims) => Json(claims).into_response(),
        UserInfo::Jwt(jwt) => {
            let mut r = jwt.into_response();
            r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/jwt"));
            r
        }
    };
    security::no_store(response.headers_mut());
    Ok(response)
}

/// RFC 6750 §3.1: a request without credentials gets a bare challenge, no error code.
fn missing_token() -> Response {
    let mut response = (StatusCode::UNAUTHORIZED, "").into_response();
    response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"identita\""));
    response
}
