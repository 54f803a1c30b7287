//! `[notifier]`: where the messages to people go (see `crate::notify`). By default SMS texts go
//! to the outbox a developer reads (`identita outbox`, the dev landing page); in production, to
//! an SMS gateway's webhook.
//!
//! ```toml
//! [notifier]
//! sms = "webhook"
//! sms_webhook_url = "https://sms-gateway.example/send"
//! sms_webhook_token_file = "/run/secrets/sms-gateway-token"
//! ```

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::ConfigError;
use crate::secret::Secret;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NotifierConfig {
    /// Where SMS texts go: `outbox` (the default) or `webhook`.
    pub sms: SmsRoute,
    /// With `sms = "webhook"`: the gateway's URL, `https://…` (or `http://` on loopback), which
    /// gets `POST {"to": "+420…", "text": "…"}` as JSON.
    pub sms_webhook_url: Option<String>,
    /// A bearer token for the gateway (`Authorization: Bearer …`), best given as
    /// `IDENTITA_NOTIFIER__SMS_WEBHOOK_TOKEN`; never logged.
    #[serde(skip_serializing)]
    pub sms_webhook_token: Option<Secret>,
    /// Or a file holding the token (surrounding whitespace ignored), read at start.
    pub sms_webhook_token_file: Option<PathBuf>,
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
    pub fn as_str(self) -> &'static str {
        match self {
            SmsRoute::Outbox => "outbox",
            SmsRoute::Webhook => "webhook",
        }
    }
}

impl NotifierConfig {
    /// The settings fit together and the webhook's URL is one to send a secret to. No message
    /// shows the URL: its query may hold a gateway's key.
    pub fn validate(&self) -> Result<(), ConfigError> {
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
