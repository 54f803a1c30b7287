//! Means of authentication. For now: username and password (argon2id), with the limits on
//! guessing it.

pub mod login;
pub mod password;
pub mod throttle;

pub use password::PasswordHasher;
pub mod loa;
