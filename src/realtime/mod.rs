//! Real time: the event bus (in-process, bridged over Redis between instances when configured),
//! the domain events that travel on it, and the per-process state of rooms and conversations.

pub mod bridge;
pub mod bus;
pub mod calls;
pub mod cluster;
pub mod connections;
pub mod events;
pub mod messenger;
pub mod presence;
pub mod renders;
pub mod resume;
pub mod rooms;
pub mod typing;

pub use bus::{EventBus, Topic};
pub use calls::CallRuntime;
pub use connections::ClientConnections;
pub use events::{
    CallEvent, CallMessage, CallSnapshot, CatalogChange, ConversationMessage, Event, UserEvent,
};
pub use messenger::MessengerRuntime;
pub use presence::Presence;
pub use rooms::events::{RoomEvent, RoomMessage};
pub use rooms::runtime::RoomRuntime;
