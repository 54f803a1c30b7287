//! `[notifier]`: where the messages to people go (see `crate::notify`). By default SMS texts and
//! e-mails go to the outbox a developer reads (`identita outbox`, the dev landing page); in
//! production, texts to an SMS gateway's webhook and e-mails to an SMTP server.
//!
//! ```toml
//! [notifier]
//! sms = "webhook"
//! sms_webhook_url = "https://sms-gateway.example/send"
//! sms_webhook_token_file = "/run/secrets/sms-gateway-token"
//! email = "smtp"
//! smtp_url = "smtps://smtp.example.cz"       # or smtp://smtp.example.cz:587 (STARTTLS required)
//! smtp_username = "identita"
//! smtp_password_file = "/run/secrets/smtp-password"
//! email_from = "Identita <noreply@example.cz>"
//! ```

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::ConfigError;
use crate::secret::Secret;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NotifierConfig {
    /// Where SMS texts go: `outbox` (the default) or `webhook`.
    pub(crate) sms: SmsRoute,
    /// With `sms = "webhook"`: the gateway's URL, `https://…` (or `http://` on loopback), which
    /// gets `POST {"to": "+420…", "text": "…"}` as JSON.
    pub(crate) sms_webhook_url: Option<String>,
    /// A bearer token for the gateway (`Authorization: Bearer …`), best given as
    /// `IDENTITA_NOTIFIER__SMS_WEBHOOK_TOKEN`; never logged.
    #[serde(skip_serializing)]
    pub(crate) sms_webhook_token: Option<Secret>,
    /// Or a file holding the token (surrounding whitespace ignored), read at start.
    pub(crate) sms_webhook_token_file: Option<PathBuf>,
    /// Where e-mails go: `outbox` (the default) or `smtp`.
    pub(crate) email: EmailRoute,
    /// With `email = "smtp"`: the server. `smtps://host[:port]` speaks TLS from the start (port
    /// 465 by default); `smtp://host[:port]` must upgrade with STARTTLS (port 587 by default), and
    /// only a server on loopback may answer in plain text (a local relay, a test server).
    pub(crate) smtp_url: Option<String>,
    /// The user to log in to the SMTP server as, if it wants a login.
    pub(crate) smtp_username: Option<String>,
    /// Its password, best given as `IDENTITA_NOTIFIER__SMTP_PASSWORD`; never logged.
    #[serde(skip_serializing)]
    pub(crate) smtp_password: Option<Secret>,
    /// Or a file holding the password (surrounding whitespace ignored), read at start.
    pub(crate) smtp_password_file: Option<PathBuf>,
    /// The sender of every e-mail, `Name <address>` or an address.
    pub(crate) email_from: Option<String>,
}

/// Where e-mails go.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EmailRoute {
    /// Into the outbox, for a developer to read; no e-mail leaves identita.
    #[default]
    Outbox,
    /// To the SMTP server at `smtp_url`.
    Smtp,
}

impl EmailRoute {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            EmailRoute::Outbox => "outbox",
            EmailRoute::Smtp => "smtp",
        }
    }
}

/// How identita talks to an SMTP server, read from `smtp_url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpServer {
    pub(crate) host: String,
    pub port: u16,
    pub security: SmtpSecurity,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// `smtps://`: TLS from the first byte.
    Tls,
    /// `smtp://` off loopback: STARTTLS, and no mail if the server does not offer it.
    StartTls,
    /// `smtp://` on loopback: STARTTLS when offered, plain text otherwise.
    LoopbackPlain,
}

impl SmtpServer {
    /// The server `url` names, or why it is not one to send people's mail (and a password) to.
    pub fn parse(url: &str) -> Result<SmtpServer, String> {
        let parsed = url::Url::parse(url).map_err(|_| "smtp_url is not a URL".to_owned())?;
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(
                "smtp_url must not hold a user or password: give notifier.smtp_username and smtp_password".into()
            );
        }
        let Some(host) = parsed.host_str().filter(|h| !h.is_empty()) else {
            return Err("smtp_url names no host".into());
        };
        if !matches!(parsed.path(), "" | "/") || parsed.query().is_some() {
            return Err("smtp_url is smtps://host[:port] or smtp://host[:port], with no path or query".into());
        }
        let host = host.trim_start_matches('[').trim_end_matches(']').to_owned();
        // smtp: is not a scheme the URL standard knows, so its host is never parsed as an IP.
        let loopback =
            host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
        let (security, default_port) = match parsed.scheme() {
            "smtps" => (SmtpSecurity::Tls, 465),
            "smtp" if loopback => (SmtpSecurity::LoopbackPlain, 587),
            "smtp" => (SmtpSecurity::StartTls, 587),
            _ => return Err("smtp_url must start with smtps:// or smtp://".into()),
        };
        Ok(SmtpServer { host, port: parsed.port().unwrap_or(default_port), security })
    }
}

/// Where SMS texts go.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmsRoute {
    /// Into the outbox, for a developer to read; no text reaches a phone.
    #[default]
    Outbox,
    /// To the SMS gateway at `sms_webhook_url`.
    Webhook,
}

impl SmsRoute {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            SmsRoute::Outbox => "outbox",
            SmsRoute::Webhook => "webhook",
        }
    }
}

impl NotifierConfig {
    /// The settings fit together and the webhook's URL is one to send a secret to. No message
    /// shows the URL: its query may hold a gateway's key.
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        self.validate_sms()?;
        self.validate_email()
    }

    fn validate_email(&self) -> Result<(), ConfigError> {
        let invalid = |text: &str| Err(ConfigError::Invalid(format!("notifier.{text}")));
        if self.smtp_password.is_some() && self.smtp_password_file.is_some() {
            return invalid("smtp_password and notifier.smtp_password_file: set one of them, not both");
        }
        if (self.smtp_password.is_some() || self.smtp_password_file.is_some()) && self.smtp_username.is_none() {
            return invalid("smtp_password needs notifier.smtp_username");
        }
        if let Some(from) = &self.email_from
            && from.parse::<lettre::message::Mailbox>().is_err()
        {
            return invalid("email_from is not an address (\"Name <noreply@example.cz>\" or \"noreply@example.cz\")");
        }
        let Some(url) = &self.smtp_url else {
            return match self.email {
                EmailRoute::Outbox => Ok(()),
                EmailRoute::Smtp => invalid("email = \"smtp\" needs notifier.smtp_url"),
            };
        };
        if self.email == EmailRoute::Outbox {
            return invalid(
                "smtp_url is set but notifier.email is \"outbox\": set notifier.email = \"smtp\" to send through \
                 it, or remove the URL",
            );
        }
        if self.email_from.is_none() {
            return invalid("email = \"smtp\" needs notifier.email_from, the sender of every e-mail");
        }
        SmtpServer::parse(url).map(|_| ()).map_err(|text| ConfigError::Invalid(format!("notifier.{text}")))
    }

    fn validate_sms(&self) -> Result<(), ConfigError> {
        let invalid = |text: &str| Err(ConfigError::Invalid(format!("notifier.{text}")));
        if self.sms_webhook_token.is_some() && self.sms_webhook_token_file.is_some() {
            return invalid("sms_webhook_token and notifier.sms_webhook_token_file: set one of them, not both");
        }
        let Some(url) = &self.sms_webhook_url else {
            return match self.sms {
                SmsRoute::Outbox => Ok(()),
                SmsRoute::Webhook => invalid("sms = \"webhook\" needs notifier.sms_webhook_url"),
            };
        };
        if self.sms == SmsRoute::Outbox {
            return invalid(
                "sms_webhook_url is set but notifier.sms is \"outbox\": set notifier.sms = \"webhook\" to send \
                 through it, or remove the URL",
            );
        }
        let Ok(parsed) = url::Url::parse(url) else {
            return invalid("sms_webhook_url is not a URL");
        };
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return invalid("sms_webhook_url must not hold a user or password: give notifier.sms_webhook_token");
        }
        match parsed.scheme() {
            "https" if parsed.host().is_some() => Ok(()),
            "http" if on_loopback(&parsed) => Ok(()),
            "http" => invalid("sms_webhook_url must be https (http only on loopback: 127.0.0.1, [::1], localhost)"),
            _ => invalid("sms_webhook_url must be an https URL"),
        }
    }
}

fn on_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn webhook(url: &str) -> NotifierConfig {
        NotifierConfig { sms: SmsRoute::Webhook, sms_webhook_url: Some(url.into()), ..NotifierConfig::default() }
    }

    #[test]
    fn the_outbox_is_the_default() {
        let config = NotifierConfig::default();
        assert_eq!(config.sms, SmsRoute::Outbox);
        config.validate().unwrap();
    }

    #[test]
    fn a_webhook_is_https_or_on_loopback_and_named_without_its_url() {
        for good in
            ["https://sms.example/send?key=k3y", "http://127.0.0.1:9000/sms", "http://[::1]/", "http://localhost/"]
        {
            webhook(good).validate().unwrap_or_else(|e| panic!("{good}: {e}"));
        }
        for bad in [
            "http://sms.example/send?key=k3y",
            "ftp://sms.example/k3y",
            "https://user:k3y@sms.example/",
            "k3y",
            "http://10.0.0.1/k3y",
        ] {
            let err = webhook(bad).validate().unwrap_err().to_string();
            assert!(err.contains("notifier.sms_webhook_url") && !err.contains("k3y"), "{bad}: {err}");
        }
    }

    #[test]
    fn settings_that_do_not_fit_together_are_refused() {
        let no_url = NotifierConfig { sms: SmsRoute::Webhook, ..NotifierConfig::default() };
        assert!(no_url.validate().unwrap_err().to_string().contains("needs notifier.sms_webhook_url"));
        let forgotten = NotifierConfig { sms_webhook_url: Some("https://sms.example/".into()), ..Default::default() };
        assert!(forgotten.validate().unwrap_err().to_string().contains("notifier.sms = \"webhook\""));
        let both = NotifierConfig {
            sms_webhook_token: Some(Secret::new("t")),
            sms_webhook_token_file: Some("token".into()),
            ..webhook("https://sms.example/")
        };
        assert!(both.validate().unwrap_err().to_string().contains("not both"));
    }

    #[test]
    fn an_smtp_server_speaks_tls_or_starttls_and_plain_text_only_on_loopback() {
        let parse = |url: &str| SmtpServer::parse(url).map(|s| (s.host, s.port, s.security));
        assert_eq!(parse("smtps://smtp.example.cz"), Ok(("smtp.example.cz".into(), 465, SmtpSecurity::Tls)));
        assert_eq!(parse("smtp://smtp.example.cz"), Ok(("smtp.example.cz".into(), 587, SmtpSecurity::StartTls)));
        assert_eq!(parse("smtp://10.0.0.1:25"), Ok(("10.0.0.1".into(), 25, SmtpSecurity::StartTls)));
        for local in ["smtp://127.0.0.1:2525", "smtp://localhost:2525", "smtp://[::1]:2525"] {
            assert_eq!(parse(local).unwrap().2, SmtpSecurity::LoopbackPlain, "{local}");
        }
        assert_eq!(parse("smtps://127.0.0.1:2465").unwrap().2, SmtpSecurity::Tls);
        for bad in
            ["http://smtp.example.cz", "smtp://u:p@smtp.example.cz", "smtp://smtp.example.cz/x", "smtp://h?tls=no"]
        {
            let error = parse(bad).unwrap_err();
            assert!(!error.contains(":p@"), "{bad}: {error}");
        }
    }

    #[test]
    fn email_settings_that_do_not_fit_together_are_refused() {
        let smtp = |url: Option<&str>, from: Option<&str>| NotifierConfig {
            email: EmailRoute::Smtp,
            smtp_url: url.map(str::to_owned),
            email_from: from.map(str::to_owned),
            ..NotifierConfig::default()
        };
        smtp(Some("smtps://smtp.example.cz"), Some("Identita <noreply@example.cz>")).validate().unwrap();
        let error = |config: NotifierConfig| config.validate().unwrap_err().to_string();
        assert!(error(smtp(None, Some("a@example.cz"))).contains("needs notifier.smtp_url"));
        assert!(error(smtp(Some("smtps://smtp.example.cz"), None)).contains("needs notifier.email_from"));
        assert!(error(smtp(Some("smtps://smtp.example.cz"), Some("nobody"))).contains("email_from is not an address"));
        let forgotten = NotifierConfig { smtp_url: Some("smtps://smtp.example.cz".into()), ..Default::default() };
        assert!(error(forgotten).contains("notifier.email = \"smtp\""));
        let no_user = NotifierConfig {
            smtp_password: Some(Secret::new("pw")),
            ..smtp(Some("smtps://smtp.example.cz"), Some("a@example.cz"))
        };
        assert!(error(no_user).contains("needs notifier.smtp_username"));
    }

    #[test]
    fn the_token_is_read_but_never_shown() {
        use figment::providers::{Format, Serialized, Toml};
        let settings = "[notifier]\nsms = \"webhook\"\nsms_webhook_url = \"https://sms.example/\"\nsms_webhook_token = \"s3cret\"\n";
        let config: super::super::Config =
            figment::Figment::from(Serialized::defaults(super::super::Config::default()))
                .merge(Toml::string(settings))
                .extract()
                .unwrap();
        assert_eq!(config.notifier.sms_webhook_token.as_ref().map(Secret::expose), Some("s3cret"));
        assert!(!format!("{config:?}").contains("s3cret"));
    }
}
