//! Issuing a card, the operator's side: a key pair made for the chip, its certificate from the
//! card CA, and the card in the register — the register first, so a card whose file exists is
//! always known to the server.

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

/// A new card for `user_id`, valid from `now` to `valid_until`, registered in `cards`; its CA
/// is the one in `keys_dir` (made there if missing). The chip is activated when `codes`
/// (IOK, DOK) are given.
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
    let mut tries = 0;
    loop {
        let number = format!("{:09}", rand::rng().random_range(100_000_000..1_000_000_000u32));
        let issued = ca.issue(&number, now, valid_until)?;
        let mut chip = Chip::new(&number, &issued.key, issued.certificate.clone());
        let card = Card {
            number: number.clone(),
            user_id: user_id.to_owned(),
            public_key: chip.public_key()?,
            certificate: issued.certificate,
            issued_at: now,
            valid_until,
            status: CardStatus::Valid,
        };
        match cards.insert(&card).await {
            Ok(()) => {
                if let Some((iok, dok)) = codes {
                    chip.activate(iok, dok)?;
                }
                return Ok((card, chip));
            }
            Err(StoreError::Conflict(_)) if tries < 5 => tries += 1,
            Err(e) => return Err(e.into()),
        }
    }
}
