//! The authorization response: parameters delivered to the client's redirect URI in the query,
//! the fragment, or an auto-submitted form (OAuth 2.0 Form Post Response Mode).

use super::{ResponseMode, ResponseTarget};
use crate::oidc::Provider;
use crate::oidc::error::OAuthError;

#[derive(Debug, Clone, PartialEq)]
pub struct AuthorizationResponse {
    pub(crate) target: ResponseTarget,
    /// The response parameters, `state` and `iss` included.
    pub(crate) params: Vec<(String, String)>,
}

impl ResponseTarget {
    /// The error response at this target, from `provider` (its `iss`).
    pub(crate) fn refused(self, provider: &Provider, error: &OAuthError) -> AuthorizationResponse {
        AuthorizationResponse::error(self, provider.issuer(), error)
    }
}

impl AuthorizationResponse {
    /// A successful response: `fields` plus `state` (when the request had one) and `iss` (RFC 9207).
    pub(crate) fn success(target: ResponseTarget, issuer: &str, fields: Vec<(String, String)>) -> Self {
        let mut params = fields;
        if let Some(state) = &target.state {
            params.push(("state".into(), state.clone()));
        }
        params.push(("iss".into(), issuer.to_owned()));
        Self { target, params }
    }

    pub(crate) fn error(target: ResponseTarget, issuer: &str, error: &OAuthError) -> Self {
        let fields = vec![
            ("error".to_string(), error.code.as_str().to_string()),
            ("error_description".to_string(), error.description.clone()),
        ];
        Self::success(target, issuer, fields)
    }

    /// The URL to redirect to, for the query and fragment modes; `None` for form_post.
    pub(crate) fn redirect_url(&self) -> Option<String> {
        let encoded = serde_urlencoded::to_string(&self.params).unwrap_or_default();
        let uri = &self.target.redirect_uri;
        match self.target.mode {
            ResponseMode::Query => {
                let (base, fragment) = match uri.split_once('#') {
                    Some((b, f)) => (b, Some(f)),
                    None => (uri.as_str(), None),
                };
                let sep = if base.contains('?') { '&' } else { '?' };
                let mut url = format!("{base}{sep}{encoded}");
                if let Some(f) = fragment {
                    url.push('#');
                    url.push_str(f);
                }
                Some(url)
            }
            ResponseMode::Fragment => {
                let base = uri.split('#').next().unwrap_or(uri);
                Some(format!("{base}#{encoded}"))
            }
            ResponseMode::FormPost => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(uri: &str, mode: ResponseMode) -> ResponseTarget {
        ResponseTarget { redirect_uri: uri.into(), mode, state: Some("s 1".into()) }
    }

    #[test]
    fn query_keeps_registered_query_parameters() {
        let r = AuthorizationResponse::success(
            target("https://rp/cb?x=1", ResponseMode::Query),
            "https://op",
            vec![("code".into(), "abc".into())],
        );
        assert_eq!(r.redirect_url().unwrap(), "https://rp/cb?x=1&code=abc&state=s+1&iss=https%3A%2F%2Fop");
    }

    #[test]
    fn fragment_and_form_post() {
        let r = AuthorizationResponse::success(target("https://rp/cb", ResponseMode::Fragment), "https://op", vec![]);
        assert_eq!(r.redirect_url().unwrap(), "https://rp/cb#state=s+1&iss=https%3A%2F%2Fop");
        let r = AuthorizationResponse::success(target("https://rp/cb", ResponseMode::FormPost), "https://op", vec![]);
        assert!(r.redirect_url().is_none());
    }
}
