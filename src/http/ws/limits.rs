//! Caps on WebSocket use: connections per client address (checked at the upgrade, HTTP 429),
//! connections per signed-in user (checked at `connection_init`, close 1013 "try again
//! later", which graphql-ws clients retry with back-off), operations running at once on one
//! connection, and the general per-client request limit for each operation (both answered with
//! an `error` message for that operation; the socket stays open). With `REDIS_URL` the
//! connection caps count the connections every other instance last reported (see
//! [`crate::realtime::connections`]); checking them never waits for Redis. `RATE_LIMIT=off`
//! lifts the connection caps (load tests open many sockets from one address).

use async_graphql::ServerError;
use uuid::Uuid;

use crate::auth::rate_limit::{Bucket, ClientAddr};
use crate::error::AppError;
use crate::realtime::connections::ConnectionSlot;
use crate::state::AppState;

/// "Try Again Later" (RFC 6455 registry): a cap, not a protocol error.
pub const TRY_AGAIN_LATER: u16 = 1013;

/// What one connection holds: its client address and its counted slots (released on drop).
pub struct ConnectionLimits {
    pub client: ClientAddr,
    _client_slot: Option<ConnectionSlot>,
    user_slot: Option<ConnectionSlot>,
}

impl ConnectionLimits {
    pub fn new(client: ClientAddr, client_slot: Option<ConnectionSlot>) -> Self {
        Self {
            client,
            _client_slot: client_slot,
            user_slot: None,
        }
    }

    /// Counts the connection for `user`; the close reason when they have too many open.
    pub fn admit_user(&mut self, app: &AppState, user: Uuid) -> Result<(), String> {
        if !app.limiter.enabled() {
            return Ok(());
        }
        let max = app.config.security.ws_max_connections_per_user;
        match app.ws_clients.try_open_user(user, max) {
            Some(slot) => {
                self.user_slot = Some(slot);
                Ok(())
            }
            None => Err(format!(
                "Too many connections for this user (at most {max}); try again later"
            )),
        }
    }

    /// Whether one more operation may start, with `running` already running.
    pub async fn admit_operation(&self, app: &AppState, running: usize) -> Result<(), ServerError> {
        let max = app.config.security.ws_max_operations_per_connection;
        if running >= max {
            let mut error = ServerError::new(
                format!(
                    "At most {max} operations may run at once on one connection; complete one first"
                ),
                None,
            );
            let mut ext = async_graphql::ErrorExtensionValues::default();
            ext.set("code", "TOO_MANY_REQUESTS");
            error.extensions = Some(ext);
            return Err(error);
        }
        app.limiter
            .hit(Bucket::Requests, &self.client.key())
            .await
            .map_err(|err: AppError| {
                let gql: async_graphql::Error = err.into();
                gql.into_server_error(Default::default())
            })
    }
}
