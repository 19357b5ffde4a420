//! Presence shared by the instances of a deployment (with `REDIS_URL`): each instance reports
//! who is online on it, who is connected to which room (with their round trips), who is typing
//! in which room (with the time each state has left) and its open WebSocket connections per
//! user and per client address (for the connection caps) on the Redis channel
//! `{REDIS_KEY_PREFIX}presence`, at once after a change (a little batched) and every third of
//! `PRESENCE_TTL_MS` regardless; the others keep its last report. An instance that stops
//! reporting (it died, or lost Redis) is forgotten once `PRESENCE_TTL_MS` has passed, and one
//! surviving instance (the one with the lowest id) is told who went offline or left a room
//! with it, to announce.
//!
//! Reports are whole snapshots rather than changes, so a lost message is corrected by the next
//! one. They are signed like the event bridge's messages (HMAC-SHA256 with a key derived from
//! `JWT_ACCESS_SECRET`), and one older than the TTL is ignored.

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
    time::{Duration, Instant},
};

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use uuid::Uuid;

use super::bridge::wire::Key;
use super::connections::{ClientConnections, Counts};
use super::presence::Presence;
use super::rooms::presence::{RoomPresence, Rooms};
use super::typing::{Typing, TypingReport};

/// After a change, how long to wait for more before reporting (a burst of connections makes
/// one report).
const BATCH: Duration = Duration::from_millis(50);
/// The longest a report waits for Redis (to connect, or to take it) before trying again.
const REDIS_WAIT: Duration = Duration::from_secs(2);

/// What an instance that went away leaves behind, for one survivor to announce.
#[derive(Debug, Default)]
pub struct Departed {
    /// Users online only there.
    pub users: Vec<Uuid>,
    /// `(room, member)` pairs connected only there.
    pub members: Vec<(Uuid, Uuid)>,
}

#[derive(Serialize, Deserialize)]
struct Report {
    instance: Uuid,
    at_ms: i64,
    users: HashSet<Uuid>,
    rooms: Rooms,
    /// Room typing states (absent from the reports of older versions).
    #[serde(default)]
    typing: TypingReport,
    /// Open WebSocket connections per counting key (likewise).
    #[serde(default)]
    connections: Counts,
}

/// What this instance shares with the others, each part also holding what they report.
#[derive(Clone)]
pub struct Shared {
    pub presence: Arc<Presence>,
    pub rooms: Arc<RoomPresence>,
    pub room_typing: Arc<Typing>,
    pub connections: Arc<ClientConnections>,
}

impl Shared {
    fn report(&self, instance: Uuid) -> Report {
        Report {
            instance,
            at_ms: now_ms(),
            users: self.presence.local_users().into_iter().collect(),
            rooms: self.rooms.local_snapshot(),
            typing: self.room_typing.local_report(),
            connections: self.connections.local_counts(),
        }
    }

    fn set_peer(&self, report: Report) {
        self.presence.set_peer(report.instance, report.users);
        self.rooms.set_peer(report.instance, report.rooms);
        self.room_typing.set_peer(report.instance, report.typing);
        self.connections
            .set_peer(report.instance, report.connections);
    }

    fn remove_peer(&self, instance: Uuid) -> Departed {
        self.room_typing.remove_peer(instance);
        self.connections.remove_peer(instance);
        Departed {
            users: self.presence.remove_peer(instance),
            members: self.rooms.remove_peer(instance),
        }
    }

    /// Resolves when something this instance reports changed.
    async fn changed(&self) {
        tokio::select! {
            () = self.presence.changed.notified() => {}
            () = self.rooms.changed.notified() => {}
            () = self.room_typing.changed.notified() => {}
            () = self.connections.changed().notified() => {}
        }
    }
}

/// Starts reporting this instance's presence and merging the others'; returns the tasks (to
/// abort at shutdown) and where departures arrive.
pub fn start(
    url: &str,
    prefix: &str,
    secret: &[u8],
    ttl: Duration,
    shared: Shared,
) -> anyhow::Result<(Vec<tokio::task::AbortHandle>, mpsc::Receiver<Departed>)> {
    let client = redis::Client::open(url)?;
    let channel = format!("{prefix}presence");
    let key = Key::derive(secret, &channel);
    let instance = Uuid::new_v4();
    let (departed_tx, departed) = mpsc::channel(64);
    let peers = Arc::new(Peers::default());
    let report = tokio::spawn(report(
        client.clone(),
        channel.clone(),
        key.clone(),
        instance,
        ttl / 3,
        shared.clone(),
    ));
    let listen = tokio::spawn(listen(
        client,
        channel,
        key,
        instance,
        ttl,
        peers.clone(),
        shared.clone(),
    ));
    let expire = tokio::spawn(expire(instance, ttl, peers, shared, departed_tx));
    Ok((
        vec![
            report.abort_handle(),
            listen.abort_handle(),
            expire.abort_handle(),
        ],
        departed,
    ))
}

/// When each other instance last reported.
#[derive(Default)]
struct Peers(std::sync::Mutex<HashMap<Uuid, Instant>>);

impl Peers {
    fn seen(&self, instance: Uuid) {
        if let Ok(mut peers) = self.0.lock() {
            peers.insert(instance, Instant::now());
        }
    }

    /// Removes and returns the instances not heard from within `ttl`, and whether `me` has the
    /// lowest id of those still alive.
    fn expire(&self, me: Uuid, ttl: Duration) -> (Vec<Uuid>, bool) {
        let Ok(mut peers) = self.0.lock() else {
            return (Vec::new(), false);
        };
        let stale: Vec<Uuid> = peers
            .iter()
            .filter(|(_, seen)| seen.elapsed() > ttl)
            .map(|(id, _)| *id)
            .collect();
        for id in &stale {
            peers.remove(id);
        }
        let lowest = peers.keys().all(|other| me < *other);
        (stale, lowest)
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

async fn report(
    client: redis::Client,
    channel: String,
    key: Key,
    instance: Uuid,
    every: Duration,
    shared: Shared,
) {
    let mut connection: Option<redis::aio::MultiplexedConnection> = None;
    loop {
        if let Ok(json) = serde_json::to_vec(&shared.report(instance)) {
            let message = seal(&key, &json);
            if connection.is_none() {
                match tokio::time::timeout(REDIS_WAIT, client.get_multiplexed_async_connection())
                    .await
                {
                    Ok(Ok(c)) => connection = Some(c),
                    Ok(Err(e)) => tracing::warn!(error = %e, "presence: cannot reach Redis"),
                    Err(_) => tracing::warn!("presence: Redis did not answer in time"),
                }
            }
            if let Some(c) = connection.as_mut() {
                let mut publish = redis::cmd("PUBLISH");
                publish.arg(&channel).arg(message);
                let sent = tokio::time::timeout(REDIS_WAIT, publish.query_async::<()>(c));
                let failure = match sent.await {
                    Ok(Ok(())) => None,
                    Ok(Err(e)) => Some(e.to_string()),
                    Err(_) => Some("no answer in time".to_owned()),
                };
                if let Some(error) = failure {
                    tracing::warn!(%error, "presence report to Redis failed");
                    connection = None;
                }
            }
        }
        tokio::select! {
            () = shared.changed() => {}
            () = tokio::time::sleep(every) => {}
        }
        tokio::time::sleep(BATCH).await;
    }
}

async fn listen(
    client: redis::Client,
    channel: String,
    key: Key,
    instance: Uuid,
    ttl: Duration,
    peers: Arc<Peers>,
    shared: Shared,
) {
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
                let mut messages = pubsub.on_message();
                while let Some(message) = messages.next().await {
                    let Some(report) = open(&key, message.get_payload_bytes()) else {
                        tracing::warn!("presence report that does not verify: dropped");
                        continue;
                    };
                    let age = now_ms() - report.at_ms;
                    if report.instance == instance || age > ttl.as_millis() as i64 {
                        continue;
                    }
                    peers.seen(report.instance);
                    shared.set_peer(report);
                }
                tracing::warn!("presence channel: connection lost; reconnecting");
            }
            Err(e) => tracing::warn!(error = %e, "presence channel: cannot subscribe; retrying"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

async fn expire(
    instance: Uuid,
    ttl: Duration,
    peers: Arc<Peers>,
    shared: Shared,
    departed: mpsc::Sender<Departed>,
) {
    let tick = (ttl / 10).clamp(Duration::from_millis(50), Duration::from_secs(1));
    loop {
        tokio::time::sleep(tick).await;
        let (stale, announcer) = peers.expire(instance, ttl);
        for peer in stale {
            let gone = shared.remove_peer(peer);
            tracing::info!(%peer, users = gone.users.len(), "an instance stopped reporting presence");
            if announcer && (!gone.users.is_empty() || !gone.members.is_empty()) {
                let _ = departed.send(gone).await;
            }
        }
    }
}

fn seal(key: &Key, json: &[u8]) -> Vec<u8> {
    key.seal(b"presence\n", json)
}

fn open(key: &Key, payload: &[u8]) -> Option<Report> {
    serde_json::from_slice(key.open(b"presence\n", payload)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_are_signed() {
        let key = Key::derive(b"secret", "p");
        let report = Report {
            instance: Uuid::new_v4(),
            at_ms: 1,
            users: [Uuid::new_v4()].into(),
            rooms: Rooms::new(),
            typing: TypingReport::new(),
            connections: Counts::new(),
        };
        let sealed = seal(&key, &serde_json::to_vec(&report).expect("json"));
        assert!(open(&key, &sealed).is_some());
        assert!(open(&Key::derive(b"guess", "p"), &sealed).is_none());
        let mut tampered = sealed.clone();
        let last = tampered.len() - 2;
        tampered[last] ^= 1;
        assert!(open(&key, &tampered).is_none());
    }

    #[test]
    fn the_lowest_live_instance_announces() {
        let peers = Peers::default();
        let (low, high) = (Uuid::from_u128(1), Uuid::from_u128(3));
        peers.seen(high);
        assert_eq!(peers.expire(low, Duration::from_secs(60)), (vec![], true));
        assert_eq!(
            peers.expire(Uuid::from_u128(5), Duration::from_secs(60)),
            (vec![], false)
        );
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(
            peers.expire(Uuid::from_u128(5), Duration::ZERO),
            (vec![high], true)
        );
    }
}
