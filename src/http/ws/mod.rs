//! GraphQL over WebSocket on `/graphql`: both `graphql-transport-ws` and the legacy
//! `graphql-ws` subprotocol, written over `Schema::execute_stream` because async-graphql's own
//! handler departs from the protocol (close codes, duplicate ids, init timeout).

mod connection;
mod protocol;

use axum::{
    extract::WebSocketUpgrade,
    http::{HeaderMap, HeaderValue, header},
    response::Response,
};

use super::HttpState;
pub use connection::WsConfig;
use protocol::Protocol;

/// Accepts the upgrade, choosing the first subprotocol in the *client's* list that we speak and
/// echoing exactly that one. With no subprotocol offered, `graphql-transport-ws` is assumed.
/// (The raw header is read because axum's `requested_protocols` is sorted, not in client order.)
pub fn upgrade(state: HttpState, mut upgrade: WebSocketUpgrade, headers: &HeaderMap) -> Response {
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
            )
            .await;
        }
    })
}
