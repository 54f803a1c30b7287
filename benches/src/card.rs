//! The eObčanka cards of the scenario, read from the card files `identita card issue` wrote:
//! each answers a challenge as `identita card login` does — the chip signs the challenge's URL
//! (ECDSA P-256, ASN.1 DER, base64url) — without the IOK check, which the chip does on the
//! citizen's side of the reader and not in the server.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair};

use crate::http::Error;

/// What a card signs to log in (as identita's `card::signed_message`).
pub fn signed_message(challenge_url: &str) -> Vec<u8> {
    format!("identita eObcanka login\n{challenge_url}").into_bytes()
}

pub struct Card {
    number: String,
    certificate: String,
    key: EcdsaKeyPair,
    rng: SystemRandom,
}

impl Card {
    /// The card in the card file at `path`.
    pub fn read(path: &Path) -> Result<Card, Error> {
        let file: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path)?)?;
        let text = |name: &str| -> Result<String, Error> {
            Ok(file
                .get(name)
                .and_then(|v| v.as_str())
                .ok_or_else(|| format!("{}: no {name}", path.display()))?
                .to_owned())
        };
        let pem = text("private_key")?;
        let der: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        let rng = SystemRandom::new();
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &STANDARD.decode(der)?, &rng)
            .map_err(|e| format!("{}: the card key: {e}", path.display()))?;
        Ok(Card { number: text("number")?, certificate: text("certificate")?, key, rng })
    }

    /// The reader's answer to the challenge at `challenge_url`.
    pub fn answer(&self, challenge_url: &str) -> Result<serde_json::Value, Error> {
        let signature =
            self.key.sign(&self.rng, &signed_message(challenge_url)).map_err(|e| format!("signing: {e}"))?;
        Ok(serde_json::json!({
            "number": self.number,
            "certificate": self.certificate,
            "signature": URL_SAFE_NO_PAD.encode(signature.as_ref()),
        }))
    }
}

/// Every card file (`*.json`) in `dir`, by name.
pub fn read_all(dir: &Path) -> Result<Vec<Card>, Error> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    paths.iter().map(|p| Card::read(p)).collect()
}
