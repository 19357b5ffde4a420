//! Who is typing in which room. A typing state expires when not refreshed within the TTL; each
//! refresh gets a new generation so that only the latest expiry timer clears it.

use std::sync::atomic::{AtomicU64, Ordering};

use dashmap::DashMap;
use uuid::Uuid;

#[derive(Default)]
pub struct Typing {
    /// `(room, user)` → generation of the latest refresh.
    entries: DashMap<(Uuid, Uuid), u64>,
    next: AtomicU64,
}

impl Typing {
    /// Marks `user` typing in `room`. Returns whether they just started (an event is due) and
    /// the generation to pass to [`expire`](Self::expire).
    pub fn start(&self, room: Uuid, user: Uuid) -> (bool, u64) {
        let generation = self.next.fetch_add(1, Ordering::Relaxed);
        let previous = self.entries.insert((room, user), generation);
        (previous.is_none(), generation)
    }

    /// Clears the state if it was not refreshed since `generation`; `true` when cleared.
    pub fn expire(&self, room: Uuid, user: Uuid, generation: u64) -> bool {
        self.entries
            .remove_if(&(room, user), |_, g| *g == generation)
            .is_some()
    }

    /// Clears the state; `true` when the user was typing.
    pub fn stop(&self, room: Uuid, user: Uuid) -> bool {
        self.entries.remove(&(room, user)).is_some()
    }

    pub fn typing_in(&self, room: Uuid) -> Vec<Uuid> {
        self.entries
            .iter()
            .filter(|e| e.key().0 == room)
            .map(|e| e.key().1)
            .collect()
    }

    /// Forgets everyone typing in `room` (it closed).
    pub fn clear_room(&self, room: Uuid) {
        self.entries.retain(|(r, _), _| *r != room);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_latest_refresh_expires() {
        let t = Typing::default();
        let (room, ann) = (Uuid::new_v4(), Uuid::new_v4());
        let (started, first) = t.start(room, ann);
        assert!(started);
        let (again, second) = t.start(room, ann);
        assert!(!again, "a refresh is not a new start");
        assert!(!t.expire(room, ann, first), "stale timer");
        assert_eq!(t.typing_in(room), vec![ann]);
        assert!(t.expire(room, ann, second));
        assert!(t.typing_in(room).is_empty());
        assert!(!t.stop(room, ann));
    }
}
