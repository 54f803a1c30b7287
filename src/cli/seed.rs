//! `identita seed FILE`: clients and users from a TOML or JSON fixture. Seeding is repeatable:
//! a client or user that exists is replaced (a user keeps its id).

use std::path::Path;

use serde::Deserialize;

use super::{CliError, print};
use crate::authn::Authn;
use crate::model::Profile;
use crate::oidc::Provider;
use crate::oidc::registration::{self, ClientMetadata};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    #[serde(default)]
    pub clients: Vec<FixtureClient>,
    #[serde(default)]
    pub users: Vec<FixtureUser>,
}

/// RFC 7591 metadata, but a member this provider does not know is an error here (a registration
/// request ignores it): in a fixture it is a typo, and a silently dropped setting.
#[derive(Debug)]
pub struct FixtureClient(pub ClientMetadata);

impl<'de> Deserialize<'de> for FixtureClient {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let members = serde_json::Map::<String, serde_json::Value>::deserialize(deserializer)?;
        let known = match serde_json::to_value(ClientMetadata::default()) {
            Ok(serde_json::Value::Object(known)) => known,
            _ => serde_json::Map::new(),
        };
        if let Some(unknown) = members.keys().find(|k| !known.contains_key(*k)) {
            return Err(D::Error::custom(format!("unknown client field `{unknown}`")));
        }
        serde_json::from_value(serde_json::Value::Object(members)).map(Self).map_err(D::Error::custom)
    }
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
    parse_text(&text, is_json).map_err(|e| CliError(format!("{}: {e}", path.display())))
}

/// A fixture from its text, JSON or TOML.
pub fn parse_text(text: &str, is_json: bool) -> Result<Fixture, String> {
    if is_json {
        serde_json::from_str(text).map_err(|e| e.to_string())
    } else {
        toml::from_str(text).map_err(|e| e.to_string())
    }
}

pub async fn run(provider: &Provider, authn: &Authn, path: &Path) -> Result<(), CliError> {
    let fixture = parse(path)?;
    let mut clients = Vec::new();
    for FixtureClient(meta) in fixture.clients {
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
                    authn.passwords.hash(&entry.password).await.map_err(|e| CliError(e.to_string()))?;
                existing.profile = entry.profile;
                existing.updated_at = provider.now();
                provider.stores.users.update(&existing).await?;
                users.push(existing);
            }
            None => users
                .push(super::users::create(provider, authn, &entry.username, &entry.password, entry.profile).await?),
        }
    }
    print(&serde_json::json!({ "clients": clients, "users": users }))
}
