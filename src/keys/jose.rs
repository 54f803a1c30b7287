//! Reading and checking compact JWS/JWT values that clients send: request objects, client
//! assertions (`private_key_jwt`, `client_secret_jwt`), unsecured request objects.
//!
//! Guarantees: `alg: none` is never accepted as a signature, an algorithm is accepted only when
//! the caller lists it, a token with a `crit` header is refused (identita understands no
//! extension), and the payload is returned only after its signature checked out.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

pub use super::hash::half_hash;

use super::KeyError;
use super::alg::{Alg, Verifier};

type Object = Map<String, Value>;

/// Verifies a JWS signed by a client with a key of its JWKS (`{"keys": [...]}`) and returns
/// `(header, claims)`. The header's `alg` must be in `allowed_algs`; `none` never is, and HMAC
/// algorithms only when listed (their keys are `oct` JWKs). With a `kid` in the header only the
/// keys of that `kid` are tried, otherwise every key whose `kty` (and `alg`, `use`) fits.
pub fn verify_with_jwks(token: &str, jwks: &Value, allowed_algs: &[&str]) -> Result<(Object, Object), KeyError> {
    let jws = Compact::parse(token)?;
    let alg = jws.alg()?;
    if alg == "none" || !allowed_algs.contains(&alg) {
        return Err(KeyError::UnsupportedAlg(short(alg)));
    }
    let alg = Alg::parse(alg).ok_or_else(|| KeyError::UnsupportedAlg(short(alg)))?;
    let keys = jwks
        .get("keys")
        .and_then(Value::as_array)
        .ok_or_else(|| KeyError::Invalid("the JWKS has no \"keys\" array".into()))?;
    let fitting = keys.iter().filter_map(Value::as_object).filter(|key| fits(key, alg));

    if let Some(kid) = jws.kid()? {
        let mut found = false;
        for key in fitting.filter(|key| key.get("kid").and_then(Value::as_str) == Some(kid)) {
            found = true;
            if let Some(claims) = jws.verify(&alg.verifier(key)?)? {
                return Ok((jws.header, claims));
            }
        }
        return Err(if found { KeyError::BadSignature } else { KeyError::UnknownKey(format!("kid {}", short(kid))) });
    }
    let mut tried = 0;
    for key in fitting {
        // A key that does not parse is skipped: the token names no key, so another may fit.
        let Ok(verifier) = alg.verifier(key) else { continue };
        tried += 1;
        if let Some(claims) = jws.verify(&verifier)? {
            return Ok((jws.header, claims));
        }
    }
    if tried == 0 {
        return Err(KeyError::UnknownKey(format!("no usable {} key in the JWKS", alg.name())));
    }
    Err(KeyError::BadSignature)
}

/// Decodes an unsecured JWT (RFC 7519 §6): header `alg` is `none` and the signature is empty.
/// Anything else, a signed token included, is an error.
pub fn decode_unsigned(token: &str) -> Result<(Object, Object), KeyError> {
    let jws = Compact::parse(token)?;
    if jws.alg()? != "none" {
        return Err(KeyError::Malformed("not an unsecured JWT: alg is not none".into()));
    }
    if !jws.signature.is_empty() {
        return Err(KeyError::Malformed("an unsecured JWT must have an empty signature".into()));
    }
    let claims = jws.claims()?;
    Ok((jws.header, claims))
}

/// The decoded header of a compact JWS (three parts) or JWE (five parts), unverified.
pub fn peek_header(token: &str) -> Result<Object, KeyError> {
    let parts = token.split('.').count();
    if parts != 3 && parts != 5 {
        return Err(KeyError::Malformed("not a compact JWS or JWE".into()));
    }
    let header = token.split('.').next().unwrap_or_default();
    decode_object(header, "header")
}

/// A compact JWS split into its parts, header decoded.
#[derive(Debug)]
pub(crate) struct Compact<'a> {
    pub(crate) header: Object,
    /// `BASE64URL(header) . BASE64URL(payload)`, the bytes the signature covers.
    signing_input: &'a str,
    payload: &'a str,
    signature: &'a str,
}

impl<'a> Compact<'a> {
    pub(crate) fn parse(token: &'a str) -> Result<Self, KeyError> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(KeyError::Malformed("a compact JWS has three dot-separated parts".into()));
        };
        let header_object = decode_object(header, "header")?;
        if header_object.contains_key("crit") {
            return Err(KeyError::Malformed("unsupported critical header extension".into()));
        }
        let signing_input = &token[..header.len() + 1 + payload.len()];
        Ok(Compact { header: header_object, signing_input, payload, signature })
    }

    /// The header's `alg`.
    pub(crate) fn alg(&self) -> Result<&str, KeyError> {
        self.header.get("alg").and_then(Value::as_str).ok_or_else(|| KeyError::Malformed("header without alg".into()))
    }

    /// The header's `kid`, if any.
    pub(crate) fn kid(&self) -> Result<Option<&str>, KeyError> {
        match self.header.get("kid") {
            None => Ok(None),
            Some(Value::String(kid)) => Ok(Some(kid)),
            Some(_) => Err(KeyError::Malformed("kid is not a string".into())),
        }
    }

    /// The claims if the signature checks out with `verifier`, `None` if it does not.
    pub(crate) fn verify(&self, verifier: &Verifier) -> Result<Option<Object>, KeyError> {
        let signature = URL_SAFE_NO_PAD
            .decode(self.signature)
            .map_err(|_| KeyError::Malformed("the signature is not base64url".into()))?;
        if !verifier.verify(self.signing_input.as_bytes(), &signature) {
            return Ok(None);
        }
        self.claims().map(Some)
    }

    /// The payload as a JSON object, unverified: callers verify first.
    fn claims(&self) -> Result<Object, KeyError> {
        decode_object(self.payload, "payload")
    }
}

/// Whether `key` may verify `alg`: same `kty`, and `alg`, `use`, `key_ops` agree when present.
fn fits(key: &Object, alg: Alg) -> bool {
    let member = |name: &str| key.get(name).and_then(Value::as_str);
    member("kty") == Some(alg.kty())
        && member("alg").is_none_or(|a| a == alg.name())
        && member("use").is_none_or(|u| u == "sig")
        && key
            .get("key_ops")
            .and_then(Value::as_array)
            .is_none_or(|ops| ops.iter().any(|op| op.as_str() == Some("verify")))
}

fn decode_object(part: &str, what: &str) -> Result<Object, KeyError> {
    let bytes =
        URL_SAFE_NO_PAD.decode(part).map_err(|_| KeyError::Malformed(format!("the {what} is not base64url")))?;
    serde_json::from_slice(&bytes).map_err(|_| KeyError::Malformed(format!("the {what} is not a JSON object")))
}

/// A value from a token, cut short for error messages (tokens come from anyone).
fn short(value: &str) -> String {
    value.chars().take(64).collect()
}
