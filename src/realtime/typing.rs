//! Who is typing where: in a listening room, in a conversation (each keeps its own [`Typing`]).
//! A typing state expires when not refreshed within a TTL; each refresh gets a new generation
//! so that only the latest expiry timer clears it.

use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

use dashmap::DashMap;
use uuid::Uuid;

#[derive(Default)]
pub struct Typing {
    /// `(place, user)` → generation of the latest refresh.
    entries: DashMap<(Uuid, Uuid), u64>,
    next: AtomicU64,
}

impl Typing {
    /// Marks `user` typing in `place`. Returns whether they just started (an event is due) and
    /// the generation to pass to [`expire`](Self::expire).
    pub fn start(&self, place: Uuid, user: Uuid) -> (bool, u64) {
        let generation = self.next.fetch_add(1, Ordering::Relaxed);
        let previous = self.entries.insert((place, user), generation);
        (previous.is_none(), generation)
    }

    /// Clears the state if it was not refreshed since `generation`; `true` when cleared.
    pub fn expire(&self, place: Uuid, user: Uuid, generation: u64) -> bool {
        self.entries
            .remove_if(&(place, user), |_, g| *g == generation)
            .is_some()
    }

    /// Clears the state; `true` when the user was typing.
    pub fn stop(&self, place: Uuid, user: Uuid) -> bool {
        self.entries.remove(&(place, user)).is_some()
    }

    pub fn typing_in(&self, place: Uuid) -> Vec<Uuid> {
        self.entries
            .iter()
            .filter(|e| e.key().0 == place)
            .map(|e| e.key().1)
            .collect()
    }

    /// Forgets everyone typing in `place` (a room closed, a conversation was deleted).
    pub fn clear_place(&self, place: Uuid) {
        self.entries.retain(|(p, _), _| *p != place);
    }
}

/// Marks `user` typing in `place` until `ttl` passes without another call: `announce(holder,
/// place, user, true)` runs when they start, and `announce(…, false)` when it expires. `typing`
/// picks the [`Typing`] out of `holder` (the app state, which the expiry timer keeps).
pub fn keep_typing<H>(
    holder: &H,
    typing: fn(&H) -> &Typing,
    place: Uuid,
    user: Uuid,
    ttl: Duration,
    announce: fn(&H, Uuid, Uuid, bool),
) where
    H: Clone + Send + Sync + 'static,
{
    let (started, generation) = typing(holder).start(place, user);
    if started {
        announce(holder, place, user, true);
    }
    let holder = holder.clone();
    tokio::spawn(async move {
        tokio::time::sleep(ttl).await;
        if typing(&holder).expire(place, user, generation) {
            announce(&holder, place, user, false);
        }
    });
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

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

    #[derive(Clone, Default)]
    struct Holder(Arc<(Typing, Mutex<Vec<bool>>)>);

    #[tokio::test]
    async fn kept_typing_announces_its_start_once_and_its_expiry() {
        let h = Holder::default();
        let (place, ann) = (Uuid::new_v4(), Uuid::new_v4());
        let pick: fn(&Holder) -> &Typing = |h| &h.0.0;
        let announce: fn(&Holder, Uuid, Uuid, bool) = |h, _, _, is_typing| {
            h.0.1.lock().expect("lock").push(is_typing);
        };
        let ttl = Duration::from_millis(60);
        keep_typing(&h, pick, place, ann, ttl, announce);
        tokio::time::sleep(Duration::from_millis(30)).await;
        keep_typing(&h, pick, place, ann, ttl, announce);
        tokio::time::sleep(Duration::from_millis(45)).await;
        assert_eq!(
            *h.0.1.lock().expect("lock"),
            vec![true],
            "refreshed in time"
        );
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert_eq!(*h.0.1.lock().expect("lock"), vec![true, false]);
        assert!(h.0.0.typing_in(place).is_empty());
    }
}
