//! Dev mode (`identita serve --dev`, src/cli/dev.rs): its demo data, and what the landing page
//! lists while it is on — the accounts and the registered clients, read from the stores. Outside
//! dev mode nothing here is read: [`listing`] answers `None`.

use crate::config::Config;
use crate::store::{StoreResult, Stores};

/// The demo client and test citizens dev mode seeds, in the format `identita seed` reads. Its
/// secrets and passwords are public.
pub const FIXTURE: &str = include_str!("../examples/dev-seed.toml");

/// At most this many accounts and clients are listed: a developer's store is small, and a page
/// of thousands helps no one.
const MOST: usize = 50;

/// What the landing page shows in dev mode.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    pub citizens: Vec<Citizen>,
    pub clients: Vec<ListedClient>,
}

#[derive(Debug, Clone)]
pub struct Citizen {
    pub username: String,
    pub name: String,
    /// The public demo password, when the account still has it.
    pub password: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ListedClient {
    pub client_id: String,
    pub name: String,
    pub redirect_uris: Vec<String>,
}

/// The accounts (demo citizens first) and the clients, when dev mode is on.
pub async fn listing(config: &Config, stores: &Stores) -> StoreResult<Option<Listing>> {
    let Some(dev) = &config.dev else { return Ok(None) };
    let demo_password = |username: &str| dev.citizens.iter().find(|(u, _)| u == username).map(|(_, p)| p.clone());
    let mut users = stores.users.list().await?;
    users.retain(|u| !u.disabled);
    users.sort_by_key(|u| (demo_password(&u.username).is_none(), u.username.clone()));
    let citizens = users
        .into_iter()
        .take(MOST)
        .map(|u| Citizen {
            password: demo_password(&u.username),
            name: u.profile.name.unwrap_or_default(),
            username: u.username,
        })
        .collect();
    let mut clients = stores.clients.list().await?;
    clients.sort_by(|a, b| a.client_id.cmp(&b.client_id));
    let clients = clients
        .into_iter()
        .take(MOST)
        .map(|c| ListedClient {
            name: c.client_name.unwrap_or_default(),
            client_id: c.client_id,
            redirect_uris: c.redirect_uris,
        })
        .collect();
    Ok(Some(Listing { citizens, clients }))
}
