//! Domain rules: permissions, validation, transactions. No GraphQL types here; resolvers call
//! these functions and map their results.

pub mod account_input;
pub mod accounts;
pub mod catalog;
pub mod catalog_input;
pub mod federated;
pub mod library;
pub mod playback;
pub mod player;
pub mod rate_limit;
pub mod sessions;
pub mod social;
pub mod two_factor;
