//! `[webauthn]`: mojeID + WebAuthn (`crate::authn::webauthn`). The relying party is identita
//! itself: its id is the issuer's host and its origin the issuer's scheme, host and port, so
//! keys registered under one issuer work only there.
//!
//! ```toml
//! [webauthn]
//! # Authenticator models (AAGUIDs) certified for high (FIDO L2 or better); a login with user
//! # verification (PIN or biometrics) on one of them reaches high, any other key substantial.
//! certified_aaguids = ["2fc0579f-8113-47ea-b116-bb5a8db9202a"]
//! ```

use serde::{Deserialize, Serialize};

use super::ConfigError;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebauthnConfig {
    /// AAGUIDs of the certified authenticator models, as UUIDs (any case; compared lower-case).
    pub certified_aaguids: Vec<String>,
}

impl WebauthnConfig {
    /// Every AAGUID is a UUID.
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        for aaguid in &self.certified_aaguids {
            if uuid::Uuid::try_parse(aaguid).is_err() {
                return Err(ConfigError::Invalid(format!(
                    "webauthn.certified_aaguids: {aaguid:?} is not a UUID (e.g. 2fc0579f-8113-47ea-b116-bb5a8db9202a)"
                )));
            }
        }
        Ok(())
    }

    /// Whether the model `aaguid` is certified.
    pub(crate) fn certified(&self, aaguid: &str) -> bool {
        let Ok(aaguid) = uuid::Uuid::try_parse(aaguid) else { return false };
        self.certified_aaguids.iter().any(|c| uuid::Uuid::try_parse(c).ok() == Some(aaguid))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aaguids_must_be_uuids_and_compare_in_any_case() {
        let config = WebauthnConfig { certified_aaguids: vec!["2FC0579F-8113-47EA-B116-BB5A8DB9202A".into()] };
        assert!(config.validate().is_ok());
        assert!(config.certified("2fc0579f-8113-47ea-b116-bb5a8db9202a"));
        assert!(!config.certified("00000000-0000-0000-0000-000000000000"));
        assert!(WebauthnConfig { certified_aaguids: vec!["yubikey".into()] }.validate().is_err());
    }
}
