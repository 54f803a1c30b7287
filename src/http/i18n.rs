//! Languages of the person-facing pages: Czech (the default) and English.
//!
//! [`Locale::negotiate`] picks the language from the OIDC `ui_locales` parameter, then from the
//! `Accept-Language` header, then falls back to Czech; it never fails, whatever the input.
//! [`Texts`] holds every string a page shows, once per language, so a page cannot show a string
//! that exists in only one of them. The strings live in one module per page (`login`, `consent`,
//! `logout`, …; a means with pages of its own has its own: `sms`, `card`, `bank`, `mojeid`, [`meg`],
//! [`keys`]), each with its Czech and English table: a new page adds a module, not lines to a
//! shared struct.

pub mod backoffice;
pub mod backoffice_mojeid;
mod bank;
mod card;
mod client;
mod consent;
mod consents;
mod error;
mod form_post;
pub mod keys;
mod landing;
mod login;
mod logout;
pub mod meg;
pub mod meg_account;
mod mojeid;
pub mod mojeid_account;
pub mod registration;
mod saml_logout;
mod scope;
mod select;
mod site;
mod sms;

use crate::model::CardRefusal;

/// A language the pages are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Locale {
    #[default]
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
    pub site: site::Site,
    pub client: client::ClientLinks,
    pub sms: sms::Sms,
    pub bank: bank::Bank,
    pub mojeid: mojeid::Mojeid,
    pub card: card::Card,
    pub consent: consent::Consent,
    pub consents: consents::Consents,
    pub meg_account: meg_account::MegAccount,
    pub select: select::SelectAccount,
    pub logout: logout::Logout,
    pub error: error::Error,
    pub form_post: form_post::FormPost,
    pub saml_logout: saml_logout::SamlLogout,
    pub scope: scope::Scopes,
    pub landing: landing::Landing,
    pub login: login::Login,
    pub registration: registration::Registration,
}

static CS: Texts = Texts {
    site: site::CS,
    client: client::CS,
    sms: sms::CS,
    bank: bank::CS,
    mojeid: mojeid::CS,
    card: card::CS,
    consent: consent::CS,
    consents: consents::CS,
    meg_account: meg_account::CS,
    select: select::CS,
    logout: logout::CS,
    error: error::CS,
    form_post: form_post::CS,
    saml_logout: saml_logout::CS,
    scope: scope::CS,
    landing: landing::CS,
    login: login::CS,
    registration: registration::CS,
};

static EN: Texts = Texts {
    site: site::EN,
    client: client::EN,
    sms: sms::EN,
    bank: bank::EN,
    mojeid: mojeid::EN,
    card: card::EN,
    consent: consent::EN,
    consents: consents::EN,
    meg_account: meg_account::EN,
    select: select::EN,
    logout: logout::EN,
    error: error::EN,
    form_post: form_post::EN,
    saml_logout: saml_logout::EN,
    scope: scope::EN,
    landing: landing::EN,
    login: login::EN,
    registration: registration::EN,
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
        (Locale::Cs, R::NotCollected) => {
            "Tento průkaz zatím nebyl převzat. Převezměte ho na úřadě, kde jste o něj požádali; při převzetí si můžete aktivovat čip a zvolit IOK a DOK."
        }
        (Locale::En, R::NotCollected) => {
            "This card has not been collected yet. Collect it at the office where you applied; when you collect it you can activate its chip and choose your IOK and DOK."
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
        "openid" => t.scope.openid,
        "profile" => t.scope.profile,
        "email" => t.scope.email,
        "address" => t.scope.address,
        "phone" => t.scope.phone,
        "offline_access" => t.scope.offline_access,
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
        "PersonIdentifier" => ("Identifikátor osoby", "Person identifier"),
        "CurrentGivenName" => ("Jméno", "Given name"),
        "CurrentFamilyName" => ("Příjmení", "Family name"),
        "DateOfBirth" => ("Datum narození", "Date of birth"),
        "CurrentAddress" => ("Adresa pobytu", "Address"),
        "age" => ("Věk", "Age"),
        "isAgeOver" => ("Dosažený věk", "Age over"),
        "phonenumber" => ("Telefon", "Phone"),
        "eMail" => ("E-mail", "Email"),
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
        "invalid_client" | "unauthorized_client" | "unauthorized" => t.error.title_client,
        "access_denied" => t.error.title_denied,
        "login_required" | "interaction_required" | "consent_required" | "account_selection_required" => {
            t.error.title_login
        }
        "not_found" => t.error.title_not_found,
        "server_error" => t.error.title_server,
        "temporarily_unavailable" => t.error.title_unavailable,
        code if code.starts_with("invalid_")
            || code.starts_with("unsupported_")
            || code.ends_with("_not_supported") =>
        {
            t.error.title_request
        }
        _ => match status {
            400 => t.error.title_request,
            401 | 403 => t.error.title_denied,
            404 => t.error.title_not_found,
            503 => t.error.title_unavailable,
            500..=599 => t.error.title_server,
            _ => t.error.title_generic,
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
