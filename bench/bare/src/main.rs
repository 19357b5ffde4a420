//! Benchmark floor: async-graphql 7.2.1 + async-graphql-axum on axum 0.8 / tokio, nothing else.
//! `POST /graphql` answers `query { serverTime }` (Unix epoch ms, Float). `GET /health` answers `ok`.
//! No middleware, no auth, no database: the floor for "what does our middleware cost".
//! Port: env PORT (default 18200), bound to 127.0.0.1 only.

use std::time::{SystemTime, UNIX_EPOCH};

use async_graphql::{EmptyMutation, EmptySubscription, Object, Schema};
use async_graphql_axum::GraphQL;
use axum::{Router, routing::get, routing::post_service};

struct Query;

#[Object]
impl Query {
    /// Server clock, Unix epoch milliseconds.
    async fn server_time(&self) -> f64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs_f64() * 1000.0)
            .unwrap_or(0.0)
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(18200);
    let schema = Schema::build(Query, EmptyMutation, EmptySubscription).finish();
    let app = Router::new()
        .route("/graphql", post_service(GraphQL::new(schema)))
        .route("/health", get(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("bare-async-graphql listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
