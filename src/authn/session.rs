//! Single sign-on sessions: one per browser and face, shared by every relying party of that
//! face whatever protocol it speaks, keyed by the digest of a random cookie value. The public
//! `sid` in tokens is a different random value, so a token never reveals the cookie.
//!
//! A session starts when a login ends ([`Sessions::start_after_login`]). Ending one is the
//! protocols' business (each tells its relying parties: OIDC by back-channel logout), so the
//! caller hands in how a session of another person in the same browser ends.

use std::fmt::Display;

use crate::clock::Timestamp;
use crate::model::{Authentication, Session};
use crate::secret;
use crate::store::{SessionStore, StoreError};

/// The SSO sessions of one face, as of `now`.
pub(crate) struct Sessions<'a> {
    /// The face's view of the session store (it finds only the face's sessions).
    pub(crate) store: &'a dyn SessionStore,
    /// The face the sessions belong to (`None`: the primary).
    pub(crate) face: Option<String>,
    /// How long a session lives, in seconds.
    pub(crate) ttl: i64,
    pub(crate) now: Timestamp,
}

impl Sessions<'_> {
    /// Starts a session for a fresh authentication; returns the cookie value and the session.
    /// A re-authentication of the same person carries over the `previous` session's `sid` and
    /// relying parties.
    pub(crate) async fn start(
        &self,
        authn: Authentication,
        previous: Option<&Session>,
    ) -> Result<(String, Session), StoreError> {
        let cookie = secret::random_token(32);
        let session = Session {
            face: self.face.clone(),
            key: secret::digest(&cookie),
            sid: previous.map(|p| p.sid.clone()).unwrap_or_else(|| secret::ordered_id(self.now)),
            authn,
            clients: previous.map(|p| p.clients.clone()).unwrap_or_default(),
            created_at: self.now,
            expires_at: self.now + self.ttl,
        };
        self.store.insert(&session).await?;
        Ok((cookie, session))
    }

    /// Starts the session of a login in a browser that may already hold one (its cookie value
    /// `old_cookie`). A fresh login always gets a fresh cookie (no fixation); the same person
    /// keeps the old session's `sid` and relying parties (a step-up also its methods, see
    /// [`Authentication::extending`]); another person's session is ended by `end_other`, and a
    /// failure there is logged, not the login's: the new person is signed in either way.
    pub(crate) async fn start_after_login<E: Display>(
        &self,
        old_cookie: Option<&str>,
        mut authn: Authentication,
        end_other: impl AsyncFnOnce(&Session) -> Result<(), E>,
    ) -> Result<(String, Session), StoreError> {
        let mut previous = None;
        if let Ok(Some(old)) = self.current(old_cookie).await {
            if old.authn.user_id == authn.user_id {
                self.store.delete(&old.key).await?;
                authn = authn.extending(&old.authn);
                previous = Some(old);
            } else if let Err(e) = end_other(&old).await {
                tracing::warn!(error = %e, "ending the previous session failed");
            }
        }
        self.start(authn, previous.as_ref()).await
    }

    /// The live session a cookie value points at, if any.
    pub(crate) async fn current(&self, cookie: Option<&str>) -> Result<Option<Session>, StoreError> {
        match cookie {
            Some(value) if !value.is_empty() && value.len() <= 128 => {
                self.store.get(&secret::digest(value), self.now).await
            }
            _ => Ok(None),
        }
    }
}
