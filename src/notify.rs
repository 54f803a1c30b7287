//! The notifier: every message to a person (an SMS text now, an e-mail later) goes through one
//! [`Notifier`], which sends it where `[notifier]` says (src/config/notifier.rs).
//!
//! - `sms = "outbox"` (the default): the text goes into the outbox ([`OutboxStore`]) and no
//!   further; a developer reads it with `identita outbox` or on the dev landing page. Meant for
//!   development and tests: in production no text would reach a phone (`serve` logs the route).
//! - `sms = "webhook"`: `POST {"to": "+420…", "text": "…"}` as JSON to the SMS gateway's URL,
//!   with the bearer token if one is configured, within [`WEBHOOK_TIMEOUT`]; only a 2xx answer
//!   counts as sent (a redirect is not followed: the token must not go elsewhere). The outbox is
//!   then not written: it would keep every code sent to real people for a day.
//!
//! No error shows the gateway's URL or token, and nothing here logs a recipient or a text: a text
//! usually carries a one-time code.

#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use crate::clock::SharedClock;
use crate::config::{NotifierConfig, SmsRoute};
use crate::model::{Channel, Message};
use crate::secret::Secret;
use crate::store::{OutboxStore, StoreError};

/// How long the SMS gateway may take to answer, connecting included.
pub const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(5);

/// Sends messages to people; cheap to clone.
#[derive(Clone)]
pub struct Notifier {
    sms: Route,
    outbox: Arc<dyn OutboxStore>,
    clock: SharedClock,
}

#[derive(Clone)]
enum Route {
    Outbox,
    Webhook(Arc<Webhook>),
}

/// An SMS gateway's webhook.
struct Webhook {
    url: url::Url,
    token: Option<Secret>,
    http: reqwest::Client,
}

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// The recipient is not a phone number in E.164 form.
    #[error("the recipient is not a phone number in E.164 form (+ and 7 to 15 digits)")]
    BadRecipient,
    #[error("writing to the outbox: {0}")]
    Outbox(#[from] StoreError),
    /// The gateway did not answer (refused, timed out, TLS failed).
    #[error("the SMS gateway did not answer: {0}")]
    Unreachable(String),
    /// The gateway answered, but not with a 2xx status.
    #[error("the SMS gateway answered HTTP {0}")]
    Rejected(u16),
    /// The notifier could not be set up (start-up only).
    #[error("notifier: {0}")]
    Setup(String),
}

impl Notifier {
    /// The notifier `config` describes (validated by `Config::validate`), keeping its outbox in
    /// `outbox` and dating messages by `clock`. Reads the webhook's token file, if any.
    pub fn new(config: &NotifierConfig, outbox: Arc<dyn OutboxStore>, clock: SharedClock) -> Result<Self, NotifyError> {
        let sms = match config.sms {
            SmsRoute::Outbox => Route::Outbox,
            SmsRoute::Webhook => Route::Webhook(Arc::new(Webhook::new(config)?)),
        };
        Ok(Self { sms, outbox, clock })
    }

    /// Sends one SMS text to `to` (an E.164 number like +420601123456); `Ok` once the outbox
    /// holds it or the gateway answered 2xx.
    pub async fn send_sms(&self, to: &str, text: &str) -> Result<(), NotifyError> {
        if !is_e164(to) {
            return Err(NotifyError::BadRecipient);
        }
        match &self.sms {
            Route::Outbox => self.to_outbox(Channel::Sms, to, None, text).await,
            Route::Webhook(webhook) => webhook.send(to, text).await,
        }
    }

    async fn to_outbox(
        &self,
        channel: Channel,
        to: &str,
        subject: Option<&str>,
        body: &str,
    ) -> Result<(), NotifyError> {
        let now = self.clock.now();
        let message = Message {
            id: message_id(now),
            channel,
            to: to.to_owned(),
            subject: subject.map(str::to_owned),
            body: body.to_owned(),
            created_at: now,
        };
        self.outbox.push(&message).await?;
        Ok(())
    }
}

impl Webhook {
    fn new(config: &NotifierConfig) -> Result<Self, NotifyError> {
        let setup = |text: String| NotifyError::Setup(text);
        let url = config.sms_webhook_url.as_deref().ok_or_else(|| setup("sms = \"webhook\" needs a URL".into()))?;
        let url = url::Url::parse(url).map_err(|_| setup("notifier.sms_webhook_url is not a URL".into()))?;
        let token = match (&config.sms_webhook_token, &config.sms_webhook_token_file) {
            (Some(token), _) => Some(token.clone()),
            (None, Some(file)) => {
                let text = std::fs::read_to_string(file)
                    .map_err(|e| setup(format!("reading notifier.sms_webhook_token_file {}: {e}", file.display())))?;
                let token = text.trim();
                if token.is_empty() {
                    return Err(setup(format!("notifier.sms_webhook_token_file {} is empty", file.display())));
                }
                Some(Secret::new(token))
            }
            (None, None) => None,
        };
        let http = reqwest::Client::builder()
            .timeout(WEBHOOK_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("identita/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| setup(format!("the SMS gateway's HTTP client: {e}")))?;
        Ok(Self { url, token, http })
    }

    async fn send(&self, to: &str, text: &str) -> Result<(), NotifyError> {
        let mut request = self.http.post(self.url.clone()).json(&serde_json::json!({ "to": to, "text": text }));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token.expose());
        }
        let response = request.send().await.map_err(|e| NotifyError::Unreachable(describe(e)))?;
        let status = response.status();
        if status.is_success() { Ok(()) } else { Err(NotifyError::Rejected(status.as_u16())) }
    }
}

/// A failed request's error and its causes, without the URL (its query may hold a key).
fn describe(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut text = error.to_string();
    let mut cause = std::error::Error::source(&error);
    while let Some(e) = cause {
        text = format!("{text}: {e}");
        cause = e.source();
    }
    text
}

/// `+`, then 7 to 15 digits, the first not 0 (ITU-T E.164).
fn is_e164(number: &str) -> bool {
    number.strip_prefix('+').is_some_and(|digits| {
        (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0')
    })
}

/// A fresh message id that sorts by when it was made: `now`, then a count kept by this process
/// (two messages of one second stay in order), then random bits (ids of several nodes differ).
fn message_id(now: crate::clock::Timestamp) -> String {
    static SENT: AtomicU32 = AtomicU32::new(0);
    let count = SENT.fetch_add(1, Ordering::Relaxed);
    format!("{:010x}{count:08x}{}", now.max(0), crate::secret::random_token(9))
}
