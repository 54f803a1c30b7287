//! The NameID of an assertion: its format, as the SP's `NameIDPolicy` asks within what the
//! face's profile issues, and its value. Persistent is the identifier the face's OpenID Connect
//! gives the same portal (NIA's PersonIdentifier, or the standard face's `sub`); `emailAddress`
//! is the person's e-mail; `transient` a value for one session at one SP, which nothing stores:
//! it is a digest of the session's `sid`, so a logout naming it is checked by computing it again.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::SamlError;
use super::sso::client_view;
use super::status::Status;
use crate::model::{ServiceProvider, Session, User};
use crate::oidc::{Provider, subject};
use crate::persona::{NameIdSource, SamlProfile};

const PERSISTENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
const UNSPECIFIED: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";
const EMAIL: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
const TRANSIENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";

/// A NameID format this identity provider issues.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum NameIdFormat {
    #[default]
    Persistent,
    Email,
    Transient,
}

impl NameIdFormat {
    pub(crate) fn uri(self) -> &'static str {
        match self {
            Self::Persistent => PERSISTENT,
            Self::Email => EMAIL,
            Self::Transient => TRANSIENT,
        }
    }

    /// The format a `NameIDPolicy` `Format` asks for (none or unspecified: persistent), if
    /// `profile` issues it.
    pub(crate) fn from_policy(format: Option<&str>, profile: &SamlProfile) -> Option<Self> {
        match format.map(str::trim) {
            None | Some(PERSISTENT | UNSPECIFIED) => Some(Self::Persistent),
            Some(EMAIL) if profile.other_name_id_formats => Some(Self::Email),
            Some(TRANSIENT) if profile.other_name_id_formats => Some(Self::Transient),
            Some(_) => None,
        }
    }

    /// What metadata lists, persistent first.
    pub(crate) fn offered(profile: &SamlProfile) -> &'static [NameIdFormat] {
        match profile.other_name_id_formats {
            true => &[Self::Persistent, Self::Email, Self::Transient],
            false => &[Self::Persistent],
        }
    }
}

/// The persistent NameID of the account `user_id` at the SP `entity_id`.
pub(crate) async fn persistent(
    provider: &Provider,
    profile: &SamlProfile,
    sp: &ServiceProvider,
    user_id: &str,
) -> Result<String, SamlError> {
    Ok(match profile.name_id {
        NameIdSource::PersonIdentifier => subject::person_identifier_of(provider, &sp.entity_id, user_id),
        NameIdSource::Subject => {
            // The portal's OpenID Connect client of the same identifier, if it has one: its
            // subject type (and sector) decide; else the `sub` of a public client.
            let client = provider.stores.clients.get(&sp.entity_id).await?.unwrap_or_else(|| client_view(sp));
            subject::of(provider, &client, user_id)
        }
    })
}

/// The NameID of `user` in `format` for `sp` in the session `sid`, or the status refusing it.
pub(crate) async fn issue(
    provider: &Provider,
    profile: &SamlProfile,
    sp: &ServiceProvider,
    format: NameIdFormat,
    user: &User,
    sid: &str,
) -> Result<Result<String, Status>, SamlError> {
    Ok(match format {
        NameIdFormat::Persistent => Ok(persistent(provider, profile, sp, &user.id).await?),
        NameIdFormat::Transient => Ok(transient(provider, &sp.entity_id, sid)),
        NameIdFormat::Email => match user.profile.email.as_deref().filter(|e| !e.is_empty()) {
            Some(email) => Ok(email.to_owned()),
            None => Err(Status::responder(
                Some(Status::INVALID_NAME_ID_POLICY),
                "the person has no e-mail address to name them by",
            )),
        },
    })
}

/// Whether `name_id`, from a `LogoutRequest` of `sp`, names the person of `session` in any format
/// `sp` may have received.
pub(crate) async fn names(
    provider: &Provider,
    profile: &SamlProfile,
    sp: &ServiceProvider,
    session: &Session,
    name_id: &str,
) -> Result<bool, SamlError> {
    if name_id == persistent(provider, profile, sp, &session.authn.user_id).await? {
        return Ok(true);
    }
    if !profile.other_name_id_formats {
        return Ok(false);
    }
    if name_id == transient(provider, &sp.entity_id, &session.sid) {
        return Ok(true);
    }
    let user = provider.stores.users.get(&session.authn.user_id).await?;
    Ok(user.and_then(|u| u.profile.email).is_some_and(|email| !email.is_empty() && email == name_id))
}

/// The transient NameID of the session `sid` at the SP `entity_id`: opaque, different at every
/// SP and in every session.
fn transient(provider: &Provider, entity_id: &str, sid: &str) -> String {
    let mut hasher = Sha256::new();
    for part in ["transient", entity_id, sid, &provider.pairwise_salt] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    format!("_{}", URL_SAFE_NO_PAD.encode(hasher.finalize()))
}
