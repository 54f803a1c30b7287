//! The page that posts a response to the client (`response_mode=form_post`).
//!
//! In Czech (`CS`) and in English (`EN`), with the same fields, gathered in [`super::Texts`].

/// The page that posts a response to the client (`response_mode=form_post`).
#[derive(Debug)]
pub struct FormPost {
    pub title: &'static str,
    pub message: &'static str,
    pub continue_button: &'static str,
}

pub const CS: FormPost =
    FormPost { title: "Přesměrování", message: "Vracíme vás zpět do aplikace.", continue_button: "Pokračovat" };

pub const EN: FormPost =
    FormPost { title: "Redirecting", message: "Taking you back to the application.", continue_button: "Continue" };
