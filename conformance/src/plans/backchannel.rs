//! `oidcc-backchannel-rp-initiated-logout-certification-test-plan` (section 7.2): the discovery
//! module, and `oidcc-backchannel-rp-initiated-logout`, which logs out through the end-session
//! endpoint and waits for both the back-channel POST to `backchannel_logout_uri` and the
//! front-channel post-logout redirect (in either order) before checking the logout token, the
//! redirect and a `prompt=none` that must fail.

use std::time::Duration;

use super::logout::{self, POST_LOGOUT};
use super::{Ctx, Module};
use crate::checks::{Jwt, discovery, logout as checks, now, signature};
use crate::log::{Level, Step, TestLog};
use crate::module;

pub fn modules(_variant: &str) -> Vec<Module> {
    vec![
        module!("oidcc-backchannel-logout-discovery-endpoint-verification", discovery_verification),
        module!("oidcc-backchannel-rp-initiated-logout", backchannel_rp_initiated_logout),
    ]
}

async fn discovery_verification(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    let doc = logout::fetch_discovery(ctx, log).await?;
    let supported = |name: &str| discovery::is_true(&doc, name);
    log.check("CheckDiscEndpointBackchannelLogoutSupported", Level::Failure, supported("backchannel_logout_supported"));
    log.check(
        "CheckDiscEndpointBackchannelLogoutSessionSupported",
        Level::Failure,
        supported("backchannel_logout_session_supported"),
    );
    log.check("CheckDiscEndSessionEndpoint", Level::Failure, discovery::https_member(&doc, "end_session_endpoint"));
    Ok(())
}

async fn backchannel_rp_initiated_logout(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    let hf = logout::first_login(ctx, log).await?;
    let params = logout::end_session_params(ctx, &hf);
    let state = crate::checks::authz::param(&params, "state").map(str::to_string);
    let (landing, mark) = logout::end_session(ctx, log, &params, &[POST_LOGOUT]).await?;
    let front = logout::expect_post_logout_redirect(log, landing)?;
    let wait = Duration::from_secs(ctx.config.browser.timeout_seconds);
    let back = ctx.rp.wait_for(mark, wait, |h| h.path == "/backchannel_logout").await;
    let back = log.need(
        "RunnerWaitForBackchannelLogoutRequest",
        back.ok_or_else(|| format!("the OP did not POST to the backchannel_logout_uri within {} s", wait.as_secs())),
    )?;

    if ctx.config.rp_tls().is_some() {
        log.check(
            "EnsureIncomingTls12WithSecureCipherOrTls13",
            Level::Warning,
            checks::incoming_tls(back.tls.as_ref()),
        );
        if let Some(tls) = &back.tls {
            log.info("EnsureIncomingTls12WithSecureCipherOrTls13", format!("{} with {}", tls.version, tls.cipher));
        }
    } else {
        log.info(
            "EnsureIncomingTls12WithSecureCipherOrTls13",
            "not checked: the run config's RP endpoints are plain http (no rp_tls_cert)",
        );
    }
    let body = back.body_params();
    let raw = crate::checks::authz::param(&body, "logout_token")
        .map(str::to_string)
        .ok_or_else(|| format!("no logout_token in the back-channel request body '{}'", back.body));
    let token = log.need("ExtractLogoutTokenFromBackchannelLogoutRequest", raw.and_then(|r| Jwt::parse(&r)))?;
    log.check(
        "CheckForUnexpectedParametersInBackchannelLogoutRequest",
        Level::Warning,
        checks::unexpected_backchannel_params(&body),
    );
    log.check("ValidateLogoutTokenSignature", Level::Failure, signature::verify_jws(&token, &ctx.jwks));
    let (issuer, client_id) = (ctx.issuer(), ctx.client.id.clone());
    log.check(
        "ValidateLogoutTokenClaims",
        Level::Failure,
        checks::logout_token_claims(&token, &issuer, &client_id, now()),
    );
    for (claim, condition) in
        [("sub", "CheckIdTokenSubMatchesLogoutToken"), ("sid", "CheckIdTokenSidMatchesLogoutToken")]
    {
        if token.claims.contains_key(claim) {
            log.check(condition, Level::Failure, checks::same_as_id_token(&token, &hf.id_token, claim));
        } else {
            log.info(condition, format!("skipped: the logout token has no {claim}"));
        }
    }
    log.check("CheckLogoutTokenNoNonce", Level::Failure, checks::no_nonce(&token));
    log.check("CheckLogoutTokenHasSubOrSid", Level::Failure, checks::has_sub_or_sid(&token));

    logout::post_logout_checks(log, &front, state.as_deref());
    logout::prompt_none_must_fail(ctx, log).await
}
