//! The successor of a rotated refresh token, kept so that a retry of the rotation within the
//! grace window gets the very tokens the first request got (an idempotent retry), not a second
//! live family.
//!
//! Tokens are stored only as digests, so the successor is kept sealed: AES-256-GCM under a key
//! derived (HKDF-SHA256) from the old refresh token itself. Only whoever presents the old token
//! can open it; a copy of the database, which holds the old token's digest but not the token,
//! yields nothing usable.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::hkdf::{HKDF_SHA256, Salt};
use serde::{Deserialize, Serialize};

/// Separates this use of the token as key material from any other.
const SALT: &[u8] = b"identita refresh-token successor";
const INFO: &[u8] = b"AES-256-GCM v1";

/// What a rotation handed out, as the client got it.
#[derive(Serialize, Deserialize)]
pub(crate) struct Successor {
    pub(crate) refresh_token: String,
    pub(crate) access_token: String,
}

impl std::fmt::Debug for Successor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Successor(***)")
    }
}

/// The key only the holder of `old` can derive.
fn key(old: &str) -> Option<LessSafeKey> {
    let prk = Salt::new(HKDF_SHA256, SALT).extract(old.as_bytes());
    let okm = prk.expand(&[INFO], &AES_256_GCM).ok()?;
    Some(LessSafeKey::new(UnboundKey::from(okm)))
}

/// `successor` sealed under the key of `old`: base64url of the nonce, the ciphertext and the tag.
pub(crate) fn seal(old: &str, successor: &Successor) -> Option<String> {
    let key = key(old)?;
    let mut nonce = [0u8; NONCE_LEN];
    rand::rng().fill_bytes(&mut nonce);
    let mut sealed = serde_json::to_vec(successor).ok()?;
    key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut sealed).ok()?;
    let mut out = nonce.to_vec();
    out.append(&mut sealed);
    Some(URL_SAFE_NO_PAD.encode(out))
}

/// The successor sealed in `sealed`, if `old` is the token it was sealed under.
pub(crate) fn open(old: &str, sealed: &str) -> Option<Successor> {
    let bytes = URL_SAFE_NO_PAD.decode(sealed).ok()?;
    if bytes.len() < NONCE_LEN {
        return None;
    }
    let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
    let mut ciphertext = ciphertext.to_vec();
    let plain = key(old)?.open_in_place(nonce, Aad::empty(), &mut ciphertext).ok()?;
    serde_json::from_slice(plain).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn successor() -> Successor {
        Successor { refresh_token: "next-refresh".into(), access_token: "next-access".into() }
    }

    #[test]
    fn only_the_old_token_opens_its_successor() {
        let sealed = seal("old-refresh-token", &successor()).unwrap();
        assert!(!sealed.contains("next"), "{sealed}");
        let opened = open("old-refresh-token", &sealed).unwrap();
        assert_eq!((opened.refresh_token.as_str(), opened.access_token.as_str()), ("next-refresh", "next-access"));
        assert!(open("another-refresh-token", &sealed).is_none());
        assert!(open("old-refresh-token", "").is_none());
        assert!(open("old-refresh-token", "!!").is_none());
        // A changed byte anywhere fails the tag.
        let mut bytes = URL_SAFE_NO_PAD.decode(&sealed).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert!(open("old-refresh-token", &URL_SAFE_NO_PAD.encode(bytes)).is_none());
    }

    #[test]
    fn each_seal_differs() {
        assert_ne!(seal("old", &successor()), seal("old", &successor()));
    }
}
