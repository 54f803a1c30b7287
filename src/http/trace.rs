//! The request span of the access log, with the query string redacted: at debug level every
//! request's URI is logged, and a query carries hints, tokens, codes and interaction handles
//! (`id_token_hint`, `login_hint`, `code`, `request`, …). Only the values of parameters known
//! to be harmless are kept; every other value is replaced, whatever its name.

use axum::http::Request;
use tracing::Span;

/// Parameters whose values say what was asked and by whom, but hold nothing secret or personal.
const SHOWN: &[&str] = &[
    "client_id",
    "response_type",
    "response_mode",
    "scope",
    "redirect_uri",
    "post_logout_redirect_uri",
    "prompt",
    "display",
    "max_age",
    "ui_locales",
    "claims_locales",
    "acr_values",
    "code_challenge_method",
    "grant_type",
    "error",
    "lang",
];

/// Longest parameter name written as it came; longer ones are cut (a name is the client's text).
const MAX_NAME: usize = 64;

/// `make_span_with` for the `TraceLayer`: the default span's fields, the URI redacted.
pub fn span<B>(request: &Request<B>) -> Span {
    tracing::debug_span!(
        "request",
        method = %request.method(),
        uri = %redacted(request.uri()),
        version = ?request.version(),
    )
}

/// The URI's path and its query with every value not in [`SHOWN`] replaced by `…`.
pub fn redacted(uri: &axum::http::Uri) -> String {
    let path = uri.path();
    let Some(query) = uri.query() else { return path.to_owned() };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decoded = url::form_urlencoded::parse(name.as_bytes()).next().map(|(n, _)| n.into_owned());
            let shown = decoded.is_some_and(|n| SHOWN.contains(&n.as_str()));
            let name: String = name.chars().take(MAX_NAME).collect();
            match (shown, value.is_empty()) {
                (true, _) => format!("{name}={value}"),
                (false, true) => name,
                (false, false) => format!("{name}=…"),
            }
        })
        .collect();
    format!("{path}?{}", pairs.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redact(uri: &str) -> String {
        redacted(&uri.parse().unwrap())
    }

    #[test]
    fn hints_tokens_and_unknown_values_are_replaced() {
        assert_eq!(
            redact("/authorize?client_id=rp&login_hint=jan%40example.cz&id_token_hint=eyJx.eyJy.sig&scope=openid"),
            "/authorize?client_id=rp&login_hint=…&id_token_hint=…&scope=openid"
        );
        assert_eq!(redact("/cb?code=abc&state=xyz"), "/cb?code=…&state=…");
        assert_eq!(redact("/login?interaction=0123abcd"), "/login?interaction=…");
        // An encoded name is judged by what it decodes to.
        assert_eq!(redact("/a?login%5Fhint=x&client%5Fid=rp"), "/a?login%5Fhint=…&client%5Fid=rp");
    }

    #[test]
    fn a_uri_without_values_to_hide_is_unchanged() {
        assert_eq!(redact("/.well-known/openid-configuration"), "/.well-known/openid-configuration");
        assert_eq!(redact("/authorize?client_id=rp&flag"), "/authorize?client_id=rp&flag");
    }
}
