//! Open WebSocket connections per client address and per user, for the connection caps: those
//! counted here, plus (with `REDIS_URL`) what each other instance last reported of its own (see
//! [`crate::realtime::cluster`]).

use std::collections::HashMap;
use std::sync::Arc;

use dashmap::{DashMap, mapref::entry::Entry};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::auth::rate_limit::ClientAddr;

/// Open connections per counting key (a client address, or `user:{id}`).
pub type Counts = HashMap<String, usize>;

#[derive(Default)]
pub struct ClientConnections {
    local: Arc<Local>,
    /// What each other instance last reported as open there.
    peers: DashMap<Uuid, Counts>,
}

/// The connections counted on this instance, shared with the slots that release them.
#[derive(Default)]
struct Local {
    open: DashMap<String, usize>,
    /// Woken when a count here changes.
    changed: Notify,
}

/// Holds one counted connection; uncounts it when dropped.
pub struct ConnectionSlot {
    local: Arc<Local>,
    key: String,
}

impl ClientConnections {
    /// Counts a new connection from `client`, or `None` when it already has `max` open (on
    /// every instance).
    pub fn try_open(&self, client: &ClientAddr, max: usize) -> Option<ConnectionSlot> {
        self.try_open_key(client.key(), max)
    }

    /// Counts a new signed-in connection of `user`, or `None` when they already have `max`
    /// (on every instance).
    pub fn try_open_user(&self, user: Uuid, max: usize) -> Option<ConnectionSlot> {
        self.try_open_key(format!("user:{user}"), max)
    }

    fn try_open_key(&self, key: String, max: usize) -> Option<ConnectionSlot> {
        let elsewhere = self.open_elsewhere(&key);
        {
            let mut count = self.local.open.entry(key.clone()).or_insert(0);
            if *count + elsewhere >= max {
                let unused = *count == 0;
                drop(count);
                if unused {
                    self.local.open.remove_if(&key, |_, n| *n == 0);
                }
                return None;
            }
            *count += 1;
        }
        self.local.changed.notify_one();
        Some(ConnectionSlot {
            local: self.local.clone(),
            key,
        })
    }

    fn open_elsewhere(&self, key: &str) -> usize {
        self.peers
            .iter()
            .filter_map(|peer| peer.get(key).copied())
            .sum()
    }

    /// Woken when a count on this instance changes.
    pub fn changed(&self) -> &Notify {
        &self.local.changed
    }

    /// The counts on this instance, for the other instances.
    pub fn local_counts(&self) -> Counts {
        self.local
            .open
            .iter()
            .map(|e| (e.key().clone(), *e.value()))
            .collect()
    }

    /// What another instance reports as open there.
    pub fn set_peer(&self, instance: Uuid, counts: Counts) {
        self.peers.insert(instance, counts);
    }

    /// Forgets an instance that stopped reporting: its connections no longer count.
    pub fn remove_peer(&self, instance: Uuid) {
        self.peers.remove(&instance);
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        if let Entry::Occupied(mut e) = self.local.open.entry(self.key.clone()) {
            *e.get_mut() -= 1;
            if *e.get() == 0 {
                e.remove();
            }
        }
        self.local.changed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_slots_count_and_release() {
        let conns = ClientConnections::default();
        let client = ClientAddr("10.0.0.1".parse().expect("ip"));
        let a = conns.try_open(&client, 2).expect("first");
        let _b = conns.try_open(&client, 2).expect("second");
        assert!(conns.try_open(&client, 2).is_none());
        drop(a);
        assert!(conns.try_open(&client, 2).is_some());
    }

    #[test]
    fn connections_on_other_instances_count_until_forgotten() {
        let conns = ClientConnections::default();
        let (user, instance) = (Uuid::new_v4(), Uuid::new_v4());
        conns.set_peer(instance, [(format!("user:{user}"), 2)].into());
        let here = conns.try_open_user(user, 3).expect("two there, one here");
        assert!(conns.try_open_user(user, 3).is_none(), "three in all");
        assert_eq!(conns.local_counts(), [(format!("user:{user}"), 1)].into());
        conns.remove_peer(instance);
        let _again = conns.try_open_user(user, 3).expect("the instance is gone");
        drop(here);
        let refused = ClientConnections::default();
        refused.set_peer(instance, [(format!("user:{user}"), 1)].into());
        assert!(refused.try_open_user(user, 1).is_none());
        assert!(
            refused.local_counts().is_empty(),
            "a refusal leaves no entry"
        );
    }
}
