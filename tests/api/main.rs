//! Integration tests: each starts the real server on 127.0.0.1:0 with a fresh database and talks
//! to it over real HTTP and WebSocket connections. Set `TEST_DATABASE_URL=postgres://…` to run
//! the same suite on PostgreSQL (a fresh schema per test). One module per domain (rooms is a
//! folder of its own); shared fixtures are in `helpers`.

mod helpers;

mod accounts;
mod argument_values;
mod calls;
mod catalog;
mod email;
mod federated;
mod http_protocol;
mod instances;
mod instances_process;
mod instances_shared;
mod library;
mod media_bucket;
mod messenger;
mod player;
mod presence;
mod query_limits;
mod rate_limits;
mod resume;
mod rooms;
mod schema;
mod social;
mod stream;
mod stream_cache;
mod subscriptions;
mod two_factor;
mod uploads;
mod web_client;
mod websocket;
