//! `identita client add|list|show|remove`.

use clap::{Args, Subcommand};

use super::{CliError, print};
use crate::oidc::Provider;
use crate::oidc::registration::{self, ClientMetadata};

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Register a client; prints its metadata and, once, its secret.
    Add(AddClient),
    List,
    Show {
        client_id: String,
    },
    Remove {
        client_id: String,
    },
}

#[derive(Debug, Args)]
pub struct AddClient {
    /// The client_id (default: generated).
    #[arg(long)]
    pub id: Option<String>,
    #[arg(long)]
    pub name: Option<String>,
    /// A redirect URI (repeatable).
    #[arg(long = "redirect-uri")]
    pub redirect_uris: Vec<String>,
    /// A post-logout redirect URI (repeatable).
    #[arg(long = "post-logout-redirect-uri")]
    pub post_logout_redirect_uris: Vec<String>,
    /// client_secret_basic (default), client_secret_post, private_key_jwt or none.
    #[arg(long = "auth-method")]
    pub auth_method: Option<String>,
    /// A grant type (repeatable; default authorization_code and refresh_token).
    #[arg(long = "grant-type")]
    pub grant_types: Vec<String>,
    /// A response type (repeatable; default code).
    #[arg(long = "response-type")]
    pub response_types: Vec<String>,
    /// Skip the consent page for this client.
    #[arg(long)]
    pub first_party: bool,
    /// Use this secret instead of a generated one (fixtures and tests only).
    #[arg(long)]
    pub secret: Option<String>,
    /// Any further metadata as a JSON object (RFC 7591 names); the flags above override it.
    #[arg(long)]
    pub metadata: Option<String>,
}

pub async fn run(provider: &Provider, cmd: ClientCommand) -> Result<(), CliError> {
    match cmd {
        ClientCommand::Add(add) => {
            let mut meta: ClientMetadata = match &add.metadata {
                Some(json) => {
                    let super::seed::FixtureClient(meta) =
                        serde_json::from_str(json).map_err(|e| CliError(format!("--metadata: {e}")))?;
                    meta
                }
                None => ClientMetadata::default(),
            };
            if !add.redirect_uris.is_empty() {
                meta.redirect_uris = add.redirect_uris;
            }
            if !add.post_logout_redirect_uris.is_empty() {
                meta.post_logout_redirect_uris = add.post_logout_redirect_uris;
            }
            if !add.grant_types.is_empty() {
                meta.grant_types = Some(add.grant_types);
            } else if meta.grant_types.is_none() {
                meta.grant_types = Some(vec!["authorization_code".into(), "refresh_token".into()]);
            }
            if !add.response_types.is_empty() {
                meta.response_types = Some(add.response_types);
            } else if meta.response_types.is_none()
                && meta.grant_types.iter().flatten().all(|g| g != "authorization_code" && g != "implicit")
            {
                // A client with no grant at the authorization endpoint (client credentials only)
                // has no response type; RFC 7591's default of `code` would ask for redirect URIs.
                meta.response_types = Some(Vec::new());
            }
            meta.token_endpoint_auth_method = add.auth_method.or(meta.token_endpoint_auth_method);
            meta.client_name = add.name.or(meta.client_name);
            meta.first_party = Some(add.first_party || meta.first_party.unwrap_or(false));
            meta.client_secret = add.secret.or(meta.client_secret);
            let id = add.id.or(meta.client_id.take()).unwrap_or_else(|| crate::secret::random_token(16));
            let (client, secret) = registration::build(provider, meta, id, provider.now()).await?;
            provider.stores.clients.insert(&client).await?;
            print(&registration::response(provider, &client, secret.as_deref(), None))
        }
        ClientCommand::List => {
            let clients = provider.stores.clients.list().await?;
            let out: Vec<_> = clients.iter().map(|c| registration::response(provider, c, None, None)).collect();
            print(&out)
        }
        ClientCommand::Show { client_id } => {
            let client = provider
                .stores
                .clients
                .get(&client_id)
                .await?
                .ok_or_else(|| CliError(format!("no client {client_id}")))?;
            print(&registration::response(provider, &client, None, None))
        }
        ClientCommand::Remove { client_id } => {
            if !provider.stores.clients.delete(&client_id).await? {
                return Err(CliError(format!("no client {client_id}")));
            }
            print(&serde_json::json!({ "removed": client_id }))
        }
    }
}
