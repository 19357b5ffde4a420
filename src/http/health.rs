//! Liveness and readiness.

use axum::{Json, extract::State, http::StatusCode, response::IntoResponse};
use serde_json::json;

use super::HttpState;

/// Liveness: the process answers.
pub async fn health(State(state): State<HttpState>) -> impl IntoResponse {
    Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "uptimeSeconds": state.app.started_at.elapsed().as_secs(),
        "timestamp": chrono::Utc::now().to_rfc3339(),
    }))
}

/// Readiness: the database answers too; 503 when it does not.
pub async fn ready(State(state): State<HttpState>) -> impl IntoResponse {
    let db_ok = state.app.db.ping().await.is_ok();
    let status = if db_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = Json(json!({
        "status": if db_ok { "ok" } else { "unavailable" },
        "database": if db_ok { "ok" } else { "down" },
        "version": env!("CARGO_PKG_VERSION"),
        "timestamp": chrono::Utc::now().to_rfc3339(),
    }));
    (status, body)
}
