//! What an eObčanka's chip holds and how it guards its key: the card number, the private key
//! and its certificate, the IOK (the PIN for logging in) and the DOK (the code that unblocks
//! it), kept as salted digests, and their retry counters.
//!
//! [`IOK_TRIES`] wrong IOKs in a row block the card; the DOK unblocks it (and may set a new
//! IOK); [`DOK_TRIES`] wrong DOKs in a row block it for good — only a new card helps. The
//! counters change before the chip answers, and the file is written before the answer is used,
//! as a chip's counter is written before it signs. Like a real chip's, these limits are the
//! card's own: the server never sees the codes.
//!
//! The card is a file (JSON, owner-only). Whoever copies it has the key: a virtual card guards
//! its codes as well as the file's permissions do, no better.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rcgen::{KeyPair, SigningKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::ca::{self, CaError};
use crate::secret;

/// Wrong IOKs in a row that block the card.
pub const IOK_TRIES: u32 = 3;
/// Wrong DOKs in a row that block the card for good.
pub const DOK_TRIES: u32 = 10;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ChipError {
    #[error("wrong IOK: {left} more wrong IOK will block the card")]
    WrongIok { left: u32 },
    #[error("the card is blocked after {IOK_TRIES} wrong IOKs: unblock it with the DOK (identita card unblock)")]
    Blocked,
    #[error("wrong DOK: {left} more wrong DOK will block the card for good")]
    WrongDok { left: u32 },
    #[error("the card is blocked for good after {DOK_TRIES} wrong DOKs: ask for a new card")]
    BlockedForGood,
    #[error("the card is not activated yet: set its IOK and DOK (identita card activate)")]
    NotActivated,
    #[error("the card is already activated")]
    AlreadyActivated,
    #[error("the IOK is 4 to 8 digits")]
    BadIok,
    #[error("the DOK is 4 to 8 digits")]
    BadDok,
    #[error("the card file: {0}")]
    File(String),
}

impl From<CaError> for ChipError {
    fn from(e: CaError) -> Self {
        ChipError::File(e.to_string())
    }
}

/// A code as it is kept: a random salt and the digest of the salt and the code.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
struct CodeDigest {
    salt: String,
    digest: String,
}

impl CodeDigest {
    fn of(code: &str) -> CodeDigest {
        let salt = secret::random_token(16);
        let digest = Self::digest(&salt, code);
        CodeDigest { salt, digest }
    }

    fn digest(salt: &str, code: &str) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(format!("{salt}:{code}").as_bytes()))
    }

    fn matches(&self, code: &str) -> bool {
        secret::constant_time_eq(&Self::digest(&self.salt, code), &self.digest)
    }
}

fn is_code(code: &str) -> bool {
    (4..=8).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit())
}

/// Whether an IOK and a DOK are of the form a card takes (4 to 8 digits each).
pub fn check_codes(iok: &str, dok: &str) -> Result<(), ChipError> {
    if !is_code(iok) {
        return Err(ChipError::BadIok);
    }
    if !is_code(dok) {
        return Err(ChipError::BadDok);
    }
    Ok(())
}

/// The contents of a card: a chip.
#[derive(Clone, Serialize, Deserialize)]
pub struct Chip {
    pub number: String,
    /// The card's private key (PKCS#8 PEM).
    private_key: String,
    /// The certificate the card CA issued for the key (PEM).
    pub certificate: String,
    iok: Option<CodeDigest>,
    dok: Option<CodeDigest>,
    pub iok_failures: u32,
    pub dok_failures: u32,
    pub blocked: bool,
    pub blocked_for_good: bool,
}

impl std::fmt::Debug for Chip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chip")
            .field("number", &self.number)
            .field("iok_failures", &self.iok_failures)
            .field("dok_failures", &self.dok_failures)
            .field("blocked", &self.blocked)
            .field("blocked_for_good", &self.blocked_for_good)
            .finish_non_exhaustive()
    }
}

impl Chip {
    /// A new card with `key` and its `certificate`; activated when both codes are given.
    pub fn new(number: &str, key: &KeyPair, certificate: String) -> Chip {
        Chip {
            number: number.to_owned(),
            private_key: key.serialize_pem(),
            certificate,
            iok: None,
            dok: None,
            iok_failures: 0,
            dok_failures: 0,
            blocked: false,
            blocked_for_good: false,
        }
    }

    /// The public key as the card register keeps it (an uncompressed point, base64url).
    pub fn public_key(&self) -> Result<String, ChipError> {
        Ok(URL_SAFE_NO_PAD.encode(self.key()?.public_key_raw()))
    }

    fn key(&self) -> Result<KeyPair, ChipError> {
        KeyPair::from_pem(&self.private_key).map_err(|e| ChipError::File(format!("the card's key: {e}")))
    }

    pub fn activated(&self) -> bool {
        self.iok.is_some() && self.dok.is_some()
    }

    /// Sets the IOK and DOK of a card that has none yet.
    pub fn activate(&mut self, iok: &str, dok: &str) -> Result<(), ChipError> {
        if self.activated() {
            return Err(ChipError::AlreadyActivated);
        }
        check_codes(iok, dok)?;
        self.iok = Some(CodeDigest::of(iok));
        self.dok = Some(CodeDigest::of(dok));
        Ok(())
    }

    /// Checks the IOK; a wrong one counts, the [`IOK_TRIES`]th in a row blocks the card.
    pub fn check_iok(&mut self, iok: &str) -> Result<(), ChipError> {
        if self.blocked_for_good {
            return Err(ChipError::BlockedForGood);
        }
        if self.blocked {
            return Err(ChipError::Blocked);
        }
        let Some(kept) = &self.iok else { return Err(ChipError::NotActivated) };
        if kept.matches(iok) {
            self.iok_failures = 0;
            return Ok(());
        }
        self.iok_failures += 1;
        if self.iok_failures >= IOK_TRIES {
            self.blocked = true;
            return Err(ChipError::Blocked);
        }
        Err(ChipError::WrongIok { left: IOK_TRIES - self.iok_failures })
    }

    /// Unblocks the card with the DOK, setting `new_iok` when given; a wrong DOK counts, the
    /// [`DOK_TRIES`]th in a row blocks the card for good.
    pub fn unblock(&mut self, dok: &str, new_iok: Option<&str>) -> Result<(), ChipError> {
        if self.blocked_for_good {
            return Err(ChipError::BlockedForGood);
        }
        if new_iok.is_some_and(|iok| !is_code(iok)) {
            return Err(ChipError::BadIok);
        }
        let Some(kept) = &self.dok else { return Err(ChipError::NotActivated) };
        if !kept.matches(dok) {
            self.dok_failures += 1;
            if self.dok_failures >= DOK_TRIES {
                self.blocked_for_good = true;
                return Err(ChipError::BlockedForGood);
            }
            return Err(ChipError::WrongDok { left: DOK_TRIES - self.dok_failures });
        }
        self.dok_failures = 0;
        self.iok_failures = 0;
        self.blocked = false;
        if let Some(iok) = new_iok {
            self.iok = Some(CodeDigest::of(iok));
        }
        Ok(())
    }

    /// Signs the login challenge at `challenge_url` after the IOK (base64url ASN.1 DER ECDSA).
    pub fn sign_login(&mut self, iok: &str, challenge_url: &str) -> Result<String, ChipError> {
        self.check_iok(iok)?;
        let signature = self
            .key()?
            .sign(&super::signed_message(challenge_url))
            .map_err(|e| ChipError::File(format!("signing: {e}")))?;
        Ok(URL_SAFE_NO_PAD.encode(signature))
    }

    pub fn read(path: &Path) -> Result<Chip, ChipError> {
        let text = std::fs::read_to_string(path).map_err(|e| ChipError::File(format!("{}: {e}", path.display())))?;
        serde_json::from_str(&text).map_err(|e| ChipError::File(format!("{}: not a card: {e}", path.display())))
    }

    /// Writes the card (owner-only), replacing the file whole.
    pub fn write(&self, path: &Path) -> Result<(), ChipError> {
        let text = serde_json::to_string_pretty(self).map_err(|e| ChipError::File(e.to_string()))?;
        Ok(ca::write_private(path, text.as_bytes())?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::ca::CardCa;

    const NOW: i64 = 1_800_000_000;

    fn chip() -> Chip {
        let dir = tempfile::tempdir().unwrap();
        let ca = CardCa::open_or_create(dir.path(), NOW).unwrap();
        let issued = ca.issue("123456789", NOW, NOW + 86_400).unwrap();
        let mut chip = Chip::new("123456789", &issued.key, issued.certificate);
        chip.activate("1234", "87654321").unwrap();
        chip
    }

    #[test]
    fn the_signature_verifies_with_the_public_key_for_its_challenge_only() {
        let mut chip = chip();
        let url = "https://op.example/login/card/i/n";
        let signature = chip.sign_login("1234", url).unwrap();
        let key = chip.public_key().unwrap();
        assert!(crate::card::verify(&key, url, &signature));
        assert!(!crate::card::verify(&key, "https://other.example/login/card/i/n", &signature));
        assert!(!crate::card::verify(&key, url, "AAAA"));
        let mut other = super::tests::chip();
        assert!(!crate::card::verify(&other.public_key().unwrap(), url, &signature));
        assert!(other.sign_login("1234", url).is_ok());
    }

    #[test]
    fn three_wrong_ioks_block_the_card_and_the_dok_unblocks_it() {
        let mut chip = chip();
        assert_eq!(chip.check_iok("0000"), Err(ChipError::WrongIok { left: 2 }));
        assert_eq!(chip.check_iok("1234"), Ok(()), "a right IOK clears the count");
        assert_eq!(chip.check_iok("0000"), Err(ChipError::WrongIok { left: 2 }));
        assert_eq!(chip.check_iok("0000"), Err(ChipError::WrongIok { left: 1 }));
        assert_eq!(chip.check_iok("0000"), Err(ChipError::Blocked));
        assert_eq!(chip.check_iok("1234"), Err(ChipError::Blocked), "blocked: even the right IOK");
        assert_eq!(chip.unblock("11111111", None), Err(ChipError::WrongDok { left: 9 }));
        assert_eq!(chip.unblock("87654321", Some("4321")), Ok(()));
        assert_eq!(chip.check_iok("1234"), Err(ChipError::WrongIok { left: 2 }), "the new IOK replaced it");
        assert_eq!(chip.check_iok("4321"), Ok(()));
    }

    #[test]
    fn ten_wrong_doks_block_the_card_for_good() {
        let mut chip = chip();
        for left in (1..DOK_TRIES).rev() {
            assert_eq!(chip.unblock("11111111", None), Err(ChipError::WrongDok { left }));
        }
        assert_eq!(chip.unblock("11111111", None), Err(ChipError::BlockedForGood));
        assert_eq!(chip.unblock("87654321", None), Err(ChipError::BlockedForGood));
        assert_eq!(chip.check_iok("1234"), Err(ChipError::BlockedForGood));
    }

    #[test]
    fn codes_are_digits_set_once_and_not_kept_in_clear() {
        let dir = tempfile::tempdir().unwrap();
        let ca = CardCa::open_or_create(dir.path(), NOW).unwrap();
        let issued = ca.issue("000000001", NOW, NOW + 86_400).unwrap();
        let mut chip = Chip::new("000000001", &issued.key, issued.certificate);
        assert_eq!(chip.check_iok("1234"), Err(ChipError::NotActivated));
        assert_eq!(chip.activate("12a4", "12345"), Err(ChipError::BadIok));
        assert_eq!(chip.activate("123", "12345"), Err(ChipError::BadIok));
        assert_eq!(chip.activate("1234", "123456789"), Err(ChipError::BadDok));
        chip.activate("1234", "56789").unwrap();
        assert_eq!(chip.activate("1234", "56789"), Err(ChipError::AlreadyActivated));
        let file = dir.path().join("card.json");
        chip.write(&file).unwrap();
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(!text.contains("\"1234\"") && !text.contains("56789"), "{text}");
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(Chip::read(&file).unwrap().check_iok("1234"), Ok(()));
        // The CA is made once and kept.
        let key = std::fs::read_to_string(dir.path().join(ca::KEY_FILE)).unwrap();
        CardCa::open_or_create(dir.path(), NOW + 5).unwrap();
        assert_eq!(std::fs::read_to_string(dir.path().join(ca::KEY_FILE)).unwrap(), key);
    }
}
