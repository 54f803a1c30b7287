//! The phone's side of MEG, as a file (JSON, owner-only): the device's id given at pairing, its
//! holder's username, the server it is paired with and its P-256 private key. `identita meg`
//! plays the app with it: it signs approvals, refusals and push tokens. Whoever copies the file
//! has the key, as whoever unlocks a phone has its app.

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rcgen::{KeyPair, PKCS_ECDSA_P256_SHA256, SigningKey};
use serde::{Deserialize, Serialize};

use super::Decision;
use crate::clock::Timestamp;

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DeviceError(pub String);

/// A new key for a device being paired.
pub fn new_key() -> Result<KeyPair, DeviceError> {
    KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(|e| DeviceError(format!("making the key: {e}")))
}

/// The public key as the register keeps it (an uncompressed point, base64url).
pub fn public_key(key: &KeyPair) -> String {
    URL_SAFE_NO_PAD.encode(key.public_key_raw())
}

#[derive(Clone, Serialize, Deserialize)]
pub struct DeviceFile {
    pub device: String,
    pub username: String,
    pub name: String,
    /// The server's base URL (the issuer), where the push connection goes.
    pub server: String,
    private_key: String,
}

impl std::fmt::Debug for DeviceFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceFile")
            .field("device", &self.device)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl DeviceFile {
    pub fn new(device: String, username: String, name: String, server: String, key: &KeyPair) -> DeviceFile {
        DeviceFile { device, username, name, server, private_key: key.serialize_pem() }
    }

    /// Where `identita meg pair` writes a device file unless told: data/meg/USERNAME-DEVICE.json.
    pub fn default_path(&self) -> PathBuf {
        PathBuf::from("data").join("meg").join(format!("{}-{}.json", self.username, self.device))
    }

    fn key(&self) -> Result<KeyPair, DeviceError> {
        KeyPair::from_pem(&self.private_key).map_err(|e| DeviceError(format!("the device's key: {e}")))
    }

    fn sign(&self, message: &[u8]) -> Result<String, DeviceError> {
        let signature = self.key()?.sign(message).map_err(|e| DeviceError(format!("signing: {e}")))?;
        Ok(URL_SAFE_NO_PAD.encode(signature))
    }

    /// The signature of an answer to the challenge at `challenge_url`.
    pub fn answer(&self, challenge_url: &str, decision: Decision) -> Result<String, DeviceError> {
        self.sign(&super::signed_answer(challenge_url, decision))
    }

    /// The `Authorization` header of the push connection: `MEG <time>.<signature>`.
    pub fn push_token(&self, now: Timestamp) -> Result<String, DeviceError> {
        Ok(format!("MEG {now}.{}", self.sign(&super::signed_push_token(&self.device, now))?))
    }

    pub fn read(path: &Path) -> Result<DeviceFile, DeviceError> {
        let text = std::fs::read_to_string(path).map_err(|e| DeviceError(format!("{}: {e}", path.display())))?;
        serde_json::from_str(&text).map_err(|e| DeviceError(format!("{}: not a MEG device file: {e}", path.display())))
    }

    /// Writes the file owner-only, making its directory when missing.
    pub fn write(&self, path: &Path) -> Result<(), DeviceError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| DeviceError(format!("{}: {e}", dir.display())))?;
        }
        let text = serde_json::to_string_pretty(self).map_err(|e| DeviceError(e.to_string()))?;
        crate::card::ca::write_private(path, text.as_bytes()).map_err(|e| DeviceError(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_verify_for_their_challenge_and_decision_only() {
        let key = new_key().unwrap();
        let file = DeviceFile::new("d1".into(), "jana".into(), "phone".into(), "http://op".into(), &key);
        let url = "https://op.example/login/meg/i/n";
        let signature = file.answer(url, Decision::Approve).unwrap();
        let public = public_key(&key);
        assert!(super::super::is_public_key(&public));
        assert!(super::super::verify(&public, &super::super::signed_answer(url, Decision::Approve), &signature));
        assert!(!super::super::verify(&public, &super::super::signed_answer(url, Decision::Refuse), &signature));
        let other = "https://op.example/login/meg/i/m";
        assert!(!super::super::verify(&public, &super::super::signed_answer(other, Decision::Approve), &signature));
    }
}
