//! Open WebSocket connections per client address and per user, for the connection caps.

use std::sync::Arc;

use dashmap::{DashMap, mapref::entry::Entry};

use crate::auth::rate_limit::ClientAddr;

/// Open WebSocket connections per client address and per user (this instance only).
#[derive(Default)]
pub struct ClientConnections {
    open: Arc<DashMap<String, usize>>,
}

/// Holds one counted connection; uncounts it when dropped.
pub struct ConnectionSlot {
    open: Arc<DashMap<String, usize>>,
    key: String,
}

impl ClientConnections {
    /// Counts a new connection from `client`, or `None` when it already has `max` open.
    pub fn try_open(&self, client: &ClientAddr, max: usize) -> Option<ConnectionSlot> {
        self.try_open_key(client.key(), max)
    }

    /// Counts a new signed-in connection of `user`, or `None` when they already have `max`.
    pub fn try_open_user(&self, user: uuid::Uuid, max: usize) -> Option<ConnectionSlot> {
        self.try_open_key(format!("user:{user}"), max)
    }

    fn try_open_key(&self, key: String, max: usize) -> Option<ConnectionSlot> {
        let mut count = self.open.entry(key.clone()).or_insert(0);
        if *count >= max {
            return None;
        }
        *count += 1;
        Some(ConnectionSlot {
            open: self.open.clone(),
            key,
        })
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        if let Entry::Occupied(mut e) = self.open.entry(self.key.clone()) {
            *e.get_mut() -= 1;
            if *e.get() == 0 {
                e.remove();
            }
        }
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
}
