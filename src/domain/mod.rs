//! Pure types and rules with no I/O, which every layer may use: the playback state machine, the
//! rules of a room's shared playback (holds, leads, votes), the messenger's values, keyset
//! cursors, and the parsed input types. Nothing here uses the rest of the crate but its errors.

pub mod accounts;
pub mod calls;
pub mod catalog;
pub mod keyset;
pub mod messenger;
pub mod playback;
pub mod room_rules;
pub mod rooms;
