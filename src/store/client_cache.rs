//! Relying parties held in memory for a moment: every token, introspection and userinfo request
//! looks its client up, and decoding the stored record is a measurable part of answering one.
//!
//! A client found is kept for [`TTL`]; one not found is not kept, so a client registered anywhere
//! is usable at once. A change made through this process (registration management, the admin
//! paths) drops the entry at once; a change made by another process (the `identita` CLI, another
//! node) is seen within [`TTL`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::{ClientStore, StoreResult};
use crate::model::Client;

/// How long a change made elsewhere may go unseen here.
pub const TTL: Duration = Duration::from_secs(1);
/// Past this many entries, the expired ones are dropped before adding another.
const SWEEP_AT: usize = 4096;

pub struct CachedClients {
    inner: Arc<dyn ClientStore>,
    entries: Mutex<Entries>,
}

#[derive(Default)]
struct Entries {
    clients: HashMap<String, (Client, Instant)>,
    /// Counts the changes made here, so a lookup that raced one does not keep what it read.
    changes: u64,
}

impl CachedClients {
    pub fn new(inner: Arc<dyn ClientStore>) -> Self {
        Self { inner, entries: Mutex::new(Entries::default()) }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn forget(&self, client_id: &str) {
        let mut entries = self.entries();
        entries.clients.remove(client_id);
        entries.changes += 1;
    }
}

#[async_trait]
impl ClientStore for CachedClients {
    async fn get(&self, client_id: &str) -> StoreResult<Option<Client>> {
        let changes = {
            let entries = self.entries();
            if let Some((client, fetched)) = entries.clients.get(client_id)
                && fetched.elapsed() < TTL
            {
                return Ok(Some(client.clone()));
            }
            entries.changes
        };
        let found = self.inner.get(client_id).await?;
        let mut entries = self.entries();
        match &found {
            Some(client) if entries.changes == changes => {
                if entries.clients.len() >= SWEEP_AT {
                    entries.clients.retain(|_, (_, fetched)| fetched.elapsed() < TTL);
                }
                entries.clients.insert(client_id.to_owned(), (client.clone(), Instant::now()));
            }
            _ => {
                entries.clients.remove(client_id);
            }
        }
        Ok(found)
    }

    async fn list(&self) -> StoreResult<Vec<Client>> {
        self.inner.list().await
    }

    async fn put(&self, client: &Client) -> StoreResult<()> {
        let result = self.inner.put(client).await;
        self.forget(&client.client_id);
        result
    }

    async fn insert(&self, client: &Client) -> StoreResult<()> {
        let result = self.inner.insert(client).await;
        self.forget(&client.client_id);
        result
    }

    async fn delete(&self, client_id: &str) -> StoreResult<bool> {
        let result = self.inner.delete(client_id).await;
        self.forget(client_id);
        result
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::client;
    use super::super::sqlite::SqliteStore;
    use super::*;

    #[tokio::test]
    async fn changes_made_here_are_seen_at_once_and_changes_made_elsewhere_within_the_ttl() {
        let store = Arc::new(SqliteStore::memory().await.unwrap());
        let cached = CachedClients::new(store.clone());
        assert_eq!(cached.get("rp").await.unwrap(), None);
        // Registered elsewhere: a miss is not kept, so it is found at once.
        store.put(&client("rp")).await.unwrap();
        assert_eq!(cached.get("rp").await.unwrap(), Some(client("rp")));

        let mut renamed = client("rp");
        renamed.client_name = Some("Renamed".into());
        cached.put(&renamed).await.unwrap();
        assert_eq!(cached.get("rp").await.unwrap(), Some(renamed.clone()));

        // Removed elsewhere: still served from memory, but not for longer than the TTL.
        ClientStore::delete(&*store, "rp").await.unwrap();
        assert_eq!(cached.get("rp").await.unwrap(), Some(renamed));
        tokio::time::sleep(TTL).await;
        assert_eq!(cached.get("rp").await.unwrap(), None);

        cached.put(&client("rp")).await.unwrap();
        assert!(cached.delete("rp").await.unwrap());
        assert_eq!(cached.get("rp").await.unwrap(), None);
    }
}
