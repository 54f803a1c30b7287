//! A login in progress (`model::Interaction`), whatever protocol waits for it: its start, the
//! checks each of its pages makes (the browser that started it, a form's CSRF token) and, once
//! the person is known, the live session it belongs to. The edge turns what is refused here into
//! pages and keeps the cookies; the protocol that waits reads its pending request.

use crate::clock::Timestamp;
use crate::model::interaction::PendingRequest;
use crate::model::{Authentication, Interaction, Session};
use crate::secret;
use crate::store::{InteractionStore, StoreError};

/// Why a login in progress cannot go on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// No such login: expired, already completed, never started (or a page opened without one).
    Expired,
    /// The login was started in another browser (its binding cookie differs).
    OtherBrowser { client_id: String },
    /// A form of the login was posted without its CSRF token.
    FormOutdated { client_id: String },
    /// A page past login was opened before the person logged in.
    NotLoggedIn,
    /// The session the login belongs to has ended (signed out, expired, or replaced).
    SessionEnded,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum FlowError {
    #[error("the login cannot go on: {0:?}")]
    Refused(Refusal),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The logins in progress of one face, as of `now`.
pub(crate) struct Logins<'a> {
    /// The face's view of the interaction store.
    pub(crate) store: &'a dyn InteractionStore,
    /// The face they belong to (`None`: the primary).
    pub(crate) face: Option<String>,
    /// How long a login may take, in seconds.
    pub(crate) ttl: i64,
    pub(crate) now: Timestamp,
}

impl Logins<'_> {
    /// Starts a login for `pending` in the browser whose binding cookie value is `browser`; with
    /// the person's live `session` when the login starts past authentication (consent, account
    /// choice).
    pub(crate) async fn begin(
        &self,
        pending: PendingRequest,
        browser: &str,
        session: Option<&Session>,
    ) -> Result<Interaction, StoreError> {
        let interaction = Interaction {
            face: self.face.clone(),
            id: secret::random_token(24),
            pending: Some(pending),
            csrf: secret::random_token(24),
            browser: secret::digest(browser),
            authn: session.map(|s| s.authn.clone()),
            sid: session.map(|s| s.sid.clone()),
            failures: 0,
            sms: None,
            card: None,
            bank: None,
            mojeid: None,
            key: None,
            meg: None,
            created_at: self.now,
            expires_at: self.now + self.ttl,
        };
        self.store.put(&interaction).await?;
        Ok(interaction)
    }

    /// The login `id` as a page of it is opened (`csrf`: `None`) or posted (`csrf`: the form's
    /// token), in the browser whose binding cookie value is `browser`; with its pending request.
    pub(crate) async fn resume(
        &self,
        id: &str,
        browser: Option<&str>,
        csrf: Option<&str>,
    ) -> Result<(Interaction, PendingRequest), FlowError> {
        // A page opened without a login (a bookmark, a link shared or typed in).
        if id.is_empty() {
            return Err(FlowError::Refused(Refusal::Expired));
        }
        let interaction = self.store.get(id, self.now).await?.ok_or(FlowError::Refused(Refusal::Expired))?;
        // An account page's ceremony is no login.
        let pending = interaction.pending.clone().ok_or(FlowError::Refused(Refusal::Expired))?;
        let client_id = pending.login.client_id.clone();
        let browser = browser.map(secret::digest);
        if !browser.is_some_and(|b| secret::constant_time_eq(&b, &interaction.browser)) {
            return Err(FlowError::Refused(Refusal::OtherBrowser { client_id }));
        }
        if let Some(csrf) = csrf
            && !secret::constant_time_eq(csrf, &interaction.csrf)
        {
            return Err(FlowError::Refused(Refusal::FormOutdated { client_id }));
        }
        Ok((interaction, pending))
    }

    /// The person of a login past authentication, given the browser's `current` session: the
    /// login goes on only within the session that authenticated it; once that has ended the
    /// login is forgotten, so a page left open cannot be completed after the person signed out.
    pub(crate) async fn person(
        &self,
        interaction: &Interaction,
        current: Option<Session>,
    ) -> Result<(Authentication, Session), FlowError> {
        let authn = interaction.authn.clone().ok_or(FlowError::Refused(Refusal::NotLoggedIn))?;
        match current {
            Some(session)
                if interaction.sid.as_deref() == Some(session.sid.as_str())
                    && session.authn.user_id == authn.user_id =>
            {
                Ok((authn, session))
            }
            _ => {
                self.store.delete(&interaction.id).await?;
                Err(FlowError::Refused(Refusal::SessionEnded))
            }
        }
    }
}
