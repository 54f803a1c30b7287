//! Protocol faces: the issuer, endpoint paths and claim naming a relying party sees.
//!
//! `standard` is a plain OpenID Provider. The `nia` and `mojeid` personas of DESIGN.md will sit
//! beside it as further values of [`Persona`]; the protocol core reads every path and name from
//! here instead of from constants.

use crate::model::loa::Loa;

/// Endpoint paths, relative to the issuer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub discovery: &'static str,
    pub jwks: &'static str,
    pub authorization: &'static str,
    pub token: &'static str,
    pub userinfo: &'static str,
    pub revocation: &'static str,
    pub introspection: &'static str,
    pub end_session: &'static str,
    pub registration: &'static str,
    /// Pages of the person-facing login flow.
    pub login: &'static str,
    /// NIA ID's second step: the code sent by SMS.
    pub login_sms: &'static str,
    /// eObčanka's Continue; a reader posts a card's signature below it.
    pub login_card: &'static str,
    /// MEG's login: Continue posts here; a device answers at `{login_meg}/{interaction}/{nonce}`.
    pub login_meg: &'static str,
    /// Where a MEG device being paired posts its key (`identita meg pair`).
    pub meg_pair: &'static str,
    /// The MEG devices' push connections, `{meg_devices}/{id}/push`.
    pub meg_devices: &'static str,
    /// The bank identity means: the bank picked (POST), and the bank's answer.
    pub login_bank: &'static str,
    pub login_bank_callback: &'static str,
    /// mojeID + WebAuthn's second step: the security key.
    pub login_key: &'static str,
    /// The signed-in citizen's security keys (list, add, remove).
    pub account_keys: &'static str,
    pub consent: &'static str,
    pub select_account: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Persona {
    pub name: &'static str,
    /// The face's name in `[[faces]]`; `None` for the primary face (`issuer`, `persona`). Its
    /// cookies carry it in their names, so the faces of one host keep theirs apart.
    pub face: Option<String>,
    /// The issuer identifier, without a trailing slash.
    pub issuer: String,
    pub paths: Paths,
    /// The level of assurance of a password login.
    pub password_acr: Loa,
    /// How this face shows its encrypted ID tokens.
    pub encryption: EncryptionStyle,
}

/// How a face shows the ID tokens it encrypts to clients that registered for them
/// (`id_token_encrypted_response_alg`): a plain provider advertises what it can do and names the
/// recipient's key; NIA encrypts without either (its discovery lists no encryption, and its JWE
/// header has no `kid`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncryptionStyle {
    /// Discovery lists `id_token_encryption_alg_values_supported`, `..._enc_values_supported` and
    /// their `userinfo_encryption_*` twins.
    pub advertised: bool,
    /// The JWE header names the client's key (`kid`) when the key has one. The OpenID
    /// Foundation's suite wants it (`ValidateEncryptedIdTokenHasKid`) when the client has a JWKS.
    pub names_key: bool,
}

impl EncryptionStyle {
    /// A plain OpenID Provider's: advertised, with the key named.
    pub const STANDARD: EncryptionStyle = EncryptionStyle { advertised: true, names_key: true };
}

const STANDARD_PATHS: Paths = Paths {
    discovery: "/.well-known/openid-configuration",
    jwks: "/jwks",
    authorization: "/authorize",
    token: "/token",
    userinfo: "/userinfo",
    revocation: "/revoke",
    introspection: "/introspect",
    end_session: "/logout",
    registration: "/register",
    login: "/login",
    login_sms: "/login/sms",
    login_card: "/login/card",
    login_meg: "/login/meg",
    meg_pair: "/meg/pair",
    meg_devices: "/meg/devices",
    login_bank: "/login/bank",
    login_bank_callback: "/login/bank/callback",
    login_key: "/login/key",
    account_keys: "/account/keys",
    consent: "/consent",
    select_account: "/select-account",
};

impl Persona {
    pub fn by_name(name: &str, issuer: &str) -> Option<Self> {
        match name {
            "standard" => Some(Self::standard(issuer)),
            _ => None,
        }
    }

    pub fn standard(issuer: &str) -> Self {
        Self {
            name: "standard",
            face: None,
            issuer: issuer.trim_end_matches('/').to_string(),
            paths: STANDARD_PATHS,
            password_acr: Loa::Low,
            encryption: EncryptionStyle::STANDARD,
        }
    }

    /// This persona as the face `name` of `[[faces]]`.
    pub fn into_face(self, name: &str) -> Self {
        Self { face: Some(name.to_owned()), ..self }
    }

    /// What this face serves on the listener, for keeping other faces' paths apart: its base
    /// path, or, at the root, each of its routes.
    pub fn served_paths(&self) -> Vec<String> {
        let base = self.base_path();
        if !base.is_empty() {
            return vec![base];
        }
        let p = &self.paths;
        let routes = [
            p.discovery,
            p.jwks,
            p.authorization,
            p.token,
            p.userinfo,
            p.revocation,
            p.introspection,
            p.end_session,
            p.registration,
            p.login,
            p.meg_pair,
            p.meg_devices,
            p.account_keys,
            p.consent,
            p.select_account,
            "/static",
            "/healthz",
            "/readyz",
            "/metrics",
            "/dev",
        ];
        routes.iter().map(|r| (*r).to_owned()).collect()
    }

    /// The absolute URL of one of this persona's paths.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.issuer, path)
    }

    /// The path prefix of the issuer (empty when the issuer is a bare origin), so routes can be
    /// mounted under an issuer such as `https://host/realm`.
    pub fn base_path(&self) -> String {
        url::Url::parse(&self.issuer).map(|u| u.path().trim_end_matches('/').to_string()).unwrap_or_default()
    }
}
