//! `identita seed FILE`: clients and users from a TOML or JSON fixture. Seeding is repeatable:
//! a client or user that exists is replaced (a user keeps its id).

use std::path::Path;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::{CliError, print};
use crate::authn::Authn;
use crate::model::{Client, Profile};
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
    /// The id of the person of the register (`identita registry`) the account belongs to.
    #[serde(default)]
    pub person: Option<String>,
}

/// The fixture kinds `seed` reads, by file extension.
const KINDS: &str = ".toml or .json";

pub fn parse(path: &Path) -> Result<Fixture, CliError> {
    let extension = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    let is_json = match extension.as_deref() {
        Some("json") => true,
        Some("toml") => false,
        Some("yaml" | "yml") => {
            return Err(CliError(format!(
                "{}: YAML fixtures are not read; write it as {KINDS} (the same fields)",
                path.display()
            )));
        }
        _ => {
            return Err(CliError(format!(
                "{}: a fixture file must end in {KINDS}, which says how it is read",
                path.display()
            )));
        }
    };
    let text = std::fs::read_to_string(path).map_err(|e| CliError(format!("reading {}: {e}", path.display())))?;
    parse_text(&text, is_json).map_err(|e| CliError(format!("{}: {e}", path.display())))
}

/// A fixture from its text, JSON or TOML. A mistake in a client or a user is named by its
/// `client_id` or `username` (or its place in the list) and by the field.
pub fn parse_text(text: &str, is_json: bool) -> Result<Fixture, String> {
    let value: Value = if is_json {
        serde_json::from_str(text).map_err(|e| e.to_string())?
    } else {
        toml::from_str(text).map_err(|e| e.to_string())?
    };
    let Value::Object(top) = value else { return Err("a fixture must be a table of clients and users".into()) };
    if let Some(unknown) = top.keys().find(|k| !matches!(k.as_str(), "clients" | "users")) {
        return Err(format!("unknown top-level field `{unknown}` (a fixture has `clients` and `users`)"));
    }
    let mut fixture = Fixture { clients: Vec::new(), users: Vec::new() };
    for (i, entry) in list(&top, "clients")?.iter().enumerate() {
        let name = entry_name(entry, "client", "client_id", i);
        let client: FixtureClient = entry_of(entry, &Map::new()).map_err(|e| format!("{name}: {e}"))?;
        fixture.clients.push(client);
    }
    for (i, entry) in list(&top, "users")?.iter().enumerate() {
        let name = entry_name(entry, "user", "username", i);
        let base: Map<String, Value> =
            [("username", "u"), ("password", "p")].into_iter().map(|(k, v)| (k.to_owned(), Value::from(v))).collect();
        let user: FixtureUser = entry_of(entry, &base).map_err(|e| format!("{name}: {e}"))?;
        super::users::check_profile(&user.profile).map_err(|e| format!("{name}: {e}"))?;
        fixture.users.push(user);
    }
    Ok(fixture)
}

/// The array `key` of the fixture (none is an empty list).
fn list<'a>(top: &'a Map<String, Value>, key: &str) -> Result<&'a [Value], String> {
    match top.get(key) {
        None => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(format!("`{key}` must be a list ([[{key}]] in TOML)")),
    }
}

/// How a message names an entry: `client "portal"`, or `client #2` when it has no id.
fn entry_name(entry: &Value, kind: &str, key: &str, index: usize) -> String {
    match entry.get(key).and_then(Value::as_str) {
        Some(id) => format!("{kind} {id:?}"),
        None => format!("{kind} #{} (no {key})", index + 1),
    }
}

/// One entry; when it does not read, the message names the first field that does not read on
/// its own (over `base`, the required fields with harmless values).
fn entry_of<T: serde::de::DeserializeOwned>(entry: &Value, base: &Map<String, Value>) -> Result<T, String> {
    let error = match serde_json::from_value::<T>(entry.clone()) {
        Ok(value) => return Ok(value),
        Err(e) => e.to_string(),
    };
    let Value::Object(members) = entry else { return Err("must be a table of fields".into()) };
    for (key, value) in members {
        let mut alone = base.clone();
        alone.insert(key.clone(), value.clone());
        if let Err(e) = serde_json::from_value::<T>(Value::Object(alone)) {
            return Err(if e.to_string().contains(key.as_str()) {
                e.to_string()
            } else {
                format!("field `{key}`: {e}")
            });
        }
    }
    Err(error)
}

/// The client a fixture entry (the `index`th) describes, checked as registration checks it, made
/// at `now`; with its plain secret when it has one. A mistake is named by the client.
pub async fn build_client(
    provider: &Provider,
    FixtureClient(meta): FixtureClient,
    index: usize,
    now: i64,
) -> Result<(Client, Option<String>), CliError> {
    let id = meta
        .client_id
        .clone()
        .ok_or_else(|| CliError(format!("client #{}: every fixture client needs a client_id", index + 1)))?;
    registration::build(provider, meta, id.clone(), now)
        .await
        .map_err(|e| CliError(format!("client {id:?}: {}", e.description)))
}

pub async fn run(provider: &Provider, authn: &Authn, path: &Path) -> Result<(), CliError> {
    let fixture = parse(path)?;
    let mut clients = Vec::new();
    for (i, entry) in fixture.clients.into_iter().enumerate() {
        let (client, secret) = build_client(provider, entry, i, provider.now()).await?;
        provider.stores.clients.put(&client).await?;
        clients.push(registration::response(provider, &client, secret.as_deref(), None));
    }
    let mut users = Vec::new();
    for entry in fixture.users {
        let person = entry.person.clone();
        let user = match provider.stores.users.find_by_username(&entry.username).await? {
            Some(mut existing) => {
                existing.password_hash =
                    authn.passwords.hash(&entry.password).await.map_err(|e| CliError(e.to_string()))?;
                existing.profile = entry.profile;
                existing.updated_at = provider.now();
                provider.stores.users.update(&existing).await?;
                existing
            }
            None => super::users::create(provider, authn, &entry.username, &entry.password, entry.profile)
                .await
                .map_err(|e| CliError(format!("user {:?}: {e}", entry.username)))?,
        };
        if let Some(person) = person
            && !provider.stores.persons.link_account(&user.id, Some(&person)).await?
        {
            return Err(CliError(format!(
                "user {:?}: there is no person {person:?} in the register (identita registry import)",
                user.username
            )));
        }
        users.push(user);
    }
    print(&serde_json::json!({ "clients": clients, "users": users }))
}
