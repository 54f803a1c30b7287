//! Discovery, JWKS and health endpoints.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::oidc::{Provider, discovery};

pub async fn configuration(State(provider): State<Provider>) -> Response {
    let mut response = Json(discovery::metadata(&provider)).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    response
}

pub async fn jwks(State(provider): State<Provider>) -> Response {
    let mut response = Json(provider.keys.jwks()).into_response();
    // Short, so that a rotation reaches relying parties quickly.
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=60"));
    response
}

pub async fn healthz() -> &'static str {
    "ok"
}

pub async fn readyz(State(provider): State<Provider>) -> Response {
    match provider.stores.maintenance.ping().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "not ready: storage unavailable").into_response()
        }
    }
}
