//! Response headers every page and API answer carries: no caching of secrets, no framing, no
//! sniffing, and a Content-Security-Policy that lets pages load only our stylesheet.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

pub fn no_store(headers: &mut HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

/// An HTML page with strict headers; `script_nonce` allows one inline script (form post).
pub fn page(status: StatusCode, html: String, script_nonce: Option<&str>) -> Response {
    let mut response = (status, Html(html)).into_response();
    let headers = response.headers_mut();
    no_store(headers);
    let script = match script_nonce {
        Some(nonce) => format!("script-src 'nonce-{nonce}'; "),
        None => String::new(),
    };
    let csp = format!(
        "default-src 'none'; {script}style-src 'self'; img-src 'self' data: https: http:; frame-ancestors 'none'; base-uri 'none'"
    );
    if let Ok(value) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

/// Headers for every response (set by a layer).
pub fn common(headers: &mut HeaderMap) {
    headers.entry(header::X_CONTENT_TYPE_OPTIONS).or_insert(HeaderValue::from_static("nosniff"));
    headers.entry(header::REFERRER_POLICY).or_insert(HeaderValue::from_static("no-referrer"));
}
