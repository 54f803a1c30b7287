//! NIA ID (substantial): the username and password ([`super::login`]), then a six-digit code sent
//! by SMS to the account's Czech mobile number (+420). A code is good for one login, for
//! [`CODE_TTL`] seconds and [`ATTEMPTS_PER_CODE`] attempts; a new one can be asked for after
//! [`RESEND_AFTER`] seconds, at most [`SENDS_PER_LOGIN`] codes per login.
//!
//! The limits, like the password's, are reserved atomically *before* the code is compared: a
//! counter is increased first and its new value decides, so parallel guesses get no more
//! comparisons than the limits allow. Besides the attempts on one code, an account gets at most
//! [`ACCOUNT_ATTEMPTS`] code attempts and [`ACCOUNT_SENDS`] codes sent per window, wherever
//! from; a success clears its attempts. These limits hold NIA ID's SMS step only: the
//! password itself has its own ([`super::throttle`]).

use rand::Rng;

use crate::clock::Timestamp;
use crate::model::{SmsChallenge, User};
use crate::notify::{Notifier, NotifyError};
use crate::secret;
use crate::store::{CounterStore, ReplayStore, StoreError};

/// How long a code is good for: five minutes.
pub(crate) const CODE_TTL: i64 = 300;
/// Attempts at one code.
pub(crate) const ATTEMPTS_PER_CODE: u32 = 3;
/// Seconds before another code can be sent within a login.
pub(crate) const RESEND_AFTER: i64 = 30;
/// Codes sent within one login, the first included.
pub(crate) const SENDS_PER_LOGIN: u32 = 3;
/// Code attempts per account per [`ACCOUNT_WINDOW`], from anywhere.
pub(crate) const ACCOUNT_ATTEMPTS: u32 = 10;
/// Codes sent per account per [`ACCOUNT_WINDOW`], whatever the logins.
pub(crate) const ACCOUNT_SENDS: u32 = 10;
/// The window of the per-account limits: fifteen minutes.
pub(crate) const ACCOUNT_WINDOW: i64 = 900;

#[derive(Debug, thiserror::Error)]
pub(crate) enum NiaIdError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("sending the SMS failed: {0}")]
    Notify(#[from] NotifyError),
}

/// Why no code is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SendRefusal {
    /// The last code went out less than [`RESEND_AFTER`] seconds ago.
    TooSoon { retry_at: Timestamp },
    /// This login has sent [`SENDS_PER_LOGIN`] codes: it must start again.
    TooManyInThisLogin,
    /// The account has been sent [`ACCOUNT_SENDS`] codes in this window.
    AccountLimit { retry_at: Timestamp },
}

/// Why a typed code is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CodeRefusal {
    /// Not the code sent; `left` attempts remain at it.
    Wrong { left: u32 },
    /// The code is older than [`CODE_TTL`]: a new one can be sent.
    Expired,
    /// The code's attempts are used up: the login must start again.
    Exhausted,
    /// The account has used its code attempts in this window.
    AccountLimit { retry_at: Timestamp },
    /// The code has already completed a login.
    Used,
}

impl CodeRefusal {
    /// The reason as the log and metrics name it.
    pub(crate) fn reason(self) -> &'static str {
        match self {
            CodeRefusal::Wrong { .. } => "sms_wrong_code",
            CodeRefusal::Expired => "sms_expired",
            CodeRefusal::Exhausted => "sms_exhausted",
            CodeRefusal::AccountLimit { .. } => "sms_locked",
            CodeRefusal::Used => "sms_used",
        }
    }
}

/// The account's NIA ID number: its phone number when it is a Czech mobile one (`+420` and nine
/// digits starting with 6 or 7, spaces ignored — a fixed line cannot receive an SMS), in E.164.
pub(crate) fn phone_of(user: &User) -> Option<String> {
    let number: String = user.profile.phone_number.as_deref()?.chars().filter(|c| !c.is_whitespace()).collect();
    let national = number.strip_prefix("+420")?;
    let mobile = national.starts_with(['6', '7']);
    (mobile && national.len() == 9 && national.bytes().all(|b| b.is_ascii_digit())).then_some(number)
}

/// A number as a page shows it: all but the last three digits hidden (`+420 *** *** 789`).
pub(crate) fn masked(phone: &str) -> String {
    let tail: String = phone.chars().rev().take(3).collect::<Vec<_>>().into_iter().rev().collect();
    format!("+420 *** *** {tail}")
}

/// NIA ID's SMS step over the counters, the single-use memory and the notifier.
pub(crate) struct NiaId<'a> {
    pub(crate) counters: &'a dyn CounterStore,
    pub(crate) replay: &'a dyn ReplayStore,
    pub(crate) notifier: &'a Notifier,
}

impl NiaId<'_> {
    /// Sends a code to `phone` for `user`, the first of a login or (with the login's `previous`
    /// one) a new one; the challenge to keep with the login, or why none was sent.
    pub(crate) async fn send(
        &self,
        user: &User,
        phone: &str,
        previous: Option<&SmsChallenge>,
        now: Timestamp,
    ) -> Result<Result<SmsChallenge, SendRefusal>, NiaIdError> {
        if let Some(previous) = previous {
            if previous.sends >= SENDS_PER_LOGIN {
                return Ok(Err(SendRefusal::TooManyInThisLogin));
            }
            if now < previous.sent_at + RESEND_AFTER {
                return Ok(Err(SendRefusal::TooSoon { retry_at: previous.sent_at + RESEND_AFTER }));
            }
        }
        let sends = self.counters.tally(&account_key("sends", &user.id), now + ACCOUNT_WINDOW, now).await?;
        if sends.count > ACCOUNT_SENDS {
            tracing::info!(user_id = %user.id, "NIA ID code not sent: the account's limit");
            return Ok(Err(SendRefusal::AccountLimit { retry_at: sends.ends_at }));
        }
        let code = format!("{:06}", rand::rng().random_range(0..1_000_000u32));
        let id = secret::random_token(16);
        let challenge = SmsChallenge {
            code_digest: code_digest(&id, &code),
            id,
            user_id: user.id.clone(),
            phone: phone.to_owned(),
            sent_at: now,
            expires_at: now + CODE_TTL,
            sends: previous.map_or(1, |p| p.sends + 1),
        };
        self.notifier.send_sms(phone, &sms_text(&code)).await?;
        tracing::info!(user_id = %user.id, sends = challenge.sends, "NIA ID code sent");
        Ok(Ok(challenge))
    }

    /// Checks a typed code against the login's challenge. On success the code is spent: a
    /// second use of it, even racing this one, is refused.
    pub(crate) async fn verify(
        &self,
        challenge: &SmsChallenge,
        typed: &str,
        now: Timestamp,
    ) -> Result<Result<(), CodeRefusal>, NiaIdError> {
        let refusal = self.check(challenge, typed, now).await?;
        if let Err(refusal) = refusal {
            tracing::info!(user_id = %challenge.user_id, reason = refusal.reason(), "NIA ID code refused");
            crate::metrics::login(refusal.reason());
        }
        Ok(refusal)
    }

    async fn check(
        &self,
        challenge: &SmsChallenge,
        typed: &str,
        now: Timestamp,
    ) -> Result<Result<(), CodeRefusal>, NiaIdError> {
        if now >= challenge.expires_at {
            return Ok(Err(CodeRefusal::Expired));
        }
        let attempts = self.counters.increment(&code_key(challenge), challenge.expires_at, now).await?;
        if attempts > ATTEMPTS_PER_CODE {
            return Ok(Err(CodeRefusal::Exhausted));
        }
        let account = account_key("attempts", &challenge.user_id);
        let tally = self.counters.tally(&account, now + ACCOUNT_WINDOW, now).await?;
        if tally.count > ACCOUNT_ATTEMPTS {
            return Ok(Err(CodeRefusal::AccountLimit { retry_at: tally.ends_at }));
        }
        let typed: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
        if !secret::constant_time_eq(&code_digest(&challenge.id, &typed), &challenge.code_digest) {
            let left = ATTEMPTS_PER_CODE - attempts;
            return Ok(Err(if left == 0 { CodeRefusal::Exhausted } else { CodeRefusal::Wrong { left } }));
        }
        if !self.replay.remember(&format!("nia-id:used:{}", challenge.id), challenge.expires_at, now).await? {
            return Ok(Err(CodeRefusal::Used));
        }
        self.counters.reset(&account).await?;
        tracing::info!(user_id = %challenge.user_id, "NIA ID code accepted");
        Ok(Ok(()))
    }
}

/// The text of the SMS, in Czech and English (the language of the page is not the phone's).
fn sms_text(code: &str) -> String {
    format!(
        "identita: kód pro přihlášení k NIA ID je {code}, platí 5 minut. Nikomu ho nesdělujte. \
         / NIA ID sign-in code: {code}, valid for 5 minutes."
    )
}

fn code_digest(challenge_id: &str, code: &str) -> String {
    secret::digest(&format!("{challenge_id}:{code}"))
}

fn code_key(challenge: &SmsChallenge) -> String {
    format!("nia-id:code:{}", challenge.id)
}

fn account_key(kind: &str, user_id: &str) -> String {
    format!("nia-id:account-{kind}:{}", secret::digest(user_id))
}

/// The code in an SMS text [`NiaId::send`] wrote: what a person reads off their phone (and a
/// script off the outbox).
pub fn code_in(text: &str) -> Option<&str> {
    text.split(|c: char| !c.is_ascii_digit()).find(|part| part.len() == 6)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Profile;

    fn user(phone: Option<&str>) -> User {
        User {
            id: "u1".into(),
            username: "jan".into(),
            password_hash: String::new(),
            profile: Profile { phone_number: phone.map(str::to_owned), ..Profile::default() },
            updated_at: 0,
            created_at: 0,
            disabled: false,
        }
    }

    #[test]
    fn only_a_czech_number_serves_nia_id() {
        assert_eq!(phone_of(&user(Some("+420 601 123 456"))).as_deref(), Some("+420601123456"));
        assert_eq!(phone_of(&user(Some("+421601123456"))), None);
        assert_eq!(phone_of(&user(Some("+42060112345"))), None);
        assert_eq!(phone_of(&user(Some("601123456"))), None);
        assert_eq!(phone_of(&user(Some("+420 596 123 456"))), None, "a fixed line");
        assert_eq!(phone_of(&user(Some("+420777234567"))).as_deref(), Some("+420777234567"));
        assert_eq!(phone_of(&user(None)), None);
    }

    #[test]
    fn a_masked_number_shows_its_last_three_digits() {
        assert_eq!(masked("+420601123456"), "+420 *** *** 456");
    }

    #[test]
    fn the_code_is_found_in_the_text() {
        assert_eq!(code_in(&sms_text("012345")), Some("012345"));
    }
}
