//! The redirect URIs (and post-logout redirect URIs) a client may register.
//!
//! A registered URI is where a browser is later sent with codes, tokens or a `form_post` page,
//! so only what a relying party can really receive there is accepted: `https`; `http` to a
//! loopback host (RFC 8252 §7.3), or to any host for a web client whose responses carry no token
//! in the front channel; and, for native apps only, a private-use scheme named after a domain in
//! reverse order (`com.example.app:/cb`, RFC 8252 §7.1). Never `javascript:`, `data:`, `file:`
//! or the like, never a fragment (RFC 6749 §3.1.2), user information, whitespace or control
//! characters. Every path that registers a client (dynamic registration and its updates, the
//! CLI, fixtures, imports) goes through [`RedirectUri::parse`].

use std::fmt;

/// `application_type` (OpenID Connect Dynamic Client Registration §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationType {
    #[default]
    Web,
    Native,
}

impl ApplicationType {
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "web" => Some(Self::Web),
            "native" => Some(Self::Native),
            _ => None,
        }
    }
}

/// What a URI is checked for: the kind of client, and whether tokens travel in the front
/// channel to it (implicit and hybrid response types), which needs https.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UriRules {
    pub(crate) application_type: ApplicationType,
    pub(crate) front_channel_tokens: bool,
}

impl UriRules {
    /// Rules for post-logout redirect URIs: no token goes there.
    pub(crate) fn without_tokens(self) -> Self {
        Self { front_channel_tokens: false, ..self }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedirectUriError {
    #[error("{0} is not an absolute URI")]
    NotAbsolute(String),
    #[error("a redirect URI must not contain whitespace or control characters")]
    Unprintable,
    #[error("{0} must not contain a fragment")]
    Fragment(String),
    #[error("{0} must not contain user information")]
    UserInfo(String),
    #[error("{0} has no host")]
    NoHost(String),
    #[error("{0} must use https: this client's responses carry tokens in the browser")]
    HttpsRequired(String),
    #[error("{0}: a native client may use http only to a loopback host (RFC 8252)")]
    NativeHttp(String),
    #[error("{0}: the scheme {1} is not allowed; use https (or a private-use scheme for a native client)")]
    Scheme(String, String),
    #[error("{0}: a private-use scheme must be a domain name in reverse order, e.g. com.example.app")]
    PrivateScheme(String),
}

/// A redirect URI that passed [`RedirectUri::parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectUri(String);

impl RedirectUri {
    pub fn parse(value: &str, rules: UriRules) -> Result<Self, RedirectUriError> {
        // `url` would drop or escape these silently; the registered text must be what is matched.
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(RedirectUriError::Unprintable);
        }
        let parsed = url::Url::parse(value).map_err(|_| RedirectUriError::NotAbsolute(value.into()))?;
        if value.contains('#') {
            return Err(RedirectUriError::Fragment(value.into()));
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(RedirectUriError::UserInfo(value.into()));
        }
        let native = rules.application_type == ApplicationType::Native;
        match parsed.scheme() {
            "https" if parsed.host().is_none() => Err(RedirectUriError::NoHost(value.into())),
            "https" => Ok(Self(value.into())),
            "http" if parsed.host().is_none() => Err(RedirectUriError::NoHost(value.into())),
            "http" if is_loopback(&parsed) => Ok(Self(value.into())),
            "http" if native => Err(RedirectUriError::NativeHttp(value.into())),
            "http" if rules.front_channel_tokens => Err(RedirectUriError::HttpsRequired(value.into())),
            "http" => Ok(Self(value.into())),
            scheme if native && is_private_use(scheme) => Ok(Self(value.into())),
            _ if native => Err(RedirectUriError::PrivateScheme(value.into())),
            scheme => Err(RedirectUriError::Scheme(value.into(), scheme.into())),
        }
    }
}

impl fmt::Display for RedirectUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `localhost`, 127.0.0.0/8 or `[::1]`: the machine the browser runs on.
pub(crate) fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// RFC 8252 §7.1: a reverse domain name, so at least two labels (`com.example.app`). Schemes a
/// browser treats specially (`javascript`, `data`, ...) have no dot and never pass.
fn is_private_use(scheme: &str) -> bool {
    let labels: Vec<&str> = scheme.split('.').collect();
    labels.len() >= 2 && labels.iter().all(|l| !l.is_empty() && l.starts_with(|c: char| c.is_ascii_alphabetic()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const WEB_CODE: UriRules = UriRules { application_type: ApplicationType::Web, front_channel_tokens: false };
    const WEB_IMPLICIT: UriRules = UriRules { application_type: ApplicationType::Web, front_channel_tokens: true };
    const NATIVE: UriRules = UriRules { application_type: ApplicationType::Native, front_channel_tokens: false };

    #[test]
    fn script_and_local_schemes_are_refused_for_every_client() {
        for uri in ["javascript:alert(1)", "data:text/html,x", "vbscript:msgbox", "file:///etc/passwd", "about:blank"] {
            for rules in [WEB_CODE, WEB_IMPLICIT, NATIVE] {
                assert!(RedirectUri::parse(uri, rules).is_err(), "{uri} {rules:?}");
            }
        }
    }

    #[test]
    fn whitespace_control_characters_fragments_and_userinfo_are_refused() {
        for uri in [
            "https://rp.example/cb\n",
            "https://rp.example/c b",
            "https://rp.example/cb\u{0}",
            "https://rp.example/cb\t",
            "https://rp.example/cb#x",
            "https://rp.example/cb#",
            "https://user@rp.example/cb",
            "https://user:pw@rp.example/cb",
            "/relative",
        ] {
            assert!(RedirectUri::parse(uri, WEB_CODE).is_err(), "{uri:?}");
        }
    }

    #[test]
    fn http_needs_loopback_for_implicit_and_native_clients() {
        assert!(RedirectUri::parse("http://rp.example/cb", WEB_CODE).is_ok());
        assert_eq!(
            RedirectUri::parse("http://rp.example/cb", WEB_IMPLICIT),
            Err(RedirectUriError::HttpsRequired("http://rp.example/cb".into()))
        );
        assert!(RedirectUri::parse("http://rp.example/cb", NATIVE).is_err());
        for loopback in ["http://127.0.0.1:9/cb", "http://localhost:4400/callback", "http://[::1]/cb"] {
            for rules in [WEB_CODE, WEB_IMPLICIT, NATIVE] {
                assert!(RedirectUri::parse(loopback, rules).is_ok(), "{loopback} {rules:?}");
            }
        }
        assert!(RedirectUri::parse("https://rp.example/cb?x=1", WEB_IMPLICIT).is_ok());
    }

    #[test]
    fn private_use_schemes_are_for_native_clients_only() {
        assert!(RedirectUri::parse("com.example.app:/cb", NATIVE).is_ok());
        assert!(RedirectUri::parse("com.example.app:/cb", WEB_CODE).is_err());
        assert!(RedirectUri::parse("myapp:/cb", NATIVE).is_err());
        assert!(RedirectUri::parse("com.example.app:/cb#x", NATIVE).is_err());
    }

    #[test]
    fn application_types_parse() {
        assert_eq!(ApplicationType::parse("native"), Some(ApplicationType::Native));
        assert_eq!(ApplicationType::parse("web"), Some(ApplicationType::Web));
        assert_eq!(ApplicationType::parse("desktop"), None);
    }
}
