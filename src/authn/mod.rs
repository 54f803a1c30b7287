//! Means of authentication ([`means`]): username and password (argon2id), with the limits on
//! guessing it, NIA ID (the password, then a code by SMS) and eObčanka (a chip card signs a
//! challenge); and the means that log the person in at an upstream OpenID Provider
//! ([`upstream`]): the bank identity and NIA's mojeID.
//!
//! [`Authn`] is what they run on, built once at start and held beside the protocols' context
//! (`oidc::Provider`), which it does not need: a protocol asks authn to authenticate a person
//! and gets back who it was.

pub mod backoffice;
pub mod bank;
pub mod eobcanka;
pub(crate) mod flow;
pub mod login;
pub mod means;
pub mod meg;
pub mod meg_push;
pub(crate) mod mojeid_federation;
pub mod nia_id;
pub mod password;
pub mod session;
pub mod throttle;
pub(crate) mod upstream;
pub mod webauthn;

use std::sync::Arc;

pub use password::PasswordHasher;
pub mod loa;

use crate::config::PasswordConfig;
use crate::notify::Notifier;
use crate::store::{
    CardStore, CounterStore, DeviceStore, RegistrationStore, ReplayStore, SecurityKeyStore, Stores, UserStore,
};
use eobcanka::Eobcanka;
use login::PasswordLogin;
use nia_id::NiaId;
use password::PasswordError;

/// The authentication services: accounts, the counters behind the guessing limits, the password
/// hasher and its settings. Cheap to clone; every clone shares the hasher (and its count of
/// checks).
#[derive(Clone)]
pub struct Authn {
    pub(crate) users: Arc<dyn UserStore>,
    /// NIA ID's online registrations (what a disabled account waits for).
    pub(crate) registrations: Arc<dyn RegistrationStore>,
    /// The eObčanka card register.
    pub(crate) cards: Arc<dyn CardStore>,
    /// The security keys of mojeID + WebAuthn.
    pub(crate) security_keys: Arc<dyn SecurityKeyStore>,
    /// The register of paired MEG devices.
    pub(crate) devices: Arc<dyn DeviceStore>,
    /// The MEG devices connected for push on this node.
    pub(crate) push: meg_push::PushHub,
    pub(crate) counters: Arc<dyn CounterStore>,
    /// What must be used once only (an SMS code).
    pub(crate) replay: Arc<dyn ReplayStore>,
    pub passwords: PasswordHasher,
    pub(crate) config: Arc<PasswordConfig>,
    /// Sends the texts of the means that need one (an SMS code).
    pub notifier: Notifier,
    /// The banks of the bank identity means (none unless configured).
    pub(crate) banks: bank::Banks,
    /// The upstream mojeID of each face that offers NIA's mojeID means (none unless it has one).
    pub(crate) mojeid: mojeid_federation::Federation,
}

impl Authn {
    /// The services over `stores`, with a hasher made for `config`, sending through `notifier`.
    pub(crate) fn new(config: &PasswordConfig, stores: &Stores, notifier: Notifier) -> Result<Self, PasswordError> {
        Ok(Self {
            users: stores.users.clone(),
            registrations: stores.registrations.clone(),
            cards: stores.cards.clone(),
            security_keys: stores.security_keys.clone(),
            devices: stores.devices.clone(),
            push: meg_push::PushHub::new(stores.broadcast.clone()),
            counters: stores.counters.clone(),
            replay: stores.replay.clone(),
            passwords: PasswordHasher::new(config)?,
            config: Arc::new(config.clone()),
            notifier,
            banks: bank::Banks::default(),
            mojeid: mojeid_federation::Federation::default(),
        })
    }

    /// Password logins over these services.
    pub(crate) fn password_login(&self) -> PasswordLogin<'_> {
        PasswordLogin {
            users: &*self.users,
            registrations: &*self.registrations,
            counters: &*self.counters,
            passwords: &self.passwords,
            config: &self.config,
        }
    }

    /// NIA ID's SMS step over these services.
    pub(crate) fn nia_id(&self) -> NiaId<'_> {
        NiaId { counters: &*self.counters, replay: &*self.replay, notifier: &self.notifier }
    }

    /// mojeID + WebAuthn's security keys, for the relying party at `issuer`.
    pub(crate) fn security_keys<'a>(
        &'a self,
        issuer: &'a str,
        config: &'a crate::config::WebauthnConfig,
    ) -> webauthn::SecurityKeys<'a> {
        webauthn::SecurityKeys { keys: &*self.security_keys, counters: &*self.counters, issuer, config }
    }

    /// eObčanka's checks over these services.
    pub(crate) fn eobcanka(&self) -> Eobcanka<'_> {
        Eobcanka { cards: &*self.cards, counters: &*self.counters, replay: &*self.replay }
    }

    /// MEG's pairing and checks over these services.
    pub(crate) fn meg(&self) -> meg::Meg<'_> {
        meg::Meg { devices: &*self.devices, counters: &*self.counters, replay: &*self.replay }
    }
}
