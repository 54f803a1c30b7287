//! Response headers every page and API answer carries: no caching of secrets, no framing, no
//! sniffing, a Content-Security-Policy that lets pages load only our stylesheet, and on an https
//! issuer HSTS, so a browser never again reaches it over plain http. Also the start-up warnings
//! about a transport that does not match the issuer.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::config::Config;

/// One year, the common HSTS lifetime (and what preload lists ask for).
const HSTS: HeaderValue = HeaderValue::from_static("max-age=31536000");

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
        // The script may read the page's own event stream (MEG's live update), nothing else.
        Some(nonce) => format!("script-src 'nonce-{nonce}'; connect-src 'self'; "),
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

/// `Strict-Transport-Security` on every response when the issuer is https (`https` true); a
/// layer with the issuer's scheme as its state.
pub async fn strict_transport(State(https): State<bool>, mut response: Response) -> Response {
    if https {
        response.headers_mut().entry(header::STRICT_TRANSPORT_SECURITY).or_insert(HSTS);
    }
    response
}

/// What is odd about how `config` serves its issuer: TLS served under an `http://` issuer
/// (cookies without `Secure`, no HSTS, and every URL in tokens says http), or an `https://`
/// issuer served as plain http with no proxy configured to terminate TLS in front.
pub fn transport_warnings(config: &Config) -> Vec<&'static str> {
    let tls = config.tls.cert_file.is_some() && config.tls.key_file.is_some();
    let https = config.issuer.starts_with("https://");
    let mut warnings = Vec::new();
    if tls && !https {
        warnings.push(
            "TLS is configured but the issuer is http://: cookies are sent without Secure, there is no HSTS, \
             and clients are told http URLs; make the issuer https://",
        );
    }
    if https && !tls && config.trusted_proxies.is_empty() {
        warnings.push(
            "the issuer is https:// but identita serves plain http and no trusted_proxies are configured; \
             put a TLS-terminating proxy in front (and list it in trusted_proxies) or set tls.cert_file and tls.key_file",
        );
    }
    warnings
}

/// Logs [`transport_warnings`] at start-up.
pub fn warn_about_transport(config: &Config) {
    for warning in transport_warnings(config) {
        tracing::warn!("{warning}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(issuer: &str, tls: bool) -> Config {
        let mut config = Config { issuer: issuer.into(), ..Config::default() };
        if tls {
            config.tls.cert_file = Some("cert.pem".into());
            config.tls.key_file = Some("key.pem".into());
        }
        config
    }

    #[test]
    fn tls_under_an_http_issuer_is_warned_about() {
        let warnings = transport_warnings(&config("http://idp.example", true));
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("issuer is http://"));
        assert!(transport_warnings(&config("https://idp.example", true)).is_empty());
        assert!(transport_warnings(&config("http://127.0.0.1:8080", false)).is_empty());
    }

    #[test]
    fn https_without_tls_or_a_proxy_is_warned_about() {
        assert_eq!(transport_warnings(&config("https://idp.example", false)).len(), 1);
        let mut proxied = config("https://idp.example", false);
        proxied.trusted_proxies = vec!["10.0.0.0/8".parse().unwrap()];
        assert!(transport_warnings(&proxied).is_empty());
    }

    #[tokio::test]
    async fn hsts_only_on_https() {
        let https = strict_transport(State(true), Response::default()).await;
        assert_eq!(https.headers()[header::STRICT_TRANSPORT_SECURITY], "max-age=31536000");
        let http = strict_transport(State(false), Response::default()).await;
        assert!(!http.headers().contains_key(header::STRICT_TRANSPORT_SECURITY));
    }
}
