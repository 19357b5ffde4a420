//! Presence shared by the instances of a deployment (with `REDIS_URL`): each instance reports
//! who is online on it and who is connected to which room (with their round trips) on the
//! Redis channel `{REDIS_KEY_PREFIX}presence`, at once after a change (a little batched) and
//! every third of `PRESENCE_TTL_MS` regardless; the others keep its last report. An instance
//! that stops reporting (it died, or lost Redis) is forgotten once `PRESENCE_TTL_MS` has
//! passed, and one surviving instance (the one with the lowest id) is told who went offline or
//! left a room with it, to announce.
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
use super::presence::Presence;
use super::rooms::presence::{RoomPresence, Rooms};

/// After a change, how long to wait for more before reporting (a burst of connections makes
/// one report).
const BATCH: Duration = Duration::from_millis(50);

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
}

/// Starts reporting this instance's presence and merging the others'; returns the tasks (to
/// abort at shutdown) and where departures arrive.
pub fn start(
    url: &str,
    prefix: &str,
    secret: &[u8],
    ttl: Duration,
    presence: Arc<Presence>,
    rooms: Arc<RoomPresence>,
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
        presence.clone(),
        rooms.clone(),
    ));
    let listen = tokio::spawn(listen(
        client,
        channel,
        key,
        instance,
        ttl,
        peers.clone(),
        presence.clone(),
        rooms.clone(),
    ));
    let expire = tokio::spawn(expire(instance, ttl, peers, presence, rooms, departed_tx));
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
    presence: Arc<Presence>,
    rooms: Arc<RoomPresence>,
) {
    let mut connection: Option<redis::aio::MultiplexedConnection> = None;
    loop {
        let body = Report {
            instance,
            at_ms: now_ms(),
            users: presence.local_users().into_iter().collect(),
            rooms: rooms.local_snapshot(),
        };
        if let Ok(json) = serde_json::to_vec(&body) {
            let message = seal(&key, &json);
            if connection.is_none() {
                connection = client.get_multiplexed_async_connection().await.ok();
            }
            if let Some(c) = connection.as_mut() {
                let sent: redis::RedisResult<()> = redis::cmd("PUBLISH")
                    .arg(&channel)
                    .arg(message)
                    .query_async(c)
                    .await;
                if let Err(e) = sent {
                    tracing::warn!(error = %e, "presence report to Redis failed");
                    connection = None;
                }
            }
        }
        tokio::select! {
            () = presence.changed.notified() => {}
            () = rooms.changed.notified() => {}
            () = tokio::time::sleep(every) => {}
        }
        tokio::time::sleep(BATCH).await;
    }
}

#[allow(clippy::too_many_arguments)]
async fn listen(
    client: redis::Client,
    channel: String,
    key: Key,
    instance: Uuid,
    ttl: Duration,
    peers: Arc<Peers>,
    presence: Arc<Presence>,
    rooms: Arc<RoomPresence>,
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
                    presence.set_peer(report.instance, report.users);
                    rooms.set_peer(report.instance, report.rooms);
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
    presence: Arc<Presence>,
    rooms: Arc<RoomPresence>,
    departed: mpsc::Sender<Departed>,
) {
    let tick = (ttl / 10).clamp(Duration::from_millis(50), Duration::from_secs(1));
    loop {
        tokio::time::sleep(tick).await;
        let (stale, announcer) = peers.expire(instance, ttl);
        for peer in stale {
            let gone = Departed {
                users: presence.remove_peer(peer),
                members: rooms.remove_peer(peer),
            };
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
