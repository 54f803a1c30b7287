//! Mobilní klíč eGovernmentu (MEG, substantial), the server's side: pairing a device (a code an
//! operator hands out, good for [`PAIRING_TTL`] seconds and one use), a challenge for each login
//! (good for [`CHALLENGE_TTL`] seconds and one answer), and the check of a device's answer to it
//! — the device must be in the register, sign with the key registered for it and be active.
//!
//! Answers are limited to [`ANSWERS_PER_CHALLENGE`] per challenge, counted atomically before the
//! signature is checked; an answer rightly signed spends the challenge in the replay memory, so
//! that of two racing answers (or one replayed) only the first counts, on every node.

use crate::clock::Timestamp;
use crate::meg::{self, Decision};
use crate::model::{Authentication, Device, DeviceStatus, Loa, MegChallenge, MegOutcome, MegRefusal, User};
use crate::secret;
use crate::store::{CounterStore, DeviceStore, ReplayStore, StoreError};

/// How long a login's challenge is good for: three minutes.
pub const CHALLENGE_TTL: i64 = 180;
/// How long a pairing code is good for: four minutes.
pub const PAIRING_TTL: i64 = 240;
/// Answers (signatures posted) to one challenge.
pub(crate) const ANSWERS_PER_CHALLENGE: u32 = 5;
/// Longest name a device may be given.
const NAME_MAX: usize = 64;
/// Pairing codes one account may ask for on its page ("Připojení mobilního klíče") per
/// [`CONNECT_WINDOW`] seconds.
pub const CONNECTS_PER_ACCOUNT: u32 = 10;
pub const CONNECT_WINDOW: i64 = 900;

/// A device's answer to a challenge, as it posts it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Answer<'a> {
    pub(crate) device: &'a str,
    pub(crate) decision: Decision,
    /// The signature of [`meg::signed_answer`] (base64url ASN.1 DER ECDSA).
    pub(crate) signature: &'a str,
}

/// Why a pairing was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PairingRefusal {
    /// Unknown, already used or expired: the same answer for each, as a guess learns nothing.
    InvalidCode,
    BadPublicKey,
    BadName,
}

/// Why a signed-in citizen may not connect a device from their account page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectRefusal {
    /// The session's login reached `reached`, below substantial: MEG is substantial, so it is
    /// connected only by a means of at least that level (NIA ID with the SMS code, eObčanka, a
    /// bank identity, mojeID with a security key, another MEG).
    BelowSubstantial { reached: Loa },
    /// [`CONNECTS_PER_ACCOUNT`] codes in the window; another at `retry_at`.
    TooMany { retry_at: Timestamp },
}

/// A new challenge for a login.
pub(crate) fn challenge(now: Timestamp) -> MegChallenge {
    MegChallenge { nonce: secret::random_token(24), expires_at: now + CHALLENGE_TTL, outcome: None }
}

/// MEG's checks over the device register, the counters and the single-use memory.
pub(crate) struct Meg<'a> {
    pub(crate) devices: &'a dyn DeviceStore,
    pub(crate) counters: &'a dyn CounterStore,
    pub(crate) replay: &'a dyn ReplayStore,
}

impl Meg<'_> {
    /// A pairing code for `user`'s next device; the code is kept as a digest only.
    pub(crate) async fn enroll(&self, user: &User, now: Timestamp) -> Result<(String, Timestamp), StoreError> {
        let code = secret::random_token(24);
        let expires_at = now + PAIRING_TTL;
        self.devices.insert_pairing(&secret::digest(&code), &user.id, expires_at).await?;
        tracing::info!(user_id = %user.id, "MEG pairing code issued");
        Ok((code, expires_at))
    }

    /// "Připojení mobilního klíče" (NIA's profile page): a pairing code for the account of a
    /// citizen signed in by a means of at least substantial (`login`, the SSO session's), good
    /// for [`PAIRING_TTL`] seconds and one device. The account's codes are counted before one
    /// is made.
    pub(crate) async fn connect(
        &self,
        login: &Authentication,
        user: &User,
        now: Timestamp,
    ) -> Result<Result<(String, Timestamp), ConnectRefusal>, StoreError> {
        if login.user_id != user.id || login.acr < Loa::Substantial {
            return Ok(Err(ConnectRefusal::BelowSubstantial { reached: login.acr }));
        }
        let key = format!("meg:connect:{}", user.id);
        let tally = self.counters.tally(&key, now + CONNECT_WINDOW, now).await?;
        if tally.count > CONNECTS_PER_ACCOUNT {
            return Ok(Err(ConnectRefusal::TooMany { retry_at: tally.ends_at }));
        }
        self.enroll(user, now).await.map(Ok)
    }

    /// Pairs a device with the pairing `code`: the device registered for the code's user.
    pub(crate) async fn pair(
        &self,
        code: &str,
        public_key: &str,
        name: &str,
        now: Timestamp,
    ) -> Result<Result<Device, PairingRefusal>, StoreError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > NAME_MAX || name.chars().any(char::is_control) {
            return Ok(Err(PairingRefusal::BadName));
        }
        if !meg::is_public_key(public_key) {
            return Ok(Err(PairingRefusal::BadPublicKey));
        }
        let Some(user_id) = self.devices.take_pairing(&secret::digest(code), now).await? else {
            return Ok(Err(PairingRefusal::InvalidCode));
        };
        let device = Device {
            id: secret::random_token(12),
            user_id,
            public_key: public_key.to_owned(),
            name: name.to_owned(),
            created_at: now,
            last_used_at: None,
            status: DeviceStatus::Active,
        };
        self.devices.insert(&device).await?;
        tracing::info!(user_id = %device.user_id, device = %device.id, "MEG device paired");
        Ok(Ok(device))
    }

    /// Checks `answer` to `challenge`, whose URL is `challenge_url`: the device that approved
    /// it, or why not (a refusal by the holder included). A challenge rightly answered is spent.
    pub(crate) async fn check(
        &self,
        challenge: &MegChallenge,
        challenge_url: &str,
        answer: Answer<'_>,
        now: Timestamp,
    ) -> Result<Result<Device, MegRefusal>, StoreError> {
        let outcome = self.decide(challenge, challenge_url, answer, now).await?;
        match &outcome {
            Ok(device) => tracing::info!(user_id = %device.user_id, device = %device.id, "MEG approval accepted"),
            Err(refusal) => {
                tracing::info!(reason = refusal.code(), "MEG answer refused");
                crate::metrics::login(refusal.code());
            }
        }
        Ok(outcome)
    }

    async fn decide(
        &self,
        challenge: &MegChallenge,
        challenge_url: &str,
        answer: Answer<'_>,
        now: Timestamp,
    ) -> Result<Result<Device, MegRefusal>, StoreError> {
        if now >= challenge.expires_at {
            return Ok(Err(MegRefusal::ChallengeExpired));
        }
        let answers =
            self.counters.increment(&format!("meg:challenge:{}", challenge.nonce), challenge.expires_at, now).await?;
        if answers > ANSWERS_PER_CHALLENGE {
            return Ok(Err(MegRefusal::TooManyAttempts));
        }
        let Some(device) = self.devices.get(answer.device).await? else {
            return Ok(Err(MegRefusal::UnknownDevice));
        };
        if !meg::verify(&device.public_key, &meg::signed_answer(challenge_url, answer.decision), answer.signature) {
            return Ok(Err(MegRefusal::BadSignature));
        }
        if device.status != DeviceStatus::Active {
            return Ok(Err(MegRefusal::RevokedDevice));
        }
        if !self.replay.remember(&format!("meg:answered:{}", challenge.nonce), challenge.expires_at, now).await? {
            let approved_by_another = matches!(&challenge.outcome,
                Some(MegOutcome::Approved { user_id, .. }) if *user_id != device.user_id);
            if approved_by_another && answer.decision == Decision::Approve {
                tracing::warn!("MEG challenge approved by the devices of two people: the login is voided");
                return Ok(Err(MegRefusal::Voided));
            }
            return Ok(Err(MegRefusal::Used));
        }
        self.devices.touch(&device.id, now).await?;
        match answer.decision {
            Decision::Approve => Ok(Ok(device)),
            Decision::Refuse => Ok(Err(MegRefusal::RefusedByUser)),
        }
    }

    /// The device a push connection's `Authorization` header (`MEG <time>.<signature>`) opens,
    /// when its signature is the active device's and its time within [`meg::PUSH_TOKEN_SKEW`].
    pub(crate) async fn push_device(
        &self,
        device_id: &str,
        authorization: &str,
        now: Timestamp,
    ) -> Result<Option<Device>, StoreError> {
        let Some((time, signature)) = authorization.strip_prefix("MEG ").and_then(|t| t.split_once('.')) else {
            return Ok(None);
        };
        let Ok(time) = time.parse::<Timestamp>() else { return Ok(None) };
        if (now - time).abs() > meg::PUSH_TOKEN_SKEW {
            return Ok(None);
        }
        let Some(device) = self.devices.get(device_id).await? else { return Ok(None) };
        let good = device.status == DeviceStatus::Active
            && meg::verify(&device.public_key, &meg::signed_push_token(device_id, time), signature);
        Ok(good.then_some(device))
    }
}
