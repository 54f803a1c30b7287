//! One password login attempt: the guessing limits are reserved first ([`throttle`]), then the
//! password is checked (against a dummy hash for an unknown username, the same work), then the
//! limits are cleared on success. Every refusal is logged at info level with the username as
//! typed (shortened), the source address and the reason — never the password (ASVS 7.1).
//!
//! [`throttle`]: super::throttle

use std::net::IpAddr;

use super::password::{PasswordError, PasswordHasher, Verdict};
use super::throttle::{Limited, Throttle};
use crate::clock::Timestamp;
use crate::config::PasswordConfig;
use crate::model::{RegistrationState, User};
use crate::store::{CounterStore, RegistrationStore, StoreError, UserStore};

/// How much of a username a log line keeps: enough to recognise it, not a flood.
const LOGGED_USERNAME_CHARS: usize = 64;

#[derive(Debug, thiserror::Error)]
pub(crate) enum LoginError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Password(#[from] PasswordError),
}

/// What a person typed, and where from.
#[derive(Clone, Copy)]
pub(crate) struct Attempt<'a> {
    pub(crate) username: &'a str,
    pub(crate) password: &'a str,
    pub(crate) source: IpAddr,
    pub(crate) now: Timestamp,
}

impl std::fmt::Debug for Attempt<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attempt").field("username", &self.username).field("source", &self.source).finish()
    }
}

/// Why a login is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Unknown username, wrong password or a disabled account — deliberately one answer.
    BadCredentials,
    /// Too many attempts from the source address; try again at `retry_at`.
    Throttled { retry_at: Timestamp },
    /// The account is slowed down after failed attempts; try again at `retry_at`.
    Locked { retry_at: Timestamp },
    /// Too many failures within one login (one interaction): it must start again.
    Exhausted,
    /// The right password of a NIA ID registered online whose e-mail address is not yet
    /// confirmed (`validation::nia_id`): the person is told to follow the link.
    AwaitingEmail,
    /// The right password of a NIA ID registered online that awaits the Czech POINT request.
    AwaitingIdentity,
}

impl Refusal {
    /// The reason as the log names it.
    pub(crate) fn reason(self) -> &'static str {
        match self {
            Refusal::BadCredentials => "bad_credentials",
            Refusal::Throttled { .. } => "throttled",
            Refusal::Locked { .. } => "locked",
            Refusal::Exhausted => "too_many_in_this_login",
            Refusal::AwaitingEmail => "awaiting_email",
            Refusal::AwaitingIdentity => "awaiting_identity",
        }
    }

    /// When the person may try again, if the refusal is a wait.
    pub(crate) fn retry_at(self) -> Option<Timestamp> {
        match self {
            Refusal::BadCredentials | Refusal::Exhausted | Refusal::AwaitingEmail | Refusal::AwaitingIdentity => None,
            Refusal::Throttled { retry_at } | Refusal::Locked { retry_at } => Some(retry_at),
        }
    }
}

impl From<Limited> for Refusal {
    fn from(limited: Limited) -> Self {
        match limited {
            Limited::Throttled { retry_at } => Refusal::Throttled { retry_at },
            Limited::Locked { retry_at } => Refusal::Locked { retry_at },
        }
    }
}

/// What password logins need: accounts, counters, the hasher and the limits.
pub(crate) struct PasswordLogin<'a> {
    pub(crate) users: &'a dyn UserStore,
    /// NIA ID's online registrations: a disabled account that awaits one says so.
    pub(crate) registrations: &'a dyn RegistrationStore,
    pub(crate) counters: &'a dyn CounterStore,
    pub(crate) passwords: &'a PasswordHasher,
    pub(crate) config: &'a PasswordConfig,
}

impl PasswordLogin<'_> {
    /// Checks one attempt: the account it authenticates, or why not.
    pub(crate) async fn attempt(&self, attempt: Attempt<'_>) -> Result<Result<User, Refusal>, LoginError> {
        let throttle = Throttle::new(self.counters, self.config);
        let reservation = match throttle.reserve(attempt.source, attempt.username, attempt.now).await? {
            Ok(reservation) => reservation,
            Err(limited) => return Ok(Err(refused(&attempt, limited.into()))),
        };
        let user = self.users.find_by_username(attempt.username.trim()).await?;
        let verdict = self.passwords.verify(user.as_ref().map(|u| u.password_hash.as_str()), attempt.password).await?;
        match (user, verdict) {
            (Some(user), Verdict::Valid | Verdict::ValidNeedsRehash) if !user.disabled => {
                if verdict == Verdict::ValidNeedsRehash {
                    self.rehash(user.clone(), attempt.password).await;
                }
                reservation.clear(self.counters).await?;
                tracing::info!(user_id = %user.id, source = %attempt.source, "login succeeded");
                crate::metrics::login("success");
                Ok(Ok(user))
            }
            // Only the right password learns that the account waits, and for what.
            (Some(user), Verdict::Valid | Verdict::ValidNeedsRehash) => {
                let waiting = match self.registrations.of_user(&user.id).await?.map(|r| r.state) {
                    Some(RegistrationState::AwaitingEmail) => Refusal::AwaitingEmail,
                    Some(RegistrationState::AwaitingIdentity) => Refusal::AwaitingIdentity,
                    _ => Refusal::BadCredentials,
                };
                Ok(Err(refused(&attempt, waiting)))
            }
            _ => Ok(Err(refused(&attempt, Refusal::BadCredentials))),
        }
    }

    async fn rehash(&self, mut user: User, password: &str) {
        match self.passwords.hash(password).await {
            Ok(hash) => {
                user.password_hash = hash;
                if let Err(e) = self.users.update(&user).await {
                    crate::metrics::store_error(&e);
                    tracing::warn!(error = %e, "storing the re-hashed password failed");
                }
            }
            Err(e) => tracing::warn!(error = %e, "re-hashing the password failed"),
        }
    }
}

/// Logs a refused attempt and returns the refusal.
pub(crate) fn refused(attempt: &Attempt<'_>, refusal: Refusal) -> Refusal {
    let retry_in = refusal.retry_at().map(|at| at - attempt.now);
    tracing::info!(
        username = ?shortened(attempt.username),
        source = %attempt.source,
        reason = refusal.reason(),
        retry_in,
        "login failed"
    );
    crate::metrics::login(refusal.reason());
    refusal
}

/// The username for a log line: at most [`LOGGED_USERNAME_CHARS`] characters (logged with
/// `Debug`, so control characters are escaped and cannot forge a line).
fn shortened(username: &str) -> &str {
    match username.char_indices().nth(LOGGED_USERNAME_CHARS) {
        Some((end, _)) => &username[..end],
        None => username,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_logged_username_is_cut_at_a_character_boundary() {
        assert_eq!(shortened("jana"), "jana");
        let long = "ř".repeat(100);
        assert_eq!(shortened(&long).chars().count(), LOGGED_USERNAME_CHARS);
    }

    #[test]
    fn an_attempt_never_shows_its_password() {
        let attempt =
            Attempt { username: "jana", password: "tajne-heslo", source: IpAddr::from([192, 0, 2, 1]), now: 0 };
        let shown = format!("{attempt:?}");
        assert!(shown.contains("jana") && !shown.contains("tajne-heslo"), "{shown}");
    }
}
