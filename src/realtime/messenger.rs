//! The per-process side of the messenger: who is typing in which conversation, and the
//! background tasks (the sweep of unsent attachments). Conversations, members and messages live
//! in the database; their events travel on each member's `user:{id}` topic.

use tokio::task::AbortHandle;

use crate::realtime::typing::Typing;

#[derive(Default)]
pub struct MessengerRuntime {
    pub typing: Typing,
    background: std::sync::Mutex<Vec<AbortHandle>>,
}

impl MessengerRuntime {
    /// A task that runs until [`shutdown`](Self::shutdown).
    pub fn add_background(&self, handle: AbortHandle) {
        if let Ok(mut list) = self.background.lock() {
            list.push(handle);
        }
    }

    /// Stops the background tasks (the server is stopping).
    pub fn shutdown(&self) {
        if let Ok(mut list) = self.background.lock() {
            for handle in list.drain(..) {
                handle.abort();
            }
        }
    }
}
