//! Means of authentication. For now: username and password (argon2id).

pub mod password;

pub use password::PasswordHasher;
