//! The back office's login and session, apart from citizens' single sign-on: a clerk's password
//! (its attempts reserved atomically before the check, as for citizens: [`super::throttle`]),
//! then a one-time code sent to the clerk's phone or e-mail through the [`Notifier`], into a
//! session with a CSRF token that ends after [`IDLE`] without a request.
//!
//! A session is kept in the SQL database (`backoffice_sessions`), which every node shares, also
//! when Redis holds the citizens' sessions: any node sees a session another started, and a
//! restart loses none. The cookie holds a random 256-bit value; the store knows it only by its
//! digest. Moving from the code to the signed-in session gives a new value (no fixation).
//!
//! Scripts act with an API token an administrator made (`identita clerk token`): [`bearer`].

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::authn::Authn;
use crate::authn::password::Verdict;
use crate::authn::throttle::{Limited, Throttle};
use crate::clock::Timestamp;
use crate::model::clerk::{Clerk, SecondFactor};
use crate::secret;
use crate::store::{BackOfficeSessionStore, ClerkStore, StoreError};
use crate::validation::actor::Actor;

/// A session without a request for this long ends.
pub const IDLE: Timestamp = 15 * 60;
/// How long a login code can be typed.
pub const CODE_TTL: Timestamp = 5 * 60;
/// Wrong codes before a login must start again.
const CODE_TRIES: u32 = 5;

/// What a session is at.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
enum Stage {
    /// The password was right; the code sent is awaited.
    Code { login: String, code_digest: String, expires_at: Timestamp },
    /// Signed in.
    Active { login: String, csrf: String },
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
    pub sessions: &'a dyn BackOfficeSessionStore,
}

fn key(cookie: &str) -> String {
    secret::digest(cookie)
}

fn code_digest(session_key: &str, code: &str) -> String {
    secret::digest(&format!("backoffice:{session_key}:{code}"))
}

fn encode(stage: &Stage) -> Result<String, LoginError> {
    serde_json::to_string(stage).map_err(|e| LoginError::Unavailable(e.to_string()))
}

impl BackOffice<'_> {
    /// The password step: on success the code is sent and a session awaiting it begins; the
    /// cookie value is returned.
    pub async fn password(
        &self,
        source: IpAddr,
        login: &str,
        password: &str,
        now: Timestamp,
    ) -> Result<String, LoginError> {
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
        let cookie = secret::random_token(32);
        let code = format!("{:06}", rand::random_range(0..1_000_000u32));
        let expires_at = now + CODE_TTL;
        let stage = Stage::Code {
            login: clerk.login().to_string(),
            code_digest: code_digest(&key(&cookie), &code),
            expires_at,
        };
        self.sessions.save(&key(&cookie), &encode(&stage)?, expires_at).await?;
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
        sent.map_err(|e| LoginError::Send(e.to_string()))?;
        Ok(cookie)
    }

    /// The code step: on success the session is signed in under a new cookie value, returned.
    pub async fn code(&self, cookie: &str, typed: &str, now: Timestamp) -> Result<String, LoginError> {
        let old = key(cookie);
        let Some(Stage::Code { login, code_digest: expected, expires_at }) = self.stage(&old, now).await? else {
            return Err(LoginError::CodeGone);
        };
        let tries = self.authn.counters.increment(&format!("backoffice:code:{old}"), expires_at, now).await?;
        if tries > CODE_TRIES {
            self.sessions.delete(&old).await?;
            return Err(LoginError::CodeGone);
        }
        let typed: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
        if !secret::constant_time_eq(&code_digest(&old, &typed), &expected) {
            return Err(LoginError::WrongCode);
        }
        // The code is spent once: only the request that deletes the waiting session goes on.
        if !self.authn.replay.remember(&format!("backoffice:used:{old}"), expires_at, now).await? {
            return Err(LoginError::CodeGone);
        }
        self.sessions.delete(&old).await?;
        let fresh = secret::random_token(32);
        let stage = Stage::Active { login, csrf: secret::random_token(32) };
        self.sessions.save(&key(&fresh), &encode(&stage)?, now + IDLE).await?;
        Ok(fresh)
    }

    /// The signed-in clerk of the session, unless it ended, the clerk is gone or disabled; the
    /// session's idle time starts again.
    pub async fn signed(&self, cookie: &str, now: Timestamp) -> Result<Option<Signed>, StoreError> {
        let session = key(cookie);
        let Some(stage @ Stage::Active { .. }) = self.stage(&session, now).await? else { return Ok(None) };
        let Stage::Active { login, csrf } = &stage else { return Ok(None) };
        let Some(clerk) = self.clerks.get(login).await?.filter(|c| !c.disabled()) else { return Ok(None) };
        let data = serde_json::to_string(&stage).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.sessions.save(&session, &data, now + IDLE).await?;
        Ok(Some(Signed { clerk, csrf: csrf.clone() }))
    }

    /// Whether the session awaits a code.
    pub async fn awaits_code(&self, cookie: &str, now: Timestamp) -> Result<bool, StoreError> {
        Ok(matches!(self.stage(&key(cookie), now).await?, Some(Stage::Code { .. })))
    }

    /// Ends the session.
    pub async fn logout(&self, cookie: &str) -> Result<(), StoreError> {
        self.sessions.delete(&key(cookie)).await
    }

    async fn stage(&self, session: &str, now: Timestamp) -> Result<Option<Stage>, StoreError> {
        let Some(data) = self.sessions.load(session, now).await? else { return Ok(None) };
        Ok(serde_json::from_str(&data).ok())
    }
}

/// The clerk an API token acts as, from `origin`, unless the clerk is disabled.
pub async fn bearer(clerks: &dyn ClerkStore, token: &str, origin: &str) -> Result<Option<Actor>, StoreError> {
    let clerk = clerks.clerk_of_token(&secret::bearer_digest(token)).await?;
    Ok(clerk.and_then(|c| Actor::clerk(&c, origin)))
}
