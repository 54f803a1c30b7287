//! The pages of mojeID + WebAuthn, one askama struct each. What tests and scripts rely on:
//!
//! - Security key login ([`KeyLoginPage`]): `form#key[method=post]` with hidden `interaction`,
//!   `csrf`, `credential` (the browser's answer as JSON, filled by the page's script) and
//!   `action`; `button#key-start` starts `navigator.credentials.get`; `button#key-cancel` goes
//!   back to the application; `a#key-other-means` leads to the means list; a refusal in `#key-error`.
//! - The account's keys ([`AccountKeysPage`]): `ul#keys li[data-credential]` (with
//!   `[data-aaguid]`); `form#key-add` with hidden `ceremony`, `csrf`, `credential`, `action` and
//!   `input#key-name`, `button#key-add-start`; each key's `form.key-remove` with
//!   `button[name=action][value=remove]`; what happened in `#keys-status`, a refusal in `#keys-error`.

use askama::Template;

use super::i18n::keys::{self as texts, KeyTexts};
use super::i18n::{self, Locale, Texts};
use super::pages::ClientDisplay;

/// What the key login page reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyMessage {
    Cancelled,
    UnknownKey,
    NotVerified,
    Expired,
    NoKey,
    NotCertified,
    TryLater,
}

#[derive(Debug, Template)]
#[template(path = "login_key.html")]
pub struct KeyLoginPage {
    pub locale: Locale,
    pub base: String,
    pub action: String,
    pub interaction: String,
    pub csrf: String,
    /// `navigator.credentials.get`'s options as JSON; none when there is no key to ask for.
    pub options: Option<String>,
    pub nonce: String,
    pub message: Option<KeyMessage>,
    pub other_means: String,
    pub manage_keys: String,
    pub client_name: String,
    pub client: ClientDisplay,
}

impl KeyLoginPage {
    pub fn render(&self) -> String {
        Template::render(self).unwrap_or_else(|error| {
            tracing::error!(page = "login_key", %error, "rendering a page failed");
            String::from("<!DOCTYPE html><title>Error</title>")
        })
    }

    fn t(&self) -> &'static Texts {
        i18n::texts(self.locale)
    }

    fn k(&self) -> &'static KeyTexts {
        texts::texts(self.locale)
    }

    fn error_message(&self) -> Option<&'static str> {
        let k = self.k();
        self.message.map(|m| match m {
            KeyMessage::Cancelled => k.cancelled,
            KeyMessage::UnknownKey => k.unknown_key,
            KeyMessage::NotVerified => k.not_verified,
            KeyMessage::Expired => k.expired,
            KeyMessage::NoKey => k.no_key,
            KeyMessage::NotCertified => k.not_certified,
            KeyMessage::TryLater => k.try_later,
        })
    }
}

/// One key in the account's list.
#[derive(Debug, Clone)]
pub struct KeyRow {
    pub credential_id: String,
    pub name: String,
    pub aaguid: Option<String>,
    pub certified: bool,
    pub added: String,
    pub last_used: Option<String>,
}

/// What the account page reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountMessage {
    Added,
    Removed,
    Already,
    Cancelled,
    NotVerified,
    Expired,
    FormOutdated,
}

#[derive(Debug, Template)]
#[template(path = "account_keys.html")]
pub struct AccountKeysPage {
    pub locale: Locale,
    pub base: String,
    pub action: String,
    /// None when nobody is signed in: the page says to sign in first.
    pub ceremony: Option<String>,
    pub csrf: String,
    pub options: String,
    pub nonce: String,
    pub username: String,
    pub keys: Vec<KeyRow>,
    pub message: Option<AccountMessage>,
}

impl AccountKeysPage {
    pub fn render(&self) -> String {
        Template::render(self).unwrap_or_else(|error| {
            tracing::error!(page = "account_keys", %error, "rendering a page failed");
            String::from("<!DOCTYPE html><title>Error</title>")
        })
    }

    fn t(&self) -> &'static Texts {
        i18n::texts(self.locale)
    }

    fn k(&self) -> &'static KeyTexts {
        texts::texts(self.locale)
    }

    fn status_message(&self) -> Option<&'static str> {
        match self.message {
            Some(AccountMessage::Added) => Some(self.k().account_done_added),
            Some(AccountMessage::Removed) => Some(self.k().account_done_removed),
            _ => None,
        }
    }

    fn error_message(&self) -> Option<&'static str> {
        let k = self.k();
        match self.message? {
            AccountMessage::Already => Some(k.account_already),
            AccountMessage::Cancelled => Some(k.cancelled),
            AccountMessage::NotVerified => Some(k.not_verified),
            AccountMessage::Expired => Some(k.expired),
            AccountMessage::FormOutdated => Some(k.account_form_outdated),
            AccountMessage::Added | AccountMessage::Removed => None,
        }
    }
}
