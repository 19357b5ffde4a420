//! Real time: the in-process event bus and the domain events that travel on it.

pub mod bus;
pub mod events;
pub mod presence;

pub use bus::{EventBus, Topic};
pub use events::{Event, UserEvent};
pub use presence::Presence;
