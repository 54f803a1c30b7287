//! Dev mode (`identita serve --dev`, src/cli/dev.rs): its demo data, and what the landing page
//! lists while it is on — the accounts, the registered clients and the messages sent to the
//! outbox, read from the stores; and the outbox as JSON (`GET /dev/outbox`). Outside dev mode
//! nothing here is read: [`listing`] and [`outbox`] answer `None`.

use serde::Serialize;

use crate::clock::Timestamp;
use crate::config::Config;
use crate::model::{Channel, Message};
use crate::store::{StoreResult, Stores};

/// The demo client and test citizens dev mode seeds, in the format `identita seed` reads. Its
/// secrets and passwords are public.
pub const FIXTURE: &str = include_str!("../examples/dev-seed.toml");
/// The test citizens of the register, seeded by `serve --dev` too.
pub const REGISTER: &str = include_str!("../examples/registry.jsonl");

/// At most this many accounts and clients are listed: a developer's store is small, and a page
/// of thousands helps no one.
const MOST: usize = 50;

/// How many of the newest messages the landing page lists, and `GET /dev/outbox` answers with.
pub const OUTBOX_MOST: usize = 20;

/// What the landing page shows in dev mode.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    pub citizens: Vec<Citizen>,
    pub clients: Vec<ListedClient>,
    /// The newest messages in the outbox.
    pub outbox: Vec<SentMessage>,
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
    let outbox = stores.outbox.recent(None, OUTBOX_MOST).await?.into_iter().map(SentMessage::from).collect();
    Ok(Some(Listing { citizens, clients, outbox }))
}

/// A message in the outbox as a developer reads it: on the landing page, from `GET /dev/outbox`
/// and `identita outbox --json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SentMessage {
    pub channel: Channel,
    pub to: String,
    pub subject: Option<String>,
    pub body: String,
    /// Unix seconds.
    pub created_at: Timestamp,
}

impl SentMessage {
    /// When it was sent, as people read it (`2026-12-03 17:57:18 UTC`).
    pub fn sent_at(&self) -> String {
        crate::clock::utc(self.created_at)
    }
}

impl From<Message> for SentMessage {
    fn from(m: Message) -> Self {
        Self { channel: m.channel, to: m.to, subject: m.subject, body: m.body, created_at: m.created_at }
    }
}

/// The newest messages in the outbox (only those to `to`, when given), when dev mode is on.
pub async fn outbox(config: &Config, stores: &Stores, to: Option<&str>) -> StoreResult<Option<Vec<SentMessage>>> {
    if config.dev.is_none() {
        return Ok(None);
    }
    let messages = stores.outbox.recent(to, OUTBOX_MOST).await?;
    Ok(Some(messages.into_iter().map(SentMessage::from).collect()))
}
