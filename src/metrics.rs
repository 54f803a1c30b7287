//! Prometheus metrics: what is counted, under which names, and the text the `/metrics` endpoint
//! serves. Recording goes through the `metrics` crate's macros, so any layer can count with one
//! call here; rendering goes through a [`PrometheusHandle`] on identita's own router (or on
//! `metrics.listen`), with no listener of the exporter's own.
//!
//! The recorder is process-wide (the `metrics` crate has one global recorder): one process serves
//! one provider in production, and in the test binary every provider adds to the same counters,
//! which is why the tests assert increases. Until [`handle`] installs it, recording costs nothing.
//!
//! Every label value comes from a short fixed list (a route template, a status code, an OAuth
//! error code, a known grant type) — never from raw request text — so no client can grow the
//! number of series.

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics::{counter, describe_counter, describe_histogram, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;

use crate::config::MetricsConfig;
use crate::store::StoreError;

/// Where the metrics are served.
pub const PATH: &str = "/metrics";

pub const HTTP_REQUESTS: &str = "identita_http_requests_total";
pub const HTTP_DURATION: &str = "identita_http_request_duration_seconds";
pub const LOGINS: &str = "identita_logins_total";
pub const TOKEN_GRANTS: &str = "identita_token_grants_total";
pub const STORE_ERRORS: &str = "identita_store_errors_total";
pub const LOCKOUTS: &str = "identita_lockouts_total";

/// Latency buckets, in seconds: a page or a token is milliseconds, a password check ~20 ms,
/// an outbound fetch (a client's `jwks_uri`) up to seconds.
const DURATION_BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// The process's recorder, installed on first use; `None` when another recorder was installed
/// first (then nothing of identita's is counted, and `/metrics` says so).
pub fn handle() -> Option<PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE.get_or_init(install).clone()
}

fn install() -> Option<PrometheusHandle> {
    let built = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full(HTTP_DURATION.to_owned()), DURATION_BUCKETS)
        .and_then(PrometheusBuilder::install_recorder);
    let handle = match built {
        Ok(handle) => handle,
        Err(e) => {
            tracing::warn!(error = %e, "metrics are not recorded: installing the Prometheus recorder failed");
            return None;
        }
    };
    describe();
    // Upkeep drains histogram samples into their buckets; a thread of its own, because no one
    // tokio runtime outlives every provider (the test binary starts one per test).
    let upkeep = handle.clone();
    let spawned = std::thread::Builder::new().name("metrics-upkeep".into()).spawn(move || {
        loop {
            std::thread::sleep(Duration::from_secs(5));
            upkeep.run_upkeep();
        }
    });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "starting the metrics upkeep thread failed; histograms are drained at each scrape");
    }
    Some(handle)
}

fn describe() {
    describe_counter!(HTTP_REQUESTS, "HTTP requests answered, by route template, method and status code");
    describe_histogram!(HTTP_DURATION, metrics::Unit::Seconds, "Time to answer an HTTP request, by route template");
    describe_counter!(LOGINS, "Password login attempts, by outcome");
    describe_counter!(TOKEN_GRANTS, "Token endpoint requests, by grant type and outcome (success or OAuth error)");
    describe_counter!(STORE_ERRORS, "Storage failures met while answering a request, by kind");
    describe_counter!(LOCKOUTS, "Accounts slowed down after repeated failed logins (each wait started)");
}

/// `GET /metrics`: the Prometheus text format.
pub async fn render() -> Response {
    match handle() {
        Some(handle) => {
            handle.run_upkeep();
            let mut response = handle.render().into_response();
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
            response
        }
        None => (StatusCode::SERVICE_UNAVAILABLE, "metrics are not recorded in this process").into_response(),
    }
}

/// Adds `GET /metrics` (unless `metrics.listen` serves it elsewhere) and the route marking of
/// [`mark_route`] to `router`; call it after the last route and before the fallback. With
/// metrics off, neither is added and the recorder is not installed.
pub fn routes<S: Clone + Send + Sync + 'static>(router: Router<S>, config: &MetricsConfig) -> Router<S> {
    if !config.enabled {
        return router;
    }
    // Installed now, so that what happens before the first scrape is counted.
    let _ = handle();
    let router = if config.listen.is_none() { router.route(PATH, get(render)) } else { router };
    router.route_layer(axum::middleware::from_fn(mark_route))
}

/// Serves `/metrics` alone on `addr` (`metrics.listen`), in a task of its own; returns the
/// address bound.
pub async fn serve_on(addr: SocketAddr) -> Result<SocketAddr, String> {
    let _ = handle();
    let listener = TcpListener::bind(addr).await.map_err(|e| format!("binding metrics.listen {addr}: {e}"))?;
    let bound = listener.local_addr().map_err(|e| format!("metrics.listen {addr}: {e}"))?;
    let router = Router::new().route(PATH, get(render));
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            tracing::warn!(error = %e, "the metrics listener stopped");
        }
    });
    Ok(bound)
}

/// The route template that answered, put on the response by [`mark_route`] for [`track`].
#[derive(Clone)]
struct Route(String);

/// A `route_layer`: the matched route's template travels to [`track`] on the response (a
/// `layer` around the whole router runs before routing, so it cannot see it itself).
pub async fn mark_route(request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map(|m| m.as_str().to_owned());
    let mut response = next.run(request).await;
    if let Some(route) = route {
        response.extensions_mut().insert(Route(route));
    }
    response
}

/// A `layer` around the whole router: counts and times every request, under its route template
/// (`unmatched` when no route answered, so a scan of random paths adds one series, not many).
pub async fn track(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(request.method());
    let response = next.run(request).await;
    let route = response.extensions().get::<Route>().map_or_else(|| "unmatched".to_owned(), |r| r.0.clone());
    let status = response.status().as_u16().to_string();
    counter!(HTTP_REQUESTS, "endpoint" => route.clone(), "method" => method, "status" => status).increment(1);
    histogram!(HTTP_DURATION, "endpoint" => route, "method" => method).record(started.elapsed().as_secs_f64());
    response
}

/// A method as a label: the standard ones by name, anything else as `other`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        _ => "other",
    }
}

/// One password login attempt: `success`, or the refusal's reason (`bad_credentials`,
/// `throttled`, `locked`, `too_many_in_this_login`; see `authn::login::Refusal`).
pub fn login(outcome: &'static str) {
    counter!(LOGINS, "outcome" => outcome).increment(1);
}

/// One token request: its grant type (a known one, `other` or `none`) and `success` or the
/// OAuth error code it was refused with (one of the protocol's fixed codes, never free text).
pub fn token_grant(grant_type: Option<&str>, refused: Option<&'static str>) {
    let grant_type = match grant_type {
        Some(
            known @ ("authorization_code"
            | "refresh_token"
            | "client_credentials"
            | "urn:ietf:params:oauth:grant-type:jwt-bearer"
            | "urn:ietf:params:oauth:grant-type:device_code"
            | "urn:ietf:params:oauth:grant-type:token-exchange"
            | "password"),
        ) => known.to_owned(),
        Some(_) => "other".to_owned(),
        None => "none".to_owned(),
    };
    let outcome = refused.unwrap_or("success");
    counter!(TOKEN_GRANTS, "grant_type" => grant_type, "outcome" => outcome).increment(1);
}

/// A storage failure met while answering a request.
pub fn store_error(error: &StoreError) {
    let kind = match error {
        StoreError::Conflict(_) => "conflict",
        StoreError::Unavailable(_) => "unavailable",
        StoreError::Corrupt(_) => "corrupt",
    };
    counter!(STORE_ERRORS, "kind" => kind).increment(1);
}

/// An account starts a wait after repeated failed logins (`authn::throttle`).
pub fn lockout() {
    counter!(LOCKOUTS).increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_methods_and_grant_types_do_not_make_new_series() {
        assert_eq!(method_label(&Method::from_bytes(b"BREW").unwrap()), "other");
        assert_eq!(method_label(&Method::POST), "POST");
        // Recording without a recorder installed is a no-op, never a panic.
        token_grant(Some("x".repeat(10_000).as_str()), Some("unsupported_grant_type"));
        token_grant(None, None);
    }
}
