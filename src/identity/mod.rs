//! People: the claims their accounts release (OpenID Connect's, `claims`; NIA's, `eidas`). The account record itself is
//! [`crate::model::User`].

pub mod claims;
pub mod eidas;
pub mod mojeid;
