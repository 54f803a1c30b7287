//! The bank identity: its picker and why it refused.
//!
//! In Czech (`CS`) and in English (`EN`), with the same fields, gathered in [`super::Texts`].

/// The bank identity: its picker and why it refused.
#[derive(Debug)]
pub struct Bank {
    /// The bank identity means: its picker and why it refused.
    pub means: &'static str,
    pub title: &'static str,
    pub intro: &'static str,
    pub error_cancelled: &'static str,
    pub error_failed: &'static str,
    pub error_low_assurance: &'static str,
    pub error_no_match: &'static str,
}

pub const CS: Bank = Bank {
    means: "Bankovní identita",
    title: "Přihlášení bankovní identitou",
    intro: "Vyberte svou banku. Přihlásíte se u ní a banka nám potvrdí vaše jméno a datum narození.",
    error_cancelled: "Přihlášení u banky bylo zrušeno. Můžete vybrat banku znovu, nebo jiný způsob přihlášení.",
    error_failed: "Přihlášení u banky se nepodařilo dokončit. Zkuste to prosím za chvíli znovu.",
    error_low_assurance: "Banka vás neověřila na úrovni značná, kterou toto přihlášení vyžaduje. Přihlášení bylo odmítnuto.",
    error_no_match: "Údaje od banky (jméno a datum narození) neodpovídají právě jednomu občanovi v registru. Přihlášení bylo odmítnuto.",
};

pub const EN: Bank = Bank {
    means: "Bank identity",
    title: "Sign in with your bank identity",
    intro: "Choose your bank. You sign in there and the bank confirms your name and date of birth to us.",
    error_cancelled: "The sign-in at your bank was cancelled. You can choose a bank again, or another way to sign in.",
    error_failed: "The sign-in at your bank could not be completed. Please try again in a moment.",
    error_low_assurance: "Your bank did not verify you at the level substantial this sign-in needs. The sign-in was refused.",
    error_no_match: "The details from your bank (name and date of birth) do not match exactly one citizen in the register. The sign-in was refused.",
};
