//! The request span of the access log, with the query string redacted: at debug level every
//! request's URI is logged, and a query carries hints, tokens, codes and interaction handles
//! (`id_token_hint`, `login_hint`, `code`, `request`, …). Only the values of parameters known
//! to be harmless are kept; every other value is replaced, whatever its name.
//!
//! Also the one line every refused token, introspection, revocation and userinfo request gets
//! ([`refused`]): the endpoint, the client when known and the OAuth error — never a secret, an
//! assertion or a token.

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

/// Longest client id written as it came (an unauthenticated one is the client's text).
const MAX_CLIENT_ID: usize = 128;

/// Logs a refused request at info: which endpoint, which client (when known: authenticated, or
/// as claimed by `client_id` or the Basic user name; the field is left out when unknown) and the
/// reason, as the OAuth error the client was sent. The client id is logged with `Debug`, so
/// control characters are escaped and it cannot forge a line or a field.
pub fn refused(endpoint: &'static str, client_id: Option<&str>, error: &crate::oidc::OAuthError) {
    let client_id = client_id.map(|id| id.chars().take(MAX_CLIENT_ID).collect::<String>());
    tracing::info!(
        endpoint,
        client_id = client_id.as_deref().map(tracing::field::debug),
        error = error.code.as_str(),
        description = %error.description,
        "request refused"
    );
}

/// The client a request names before it is authenticated: the `client_id` parameter, else the
/// user name of HTTP Basic authentication (RFC 6749 §2.3.1: form-encoded, then base64). The
/// secret half of the header is never decoded into a string.
pub fn claimed_client(authorization: Option<&str>, client_id: Option<&str>) -> Option<String> {
    use base64::Engine;
    if let Some(id) = client_id.filter(|id| !id.is_empty()) {
        return Some(id.to_owned());
    }
    let (scheme, encoded) = authorization?.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let user = decoded.split(|&b| b == b':').next()?;
    let id: String = url::form_urlencoded::parse(&[b"x=", user].concat()).next()?.1.into_owned();
    Some(id).filter(|id| !id.is_empty())
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

    #[test]
    fn the_claimed_client_comes_from_the_parameter_or_the_basic_user_name_only() {
        use base64::Engine;
        let basic = |pair: &str| format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair));
        assert_eq!(claimed_client(None, Some("rp")).as_deref(), Some("rp"));
        assert_eq!(claimed_client(Some(&basic("my%20rp:s3cret")), None).as_deref(), Some("my rp"));
        assert_eq!(claimed_client(Some(&basic("rp:s3cret")), Some("param")).as_deref(), Some("param"));
        assert_eq!(claimed_client(Some("Bearer abc"), None), None);
        assert_eq!(claimed_client(Some("Basic !!!"), None), None);
        assert_eq!(claimed_client(Some(&basic(":s3cret")), None), None);
    }
}
