//! The two WebSocket subprotocols' messages, parsed and encoded without any I/O.
//!
//! - `graphql-transport-ws`: the graphql-ws library's protocol (its PROTOCOL.md).
//! - `graphql-ws`: the legacy subscriptions-transport-ws protocol (`start`/`stop`/`data`/`ka`).

use async_graphql::{Request as GqlRequest, Response as GqlResponse, ServerError};
use serde_json::{Value, json};

use crate::http::params::request_from_json;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    TransportWs,
    LegacyWs,
}

impl Protocol {
    pub const fn name(self) -> &'static str {
        match self {
            Protocol::TransportWs => "graphql-transport-ws",
            Protocol::LegacyWs => "graphql-ws",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        match name.trim() {
            "graphql-transport-ws" => Some(Protocol::TransportWs),
            "graphql-ws" => Some(Protocol::LegacyWs),
            _ => None,
        }
    }
}

/// Close codes from graphql-ws's PROTOCOL.md.
pub mod close {
    /// RFC 6455 "Message Too Big": a message over the size limit.
    pub const MESSAGE_TOO_BIG: u16 = 1009;
    pub const BAD_REQUEST: u16 = 4400;
    pub const UNAUTHORIZED: u16 = 4401;
    pub const FORBIDDEN: u16 = 4403;
    pub const SUBPROTOCOL_NOT_ACCEPTABLE: u16 = 4406;
    pub const INIT_TIMEOUT: u16 = 4408;
    pub const SUBSCRIBER_EXISTS: u16 = 4409;
    pub const TOO_MANY_INIT: u16 = 4429;
}

#[derive(Debug)]
pub enum ClientMessage {
    ConnectionInit {
        payload: Option<serde_json::Map<String, Value>>,
    },
    Ping {
        payload: Option<Value>,
    },
    Pong,
    Subscribe {
        id: String,
        request: Box<GqlRequest>,
    },
    Complete {
        id: String,
    },
    /// Legacy `connection_terminate`.
    Terminate,
}

/// Parses one text frame. `Err` carries the reason for closing with 4400.
pub fn parse(protocol: Protocol, text: &str) -> Result<ClientMessage, String> {
    let Ok(Value::Object(mut msg)) = serde_json::from_str::<Value>(text) else {
        return Err("Invalid message received".into());
    };
    let kind = match msg.remove("type") {
        Some(Value::String(t)) => t,
        _ => return Err("Message is missing the 'type' property".into()),
    };
    let payload = msg.remove("payload");
    let id = || match msg.get("id") {
        Some(Value::String(id)) if !id.is_empty() => Ok(id.clone()),
        _ => Err(format!(
            "\"{kind}\" message requires a non-empty string 'id'"
        )),
    };
    match (protocol, kind.as_str()) {
        (_, "connection_init") => match payload {
            None | Some(Value::Null) => Ok(ClientMessage::ConnectionInit { payload: None }),
            Some(Value::Object(map)) => Ok(ClientMessage::ConnectionInit { payload: Some(map) }),
            Some(_) => Err("\"connection_init\" payload must be an object".into()),
        },
        (Protocol::TransportWs, "ping") => Ok(ClientMessage::Ping { payload }),
        (Protocol::TransportWs, "pong") => Ok(ClientMessage::Pong),
        (Protocol::TransportWs, "subscribe") | (Protocol::LegacyWs, "start") => {
            let id = id()?;
            let request = subscribe_payload(payload)
                .map_err(|e| format!("Invalid \"{kind}\" payload: {e}"))?;
            Ok(ClientMessage::Subscribe {
                id,
                request: Box::new(request),
            })
        }
        (Protocol::TransportWs, "complete") | (Protocol::LegacyWs, "stop") => {
            Ok(ClientMessage::Complete { id: id()? })
        }
        (Protocol::LegacyWs, "connection_terminate") => Ok(ClientMessage::Terminate),
        (_, other) => Err(format!("Unexpected message type \"{other}\"")),
    }
}

/// A `subscribe` (or legacy `start`) payload: the same parameters as an HTTP request.
fn subscribe_payload(payload: Option<Value>) -> Result<GqlRequest, String> {
    match payload {
        Some(payload @ Value::Object(_)) => request_from_json(payload),
        _ => Err("payload must be an object".into()),
    }
}

pub enum ServerMessage<'a> {
    ConnectionAck,
    /// Legacy: the init was refused (sent before closing).
    ConnectionError {
        message: &'a str,
    },
    Ping,
    Pong {
        payload: Option<Value>,
    },
    /// Legacy keep-alive.
    KeepAlive,
    Next {
        id: &'a str,
        response: &'a GqlResponse,
    },
    Error {
        id: &'a str,
        errors: &'a [ServerError],
    },
    Complete {
        id: &'a str,
    },
}

pub fn encode(protocol: Protocol, msg: ServerMessage<'_>) -> String {
    let value = match msg {
        ServerMessage::ConnectionAck => json!({ "type": "connection_ack" }),
        ServerMessage::ConnectionError { message } => {
            json!({ "type": "connection_error", "payload": { "message": message } })
        }
        ServerMessage::Ping => json!({ "type": "ping" }),
        ServerMessage::Pong { payload: Some(p) } => json!({ "type": "pong", "payload": p }),
        ServerMessage::Pong { payload: None } => json!({ "type": "pong" }),
        ServerMessage::KeepAlive => json!({ "type": "ka" }),
        ServerMessage::Next { id, response } => {
            let kind = if protocol == Protocol::TransportWs {
                "next"
            } else {
                "data"
            };
            json!({ "type": kind, "id": id, "payload": response })
        }
        ServerMessage::Error { id, errors } => {
            json!({ "type": "error", "id": id, "payload": errors })
        }
        ServerMessage::Complete { id } => json!({ "type": "complete", "id": id }),
    };
    value.to_string()
}

/// A `next` (`data` in the legacy protocol) carrying a payload serialized already: the same
/// bytes as [`encode`] writes for it.
pub fn encode_next(protocol: Protocol, id: &str, payload: &str) -> String {
    let kind = if protocol == Protocol::TransportWs {
        "next"
    } else {
        "data"
    };
    let id = serde_json::to_string(id).unwrap_or_else(|_| "\"\"".into());
    format!(r#"{{"id":{id},"payload":{payload},"type":"{kind}"}}"#)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_transport_ws_messages() {
        let p = Protocol::TransportWs;
        assert!(matches!(
            parse(p, r#"{"type":"connection_init"}"#),
            Ok(ClientMessage::ConnectionInit { payload: None })
        ));
        assert!(matches!(
            parse(
                p,
                r#"{"type":"connection_init","payload":{"authorization":"Bearer x"}}"#
            ),
            Ok(ClientMessage::ConnectionInit { payload: Some(_) })
        ));
        assert!(matches!(
            parse(p, r#"{"type":"ping","payload":{"a":1}}"#),
            Ok(ClientMessage::Ping { payload: Some(_) })
        ));
        match parse(
            p,
            r#"{"id":"1","type":"subscribe","payload":{"query":"{ a }","variables":{"x":1}}}"#,
        ) {
            Ok(ClientMessage::Subscribe { id, request }) => {
                assert_eq!(id, "1");
                assert_eq!(request.query, "{ a }");
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(matches!(
            parse(p, r#"{"id":"1","type":"complete"}"#),
            Ok(ClientMessage::Complete { .. })
        ));
    }

    #[test]
    fn rejects_malformed_messages() {
        let p = Protocol::TransportWs;
        for bad in [
            "not json",
            "[]",
            r#"{"payload":{}}"#,
            r#"{"type":"subscribe","payload":{"query":"{ a }"}}"#,
            r#"{"type":"subscribe","id":"","payload":{"query":"{ a }"}}"#,
            r#"{"type":"subscribe","id":"1","payload":{"query":1}}"#,
            r#"{"type":"subscribe","id":"1","payload":{"query":"{a}","variables":[]}}"#,
            r#"{"type":"next","id":"1","payload":{}}"#,
            r#"{"type":"start","id":"1","payload":{"query":"{a}"}}"#,
            r#"{"type":"connection_init","payload":"x"}"#,
        ] {
            assert!(parse(p, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn legacy_names() {
        let p = Protocol::LegacyWs;
        assert!(matches!(
            parse(p, r#"{"id":"1","type":"start","payload":{"query":"{a}"}}"#),
            Ok(ClientMessage::Subscribe { .. })
        ));
        assert!(matches!(
            parse(p, r#"{"id":"1","type":"stop"}"#),
            Ok(ClientMessage::Complete { .. })
        ));
        assert!(matches!(
            parse(p, r#"{"type":"connection_terminate"}"#),
            Ok(ClientMessage::Terminate)
        ));
        assert!(
            parse(
                p,
                r#"{"type":"subscribe","id":"1","payload":{"query":"{a}"}}"#
            )
            .is_err()
        );
        let response = GqlResponse::new(async_graphql::Value::Null);
        let data = encode(
            p,
            ServerMessage::Next {
                id: "1",
                response: &response,
            },
        );
        assert!(data.contains(r#""type":"data""#), "{data}");
        let next = encode(
            Protocol::TransportWs,
            ServerMessage::Next {
                id: "1",
                response: &response,
            },
        );
        assert!(next.contains(r#""type":"next""#), "{next}");
    }
}
