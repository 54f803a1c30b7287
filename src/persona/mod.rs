//! Protocol faces: the issuer, endpoint paths and claim naming a relying party sees.
//!
//! `standard` is a plain OpenID Provider; `nia` reproduces the OpenID Connect surface of the
//! Czech National Identity Authority (`nia.rs`), quirks included, each quirk a setting
//! ([`Quirks`]) so a portal can also be tested against a "strict" NIA. The protocol core reads
//! every path, name and quirk from here instead of from constants.

mod mojeid;
mod nia;
mod quirks;
mod saml;

pub use quirks::{QuirkSettings, Quirks};
pub use saml::{AttributeNaming, EntityId, NameIdSource, SamlProfile, SamlSurface};

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
    /// NIA's mojeID means: the person's choice (POST, off to mojeID), and mojeID's answer.
    pub login_mojeid: &'static str,
    pub login_mojeid_callback: &'static str,
    /// mojeID + WebAuthn's second step: the security key.
    pub login_key: &'static str,
    /// The signed-in citizen's security keys (list, add, remove).
    pub account_keys: &'static str,
    /// The services the signed-in citizen has consented to, each revocable.
    pub account_consents: &'static str,
    /// "Připojení mobilního klíče": the signed-in citizen's MEG devices, and a pairing code for
    /// a new one after a login of at least substantial.
    pub account_meg: &'static str,
    pub consent: &'static str,
    pub select_account: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Persona {
    pub name: &'static str,
    /// The face's name in `[[faces]]`; `None` for the primary face (`issuer`, `persona`). Its
    /// cookies carry it in their names, so the faces of one host keep theirs apart.
    pub face: Option<String>,
    /// The issuer identifier, without a trailing slash: a URL, or NIA's URN.
    pub issuer: String,
    /// Where the face's endpoints are served (an absolute URL without a trailing slash): the
    /// issuer itself unless the issuer is not a URL (NIA's `urn:microsoft:cgg2010:fpsts`).
    pub base_url: String,
    pub paths: Paths,
    /// What discovery lists, which claims the face releases and under which names.
    pub surface: Surface,
    /// The scopes discovery lists.
    pub scopes: &'static [&'static str],
    /// How the face deviates from a plain OpenID Provider.
    pub quirks: Quirks,
    /// The face has a listener of its own (`[[faces]] listen`), where it answers at its paths
    /// with and without its base path; its cookies are then for the whole host (`Path=/`).
    pub own_listener: bool,
    /// The face adopts the live single sign-on session a browser has at another face that
    /// shares (the same person and authentication, a session of its own), and a logout at one
    /// ends them all: the primary face, and the NIA and mojeID faces unless
    /// `share_sessions = false`; a further standard face only with `share_sessions = true`.
    pub shares_sessions: bool,
    /// The level of assurance of a password login.
    pub password_acr: Loa,
    /// The face offers "mojeID" as a means that logs the person in at an upstream mojeID (NIA's
    /// login page does), when it has one (`authn::mojeid_federation`). The face's own mojeID +
    /// WebAuthn login is then not offered beside it.
    pub federates_mojeid: bool,
    /// Where the face offers NIA ID's online registration (NIA's `/ProfileRegistration`), if it
    /// does; the confirmation link is `{path}/confirm`.
    pub nia_id_registration: Option<&'static str>,
    /// How this face shows its encrypted ID tokens.
    pub encryption: EncryptionStyle,
    /// The SAML 2.0 identity provider the face also is (`src/saml/`), if any: NIA's eIDAS
    /// profile, or the standard persona's generic one.
    pub saml: Option<SamlSurface>,
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

const STANDARD_SCOPES: &[&str] = &["openid", "profile", "email", "address", "phone", "offline_access"];

pub(super) const STANDARD_PATHS: Paths = Paths {
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
    login_mojeid: "/login/mojeid",
    login_mojeid_callback: "/login/mojeid/callback",
    login_key: "/login/key",
    account_keys: "/account/keys",
    account_consents: "/account/consents",
    account_meg: "/account/meg",
    consent: "/consent",
    select_account: "/select-account",
};

/// The protocol surface a face shows: a plain OpenID Provider's discovery and claims (by scope
/// and `claims`), or NIA's discovery and eIDAS-named attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    Standard,
    Nia,
    /// mojeID's: the standard claims and the `mojeid_*` ones; the full-access ones (`mojeid_valid`,
    /// the account status) only to clients marked `full_access`.
    MojeId,
}

/// The personas a face can take, for messages.
pub const NAMES: &str = "standard, nia, mojeid";

impl Persona {
    /// The persona `name` with `issuer` (or the persona's own default issuer), served at
    /// `base_url` (or at the issuer, when it is a URL).
    pub fn by_name(name: &str, issuer: Option<&str>, base_url: Option<&str>) -> Option<Self> {
        let persona = match name {
            "standard" => Self::standard(issuer?),
            "nia" => nia::persona(issuer.unwrap_or(nia::ISSUER), base_url.or(issuer)?),
            "mojeid" => {
                // Served where its issuer says: `<base>/oidc/`, or the issuer itself.
                let base =
                    base_url.or_else(|| issuer.map(|i| i.trim_end_matches('/').strip_suffix("/oidc").unwrap_or(i)))?;
                mojeid::persona(issuer, base)
            }
            _ => return None,
        };
        Some(match base_url {
            Some(url) => Self { base_url: url.trim_end_matches('/').to_owned(), ..persona },
            None => persona,
        })
    }

    /// Whether the persona has an issuer of its own when none is configured.
    pub fn default_issuer(name: &str) -> Option<&'static str> {
        (name == "nia").then_some(nia::ISSUER)
    }

    pub fn standard(issuer: &str) -> Self {
        let issuer = issuer.trim_end_matches('/').to_string();
        Self {
            name: "standard",
            face: None,
            base_url: issuer.clone(),
            issuer,
            paths: STANDARD_PATHS,
            surface: Surface::Standard,
            scopes: STANDARD_SCOPES,
            quirks: Quirks::NONE,
            own_listener: false,
            shares_sessions: true,
            password_acr: Loa::Low,
            federates_mojeid: false,
            nia_id_registration: None,
            encryption: EncryptionStyle::STANDARD,
            saml: Some(saml::GENERIC),
        }
    }

    /// The SAML entityID of the face, if it serves SAML: its issuer or its metadata's URL, as
    /// its profile says.
    pub fn saml_entity_id(&self) -> Option<String> {
        let saml = self.saml?;
        Some(match saml.profile.entity_id {
            EntityId::Issuer => self.issuer.clone(),
            EntityId::MetadataUrl => self.url(saml.metadata),
        })
    }

    /// This persona with the quirks a face's configuration turns on or off.
    pub fn with_quirks(self, settings: &QuirkSettings) -> Self {
        Self { quirks: self.quirks.overlay(settings), ..self }
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
        let pages = [
            p.login,
            p.meg_pair,
            p.meg_devices,
            p.account_keys,
            p.account_consents,
            p.account_meg,
            p.consent,
            p.select_account,
        ];
        let saml = self.saml.iter().flat_map(|s| [s.sso, s.metadata]);
        let routes = self
            .fixed_routes()
            .into_iter()
            .chain(pages)
            .chain(saml)
            .chain(self.nia_id_registration)
            .chain(["/static", "/healthz", "/readyz", "/metrics", "/dev"]);
        routes.map(str::to_owned).collect()
    }

    /// The absolute URL of one of this persona's paths.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    /// The path prefix of the base URL (empty when it is a bare origin), so routes can be
    /// mounted under an issuer such as `https://host/realm`.
    pub fn base_path(&self) -> String {
        url::Url::parse(&self.base_url).map(|u| u.path().trim_end_matches('/').to_string()).unwrap_or_default()
    }

    /// Whether the face is served over https (its cookies are then `Secure`).
    pub fn is_https(&self) -> bool {
        self.base_url.starts_with("https://")
    }

    /// A second address of the discovery document: mojeID's, under its issuer, where an OpenID
    /// Connect library looks for it (`<issuer>/.well-known/openid-configuration`).
    pub fn discovery_alias(&self) -> Option<&'static str> {
        (self.surface == Surface::MojeId).then_some(mojeid::DISCOVERY_UNDER_ISSUER)
    }

    /// The face's routes without parameters, for answering them in any letter case
    /// ([`Quirks::paths_any_case`]).
    pub fn fixed_routes(&self) -> [&'static str; 9] {
        let p = &self.paths;
        [
            p.discovery,
            p.jwks,
            p.authorization,
            p.token,
            p.userinfo,
            p.revocation,
            p.introspection,
            p.end_session,
            p.registration,
        ]
    }
}
