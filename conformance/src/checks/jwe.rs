//! Encrypted ID tokens, as the suite reads them (`JWTUtil.jwtStringToJsonObjectForEnvironment`
//! with the client's private keys): a five-part token is decrypted with a key of the client's
//! `jwks` (the one its header's `kid` names, or else every key of the algorithm's type, with no
//! `use` or `use: enc`, and no `alg` or that `alg`), and what it carried — the signed ID token —
//! is checked as any other; the JWE header is kept for `ValidateEncryptedIdTokenHasKid`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use josekit::jwe::JweDecrypter;
use josekit::jwk::Jwk;
use serde_json::{Map, Value};

/// The key type a JWE key-management algorithm needs; `None` for one this runner cannot decrypt
/// (also RSA1_5, which josekit deprecates and no OP should still use).
fn kty_for_alg(alg: &str) -> Option<&'static str> {
    match alg {
        "RSA-OAEP" | "RSA-OAEP-256" | "RSA-OAEP-384" | "RSA-OAEP-512" => Some("RSA"),
        "ECDH-ES" | "ECDH-ES+A128KW" | "ECDH-ES+A192KW" | "ECDH-ES+A256KW" => Some("EC"),
        _ => None,
    }
}

/// Nimbus's `JWEAlgorithm.Family.SYMMETRIC` (the suite's `JWEUtil.isSymmetricJWEAlgorithm`):
/// `dir` and the AES key wraps, whose key is derived from the client secret and has no `kid`.
pub fn is_symmetric(alg: &str) -> bool {
    matches!(alg, "dir" | "A128KW" | "A192KW" | "A256KW" | "A128GCMKW" | "A192GCMKW" | "A256GCMKW")
}

fn decrypter(alg: &str, jwk: &Jwk) -> Result<Box<dyn JweDecrypter>, String> {
    use josekit::jwe::*;
    let e = |e: josekit::JoseError| e.to_string();
    Ok(match alg {
        "RSA-OAEP" => Box::new(RSA_OAEP.decrypter_from_jwk(jwk).map_err(e)?),
        "RSA-OAEP-256" => Box::new(RSA_OAEP_256.decrypter_from_jwk(jwk).map_err(e)?),
        "RSA-OAEP-384" => Box::new(RSA_OAEP_384.decrypter_from_jwk(jwk).map_err(e)?),
        "RSA-OAEP-512" => Box::new(RSA_OAEP_512.decrypter_from_jwk(jwk).map_err(e)?),
        "ECDH-ES" => Box::new(ECDH_ES.decrypter_from_jwk(jwk).map_err(e)?),
        "ECDH-ES+A128KW" => Box::new(ECDH_ES_A128KW.decrypter_from_jwk(jwk).map_err(e)?),
        "ECDH-ES+A192KW" => Box::new(ECDH_ES_A192KW.decrypter_from_jwk(jwk).map_err(e)?),
        "ECDH-ES+A256KW" => Box::new(ECDH_ES_A256KW.decrypter_from_jwk(jwk).map_err(e)?),
        other => return Err(format!("unsupported JWE alg {other}")),
    })
}

/// The JWE's protected header, undecrypted.
pub fn header(raw: &str) -> Result<Map<String, Value>, String> {
    let first = raw.split('.').next().unwrap_or_default();
    let bytes = URL_SAFE_NO_PAD.decode(first).map_err(|e| format!("the JWE header is not base64url: {e}"))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(header)) => Ok(header),
        _ => Err("the JWE header is not a JSON object".into()),
    }
}

/// Decrypts the compact JWE `raw` with a private key of `jwks`: its header and its payload.
pub fn decrypt(raw: &str, jwks: &Value) -> Result<(Map<String, Value>, Vec<u8>), String> {
    let header = header(raw)?;
    let member = |object: &Map<String, Value>, name: &str| object.get(name).and_then(Value::as_str).map(str::to_owned);
    let alg = member(&header, "alg").ok_or("the JWE header has no alg")?;
    if is_symmetric(&alg) {
        return Err(format!("the JWE is encrypted with the symmetric alg {alg}, which this runner does not decrypt"));
    }
    let kty = kty_for_alg(&alg).ok_or_else(|| format!("unsupported JWE alg {alg}"))?;
    let keys = jwks.get("keys").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let fits = |key: &&Map<String, Value>| {
        member(key, "kty").as_deref() == Some(kty)
            && member(key, "use").is_none_or(|u| u == "enc")
            && member(key, "alg").is_none_or(|a| a == alg)
            && key.contains_key("d")
    };
    let mut candidates: Vec<&Map<String, Value>> = keys.iter().filter_map(Value::as_object).filter(fits).collect();
    if let Some(kid) = member(&header, "kid") {
        candidates.retain(|key| member(key, "kid").as_deref() == Some(kid.as_str()));
        if candidates.is_empty() {
            return Err(format!("no private {kty} key for {alg} with kid '{kid}' in the client's jwks"));
        }
    }
    if candidates.is_empty() {
        return Err(format!("no private {kty} key for {alg} in the client's jwks"));
    }
    let mut errors = Vec::new();
    for key in candidates {
        // josekit checks `use`, `alg`, `key_ops` and `kid` its own way; the choice is made above.
        let mut private = key.clone();
        for name in ["kid", "use", "alg", "key_ops"] {
            private.remove(name);
        }
        let attempt = Jwk::from_map(private)
            .map_err(|e| format!("not a JWK: {e}"))
            .and_then(|jwk| decrypter(&alg, &jwk))
            .and_then(|d| josekit::jwe::deserialize_compact(raw, d.as_ref()).map_err(|e| e.to_string()));
        match attempt {
            Ok((payload, _)) => return Ok((header, payload)),
            Err(e) => errors.push(e),
        }
    }
    Err(format!("the JWE does not decrypt with the client's keys: {}", errors.join("; ")))
}

/// `ValidateEncryptedIdTokenHasKid`: the JWE header must name the recipient's key, unless the
/// algorithm is symmetric.
pub fn has_kid(jwe_header: &Map<String, Value>) -> Result<(), String> {
    let alg = jwe_header.get("alg").and_then(Value::as_str).unwrap_or_default();
    if is_symmetric(alg) {
        return Ok(());
    }
    match jwe_header.get("kid").and_then(Value::as_str) {
        Some(kid) if !kid.is_empty() => Ok(()),
        _ => Err("kid was not found in the encrypted ID token header".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use josekit::jwe::JweHeader;
    use serde_json::json;

    const INNER: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln";

    /// An RSA key pair: (private JWK with `kid`, `use: enc`, `alg`; public JWK without them).
    fn rsa(kid: &str) -> (Value, Jwk) {
        let pair = josekit::jwe::RSA_OAEP_256.generate_key_pair(2048).unwrap();
        let mut private: Value = serde_json::to_value(pair.to_jwk_private_key().as_ref()).unwrap();
        private["kid"] = json!(kid);
        private["use"] = json!("enc");
        private["alg"] = json!("RSA-OAEP-256");
        (private, pair.to_jwk_public_key())
    }

    fn encrypt(public: &Jwk, kid: Option<&str>) -> String {
        let mut header = JweHeader::new();
        header.set_content_encryption("A128CBC-HS256");
        header.set_content_type("JWT");
        if let Some(kid) = kid {
            header.set_key_id(kid);
        }
        let encrypter = josekit::jwe::RSA_OAEP_256.encrypter_from_jwk(public).unwrap();
        josekit::jwe::serialize_compact(INNER.as_bytes(), &header, &encrypter).unwrap()
    }

    #[test]
    fn decrypts_with_the_named_key_or_any_fitting_one() {
        let (private1, public1) = rsa("k1");
        let (private2, _) = rsa("k2");
        let jwks = json!({ "keys": [private2, private1] });
        let (header, payload) = decrypt(&encrypt(&public1, Some("k1")), &jwks).unwrap();
        assert_eq!(payload, INNER.as_bytes());
        assert_eq!(has_kid(&header), Ok(()));
        // No kid: every fitting key is tried; the header then fails the kid check.
        let (header, payload) = decrypt(&encrypt(&public1, None), &jwks).unwrap();
        assert_eq!(payload, INNER.as_bytes());
        assert_eq!(has_kid(&header).unwrap_err(), "kid was not found in the encrypted ID token header");
        // A kid the client has no key for, or keys that do not decrypt it.
        assert!(decrypt(&encrypt(&public1, Some("k3")), &jwks).unwrap_err().contains("kid 'k3'"));
        assert!(decrypt(&encrypt(&public1, None), &json!({ "keys": [jwks["keys"][0]] })).is_err());
    }

    #[test]
    fn a_key_for_signing_or_another_alg_is_not_used() {
        let (mut private, public) = rsa("k1");
        private["use"] = json!("sig");
        assert!(decrypt(&encrypt(&public, None), &json!({ "keys": [private] })).unwrap_err().contains("no private"));
        let (mut private, public) = rsa("k1");
        private["alg"] = json!("RSA-OAEP");
        assert!(decrypt(&encrypt(&public, None), &json!({ "keys": [private] })).is_err());
    }

    #[test]
    fn symmetric_algs_need_no_kid() {
        let header = |alg: &str| json!({ "alg": alg, "enc": "A128GCM" }).as_object().cloned().unwrap();
        assert_eq!(has_kid(&header("dir")), Ok(()));
        assert_eq!(has_kid(&header("A256KW")), Ok(()));
        assert!(has_kid(&header("RSA-OAEP")).is_err());
        assert!(has_kid(&header("ECDH-ES")).is_err());
    }
}
