//! Resuming personal events after a reconnect: every event on a user's topic gets a cursor, and
//! a bounded log keeps what was published so that `userEvents(after:)` can replay what a client
//! missed, in order, before it goes live.
//!
//! The log is this module's [`LocalLog`] on a single instance, and a Redis stream per user when
//! instances share Redis (see [`crate::realtime::bridge`]): either way the log, not the live
//! channel, decides the order, and a live delivery only tells a subscriber to read the log past
//! the last cursor it sent. That is what makes "no gap and no duplicate" hold when events from
//! several instances arrive out of order.
//!
//! Cursors look like Redis stream ids (`<unix ms>-<sequence>`) in both modes.

use std::{
    collections::VecDeque,
    fmt,
    str::FromStr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use dashmap::DashMap;
use futures_util::StreamExt;

use crate::realtime::bus::{Delivery, Subscription as LiveEvents};
use crate::realtime::{Event, EventBus, Topic};

/// How long the log keeps an event: at least the 5 minutes the API promises.
pub const RETAIN: Duration = Duration::from_secs(10 * 60);
/// Most events kept per topic on one instance (beyond it the oldest go, and cursors before
/// them expire); a bound against floods, far above what the rate limits let through.
const PER_USER: usize = 4096;
/// Every this many appends, topics whose newest event is older than [`RETAIN`] are forgotten.
const SWEEP_EVERY: u64 = 1024;
/// A cursor this far ahead of the clock was not issued by this deployment.
const FUTURE_SLACK_MS: u64 = 60_000;

/// A position in a user's event log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cursor {
    pub ms: u64,
    pub seq: u64,
}

impl Cursor {
    /// Before every event.
    pub const START: Cursor = Cursor { ms: 0, seq: 0 };
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

impl FromStr for Cursor {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        let (ms, seq) = s.split_once('-').ok_or(())?;
        let digits =
            |p: &str| !p.is_empty() && p.len() <= 20 && p.bytes().all(|b| b.is_ascii_digit());
        if !digits(ms) || !digits(seq) {
            return Err(());
        }
        Ok(Self {
            ms: ms.parse().map_err(|_| ())?,
            seq: seq.parse().map_err(|_| ())?,
        })
    }
}

/// Why a log cannot answer from a cursor.
#[derive(Debug, PartialEq, Eq)]
pub enum ReplayError {
    /// The log no longer holds what followed the cursor (older than it keeps, or from before
    /// this instance started when there is no shared log).
    Expired,
    /// The shared log could not be read (Redis is unreachable).
    Unavailable,
}

/// Whether a cursor a client sent may be answered at all, judged by its age alone:
/// `Err(Expired)` when it is older than the log keeps, `Ok(false)` when it is not a cursor this
/// deployment can have issued (ahead of the clock).
pub fn check_age(cursor: Cursor, now_ms: u64) -> Result<bool, ReplayError> {
    if cursor.ms + (RETAIN.as_millis() as u64) < now_ms {
        return Err(ReplayError::Expired);
    }
    Ok(cursor.ms <= now_ms + FUTURE_SLACK_MS)
}

pub type Logged = (Cursor, Arc<Event>);

#[derive(Default)]
struct TopicLog {
    entries: VecDeque<Logged>,
    /// The newest cursor dropped to stay under [`PER_USER`]: replays from before it expire.
    dropped_through: Option<Cursor>,
}

/// The single instance's log: per topic (a user's, a call's), the events of the last [`RETAIN`], in memory.
pub struct LocalLog {
    topics: DashMap<Topic, Arc<Mutex<TopicLog>>>,
    last: Mutex<Cursor>,
    started_ms: u64,
    appends: AtomicU64,
}

impl LocalLog {
    pub fn new(now_ms: u64) -> Self {
        Self {
            topics: DashMap::new(),
            last: Mutex::new(Cursor::START),
            started_ms: now_ms,
            appends: AtomicU64::new(0),
        }
    }

    /// Logs `event` on `topic` under the next cursor and calls `deliver` while the topic's log
    /// is still locked, so that live deliveries happen in cursor order.
    pub fn append<R>(
        &self,
        topic: Topic,
        event: Arc<Event>,
        now_ms: u64,
        deliver: impl FnOnce() -> R,
    ) -> R {
        let log = self.topics.entry(topic).or_default().clone();
        let delivered = {
            let mut log = log.lock().unwrap_or_else(|p| p.into_inner());
            let cursor = self.next(now_ms);
            log.entries.push_back((cursor, event));
            let horizon = now_ms.saturating_sub(RETAIN.as_millis() as u64);
            while let Some((oldest, _)) = log.entries.front() {
                if oldest.ms >= horizon && log.entries.len() <= PER_USER {
                    break;
                }
                if oldest.ms >= horizon {
                    log.dropped_through = Some(*oldest);
                }
                log.entries.pop_front();
            }
            deliver()
        };
        if self
            .appends
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(SWEEP_EVERY)
        {
            self.sweep(now_ms);
        }
        delivered
    }

    /// Every event logged on `topic` after `after`, oldest first.
    pub fn read_after(&self, topic: Topic, after: Cursor) -> Result<Vec<Logged>, ReplayError> {
        if after != Cursor::START && after.ms < self.started_ms {
            return Err(ReplayError::Expired);
        }
        let Some(log) = self.topics.get(&topic).map(|l| l.clone()) else {
            return Ok(Vec::new());
        };
        let log = log.lock().unwrap_or_else(|p| p.into_inner());
        if log.dropped_through.is_some_and(|d| after < d) {
            return Err(ReplayError::Expired);
        }
        let first_new = log.entries.partition_point(|(cursor, _)| *cursor <= after);
        Ok(log.entries.range(first_new..).cloned().collect())
    }

    /// A cursor that every event logged from now on comes after.
    pub fn tail(&self) -> Cursor {
        *self.last.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn next(&self, now_ms: u64) -> Cursor {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        *last = if now_ms > last.ms {
            Cursor { ms: now_ms, seq: 0 }
        } else {
            Cursor {
                ms: last.ms,
                seq: last.seq + 1,
            }
        };
        *last
    }

    fn sweep(&self, now_ms: u64) {
        let horizon = now_ms.saturating_sub(RETAIN.as_millis() as u64);
        self.topics.retain(|_, log| {
            let log = log.lock().unwrap_or_else(|p| p.into_inner());
            log.entries.back().is_some_and(|(c, _)| c.ms >= horizon)
        });
    }

    #[cfg(test)]
    fn topics(&self) -> usize {
        self.topics.len()
    }
}

/// What a [`Follower`] yields: the next logged event, or word that events may have been
/// missed for good (the log was unreachable after a lag, or dropped what followed the last
/// cursor) and the follower now goes on from the log's current end.
pub enum Followed {
    Event(Logged),
    Gap,
}

/// Reads one topic's log in order for one subscription: whenever the live channel says
/// something happened (or that it fell behind), the log is read past the last cursor sent, so
/// events go out in the log's order, each once, whichever instance published them.
pub struct Follower {
    bus: EventBus,
    topic: Topic,
    live: LiveEvents,
    last: Cursor,
    pending: VecDeque<Logged>,
}

impl Follower {
    /// Subscribes to `topic`, then (so that nothing published in between is missed) starts
    /// after `after`, replaying what followed it, or at the log's current end.
    pub async fn start(
        bus: &EventBus,
        topic: Topic,
        after: Option<Cursor>,
    ) -> Result<Self, ReplayError> {
        let live = bus.subscribe(topic);
        let (last, pending) = match after {
            Some(cursor) => {
                let entries = bus.replay(topic, cursor).await?;
                (entries.last().map_or(cursor, |(c, _)| *c), entries)
            }
            None => (tail_or_now(bus, topic).await, Vec::new()),
        };
        Ok(Self {
            bus: bus.clone(),
            topic,
            live,
            last,
            pending: pending.into(),
        })
    }

    /// Whether the replay holds anything yet to be sent.
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// The cursor of the last event read from the log.
    pub fn last(&self) -> Cursor {
        self.last
    }

    /// The next event, `None` once the live channel is closed.
    pub async fn next(&mut self) -> Option<Followed> {
        loop {
            if let Some(logged) = self.pending.pop_front() {
                return Some(Followed::Event(logged));
            }
            let poked = match self.live.next().await? {
                Delivery::Event(event) => Some(event),
                Delivery::Lagged(_) => None,
            };
            match self.bus.replay(self.topic, self.last).await {
                Ok(entries) => {
                    if let Some((cursor, _)) = entries.last() {
                        self.last = *cursor;
                    }
                    self.pending.extend(entries);
                }
                // The shared log is unreachable: the event goes out as it is, under the last
                // cursor (so a resume from it may repeat, but never skip).
                Err(ReplayError::Unavailable) if poked.is_some() => {
                    if let Some(event) = poked {
                        self.pending.push_back((self.last, event));
                    }
                }
                Err(_) => {
                    tracing::warn!(topic = %self.topic, "a subscriber may have missed events for good");
                    self.last = tail_or_now(&self.bus, self.topic).await;
                    return Some(Followed::Gap);
                }
            }
        }
    }
}

async fn tail_or_now(bus: &EventBus, topic: Topic) -> Cursor {
    bus.tail(topic).await.unwrap_or_else(|_| Cursor {
        ms: chrono::Utc::now().timestamp_millis().max(0) as u64,
        seq: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::realtime::UserEvent;
    use uuid::Uuid;

    fn event() -> Arc<Event> {
        Arc::new(Event::User(UserEvent::FriendRemoved {
            user_id: Uuid::new_v4(),
            at: chrono::Utc::now(),
        }))
    }

    #[test]
    fn cursors_round_trip_and_order_by_time_then_sequence() {
        let c: Cursor = "1700000000000-3".parse().expect("a cursor");
        assert_eq!(c.to_string(), "1700000000000-3");
        assert!(c < "1700000000000-4".parse().expect("a cursor"));
        assert!(c < "1700000000001-0".parse().expect("a cursor"));
        for bad in [
            "",
            "-",
            "12",
            "a-1",
            "1-",
            "-1",
            "1-2-3",
            "+1-2",
            "1-99999999999999999999999",
        ] {
            assert!(bad.parse::<Cursor>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_replay_returns_what_came_after_the_cursor_in_order() {
        let log = LocalLog::new(1_000);
        let user = Topic::User(Uuid::new_v4());
        let other = Topic::User(Uuid::new_v4());
        let mut cursors = Vec::new();
        for now in [1_000, 1_000, 1_001] {
            log.append(user, event(), now, || ());
            cursors.push(log.tail());
        }
        log.append(other, event(), 1_002, || ());
        assert_eq!(cursors[1], Cursor { ms: 1_000, seq: 1 });
        let after_first: Vec<Cursor> = log
            .read_after(user, cursors[0])
            .expect("replays")
            .into_iter()
            .map(|(c, _)| c)
            .collect();
        assert_eq!(after_first, cursors[1..].to_vec());
        assert!(
            log.read_after(user, cursors[2])
                .expect("replays")
                .is_empty()
        );
        assert_eq!(
            log.read_after(user, Cursor::START).expect("replays").len(),
            3
        );
    }

    #[test]
    fn cursors_from_before_the_process_or_beyond_the_bound_expire() {
        let log = LocalLog::new(5_000);
        let user = Topic::User(Uuid::new_v4());
        assert_eq!(
            log.read_after(user, Cursor { ms: 4_999, seq: 0 }).err(),
            Some(ReplayError::Expired)
        );
        for _ in 0..PER_USER + 2 {
            log.append(user, event(), 6_000, || ());
        }
        assert_eq!(
            log.read_after(user, Cursor { ms: 6_000, seq: 0 }).err(),
            Some(ReplayError::Expired),
            "the first events were dropped to stay under the bound"
        );
        assert_eq!(
            log.read_after(user, Cursor { ms: 6_000, seq: 2 })
                .expect("replays")
                .len(),
            PER_USER - 1
        );
    }

    #[test]
    fn old_events_are_forgotten() {
        let log = LocalLog::new(0);
        let (a, b) = (Topic::User(Uuid::new_v4()), Topic::Call(Uuid::new_v4()));
        log.append(a, event(), 1, || ());
        let later = 2 + RETAIN.as_millis() as u64;
        log.append(a, event(), later, || ());
        assert_eq!(log.read_after(a, Cursor::START).expect("replays").len(), 1);
        let much_later = later + RETAIN.as_millis() as u64 + 1;
        log.append(b, event(), much_later, || ());
        log.sweep(much_later);
        assert_eq!(
            log.topics(),
            1,
            "a, idle for longer than the log keeps, is gone"
        );
    }

    #[test]
    fn the_age_of_a_client_cursor() {
        let now = 10_000_000;
        let retain = RETAIN.as_millis() as u64;
        assert_eq!(
            check_age(
                Cursor {
                    ms: now - retain - 1,
                    seq: 0
                },
                now
            ),
            Err(ReplayError::Expired)
        );
        assert_eq!(
            check_age(
                Cursor {
                    ms: now - 10,
                    seq: 4
                },
                now
            ),
            Ok(true)
        );
        assert_eq!(
            check_age(
                Cursor {
                    ms: now + 3_600_000,
                    seq: 0
                },
                now
            ),
            Ok(false)
        );
    }
}
