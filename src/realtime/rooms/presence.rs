//! Who is connected to which room: a member is connected while they hold at least one
//! `roomEvents` subscription to it (on any device), here or on another instance (see
//! [`crate::realtime::cluster`]). Also the round-trip times connected members report, for the
//! scheduled-start lead.

use std::collections::HashMap;

use dashmap::{DashMap, mapref::entry::Entry};
use tokio::sync::Notify;
use uuid::Uuid;

/// Per room, its connected members and the round trip each reported.
pub type Rooms = HashMap<Uuid, HashMap<Uuid, Option<i64>>>;

#[derive(Default)]
pub struct RoomPresence {
    rooms: DashMap<Uuid, HashMap<Uuid, Member>>,
    /// What each other instance last reported.
    peers: DashMap<Uuid, Rooms>,
    /// Woken when who is connected here (or a round trip) changes.
    pub changed: Notify,
}

#[derive(Default)]
struct Member {
    connections: usize,
    rtt_ms: Option<i64>,
}

impl RoomPresence {
    /// Counts a subscription; `true` when the member just became connected (here, and was not
    /// on another instance).
    pub fn connect(&self, room: Uuid, user: Uuid) -> bool {
        let first = {
            let mut members = self.rooms.entry(room).or_default();
            let member = members.entry(user).or_default();
            member.connections += 1;
            member.connections == 1
        };
        if first {
            self.changed.notify_one();
        }
        first && !self.connected_elsewhere(room, user)
    }

    /// Uncounts a subscription; `true` when the member's last one closed (and they are not
    /// connected on another instance).
    pub fn disconnect(&self, room: Uuid, user: Uuid) -> bool {
        let gone = self.uncount(room, user);
        if gone {
            self.changed.notify_one();
        }
        gone && !self.connected_elsewhere(room, user)
    }

    fn uncount(&self, room: Uuid, user: Uuid) -> bool {
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
            || self.connected_elsewhere(room, user)
    }

    fn connected_elsewhere(&self, room: Uuid, user: Uuid) -> bool {
        self.peers
            .iter()
            .any(|peer| peer.get(&room).is_some_and(|m| m.contains_key(&user)))
    }

    /// The connected members of `room`, on every instance, in no particular order.
    pub fn connected(&self, room: Uuid) -> Vec<Uuid> {
        let mut members: Vec<Uuid> = self
            .rooms
            .get(&room)
            .map(|members| members.keys().copied().collect())
            .unwrap_or_default();
        if !self.peers.is_empty() {
            for peer in self.peers.iter() {
                if let Some(there) = peer.get(&room) {
                    members.extend(there.keys().copied());
                }
            }
            members.sort_unstable();
            members.dedup();
        }
        members
    }

    pub fn connected_count(&self, room: Uuid) -> usize {
        if self.peers.is_empty() {
            return self.rooms.get(&room).map_or(0, |members| members.len());
        }
        self.connected(room).len()
    }

    /// This instance's connected members and their round trips, for the other instances.
    pub fn local_snapshot(&self) -> Rooms {
        self.rooms
            .iter()
            .map(|e| {
                let members = e.value().iter().map(|(u, m)| (*u, m.rtt_ms)).collect();
                (*e.key(), members)
            })
            .collect()
    }

    /// What another instance reports.
    pub fn set_peer(&self, instance: Uuid, rooms: Rooms) {
        self.peers.insert(instance, rooms);
    }

    /// Forgets an instance that stopped reporting; returns the `(room, member)` pairs that were
    /// connected only there.
    pub fn remove_peer(&self, instance: Uuid) -> Vec<(Uuid, Uuid)> {
        let Some((_, rooms)) = self.peers.remove(&instance) else {
            return Vec::new();
        };
        rooms
            .into_iter()
            .flat_map(|(room, members)| members.into_keys().map(move |user| (room, user)))
            .filter(|(room, user)| !self.is_connected(*room, *user))
            .collect()
    }

    /// Records a connected member's round trip; `false` (and nothing stored) when the member
    /// holds no subscription to the room.
    pub fn report_rtt(&self, room: Uuid, user: Uuid, rtt_ms: i64) -> bool {
        let Some(mut members) = self.rooms.get_mut(&room) else {
            return false;
        };
        let stored = match members.get_mut(&user) {
            Some(member) => {
                member.rtt_ms = Some(rtt_ms);
                true
            }
            None => false,
        };
        drop(members);
        if stored {
            self.changed.notify_one();
        }
        stored
    }

    /// The highest round trip reported by a currently connected member (on any instance).
    pub fn max_rtt(&self, room: Uuid) -> Option<i64> {
        let here = self
            .rooms
            .get(&room)
            .and_then(|members| members.values().filter_map(|m| m.rtt_ms).max());
        let elsewhere = self
            .peers
            .iter()
            .filter_map(|peer| {
                peer.get(&room)
                    .and_then(|m| m.values().flatten().max().copied())
            })
            .max();
        here.max(elsewhere)
    }

    /// Rooms with at least one member connected here.
    pub fn rooms(&self) -> Vec<Uuid> {
        self.rooms.iter().map(|e| *e.key()).collect()
    }

    /// Members connected here, over all rooms.
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

    #[test]
    fn members_connected_to_another_instance_count_here() {
        let p = RoomPresence::default();
        let (room, ann, bob, instance) = (
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
        );
        p.connect(room, ann);
        p.set_peer(
            instance,
            [(room, [(bob, Some(300)), (ann, None)].into())].into(),
        );
        assert!(p.is_connected(room, bob));
        assert_eq!(p.connected_count(room), 2, "ann counts once");
        assert_eq!(p.max_rtt(room), Some(300));
        assert!(!p.connect(room, bob), "already connected elsewhere");
        assert!(!p.disconnect(room, bob));
        assert!(
            !p.disconnect(room, ann),
            "still connected on the other instance"
        );
        let mut gone = p.remove_peer(instance);
        gone.sort();
        let mut expected = vec![(room, bob), (room, ann)];
        expected.sort();
        assert_eq!(gone, expected, "both were connected only there now");
        assert_eq!(p.connected_count(room), 0);
    }
}
