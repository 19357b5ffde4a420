//! GraphQL over WebSocket on `/graphql`: both `graphql-transport-ws` and the legacy
//! `graphql-ws` subprotocol, written over `Schema::execute_stream` because async-graphql's own
//! handler departs from the protocol (close codes, duplicate ids, init timeout).

mod connection;
mod limits;
mod operations;
mod protocol;

use axum::{
    extract::WebSocketUpgrade,
    http::{HeaderMap, HeaderValue, header},
    response::Response,
};

use super::HttpState;
use crate::auth::rate_limit::ClientAddr;
pub use connection::WsConfig;
use protocol::Protocol;

/// Initial read buffer of a WebSocket connection: client messages are small (a subscribe, a
/// mutation); a bigger one grows it.
const WS_READ_BUFFER_BYTES: usize = 2 * 1024;
/// Frames are written out once this much is buffered (and at every flush).
const WS_WRITE_BUFFER_BYTES: usize = 8 * 1024;

/// Accepts the upgrade, choosing the first subprotocol in the *client's* list that we speak and
/// echoing exactly that one. With no subprotocol offered, `graphql-transport-ws` is assumed.
/// (The raw header is read because axum's `requested_protocols` is sorted, not in client order.)
pub fn upgrade(
    state: HttpState,
    mut upgrade: WebSocketUpgrade,
    headers: &HeaderMap,
    client: Option<ClientAddr>,
) -> Response {
    let client = client.unwrap_or(ClientAddr(std::net::Ipv4Addr::UNSPECIFIED.into()));
    let max = state.app.config.security.ws_max_connections_per_client;
    // `RATE_LIMIT=off` (load tests) lifts the per-address and per-user connection caps too.
    let slot = if state.app.limiter.enabled() {
        match state.app.ws_clients.try_open(&client, max) {
            Some(slot) => Some(slot),
            None => return too_many_connections(max),
        }
    } else {
        None
    };
    // A WebSocket message is bounded like an HTTP request body. The buffers start small (the
    // default is 128 KiB each, most of a connection's memory); they grow for a big message.
    let body_limit = state.app.config.body_limit_bytes;
    upgrade = upgrade
        .max_message_size(body_limit)
        .max_frame_size(body_limit)
        .read_buffer_size(WS_READ_BUFFER_BYTES)
        .write_buffer_size(WS_WRITE_BUFFER_BYTES);
    let limits = limits::ConnectionLimits::new(client, slot);
    let offered: Vec<String> = headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|p| p.trim().to_owned())
        .collect();
    let chosen = offered.iter().find_map(|p| Protocol::from_name(p));
    if let Some(protocol) = chosen {
        upgrade.set_selected_protocol(HeaderValue::from_static(protocol.name()));
    }
    let authorization = headers
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or("<invalid>").to_owned());
    let refused = chosen.is_none() && !offered.is_empty();
    let config = WsConfig::from(&state.app.config);
    upgrade.on_upgrade(move |socket| async move {
        if refused {
            connection::refuse(socket).await;
        } else {
            connection::serve(
                socket,
                chosen.unwrap_or(Protocol::TransportWs),
                state,
                config,
                authorization,
                limits,
            )
            .await;
        }
    })
}

/// 429 at the upgrade: this client address has too many WebSocket connections open.
fn too_many_connections(max: usize) -> Response {
    use axum::{http::StatusCode, response::IntoResponse};
    let body = serde_json::json!({ "error": {
        "code": "TOO_MANY_REQUESTS",
        "message": format!("Too many open WebSocket connections from this address (at most {max})"),
    } });
    let mut response = (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("10"));
    response
}
