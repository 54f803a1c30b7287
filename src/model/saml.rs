//! A SAML 2.0 service provider registered from its metadata: who it is (its entityID, which plays
//! the OpenID Connect `client_id` for its PersonIdentifiers), where responses go, and the
//! certificates its requests are checked and its assertions encrypted with.

use serde::{Deserialize, Serialize};

/// The HTTP-POST binding's URI.
pub const BINDING_POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
/// The HTTP-Redirect binding's URI.
pub const BINDING_REDIRECT: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";

/// A registered service provider (an SP, NIA's "SeP").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceProvider {
    /// The face (`[[faces]]` name) it is registered at, `None` for the primary face.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub face: Option<String>,
    /// Its entityID, the `Issuer` of its requests.
    pub entity_id: String,
    /// A name to show the person (the metadata's organisation display name), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Its assertion consumer services, as the metadata lists them.
    pub acs: Vec<Endpoint>,
    /// Its single logout services.
    #[serde(default)]
    pub slo: Vec<Endpoint>,
    /// The certificates its requests are signed with (base64 DER), several during a rollover.
    pub signing_certs: Vec<String>,
    /// The certificates its assertions are encrypted to (base64 DER); the first is used.
    pub encryption_certs: Vec<String>,
    /// eIDAS `SPType` from the metadata's extensions: `public` or `private`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sp_type: Option<String>,
    /// `AuthnRequestsSigned` of its metadata.
    #[serde(default)]
    pub authn_requests_signed: bool,
    /// `WantAssertionsSigned` of its metadata.
    #[serde(default)]
    pub want_assertions_signed: bool,
    pub created_at: i64,
}

/// An endpoint of a service provider's metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    pub binding: String,
    pub location: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u32>,
    #[serde(default)]
    pub is_default: bool,
}

impl ServiceProvider {
    /// The HTTP-POST assertion consumer service at exactly `url`, if the metadata lists it.
    pub fn acs_at(&self, url: &str) -> Option<&Endpoint> {
        self.acs.iter().find(|e| e.binding == BINDING_POST && e.location == url)
    }

    /// The HTTP-POST assertion consumer service used when a request names none: the one marked
    /// default, else the lowest index, else the first.
    pub fn default_acs(&self) -> Option<&Endpoint> {
        let post = || self.acs.iter().filter(|e| e.binding == BINDING_POST);
        post().find(|e| e.is_default).or_else(|| post().min_by_key(|e| e.index.unwrap_or(u32::MAX)))
    }

    /// The HTTP-POST assertion consumer service with `index`.
    pub fn acs_by_index(&self, index: u32) -> Option<&Endpoint> {
        self.acs.iter().find(|e| e.binding == BINDING_POST && e.index == Some(index))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(location: &str, index: u32, is_default: bool) -> Endpoint {
        Endpoint { binding: BINDING_POST.into(), location: location.into(), index: Some(index), is_default }
    }

    #[test]
    fn the_default_acs_is_the_marked_one_else_the_lowest_index() {
        let mut sp = ServiceProvider {
            face: None,
            entity_id: "https://sp.example/".into(),
            name: None,
            acs: vec![endpoint("https://sp.example/b", 2, false), endpoint("https://sp.example/a", 1, false)],
            slo: vec![],
            signing_certs: vec![],
            encryption_certs: vec![],
            sp_type: None,
            authn_requests_signed: true,
            want_assertions_signed: false,
            created_at: 0,
        };
        assert_eq!(sp.default_acs().unwrap().location, "https://sp.example/a");
        sp.acs[0].is_default = true;
        assert_eq!(sp.default_acs().unwrap().location, "https://sp.example/b");
        assert!(sp.acs_at("https://sp.example/c").is_none());
    }
}
