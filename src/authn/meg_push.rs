//! MEG push: the paired devices connected to this node (each holds a long-lived connection,
//! `GET /meg/devices/{id}/push`), and sending a login's challenge to those of one person. A
//! citizen who types their username asks for a push; pushes are limited per account
//! ([`PUSHES_PER_USER`] per [`PUSH_WINDOW`]), the count reserved before anything is sent, and
//! the answer is the same whether the username exists or not.
//!
//! A push goes out on the store's broadcast ([`Broadcast`]: within the process on SQLite,
//! `NOTIFY` on PostgreSQL), which every node hears once [`PushHub::listen`] runs (at serving),
//! and each node hands it to the devices connected there: it reaches a device whichever node
//! holds its connection. The device's answer goes to the challenge's URL like any other, so it
//! completes the login on whichever node the browser waits.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc};

use crate::store::{Broadcast, LocalBroadcast, StoreError};

/// Pushes to one account per [`PUSH_WINDOW`].
pub const PUSHES_PER_USER: u32 = 5;
/// Ten minutes.
pub(crate) const PUSH_WINDOW: i64 = 600;
/// Pushes a connection holds before it is thought dead and skipped.
const QUEUE: usize = 8;

type Connections = HashMap<String, Vec<(u64, mpsc::Sender<String>)>>;

/// The devices connected for push on this node, and the login pages waiting here for a
/// device's answer; clones share them.
#[derive(Clone)]
pub(crate) struct PushHub {
    inner: Arc<Mutex<Hub>>,
    /// The interactions a device has just answered on this node: the pages waiting for them
    /// here look at the store at once instead of at their next poll.
    answered: broadcast::Sender<String>,
    /// How pushes reach the other nodes (and this one).
    nodes: Arc<dyn Broadcast>,
    /// Whether this hub hears them already.
    listening: Arc<AtomicBool>,
}

impl Default for PushHub {
    /// A hub on its own, its pushes within this process.
    fn default() -> Self {
        Self::new(Arc::new(LocalBroadcast::default()))
    }
}

/// A push as it goes between the nodes.
#[derive(Serialize, Deserialize)]
struct Push {
    devices: Vec<String>,
    challenge: String,
}

#[derive(Default)]
struct Hub {
    next: u64,
    devices: Connections,
}

/// One device's connection: the challenge URLs pushed to it. Leaves the hub when dropped.
pub(crate) struct Subscription {
    pub(crate) pushes: mpsc::Receiver<String>,
    hub: PushHub,
    device: String,
    id: u64,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut hub = self.hub.lock();
        if let Some(list) = hub.devices.get_mut(&self.device) {
            list.retain(|(id, _)| *id != self.id);
            if list.is_empty() {
                hub.devices.remove(&self.device);
            }
        }
    }
}

impl PushHub {
    /// A hub whose pushes go through `nodes`.
    pub(crate) fn new(nodes: Arc<dyn Broadcast>) -> Self {
        Self { inner: Arc::default(), answered: broadcast::channel(1024).0, nodes, listening: Arc::default() }
    }

    /// Hands the pushes any node sends, this one's included, to the devices connected here,
    /// from now on (in a task of its own); once, however often it is called.
    pub(crate) async fn listen(&self) -> Result<(), StoreError> {
        if self.listening.load(Ordering::SeqCst) {
            return Ok(());
        }
        let mut heard = self.nodes.listen().await?;
        if self.listening.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        let hub = self.clone();
        tokio::spawn(async move {
            while let Some(message) = heard.recv().await {
                match serde_json::from_str::<Push>(&message) {
                    Ok(push) => {
                        let reached = hub.deliver(&push.devices, &push.challenge);
                        tracing::debug!(devices = push.devices.len(), reached, "MEG push heard");
                    }
                    Err(e) => tracing::warn!(error = %e, "a MEG push from another node could not be read"),
                }
            }
        });
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Hub> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Connects `device`: it receives what is pushed to it until the subscription is dropped.
    pub(crate) fn subscribe(&self, device: &str) -> Subscription {
        let (sender, pushes) = mpsc::channel(QUEUE);
        let mut hub = self.lock();
        hub.next += 1;
        let id = hub.next;
        hub.devices.entry(device.to_owned()).or_default().push((id, sender));
        Subscription { pushes, hub: self.clone(), device: device.to_owned(), id }
    }

    /// Pushes `challenge_url` to the connections of `devices`, on whichever node they are.
    pub(crate) async fn push(&self, devices: &[String], challenge_url: &str) -> Result<(), StoreError> {
        let push = Push { devices: devices.to_vec(), challenge: challenge_url.to_owned() };
        let message = serde_json::to_string(&push).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.nodes.publish(&message).await
    }

    /// Hands `challenge_url` to the connections of `devices` on this node; how many it reached.
    fn deliver(&self, devices: &[String], challenge_url: &str) -> usize {
        let hub = self.lock();
        devices
            .iter()
            .filter_map(|d| hub.devices.get(d))
            .flatten()
            .filter(|(_, sender)| sender.try_send(challenge_url.to_owned()).is_ok())
            .count()
    }

    /// Tells the pages waiting on this node that the interaction `id` has a device's answer.
    pub(crate) fn answered(&self, id: &str) {
        let _ = self.answered.send(id.to_owned());
    }

    /// The answers given on this node from now on (interaction ids; lagging is harmless: a
    /// waiting page looks at the store on any message and on its poll).
    pub(crate) fn answers(&self) -> broadcast::Receiver<String> {
        self.answered.subscribe()
    }

    /// How many device connections this node holds.
    #[cfg(test)]
    pub(crate) fn connections(&self) -> usize {
        self.lock().devices.values().map(Vec::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_push_reaches_the_connected_devices_until_they_leave() {
        let hub = PushHub::default();
        let mut first = hub.subscribe("d1");
        let other = hub.subscribe("d2");
        assert_eq!(hub.deliver(&["d1".into()], "https://op/login/meg/i/n"), 1);
        assert_eq!(first.pushes.recv().await.as_deref(), Some("https://op/login/meg/i/n"));
        drop(other);
        assert_eq!(hub.deliver(&["d2".into()], "u"), 0);
        assert_eq!(hub.connections(), 1);
        drop(first);
        assert_eq!(hub.connections(), 0);
    }

    #[tokio::test]
    async fn a_push_goes_through_the_broadcast_to_every_listening_hub() {
        let nodes: Arc<dyn Broadcast> = Arc::new(LocalBroadcast::default());
        let (a, b) = (PushHub::new(nodes.clone()), PushHub::new(nodes));
        a.listen().await.unwrap();
        b.listen().await.unwrap();
        let mut on_b = b.subscribe("d1");
        let mut on_a = a.subscribe("d2");
        a.push(&["d1".into()], "https://op/login/meg/i/n").await.unwrap();
        let heard = tokio::time::timeout(std::time::Duration::from_secs(5), on_b.pushes.recv()).await.unwrap();
        assert_eq!(heard.as_deref(), Some("https://op/login/meg/i/n"));
        a.push(&["d2".into()], "u").await.unwrap();
        let heard = tokio::time::timeout(std::time::Duration::from_secs(5), on_a.pushes.recv()).await.unwrap();
        assert_eq!(heard.as_deref(), Some("u"));
    }
}
