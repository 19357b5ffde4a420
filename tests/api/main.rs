//! Integration tests: each starts the real server on 127.0.0.1:0 with a fresh database and talks
//! to it over real HTTP and WebSocket connections. Set `TEST_DATABASE_URL=postgres://…` to run
//! the same suite on PostgreSQL (a fresh schema per test).

mod helpers;

mod accounts;
mod argument_values;
mod catalog;
mod chat;
mod friends;
mod google;
mod http_protocol;
mod instances;
mod library;
mod oidc_provider;
mod player;
mod presence;
mod query_limits;
mod rate_limits;
mod room_access;
mod room_playback;
mod room_resync;
mod rooms;
mod schema;
mod streaming;
mod subscriptions;
mod two_factor;
mod upload_limits;
mod uploads;
mod web_client;
mod websocket;
