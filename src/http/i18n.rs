//! Languages of the person-facing pages: Czech (the default) and English.
//!
//! [`Locale::negotiate`] picks the language from the OIDC `ui_locales` parameter, then from the
//! `Accept-Language` header, then falls back to Czech; it never fails, whatever the input.
//! [`Texts`] holds every string a page shows, once per language, so a page cannot show a string
//! that exists in only one of them.

pub mod keys;

use crate::model::CardRefusal;

/// A language the pages are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locale {
    Cs,
    En,
}

impl Locale {
    /// The BCP 47 tag, as used in `<html lang>`.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::Cs => "cs",
            Locale::En => "en",
        }
    }

    /// Chooses the page language.
    ///
    /// The first of the space-separated `ui_locales` (OIDC Core §3.1.2.1) whose primary subtag is
    /// `cs` or `en` wins; otherwise the most preferred supported language of `Accept-Language`
    /// (RFC 9110 §12.5.4, ties going to the earlier entry); otherwise Czech.
    pub fn negotiate(ui_locales: Option<&str>, accept_language: Option<&str>) -> Locale {
        ui_locales
            .and_then(|list| list.split_ascii_whitespace().find_map(Locale::from_tag))
            .or_else(|| accept_language.and_then(from_accept_language))
            .unwrap_or(Locale::Cs)
    }

    /// The supported locale of a language tag, judged by its primary subtag.
    fn from_tag(tag: &str) -> Option<Locale> {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or("");
        if primary.eq_ignore_ascii_case("cs") {
            Some(Locale::Cs)
        } else if primary.eq_ignore_ascii_case("en") {
            Some(Locale::En)
        } else {
            None
        }
    }
}

/// The supported locale with the highest q-value in an `Accept-Language` header.
fn from_accept_language(header: &str) -> Option<Locale> {
    let mut best: Option<(u16, Locale)> = None;
    for entry in header.split(',') {
        let mut parts = entry.split(';');
        let Some(locale) = parts.next().and_then(Locale::from_tag) else {
            continue;
        };
        let mut quality = Some(1000);
        for param in parts {
            if let Some((name, value)) = param.split_once('=')
                && name.trim().eq_ignore_ascii_case("q")
            {
                quality = parse_qvalue(value.trim());
            }
        }
        // A malformed weight makes the entry unusable; q=0 means "not acceptable".
        let Some(quality) = quality.filter(|q| *q > 0) else {
            continue;
        };
        if best.is_none_or(|(q, _)| quality > q) {
            best = Some((quality, locale));
        }
    }
    best.map(|(_, locale)| locale)
}

/// A q-value (`0`, `0.5`, `1.000`) in thousandths; `None` if it is not one.
fn parse_qvalue(value: &str) -> Option<u16> {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: u16 = match whole {
        "0" => 0,
        "1" => 1,
        _ => return None,
    };
    let mut thousandths: u16 = 0;
    for (i, digit) in fraction.bytes().enumerate() {
        thousandths += u16::from(digit - b'0') * [100, 10, 1][i];
    }
    let q = whole * 1000 + thousandths;
    (q <= 1000).then_some(q)
}

/// Every string the person-facing pages show, in one language.
///
/// A string that surrounds a value the page inserts (a client or user name) is split into a
/// `_before` and an `_after` part, so the template can mark the value up and escape it, and each
/// language keeps its own word order.
#[derive(Debug)]
pub struct Texts {
    pub brand: &'static str,
    pub tagline: &'static str,

    pub login_title: &'static str,
    pub login_intro: &'static str,
    pub login_intro_before: &'static str,
    pub login_intro_after: &'static str,
    pub username_label: &'static str,
    pub password_label: &'static str,
    pub login_submit: &'static str,
    /// Links a client registered (`policy_uri`, `tos_uri`, `client_uri`).
    pub client_policy: &'static str,
    pub client_tos: &'static str,
    pub client_home: &'static str,
    pub error_bad_credentials: &'static str,
    pub error_too_many_attempts: &'static str,
    pub error_expired: &'static str,
    /// The means of authentication a login page offers.
    pub means_heading: &'static str,
    pub means_password: &'static str,
    pub means_nia_id: &'static str,
    pub nia_id_title: &'static str,
    pub nia_id_intro: &'static str,
    pub error_means_not_offered: &'static str,
    pub error_no_nia_phone: &'static str,
    pub error_sms_exhausted: &'static str,
    pub error_sms_not_sent: &'static str,
    /// The bank identity means: its picker and why it refused.
    pub means_bank: &'static str,
    pub bank_title: &'static str,
    pub bank_intro: &'static str,
    pub error_bank_cancelled: &'static str,
    pub error_bank_failed: &'static str,
    pub error_bank_low_assurance: &'static str,
    pub error_bank_no_match: &'static str,
    /// NIA ID's SMS code page.
    pub sms_title: &'static str,
    pub sms_intro_before: &'static str,
    pub sms_intro_after: &'static str,
    pub sms_code_label: &'static str,
    pub sms_code_hint: &'static str,
    pub sms_submit: &'static str,
    pub sms_resend: &'static str,
    pub sms_sent: &'static str,
    pub sms_expired: &'static str,
    /// eObčanka's login.
    pub means_eobcanka: &'static str,
    pub card_title: &'static str,
    pub card_intro: &'static str,
    pub card_no_card: &'static str,
    pub card_command_label: &'static str,
    pub card_url_label: &'static str,
    pub card_continue: &'static str,
    pub card_signed: &'static str,
    pub card_not_signed: &'static str,
    pub card_holder_unknown: &'static str,

    pub consent_title: &'static str,
    pub consent_intro_before: &'static str,
    pub consent_intro_after: &'static str,
    pub consent_account: &'static str,
    pub consent_allow: &'static str,
    pub consent_deny: &'static str,
    /// Above the list of the person's values the client will receive.
    pub consent_values_title: &'static str,
    /// The "not you?" switch: signs this account out and shows the login for the same request.
    pub consent_not_you: &'static str,

    pub select_title: &'static str,
    pub select_signed_in_as: &'static str,
    pub select_client_before: &'static str,
    pub select_client_after: &'static str,
    pub select_continue_as: &'static str,
    pub select_other: &'static str,

    pub logout_title: &'static str,
    pub logout_question: &'static str,
    pub logout_client_before: &'static str,
    pub logout_client_after: &'static str,
    pub logout_confirm: &'static str,
    pub logout_cancel: &'static str,
    /// Before the name of the account being signed out.
    pub logout_account: &'static str,

    pub logged_out_title: &'static str,
    pub logged_out_message: &'static str,
    pub logged_out_client_before: &'static str,
    pub logged_out_client_after: &'static str,
    pub logged_out_close: &'static str,

    pub error_code_label: &'static str,
    pub error_help: &'static str,
    /// Introduces the protocol's (English) description under a person-facing notice.
    pub error_detail_label: &'static str,
    pub error_title_request: &'static str,
    pub error_title_client: &'static str,
    pub error_title_denied: &'static str,
    pub error_title_login: &'static str,
    pub error_title_not_found: &'static str,
    pub error_title_server: &'static str,
    pub error_title_unavailable: &'static str,
    pub error_title_generic: &'static str,
    /// The way back from an error page: the client's registered website, or this service's home.
    pub error_back_client_before: &'static str,
    pub error_back_client_after: &'static str,
    pub error_back_home: &'static str,

    pub form_post_title: &'static str,
    pub form_post_message: &'static str,
    pub form_post_continue: &'static str,

    pub scope_openid: &'static str,
    pub scope_profile: &'static str,
    pub scope_email: &'static str,
    pub scope_address: &'static str,
    pub scope_phone: &'static str,
    pub scope_offline_access: &'static str,

    pub landing_title: &'static str,
    pub landing_intro: &'static str,
    pub landing_issuer: &'static str,
    pub landing_links: &'static str,
    pub landing_discovery: &'static str,
    pub landing_jwks: &'static str,
    pub landing_health: &'static str,
    pub landing_ready: &'static str,
    pub landing_start: &'static str,
    pub landing_other_language: &'static str,
    pub landing_dev_title: &'static str,
    pub landing_dev_public: &'static str,
    pub landing_dev_citizens: &'static str,
    pub landing_dev_username: &'static str,
    pub landing_dev_password: &'static str,
    pub landing_dev_password_unknown: &'static str,
    pub landing_dev_name: &'static str,
    pub landing_dev_clients: &'static str,
    pub landing_dev_client_name: &'static str,
    pub landing_dev_none: &'static str,
    pub landing_dev_outbox: &'static str,
    pub landing_dev_outbox_about: &'static str,
    pub landing_dev_outbox_sent_at: &'static str,
    pub landing_dev_outbox_channel: &'static str,
    pub landing_dev_outbox_to: &'static str,
    pub landing_dev_outbox_text: &'static str,

    pub login_cancel: &'static str,
    pub logout_kept_title: &'static str,
    pub logout_kept_message: &'static str,
    pub logout_kept_client_before: &'static str,
    pub logout_kept_client_after: &'static str,
}

static CS: Texts = Texts {
    brand: "identita",
    tagline: "Náhradní poskytovatel identity pro vývoj a testování",

    login_title: "Přihlášení",
    login_intro: "Pro pokračování se přihlaste.",
    login_intro_before: "Pro pokračování do aplikace ",
    login_intro_after: " se přihlaste.",
    username_label: "Uživatelské jméno",
    password_label: "Heslo",
    login_submit: "Přihlásit se",
    client_policy: "Zásady ochrany osobních údajů aplikace",
    client_tos: "Podmínky použití aplikace",
    client_home: "Stránky aplikace",
    error_bad_credentials: "Nesprávné uživatelské jméno nebo heslo.",
    error_too_many_attempts: "Příliš mnoho neúspěšných pokusů o přihlášení. Zkuste to prosím později.",
    error_expired: "Platnost přihlašovací stránky vypršela. Vraťte se prosím do aplikace a začněte znovu.",
    means_heading: "Způsob přihlášení",
    means_password: "Jméno a heslo",
    means_nia_id: "NIA ID (jméno, heslo a SMS kód)",
    nia_id_title: "Přihlášení přes NIA ID",
    nia_id_intro: "Po ověření jména a hesla vám pošleme SMS s kódem na telefonní číslo vašeho účtu.",
    error_means_not_offered: "Tento způsob přihlášení nesplňuje úroveň ověření, kterou aplikace vyžaduje. Zvolte prosím jiný.",
    error_no_nia_phone: "K tomuto účtu není přiřazeno české mobilní číslo (+420), na které by šlo poslat kód NIA ID. Zvolte prosím jiný způsob přihlášení.",
    error_sms_exhausted: "Příliš mnoho chybně zadaných nebo odeslaných kódů. Přihlaste se prosím znovu.",
    error_sms_not_sent: "SMS s kódem se nepodařilo odeslat. Zkuste to prosím za chvíli znovu.",
    means_bank: "Bankovní identita",
    bank_title: "Přihlášení bankovní identitou",
    bank_intro: "Vyberte svou banku. Přihlásíte se u ní a banka nám potvrdí vaše jméno a datum narození.",
    error_bank_cancelled: "Přihlášení u banky bylo zrušeno. Můžete vybrat banku znovu, nebo jiný způsob přihlášení.",
    error_bank_failed: "Přihlášení u banky se nepodařilo dokončit. Zkuste to prosím za chvíli znovu.",
    error_bank_low_assurance: "Banka vás neověřila na úrovni značná, kterou toto přihlášení vyžaduje. Přihlášení bylo odmítnuto.",
    error_bank_no_match: "Údaje od banky (jméno a datum narození) neodpovídají právě jednomu občanovi v registru. Přihlášení bylo odmítnuto.",
    sms_title: "Kód z SMS",
    sms_intro_before: "Na číslo ",
    sms_intro_after: " jsme poslali SMS se šestimístným kódem. Kód platí 5 minut.",
    sms_code_label: "Kód z SMS",
    sms_code_hint: "Šest číslic, například 123456.",
    sms_submit: "Ověřit kód",
    sms_resend: "Poslat nový kód",
    sms_sent: "Poslali jsme vám nový kód.",
    sms_expired: "Platnost kódu vypršela. Nechte si prosím poslat nový.",
    means_eobcanka: "eObčanka (občanský průkaz s čipem)",
    card_title: "Přihlášení občanským průkazem (eObčanka)",
    card_intro: "Vložte občanský průkaz do čtečky a spusťte níže uvedený příkaz. Po zadání IOK karta podepíše toto přihlášení. Potom stiskněte Pokračovat.",
    card_no_card: "Nemáte občanský průkaz s aktivovaným čipem? Přihlášení zrušte a vraťte se do aplikace, nebo zvolte jiný způsob přihlášení, pokud ho aplikace nabízí. Čip si můžete aktivovat na kterémkoli obecním úřadě obce s rozšířenou působností.",
    card_command_label: "Příkaz pro čtečku",
    card_url_label: "Adresa výzvy k podpisu (platí 5 minut)",
    card_continue: "Pokračovat",
    card_signed: "Karta toto přihlášení podepsala. Stiskněte Pokračovat.",
    card_not_signed: "Karta toto přihlášení zatím nepodepsala. Spusťte příkaz pro čtečku, zadejte IOK a potom stiskněte Pokračovat.",
    card_holder_unknown: "K této kartě nepatří žádný účet, který se může přihlásit. Obraťte se prosím na úřad, který průkaz vydal.",

    consent_title: "Souhlas se sdílením údajů",
    consent_intro_before: "Aplikace ",
    consent_intro_after: " žádá o přístup k těmto údajům:",
    consent_account: "Účet:",
    consent_allow: "Povolit",
    consent_deny: "Zamítnout",
    consent_values_title: "Aplikace od nás dostane tyto údaje:",
    consent_not_you: "Nejste to vy? Přihlásit se jinak",

    select_title: "Výběr účtu",
    select_signed_in_as: "Jste přihlášeni jako",
    select_client_before: "Pokračujete do aplikace ",
    select_client_after: ".",
    select_continue_as: "Pokračovat jako",
    select_other: "Použít jiný účet",

    logout_title: "Odhlášení",
    logout_question: "Chcete se odhlásit?",
    logout_client_before: "O odhlášení žádá aplikace ",
    logout_client_after: ".",
    logout_confirm: "Odhlásit se",
    logout_cancel: "Zrušit",
    logout_account: "Odhlašovaný účet:",

    logged_out_title: "Odhlášeno",
    logged_out_message: "Byli jste odhlášeni.",
    logged_out_client_before: "Nyní se můžete vrátit do aplikace ",
    logged_out_client_after: ".",
    logged_out_close: "Toto okno můžete zavřít.",

    error_code_label: "Kód chyby:",
    error_help: "Vraťte se prosím do aplikace a zkuste to znovu.",
    error_detail_label: "Technické podrobnosti:",
    error_title_request: "Neplatný požadavek",
    error_title_client: "Neznámá nebo nepovolená aplikace",
    error_title_denied: "Přístup byl zamítnut",
    error_title_login: "Je potřeba se přihlásit",
    error_title_not_found: "Stránka nenalezena",
    error_title_server: "Chyba serveru",
    error_title_unavailable: "Služba je dočasně nedostupná",
    error_title_generic: "Požadavek nelze zpracovat",
    error_back_client_before: "Zpět na web aplikace ",
    error_back_client_after: "",
    error_back_home: "Na úvodní stránku služby identita",

    form_post_title: "Přesměrování",
    form_post_message: "Vracíme vás zpět do aplikace.",
    form_post_continue: "Pokračovat",

    scope_openid: "Váš identifikátor pro přihlášení",
    scope_profile: "Jméno, příjmení a další údaje profilu",
    scope_email: "E-mailová adresa",
    scope_address: "Adresa bydliště",
    scope_phone: "Telefonní číslo",
    scope_offline_access: "Přístup k údajům i v době, kdy nejste přihlášeni",

    landing_title: "Poskytovatel identity",
    landing_intro: "Tento server je poskytovatel identity OpenID Connect. Aplikace se k němu připojují podle jeho konfigurace.",
    landing_issuer: "Vydavatel (issuer):",
    landing_links: "Pro vývojáře aplikací",
    landing_discovery: "Konfigurace OpenID Connect (discovery)",
    landing_jwks: "Veřejné podpisové klíče (JWKS)",
    landing_health: "Stav služby",
    landing_ready: "Připravenost služby",
    landing_start: "Přihlášení se zahajuje v aplikaci, která vás sem pošle; tato stránka sama nikoho nepřihlašuje.",
    landing_other_language: "English",
    landing_dev_title: "Vývojový režim",
    landing_dev_public: "Server běží ve vývojovém režimu (identita serve --dev): přihlašovací údaje níže jsou veřejné a slouží jen k vyzkoušení na tomto počítači.",
    landing_dev_citizens: "Testovací občané",
    landing_dev_username: "Uživatelské jméno",
    landing_dev_password: "Heslo",
    landing_dev_password_unknown: "není ukázkové",
    landing_dev_name: "Jméno",
    landing_dev_clients: "Registrované aplikace (klienti)",
    landing_dev_client_name: "Název",
    landing_dev_none: "Žádné.",
    landing_dev_outbox: "Odeslané zprávy",
    landing_dev_outbox_about: "Zprávy (SMS), které server uložil do schránky pro vývojáře místo odeslání na telefon, nejnovější nahoře. Vypíše je také příkaz identita outbox, jako JSON je najdete na adrese:",
    landing_dev_outbox_sent_at: "Odesláno",
    landing_dev_outbox_channel: "Kanál",
    landing_dev_outbox_to: "Komu",
    landing_dev_outbox_text: "Text",

    login_cancel: "Zrušit a vrátit se do aplikace",
    logout_kept_title: "Zůstáváte přihlášeni",
    logout_kept_message: "Odhlášení jste zrušili; zůstáváte přihlášeni.",
    logout_kept_client_before: "Můžete se vrátit do aplikace ",
    logout_kept_client_after: ".",
};

static EN: Texts = Texts {
    brand: "identita",
    tagline: "Stand-in identity provider for development and testing",

    login_title: "Sign in",
    login_intro: "Sign in to continue.",
    login_intro_before: "Sign in to continue to ",
    login_intro_after: ".",
    username_label: "Username",
    password_label: "Password",
    login_submit: "Sign in",
    client_policy: "The application's privacy policy",
    client_tos: "The application's terms of service",
    client_home: "The application's website",
    error_bad_credentials: "Incorrect username or password.",
    error_too_many_attempts: "Too many failed sign-in attempts. Please try again later.",
    error_expired: "This sign-in page has expired. Please go back to the application and start again.",
    means_heading: "Sign-in method",
    means_password: "Username and password",
    means_nia_id: "NIA ID (username, password and SMS code)",
    nia_id_title: "Sign in with NIA ID",
    nia_id_intro: "Once your username and password are checked, we send a code by SMS to your account's phone number.",
    error_means_not_offered: "This sign-in method does not reach the level of assurance the application requires. Please choose another.",
    error_no_nia_phone: "This account has no Czech mobile number (+420) to send an NIA ID code to. Please choose another sign-in method.",
    error_sms_exhausted: "Too many wrong codes or codes sent. Please sign in again.",
    error_sms_not_sent: "The SMS with the code could not be sent. Please try again in a moment.",
    means_bank: "Bank identity",
    bank_title: "Sign in with your bank identity",
    bank_intro: "Choose your bank. You sign in there and the bank confirms your name and date of birth to us.",
    error_bank_cancelled: "The sign-in at your bank was cancelled. You can choose a bank again, or another way to sign in.",
    error_bank_failed: "The sign-in at your bank could not be completed. Please try again in a moment.",
    error_bank_low_assurance: "Your bank did not verify you at the level substantial this sign-in needs. The sign-in was refused.",
    error_bank_no_match: "The details from your bank (name and date of birth) do not match exactly one citizen in the register. The sign-in was refused.",
    sms_title: "Code from the SMS",
    sms_intro_before: "We sent a six-digit code by SMS to ",
    sms_intro_after: ". The code is valid for 5 minutes.",
    sms_code_label: "Code from the SMS",
    sms_code_hint: "Six digits, for example 123456.",
    sms_submit: "Verify the code",
    sms_resend: "Send a new code",
    sms_sent: "We sent you a new code.",
    sms_expired: "The code has expired. Please ask for a new one.",
    means_eobcanka: "eObčanka (identity card with a chip)",
    card_title: "Sign in with your identity card (eObčanka)",
    card_intro: "Put your identity card in the reader and run the command below. Once you enter your IOK, the card signs this sign-in. Then press Continue.",
    card_no_card: "No identity card with an activated chip? Cancel the sign-in and return to the application, or choose another sign-in method if the application offers one. You can have the chip activated at any municipal office with extended powers.",
    card_command_label: "Command for the reader",
    card_url_label: "Address of the challenge to sign (valid for 5 minutes)",
    card_continue: "Continue",
    card_signed: "Your card has signed this sign-in. Press Continue.",
    card_not_signed: "Your card has not signed this sign-in yet. Run the command for the reader, enter your IOK, then press Continue.",
    card_holder_unknown: "No account that may sign in belongs to this card. Please contact the office that issued it.",

    consent_title: "Share your data",
    consent_intro_before: "",
    consent_intro_after: " is requesting access to:",
    consent_account: "Account:",
    consent_allow: "Allow",
    consent_deny: "Deny",
    consent_values_title: "The application will receive:",
    consent_not_you: "Not you? Sign in as someone else",

    select_title: "Choose an account",
    select_signed_in_as: "You are signed in as",
    select_client_before: "You are continuing to ",
    select_client_after: ".",
    select_continue_as: "Continue as",
    select_other: "Use another account",

    logout_title: "Sign out",
    logout_question: "Do you want to sign out?",
    logout_client_before: "The sign-out was requested by ",
    logout_client_after: ".",
    logout_confirm: "Sign out",
    logout_cancel: "Cancel",
    logout_account: "Account being signed out:",

    logged_out_title: "Signed out",
    logged_out_message: "You have been signed out.",
    logged_out_client_before: "You can now return to ",
    logged_out_client_after: ".",
    logged_out_close: "You can close this window.",

    error_code_label: "Error code:",
    error_help: "Please go back to the application and try again.",
    error_detail_label: "Technical detail:",
    error_title_request: "Invalid request",
    error_title_client: "Unknown or unauthorised application",
    error_title_denied: "Access denied",
    error_title_login: "Sign-in required",
    error_title_not_found: "Page not found",
    error_title_server: "Server error",
    error_title_unavailable: "Service temporarily unavailable",
    error_title_generic: "The request cannot be processed",
    error_back_client_before: "Back to the website of ",
    error_back_client_after: "",
    error_back_home: "To the identita home page",

    form_post_title: "Redirecting",
    form_post_message: "Taking you back to the application.",
    form_post_continue: "Continue",

    scope_openid: "Your sign-in identifier",
    scope_profile: "Your name and basic profile",
    scope_email: "Email address",
    scope_address: "Home address",
    scope_phone: "Phone number",
    scope_offline_access: "Access to your data while you are not signed in",

    landing_title: "Identity provider",
    landing_intro: "This server is an OpenID Connect identity provider. Applications connect to it using its configuration.",
    landing_issuer: "Issuer:",
    landing_links: "For application developers",
    landing_discovery: "OpenID Connect configuration (discovery)",
    landing_jwks: "Public signing keys (JWKS)",
    landing_health: "Service health",
    landing_ready: "Service readiness",
    landing_start: "Signing in starts in the application that sends you here; this page does not sign anyone in.",
    landing_other_language: "Česky",
    landing_dev_title: "Development mode",
    landing_dev_public: "This server runs in development mode (identita serve --dev): the credentials below are public and only for trying things out on this machine.",
    landing_dev_citizens: "Test citizens",
    landing_dev_username: "Username",
    landing_dev_password: "Password",
    landing_dev_password_unknown: "not a demo password",
    landing_dev_name: "Name",
    landing_dev_clients: "Registered applications (clients)",
    landing_dev_client_name: "Name",
    landing_dev_none: "None.",
    landing_dev_outbox: "Sent messages",
    landing_dev_outbox_about: "Messages (SMS) the server kept in the developers' outbox instead of sending them to a phone, newest first. The command identita outbox lists them too; as JSON they are at:",
    landing_dev_outbox_sent_at: "Sent",
    landing_dev_outbox_channel: "Channel",
    landing_dev_outbox_to: "To",
    landing_dev_outbox_text: "Text",

    login_cancel: "Cancel and return to the application",
    logout_kept_title: "You are still signed in",
    logout_kept_message: "You cancelled signing out; you are still signed in.",
    logout_kept_client_before: "You can go back to ",
    logout_kept_client_after: ".",
};

/// The strings of one language.
pub fn texts(locale: Locale) -> &'static Texts {
    match locale {
        Locale::Cs => &CS,
        Locale::En => &EN,
    }
}

/// A limit on sign-in attempts holds the person back for `minutes` (at least one).
pub fn try_again_in(locale: Locale, minutes: i64) -> String {
    let n = minutes.max(1);
    match locale {
        Locale::Cs => {
            // "za" takes the accusative: 1 minutu, 2–4 minuty, 5 and more minut.
            let unit = match n {
                1 => "minutu",
                2..=4 => "minuty",
                _ => "minut",
            };
            format!("Příliš mnoho pokusů o přihlášení. Zkuste to znovu za {n} {unit}.")
        }
        Locale::En => {
            let unit = if n == 1 { "minute" } else { "minutes" };
            format!("Too many sign-in attempts. Try again in {n} {unit}.")
        }
    }
}

/// A wrong SMS code, with the attempts left at it.
pub fn sms_wrong(locale: Locale, left: u32) -> String {
    match locale {
        Locale::Cs => format!("Nesprávný kód. Zbývající pokusy: {left}."),
        Locale::En => format!("Incorrect code. Attempts left: {left}."),
    }
}

/// Why an eObčanka's signature was refused, as its holder can act on it.
pub fn card_refusal(locale: Locale, refusal: CardRefusal) -> &'static str {
    use CardRefusal as R;
    match (locale, refusal) {
        (Locale::Cs, R::UnknownCard) => {
            "Tato karta není v registru občanských průkazů. Zkontrolujte, že používáte svůj platný průkaz."
        }
        (Locale::En, R::UnknownCard) => {
            "This card is not in the register of identity cards. Check that you are using your own valid card."
        }
        (Locale::Cs, R::WrongCertificate | R::BadSignature) => {
            "Podpis karty nelze ověřit: karta není ta, která byla vydána pod tímto číslem. Použijte svůj průkaz."
        }
        (Locale::En, R::WrongCertificate | R::BadSignature) => {
            "The card's signature cannot be verified: it is not the card issued under this number. Please use your own card."
        }
        (Locale::Cs, R::Lost) => {
            "Tento průkaz byl nahlášen jako ztracený a nelze se jím přihlásit. Pokud jste ho našli, obraťte se na úřad, který ho vydal; požádejte o nový průkaz."
        }
        (Locale::En, R::Lost) => {
            "This card has been reported lost and cannot be used to sign in. If you found it, contact the office that issued it; apply for a new card."
        }
        (Locale::Cs, R::Stolen) => {
            "Tento průkaz byl nahlášen jako odcizený a nelze se jím přihlásit. Obraťte se na Policii ČR nebo na úřad, který ho vydal."
        }
        (Locale::En, R::Stolen) => {
            "This card has been reported stolen and cannot be used to sign in. Contact the Czech police or the office that issued it."
        }
        (Locale::Cs, R::Revoked) => {
            "Certifikát tohoto průkazu byl zneplatněn. Požádejte o nový průkaz na obecním úřadě obce s rozšířenou působností."
        }
        (Locale::En, R::Revoked) => {
            "This card's certificate has been revoked. Apply for a new card at a municipal office with extended powers."
        }
        (Locale::Cs, R::Expired) => {
            "Platnost tohoto průkazu skončila. Požádejte o nový průkaz na obecním úřadě obce s rozšířenou působností."
        }
        (Locale::En, R::Expired) => {
            "This card has expired. Apply for a new card at a municipal office with extended powers."
        }
        (Locale::Cs, R::TooManyAttempts) => {
            "Příliš mnoho pokusů o podpis. Počkejte prosím 15 minut a začněte přihlášení znovu."
        }
        (Locale::En, R::TooManyAttempts) => {
            "Too many signature attempts. Please wait 15 minutes and start the sign-in again."
        }
        (Locale::Cs, R::Used | R::ChallengeExpired) => {
            "Výzva k podpisu už neplatí. Spusťte prosím příkaz znovu s novou adresou níže."
        }
        (Locale::En, R::Used | R::ChallengeExpired) => {
            "The challenge to sign is no longer valid. Please run the command again with the new address below."
        }
    }
}

/// A new SMS code asked for too soon.
pub fn sms_resend_in(locale: Locale, seconds: i64) -> String {
    let n = seconds.max(1);
    match locale {
        Locale::Cs => format!("Nový kód můžete nechat poslat za {n} s."),
        Locale::En => format!("You can ask for a new code in {n} s."),
    }
}

/// What a person grants by a scope, for the consent page; an unknown scope shows as its name.
pub fn scope_label(locale: Locale, scope: &str) -> String {
    let t = texts(locale);
    match scope {
        "openid" => t.scope_openid,
        "profile" => t.scope_profile,
        "email" => t.scope_email,
        "address" => t.scope_address,
        "phone" => t.scope_phone,
        "offline_access" => t.scope_offline_access,
        other => other,
    }
    .to_owned()
}

/// What a claim is, for the list of values on the consent page; an unknown claim shows as its name.
pub fn claim_label(locale: Locale, claim: &str) -> String {
    let (cs, en) = match claim {
        "name" => ("Jméno a příjmení", "Name"),
        "given_name" => ("Jméno", "Given name"),
        "family_name" => ("Příjmení", "Family name"),
        "middle_name" => ("Prostřední jméno", "Middle name"),
        "nickname" => ("Přezdívka", "Nickname"),
        "preferred_username" => ("Uživatelské jméno", "Username"),
        "profile" => ("Profil", "Profile page"),
        "picture" => ("Fotografie", "Picture"),
        "website" => ("Web", "Website"),
        "gender" => ("Pohlaví", "Gender"),
        "birthdate" => ("Datum narození", "Date of birth"),
        "zoneinfo" => ("Časové pásmo", "Time zone"),
        "locale" => ("Jazyk", "Language"),
        "email" => ("E-mail", "Email"),
        "phone_number" => ("Telefon", "Phone"),
        "address" => ("Adresa", "Address"),
        other => (other, other),
    };
    match locale {
        Locale::Cs => cs,
        Locale::En => en,
    }
    .to_owned()
}

/// What went wrong, for a person: the situations a person meets on an error page, each with a
/// Czech and an English text (the protocol's own description stays beside it, for developers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// The sign-in request does not name its application (no `client_id`).
    MissingClient,
    UnknownClient,
    UnregisteredRedirect,
    BadRequest,
    LoginExpired,
    OtherBrowser,
    FormOutdated,
    NotLoggedIn,
    TooManySignIns,
    /// The session a login in progress belonged to has ended (signed out, expired).
    SessionEnded,
}

pub fn notice(locale: Locale, notice: Notice) -> &'static str {
    use Notice::*;
    match (locale, notice) {
        (Locale::Cs, MissingClient) => {
            "Odkaz na přihlášení neuvádí, ze které aplikace přicházíte (chybí v něm parametr client_id)."
        }
        (Locale::En, MissingClient) => {
            "The sign-in link does not say which application you came from (its client_id parameter is missing)."
        }
        (Locale::Cs, UnknownClient) => "Aplikace, ze které přicházíte, tu není registrována.",
        (Locale::En, UnknownClient) => "The application you came from is not registered here.",
        (Locale::Cs, UnregisteredRedirect) => {
            "Aplikace žádá o návrat na adresu, kterou nemá registrovanou; z bezpečnostních důvodů vás tam nepošleme."
        }
        (Locale::En, UnregisteredRedirect) => {
            "The application asks to send you back to an address it has not registered; for your safety you are not sent there."
        }
        (Locale::Cs, BadRequest) => "Aplikace poslala neplatný požadavek na přihlášení.",
        (Locale::En, BadRequest) => "The application sent an invalid sign-in request.",
        (Locale::Cs, LoginExpired) => "Toto přihlášení vypršelo, už bylo dokončeno, nebo neexistuje.",
        (Locale::En, LoginExpired) => "This sign-in has expired, was already completed, or does not exist.",
        (Locale::Cs, OtherBrowser) => "Toto přihlášení bylo zahájeno v jiném prohlížeči.",
        (Locale::En, OtherBrowser) => "This sign-in was started in another browser.",
        (Locale::Cs, FormOutdated) => "Formulář už neplatí.",
        (Locale::En, FormOutdated) => "The form is out of date.",
        (Locale::Cs, NotLoggedIn) => "Nejste přihlášeni.",
        (Locale::En, NotLoggedIn) => "You are not signed in.",
        (Locale::Cs, TooManySignIns) => {
            "Z vaší adresy bylo zahájeno příliš mnoho přihlášení. Zkuste to prosím znovu za několik minut."
        }
        (Locale::En, TooManySignIns) => {
            "Too many sign-ins were started from your address. Please try again in a few minutes."
        }
        (Locale::Cs, SessionEnded) => {
            "Přihlášení, ke kterému tato stránka patřila, skončilo (odhlásili jste se nebo vypršelo)."
        }
        (Locale::En, SessionEnded) => "The sign-in this page belonged to has ended (you signed out, or it expired).",
    }
}

/// The title of an error page, from the OAuth/OIDC error code, else from the HTTP status.
pub fn error_title(locale: Locale, code: &str, status: u16) -> &'static str {
    let t = texts(locale);
    match code {
        "invalid_client" | "unauthorized_client" | "unauthorized" => t.error_title_client,
        "access_denied" => t.error_title_denied,
        "login_required" | "interaction_required" | "consent_required" | "account_selection_required" => {
            t.error_title_login
        }
        "not_found" => t.error_title_not_found,
        "server_error" => t.error_title_server,
        "temporarily_unavailable" => t.error_title_unavailable,
        code if code.starts_with("invalid_")
            || code.starts_with("unsupported_")
            || code.ends_with("_not_supported") =>
        {
            t.error_title_request
        }
        _ => match status {
            400 => t.error_title_request,
            401 | 403 => t.error_title_denied,
            404 => t.error_title_not_found,
            503 => t.error_title_unavailable,
            500..=599 => t.error_title_server,
            _ => t.error_title_generic,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ui_locales_first_supported_wins() {
        assert_eq!(Locale::negotiate(Some("se cs"), None), Locale::Cs);
        assert_eq!(Locale::negotiate(Some("en-GB"), None), Locale::En);
        assert_eq!(Locale::negotiate(Some("de  EN-us cs"), Some("cs")), Locale::En);
        assert_eq!(Locale::negotiate(Some("cs-CZ en"), Some("en")), Locale::Cs);
    }

    #[test]
    fn unsupported_ui_locales_fall_through_to_accept_language() {
        assert_eq!(Locale::negotiate(Some("de fr"), Some("en")), Locale::En);
        assert_eq!(Locale::negotiate(Some(""), Some("en-US")), Locale::En);
    }

    #[test]
    fn accept_language_is_ordered_by_quality() {
        assert_eq!(Locale::negotiate(None, Some("en-US,en;q=0.9,cs;q=0.8")), Locale::En);
        assert_eq!(Locale::negotiate(None, Some("de;q=1, en;q=0.5, cs;q=0.7")), Locale::Cs);
        assert_eq!(Locale::negotiate(None, Some("cs;q=0.8, en;q=0.8")), Locale::Cs);
        assert_eq!(Locale::negotiate(None, Some("en;q=0.8, cs;q=0.8")), Locale::En);
        assert_eq!(Locale::negotiate(None, Some("en ; Q=0.3 , cs-CZ;q=0.31")), Locale::Cs);
    }

    #[test]
    fn zero_or_malformed_quality_excludes_the_entry() {
        assert_eq!(Locale::negotiate(None, Some("en;q=0, cs;q=0.1")), Locale::Cs);
        assert_eq!(Locale::negotiate(None, Some("cs;q=2, en;q=0.1")), Locale::En);
        assert_eq!(Locale::negotiate(None, Some("cs;q=abc, en;q=0.1")), Locale::En);
        assert_eq!(Locale::negotiate(None, Some("cs;q=0.1234, en;q=0.001")), Locale::En);
    }

    #[test]
    fn falls_back_to_czech() {
        assert_eq!(Locale::negotiate(None, None), Locale::Cs);
        assert_eq!(Locale::negotiate(Some("de"), Some("fr-FR, *;q=0.5")), Locale::Cs);
        assert_eq!(Locale::negotiate(None, Some("en;q=0")), Locale::Cs);
    }

    #[test]
    fn garbage_does_not_panic() {
        for input in ["", ";;;", ",,,", "q=", ";q=1", "en;q=", "en;q=.", "en;q=1.", "€;q=0.5", "-", "en;q=9999999999"]
        {
            let _ = Locale::negotiate(Some(input), Some(input));
        }
        assert_eq!(Locale::negotiate(Some(";;"), Some("en;q=1.")), Locale::En);
        assert_eq!(Locale::negotiate(None, Some("en;q=1.0001")), Locale::Cs);
        assert_eq!(Locale::negotiate(None, Some("ěšč, en")), Locale::En);
    }

    #[test]
    fn tags() {
        assert_eq!(Locale::Cs.tag(), "cs");
        assert_eq!(Locale::En.tag(), "en");
    }

    #[test]
    fn scope_labels_are_localised_and_unknown_scopes_are_shown_by_name() {
        assert_eq!(scope_label(Locale::Cs, "email"), "E-mailová adresa");
        assert_eq!(scope_label(Locale::En, "email"), "Email address");
        assert_eq!(scope_label(Locale::En, "offline_access"), "Access to your data while you are not signed in");
        assert_eq!(scope_label(Locale::Cs, "urn:example:custom"), "urn:example:custom");
        for scope in ["openid", "profile", "email", "address", "phone", "offline_access"] {
            assert_ne!(scope_label(Locale::Cs, scope), scope_label(Locale::En, scope), "{scope}");
            assert_ne!(scope_label(Locale::Cs, scope), scope);
        }
    }

    #[test]
    fn error_titles() {
        assert_eq!(error_title(Locale::En, "invalid_request", 400), "Invalid request");
        assert_eq!(error_title(Locale::Cs, "access_denied", 403), "Přístup byl zamítnut");
        assert_eq!(error_title(Locale::En, "whatever", 404), "Page not found");
        assert_eq!(error_title(Locale::En, "whatever", 502), "Server error");
    }
}
