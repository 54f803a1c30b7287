//! The basic plan's modules from `oidcc-ensure-request-with-unknown-parameter-succeeds` on
//! (section 3, items 22-38), except `oidcc-refresh-token` (in `refresh`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::Ctx;
use super::basic::{SERVER, hf_with, server_id_token_extras};
use super::client_auth::random_alnum;
use super::flow::{self, AuthRequest, HfOptions, LOG_IN, Send};
use super::session::silent_second;
use crate::browser::Landing;
use crate::checks::authz::{ResponseMode, param};
use crate::checks::{str_of, token};
use crate::log::{Level, Step, TestLog};

pub async fn unknown_parameter(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    hf_with(ctx, log, "extra", "foobar").await.map(|_| ())
}

pub async fn id_token_hint(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    flow::setup(ctx, log).await?;
    let first = flow::happy_flow(ctx, log, &AuthRequest::new(ctx, "openid"), HfOptions::default()).await?;
    let mut req = AuthRequest::new(ctx, "openid");
    req.set("prompt", "none").set("id_token_hint", &first.id_token.raw.clone());
    silent_second(ctx, log, &first, &req).await
}

pub async fn login_hint(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    let hint = ctx.config.login_hint();
    hf_with(ctx, log, "login_hint", &hint).await.map(|_| ())
}

pub async fn ui_locales(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    let locales = ctx.config.ui_locales.clone().unwrap_or_else(|| "se".into());
    hf_with(ctx, log, "ui_locales", &locales).await.map(|_| ())
}

pub async fn claims_locales(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    hf_with(ctx, log, "claims_locales", "se").await.map(|_| ())
}

pub async fn acr_values(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    flow::setup(ctx, log).await?;
    let from_discovery: Vec<String> = ctx
        .discovery
        .get("acr_values_supported")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    let values = if !from_discovery.is_empty() {
        from_discovery.join(" ")
    } else {
        ctx.config.acr_values.clone().unwrap_or_else(|| "1 2".into())
    };
    let mut req = AuthRequest::new(ctx, "openid");
    req.set("acr_values", &values);
    let hf = flow::happy_flow(ctx, log, &req, HfOptions::default()).await?;
    let acr = hf.id_token.claim_str("acr");
    let requested: Vec<&str> = values.split(' ').collect();
    log.check(
        "ValidateIdTokenACRClaimAgainstAcrValuesRequest",
        Level::Warning,
        match acr {
            Some(a) if requested.contains(&a) => Ok(()),
            Some(a) => Err(format!("acr '{a}' is not one of the requested {requested:?}")),
            None => Err("the ID token has no acr".into()),
        },
    );
    Ok(())
}

pub async fn codereuse(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    flow::setup(ctx, log).await?;
    let hf = flow::happy_flow(ctx, log, &AuthRequest::new(ctx, "openid"), HfOptions::default()).await?;
    let reply = flow::token_request(ctx, hf.token_form.clone()).await;
    let reply = log.need("CallTokenEndpointAndReturnFullResponse", reply)?;
    if reply.status == 200 {
        log.check(
            "ServerAllowedReusingAuthorisationCode",
            Level::Warning,
            Err("the server allowed the authorization code to be used twice".into()),
        );
        return Ok(());
    }
    token::error_response(log, &reply, "invalid_grant")
}

pub async fn codereuse_30seconds(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    flow::setup(ctx, log).await?;
    let hf = flow::happy_flow(ctx, log, &AuthRequest::new(ctx, "openid"), HfOptions::default()).await?;
    flow::sleep(log, 30).await;
    let reply = flow::token_request(ctx, hf.token_form.clone()).await;
    let reply = log.need("CallTokenEndpointAndReturnFullResponse", reply)?;
    token::error_response(log, &reply, "invalid_grant")?;
    let reply = flow::userinfo_get(ctx, &hf.token_type, &hf.access_token).await;
    let reply = log.need("CallProtectedResourceWithBearerTokenExpectingError", reply)?;
    log.check(
        "CallProtectedResourceWithBearerTokenExpectingError",
        Level::Warning,
        if (400..500).contains(&reply.status) {
            Ok(())
        } else {
            Err(format!("the access token still works after the code was reused: {}", reply.summary()))
        },
    );
    Ok(())
}

pub async fn registered_redirect_uri(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    flow::setup(ctx, log).await?;
    let mut req = AuthRequest::new(ctx, "openid");
    let unregistered = format!("{}/{}", ctx.config.redirect_uri(), random_alnum(10));
    req.set("redirect_uri", &unregistered);
    let landing = flow::authorize(ctx, log, &req, LOG_IN).await?;
    if let Some((_, _, path)) = flow::page_or_redirect(log, landing, ResponseMode::Query, flow::PageExpected::Error) {
        log.check(
            "ExpectRedirectUriErrorPage",
            Level::Failure,
            Err(format!("the OP redirected to {path} although the redirect_uri {unregistered} is not registered")),
        );
    }
    Ok(())
}

pub async fn post_request(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    flow::setup(ctx, log).await?;
    let req = AuthRequest::new(ctx, "openid");
    let landing = flow::authorize(ctx, log, &req, Send { post: true, ..LOG_IN }).await?;
    if !matches!(landing, Landing::Redirected { .. }) {
        log.check("ExpectRedirectUriHasBeenCalled", Level::Warning, Err("the redirect_uri was not called within 30 s of a POST authorization request (OIDCC 3.1.2.1: GET and POST must be supported)".into()));
        return Ok(());
    }
    let (params, _) = flow::expect_redirect(log, landing, flow::response_mode(ctx, &req))?;
    flow::complete(ctx, log, &req, &params, HfOptions::default()).await.map(|_| ())
}

pub async fn server_client_secret_post(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    flow::setup(ctx, log).await?;
    let client = flow::variant_client(ctx, "client_secret_post_client");
    ctx.client = log.need("GetStaticClientConfiguration", client)?;
    crate::checks::discovery::check_client_auth_supported(log, &ctx.discovery, "client_secret_post");
    let hf = flow::happy_flow(ctx, log, &AuthRequest::new(ctx, "openid"), SERVER).await?;
    server_id_token_extras(log, &hf.id_token, "openid");
    Ok(())
}

/// Skipped when the OP lists request-object algs without `none`.
fn skip_unless_unsigned_request_objects(ctx: &Ctx, log: &mut TestLog) -> Step {
    match ctx.discovery.get("request_object_signing_alg_values_supported").and_then(Value::as_array) {
        Some(algs) if !algs.iter().any(|a| a.as_str() == Some("none")) => {
            Err(log.skip("request_object_signing_alg_values_supported does not contain 'none'"))
        }
        _ => Ok(()),
    }
}

/// An alg `none` request object carrying the request's parameters.
fn unsigned_object(ctx: &Ctx, req: &AuthRequest, redirect_uri: &str) -> String {
    let claims = json!({
        "client_id": ctx.client.id, "redirect_uri": redirect_uri, "scope": req.scope,
        "state": req.state, "nonce": req.nonce, "response_type": ctx.response_type,
    });
    let b64 = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    format!("{}.{}.", b64(&json!({"alg": "none"})), b64(&claims))
}

/// The query of a request-object request: response_type, client_id, scope, redirect_uri, request.
fn request_object_request(ctx: &Ctx, query_redirect_uri: &str) -> AuthRequest {
    let mut req = AuthRequest::new(ctx, "openid");
    let object = unsigned_object(ctx, &req, &req.redirect_uri.clone());
    req.params = vec![
        ("response_type".into(), ctx.response_type.clone()),
        ("client_id".into(), ctx.client.id.clone()),
        ("scope".into(), "openid".into()),
        ("redirect_uri".into(), query_redirect_uri.into()),
        ("request".into(), object),
    ];
    req
}

pub async fn unsigned_request_object(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    flow::setup(ctx, log).await?;
    skip_unless_unsigned_request_objects(ctx, log)?;
    let req = request_object_request(ctx, &ctx.config.redirect_uri());
    let landing = flow::authorize(ctx, log, &req, LOG_IN).await?;
    let (params, _) = flow::expect_redirect(log, landing, flow::response_mode(ctx, &req))?;
    if param(&params, "error") == Some("request_not_supported") {
        return Err(log.skip("the OP answered request_not_supported"));
    }
    let supported = ctx.discovery.get("request_parameter_supported").and_then(Value::as_bool) == Some(true);
    log.check(
        "CheckDiscEndpointRequestParameterSupported",
        Level::Warning,
        if supported {
            Ok(())
        } else {
            Err("the OP accepted a request object but does not advertise request_parameter_supported".into())
        },
    );
    flow::complete(ctx, log, &req, &params, HfOptions::default()).await.map(|_| ())
}

pub async fn claims_essential(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    flow::setup(ctx, log).await?;
    let mut req = AuthRequest::new(ctx, "openid");
    let id_token_only = !flow::has_access_token(ctx);
    let target = if id_token_only { "id_token" } else { "userinfo" };
    req.set("claims", &json!({ target: {"name": {"essential": true}} }).to_string());
    let hf = flow::happy_flow(ctx, log, &req, HfOptions::default()).await?;
    if id_token_only {
        log.check("VerifyScopesReturnedInAuthorizationEndpointIdToken", Level::Warning, Ok(()));
        log.check(
            "EnsureIdTokenContainsName",
            Level::Warning,
            if hf.id_token.claim_str("name").is_some() {
                Ok(())
            } else {
                Err("the ID token lacks the essential claim 'name'".into())
            },
        );
        return Ok(());
    }
    let reply = flow::userinfo_get(ctx, &hf.token_type, &hf.access_token).await;
    let reply = log.need("CallUserInfoEndpoint", reply)?;
    let claims = flow::userinfo_checks(ctx, log, &reply, &hf, false)?;
    log.check(
        "EnsureUserInfoContainsName",
        Level::Warning,
        if str_of(&claims, "name").is_some() {
            Ok(())
        } else {
            Err("userinfo lacks the essential claim 'name'".into())
        },
    );
    log.check(
        "EnsureIdTokenDoesNotContainName",
        Level::Warning,
        if hf.id_token.claims.contains_key("name") {
            Err("'name' was requested for userinfo but is in the ID token".into())
        } else {
            Ok(())
        },
    );
    Ok(())
}

pub async fn request_object_with_redirect_uri(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    flow::setup(ctx, log).await?;
    skip_unless_unsigned_request_objects(ctx, log)?;
    let invalid = format!("{}/_invalid", ctx.config.redirect_uri());
    let req = request_object_request(ctx, &invalid);
    let landing = flow::authorize(ctx, log, &req, LOG_IN).await?;
    let Some((params, _, path)) =
        flow::page_or_redirect(log, landing, flow::response_mode(ctx, &req), flow::PageExpected::Error)
    else {
        return Ok(());
    };
    if param(&params, "error") == Some("request_not_supported") {
        log.check("RunnerEnsureNotRequestNotSupportedError", Level::Failure, Err("the OP redirected request_not_supported to a redirect URI although the query's redirect_uri is invalid".into()));
        return Ok(());
    }
    if path != "/callback" {
        log.check(
            "RunnerExpectRedirectToRequestObjectRedirectUri",
            Level::Failure,
            Err(format!("the OP redirected to {path}, not the request object's redirect_uri")),
        );
        return Ok(());
    }
    flow::complete(ctx, log, &req, &params, HfOptions::default()).await.map(|_| ())
}

pub async fn pkce(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    flow::setup(ctx, log).await?;
    let verifier = random_alnum(64);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let mut req = AuthRequest::new(ctx, "openid");
    req.set("code_challenge", &challenge).set("code_challenge_method", "S256");
    flow::happy_flow(ctx, log, &req, HfOptions { code_verifier: Some(verifier), ..HfOptions::default() })
        .await
        .map(|_| ())
}
