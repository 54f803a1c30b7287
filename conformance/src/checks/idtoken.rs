//! The standard ID-token checks (`PerformStandardIdTokenChecks`, section 1.7, with
//! `ValidateEncryptedIdTokenHasKid` for an ID token that came encrypted) with the suite's exact
//! thresholds, the `c_hash`/`at_hash` computation, and the claim comparisons of the
//! prompt/max_age/refresh modules.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use sha2::{Digest, Sha256, Sha384, Sha512};

use super::{Jwt, claims, now};
use crate::log::{Level, TestLog};

const SKEW: i64 = 5 * 60;
const FIFTY_YEARS: i64 = 50 * 365 * 24 * 3600;
const ONE_YEAR: i64 = 365 * 24 * 3600;

/// What an ID token is checked against.
pub struct Expect<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub nonce: Option<&'a str>,
    pub jwks: &'a Value,
    /// The request's `claims` parameter, as sent (for `ValidateIdTokenACRClaimAgainstRequest`).
    pub claims: Option<&'a str>,
}

/// The left half of the hash the header's alg implies, base64url: `c_hash`, `at_hash`, `s_hash`.
pub fn half_hash(alg: &str, value: &str) -> Result<String, String> {
    let digest: Vec<u8> = match alg {
        a if a.ends_with("256") => Sha256::digest(value.as_bytes()).to_vec(),
        a if a.ends_with("384") => Sha384::digest(value.as_bytes()).to_vec(),
        a if a.ends_with("512") || a == "EdDSA" || a == "Ed25519" => Sha512::digest(value.as_bytes()).to_vec(),
        other => return Err(format!("no hash algorithm for alg '{other}'")),
    };
    Ok(URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2]))
}

fn validate_id_token(log: &mut TestLog, jwt: &Jwt, e: &Expect<'_>) {
    let c = &jwt.claims;
    let now = now();
    let iss = match jwt.claim_str("iss") {
        Some(i) if i == e.issuer => Ok(()),
        Some(i) => Err(format!("iss '{i}' is not the issuer '{}'", e.issuer)),
        None => Err("iss is missing".into()),
    };
    let aud = match c.get("aud") {
        Some(Value::String(a)) if a == e.client_id => Ok(()),
        Some(Value::Array(a)) if a.iter().any(|v| v.as_str() == Some(e.client_id)) => Ok(()),
        Some(other) => Err(format!("aud {other} does not contain the client_id '{}'", e.client_id)),
        None => Err("aud is missing".into()),
    };
    let exp = match jwt.claim_i64("exp") {
        None => Err("exp is missing".into()),
        Some(x) if x < now - SKEW => Err(format!("the token expired at {x} (now {now})")),
        Some(x) if x > now + FIFTY_YEARS => Err(format!("exp {x} is more than 50 years ahead (milliseconds?)")),
        Some(_) => Ok(()),
    };
    let iat = match jwt.claim_i64("iat") {
        None => Err("iat is missing".into()),
        Some(x) if x > now + SKEW => Err(format!("iat {x} is in the future (now {now})")),
        Some(x) if x < now - SKEW => Err(format!("iat {x} is more than 5 minutes in the past (now {now})")),
        Some(_) => Ok(()),
    };
    let auth_time = match c.get("auth_time") {
        None => Ok(()),
        Some(v) => match v.as_i64() {
            Some(x) if x < now - ONE_YEAR => Err(format!("auth_time {x} is more than a year ago")),
            Some(x) if x > now + SKEW => Err(format!("auth_time {x} is in the future")),
            Some(_) => Ok(()),
            None => Err(format!("auth_time {v} is not a number")),
        },
    };
    let acr = match c.get("acr") {
        None => Ok(()),
        Some(Value::String(s)) if !s.is_empty() => Ok(()),
        Some(other) => Err(format!("acr {other} is not a non-empty string")),
    };
    for r in [iss, aud, exp, iat, auth_time, acr] {
        log.check("ValidateIdToken", Level::Failure, r);
    }
    if jwt.claim_i64("nbf").is_some_and(|n| n > now) {
        log.info("ValidateIdToken", "nbf is in the future");
    }
}

fn nonce(jwt: &Jwt, sent: Option<&str>) -> Result<(), String> {
    match (sent, jwt.claims.get("nonce")) {
        (Some(s), Some(Value::String(n))) if n == s => Ok(()),
        (Some(s), Some(n)) => Err(format!("nonce {n} is not the one sent ('{s}')")),
        (Some(_), None) => Err("nonce is missing".into()),
        (None, None) => Ok(()),
        (None, Some(n)) => Err(format!("no nonce was sent, but the ID token has nonce {n}")),
    }
}

/// `ValidateIdTokenACRClaimAgainstRequest`: when the request's `claims` asked for
/// `id_token.acr` with `value` or `values`, the ID token's `acr` must be one of them (OIDC Core
/// 5.5.1.1); nothing to check otherwise.
fn acr_against_request(jwt: &Jwt, claims: Option<&str>) -> Result<(), String> {
    let requested: Option<Value> = claims.and_then(|c| serde_json::from_str::<Value>(c).ok());
    let acr = requested.as_ref().and_then(|r| r.pointer("/id_token/acr"));
    let wanted: Vec<&str> = match acr {
        Some(a) => match (a.get("values").and_then(Value::as_array), a.get("value").and_then(Value::as_str)) {
            (Some(values), _) => values.iter().filter_map(Value::as_str).collect(),
            (None, Some(value)) => vec![value],
            (None, None) => return Ok(()),
        },
        None => return Ok(()),
    };
    match jwt.claim_str("acr") {
        None => Err(format!("acr {wanted:?} was requested in the claims parameter, but the ID token has no acr")),
        Some(a) if wanted.contains(&a) => Ok(()),
        Some(a) => Err(format!("acr '{a}' is not (one of) the requested {wanted:?}")),
    }
}

fn subject(jwt: &Jwt) -> Result<(), String> {
    match jwt.claim_str("sub") {
        None => Err("sub is missing or not a string".into()),
        Some("") => Err("sub is empty".into()),
        Some(s) if s.len() > 255 => Err("sub is longer than 255 characters".into()),
        Some(s) if !s.chars().all(|c| ('\u{20}'..='\u{7E}').contains(&c)) => Err("sub is not printable ASCII".into()),
        Some(_) => Ok(()),
    }
}

/// `PerformStandardIdTokenChecks`.
pub fn standard_checks(log: &mut TestLog, jwt: &Jwt, e: &Expect<'_>) {
    validate_id_token(log, jwt, e);
    log.check("ValidateIdTokenNonce", Level::Failure, nonce(jwt, e.nonce));
    log.check("ValidateIdTokenACRClaimAgainstRequest", Level::Failure, acr_against_request(jwt, e.claims));
    log.check("CheckForSubjectInIdToken", Level::Failure, subject(jwt));
    let mut identity = jwt.claims.clone();
    for p in claims::ID_TOKEN_PROTOCOL_CLAIMS {
        identity.remove(*p);
    }
    log.check("ValidateIdTokenStandardClaims", Level::Failure, claims::validate_standard_claims(&identity));
    log.check("ValidateIdTokenSignature", Level::Failure, super::signature::verify_jws(jwt, e.jwks));
    // Skipped (INFO) for a token that did not come encrypted, as the suite's skipIfElementMissing.
    match &jwt.jwe_header {
        Some(header) => {
            log.check("ValidateEncryptedIdTokenHasKid", Level::Failure, super::jwe::has_kid(header));
        }
        None => log.info("ValidateEncryptedIdTokenHasKid", "skipped: the ID token is not encrypted (no jwe_header)"),
    }
}

/// `ValidateCHash` / `ValidateAtHash` / `ValidateSHash`: `required` makes absence a FAILURE.
pub fn check_hash(log: &mut TestLog, jwt: &Jwt, claim: &str, value: &str, required: bool) {
    let condition = match claim {
        "c_hash" => "ValidateCHash",
        "at_hash" => "ValidateAtHash",
        _ => "ValidateSHash",
    };
    match jwt.claim_str(claim) {
        None if required => {
            log.check(condition, Level::Failure, Err(format!("{claim} is required in this ID token")));
        }
        None => log.info(condition, format!("no {claim} in the ID token")),
        Some(h) => {
            let result = half_hash(jwt.alg(), value).and_then(|expected| {
                if expected == h { Ok(()) } else { Err(format!("{claim} '{h}' is not the expected '{expected}'")) }
            });
            log.check(condition, Level::Failure, result);
        }
    }
}

/// `EnsureIdTokenDoesNotContainNonRequestedClaims` (WARNING).
pub fn only_requested_claims(jwt: &Jwt, scope: &str) -> Result<(), String> {
    const ALLOWED: &[&str] = &[
        "iss",
        "sub",
        "aud",
        "exp",
        "iat",
        "auth_time",
        "nonce",
        "acr",
        "amr",
        "azp",
        "at_hash",
        "c_hash",
        "nbf",
        "jti",
        "sid",
        "s_hash",
        "openbanking_intent_id",
        "txn",
    ];
    let by_scope = claims::expected_for_scope(scope);
    let extra: Vec<&String> =
        jwt.claims.keys().filter(|k| !ALLOWED.contains(&k.as_str()) && !by_scope.contains(&k.as_str())).collect();
    if extra.is_empty() {
        Ok(())
    } else {
        Err(format!("the ID token contains claims that were not requested: {extra:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_hash_is_the_left_half_of_the_algs_hash() {
        // Left half of SHA-256, base64url (value computed independently with Python's hashlib).
        let at = "jHkWEdUXMU1BwAsC4vtUsZwnRvaw5L4mOs5u1eMFWQ5Ttvrs7dd3fzS7YcvHEthtQcl2rg5yewg";
        assert_eq!(half_hash("RS256", at).unwrap(), "lMaYai8I5UAYTdNu2k8w_g");
        assert_eq!(half_hash("ES384", "x").unwrap().len(), 32);
        assert_eq!(half_hash("EdDSA", "x").unwrap().len(), 43);
        assert!(half_hash("none", "x").is_err());
    }

    #[test]
    fn nonce_rules() {
        let jwt = |c: Value| Jwt { claims: c.as_object().unwrap().clone(), ..Default::default() };
        assert!(nonce(&jwt(serde_json::json!({"nonce": "n"})), Some("n")).is_ok());
        assert!(nonce(&jwt(serde_json::json!({"nonce": "m"})), Some("n")).is_err());
        assert!(nonce(&jwt(serde_json::json!({})), None).is_ok());
        assert!(nonce(&jwt(serde_json::json!({"nonce": "n"})), None).is_err());
    }

    #[test]
    fn acr_must_be_one_of_the_values_the_claims_parameter_asked_for() {
        let jwt = |c: Value| Jwt { claims: c.as_object().unwrap().clone(), ..Default::default() };
        let asked = r#"{"id_token": {"acr": {"essential": true, "values": ["loa2", "loa3"]}}}"#;
        assert!(acr_against_request(&jwt(serde_json::json!({"acr": "loa3"})), Some(asked)).is_ok());
        assert!(acr_against_request(&jwt(serde_json::json!({"acr": "loa1"})), Some(asked)).is_err());
        assert!(acr_against_request(&jwt(serde_json::json!({})), Some(asked)).is_err());
        let one = r#"{"id_token": {"acr": {"value": "loa2"}}}"#;
        assert!(acr_against_request(&jwt(serde_json::json!({"acr": "loa2"})), Some(one)).is_ok());
        // Nothing asked: nothing to check.
        assert!(acr_against_request(&jwt(serde_json::json!({"acr": "x"})), None).is_ok());
        assert!(acr_against_request(&jwt(serde_json::json!({})), Some(r#"{"userinfo": {"name": null}}"#)).is_ok());
    }

    fn failures(claims: Value) -> Vec<String> {
        let jwt = Jwt { claims: claims.as_object().unwrap().clone(), ..Default::default() };
        let jwks = serde_json::json!({"keys": []});
        let mut log = TestLog::default();
        validate_id_token(
            &mut log,
            &jwt,
            &Expect { issuer: "https://op", client_id: "c", nonce: None, jwks: &jwks, claims: None },
        );
        log.entries.into_iter().filter(|e| !e.ok).map(|e| e.message).collect()
    }

    #[test]
    fn validate_id_token_thresholds() {
        let now = now();
        let base = |iat: i64, exp: i64| serde_json::json!({"iss": "https://op", "aud": "c", "iat": iat, "exp": exp});
        assert!(failures(base(now - 240, now + 60)).is_empty());
        assert_eq!(failures(base(now - 360, now + 60)).len(), 1, "iat more than 5 minutes old");
        assert_eq!(failures(base(now + 360, now + 600)).len(), 1, "iat in the future");
        assert_eq!(failures(base(now, now - 240)).len(), 0, "expired within the skew");
        assert_eq!(failures(base(now, now - 360)).len(), 1, "expired");
        assert_eq!(failures(base(now, now + 51 * 365 * 86400)).len(), 1, "exp in milliseconds");
        let mut c = base(now, now + 60);
        c["aud"] = serde_json::json!(["x", "c"]);
        assert!(failures(c.clone()).is_empty());
        c["aud"] = serde_json::json!("x");
        assert_eq!(failures(c.clone()).len(), 1);
        c["aud"] = serde_json::json!("c");
        c["iss"] = serde_json::json!("https://op/");
        assert_eq!(failures(c.clone()).len(), 1, "iss is compared exactly");
        c["iss"] = serde_json::json!("https://op");
        c["auth_time"] = serde_json::json!(now - 366 * 86400);
        assert_eq!(failures(c.clone()).len(), 1, "auth_time older than a year");
        c["auth_time"] = serde_json::json!(now);
        c["acr"] = serde_json::json!("");
        assert_eq!(failures(c).len(), 1, "empty acr");
    }

    #[test]
    fn an_encrypted_id_token_must_name_its_key() {
        let kid_check = |jwe_header: Option<Value>| {
            let jwt = Jwt { jwe_header: jwe_header.and_then(|h| h.as_object().cloned()), ..Default::default() };
            let jwks = serde_json::json!({"keys": []});
            let mut log = TestLog::default();
            let expect = Expect { issuer: "https://op", client_id: "c", nonce: None, jwks: &jwks, claims: None };
            standard_checks(&mut log, &jwt, &expect);
            let entry = log.entries.into_iter().find(|e| e.condition == "ValidateEncryptedIdTokenHasKid").unwrap();
            (entry.level, entry.ok)
        };
        let header = |h: Value| Some(h);
        assert_eq!(kid_check(header(serde_json::json!({"alg": "RSA-OAEP-256", "kid": "k"}))), (Level::Failure, true));
        assert_eq!(kid_check(header(serde_json::json!({"alg": "RSA-OAEP-256"}))), (Level::Failure, false));
        assert_eq!(kid_check(header(serde_json::json!({"alg": "ECDH-ES", "kid": ""}))), (Level::Failure, false));
        assert_eq!(kid_check(header(serde_json::json!({"alg": "dir"}))), (Level::Failure, true));
        // Not encrypted: skipped, as the suite's skipIfElementMissing (INFO).
        assert_eq!(kid_check(None), (Level::Info, true));
    }
}
