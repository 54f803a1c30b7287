//! `identita client add|update|list|show|remove`.

use clap::{Args, Subcommand};

use super::{CliError, print};
use crate::oidc::Provider;
use crate::oidc::registration::{self, ClientMetadata};

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Register a client; prints its metadata and, once, its secret.
    Add(AddClient),
    /// Change a client: the flags given replace those fields, the rest stay; the secret stays
    /// unless --secret or --rotate-secret is given (a new one is printed, once).
    Update(UpdateClient),
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
    /// Encrypt its ID tokens with this JWE alg (RSA-OAEP, RSA-OAEP-256 or ECDH-ES), to a key of
    /// its jwks or jwks_uri (given with --metadata).
    #[arg(long = "id-token-encrypted-response-alg", value_name = "ALG")]
    pub id_token_encrypted_response_alg: Option<String>,
    /// The JWE enc of its encrypted ID tokens (default A128CBC-HS256; also A256CBC-HS512, A128GCM,
    /// A256GCM).
    #[arg(long = "id-token-encrypted-response-enc", value_name = "ENC")]
    pub id_token_encrypted_response_enc: Option<String>,
    /// Its public keys (a JWK Set file): for encrypting its ID tokens, or for private_key_jwt.
    #[arg(long = "jwks-file", value_name = "FILE")]
    pub jwks_file: Option<std::path::PathBuf>,
    /// Skip the consent page for this client.
    #[arg(long)]
    pub first_party: bool,
    /// mojeID's full access: the client also receives `mojeid_valid` and `mojeid_status`.
    #[arg(long)]
    pub full_access: bool,
    /// Use this secret instead of a generated one (fixtures and tests only).
    #[arg(long)]
    pub secret: Option<String>,
    /// Any further metadata as a JSON object (RFC 7591 names); the flags above override it.
    #[arg(long)]
    pub metadata: Option<String>,
}

#[derive(Debug, Args)]
pub struct UpdateClient {
    pub client_id: String,
    #[arg(long)]
    pub name: Option<String>,
    /// A redirect URI (repeatable); the ones given replace the stored list.
    #[arg(long = "redirect-uri")]
    pub redirect_uris: Vec<String>,
    /// A post-logout redirect URI (repeatable); the ones given replace the stored list.
    #[arg(long = "post-logout-redirect-uri")]
    pub post_logout_redirect_uris: Vec<String>,
    /// client_secret_basic, client_secret_post, private_key_jwt or none.
    #[arg(long = "auth-method")]
    pub auth_method: Option<String>,
    /// A grant type (repeatable); the ones given replace the stored list.
    #[arg(long = "grant-type")]
    pub grant_types: Vec<String>,
    /// A response type (repeatable); the ones given replace the stored list.
    #[arg(long = "response-type")]
    pub response_types: Vec<String>,
    /// Encrypt its ID tokens with this JWE alg (RSA-OAEP, RSA-OAEP-256 or ECDH-ES) to a key of
    /// its jwks or jwks_uri; an empty value turns encryption off.
    #[arg(long = "id-token-encrypted-response-alg", value_name = "ALG")]
    pub id_token_encrypted_response_alg: Option<String>,
    /// The JWE enc of its encrypted ID tokens; an empty value goes back to the default
    /// (A128CBC-HS256).
    #[arg(long = "id-token-encrypted-response-enc", value_name = "ENC")]
    pub id_token_encrypted_response_enc: Option<String>,
    /// Whether the client skips the consent page.
    #[arg(long, value_name = "true|false")]
    pub first_party: Option<bool>,
    /// Whether the client has mojeID's full access (`mojeid_valid`, `mojeid_status`).
    #[arg(long, value_name = "true|false")]
    pub full_access: Option<bool>,
    /// Use this secret from now on (fixtures and tests only).
    #[arg(long, conflicts_with = "rotate_secret")]
    pub secret: Option<String>,
    /// Generate a new secret; the old one stops working at once.
    #[arg(long)]
    pub rotate_secret: bool,
    /// Further metadata as a JSON object (RFC 7591 names), merged over the stored metadata; the
    /// flags above override it.
    #[arg(long)]
    pub metadata: Option<String>,
}

/// The metadata a stored client was registered with, as `client add` takes it.
fn metadata_of(client: &crate::model::Client) -> Result<serde_json::Map<String, serde_json::Value>, CliError> {
    let known = match serde_json::to_value(ClientMetadata::default()) {
        Ok(serde_json::Value::Object(known)) => known,
        _ => serde_json::Map::new(),
    };
    let serde_json::Value::Object(mut stored) =
        serde_json::to_value(client).map_err(|e| CliError(format!("reading client {}: {e}", client.client_id)))?
    else {
        return Err(CliError(format!("client {} is not stored as an object", client.client_id)));
    };
    stored.retain(|key, value| known.contains_key(key) && !value.is_null());
    Ok(stored)
}

async fn update(provider: &Provider, update: UpdateClient) -> Result<(), CliError> {
    let id = update.client_id;
    let old = provider.stores.clients.get(&id).await?.ok_or_else(|| CliError(format!("there is no client {id:?}")))?;
    let mut members = metadata_of(&old)?;
    if let Some(json) = &update.metadata {
        let serde_json::Value::Object(extra) =
            serde_json::from_str(json).map_err(|e| CliError(format!("--metadata: {e}")))?
        else {
            return Err(CliError::new("--metadata must be a JSON object"));
        };
        if extra.get("client_id").is_some_and(|v| v.as_str() != Some(id.as_str())) {
            return Err(CliError::new("--metadata cannot change the client_id; add a new client instead"));
        }
        members.extend(extra);
    }
    let super::seed::FixtureClient(mut meta) =
        serde_json::from_value(serde_json::Value::Object(members)).map_err(|e| CliError(format!("--metadata: {e}")))?;
    if !update.redirect_uris.is_empty() {
        meta.redirect_uris = update.redirect_uris;
    }
    if !update.post_logout_redirect_uris.is_empty() {
        meta.post_logout_redirect_uris = update.post_logout_redirect_uris;
    }
    if !update.grant_types.is_empty() {
        meta.grant_types = Some(update.grant_types);
    }
    if !update.response_types.is_empty() {
        meta.response_types = Some(update.response_types);
    }
    match update.id_token_encrypted_response_alg {
        // An empty value turns encryption off, and takes the stored enc with it.
        Some(alg) if alg.is_empty() => {
            meta.id_token_encrypted_response_alg = None;
            meta.id_token_encrypted_response_enc = None;
        }
        Some(alg) => meta.id_token_encrypted_response_alg = Some(alg),
        None => {}
    }
    if let Some(enc) = update.id_token_encrypted_response_enc {
        meta.id_token_encrypted_response_enc = Some(enc).filter(|enc| !enc.is_empty());
    }
    meta.token_endpoint_auth_method = update.auth_method.or(meta.token_endpoint_auth_method);
    meta.client_name = update.name.or(meta.client_name);
    meta.first_party = update.first_party.or(meta.first_party);
    meta.full_access = update.full_access.or(meta.full_access);
    let new_secret = update.rotate_secret || update.secret.is_some();
    meta.client_secret = update.secret;
    let (mut client, secret) = registration::build(provider, meta, id.clone(), provider.now()).await?;
    if client.sector_identifier != old.sector_identifier && client.subject_type == crate::model::SubjectType::Pairwise {
        return Err(CliError(format!(
            "client {id:?} is pairwise: moving its redirect URIs from {:?} to {:?} would change every              `sub` it has been given; set a sector_identifier_uri that lists them",
            old.sector_identifier.as_deref().unwrap_or(""),
            client.sector_identifier.as_deref().unwrap_or("")
        )));
    }
    // The secret stays unless a new one was asked for (or the client had none before).
    let keep = !new_secret && client.secret_digest.is_some() && old.secret_digest.is_some();
    let secret = if keep {
        client.secret_digest.clone_from(&old.secret_digest);
        None
    } else {
        secret
    };
    client.created_at = old.created_at;
    client.registration_token_digest.clone_from(&old.registration_token_digest);
    provider.stores.clients.put(&client).await?;
    print(&registration::response(provider, &client, secret.as_deref(), None))
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
            if let Some(file) = &add.jwks_file {
                let text = std::fs::read_to_string(file)
                    .map_err(|e| CliError(format!("--jwks-file {}: {e}", file.display())))?;
                let jwks = serde_json::from_str(&text)
                    .map_err(|e| CliError(format!("--jwks-file {}: not JSON: {e}", file.display())))?;
                meta.jwks = Some(jwks);
            }
            meta.id_token_encrypted_response_alg =
                add.id_token_encrypted_response_alg.or(meta.id_token_encrypted_response_alg);
            meta.id_token_encrypted_response_enc =
                add.id_token_encrypted_response_enc.or(meta.id_token_encrypted_response_enc);
            meta.token_endpoint_auth_method = add.auth_method.or(meta.token_endpoint_auth_method);
            meta.client_name = add.name.or(meta.client_name);
            meta.first_party = Some(add.first_party || meta.first_party.unwrap_or(false));
            meta.full_access = Some(add.full_access || meta.full_access.unwrap_or(false));
            meta.client_secret = add.secret.or(meta.client_secret);
            let id = add.id.or(meta.client_id.take()).unwrap_or_else(|| crate::secret::random_token(16));
            if provider.stores.clients.get(&id).await?.is_some() {
                return Err(duplicate(&id));
            }
            let (client, secret) = registration::build(provider, meta, id.clone(), provider.now()).await?;
            provider.stores.clients.insert(&client).await.map_err(|e| match e {
                crate::store::StoreError::Conflict(_) => duplicate(&id),
                other => other.into(),
            })?;
            print(&registration::response(provider, &client, secret.as_deref(), None))
        }
        ClientCommand::Update(cmd) => update(provider, cmd).await,
        ClientCommand::List => {
            let clients = provider.stores.clients.list().await?;
            let out: Vec<_> = clients
                .iter()
                .filter(|c| provider.owns(c.face.as_deref()))
                .map(|c| registration::response(provider, c, None, None))
                .collect();
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

fn duplicate(id: &str) -> CliError {
    CliError(format!(
        "there is already a client {id:?}: change it with `identita client update {id}`, or remove it first"
    ))
}
