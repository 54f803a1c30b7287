//! NIA ID: its choice on the login page and its SMS code page.
//!
//! In Czech (`CS`) and in English (`EN`), with the same fields, gathered in [`super::Texts`].

/// NIA ID: its choice on the login page and its SMS code page.
#[derive(Debug)]
pub struct Sms {
    pub means: &'static str,
    pub title_nia_id: &'static str,
    pub intro_nia_id: &'static str,
    pub error_no_phone: &'static str,
    pub error_exhausted: &'static str,
    pub error_not_sent: &'static str,
    /// NIA ID's SMS code page.
    pub title: &'static str,
    pub intro_before: &'static str,
    pub intro_after: &'static str,
    pub code_label: &'static str,
    pub code_hint: &'static str,
    pub submit: &'static str,
    pub resend: &'static str,
    pub sent: &'static str,
    pub expired: &'static str,
}

pub const CS: Sms = Sms {
    means: "NIA ID (jméno, heslo a SMS kód)",
    title_nia_id: "Přihlášení přes NIA ID",
    intro_nia_id: "Po ověření jména a hesla vám pošleme SMS s kódem na telefonní číslo vašeho účtu.",
    error_no_phone: "K tomuto účtu není přiřazeno české mobilní číslo (+420), na které by šlo poslat kód NIA ID. Zvolte prosím jiný způsob přihlášení.",
    error_exhausted: "Příliš mnoho chybně zadaných nebo odeslaných kódů. Přihlaste se prosím znovu.",
    error_not_sent: "SMS s kódem se nepodařilo odeslat. Zkuste to prosím za chvíli znovu.",
    title: "Kód z SMS",
    intro_before: "Na číslo ",
    intro_after: " jsme poslali SMS se šestimístným kódem. Kód platí 5 minut.",
    code_label: "Kód z SMS",
    code_hint: "Šest číslic, například 123456.",
    submit: "Ověřit kód",
    resend: "Poslat nový kód",
    sent: "Poslali jsme vám nový kód.",
    expired: "Platnost kódu vypršela. Nechte si prosím poslat nový.",
};

pub const EN: Sms = Sms {
    means: "NIA ID (username, password and SMS code)",
    title_nia_id: "Sign in with NIA ID",
    intro_nia_id: "Once your username and password are checked, we send a code by SMS to your account's phone number.",
    error_no_phone: "This account has no Czech mobile number (+420) to send an NIA ID code to. Please choose another sign-in method.",
    error_exhausted: "Too many wrong codes or codes sent. Please sign in again.",
    error_not_sent: "The SMS with the code could not be sent. Please try again in a moment.",
    title: "Code from the SMS",
    intro_before: "We sent a six-digit code by SMS to ",
    intro_after: ". The code is valid for 5 minutes.",
    code_label: "Code from the SMS",
    code_hint: "Six digits, for example 123456.",
    submit: "Verify the code",
    resend: "Send a new code",
    sent: "We sent you a new code.",
    expired: "The code has expired. Please ask for a new one.",
};
