//! People: accounts and the claims they release.

pub mod claims;
pub mod user;

pub use user::{Address, Profile, User};
