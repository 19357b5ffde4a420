//! Who is typing where: in a listening room, in a conversation (each keeps its own [`Typing`]).
//! A typing state expires when not refreshed within a TTL; each refresh gets a new generation
//! so that only the latest expiry timer clears it. With `REDIS_URL`, the room typing states of
//! the other instances are merged in from their presence reports (see
//! [`crate::realtime::cluster`]), each with the time it has left.

use std::{
    collections::HashMap,
    sync::atomic::{AtomicU64, Ordering},
    time::{Duration, Instant},
};

use dashmap::DashMap;
use tokio::sync::Notify;
use uuid::Uuid;

/// Per place, who is typing there and how many milliseconds their state has left.
pub type TypingReport = HashMap<Uuid, HashMap<Uuid, u64>>;

#[derive(Default)]
pub struct Typing {
    /// `(place, user)` → generation of the latest refresh, and when it expires.
    entries: DashMap<(Uuid, Uuid), (u64, Instant)>,
    next: AtomicU64,
    /// What each other instance last reported: `(place, user)` → when it expires.
    peers: DashMap<Uuid, HashMap<(Uuid, Uuid), Instant>>,
    /// Woken when a state here starts, is refreshed or ends.
    pub changed: Notify,
}

impl Typing {
    /// Marks `user` typing in `place` for `ttl`. Returns whether they just started (an event is
    /// due) and the generation to pass to [`expire`](Self::expire).
    pub fn start(&self, place: Uuid, user: Uuid, ttl: Duration) -> (bool, u64) {
        let generation = self.next.fetch_add(1, Ordering::Relaxed);
        let previous = self
            .entries
            .insert((place, user), (generation, Instant::now() + ttl));
        self.changed.notify_one();
        (previous.is_none(), generation)
    }

    /// Clears the state if it was not refreshed since `generation`; `true` when cleared.
    pub fn expire(&self, place: Uuid, user: Uuid, generation: u64) -> bool {
        let cleared = self
            .entries
            .remove_if(&(place, user), |_, (g, _)| *g == generation)
            .is_some();
        if cleared {
            self.changed.notify_one();
        }
        cleared
    }

    /// Clears the state; `true` when the user was typing.
    pub fn stop(&self, place: Uuid, user: Uuid) -> bool {
        let stopped = self.entries.remove(&(place, user)).is_some();
        if stopped {
            self.changed.notify_one();
        }
        stopped
    }

    /// Who is typing in `place`, here or (not yet expired) on another instance.
    pub fn typing_in(&self, place: Uuid) -> Vec<Uuid> {
        let mut users: Vec<Uuid> = self
            .entries
            .iter()
            .filter(|e| e.key().0 == place)
            .map(|e| e.key().1)
            .collect();
        if !self.peers.is_empty() {
            let now = Instant::now();
            for peer in self.peers.iter() {
                users.extend(
                    peer.iter()
                        .filter(|((p, _), until)| *p == place && **until > now)
                        .map(|((_, user), _)| *user),
                );
            }
            users.sort_unstable();
            users.dedup();
        }
        users
    }

    /// Forgets everyone typing in `place` (a room closed, a conversation was deleted).
    pub fn clear_place(&self, place: Uuid) {
        self.entries.retain(|(p, _), _| *p != place);
        for mut peer in self.peers.iter_mut() {
            peer.retain(|(p, _), _| *p != place);
        }
        self.changed.notify_one();
    }

    /// The states on this instance with the time each has left, for the other instances.
    pub fn local_report(&self) -> TypingReport {
        let now = Instant::now();
        let mut report = TypingReport::new();
        for e in self.entries.iter() {
            let ((place, user), (_, until)) = (e.key(), e.value());
            let left = until.saturating_duration_since(now).as_millis();
            report
                .entry(*place)
                .or_default()
                .insert(*user, u64::try_from(left).unwrap_or(u64::MAX));
        }
        report
    }

    /// What another instance reports (received now).
    pub fn set_peer(&self, instance: Uuid, report: TypingReport) {
        let now = Instant::now();
        let states = report
            .into_iter()
            .flat_map(|(place, users)| {
                users.into_iter().map(move |(user, left_ms)| {
                    ((place, user), now + Duration::from_millis(left_ms))
                })
            })
            .collect();
        self.peers.insert(instance, states);
    }

    /// Forgets an instance that stopped reporting.
    pub fn remove_peer(&self, instance: Uuid) {
        self.peers.remove(&instance);
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
    let (started, generation) = typing(holder).start(place, user, ttl);
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
        let ttl = Duration::from_secs(3);
        let (started, first) = t.start(room, ann, ttl);
        assert!(started);
        let (again, second) = t.start(room, ann, ttl);
        assert!(!again, "a refresh is not a new start");
        assert!(!t.expire(room, ann, first), "stale timer");
        assert_eq!(t.typing_in(room), vec![ann]);
        assert!(t.expire(room, ann, second));
        assert!(t.typing_in(room).is_empty());
        assert!(!t.stop(room, ann));
    }

    #[test]
    fn states_reported_by_another_instance_last_the_time_they_had_left() {
        let (here, there) = (Typing::default(), Typing::default());
        let (room, ann, bob, instance) = (
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
        );
        there.start(room, ann, Duration::from_millis(40));
        here.start(room, bob, Duration::from_secs(3));
        let report = there.local_report();
        assert!(report[&room][&ann] <= 40, "{report:?}");
        here.set_peer(instance, report);
        let mut typing = here.typing_in(room);
        typing.sort();
        let mut expected = vec![ann, bob];
        expected.sort();
        assert_eq!(typing, expected);
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(here.typing_in(room), vec![bob], "its time ran out");
        here.set_peer(instance, [(room, [(ann, 1000)].into())].into());
        assert_eq!(here.typing_in(room).len(), 2, "refreshed there");
        here.remove_peer(instance);
        assert_eq!(here.typing_in(room), vec![bob]);
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
