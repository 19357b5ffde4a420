//! One WebSocket connection: the init handshake, operations, keep-alive, expiry.
//!
//! Each operation runs as its own task writing into a bounded channel that this loop drains
//! into the socket, so a slow client only slows its own operations. What is queued when the
//! loop wakes is written with one flush.

use std::{collections::HashMap, pin::Pin, sync::Arc, time::Duration};

use async_graphql::Response as GqlResponse;
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::{SinkExt, StreamExt, stream::SplitSink};
use serde_json::Value;
use tokio::{
    sync::mpsc,
    task::AbortHandle,
    time::{Instant, Sleep, sleep, sleep_until},
};

use super::limits::{ConnectionLimits, TRY_AGAIN_LATER};
use super::protocol::{ClientMessage, Protocol, ServerMessage, close, encode, encode_next, parse};
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

/// Messages written to the socket before one flush, at most.
const MAX_BATCH: usize = 64;

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

/// Messages from operation tasks to the socket loop.
enum Outbound {
    Text(String),
    Finished { id: String, generation: u64 },
}

/// Why the loop ends.
enum Exit {
    Close(u16, String),
    /// Peer closed or vanished: nothing to send.
    Gone,
}

struct Operations {
    running: HashMap<String, (u64, AbortHandle)>,
    next_generation: u64,
}

impl Drop for Operations {
    fn drop(&mut self) {
        for (_, (_, handle)) in self.running.drain() {
            handle.abort();
        }
    }
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
    let (out_tx, mut out_rx) = mpsc::channel::<Outbound>(64);
    let mut ops = Operations {
        running: HashMap::new(),
        next_generation: 0,
    };
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
                                        social::announce_presence(&state.app, user.user_id, true).await;
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
                        if ops.running.contains_key(&id) {
                            break Exit::Close(close::SUBSCRIBER_EXISTS, format!("Subscriber for {id} already exists"));
                        }
                        if let Err(error) = limits.admit_operation(&state.app, ops.running.len()).await {
                            let text = encode(protocol, ServerMessage::Error { id: &id, errors: &[error] });
                            if sink.send(Message::Text(text.into())).await.is_err() {
                                break Exit::Gone;
                            }
                            continue;
                        }
                        let generation = ops.next_generation;
                        ops.next_generation += 1;
                        let sharing = Arc::new(Sharing::new(&request));
                        let task = tokio::spawn(run_operation(
                            state.clone(),
                            protocol,
                            id.clone(),
                            generation,
                            (*request).data(viewer).data(limits.client).data(sharing.clone()),
                            sharing,
                            out_tx.clone(),
                        ));
                        ops.running.insert(id, (generation, task.abort_handle()));
                        continue;
                    }
                    ClientMessage::Complete { id } => {
                        if let Some((_, handle)) = ops.running.remove(&id) {
                            handle.abort();
                        }
                        continue;
                    }
                }
            }
            Some(out) = out_rx.recv() => {
                // Everything the operations have queued goes out in one flush.
                let mut batch = Vec::new();
                let mut next = Some(out);
                while let Some(out) = next.take() {
                    match out {
                        Outbound::Text(text) => batch.push(text),
                        Outbound::Finished { id, generation } => {
                            if ops.running.get(&id).is_some_and(|(g, _)| *g == generation) {
                                ops.running.remove(&id);
                            }
                        }
                    }
                    if batch.len() < MAX_BATCH {
                        next = out_rx.try_recv().ok();
                    }
                }
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
        social::announce_presence(&state.app, user_id, false).await;
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

/// Runs one operation to completion, forwarding its results. A first result with no data at
/// all (a refused subscription, a validation error) is sent as `error`; otherwise `next`
/// messages and then `complete`.
async fn run_operation(
    state: HttpState,
    protocol: Protocol,
    id: String,
    generation: u64,
    request: async_graphql::Request,
    sharing: Arc<Sharing>,
    out: mpsc::Sender<Outbound>,
) {
    let mut responses = state.schema.execute_stream(request);
    let mut first = true;
    let mut failed = false;
    while let Some(response) = responses.next().await {
        // A payload shared with other subscribers was serialized once, when it was resolved.
        let shared = sharing.take_payload();
        let text = if let Some(payload) = shared.filter(|_| response.errors.is_empty()) {
            encode_next(protocol, &id, &payload)
        } else if first && is_failure(&response) {
            failed = true;
            encode(
                protocol,
                ServerMessage::Error {
                    id: &id,
                    errors: &response.errors,
                },
            )
        } else {
            encode(
                protocol,
                ServerMessage::Next {
                    id: &id,
                    response: &response,
                },
            )
        };
        first = false;
        if out.send(Outbound::Text(text)).await.is_err() {
            return;
        }
        if failed {
            break;
        }
    }
    if !failed {
        let _ = out
            .send(Outbound::Text(encode(
                protocol,
                ServerMessage::Complete { id: &id },
            )))
            .await;
    }
    let _ = out.send(Outbound::Finished { id, generation }).await;
}

fn is_failure(response: &GqlResponse) -> bool {
    response.data == async_graphql::Value::Null && !response.errors.is_empty()
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
