//! Who is online (a user with at least one open graphql-ws connection, here or on another
//! instance: see [`crate::realtime::cluster`]), and connection statistics for operators.

use std::collections::HashSet;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};

use dashmap::{DashMap, mapref::entry::Entry};
use tokio::sync::Notify;
use uuid::Uuid;

#[derive(Default)]
pub struct Presence {
    /// Open signed-in connections per user, on this instance.
    per_user: DashMap<Uuid, usize>,
    /// The users online on each other instance, as it last reported.
    peers: DashMap<Uuid, HashSet<Uuid>>,
    /// Woken when who is online here changes.
    pub changed: Notify,
    /// Open WebSocket connections, anonymous ones included.
    sockets: AtomicUsize,
    /// Running subscriptions per root field (`userEvents`, …).
    subscriptions: DashMap<&'static str, AtomicI64>,
}

impl Presence {
    pub fn socket_opened(&self) {
        self.sockets.fetch_add(1, Ordering::Relaxed);
    }

    pub fn socket_closed(&self) {
        self.sockets.fetch_sub(1, Ordering::Relaxed);
    }

    /// Counts a signed-in connection; `true` when the user just came online (here, and was
    /// not on another instance).
    pub fn connect(&self, user: Uuid) -> bool {
        let first = {
            let mut count = self.per_user.entry(user).or_insert(0);
            *count += 1;
            *count == 1
        };
        if first {
            self.changed.notify_one();
        }
        first && !self.online_elsewhere(user)
    }

    /// Uncounts a signed-in connection; `true` when the user just went offline (here, and is
    /// not on another instance).
    pub fn disconnect(&self, user: Uuid) -> bool {
        let last = match self.per_user.entry(user) {
            Entry::Occupied(mut e) => {
                *e.get_mut() -= 1;
                if *e.get() == 0 {
                    e.remove();
                    true
                } else {
                    false
                }
            }
            Entry::Vacant(_) => false,
        };
        if last {
            self.changed.notify_one();
        }
        last && !self.online_elsewhere(user)
    }

    pub fn is_online(&self, user: Uuid) -> bool {
        self.per_user.contains_key(&user) || self.online_elsewhere(user)
    }

    fn online_elsewhere(&self, user: Uuid) -> bool {
        self.peers.iter().any(|peer| peer.contains(&user))
    }

    /// The users online on this instance.
    pub fn local_users(&self) -> Vec<Uuid> {
        self.per_user.iter().map(|e| *e.key()).collect()
    }

    /// What another instance reports as online there.
    pub fn set_peer(&self, instance: Uuid, users: HashSet<Uuid>) {
        self.peers.insert(instance, users);
    }

    /// Forgets an instance that stopped reporting; returns the users that were online only
    /// there.
    pub fn remove_peer(&self, instance: Uuid) -> Vec<Uuid> {
        let Some((_, users)) = self.peers.remove(&instance) else {
            return Vec::new();
        };
        users.into_iter().filter(|u| !self.is_online(*u)).collect()
    }

    pub fn online_users(&self) -> usize {
        self.per_user.len()
    }

    pub fn sockets(&self) -> usize {
        self.sockets.load(Ordering::Relaxed)
    }

    /// Counts a running subscription of `kind` until the guard is dropped.
    pub fn subscription(self: &std::sync::Arc<Self>, kind: &'static str) -> SubscriptionGuard {
        self.subscriptions
            .entry(kind)
            .or_default()
            .fetch_add(1, Ordering::Relaxed);
        SubscriptionGuard {
            presence: self.clone(),
            kind,
        }
    }

    /// `(kind, running)` pairs, sorted by kind.
    pub fn subscriptions(&self) -> Vec<(&'static str, i64)> {
        let mut out: Vec<_> = self
            .subscriptions
            .iter()
            .map(|e| (*e.key(), e.value().load(Ordering::Relaxed)))
            .collect();
        out.sort();
        out
    }
}

pub struct SubscriptionGuard {
    presence: std::sync::Arc<Presence>,
    kind: &'static str,
}

impl Drop for SubscriptionGuard {
    fn drop(&mut self) {
        if let Some(counter) = self.presence.subscriptions.get(self.kind) {
            counter.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn several_devices_count_as_one_user() {
        let p = Presence::default();
        let u = Uuid::new_v4();
        assert!(p.connect(u), "first device: online");
        assert!(!p.connect(u), "second device: already online");
        assert!(!p.disconnect(u), "one device left: still online");
        assert!(p.is_online(u));
        assert!(p.disconnect(u), "last device: offline");
        assert!(!p.is_online(u));
        assert!(!p.disconnect(u), "extra disconnects are harmless");
        assert_eq!(p.online_users(), 0);
    }

    #[test]
    fn a_user_online_on_another_instance_is_online_here() {
        let p = Presence::default();
        let (u, v, instance) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        p.set_peer(instance, [u].into());
        assert!(p.is_online(u));
        assert!(!p.connect(u), "already online elsewhere: no announcement");
        assert!(!p.disconnect(u), "still online elsewhere");
        assert!(p.connect(v));
        assert_eq!(p.remove_peer(instance), vec![u], "online only there");
        assert!(p.is_online(v));
        assert!(!p.is_online(u));
    }

    #[test]
    fn subscription_guards_count() {
        let p = Arc::new(Presence::default());
        let a = p.subscription("userEvents");
        let b = p.subscription("userEvents");
        assert_eq!(p.subscriptions(), vec![("userEvents", 2)]);
        drop(a);
        drop(b);
        assert_eq!(p.subscriptions(), vec![("userEvents", 0)]);
    }
}
