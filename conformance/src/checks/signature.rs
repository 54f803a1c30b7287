//! JWS signature verification as `AbstractVerifyJwsSignature` does it: alg `none` fails; with a
//! `kid` exactly one key of that kid, matching kty, alg (if the key has one) and use `sig` (if it
//! has a use) must verify; without a `kid` some key of the matching type must verify. RSA (RS*,
//! PS*), EC (ES*) and OKP (EdDSA) keys; keys josekit cannot load are skipped, as the suite's
//! lenient parsing does.

use josekit::jwk::Jwk;
use josekit::jws::JwsVerifier;
use serde_json::Value;

use super::Jwt;

/// The key type an algorithm needs.
pub fn kty_for_alg(alg: &str) -> Option<&'static str> {
    match alg {
        "RS256" | "RS384" | "RS512" | "PS256" | "PS384" | "PS512" => Some("RSA"),
        "ES256" | "ES384" | "ES512" | "ES256K" => Some("EC"),
        "EdDSA" | "Ed25519" => Some("OKP"),
        _ => None,
    }
}

pub fn verifier(alg: &str, jwk: &Jwk) -> Result<Box<dyn JwsVerifier>, String> {
    use josekit::jws::*;
    let e = |e: josekit::JoseError| e.to_string();
    Ok(match alg {
        "RS256" => Box::new(RS256.verifier_from_jwk(jwk).map_err(e)?),
        "RS384" => Box::new(RS384.verifier_from_jwk(jwk).map_err(e)?),
        "RS512" => Box::new(RS512.verifier_from_jwk(jwk).map_err(e)?),
        "PS256" => Box::new(PS256.verifier_from_jwk(jwk).map_err(e)?),
        "PS384" => Box::new(PS384.verifier_from_jwk(jwk).map_err(e)?),
        "PS512" => Box::new(PS512.verifier_from_jwk(jwk).map_err(e)?),
        "ES256" => Box::new(ES256.verifier_from_jwk(jwk).map_err(e)?),
        "ES384" => Box::new(ES384.verifier_from_jwk(jwk).map_err(e)?),
        "ES512" => Box::new(ES512.verifier_from_jwk(jwk).map_err(e)?),
        "EdDSA" | "Ed25519" => Box::new(EdDSA.verifier_from_jwk(jwk).map_err(e)?),
        other => return Err(format!("unsupported alg {other}")),
    })
}

fn jwk_of(key: &Value) -> Option<Jwk> {
    key.as_object().and_then(|m| Jwk::from_map(m.clone()).ok())
}

fn verifies(token: &str, alg: &str, key: &Value) -> Result<(), String> {
    let jwk = jwk_of(key).ok_or("the key does not parse")?;
    let v = verifier(alg, &jwk)?;
    josekit::jws::deserialize_compact(token, &*v).map(|_| ()).map_err(|e| e.to_string())
}

/// `ValidateIdTokenSignature` and its siblings: `Ok` when the signature verifies by the rules.
pub fn verify_jws(jwt: &Jwt, jwks: &Value) -> Result<(), String> {
    let alg = jwt.alg();
    if alg.is_empty() || alg == "none" {
        return Err(format!("the token is not signed (alg '{alg}')"));
    }
    let kty = kty_for_alg(alg).ok_or_else(|| format!("unsupported signing alg '{alg}'"))?;
    let keys: Vec<&Value> = jwks.get("keys").and_then(Value::as_array).map(|k| k.iter().collect()).unwrap_or_default();
    let s = |k: &Value, m: &str| k.get(m).and_then(Value::as_str).map(str::to_string);
    let compatible = |k: &&Value| s(k, "kty").as_deref() == Some(kty) && s(k, "alg").is_none_or(|a| a == alg);
    match jwt.header.get("kid").and_then(Value::as_str) {
        Some(kid) => {
            let with_kid: Vec<&Value> =
                keys.iter().copied().filter(|k| s(k, "kid").as_deref() == Some(kid)).filter(compatible).collect();
            if with_kid.is_empty() {
                return Err(format!("no key in the JWKS with kid '{kid}', kty {kty} and alg {alg}"));
            }
            let usable: Vec<&Value> =
                with_kid.iter().copied().filter(|k| s(k, "use").is_none_or(|u| u == "sig")).collect();
            if usable.is_empty() {
                return Err(format!("the key with kid '{kid}' is not for signing (use is not 'sig')"));
            }
            if usable.iter().filter(|k| s(k, "use").as_deref() == Some("sig")).count() > 1 {
                return Err(format!("more than one signing key matches kid '{kid}'"));
            }
            verifies(&jwt.raw, alg, usable[0]).map_err(|e| format!("signature does not verify with kid '{kid}': {e}"))
        }
        None => {
            let candidates: Vec<&Value> =
                keys.iter().copied().filter(compatible).filter(|k| s(k, "use").is_none_or(|u| u == "sig")).collect();
            if candidates.iter().any(|k| verifies(&jwt.raw, alg, k).is_ok()) {
                Ok(())
            } else {
                Err(format!(
                    "no key of type {kty} in the JWKS verifies the {alg} signature ({} tried)",
                    candidates.len()
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plans::client_auth::sign_with_jwk;
    use serde_json::json;

    fn key_pair(alg: &str, kid: &str) -> (Value, Value) {
        let pair = match alg {
            "RS256" => josekit::jws::RS256.generate_key_pair(2048).unwrap().to_jwk_key_pair(),
            "ES256" => josekit::jws::ES256.generate_key_pair().unwrap().to_jwk_key_pair(),
            _ => josekit::jws::EdDSA
                .generate_key_pair(josekit::jwk::alg::ed::EdCurve::Ed25519)
                .unwrap()
                .to_jwk_key_pair(),
        };
        let mut private: Value = serde_json::to_value(pair.as_ref()).unwrap();
        private["kid"] = json!(kid);
        private["alg"] = json!(alg);
        let mut public: Value = serde_json::to_value(pair.to_public_key().unwrap().as_ref()).unwrap();
        public["kid"] = json!(kid);
        public["use"] = json!("sig");
        (private, public)
    }

    fn token(private: &Value) -> Jwt {
        Jwt::parse(&sign_with_jwk(private, &json!({"sub": "x"})).unwrap()).unwrap()
    }

    #[test]
    fn verifies_by_kid_for_each_key_type() {
        for alg in ["RS256", "ES256", "EdDSA"] {
            let (private, public) = key_pair(alg, "k1");
            let jwks = json!({"keys": [public]});
            assert_eq!(verify_jws(&token(&private), &jwks), Ok(()), "{alg}");
        }
    }

    #[test]
    fn kid_rules() {
        let (private, public) = key_pair("ES256", "k1");
        let (_, other) = key_pair("ES256", "k2");
        // An unknown kid fails even though another key would verify.
        let mut jwt = token(&private);
        assert!(verify_jws(&jwt, &json!({"keys": [other.clone()]})).is_err());
        // Without a kid, any key of the right type may verify.
        let mut unnamed = public.clone();
        unnamed.as_object_mut().unwrap().remove("kid");
        jwt.header.remove("kid");
        assert!(verify_jws(&jwt, &json!({"keys": [other.clone(), unnamed]})).is_ok());
        assert!(verify_jws(&jwt, &json!({"keys": [other.clone()]})).is_err());
        // An encryption key with the kid is not usable; two signing keys with one kid are ambiguous.
        let jwt = token(&private);
        let mut enc = public.clone();
        enc["use"] = json!("enc");
        assert!(verify_jws(&jwt, &json!({"keys": [enc]})).is_err());
        assert!(verify_jws(&jwt, &json!({"keys": [public.clone(), public]})).is_err());
    }

    #[test]
    fn alg_none_fails() {
        let jwt = Jwt::parse("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.").unwrap();
        assert!(verify_jws(&jwt, &json!({"keys": []})).is_err());
    }
}
