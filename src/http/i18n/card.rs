//! eObčanka's login.
//!
//! In Czech (`CS`) and in English (`EN`), with the same fields, gathered in [`super::Texts`].

/// eObčanka's login.
#[derive(Debug)]
pub struct Card {
    /// eObčanka's login.
    pub means: &'static str,
    pub title: &'static str,
    pub intro: &'static str,
    pub no_card: &'static str,
    pub command_label: &'static str,
    pub url_label: &'static str,
    pub continue_button: &'static str,
    pub signed: &'static str,
    pub not_signed: &'static str,
    pub holder_unknown: &'static str,
}

pub const CS: Card = Card {
    means: "eObčanka (občanský průkaz s čipem)",
    title: "Přihlášení občanským průkazem (eObčanka)",
    intro: "Vložte občanský průkaz do čtečky a spusťte níže uvedený příkaz. Po zadání IOK karta podepíše toto přihlášení. Potom stiskněte Pokračovat.",
    no_card: "Nemáte občanský průkaz s aktivovaným čipem? Přihlášení zrušte a vraťte se do aplikace, nebo zvolte jiný způsob přihlášení, pokud ho aplikace nabízí. Čip si můžete aktivovat na kterémkoli obecním úřadě obce s rozšířenou působností.",
    command_label: "Příkaz pro čtečku",
    url_label: "Adresa výzvy k podpisu (platí 5 minut)",
    continue_button: "Pokračovat",
    signed: "Karta toto přihlášení podepsala. Stiskněte Pokračovat.",
    not_signed: "Karta toto přihlášení zatím nepodepsala. Spusťte příkaz pro čtečku, zadejte IOK a potom stiskněte Pokračovat.",
    holder_unknown: "K této kartě nepatří žádný účet, který se může přihlásit. Obraťte se prosím na úřad, který průkaz vydal.",
};

pub const EN: Card = Card {
    means: "eObčanka (identity card with a chip)",
    title: "Sign in with your identity card (eObčanka)",
    intro: "Put your identity card in the reader and run the command below. Once you enter your IOK, the card signs this sign-in. Then press Continue.",
    no_card: "No identity card with an activated chip? Cancel the sign-in and return to the application, or choose another sign-in method if the application offers one. You can have the chip activated at any municipal office with extended powers.",
    command_label: "Command for the reader",
    url_label: "Address of the challenge to sign (valid for 5 minutes)",
    continue_button: "Continue",
    signed: "Your card has signed this sign-in. Press Continue.",
    not_signed: "Your card has not signed this sign-in yet. Run the command for the reader, enter your IOK, then press Continue.",
    holder_unknown: "No account that may sign in belongs to this card. Please contact the office that issued it.",
};
