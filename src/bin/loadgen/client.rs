//! One room member: a graphql-ws connection subscribed to `roomEvents`, timing each
//! `PlaybackChanged` (and, in a chat burst, each `ChatMessagePosted`) it receives against the
//! instant the command was sent.

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::{Mutex, mpsc, oneshot};
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest, http::HeaderValue};

/// What a member's reader hands the collector: which client, in which room, got which event,
/// and when.
pub struct Receipt {
    pub client: usize,
    pub room: usize,
    pub what: Received,
    pub at: Instant,
}

/// An event a member received: a `PlaybackChanged` of this version, or a chat message with
/// this body.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Received {
    Playback(i64),
    Chat(String),
}

/// The member's subscription: playback changes, and chat messages when `chat` is asked for
/// (the Apollo anchor has no chat).
pub fn room_subscription(chat: bool) -> String {
    let chat = if chat {
        " ... on ChatMessagePosted { message { body } }"
    } else {
        ""
    };
    format!(
        "subscription($r: UUID!) {{ roomEvents(roomId: $r) {{ __typename ... on PlaybackChanged {{ serverTimeMs playback {{ version isPlaying positionMs anchorTimeMs track {{ id }} }} }}{chat} }} }}"
    )
}

/// Fresh snapshots received after the first one: a member fell behind the server's buffer.
pub static RESYNCS: AtomicU64 = AtomicU64::new(0);

/// One graphql-ws connection: a writer task, a reader task routing operation results to their
/// callers and room events to the collector.
pub struct Client {
    pub out: mpsc::UnboundedSender<String>,
    pub pending: Arc<Mutex<HashMap<String, oneshot::Sender<Value>>>>,
    pub next_id: AtomicU64,
    pub snapshot: Mutex<Option<oneshot::Receiver<()>>>,
}

impl Client {
    pub async fn connect(
        addr: SocketAddr,
        token: Option<&str>,
        (client_index, room_index): (usize, usize),
        receipts: Option<mpsc::UnboundedSender<Receipt>>,
    ) -> anyhow::Result<Arc<Self>> {
        let mut request = format!("ws://{addr}/graphql").into_client_request()?;
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_static("graphql-transport-ws"),
        );
        let (stream, _) = tokio_tungstenite::connect_async(request).await?;
        let (mut sink, mut source) = stream.split();
        let payload = token.map_or(
            json!({}),
            |t| json!({ "authorization": format!("Bearer {t}") }),
        );
        sink.send(Message::Text(
            json!({ "type": "connection_init", "payload": payload })
                .to_string()
                .into(),
        ))
        .await?;
        loop {
            match source.next().await {
                Some(Ok(Message::Text(text))) => {
                    let msg: Value = serde_json::from_str(&text)?;
                    if msg["type"] == "connection_ack" {
                        break;
                    }
                }
                Some(Ok(_)) => {}
                other => bail!("no connection_ack: {other:?}"),
            }
        }
        let (out, mut out_rx) = mpsc::unbounded_channel::<String>();
        tokio::spawn(async move {
            while let Some(text) = out_rx.recv().await {
                if sink.send(Message::Text(text.into())).await.is_err() {
                    break;
                }
            }
        });
        let (snapshot_tx, snapshot_rx) = oneshot::channel();
        let client = Arc::new(Self {
            out: out.clone(),
            pending: Arc::new(Mutex::new(HashMap::new())),
            next_id: AtomicU64::new(0),
            snapshot: Mutex::new(Some(snapshot_rx)),
        });
        let pending = client.pending.clone();
        tokio::spawn(async move {
            let mut snapshot_tx = Some(snapshot_tx);
            while let Some(Ok(message)) = source.next().await {
                let Message::Text(text) = message else {
                    continue;
                };
                let Ok(msg) = serde_json::from_str::<Value>(&text) else {
                    continue;
                };
                match msg["type"].as_str() {
                    Some("ping") => {
                        let _ = out.send(json!({ "type": "pong" }).to_string());
                    }
                    Some("next") if msg["id"] == "ev" => {
                        let event = &msg["payload"]["data"]["roomEvents"];
                        match event["__typename"].as_str() {
                            Some("RoomSnapshot") => match snapshot_tx.take() {
                                Some(tx) => {
                                    let _ = tx.send(());
                                }
                                None => {
                                    RESYNCS.fetch_add(1, Ordering::Relaxed);
                                }
                            },
                            Some("PlaybackChanged") => {
                                if let (Some(receipts), Some(version)) =
                                    (&receipts, event["playback"]["version"].as_i64())
                                {
                                    let _ = receipts.send(Receipt {
                                        client: client_index,
                                        room: room_index,
                                        what: Received::Playback(version),
                                        at: Instant::now(),
                                    });
                                }
                            }
                            Some("ChatMessagePosted") => {
                                if let (Some(receipts), Some(body)) =
                                    (&receipts, event["message"]["body"].as_str())
                                {
                                    let _ = receipts.send(Receipt {
                                        client: client_index,
                                        room: room_index,
                                        what: Received::Chat(body.to_owned()),
                                        at: Instant::now(),
                                    });
                                }
                            }
                            _ => {}
                        }
                    }
                    Some("next") | Some("error") => {
                        if let Some(id) = msg["id"].as_str()
                            && let Some(tx) = pending.lock().await.remove(id)
                        {
                            let _ = tx.send(msg);
                        }
                    }
                    _ => {}
                }
            }
        });
        Ok(client)
    }

    /// Runs a query or mutation over the socket; the result's `data`, or its errors.
    pub async fn run(&self, query: &str, variables: Value) -> anyhow::Result<Value> {
        let id = format!("op{}", self.next_id.fetch_add(1, Ordering::Relaxed));
        let (tx, rx) = oneshot::channel();
        self.pending.lock().await.insert(id.clone(), tx);
        self.out.send(
            json!({ "id": id, "type": "subscribe", "payload": { "query": query, "variables": variables } })
                .to_string(),
        )?;
        let msg = tokio::time::timeout(Duration::from_secs(60), rx)
            .await
            .context("no answer within 60 s")??;
        if msg["type"] == "error" || !msg["payload"]["errors"].is_null() {
            bail!("{}", msg["payload"]);
        }
        Ok(msg["payload"]["data"].clone())
    }

    /// Subscribes to the room's events; with `snapshot`, waits for the first `RoomSnapshot`
    /// (a server without one, like the Apollo anchor, is not waited for).
    pub async fn subscribe_room(
        &self,
        room: &str,
        query: &str,
        snapshot: bool,
    ) -> anyhow::Result<()> {
        self.out.send(
            json!({ "id": "ev", "type": "subscribe", "payload": { "query": query, "variables": { "r": room } } })
                .to_string(),
        )?;
        if !snapshot {
            return Ok(());
        }
        let rx = self
            .snapshot
            .lock()
            .await
            .take()
            .context("subscribed twice")?;
        tokio::time::timeout(Duration::from_secs(60), rx)
            .await
            .context("no snapshot within 60 s")??;
        Ok(())
    }
}

/// Runs `f` over `items` with at most `limit` in flight.
pub async fn bounded<T, F, Fut, R>(items: Vec<T>, limit: usize, f: F) -> anyhow::Result<Vec<R>>
where
    F: Fn(T) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<R>>,
{
    futures_util::stream::iter(items.into_iter().map(f))
        .buffered(limit)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect()
}

pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}
