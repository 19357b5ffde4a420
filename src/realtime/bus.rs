//! The in-process event bus: one tokio broadcast channel per topic, kept in a DashMap, created
//! on first subscribe and removed when its last subscriber leaves. Publishing to a topic nobody
//! listens to costs one map lookup.

use std::{
    fmt,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use dashmap::DashMap;
use futures_util::Stream;
use tokio::sync::broadcast;
use tokio_stream::wrappers::{BroadcastStream, errors::BroadcastStreamRecvError};
use uuid::Uuid;

use super::Event;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Topic {
    User(Uuid),
    Room(Uuid),
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Topic::User(id) => write!(f, "user:{id}"),
            Topic::Room(id) => write!(f, "room:{id}"),
        }
    }
}

/// What a subscriber receives: an event, or word that it fell behind and missed `n` events.
#[derive(Clone, Debug)]
pub enum Delivery {
    Event(Arc<Event>),
    Lagged(u64),
}

pub struct EventBus {
    topics: Arc<DashMap<Topic, broadcast::Sender<Arc<Event>>>>,
    capacity: usize,
}

impl EventBus {
    /// `capacity` bounds each topic's buffer: a subscriber further behind than that is told it
    /// lagged instead of slowing the publisher.
    pub fn new(capacity: usize) -> Self {
        Self {
            topics: Arc::new(DashMap::new()),
            capacity: capacity.max(1),
        }
    }

    /// Delivers `event` to every current subscriber of `topic`; returns how many received it.
    pub fn publish(&self, topic: Topic, event: Event) -> usize {
        let Some(sender) = self.topics.get(&topic).map(|s| s.clone()) else {
            return 0;
        };
        sender.send(Arc::new(event)).unwrap_or(0)
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

    pub fn subscriber_count(&self, topic: Topic) -> usize {
        self.topics.get(&topic).map_or(0, |s| s.receiver_count())
    }
}

/// A stream of deliveries on one topic; dropping it unsubscribes and, if it was the last
/// subscriber, removes the topic.
pub struct Subscription {
    inner: Option<BroadcastStream<Arc<Event>>>,
    topic: Topic,
    topics: Arc<DashMap<Topic, broadcast::Sender<Arc<Event>>>>,
}

impl Stream for Subscription {
    type Item = Delivery;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Delivery>> {
        let Some(inner) = self.inner.as_mut() else {
            return Poll::Ready(None);
        };
        Pin::new(inner).poll_next(cx).map(|item| {
            item.map(|res| match res {
                Ok(event) => Delivery::Event(event),
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
}
