//! Mobilní klíč eGovernmentu (MEG), what both sides agree on: what a device signs to approve or
//! refuse a login (the challenge's URL, which names the interaction and its nonce, so that an
//! answer made for one login or one provider is worth nothing for another), what it signs to
//! open its push connection, and the check of such a signature against the key in the register
//! ([`crate::store::DeviceStore`]). The phone's side, a device file, is [`device`].

pub mod device;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::clock::Timestamp;

/// The scheme of the same-device link: `identita-meg:` followed by the challenge's URL.
pub const LINK_SCHEME: &str = "identita-meg:";

/// How far a push token's time may be from the server's, either way.
pub const PUSH_TOKEN_SKEW: i64 = 60;

/// A device's answer to a login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Refuse,
}

impl Decision {
    pub fn id(self) -> &'static str {
        match self {
            Decision::Approve => "approve",
            Decision::Refuse => "refuse",
        }
    }

    pub fn parse(id: &str) -> Option<Decision> {
        [Decision::Approve, Decision::Refuse].into_iter().find(|d| d.id() == id)
    }
}

/// What a device signs to answer the login challenge at `challenge_url`.
pub fn signed_answer(challenge_url: &str, decision: Decision) -> Vec<u8> {
    format!("identita MEG {}\n{challenge_url}", decision.id()).into_bytes()
}

/// What a device signs to open its push connection at `time`.
pub fn signed_push_token(device: &str, time: Timestamp) -> Vec<u8> {
    format!("identita MEG push\n{device}\n{time}").into_bytes()
}

/// The challenge's URL a same-device link or a QR code carries (`identita-meg:URL` or the URL).
pub fn challenge_url_of(link: &str) -> &str {
    link.strip_prefix(LINK_SCHEME).unwrap_or(link)
}

/// Whether `signature` (ASN.1 DER ECDSA, base64url) over `message` is the one of `public_key`
/// (an uncompressed P-256 point, base64url).
pub fn verify(public_key: &str, message: &[u8], signature: &str) -> bool {
    let (Ok(key), Ok(signature)) = (URL_SAFE_NO_PAD.decode(public_key), URL_SAFE_NO_PAD.decode(signature)) else {
        return false;
    };
    ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_ASN1, key)
        .verify(message, &signature)
        .is_ok()
}

/// Whether `public_key` is an uncompressed P-256 point in base64url (what pairing accepts).
pub fn is_public_key(public_key: &str) -> bool {
    URL_SAFE_NO_PAD.decode(public_key).is_ok_and(|k| k.len() == 65 && k[0] == 4)
}
