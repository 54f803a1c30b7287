//! Encrypting to a client: compact JWEs (RFC 7516) for the key of its JWKS that fits, as
//! OpenID Connect Core §10.2 wants for "signed then encrypted" ID tokens.
//!
//! Guarantees: only a public key of the JWKS handed in is ever used (the caller hands in the keys
//! the client registered, never one from a request); a key is used only when its `kty` fits the
//! algorithm and its `use`, `alg` and `key_ops` allow it; the header names the key (`kid`) only
//! when the caller asks for it and the key has one.

use josekit::jwe::{self, JweEncrypter, JweHeader};
use josekit::jwk::Jwk;
use serde_json::{Map, Value};

use super::KeyError;

type Object = Map<String, Value>;

/// A JWE key-management algorithm (`alg`) identita encrypts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAlg {
    RsaOaep,
    RsaOaep256,
    EcdhEs,
}

impl KeyAlg {
    /// Every one, in the order discovery lists them.
    pub const ALL: [KeyAlg; 3] = [KeyAlg::RsaOaep, KeyAlg::RsaOaep256, KeyAlg::EcdhEs];

    /// The algorithm named `name` (case-sensitive, as in a JOSE header).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|alg| alg.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            KeyAlg::RsaOaep => "RSA-OAEP",
            KeyAlg::RsaOaep256 => "RSA-OAEP-256",
            KeyAlg::EcdhEs => "ECDH-ES",
        }
    }

    /// Whether a key of type `kty` can receive with this algorithm (ECDH-ES: an EC key, or an
    /// X25519/X448 OKP key; the curve is checked when the key is read).
    fn takes(self, kty: &str) -> bool {
        match self {
            KeyAlg::RsaOaep | KeyAlg::RsaOaep256 => kty == "RSA",
            KeyAlg::EcdhEs => kty == "EC" || kty == "OKP",
        }
    }

    /// The `key_ops` value (RFC 7517 §4.3) that allows this use of a key.
    fn key_op(self) -> &'static str {
        match self {
            KeyAlg::RsaOaep | KeyAlg::RsaOaep256 => "wrapKey",
            KeyAlg::EcdhEs => "deriveKey",
        }
    }

    fn encrypter(self, jwk: &Jwk) -> Result<Box<dyn JweEncrypter>, josekit::JoseError> {
        Ok(match self {
            KeyAlg::RsaOaep => Box::new(jwe::RSA_OAEP.encrypter_from_jwk(jwk)?),
            KeyAlg::RsaOaep256 => Box::new(jwe::RSA_OAEP_256.encrypter_from_jwk(jwk)?),
            KeyAlg::EcdhEs => Box::new(jwe::ECDH_ES.encrypter_from_jwk(jwk)?),
        })
    }
}

/// A JWE content-encryption algorithm (`enc`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentEnc {
    A128CbcHs256,
    A256CbcHs512,
    A128Gcm,
    A256Gcm,
}

impl ContentEnc {
    /// Every one, in the order discovery lists them.
    pub const ALL: [ContentEnc; 4] =
        [ContentEnc::A128CbcHs256, ContentEnc::A256CbcHs512, ContentEnc::A128Gcm, ContentEnc::A256Gcm];
    /// What a client that names only an `alg` gets (OpenID Connect Registration 1.0 §2).
    pub const DEFAULT: ContentEnc = ContentEnc::A128CbcHs256;

    /// The algorithm named `name` (case-sensitive, as in a JOSE header).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|enc| enc.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            ContentEnc::A128CbcHs256 => "A128CBC-HS256",
            ContentEnc::A256CbcHs512 => "A256CBC-HS512",
            ContentEnc::A128Gcm => "A128GCM",
            ContentEnc::A256Gcm => "A256GCM",
        }
    }
}

/// What to encrypt and how.
#[derive(Debug, Clone, Copy)]
pub struct Encryption<'a> {
    pub alg: KeyAlg,
    pub enc: ContentEnc,
    /// The header's `cty`: `JWT` for a nested (signed, then encrypted) JWT.
    pub content_type: Option<&'a str>,
    /// Whether the header names the recipient's key by its `kid` (when it has one).
    pub name_key: bool,
}

/// Whether `jwks` has a key that [`encrypt_to`] could encrypt to with `alg`.
pub fn has_key_for(jwks: &Value, alg: KeyAlg) -> bool {
    recipient(jwks, alg).is_ok()
}

/// `payload` encrypted, in compact serialization, to the key of `jwks` that fits `how.alg` best:
/// one marked `use: enc` before one with no `use`, one naming the algorithm before one naming
/// none. [`KeyError::UnknownKey`] when no key fits.
pub fn encrypt_to(jwks: &Value, payload: &[u8], how: Encryption<'_>) -> Result<String, KeyError> {
    let (kid, encrypter) = recipient(jwks, how.alg)?;
    let mut header = JweHeader::new();
    header.set_content_encryption(how.enc.name());
    if let Some(cty) = how.content_type {
        header.set_content_type(cty);
    }
    if how.name_key
        && let Some(kid) = kid
    {
        header.set_key_id(kid);
    }
    jwe::serialize_compact(payload, &header, encrypter.as_ref())
        .map_err(|e| KeyError::Crypto(format!("{} encryption failed: {e}", how.alg.name())))
}

/// The best key of `jwks` for `alg`, its `kid`, and an encrypter for it.
fn recipient(jwks: &Value, alg: KeyAlg) -> Result<(Option<String>, Box<dyn JweEncrypter>), KeyError> {
    let keys = jwks
        .get("keys")
        .and_then(Value::as_array)
        .ok_or_else(|| KeyError::Invalid("the JWKS has no \"keys\" array".into()))?;
    let mut fitting: Vec<(u8, &Object)> =
        keys.iter().filter_map(Value::as_object).filter_map(|key| Some((preference(key, alg)?, key))).collect();
    // Stable: among equally good keys the first listed wins.
    fitting.sort_by_key(|(rank, _)| std::cmp::Reverse(*rank));
    for (_, key) in fitting {
        // A key that does not parse (a curve ECDH-ES cannot use, say) is skipped: another may fit.
        if let Ok(found) = encrypter_for(key, alg) {
            return Ok(found);
        }
    }
    Err(KeyError::UnknownKey(format!("no usable {} encryption key in the JWKS", alg.name())))
}

/// How well `key` fits `alg` (higher is better), `None` when it may not be used for it.
fn preference(key: &Object, alg: KeyAlg) -> Option<u8> {
    let member = |name: &str| key.get(name).and_then(Value::as_str);
    if !alg.takes(member("kty")?) {
        return None;
    }
    let marked_enc = match member("use") {
        None => false,
        Some("enc") => true,
        Some(_) => return None,
    };
    let names_alg = match member("alg") {
        None => false,
        Some(named) if named == alg.name() => true,
        Some(_) => return None,
    };
    if let Some(ops) = key.get("key_ops") {
        let allowed = [alg.key_op(), "encrypt"];
        let ops = ops.as_array()?;
        if !ops.iter().any(|op| op.as_str().is_some_and(|op| allowed.contains(&op))) {
            return None;
        }
    }
    Some(u8::from(marked_enc) * 2 + u8::from(names_alg))
}

/// An encrypter for the public part of `key`. The members checked by [`preference`] are dropped
/// first (josekit reads `key_ops` differently), and so is `kid`, so the header names the key only
/// when [`encrypt_to`] is asked to.
fn encrypter_for(key: &Object, alg: KeyAlg) -> Result<(Option<String>, Box<dyn JweEncrypter>), KeyError> {
    let kid = key.get("kid").and_then(Value::as_str).map(str::to_owned);
    let mut public = key.clone();
    for member in ["kid", "use", "alg", "key_ops", "d", "p", "q", "dp", "dq", "qi", "k"] {
        public.remove(member);
    }
    let jwk = Jwk::from_map(public).map_err(|e| KeyError::Invalid(format!("not a JWK: {e}")))?;
    let encrypter =
        alg.encrypter(&jwk).map_err(|e| KeyError::Invalid(format!("not a {} public key: {e}", alg.name())))?;
    Ok((kid, encrypter))
}

#[cfg(test)]
mod tests {
    // Tests fail loudly on purpose: an unwrap here is an assertion.
    #![allow(clippy::unwrap_used)]

    use josekit::jwe::JweDecrypter;
    use josekit::jwk::KeyPair;
    use josekit::jwk::alg::ec::{EcCurve, EcKeyPair};
    use josekit::jwk::alg::rsa::RsaKeyPair;
    use serde_json::json;

    use super::*;

    const PAYLOAD: &[u8] = b"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJqYW4ifQ.c2ln";

    /// A client's key pair: its private JWK (without `kid`, for the decrypter) and its public
    /// JWK with `members` added, as it would register it.
    fn rsa_client(members: Value) -> (Jwk, Value) {
        let pair = RsaKeyPair::generate(2048).unwrap();
        with_members(pair.to_jwk_private_key(), pair.to_jwk_public_key(), members)
    }

    fn ec_client(members: Value) -> (Jwk, Value) {
        let pair = EcKeyPair::generate(EcCurve::P256).unwrap();
        with_members(pair.to_jwk_private_key(), pair.to_jwk_public_key(), members)
    }

    fn with_members(private: Jwk, public: Jwk, members: Value) -> (Jwk, Value) {
        let mut public: Object = public.into();
        if let Value::Object(members) = members {
            public.extend(members);
        }
        (private, Value::Object(public))
    }

    fn jwks(keys: &[&Value]) -> Value {
        json!({ "keys": keys })
    }

    fn how(alg: KeyAlg, enc: ContentEnc, name_key: bool) -> Encryption<'static> {
        Encryption { alg, enc, content_type: Some("JWT"), name_key }
    }

    fn decrypt(token: &str, decrypter: &dyn JweDecrypter) -> (Vec<u8>, JweHeader) {
        jwe::deserialize_compact(token, decrypter).unwrap()
    }

    #[test]
    fn rsa_round_trips_with_every_enc_and_names_the_key() {
        let (private, public) = rsa_client(json!({ "kid": "enc-1", "use": "enc" }));
        let keys = jwks(&[&public]);
        for alg in [KeyAlg::RsaOaep, KeyAlg::RsaOaep256] {
            let decrypter: Box<dyn JweDecrypter> = match alg {
                KeyAlg::RsaOaep => Box::new(jwe::RSA_OAEP.decrypter_from_jwk(&private).unwrap()),
                _ => Box::new(jwe::RSA_OAEP_256.decrypter_from_jwk(&private).unwrap()),
            };
            for enc in ContentEnc::ALL {
                let token = encrypt_to(&keys, PAYLOAD, how(alg, enc, true)).unwrap();
                assert_eq!(token.split('.').count(), 5);
                let (content, header) = decrypt(&token, decrypter.as_ref());
                assert_eq!(content, PAYLOAD);
                assert_eq!(header.algorithm(), Some(alg.name()));
                assert_eq!(header.content_encryption(), Some(enc.name()));
                assert_eq!(header.content_type(), Some("JWT"));
                assert_eq!(header.key_id(), Some("enc-1"));
            }
        }
    }

    #[test]
    fn the_key_is_named_only_when_asked_and_when_it_has_a_kid() {
        let (_, with_kid) = rsa_client(json!({ "kid": "enc-1" }));
        let (private, without_kid) = rsa_client(json!({}));
        let unnamed = encrypt_to(&jwks(&[&with_kid]), PAYLOAD, how(KeyAlg::RsaOaep, ContentEnc::A256CbcHs512, false));
        assert!(!jose_header(&unnamed.unwrap()).contains_key("kid"));
        let token =
            encrypt_to(&jwks(&[&without_kid]), PAYLOAD, how(KeyAlg::RsaOaep, ContentEnc::A256CbcHs512, true)).unwrap();
        assert!(!jose_header(&token).contains_key("kid"));
        let (content, _) = decrypt(&token, &jwe::RSA_OAEP.decrypter_from_jwk(&private).unwrap());
        assert_eq!(content, PAYLOAD);
    }

    #[test]
    fn ecdh_es_round_trips_with_an_ec_key() {
        let (private, public) = ec_client(json!({ "kid": "ec-enc" }));
        let token = encrypt_to(&jwks(&[&public]), PAYLOAD, how(KeyAlg::EcdhEs, ContentEnc::A128Gcm, true)).unwrap();
        let (content, header) = decrypt(&token, &jwe::ECDH_ES.decrypter_from_jwk(&private).unwrap());
        assert_eq!(content, PAYLOAD);
        assert_eq!(header.key_id(), Some("ec-enc"));
    }

    #[test]
    fn a_key_of_the_wrong_type_or_use_is_not_encrypted_to() {
        let (_, ec) = ec_client(json!({ "kid": "ec" }));
        let (_, signing) = rsa_client(json!({ "kid": "sig", "use": "sig" }));
        let (_, other_alg) = rsa_client(json!({ "kid": "o", "alg": "RSA-OAEP-256" }));
        let (_, verify_only) = rsa_client(json!({ "kid": "v", "key_ops": ["verify"] }));
        let keys = jwks(&[&ec, &signing, &other_alg, &verify_only]);
        let refused = encrypt_to(&keys, PAYLOAD, how(KeyAlg::RsaOaep, ContentEnc::A128CbcHs256, true));
        assert!(matches!(refused, Err(KeyError::UnknownKey(_))), "{refused:?}");
        assert!(!has_key_for(&keys, KeyAlg::RsaOaep));
        assert!(has_key_for(&keys, KeyAlg::RsaOaep256));
        assert!(has_key_for(&keys, KeyAlg::EcdhEs));
        assert!(encrypt_to(&json!({}), PAYLOAD, how(KeyAlg::RsaOaep, ContentEnc::A128Gcm, true)).is_err());
    }

    #[test]
    fn a_key_marked_for_encryption_wins_over_an_unmarked_one() {
        let (_, unmarked) = rsa_client(json!({ "kid": "any" }));
        let (private, marked) = rsa_client(json!({ "kid": "enc", "use": "enc", "key_ops": ["wrapKey"] }));
        let token =
            encrypt_to(&jwks(&[&unmarked, &marked]), PAYLOAD, how(KeyAlg::RsaOaep, ContentEnc::A128Gcm, true)).unwrap();
        assert_eq!(jose_header(&token)["kid"], "enc");
        let (content, _) = decrypt(&token, &jwe::RSA_OAEP.decrypter_from_jwk(&private).unwrap());
        assert_eq!(content, PAYLOAD);
    }

    #[test]
    fn names_parse_exactly() {
        assert_eq!(KeyAlg::parse("RSA-OAEP"), Some(KeyAlg::RsaOaep));
        assert_eq!(KeyAlg::parse("rsa-oaep"), None);
        assert_eq!(KeyAlg::parse("RSA1_5"), None);
        assert_eq!(ContentEnc::parse("A256CBC-HS512"), Some(ContentEnc::A256CbcHs512));
        assert_eq!(ContentEnc::parse("A192GCM"), None);
    }

    fn jose_header(token: &str) -> Object {
        super::super::jose::peek_header(token).unwrap()
    }
}
