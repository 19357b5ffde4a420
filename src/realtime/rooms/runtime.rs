//! The per-process side of listening rooms: presence, typing, one timer per room (track end or
//! the end of a wait), and a lock per room that orders this process's writes to it (so events
//! leave in commit order). Everything that must agree across instances lives in the database.

use std::{
    future::Future,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use dashmap::DashMap;
use tokio::{
    sync::{Mutex, OwnedMutexGuard},
    task::AbortHandle,
};
use uuid::Uuid;

use crate::realtime::rooms::presence::RoomPresence;
use crate::realtime::typing::Typing;

#[derive(Default)]
pub struct RoomRuntime {
    pub presence: Arc<RoomPresence>,
    pub typing: Arc<Typing>,
    pub timers: Timers,
    locks: DashMap<Uuid, Arc<Mutex<()>>>,
    background: std::sync::Mutex<Vec<AbortHandle>>,
}

impl RoomRuntime {
    /// Waits for this process's turn to change `room`.
    pub async fn lock(&self, room: Uuid) -> OwnedMutexGuard<()> {
        let mutex = self.locks.entry(room).or_default().clone();
        mutex.lock_owned().await
    }

    /// Forgets locks nobody holds or waits for.
    pub fn prune_locks(&self) {
        self.locks.retain(|_, m| Arc::strong_count(m) > 1);
    }

    /// A task that runs until [`shutdown`](Self::shutdown).
    pub fn add_background(&self, handle: AbortHandle) {
        if let Ok(mut list) = self.background.lock() {
            list.push(handle);
        }
    }

    /// Stops the timers and background tasks (the server is stopping).
    pub fn shutdown(&self) {
        self.timers.cancel_all();
        if let Ok(mut list) = self.background.lock() {
            for handle in list.drain(..) {
                handle.abort();
            }
        }
    }
}

/// At most one pending timer per room; arming replaces the previous one.
#[derive(Default)]
pub struct Timers {
    entries: Arc<DashMap<Uuid, (u64, AbortHandle)>>,
    next: AtomicU64,
}

impl Timers {
    /// Runs `task` at `at_ms` (Unix epoch ms; now if past), replacing the room's pending timer.
    /// The timer forgets itself before `task` starts, so `task` may arm the next one.
    pub fn arm<F>(&self, room: Uuid, at_ms: i64, task: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let generation = self.next.fetch_add(1, Ordering::Relaxed);
        let delay = u64::try_from(at_ms - chrono::Utc::now().timestamp_millis()).unwrap_or(0);
        let entries = self.entries.clone();
        let handle = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(delay)).await;
            entries.remove_if(&room, |_, (g, _)| *g == generation);
            task.await;
        });
        if let Some((_, old)) = self
            .entries
            .insert(room, (generation, handle.abort_handle()))
        {
            old.abort();
        }
    }

    pub fn cancel(&self, room: Uuid) {
        if let Some((_, (_, handle))) = self.entries.remove(&room) {
            handle.abort();
        }
    }

    pub fn cancel_all(&self) {
        self.entries.retain(|_, (_, handle)| {
            handle.abort();
            false
        });
    }

    /// Rooms with a pending timer.
    pub fn armed(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn arming_replaces_the_pending_timer() {
        let timers = Timers::default();
        let room = Uuid::new_v4();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let now = chrono::Utc::now().timestamp_millis();
        let first = tx.clone();
        timers.arm(room, now + 50, async move {
            let _ = first.send(1);
        });
        let second = tx.clone();
        timers.arm(room, now + 60, async move {
            let _ = second.send(2);
        });
        assert_eq!(rx.recv().await, Some(2));
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(rx.try_recv().is_err(), "the replaced timer never fires");
        assert_eq!(timers.armed(), 0, "a fired timer forgets itself");
        let third = tx.clone();
        timers.arm(room, now + 10_000, async move {
            let _ = third.send(3);
        });
        timers.cancel(room);
        assert_eq!(timers.armed(), 0);
    }
}
