//! Connection statistics for operators (admins only); the same numbers are on `GET /metrics`.

use async_graphql::{Context, Object, SimpleObject};

use crate::error::AppError;
use crate::graphql::ContextExt;
use crate::service::accounts;

#[derive(SimpleObject)]
pub struct SubscriptionCount {
    /// The subscription's root field, e.g. `userEvents`.
    kind: String,
    count: i32,
}

#[derive(SimpleObject)]
pub struct ServerStats {
    /// Open WebSocket connections, anonymous ones included.
    connections: i32,
    /// Users with at least one open connection.
    online_users: i32,
    /// Event-bus topics with at least one subscriber.
    topics: i32,
    subscriptions: Vec<SubscriptionCount>,
}

#[derive(Default)]
pub struct StatsQuery;

#[Object]
impl StatsQuery {
    async fn server_stats(&self, ctx: &Context<'_>) -> async_graphql::Result<ServerStats> {
        let viewer = ctx.viewer().require()?;
        let state = ctx.state()?;
        if accounts::current(&state.db, viewer.user_id).await?.role != "admin" {
            return Err(AppError::forbidden("Admins only").into());
        }
        let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
        Ok(ServerStats {
            connections: count(state.presence.sockets()),
            online_users: count(state.presence.online_users()),
            topics: count(state.bus.topic_count()),
            subscriptions: state
                .presence
                .subscriptions()
                .into_iter()
                .map(|(kind, n)| SubscriptionCount {
                    kind: kind.to_owned(),
                    count: i32::try_from(n).unwrap_or(i32::MAX),
                })
                .collect(),
        })
    }
}
