//! Which rooms' events the other instances did not get from this one (dropped when the outbox
//! was full, or lost with a failed send), until a resync marker has told them.

use std::{
    collections::HashSet,
    sync::{
        Mutex,
        atomic::{AtomicBool, Ordering},
    },
};

use super::{
    super::Topic,
    wire::{MAX_LISTED_TOPICS, Resync},
};

#[derive(Default)]
pub struct Missed {
    /// Set whenever something is recorded: the sender checks this without locking.
    pending: AtomicBool,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    topics: HashSet<Topic>,
    all: bool,
}

impl Missed {
    /// Remembers that `topic`'s events were lost. Only rooms and calls are resynced (their
    /// subscribers get the current state); personal events are notifications and are not
    /// replayed.
    pub fn record(&self, topic: Topic) {
        if !matches!(topic, Topic::Room(_) | Topic::Call(_)) {
            return;
        }
        let mut state = self.lock();
        if !state.all {
            state.topics.insert(topic);
            if state.topics.len() > MAX_LISTED_TOPICS {
                state.all = true;
                state.topics.clear();
            }
        }
        self.pending.store(true, Ordering::Release);
    }

    pub fn is_pending(&self) -> bool {
        self.pending.load(Ordering::Acquire)
    }

    /// What to announce, clearing it (give it back with [`restore`](Self::restore) when the
    /// announcement could not be sent).
    pub fn take(&self) -> Option<Resync> {
        if !self.is_pending() {
            return None;
        }
        let mut state = self.lock();
        self.pending.store(false, Ordering::Release);
        let state = std::mem::take(&mut *state);
        if state.all {
            Some(Resync::All)
        } else if state.topics.is_empty() {
            None
        } else {
            Some(Resync::Topics(state.topics.into_iter().collect()))
        }
    }

    pub fn restore(&self, resync: Resync) {
        match resync {
            Resync::All => {
                let mut state = self.lock();
                state.all = true;
                state.topics.clear();
                self.pending.store(true, Ordering::Release);
            }
            Resync::Topics(topics) => {
                for topic in topics {
                    self.record(topic);
                }
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn rooms_are_remembered_until_taken() {
        let missed = Missed::default();
        assert_eq!(missed.take(), None);
        let room = Topic::Room(Uuid::new_v4());
        missed.record(room);
        missed.record(room);
        missed.record(Topic::User(Uuid::new_v4()));
        assert!(missed.is_pending());
        assert_eq!(missed.take(), Some(Resync::Topics(vec![room])));
        assert!(!missed.is_pending());
        assert_eq!(missed.take(), None);
        // Personal topics alone are not resynced; calls are, like rooms.
        missed.record(Topic::User(Uuid::new_v4()));
        assert_eq!(missed.take(), None);
        let call = Topic::Call(Uuid::new_v4());
        missed.record(call);
        assert_eq!(missed.take(), Some(Resync::Topics(vec![call])));
    }

    #[test]
    fn an_unsent_announcement_is_kept() {
        let missed = Missed::default();
        let (a, b) = (Topic::Room(Uuid::new_v4()), Topic::Room(Uuid::new_v4()));
        missed.record(a);
        let taken = missed.take().expect("pending");
        missed.record(b);
        missed.restore(taken);
        let Some(Resync::Topics(mut topics)) = missed.take() else {
            panic!("topics expected");
        };
        topics.sort_by_key(|t| t.to_string());
        let mut expected = vec![a, b];
        expected.sort_by_key(|t| t.to_string());
        assert_eq!(topics, expected);
    }

    #[test]
    fn too_many_rooms_become_all() {
        let missed = Missed::default();
        for _ in 0..=MAX_LISTED_TOPICS {
            missed.record(Topic::Room(Uuid::new_v4()));
        }
        assert_eq!(missed.take(), Some(Resync::All));
        missed.restore(Resync::All);
        missed.record(Topic::Room(Uuid::new_v4()));
        assert_eq!(missed.take(), Some(Resync::All));
    }
}
