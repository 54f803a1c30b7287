//! The person-facing HTML pages: one askama template struct per page, rendered with escaping on.
//!
//! Every value a page shows is escaped by askama; the pages load only
//! `{base}/static/identita.css` and run no script except the auto-submit of [`FormPostPage`],
//! which carries a CSP nonce. `render` never fails: if askama does, it logs and returns a small
//! static page.
//!
//! # Stable selectors
//!
//! Browser automation (the OIDF conformance suite, our headless-Chromium tests) relies on these;
//! change them only together with those tests.
//!
//! - Login ([`LoginPage`]): `form#login[method=post]` with hidden `input[name=interaction]` and
//!   `input[name=csrf]`; `input#username[name=username][autocomplete=username]`;
//!   `input#password[name=password][type=password][autocomplete=current-password]`;
//!   `button#login-submit[type=submit]` (the first button, so Enter signs in);
//!   `button#login-cancel[name=cancel][value=yes]`; an error, if any, in `#login-error`, which
//!   both fields name in `aria-describedby` (and mark `aria-invalid="true"` for wrong credentials);
//!   hidden `input[name=means]` with the chosen means; when the request accepts more than one
//!   means, `nav#means` lists them as `a[data-means=ID]` (the chosen one `[aria-current=page]`).
//! - eObčanka ([`LoginPage`] with `means=eobcanka`): no username or password; the reader's command
//!   in `#card-command`, the challenge's URL in `#card-url`; `form#card[method=post]` with hidden
//!   `interaction` and `csrf`; `button#card-continue[name=action][value=continue]` (the first
//!   button), `button#card-cancel[name=action][value=cancel]`; an error in `#login-error`;
//!   `#card-signed` once the card has signed this login's challenge.
//!   With the bank identity chosen (`bank`), the page has no `form#login` but the bank picker:
//!   `form#bank[method=post]` with hidden `interaction` and `csrf`, one
//!   `button[name=bank][value=ID]` per bank (also for a single one) and
//!   `button#bank-cancel[name=cancel][value=yes]`.
//!   With NIA's mojeID chosen (`mojeid-federated`), no `form#login` either: `form#mojeid[method=post]`
//!   with hidden `interaction` and `csrf`, `button#mojeid-continue` (off to mojeID) and
//!   `button#mojeid-cancel[name=cancel][value=yes]`.
//! - NIA ID's SMS code ([`SmsPage`]): `form#sms[method=post]` with hidden `interaction` and `csrf`;
//!   `input#code[name=code][autocomplete=one-time-code]`; `button#sms-submit[name=action][value=verify]`,
//!   `button#sms-resend[name=action][value=resend]`, `button#sms-cancel[name=action][value=cancel]`;
//!   the number (mostly hidden) in `#sms-phone`; an error in `#sms-error`, a new code sent in `#sms-status`.
//! - Consent ([`ConsentPage`]): `form#consent[method=post]` with hidden `interaction` and `csrf`;
//!   `button#consent-allow[name=decision][value=allow]`, `button#consent-deny[name=decision][value=deny]`;
//!   the requested scopes as `#consent-scopes li[data-scope]`; the values to be shared as
//!   `#consent-values [data-claim] dd`; the account as `#consent-user`; "not you?" as
//!   `form#consent-switch` with `button#consent-not-you[name=decision][value=switch]`.
//! - Select account ([`SelectAccountPage`]): `form#select-account[method=post]` with hidden
//!   `interaction` and `csrf`; `button#select-continue[name=choice][value=continue]`,
//!   `button#select-other[name=choice][value=other]`.
//! - Logout confirmation ([`LogoutConfirmPage`]): `form#logout[method=post]` with hidden `csrf` and
//!   the carried fields; `button#logout-confirm[name=logout][value=yes]`,
//!   `button#logout-cancel[name=logout][value=no]`; the account signed in here, `#logout-account`.
//! - Error ([`ErrorPage`]): `#error-code` holds the error code, `#error-description` the text;
//!   `a#error-back` leads to the client's registered website, or to this service's home page.
//! - Logged out ([`LoggedOutPage`]): `#logged-out`; logout cancelled ([`LogoutKeptPage`]): `#logout-kept`.
//! - Form post ([`FormPostPage`]): the first form of the document, hidden inputs only.
//! - Landing ([`LandingPage`]): `h1#landing`; the issuer in `#landing-issuer`; links
//!   `a#landing-discovery`, `a#landing-jwks`, `a#landing-health`, `a#landing-ready`,
//!   `a#landing-language` (the other language).

use askama::Template;

use super::i18n::meg as meg_texts;
use super::i18n::{self, Locale, Texts};
use crate::model::{CardRefusal, Client, MegRefusal};
use crate::validation::nia_id::{Field, Problem};

/// Shown if a template fails to render, which would be a bug; it contains no request data.
const FALLBACK: &str = "<!DOCTYPE html>\n<html lang=\"cs\"><head><meta charset=\"utf-8\">\
<title>Chyba / Error</title></head><body><h1>Chyba serveru</h1>\
<p lang=\"en\">Server error</p></body></html>\n";

pub(super) fn render_or_fallback<T: Template>(page: &T, name: &str) -> String {
    match Template::render(page) {
        Ok(html) => html,
        Err(error) => {
            tracing::error!(page = name, %error, "rendering a page failed");
            FALLBACK.to_owned()
        }
    }
}

/// What a client registered to show about itself: a logo and links (OpenID Connect Dynamic
/// Client Registration §2). Registration accepts only http(s) URLs here.
#[derive(Debug, Clone, Default)]
pub struct ClientDisplay {
    pub logo_uri: Option<String>,
    pub policy_uri: Option<String>,
    pub tos_uri: Option<String>,
    pub client_uri: Option<String>,
}

impl From<&Client> for ClientDisplay {
    fn from(client: &Client) -> Self {
        Self {
            logo_uri: client.logo_uri.clone(),
            policy_uri: client.policy_uri.clone(),
            tos_uri: client.tos_uri.clone(),
            client_uri: client.client_uri.clone(),
        }
    }
}

/// Why the login form is shown again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginError {
    /// Wrong username or password — deliberately one message, so it does not tell which.
    BadCredentials,
    /// The right password of a NIA ID registered online, its e-mail not yet confirmed.
    AwaitingEmail,
    /// The right password of a NIA ID registered online, awaiting the Czech POINT request.
    AwaitingIdentity,
    /// Too many failures within this login: start again from the application.
    TooManyAttempts,
    /// A limit on guessing holds the attempt back: the person may try again in `minutes`.
    TryLater { minutes: i64 },
    /// The interaction (or its CSRF token) is no longer valid.
    Expired,
    /// The means posted is not one this request accepts.
    MeansNotOffered,
    /// NIA ID chosen for an account with no Czech mobile number.
    NoNiaPhone,
    /// NIA ID's codes of this login are used up (wrong ones, or too many sent).
    SmsExhausted,
    /// The SMS could not be sent.
    SmsNotSent,
    /// The eObčanka's answer was refused.
    Card(CardRefusal),
    /// Continue pressed before a card signed this login's challenge.
    CardNotSigned,
    /// The card that signed is not of an account that may log in.
    CardHolderUnknown,
    /// The person cancelled the login at their bank.
    BankCancelled,
    /// A MEG device's answer did not approve the login (refused in the app, expired, revoked…).
    Meg(MegRefusal),
    /// Continue pressed before a MEG device approved this login.
    MegNotApproved,
    /// The device that approved is not of an account that may log in.
    MegHolderUnknown,
    /// A push was asked for: the same words whether the username exists or not.
    MegPushSent,
    /// The bank could not be reached, or its answer did not verify.
    BankFailed,
    /// The bank authenticated the person below substantial.
    BankLowAssurance,
    /// The bank's name and birth date match no one account (none, several, or not given).
    BankNoMatch,
    /// The person cancelled the login at mojeID (NIA's mojeID means).
    MojeidCancelled,
    /// mojeID could not be reached, or its answer did not verify.
    MojeidFailed,
    /// mojeID vouched for no level this login accepts.
    MojeidLowAssurance,
    /// mojeID's answer names no one account of the register.
    MojeidNoMatch,
}

/// One bank in the bank identity's picker.
#[derive(Debug, Clone)]
pub struct BankChoice {
    /// The button's `value`.
    pub id: String,
    pub name: String,
}

/// What the eObčanka login shows: where the reader posts its signature.
#[derive(Debug, Clone)]
pub struct CardPrompt {
    /// The challenge's URL (`identita card login FILE --url URL`).
    pub url: String,
    /// The whole command, to copy.
    pub command: String,
    /// Where Continue and Cancel post.
    pub action: String,
    /// A card has signed this challenge: Continue finishes the login.
    pub signed: bool,
}

/// MEG's part of the login page: the challenge as a QR code, a same-device link, the page's
/// live update (server-sent events) and Continue, and the push form.
#[derive(Debug, Clone)]
pub struct MegPrompt {
    /// The challenge's URL (`identita meg approve URL --device FILE`).
    pub url: String,
    /// The same-device link (`identita-meg:URL`), also what the QR code holds.
    pub link: String,
    /// The QR code, an SVG as a `data:` URL.
    pub qr: String,
    pub command: String,
    /// Where Continue, Cancel and the push form post.
    pub action: String,
    /// The page's event stream.
    pub events: String,
    /// A device has approved: Continue finishes the login.
    pub approved: bool,
    /// The nonce of the page's one inline script.
    pub script_nonce: String,
}

/// One means of authentication in a login page's list.
#[derive(Debug, Clone)]
pub struct MeansChoice {
    /// `password`, `nia-id`: the `data-means` attribute and the form's `means` value.
    pub id: &'static str,
    pub label: &'static str,
    /// The login page with this means chosen.
    pub href: String,
    pub current: bool,
}

/// The username and password form.
#[derive(Debug, Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub locale: Locale,
    /// Path prefix for links, may be empty.
    pub base: String,
    /// Where the form posts.
    pub action: String,
    pub interaction: String,
    pub csrf: String,
    /// Prefilled username, e.g. from `login_hint`.
    pub username: String,
    pub error: Option<LoginError>,
    /// Empty if unknown; the page then does not name the client.
    pub client_name: String,
    pub client: ClientDisplay,
    /// The means this request accepts (listed when more than one); the chosen one's id goes
    /// with the form.
    pub means: Vec<MeansChoice>,
    pub chosen: &'static str,
    /// With eObčanka chosen: the challenge, instead of the username and password.
    pub card: Option<CardPrompt>,
    /// With MEG chosen: its challenge, instead of the username and password.
    pub meg: Option<MegPrompt>,
    /// With the bank identity chosen: the banks to pick from, and where the picker posts.
    pub banks: Vec<BankChoice>,
    pub bank_action: String,
    /// With NIA's mojeID means chosen: where its form posts (off to mojeID).
    pub mojeid_action: String,
    /// With NIA ID chosen at a face that registers it: where to register one.
    pub registration: Option<String>,
}

impl LoginPage {
    pub fn render(&self) -> String {
        render_or_fallback(self, "login")
    }

    fn t(&self) -> &'static Texts {
        i18n::texts(self.locale)
    }

    fn error_message(&self) -> Option<String> {
        let t = self.t();
        self.error.map(|error| match error {
            LoginError::BadCredentials => t.login.error_bad_credentials.to_owned(),
            LoginError::AwaitingEmail => t.registration.login_awaiting_email.to_owned(),
            LoginError::AwaitingIdentity => t.registration.login_awaiting_identity.to_owned(),
            LoginError::TooManyAttempts => t.login.error_too_many_attempts.to_owned(),
            LoginError::TryLater { minutes } => i18n::try_again_in(self.locale, minutes),
            LoginError::Expired => t.login.error_expired.to_owned(),
            LoginError::MeansNotOffered => t.login.error_means_not_offered.to_owned(),
            LoginError::NoNiaPhone => t.sms.error_no_phone.to_owned(),
            LoginError::SmsExhausted => t.sms.error_exhausted.to_owned(),
            LoginError::SmsNotSent => t.sms.error_not_sent.to_owned(),
            LoginError::Card(refusal) => i18n::card_refusal(self.locale, refusal).to_owned(),
            LoginError::CardNotSigned => t.card.not_signed.to_owned(),
            LoginError::CardHolderUnknown => t.card.holder_unknown.to_owned(),
            LoginError::BankCancelled => t.bank.error_cancelled.to_owned(),
            LoginError::Meg(refusal) => meg_texts::refusal(self.locale, refusal).to_owned(),
            LoginError::MegNotApproved => self.m().not_approved.to_owned(),
            LoginError::MegHolderUnknown => self.m().holder_unknown.to_owned(),
            LoginError::MegPushSent => self.m().push_sent.to_owned(),
            LoginError::BankFailed => t.bank.error_failed.to_owned(),
            LoginError::BankLowAssurance => t.bank.error_low_assurance.to_owned(),
            LoginError::BankNoMatch => t.bank.error_no_match.to_owned(),
            LoginError::MojeidCancelled => t.mojeid.error_cancelled.to_owned(),
            LoginError::MojeidFailed => t.mojeid.error_failed.to_owned(),
            LoginError::MojeidLowAssurance => t.mojeid.error_low_assurance.to_owned(),
            LoginError::MojeidNoMatch => t.mojeid.error_no_match.to_owned(),
        })
    }

    /// The texts of mojeID + WebAuthn.
    fn k(&self) -> &'static i18n::keys::KeyTexts {
        i18n::keys::texts(self.locale)
    }

    fn m(&self) -> &'static meg_texts::MegTexts {
        meg_texts::texts(self.locale)
    }

    /// The heading of the chosen means.
    fn heading(&self) -> &'static str {
        match self.chosen {
            "nia-id" => self.t().sms.title_nia_id,
            "eobcanka" => self.t().card.title,
            "meg" => self.m().title,
            "bank" => self.t().bank.title,
            "mojeid-federated" => self.t().mojeid.title,
            _ => self.t().login.title,
        }
    }

    /// Whether the username and password are what is wrong (`aria-invalid` on both fields);
    /// a wait or an expired page is no fault of the values typed.
    fn fields_invalid(&self) -> bool {
        self.error == Some(LoginError::BadCredentials)
    }
}

/// Why the SMS code page is shown again, or what it reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmsMessage {
    /// A new code went out.
    Sent,
    Wrong {
        left: u32,
    },
    Expired,
    /// A new code was asked for too soon.
    ResendIn {
        seconds: i64,
    },
    TryLater {
        minutes: i64,
    },
    SmsNotSent,
}

/// NIA ID's second step: the code sent by SMS.
#[derive(Debug, Template)]
#[template(path = "login_sms.html")]
pub struct SmsPage {
    pub locale: Locale,
    pub base: String,
    pub action: String,
    pub interaction: String,
    pub csrf: String,
    /// The number the code went to, mostly hidden.
    pub phone: String,
    pub message: Option<SmsMessage>,
    pub client_name: String,
    pub client: ClientDisplay,
}

impl SmsPage {
    pub fn render(&self) -> String {
        render_or_fallback(self, "login_sms")
    }

    fn t(&self) -> &'static Texts {
        i18n::texts(self.locale)
    }

    /// An error (`role=alert`), as opposed to [`SmsPage::status_message`].
    fn error_message(&self) -> Option<String> {
        let t = self.t();
        self.message.and_then(|message| match message {
            SmsMessage::Sent => None,
            SmsMessage::Wrong { left } => Some(i18n::sms_wrong(self.locale, left)),
            SmsMessage::Expired => Some(t.sms.expired.to_owned()),
            SmsMessage::ResendIn { seconds } => Some(i18n::sms_resend_in(self.locale, seconds)),
            SmsMessage::TryLater { minutes } => Some(i18n::try_again_in(self.locale, minutes)),
            SmsMessage::SmsNotSent => Some(t.sms.error_not_sent.to_owned()),
        })
    }

    fn status_message(&self) -> Option<&'static str> {
        (self.message == Some(SmsMessage::Sent)).then_some(self.t().sms.sent)
    }

    fn code_invalid(&self) -> bool {
        matches!(self.message, Some(SmsMessage::Wrong { .. } | SmsMessage::Expired))
    }
}

/// Asks the person to allow a client the requested scopes.
#[derive(Debug, Template)]
#[template(path = "consent.html")]
pub struct ConsentPage {
    pub locale: Locale,
    pub base: String,
    pub action: String,
    pub interaction: String,
    pub csrf: String,
    pub client_name: String,
    pub user_name: String,
    /// Scope names; the page shows their [`i18n::scope_label`].
    pub scopes: Vec<String>,
    /// The person's values the client will receive, as (claim name, text); the page shows
    /// each under its [`i18n::claim_label`].
    pub values: Vec<(String, String)>,
    pub client: ClientDisplay,
    /// Refusing logs the person in without their data (NIA's "Nechci poskytnout údaje").
    pub refusal_keeps_login: bool,
}

impl ConsentPage {
    pub fn render(&self) -> String {
        render_or_fallback(self, "consent")
    }

    fn t(&self) -> &'static Texts {
        i18n::texts(self.locale)
    }

    fn scope_label(&self, scope: &str) -> String {
        i18n::scope_label(self.locale, scope)
    }

    fn claim_label(&self, claim: &str) -> String {
        i18n::claim_label(self.locale, claim)
    }
}

/// The services a signed-in citizen has consented to, each with a revoke button.
#[derive(Debug, Template)]
#[template(path = "account_consents.html")]
pub struct AccountConsentsPage {
    pub locale: Locale,
    pub base: String,
    pub action: String,
    /// Empty when nobody is signed in: the page says to sign in first.
    pub csrf: String,
    pub user_name: String,
    /// (client id, the name shown)
    pub services: Vec<(String, String)>,
    pub message: Option<ConsentsMessage>,
}

/// What the consents page says above its list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentsMessage {
    Revoked,
    Outdated,
}

impl AccountConsentsPage {
    pub fn render(&self) -> String {
        render_or_fallback(self, "account_consents")
    }

    fn t(&self) -> &'static Texts {
        i18n::texts(self.locale)
    }

    fn status_text(&self) -> Option<&'static str> {
        (self.message == Some(ConsentsMessage::Revoked)).then_some(self.t().consents.revoked)
    }

    fn error_text(&self) -> Option<&'static str> {
        (self.message == Some(ConsentsMessage::Outdated)).then_some(self.t().consents.outdated)
    }
}

/// "Continue as X" or "use another account", for `prompt=select_account`.
#[derive(Debug, Template)]
#[template(path = "select_account.html")]
pub struct SelectAccountPage {
    pub locale: Locale,
    pub base: String,
    pub action: String,
    pub interaction: String,
    pub csrf: String,
    pub user_name: String,
    /// Empty if unknown.
    pub client_name: String,
}

impl SelectAccountPage {
    pub fn render(&self) -> String {
        render_or_fallback(self, "select_account")
    }

    fn t(&self) -> &'static Texts {
        i18n::texts(self.locale)
    }
}

/// Asks whether to end the session (RP-initiated logout).
#[derive(Debug, Template)]
#[template(path = "logout_confirm.html")]
pub struct LogoutConfirmPage {
    pub locale: Locale,
    pub base: String,
    pub action: String,
    pub csrf: String,
    /// Hidden inputs carried to the confirmation request, as (name, value).
    pub fields: Vec<(String, String)>,
    pub client_name: Option<String>,
    /// The account this browser is signed in as, e.g. "Jan Novák (jan)"; `None` when there is
    /// no session here (the page then names none).
    pub account: Option<String>,
}

impl LogoutConfirmPage {
    pub fn render(&self) -> String {
        render_or_fallback(self, "logout_confirm")
    }

    fn t(&self) -> &'static Texts {
        i18n::texts(self.locale)
    }
}

/// Shown after logout when there is no (valid) `post_logout_redirect_uri`.
#[derive(Debug, Template)]
#[template(path = "logged_out.html")]
pub struct LoggedOutPage {
    pub locale: Locale,
    pub base: String,
    pub client_name: Option<String>,
}

impl LoggedOutPage {
    pub fn render(&self) -> String {
        render_or_fallback(self, "logged_out")
    }

    fn t(&self) -> &'static Texts {
        i18n::texts(self.locale)
    }
}

/// Shown when the person cancels a logout and no (valid) `post_logout_redirect_uri` takes them
/// back: nothing happened, they are still signed in.
#[derive(Debug, Template)]
#[template(path = "logout_kept.html")]
pub struct LogoutKeptPage {
    pub locale: Locale,
    pub base: String,
    pub client_name: Option<String>,
}

impl LogoutKeptPage {
    pub fn render(&self) -> String {
        render_or_fallback(self, "logout_kept")
    }

    fn t(&self) -> &'static Texts {
        i18n::texts(self.locale)
    }
}

/// An error that cannot be sent back to the client, shown to the person instead.
#[derive(Debug, Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub locale: Locale,
    pub base: String,
    /// The HTTP status; picks the title when `error` is not a known code.
    pub status: u16,
    /// Machine-readable code, e.g. `invalid_request`.
    pub error: String,
    /// Human text that is safe to show (no internal detail); may be empty.
    pub description: String,
    /// What happened, in the page's language; `description` then follows as a technical detail.
    pub notice: Option<i18n::Notice>,
    /// A safe way back to the application when one is known; otherwise the page links this
    /// service's home page.
    pub back: Option<WayBack>,
}

/// A link from an error page back to a client: only to a website the client registered
/// (`client_uri`), never to a redirect URI taken from the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WayBack {
    pub href: String,
    pub client_name: String,
}

impl WayBack {
    /// The way back to `client`, if it registered a website.
    pub fn to(client: &Client) -> Option<Self> {
        let href = client.client_uri.clone()?;
        let client_name = client.client_name.clone().unwrap_or_else(|| client.client_id.clone());
        Some(Self { href, client_name })
    }
}

impl ErrorPage {
    pub fn render(&self) -> String {
        render_or_fallback(self, "error")
    }

    fn t(&self) -> &'static Texts {
        i18n::texts(self.locale)
    }

    fn title(&self) -> &'static str {
        i18n::error_title(self.locale, &self.error, self.status)
    }

    fn notice_text(&self) -> Option<&'static str> {
        self.notice.map(|n| i18n::notice(self.locale, n))
    }

    /// This service's home page (the landing page), the way back when no client's is known.
    fn home(&self) -> String {
        format!("{}/", self.base)
    }
}

/// The landing page at `/`: the issuer and the links a developer needs first.
#[derive(Debug, Template)]
#[template(path = "landing.html")]
pub struct LandingPage {
    pub locale: Locale,
    pub base: String,
    pub issuer: String,
    pub discovery: String,
    pub jwks: String,
    pub health: String,
    pub ready: String,
    /// The language the page offers to switch to, and the link that does.
    pub other_locale: Locale,
    pub other_language_href: String,
    /// In dev mode: the accounts, clients and sent messages (`section#landing-dev`,
    /// `table#landing-citizens`, `table#landing-clients`, `table#landing-outbox`).
    pub dev: Option<crate::dev::Listing>,
}

impl LandingPage {
    pub fn render(&self) -> String {
        render_or_fallback(self, "landing")
    }

    fn t(&self) -> &'static Texts {
        i18n::texts(self.locale)
    }
}

/// The OAuth 2.0 Form Post Response Mode page: a form of hidden inputs that a nonce-bearing script
/// submits to `action`, with a button for browsers without JavaScript.
#[derive(Debug, Template)]
#[template(path = "form_post.html")]
pub struct FormPostPage {
    /// The client's redirect URI.
    pub action: String,
    /// The response parameters, as (name, value).
    pub fields: Vec<(String, String)>,
    /// Must match the `script-src 'nonce-…'` of the response's Content-Security-Policy.
    pub script_nonce: String,
}

impl FormPostPage {
    pub fn render(&self) -> String {
        render_or_fallback(self, "form_post")
    }

    // The page has no locale (it is seen for a moment at most), so it shows both languages.
    fn cs(&self) -> &'static Texts {
        i18n::texts(Locale::Cs)
    }

    fn en(&self) -> &'static Texts {
        i18n::texts(Locale::En)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn login(locale: Locale) -> LoginPage {
        LoginPage {
            locale,
            base: "/idp".to_owned(),
            action: "/idp/interaction/abc/login".to_owned(),
            interaction: "abc".to_owned(),
            csrf: "tok".to_owned(),
            username: String::new(),
            error: None,
            client_name: "Demo".to_owned(),
            client: ClientDisplay::default(),
            means: Vec::new(),
            chosen: "password",
            card: None,
            meg: None,
            banks: Vec::new(),
            bank_action: String::new(),
            mojeid_action: String::new(),
            registration: None,
        }
    }

    #[test]
    fn english_login_page_has_english_labels_and_stable_selectors() {
        let html = login(Locale::En).render();
        assert!(html.contains(r#"<html lang="en">"#), "{html}");
        assert!(html.contains("Username"));
        assert!(html.contains("Password"));
        assert!(html.contains("Sign in to continue to <strong>Demo</strong>."));
        assert!(html.contains(r#"<form id="login" method="post" action="/idp/interaction/abc/login">"#));
        assert!(html.contains(r#"<input type="hidden" name="interaction" value="abc">"#));
        assert!(html.contains(r#"<input type="hidden" name="csrf" value="tok">"#));
        assert!(html.contains(r#"id="username" name="username""#));
        assert!(html.contains(r#"autocomplete="username""#));
        assert!(html.contains(r#"id="password" name="password" type="password" autocomplete="current-password""#));
        assert!(html.contains(r#"<button id="login-submit" type="submit">Sign in</button>"#));
        assert!(html.contains(r#"<link rel="stylesheet" href="/idp/static/identita.css">"#));
        assert!(!html.contains("<script"));
        assert!(!html.contains("login-error"));
    }

    #[test]
    fn czech_login_page_is_czech() {
        let html = login(Locale::Cs).render();
        assert!(html.contains(r#"<html lang="cs">"#));
        assert!(html.contains("Uživatelské jméno"));
        assert!(html.contains("Přihlásit se"));
        assert!(!html.contains("Username"));
    }

    #[test]
    fn login_without_client_name_does_not_show_an_empty_name() {
        let page = LoginPage { client_name: String::new(), ..login(Locale::En) };
        let html = page.render();
        assert!(html.contains("Sign in to continue."));
        assert!(!html.contains("<strong></strong>"));
    }

    #[test]
    fn fields_in_error_are_marked_invalid_and_described_by_the_message() {
        let html = LoginPage { error: Some(LoginError::BadCredentials), ..login(Locale::En) }.render();
        assert_eq!(html.matches(r#"aria-invalid="true" aria-describedby="login-error""#).count(), 2, "{html}");
        let html = LoginPage { error: Some(LoginError::TryLater { minutes: 2 }), ..login(Locale::En) }.render();
        assert!(!html.contains("aria-invalid"), "a wait is no fault of the values: {html}");
        assert_eq!(html.matches(r#"aria-describedby="login-error""#).count(), 2, "{html}");
        let html = login(Locale::En).render();
        assert!(!html.contains("aria-invalid") && !html.contains("aria-describedby"), "{html}");
    }

    #[test]
    fn login_errors_are_localised_and_do_not_reveal_the_username() {
        let page = LoginPage { error: Some(LoginError::BadCredentials), ..login(Locale::En) };
        let html = page.render();
        assert!(html.contains(r#"id="login-error""#));
        assert!(html.contains("Incorrect username or password."));
        let page = LoginPage { error: Some(LoginError::TooManyAttempts), ..login(Locale::Cs) };
        assert!(page.render().contains("Příliš mnoho neúspěšných pokusů"));
        let page = LoginPage { error: Some(LoginError::Expired), ..login(Locale::En) };
        assert!(page.render().contains("has expired"));
    }

    #[test]
    fn a_wait_says_how_long_in_either_language() {
        let wait =
            |locale, minutes| LoginPage { error: Some(LoginError::TryLater { minutes }), ..login(locale) }.render();
        assert!(wait(Locale::Cs, 1).contains("Zkuste to znovu za 1 minutu."));
        assert!(wait(Locale::Cs, 3).contains("Zkuste to znovu za 3 minuty."));
        assert!(wait(Locale::Cs, 15).contains("Zkuste to znovu za 15 minut."));
        assert!(wait(Locale::En, 1).contains("Try again in 1 minute."));
        assert!(wait(Locale::En, 0).contains("Try again in 1 minute."), "never 'in 0 minutes'");
        assert!(wait(Locale::En, 15).contains("Try again in 15 minutes."));
    }

    #[test]
    fn user_provided_values_are_escaped() {
        let page = LoginPage {
            username: r#"jan" autofocus onfocus="alert(1)"#.to_owned(),
            client_name: "<script>alert('x')</script>".to_owned(),
            client: ClientDisplay::default(),
            interaction: r#""><img src=x>"#.to_owned(),
            ..login(Locale::En)
        };
        let html = page.render();
        assert!(!html.contains("<script>"), "{html}");
        assert!(!html.contains("<img"));
        assert!(!html.contains(r#"jan" autofocus"#));
        assert!(html.contains("&#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62;"));
        assert!(html.contains(r#"value="jan&#34; autofocus onfocus=&#34;alert(1)""#));
        // A prefilled username moves the focus to the password.
        assert!(html.contains(r#"autocomplete="current-password" required autofocus>"#));
    }

    #[test]
    fn consent_page_lists_scope_labels_and_has_selectors() {
        let page = ConsentPage {
            locale: Locale::Cs,
            base: String::new(),
            action: "/interaction/abc/consent".to_owned(),
            interaction: "abc".to_owned(),
            csrf: "tok".to_owned(),
            client_name: "Obec <Lhota>".to_owned(),
            user_name: "Jan Novák".to_owned(),
            scopes: vec!["openid".to_owned(), "email".to_owned(), "x<y".to_owned()],
            values: vec![("email".to_owned(), "jan@<example>.cz".to_owned())],
            client: ClientDisplay::default(),
            refusal_keeps_login: false,
        };
        let html = page.render();
        assert!(html.contains(r#"<form id="consent" method="post" action="/interaction/abc/consent">"#));
        assert!(html.contains(r#"<input type="hidden" name="interaction" value="abc">"#));
        assert!(html.contains(r#"<input type="hidden" name="csrf" value="tok">"#));
        assert!(html.contains(r#"<button id="consent-allow" type="submit" name="decision" value="allow">Povolit"#));
        assert!(html.contains(r#"<button id="consent-deny" type="submit" name="decision" value="deny""#));
        assert!(html.contains(r#"<li data-scope="email">E-mailová adresa</li>"#));
        assert!(html.contains(r#"<li data-scope="x&#60;y">x&#60;y</li>"#));
        assert!(html.contains("Aplikace <strong>Obec &#60;Lhota&#62;</strong> žádá"));
        assert!(html.contains(r#"<strong id="consent-user">Jan Novák</strong>"#));
        assert!(html.contains(r#"<div data-claim="email"><dt>E-mail</dt><dd>jan@&#60;example&#62;.cz</dd></div>"#));
        assert!(
            html.contains(
                r#"<form id="consent-switch" class="switch" method="post" action="/interaction/abc/consent">"#
            )
        );
        assert!(html.contains(r#"id="consent-not-you" type="submit" name="decision" value="switch""#));
        assert!(html.contains("Nejste to vy? Přihlásit se jinak"));
        assert_eq!(html.matches(r#"<input type="hidden" name="csrf" value="tok">"#).count(), 2, "both forms");
        assert!(html.contains(r#"href="/static/identita.css""#));
    }

    #[test]
    fn select_account_page_has_selectors() {
        let page = SelectAccountPage {
            locale: Locale::En,
            base: String::new(),
            action: "/interaction/abc/select".to_owned(),
            interaction: "abc".to_owned(),
            csrf: "tok".to_owned(),
            user_name: "Jana".to_owned(),
            client_name: "Demo".to_owned(),
        };
        let html = page.render();
        assert!(html.contains(r#"<form id="select-account" method="post" action="/interaction/abc/select">"#));
        assert!(html.contains(r#"<input type="hidden" name="interaction" value="abc">"#));
        assert!(html.contains(r#"<input type="hidden" name="csrf" value="tok">"#));
        assert!(
            html.contains(r#"id="select-continue" type="submit" name="choice" value="continue">Continue as Jana<"#)
        );
        assert!(html.contains(r#"id="select-other" type="submit" name="choice" value="other""#));
        assert!(html.contains("Use another account"));
    }

    #[test]
    fn logout_confirmation_carries_fields() {
        let page = LogoutConfirmPage {
            locale: Locale::En,
            base: String::new(),
            action: "/session/end".to_owned(),
            csrf: "tok".to_owned(),
            fields: vec![
                ("state".to_owned(), r#"a"b&c"#.to_owned()),
                ("post_logout_redirect_uri".to_owned(), "https://rp.example/out".to_owned()),
            ],
            client_name: Some("Demo".to_owned()),
            account: Some("Jan <Novák> (jan)".to_owned()),
        };
        let html = page.render();
        assert!(html.contains(r#"<strong id="logout-account">Jan &#60;Novák&#62; (jan)</strong>"#), "{html}");
        assert!(html.contains("Account being signed out:"));
        assert!(html.contains(r#"<form id="logout" method="post" action="/session/end">"#));
        assert!(html.contains(r#"<input type="hidden" name="csrf" value="tok">"#));
        assert!(html.contains(r#"<input type="hidden" name="state" value="a&#34;b&#38;c">"#));
        assert!(html.contains(r#"name="post_logout_redirect_uri" value="https://rp.example/out">"#));
        assert!(html.contains(r#"id="logout-confirm" type="submit" name="logout" value="yes""#));
        assert!(html.contains(r#"id="logout-cancel" type="submit" name="logout" value="no""#));
        assert!(html.contains("Do you want to sign out?"));
        assert!(html.contains("<strong>Demo</strong>"));
    }

    #[test]
    fn logged_out_page() {
        let html = LoggedOutPage { locale: Locale::Cs, base: String::new(), client_name: None }.render();
        assert!(html.contains(r#"<h1 id="logged-out">Byli jste odhlášeni.</h1>"#));
        let html =
            LoggedOutPage { locale: Locale::En, base: String::new(), client_name: Some("<b>".to_owned()) }.render();
        assert!(html.contains(r#"id="logged-out""#));
        assert!(html.contains("<strong>&#60;b&#62;</strong>"));
    }

    #[test]
    fn landing_page_escapes_and_offers_the_other_language() {
        let page = LandingPage {
            locale: Locale::En,
            base: "/idp".to_owned(),
            issuer: "https://id.example/idp?<x>".to_owned(),
            discovery: "https://id.example/idp/.well-known/openid-configuration".to_owned(),
            jwks: "https://id.example/idp/jwks".to_owned(),
            health: "/healthz".to_owned(),
            ready: "/readyz".to_owned(),
            other_locale: Locale::Cs,
            other_language_href: "/idp/?lang=cs".to_owned(),
            dev: None,
        };
        let html = page.render();
        assert!(html.contains(r#"<code id="landing-issuer">https://id.example/idp?&#60;x&#62;</code>"#), "{html}");
        assert!(html.contains(r#"<a id="landing-language" href="/idp/?lang=cs" lang="cs" hreflang="cs">Česky</a>"#));
        assert!(html.contains(r#"href="/idp/static/identita.css""#));
        assert!(!html.contains("<script"));
    }

    #[test]
    fn logout_kept_page_names_the_client_in_either_language() {
        let html = LogoutKeptPage { locale: Locale::Cs, base: String::new(), client_name: Some("<P>".into()) }.render();
        assert!(html.contains(r#"<h1 id="logout-kept">Zůstáváte přihlášeni</h1>"#), "{html}");
        assert!(html.contains("<strong>&#60;P&#62;</strong>"));
        let html = LogoutKeptPage { locale: Locale::En, base: String::new(), client_name: None }.render();
        assert!(html.contains("You are still signed in") && html.contains("You can close this window."));
    }

    #[test]
    fn login_page_offers_a_way_back_after_the_sign_in_button() {
        let html = login(Locale::Cs).render();
        let submit = html.find(r#"id="login-submit""#).unwrap();
        let cancel = html.find(r#"<button id="login-cancel" type="submit" name="cancel" value="yes" formnovalidate"#);
        assert!(cancel.is_some_and(|c| c > submit), "{html}");
        assert!(html.contains("Zrušit a vrátit se do aplikace"));
        assert!(login(Locale::En).render().contains("Cancel and return to the application"));
    }

    #[test]
    fn error_page_shows_code_and_description() {
        let page = ErrorPage {
            locale: Locale::En,
            base: String::new(),
            status: 400,
            error: "invalid_request".to_owned(),
            description: "The redirect_uri is not registered for this client.".to_owned(),
            notice: None,
            back: Some(WayBack { href: "https://portal.example/?a=1&b=2".to_owned(), client_name: "P<x>".to_owned() }),
        };
        let html = page.render();
        assert!(html.contains(r#"<code id="error-code">invalid_request</code>"#));
        assert!(html.contains(r#"<p id="error-description">The redirect_uri is not registered for this client.</p>"#));
        assert!(html.contains("<h1>Invalid request</h1>"));
        assert!(html.contains(r#"<a id="error-back" class="back" href="https://portal.example/?a=1&#38;b=2" rel="noopener noreferrer">Back to the website of <strong>P&#60;x&#62;</strong></a>"#), "{html}");
        let page = ErrorPage {
            locale: Locale::Cs,
            base: "/idp".to_owned(),
            status: 500,
            error: "server_error".to_owned(),
            description: String::new(),
            notice: None,
            back: None,
        };
        let html = page.render();
        assert!(html.contains("<h1>Chyba serveru</h1>"));
        assert!(
            html.contains(r#"<a id="error-back" class="back" href="/idp/">Na úvodní stránku služby identita</a>"#),
            "{html}"
        );
        assert!(html.contains(r#"id="error-description""#));
    }

    #[test]
    fn form_post_page_escapes_fields_and_carries_the_nonce() {
        let page = FormPostPage {
            action: r#"https://rp.example/cb?x="y""#.to_owned(),
            fields: vec![
                ("code".to_owned(), "abc123".to_owned()),
                ("state".to_owned(), r#""><script>alert(1)</script>"#.to_owned()),
            ],
            script_nonce: "n0nce".to_owned(),
        };
        let html = page.render();
        assert!(html.contains(r#"<form method="post" action="https://rp.example/cb?x=&#34;y&#34;">"#), "{html}");
        assert!(html.contains(r#"<input type="hidden" name="code" value="abc123">"#));
        assert!(html.contains(
            r#"<input type="hidden" name="state" value="&#34;&#62;&#60;script&#62;alert(1)&#60;/script&#62;">"#
        ));
        assert!(html.contains(r#"<script nonce="n0nce">document.forms[0].submit()</script>"#));
        assert_eq!(html.matches("<script").count(), 1);
        assert!(html.contains("<noscript>"));
        assert!(html.contains(r#"<button type="submit">"#));
    }
}

/// NIA ID's registration: the form, or where the registration has got to.
#[derive(Debug, Template)]
#[template(path = "registration.html")]
pub struct RegistrationPage {
    pub locale: Locale,
    pub base: String,
    pub action: String,
    pub csrf: String,
    pub view: RegistrationView,
    /// What was typed (never the passwords), to fill the form in again.
    pub username: String,
    pub email: String,
    pub phone: String,
    /// The data box's ID typed on the activation form.
    pub box_id: String,
    /// The field at fault and what is wrong with it.
    pub invalid: Option<(Field, Problem)>,
    /// Said above the form (an out-of-date form, too many registrations).
    pub alert: Option<RegistrationAlert>,
}

/// Which of the registration's pages this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistrationView {
    Form,
    /// The confirmation e-mail went out.
    Sent,
    /// The link verified the address; the code went out.
    Confirmed,
    Expired,
    Unknown,
    /// The activation with a data box: its form.
    DataBox,
    /// The data box activated the NIA ID.
    Activated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistrationAlert {
    Outdated,
    TooMany,
    /// The data-box activation's refusals.
    WrongAccount,
    AwaitingEmail,
    AlreadyActive,
    WrongBox,
    NotNaturalPerson,
    NotInRegister,
}

impl RegistrationPage {
    pub fn render(&self) -> String {
        render_or_fallback(self, "registration")
    }

    fn t(&self) -> &'static Texts {
        i18n::texts(self.locale)
    }

    fn alert_text(&self) -> Option<&'static str> {
        let t = &self.t().registration;
        match (self.alert, self.invalid) {
            (Some(RegistrationAlert::Outdated), _) => Some(t.outdated),
            (Some(RegistrationAlert::TooMany), _) => Some(t.too_many),
            (Some(RegistrationAlert::WrongAccount), _) => Some(t.box_wrong_account),
            (Some(RegistrationAlert::AwaitingEmail), _) => Some(t.login_awaiting_email),
            (Some(RegistrationAlert::AlreadyActive), _) => Some(t.box_already_active),
            (Some(RegistrationAlert::WrongBox), _) => Some(t.box_wrong_box),
            (Some(RegistrationAlert::NotNaturalPerson), _) => Some(t.box_not_natural_person),
            (Some(RegistrationAlert::NotInRegister), _) => Some(t.box_not_in_register),
            (None, Some(_)) => Some(t.fix_fields),
            (None, None) => None,
        }
    }

    /// The message under the field `name`, if it is the one at fault.
    fn problem_of(&self, name: &str) -> Option<&'static str> {
        let t = &self.t().registration;
        let (field, problem) = self.invalid.filter(|(field, _)| field.name() == name)?;
        Some(match (field, problem) {
            (Field::Terms, _) => t.terms_missing,
            (_, Problem::Missing) => t.missing,
            (Field::Username, Problem::TooLong) => t.username_too_long,
            (Field::Username, Problem::Taken) => t.username_taken,
            (Field::Username, _) => t.username_malformed,
            (Field::Password, Problem::TooLong) => t.password_too_long,
            (Field::Password, _) => t.password_weak,
            (Field::PasswordAgain, _) => t.password_mismatch,
            (Field::Email, _) => t.email_malformed,
            (Field::Phone, _) => t.phone_malformed,
        })
    }
}
