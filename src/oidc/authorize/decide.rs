//! What happens to a valid authorization request: answer at once from the SSO session, or ask
//! the person to log in, choose an account or consent — or, with `prompt=none`, fail.
//!
//! The level of assurance is weighed here, in [`loa_plan`], once per step: an essential
//! requirement no available means meets fails the request (`unmet_authentication_requirements`,
//! also with `prompt=none`); an SSO session below the level the request needs is not used (a
//! step-up: the login page again, or `login_required` with `prompt=none`).

use super::{AuthorizationRequest, AuthorizationResponse, issue};
use crate::authn::loa::{self, Plan, SessionLevel};
use crate::authn::means;
use crate::model::{Authentication, Client, Session};
use crate::oidc::Provider;
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::subject;

#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Answer the client now.
    Respond(AuthorizationResponse),
    Login,
    SelectAccount,
    Consent,
}

/// The decision on a request as it arrives, with the person's SSO session if any. A request that
/// fails is answered at its redirect URI ([`Decision::Respond`] with the error).
pub async fn decide(
    provider: &Provider,
    client: &Client,
    request: &AuthorizationRequest,
    session: Option<&Session>,
) -> Decision {
    answered(provider, request, decide_or_fail(provider, client, request, session).await)
}

/// The step after the person is known: consent if needed, else the response (a failure too).
pub async fn after_login(
    provider: &Provider,
    client: &Client,
    request: &AuthorizationRequest,
    authn: &Authentication,
    session: Option<&Session>,
    consent_given: bool,
) -> Decision {
    let decided = after_login_or_fail(provider, client, request, authn, session, consent_given).await;
    answered(provider, request, decided)
}

fn answered(provider: &Provider, request: &AuthorizationRequest, decided: Result<Decision, OAuthError>) -> Decision {
    decided.unwrap_or_else(|error| Decision::Respond(request.refused(provider, &error)))
}

async fn decide_or_fail(
    provider: &Provider,
    client: &Client,
    request: &AuthorizationRequest,
    session: Option<&Session>,
) -> Result<Decision, OAuthError> {
    let plan = loa_plan(provider, request)?;
    let usable = session.filter(|s| session_satisfies(provider, client, request, &plan, &s.authn));
    let Some(session) = usable else {
        if request.prompt.none {
            return Err(OAuthError::new(ErrorCode::LoginRequired, "the person is not logged in"));
        }
        return Ok(Decision::Login);
    };
    if request.prompt.select_account {
        return Ok(Decision::SelectAccount);
    }
    after_login_or_fail(provider, client, request, &session.authn, Some(session), false).await
}

async fn after_login_or_fail(
    provider: &Provider,
    client: &Client,
    request: &AuthorizationRequest,
    authn: &Authentication,
    session: Option<&Session>,
    consent_given: bool,
) -> Result<Decision, OAuthError> {
    // OpenID Connect Core §5.5.1.1: an essential acr that was not reached fails the request; a
    // voluntary one goes on, and the ID token states the level achieved.
    let plan = loa_plan(provider, request)?;
    if request.loa.is_essential() && !plan.accepts(authn.acr) {
        return Err(unmet());
    }
    if !consent_given && needs_consent(provider, client, request, &authn.user_id).await? {
        if request.prompt.none {
            return Err(OAuthError::new(ErrorCode::ConsentRequired, "the person has not consented to this client"));
        }
        return Ok(Decision::Consent);
    }
    Ok(Decision::Respond(issue(provider, client, request, authn, session).await?))
}

/// Whether an existing authentication is good enough for this request.
fn session_satisfies(
    provider: &Provider,
    client: &Client,
    request: &AuthorizationRequest,
    plan: &Plan,
    authn: &Authentication,
) -> bool {
    if request.prompt.login {
        return false;
    }
    // Core §3.1.2.1: "max_age=0 is equivalent to prompt=login", even within the same second.
    if let Some(max_age) = request.max_age
        && (max_age == 0 || provider.now() - authn.auth_time > max_age)
    {
        return false;
    }
    if let Some(hint) = &request.hint_sub
        && *hint != subject::of(provider, client, &authn.user_id)
    {
        return false;
    }
    plan.session(authn.acr) == SessionLevel::Enough
}

/// The request's level-of-assurance requirement against the levels this provider's means reach.
fn loa_plan(provider: &Provider, request: &AuthorizationRequest) -> Result<Plan, OAuthError> {
    loa::plan(&request.loa, &means::reachable(&provider.persona)).map_err(|_| unmet())
}

fn unmet() -> OAuthError {
    OAuthError::new(
        ErrorCode::UnmetAuthenticationRequirements,
        "no available means of authentication reaches the level of assurance the request requires",
    )
}

async fn needs_consent(
    provider: &Provider,
    client: &Client,
    request: &AuthorizationRequest,
    user_id: &str,
) -> Result<bool, OAuthError> {
    if client.first_party {
        return Ok(false);
    }
    if request.prompt.consent {
        return Ok(true);
    }
    let granted = provider.stores.consents.get(user_id, &client.client_id).await?.unwrap_or_default();
    Ok(!request.scopes.iter().all(|s| granted.contains(s)))
}
