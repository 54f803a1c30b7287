//! The pieces every OIDCC module is built from: the setup phase (1.3), the authorization request
//! (1.4) sent through the browser, the callback processing (1.5), the token request (1.6) with the
//! ID-token checks (1.7) and the userinfo call (1.9) — together the happy flow ("HF").

use std::time::Duration;

use serde_json::Value;

use super::client_auth::{authenticate, random_alnum};
use super::{Client, Ctx};
use crate::browser::{Drive, Landing};
use crate::checks::authz::{self, ResponseMode};
use crate::checks::idtoken::{self, Expect};
use crate::checks::{Jwt, jwks, str_of, token, userinfo};
use crate::http::{self, Reply};
use crate::log::{Abort, Level, Step, TestLog};

/// Setup (1.3): discovery, server configuration, JWKS; then the client of the run's variant
/// (a dynamic plan registers one, with the suite's default request).
pub async fn setup(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    if ctx.dynamic {
        let reg = super::registration::Registration::new(ctx).map_err(|e| fail(log, "GenerateRS256ClientJWKs", e))?;
        return super::registration::setup_with(ctx, log, reg).await;
    }
    setup_server(ctx, log).await?;
    ctx.client = variant_client(ctx, ctx.shape.client_auth).map_err(|e| {
        log.check("GetStaticClientConfiguration", Level::Failure, Err(e.clone()));
        Abort(e)
    })?;
    crate::checks::discovery::check_client_auth_supported(log, &ctx.discovery, &ctx.client.auth);
    Ok(())
}

/// Setup (1.3) up to the client: discovery, server configuration, JWKS.
pub async fn setup_server(ctx: &mut Ctx, log: &mut TestLog) -> Step {
    let url = ctx.config.discovery_url();
    let reply = http::send(ctx.http.get(&url)).await;
    let doc = log.need("GetDynamicServerConfiguration", reply.and_then(|r| r.json_object()))?;
    let config_ok =
        ["authorization_endpoint", "token_endpoint", "issuer"].iter().try_for_each(|k| match str_of(&doc, k) {
            Some(s) if !s.is_empty() && url::Url::parse(s).is_ok() => Ok(()),
            _ => Err(format!("'{k}' is missing or not a URL")),
        });
    log.require("RunnerCheckServerConfiguration", config_ok)?;
    ctx.discovery = doc;
    let jwks_uri = ctx.endpoint("jwks_uri");
    let keys = http::send(ctx.http.get(&jwks_uri)).await.and_then(|r| r.json_object());
    ctx.jwks = log.need("FetchServerKeys", keys)?;
    jwks::flow_jwks_checks(log, &ctx.jwks.clone())
}

/// The configured client for a variant (`client_secret_basic`, `client_secret_post`,
/// `private_key_jwt`) or role (`client_secret_post_client`: the separate post client of
/// `oidcc-server-client-secret-post`; `client2`).
pub fn variant_client(ctx: &Ctx, variant: &str) -> Result<Client, String> {
    let c = &ctx.config;
    let post = || c.client_secret_post.as_ref().ok_or("no [client_secret_post] in the run configuration");
    let (block, auth) = match variant {
        "private_key_jwt" => (
            c.client_private_key_jwt.as_ref().ok_or("no [client_private_key_jwt] in the run configuration")?,
            "private_key_jwt".to_string(),
        ),
        "client_secret_post" | "client_secret_post_client" => (post()?, "client_secret_post".to_string()),
        "client2" => {
            let block = c.client2.as_ref().ok_or("no [client2] in the run configuration")?;
            let default = if block.jwk.is_some() { "private_key_jwt" } else { "client_secret_basic" };
            (block, block.token_endpoint_auth_method.clone().unwrap_or_else(|| default.into()))
        }
        other => (&c.client, other.to_string()),
    };
    Ok(Client {
        id: block.client_id.clone(),
        secret: block.client_secret.clone(),
        jwk: block.jwk.clone(),
        auth,
        keys: block.jwks.clone(),
    })
}

/// An authorization request (1.4): parameters in order, plus what the module remembers.
#[derive(Debug, Clone)]
pub struct AuthRequest {
    pub params: Vec<(String, String)>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub scope: String,
    pub redirect_uri: String,
}

impl AuthRequest {
    pub fn new(ctx: &Ctx, scope: &str) -> Self {
        let state = random_alnum(10);
        let nonce = random_alnum(10);
        let redirect_uri = ctx.config.redirect_uri();
        let params = vec![
            ("client_id".into(), ctx.client.id.clone()),
            ("redirect_uri".into(), redirect_uri.clone()),
            ("scope".into(), scope.into()),
            ("state".into(), state.clone()),
            ("nonce".into(), nonce.clone()),
            ("response_type".into(), ctx.response_type.clone()),
        ];
        let mut params = params;
        if ctx.form_post {
            params.push(("response_mode".into(), "form_post".into()));
        }
        Self { params, state: Some(state), nonce: Some(nonce), scope: scope.into(), redirect_uri }
    }

    pub fn set(&mut self, name: &str, value: &str) -> &mut Self {
        match self.params.iter_mut().find(|(k, _)| k == name) {
            Some(p) => p.1 = value.into(),
            None => self.params.push((name.into(), value.into())),
        }
        match name {
            "state" => self.state = Some(value.into()),
            "nonce" => self.nonce = Some(value.into()),
            "redirect_uri" => self.redirect_uri = value.into(),
            "scope" => self.scope = value.into(),
            _ => {}
        }
        self
    }

    pub fn remove(&mut self, name: &str) -> &mut Self {
        self.params.retain(|(k, _)| k != name);
        match name {
            "state" => self.state = None,
            "nonce" => self.nonce = None,
            _ => {}
        }
        self
    }

    /// The suite's 128-character state ending in `-._~`.
    pub fn long_state(&mut self) -> &mut Self {
        let s = format!("{}-._~", random_alnum(124));
        self.set("state", &s)
    }

    pub fn url(&self, endpoint: &str) -> String {
        let query: String = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(&self.params).finish();
        let sep = if endpoint.contains('?') { '&' } else { '?' };
        format!("{endpoint}{sep}{query}")
    }
}

/// Where the response to `req` comes back (1.5): form post, the query for `code`, else the fragment.
pub fn response_mode(ctx: &Ctx, req: &AuthRequest) -> ResponseMode {
    let response_type = authz::param(&req.params, "response_type").unwrap_or(&ctx.response_type);
    if authz::param(&req.params, "response_mode") == Some("form_post") {
        ResponseMode::FormPost
    } else if response_type == "code" || response_type.is_empty() {
        ResponseMode::Query
    } else {
        ResponseMode::Fragment
    }
}

/// How to send the request through the browser.
#[derive(Debug, Clone, Copy, Default)]
pub struct Send {
    pub post: bool,
    pub log_in: bool,
    pub screenshot_login: bool,
    pub screenshot_consent: bool,
}

pub const LOG_IN: Send = Send { post: false, log_in: true, screenshot_login: false, screenshot_consent: false };

/// Sends the request through the module's browser and plays the user (see `browser`). A request
/// with `prompt=none` is driven silently: a login or consent page ends it (`Landing::Interaction`).
/// The login pages seen with `how.screenshot_login` and the consent pages seen with
/// `how.screenshot_consent` are kept as evidence (`TestLog::evidence`).
pub async fn authorize(ctx: &mut Ctx, log: &mut TestLog, req: &AuthRequest, how: Send) -> Step<Landing> {
    let endpoint = ctx.endpoint("authorization_endpoint");
    let url = req.url(&endpoint);
    log.info("BuildPlainRedirectToAuthorizationEndpoint", format!("{} {url}", if how.post { "POST" } else { "GET" }));
    let (config, rp, out, module) = (ctx.config.clone(), ctx.rp.clone(), ctx.out.clone(), ctx.module);
    let mark = rp.mark();
    let fragment = response_mode(ctx, req) == ResponseMode::Fragment;
    let silent = authz::param(&req.params, "prompt").is_some_and(|p| p.split(' ').any(|v| v == "none"));
    let browser = ctx.browser().await.map_err(|e| fail(log, "RunnerBrowser", e))?;
    let sent = if how.post { browser.post_form(&endpoint, &req.params).await } else { browser.goto(&url).await };
    sent.map_err(|e| fail(log, "RunnerBrowser", e))?;
    let drive = Drive {
        log_in: how.log_in && !silent,
        screenshot_login: how.screenshot_login,
        screenshot_consent: how.screenshot_consent,
        fragment,
        mark,
        silent,
        ..Drive::default()
    };
    let driven = browser.drive(&config, &rp, &out, module, &drive).await.map_err(|e| fail(log, "RunnerBrowser", e))?;
    for step in driven.trace {
        log.info("RunnerBrowser", step);
    }
    ctx.login_page_urls = driven.login_urls;
    for shot in driven.login_shots {
        log.info("RunnerBrowserLoginPage", format!("the OP showed its login page: {}", shot.display()));
        log.evidence(shot);
    }
    ctx.consent_page_urls = driven.consent_urls;
    for shot in driven.consent_shots {
        log.info("RunnerBrowserConsentPage", format!("the OP showed its consent page: {}", shot.display()));
        log.evidence(shot);
    }
    if let Landing::Redirected { hit, .. } = &driven.landing {
        log.check(
            "CheckMatchingCallbackParameters",
            Level::Failure,
            matching_callback_parameters(&req.redirect_uri, &hit.query_params()),
        );
    }
    Ok(driven.landing)
}

/// The suite's `CheckMatchingCallbackParameters`: every query parameter of the request's
/// `redirect_uri` came back, with its value, in the callback's URL query (whatever the response
/// mode: the response itself may be in the fragment or the body).
pub fn matching_callback_parameters(redirect_uri: &str, callback_query: &[(String, String)]) -> Result<(), String> {
    let Ok(uri) = url::Url::parse(redirect_uri) else {
        return Err(format!("the redirect_uri {redirect_uri} is not a URL"));
    };
    for (key, expected) in uri.query_pairs() {
        let actual = authz::param(callback_query, &key);
        if actual != Some(expected.as_ref()) {
            return Err(format!(
                "callback parameter '{key}' invalid or missing: expected '{expected}', got {actual:?}"
            ));
        }
    }
    Ok(())
}

/// A silent request (`prompt=none`) met a login or consent page: a FAILURE (OIDC Core 3.1.2.1:
/// "The Authorization Server MUST NOT display any authentication or consent user interface
/// pages"). The suite has no condition for it: its browser would wait, or a person would act.
fn interaction_shown(log: &mut TestLog, url: &str, kind: &str, screenshot: std::path::PathBuf) -> Abort {
    log.evidence(screenshot.clone());
    fail(
        log,
        "RunnerCheckNoInteractionForPromptNone",
        format!(
            "the OP showed its {kind} page ({url}) to a prompt=none request, which must not display any \
             authentication or consent page; screenshot {}",
            screenshot.display()
        ),
    )
}

fn fail(log: &mut TestLog, condition: &str, message: String) -> Abort {
    log.check(condition, Level::Failure, Err(message.clone()));
    Abort(format!("{condition}: {message}"))
}

/// A module that needs the OP to redirect back: a page or a timeout is a failure.
pub fn expect_redirect(log: &mut TestLog, landing: Landing, mode: ResponseMode) -> Step<(Vec<(String, String)>, bool)> {
    match landing {
        Landing::Redirected { hit, fragment } => {
            let code_anywhere = hit.query_params().iter().any(|(k, _)| k == "code")
                || fragment
                    .as_deref()
                    .is_some_and(|f| url::form_urlencoded::parse(f.as_bytes()).any(|(k, _)| k == "code"));
            Ok((authz::read_response(log, mode, &hit, fragment.as_deref()), code_anywhere))
        }
        Landing::Page { url, screenshot, status, .. } => {
            log.evidence(screenshot.clone());
            Err(fail(
                log,
                "RunnerExpectRedirectToRedirectUri",
                format!(
                    "the OP stayed on a page ({url}, HTTP {}) instead of redirecting back; screenshot {}",
                    status.map_or("?".to_string(), |s| s.to_string()),
                    screenshot.display()
                ),
            ))
        }
        Landing::Interaction { url, kind, screenshot } => Err(interaction_shown(log, &url, kind, screenshot)),
        Landing::Timeout { url, .. } => Err(fail(
            log,
            "RunnerExpectRedirectToRedirectUri",
            format!("no redirect back within the timeout; the browser is at {url}"),
        )),
    }
}

/// The result of a happy flow. `token` and `token_form` are empty without a code; the ID token
/// is the token endpoint's when there is one. (`code` serves the hybrid plan's checks.)
#[allow(dead_code)]
#[derive(Debug, Clone)]
pub struct Hf {
    pub code: String,
    pub token: Value,
    pub id_token: Jwt,
    /// The authorization endpoint's ID token (implicit and hybrid flows with `id_token`).
    pub front_id_token: Option<Jwt>,
    pub access_token: String,
    pub token_type: String,
    /// The token request, so code-reuse modules can replay it.
    pub token_form: Vec<(String, String)>,
}

/// Options of the happy flow that some modules change.
#[derive(Debug, Clone)]
pub struct HfOptions {
    /// The `oidcc-server` extras (code length/entropy, WARNING without expires_in).
    pub server_checks: bool,
    pub send: Send,
    pub code_verifier: Option<String>,
}

impl Default for HfOptions {
    fn default() -> Self {
        Self { server_checks: false, send: LOG_IN, code_verifier: None }
    }
}

/// The token request with the code (1.6).
pub async fn token_request(ctx: &Ctx, form: Vec<(String, String)>) -> Result<Reply, String> {
    let endpoint = ctx.endpoint("token_endpoint");
    let request = authenticate(&ctx.client, &endpoint, form, ctx.http.post(&endpoint))?;
    http::send(request).await
}

/// HF: authorization → callback → token → ID token → userinfo (must be 200).
pub async fn happy_flow(ctx: &mut Ctx, log: &mut TestLog, req: &AuthRequest, opts: HfOptions) -> Step<Hf> {
    let landing = authorize(ctx, log, req, opts.send).await?;
    let (params, _) = expect_redirect(log, landing, response_mode(ctx, req))?;
    complete(ctx, log, req, &params, opts).await
}

/// Which parts a response type asks for.
#[derive(Debug, Clone, Copy)]
pub struct Parts {
    pub code: bool,
    pub id_token: bool,
    pub token: bool,
}

impl Parts {
    pub fn of(response_type: &str) -> Self {
        let has = |p: &str| response_type.split(' ').any(|t| t == p);
        Self { code: has("code"), id_token: has("id_token"), token: has("token") }
    }
}

/// HF from the authorization response on: the front-channel ID token and access token (1.5),
/// the token request when a code came (1.6), the ID-token checks (1.7), userinfo (1.9).
pub async fn complete(
    ctx: &mut Ctx,
    log: &mut TestLog,
    req: &AuthRequest,
    params: &[(String, String)],
    opts: HfOptions,
) -> Step<Hf> {
    let issuer = ctx.issuer();
    let parts = Parts::of(authz::param(&req.params, "response_type").unwrap_or(&ctx.response_type));
    let code = authz::happy_callback(log, params, req.state.as_deref(), &issuer, parts.code)?.unwrap_or_default();
    if opts.server_checks && parts.code {
        use crate::checks::entropy;
        log.check("EnsureMinimumAuthorizationCodeLength", Level::Failure, entropy::ensure_length("code", &code));
        log.check("EnsureMinimumAuthorizationCodeEntropy", Level::Failure, entropy::ensure_entropy("code", &code));
    }
    let owned = |k: &str| authz::param(params, k).map(str::to_string);
    let mut access_token = String::new();
    let mut token_type = String::new();
    if parts.token {
        access_token = log.need(
            "ExtractAccessTokenFromAuthorizationResponse",
            owned("access_token").ok_or_else(|| "no access_token in the authorization response".to_string()),
        )?;
        token_type = owned("token_type").unwrap_or_default();
    }
    let claims = req.params.iter().find(|(k, _)| k == "claims").map(|(_, v)| v.as_str());
    let expect =
        Expect { issuer: &issuer, client_id: &ctx.client.id, nonce: req.nonce.as_deref(), jwks: &ctx.jwks, claims };
    let mut front_id_token = None;
    if parts.id_token {
        let raw = owned("id_token").ok_or_else(|| "no id_token in the authorization response".to_string());
        let keys = ctx.client.keys.as_ref();
        let jwt =
            log.need("ExtractIdTokenFromAuthorizationResponse", raw.and_then(|r| Jwt::parse_for_client(&r, keys)))?;
        idtoken::standard_checks(log, &jwt, &expect);
        if opts.server_checks {
            idtoken::check_hash(log, &jwt, "c_hash", &code, parts.code);
            idtoken::check_hash(log, &jwt, "at_hash", &access_token, parts.token);
        }
        front_id_token = Some(jwt);
    }
    let mut body = Value::Null;
    let mut form = Vec::new();
    let id_token = if parts.code {
        form = vec![
            ("grant_type".to_string(), "authorization_code".to_string()),
            ("code".to_string(), code.clone()),
            ("redirect_uri".to_string(), req.redirect_uri.clone()),
        ];
        if let Some(v) = opts.code_verifier {
            form.push(("code_verifier".into(), v));
        }
        let reply = token_request(ctx, form.clone()).await.map_err(|e| fail(log, "CallTokenEndpoint", e))?;
        let (token_body, id_token) =
            token::happy_token_response(log, &reply, opts.server_checks, ctx.client.keys.as_ref())?;
        idtoken::standard_checks(log, &id_token, &expect);
        access_token = str_of(&token_body, "access_token").unwrap_or_default().to_string();
        token_type = str_of(&token_body, "token_type").unwrap_or_default().to_string();
        if opts.server_checks {
            idtoken::check_hash(log, &id_token, "at_hash", &access_token, false);
            idtoken::check_hash(log, &id_token, "c_hash", &code, false);
        }
        if let Some(front) = &front_id_token {
            let same = front.claim_str("sub") == id_token.claim_str("sub");
            let result = if same { Ok(()) } else { Err("the two ID tokens have different subs".into()) };
            log.check("VerifyIdTokenSubConsistentHybridFlow", Level::Failure, result);
        }
        body = token_body;
        id_token
    } else {
        front_id_token
            .clone()
            .ok_or_else(|| fail(log, "ExtractIdTokenFromAuthorizationResponse", "no ID token".into()))?
    };
    if !access_token.is_empty() {
        userinfo::check_token_type(log, &token_type)?;
        let reply =
            userinfo_get(ctx, &token_type, &access_token).await.map_err(|e| fail(log, "CallProtectedResource", e))?;
        userinfo::status_200(log, &reply);
    }
    Ok(Hf { code, token: body, id_token, front_id_token, access_token, token_type, token_form: form })
}

/// Whether the flow gave the client an access token (`code` or `token` in the response type):
/// the scope and claims modules then check userinfo, otherwise the front-channel ID token.
pub fn has_access_token(ctx: &Ctx) -> bool {
    let parts = Parts::of(&ctx.response_type);
    parts.code || parts.token
}

/// The dedicated userinfo checks (1.9) with `sub` compared against every ID token of the flow:
/// the authorization endpoint's and, with a code, the token endpoint's.
pub fn userinfo_checks(ctx: &Ctx, log: &mut TestLog, reply: &Reply, hf: &Hf, content_type: bool) -> Step<Value> {
    let back = Parts::of(&ctx.response_type).code.then_some(&hf.id_token);
    userinfo::full_checks_front_back(log, reply, hf.front_id_token.as_ref(), back, content_type)
}

pub async fn userinfo_get(ctx: &Ctx, token_type: &str, access_token: &str) -> Result<Reply, String> {
    let endpoint = ctx.endpoint("userinfo_endpoint");
    if endpoint.is_empty() {
        return Err("the OP has no userinfo_endpoint".into());
    }
    let request = ctx
        .http
        .get(&endpoint)
        .header("Authorization", format!("{token_type} {access_token}"))
        .header("Accept", "application/json");
    http::send(request).await
}

pub async fn sleep(log: &mut TestLog, seconds: u64) {
    // The suite's WaitForOneSecond, WaitFor2Seconds, WaitFor30Seconds.
    let condition = match seconds {
        1 => "WaitForOneSecond".to_string(),
        n => format!("WaitFor{n}Seconds"),
    };
    log.info(&condition, format!("waiting {seconds} s"));
    tokio::time::sleep(Duration::from_secs(seconds)).await;
}

/// A redirect's parameters, whether a code appeared anywhere, and the RP path it reached.
pub type Redirect = (Vec<(String, String)>, bool, String);

/// What a module that accepts a page instead of a redirect expects the page to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageExpected {
    /// An error page, which the runner checks: an HTTP 4xx response showing an error (the
    /// configured `[browser] error_page` element, or an OAuth error code in its text). The
    /// screenshot is kept as evidence; the module does not need a person.
    Error,
    /// The end of an end-session request the OP must not honour with a redirect (RP-Initiated
    /// Logout: the suite accepts an error page or a logout page): either the error page (as
    /// `Error`) or an HTTP 2xx page with the configured `[browser] logged_out_page` element.
    ErrorOrLoggedOut,
    /// The OP's logged-out page: HTTP 2xx with the configured `logged_out_page` element.
    LoggedOut,
    /// A page a program cannot judge (e.g. a logged-out page): its screenshot is a placeholder for
    /// a person (REVIEW, which must be signed off in a reviewed-results file).
    Review,
}

/// A module that accepts either a page or a redirect: returns the redirect's parameters, or
/// `None` after checking the page (`PageExpected::Error`) or recording it for review.
/// A timeout (neither a redirect nor a page that stayed) is a FAILURE.
pub fn page_or_redirect(
    log: &mut TestLog,
    landing: Landing,
    mode: ResponseMode,
    expected: PageExpected,
) -> Option<Redirect> {
    match landing {
        Landing::Redirected { hit, fragment } => {
            let code_anywhere = hit.query_params().iter().any(|(k, _)| k == "code")
                || fragment
                    .as_deref()
                    .is_some_and(|f| url::form_urlencoded::parse(f.as_bytes()).any(|(k, _)| k == "code"));
            let path = hit.path.clone();
            Some((authz::read_response(log, mode, &hit, fragment.as_deref()), code_anywhere, path))
        }
        Landing::Page { url, screenshot, status, error_marker, logged_out } => {
            match expected {
                PageExpected::Error => {
                    check_error_page(log, &url, status, error_marker);
                    log.evidence(screenshot);
                }
                PageExpected::ErrorOrLoggedOut => {
                    let error_page = status.is_some_and(|s| (400..500).contains(&s)) && error_marker;
                    let logged_out_page = status.is_some_and(|s| (200..300).contains(&s)) && logged_out;
                    log.check(
                        "RunnerCheckLogoutErrorOrLoggedOutPage",
                        Level::Failure,
                        if error_page || logged_out_page {
                            Ok(())
                        } else {
                            Err(format!(
                                "the page {url} (HTTP {status:?}) is neither an error page (4xx showing an error) nor \
                                 the logged-out page (2xx with the configured logged_out_page element)"
                            ))
                        },
                    );
                    log.evidence(screenshot);
                }
                PageExpected::LoggedOut => {
                    log.check(
                        "RunnerCheckLoggedOutPageShown",
                        Level::Failure,
                        match status {
                            Some(s) if (200..300).contains(&s) && logged_out && !error_marker => Ok(()),
                            _ => Err(format!(
                                "the page {url} (HTTP {status:?}) is not the logged-out page: it must be a 2xx page \
                                 with the configured logged_out_page element and no error"
                            )),
                        },
                    );
                    log.evidence(screenshot);
                }
                PageExpected::Review => {
                    log.info(
                        "RunnerExpectPage",
                        format!("the OP showed a page ({url}); a person reviews the screenshot"),
                    );
                    log.screenshot(screenshot);
                }
            }
            None
        }
        Landing::Interaction { url, kind, screenshot } => {
            let _ = interaction_shown(log, &url, kind, screenshot);
            None
        }
        Landing::Timeout { url, screenshot } => {
            if let Some(s) = screenshot {
                log.evidence(s);
            }
            log.check(
                "RunnerExpectPageOrRedirect",
                Level::Failure,
                Err(format!(
                    "neither a redirect back nor a page that stayed within the timeout; the browser is at {url}"
                )),
            );
            None
        }
    }
}

/// The checks of an error page shown instead of a redirect: HTTP 4xx (RFC 6749 4.1.2.1 and OIDC
/// Core 3.1.2.6 leave the page to the OP, but a request error is a client error, not a 500), and
/// an error shown to the user. The suite leaves both to a person looking at the screenshot.
pub fn check_error_page(log: &mut TestLog, url: &str, status: Option<u16>, error_marker: bool) {
    log.check(
        "RunnerCheckErrorPageHttpStatus4xx",
        Level::Failure,
        match status {
            Some(s) if (400..500).contains(&s) => Ok(()),
            Some(s) => Err(format!("the error page {url} came with HTTP {s}; a bad request must get a 4xx page")),
            None => Err(format!("the browser did not report the HTTP status of the page {url}")),
        },
    );
    log.check(
        "RunnerCheckErrorPageShowsError",
        Level::Failure,
        if error_marker {
            Ok(())
        } else {
            Err(format!(
                "the page {url} shows no error: neither the configured error_page element nor an OAuth error code"
            ))
        },
    );
}

/// Whether the OP showed its login page (and the user logged in) since `evidence_before`
/// screenshots were kept — the second authorization of `oidcc-prompt-login` and
/// `oidcc-max-age-1`, driven with `screenshot_login`. The suite's `ExpectSecondLoginPage` asks a
/// person for that screenshot; the runner checks that the configured login page was shown.
pub fn check_second_login_page(log: &mut TestLog, evidence_before: usize, why: &str) {
    let shown = log.evidence.len() > evidence_before;
    log.info("ExpectSecondLoginPage", format!("the OP must show its login page again ({why})"));
    log.check(
        "RunnerCheckSecondLoginPageShown",
        Level::Failure,
        if shown {
            Ok(())
        } else {
            Err(format!("the OP did not show its login page on the second authorization ({why}); it answered at once"))
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_redirect_uris_query_must_come_back_in_the_callback() {
        let q = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Vec<_>>();
        let uri = "http://rp/callback?dummy1=lorem&dummy2=ipsum";
        assert!(
            matching_callback_parameters(uri, &q(&[("dummy1", "lorem"), ("dummy2", "ipsum"), ("code", "c")])).is_ok()
        );
        assert!(matching_callback_parameters(uri, &q(&[("dummy1", "lorem")])).is_err());
        assert!(matching_callback_parameters(uri, &q(&[("dummy1", "lorem"), ("dummy2", "other")])).is_err());
        assert!(matching_callback_parameters("http://rp/callback", &q(&[("code", "c")])).is_ok());
    }
}
