//! `GET /metrics`: connection statistics in the Prometheus text format. Expose it to your
//! scraper only (it carries counts, no personal data).

use std::fmt::Write;

use axum::{extract::State, http::header, response::IntoResponse};

use super::HttpState;

pub async fn metrics(State(state): State<HttpState>) -> impl IntoResponse {
    let app = &state.app;
    let mut out = String::new();
    let mut gauge = |name: &str, help: &str, value: String| {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
        );
    };
    gauge(
        "soundroom_ws_connections",
        "Open WebSocket connections.",
        app.presence.sockets().to_string(),
    );
    gauge(
        "soundroom_online_users",
        "Users with at least one open connection.",
        app.presence.online_users().to_string(),
    );
    gauge(
        "soundroom_bus_topics",
        "Event-bus topics with at least one subscriber.",
        app.bus.topic_count().to_string(),
    );
    gauge(
        "soundroom_uptime_seconds",
        "Seconds since the server started.",
        app.started_at.elapsed().as_secs().to_string(),
    );
    let _ = writeln!(
        out,
        "# HELP soundroom_db_statements_total SQL statements run.\n# TYPE soundroom_db_statements_total counter\nsoundroom_db_statements_total {}",
        app.db_statement_count()
    );
    let _ = writeln!(
        out,
        "# HELP soundroom_subscriptions Running subscriptions by kind.\n# TYPE soundroom_subscriptions gauge"
    );
    for (kind, count) in app.presence.subscriptions() {
        let _ = writeln!(out, "soundroom_subscriptions{{kind=\"{kind}\"}} {count}");
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
}
