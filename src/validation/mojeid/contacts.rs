//! The citizen's own verification of the account's contacts, as mojeID asks for it before any
//! validation (seed 003): the e-mail address by a link sent to it, the phone number by a code
//! sent to it by SMS. Both verified, the account is CONDITIONALLY_IDENTIFIED.
//!
//! Nothing is stored until a contact is verified: the link carries its state sealed by the server
//! (`secret::seal`, under the server's salt, so any node checks it), and so does the form that
//! awaits the SMS code, which holds the code only as a MAC. A link or a code verifies the contact
//! it was sent to only while the account still has it, and once. Sends per account are counted
//! before anything is sent; the code's attempts before the comparison.

use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Accounts, MojeidError};
use crate::clock::Timestamp;
use crate::model::User;
use crate::notify::Notifier;
use crate::secret;
use crate::validation::actor::{Actor, Capacity};

const EMAIL_SEAL: &str = "mojeid-email-link";
const PHONE_SEAL: &str = "mojeid-phone-code";
/// How long the e-mail's link works: a day.
pub const LINK_TTL: Timestamp = 24 * 3600;
/// How long an SMS code can be typed: ten minutes.
pub const CODE_TTL: Timestamp = 10 * 60;
/// Wrong codes before a new one must be sent.
pub const CODE_ATTEMPTS: u32 = 3;
/// Links and codes sent for one account per [`SEND_WINDOW`].
pub const SENDS_PER_ACCOUNT: u32 = 5;
pub const SEND_WINDOW: Timestamp = 3600;

/// What the e-mail's link carries.
#[derive(Debug, Serialize, Deserialize)]
struct EmailLink {
    user_id: String,
    email: String,
    nonce: String,
    expires_at: Timestamp,
}

/// What the form awaiting the SMS code carries.
#[derive(Debug, Serialize, Deserialize)]
struct PhoneCode {
    user_id: String,
    phone: String,
    code: String,
    nonce: String,
    expires_at: Timestamp,
}

/// The account's contacts as its page shows them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ContactsView {
    pub email: Option<String>,
    pub email_verified: bool,
    pub phone: Option<String>,
    pub phone_verified: bool,
}

/// What following the e-mail's link did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailOutcome {
    Verified,
    /// The link is not one of ours, or was cut short.
    Unknown,
    Expired,
    /// The account's address is no longer the one the link went to, or the link was used.
    Stale,
}

/// What typing the SMS code did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhoneOutcome {
    Verified,
    Wrong {
        left: u32,
    },
    /// Attempts used up, the code used, expired, or the account's number changed: send a new one.
    Spent,
}

impl Accounts<'_> {
    /// The account's contacts as stored now.
    pub async fn contacts(&self, user: &User) -> Result<ContactsView, MojeidError> {
        let user = self.stores.users.get(&user.id).await?.unwrap_or_else(|| user.clone());
        let p = &user.profile;
        Ok(ContactsView {
            email: p.email.clone().filter(|e| !e.trim().is_empty()),
            email_verified: p.email_verified == Some(true),
            phone: p.phone_number.clone().filter(|n| !n.trim().is_empty()),
            phone_verified: p.phone_number_verified == Some(true),
        })
    }

    /// Sends the link that verifies the account's e-mail address; `confirm_url` is the absolute
    /// URL of the link's page (the link is `{confirm_url}?token=…`).
    pub async fn send_email_link(
        &self,
        user: &User,
        notifier: &Notifier,
        salt: &str,
        confirm_url: &str,
    ) -> Result<(), MojeidError> {
        let contacts = self.contacts(user).await?;
        let email = contacts.email.ok_or_else(|| super::field("email", "the account has no e-mail address"))?;
        self.count_send(user).await?;
        let link = EmailLink {
            user_id: user.id.clone(),
            email: email.clone(),
            nonce: secret::random_token(16),
            expires_at: self.now + LINK_TTL,
        };
        let url = format!("{confirm_url}?token={}", secret::seal(EMAIL_SEAL, salt, &link));
        let text = format!(
            "Dobrý den,\n\npro ověření e-mailové adresy účtu mojeID {username} otevřete tento odkaz (platí 24 hodin):\n\n\
             {url}\n\nTo verify the e-mail address of the mojeID account {username}, open the link above \
             (valid for 24 hours).\n",
            username = user.username,
        );
        notifier
            .send_email(&email, "mojeID: ověření e-mailu / verify your e-mail", &text)
            .await
            .map_err(|e| MojeidError::Evidence(format!("the e-mail could not be sent: {e}")))
    }

    /// The e-mail's link followed (by anyone holding it: it went to the address).
    pub async fn confirm_email(&self, salt: &str, token: &str, origin: &str) -> Result<EmailOutcome, MojeidError> {
        let Some(link) = secret::open::<EmailLink>(EMAIL_SEAL, salt, token) else { return Ok(EmailOutcome::Unknown) };
        if link.expires_at <= self.now {
            return Ok(EmailOutcome::Expired);
        }
        let Some(mut user) = self.stores.users.get(&link.user_id).await?.filter(|u| !u.disabled) else {
            return Ok(EmailOutcome::Unknown);
        };
        if user.profile.email.as_deref() != Some(link.email.as_str()) {
            return Ok(EmailOutcome::Stale);
        }
        if !self.stores.replay.remember(&format!("mojeid-email:{}", link.nonce), link.expires_at, self.now).await? {
            return Ok(match user.profile.email_verified {
                Some(true) => EmailOutcome::Verified,
                _ => EmailOutcome::Stale,
            });
        }
        user.profile.email_verified = Some(true);
        user.updated_at = self.now;
        self.stores.users.update(&user).await?;
        let actor = Actor::citizen(&user, origin);
        self.audit(&actor, Capacity::Citizen, "mojeid.verify_email", &user, json!({ "email": link.email })).await?;
        Ok(EmailOutcome::Verified)
    }

    /// Sends the SMS code that verifies the account's phone number; the sealed state the code's
    /// form carries back.
    pub async fn send_phone_code(&self, user: &User, notifier: &Notifier, salt: &str) -> Result<String, MojeidError> {
        let contacts = self.contacts(user).await?;
        let phone = contacts.phone.ok_or_else(|| super::field("phone_number", "the account has no phone number"))?;
        self.count_send(user).await?;
        let code = format!("{:06}", rand::rng().random_range(0..1_000_000));
        let step = PhoneCode {
            user_id: user.id.clone(),
            phone: phone.clone(),
            code: secret::mac(PHONE_SEAL, salt, code.as_bytes()),
            nonce: secret::random_token(16),
            expires_at: self.now + CODE_TTL,
        };
        let text = format!("mojeID: kód pro ověření telefonu je {code}. / mojeID phone verification code: {code}.");
        notifier
            .send_sms(&phone, &text)
            .await
            .map_err(|e| MojeidError::Evidence(format!("the SMS could not be sent: {e}")))?;
        Ok(secret::seal(PHONE_SEAL, salt, &step))
    }

    /// The SMS code typed by the signed-in citizen `user`, with the form's sealed state.
    pub async fn confirm_phone(
        &self,
        actor: &Actor,
        user: &User,
        salt: &str,
        sealed: &str,
        typed: &str,
    ) -> Result<PhoneOutcome, MojeidError> {
        let capacity = actor.require_holder(&user.id)?;
        let Some(step) = secret::open::<PhoneCode>(PHONE_SEAL, salt, sealed) else { return Ok(PhoneOutcome::Spent) };
        if step.expires_at <= self.now || step.user_id != user.id {
            return Ok(PhoneOutcome::Spent);
        }
        let key = format!("mojeid-phone-code:{}", step.nonce);
        let attempts = self.stores.counters.increment(&key, step.expires_at, self.now).await?;
        if attempts > CODE_ATTEMPTS {
            return Ok(PhoneOutcome::Spent);
        }
        let typed: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
        if !secret::constant_time_eq(&secret::mac(PHONE_SEAL, salt, typed.as_bytes()), &step.code) {
            return Ok(PhoneOutcome::Wrong { left: CODE_ATTEMPTS - attempts });
        }
        let Some(mut user) = self.stores.users.get(&user.id).await?.filter(|u| !u.disabled) else {
            return Ok(PhoneOutcome::Spent);
        };
        if user.profile.phone_number.as_deref() != Some(step.phone.as_str()) {
            return Ok(PhoneOutcome::Spent);
        }
        if !self.stores.replay.remember(&format!("mojeid-phone-used:{}", step.nonce), step.expires_at, self.now).await?
        {
            return Ok(PhoneOutcome::Spent);
        }
        user.profile.phone_number_verified = Some(true);
        user.updated_at = self.now;
        self.stores.users.update(&user).await?;
        let detail = json!({ "phone_number": step.phone });
        self.audit(actor, capacity, "mojeid.verify_phone", &user, detail).await?;
        Ok(PhoneOutcome::Verified)
    }

    /// One more link or code for the account, refused past [`SENDS_PER_ACCOUNT`].
    async fn count_send(&self, user: &User) -> Result<(), MojeidError> {
        let key = format!("mojeid-contact-send:{}", user.id);
        let tally = self.stores.counters.tally(&key, self.now + SEND_WINDOW, self.now).await?;
        if tally.count > SENDS_PER_ACCOUNT {
            return Err(MojeidError::Evidence(format!(
                "too many verification messages for this account; try again after {}",
                crate::clock::utc(tally.ends_at)
            )));
        }
        Ok(())
    }
}
