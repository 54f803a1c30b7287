//! `identita outbox`: the newest messages the notifier put in the outbox (`[notifier] sms =
//! "outbox"` and `email = "outbox"`, the defaults), for a developer: the SMS code of a test
//! login, say. One message a line (time, channel, recipient, text); `--json` prints them as one
//! JSON array, as `GET /dev/outbox` answers, for scripts.

use std::fmt::Write as _;

use clap::Args;

use super::{CliError, print};
use crate::config::{EmailRoute, SmsRoute};
use crate::dev::SentMessage;
use crate::oidc::Provider;

#[derive(Debug, Args)]
pub struct OutboxArgs {
    /// Only the messages to this recipient (an E.164 number such as +420601123456, or an e-mail
    /// address).
    #[arg(long)]
    to: Option<String>,
    /// At most this many, the newest.
    #[arg(long, default_value_t = 20)]
    limit: usize,
    /// One JSON array (`channel`, `to`, `subject`, `body`, `created_at`), newest first.
    #[arg(long)]
    json: bool,
}

pub async fn run(provider: &Provider, args: OutboxArgs) -> Result<(), CliError> {
    if provider.config.notifier.sms == SmsRoute::Webhook {
        eprintln!("identita: notifier.sms is \"webhook\": SMS texts go to the gateway, not to this outbox");
    }
    if provider.config.notifier.email == EmailRoute::Smtp {
        eprintln!("identita: notifier.email is \"smtp\": e-mails go to the SMTP server, not to this outbox");
    }
    let messages = provider.stores.outbox.recent(args.to.as_deref(), args.limit).await?;
    let messages: Vec<SentMessage> = messages.into_iter().map(SentMessage::from).collect();
    if args.json {
        return print(&messages);
    }
    if messages.is_empty() {
        eprintln!("identita: the outbox holds no message{}", args.to.map(|to| format!(" to {to}")).unwrap_or_default());
    }
    print!("{}", lines(&messages));
    Ok(())
}

/// Each message on a line of its own: time, channel, recipient, then its subject and text; a
/// text of several lines goes on under the first, indented.
fn lines(messages: &[SentMessage]) -> String {
    let mut out = String::new();
    for message in messages {
        let text = match &message.subject {
            Some(subject) => format!("{subject}\n{}", message.body),
            None => message.body.clone(),
        };
        let text = text.lines().collect::<Vec<_>>().join("\n    ");
        let _ = writeln!(out, "{}  {}  {}  {text}", message.sent_at(), message.channel.as_str(), message.to);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Channel;

    #[test]
    fn one_line_a_message_and_more_lines_indented() {
        let sms = SentMessage {
            channel: Channel::Sms,
            to: "+420601123456".into(),
            subject: None,
            body: "Kód 123456".into(),
            created_at: 1_796_320_638,
        };
        let mail = SentMessage {
            channel: Channel::Email,
            to: "jana@example.cz".into(),
            subject: Some("Přihlášení".into()),
            body: "Dobrý den,\nkód je 654321.".into(),
            created_at: 1_796_320_638,
        };
        assert_eq!(
            lines(&[sms, mail]),
            "2026-12-03 17:57:18 UTC  sms  +420601123456  Kód 123456\n\
             2026-12-03 17:57:18 UTC  email  jana@example.cz  Přihlášení\n    Dobrý den,\n    kód je 654321.\n"
        );
    }
}
