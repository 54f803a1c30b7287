//! The back office's login and session, apart from citizens' single sign-on: a clerk's password
//! (its attempts reserved atomically before the check, as for citizens: [`super::throttle`]),
//! then a one-time code sent to the clerk's phone or e-mail through the [`Notifier`], into a
//! session with a CSRF token that ends after [`IDLE`] without a request.
//!
//! The session is `tower-sessions`' (its layer is on the back office's routes only, see
//! `crate::http::backoffice`): the cookie holds a random 128-bit id, the record lives in the
//! shared store (`crate::store::backoffice_sessions`: the SQL table, or Redis when `redis_url`
//! is set), so any node sees a session another started and a restart loses none. The logic here
//! sees it only through [`ClerkSession`]. Moving from the password to the code, and from the
//! code to the signed-in session, gives the session a new id (no fixation).
//!
//! The idle time is counted here too, by the provider's clock (tests move it): the signed-in
//! stage keeps when it was last used, and a session idle for [`IDLE`] ends on its next request.
//! tower-sessions' own expiry (the record's, the cookie's `Max-Age`, Redis's TTL) runs on the
//! wall clock and ends it as well.
//!
//! Scripts act with an API token an administrator made (`identita clerk token`): [`bearer`].

use std::net::IpAddr;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::authn::Authn;
use crate::authn::password::Verdict;
use crate::authn::throttle::{Limited, Throttle};
use crate::clock::Timestamp;
use crate::model::clerk::{Clerk, SecondFactor};
use crate::secret;
use crate::store::{ClerkStore, StoreError};
use crate::validation::actor::Actor;

/// A session without a request for this long ends.
pub const IDLE: Timestamp = 15 * 60;
/// How long a login code can be typed.
pub const CODE_TTL: Timestamp = 5 * 60;
/// Wrong codes before a login must start again.
const CODE_TRIES: u32 = 5;

/// What the back office needs of the browser's session: its one value, a new id, an end.
/// `tower_sessions::Session` is one; what is inserted is stored when the request ends, or at
/// once by [`ClerkSession::save`].
#[async_trait]
pub trait ClerkSession: Send + Sync {
    /// The session's value, if it has one.
    async fn get(&self) -> Result<Option<Value>, StoreError>;
    async fn insert(&self, value: Value) -> Result<(), StoreError>;
    /// Stores the session now.
    async fn save(&self) -> Result<(), StoreError>;
    /// Gives the session a new id, deleting the record under the old one.
    async fn cycle(&self) -> Result<(), StoreError>;
    /// Ends the session: its record is deleted, its cookie removed.
    async fn flush(&self) -> Result<(), StoreError>;
}

/// The key of the back office's value in a tower-sessions session.
const KEY: &str = "backoffice";

fn session_error(error: tower_sessions::session::Error) -> StoreError {
    use tower_sessions::session::Error;
    use tower_sessions::session_store::Error as Store;
    match error {
        Error::SerdeJson(e) => StoreError::Corrupt(format!("back-office session: {e}")),
        Error::Store(Store::Encode(e) | Store::Decode(e)) => StoreError::Corrupt(format!("back-office session: {e}")),
        Error::Store(Store::Backend(e)) => StoreError::Unavailable(format!("back-office session: {e}")),
    }
}

#[async_trait]
impl ClerkSession for tower_sessions::Session {
    async fn get(&self) -> Result<Option<Value>, StoreError> {
        self.get_value(KEY).await.map_err(session_error)
    }

    async fn insert(&self, value: Value) -> Result<(), StoreError> {
        self.insert_value(KEY, value).await.map(drop).map_err(session_error)
    }

    async fn save(&self) -> Result<(), StoreError> {
        tower_sessions::Session::save(self).await.map_err(session_error)
    }

    async fn cycle(&self) -> Result<(), StoreError> {
        // A session the store does not have yet gets its id when it is first saved.
        if self.id().is_none() {
            return Ok(());
        }
        self.cycle_id().await.map_err(session_error)
    }

    async fn flush(&self) -> Result<(), StoreError> {
        tower_sessions::Session::flush(self).await.map_err(session_error)
    }
}

/// What a session is at.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
enum Stage {
    /// The password was right; the code sent is awaited. `attempt` names this login's code
    /// (its tries, its single use).
    Code { login: String, attempt: String, code_digest: String, expires_at: Timestamp },
    /// Signed in; last used at `seen_at`.
    Active { login: String, csrf: String, seen_at: Timestamp },
}

/// Why a login step did not go on.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("too many attempts; try again later")]
    Limited { retry_at: Timestamp },
    #[error("the login or the password is wrong")]
    Invalid,
    #[error("the code is wrong")]
    WrongCode,
    #[error("the code has expired or was tried too often; log in again")]
    CodeGone,
    #[error("the login code could not be sent: {0}")]
    Send(String),
    #[error("{0}")]
    Unavailable(String),
}

impl From<StoreError> for LoginError {
    fn from(e: StoreError) -> Self {
        LoginError::Unavailable(e.to_string())
    }
}

/// A signed-in clerk's session: who, and the CSRF token its forms and writes carry.
#[derive(Debug, Clone)]
pub struct Signed {
    pub clerk: Clerk,
    pub csrf: String,
}

/// The back office's authentication over the shared services.
pub struct BackOffice<'a> {
    pub authn: &'a Authn,
    pub clerks: &'a dyn ClerkStore,
}

fn code_digest(attempt: &str, code: &str) -> String {
    secret::digest(&format!("backoffice:{attempt}:{code}"))
}

/// The session's stage; none when it has none, or one that does not read (an older shape).
async fn stage(session: &dyn ClerkSession) -> Result<Option<Stage>, StoreError> {
    Ok(session.get().await?.and_then(|value| serde_json::from_value(value).ok()))
}

async fn set_stage(session: &dyn ClerkSession, stage: &Stage) -> Result<(), StoreError> {
    let value = serde_json::to_value(stage).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    session.insert(value).await
}

impl BackOffice<'_> {
    /// The password step: on success the session (a new one) awaits the code, which is sent.
    pub async fn password(
        &self,
        session: &dyn ClerkSession,
        source: IpAddr,
        login: &str,
        password: &str,
        now: Timestamp,
    ) -> Result<(), LoginError> {
        let throttle = Throttle::new(&*self.authn.counters, &self.authn.config);
        let reservation = match throttle.reserve(source, &format!("clerk:{login}"), now).await? {
            Ok(reservation) => reservation,
            Err(Limited::Throttled { retry_at } | Limited::Locked { retry_at }) => {
                return Err(LoginError::Limited { retry_at });
            }
        };
        let clerk = self.clerks.get(login).await?;
        let verdict = self
            .authn
            .passwords
            .verify(clerk.as_ref().map(Clerk::password_hash), password)
            .await
            .map_err(|e| LoginError::Unavailable(e.to_string()))?;
        let clerk = match (clerk, verdict) {
            (Some(clerk), Verdict::Valid | Verdict::ValidNeedsRehash) if !clerk.disabled() => clerk,
            _ => return Err(LoginError::Invalid),
        };
        reservation.clear(&*self.authn.counters).await?;
        let attempt = secret::random_token(16);
        let code = format!("{:06}", rand::random_range(0..1_000_000u32));
        let stage = Stage::Code {
            login: clerk.login().to_string(),
            code_digest: code_digest(&attempt, &code),
            attempt,
            expires_at: now + CODE_TTL,
        };
        // Whatever session the browser had ends; the one awaiting the code is stored before the
        // code goes out.
        session.cycle().await?;
        set_stage(session, &stage).await?;
        session.save().await?;
        let text = format!(
            "identita: kód pro přihlášení do back office je {code}, platí 5 minut. \
             / Back office sign-in code: {code}, valid for 5 minutes."
        );
        let sent = match clerk.second_factor() {
            SecondFactor::Sms(phone) => self.authn.notifier.send_sms(phone.as_str(), &text).await,
            SecondFactor::Email(email) => {
                self.authn.notifier.send_email(&email.to_string(), "identita back office", &text).await
            }
        };
        sent.map_err(|e| LoginError::Send(e.to_string()))
    }

    /// The code step: on success the session is signed in, under a new id.
    pub async fn code(&self, session: &dyn ClerkSession, typed: &str, now: Timestamp) -> Result<(), LoginError> {
        let Some(Stage::Code { login, attempt, code_digest: expected, expires_at }) = stage(session).await? else {
            return Err(LoginError::CodeGone);
        };
        if now >= expires_at {
            return Err(LoginError::CodeGone);
        }
        let tries = self.authn.counters.increment(&format!("backoffice:code:{attempt}"), expires_at, now).await?;
        if tries > CODE_TRIES {
            session.flush().await?;
            return Err(LoginError::CodeGone);
        }
        let typed: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
        if !secret::constant_time_eq(&code_digest(&attempt, &typed), &expected) {
            return Err(LoginError::WrongCode);
        }
        // The code is spent once: only the request that remembers it first goes on.
        if !self.authn.replay.remember(&format!("backoffice:used:{attempt}"), expires_at, now).await? {
            return Err(LoginError::CodeGone);
        }
        session.cycle().await?;
        set_stage(session, &Stage::Active { login, csrf: secret::random_token(32), seen_at: now }).await?;
        session.save().await?;
        Ok(())
    }

    /// The signed-in clerk of the session, unless it ended (idle for [`IDLE`]), the clerk is
    /// gone or disabled (the session then ends); the session's idle time starts again.
    pub async fn signed(&self, session: &dyn ClerkSession, now: Timestamp) -> Result<Option<Signed>, StoreError> {
        let Some(Stage::Active { login, csrf, seen_at }) = stage(session).await? else { return Ok(None) };
        if now >= seen_at + IDLE {
            session.flush().await?;
            return Ok(None);
        }
        let Some(clerk) = self.clerks.get(&login).await?.filter(|c| !c.disabled()) else {
            session.flush().await?;
            return Ok(None);
        };
        set_stage(session, &Stage::Active { login, csrf: csrf.clone(), seen_at: now }).await?;
        Ok(Some(Signed { clerk, csrf }))
    }

    /// Whether the session awaits a code.
    pub async fn awaits_code(&self, session: &dyn ClerkSession, now: Timestamp) -> Result<bool, StoreError> {
        Ok(matches!(stage(session).await?, Some(Stage::Code { expires_at, .. }) if now < expires_at))
    }

    /// Ends the session.
    pub async fn logout(&self, session: &dyn ClerkSession) -> Result<(), StoreError> {
        session.flush().await
    }
}

/// The clerk an API token acts as, from `origin`, unless the clerk is disabled.
pub async fn bearer(clerks: &dyn ClerkStore, token: &str, origin: &str) -> Result<Option<Actor>, StoreError> {
    let clerk = clerks.clerk_of_token(&secret::bearer_digest(token)).await?;
    Ok(clerk.and_then(|c| Actor::clerk(&c, origin)))
}
