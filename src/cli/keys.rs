//! `identita keys list|rotate`.

use clap::Subcommand;

use super::{CliError, print};
use crate::oidc::Provider;

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// List the keys of the ring with their status.
    List,
    /// Add a new signing key per algorithm; old keys stay published until their tokens expire.
    Rotate,
}

pub fn run(provider: &Provider, cmd: KeysCommand) -> Result<(), CliError> {
    match cmd {
        KeysCommand::List => print(&provider.keys.list()),
        KeysCommand::Rotate => {
            let keys =
                provider.keys.rotate(provider.now(), provider.key_retention()).map_err(|e| CliError(e.to_string()))?;
            print(&keys)
        }
    }
}
