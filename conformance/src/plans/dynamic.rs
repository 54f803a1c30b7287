//! `oidcc-dynamic-certification-test-plan` (section 6, `OIDCCDynamicTestPlan`): every module
//! registers its own client at the OP's `registration_endpoint` (private_key_jwt with a fresh
//! RS256 key; the variant is the response type) and deletes it at the end. The module list is the
//! suite's, in its order; the Basic modules it includes run with the registered client. The
//! registration and redirect-URI modules are here, the request_uri / userinfo / ID-token ones in
//! `dynamic_more`.

use serde_json::{Value, json};

use super::flow::{self, AuthRequest, HfOptions, LOG_IN, Send};
use super::registration::{self, Registration};
use super::{Ctx, Module, ModuleFuture, Shape, basic, basic_more, config, dynamic_more as more, refresh};
use crate::log::{Level, Step, TestLog};

pub const VARIANTS: &[&str] =
    &["code", "id_token", "id_token token", "code id_token", "code token", "code id_token token"];

/// The variant is the response type; client authentication is always private_key_jwt.
pub fn shape(variant: &str) -> Shape {
    let response_type = VARIANTS.iter().copied().find(|v| *v == variant).unwrap_or("code");
    Shape { client_auth: "private_key_jwt", response_type, form_post: false }
}

/// A module of this plan: `ctx.dynamic` on, and every registered client deleted at the end.
macro_rules! dynamic {
    ($name:expr, $f:path) => {{
        fn run<'a>(c: &'a mut Ctx, l: &'a mut TestLog) -> ModuleFuture<'a> {
            Box::pin(async move {
                c.dynamic = true;
                let step = $f(&mut *c, &mut *l).await;
                registration::unregister_all(c, l).await;
                step
            })
        }
        Module { name: $name, run }
    }};
}

pub fn modules(variant: &str) -> Vec<Module> {
    let mut list = vec![dynamic!("oidcc-idtoken-rs256", idtoken_rs256)];
    // The suite's OIDCCIdTokenUnsigned is not applicable where an ID token comes from the
    // authorization endpoint: it runs with `code` and `code token` only.
    if variant == "code" || variant == "code token" {
        list.push(dynamic!("oidcc-idtoken-unsigned", more::idtoken_unsigned));
    }
    let code = variant.split(' ').any(|p| p == "code");
    list.extend([
        dynamic!("oidcc-userinfo-rs256", more::userinfo_rs256),
        dynamic!("oidcc-ensure-redirect-uri-in-authorization-request", redirect_uri_missing),
        dynamic!("oidcc-redirect-uri-query-OK", redirect_uri_query_ok),
        dynamic!("oidcc-redirect-uri-query-mismatch", redirect_uri_query_mismatch),
        dynamic!("oidcc-redirect-uri-query-added", redirect_uri_query_added),
        dynamic!("oidcc-redirect-uri-regfrag", redirect_uri_regfrag),
        dynamic!("oidcc-discovery-endpoint-verification", discovery),
        dynamic!("oidcc-server", basic::server),
        dynamic!("oidcc-registration-logo-uri", logo_uri),
        dynamic!("oidcc-registration-policy-uri", policy_uri),
        dynamic!("oidcc-registration-tos-uri", tos_uri),
        dynamic!("oidcc-registration-jwks-uri", jwks_uri),
        dynamic!("oidcc-registration-sector-uri", sector_uri),
        dynamic!("oidcc-registration-sector-bad", sector_bad),
        dynamic!("oidcc-server-rotate-keys", rotate_keys),
    ]);
    // OIDCCRefreshTokenRPKeyRotation is not applicable to `id_token` and `id_token token` (no
    // token endpoint, so no refresh token).
    if code {
        list.push(dynamic!("oidcc-refresh-token-rp-key-rotation", rp_key_rotation));
    }
    list.extend([
        dynamic!("oidcc-request-uri-unsigned", more::request_uri_unsigned),
        dynamic!("oidcc-request-uri-signed-rs256", more::request_uri_signed_rs256),
        dynamic!("oidcc-ensure-request-object-with-redirect-uri", basic_more::request_object_with_redirect_uri),
    ]);
    if code {
        list.push(dynamic!("oidcc-refresh-token", refresh::refresh_token));
    }
    // Every response type, as in the suite (without a code it is the authorization flow only).
    list.push(dynamic!("oidcc-ensure-client-assertion-with-iss-aud-succeeds", more::client_assertion_iss_aud));
    list
}

async fn discovery(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    config::verify_discovery(ctx, log, true).await
}

/// `oidcc-idtoken-rs256`: registers `id_token_signed_response_alg=RS256`; every ID token must
/// name its `kid` and be RS256.
async fn idtoken_rs256(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    registration::setup_changed(ctx, log, |r| r.set("id_token_signed_response_alg", json!("RS256"))).await?;
    let req = AuthRequest::new(ctx, "openid");
    let hf = flow::happy_flow(ctx, log, &req, HfOptions::default()).await?;
    for jwt in hf.front_id_token.iter().chain(std::iter::once(&hf.id_token)) {
        let kid = jwt.header.get("kid").and_then(Value::as_str).is_some_and(|k| !k.is_empty());
        log.check(
            "EnsureIdTokenContainsKid",
            Level::Failure,
            if kid { Ok(()) } else { Err("the ID token header has no kid".into()) },
        );
        log.check(
            "EnsureIdTokenSignatureIsRS256",
            Level::Failure,
            if jwt.alg() == "RS256" { Ok(()) } else { Err(format!("alg {} is not the registered RS256", jwt.alg())) },
        );
    }
    Ok(())
}

/// The modules whose placeholder is an error page: a redirect back is a failure.
async fn expect_error_page(ctx: &mut Ctx, log: &mut TestLog, req: &AuthRequest, condition: &str) -> Step {
    let landing = flow::authorize(ctx, log, req, LOG_IN).await?;
    if let Some((_, _, path)) =
        flow::page_or_redirect(log, landing, flow::response_mode(ctx, req), flow::PageExpected::Error)
    {
        log.check(
            condition,
            Level::Failure,
            Err(format!("the OP redirected to {path} instead of showing an error page about the redirect_uri")),
        );
    }
    Ok(())
}

/// Two registered redirect URIs and none in the request: the OP cannot choose; error page.
async fn redirect_uri_missing(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    let callback = ctx.config.redirect_uri();
    let uris = json!([callback, format!("{callback}/second")]);
    registration::setup_changed(ctx, log, |r| r.set("redirect_uris", uris)).await?;
    let mut req = AuthRequest::new(ctx, "openid");
    req.remove("redirect_uri");
    expect_error_page(ctx, log, &req, "ExpectRedirectUriMissingErrorPage").await
}

const REGISTERED_QUERY: &str = "dummy1=lorem&dummy2=ipsum";

async fn redirect_uri_query_ok(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    let uri = format!("{}?{REGISTERED_QUERY}", ctx.config.redirect_uri());
    registration::setup_changed(ctx, log, |r| r.set("redirect_uris", json!([uri.clone()]))).await?;
    let mut req = AuthRequest::new(ctx, "openid");
    req.set("redirect_uri", &uri);
    // `authorize` checks that the registered query comes back in the redirect's URL query
    // (CheckMatchingCallbackParameters), whatever the response mode.
    let landing = flow::authorize(ctx, log, &req, LOG_IN).await?;
    let (params, _) = flow::expect_redirect(log, landing, flow::response_mode(ctx, &req))?;
    flow::complete(ctx, log, &req, &params, HfOptions::default()).await.map(|_| ())
}

async fn redirect_uri_query_mismatch(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    let callback = ctx.config.redirect_uri();
    let registered = format!("{callback}?{REGISTERED_QUERY}");
    registration::setup_changed(ctx, log, |r| r.set("redirect_uris", json!([registered]))).await?;
    let mut req = AuthRequest::new(ctx, "openid");
    req.set("redirect_uri", &format!("{callback}?dummy1=lorem&dummy2=dolor"));
    expect_error_page(ctx, log, &req, "ExpectRedirectUriErrorPage").await
}

async fn redirect_uri_query_added(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    flow::setup(ctx, log).await?;
    let mut req = AuthRequest::new(ctx, "openid");
    req.set("redirect_uri", &format!("{}?{REGISTERED_QUERY}", ctx.config.redirect_uri()));
    expect_error_page(ctx, log, &req, "ExpectRedirectUriErrorPage").await
}

/// A redirect URI with a fragment must be refused at registration.
async fn redirect_uri_regfrag(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    flow::setup_server(ctx, log).await?;
    let uri = format!("{}#fragment", ctx.config.redirect_uri());
    let reg = new_registration(ctx, log)?.set("redirect_uris", json!([uri]));
    registration::register_expecting_error(ctx, log, reg, &["invalid_redirect_uri", "invalid_client_metadata"]).await
}

fn new_registration(ctx: &Ctx, log: &mut TestLog) -> Step<Registration> {
    let reg = Registration::new(ctx);
    log.need("GenerateRS256ClientJWKs", reg)
}

/// logo/policy/tos: registered, then the OP's login or consent page must show it: for
/// `logo_uri` an image with that source, for `policy_uri`/`tos_uri` a link to it. The suite's
/// placeholder (`ExpectLoginPageWithLogo` and its policy/tos siblings) asks a person to look at
/// the login page; Dynamic Client Registration 1.0 section 2 has the OP show them to the person
/// "during approval", which may be its consent page (node-oidc-provider shows the logo there).
/// The runner checks the images and links of both pages and keeps their screenshots as evidence.
async fn registration_uri(ctx: &mut Ctx, log: &mut TestLog, member: &str, path: &str) -> Step {
    let uri = format!("{}/{path}", ctx.config.rp_base_url);
    registration::setup_changed(ctx, log, |r| r.set(member, json!(uri))).await?;
    let req = AuthRequest::new(ctx, "openid");
    let send = Send { screenshot_login: true, screenshot_consent: true, ..LOG_IN };
    let before = log.evidence.len();
    flow::happy_flow(ctx, log, &req, HfOptions { send, ..HfOptions::default() }).await?;
    let result = if log.evidence.len() == before {
        Err(format!("no login or consent page was shown, so there is no page that shows the {member}"))
    } else if ctx.login_page_urls.contains(&uri) || ctx.consent_page_urls.contains(&uri) {
        Ok(())
    } else {
        let what = if member == "logo_uri" { "an image" } else { "a link" };
        Err(format!("neither the login page nor the consent page has {what} to the registered {member} {uri}"))
    };
    log.check("RunnerCheckLoginPageShowsClientInformation", Level::Failure, result);
    Ok(())
}

async fn logo_uri(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    registration_uri(ctx, log, "logo_uri", "logo.png").await
}
async fn policy_uri(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    registration_uri(ctx, log, "policy_uri", "policy.html").await
}
async fn tos_uri(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    registration_uri(ctx, log, "tos_uri", "tos.html").await
}

/// The public key served at the RP's `jwks_uri` instead of registered by value; HF.
async fn jwks_uri(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    let reg = new_registration(ctx, log)?.jwks_by_uri(ctx);
    registration::setup_with(ctx, log, reg).await?;
    let req = AuthRequest::new(ctx, "openid");
    flow::happy_flow(ctx, log, &req, HfOptions::default()).await.map(|_| ())
}

fn skip_unless_pairwise(ctx: &Ctx, log: &mut TestLog) -> Step {
    let types = ctx.discovery.get("subject_types_supported").and_then(Value::as_array);
    if types.is_some_and(|t| t.iter().any(|v| v.as_str() == Some("pairwise"))) {
        Ok(())
    } else {
        Err(log.skip("subject_types_supported does not contain pairwise"))
    }
}

fn sector_registration(ctx: &Ctx, log: &mut TestLog, hosted: Vec<String>) -> Step<Registration> {
    ctx.rp.host_redirect_uris(hosted);
    let sector = format!("{}/redirect_uris.json", ctx.config.rp_base_url);
    Ok(new_registration(ctx, log)?.set("subject_type", json!("pairwise")).set("sector_identifier_uri", json!(sector)))
}

/// pairwise with a sector document listing the redirect URI: registration succeeds; HF.
async fn sector_uri(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    flow::setup_server(ctx, log).await?;
    skip_unless_pairwise(ctx, log)?;
    let reg = sector_registration(ctx, log, vec![ctx.config.redirect_uri()])?;
    ctx.client = registration::register(ctx, log, reg).await?;
    let req = AuthRequest::new(ctx, "openid");
    flow::happy_flow(ctx, log, &req, HfOptions::default()).await.map(|_| ())
}

/// The sector document does not list the redirect URI: registration must be refused.
async fn sector_bad(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    flow::setup_server(ctx, log).await?;
    skip_unless_pairwise(ctx, log)?;
    let hosted = vec![format!("{}/not-the-callback", ctx.config.rp_base_url)];
    let reg = sector_registration(ctx, log, hosted)?;
    registration::register_expecting_error(ctx, log, reg, &["invalid_client_metadata"]).await
}

/// `oidcc-server-rotate-keys` (`OIDCCServerRotateKeys`): the OP's JWKS before and after a
/// rotation of its signing keys must have a new signing key with a new `kid` (FAILURE) and should
/// still have the old one (WARNING). The suite asks a person to rotate the keys
/// (`TellUserToRotateOpKeys`); the runner runs the run configuration's `rotate_keys_command`
/// instead, then reads the JWKS again until its signing keys change (at most `timeout_seconds`,
/// as a person would wait for the rotation to take effect). Without a command: SKIPPED.
async fn rotate_keys(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    let Some(command) = ctx.config.rotate_keys_command.clone() else {
        return Err(log.skip(
            "the suite waits for a person to rotate the OP's signing keys; the run configuration has no \
             rotate_keys_command to do it",
        ));
    };
    flow::setup_server(ctx, log).await?;
    let original = ctx.jwks.clone();
    let ran = tokio::process::Command::new("sh").arg("-c").arg(&command).output().await;
    let ran = match ran {
        Ok(out) if out.status.success() => Ok(format!("`{command}` ran")),
        Ok(out) => {
            Err(format!("`{command}` exited with {}: {}", out.status, String::from_utf8_lossy(&out.stderr).trim()))
        }
        Err(e) => Err(format!("`{command}`: {e}")),
    };
    let ran = log.need("RunnerRotateOpKeys", ran)?;
    log.info("RunnerRotateOpKeys", ran);
    let jwks_uri = ctx.endpoint("jwks_uri");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(ctx.config.browser.timeout_seconds);
    let latest = loop {
        let keys = crate::http::send(ctx.http.get(&jwks_uri)).await.and_then(|r| r.json_object());
        let keys = log.need("FetchServerKeys", keys)?;
        if signing_keys(&keys) != signing_keys(&original) || std::time::Instant::now() >= deadline {
            break keys;
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    };
    crate::checks::jwks::flow_jwks_checks(log, &latest)?;
    log.check("VerifyNewJwksHasNewSigningKey", Level::Failure, new_signing_key(&original, &latest));
    log.check("VerifyNewJwksStillHasOldSigningKey", Level::Warning, old_signing_key_kept(&original, &latest));
    Ok(())
}

/// The signing keys of a JWKS (`use` absent or `sig`), reduced to `kid` and the public
/// parameters that identify the key (`AbstractCompareJwks`, `JWK.getRequiredParams`).
fn signing_keys(jwks: &Value) -> Vec<Value> {
    let mut keys: Vec<Value> = jwks
        .get("keys")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|k| k.get("use").and_then(Value::as_str).is_none_or(|u| u == "sig"))
        .map(|k| {
            let mut reduced = serde_json::Map::new();
            for name in ["kid", "kty", "crv", "n", "e", "x", "y"] {
                if let Some(v) = k.get(name) {
                    reduced.insert(name.into(), v.clone());
                }
            }
            Value::Object(reduced)
        })
        .collect();
    keys.sort_by_key(|k| k.to_string());
    keys
}

/// `VerifyNewJwksHasNewSigningKey`: a signing key only in the new JWKS, whose `kid` and modulus
/// (RSA `n`, EC/OKP `x`) are in no original signing key.
fn new_signing_key(original: &Value, latest: &Value) -> Result<(), String> {
    let (before, after) = (signing_keys(original), signing_keys(latest));
    let new: Vec<&Value> = after.iter().filter(|k| !before.contains(k)).collect();
    if new.is_empty() {
        return Err(format!("no new signing key: before {before:?}, after {after:?}"));
    }
    for key in new {
        let kid = key.get("kid");
        if kid.is_some() && before.iter().any(|k| k.get("kid") == kid) {
            return Err(format!("a new key reuses the kid {kid:?} of an original key"));
        }
        let field = if key.get("kty").and_then(Value::as_str) == Some("RSA") { "n" } else { "x" };
        if key.get(field).is_some_and(|v| before.iter().any(|k| k.get(field) == Some(v))) {
            return Err(format!("a new key (kid {kid:?}) has the same {field} as an original key"));
        }
    }
    Ok(())
}

/// `VerifyNewJwksStillHasOldSigningKey`: some original signing key is still published.
fn old_signing_key_kept(original: &Value, latest: &Value) -> Result<(), String> {
    let after = signing_keys(latest);
    if signing_keys(original).iter().any(|k| after.contains(k)) {
        Ok(())
    } else {
        Err("none of the original signing keys is still in the JWKS (OIDC Core 10.1.1: it SHOULD retain \
             recently decommissioned signing keys)"
            .into())
    }
}

/// `oidcc-refresh-token-rp-key-rotation`: a client with its key at the RP's `jwks_uri` gets a
/// refresh token (offline_access with prompt=consent when advertised), the RP replaces the key at
/// its `jwks_uri` with a new one (new `kid`), waits `jwks_refresh_delay` for the OP's cache, and
/// refreshes with an assertion signed by the new key: the refresh must succeed (the checks of
/// `oidcc-refresh-token`), and userinfo with the new access token must answer 200.
async fn rp_key_rotation(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    let reg = new_registration(ctx, log)?.jwks_by_uri(ctx).add_grant("refresh_token");
    registration::setup_with(ctx, log, reg).await?;
    let offline = ctx
        .discovery
        .get("scopes_supported")
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().any(|v| v.as_str() == Some("offline_access")));
    let scope = if offline { "openid offline_access" } else { "openid" };
    let mut req = AuthRequest::new(ctx, scope);
    if offline {
        req.set("prompt", "consent");
    }
    let hf = flow::happy_flow(ctx, log, &req, HfOptions::default()).await?;
    let Some(rt) = hf.token.get("refresh_token").and_then(Value::as_str).map(str::to_string) else {
        if refresh::advertises_refresh_grant(ctx) && ctx.response_type.split(' ').any(|p| p == "code") {
            log.check(
                "EnsureServerConfigurationDoesNotSupportRefreshToken",
                Level::Warning,
                Err("grant_types_supported lists refresh_token, but no refresh token was issued".into()),
            );
        }
        return Err(log.skip("no refresh_token in the token response"));
    };
    let (private_jwk, jwks) = log.need("GenerateRS256ClientJWKsWithKeyID", registration::generate_rs256_key())?;
    log.info("RunnerRotateClientJwksUri", format!("{}/client1_jwks now serves {jwks}", ctx.config.rp_base_url));
    ctx.rp.host_jwks(jwks);
    ctx.client.jwk = Some(private_jwk);
    flow::sleep(log, ctx.config.jwks_refresh_delay).await;
    let client = ctx.client.clone();
    let reply = refresh::refresh_request(ctx, &client, &rt, Some(scope)).await;
    let reply = log.need("CallTokenEndpointAllowingUseAttestationChallengeErrorAndReturnFullResponse", reply)?;
    let body = crate::checks::token::refresh_response(log, &reply, &hf.id_token, ctx.client.keys.as_ref())?;
    let at = body.get("access_token").and_then(Value::as_str).unwrap_or_default();
    let tt = body.get("token_type").and_then(Value::as_str).unwrap_or("Bearer");
    crate::checks::userinfo::check_token_type(log, tt)?;
    let reply = flow::userinfo_get(ctx, tt, at).await;
    let reply = log.need("CallProtectedResource", reply)?;
    crate::checks::userinfo::status_200(log, &reply);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwks(keys: &[(&str, &str, Option<&str>)]) -> Value {
        let keys: Vec<Value> = keys
            .iter()
            .map(|(kid, n, key_use)| {
                let mut k = json!({"kty": "RSA", "kid": kid, "n": n, "e": "AQAB", "alg": "RS256"});
                if let Some(u) = key_use {
                    k["use"] = json!(u);
                }
                k
            })
            .collect();
        json!({ "keys": keys })
    }

    #[test]
    fn a_rotation_needs_a_new_signing_key_with_a_new_kid_and_modulus() {
        let before = jwks(&[("a", "n1", Some("sig"))]);
        let rotated = jwks(&[("a", "n1", Some("sig")), ("b", "n2", None)]);
        assert_eq!(new_signing_key(&before, &rotated), Ok(()));
        assert_eq!(old_signing_key_kept(&before, &rotated), Ok(()));
        // Nothing new, or only a new encryption key.
        assert!(new_signing_key(&before, &before).is_err());
        assert!(new_signing_key(&before, &jwks(&[("a", "n1", None), ("e", "n3", Some("enc"))])).is_err());
        // A new key under an old kid, or the old modulus under a new kid.
        assert!(new_signing_key(&before, &jwks(&[("a", "n2", None)])).unwrap_err().contains("kid"));
        assert!(new_signing_key(&before, &jwks(&[("c", "n1", None)])).unwrap_err().contains("same n"));
        // The old key dropped at once: a new key, but only a warning's worth.
        let replaced = jwks(&[("b", "n2", None)]);
        assert_eq!(new_signing_key(&before, &replaced), Ok(()));
        assert!(old_signing_key_kept(&before, &replaced).is_err());
    }
}
