//! The links a client registered (`policy_uri`, `tos_uri`, `client_uri`), on the login and consent pages.
//!
//! In Czech (`CS`) and in English (`EN`), with the same fields, gathered in [`super::Texts`].

/// The links a client registered (`policy_uri`, `tos_uri`, `client_uri`), on the login and consent pages.
#[derive(Debug)]
pub struct ClientLinks {
    /// Links a client registered (`policy_uri`, `tos_uri`, `client_uri`).
    pub policy: &'static str,
    pub tos: &'static str,
    pub home: &'static str,
}

pub const CS: ClientLinks = ClientLinks {
    policy: "Zásady ochrany osobních údajů aplikace",
    tos: "Podmínky použití aplikace",
    home: "Stránky aplikace",
};

pub const EN: ClientLinks = ClientLinks {
    policy: "The application's privacy policy",
    tos: "The application's terms of service",
    home: "The application's website",
};
