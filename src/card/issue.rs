//! Issuing a card, the operator's side: an application registered, then a key pair made for the
//! chip, its certificate from the card CA, and the card in the register — the register first, so
//! a card whose file exists is always known to the server.

use std::path::Path;

use rand::Rng;

use super::ca::CardCa;
use super::chip::{Chip, ChipError};
use crate::clock::Timestamp;
use crate::model::{Card, CardStatus};
use crate::store::{CardStore, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Chip(#[from] ChipError),
    #[error(transparent)]
    Ca(#[from] super::ca::CaError),
}

/// A new card for `user_id`, valid from `now` to `valid_until`, registered in `cards` as
/// collected (valid): applied for, made and handed over at once. Its CA is the one in `keys_dir`
/// (made there if missing). The chip is activated when `codes` (IOK, DOK) are given.
pub async fn issue(
    cards: &dyn CardStore,
    keys_dir: &Path,
    user_id: &str,
    now: Timestamp,
    valid_until: Timestamp,
    codes: Option<(&str, &str)>,
) -> Result<(Card, Chip), IssueError> {
    // The codes are checked before anything is registered.
    if let Some((iok, dok)) = codes {
        super::chip::check_codes(iok, dok)?;
    }
    let ca = CardCa::open_or_create(keys_dir, now)?;
    let (card, mut chip) = register(cards, |number| made(&ca, number, user_id, now, valid_until)).await?;
    if let Some((iok, dok)) = codes {
        chip.activate(iok, dok)?;
    }
    Ok((card, chip))
}

/// An application for a card for `user_id`, registered with a number of its own and no chip
/// yet (status applied).
pub async fn apply(cards: &dyn CardStore, user_id: &str, now: Timestamp) -> Result<Card, IssueError> {
    let application = |number: &str| {
        let card = Card {
            number: number.to_owned(),
            user_id: user_id.to_owned(),
            public_key: String::new(),
            certificate: String::new(),
            issued_at: now,
            valid_until: now,
            status: CardStatus::Applied,
        };
        Ok((card, ()))
    };
    Ok(register(cards, application).await?.0)
}

/// The card of an `application`: its chip made (key, certificate), valid from `now` to
/// `valid_until`, waiting at the office for its holder (status issued). `Ok(None)` when the
/// application is no longer one (made already, or revoked).
pub async fn make(
    cards: &dyn CardStore,
    keys_dir: &Path,
    application: &Card,
    now: Timestamp,
    valid_until: Timestamp,
) -> Result<Option<(Card, Chip)>, IssueError> {
    let ca = CardCa::open_or_create(keys_dir, now)?;
    let (card, chip) = made(&ca, &application.number, &application.user_id, now, valid_until)?;
    let card = Card { status: CardStatus::Issued, ..card };
    Ok(cards.replace(&card, CardStatus::Applied).await?.then_some((card, chip)))
}

/// A card with a new chip: its key pair and the CA's certificate for it.
fn made(
    ca: &CardCa,
    number: &str,
    user_id: &str,
    now: Timestamp,
    valid_until: Timestamp,
) -> Result<(Card, Chip), IssueError> {
    let issued = ca.issue(number, now, valid_until)?;
    let chip = Chip::new(number, &issued.key, issued.certificate.clone());
    let card = Card {
        number: number.to_owned(),
        user_id: user_id.to_owned(),
        public_key: chip.public_key()?,
        certificate: issued.certificate,
        issued_at: now,
        valid_until,
        status: CardStatus::Valid,
    };
    Ok((card, chip))
}

/// Registers the card `build` makes of a new random number (with what goes with it), drawing
/// another number on a clash.
async fn register<T>(
    cards: &dyn CardStore,
    build: impl Fn(&str) -> Result<(Card, T), IssueError>,
) -> Result<(Card, T), IssueError> {
    let mut tries = 0;
    loop {
        let number = format!("{:09}", rand::rng().random_range(100_000_000..1_000_000_000u32));
        let built = build(&number)?;
        match cards.insert(&built.0).await {
            Ok(()) => return Ok(built),
            Err(StoreError::Conflict(_)) if tries < 5 => tries += 1,
            Err(e) => return Err(e.into()),
        }
    }
}
