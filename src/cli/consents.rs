//! `identita consent reset`: forget what a person agreed to share, so that the consent page is
//! shown again at their next login to that client (or to every client).

use clap::Subcommand;

use super::{CliError, print};
use crate::oidc::Provider;

#[derive(Debug, Subcommand)]
pub enum ConsentCommand {
    /// Forget the user's consents: to one client with --client, else to every client.
    Reset {
        /// The username.
        #[arg(long)]
        user: String,
        /// The client_id (default: every client).
        #[arg(long)]
        client: Option<String>,
    },
}

pub async fn run(provider: &Provider, cmd: ConsentCommand) -> Result<(), CliError> {
    match cmd {
        ConsentCommand::Reset { user, client } => {
            let account = super::users::find(provider, &user).await?;
            let reset = match client {
                Some(client_id) => {
                    if provider.stores.clients.get(&client_id).await?.is_none() {
                        return Err(CliError(format!("there is no client {client_id:?}")));
                    }
                    let had = provider.stores.consents.get(&account.id, &client_id).await?.is_some();
                    provider.stores.consents.revoke(&account.id, &client_id).await?;
                    if had { vec![client_id] } else { Vec::new() }
                }
                None => provider.stores.consents.revoke_all(&account.id).await?,
            };
            print(&serde_json::json!({ "username": account.username, "consents_reset": reset }))
        }
    }
}
