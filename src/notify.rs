//! The notifier: every message to a person, an SMS text or an e-mail, goes through one
//! [`Notifier`], which sends it where `[notifier]` says (src/config/notifier.rs).
//!
//! - `sms = "outbox"` (the default): the text goes into the outbox ([`OutboxStore`]) and no
//!   further; a developer reads it with `identita outbox` or on the dev landing page. Meant for
//!   development and tests: in production no text would reach a phone (`serve` logs the route).
//! - `sms = "webhook"`: `POST {"to": "+420…", "text": "…"}` as JSON to the SMS gateway's URL,
//!   with the bearer token if one is configured, within [`WEBHOOK_TIMEOUT`]; only a 2xx answer
//!   counts as sent (a redirect is not followed: the token must not go elsewhere). The outbox is
//!   then not written: it would keep every code sent to real people for a day.
//! - `email = "outbox"` (the default): the e-mail goes into the outbox, like a text.
//! - `email = "smtp"`: a plain-text UTF-8 e-mail from `email_from` to the SMTP server of
//!   `smtp_url` ([`SmtpServer`]: TLS, STARTTLS required, or plain text on loopback only), logged
//!   in as `smtp_username` when one is set, within [`SMTP_TIMEOUT`] a step; sent once the server
//!   accepted it for delivery.
//!
//! No error shows the gateway's URL or token or the SMTP password, and nothing here logs a
//! recipient or a text: a text usually carries a one-time code.

#[cfg(test)]
mod tests;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use crate::clock::SharedClock;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::config::{EmailRoute, NotifierConfig, SmsRoute, SmtpSecurity, SmtpServer};
use crate::model::{Channel, Message};
use crate::secret::Secret;
use crate::store::{OutboxStore, StoreError};

/// How long the SMS gateway may take to answer, connecting included.
pub const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(5);

/// How long the SMTP server may take to answer each step of a delivery.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(10);

/// Sends messages to people; cheap to clone.
#[derive(Clone)]
pub struct Notifier {
    sms: Route,
    email: MailRoute,
    outbox: Arc<dyn OutboxStore>,
    clock: SharedClock,
}

#[derive(Clone)]
enum Route {
    Outbox,
    Webhook(Arc<Webhook>),
}

#[derive(Clone)]
enum MailRoute {
    Outbox,
    Smtp(Arc<Smtp>),
}

/// An SMTP server and the sender of every e-mail.
struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
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
    /// The recipient is not an e-mail address.
    #[error("the recipient is not an e-mail address")]
    BadAddress,
    #[error("writing to the outbox: {0}")]
    Outbox(#[from] StoreError),
    /// The gateway did not answer (refused, timed out, TLS failed).
    #[error("the SMS gateway did not answer: {0}")]
    Unreachable(String),
    /// The gateway answered, but not with a 2xx status.
    #[error("the SMS gateway answered HTTP {0}")]
    Rejected(u16),
    /// The SMTP server could not be reached or broke off (refused, timed out, TLS failed,
    /// STARTTLS not offered) or answered with a temporary failure.
    #[error("the SMTP server did not take the e-mail: {0}")]
    MailUnreachable(String),
    /// The SMTP server refused the e-mail for good (a 5xx reply: unknown recipient, login refused).
    #[error("the SMTP server refused the e-mail: {0}")]
    MailRefused(String),
    /// The notifier could not be set up (start-up only).
    #[error("notifier: {0}")]
    Setup(String),
}

impl Notifier {
    /// The notifier `config` describes (validated by `Config::validate`), trusting the CA
    /// certificates of the PEM file `ca_file` (`outbound_ca_file`) besides the usual ones for the
    /// gateway and the SMTP server, keeping its outbox in `outbox` and dating messages by
    /// `clock`. Reads the token and password files, if any.
    pub fn new(
        config: &NotifierConfig,
        ca_file: Option<&Path>,
        outbox: Arc<dyn OutboxStore>,
        clock: SharedClock,
    ) -> Result<Self, NotifyError> {
        let extra_roots = match ca_file {
            Some(file) => std::fs::read(file)
                .map_err(|e| NotifyError::Setup(format!("reading outbound_ca_file {}: {e}", file.display())))?,
            None => Vec::new(),
        };
        let sms = match config.sms {
            SmsRoute::Outbox => Route::Outbox,
            SmsRoute::Webhook => Route::Webhook(Arc::new(Webhook::new(config, &extra_roots)?)),
        };
        let email = match config.email {
            EmailRoute::Outbox => MailRoute::Outbox,
            EmailRoute::Smtp => MailRoute::Smtp(Arc::new(Smtp::new(config, &extra_roots)?)),
        };
        Ok(Self { sms, email, outbox, clock })
    }

    /// Sends one plain-text e-mail to the address `to`; `Ok` once the outbox holds it or the
    /// SMTP server accepted it for delivery.
    pub async fn send_email(&self, to: &str, subject: &str, body: &str) -> Result<(), NotifyError> {
        let address: lettre::Address = to.trim().parse().map_err(|_| NotifyError::BadAddress)?;
        if subject.contains(['\r', '\n']) {
            return Err(NotifyError::Setup("an e-mail subject is one line".into()));
        }
        match &self.email {
            MailRoute::Outbox => self.to_outbox(Channel::Email, address.as_ref(), Some(subject), body).await,
            MailRoute::Smtp(smtp) => smtp.send(address, subject, body).await,
        }
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

impl Smtp {
    /// The server of `config`, trusting the PEM certificates `extra_roots` too.
    fn new(config: &NotifierConfig, extra_roots: &[u8]) -> Result<Self, NotifyError> {
        let setup = |text: String| NotifyError::Setup(text);
        let url = config.smtp_url.as_deref().ok_or_else(|| setup("email = \"smtp\" needs a URL".into()))?;
        let server = SmtpServer::parse(url).map_err(|text| setup(format!("notifier.{text}")))?;
        let from = config.email_from.as_deref().ok_or_else(|| setup("email = \"smtp\" needs email_from".into()))?;
        let from: Mailbox = from.parse().map_err(|_| setup("notifier.email_from is not an address".into()))?;
        let tls = || {
            let mut tls = TlsParameters::builder(server.host.clone());
            if !extra_roots.is_empty() {
                let roots = Certificate::from_pem(extra_roots)
                    .map_err(|e| setup(format!("outbound_ca_file for the SMTP server: {e}")))?;
                tls = tls.add_root_certificate(roots);
            }
            tls.build_rustls().map_err(|e| setup(format!("TLS for the SMTP server {}: {e}", server.host)))
        };
        let tls = match server.security {
            SmtpSecurity::Tls => Tls::Wrapper(tls()?),
            SmtpSecurity::StartTls => Tls::Required(tls()?),
            SmtpSecurity::LoopbackPlain => tls().map(Tls::Opportunistic).unwrap_or(Tls::None),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(server.host.as_str())
            .port(server.port)
            .tls(tls)
            .timeout(Some(SMTP_TIMEOUT));
        if let Some(user) = &config.smtp_username {
            let password = match (&config.smtp_password, &config.smtp_password_file) {
                (Some(password), _) => password.expose().to_owned(),
                (None, Some(file)) => {
                    let text = std::fs::read_to_string(file)
                        .map_err(|e| setup(format!("reading notifier.smtp_password_file {}: {e}", file.display())))?;
                    text.trim().to_owned()
                }
                (None, None) => String::new(),
            };
            builder = builder.credentials(Credentials::new(user.clone(), password));
        }
        Ok(Self { transport: builder.build(), from })
    }

    async fn send(&self, to: lettre::Address, subject: &str, body: &str) -> Result<(), NotifyError> {
        let mail = lettre::Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(None, to))
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_owned())
            .map_err(|e| NotifyError::Setup(format!("building the e-mail: {e}")))?;
        match self.transport.send(mail).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(NotifyError::MailRefused(smtp_reply(&e))),
            Err(e) => Err(NotifyError::MailUnreachable(smtp_reply(&e))),
        }
    }
}

/// An SMTP failure in a line: the reply code when the server gave one, else what broke. Never
/// the password: lettre's errors do not carry it.
fn smtp_reply(error: &lettre::transport::smtp::Error) -> String {
    let mut text = error.to_string();
    let mut cause = std::error::Error::source(error);
    while let Some(e) = cause {
        text = format!("{text}: {e}");
        cause = e.source();
    }
    text
}

impl Webhook {
    /// The gateway of `config`, trusting the PEM certificates `extra_roots` too.
    fn new(config: &NotifierConfig, extra_roots: &[u8]) -> Result<Self, NotifyError> {
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
        let mut http = reqwest::Client::builder()
            .timeout(WEBHOOK_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("identita/", env!("CARGO_PKG_VERSION")));
        if !extra_roots.is_empty() {
            let roots = reqwest::Certificate::from_pem_bundle(extra_roots)
                .map_err(|e| setup(format!("outbound_ca_file for the SMS gateway: {e}")))?;
            http = roots.into_iter().fold(http, |http, root| http.add_root_certificate(root));
        }
        let http = http.build().map_err(|e| setup(format!("the SMS gateway's HTTP client: {e}")))?;
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
