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
    time_prefixed(now, 12)
}

/// A fresh bearer token (an access or refresh token, a code): the time it was made in hex, then
/// 256 random bits, base64url.
///
/// The prefix is not secret; it makes [`bearer_digest`] sort by time, so the tokens issued in one
/// stretch of time share index pages and a store's writes touch a few hot pages instead of a
/// random one per token.
pub fn bearer_token(now: crate::clock::Timestamp) -> String {
    time_prefixed(now, 32)
}

/// `now` as 10 hex digits, then `bytes` random bytes, base64url: sorts by `now`.
fn time_prefixed(now: crate::clock::Timestamp, bytes: usize) -> String {
    format!("{:010x}{}", now.max(0), random_token(bytes))
}

/// The storage key of a bearer token: its time prefix (see [`bearer_token`]), then
/// base64url(SHA-256(token)). A value without the prefix (a token issued before there was one,
/// or a made-up one) is keyed by its digest alone.
pub fn bearer_digest(token: &str) -> String {
    let prefixed =
        token.len() == BEARER_LEN && token.as_bytes()[..10].iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if prefixed { format!("{}{}", &token[..10], digest(token)) } else { digest(token) }
}

/// The length of a [`bearer_token`]: 10 hex digits and 43 base64url characters.
const BEARER_LEN: usize = 53;

/// The storage key of a bearer value: base64url(SHA-256(value)).
pub fn digest(value: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(value.as_bytes()))
}

/// HMAC-SHA-256 of `message` under a key derived from `salt` (the server's secret) for `purpose`,
/// base64url: a value only this server (and its sibling nodes) can make.
pub fn mac(purpose: &str, salt: &str, message: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let key = Sha256::digest(format!("identita\u{0}{purpose}\u{0}{salt}").as_bytes());
    // HMAC takes a key of any length; were it ever refused, the empty MAC matches no tag.
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(&key) else { return String::new() };
    mac.update(message);
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// `payload` sealed for `purpose`: base64url(JSON) `.` its [`mac`]. Readable by whoever holds it,
/// made and changed only by the server: for state a client carries between requests.
pub fn seal<T: serde::Serialize>(purpose: &str, salt: &str, payload: &T) -> String {
    let json = serde_json::to_vec(payload).unwrap_or_default();
    let body = URL_SAFE_NO_PAD.encode(&json);
    let tag = mac(purpose, salt, body.as_bytes());
    format!("{body}.{tag}")
}

/// What [`seal`] sealed for `purpose`, or `None` for anything else (changed, made for another
/// purpose or by another server, not of the shape `T`).
pub fn open<T: serde::de::DeserializeOwned>(purpose: &str, salt: &str, sealed: &str) -> Option<T> {
    let (body, tag) = sealed.split_once('.')?;
    if tag.is_empty() || !constant_time_eq(tag, &mac(purpose, salt, body.as_bytes())) {
        return None;
    }
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(body).ok()?).ok()
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
    fn a_sealed_value_opens_only_unchanged_for_its_purpose_and_server() {
        let sealed = seal("meg", "salt-a", &("+420601123456", 42));
        assert_eq!(open::<(String, i64)>("meg", "salt-a", &sealed), Some(("+420601123456".into(), 42)));
        assert_eq!(open::<(String, i64)>("other", "salt-a", &sealed), None);
        assert_eq!(open::<(String, i64)>("meg", "salt-b", &sealed), None);
        let (body, tag) = sealed.split_once('.').unwrap();
        let forged = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&("+420601123456", 43)).unwrap());
        assert_eq!(open::<(String, i64)>("meg", "salt-a", &format!("{forged}.{tag}")), None);
        assert_eq!(open::<(String, i64)>("meg", "salt-a", body), None);
        assert_eq!(open::<(String, i64)>("meg", "salt-a", ""), None);
    }

    #[test]
    fn bearer_digests_sort_by_time_and_keep_older_tokens_working() {
        let (a, b) = (bearer_token(1_700_000_000), bearer_token(1_700_000_001));
        assert_eq!(a.len(), BEARER_LEN);
        assert!(bearer_digest(&a) < bearer_digest(&b));
        assert!(bearer_digest(&a).ends_with(&digest(&a)));
        assert_ne!(bearer_digest(&a), bearer_digest(&bearer_token(1_700_000_000)));
        // A token issued before the prefix existed keeps the key it was stored under.
        let older = random_token(32);
        assert_eq!(bearer_digest(&older), digest(&older));
        // Non-ASCII input never splits a character.
        assert_eq!(bearer_digest(&"ž".repeat(26)), digest(&"ž".repeat(26)));
    }

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
