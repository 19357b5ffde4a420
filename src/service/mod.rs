//! Domain rules: permissions, validation, transactions. No GraphQL types here; resolvers call
//! these functions and map their results.

pub mod account_input;
pub mod accounts;
pub mod catalog;
pub mod catalog_input;
pub mod chat;
pub mod federated;
pub mod library;
pub mod playback;
pub mod player;
pub mod rate_limit;
pub mod room_access;
pub mod room_live;
pub mod room_playback;
pub mod room_queue;
pub mod room_sync;
pub mod rooms;
pub mod sessions;
pub mod social;
pub mod track_removal;
pub mod two_factor;
