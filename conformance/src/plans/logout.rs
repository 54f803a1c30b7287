//! `oidcc-rp-initiated-logout-certification-test-plan` (section 7.1) and the flow it shares with
//! the back-channel plan (`AbstractOIDCCRpInitiatedLogout`, section 7): a happy flow with a
//! 128-character state, the browser sent to `end_session_endpoint` (`id_token_hint`,
//! `post_logout_redirect_uri`, `state`; no `client_id`), the post-logout redirect checks, and a
//! `prompt=none` authorization that must come back with an error. The modules that must not
//! redirect fail on a redirect and judge the page (screenshot kept as evidence): the OP's error
//! page or its logged-out page where the suite accepts an error or logout page, the logged-out
//! page (and the session ended) where it expects a successful logout. Without a configured
//! `[browser] logged_out_page` those pages are left to a person (REVIEW).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use super::client_auth::{random_alnum, sign_with_jwk};
use super::flow::{self, AuthRequest, Hf, HfOptions, Send};
use super::{Ctx, Module};
use crate::browser::{Drive, Landing};
use crate::checks::authz::{self, ResponseMode, param};
use crate::checks::{discovery, logout};
use crate::http;
use crate::log::{Abort, Level, Step, TestLog};
use crate::module;

pub const POST_LOGOUT: &str = "/post_logout_redirect";
const BAD_POST_LOGOUT: &str = "/bad_post_logout_redirect_uri";

pub fn modules(_variant: &str) -> Vec<Module> {
    vec![
        module!("oidcc-rp-initiated-logout-discovery-endpoint-verification", discovery_verification),
        module!("oidcc-rp-initiated-logout", rp_initiated_logout),
        module!("oidcc-rp-initiated-logout-bad-post-logout-redirect-uri", bad_post_logout_redirect_uri),
        module!("oidcc-rp-initiated-logout-modified-id-token-hint", modified_id_token_hint),
        module!("oidcc-rp-initiated-logout-no-id-token-hint", no_id_token_hint),
        module!("oidcc-rp-initiated-logout-no-params", no_params),
        module!("oidcc-rp-initiated-logout-no-post-logout-redirect-uri", no_post_logout_redirect_uri),
        module!("oidcc-rp-initiated-logout-no-state", no_state),
        module!("oidcc-rp-initiated-logout-only-state", only_state),
        module!("oidcc-rp-initiated-logout-query-added-to-post-logout-redirect-uri", query_added),
        module!("oidcc-rp-initiated-logout-bad-id-token-hint", bad_id_token_hint),
    ]
}

/// `GetDynamicServerConfiguration` (stop), then the discovery module's own conditions.
pub async fn fetch_discovery(ctx: &mut Ctx, log: &mut TestLog) -> Step<Value> {
    let url = ctx.config.discovery_url();
    let doc =
        log.need("GetDynamicServerConfiguration", http::send(ctx.http.get(&url)).await.and_then(|r| r.json_object()))?;
    ctx.discovery = doc.clone();
    log.check("CheckDiscEndpointAllEndpointsAreHttps", Level::Failure, discovery::all_endpoints_https(&doc));
    Ok(doc)
}

async fn discovery_verification(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    let doc = fetch_discovery(ctx, log).await?;
    log.check("CheckDiscEndSessionEndpoint", Level::Failure, discovery::https_member(&doc, "end_session_endpoint"));
    Ok(())
}

/// Setup and Auth 1: the happy flow with the 128-character state.
pub async fn first_login(ctx: &mut Ctx, log: &mut TestLog) -> Step<Hf> {
    flow::setup(ctx, log).await?;
    let mut req = AuthRequest::new(ctx, "openid");
    req.long_state();
    flow::happy_flow(ctx, log, &req, HfOptions::default()).await
}

/// `CreateEndSessionEndpointRequest`: `id_token_hint`, `post_logout_redirect_uri`, `state`.
pub fn end_session_params(ctx: &Ctx, hf: &Hf) -> Vec<(String, String)> {
    vec![
        ("id_token_hint".into(), hf.id_token.raw.clone()),
        ("post_logout_redirect_uri".into(), format!("{}{POST_LOGOUT}", ctx.config.rp_base_url)),
        ("state".into(), random_alnum(10)),
    ]
}

/// Sends the browser to the end-session endpoint and plays the user, confirming the logout when
/// the OP asks (as a person would), until the RP sees one of `until` or a page stays. Returns the
/// landing and the RP mark taken before the request.
pub async fn end_session(
    ctx: &mut Ctx,
    log: &mut TestLog,
    params: &[(String, String)],
    until: &[&str],
) -> Step<(Landing, usize)> {
    let endpoint = ctx.endpoint("end_session_endpoint");
    if endpoint.is_empty() {
        log.check("CheckDiscEndSessionEndpoint", Level::Failure, Err("the OP has no end_session_endpoint".into()));
        return Err(Abort("no end_session_endpoint".into()));
    }
    let query: String = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish();
    let url = if query.is_empty() { endpoint } else { format!("{endpoint}?{query}") };
    log.info("BuildRedirectToEndSessionEndpoint", format!("GET {url}"));
    let (config, rp, out, module) = (ctx.config.clone(), ctx.rp.clone(), ctx.out.clone(), ctx.module);
    let confirm = config.browser.logout_confirm.clone();
    let mark = rp.mark();
    let browser = ctx.browser().await.map_err(|e| fail(log, "RunnerBrowser", e))?;
    browser.goto(&url).await.map_err(|e| fail(log, "RunnerBrowser", e))?;
    let press = [confirm.as_str()];
    let drive = Drive { until, log_in: false, mark, press: &press, ..Drive::default() };
    let driven = browser.drive(&config, &rp, &out, module, &drive).await.map_err(|e| fail(log, "RunnerBrowser", e))?;
    for step in driven.trace {
        log.info("RunnerBrowser", step);
    }
    Ok((driven.landing, mark))
}

fn fail(log: &mut TestLog, condition: &str, message: String) -> Abort {
    log.check(condition, Level::Failure, Err(message.clone()));
    Abort(format!("{condition}: {message}"))
}

/// The post-logout redirect must come: its query parameters.
pub fn expect_post_logout_redirect(log: &mut TestLog, landing: Landing) -> Step<Vec<(String, String)>> {
    match landing {
        Landing::Redirected { hit, .. } => Ok(hit.query_params()),
        Landing::Page { url, screenshot, .. } | Landing::Interaction { url, screenshot, .. } => {
            log.evidence(screenshot);
            Err(fail(log, "RunnerExpectRedirectToPostLogoutRedirectUri", format!("the OP stayed on a page ({url})")))
        }
        Landing::Timeout { url, .. } => Err(fail(
            log,
            "RunnerExpectRedirectToPostLogoutRedirectUri",
            format!("no redirect to the post_logout_redirect_uri; the browser is at {url}"),
        )),
    }
}

/// The post-logout checks: the state sent (or none), and only `state` in the query.
pub fn post_logout_checks(log: &mut TestLog, params: &[(String, String)], sent_state: Option<&str>) {
    match sent_state {
        Some(s) => log.check("CheckPostLogoutState", Level::Failure, logout::post_logout_state(params, s)),
        None => log.check("CheckNoPostLogoutState", Level::Failure, logout::no_post_logout_state(params)),
    };
    log.check(
        "CheckForUnexpectedParametersInPostLogoutRedirect",
        Level::Warning,
        logout::unexpected_post_logout_params(params),
    );
}

/// Auth 2: `prompt=none` after the logout must redirect back with an error that asks for a user
/// interface, plus the generic error checks (1.10).
pub async fn prompt_none_must_fail(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    prompt_none_must_fail_as(ctx, log, "CheckErrorFromAuthorizationEndpointIsOneThatRequiredAUserInterface").await
}

/// As [`prompt_none_must_fail`], recording the error's check as `condition`.
async fn prompt_none_must_fail_as(ctx: &mut Ctx, log: &mut TestLog, condition: &str) -> Step {
    let mut req = AuthRequest::new(ctx, "openid");
    req.long_state().set("prompt", "none");
    let landing = flow::authorize(ctx, log, &req, Send::default()).await?;
    let (params, code_anywhere) = flow::expect_redirect(log, landing, flow::response_mode(ctx, &req))?;
    authz::generic_error_checks(log, &params, req.state.as_deref(), &ctx.issuer(), code_anywhere);
    let error = param(&params, "error");
    let expected = ["interaction_required", "login_required", "account_selection_required", "consent_required"];
    log.check(
        condition,
        Level::Failure,
        if error.is_some_and(|e| expected.contains(&e)) {
            Ok(())
        } else {
            Err(format!("after the logout, prompt=none gave error {error:?}; expected one of {expected:?}"))
        },
    );
    Ok(())
}

/// The modules that expect a redirect to the post-logout URI: without `state` when `with_state`
/// is false.
async fn redirect_module(ctx: &mut Ctx, log: &mut TestLog, with_state: bool) -> Step {
    let hf = first_login(ctx, log).await?;
    let mut params = end_session_params(ctx, &hf);
    if !with_state {
        params.retain(|(k, _)| k != "state");
    }
    let state = param(&params, "state").map(str::to_string);
    let (landing, _) = end_session(ctx, log, &params, &[POST_LOGOUT]).await?;
    let query = expect_post_logout_redirect(log, landing)?;
    post_logout_checks(log, &query, state.as_deref());
    prompt_none_must_fail(ctx, log).await
}

async fn rp_initiated_logout(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    redirect_module(ctx, log, true).await
}

async fn no_state(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    redirect_module(ctx, log, false).await
}

/// The modules whose end-session request the OP must not honour with a redirect: a redirect is
/// a FAILURE of the `placeholder` condition; the page is judged (the suite leaves it to a person):
/// after `ExpectSuccessfulLogoutPage` the OP's logged-out page, and the session must have ended
/// (a `prompt=none` authorization then needs a user interface:
/// `RunnerCheckSessionEndedAfterLogoutPage`); after the error-page placeholders the error page or
/// the logged-out page. Without `[browser] logged_out_page`: REVIEW.
async fn page_module(
    ctx: &mut Ctx,
    log: &mut TestLog,
    placeholder: &str,
    why: &str,
    customise: fn(&Ctx, &mut Params) -> Result<(), String>,
) -> Step {
    let hf = first_login(ctx, log).await?;
    let mut params = end_session_params(ctx, &hf);
    let customised = customise(ctx, &mut params);
    log.need("RunnerCustomiseEndSessionEndpointRequest", customised)?;
    log.info(placeholder, format!("a page is expected: {why}"));
    let logged_out_expected = placeholder == "ExpectSuccessfulLogoutPage";
    let expected = match (ctx.config.browser.logged_out_page.is_empty(), logged_out_expected) {
        (true, _) => flow::PageExpected::Review,
        (false, true) => flow::PageExpected::LoggedOut,
        (false, false) => flow::PageExpected::ErrorOrLoggedOut,
    };
    let judged = !matches!(expected, flow::PageExpected::Review);
    let (landing, _) = end_session(ctx, log, &params, &[POST_LOGOUT, BAD_POST_LOGOUT]).await?;
    let stayed = matches!(landing, Landing::Page { .. });
    if let Some((_, _, path)) = flow::page_or_redirect(log, landing, ResponseMode::Query, expected) {
        log.check(
            placeholder,
            Level::Failure,
            Err(format!("the OP redirected to {path}, although it must not ({why})")),
        );
    }
    if stayed && judged && logged_out_expected {
        prompt_none_must_fail_as(ctx, log, "RunnerCheckSessionEndedAfterLogoutPage").await?;
    }
    Ok(())
}

/// The end-session parameters, in order.
type Params = Vec<(String, String)>;

fn set(params: &mut Params, name: &str, value: String) {
    params.retain(|(k, _)| k != name);
    params.push((name.into(), value));
}

async fn bad_post_logout_redirect_uri(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    page_module(
        ctx,
        log,
        "ExpectPostLogoutRedirectUriNotRegisteredErrorPage",
        "the post_logout_redirect_uri is not registered",
        |ctx, p| {
            set(p, "post_logout_redirect_uri", format!("{}{BAD_POST_LOGOUT}", ctx.config.rp_base_url));
            Ok(())
        },
    )
    .await
}

async fn query_added(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    page_module(
        ctx,
        log,
        "ExpectPostLogoutRedirectUriNotRegisteredErrorPage",
        "a query was added to the registered post_logout_redirect_uri",
        |ctx, p| {
            set(p, "post_logout_redirect_uri", format!("{}{POST_LOGOUT}?foo=bar", ctx.config.rp_base_url));
            Ok(())
        },
    )
    .await
}

/// `ChangeIdTokenToAlgNone`: the header replaced by `{"alg":"none"}`, the payload kept, no signature.
pub fn alg_none_version(raw: &str) -> Result<String, String> {
    let payload = raw.split('.').nth(1).ok_or("the ID token is not a compact JWS")?;
    Ok(format!("{}.{payload}.", URL_SAFE_NO_PAD.encode(json!({"alg": "none"}).to_string())))
}

async fn modified_id_token_hint(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    page_module(ctx, log, "ExpectInvalidIdTokenHintErrorPage", "the id_token_hint was changed to alg none", |_, p| {
        let hint = param(p, "id_token_hint").ok_or("no id_token_hint")?.to_string();
        set(p, "id_token_hint", alg_none_version(&hint)?);
        Ok(())
    })
    .await
}

/// `GenerateFakeIdTokenClaims` + `SignFakeIdToken`: an ID token the OP did not issue, signed with
/// a key the runner generates.
fn fake_id_token(ctx: &Ctx) -> Result<String, String> {
    let pair = josekit::jws::ES256.generate_key_pair().map_err(|e| e.to_string())?;
    let mut jwk: Value = Value::Object(pair.to_jwk_key_pair().as_ref().clone());
    jwk["alg"] = json!("ES256");
    jwk["kid"] = json!(random_alnum(8));
    let now = crate::checks::now();
    let claims = json!({
        "iss": ctx.client.id, "aud": ctx.issuer(), "sub": "SubjectID", "nonce": "flibble",
        "iat": now, "exp": now + 300,
    });
    sign_with_jwk(&jwk, &claims)
}

async fn bad_id_token_hint(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    page_module(
        ctx,
        log,
        "ExpectInvalidIdTokenHintErrorPage",
        "the id_token_hint was not issued by the OP",
        |ctx, p| {
            set(p, "id_token_hint", fake_id_token(ctx)?);
            Ok(())
        },
    )
    .await
}

async fn no_id_token_hint(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    page_module(
        ctx,
        log,
        "ExpectIdTokenHintRequiredErrorPage",
        "there is no id_token_hint to validate the post_logout_redirect_uri against",
        |_, p| {
            p.retain(|(k, _)| k != "id_token_hint");
            Ok(())
        },
    )
    .await
}

async fn no_params(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    page_module(
        ctx,
        log,
        "ExpectSuccessfulLogoutPage",
        "no parameters: the OP logs out and shows its logged-out page",
        |_, p| {
            p.clear();
            Ok(())
        },
    )
    .await
}

async fn no_post_logout_redirect_uri(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    page_module(
        ctx,
        log,
        "ExpectSuccessfulLogoutPage",
        "no post_logout_redirect_uri: the OP logs out and shows its logged-out page",
        |_, p| {
            p.retain(|(k, _)| k != "post_logout_redirect_uri");
            Ok(())
        },
    )
    .await
}

async fn only_state(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    page_module(
        ctx,
        log,
        "ExpectSuccessfulLogoutPage",
        "only state: the OP logs out and shows its logged-out page",
        |_, p| {
            p.retain(|(k, _)| k == "state");
            Ok(())
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Jwt;

    #[test]
    fn alg_none_keeps_the_payload_and_drops_the_signature() {
        let payload = URL_SAFE_NO_PAD.encode(r#"{"sub":"u"}"#);
        let raw = format!("{}.{payload}.c2ln", URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","kid":"k"}"#));
        let none = alg_none_version(&raw).unwrap();
        let jwt = Jwt::parse(&none).unwrap();
        assert_eq!(jwt.alg(), "none");
        assert!(jwt.header.get("kid").is_none());
        assert_eq!(jwt.claim_str("sub"), Some("u"));
        assert!(none.ends_with(&format!(".{payload}.")));
    }
}
