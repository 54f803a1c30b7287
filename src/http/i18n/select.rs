//! The page that asks which account goes on.
//!
//! In Czech (`CS`) and in English (`EN`), with the same fields, gathered in [`super::Texts`].

/// The page that asks which account goes on.
#[derive(Debug)]
pub struct SelectAccount {
    pub title: &'static str,
    pub signed_in_as: &'static str,
    pub client_before: &'static str,
    pub client_after: &'static str,
    pub continue_as: &'static str,
    pub other: &'static str,
}

pub const CS: SelectAccount = SelectAccount {
    title: "Výběr účtu",
    signed_in_as: "Jste přihlášeni jako",
    client_before: "Pokračujete do aplikace ",
    client_after: ".",
    continue_as: "Pokračovat jako",
    other: "Použít jiný účet",
};

pub const EN: SelectAccount = SelectAccount {
    title: "Choose an account",
    signed_in_as: "You are signed in as",
    client_before: "You are continuing to ",
    client_after: ".",
    continue_as: "Continue as",
    other: "Use another account",
};
