//! Dynamic client registration (RFC 7591) and management (RFC 7592).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::client_addr::ClientAddr;
use super::error::HttpError;
use super::security;
use crate::oidc::registration::{RegisterError, RegisterInput};
use crate::oidc::{OAuthError, Provider, registration};

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned())
}

fn json_only(headers: &HeaderMap) -> Result<(), HttpError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if is_json {
        Ok(())
    } else {
        Err(HttpError::json(OAuthError::invalid_request("the body must be application/json")))
    }
}

fn error(e: OAuthError) -> HttpError {
    if e.code == crate::oidc::ErrorCode::InvalidToken { HttpError::Bearer(e) } else { HttpError::json(e) }
}

fn json(status: StatusCode, body: serde_json::Value) -> Response {
    let mut response = (status, Json(body)).into_response();
    security::no_store(response.headers_mut());
    response
}

pub async fn register(
    State(provider): State<Provider>,
    ClientAddr(source): ClientAddr,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, HttpError> {
    json_only(&headers)?;
    let initial_token = bearer(&headers);
    let input = RegisterInput { body: &body, initial_token: initial_token.as_deref(), source };
    match registration::register(&provider, input).await {
        Ok(created) => Ok(json(StatusCode::CREATED, created)),
        Err(RegisterError::OAuth(e)) => Err(error(e)),
        Err(RegisterError::Throttled { retry_after }) => Ok(too_many(retry_after)),
    }
}

/// 429 with an OAuth error body and `Retry-After` (RFC 6585).
fn too_many(retry_after: i64) -> Response {
    let body = serde_json::json!({
        "error": "temporarily_unavailable",
        "error_description": format!("too many client registrations from this address; try again in {retry_after} seconds"),
    });
    let mut response = json(StatusCode::TOO_MANY_REQUESTS, body);
    response.headers_mut().insert(header::RETRY_AFTER, retry_after.into());
    response
}

pub async fn read(
    State(provider): State<Provider>,
    headers: HeaderMap,
    Path(client_id): Path<String>,
) -> Result<Response, HttpError> {
    let client = registration::managed(&provider, &client_id, bearer(&headers).as_deref()).await.map_err(error)?;
    Ok(json(StatusCode::OK, registration::response(&provider, &client, None, None)))
}

pub async fn update(
    State(provider): State<Provider>,
    headers: HeaderMap,
    Path(client_id): Path<String>,
    body: Bytes,
) -> Result<Response, HttpError> {
    let client = registration::managed(&provider, &client_id, bearer(&headers).as_deref()).await.map_err(error)?;
    json_only(&headers)?;
    Ok(json(StatusCode::OK, registration::update(&provider, client, &body).await.map_err(error)?))
}

pub async fn delete(
    State(provider): State<Provider>,
    headers: HeaderMap,
    Path(client_id): Path<String>,
) -> Result<Response, HttpError> {
    let client = registration::managed(&provider, &client_id, bearer(&headers).as_deref()).await.map_err(error)?;
    provider.stores.clients.delete(&client.client_id).await.map_err(|e| HttpError::json(e.into()))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
