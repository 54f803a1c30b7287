//! The error page.
//!
//! In Czech (`CS`) and in English (`EN`), with the same fields, gathered in [`super::Texts`].

/// The error page.
#[derive(Debug)]
pub struct Error {
    pub code_label: &'static str,
    pub help: &'static str,
    /// Introduces the protocol's (English) description under a person-facing notice.
    pub detail_label: &'static str,
    pub title_request: &'static str,
    pub title_client: &'static str,
    pub title_denied: &'static str,
    pub title_login: &'static str,
    pub title_not_found: &'static str,
    pub title_server: &'static str,
    pub title_unavailable: &'static str,
    pub title_generic: &'static str,
    /// The way back from an error page: the client's registered website, or this service's home.
    pub back_client_before: &'static str,
    pub back_client_after: &'static str,
    pub back_home: &'static str,
}

pub const CS: Error = Error {
    code_label: "Kód chyby:",
    help: "Vraťte se prosím do aplikace a zkuste to znovu.",
    detail_label: "Technické podrobnosti:",
    title_request: "Neplatný požadavek",
    title_client: "Neznámá nebo nepovolená aplikace",
    title_denied: "Přístup byl zamítnut",
    title_login: "Je potřeba se přihlásit",
    title_not_found: "Stránka nenalezena",
    title_server: "Chyba serveru",
    title_unavailable: "Služba je dočasně nedostupná",
    title_generic: "Požadavek nelze zpracovat",
    back_client_before: "Zpět na web aplikace ",
    back_client_after: "",
    back_home: "Na úvodní stránku služby identita",
};

pub const EN: Error = Error {
    code_label: "Error code:",
    help: "Please go back to the application and try again.",
    detail_label: "Technical detail:",
    title_request: "Invalid request",
    title_client: "Unknown or unauthorised application",
    title_denied: "Access denied",
    title_login: "Sign-in required",
    title_not_found: "Page not found",
    title_server: "Server error",
    title_unavailable: "Service temporarily unavailable",
    title_generic: "The request cannot be processed",
    back_client_before: "Back to the website of ",
    back_client_after: "",
    back_home: "To the identita home page",
};
