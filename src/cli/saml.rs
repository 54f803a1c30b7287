//! `identita saml sp add|list|remove`: the SAML service providers of a face that serves SAML
//! (the one of `--face`, else the only such face), registered from their metadata. An SP is
//! registered at one face and found only there.

use std::path::PathBuf;

use clap::Subcommand;
use serde_json::{Value, json};

use super::{CliError, print};
use crate::model::ServiceProvider;
use crate::oidc::Provider;
use crate::saml::{metadata_url, sp_metadata};

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
    let tag = face.persona.face.as_deref();
    let SamlCommand::Sp(command) = command;
    match command {
        SpCommand::Add { metadata, metadata_url, name } => {
            let xml = match (metadata, metadata_url) {
                (Some(file), _) => {
                    std::fs::read_to_string(&file).map_err(|e| CliError(format!("reading {}: {e}", file.display())))?
                }
                (None, Some(url)) => metadata_url::fetch(&url).await.map_err(|e| CliError(e.to_string()))?,
                (None, None) => return Err(CliError::new("--metadata or --metadata-url names the SP's metadata")),
            };
            let profile = face.persona.saml.map(|s| s.profile).unwrap_or(crate::persona::SamlProfile::EIDAS);
            let sp = sp_metadata::parse_for(&profile, &xml, tag, name.as_deref(), face.now())
                .map_err(|e| CliError(e.to_string()))?;
            face.stores.saml_sps.put(&sp).await?;
            print(&describe(&sp))
        }
        SpCommand::List => {
            let sps = face.stores.saml_sps.list(tag).await?;
            print(&sps.iter().map(describe).collect::<Vec<_>>())
        }
        SpCommand::Remove { entity_id } => {
            if !face.stores.saml_sps.delete(tag, &entity_id).await? {
                return Err(CliError(format!("no service provider {entity_id:?}")));
            }
            print(&json!({ "removed": entity_id }))
        }
    }
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

fn describe(sp: &ServiceProvider) -> Value {
    json!({
        "entity_id": sp.entity_id,
        "face": sp.face,
        "name": sp.name,
        "acs": sp.acs,
        "slo": sp.slo,
        "signing_certificates": sp.signing_certs.len(),
        "encryption_certificates": sp.encryption_certs.len(),
        "sp_type": sp.sp_type,
        "authn_requests_signed": sp.authn_requests_signed,
        "want_assertions_signed": sp.want_assertions_signed,
    })
}
