//! Domain rules: permissions, validation, transactions, one folder per domain. No GraphQL types
//! here; resolvers call these functions and map their results. Pure rules and input types live
//! in [`crate::domain`]; events go out through [`crate::realtime`] after their transaction
//! commits.

pub mod accounts;
pub mod calls;
pub mod catalog;
pub mod cluster;
pub mod library;
pub mod messenger;
pub mod paging;
pub mod player;
pub mod rooms;
pub mod social;
