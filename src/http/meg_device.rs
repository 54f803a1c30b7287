//! What a MEG device talks to (JSON, no cookies): pairing (`POST /meg/pair`), its answer to a
//! login's challenge (`POST /login/meg/{interaction}/{nonce}`), and its push connection (`GET
//! /meg/devices/{id}/push`, server-sent events, opened with a token the device signs). Every
//! refusal is a JSON error with a code a script can act on.

use std::convert::Infallible;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream;
use serde::Deserialize;
use serde_json::json;

use super::login_meg::challenge_url;
use super::{meg_texts, security};
use crate::authn::Authn;
use crate::authn::meg::{Answer, PairingRefusal};
use crate::meg::Decision;
use crate::model::{MegOutcome, MegRefusal};
use crate::oidc::{OAuthError, Provider};
use crate::secret;

/// What a device being paired posts.
#[derive(Deserialize)]
pub struct PairRequest {
    pub code: String,
    pub public_key: String,
    #[serde(default)]
    pub name: String,
}

/// What a device posts to a challenge.
#[derive(Deserialize)]
pub struct DeviceAnswer {
    pub device: String,
    /// `approve` or `refuse`.
    pub decision: String,
    pub signature: String,
}

/// Pairs a device: its id and its holder's username.
pub async fn pair(State(provider): State<Provider>, State(authn): State<Authn>, body: Bytes) -> Response {
    let Ok(request) = serde_json::from_slice::<PairRequest>(&body) else {
        return reply(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the body must be JSON with code, public_key and name",
        );
    };
    let now = provider.now();
    let name = if request.name.trim().is_empty() { "MEG" } else { request.name.as_str() };
    let device = match authn.meg().pair(&request.code, &request.public_key, name, now).await {
        Ok(Ok(device)) => device,
        Ok(Err(PairingRefusal::InvalidCode)) => {
            return reply(
                StatusCode::BAD_REQUEST,
                "invalid_pairing",
                "the pairing code is unknown, already used or expired (it is good for 4 minutes and one device); ask for a new one",
            );
        }
        Ok(Err(PairingRefusal::BadPublicKey)) => {
            return reply(StatusCode::BAD_REQUEST, "invalid_request", "public_key must be a P-256 point (base64url)");
        }
        Ok(Err(PairingRefusal::BadName)) => {
            return reply(StatusCode::BAD_REQUEST, "invalid_request", "name must be 1 to 64 printable characters");
        }
        Err(e) => return unavailable(e),
    };
    let username = match authn.users.get(&device.user_id).await {
        Ok(user) => user.map(|u| u.username).unwrap_or_default(),
        Err(e) => return unavailable(e),
    };
    let mut response = (
        StatusCode::CREATED,
        Json(json!({ "device": device.id, "username": username, "name": device.name, "server": provider.issuer() })),
    )
        .into_response();
    security::no_store(response.headers_mut());
    response
}

/// A device's answer to a challenge: a JSON answer, and the outcome kept for the page.
pub async fn answer(
    State(provider): State<Provider>,
    State(authn): State<Authn>,
    Path((interaction_id, nonce)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let parsed = serde_json::from_slice::<DeviceAnswer>(&body).ok();
    let Some((request, decision)) = parsed.and_then(|a| Decision::parse(&a.decision).map(|d| (a, d))) else {
        return reply(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the body must be JSON with device, decision (approve or refuse) and signature",
        );
    };
    let now = provider.now();
    let expired = || refused(MegRefusal::ChallengeExpired);
    let mut interaction = match provider.stores.interactions.get(&interaction_id, now).await {
        Ok(Some(interaction)) => interaction,
        Ok(None) => return expired(),
        Err(e) => return unavailable(e),
    };
    let Some(challenge) = interaction.meg.clone().filter(|c| secret::constant_time_eq(&c.nonce, &nonce)) else {
        return expired();
    };
    let url = challenge_url(&provider, &interaction_id, &nonce);
    let answer = Answer { device: &request.device, decision, signature: &request.signature };
    let outcome = match authn.meg().check(&challenge, &url, answer, now).await {
        Ok(outcome) => outcome,
        Err(e) => return unavailable(e),
    };
    let (kept, response) = match outcome {
        Ok(device) => (
            MegOutcome::Approved { device: device.id.clone(), user_id: device.user_id },
            (
                StatusCode::OK,
                Json(json!({
                    "status": "approved",
                    "device": device.id,
                    "message": "The sign-in is approved: the browser goes on by itself \
                                (Přihlášení je potvrzeno: prohlížeč pokračuje sám).",
                })),
            )
                .into_response(),
        ),
        Err(MegRefusal::RefusedByUser) => (
            MegOutcome::Refused(MegRefusal::RefusedByUser),
            (StatusCode::OK, Json(json!({ "status": "refused", "message": "The sign-in is refused." })))
                .into_response(),
        ),
        Err(refusal) => (MegOutcome::Refused(refusal), refused(refusal)),
    };
    // What the page shows: a rightly signed answer decides; a bad one is kept only while no
    // device has answered (so the page can say why), and never undoes an approval — except a
    // second person's approval, which voids it.
    let voided = kept == MegOutcome::Refused(MegRefusal::Voided);
    let decided = matches!(
        challenge.outcome,
        Some(MegOutcome::Approved { .. } | MegOutcome::Refused(MegRefusal::RefusedByUser | MegRefusal::Voided))
    );
    let spent = matches!(kept, MegOutcome::Refused(MegRefusal::Used | MegRefusal::ChallengeExpired));
    if (voided || !decided && !spent)
        && let Some(kept_now) = interaction.meg.as_mut()
    {
        kept_now.outcome = Some(kept);
        if let Err(e) = provider.stores.interactions.put(&interaction).await {
            return unavailable(e);
        }
        authn.push.answered(&interaction_id);
    }
    let mut response = response;
    security::no_store(response.headers_mut());
    response
}

/// A device's push connection: an event `login` with the challenge's URL for each push.
pub async fn push(
    State(provider): State<Provider>,
    State(authn): State<Authn>,
    Path(device_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let device = match authn.meg().push_device(&device_id, authorization, provider.now()).await {
        Ok(Some(device)) => device,
        Ok(None) => {
            return reply(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "the push connection needs Authorization: MEG <time>.<signature> from an active paired device",
            );
        }
        Err(e) => return unavailable(e),
    };
    let subscription = authn.push.subscribe(&device.id);
    let events = stream::unfold(subscription, |mut subscription| async move {
        let url = subscription.pushes.recv().await?;
        Some((Ok::<_, Infallible>(Event::default().event("login").data(url)), subscription))
    });
    Sse::new(events).keep_alive(super::login_meg::keep_alive(&provider)).into_response()
}

fn refused(refusal: MegRefusal) -> Response {
    let status = match refusal {
        MegRefusal::UnknownDevice | MegRefusal::BadSignature => StatusCode::UNAUTHORIZED,
        MegRefusal::RevokedDevice | MegRefusal::RefusedByUser => StatusCode::FORBIDDEN,
        MegRefusal::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
        MegRefusal::Used | MegRefusal::Voided => StatusCode::CONFLICT,
        MegRefusal::ChallengeExpired => StatusCode::GONE,
    };
    reply(status, refusal.code(), meg_texts::refusal(super::i18n::Locale::En, refusal))
}

fn reply(status: StatusCode, code: &str, description: &str) -> Response {
    let mut response = (status, Json(json!({ "error": code, "error_description": description }))).into_response();
    security::no_store(response.headers_mut());
    response
}

fn unavailable(error: crate::store::StoreError) -> Response {
    crate::metrics::store_error(&error);
    let error: OAuthError = error.into();
    tracing::error!(error = %error.description, "a MEG device's request could not be handled");
    reply(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", "try again in a moment")
}
