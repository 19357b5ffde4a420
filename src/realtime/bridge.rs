//! Carries events between server instances over Redis pub/sub, when `REDIS_URL` is set, so that
//! members of one room connected to different instances behind a load balancer all hear it.
//!
//! - Every event published on this instance is also sent, in order, on one Redis channel
//!   (`{REDIS_KEY_PREFIX}events`) by a single sender task that pipelines what has piled up.
//!   Publishing never waits for Redis: the hand-off is a bounded queue, and when Redis is too
//!   slow or gone the overflow is dropped (and counted), not buffered without end.
//! - A listener task receives every instance's events, skips its own, skips topics nobody here
//!   listens to before decoding the event, and delivers the rest on the local bus.
//! - When the listener's connection to Redis drops, it reconnects with back-off, and then every
//!   local subscriber is told it may have missed events (a room subscription answers with a
//!   fresh snapshot), because pub/sub keeps nothing for a listener that was away.
//!
//! Wire format: `{origin instance id} {topic}\n{event as JSON}`.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use anyhow::Context;
use futures_util::StreamExt;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::{Event, EventBus, Topic};

/// Events waiting for the sender task; beyond this they are dropped.
const OUTBOX: usize = 16_384;
/// Most events sent in one pipeline.
const BATCH: usize = 256;
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// This instance's end of the bridge, held by the bus.
pub struct Bridge {
    outbox: mpsc::Sender<(Topic, Arc<Event>)>,
    dropped: AtomicU64,
}

impl Bridge {
    /// Hands an event to the sender task without waiting.
    pub(super) fn forward(&self, topic: Topic, event: Arc<Event>) {
        if self.outbox.try_send((topic, event)).is_err()
            && self
                .dropped
                .fetch_add(1, Ordering::Relaxed)
                .is_multiple_of(1000)
        {
            tracing::warn!(
                dropped = self.dropped.load(Ordering::Relaxed),
                "Redis event bridge is behind: events for other instances dropped"
            );
        }
    }
}

/// Connects `bus` to the other instances through the Redis at `url`. Waits (briefly) for the
/// listener's first subscription, so that nothing published right after start-up is missed;
/// when Redis is unreachable it logs and keeps trying in the background.
pub async fn start(bus: &EventBus, url: &str, prefix: &str) -> anyhow::Result<()> {
    let client = redis::Client::open(url).context("REDIS_URL: not a Redis URL")?;
    let channel = format!("{prefix}events");
    let origin = Uuid::new_v4();
    let (outbox, queued) = mpsc::channel(OUTBOX);
    let manager_config = redis::aio::ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(2)))
        .set_response_timeout(Some(Duration::from_secs(2)));
    let connection =
        redis::aio::ConnectionManager::new_lazy_with_config(client.clone(), manager_config)?;
    tokio::spawn(send(connection, channel.clone(), origin, queued));

    let (ready_tx, ready_rx) = oneshot::channel();
    tokio::spawn(listen(client, channel, origin, bus.clone(), ready_tx));
    if tokio::time::timeout(Duration::from_secs(3), ready_rx)
        .await
        .is_err()
    {
        tracing::warn!(
            "Redis event bridge: not connected yet; events stay on this instance until it is"
        );
    }
    bus.attach(Bridge {
        outbox,
        dropped: AtomicU64::new(0),
    });
    Ok(())
}

fn encode(origin: Uuid, topic: Topic, event: &Event) -> Option<Vec<u8>> {
    let mut payload = format!("{origin} {topic}\n").into_bytes();
    match serde_json::to_writer(&mut payload, event) {
        Ok(()) => Some(payload),
        Err(e) => {
            tracing::error!(error = %e, %topic, "an event could not be encoded for Redis");
            None
        }
    }
}

/// The header of a bridged message: who sent it, on which topic, and where the event starts.
fn header(payload: &[u8]) -> Option<(Uuid, Topic, &[u8])> {
    let newline = payload.iter().position(|b| *b == b'\n')?;
    let head = std::str::from_utf8(&payload[..newline]).ok()?;
    let (origin, topic) = head.split_once(' ')?;
    Some((
        origin.parse().ok()?,
        topic.parse().ok()?,
        &payload[newline + 1..],
    ))
}

async fn send(
    mut connection: redis::aio::ConnectionManager,
    channel: String,
    origin: Uuid,
    mut queued: mpsc::Receiver<(Topic, Arc<Event>)>,
) {
    let mut batch = Vec::with_capacity(BATCH);
    let mut failing = false;
    while queued.recv_many(&mut batch, BATCH).await > 0 {
        let mut pipe = redis::pipe();
        for (topic, event) in batch.drain(..) {
            if let Some(payload) = encode(origin, topic, &event) {
                pipe.publish(&channel, payload).ignore();
            }
        }
        match pipe.query_async::<()>(&mut connection).await {
            Ok(()) if failing => {
                failing = false;
                tracing::info!("Redis event bridge: sending again");
            }
            Ok(()) => {}
            Err(e) if !failing => {
                failing = true;
                tracing::warn!(error = %e, "Redis event bridge: events for other instances lost");
            }
            Err(_) => {}
        }
    }
}

async fn listen(
    client: redis::Client,
    channel: String,
    origin: Uuid,
    bus: EventBus,
    ready: oneshot::Sender<()>,
) {
    let mut ready = Some(ready);
    let mut backoff = Duration::from_millis(100);
    loop {
        let subscribed = async {
            let mut pubsub = client.get_async_pubsub().await?;
            pubsub.subscribe(&channel).await?;
            redis::RedisResult::Ok(pubsub)
        }
        .await;
        match subscribed {
            Ok(mut pubsub) => {
                backoff = Duration::from_millis(100);
                match ready.take() {
                    Some(ready) => {
                        let _ = ready.send(());
                    }
                    // Back after an outage: whatever was sent meanwhile never arrives.
                    None => {
                        tracing::info!("Redis event bridge: listening again");
                        bus.resync_all();
                    }
                }
                let mut messages = pubsub.on_message();
                while let Some(message) = messages.next().await {
                    deliver(&bus, origin, message.get_payload_bytes());
                }
                tracing::warn!("Redis event bridge: connection lost; reconnecting");
            }
            Err(e) => tracing::warn!(error = %e, "Redis event bridge: cannot subscribe; retrying"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

fn deliver(bus: &EventBus, origin: Uuid, payload: &[u8]) {
    let Some((from, topic, body)) = header(payload) else {
        tracing::warn!("Redis event bridge: a message without a valid header was ignored");
        return;
    };
    if from == origin || bus.subscriber_count(topic) == 0 {
        return;
    }
    match serde_json::from_slice::<Event>(body) {
        Ok(event) => {
            bus.deliver_local(topic, Arc::new(event));
        }
        Err(e) => {
            tracing::warn!(error = %e, %topic, "Redis event bridge: an event could not be decoded")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::realtime::UserEvent;

    #[test]
    fn a_message_carries_its_origin_topic_and_event() {
        let origin = Uuid::new_v4();
        let topic = Topic::Room(Uuid::new_v4());
        let event = Event::User(UserEvent::FriendRemoved {
            user_id: Uuid::new_v4(),
            at: chrono::Utc::now(),
        });
        let payload = encode(origin, topic, &event).expect("encodes");
        let (from, on, body) = header(&payload).expect("header");
        assert_eq!((from, on), (origin, topic));
        let back: Event = serde_json::from_slice(body).expect("decodes");
        assert_eq!(format!("{back:?}"), format!("{event:?}"));
    }

    #[test]
    fn malformed_headers_are_refused() {
        for bad in [
            &b"no newline"[..],
            b"not-a-uuid room:x\n{}",
            b"6b1f5a3e-7c1d-4b8e-9a55-2f0e5b7d9c11 nowhere:1\n{}",
            b"6b1f5a3e-7c1d-4b8e-9a55-2f0e5b7d9c11\n{}",
        ] {
            assert!(header(bad).is_none(), "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
