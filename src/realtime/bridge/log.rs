//! The event logs that instances share: one Redis stream per user and per call
//! (`{REDIS_KEY_PREFIX}log:user:{id}`, `…log:call:{id}`), written by each instance's sender task in the same
//! pipeline as the event's pub/sub message and before it, so that whoever hears of an event can
//! already read it. Stream ids are the cursors. Entries older than [`RETAIN`] are trimmed as
//! new ones are added, and a stream nobody wrote to for twice that long expires.
//!
//! Each entry is signed like the bridge's messages (HMAC-SHA256 under a key derived from
//! `JWT_ACCESS_SECRET`), over the user's topic and the event, so that an entry written by
//! anything but an instance, or copied into another user's stream, is skipped.

use std::sync::Arc;

use super::wire::Key;
use crate::realtime::{
    Event, Topic,
    resume::{Cursor, Logged, RETAIN, ReplayError},
};

/// Entries read per round trip while replaying.
const PAGE: usize = 500;
/// The one field of an entry.
const FIELD: &str = "e";

pub struct RedisLog {
    connection: redis::aio::ConnectionManager,
    prefix: String,
    key: Key,
}

impl RedisLog {
    pub fn new(connection: redis::aio::ConnectionManager, prefix: &str, secret: &[u8]) -> Self {
        let prefix = format!("{prefix}log:");
        Self {
            connection,
            key: Key::derive(secret, &prefix),
            prefix,
        }
    }

    fn stream(&self, topic: Topic) -> String {
        format!("{}{}", self.prefix, topic)
    }

    /// Adds the commands that log `event` on `topic` to `pipe`.
    pub fn append(
        &self,
        pipe: &mut redis::Pipeline,
        topic: Topic,
        event: &Event,
        now_ms: i64,
    ) -> serde_json::Result<()> {
        let entry = self.key.seal(&context(topic), &serde_json::to_vec(event)?);
        let stream = self.stream(topic);
        let retain_ms = RETAIN.as_millis() as i64;
        pipe.cmd("XADD")
            .arg(&stream)
            .arg("MINID")
            .arg("~")
            .arg(now_ms - retain_ms)
            .arg("*")
            .arg(FIELD)
            .arg(entry)
            .ignore();
        pipe.cmd("PEXPIRE").arg(&stream).arg(2 * retain_ms).ignore();
        Ok(())
    }

    /// Every event logged on `topic` after `after`, oldest first.
    pub async fn read_after(
        &self,
        topic: Topic,
        after: Cursor,
    ) -> Result<Vec<Logged>, ReplayError> {
        let stream = self.stream(topic);
        let mut connection = self.connection.clone();
        let mut out = Vec::new();
        let mut from = after;
        loop {
            let page: Vec<(String, Vec<Vec<u8>>)> = redis::cmd("XRANGE")
                .arg(&stream)
                .arg(format!("({from}"))
                .arg("+")
                .arg("COUNT")
                .arg(PAGE)
                .query_async(&mut connection)
                .await
                .map_err(|e| {
                    tracing::warn!(error = %e, "reading a user's event log from Redis failed");
                    ReplayError::Unavailable
                })?;
            let full = page.len() == PAGE;
            for (id, fields) in page {
                let Ok(cursor) = id.parse::<Cursor>() else {
                    continue;
                };
                from = cursor;
                match self.decode(topic, &fields) {
                    Some(event) => out.push((cursor, Arc::new(event))),
                    None => tracing::warn!(
                        %cursor,
                        "a user's event log holds an entry that does not verify: skipped"
                    ),
                }
            }
            if !full {
                return Ok(out);
            }
        }
    }

    /// The id of the newest entry of `topic`'s stream (or the start, for an empty one).
    pub async fn tail(&self, topic: Topic) -> Result<Cursor, ReplayError> {
        let newest: Vec<(String, Vec<Vec<u8>>)> = redis::cmd("XREVRANGE")
            .arg(self.stream(topic))
            .arg("+")
            .arg("-")
            .arg("COUNT")
            .arg(1)
            .query_async(&mut self.connection.clone())
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "reading a user's event log from Redis failed");
                ReplayError::Unavailable
            })?;
        Ok(newest
            .first()
            .and_then(|(id, _)| id.parse().ok())
            .unwrap_or(Cursor::START))
    }

    fn decode(&self, topic: Topic, fields: &[Vec<u8>]) -> Option<Event> {
        let entry = fields
            .chunks(2)
            .find(|pair| pair.first().is_some_and(|f| f == FIELD.as_bytes()))?
            .get(1)?;
        let json = self.key.open(&context(topic), entry)?;
        serde_json::from_slice(json).ok()
    }
}

/// What an entry's tag covers besides the event: its topic, so that an entry copied into
/// another stream does not verify.
fn context(topic: Topic) -> Vec<u8> {
    format!("{topic}\n").into_bytes()
}
