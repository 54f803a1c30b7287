//! Userinfo responses (section 1.9): the implicit protected-resource call of every flow and the
//! full validation of the dedicated userinfo, scope and claims modules.

use serde_json::Value;

use super::{Jwt, claims, is_json_content_type, now, str_of};
use crate::http::Reply;
use crate::log::{Level, Step, TestLog};

/// `token_type` must be Bearer or DPoP (anything else aborts).
pub fn check_token_type(log: &mut TestLog, token_type: &str) -> Step {
    let ok = token_type.eq_ignore_ascii_case("bearer") || token_type.eq_ignore_ascii_case("dpop");
    log.require(
        "RunnerCheckTokenTypeIsBearerOrDPoP",
        if ok { Ok(()) } else { Err(format!("token_type '{token_type}'")) },
    )
}

pub fn status_200(log: &mut TestLog, reply: &Reply) {
    log.check(
        "EnsureHttpStatusCodeIs200",
        Level::Failure,
        if reply.status == 200 { Ok(()) } else { Err(reply.summary()) },
    );
}

/// The full checks; `content_type` is false for the scope/claims modules. Returns the claims.
/// Every ID token here counts as a token-endpoint one (code flow); flows with a front-channel ID
/// token use `full_checks_front_back`.
#[allow(dead_code)]
pub fn full_checks(log: &mut TestLog, reply: &Reply, id_tokens: &[&Jwt], content_type: bool) -> Step<Value> {
    let subs: Vec<(&str, &Jwt)> =
        id_tokens.iter().map(|j| ("VerifyUserInfoAndIdTokenInTokenEndpointSameSub", *j)).collect();
    checks(log, reply, &subs, content_type)
}

/// The full checks after a flow with a front-channel ID token (`front`, from the authorization
/// endpoint) and/or a token-endpoint one (`back`): userinfo `sub` must equal each.
pub fn full_checks_front_back(
    log: &mut TestLog,
    reply: &Reply,
    front: Option<&Jwt>,
    back: Option<&Jwt>,
    content_type: bool,
) -> Step<Value> {
    let mut subs = Vec::new();
    if let Some(j) = front {
        subs.push(("VerifyUserInfoAndIdTokenInAuthorizationEndpointSameSub", j));
    }
    if let Some(j) = back {
        subs.push(("VerifyUserInfoAndIdTokenInTokenEndpointSameSub", j));
    }
    checks(log, reply, &subs, content_type)
}

fn checks(log: &mut TestLog, reply: &Reply, id_tokens: &[(&str, &Jwt)], content_type: bool) -> Step<Value> {
    status_200(log, reply);
    if content_type {
        log.check(
            "EnsureContentTypeJson",
            Level::Failure,
            if is_json_content_type(reply.content_type.as_deref()) {
                Ok(())
            } else {
                Err(format!("content type {:?}", reply.content_type))
            },
        );
    }
    let body = log.need("ExtractUserInfoFromUserInfoEndpointResponse", reply.json_object())?;
    let map = body.as_object().cloned().unwrap_or_default();
    log.check("ValidateUserInfoStandardClaims", Level::Failure, claims::validate_standard_claims(&map));
    log.check(
        "EnsureUserInfoContainsSub",
        Level::Failure,
        if str_of(&body, "sub").is_some() { Ok(()) } else { Err("no sub".into()) },
    );
    if let Some(u) = body.get("updated_at") {
        let r = match u.as_i64().or_else(|| u.as_f64().map(|f| f as i64)) {
            Some(t) if t > now() + 300 => Err(format!("updated_at {t} is in the future")),
            Some(t) if t < 631_152_000 => Err(format!("updated_at {t} is before 1990")),
            Some(_) => Ok(()),
            None => Err(format!("updated_at {u} is not a number")),
        };
        log.check("EnsureUserInfoUpdatedAtValid", Level::Failure, r);
    }
    let names = body.get("_claim_names").and_then(Value::as_object);
    let sources = body.get("_claim_sources").and_then(Value::as_object);
    let aggregated = match (names, sources) {
        (None, None) => Ok(()),
        (Some(n), Some(s)) => {
            let referenced: Vec<&str> = n.values().filter_map(Value::as_str).collect();
            match s.keys().find(|k| !referenced.contains(&k.as_str())) {
                Some(k) => Err(format!("_claim_sources member '{k}' is not referenced")),
                None => Ok(()),
            }
        }
        _ => Err("_claim_names and _claim_sources must both be present or both absent".into()),
    };
    log.check("EnsureMemberValuesInClaimNameReferenceToMemberNamesInClaimSources", Level::Failure, aggregated);
    for (condition, jwt) in id_tokens {
        let same = str_of(&body, "sub") == jwt.claim_str("sub");
        log.check(
            condition,
            Level::Failure,
            if same { Ok(()) } else { Err("userinfo sub differs from the ID token sub".into()) },
        );
    }
    Ok(body)
}

/// `VerifyScopesReturnedInUserInfoClaims` (WARNING): every claim of the scope is present.
pub fn scope_claims_present(claims: &Value, scope: &str) -> Result<(), String> {
    let missing: Vec<&str> =
        claims::expected_for_scope(scope).into_iter().filter(|c| claims.get(*c).is_none()).collect();
    if missing.is_empty() { Ok(()) } else { Err(format!("userinfo lacks {missing:?} for scope '{scope}'")) }
}
