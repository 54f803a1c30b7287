//! The model: the records and value types every layer speaks — people and their accounts,
//! clients, authentications, sessions, logins in progress, grants and the tokens issued from them,
//! and the messages sent to people.
//!
//! A leaf: it depends on [`crate::clock`] and external crates only. The protocols and the login
//! flow build these values, the stores keep them (see `crate::store`), and nothing here knows
//! about HTTP, OpenID Connect's endpoints or a database.

pub mod audit;
pub mod authentication;
pub mod card;
pub mod clerk;
pub mod client;
pub mod czech_point;
pub mod databox;
pub mod grant;
pub mod interaction;
pub mod loa;
pub mod meg;
pub mod message;
pub mod mojeid;
pub mod person;
pub mod redirect_uri;
pub mod registration;
pub mod saml;
pub mod security_key;
pub mod session;
pub mod user;

pub use audit::{AuditEntry, AuditRecord};
pub use authentication::Authentication;
pub use card::{Card, CardStatus};
pub use clerk::{Clerk, ClerkLogin, ClerkRecord, Role};
pub use client::{AuthMethod, Client, SubjectType};
pub use czech_point::CzechPointRequest;
pub use databox::{DataBox, DataBoxMessage};
pub use grant::{AccessToken, AuthCode, Grant, RefreshToken, RequestedClaims};
pub use interaction::{
    CardChallenge, CardOutcome, CardRefusal, Interaction, KeyCeremony, SmsChallenge, UpstreamPending,
};
pub use loa::Loa;
pub use meg::{Device, DeviceStatus, MegChallenge, MegOutcome, MegRefusal};
pub use message::{Channel, Message};
pub use mojeid::MojeidAccount;
pub use person::{Person, PersonRecord};
pub use redirect_uri::{ApplicationType, RedirectUri, RedirectUriError, UriRules};
pub use registration::{NiaRegistration, RegistrationState};
pub use saml::ServiceProvider;
pub use security_key::SecurityKeyRecord;
pub use session::Session;
pub use user::{Address, Profile, User};
