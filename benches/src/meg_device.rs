//! A MEG device (Mobilní klíč eGovernmentu) in software, as the app is one: paired with a
//! pairing URL from `identita meg enroll` (`POST /meg/pair` with a new P-256 key's public point),
//! it approves a login by signing the challenge's URL (ECDSA P-256, ASN.1 DER, base64url, as
//! identita's `meg::signed_answer` has it) and signs the token that opens its push connection.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};

use crate::http::{Conn, Error, query_param};

/// What a device signs to approve the login whose challenge is at `challenge_url`.
pub fn signed_approval(challenge_url: &str) -> String {
    format!("identita MEG approve\n{challenge_url}")
}

/// A paired device: the id the server gave it and its key.
pub struct Device {
    pub id: String,
    key: EcdsaKeyPair,
    rng: SystemRandom,
}

impl Device {
    /// Pairs a new device (a fresh P-256 key) with the code of `pairing_url`.
    pub async fn pair(conn: &mut Conn, pairing_url: &str) -> Result<Device, Error> {
        let code = query_param(pairing_url, "code").ok_or("a pairing URL without code")?;
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).map_err(|_| "a key")?;
        let key =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng).map_err(|_| "a key")?;
        let body = serde_json::json!({
            "code": code, "public_key": URL_SAFE_NO_PAD.encode(key.public_key().as_ref()), "name": "bench",
        });
        let reply = conn.post_json("/meg/pair", &body).await?.expect(201, "pair")?;
        let id = reply.json()?["device"].as_str().ok_or("no device id")?.to_owned();
        Ok(Device { id, key, rng })
    }

    /// `message` signed with the device's key, base64url.
    fn sign(&self, message: &str) -> Result<String, Error> {
        let signature = self.key.sign(&self.rng, message.as_bytes()).map_err(|_| "signing failed")?;
        Ok(URL_SAFE_NO_PAD.encode(signature.as_ref()))
    }

    /// The device's approval of the challenge at `challenge_url`, the JSON it posts there.
    pub fn approval(&self, challenge_url: &str) -> Result<serde_json::Value, Error> {
        let signature = self.sign(&signed_approval(challenge_url))?;
        Ok(serde_json::json!({ "device": self.id, "decision": "approve", "signature": signature }))
    }

    /// The `Authorization` value that opens the device's push connection at `now` (Unix seconds).
    pub fn push_token(&self, now: u64) -> Result<String, Error> {
        let signature = self.sign(&format!("identita MEG push\n{}\n{now}", self.id))?;
        Ok(format!("MEG {now}.{signature}"))
    }
}

/// A device paired for each pairing URL of the file at `path` (one a line), in turn.
pub async fn pair_all(conn: &mut Conn, path: &Path) -> Result<Vec<Device>, Error> {
    let urls = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut devices = Vec::new();
    for url in urls.lines().map(str::trim).filter(|l| !l.is_empty()) {
        devices.push(Device::pair(conn, url).await?);
    }
    if devices.is_empty() {
        return Err(format!("no pairing URLs in {}", path.display()).into());
    }
    Ok(devices)
}
