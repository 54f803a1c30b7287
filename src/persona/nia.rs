//! The `nia` persona: the OpenID Connect surface of the National Identity Authority (Národní
//! identitní autorita, "Identita občana") as its integrators meet it — the URN issuer, the
//! endpoints under `/FPSTS/oidc/`, the eIDAS claim names, the LoA scopes and the quirks of
//! [`Quirks::NIA`]. What is known of the real service: `shared/reference/nia_mojeid.md` §1–§2.

use super::{EncryptionStyle, Paths, Persona, Quirks, SamlProfile, SamlSurface, Surface};
use crate::model::loa::Loa;

/// The real NIA's issuer, the same in test and production.
pub(super) const ISSUER: &str = "urn:microsoft:cgg2010:fpsts";

/// The scopes NIA's discovery lists: the LoA scopes (`loa*`, read into the LoA requirement),
/// `forceauthn` and `ispassive` (`prompt=login` and `prompt=none`) and the sector (accepted,
/// not acted on).
pub(crate) const SCOPES: &[&str] = &[
    "openid",
    "forceauthn",
    "publicsector",
    "privatesector",
    "ispassive",
    "loalow",
    "loasubstantial",
    "loahigh",
    "loamin",
    "loamax",
    "loabetter",
    "loaexact",
];

const PATHS: Paths = Paths {
    discovery: "/FPSTS/oidc/openid-configuration",
    jwks: "/FPSTS/oidc/openid-configuration-jwks",
    authorization: "/FPSTS/oidc/authorize",
    token: "/FPSTS/oidc/token",
    userinfo: "/FPSTS/oidc/userinfo",
    revocation: "/FPSTS/oidc/revoke",
    introspection: "/FPSTS/oidc/introspect",
    end_session: "/FPSTS/oidc/endsession",
    registration: "/FPSTS/oidc/register",
    login: "/FPSTS/login",
    login_sms: "/FPSTS/login/sms",
    login_card: "/FPSTS/login/card",
    login_meg: "/FPSTS/login/meg",
    meg_pair: "/FPSTS/meg/pair",
    meg_devices: "/FPSTS/meg/devices",
    login_bank: "/FPSTS/login/bank",
    login_bank_callback: "/FPSTS/login/bank/callback",
    login_mojeid: "/FPSTS/login/mojeid",
    login_mojeid_callback: "/FPSTS/login/mojeid/callback",
    login_key: "/FPSTS/login/key",
    account_keys: "/FPSTS/account/keys",
    account_consents: "/FPSTS/account/consents",
    account_meg: "/FPSTS/account/meg",
    consent: "/FPSTS/consent",
    select_account: "/FPSTS/select-account",
};

/// NIA's SAML 2.0 endpoints (reference §1 and §3.1): one URL for single sign-on over both
/// bindings and single logout, and the WS-Federation metadata address.
pub(crate) const SAML: SamlSurface = SamlSurface {
    sso: "/FPSTS/saml2/basic",
    metadata: "/FPSTS/FederationMetadata/2007-06/FederationMetadata.xml",
    profile: SamlProfile::EIDAS,
};

/// NIA with `issuer`, its endpoints served under `base_url`.
pub(super) fn persona(issuer: &str, base_url: &str) -> Persona {
    Persona {
        name: "nia",
        face: None,
        issuer: issuer.trim_end_matches('/').to_owned(),
        base_url: base_url.trim_end_matches('/').to_owned(),
        paths: PATHS,
        surface: Surface::Nia,
        scopes: SCOPES,
        quirks: Quirks::NIA,
        own_listener: false,
        shares_sessions: true,
        // NIA ID is a password and an SMS code; a password alone is the lowest level.
        password_acr: Loa::Low,
        // NIA's "mojeID" is a login at mojeID (reference §5: substantial, or high).
        federates_mojeid: true,
        // Where identitaobcana.cz registers a NIA ID.
        nia_id_registration: Some("/ProfileRegistration"),
        // NIA's discovery lists no encryption and its JWE header names no key.
        encryption: EncryptionStyle { advertised: false, names_key: false },
        saml: Some(SAML),
    }
}
