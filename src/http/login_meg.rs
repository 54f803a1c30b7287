//! MEG's login page (Mobilní klíč eGovernmentu): the challenge as a QR code and a same-device
//! link, the page's event stream that tells it when a device has answered, Continue (which
//! finishes the login once a device has approved — also the way without JavaScript), Cancel, and
//! the push form. The checks live in [`crate::authn::meg`]; a device's side of the conversation
//! (its answer, pairing, its push connection) is [`super::meg_device`].
//!
//! A device's answer is kept with the interaction in the store, and the event stream reads it
//! from there: an approval posted to any node completes the login waiting on any other.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use futures_util::stream::{self, Stream};
use serde::Deserialize;
use tokio::sync::broadcast;

use super::error::HttpError;
use super::form::PageForm;
use super::interaction::{self, Loaded};
use super::login;
use super::pages::{LoginError, MegPrompt};
use crate::authn::Authn;
use crate::authn::means::Means;
use crate::authn::meg;
use crate::authn::meg_push::{PUSH_WINDOW, PUSHES_PER_USER};
use crate::meg::LINK_SCHEME;
use crate::model::{MegOutcome, MegRefusal};
use crate::oidc::Provider;
use crate::secret;

/// How often the event stream looks at the store.
const POLL: Duration = Duration::from_millis(150);

#[derive(Deserialize)]
pub struct MegForm {
    #[serde(default)]
    pub interaction: String,
    #[serde(default)]
    pub csrf: String,
    /// `continue` (also when missing), `cancel` or `push`.
    #[serde(default)]
    pub action: String,
    /// With `push`: whose paired devices to push to.
    #[serde(default)]
    pub username: String,
}

/// The URL of an interaction's challenge: where a device posts, and what it signs.
pub fn challenge_url(provider: &Provider, interaction: &str, nonce: &str) -> String {
    provider.persona.url(&format!("{}/{}/{}", provider.persona.paths.login_meg, interaction, nonce))
}

/// The QR code of `text` as an SVG `data:` URL.
pub(super) fn qr_code(text: &str) -> String {
    let svg = qrcode::QrCode::new(text.as_bytes())
        .map(|code| {
            code.render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(240, 240)
                .dark_color(qrcode::render::svg::Color("#000000"))
                .light_color(qrcode::render::svg::Color("#ffffff"))
                .build()
        })
        .unwrap_or_default();
    format!("data:image/svg+xml;base64,{}", STANDARD.encode(svg))
}

/// The MEG part of the login page for the interaction's challenge, if it has one.
pub fn prompt(provider: &Provider, loaded: &Loaded) -> Option<MegPrompt> {
    let challenge = loaded.interaction.meg.as_ref()?;
    let url = challenge_url(provider, &loaded.interaction.id, &challenge.nonce);
    let link = format!("{LINK_SCHEME}{url}");
    let base = loaded.page.base.clone();
    let path = provider.persona.paths.login_meg;
    Some(MegPrompt {
        command: format!("identita meg approve {url} --device ZARIZENI.json"),
        qr: qr_code(&link),
        link,
        url,
        action: format!("{base}{path}"),
        events: format!("{base}{path}/{}/events", loaded.interaction.id),
        approved: matches!(challenge.outcome, Some(MegOutcome::Approved { .. })),
        script_nonce: secret::random_token(16),
    })
}

/// Gives the interaction a new challenge when it has none that is good (missing, expired, or
/// refused when `after_refusal`), and stores it.
pub async fn ensure_challenge(provider: &Provider, loaded: &mut Loaded, after_refusal: bool) -> Result<(), HttpError> {
    let now = provider.now();
    let good =
        loaded.interaction.meg.as_ref().is_some_and(|c| {
            now < c.expires_at && !(after_refusal && matches!(c.outcome, Some(MegOutcome::Refused(_))))
        });
    if !good {
        loaded.interaction.meg = Some(meg::challenge(now));
        interaction::save(provider, loaded).await?;
    }
    Ok(())
}

/// The page's Continue, Cancel, or a push to the person's devices.
pub async fn submit(
    State(provider): State<Provider>,
    State(authn): State<Authn>,
    headers: HeaderMap,
    PageForm(form): PageForm<MegForm>,
) -> Result<Response, HttpError> {
    let mut loaded = interaction::load(&provider, &headers, &form.interaction, Some(&form.csrf)).await?;
    if form.action == "cancel" {
        return login::cancel(&provider, loaded).await;
    }
    if !login::offers(&provider, &loaded, Means::Meg)? {
        return login::again(&provider, &loaded, Means::Meg, LoginError::MeansNotOffered);
    }
    if form.action == "push" {
        ensure_challenge(&provider, &mut loaded, true).await?;
        return push(&provider, &authn, &loaded, form.username.trim()).await;
    }
    let now = provider.now();
    let error = match loaded.interaction.meg.as_ref().and_then(|c| c.outcome.clone()) {
        Some(MegOutcome::Approved { user_id, .. }) => {
            // The account may have been disabled or removed since its device was paired.
            let user = authn.users.get(&user_id).await.map_err(|e| loaded.error(e))?;
            loaded.interaction.meg = None;
            if user.is_some_and(|u| !u.disabled) {
                let means = Means::Meg;
                let authn = means.authenticated(user_id, now, &provider.persona);
                return interaction::finish_login(&provider, &headers, loaded, authn).await;
            }
            tracing::info!(user_id = %user_id, "MEG login refused: the device's account is gone or disabled");
            LoginError::MegHolderUnknown
        }
        Some(MegOutcome::Refused(refusal)) => LoginError::Meg(refusal),
        None if loaded.interaction.meg.as_ref().is_some_and(|c| now < c.expires_at) => LoginError::MegNotApproved,
        None => LoginError::Meg(MegRefusal::ChallengeExpired),
    };
    ensure_challenge(&provider, &mut loaded, true).await?;
    login::again(&provider, &loaded, Means::Meg, error)
}

/// Pushes the challenge to the devices of `username`: the count reserved first, and the same
/// page whether the account exists, has devices, or not.
async fn push(provider: &Provider, authn: &Authn, loaded: &Loaded, username: &str) -> Result<Response, HttpError> {
    let now = provider.now();
    let failed = |e: crate::store::StoreError| {
        crate::metrics::store_error(&e);
        loaded.error(e)
    };
    let key = format!("meg:push:{}", secret::digest(&username.to_lowercase()));
    let tally = authn.counters.tally(&key, now + PUSH_WINDOW, now).await.map_err(failed)?;
    if tally.count > PUSHES_PER_USER {
        let minutes = (tally.ends_at - now + 59) / 60;
        return login::again(provider, loaded, Means::Meg, LoginError::TryLater { minutes });
    }
    let user = authn.users.find_by_username(username).await.map_err(failed)?;
    if let (Some(user), Some(challenge)) = (user.filter(|u| !u.disabled), loaded.interaction.meg.as_ref()) {
        let devices = authn.devices.list(Some(&user.id)).await.map_err(failed)?;
        let active: Vec<String> =
            devices.into_iter().filter(|d| d.status == crate::model::DeviceStatus::Active).map(|d| d.id).collect();
        let url = challenge_url(provider, &loaded.interaction.id, &challenge.nonce);
        authn.push.push(&active, &url).await.map_err(failed)?;
        tracing::info!(user_id = %user.id, devices = active.len(), "MEG push sent");
    }
    login::again(provider, loaded, Means::Meg, LoginError::MegPushSent)
}

/// The page's event stream: one `meg` event (`approved`, `refused` or `expired`) once a device
/// has answered or the challenge has run out, read from the store every [`POLL`] and at once
/// when a device answers on this node.
pub async fn events(
    State(provider): State<Provider>,
    State(authn): State<Authn>,
    headers: HeaderMap,
    Path(interaction_id): Path<String>,
) -> Result<Response, HttpError> {
    let loaded = interaction::load(&provider, &headers, &interaction_id, None).await?;
    let nonce = loaded.interaction.meg.as_ref().map(|c| c.nonce.clone()).unwrap_or_default();
    let answers = authn.push.answers();
    let keep_alive = keep_alive(&provider);
    let stream = watch(provider, answers, interaction_id, nonce);
    Ok(Sse::new(stream).keep_alive(keep_alive).into_response())
}

/// The comments an event stream sends while it has no news: often enough that the server's own
/// idle timeout (`http.idle_timeout`) never closes a stream that waits as it should.
pub fn keep_alive(provider: &Provider) -> KeepAlive {
    KeepAlive::new().interval(keep_alive_interval(provider))
}

/// How often a waiting stream or push connection shows it is alive: within half the idle timeout.
pub fn keep_alive_interval(provider: &Provider) -> Duration {
    Duration::from_secs((provider.config.http.idle_timeout / 2).clamp(1, 15))
}

fn watch(
    provider: Provider,
    answers: broadcast::Receiver<String>,
    id: String,
    nonce: String,
) -> impl Stream<Item = Result<Event, Infallible>> {
    stream::unfold(Some((provider, answers, id, nonce)), |state| async move {
        let (provider, mut answers, id, nonce) = state?;
        loop {
            let now = provider.now();
            let found = provider.stores.interactions.get(&id, now).await;
            let kind = match found {
                Ok(Some(interaction)) => match interaction.meg {
                    Some(c) if c.nonce == nonce => match c.outcome {
                        Some(MegOutcome::Approved { .. }) => Some("approved"),
                        Some(MegOutcome::Refused(_)) => Some("refused"),
                        None if now >= c.expires_at => Some("expired"),
                        None => None,
                    },
                    // A new challenge (another tab, a push): the page is out of date.
                    _ => Some("expired"),
                },
                Ok(None) => Some("expired"),
                // The store is away for a moment: keep waiting, the client may reconnect.
                Err(e) => {
                    crate::metrics::store_error(&e);
                    None
                }
            };
            if let Some(kind) = kind {
                return Some((Ok(Event::default().event("meg").data(kind)), None));
            }
            // An answer given on this node wakes the page at once; one given on another node
            // is seen at the next poll.
            let deadline = tokio::time::Instant::now() + POLL;
            loop {
                match tokio::time::timeout_at(deadline, answers.recv()).await {
                    Ok(Ok(answered)) if answered != id => continue,
                    Ok(Err(broadcast::error::RecvError::Closed)) => tokio::time::sleep_until(deadline).await,
                    _ => {}
                }
                break;
            }
        }
    })
}
