//! The `mojeid` persona: the OpenID Connect surface of CZ.NIC's mojeID as its relying parties
//! meet it — the issuer `<url>/oidc/` (with its trailing slash), discovery at
//! `/.well-known/openid-configuration/`, endpoints under `/oidc/` with trailing slashes, the
//! standard claims and the `mojeid_*` ones, and the quirks of [`Quirks::MOJEID`]. What is known
//! of the real service: `shared/reference/nia_mojeid.md` §8.

use super::{EncryptionStyle, Paths, Persona, Quirks, Surface};
use crate::model::loa::Loa;

/// The scopes mojeID's relying parties use.
const SCOPES: &[&str] = &["openid", "profile", "email", "address", "phone", "offline_access"];

const PATHS: Paths = Paths {
    discovery: "/.well-known/openid-configuration/",
    jwks: "/oidc/key.jwk",
    authorization: "/oidc/authorization/",
    token: "/oidc/token/",
    userinfo: "/oidc/userinfo/",
    revocation: "/oidc/revocation/",
    introspection: "/oidc/introspection/",
    // No RP-initiated logout: the person confirms at the logout page.
    end_session: "/logout/",
    registration: "/oidc/registration/",
    // The person-facing pages where a plain provider has them.
    ..super::STANDARD_PATHS
};

/// Where an OpenID Connect library looks for discovery under the issuer `<url>/oidc/`.
pub(super) const DISCOVERY_UNDER_ISSUER: &str = "/oidc/.well-known/openid-configuration";

/// mojeID served at `base_url`, with `issuer` (`<base_url>/oidc/` unless given).
pub(super) fn persona(issuer: Option<&str>, base_url: &str) -> Persona {
    let base_url = base_url.trim_end_matches('/').to_owned();
    Persona {
        name: "mojeid",
        face: None,
        issuer: issuer.map_or_else(|| format!("{base_url}/oidc/"), str::to_owned),
        base_url,
        paths: PATHS,
        surface: Surface::MojeId,
        scopes: SCOPES,
        quirks: Quirks::MOJEID,
        own_listener: false,
        shares_sessions: true,
        // The password alone; a security key makes it substantial or high.
        password_acr: Loa::Low,
        federates_mojeid: false,
        nia_id_registration: None,
        encryption: EncryptionStyle::STANDARD,
        saml: None,
    }
}
