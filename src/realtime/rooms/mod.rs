//! The live side of listening rooms in this process: the events on a room's topic, who is
//! connected to which room, and the per-room timers and locks.

pub mod events;
pub mod presence;
pub mod runtime;
