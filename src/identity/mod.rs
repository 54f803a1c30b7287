//! People: the claims their accounts release. The account record itself is
//! [`crate::model::User`].

pub mod claims;
