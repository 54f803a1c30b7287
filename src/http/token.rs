//! The token endpoint, and the two that authenticate clients the same way: introspection
//! (RFC 7662) and revocation (RFC 7009).

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::error::HttpError;
use super::{AppState, form, security};
use crate::model::Client;
use crate::oidc::client_auth::{self, AuthFailure, Credentials};
use crate::oidc::token::{self, TokenRequest};
use crate::oidc::{OAuthError, Provider, introspection, revocation};

fn fail(failure: AuthFailure) -> HttpError {
    HttpError::Json { error: failure.error, basic: failure.basic }
}

/// The form parameters of a POST to these endpoints. Whatever is wrong with the body is an OAuth
/// `invalid_request` in JSON, as every other error here: a body that is not a form, is malformed,
/// repeats a parameter, cannot be read, or is larger than `max_body_bytes` (then with 413).
pub struct Params(HashMap<String, String>);

impl FromRequest<AppState> for Params {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        if !form::is_form(request.headers()) {
            let error = OAuthError::invalid_request("the body must be application/x-www-form-urlencoded");
            return Err(HttpError::json(error).into_response());
        }
        let body = match Bytes::from_request(request, state).await {
            Ok(body) => body,
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                let limit = state.provider.config.max_body_bytes;
                let error = OAuthError::invalid_request(format!("the body is larger than {limit} bytes"));
                let mut response = HttpError::json(error).into_response();
                *response.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
                return Err(response);
            }
            Err(_) => {
                let error = OAuthError::invalid_request("the body could not be read");
                return Err(HttpError::json(error).into_response());
            }
        };
        form::pairs(&body).and_then(form::unique).map(Self).map_err(|e| HttpError::json(e).into_response())
    }
}

/// Any method but POST (the endpoints take nothing else): 405, with the error in JSON too.
pub async fn wrong_method() -> Response {
    let mut response = HttpError::json(OAuthError::invalid_request("use POST")).into_response();
    *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
    response
}

fn authorization(headers: &HeaderMap) -> Option<String> {
    headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

pub async fn exchange(
    State(provider): State<Provider>,
    headers: HeaderMap,
    Params(params): Params,
) -> Result<Response, HttpError> {
    let request = TokenRequest::parse(&params, authorization(&headers));
    let response = token::exchange(&provider, request).await.map_err(fail)?;
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
    let creds = Credentials::from_params(params, authorization(headers));
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
    Params(params): Params,
) -> Result<Response, HttpError> {
    let client = authenticated(&provider, &headers, &params, provider.persona.paths.introspection).await?;
    let token = token_param(&params)?;
    let hint = params.get("token_type_hint").map(String::as_str);
    let body = introspection::introspect(&provider, &client, token, hint).await.map_err(HttpError::json)?;
    let mut response = Json(body).into_response();
    security::no_store(response.headers_mut());
    Ok(response)
}

pub async fn revoke(
    State(provider): State<Provider>,
    headers: HeaderMap,
    Params(params): Params,
) -> Result<Response, HttpError> {
    let client = authenticated(&provider, &headers, &params, provider.persona.paths.revocation).await?;
    let token = token_param(&params)?;
    let hint = params.get("token_type_hint").map(String::as_str);
    revocation::revoke(&provider, &client, token, hint).await.map_err(HttpError::json)?;
    let mut response = StatusCode::OK.into_response();
    security::no_store(response.headers_mut());
    Ok(response)
}
