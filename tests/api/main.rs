//! Integration tests: each starts the real server on 127.0.0.1:0 with a fresh database and talks
//! to it over real HTTP and WebSocket connections. Set `TEST_DATABASE_URL=postgres://…` to run
//! the same suite on PostgreSQL (a fresh schema per test).

mod helpers;

mod accounts;
mod chat;
mod friends;
mod http_protocol;
mod player;
mod presence;
mod room_playback;
mod rooms;
mod schema;
mod subscriptions;
mod websocket;
