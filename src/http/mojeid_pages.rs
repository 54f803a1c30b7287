//! The pages of mojeID's account, one askama struct each. What tests and scripts rely on:
//!
//! - The account ([`MojeidAccountPage`]): `#mojeid-status` (the status code, e.g. `VALIDATED`),
//!   `#mojeid-kind`, `#mojeid-validation[data-path]`; for natural persons `form#mojeid-databox`
//!   (the data-box button) and `form#mojeid-czech-point` with `#mojeid-czech-point-request`;
//!   what happened in `#mojeid-done`, a refusal in `#mojeid-error`; the contacts
//!   `#mojeid-email[data-verified]`, `#mojeid-phone[data-verified]`, `form#mojeid-verify-email`,
//!   `form#mojeid-verify-phone` and, once the SMS code is sent, `form#mojeid-phone-code` (`code`).
//! - The simulated data-box login ([`DataBoxLoginPage`]): `form#databox-login` with
//!   `input#databox-id`, `input#databox-password` and hidden `csrf`; a wrong login in
//!   `#databox-error`.

use askama::Template;

use super::i18n::mojeid_account::{self as texts, AccountTexts};
use super::i18n::{self, Locale, Texts};
use crate::model::mojeid::ValidationPath;
use crate::validation::mojeid::{AccountView, ContactsView};

/// What the account page reports above its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountNotice {
    Done,
    Outdated,
    CzechPointPending,
    /// A refusal, as text in the page's language where the seed gives one.
    Refused(String),
    /// The verification link went to the e-mail address.
    EmailSent,
    EmailVerified,
    LinkUnknown,
    LinkExpired,
    /// The link's address is no longer the account's, or the link was used.
    LinkStale,
    /// The SMS code went out: the form awaiting it carries this sealed state.
    PhoneSent(String),
    PhoneVerified,
    PhoneWrong {
        step: String,
        left: u32,
    },
    /// The code's attempts are used, it was used, or it expired.
    CodeSpent,
}

impl AccountNotice {
    /// Whether the page reports something done rather than refused.
    pub fn is_success(&self) -> bool {
        matches!(
            self,
            AccountNotice::Done
                | AccountNotice::EmailSent
                | AccountNotice::EmailVerified
                | AccountNotice::PhoneSent(_)
                | AccountNotice::PhoneVerified
        )
    }
}

#[derive(Debug, Template)]
#[template(path = "account_mojeid.html")]
pub struct MojeidAccountPage {
    pub locale: Locale,
    pub base: String,
    pub databox_action: String,
    pub czech_point_action: String,
    pub email_action: String,
    pub phone_action: String,
    pub phone_confirm_action: String,
    /// Empty when nobody is signed in: the page says to sign in first.
    pub csrf: String,
    pub account: Option<AccountView>,
    /// The account's e-mail address and phone number, and whether each is verified.
    pub contacts: Option<ContactsView>,
    pub czech_point_request: Option<String>,
    /// The desk's working hours, as people read them.
    pub hours: String,
    pub notice: Option<AccountNotice>,
}

impl MojeidAccountPage {
    pub fn render(&self) -> String {
        Template::render(self).unwrap_or_else(|error| {
            tracing::error!(page = "account_mojeid", %error, "rendering a page failed");
            String::from("<!DOCTYPE html><title>Error</title>")
        })
    }

    fn t(&self) -> &'static Texts {
        i18n::texts(self.locale)
    }

    fn m(&self) -> &'static AccountTexts {
        texts::texts(self.locale)
    }

    fn kind_text(&self, kind: &str) -> &'static str {
        match kind {
            "entrepreneur" => self.m().kind_entrepreneur,
            "legal_entity" => self.m().kind_legal_entity,
            _ => self.m().kind_natural_person,
        }
    }

    fn path_text(&self, path: &ValidationPath) -> &'static str {
        let m = self.m();
        match path {
            ValidationPath::Office => m.path_office,
            ValidationPath::ValidationPoint => m.path_validation_point,
            ValidationPath::DataBoxMessage => m.path_databox_message,
            ValidationPath::DataBoxButton => m.path_databox_button,
            ValidationPath::NotarisedSignature => m.path_notarised_signature,
            ValidationPath::CzechPoint => m.path_czech_point,
        }
    }

    fn validated_at(&self, at: &i64) -> String {
        crate::clock::utc(*at)
    }

    fn done_text(&self) -> Option<&'static str> {
        let m = self.m();
        match &self.notice {
            Some(AccountNotice::Done) => Some(m.done),
            Some(AccountNotice::EmailSent) => Some(m.email_sent),
            Some(AccountNotice::EmailVerified) => Some(m.email_verified_now),
            Some(AccountNotice::PhoneSent(_)) => Some(m.phone_sent),
            Some(AccountNotice::PhoneVerified) => Some(m.phone_verified_now),
            _ => None,
        }
    }

    fn error_text(&self) -> Option<String> {
        let m = self.m();
        match &self.notice {
            Some(AccountNotice::Outdated) => Some(m.outdated.to_owned()),
            Some(AccountNotice::CzechPointPending) => Some(m.czech_point_pending.to_owned()),
            Some(AccountNotice::Refused(text)) => Some(text.clone()),
            Some(AccountNotice::LinkUnknown) => Some(m.link_unknown.to_owned()),
            Some(AccountNotice::LinkExpired) => Some(m.link_expired.to_owned()),
            Some(AccountNotice::LinkStale) => Some(m.link_stale.to_owned()),
            Some(AccountNotice::PhoneWrong { left, .. }) => Some(format!("{} {left}", m.code_wrong)),
            Some(AccountNotice::CodeSpent) => Some(m.code_spent.to_owned()),
            _ => None,
        }
    }

    /// The sealed state of the form awaiting an SMS code, when one is awaited.
    fn phone_step(&self) -> Option<&str> {
        match &self.notice {
            Some(AccountNotice::PhoneSent(step) | AccountNotice::PhoneWrong { step, .. }) => Some(step),
            _ => None,
        }
    }
}

#[derive(Debug, Template)]
#[template(path = "databox_login.html")]
pub struct DataBoxLoginPage {
    pub locale: Locale,
    pub base: String,
    pub action: String,
    pub back: String,
    pub csrf: String,
    pub wrong: bool,
}

impl DataBoxLoginPage {
    pub fn render(&self) -> String {
        Template::render(self).unwrap_or_else(|error| {
            tracing::error!(page = "databox_login", %error, "rendering a page failed");
            String::from("<!DOCTYPE html><title>Error</title>")
        })
    }

    fn t(&self) -> &'static Texts {
        i18n::texts(self.locale)
    }

    fn m(&self) -> &'static AccountTexts {
        texts::texts(self.locale)
    }
}
