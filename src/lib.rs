//! identita — an OpenID Connect identity provider that stands in for the Czech identity
//! federation (NIA, mojeID) and is, at the same time, a complete OpenID Provider.
//!
//! Data flows one way: [`http`] (the edge) → [`oidc`], [`authn`], [`identity`] (the protocol and
//! the domain) → [`model`] (records and value types) ← [`store`] (persistence behind small traits).

pub mod app;
pub mod authn;
pub mod card;
pub mod cli;
pub mod clock;
pub mod config;
#[cfg(feature = "defects")]
pub mod defects;
pub(crate) mod dev;
#[doc(hidden)]
pub mod fuzzing;
pub(crate) mod http;
pub(crate) mod identity;
pub(crate) mod keys;
pub mod logging;
pub mod meg;
pub mod metrics;
pub mod model;
pub(crate) mod notify;
pub mod oidc;
pub mod persona;
pub mod saml;
pub mod secret;
pub(crate) mod server;
pub(crate) mod store;
/// Markers of tests skipped for a missing service, counted at the end of `cargo test`.
#[cfg(test)]
#[path = "../tests/support/skips.rs"]
mod test_skips;
pub mod tls;
pub(crate) mod validation;
