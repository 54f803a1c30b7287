//! eObčanka, the virtual chip card: what the card holds ([`chip`]), the card CA that certifies
//! its key ([`ca`]), and what a login signs. The server checks a signature with the key in its
//! card register ([`crate::store::CardStore`]); the chip's codes (IOK, DOK) and their retry
//! counters live on the card alone, as on a real chip.

pub mod ca;
pub mod chip;
pub mod issue;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// What a card signs to log in: the challenge's URL on the server, so that a signature made
/// for one provider's challenge is worth nothing at another.
pub fn signed_message(challenge_url: &str) -> Vec<u8> {
    format!("identita eObcanka login\n{challenge_url}").into_bytes()
}

/// Whether `signature` (ASN.1 DER ECDSA, base64url) is the card's with `public_key` (an
/// uncompressed P-256 point, base64url) over the challenge at `challenge_url`.
pub fn verify(public_key: &str, challenge_url: &str, signature: &str) -> bool {
    let (Ok(key), Ok(signature)) = (URL_SAFE_NO_PAD.decode(public_key), URL_SAFE_NO_PAD.decode(signature)) else {
        return false;
    };
    ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_ASN1, key)
        .verify(&signed_message(challenge_url), &signature)
        .is_ok()
}
