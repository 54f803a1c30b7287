//! How a face deviates from a plain OpenID Provider. Each deviation is a setting, on by default
//! where the real service behaves so, and every one can be turned off in the face's
//! configuration (`[faces.quirks]`), so a portal can be tested against a "strict" service too.
//! A plain OpenID Provider has none ([`Quirks::NONE`]).

use serde::{Deserialize, Serialize};

/// The deviations a face makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Quirks {
    /// The endpoints answer in any letter case (NIA's test host publishes `/FPSTS/`, production
    /// `/fpsts/`, and both answer either).
    pub paths_any_case: bool,
    /// The ID token carries `sub` always; when false, only if the `claims` parameter names it
    /// (NIA's ID token has no `sub`: its identifier is `PersonIdentifier`).
    pub sub_in_id_token: bool,
    /// The userinfo endpoint answers `{}` (NIA releases attributes in the ID token only).
    pub userinfo_empty: bool,
    /// A client that registered no `id_token_encrypted_response_alg` still gets its ID tokens
    /// encrypted, with RSA-OAEP and A256CBC-HS512, to its registered key; a client needs an
    /// encryption key to register (NIA encrypts to the certificate a portal registers).
    pub encrypt_id_tokens: bool,
    /// The token endpoint identifies a `client_secret_post` client by its `client_id` alone and
    /// ignores a `client_secret` (NIA issues no secret; portals send `client_id` and the code).
    pub token_without_secret: bool,
    /// `code_verifier` is ignored at the token endpoint and PKCE is not advertised (NIA
    /// documents the value as ignored).
    pub ignore_code_verifier: bool,
    /// `end_session` naming a registered client by `client_id` logs out at once, without asking
    /// the person, and without a `post_logout_redirect_uri` returns to the client's first
    /// registered one, with `state` (NIA returns to the portal's registered sign-out URL). A
    /// page that knows a portal's `client_id` can then log a person out; turned off, the person
    /// is asked unless a valid `id_token_hint` names them.
    pub logout_to_registered_url: bool,
    /// An `id_token_hint` that cannot be read is answered with NIA's error page `erc=202`
    /// ("Invalid OpenID Connect protocol request"), even with a `client_id`.
    pub logout_hint_error_202: bool,
    /// Refusing consent ("Nechci poskytnout údaje") logs the person in all the same, with a
    /// token that carries no attributes, and keeps the session; when false, refusing answers
    /// `access_denied` as a plain OpenID Provider does.
    pub refusal_gives_empty_token: bool,
    /// `email` (and `email_verified`) go into the ID token only when the `claims` parameter asks
    /// for them there; the `email` scope releases them at userinfo (mojeID).
    pub email_in_id_token_only_when_claimed: bool,
    /// mojeID's address claims (`mojeid_address_*`) come as JSON-encoded strings, not objects,
    /// as the real service sometimes sends them (CZ.NIC's own JavaScript library fixes them up).
    pub mojeid_addresses_as_strings: bool,
    /// A SAML login that fails or is refused (the person cancels, no means reaches the level
    /// asked, `IsPassive` without a session) is answered as NIA answers it: a `Success` status
    /// and an assertion whose only attribute, `urn:oasis:names:tc:SAML:2.0:protocol/statuscode`,
    /// says `…:status:AuthnFailed`; when false, a `Responder` status with the second-level code
    /// (`AuthnFailed`, `NoAuthnContext`, `NoPassive`) and no assertion, as the standard has it.
    pub saml_failure_as_success: bool,
}

/// A face's configuration of its quirks: each one set overrides the persona's default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuirkSettings {
    pub paths_any_case: Option<bool>,
    pub sub_in_id_token: Option<bool>,
    pub userinfo_empty: Option<bool>,
    pub encrypt_id_tokens: Option<bool>,
    pub token_without_secret: Option<bool>,
    pub ignore_code_verifier: Option<bool>,
    pub logout_to_registered_url: Option<bool>,
    pub logout_hint_error_202: Option<bool>,
    pub refusal_gives_empty_token: Option<bool>,
    pub email_in_id_token_only_when_claimed: Option<bool>,
    pub mojeid_addresses_as_strings: Option<bool>,
    pub saml_failure_as_success: Option<bool>,
}

impl Quirks {
    /// A plain OpenID Provider.
    pub const NONE: Quirks = Quirks {
        paths_any_case: false,
        sub_in_id_token: true,
        userinfo_empty: false,
        encrypt_id_tokens: false,
        token_without_secret: false,
        ignore_code_verifier: false,
        logout_to_registered_url: false,
        logout_hint_error_202: false,
        refusal_gives_empty_token: false,
        email_in_id_token_only_when_claimed: false,
        mojeid_addresses_as_strings: false,
        saml_failure_as_success: false,
    };

    /// The real mojeID's.
    pub const MOJEID: Quirks =
        Quirks { email_in_id_token_only_when_claimed: true, mojeid_addresses_as_strings: true, ..Quirks::NONE };

    /// The real NIA's.
    pub const NIA: Quirks = Quirks {
        paths_any_case: true,
        sub_in_id_token: false,
        userinfo_empty: true,
        encrypt_id_tokens: true,
        token_without_secret: true,
        ignore_code_verifier: true,
        logout_to_registered_url: true,
        logout_hint_error_202: true,
        refusal_gives_empty_token: true,
        email_in_id_token_only_when_claimed: false,
        mojeid_addresses_as_strings: false,
        saml_failure_as_success: true,
    };

    /// These quirks with each one `settings` sets replaced.
    pub fn overlay(self, settings: &QuirkSettings) -> Quirks {
        let pick = |set: Option<bool>, default: bool| set.unwrap_or(default);
        Quirks {
            paths_any_case: pick(settings.paths_any_case, self.paths_any_case),
            sub_in_id_token: pick(settings.sub_in_id_token, self.sub_in_id_token),
            userinfo_empty: pick(settings.userinfo_empty, self.userinfo_empty),
            encrypt_id_tokens: pick(settings.encrypt_id_tokens, self.encrypt_id_tokens),
            token_without_secret: pick(settings.token_without_secret, self.token_without_secret),
            ignore_code_verifier: pick(settings.ignore_code_verifier, self.ignore_code_verifier),
            logout_to_registered_url: pick(settings.logout_to_registered_url, self.logout_to_registered_url),
            logout_hint_error_202: pick(settings.logout_hint_error_202, self.logout_hint_error_202),
            refusal_gives_empty_token: pick(settings.refusal_gives_empty_token, self.refusal_gives_empty_token),
            email_in_id_token_only_when_claimed: pick(
                settings.email_in_id_token_only_when_claimed,
                self.email_in_id_token_only_when_claimed,
            ),
            mojeid_addresses_as_strings: pick(settings.mojeid_addresses_as_strings, self.mojeid_addresses_as_strings),
            saml_failure_as_success: pick(settings.saml_failure_as_success, self.saml_failure_as_success),
        }
    }

    /// The quirks with their settings' names and values, for `identita persona show`.
    pub fn list(&self) -> Vec<(&'static str, bool)> {
        vec![
            ("paths_any_case", self.paths_any_case),
            ("sub_in_id_token", self.sub_in_id_token),
            ("userinfo_empty", self.userinfo_empty),
            ("encrypt_id_tokens", self.encrypt_id_tokens),
            ("token_without_secret", self.token_without_secret),
            ("ignore_code_verifier", self.ignore_code_verifier),
            ("logout_to_registered_url", self.logout_to_registered_url),
            ("logout_hint_error_202", self.logout_hint_error_202),
            ("refusal_gives_empty_token", self.refusal_gives_empty_token),
            ("email_in_id_token_only_when_claimed", self.email_in_id_token_only_when_claimed),
            ("mojeid_addresses_as_strings", self.mojeid_addresses_as_strings),
            ("saml_failure_as_success", self.saml_failure_as_success),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_setting_overrides_only_its_own_quirk() {
        let strict = Quirks::NIA.overlay(&QuirkSettings { token_without_secret: Some(false), ..Default::default() });
        assert!(!strict.token_without_secret);
        assert_eq!(Quirks { token_without_secret: true, ..strict }, Quirks::NIA);
        assert_eq!(Quirks::NONE.overlay(&QuirkSettings::default()), Quirks::NONE);
    }
}
