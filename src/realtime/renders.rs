//! Renderings of one event, kept with it while it travels to its subscribers: subscribers that
//! ask for the same shape (the same document and variables, and the same viewer when the
//! payload depends on who asks) share one rendering instead of each resolving the event again.
//!
//! The bus knows nothing of what a rendering is: the subscription layer stores its own type
//! and reads it back. Nothing here crosses instances (the Redis bridge skips it).

use std::{
    any::Any,
    fmt,
    sync::{Arc, Mutex},
};

use tokio::sync::OnceCell;
use uuid::Uuid;

/// What one rendering is stored as.
pub type Rendering = Arc<dyn Any + Send + Sync>;

type Slot = Arc<OnceCell<Rendering>>;

/// A shape, the viewer it was rendered for (`None`: anyone), and its cell.
type Entry = (Arc<str>, Option<Uuid>, Slot);

/// The renderings of one event, by shape and viewer.
#[derive(Default)]
pub struct Renders {
    slots: Mutex<Vec<Entry>>,
}

impl Renders {
    /// The cell for `shape` as seen by `viewer` (`None`: by anyone), created empty on first
    /// use. Concurrent subscribers get the same cell, so one of them renders and the others
    /// wait for it.
    pub fn slot(&self, shape: &Arc<str>, viewer: Option<Uuid>) -> Slot {
        let Ok(mut slots) = self.slots.lock() else {
            // A panic while the list was held: render without sharing.
            return Slot::default();
        };
        if let Some((_, _, slot)) = slots
            .iter()
            .find(|(s, v, _)| *v == viewer && (Arc::ptr_eq(s, shape) || **s == **shape))
        {
            return slot.clone();
        }
        let slot = Slot::default();
        slots.push((shape.clone(), viewer, slot.clone()));
        slot
    }
}

/// A copy of an event starts with no renderings.
impl Clone for Renders {
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl fmt::Debug for Renders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.slots.lock().map_or(0, |s| s.len());
        write!(f, "Renders({n})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_same_shape_and_viewer_share_a_cell() {
        let renders = Renders::default();
        let shape: Arc<str> = Arc::from("subscription { a }");
        let same_text: Arc<str> = Arc::from("subscription { a }");
        let other: Arc<str> = Arc::from("subscription { b }");
        let viewer = Some(Uuid::new_v4());
        let first = renders.slot(&shape, None);
        first
            .get_or_init(|| async { Arc::new(1_u32) as Rendering })
            .await;
        assert!(Arc::ptr_eq(&first, &renders.slot(&same_text, None)));
        assert!(!Arc::ptr_eq(&first, &renders.slot(&other, None)));
        assert!(!Arc::ptr_eq(&first, &renders.slot(&shape, viewer)));
        assert!(Arc::ptr_eq(
            &renders.slot(&shape, viewer),
            &renders.slot(&shape, viewer)
        ));
        assert!(renders.clone().slot(&shape, None).get().is_none());
    }
}
