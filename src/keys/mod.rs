//! identita's keys and its JOSE layer: the [`KeyRing`] of its own signing keys (ID tokens,
//! signed userinfo, logout tokens), [`jose`], which reads and checks what clients sign, and
//! [`jwe`], which encrypts to the keys clients registered.
//!
//! The JOSE library (josekit) is used only inside this module, behind these types, so it can be
//! swapped. Private key material never leaves it: no error message or `Debug` output shows any.

mod alg;
mod hash;
pub mod jose;
pub mod jwe;
mod ring;
mod store;

#[cfg(test)]
mod tests;

pub use ring::KeyRing;

/// What can go wrong with keys and signatures. Messages name files, key ids and algorithms,
/// never key material.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Reading or writing the key directory failed.
    #[error("key store I/O error: {0}")]
    Io(String),
    /// A key file exists but cannot be used.
    #[error("key file {file} is unusable: {reason}")]
    Corrupt { file: String, reason: String },
    /// A key (for instance in a client's JWKS) is not a usable key.
    #[error("invalid key: {0}")]
    Invalid(String),
    /// The algorithm is unknown, not supported here, or not allowed for this use.
    #[error("unsupported or disallowed algorithm: {0}")]
    UnsupportedAlg(String),
    /// The ring has no active key for the algorithm.
    #[error("no active signing key for {0}")]
    NoActiveKey(String),
    /// No key matches the token's `kid` (or, without a `kid`, its algorithm).
    #[error("no matching key: {0}")]
    UnknownKey(String),
    /// The signature does not verify.
    #[error("signature verification failed")]
    BadSignature,
    /// The token is not a well-formed compact JWS/JWT.
    #[error("malformed token: {0}")]
    Malformed(String),
    /// Key generation or signing failed in the crypto library.
    #[error("cryptographic operation failed: {0}")]
    Crypto(String),
}
