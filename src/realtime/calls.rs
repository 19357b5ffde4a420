//! The per-process side of calls: one ring timer per ringing call. Calls and their participants
//! live in the database (the deadline too, so timers are re-armed at start-up); their events
//! travel on each participant's `user:{id}` topic and on the call's `call:{id}` topic.

use crate::realtime::rooms::runtime::Timers;

#[derive(Default)]
pub struct CallRuntime {
    pub ring_timers: Timers,
}

impl CallRuntime {
    /// Stops the timers (the server is stopping).
    pub fn shutdown(&self) {
        self.ring_timers.cancel_all();
    }
}
