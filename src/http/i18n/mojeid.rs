//! NIA's mojeID means: its part of the login page and why it refused.
//!
//! In Czech (`CS`) and in English (`EN`), with the same fields, gathered in [`super::Texts`].

/// NIA's mojeID means: its part of the login page and why it refused.
#[derive(Debug)]
pub struct Mojeid {
    /// The means in the login page's list.
    pub means: &'static str,
    pub title: &'static str,
    pub intro: &'static str,
    /// The button that goes to mojeID.
    pub continue_button: &'static str,
    pub error_cancelled: &'static str,
    pub error_failed: &'static str,
    pub error_low_assurance: &'static str,
    pub error_no_match: &'static str,
}

pub const CS: Mojeid = Mojeid {
    means: "mojeID",
    title: "Přihlášení přes mojeID",
    intro: "Přihlásíte se u mojeID a mojeID nám potvrdí vaši totožnost. Účet mojeID musí mít bezpečnostní klíč (úroveň značná nebo vysoká).",
    continue_button: "Pokračovat na mojeID",
    error_cancelled: "Přihlášení u mojeID bylo zrušeno. Můžete to zkusit znovu, nebo zvolit jiný způsob přihlášení.",
    error_failed: "Přihlášení u mojeID se nepodařilo dokončit. Zkuste to prosím za chvíli znovu.",
    error_low_assurance: "mojeID vás neověřilo na úrovni, kterou toto přihlášení vyžaduje (značná, nebo vysoká, pokud ji služba žádá). Přihlášení bylo odmítnuto.",
    error_no_match: "Účet mojeID se nepodařilo přiřadit právě jednomu občanovi v registru. Přihlášení bylo odmítnuto.",
};

pub const EN: Mojeid = Mojeid {
    means: "mojeID",
    title: "Sign in with mojeID",
    intro: "You sign in at mojeID and mojeID confirms your identity to us. Your mojeID account needs a security key (level substantial or high).",
    continue_button: "Continue to mojeID",
    error_cancelled: "The sign-in at mojeID was cancelled. You can try again, or choose another way to sign in.",
    error_failed: "The sign-in at mojeID could not be completed. Please try again in a moment.",
    error_low_assurance: "mojeID did not verify you at the level this sign-in needs (substantial, or high when the service asks for it). The sign-in was refused.",
    error_no_match: "The mojeID account could not be matched to exactly one citizen in the register. The sign-in was refused.",
};
