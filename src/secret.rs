//! Random values and their digests: tokens, codes, client secrets, CSRF tokens.
//!
//! Every bearer value identita hands out carries 256 bits of randomness and is stored only as
//! its SHA-256 digest, so a read of the database does not yield a usable token.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A fresh random value of `bytes` bytes, base64url without padding.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// A fresh identifier that sorts by the time it was made: `now` in hex, then 96 random bits.
///
/// For identifiers that are indexed but not secret (grant ids, session ids): rows made at about
/// the same time land on the same index pages, so a write touches a few hot pages rather than a
/// random page per index. It tells when it was made, which the records it names say anyway.
pub fn ordered_id(now: crate::clock::Timestamp) -> String {
    format!("{:010x}{}", now.max(0), random_token(12))
}

/// The storage key of a bearer value: base64url(SHA-256(value)).
pub fn digest(value: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(value.as_bytes()))
}

/// Compares two strings in time that does not depend on where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// A secret string that never shows itself in `Debug` output or logs.
#[derive(Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordered_ids_sort_by_time_and_differ_within_a_second() {
        let (a, b, c) = (ordered_id(1_700_000_000), ordered_id(1_700_000_000), ordered_id(1_700_000_001));
        assert_ne!(a, b);
        assert!(a < c && b < c, "{a} {b} {c}");
        assert_eq!(a.len(), 26);
    }

    #[test]
    fn tokens_are_distinct_and_long() {
        let a = random_token(32);
        let b = random_token(32);
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
    }

    #[test]
    fn secret_debug_is_redacted() {
        assert_eq!(format!("{:?}", Secret::new("hunter2")), "Secret(***)");
    }
}
