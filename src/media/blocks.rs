//! Recently served blocks of stored files, in memory, within a budget (`STREAM_CACHE_BYTES`).
//!
//! Files are cached in aligned blocks of [`BLOCK`] bytes: any range is served from the blocks it
//! overlaps (sliced, not copied), so the members of a room who all ask for a track's first bytes
//! at the same moment are answered from one read. Eviction is second-chance (CLOCK): a block
//! served since the hand last passed it is kept for one more round.

use std::{
    collections::{HashMap, VecDeque},
    sync::Mutex,
};

use axum::body::Bytes;
use uuid::Uuid;

/// The unit of caching and of reading while a cache is on.
pub const BLOCK: u64 = 256 * 1024;

/// A block of one file: the track (or attachment), the inode it was read from, its index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BlockKey {
    pub id: Uuid,
    pub inode: u64,
    pub index: u64,
}

struct Slot {
    data: Bytes,
    used: bool,
}

#[derive(Default)]
struct Inner {
    slots: HashMap<BlockKey, Slot>,
    /// The clock: every key in `slots`, once.
    ring: VecDeque<BlockKey>,
    bytes: usize,
}

pub struct Blocks {
    budget: usize,
    inner: Mutex<Inner>,
}

impl Blocks {
    /// `None` when `budget` cannot hold one block (the cache is off).
    pub fn new(budget: usize) -> Option<Self> {
        (budget as u64 >= BLOCK).then(|| Self {
            budget,
            inner: Mutex::default(),
        })
    }

    pub fn get(&self, key: &BlockKey) -> Option<Bytes> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let slot = inner.slots.get_mut(key)?;
        slot.used = true;
        Some(slot.data.clone())
    }

    pub fn insert(&self, key: BlockKey, data: Bytes) {
        if data.len() > self.budget {
            return;
        }
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if inner.slots.contains_key(&key) {
            return;
        }
        while inner.bytes + data.len() > self.budget {
            let Some(hand) = inner.ring.pop_front() else {
                break;
            };
            let keep = match inner.slots.get_mut(&hand) {
                Some(slot) if slot.used => {
                    slot.used = false;
                    true
                }
                _ => false,
            };
            if keep {
                inner.ring.push_back(hand);
            } else if let Some(slot) = inner.slots.remove(&hand) {
                inner.bytes -= slot.data.len();
            }
        }
        inner.bytes += data.len();
        inner.ring.push_back(key);
        inner.slots.insert(key, Slot { data, used: false });
    }

    /// Drops every block of `id` (its track was deleted).
    pub fn forget(&self, id: Uuid) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let Inner { slots, ring, bytes } = &mut *inner;
        ring.retain(|key| key.id != id);
        slots.retain(|key, slot| {
            let keep = key.id != id;
            if !keep {
                *bytes -= slot.data.len();
            }
            keep
        });
    }

    /// Bytes held now.
    pub fn held(&self) -> usize {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: Uuid, index: u64) -> BlockKey {
        BlockKey {
            id,
            inode: 1,
            index,
        }
    }

    fn block() -> Bytes {
        Bytes::from(vec![7; BLOCK as usize])
    }

    #[test]
    fn stays_within_budget_and_keeps_what_was_used() {
        assert!(Blocks::new(BLOCK as usize - 1).is_none());
        let cache = Blocks::new(3 * BLOCK as usize).expect("on");
        let id = Uuid::new_v4();
        for i in 0..3 {
            cache.insert(key(id, i), block());
        }
        assert!(cache.get(&key(id, 0)).is_some());
        cache.insert(key(id, 3), block());
        assert_eq!(cache.held(), 3 * BLOCK as usize);
        assert!(cache.get(&key(id, 0)).is_some(), "used: a second chance");
        assert!(cache.get(&key(id, 1)).is_none(), "the oldest unused goes");
        assert!(cache.get(&key(id, 3)).is_some());
    }

    #[test]
    fn forgetting_a_file_frees_its_blocks() {
        let cache = Blocks::new(4 * BLOCK as usize).expect("on");
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        cache.insert(key(a, 0), block());
        cache.insert(key(a, 1), block());
        cache.insert(key(b, 0), block());
        cache.forget(a);
        assert_eq!(cache.held(), BLOCK as usize);
        assert!(cache.get(&key(a, 0)).is_none());
        assert!(cache.get(&key(b, 0)).is_some());
    }
}
