//! The signed-in citizen's consents (`/account/consents`).
//!
//! In Czech (`CS`) and in English (`EN`), with the same fields, gathered in [`super::Texts`].

/// The page listing the services a citizen has let receive their data.
#[derive(Debug)]
pub struct Consents {
    pub title: &'static str,
    pub account: &'static str,
    pub intro: &'static str,
    pub none: &'static str,
    pub revoke: &'static str,
    /// After a revocation.
    pub revoked: &'static str,
    /// Nobody is signed in.
    pub sign_in_first: &'static str,
    /// The form was made for another session, or is too old.
    pub outdated: &'static str,
}

pub const CS: Consents = Consents {
    title: "Udělené souhlasy",
    account: "Účet:",
    intro: "Těmto službám jste dovolili dostávat vaše údaje bez dalšího ptaní. Souhlas můžete kdykoli odvolat; služba se vás pak při příštím přihlášení zeptá znovu.",
    none: "Žádné službě jste trvalý souhlas neudělili.",
    revoke: "Odvolat souhlas",
    revoked: "Souhlas byl odvolán.",
    sign_in_first: "Nejste přihlášeni. Přihlaste se do některé služby a vraťte se sem.",
    outdated: "Formulář je zastaralý. Zkuste to znovu.",
};

pub const EN: Consents = Consents {
    title: "Your consents",
    account: "Account:",
    intro: "You let these services receive your data without asking again. You can revoke a consent at any time; the service will then ask you again at your next sign-in.",
    none: "You have not given a lasting consent to any service.",
    revoke: "Revoke consent",
    revoked: "The consent was revoked.",
    sign_in_first: "You are not signed in. Sign in to a service and come back here.",
    outdated: "The form is out of date. Please try again.",
};
