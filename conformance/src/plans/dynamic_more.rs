//! The dynamic plan's modules about what the registered client asks for: an unsigned ID token,
//! signed userinfo, request objects by reference (`request_uri`, unsigned and RS256), and a
//! client assertion whose `aud` is the issuer (sections 2 and 6).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use super::Ctx;
use super::client_auth::{client_assertion, random_alnum, sign_with_jwk};
use super::flow::{self, AuthRequest, HfOptions, LOG_IN};
use super::registration;
use super::registration::Registration;
use crate::checks::idtoken::{self, Expect};
use crate::checks::{Jwt, authz, is_json_content_type, signature, str_of, token};
use crate::http;
use crate::log::{Level, Step, TestLog};

fn discovery_lists(ctx: &Ctx, member: &str, value: &str) -> Option<bool> {
    ctx.discovery.get(member).and_then(Value::as_array).map(|a| a.iter().any(|v| v.as_str() == Some(value)))
}

fn listed(ctx: &Ctx, member: &str, value: &str) -> Result<(), String> {
    match discovery_lists(ctx, member, value) {
        Some(true) => Ok(()),
        _ => Err(format!("discovery {member} does not contain {value}")),
    }
}

/// `oidcc-idtoken-unsigned` (code only): registers `id_token_signed_response_alg=none`; the
/// token endpoint's ID token must have alg `none`. Skipped unless discovery lists `none`.
pub async fn idtoken_unsigned(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    flow::setup_server(ctx, log).await?;
    if discovery_lists(ctx, "id_token_signing_alg_values_supported", "none") != Some(true) {
        return Err(log.skip("id_token_signing_alg_values_supported does not contain none"));
    }
    let reg = log.need("GenerateRS256ClientJWKs", Registration::new(ctx))?;
    ctx.client = registration::register(ctx, log, reg.set("id_token_signed_response_alg", json!("none"))).await?;
    let req = AuthRequest::new(ctx, "openid");
    let landing = flow::authorize(ctx, log, &req, LOG_IN).await?;
    let (params, _) = flow::expect_redirect(log, landing, flow::response_mode(ctx, &req))?;
    let code = authz::happy_callback(log, &params, req.state.as_deref(), &ctx.issuer(), true)?.unwrap_or_default();
    let form = vec![
        ("grant_type".to_string(), "authorization_code".to_string()),
        ("code".to_string(), code),
        ("redirect_uri".to_string(), req.redirect_uri.clone()),
    ];
    let reply = log.need("CallTokenEndpoint", flow::token_request(ctx, form).await)?;
    let (_, id_token) = token::happy_token_response(log, &reply, false, ctx.client.keys.as_ref())?;
    log.check(
        "CheckIdTokenSignatureAlgorithm",
        Level::Failure,
        if id_token.alg() == "none" { Ok(()) } else { Err(format!("the ID token's alg is {}", id_token.alg())) },
    );
    Ok(())
}

/// `oidcc-userinfo-rs256`: registers `userinfo_signed_response_alg=RS256`; userinfo must be a
/// JWT signed by the OP with RS256, with `iss`/`aud` (WARNING) and no `nonce`.
pub async fn userinfo_rs256(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    flow::setup_server(ctx, log).await?;
    log.check(
        "CheckDiscEndpointUserinfoSigningAlgValuesSupportedContainsRS256",
        Level::Failure,
        listed(ctx, "userinfo_signing_alg_values_supported", "RS256"),
    );
    let reg = log.need("GenerateRS256ClientJWKs", Registration::new(ctx))?;
    ctx.client = registration::register(ctx, log, reg.set("userinfo_signed_response_alg", json!("RS256"))).await?;
    let req = AuthRequest::new(ctx, "openid");
    let hf = flow::happy_flow(ctx, log, &req, HfOptions::default()).await?;
    if hf.access_token.is_empty() {
        return Err(log.skip("the response type gives no access token to call userinfo with"));
    }
    let endpoint = ctx.endpoint("userinfo_endpoint");
    let request = ctx.http.get(&endpoint).bearer_auth(&hf.access_token);
    let reply = log.need("CallUserInfoEndpoint", http::send(request).await)?;
    log.require("EnsureHttpStatusCodeIs200", if reply.status == 200 { Ok(()) } else { Err(reply.summary()) })?;
    let ct = reply.content_type.clone().unwrap_or_default();
    let mime = ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    log.check(
        "EnsureContentTypeApplicationJwt",
        Level::Failure,
        if mime == "application/jwt" { Ok(()) } else { Err(format!("content type '{ct}'")) },
    );
    let jwt = log.need("ExtractSignedUserInfoFromUserInfoEndpointResponse", Jwt::parse(reply.text.trim()))?;
    log.check("ValidateUserInfoResponseSignature", Level::Failure, signature::verify_jws(&jwt, &ctx.jwks));
    log.check(
        "ValidateUserInfoSigningAlgIsRS256",
        Level::Failure,
        if jwt.alg() == "RS256" { Ok(()) } else { Err(format!("alg {} is not the registered RS256", jwt.alg())) },
    );
    let issuer = ctx.issuer();
    let aud_ok = match jwt.claims.get("aud") {
        Some(Value::String(a)) => a == &ctx.client.id,
        Some(Value::Array(a)) => a.iter().any(|v| v.as_str() == Some(ctx.client.id.as_str())),
        _ => false,
    };
    let iss_ok = jwt.claim_str("iss") == Some(issuer.as_str());
    log.check(
        "ValidateSignedUserInfoResponseStandardJWTClaims",
        Level::Warning,
        match (iss_ok, aud_ok) {
            (true, true) => Ok(()),
            (false, _) => Err("iss is not the issuer".into()),
            (true, false) => Err("aud is not (or does not contain) the client_id".into()),
        },
    );
    log.check(
        "EnsureUserInfoDoesNotContainNonce",
        Level::Failure,
        if jwt.claims.contains_key("nonce") { Err("the signed userinfo contains nonce".into()) } else { Ok(()) },
    );
    let same = jwt.claim_str("sub") == hf.id_token.claim_str("sub");
    log.check(
        "VerifyUserInfoAndIdTokenInTokenEndpointSameSub",
        Level::Failure,
        if same { Ok(()) } else { Err("userinfo sub differs from the ID token sub".into()) },
    );
    Ok(())
}

/// Registers a `request_uri` at the RP (with a fragment, as the suite does), hosts the request
/// object there and sends the request by reference: HF where state and nonce come only from
/// the object.
async fn request_uri_flow(ctx: &mut Ctx, log: &mut TestLog, signed: bool) -> Step {
    let id = random_alnum(16);
    let request_uri = format!("{}/request_uri/{id}#{}", ctx.config.rp_base_url, random_alnum(8));
    let mut reg =
        log.need("GenerateRS256ClientJWKs", Registration::new(ctx))?.set("request_uris", json!([request_uri]));
    if signed {
        // The suite's AddRequestObjectSigningAlgRS256ToDynamicRegistrationRequest.
        reg = reg.set("request_object_signing_alg", json!("RS256"));
    }
    ctx.client = registration::register(ctx, log, reg).await?;
    let mut req = AuthRequest::new(ctx, "openid");
    let mut claims = json!({
        "client_id": ctx.client.id, "redirect_uri": req.redirect_uri, "scope": req.scope,
        "state": req.state, "nonce": req.nonce, "response_type": ctx.response_type,
    });
    let object = if signed {
        claims["iss"] = json!(ctx.client.id);
        claims["aud"] = json!(ctx.issuer());
        let jwk = ctx.client.jwk.clone().unwrap_or_default();
        log.need("SignRequestObject", sign_with_jwk(&jwk, &claims))?
    } else {
        let b64 = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
        format!("{}.{}.", b64(&json!({"alg": "none"})), b64(&claims))
    };
    ctx.rp.host_request_object(&id, object);
    req.params = vec![
        ("response_type".into(), ctx.response_type.clone()),
        ("client_id".into(), ctx.client.id.clone()),
        ("scope".into(), "openid".into()),
        ("redirect_uri".into(), req.redirect_uri.clone()),
        ("request_uri".into(), request_uri),
    ];
    let landing = flow::authorize(ctx, log, &req, LOG_IN).await?;
    let (params, _) = flow::expect_redirect(log, landing, flow::response_mode(ctx, &req))?;
    flow::complete(ctx, log, &req, &params, HfOptions::default()).await.map(|_| ())
}

/// `oidcc-request-uri-unsigned`: must succeed; skipped when `none` is not an allowed request
/// object alg.
pub async fn request_uri_unsigned(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    flow::setup_server(ctx, log).await?;
    if discovery_lists(ctx, "request_object_signing_alg_values_supported", "none") == Some(false) {
        return Err(log.skip("request_object_signing_alg_values_supported does not contain none"));
    }
    check_request_uri_supported(ctx, log);
    request_uri_flow(ctx, log, false).await
}

/// The suite's `CheckDiscEndpointRequestUriParameterSupported` (FAILURE in every request_uri
/// module, `AbstractOIDCCRequestUriServerTest`): absent means true (OIDC Discovery 3).
fn check_request_uri_supported(ctx: &Ctx, log: &mut TestLog) {
    let supported = ctx.discovery.get("request_uri_parameter_supported").and_then(Value::as_bool);
    log.check(
        "CheckDiscEndpointRequestUriParameterSupported",
        Level::Failure,
        if supported != Some(false) { Ok(()) } else { Err("request_uri_parameter_supported is false".into()) },
    );
}

/// `oidcc-request-uri-signed-rs256`: an RS256 request object (`iss` = client_id, `aud` = issuer).
pub async fn request_uri_signed_rs256(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    flow::setup_server(ctx, log).await?;
    log.check(
        "CheckDiscEndpointRequestObjectSigningAlgValuesSupportedContainsRS256",
        Level::Failure,
        listed(ctx, "request_object_signing_alg_values_supported", "RS256"),
    );
    check_request_uri_supported(ctx, log);
    request_uri_flow(ctx, log, true).await
}

/// `oidcc-ensure-client-assertion-with-iss-aud-succeeds`: the code is redeemed with an
/// assertion whose `aud` is the issuer. Should succeed; a proper `invalid_client` rejection is a
/// WARNING.
pub async fn client_assertion_iss_aud(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    flow::setup(ctx, log).await?;
    let req = AuthRequest::new(ctx, "openid");
    let landing = flow::authorize(ctx, log, &req, LOG_IN).await?;
    let (params, _) = flow::expect_redirect(log, landing, flow::response_mode(ctx, &req))?;
    if !flow::Parts::of(&ctx.response_type).code {
        // No token request without a code: the suite checks the authorization response only.
        return flow::complete(ctx, log, &req, &params, HfOptions::default()).await.map(|_| ());
    }
    let issuer = ctx.issuer();
    let code = authz::happy_callback(log, &params, req.state.as_deref(), &issuer, true)?.unwrap_or_default();
    let assertion =
        log.need("UpdateClientAuthenticationAssertionClaimsWithISSAud", client_assertion(&ctx.client, &issuer))?;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", req.redirect_uri.as_str()),
        ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
        ("client_assertion", assertion.as_str()),
    ];
    let endpoint = ctx.endpoint("token_endpoint");
    let request = ctx.http.post(&endpoint).header("Accept", "application/json").form(&form);
    let reply = log.need("CallTokenEndpointAndReturnFullResponse", http::send(request).await)?;
    let body = reply.json().unwrap_or(Value::Null);
    if let Some(error) = str_of(&body, "error") {
        log.check(
            "CheckIfTokenEndpointResponseError",
            Level::Warning,
            Err(format!("the OP refused an assertion with aud = issuer: {error}")),
        );
        let status = reply.status;
        log.check(
            "CheckTokenEndpointHttpStatusIs400Allowing401ForInvalidClientError",
            Level::Failure,
            if status == 400 || (status == 401 && error == "invalid_client") { Ok(()) } else { Err(reply.summary()) },
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
        log.check(
            "CheckErrorFromTokenEndpointResponseErrorInvalidClient",
            Level::Failure,
            if error == "invalid_client" {
                Ok(())
            } else {
                Err(format!("error is '{error}', expected invalid_client"))
            },
        );
        let (description, uri) = (str_of(&body, "error_description"), str_of(&body, "error_uri"));
        authz::error_field_charsets(log, Some(error), description, uri, "TokenEndpointResponse");
        return Ok(());
    }
    let (_, id_token) = token::happy_token_response(log, &reply, false, ctx.client.keys.as_ref())?;
    let claims = req.params.iter().find(|(k, _)| k == "claims").map(|(_, v)| v.as_str());
    let expect =
        Expect { issuer: &issuer, client_id: &ctx.client.id, nonce: req.nonce.as_deref(), jwks: &ctx.jwks, claims };
    idtoken::standard_checks(log, &id_token, &expect);
    Ok(())
}
