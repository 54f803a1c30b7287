//! The server's JWKS: `ValidateJwksSequence` (no private or symmetric material, structure,
//! parsable keys, unusable keys) and the `kid` conditions every OIDCC flow runs.

use std::collections::HashSet;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::log::{Level, Step, TestLog};

const PRIVATE_MEMBERS: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

fn keys(jwks: &Value) -> Vec<&Value> {
    jwks.get("keys").and_then(Value::as_array).map(|k| k.iter().collect()).unwrap_or_default()
}

fn no_private_material(jwks: &Value) -> Result<(), String> {
    for key in keys(jwks) {
        if key.get("kty").and_then(Value::as_str) == Some("oct") {
            return Err("the JWKS contains a symmetric (oct) key".into());
        }
        if let Some(m) = PRIVATE_MEMBERS.iter().find(|m| key.get(**m).is_some()) {
            return Err(format!("a key contains private member '{m}'"));
        }
    }
    Ok(())
}

fn structure(jwks: &Value) -> Result<(), String> {
    let Some(list) = jwks.get("keys").and_then(Value::as_array) else {
        return Err("no top-level 'keys' array".into());
    };
    for (i, key) in list.iter().enumerate() {
        let Some(kty) = key.get("kty").and_then(Value::as_str) else {
            return Err(format!("key {i} is not an object with 'kty'"));
        };
        let required: &[&str] = match kty {
            "RSA" => &["n", "e"],
            "EC" => &["x", "y"],
            "OKP" => &["x", "crv"],
            _ => &[],
        };
        for m in required {
            let Some(v) = key.get(*m).and_then(Value::as_str) else {
                return Err(format!("{kty} key {i} lacks '{m}'"));
            };
            if *m != "crv" && (v.contains('=') || URL_SAFE_NO_PAD.decode(v).is_err()) {
                return Err(format!("'{m}' of key {i} is not unpadded base64url"));
            }
        }
    }
    Ok(())
}

fn usable(key: &Value) -> Result<(), String> {
    let s = |m: &str| key.get(m).and_then(Value::as_str);
    match (s("kty"), s("crv")) {
        (Some("RSA"), _) | (Some("EC"), Some("P-256" | "P-384" | "P-521" | "secp256k1")) => {}
        (Some("OKP"), Some("Ed25519" | "Ed448" | "X25519" | "X448")) => {}
        (kty, crv) => return Err(format!("unusable key: kty {kty:?}, crv {crv:?}")),
    }
    match s("alg") {
        None => Ok(()),
        Some(alg)
            if super::signature::kty_for_alg(alg).is_some() || alg.starts_with("RSA") || alg.starts_with("ECDH") =>
        {
            Ok(())
        }
        Some(alg) => Err(format!("unrecognised alg '{alg}'")),
    }
}

fn parsable(key: &Value) -> Result<(), String> {
    let map = key.as_object().ok_or("not an object")?;
    let jwk = josekit::jwk::Jwk::from_map(map.clone()).map_err(|e| e.to_string())?;
    let own = key.get("alg").and_then(Value::as_str).filter(|a| super::signature::kty_for_alg(a).is_some());
    let alg = match (jwk.key_type(), jwk.curve()) {
        _ if own.is_some() => own.unwrap_or_default(),
        ("RSA", _) => "RS256",
        ("EC", Some("P-256")) => "ES256",
        ("EC", Some("P-384")) => "ES384",
        ("EC", Some("P-521")) => "ES512",
        ("OKP", Some("Ed25519")) => "EdDSA",
        _ => return Ok(()),
    };
    if key.get("use").and_then(Value::as_str).is_some_and(|u| u == "enc") {
        return Ok(());
    }
    super::signature::verifier(alg, &jwk).map(|_| ())
}

/// `ValidateJwksSequence` (section 4.2).
pub fn validate_jwks(log: &mut TestLog, jwks: &Value) -> Step {
    log.require("EnsureJwksHasNoPrivateOrSymmetricKeyMaterial", no_private_material(jwks))?;
    log.require("ValidateJwksStructure", structure(jwks))?;
    let parse_errors: Vec<String> =
        keys(jwks).into_iter().filter(|k| usable(k).is_ok()).filter_map(|k| parsable(k).err()).collect();
    log.check(
        "ParseUsableJwksKeys",
        Level::Failure,
        if parse_errors.is_empty() { Ok(()) } else { Err(parse_errors.join("; ")) },
    );
    let unusable: Vec<String> = keys(jwks).into_iter().filter_map(|k| usable(k).err()).collect();
    log.check(
        "WarnOnUnusableJwksKeys",
        Level::Warning,
        if unusable.is_empty() { Ok(()) } else { Err(unusable.join("; ")) },
    );
    Ok(())
}

/// The setup checks of every flow module (1.3 step 4).
pub fn flow_jwks_checks(log: &mut TestLog, jwks: &Value) -> Step {
    let parses = keys(jwks).iter().try_for_each(|k| match k.as_object() {
        Some(m) if usable(k).is_err() || josekit::jwk::Jwk::from_map(m.clone()).is_ok() => Ok(()),
        _ => Err("a key does not parse".to_string()),
    });
    log.check("CheckServerKeysIsValid", Level::Warning, structure(jwks).and(parses));
    validate_jwks(log, jwks)?;
    let missing =
        keys(jwks).iter().filter(|k| k.get("kid").and_then(Value::as_str).is_none_or(|s| s.trim().is_empty())).count();
    log.check(
        "CheckForKeyIdInServerJWKs",
        Level::Failure,
        if missing == 0 { Ok(()) } else { Err(format!("{missing} key(s) without a kid")) },
    );
    let mut seen = HashSet::new();
    let dup: Vec<&str> = keys(jwks)
        .iter()
        .filter_map(|k| k.get("kid").and_then(Value::as_str))
        .filter(|kid| !seen.insert(*kid))
        .collect();
    log.check(
        "CheckDistinctKeyIdValueInServerJWKs",
        Level::Failure,
        if dup.is_empty() { Ok(()) } else { Err(format!("duplicate kid(s): {dup:?}")) },
    );
    Ok(())
}
