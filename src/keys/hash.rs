//! The OpenID Connect half-hashes (`at_hash`, `c_hash`, `s_hash`, Core 1.0 §3.1.3.6, §3.3.2.11).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest as _, Sha256, Sha384, Sha512};

use super::KeyError;
use super::alg::{Alg, Digest};

/// base64url (unpadded) of the left half of the hash of `value`, where the hash is the one of the
/// ID token's `alg`: SHA-256 for `*256`, SHA-384 for `*384`, SHA-512 for `*512` and for EdDSA
/// (Ed25519).
pub fn half_hash(alg: &str, value: &str) -> Result<String, KeyError> {
    let alg = Alg::parse(alg).ok_or_else(|| KeyError::UnsupportedAlg(alg.to_owned()))?;
    let hash = match alg.digest() {
        Digest::Sha256 => Sha256::digest(value.as_bytes()).to_vec(),
        Digest::Sha384 => Sha384::digest(value.as_bytes()).to_vec(),
        Digest::Sha512 => Sha512::digest(value.as_bytes()).to_vec(),
    };
    Ok(URL_SAFE_NO_PAD.encode(&hash[..hash.len() / 2]))
}
