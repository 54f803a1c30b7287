//! The OpenID Provider's context: configuration, persona, stores, keys, clock, and the few
//! outbound HTTP clients — one cheap-to-clone value that every protocol function takes. The
//! authentication services are not in it: they are `authn::Authn`, held beside it.

use std::sync::Arc;

use crate::authn::flow::Logins;
use crate::authn::session::Sessions;
use crate::clock::{SharedClock, Timestamp};
use crate::config::Config;
use crate::keys::KeyRing;
use crate::model::{MojeidAccount, Person, User};
use crate::persona::{Persona, Surface};
use crate::store::{StoreError, Stores};

use super::fetch::Fetcher;
use super::tokens::IdTokenSigner;

#[derive(Clone)]
pub struct Provider {
    pub config: Arc<Config>,
    pub(crate) persona: Arc<Persona>,
    pub stores: Stores,
    pub keys: KeyRing,
    pub(crate) clock: SharedClock,
    /// Outbound HTTP: client `jwks_uri`, `request_uri`, `sector_identifier_uri`, back-channel logout.
    pub(crate) fetcher: Fetcher,
    /// Secret input to pairwise subject identifiers.
    pub(crate) pairwise_salt: Arc<String>,
    /// Signs ID tokens: `keys`, unless the composition root (src/app.rs) wrapped it.
    pub(crate) id_token_signer: Arc<dyn IdTokenSigner>,
    /// The other faces (`[[faces]]`) served beside this one: set on the primary face, empty on
    /// the others. Each is a provider of its own (issuer, keys, its view of the stores).
    pub faces: Arc<[Provider]>,
    /// The faces whose single sign-on sessions this face adopts and ends with its own
    /// (`Persona::shares_sessions`: the primary and the NIA and mojeID faces by default), each
    /// without faces or siblings of its own. Empty on a face that does not share.
    pub(crate) siblings: Arc<[Provider]>,
    /// The SAML signing key of a face that serves SAML (`Persona::saml`), `None` elsewhere.
    pub(crate) saml: Option<Arc<crate::saml::SamlKey>>,
}

impl Provider {
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// The register's record of the person `user` belongs to, where this face releases the
    /// register's data (NIA's attributes); `None` elsewhere, or for an account of no person.
    pub(crate) async fn person_of(&self, user: &User) -> Result<Option<Person>, StoreError> {
        if self.persona.surface != Surface::Nia {
            return Ok(None);
        }
        match self.stores.persons.person_of_account(&user.id).await? {
            Some(id) => self.stores.persons.get(&id).await,
            None => Ok(None),
        }
    }

    /// The mojeID part of `user`'s account (its kind and validation), where this face releases
    /// mojeID's claims; `None` elsewhere, or for an account without one.
    pub(crate) async fn mojeid_account_of(&self, user: &User) -> Result<Option<MojeidAccount>, StoreError> {
        if self.persona.surface != Surface::MojeId {
            return Ok(None);
        }
        self.stores.mojeid_accounts.get(&user.id).await
    }

    pub fn issuer(&self) -> &str {
        &self.persona.issuer
    }

    /// Whether a record tagged with face `tag` is this face's (the primary face's records have no
    /// tag); the stores apply it to every lookup (`store::face`).
    pub(crate) fn owns(&self, tag: Option<&str>) -> bool {
        tag == self.persona.face.as_deref()
    }

    /// The face that owns a record tagged `tag`: this one, or one of its `faces` (this one when
    /// no face of that name is served any more).
    pub(crate) fn face_of(&self, tag: Option<&str>) -> &Provider {
        self.faces.iter().find(|face| face.owns(tag)).unwrap_or(self)
    }

    /// This face's logins in progress, as of now.
    pub(crate) fn logins(&self) -> Logins<'_> {
        Logins {
            store: &*self.stores.interactions,
            face: self.persona.face.clone(),
            ttl: self.config.tokens.interaction_ttl,
            now: self.now(),
        }
    }

    /// This face's single sign-on sessions, as of now.
    pub(crate) fn sessions(&self) -> Sessions<'_> {
        Sessions {
            store: &*self.stores.sessions,
            face: self.persona.face.clone(),
            ttl: self.config.tokens.session_ttl,
            now: self.now(),
        }
    }

    /// How long retired signing keys stay published: until every token they signed has expired.
    pub(crate) fn key_retention(&self) -> i64 {
        self.config.tokens.id_token_ttl.max(self.config.tokens.access_token_ttl) + 300
    }
}
