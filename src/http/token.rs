//! The token endpoint, and the two that authenticate clients the same way: introspection
//! (RFC 7662) and revocation (RFC 7009).

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::error::HttpError;
use super::{AppState, form, security, trace};
use crate::model::Client;
use crate::oidc::client_auth::{self, AuthFailure, Credentials};
use crate::oidc::token::{self, TokenRequest};
use crate::oidc::{OAuthError, Provider, introspection, revocation};

fn fail(failure: AuthFailure) -> HttpError {
    HttpError::Json { error: failure.error, basic: failure.basic }
}

/// The endpoint a path (with or without the issuer's prefix) names, for the log line of a refusal.
fn endpoint_of(provider: &Provider, path: &str) -> &'static str {
    let paths = &provider.persona.paths;
    if path.ends_with(paths.introspection) {
        "introspection"
    } else if path.ends_with(paths.revocation) {
        "revocation"
    } else {
        "token"
    }
}

/// The form parameters of a POST to these endpoints. Whatever is wrong with the body is an OAuth
/// `invalid_request` in JSON, as every other error here: a body that is not a form, is malformed,
/// repeats a parameter, cannot be read, or is larger than `max_body_bytes` (then with 413).
pub struct Params(HashMap<String, String>);

impl FromRequest<AppState> for Params {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let provider = &state.provider;
        let endpoint = endpoint_of(provider, request.uri().path());
        let client = trace::claimed_client(authorization(request.headers()).as_deref(), None);
        let refused = |error: OAuthError| {
            trace::refused(endpoint, client.as_deref(), &error);
            HttpError::json(error).into_response()
        };
        if !form::is_form(request.headers()) {
            let error = OAuthError::invalid_request("the body must be application/x-www-form-urlencoded");
            return Err(refused(error));
        }
        let body = match Bytes::from_request(request, state).await {
            Ok(body) => body,
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                let limit = state.provider.config.max_body_bytes;
                let error = OAuthError::invalid_request(format!("the body is larger than {limit} bytes"));
                let mut response = refused(error);
                *response.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
                return Err(response);
            }
            Err(_) => {
                let error = OAuthError::invalid_request("the body could not be read");
                return Err(refused(error));
            }
        };
        form::pairs(&body).and_then(form::unique).map(Self).map_err(refused)
    }
}

/// Any method but POST (the endpoints take nothing else): 405, with the error in JSON too.
pub async fn wrong_method(State(provider): State<Provider>, uri: axum::http::Uri) -> Response {
    let error = OAuthError::invalid_request("use POST");
    trace::refused(endpoint_of(&provider, uri.path()), None, &error);
    let mut response = HttpError::json(error).into_response();
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
    let result = token::exchange(&provider, request).await;
    crate::metrics::token_grant(
        params.get("grant_type").map(String::as_str),
        result.as_ref().err().map(|f| f.error.code.as_str()),
    );
    let response = result.map_err(|failure| refused("token", &headers, &params, failure))?;
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
    client_auth::authenticate(provider, &creds, &provider.persona.url(path))
        .await
        .map_err(|failure| refused(endpoint_of(provider, path), headers, params, failure))
}

/// Logs a refusal with the client as the request names it, and turns it into the response.
fn refused(
    endpoint: &'static str,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
    failure: AuthFailure,
) -> HttpError {
    let client = trace::claimed_client(authorization(headers).as_deref(), params.get("client_id").map(String::as_str));
    trace::refused(endpoint, client.as_deref(), &failure.error);
    fail(failure)
}

fn token_param<'a>(
    endpoint: &'static str,
    client: &Client,
    params: &'a HashMap<String, String>,
) -> Result<&'a str, HttpError> {
    params.get("token").map(String::as_str).filter(|t| !t.is_empty()).ok_or_else(|| {
        let error = OAuthError::invalid_request("token is missing");
        trace::refused(endpoint, Some(&client.client_id), &error);
        HttpError::json(error)
    })
}

pub async fn introspect(
    State(provider): State<Provider>,
    headers: HeaderMap,
    Params(params): Params,
) -> Result<Response, HttpError> {
    let client = authenticated(&provider, &headers, &params, provider.persona.paths.introspection).await?;
    let token = token_param("introspection", &client, &params)?;
    let hint = params.get("token_type_hint").map(String::as_str);
    let body = introspection::introspect(&provider, &client, token, hint).await.map_err(|error| {
        trace::refused("introspection", Some(&client.client_id), &error);
        HttpError::json(error)
    })?;
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
    let token = token_param("revocation", &client, &params)?;
    let hint = params.get("token_type_hint").map(String::as_str);
    revocation::revoke(&provider, &client, token, hint).await.map_err(|error| {
        trace::refused("revocation", Some(&client.client_id), &error);
        HttpError::json(error)
    })?;
    let mut response = StatusCode::OK.into_response();
    security::no_store(response.headers_mut());
    Ok(response)
}
