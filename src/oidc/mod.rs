//! The OpenID Provider as plain functions over typed inputs; no HTTP types here.

pub mod authorize;
pub mod client;
pub mod client_auth;
pub mod client_keys;
pub mod discovery;
pub mod encryption;
pub mod error;
pub mod fetch;
pub mod introspection;
pub mod logout;
pub mod outbound;
pub mod provider;
pub mod quota;
pub mod registration;
pub(crate) mod release;
pub mod revocation;
pub mod scopes;
pub mod subject;
pub mod token;
pub mod tokens;
pub mod userinfo;

pub use error::{ErrorCode, OAuthError};
pub use provider::Provider;
