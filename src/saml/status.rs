//! SAML status codes (SAML Core §3.2.2.2): what a response tells a service provider when it
//! carries no assertion.

use super::xml::escape;

const PREFIX: &str = "urn:oasis:names:tc:SAML:2.0:status:";

/// A response's status: the top-level code, a second-level one, and a message for the SP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub(crate) code: &'static str,
    pub(crate) sub: Option<&'static str>,
    pub(crate) message: String,
}

impl Status {
    pub(crate) const SUCCESS: &'static str = "Success";
    pub(crate) const REQUESTER: &'static str = "Requester";
    pub(crate) const RESPONDER: &'static str = "Responder";
    pub(crate) const VERSION_MISMATCH: &'static str = "VersionMismatch";
    pub(crate) const AUTHN_FAILED: &'static str = "AuthnFailed";
    pub(crate) const NO_AUTHN_CONTEXT: &'static str = "NoAuthnContext";
    pub(crate) const NO_PASSIVE: &'static str = "NoPassive";
    pub(crate) const REQUEST_DENIED: &'static str = "RequestDenied";
    pub(crate) const UNSUPPORTED_BINDING: &'static str = "UnsupportedBinding";
    pub(crate) const INVALID_NAME_ID_POLICY: &'static str = "InvalidNameIDPolicy";
    pub(crate) const UNKNOWN_PRINCIPAL: &'static str = "UnknownPrincipal";

    /// The request was wrong.
    pub(crate) fn requester(sub: Option<&'static str>, message: &str) -> Self {
        Self { code: Self::REQUESTER, sub, message: message.to_owned() }
    }

    /// This identity provider could not or would not serve it.
    pub(crate) fn responder(sub: Option<&'static str>, message: &str) -> Self {
        Self { code: Self::RESPONDER, sub, message: message.to_owned() }
    }

    pub(crate) fn version_mismatch() -> Self {
        Self { code: Self::VERSION_MISMATCH, sub: None, message: "only SAML 2.0 is spoken here".into() }
    }

    /// All went well.
    pub(crate) fn success() -> Self {
        Self { code: Self::SUCCESS, sub: None, message: String::new() }
    }

    /// The inside of `samlp:Status`: the code (with its second level) and the message if any.
    pub(crate) fn xml(&self) -> String {
        let mut out = format!(r#"<samlp:StatusCode Value="{}""#, Self::uri(self.code));
        match self.sub {
            Some(sub) => {
                out.push_str(&format!(r#"><samlp:StatusCode Value="{}"/></samlp:StatusCode>"#, Self::uri(sub)))
            }
            None => out.push_str("/>"),
        }
        if !self.message.is_empty() {
            out.push_str(&format!("<samlp:StatusMessage>{}</samlp:StatusMessage>", escape(&self.message)));
        }
        out
    }

    /// A code's full URI.
    pub(crate) fn uri(code: &str) -> String {
        format!("{PREFIX}{code}")
    }
}
