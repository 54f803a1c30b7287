//! What a MEG device talks to (JSON, no cookies): pairing (`POST /meg/pair`), its answer to a
//! login's challenge (`POST /login/meg/{interaction}/{nonce}`), and its push connection (`GET
//! /meg/devices/{id}/push`, a WebSocket opened with a token the device signs). Every refusal is a
//! JSON error with a code a script can act on.
//!
//! The push connection is a WebSocket rather than server-sent events so that a node can hold
//! many of them: once upgraded, a connection keeps only its socket, a small read buffer and its
//! place in the hub (about 4 KiB), where an HTTP response stream keeps the HTTP connection's
//! buffers too (about 15 KiB; `benches/README.md`).

use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::i18n::meg as meg_texts;
use super::login_meg::challenge_url;
use super::security;
use crate::authn::Authn;
use crate::authn::meg::{Answer, PairingRefusal};
use crate::authn::meg_push::Subscription;
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
        Json(json!({ "device": device.id, "username": username, "name": device.name, "server": provider.persona.base_url })),
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

/// What a push connection reads at most at once: a device sends only pongs and a close.
const PUSH_READ_BUFFER: usize = 512;
/// The largest message a device may send on its push connection.
const PUSH_MAX_MESSAGE: usize = 1024;
/// Pings a device may leave unanswered before its connection is thought dead and closed.
const PUSH_UNANSWERED_PINGS: u32 = 3;

/// A device's push connection: a WebSocket on which each push is a text message
/// `{"event":"login","challenge":URL}`; the server pings within its idle timeout and closes a
/// connection whose device stops answering.
pub async fn push(
    State(provider): State<Provider>,
    State(authn): State<Authn>,
    Path(device_id): Path<String>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
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
    let Ok(upgrade) = upgrade else {
        let mut response = reply(
            StatusCode::UPGRADE_REQUIRED,
            "invalid_request",
            "the push connection is a WebSocket: GET with Connection: Upgrade, Upgrade: websocket",
        );
        response.headers_mut().insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        return response;
    };
    let hub = authn.push.clone();
    let ping_every = super::login_meg::keep_alive_interval(&provider);
    upgrade
        .read_buffer_size(PUSH_READ_BUFFER)
        .write_buffer_size(0)
        .max_message_size(PUSH_MAX_MESSAGE)
        .max_frame_size(PUSH_MAX_MESSAGE)
        .on_upgrade(move |socket| deliver(socket, hub.subscribe(&device.id), ping_every))
}

/// Sends the pushes of `subscription` on `socket` until the device closes it, stops answering
/// pings, or the connection fails.
async fn deliver(mut socket: WebSocket, mut subscription: Subscription, ping_every: Duration) {
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + ping_every, ping_every);
    let mut unanswered = 0;
    loop {
        tokio::select! {
            pushed = subscription.pushes.recv() => {
                let Some(url) = pushed else { break };
                let text = json!({ "event": "login", "challenge": url }).to_string();
                if socket.send(Message::Text(text.into())).await.is_err() {
                    break;
                }
            }
            received = socket.recv() => match received {
                Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                Some(Ok(_)) => unanswered = 0,
            },
            _ = ping.tick() => {
                unanswered += 1;
                if unanswered > PUSH_UNANSWERED_PINGS || socket.send(Message::Ping(Bytes::new())).await.is_err() {
                    break;
                }
            }
        }
    }
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

pub(super) fn reply(status: StatusCode, code: &str, description: &str) -> Response {
    let mut response = (status, Json(json!({ "error": code, "error_description": description }))).into_response();
    security::no_store(response.headers_mut());
    response
}

pub(super) fn unavailable(error: crate::store::StoreError) -> Response {
    crate::metrics::store_error(&error);
    let error: OAuthError = error.into();
    tracing::error!(error = %error.description, "a MEG device's request could not be handled");
    reply(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", "try again in a moment")
}
