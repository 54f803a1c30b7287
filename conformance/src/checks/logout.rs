//! The logout conditions (section 7): the post-logout redirect (`CheckPostLogoutState`,
//! `CheckNoPostLogoutState`, `CheckForUnexpectedParametersInPostLogoutRedirect`) and the
//! back-channel logout token (`ValidateLogoutTokenClaims` and its siblings, 7.2).

use serde_json::Value;

use super::Jwt;
use super::authz::param;

const BACKCHANNEL_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
const SKEW: i64 = 5 * 60;
const ONE_DAY: i64 = 24 * 3600;

/// `CheckPostLogoutState`: the state sent to the end-session endpoint comes back exactly.
pub fn post_logout_state(params: &[(String, String)], sent: &str) -> Result<(), String> {
    match param(params, "state") {
        Some(s) if s == sent => Ok(()),
        Some(s) => Err(format!("state '{s}' is not the one sent ('{sent}')")),
        None => Err("no state in the post-logout redirect".into()),
    }
}

/// `CheckNoPostLogoutState`: no state was sent, so none may come back.
pub fn no_post_logout_state(params: &[(String, String)]) -> Result<(), String> {
    match param(params, "state") {
        Some(s) => Err(format!("no state was sent, but '{s}' came back")),
        None => Ok(()),
    }
}

/// `CheckForUnexpectedParametersInPostLogoutRedirect`: only `state` may appear.
pub fn unexpected_post_logout_params(params: &[(String, String)]) -> Result<(), String> {
    let extra: Vec<&str> = params.iter().map(|(k, _)| k.as_str()).filter(|k| *k != "state").collect();
    if extra.is_empty() { Ok(()) } else { Err(format!("unexpected parameters {extra:?} in the post-logout redirect")) }
}

/// `CheckForUnexpectedParametersInBackchannelLogoutRequest`: only `logout_token` in the body.
/// The TLS 1.2 cipher suites BCP 195 (RFC 7525 4.2) recommends, and their ECDSA twins.
const SECURE_TLS12_CIPHERS: &[&str] = &[
    "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
];

/// `EnsureIncomingTls12WithSecureCipherOrTls13`: the OP's request came over TLS 1.3, or TLS 1.2
/// with a cipher suite BCP 195 recommends.
pub fn incoming_tls(tls: Option<&crate::rp::IncomingTls>) -> Result<(), String> {
    match tls {
        None => Err("the request did not come over TLS".into()),
        Some(t) if t.version == "TLSv1_3" => Ok(()),
        Some(t) if t.version == "TLSv1_2" && SECURE_TLS12_CIPHERS.contains(&t.cipher.as_str()) => Ok(()),
        Some(t) => {
            Err(format!("{} with {}: neither TLS 1.3 nor TLS 1.2 with a BCP 195 cipher suite", t.version, t.cipher))
        }
    }
}

pub fn unexpected_backchannel_params(params: &[(String, String)]) -> Result<(), String> {
    let extra: Vec<&str> = params.iter().map(|(k, _)| k.as_str()).filter(|k| *k != "logout_token").collect();
    if extra.is_empty() { Ok(()) } else { Err(format!("unexpected parameters {extra:?} in the back-channel request")) }
}

/// `ValidateLogoutTokenClaims`: iss, aud, iat, jti and events, at `now`.
pub fn logout_token_claims(token: &Jwt, issuer: &str, client_id: &str, now: i64) -> Result<(), String> {
    match token.claim_str("iss") {
        None => return Err("'iss' is missing".into()),
        Some(i) if i != issuer => return Err(format!("iss '{i}' is not the issuer '{issuer}'")),
        Some(_) => {}
    }
    match token.claims.get("aud") {
        None => return Err("'aud' is missing".into()),
        Some(Value::Array(a)) if !a.iter().any(|v| v.as_str() == Some(client_id)) => {
            return Err(format!("aud {a:?} does not contain the client_id '{client_id}'"));
        }
        Some(Value::Array(_)) => {}
        Some(other) if other.as_str() != Some(client_id) => {
            return Err(format!("aud {other} is not the client_id '{client_id}'"));
        }
        Some(_) => {}
    }
    match token.claim_i64("iat") {
        None => return Err("'iat' is missing".into()),
        Some(t) if t > now + SKEW => return Err(format!("iat {t} is in the future (now {now})")),
        Some(t) if t < now - ONE_DAY => return Err(format!("iat {t} is more than a day old (now {now})")),
        Some(_) => {}
    }
    if token.claims.get("jti").and_then(Value::as_str).is_none() {
        return Err("'jti' is missing".into());
    }
    let events = token.claims.get("events").and_then(Value::as_object).ok_or("'events' is not a JSON object")?;
    if events.len() != 1 {
        return Err(format!("'events' has {} members; exactly one is required", events.len()));
    }
    match events.get(BACKCHANNEL_EVENT).and_then(Value::as_object) {
        None => Err(format!("'events' has no object member {BACKCHANNEL_EVENT}")),
        Some(o) if !o.is_empty() => Err(format!("{BACKCHANNEL_EVENT} is not an empty object")),
        Some(_) => Ok(()),
    }
}

/// `CheckIdTokenSubMatchesLogoutToken` / `CheckIdTokenSidMatchesLogoutToken` (when the logout
/// token has the claim): it equals the ID token's.
pub fn same_as_id_token(logout: &Jwt, id_token: &Jwt, claim: &str) -> Result<(), String> {
    match (logout.claims.get(claim), id_token.claims.get(claim)) {
        (Some(a), Some(b)) if a == b => Ok(()),
        (Some(a), Some(b)) => Err(format!("the logout token's {claim} {a} is not the ID token's {b}")),
        (Some(a), None) => Err(format!("the logout token has {claim} {a}, the ID token has none")),
        (None, _) => Ok(()),
    }
}

/// `CheckLogoutTokenNoNonce`.
pub fn no_nonce(logout: &Jwt) -> Result<(), String> {
    if logout.claims.contains_key("nonce") { Err("the logout token contains a nonce".into()) } else { Ok(()) }
}

/// `CheckLogoutTokenHasSubOrSid`.
pub fn has_sub_or_sid(logout: &Jwt) -> Result<(), String> {
    if logout.claims.contains_key("sub") || logout.claims.contains_key("sid") {
        Ok(())
    } else {
        Err("the logout token has neither sub nor sid".into())
    }
}

#[cfg(test)]
mod tests {
    use crate::rp::IncomingTls;

    #[test]
    fn incoming_tls_must_be_1_3_or_1_2_with_a_recommended_cipher() {
        let tls = |version: &str, cipher: &str| IncomingTls { version: version.into(), cipher: cipher.into() };
        assert!(super::incoming_tls(Some(&tls("TLSv1_3", "TLS13_AES_128_GCM_SHA256"))).is_ok());
        assert!(super::incoming_tls(Some(&tls("TLSv1_2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"))).is_ok());
        assert!(super::incoming_tls(Some(&tls("TLSv1_2", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"))).is_err());
        assert!(super::incoming_tls(None).is_err());
    }

    use super::*;
    use serde_json::json;

    fn jwt(claims: Value) -> Jwt {
        Jwt { claims: claims.as_object().cloned().unwrap_or_default(), ..Default::default() }
    }

    fn good(now: i64) -> Value {
        json!({"iss": "https://op", "aud": "c", "iat": now, "jti": "j", "sid": "s",
               "events": {BACKCHANNEL_EVENT: {}}})
    }

    #[test]
    fn logout_token_claims_follow_validate_logout_token_claims() {
        let now = 1_800_000_000;
        let check = |c: Value| logout_token_claims(&jwt(c), "https://op", "c", now);
        assert!(check(good(now)).is_ok());
        let with = |k: &str, v: Value| {
            let mut c = good(now);
            c[k] = v;
            check(c)
        };
        assert!(with("aud", json!(["x", "c"])).is_ok());
        assert!(with("aud", json!("x")).is_err());
        assert!(with("iss", json!("https://op/")).is_err(), "iss is compared exactly");
        assert!(with("iat", json!(now + 301)).is_err(), "future iat");
        assert!(with("iat", json!(now + 299)).is_ok(), "within the skew");
        assert!(with("iat", json!(now - 2 * ONE_DAY)).is_err(), "older than a day");
        assert!(with("events", json!({BACKCHANNEL_EVENT: {"x": 1}})).is_err(), "not empty");
        assert!(with("events", json!({BACKCHANNEL_EVENT: {}, "other": {}})).is_err(), "two members");
        assert!(with("events", json!([BACKCHANNEL_EVENT])).is_err(), "not an object");
        let mut c = good(now);
        c.as_object_mut().map(|o| o.remove("jti"));
        assert!(check(c).is_err(), "jti is required");
    }

    #[test]
    fn sub_sid_and_nonce() {
        let id = jwt(json!({"sub": "u", "sid": "s"}));
        assert!(same_as_id_token(&jwt(json!({"sid": "s"})), &id, "sid").is_ok());
        assert!(same_as_id_token(&jwt(json!({"sid": "t"})), &id, "sid").is_err());
        assert!(same_as_id_token(&jwt(json!({})), &id, "sub").is_ok(), "absent: not checked");
        assert!(has_sub_or_sid(&jwt(json!({"jti": "x"}))).is_err());
        assert!(no_nonce(&jwt(json!({"nonce": "n"}))).is_err());
    }

    #[test]
    fn post_logout_parameters() {
        let p = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
        };
        assert!(post_logout_state(&p(&[("state", "a")]), "a").is_ok());
        assert!(post_logout_state(&p(&[]), "a").is_err());
        assert!(no_post_logout_state(&p(&[("state", "a")])).is_err());
        assert!(unexpected_post_logout_params(&p(&[("state", "a"), ("iss", "x")])).is_err());
        assert!(unexpected_backchannel_params(&p(&[("logout_token", "t")])).is_ok());
    }
}
