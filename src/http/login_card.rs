//! eObčanka's login: the challenge a reader signs, the reader's post of the signature (JSON),
//! and the page's Continue, which finishes the login once a card has signed. The checks live in
//! [`crate::authn::eobcanka`]; this shows their outcome, to the reader and on the page.
//!
//! The reader talks to the server, not to the browser: it posts to the challenge's URL (the
//! interaction and a random nonce), and the outcome is kept with the interaction until the
//! person presses Continue in the browser that started the login. The challenge's URL is a
//! bearer secret shown on the screen: should a second card sign a challenge already signed by
//! another, the login is voided rather than given to either.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::error::HttpError;
use super::form::PageForm;
use super::interaction::{self, Loaded};
use super::login;
use super::pages::{CardPrompt, LoginError};
use super::{i18n, security};
use crate::authn::Authn;
use crate::authn::eobcanka::{self, Answer};
use crate::authn::means::Means;
use crate::model::{CardOutcome, CardRefusal};
use crate::oidc::{OAuthError, Provider};
use crate::secret;

#[derive(Deserialize)]
pub struct CardForm {
    #[serde(default)]
    pub interaction: String,
    #[serde(default)]
    pub csrf: String,
    /// `continue` (also when missing) or `cancel`.
    #[serde(default)]
    pub action: String,
}

/// What the reader posts.
#[derive(Deserialize)]
pub struct ReaderAnswer {
    pub number: String,
    pub certificate: String,
    pub signature: String,
}

/// The URL of an interaction's challenge: where the reader posts, and what the card signs.
pub fn challenge_url(provider: &Provider, interaction: &str, nonce: &str) -> String {
    provider.persona.url(&format!("{}/{}/{}", provider.persona.paths.login_card, interaction, nonce))
}

/// The prompt of the login page for the interaction's challenge, if it has one.
pub fn prompt(provider: &Provider, loaded: &Loaded) -> Option<CardPrompt> {
    let challenge = loaded.interaction.card.as_ref()?;
    let url = challenge_url(provider, &loaded.interaction.id, &challenge.nonce);
    Some(CardPrompt {
        command: format!("identita card login KARTA.json --url {url}"),
        url,
        action: loaded.page.url(provider.persona.paths.login_card),
        signed: matches!(challenge.outcome, Some(CardOutcome::Signed { .. })),
    })
}

/// Gives the interaction a new challenge when it has none that is good (missing, expired, or
/// refused when `after_refusal`), and stores it.
pub async fn ensure_challenge(provider: &Provider, loaded: &mut Loaded, after_refusal: bool) -> Result<(), HttpError> {
    let now = provider.now();
    let good =
        loaded.interaction.card.as_ref().is_some_and(|c| {
            now < c.expires_at && !(after_refusal && matches!(c.outcome, Some(CardOutcome::Refused(_))))
        });
    if !good {
        loaded.interaction.card = Some(eobcanka::challenge(now));
        interaction::save(provider, loaded).await?;
    }
    Ok(())
}

/// The page's Continue (or Cancel).
pub async fn submit(
    State(provider): State<Provider>,
    State(authn): State<Authn>,
    headers: HeaderMap,
    PageForm(form): PageForm<CardForm>,
) -> Result<Response, HttpError> {
    let mut loaded = interaction::load(&provider, &headers, &form.interaction, Some(&form.csrf)).await?;
    if form.action == "cancel" {
        return login::cancel(&provider, loaded).await;
    }
    let now = provider.now();
    let error = match loaded.interaction.card.as_ref().and_then(|c| c.outcome.clone()) {
        Some(CardOutcome::Signed { user_id, .. }) => {
            // The account may have been disabled or removed since its card was issued.
            let user = authn.users.get(&user_id).await.map_err(|e| loaded.error(e))?;
            if user.is_some_and(|u| !u.disabled) {
                let means = Means::Eobcanka;
                let authn = means.authenticated(user_id, now, &provider.persona);
                loaded.interaction.card = None;
                return interaction::finish_login(&provider, &headers, loaded, authn).await;
            }
            tracing::info!(user_id = %user_id, "eObčanka login refused: the card's account is gone or disabled");
            loaded.interaction.card = None;
            LoginError::CardHolderUnknown
        }
        Some(CardOutcome::Refused(refusal)) => LoginError::Card(refusal),
        None if loaded.interaction.card.as_ref().is_some_and(|c| now < c.expires_at) => LoginError::CardNotSigned,
        None => LoginError::Card(CardRefusal::ChallengeExpired),
    };
    ensure_challenge(&provider, &mut loaded, true).await?;
    login::again(&provider, &loaded, Means::Eobcanka, error)
}

/// The reader's post of a card's signature: a JSON answer, and the outcome kept for the page.
pub async fn answer(
    State(provider): State<Provider>,
    State(authn): State<Authn>,
    Path((interaction_id, nonce)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let Ok(answer) = serde_json::from_slice::<ReaderAnswer>(&body) else {
        return reply(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the body must be JSON with number, certificate and signature",
        );
    };
    let now = provider.now();
    let expired = || {
        let refusal = CardRefusal::ChallengeExpired;
        reply(StatusCode::GONE, refusal.code(), i18n::card_refusal(i18n::Locale::En, refusal))
    };
    let mut interaction = match provider.stores.interactions.get(&interaction_id, now).await {
        Ok(Some(interaction)) => interaction,
        Ok(None) => return expired(),
        Err(e) => return unavailable(e.into()),
    };
    let Some(challenge) = interaction.card.clone().filter(|c| secret::constant_time_eq(&c.nonce, &nonce)) else {
        return expired();
    };
    let url = challenge_url(&provider, &interaction_id, &nonce);
    let number = answer.number.clone();
    let answer = Answer { number: &answer.number, certificate: &answer.certificate, signature: &answer.signature };
    let outcome = match authn.eobcanka().check(&challenge, &url, answer, now).await {
        Ok(outcome) => outcome,
        Err(e) => {
            crate::metrics::store_error(&e);
            return unavailable(e.into());
        }
    };
    let (kept, response) = match outcome {
        Ok(card) => (
            CardOutcome::Signed { number: card.number.clone(), user_id: card.user_id },
            (
                StatusCode::OK,
                Json(json!({
                    "status": "signed",
                    "card": card.number,
                    "message": "The card signed the sign-in: return to your browser and press Continue \
                                (Karta přihlášení podepsala: vraťte se do prohlížeče a stiskněte Pokračovat).",
                })),
            )
                .into_response(),
        ),
        Err(refusal) => {
            let status = match refusal {
                CardRefusal::UnknownCard | CardRefusal::WrongCertificate | CardRefusal::BadSignature => {
                    StatusCode::UNAUTHORIZED
                }
                CardRefusal::NotCollected
                | CardRefusal::Lost
                | CardRefusal::Stolen
                | CardRefusal::Revoked
                | CardRefusal::Expired => StatusCode::FORBIDDEN,
                CardRefusal::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
                CardRefusal::Used => StatusCode::CONFLICT,
                CardRefusal::ChallengeExpired => StatusCode::GONE,
            };
            (
                CardOutcome::Refused(refusal),
                reply(status, refusal.code(), i18n::card_refusal(i18n::Locale::En, refusal)),
            )
        }
    };
    if let Some(kept_now) = interaction.card.as_mut() {
        let change = match (&kept_now.outcome, &kept) {
            // A second card signed a challenge another card has signed: someone else saw the
            // challenge's URL. The login is voided, so that no one is logged in as another.
            (Some(CardOutcome::Signed { number: first, .. }), CardOutcome::Refused(CardRefusal::Used))
                if *first != number =>
            {
                tracing::warn!("eObčanka challenge signed by two cards: the login is voided");
                Some(CardOutcome::Refused(CardRefusal::Used))
            }
            // Otherwise a challenge once signed stays signed: a replay does not undo it.
            (Some(CardOutcome::Signed { .. }), _) => None,
            _ => Some(kept),
        };
        if let Some(outcome) = change {
            kept_now.outcome = Some(outcome);
            if let Err(e) = provider.stores.interactions.put(&interaction).await {
                return unavailable(e.into());
            }
        }
    }
    let mut response = response;
    security::no_store(response.headers_mut());
    response
}

fn reply(status: StatusCode, code: &str, description: &str) -> Response {
    let mut response = (status, Json(json!({ "error": code, "error_description": description }))).into_response();
    security::no_store(response.headers_mut());
    response
}

fn unavailable(error: OAuthError) -> Response {
    tracing::error!(error = %error.description, "an eObčanka answer could not be handled");
    reply(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", "try again in a moment")
}
