//! `identita notify`: send one test message through `[notifier]`, the way identita sends codes
//! to citizens, to check an SMTP server's or an SMS gateway's settings before a citizen depends
//! on them (Keycloak's "test connection" of its e-mail settings, from the command line).

use clap::Subcommand;

use super::{CliError, print};
use crate::authn::Authn;

#[derive(Debug, Subcommand)]
pub enum NotifyCommand {
    /// Send a test e-mail (`notifier.email`: the outbox or the SMTP server).
    Email {
        /// The recipient's address.
        to: String,
        #[arg(long, default_value = "identita: zkušební e-mail / test e-mail")]
        subject: String,
        #[arg(
            long,
            default_value = "Tento e-mail poslala identita na zkoušku.\nThis e-mail is a test sent by identita."
        )]
        text: String,
    },
    /// Send a test SMS text (`notifier.sms`: the outbox or the gateway's webhook).
    Sms {
        /// The recipient's number in E.164 form, such as +420601123456.
        to: String,
        #[arg(long, default_value = "identita: zkušební SMS / test text")]
        text: String,
    },
}

pub async fn run(authn: &Authn, command: NotifyCommand) -> Result<(), CliError> {
    let notifier = &authn.notifier;
    let (channel, to, sent) = match command {
        NotifyCommand::Email { to, subject, text } => {
            let sent = notifier.send_email(&to, &subject, &text).await;
            ("email", to, sent)
        }
        NotifyCommand::Sms { to, text } => {
            let sent = notifier.send_sms(&to, &text).await;
            ("sms", to, sent)
        }
    };
    sent.map_err(|e| CliError(e.to_string()))?;
    print(&serde_json::json!({ "sent": channel, "to": to }))
}
