//! The token endpoint, and the two that authenticate clients the same way: introspection
//! (RFC 7662) and revocation (RFC 7009).

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::error::HttpError;
use super::{form, security};
use crate::oidc::client::Client;
use crate::oidc::client_auth::{self, AuthFailure, Credentials};
use crate::oidc::{OAuthError, Provider, introspection, revocation, token};

fn fail(failure: AuthFailure) -> HttpError {
    HttpError::Json { error: failure.error, basic: failure.basic }
}

/// The form parameters of a POST; anything else is an `invalid_request`.
fn form_params(headers: &HeaderMap, body: &[u8]) -> Result<HashMap<String, String>, HttpError> {
    if !form::is_form(headers) {
        return Err(HttpError::json(OAuthError::invalid_request("the body must be application/x-www-form-urlencoded")));
    }
    form::pairs(body).and_then(form::unique).map_err(HttpError::json)
}

fn authorization(headers: &HeaderMap) -> Option<String> {
    headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

pub async fn exchange(
    State(provider): State<Provider>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, HttpError> {
    let params = form_params(&headers, &body)?;
    let response = token::exchange(&provider, &params, authorization(&headers)).await.map_err(fail)?;
    let mut response = Json(response).into_response();
    security::no_store(response.headers_mut());
    Ok(response)
}

async fn authenticated(
    provider: &Provider,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
    path: &str,
) -> Result<Client, HttpError> {
    let creds = Credentials {
        authorization: authorization(headers),
        client_id: params.get("client_id").cloned(),
        client_secret: params.get("client_secret").cloned(),
        client_assertion: params.get("client_assertion").cloned(),
        client_assertion_type: params.get("client_assertion_type").cloned(),
    };
    client_auth::authenticate(provider, &creds, &provider.persona.url(path)).await.map_err(fail)
}

fn token_param(params: &HashMap<String, String>) -> Result<&str, HttpError> {
    params
        .get("token")
        .map(String::as_str)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| HttpError::json(OAuthError::invalid_request("token is missing")))
}

pub async fn introspect(
    State(provider): State<Provider>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, HttpError> {
    let params = form_params(&headers, &body)?;
    let client = authenticated(&provider, &headers, &params, provider.persona.paths.introspection).await?;
    let token = token_param(&params)?;
    let hint = params.get("token_type_hint").map(String::as_str);
    let body = introspection::introspect(&provider, &client, token, hint).await.map_err(HttpError::json)?;
    let mut response = Json(body).into_response();
    security::no_store(response.headers_mut());
    Ok(response)
}

pub async fn revoke(State(provider): State<Provider>, headers: HeaderMap, body: Bytes) -> Result<Response, HttpError> {
    let params = form_params(&headers, &body)?;
    let client = authenticated(&provider, &headers, &params, provider.persona.paths.revocation).await?;
    let token = token_param(&params)?;
    let hint = params.get("token_type_hint").map(String::as_str);
    revocation::revoke(&provider, &client, token, hint).await.map_err(HttpError::json)?;
    let mut response = StatusCode::OK.into_response();
    security::no_store(response.headers_mut());
    Ok(response)
}
