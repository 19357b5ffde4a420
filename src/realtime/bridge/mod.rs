//! Carries events between server instances over Redis pub/sub, when `REDIS_URL` is set, so that
//! members of one room connected to different instances behind a load balancer all hear it.
//!
//! - Every event published on this instance is also sent, in order, on one Redis channel
//!   (`{REDIS_KEY_PREFIX}events`) by a single sender task that pipelines what has piled up.
//!   Publishing never waits for Redis: the hand-off is a bounded queue, and when Redis is too
//!   slow or gone the overflow is dropped (and counted), not buffered without end.
//! - What the other instances did not get (dropped, or lost with a failed send) is not silently
//!   forgotten: the rooms concerned are remembered, and once sending works again a resync
//!   marker tells the other instances, which resync their subscribers of those rooms (a room
//!   subscription answers with a fresh snapshot, after checking the subscriber is still a
//!   member).
//! - A listener task receives every instance's messages, skips its own, checks each one's tag
//!   (see [`wire`]), skips topics nobody here listens to before decoding the event, and
//!   delivers the rest on the local bus.
//! - When the listener's connection to Redis drops, it reconnects with back-off, and then every
//!   local subscriber is told it may have missed events, because pub/sub keeps nothing for a
//!   listener that was away.
//!
//! Security: whoever can publish on the channel could otherwise speak for any instance (forge
//! chat messages, playback, invitations on any user's `userEvents`). Every message therefore
//! carries an HMAC-SHA256 tag under a key derived from `JWT_ACCESS_SECRET` (shared by all
//! instances of a deployment), plus its origin's counter and clock so that a recorded message
//! cannot be replayed; messages that fail are dropped and logged. The tag does not hide
//! anything: events travel in clear text, so Redis must still be reachable only by the
//! instances (a private network, Redis ACLs/`requirepass`, `rediss://` across untrusted links).

mod log;
mod missed;
pub mod wire;

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

use self::{
    log::RedisLog,
    missed::Missed,
    wire::{Decoder, Encoder, Key, Opened, Resync},
};
use super::{Event, EventBus, Topic};

/// Events waiting for the sender task; beyond this they are dropped.
const OUTBOX: usize = 16_384;
/// Most events sent in one pipeline.
const BATCH: usize = 256;
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How soon an announcement of lost events that could not be sent is tried again.
const RETRY_ANNOUNCEMENT: Duration = Duration::from_millis(500);

/// This instance's end of the bridge, held by the bus.
pub struct Bridge {
    outbox: mpsc::Sender<(Topic, Arc<Event>)>,
    missed: Arc<Missed>,
    dropped: AtomicU64,
    log: Option<Arc<RedisLog>>,
}

impl Bridge {
    fn new(
        outbox: mpsc::Sender<(Topic, Arc<Event>)>,
        missed: Arc<Missed>,
        log: Option<Arc<RedisLog>>,
    ) -> Self {
        Self {
            outbox,
            missed,
            dropped: AtomicU64::new(0),
            log,
        }
    }

    /// The users' event logs the instances share.
    pub(super) fn log(&self) -> Option<&RedisLog> {
        self.log.as_deref()
    }

    /// Hands an event to the sender task without waiting (`true`); when its queue is full, the
    /// event is dropped and its topic remembered for a resync marker (`false`).
    pub(super) fn forward(&self, topic: Topic, event: Arc<Event>) -> bool {
        if self.outbox.try_send((topic, event)).is_ok() {
            return true;
        }
        self.missed.record(topic);
        if self
            .dropped
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(1000)
        {
            tracing::warn!(
                dropped = self.dropped.load(Ordering::Relaxed),
                "Redis event bridge is behind: events for other instances dropped (their rooms \
                 will be resynced)"
            );
        }
        false
    }
}

/// Connects `bus` to the other instances through the Redis at `url`; messages are signed with
/// a key derived from `secret` (`JWT_ACCESS_SECRET`). Waits (briefly) for the listener's first
/// subscription, so that nothing published right after start-up is missed; when Redis is
/// unreachable it logs and keeps trying in the background.
pub async fn start(bus: &EventBus, url: &str, prefix: &str, secret: &[u8]) -> anyhow::Result<()> {
    let client = redis::Client::open(url).context("REDIS_URL: not a Redis URL")?;
    let channel = format!("{prefix}events");
    let key = Key::derive(secret, &channel);
    let origin = Uuid::new_v4();
    let (outbox, queued) = mpsc::channel(OUTBOX);
    let missed = Arc::new(Missed::default());
    let manager_config = redis::aio::ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(2)))
        .set_response_timeout(Some(Duration::from_secs(2)));
    let connection =
        redis::aio::ConnectionManager::new_lazy_with_config(client.clone(), manager_config)?;
    let log = Arc::new(RedisLog::new(connection.clone(), prefix, secret));
    let sender = Sender {
        connection,
        channel: channel.clone(),
        encoder: Encoder::new(key.clone(), origin),
        missed: missed.clone(),
        log: log.clone(),
        bus: bus.clone(),
    };
    tokio::spawn(sender.run(queued));

    let (ready_tx, ready_rx) = oneshot::channel();
    let decoder = Decoder::new(key, origin);
    tokio::spawn(listen(client, channel, decoder, bus.clone(), ready_tx));
    if tokio::time::timeout(Duration::from_secs(3), ready_rx)
        .await
        .is_err()
    {
        tracing::warn!(
            "Redis event bridge: not connected yet; events stay on this instance until it is"
        );
    }
    bus.attach(Bridge::new(outbox, missed, Some(log)));
    Ok(())
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

struct Sender {
    connection: redis::aio::ConnectionManager,
    channel: String,
    encoder: Encoder,
    missed: Arc<Missed>,
    log: Arc<RedisLog>,
    /// This instance's bus: users' events are delivered here once they are logged.
    bus: EventBus,
}

impl Sender {
    async fn run(mut self, mut queued: mpsc::Receiver<(Topic, Arc<Event>)>) {
        let mut batch = Vec::with_capacity(BATCH);
        let mut failing = false;
        loop {
            // Wait for events; with an announcement pending, not longer than a retry.
            let received = if self.missed.is_pending() {
                tokio::select! {
                    n = queued.recv_many(&mut batch, BATCH) => n,
                    () = tokio::time::sleep(RETRY_ANNOUNCEMENT) => usize::MAX,
                }
            } else {
                queued.recv_many(&mut batch, BATCH).await
            };
            if received == 0 {
                return;
            }
            let now = now_ms();
            let mut pipe = redis::pipe();
            let mut topics = Vec::with_capacity(batch.len());
            let mut personal = Vec::new();
            for (topic, event) in batch.drain(..) {
                if topic.is_logged() {
                    // Logged before it is announced: whoever hears of it can read it.
                    if let Err(e) = self.log.append(&mut pipe, topic, &event, now) {
                        tracing::error!(error = %e, %topic, "an event could not be encoded for Redis");
                    }
                    personal.push((topic, event.clone()));
                }
                match self.encoder.event(topic, &event, now) {
                    Ok(payload) => {
                        pipe.publish(&self.channel, payload).ignore();
                        topics.push(topic);
                    }
                    Err(e) => {
                        tracing::error!(error = %e, %topic, "an event could not be encoded for Redis");
                    }
                }
            }
            // After the events: the rooms whose earlier events the others never got.
            let announcement = self.missed.take();
            if let Some(resync) = &announcement {
                pipe.publish(&self.channel, self.encoder.resync(resync, now))
                    .ignore();
            }
            if topics.is_empty() && personal.is_empty() && announcement.is_none() {
                continue;
            }
            let sent = pipe.query_async::<()>(&mut self.connection).await;
            // This instance's subscribers of users' events hear of them now (when Redis failed
            // too: they then get the event as it is, unlogged).
            for (topic, event) in personal {
                self.bus.deliver_local(topic, event);
            }
            match sent {
                Ok(()) if failing => {
                    failing = false;
                    tracing::info!("Redis event bridge: sending again");
                }
                Ok(()) => {}
                Err(e) => {
                    if !failing {
                        failing = true;
                        tracing::warn!(error = %e, "Redis event bridge: events for other instances lost (their rooms will be resynced)");
                    }
                    for topic in topics {
                        self.missed.record(topic);
                    }
                    if let Some(resync) = announcement {
                        self.missed.restore(resync);
                    }
                }
            }
        }
    }
}

async fn listen(
    client: redis::Client,
    channel: String,
    mut decoder: Decoder,
    bus: EventBus,
    ready: oneshot::Sender<()>,
) {
    let mut ready = Some(ready);
    let mut backoff = Duration::from_millis(100);
    let mut refused = Refused::default();
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
                    deliver(
                        &bus,
                        &mut decoder,
                        &mut refused,
                        message.get_payload_bytes(),
                    );
                }
                tracing::warn!("Redis event bridge: connection lost; reconnecting");
            }
            Err(e) => tracing::warn!(error = %e, "Redis event bridge: cannot subscribe; retrying"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// Counts refused messages, so the log says so without one line per message.
#[derive(Default)]
struct Refused(u64);

impl Refused {
    fn log(&mut self, why: &str) {
        self.0 += 1;
        if self.0.is_multiple_of(1000) || self.0 == 1 {
            tracing::warn!(
                refused = self.0,
                "Redis event bridge: a message was dropped: {why} (is something other than this \
                 deployment's instances publishing on its channel, or do their JWT_ACCESS_SECRET \
                 or clocks differ?)"
            );
        }
    }
}

fn deliver(bus: &EventBus, decoder: &mut Decoder, refused: &mut Refused, payload: &[u8]) {
    match decoder.open(payload, now_ms()) {
        Opened::Own => {}
        Opened::Event { topic, json } => {
            if bus.subscriber_count(topic) == 0 {
                return;
            }
            match serde_json::from_slice::<Event>(json) {
                Ok(event) => {
                    bus.deliver_local(topic, Arc::new(event));
                }
                Err(e) => {
                    tracing::warn!(error = %e, %topic, "Redis event bridge: an event could not be decoded")
                }
            }
        }
        Opened::Resync(Resync::All) => bus.resync_all(),
        Opened::Resync(Resync::Topics(topics)) => {
            for topic in topics {
                bus.resync(topic);
            }
        }
        Opened::Malformed => refused.log("not a bridge message"),
        Opened::Forged => refused.log("its tag does not verify"),
        Opened::Replayed => refused.log("a replay, or sent too long ago"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::realtime::bus::Delivery;
    use crate::realtime::{RoomEvent, RoomMessage};

    fn room_event(room_id: Uuid) -> Arc<Event> {
        Arc::new(Event::Room(RoomMessage::new(
            room_id,
            RoomEvent::TypingChanged {
                user_id: Uuid::new_v4(),
                is_typing: true,
            },
        )))
    }

    #[test]
    fn events_dropped_for_a_full_outbox_are_remembered() {
        let (outbox, _queued) = mpsc::channel(1);
        let missed = Arc::new(Missed::default());
        let bridge = Bridge::new(outbox, missed.clone(), None);
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        bridge.forward(Topic::Room(a), room_event(a));
        assert_eq!(missed.take(), None, "queued, not dropped");
        bridge.forward(Topic::Room(b), room_event(b));
        assert_eq!(missed.take(), Some(Resync::Topics(vec![Topic::Room(b)])));
    }

    #[tokio::test]
    async fn a_resync_marker_resyncs_the_rooms_it_names() {
        let bus = EventBus::new(8);
        let key = Key::derive(b"secret", "test:events");
        let mut encoder = Encoder::new(key.clone(), Uuid::new_v4());
        let mut decoder = Decoder::new(key, Uuid::new_v4());
        let mut refused = Refused::default();
        let (named, other) = (Topic::Room(Uuid::new_v4()), Topic::Room(Uuid::new_v4()));
        let mut named_sub = bus.subscribe(named);
        let _other_sub = bus.subscribe(other);
        let marker = encoder.resync(&Resync::Topics(vec![named]), now_ms());
        deliver(&bus, &mut decoder, &mut refused, &marker);
        assert!(matches!(named_sub.next().await, Some(Delivery::Lagged(0))));
        assert_eq!(bus.queued(other), 0, "other rooms are left alone");
        assert_eq!(refused.0, 0);
    }

    #[tokio::test]
    async fn forged_messages_are_not_delivered() {
        let bus = EventBus::new(8);
        let room = Uuid::new_v4();
        let topic = Topic::Room(room);
        let mut sub = bus.subscribe(topic);
        let mut decoder = Decoder::new(Key::derive(b"secret", "test:events"), Uuid::new_v4());
        let mut refused = Refused::default();
        let mut outsider = Encoder::new(Key::derive(b"guessed", "test:events"), Uuid::new_v4());
        let forged = outsider
            .event(topic, &room_event(room), now_ms())
            .expect("encodes");
        deliver(&bus, &mut decoder, &mut refused, &forged);
        deliver(&bus, &mut decoder, &mut refused, b"not even a header");
        assert_eq!(refused.0, 2);
        assert_eq!(bus.queued(topic), 0);
        let genuine = Encoder::new(Key::derive(b"secret", "test:events"), Uuid::new_v4())
            .event(topic, &room_event(room), now_ms())
            .expect("encodes");
        deliver(&bus, &mut decoder, &mut refused, &genuine);
        assert!(matches!(sub.next().await, Some(Delivery::Event(_))));
    }
}
