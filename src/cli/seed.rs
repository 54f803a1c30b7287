//! `identita seed FILE`: clients and users from a TOML or JSON fixture. Seeding is repeatable:
//! a client or user that exists is replaced (a user keeps its id).

use std::path::Path;

use serde::Deserialize;

use super::{CliError, print};
use crate::identity::Profile;
use crate::oidc::Provider;
use crate::oidc::registration::{self, ClientMetadata};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    #[serde(default)]
    pub clients: Vec<ClientMetadata>,
    #[serde(default)]
    pub users: Vec<FixtureUser>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureUser {
    pub username: String,
    pub password: String,
    #[serde(default)]
    pub profile: Profile,
}

pub fn parse(path: &Path) -> Result<Fixture, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| CliError(format!("reading {}: {e}", path.display())))?;
    let is_json = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
    if is_json {
        serde_json::from_str(&text).map_err(|e| CliError(format!("{}: {e}", path.display())))
    } else {
        toml::from_str(&text).map_err(|e| CliError(format!("{}: {e}", path.display())))
    }
}

pub async fn run(provider: &Provider, path: &Path) -> Result<(), CliError> {
    let fixture = parse(path)?;
    let mut clients = Vec::new();
    for meta in fixture.clients {
        let id = meta.client_id.clone().ok_or_else(|| CliError::new("every fixture client needs a client_id"))?;
        let (client, secret) = registration::build(provider, meta, id, provider.now()).await?;
        provider.stores.clients.put(&client).await?;
        clients.push(registration::response(provider, &client, secret.as_deref(), None));
    }
    let mut users = Vec::new();
    for entry in fixture.users {
        match provider.stores.users.find_by_username(&entry.username).await? {
            Some(mut existing) => {
                existing.password_hash =
                    provider.passwords.hash(&entry.password).await.map_err(|e| CliError(e.to_string()))?;
                existing.profile = entry.profile;
                existing.updated_at = provider.now();
                provider.stores.users.update(&existing).await?;
                users.push(existing);
            }
            None => users.push(super::users::create(provider, &entry.username, &entry.password, entry.profile).await?),
        }
    }
    print(&serde_json::json!({ "clients": clients, "users": users }))
}
