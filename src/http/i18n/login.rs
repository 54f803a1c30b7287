//! The login page: the password form, the means it offers, why it refused.
//!
//! In Czech (`CS`) and in English (`EN`), with the same fields, gathered in [`super::Texts`].

/// The login page: the password form, the means it offers, why it refused.
#[derive(Debug)]
pub struct Login {
    pub title: &'static str,
    pub intro: &'static str,
    pub intro_before: &'static str,
    pub intro_after: &'static str,
    pub username_label: &'static str,
    pub password_label: &'static str,
    pub submit: &'static str,
    pub error_bad_credentials: &'static str,
    pub error_too_many_attempts: &'static str,
    pub error_expired: &'static str,
    /// The means of authentication a login page offers.
    pub means_heading: &'static str,
    pub means_password: &'static str,
    pub error_means_not_offered: &'static str,
    pub cancel: &'static str,
}

pub const CS: Login = Login {
    title: "Přihlášení",
    intro: "Pro pokračování se přihlaste.",
    intro_before: "Pro pokračování do aplikace ",
    intro_after: " se přihlaste.",
    username_label: "Uživatelské jméno",
    password_label: "Heslo",
    submit: "Přihlásit se",
    error_bad_credentials: "Nesprávné uživatelské jméno nebo heslo.",
    error_too_many_attempts: "Příliš mnoho neúspěšných pokusů o přihlášení. Zkuste to prosím později.",
    error_expired: "Platnost přihlašovací stránky vypršela. Vraťte se prosím do aplikace a začněte znovu.",
    means_heading: "Způsob přihlášení",
    means_password: "Jméno a heslo",
    error_means_not_offered: "Tento způsob přihlášení nesplňuje úroveň ověření, kterou aplikace vyžaduje. Zvolte prosím jiný.",
    cancel: "Zrušit a vrátit se do aplikace",
};

pub const EN: Login = Login {
    title: "Sign in",
    intro: "Sign in to continue.",
    intro_before: "Sign in to continue to ",
    intro_after: ".",
    username_label: "Username",
    password_label: "Password",
    submit: "Sign in",
    error_bad_credentials: "Incorrect username or password.",
    error_too_many_attempts: "Too many failed sign-in attempts. Please try again later.",
    error_expired: "This sign-in page has expired. Please go back to the application and start again.",
    means_heading: "Sign-in method",
    means_password: "Username and password",
    error_means_not_offered: "This sign-in method does not reach the level of assurance the application requires. Please choose another.",
    cancel: "Cancel and return to the application",
};
