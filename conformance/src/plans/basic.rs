//! `oidcc-basic-certification-test-plan` for a static client (section 3): the module list, and
//! the modules up to the display ones (the session modules are in `session`, the rest in
//! `basic_more`). Modules 3, 4 and 33 are not
//! applicable to static clients and are left out, as the suite does.

use serde_json::Value;

use super::basic_more as more;
use super::flow::{self, AuthRequest, HfOptions, LOG_IN};
use super::session;
use super::{Ctx, Module};
use crate::checks::authz::{self, ResponseMode, param};
use crate::checks::{Jwt, userinfo};
use crate::http;
use crate::log::{Level, Step, TestLog};
use crate::module;

pub fn modules(_variant: &str) -> Vec<Module> {
    vec![
        module!("oidcc-server", server),
        module!("oidcc-response-type-missing", response_type_missing),
        module!("oidcc-userinfo-get", userinfo_get),
        module!("oidcc-userinfo-post-header", userinfo_post_header),
        module!("oidcc-userinfo-post-body", userinfo_post_body),
        module!("oidcc-ensure-request-without-nonce-succeeds-for-code-flow", without_nonce),
        module!("oidcc-scope-profile", scope_profile),
        module!("oidcc-scope-email", scope_email),
        module!("oidcc-scope-address", scope_address),
        module!("oidcc-scope-phone", scope_phone),
        module!("oidcc-scope-all", scope_all),
        module!("oidcc-alternate-happy-flow", alternate_happy_flow),
        module!("oidcc-display-page", display_page),
        module!("oidcc-display-popup", display_popup),
        module!("oidcc-prompt-login", session::prompt_login),
        module!("oidcc-prompt-none-not-logged-in", session::prompt_none_not_logged_in),
        module!("oidcc-prompt-none-logged-in", session::prompt_none_logged_in),
        module!("oidcc-max-age-1", session::max_age_1),
        module!("oidcc-max-age-10000", session::max_age_10000),
        module!("oidcc-ensure-request-with-unknown-parameter-succeeds", more::unknown_parameter),
        module!("oidcc-id-token-hint", more::id_token_hint),
        module!("oidcc-login-hint", more::login_hint),
        module!("oidcc-ui-locales", more::ui_locales),
        module!("oidcc-claims-locales", more::claims_locales),
        module!("oidcc-ensure-request-with-acr-values-succeeds", more::acr_values),
        module!("oidcc-codereuse", more::codereuse),
        module!("oidcc-codereuse-30seconds", more::codereuse_30seconds),
        module!("oidcc-ensure-registered-redirect-uri", more::registered_redirect_uri),
        module!("oidcc-ensure-post-request-succeeds", more::post_request),
        module!("oidcc-server-client-secret-post", more::server_client_secret_post),
        module!(
            "oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported",
            more::unsigned_request_object
        ),
        module!("oidcc-claims-essential", more::claims_essential),
        module!("oidcc-ensure-request-object-with-redirect-uri", more::request_object_with_redirect_uri),
        module!("oidcc-refresh-token", super::refresh::refresh_token),
        module!("oidcc-ensure-request-with-valid-pkce-succeeds", more::pkce),
    ]
}

pub const SERVER: HfOptions = HfOptions { server_checks: true, send: LOG_IN, code_verifier: None };

/// `oidcc-server`: HF plus the code-quality and ID-token-content checks.
pub async fn server(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    flow::setup(ctx, log).await?;
    let req = AuthRequest::new(ctx, "openid");
    let hf = flow::happy_flow(ctx, log, &req, SERVER).await?;
    server_id_token_extras(log, &hf.id_token, "openid");
    Ok(())
}

pub fn server_id_token_extras(log: &mut TestLog, id_token: &Jwt, scope: &str) {
    let name = if id_token.claims.contains_key("name") {
        Err("the ID token contains 'name', which was not requested".into())
    } else {
        Ok(())
    };
    log.check("EnsureIdTokenDoesNotContainName", Level::Warning, name);
    log.check(
        "EnsureIdTokenDoesNotContainNonRequestedClaims",
        Level::Warning,
        crate::checks::idtoken::only_requested_claims(id_token, scope),
    );
}

pub async fn response_type_missing(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    flow::setup(ctx, log).await?;
    let mut req = AuthRequest::new(ctx, "openid");
    req.remove("response_type");
    let landing = flow::authorize(ctx, log, &req, LOG_IN).await?;
    // Without a response type the error goes to the query (form_post: the body).
    let mode = if ctx.form_post { ResponseMode::FormPost } else { ResponseMode::Query };
    if let Some((params, code_anywhere, _)) = flow::page_or_redirect(log, landing, mode, flow::PageExpected::Error) {
        let error = param(&params, "error");
        log.check(
            "CheckErrorFromAuthorizationEndpointErrorInvalidRequestOrUnsupportedResponseType",
            Level::Failure,
            match error {
                Some("unsupported_response_type" | "invalid_request") => Ok(()),
                other => Err(format!(
                    "error is {other:?}; expected unsupported_response_type or invalid_request in the URL query"
                )),
            },
        );
        authz::generic_error_checks(log, &params, req.state.as_deref(), &ctx.issuer(), code_anywhere);
    }
    Ok(())
}

#[derive(Clone, Copy)]
enum UserinfoMethod {
    Get,
    PostHeader,
    PostBody,
}

async fn userinfo_module(ctx: &mut Ctx, log: &mut TestLog, method: UserinfoMethod) -> Step {
    flow::setup(ctx, log).await?;
    let req = AuthRequest::new(ctx, "openid");
    let hf = flow::happy_flow(ctx, log, &req, HfOptions::default()).await?;
    let endpoint = ctx.endpoint("userinfo_endpoint");
    let bearer = format!("Bearer {}", hf.access_token);
    let request = match method {
        UserinfoMethod::Get => ctx.http.get(&endpoint).header("Authorization", bearer),
        UserinfoMethod::PostHeader => ctx
            .http
            .post(&endpoint)
            .header("Authorization", bearer)
            .header("Content-Type", "application/x-www-form-urlencoded")
            // An empty body still says so (RFC 9110 8.6), as the suite's HTTP client does;
            // without it the request looks body-less to the OP.
            .header("Content-Length", "0")
            .body(""),
        UserinfoMethod::PostBody => ctx.http.post(&endpoint).form(&[("access_token", hf.access_token.as_str())]),
    };
    let reply = http::send(request.header("Accept", "application/json")).await;
    let reply = log.need("CallUserInfoEndpoint", reply)?;
    if matches!(method, UserinfoMethod::PostBody) && !(200..300).contains(&reply.status) {
        log.check(
            "UserInfoEndpointWithAccessTokenInBodyNotSupported",
            Level::Warning,
            Err(format!("the OP does not accept the access token in the body: {}", reply.summary())),
        );
        return Ok(());
    }
    flow::userinfo_checks(ctx, log, &reply, &hf, true)?;
    Ok(())
}

pub async fn userinfo_get(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    userinfo_module(ctx, log, UserinfoMethod::Get).await
}

pub async fn userinfo_post_header(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    userinfo_module(ctx, log, UserinfoMethod::PostHeader).await
}

pub async fn userinfo_post_body(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    userinfo_module(ctx, log, UserinfoMethod::PostBody).await
}

pub async fn without_nonce(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    flow::setup(ctx, log).await?;
    let mut req = AuthRequest::new(ctx, "openid");
    req.remove("nonce");
    let landing = flow::authorize(ctx, log, &req, LOG_IN).await?;
    let (params, _) = flow::expect_redirect(log, landing, flow::response_mode(ctx, &req))?;
    authz::happy_callback(log, &params, req.state.as_deref(), &ctx.issuer(), true)?;
    Ok(())
}

/// Skipped when discovery lacks `scopes_supported` or one of the requested scopes.
pub fn skip_unless_scopes_supported(ctx: &Ctx, log: &mut TestLog, scope: &str) -> Step {
    let supported: Vec<&str> = ctx
        .discovery
        .get("scopes_supported")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if supported.is_empty() {
        return Err(log.skip("discovery has no scopes_supported"));
    }
    match scope.split(' ').find(|s| !supported.contains(s)) {
        Some(missing) => Err(log.skip(format!("scope '{missing}' is not in scopes_supported"))),
        None => Ok(()),
    }
}

/// The scope modules (9-14): HF with `scope`, then a userinfo call checked for the scope's claims.
pub async fn scope_module(ctx: &mut Ctx, log: &mut TestLog, scope: &str, reverse: bool) -> Step {
    flow::setup(ctx, log).await?;
    skip_unless_scopes_supported(ctx, log, scope)?;
    let mut req = AuthRequest::new(ctx, scope);
    if reverse {
        let reversed: Vec<&str> = scope.split(' ').rev().collect();
        req.set("scope", &reversed.join(" "));
        req.params.sort_by(|a, b| b.0.cmp(&a.0));
    }
    let hf = flow::happy_flow(ctx, log, &req, HfOptions::default()).await?;
    if !flow::has_access_token(ctx) {
        // response_type=id_token: the claims are checked in the ID token (no access token).
        let claims = Value::Object(hf.id_token.claims.clone());
        log.check(
            "VerifyScopesReturnedInAuthorizationEndpointIdToken",
            Level::Warning,
            userinfo::scope_claims_present(&claims, scope).map_err(|e| e.replace("userinfo", "the ID token")),
        );
        return Ok(());
    }
    let reply = flow::userinfo_get(ctx, &hf.token_type, &hf.access_token).await;
    let reply = log.need("CallUserInfoEndpoint", reply)?;
    let claims = flow::userinfo_checks(ctx, log, &reply, &hf, false)?;
    log.check("VerifyScopesReturnedInUserInfoClaims", Level::Warning, userinfo::scope_claims_present(&claims, scope));
    if scope.split(' ').any(|s| s == "email") && !scope.contains("profile") {
        let has = |c: &str| hf.id_token.claims.contains_key(c);
        log.check(
            "EnsureIdTokenDoesNotContainEmailForScopeEmail",
            Level::Warning,
            if has("email") {
                Err("the ID token contains 'email'; with an access token it belongs in userinfo".into())
            } else {
                Ok(())
            },
        );
        log.check(
            "EnsureIdTokenDoesNotContainName",
            Level::Warning,
            if has("name") { Err("the ID token contains 'name'".into()) } else { Ok(()) },
        );
        log.check(
            "EnsureUserInfoDoesNotContainName",
            Level::Warning,
            if claims.get("name").is_some() {
                Err("userinfo contains 'name', which scope email does not cover".into())
            } else {
                Ok(())
            },
        );
    }
    Ok(())
}

pub async fn scope_profile(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    scope_module(ctx, log, "openid profile", false).await
}
pub async fn scope_email(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    scope_module(ctx, log, "openid email", false).await
}
pub async fn scope_address(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    scope_module(ctx, log, "openid address", false).await
}
pub async fn scope_phone(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    scope_module(ctx, log, "openid phone", false).await
}
pub async fn scope_all(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    scope_module(ctx, log, "openid email phone address profile", false).await
}
pub async fn alternate_happy_flow(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    scope_module(ctx, log, "openid email", true).await
}

/// HF with one extra authorization parameter (display, ui_locales, ...).
pub async fn hf_with(ctx: &mut Ctx, log: &mut TestLog, name: &str, value: &str) -> Step<flow::Hf> {
    flow::setup(ctx, log).await?;
    let mut req = AuthRequest::new(ctx, "openid");
    req.set(name, value);
    flow::happy_flow(ctx, log, &req, HfOptions::default()).await
}

pub async fn display_page(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    hf_with(ctx, log, "display", "page").await.map(|_| ())
}
pub async fn display_popup(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    hf_with(ctx, log, "display", "popup").await.map(|_| ())
}
