//! eObčanka (high), the server's side: a challenge for each login, and the check of a card's
//! answer to it — the card must be in the register, show the certificate issued for it, sign
//! with the key registered for it, be valid (not lost, stolen or revoked) and within its date
//! of expiry. A challenge is good for [`CHALLENGE_TTL`] seconds and one signature.
//!
//! The IOK and DOK never reach the server: the card checks them ([`crate::card::chip`]). What
//! the server limits is answers: [`ANSWERS_PER_CHALLENGE`] per challenge and [`CARD_ANSWERS`]
//! per card per [`CARD_WINDOW`], reserved atomically before the signature is checked, as the
//! password's and the SMS code's limits are.

use crate::clock::Timestamp;
use crate::model::card::is_card_number;
use crate::model::{Card, CardChallenge, CardRefusal, CardStatus};
use crate::secret;
use crate::store::{CardStore, CounterStore, ReplayStore, StoreError};

/// How long a challenge is good for: five minutes.
pub(crate) const CHALLENGE_TTL: i64 = 300;
/// Answers (signatures posted) to one challenge.
pub(crate) const ANSWERS_PER_CHALLENGE: u32 = 5;
/// Answers from one card per [`CARD_WINDOW`], whatever the challenges.
pub(crate) const CARD_ANSWERS: u32 = 10;
/// The window of the per-card limit: fifteen minutes.
pub(crate) const CARD_WINDOW: i64 = 900;

/// A card's answer to a challenge, as the reader posts it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Answer<'a> {
    pub(crate) number: &'a str,
    /// The certificate on the card (PEM).
    pub(crate) certificate: &'a str,
    /// The signature of [`crate::card::signed_message`] (base64url ASN.1 DER ECDSA).
    pub(crate) signature: &'a str,
}

/// A new challenge for a login.
pub(crate) fn challenge(now: Timestamp) -> CardChallenge {
    CardChallenge { nonce: secret::random_token(24), expires_at: now + CHALLENGE_TTL, outcome: None }
}

/// eObčanka's checks over the card register, the counters and the single-use memory.
pub(crate) struct Eobcanka<'a> {
    pub(crate) cards: &'a dyn CardStore,
    pub(crate) counters: &'a dyn CounterStore,
    pub(crate) replay: &'a dyn ReplayStore,
}

impl Eobcanka<'_> {
    /// Checks `answer` to `challenge`, whose URL is `challenge_url`: the card that signed it, or
    /// why not. A challenge answered rightly is spent, even by a racing answer.
    pub(crate) async fn check(
        &self,
        challenge: &CardChallenge,
        challenge_url: &str,
        answer: Answer<'_>,
        now: Timestamp,
    ) -> Result<Result<Card, CardRefusal>, StoreError> {
        let outcome = self.decide(challenge, challenge_url, answer, now).await?;
        match &outcome {
            // The card number is an identity document's: it stays out of the log.
            Ok(card) => tracing::info!(user_id = %card.user_id, "eObčanka signature accepted"),
            Err(refusal) => {
                tracing::info!(reason = refusal.code(), "eObčanka signature refused");
                crate::metrics::login(refusal.code());
            }
        }
        Ok(outcome)
    }

    async fn decide(
        &self,
        challenge: &CardChallenge,
        challenge_url: &str,
        answer: Answer<'_>,
        now: Timestamp,
    ) -> Result<Result<Card, CardRefusal>, StoreError> {
        if now >= challenge.expires_at {
            return Ok(Err(CardRefusal::ChallengeExpired));
        }
        let answers = self
            .counters
            .increment(&format!("eobcanka:challenge:{}", challenge.nonce), challenge.expires_at, now)
            .await?;
        if answers > ANSWERS_PER_CHALLENGE {
            return Ok(Err(CardRefusal::TooManyAttempts));
        }
        if !is_card_number(answer.number) {
            return Ok(Err(CardRefusal::UnknownCard));
        }
        let card_key = format!("eobcanka:card:{}", secret::digest(answer.number));
        if self.counters.tally(&card_key, now + CARD_WINDOW, now).await?.count > CARD_ANSWERS {
            return Ok(Err(CardRefusal::TooManyAttempts));
        }
        let Some(card) = self.cards.get(answer.number).await? else {
            return Ok(Err(CardRefusal::UnknownCard));
        };
        if answer.certificate.trim() != card.certificate.trim() {
            return Ok(Err(CardRefusal::WrongCertificate));
        }
        if !crate::card::verify(&card.public_key, challenge_url, answer.signature) {
            return Ok(Err(CardRefusal::BadSignature));
        }
        // Only the card's holder learns what became of it: the signature is the card's.
        match card.status {
            CardStatus::Valid => {}
            CardStatus::Applied | CardStatus::Issued => return Ok(Err(CardRefusal::NotCollected)),
            CardStatus::Lost => return Ok(Err(CardRefusal::Lost)),
            CardStatus::Stolen => return Ok(Err(CardRefusal::Stolen)),
            CardStatus::Revoked => return Ok(Err(CardRefusal::Revoked)),
        }
        if card.expired(now) {
            return Ok(Err(CardRefusal::Expired));
        }
        if !self.replay.remember(&format!("eobcanka:signed:{}", challenge.nonce), challenge.expires_at, now).await? {
            return Ok(Err(CardRefusal::Used));
        }
        self.counters.reset(&card_key).await?;
        Ok(Ok(card))
    }
}
