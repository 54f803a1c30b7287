//! mojeID + WebAuthn: after the password ([`super::login`]), a security key registered to the
//! account signs the server's challenge (webauthn-rs checks the ceremony). A key gives
//! substantial (`pwd hwk mfa`); a key whose model (AAGUID) is on `[webauthn] certified_aaguids`
//! and that verified its user (PIN or biometrics) gives high (`pwd hwk pin mfa`).
//!
//! The relying party is identita itself: its id is the issuer's host, its origin the issuer's
//! scheme, host and port.
//!
//! **Attestation.** Registration asks for direct attestation so that the key states its model
//! (the AAGUID). webauthn-rs checks the attestation statement's signature and that the
//! certificate's AAGUID extension matches, but no attestation CA list is configured: the
//! certificate is not chained to a vendor's root, so the AAGUID is *self-asserted* by the key.
//! Treat `certified_aaguids` as a policy on what keys claim to be, not as proof.
//!
//! Attempts are limited per account ([`ATTEMPTS`] per [`WINDOW`]), counted atomically *before*
//! the signature is checked, so parallel tries get no more checks than the limit.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use webauthn_rs::prelude::{
    AttestationMetadata, PublicKeyCredential, RegisterPublicKeyCredential, SecurityKey, SecurityKeyAuthentication,
    SecurityKeyRegistration, Url, Uuid, Webauthn, WebauthnBuilder,
};

use crate::clock::Timestamp;
use crate::config::WebauthnConfig;
use crate::model::{KeyCeremony, Loa, SecurityKeyRecord, User};
use crate::secret;
use crate::store::{CounterStore, SecurityKeyStore, StoreError};

/// Key attempts per account per [`WINDOW`], from anywhere.
pub(crate) const ATTEMPTS: u32 = 10;
/// The window of [`ATTEMPTS`]: fifteen minutes.
pub(crate) const WINDOW: i64 = 900;
/// How long a ceremony (a challenge) is good for: five minutes, as the browser's own timeout.
pub(crate) const CEREMONY_TTL: i64 = 300;
/// The methods of a login with a key (RFC 8176), and of one with a certified key that verified
/// its user.
pub(crate) const AMR: [&str; 3] = ["pwd", "hwk", "mfa"];
pub(crate) const AMR_HIGH: [&str; 4] = ["pwd", "hwk", "pin", "mfa"];

#[derive(Debug, thiserror::Error)]
pub(crate) enum KeyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The issuer cannot serve as a WebAuthn relying party, or a ceremony could not be made.
    #[error("WebAuthn: {0}")]
    Webauthn(String),
}

/// Why a key's answer is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyRefusal {
    /// No key answered: the person cancelled, or the browser gave up.
    Cancelled,
    /// The key that answered is not registered to this account.
    UnknownKey,
    /// The answer does not verify (signature, challenge, origin).
    NotVerified,
    /// The ceremony is older than [`CEREMONY_TTL`].
    Expired,
    /// The account has used its attempts in this window.
    TooManyAttempts { retry_at: Timestamp },
}

impl KeyRefusal {
    /// The reason as the log and metrics name it.
    pub(crate) fn reason(self) -> &'static str {
        match self {
            KeyRefusal::Cancelled => "key_cancelled",
            KeyRefusal::UnknownKey => "key_unknown",
            KeyRefusal::NotVerified => "key_not_verified",
            KeyRefusal::Expired => "key_expired",
            KeyRefusal::TooManyAttempts { .. } => "key_locked",
        }
    }
}

/// Why a key is not registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RegistrationRefusal {
    Cancelled,
    NotVerified,
    Expired,
    /// The key is registered already (to this account or another).
    AlreadyRegistered,
}

/// What a verified key login reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Achieved {
    pub(crate) acr: Loa,
    pub(crate) amr: Vec<String>,
    pub(crate) credential_id: String,
}

/// The level of a key login: high when the key verified its user and its model is certified.
pub(crate) fn level(
    user_verified: bool,
    aaguid: Option<&str>,
    config: &WebauthnConfig,
) -> (Loa, &'static [&'static str]) {
    if user_verified && aaguid.is_some_and(|a| config.certified(a)) {
        (Loa::High, &AMR_HIGH)
    } else {
        (Loa::Substantial, &AMR)
    }
}

/// Whether a browser can use WebAuthn for the issuer: its host must be a name (a browser refuses
/// an IP address as relying party id), and webauthn-rs must accept it.
pub(crate) fn usable(issuer: &str) -> bool {
    let Ok(url) = Url::parse(issuer) else { return false };
    matches!(url.host(), Some(url::Host::Domain(_)))
        && WebauthnBuilder::new(url.host_str().unwrap_or_default(), &url).and_then(|b| b.build()).is_ok()
}

/// The security keys over their store and the counters.
pub(crate) struct SecurityKeys<'a> {
    pub(crate) keys: &'a dyn SecurityKeyStore,
    pub(crate) counters: &'a dyn CounterStore,
    pub(crate) issuer: &'a str,
    pub(crate) config: &'a WebauthnConfig,
}

impl SecurityKeys<'_> {
    fn relying_party(&self) -> Result<Webauthn, KeyError> {
        let bad = |e: String| KeyError::Webauthn(format!("the issuer {} as relying party: {e}", self.issuer));
        let issuer = Url::parse(self.issuer).map_err(|e| bad(e.to_string()))?;
        let host = issuer.host_str().ok_or_else(|| bad("no host".into()))?.to_owned();
        let origin = Url::parse(&issuer.origin().ascii_serialization()).map_err(|e| bad(e.to_string()))?;
        WebauthnBuilder::new(&host, &origin).and_then(|b| b.rp_name("identita").build()).map_err(|e| bad(e.to_string()))
    }

    /// A registration ceremony for `user`: the options for `navigator.credentials.create` and
    /// the state to keep server-side until the answer comes.
    pub(crate) async fn start_registration(&self, user: &User, now: Timestamp) -> Result<KeyCeremony, KeyError> {
        let existing = self.keys.of_user(&user.id).await?;
        let exclude = existing
            .iter()
            .filter_map(|k| serde_json::from_value::<SecurityKey>(k.key.clone()).ok())
            .map(|k| k.cred_id().clone())
            .collect::<Vec<_>>();
        let (options, state) = self
            .relying_party()?
            .start_securitykey_registration(
                user_handle(&user.id),
                &user.username,
                &user.username,
                Some(exclude),
                None,
                None,
            )
            .map_err(|e| KeyError::Webauthn(e.to_string()))?;
        let mut options = serde_json::to_value(options).map_err(|e| KeyError::Webauthn(e.to_string()))?;
        // Direct attestation, so that the key states its model (see the module's doc).
        options["publicKey"]["attestation"] = "direct".into();
        // webauthn-rs asks the key to protect the credential with user verification; Chromium
        // refuses that request beside `userVerification: preferred` on a non-resident key
        // (NotSupportedError), and the level is decided by the UV flag of each login anyway.
        if let Some(extensions) = options["publicKey"]["extensions"].as_object_mut() {
            extensions.remove("credentialProtectionPolicy");
            extensions.remove("enforceCredentialProtectionPolicy");
        }
        Ok(KeyCeremony {
            user_id: user.id.clone(),
            options,
            state: serde_json::to_value(state).map_err(|e| KeyError::Webauthn(e.to_string()))?,
            expires_at: now + CEREMONY_TTL,
        })
    }

    /// Registers the key of the browser's `answer` (JSON) to the ceremony's account as `name`.
    pub(crate) async fn finish_registration(
        &self,
        ceremony: &KeyCeremony,
        answer: &str,
        name: &str,
        now: Timestamp,
    ) -> Result<Result<SecurityKeyRecord, RegistrationRefusal>, KeyError> {
        if answer.trim().is_empty() {
            return Ok(Err(RegistrationRefusal::Cancelled));
        }
        if now >= ceremony.expires_at {
            return Ok(Err(RegistrationRefusal::Expired));
        }
        let (Ok(answer), Ok(state)) = (
            serde_json::from_str::<RegisterPublicKeyCredential>(answer),
            serde_json::from_value::<SecurityKeyRegistration>(ceremony.state.clone()),
        ) else {
            return Ok(Err(RegistrationRefusal::NotVerified));
        };
        let key = match self.relying_party()?.finish_securitykey_registration(&answer, &state) {
            Ok(key) => key,
            Err(e) => {
                tracing::info!(user_id = %ceremony.user_id, error = %e, "security key not registered");
                return Ok(Err(RegistrationRefusal::NotVerified));
            }
        };
        let aaguid = match &key.attestation().metadata {
            AttestationMetadata::Packed { aaguid } | AttestationMetadata::Tpm { aaguid, .. } => {
                Some(aaguid.to_string())
            }
            _ => None,
        };
        let record = SecurityKeyRecord {
            credential_id: credential_id(&key)?,
            user_id: ceremony.user_id.clone(),
            name: name_or_default(name, now),
            aaguid,
            key: serde_json::to_value(&key).map_err(|e| KeyError::Webauthn(e.to_string()))?,
            created_at: now,
            last_used_at: None,
        };
        match self.keys.insert(&record).await {
            Ok(()) => {}
            Err(StoreError::Conflict(_)) => return Ok(Err(RegistrationRefusal::AlreadyRegistered)),
            Err(e) => return Err(e.into()),
        }
        tracing::info!(user_id = %record.user_id, aaguid = ?record.aaguid, "security key registered");
        Ok(Ok(record))
    }

    /// A login ceremony over the keys of `user_id`; `None` when the account has none.
    pub(crate) async fn start_login(&self, user_id: &str, now: Timestamp) -> Result<Option<KeyCeremony>, KeyError> {
        let keys: Vec<SecurityKey> =
            self.keys.of_user(user_id).await?.into_iter().filter_map(|k| serde_json::from_value(k.key).ok()).collect();
        if keys.is_empty() {
            return Ok(None);
        }
        let (options, state) = self
            .relying_party()?
            .start_securitykey_authentication(&keys)
            .map_err(|e| KeyError::Webauthn(e.to_string()))?;
        Ok(Some(KeyCeremony {
            user_id: user_id.to_owned(),
            options: serde_json::to_value(options).map_err(|e| KeyError::Webauthn(e.to_string()))?,
            state: serde_json::to_value(state).map_err(|e| KeyError::Webauthn(e.to_string()))?,
            expires_at: now + CEREMONY_TTL,
        }))
    }

    /// Checks the browser's `answer` (JSON) to a login ceremony; on success the key's counter
    /// and last use are stored.
    pub(crate) async fn finish_login(
        &self,
        ceremony: &KeyCeremony,
        answer: &str,
        now: Timestamp,
    ) -> Result<Result<Achieved, KeyRefusal>, KeyError> {
        let outcome = self.check(ceremony, answer, now).await?;
        if let Err(refusal) = outcome {
            tracing::info!(user_id = %ceremony.user_id, reason = refusal.reason(), "security key refused");
            crate::metrics::login(refusal.reason());
        }
        Ok(outcome)
    }

    async fn check(
        &self,
        ceremony: &KeyCeremony,
        answer: &str,
        now: Timestamp,
    ) -> Result<Result<Achieved, KeyRefusal>, KeyError> {
        if answer.trim().is_empty() {
            return Ok(Err(KeyRefusal::Cancelled));
        }
        if now >= ceremony.expires_at {
            return Ok(Err(KeyRefusal::Expired));
        }
        let account = account_key(&ceremony.user_id);
        let tally = self.counters.tally(&account, now + WINDOW, now).await?;
        if tally.count > ATTEMPTS {
            return Ok(Err(KeyRefusal::TooManyAttempts { retry_at: tally.ends_at }));
        }
        let (Ok(answer), Ok(state)) = (
            serde_json::from_str::<PublicKeyCredential>(answer),
            serde_json::from_value::<SecurityKeyAuthentication>(ceremony.state.clone()),
        ) else {
            return Ok(Err(KeyRefusal::NotVerified));
        };
        let record = self.keys.get(&URL_SAFE_NO_PAD.encode(&answer.raw_id)).await?;
        let Some(mut record) = record.filter(|r| r.user_id == ceremony.user_id) else {
            return Ok(Err(KeyRefusal::UnknownKey));
        };
        let result = match self.relying_party()?.finish_securitykey_authentication(&answer, &state) {
            Ok(result) => result,
            Err(e) => {
                tracing::info!(user_id = %ceremony.user_id, error = %e, "security key answer does not verify");
                return Ok(Err(KeyRefusal::NotVerified));
            }
        };
        if let Ok(mut key) = serde_json::from_value::<SecurityKey>(record.key.clone()) {
            key.update_credential(&result);
            record.key = serde_json::to_value(&key).map_err(|e| KeyError::Webauthn(e.to_string()))?;
        }
        record.last_used_at = Some(now);
        self.keys.update(&record).await?;
        self.counters.reset(&account).await?;
        let (acr, amr) = level(result.user_verified(), record.aaguid.as_deref(), self.config);
        tracing::info!(user_id = %ceremony.user_id, acr = ?acr, "security key accepted");
        Ok(Ok(Achieved { acr, amr: amr.iter().map(|m| m.to_string()).collect(), credential_id: record.credential_id }))
    }

    /// The account's keys, for its page.
    pub(crate) async fn of_user(&self, user_id: &str) -> Result<Vec<SecurityKeyRecord>, KeyError> {
        Ok(self.keys.of_user(user_id).await?)
    }

    /// Removes a key of the account; whether it was there.
    pub(crate) async fn remove(&self, user_id: &str, credential_id: &str) -> Result<bool, KeyError> {
        let removed = self.keys.delete(user_id, credential_id).await?;
        if removed {
            tracing::info!(user_id = %user_id, "security key removed");
        }
        Ok(removed)
    }
}

/// The WebAuthn user handle of an account: stable and opaque (a digest of its id).
fn user_handle(user_id: &str) -> Uuid {
    let digest = <sha2::Sha256 as sha2::Digest>::digest(user_id.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    Uuid::from_bytes(bytes)
}

fn credential_id(key: &SecurityKey) -> Result<String, KeyError> {
    Ok(URL_SAFE_NO_PAD.encode(key.cred_id()))
}

/// The name typed, trimmed and at most 60 characters; a dated one when none was typed.
fn name_or_default(name: &str, now: Timestamp) -> String {
    let name: String = name.trim().chars().filter(|c| !c.is_control()).take(60).collect();
    if name.is_empty() {
        let date = time::OffsetDateTime::from_unix_timestamp(now).map(|d| d.date().to_string()).unwrap_or_default();
        format!("key {date}")
    } else {
        name
    }
}

fn account_key(user_id: &str) -> String {
    format!("webauthn:account-attempts:{}", secret::digest(user_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_certified_key_that_verified_its_user_reaches_high() {
        let config = WebauthnConfig { certified_aaguids: vec!["01020304-0506-0708-0102-030405060708".into()] };
        let certified = Some("01020304-0506-0708-0102-030405060708");
        assert_eq!(level(true, certified, &config), (Loa::High, &AMR_HIGH[..]));
        assert_eq!(level(false, certified, &config).0, Loa::Substantial);
        assert_eq!(level(true, Some("00000000-0000-0000-0000-000000000000"), &config).0, Loa::Substantial);
        assert_eq!(level(true, None, &config), (Loa::Substantial, &AMR[..]));
    }

    #[test]
    fn a_key_is_named() {
        assert_eq!(name_or_default("  YubiKey 5 ", 0), "YubiKey 5");
        assert_eq!(name_or_default("", 0), "key 1970-01-01");
    }
}
