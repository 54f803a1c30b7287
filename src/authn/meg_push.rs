//! MEG push: the paired devices connected to this node (each holds a long-lived connection,
//! `GET /meg/devices/{id}/push`), and sending a login's challenge to those of one person. A
//! citizen who types their username asks for a push; pushes are limited per account
//! ([`PUSHES_PER_USER`] per [`PUSH_WINDOW`]), the count reserved before anything is sent, and
//! the answer is the same whether the username exists or not.
//!
//! The hub is in process: a push reaches the devices connected to the node that sends it. The
//! device's answer goes to the challenge's URL like any other, so it completes the login on
//! whichever node the browser waits.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{broadcast, mpsc};

/// Pushes to one account per [`PUSH_WINDOW`].
pub const PUSHES_PER_USER: u32 = 5;
/// Ten minutes.
pub const PUSH_WINDOW: i64 = 600;
/// Pushes a connection holds before it is thought dead and skipped.
const QUEUE: usize = 8;

type Connections = HashMap<String, Vec<(u64, mpsc::Sender<String>)>>;

/// The devices connected for push on this node, and the login pages waiting here for a
/// device's answer; clones share them.
#[derive(Clone)]
pub struct PushHub {
    inner: Arc<Mutex<Hub>>,
    /// The interactions a device has just answered on this node: the pages waiting for them
    /// here look at the store at once instead of at their next poll.
    answered: broadcast::Sender<String>,
}

impl Default for PushHub {
    fn default() -> Self {
        Self { inner: Arc::default(), answered: broadcast::channel(1024).0 }
    }
}

#[derive(Default)]
struct Hub {
    next: u64,
    devices: Connections,
}

/// One device's connection: the challenge URLs pushed to it. Leaves the hub when dropped.
pub struct Subscription {
    pub pushes: mpsc::Receiver<String>,
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
    fn lock(&self) -> std::sync::MutexGuard<'_, Hub> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Connects `device`: it receives what is pushed to it until the subscription is dropped.
    pub fn subscribe(&self, device: &str) -> Subscription {
        let (sender, pushes) = mpsc::channel(QUEUE);
        let mut hub = self.lock();
        hub.next += 1;
        let id = hub.next;
        hub.devices.entry(device.to_owned()).or_default().push((id, sender));
        Subscription { pushes, hub: self.clone(), device: device.to_owned(), id }
    }

    /// Pushes `challenge_url` to the connections of `devices`; how many it reached.
    pub fn push(&self, devices: &[String], challenge_url: &str) -> usize {
        let hub = self.lock();
        devices
            .iter()
            .filter_map(|d| hub.devices.get(d))
            .flatten()
            .filter(|(_, sender)| sender.try_send(challenge_url.to_owned()).is_ok())
            .count()
    }

    /// Tells the pages waiting on this node that the interaction `id` has a device's answer.
    pub fn answered(&self, id: &str) {
        let _ = self.answered.send(id.to_owned());
    }

    /// The answers given on this node from now on (interaction ids; lagging is harmless: a
    /// waiting page looks at the store on any message and on its poll).
    pub fn answers(&self) -> broadcast::Receiver<String> {
        self.answered.subscribe()
    }

    /// How many device connections this node holds.
    pub fn connections(&self) -> usize {
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
        assert_eq!(hub.push(&["d1".into()], "https://op/login/meg/i/n"), 1);
        assert_eq!(first.pushes.recv().await.as_deref(), Some("https://op/login/meg/i/n"));
        drop(other);
        assert_eq!(hub.push(&["d2".into()], "u"), 0);
        assert_eq!(hub.connections(), 1);
        drop(first);
        assert_eq!(hub.connections(), 0);
    }
}
