//! `identita saml sp add|list|remove`: the SAML service providers of a face that serves SAML
//! (the one of `--face`, else the primary face when it serves SAML, else the only such face),
//! registered from their metadata: the operator acts as an administrator through
//! `saml::registration`, as the admin API does. An SP is registered at one face and found only there.

use std::path::PathBuf;

use clap::Subcommand;
use serde_json::json;

use super::{CliError, print};
use crate::oidc::Provider;
use crate::saml::registration::{self, Source, SpError};

#[derive(Debug, Subcommand)]
pub enum SamlCommand {
    /// Service providers.
    #[command(subcommand)]
    Sp(SpCommand),
}

#[derive(Debug, Subcommand)]
pub enum SpCommand {
    /// Register a service provider from its metadata (replacing one with the same entityID).
    Add {
        /// The SP's metadata (an `EntityDescriptor` with an `SPSSODescriptor`).
        #[arg(long, value_name = "FILE", required_unless_present = "metadata_url", conflicts_with = "metadata_url")]
        metadata: Option<PathBuf>,
        /// The URL the SP publishes its metadata at: https, or http to this machine only; at
        /// most 512 KiB, within 10 s.
        #[arg(long, value_name = "URL")]
        metadata_url: Option<String>,
        /// A name to show people on the login pages.
        #[arg(long)]
        name: Option<String>,
    },
    List,
    Remove {
        entity_id: String,
    },
}

pub(crate) async fn run(provider: &Provider, acting: &Provider, command: SamlCommand) -> Result<(), CliError> {
    let face = serving(provider, acting)?;
    let operator = super::audit::operator_actor();
    let SamlCommand::Sp(command) = command;
    match command {
        SpCommand::Add { metadata, metadata_url, name } => {
            let source = match (metadata, metadata_url) {
                (Some(file), _) => Source::Document(
                    std::fs::read_to_string(&file).map_err(|e| CliError(format!("reading {}: {e}", file.display())))?,
                ),
                (None, Some(url)) => Source::Url(url),
                (None, None) => return Err(CliError::new("--metadata or --metadata-url names the SP's metadata")),
            };
            let sp = registration::add(face, &operator, source, name.as_deref()).await.map_err(refused)?;
            print(&registration::describe(&sp))
        }
        SpCommand::List => {
            let sps = registration::list(face, &operator).await.map_err(refused)?;
            print(&sps.iter().map(registration::describe).collect::<Vec<_>>())
        }
        SpCommand::Remove { entity_id } => {
            registration::remove(face, &operator, &entity_id).await.map_err(refused)?;
            print(&json!({ "removed": entity_id }))
        }
    }
}

fn refused(error: SpError) -> CliError {
    CliError(error.to_string())
}

/// The face the command acts on: `--face`'s, else the primary face (as for every command) when
/// it serves SAML, else the one face that does; an error names the faces that do.
fn serving<'a>(provider: &'a Provider, acting: &'a Provider) -> Result<&'a Provider, CliError> {
    if acting.persona.saml.is_some() {
        return Ok(acting);
    }
    let all = std::iter::once(provider).chain(provider.faces.iter());
    let serving: Vec<&Provider> = all.filter(|f| f.persona.saml.is_some()).collect();
    let names = serving.iter().filter_map(|f| f.persona.face.as_deref()).collect::<Vec<_>>().join(", ");
    match (serving.as_slice(), acting.persona.face.is_some()) {
        (_, true) => Err(CliError(format!("--face: this face serves no SAML (the faces that do: {names})"))),
        ([face], false) => Ok(face),
        ([], false) => Err(CliError::new("no face serves SAML; a face of the standard or the nia persona does")),
        (_, false) => Err(CliError(format!("several faces serve SAML ({names}); choose one with --face"))),
    }
}
