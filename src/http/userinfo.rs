//! The userinfo endpoint, GET and POST, with the bearer token in the `Authorization` header or
//! (POST) in the form body — never both (RFC 6750 §2). Every refusal is logged (src/http/trace.rs).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::error::HttpError;
use super::{form, security, trace};
use crate::oidc::userinfo::{self, Refusal, UserInfo};
use crate::oidc::{OAuthError, Provider};

pub async fn handle(
    State(provider): State<Provider>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, HttpError> {
    answer(&provider, method, &headers, &body).await.map_err(|refusal| {
        // The client is known once the token was found: the token's client, not the caller's word.
        trace::refused("userinfo", refusal.client_id.as_deref(), &refusal.error);
        HttpError::Bearer(refusal.error)
    })
}

async fn answer(provider: &Provider, method: Method, headers: &HeaderMap, body: &Bytes) -> Result<Response, Refusal> {
    let header_token = match headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        Some(value) => match value.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => {
                Some(token.trim().to_owned())
            }
            _ => {
                return Err(OAuthError::invalid_request("the Authorization header must be a Bearer token").into());
            }
        },
        None => None,
    };
    let body_token = if method == Method::POST && form::is_form(headers) {
        let params = form::pairs(body).and_then(form::unique)?;
        params.get("access_token").cloned()
    } else {
        None
    };
    let token = match (header_token, body_token) {
        (Some(_), Some(_)) => {
            return Err(OAuthError::invalid_request("send the access token in one place only").into());
        }
        (Some(t), None) | (None, Some(t)) => t,
        (None, None) => {
            tracing::info!(endpoint = "userinfo", description = "no access token: a bare challenge", "request refused");
            return Ok(missing_token());
        }
    };
    let info = userinfo::userinfo(provider, &token).await?;
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
