//! Token endpoint responses: the happy-flow checks of 1.6, the error checks of the code-reuse
//! and foreign-refresh-token modules, and the refresh-response checks of `oidcc-refresh-token`.

use serde_json::Value;

use super::{Jwt, entropy, is_json_content_type, str_of};
use crate::http::Reply;
use crate::log::{Level, Step, TestLog};

/// `ValidateExpiresIn`: a JSON number in 1..=31 536 000.
fn expires_in(v: &Value) -> Result<(), String> {
    match v.as_f64() {
        Some(n) if v.is_number() && n > 0.0 && n <= 31_536_000.0 => Ok(()),
        _ => Err(format!("expires_in {v} is not a number in 1..31536000")),
    }
}

/// 1.6 up to the ID token: returns the response body and the ID token (decrypted with the
/// client's private `keys` when the OP encrypted it).
pub fn happy_token_response(
    log: &mut TestLog,
    reply: &Reply,
    warn_missing_expires_in: bool,
    keys: Option<&Value>,
) -> Step<(Value, Jwt)> {
    log.require("CheckTokenEndpointHttpStatus200", if reply.status == 200 { Ok(()) } else { Err(reply.summary()) })?;
    let body = log.need("RunnerValidateTokenEndpointResponseIsJsonObject", reply.json_object())?;
    let error = str_of(&body, "error").map(|e| format!("the token endpoint returned error '{e}'"));
    log.require("CheckIfTokenEndpointResponseError", error.map_or(Ok(()), Err))?;
    let present = |k: &str| str_of(&body, k).is_some_and(|v| !v.is_empty());
    log.require(
        "CheckForAccessTokenValue",
        if present("access_token") && present("token_type") {
            Ok(())
        } else {
            Err("access_token or token_type missing".into())
        },
    )?;
    match body.get("expires_in") {
        Some(v) => {
            log.check("ValidateExpiresIn", Level::Failure, expires_in(v));
        }
        None if warn_missing_expires_in => {
            log.check(
                "ExtractExpiresInFromTokenEndpointResponse",
                Level::Warning,
                Err("no expires_in in the token response".into()),
            );
        }
        None => {}
    }
    if body.get("refresh_token").is_some() {
        log.info("ExtractRefreshTokenFromTokenResponse", "a refresh_token was issued");
    }
    let raw = str_of(&body, "id_token").ok_or_else(|| "no id_token in the token response".to_string());
    let jwt = log.need("ExtractIdTokenFromTokenResponse", raw.and_then(|r| Jwt::parse_for_client(r, keys)))?;
    Ok((body, jwt))
}

/// A token request that must fail: 400, JSON, the expected `error`, charsets. Returns the error.
pub fn error_response(log: &mut TestLog, reply: &Reply, expected_error: &str) -> Step<()> {
    log.check(
        "CheckTokenEndpointHttpStatus400",
        Level::Failure,
        if reply.status == 400 { Ok(()) } else { Err(reply.summary()) },
    );
    log.check(
        "CheckTokenEndpointReturnedJsonContentType",
        Level::Failure,
        if is_json_content_type(reply.content_type.as_deref()) {
            Ok(())
        } else {
            Err(format!("content type {:?}", reply.content_type))
        },
    );
    let body = reply.json().unwrap_or(Value::Null);
    let error = str_of(&body, "error");
    log.require(
        "ValidateErrorFromTokenEndpointResponseError",
        error.map(|_| ()).ok_or_else(|| format!("no error in {}", reply.summary())),
    )?;
    log.check(
        match expected_error {
            "invalid_grant" => "CheckErrorFromTokenEndpointResponseErrorInvalidGrant",
            "invalid_client" => "CheckErrorFromTokenEndpointResponseErrorInvalidClient",
            _ => "RunnerCheckErrorFromTokenEndpointResponse",
        },
        Level::Failure,
        if error == Some(expected_error) {
            Ok(())
        } else {
            Err(format!("error is {error:?}, expected '{expected_error}'"))
        },
    );
    super::authz::error_field_charsets(
        log,
        error,
        str_of(&body, "error_description"),
        str_of(&body, "error_uri"),
        "TokenEndpointResponse",
    );
    Ok(())
}

/// The refresh response of `oidcc-refresh-token` (section 3, item 37, step 3). Returns the body.
pub fn refresh_response(log: &mut TestLog, reply: &Reply, original: &Jwt, keys: Option<&Value>) -> Step<Value> {
    log.check(
        "CheckTokenEndpointHttpStatus200",
        Level::Failure,
        if reply.status == 200 { Ok(()) } else { Err(reply.summary()) },
    );
    log.check(
        "CheckTokenEndpointReturnedJsonContentType",
        Level::Failure,
        if is_json_content_type(reply.content_type.as_deref()) {
            Ok(())
        } else {
            Err(format!("content type {:?}", reply.content_type))
        },
    );
    let cc = reply.cache_control.clone().unwrap_or_default();
    log.check(
        "CheckTokenEndpointCacheHeaders",
        Level::Failure,
        if cc.to_ascii_lowercase().contains("no-store") { Ok(()) } else { Err(format!("Cache-Control is '{cc}'")) },
    );
    let body = reply.json().unwrap_or(Value::Null);
    let error = str_of(&body, "error").map(|e| format!("the token endpoint returned error '{e}'"));
    log.require("CheckIfTokenEndpointResponseError", error.map_or(Ok(()), Err))?;
    let at = str_of(&body, "access_token").filter(|s| !s.is_empty());
    log.require(
        "CheckForAccessTokenValue",
        if at.is_some() && str_of(&body, "token_type").is_some() {
            Ok(())
        } else {
            Err("access_token or token_type missing".into())
        },
    )?;
    let at = at.unwrap_or_default();
    log.check(
        "CheckTokenTypeIsBearer",
        Level::Failure,
        if str_of(&body, "token_type").is_some_and(|t| t.eq_ignore_ascii_case("bearer")) {
            Ok(())
        } else {
            Err(format!("token_type is {:?}", body.get("token_type")))
        },
    );
    log.check("EnsureMinimumAccessTokenEntropy", Level::Failure, entropy::ensure_entropy("access_token", at));
    log.check("EnsureAccessTokenContainsAllowedCharactersOnly", Level::Failure, entropy::vschar("access_token", at));
    match body.get("expires_in") {
        Some(v) => log.check("ValidateExpiresIn", Level::Failure, expires_in(v)),
        None => log.check("ExtractExpiresInFromTokenEndpointResponse", Level::Warning, Err("no expires_in".into())),
    };
    if let Some(rt) = str_of(&body, "refresh_token") {
        log.check("EnsureMinimumRefreshTokenLength", Level::Failure, entropy::ensure_length("refresh_token", rt));
        log.check("EnsureMinimumRefreshTokenEntropy", Level::Failure, entropy::ensure_entropy("refresh_token", rt));
    }
    if let Some(raw) = str_of(&body, "id_token") {
        match Jwt::parse_for_client(raw, keys) {
            Ok(new) => log.check("CompareIdTokenClaims", Level::Failure, compare_refreshed(original, &new)),
            Err(e) => log.check("CompareIdTokenClaims", Level::Failure, Err(e)),
        };
    }
    Ok(body)
}

/// OIDCC 12.2: the refreshed ID token against the original.
pub fn compare_refreshed(old: &Jwt, new: &Jwt) -> Result<(), String> {
    let mut errors = Vec::new();
    for claim in ["iss", "sub"] {
        if old.claims.get(claim) != new.claims.get(claim) {
            errors.push(format!("{claim} differs"));
        }
    }
    if old.claims.get("iat") == new.claims.get("iat") {
        errors.push("iat is the same as in the original ID token".into());
    }
    let aud_set = |j: &Jwt| -> Vec<String> {
        let mut v: Vec<String> = match j.claims.get("aud") {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(a)) => a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect(),
            _ => vec![],
        };
        v.sort();
        v
    };
    if aud_set(old) != aud_set(new) {
        errors.push("aud differs".into());
    }
    if new.claims.get("auth_time").is_some() && old.claims.get("auth_time") != new.claims.get("auth_time") {
        errors.push("auth_time differs".into());
    }
    if old.claims.get("azp") != new.claims.get("azp") {
        errors.push("azp differs (or appeared)".into());
    }
    if errors.is_empty() { Ok(()) } else { Err(errors.join("; ")) }
}
