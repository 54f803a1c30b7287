//! The consent page.
//!
//! In Czech (`CS`) and in English (`EN`), with the same fields, gathered in [`super::Texts`].

/// The consent page.
#[derive(Debug)]
pub struct Consent {
    pub title: &'static str,
    pub intro_before: &'static str,
    pub intro_after: &'static str,
    pub account: &'static str,
    pub allow: &'static str,
    pub deny: &'static str,
    /// NIA's refusal, which still logs the person in, without their data.
    pub refuse_data: &'static str,
    /// Above the list of the person's values the client will receive.
    pub values_title: &'static str,
    /// The "not you?" switch: signs this account out and shows the login for the same request.
    pub not_you: &'static str,
}

pub const CS: Consent = Consent {
    title: "Souhlas se sdílením údajů",
    intro_before: "Aplikace ",
    intro_after: " žádá o přístup k těmto údajům:",
    account: "Účet:",
    allow: "Povolit",
    deny: "Zamítnout",
    refuse_data: "Nechci poskytnout údaje",
    values_title: "Aplikace od nás dostane tyto údaje:",
    not_you: "Nejste to vy? Přihlásit se jinak",
};

pub const EN: Consent = Consent {
    title: "Share your data",
    intro_before: "",
    intro_after: " is requesting access to:",
    account: "Account:",
    allow: "Allow",
    deny: "Deny",
    refuse_data: "I don't want to provide data",
    values_title: "The application will receive:",
    not_you: "Not you? Sign in as someone else",
};
