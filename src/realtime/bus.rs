//! The in-process event bus: one tokio broadcast channel per topic, kept in a DashMap, created
//! on first subscribe and removed when its last subscriber leaves. Publishing to a topic nobody
//! listens to costs one map lookup. With a Redis [`Bridge`] attached, every event published
//! here also goes to the other instances, and theirs arrive through [`EventBus::deliver_local`].

use std::{
    fmt,
    pin::Pin,
    str::FromStr,
    sync::{Arc, OnceLock},
    task::{Context, Poll},
};

use dashmap::DashMap;
use futures_util::Stream;
use tokio::sync::broadcast;
use tokio_stream::wrappers::{BroadcastStream, errors::BroadcastStreamRecvError};
use uuid::Uuid;

use crate::realtime::Event;
use crate::realtime::bridge::Bridge;
use crate::realtime::resume::{Cursor, LocalLog, Logged, ReplayError};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Topic {
    User(Uuid),
    Room(Uuid),
    Call(Uuid),
    /// News of changed catalog rows, for every instance's catalog cache.
    Catalog,
}

impl Topic {
    /// Whether events on this topic are logged for resuming (users' and calls' are; rooms
    /// resync with a snapshot instead).
    pub fn is_logged(self) -> bool {
        matches!(self, Topic::User(_) | Topic::Call(_))
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Topic::User(id) => write!(f, "user:{id}"),
            Topic::Room(id) => write!(f, "room:{id}"),
            Topic::Call(id) => write!(f, "call:{id}"),
            Topic::Catalog => f.write_str("catalog"),
        }
    }
}

impl FromStr for Topic {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        if s == "catalog" {
            return Ok(Topic::Catalog);
        }
        let (kind, id) = s.split_once(':').ok_or(())?;
        let id = id.parse().map_err(|_| ())?;
        match kind {
            "user" => Ok(Topic::User(id)),
            "room" => Ok(Topic::Room(id)),
            "call" => Ok(Topic::Call(id)),
            _ => Err(()),
        }
    }
}

/// What a subscriber receives: an event, or word that it fell behind and missed `n` events.
#[derive(Clone, Debug)]
pub enum Delivery {
    Event(Arc<Event>),
    Lagged(u64),
}

/// What travels on a topic's channel: an event, or word that events may have been missed
/// (the Redis bridge was disconnected), which subscribers receive as a lag.
#[derive(Clone)]
enum Item {
    Event(Arc<Event>),
    Resync,
}

type Topics = DashMap<Topic, broadcast::Sender<Item>>;

fn now_ms() -> u64 {
    chrono::Utc::now().timestamp_millis().max(0) as u64
}

#[derive(Clone)]
pub struct EventBus {
    topics: Arc<Topics>,
    capacity: usize,
    bridge: Arc<OnceLock<Bridge>>,
    /// Users' events for resuming, while no bridge (and its shared log) is attached.
    log: Arc<LocalLog>,
}

impl EventBus {
    /// `capacity` bounds each topic's buffer: a subscriber further behind than that is told it
    /// lagged instead of slowing the publisher.
    pub fn new(capacity: usize) -> Self {
        Self {
            topics: Arc::new(DashMap::new()),
            capacity: capacity.max(1),
            bridge: Arc::new(OnceLock::new()),
            log: Arc::new(LocalLog::new(now_ms())),
        }
    }

    /// Sends what is published here to the other instances too (once, at start-up).
    pub(super) fn attach(&self, bridge: Bridge) {
        if self.bridge.set(bridge).is_err() {
            tracing::warn!("the event bus already has a bridge");
        }
    }

    /// Delivers `event` to every current subscriber of `topic` on this instance, and hands it
    /// to the bridge for the others; returns how many here received it.
    ///
    /// A user's or a call's events are logged first (see [`crate::realtime::resume`]). With a bridge, the
    /// log is shared and written by the bridge's sender, which then delivers here too: this
    /// instance's subscribers must not hear of an event before the log has it. So for those
    /// the count is of the subscribers here, who get it a moment later, unless the bridge is
    /// too far behind to take the event, in which case it is delivered here at once, unlogged.
    pub fn publish(&self, topic: Topic, event: Event) -> usize {
        let event = Arc::new(event);
        match (topic, self.bridge.get()) {
            (Topic::User(_) | Topic::Call(_), Some(bridge)) => {
                if bridge.forward(topic, event.clone()) {
                    self.subscriber_count(topic)
                } else {
                    self.deliver_local(topic, event)
                }
            }
            (Topic::User(_) | Topic::Call(_), None) => {
                self.log.append(topic, event.clone(), now_ms(), || {
                    self.deliver_local(topic, event)
                })
            }
            (Topic::Room(_) | Topic::Catalog, bridge) => {
                if let Some(bridge) = bridge {
                    bridge.forward(topic, event.clone());
                }
                self.deliver_local(topic, event)
            }
        }
    }

    /// What was published on `topic` (a user's or a call's) after `after`, oldest first,
    /// from the shared log when instances share Redis and from this instance's otherwise.
    pub async fn replay(&self, topic: Topic, after: Cursor) -> Result<Vec<Logged>, ReplayError> {
        match self.bridge.get().and_then(Bridge::log) {
            Some(shared) => shared.read_after(topic, after).await,
            None => self.log.read_after(topic, after),
        }
    }

    /// A cursor that every event published on `topic` from now on comes after.
    pub async fn tail(&self, topic: Topic) -> Result<Cursor, ReplayError> {
        match self.bridge.get().and_then(Bridge::log) {
            Some(shared) => shared.tail(topic).await,
            None => Ok(self.log.tail()),
        }
    }

    /// Delivers an event to this instance's subscribers only (events from other instances).
    pub fn deliver_local(&self, topic: Topic, event: Arc<Event>) -> usize {
        let Some(sender) = self.topics.get(&topic).map(|s| s.clone()) else {
            return 0;
        };
        sender.send(Item::Event(event)).unwrap_or(0)
    }

    /// Tells this instance's subscribers of `topic` that they may have missed events.
    pub(super) fn resync(&self, topic: Topic) {
        if let Some(sender) = self.topics.get(&topic).map(|s| s.clone()) {
            let _ = sender.send(Item::Resync);
        }
    }

    /// Tells every subscriber here that it may have missed events.
    pub(super) fn resync_all(&self) {
        let senders: Vec<_> = self.topics.iter().map(|s| s.value().clone()).collect();
        for sender in senders {
            let _ = sender.send(Item::Resync);
        }
    }

    pub fn subscribe(&self, topic: Topic) -> Subscription {
        let receiver = self
            .topics
            .entry(topic)
            .or_insert_with(|| broadcast::channel(self.capacity).0)
            .subscribe();
        Subscription {
            inner: Some(BroadcastStream::new(receiver)),
            topic,
            topics: self.topics.clone(),
        }
    }

    /// Number of topics with at least one subscriber (for stats and leak tests).
    pub fn topic_count(&self) -> usize {
        self.topics.len()
    }

    /// Events published on `topic` that a subscriber here has not taken yet (a slow subscriber
    /// shows here until it reads on or lags).
    pub fn queued(&self, topic: Topic) -> usize {
        self.topics.get(&topic).map_or(0, |s| s.len())
    }

    pub fn subscriber_count(&self, topic: Topic) -> usize {
        self.topics.get(&topic).map_or(0, |s| s.receiver_count())
    }
}

/// A stream of deliveries on one topic; dropping it unsubscribes and, if it was the last
/// subscriber, removes the topic.
pub struct Subscription {
    inner: Option<BroadcastStream<Item>>,
    topic: Topic,
    topics: Arc<Topics>,
}

impl Stream for Subscription {
    type Item = Delivery;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Delivery>> {
        let Some(inner) = self.inner.as_mut() else {
            return Poll::Ready(None);
        };
        Pin::new(inner).poll_next(cx).map(|item| {
            item.map(|res| match res {
                Ok(Item::Event(event)) => Delivery::Event(event),
                Ok(Item::Resync) => Delivery::Lagged(0),
                Err(BroadcastStreamRecvError::Lagged(n)) => Delivery::Lagged(n),
            })
        })
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        // Drop our receiver first so the count below no longer includes it.
        self.inner.take();
        self.topics
            .remove_if(&self.topic, |_, sender| sender.receiver_count() == 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::realtime::UserEvent;
    use futures_util::StreamExt;

    fn event() -> Event {
        Event::User(UserEvent::SessionStarted {
            session_id: Uuid::new_v4(),
            at: chrono::Utc::now(),
        })
    }

    #[tokio::test]
    async fn delivers_to_topic_subscribers_only_and_cleans_up() {
        let bus = EventBus::new(8);
        let (a, b) = (Topic::User(Uuid::new_v4()), Topic::User(Uuid::new_v4()));
        let mut sub_a = bus.subscribe(a);
        let mut sub_a2 = bus.subscribe(a);
        let sub_b = bus.subscribe(b);
        assert_eq!(bus.publish(a, event()), 2);
        assert!(matches!(sub_a.next().await, Some(Delivery::Event(_))));
        assert!(matches!(sub_a2.next().await, Some(Delivery::Event(_))));
        assert_eq!(bus.subscriber_count(b), 1);
        drop(sub_b);
        assert_eq!(
            bus.topic_count(),
            1,
            "topic b removed with its last subscriber"
        );
        drop(sub_a);
        drop(sub_a2);
        assert_eq!(bus.topic_count(), 0);
        assert_eq!(bus.publish(a, event()), 0);
    }

    #[tokio::test]
    async fn slow_subscriber_is_told_it_lagged() {
        let bus = EventBus::new(2);
        let topic = Topic::Room(Uuid::new_v4());
        let mut sub = bus.subscribe(topic);
        for _ in 0..5 {
            bus.publish(topic, event());
        }
        assert!(matches!(sub.next().await, Some(Delivery::Lagged(3))));
        assert!(matches!(sub.next().await, Some(Delivery::Event(_))));
    }

    #[tokio::test]
    async fn a_resync_reaches_every_subscriber_as_a_lag() {
        let bus = EventBus::new(8);
        let mut subs = [
            bus.subscribe(Topic::Room(Uuid::new_v4())),
            bus.subscribe(Topic::User(Uuid::new_v4())),
        ];
        bus.resync_all();
        for sub in &mut subs {
            assert!(matches!(sub.next().await, Some(Delivery::Lagged(0))));
        }
    }

    #[test]
    fn topics_read_back_from_their_names() {
        for topic in [
            Topic::User(Uuid::new_v4()),
            Topic::Room(Uuid::new_v4()),
            Topic::Call(Uuid::new_v4()),
            Topic::Catalog,
        ] {
            assert_eq!(topic.to_string().parse::<Topic>(), Ok(topic));
        }
        for bad in [
            "",
            "room",
            "room:nope",
            "track:6b1f5a3e-7c1d-4b8e-9a55-2f0e5b7d9c11",
        ] {
            assert!(bad.parse::<Topic>().is_err(), "{bad}");
        }
    }
}
