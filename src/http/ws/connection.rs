//! One WebSocket connection: the init handshake, operations, keep-alive, expiry.
//!
//! The connection's loop reads the socket, polls its operations' streams (see
//! [`super::operations`]) and writes what they have ready with one flush, all in one task.
//! The task lives as long as the socket, so the rare awaits that run queries (presence
//! announcements, the rate limit) are boxed: their state is allocated while they run instead
//! of being part of every connection's future.

use std::{pin::Pin, sync::Arc, time::Duration};

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::{SinkExt, StreamExt, stream::SplitSink};
use serde_json::Value;
use tokio::time::{Instant, Sleep, sleep, sleep_until};

use super::limits::{ConnectionLimits, TRY_AGAIN_LATER};
use super::operations::{Operation, Operations};
use super::protocol::{ClientMessage, Protocol, ServerMessage, close, encode, parse};
use crate::auth::Viewer;
use crate::config::Config;
use crate::error::AppError;
use crate::graphql::shared::Sharing;
use crate::http::HttpState;
use crate::service::social;

#[derive(Clone, Copy, Debug)]
pub struct WsConfig {
    /// A socket that sends no `connection_init` within this is closed with 4408.
    pub init_timeout: Duration,
    /// The server pings this often; a peer silent for two intervals is considered gone.
    pub keepalive: Duration,
}

impl From<&Config> for WsConfig {
    fn from(c: &Config) -> Self {
        Self {
            init_timeout: c.ws_init_timeout,
            keepalive: c.ws_keepalive_interval,
        }
    }
}

/// Writes `texts` and flushes once.
async fn send_all(
    sink: &mut SplitSink<WebSocket, Message>,
    texts: Vec<String>,
) -> Result<(), axum::Error> {
    for text in texts {
        sink.feed(Message::Text(text.into())).await?;
    }
    sink.flush().await
}

/// Why the loop ends.
enum Exit {
    Close(u16, String),
    /// Peer closed or vanished: nothing to send.
    Gone,
}

pub async fn refuse(mut socket: WebSocket) {
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code: close::SUBPROTOCOL_NOT_ACCEPTABLE,
            reason: "Subprotocol not acceptable".into(),
        })))
        .await;
}

pub async fn serve(
    socket: WebSocket,
    protocol: Protocol,
    state: HttpState,
    config: WsConfig,
    header_auth: Option<String>,
    mut limits: ConnectionLimits,
) {
    let (mut sink, mut stream) = socket.split();
    let mut ops = Operations::default();
    let mut viewer: Option<Viewer> = None;
    let init_deadline = sleep(config.init_timeout);
    tokio::pin!(init_deadline);
    let mut expiry: Option<Pin<Box<Sleep>>> = None;
    let mut keepalive =
        tokio::time::interval_at(Instant::now() + config.keepalive, config.keepalive);
    let mut last_seen = Instant::now();
    let presence = state.app.presence.clone();
    presence.socket_opened();
    // The signed-in user this connection counts as online, once acknowledged.
    let mut online_as: Option<uuid::Uuid> = None;

    let exit = loop {
        let to_send: Vec<String> = tokio::select! {
            incoming = stream.next() => {
                let text = match incoming {
                    Some(Err(e)) if is_too_big(&e) => break Exit::Close(close::MESSAGE_TOO_BIG, "Message too big".into()),
                    None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break Exit::Gone,
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => { last_seen = Instant::now(); continue; }
                    Some(Ok(Message::Binary(_))) => break Exit::Close(close::BAD_REQUEST, "Binary messages are not supported".into()),
                    Some(Ok(Message::Text(text))) => text,
                };
                last_seen = Instant::now();
                let message = match parse(protocol, text.as_str()) {
                    Ok(m) => m,
                    Err(reason) => break Exit::Close(close::BAD_REQUEST, reason),
                };
                match message {
                    ClientMessage::ConnectionInit { payload } => {
                        if viewer.is_some() {
                            break Exit::Close(close::TOO_MANY_INIT, "Too many initialisation requests".into());
                        }
                        match authenticate(&state, payload.as_ref(), header_auth.as_deref()) {
                            Ok(v) => {
                                if let Some(user) = v.user
                                    && let Err(reason) = limits.admit_user(&state.app, user.user_id)
                                {
                                    break Exit::Close(TRY_AGAIN_LATER, reason);
                                }
                                if let Some(user) = v.user {
                                    let at = tokio::time::Instant::now() + until_unix(user.expires_at);
                                    expiry = Some(Box::pin(sleep_until(at)));
                                    online_as = Some(user.user_id);
                                    if presence.connect(user.user_id) {
                                        Box::pin(social::announce_presence(&state.app, user.user_id, true)).await;
                                    }
                                }
                                viewer = Some(v);
                                vec![encode(protocol, ServerMessage::ConnectionAck)]
                            }
                            Err(err) => {
                                if protocol == Protocol::LegacyWs {
                                    let text = encode(protocol, ServerMessage::ConnectionError { message: &err.public_message() });
                                    let _ = sink.send(Message::Text(text.into())).await;
                                }
                                break Exit::Close(close::FORBIDDEN, "Forbidden".into());
                            }
                        }
                    }
                    ClientMessage::Ping { payload } => vec![encode(protocol, ServerMessage::Pong { payload })],
                    ClientMessage::Pong => continue,
                    ClientMessage::Terminate => break Exit::Close(1000, "Normal closure".into()),
                    ClientMessage::Subscribe { id, request } => {
                        let Some(viewer) = viewer.clone() else {
                            break Exit::Close(close::UNAUTHORIZED, "Unauthorized".into());
                        };
                        if ops.contains(&id) {
                            break Exit::Close(close::SUBSCRIBER_EXISTS, format!("Subscriber for {id} already exists"));
                        }
                        if let Err(error) = Box::pin(limits.admit_operation(&state.app, ops.len())).await {
                            let text = encode(protocol, ServerMessage::Error { id: &id, errors: &[error] });
                            if sink.send(Message::Text(text.into())).await.is_err() {
                                break Exit::Gone;
                            }
                            continue;
                        }
                        let sharing = Arc::new(Sharing::new(&request));
                        let request = (*request).data(viewer).data(limits.client).data(sharing.clone());
                        let responses = state.schema.execute_stream(request);
                        ops.start(Operation::new(&id, protocol, responses, sharing));
                        continue;
                    }
                    ClientMessage::Complete { id } => {
                        ops.stop(&id);
                        continue;
                    }
                }
            }
            // Everything the operations have ready goes out in one flush.
            batch = ops.next_batch(), if !ops.is_empty() => {
                if batch.is_empty() {
                    continue;
                }
                batch
            }
            _ = &mut init_deadline, if viewer.is_none() => {
                break Exit::Close(close::INIT_TIMEOUT, "Connection initialisation timeout".into());
            }
            _ = async { if let Some(e) = expiry.as_mut() { e.await } else { std::future::pending().await } } => {
                break Exit::Close(close::FORBIDDEN, "Access token expired".into());
            }
            _ = keepalive.tick() => {
                if last_seen.elapsed() > config.keepalive * 2 {
                    tracing::debug!("websocket peer silent for two keep-alive intervals: dropping it");
                    break Exit::Gone;
                }
                if sink.send(Message::Ping(Default::default())).await.is_err() {
                    break Exit::Gone;
                }
                match protocol {
                    Protocol::TransportWs => vec![encode(protocol, ServerMessage::Ping)],
                    Protocol::LegacyWs if viewer.is_some() => vec![encode(protocol, ServerMessage::KeepAlive)],
                    Protocol::LegacyWs => continue,
                }
            }
        };
        if send_all(&mut sink, to_send).await.is_err() {
            break Exit::Gone;
        }
    };

    drop(ops);
    if let Exit::Close(code, reason) = exit {
        let _ = sink
            .send(Message::Close(Some(CloseFrame {
                code,
                reason: reason.into(),
            })))
            .await;
    }
    let _ = sink.close().await;
    presence.socket_closed();
    if let Some(user_id) = online_as
        && presence.disconnect(user_id)
    {
        Box::pin(social::announce_presence(&state.app, user_id, false)).await;
    }
}

/// The viewer of a connection: the `connection_init` payload's `authorization` wins over the
/// upgrade request's header; neither means anonymous; a bad one is refused.
fn authenticate(
    state: &HttpState,
    payload: Option<&serde_json::Map<String, Value>>,
    header: Option<&str>,
) -> Result<Viewer, AppError> {
    let from_payload = payload.and_then(|p| {
        p.get("authorization")
            .or_else(|| p.get("Authorization"))
            .or_else(|| {
                p.get("headers")
                    .and_then(|h| h.get("authorization").or_else(|| h.get("Authorization")))
            })
    });
    let value = match from_payload {
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => return Err(AppError::unauthenticated("authorization must be a string")),
        None => header,
    };
    Viewer::from_authorization(&state.app.tokens, value)
}

fn until_unix(exp_secs: i64) -> Duration {
    let now = chrono::Utc::now().timestamp_millis();
    Duration::from_millis(u64::try_from(exp_secs.saturating_mul(1000) - now).unwrap_or(0))
}

/// Whether a read failed because the peer's message was over the size limit (tungstenite
/// refuses it before we see it; the socket can still say why it closes).
fn is_too_big(err: &axum::Error) -> bool {
    use std::error::Error as _;
    use tokio_tungstenite::tungstenite::error::{CapacityError, Error};
    matches!(
        err.source().and_then(|e| e.downcast_ref::<Error>()),
        Some(Error::Capacity(CapacityError::MessageTooLong { .. }))
    )
}
