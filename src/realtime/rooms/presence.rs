//! Who is connected to which room: a member is connected while they hold at least one
//! `roomEvents` subscription to it (on any device) in this process. Also the round-trip times
//! connected members report, for the scheduled-start lead.

use std::collections::HashMap;

use dashmap::{DashMap, mapref::entry::Entry};
use uuid::Uuid;

#[derive(Default)]
pub struct RoomPresence {
    rooms: DashMap<Uuid, HashMap<Uuid, Member>>,
}

#[derive(Default)]
struct Member {
    connections: usize,
    rtt_ms: Option<i64>,
}

impl RoomPresence {
    /// Counts a subscription; `true` when the member just became connected.
    pub fn connect(&self, room: Uuid, user: Uuid) -> bool {
        let mut members = self.rooms.entry(room).or_default();
        let member = members.entry(user).or_default();
        member.connections += 1;
        member.connections == 1
    }

    /// Uncounts a subscription; `true` when the member's last one closed.
    pub fn disconnect(&self, room: Uuid, user: Uuid) -> bool {
        let Entry::Occupied(mut entry) = self.rooms.entry(room) else {
            return false;
        };
        let members = entry.get_mut();
        let gone = match members.get_mut(&user) {
            Some(member) => {
                member.connections = member.connections.saturating_sub(1);
                member.connections == 0
            }
            None => false,
        };
        if gone {
            members.remove(&user);
        }
        if members.is_empty() {
            entry.remove();
        }
        gone
    }

    pub fn is_connected(&self, room: Uuid, user: Uuid) -> bool {
        self.rooms
            .get(&room)
            .is_some_and(|members| members.contains_key(&user))
    }

    /// The connected members of `room`, in no particular order.
    pub fn connected(&self, room: Uuid) -> Vec<Uuid> {
        self.rooms
            .get(&room)
            .map(|members| members.keys().copied().collect())
            .unwrap_or_default()
    }

    pub fn connected_count(&self, room: Uuid) -> usize {
        self.rooms.get(&room).map_or(0, |members| members.len())
    }

    /// Records a connected member's round trip; `false` (and nothing stored) when the member
    /// holds no subscription to the room.
    pub fn report_rtt(&self, room: Uuid, user: Uuid, rtt_ms: i64) -> bool {
        let Some(mut members) = self.rooms.get_mut(&room) else {
            return false;
        };
        match members.get_mut(&user) {
            Some(member) => {
                member.rtt_ms = Some(rtt_ms);
                true
            }
            None => false,
        }
    }

    /// The highest round trip reported by a currently connected member.
    pub fn max_rtt(&self, room: Uuid) -> Option<i64> {
        self.rooms
            .get(&room)
            .and_then(|members| members.values().filter_map(|m| m.rtt_ms).max())
    }

    /// Rooms with at least one connected member.
    pub fn rooms(&self) -> Vec<Uuid> {
        self.rooms.iter().map(|e| *e.key()).collect()
    }

    /// Connected members over all rooms.
    pub fn total_connected(&self) -> usize {
        self.rooms.iter().map(|e| e.value().len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connected_while_any_subscription_is_open() {
        let p = RoomPresence::default();
        let (room, ann, bob) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        assert!(p.connect(room, ann), "first subscription");
        assert!(!p.connect(room, ann), "second device");
        assert!(p.connect(room, bob));
        assert_eq!(p.connected_count(room), 2);
        assert!(!p.disconnect(room, ann), "one device left");
        assert!(p.is_connected(room, ann));
        assert!(p.disconnect(room, ann), "last device");
        assert!(!p.is_connected(room, ann));
        assert!(!p.disconnect(room, ann), "extra disconnects are harmless");
        assert!(p.disconnect(room, bob));
        assert!(p.rooms().is_empty(), "empty rooms are dropped");
    }

    #[test]
    fn round_trips_count_only_for_connected_members() {
        let p = RoomPresence::default();
        let (room, ann, bob) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        assert!(!p.report_rtt(room, ann, 80), "not connected");
        p.connect(room, ann);
        p.connect(room, bob);
        assert_eq!(p.max_rtt(room), None);
        assert!(p.report_rtt(room, ann, 80));
        assert!(p.report_rtt(room, bob, 200));
        assert_eq!(p.max_rtt(room), Some(200));
        p.disconnect(room, bob);
        assert_eq!(
            p.max_rtt(room),
            Some(80),
            "a gone member's report is forgotten"
        );
    }
}
