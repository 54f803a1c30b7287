//! The page of a SAML single logout that tells the session's other service providers
//! (`http/saml_logout.rs`).
//!
//! In Czech (`CS`) and in English (`EN`), with the same fields, gathered in [`super::Texts`].

/// The page that signs the person out of the other services, then goes back to the one that asked.
#[derive(Debug)]
pub struct SamlLogout {
    pub title: &'static str,
    pub message: &'static str,
    pub continue_link: &'static str,
}

pub const CS: SamlLogout = SamlLogout {
    title: "Odhlašování",
    message: "Odhlašujeme vás i z dalších služeb, kde jste byli přihlášeni.",
    continue_link: "Pokračovat",
};

pub const EN: SamlLogout = SamlLogout {
    title: "Signing out",
    message: "Signing you out of the other services you were signed in to.",
    continue_link: "Continue",
};
