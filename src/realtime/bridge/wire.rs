//! The bridge's messages, and what makes one trustworthy.
//!
//! A message is `{tag} {origin} {seq} {sentMs} {kind}\n{body}`:
//! - `tag`: HMAC-SHA256 (unpadded URL-safe base64) over everything after `{tag} `, keyed with a
//!   key derived from `JWT_ACCESS_SECRET`, which every instance of a deployment shares anyway,
//!   and the channel's name;
//! - `origin`: the sending instance (random per process); `seq`: its message counter (one up
//!   per message); `sentMs`: its clock when it sent the message;
//! - `kind`: a topic (`room:{id}`, `user:{id}`) with the event as JSON for body, or `resync` with
//!   the topics whose events other instances may have missed (space-separated; `*` for all).
//!
//! A receiver drops a message whose tag does not verify (not from an instance of this
//! deployment, or altered), and a replay: one sent more than [`MAX_AGE_MS`] ago, or not newer
//! than the last it accepted from that origin. Instance clocks must therefore agree to within
//! that much.

use std::collections::HashMap;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

use super::super::{Event, Topic};

type HmacSha256 = Hmac<Sha256>;

/// Oldest message accepted, by the sender's clock.
pub const MAX_AGE_MS: i64 = 120_000;
/// Length of the encoded tag (32 bytes in unpadded base64).
const TAG_LEN: usize = 43;
/// Beyond this many topics, a resync marker asks for everything.
pub const MAX_LISTED_TOPICS: usize = 256;

/// Topics whose subscribers should be told they may have missed events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resync {
    All,
    Topics(Vec<Topic>),
}

/// The deployment's key for one channel.
#[derive(Clone)]
pub struct Key(HmacSha256);

impl Key {
    pub fn derive(secret: &[u8], channel: &str) -> Self {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(secret)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(b"soundroom event bridge key v1\n");
        mac.update(channel.as_bytes());
        let key = mac.finalize().into_bytes();
        Self(
            <HmacSha256 as Mac>::new_from_slice(&key)
                .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length")),
        )
    }

    fn tag(&self, signed: &[u8]) -> [u8; 32] {
        let mut mac = self.0.clone();
        mac.update(signed);
        mac.finalize().into_bytes().into()
    }

    fn verifies(&self, signed: &[u8], tag: &[u8]) -> bool {
        let Ok(tag) = URL_SAFE_NO_PAD.decode(tag) else {
            return false;
        };
        let mut mac = self.0.clone();
        mac.update(signed);
        mac.verify_slice(&tag).is_ok()
    }
}

impl Key {
    /// `<tag>\n<body>`, the tag covering `context` (what the body is about, e.g. its topic;
    /// not written) and the body: for what instances leave for each other in Redis.
    pub(crate) fn seal(&self, context: &[u8], body: &[u8]) -> Vec<u8> {
        let mut signed = context.to_vec();
        signed.extend_from_slice(body);
        let mut out = URL_SAFE_NO_PAD.encode(self.tag(&signed)).into_bytes();
        out.push(b'\n');
        out.extend_from_slice(body);
        out
    }

    /// The body of what [`seal`](Self::seal) wrote for `context`, if its tag verifies.
    pub(crate) fn open<'a>(&self, context: &[u8], sealed: &'a [u8]) -> Option<&'a [u8]> {
        let split = sealed.iter().position(|&b| b == b'\n')?;
        let (tag, body) = (&sealed[..split], &sealed[split + 1..]);
        let mut signed = context.to_vec();
        signed.extend_from_slice(body);
        self.verifies(&signed, tag).then_some(body)
    }
}

/// Writes this instance's messages (one per sender task: it numbers them).
pub struct Encoder {
    key: Key,
    origin: Uuid,
    seq: u64,
}

impl Encoder {
    pub fn new(key: Key, origin: Uuid) -> Self {
        Self {
            key,
            origin,
            seq: 0,
        }
    }

    pub fn event(
        &mut self,
        topic: Topic,
        event: &Event,
        now_ms: i64,
    ) -> serde_json::Result<Vec<u8>> {
        self.seal(&topic.to_string(), now_ms, |out| {
            serde_json::to_writer(out, event)
        })
    }

    pub fn resync(&mut self, resync: &Resync, now_ms: i64) -> Vec<u8> {
        let body = match resync {
            Resync::All => "*".to_owned(),
            Resync::Topics(topics) => topics
                .iter()
                .map(Topic::to_string)
                .collect::<Vec<_>>()
                .join(" "),
        };
        self.seal("resync", now_ms, |out| {
            out.extend_from_slice(body.as_bytes());
            Ok(())
        })
        .unwrap_or_else(|_: serde_json::Error| unreachable!("writing to a Vec cannot fail"))
    }

    fn seal<E>(
        &mut self,
        kind: &str,
        now_ms: i64,
        body: impl FnOnce(&mut Vec<u8>) -> Result<(), E>,
    ) -> Result<Vec<u8>, E> {
        self.seq += 1;
        // Room for the tag first, filled in once the rest is written.
        let mut out = vec![b' '; TAG_LEN + 1];
        out.extend_from_slice(format!("{} {} {now_ms} {kind}\n", self.origin, self.seq).as_bytes());
        body(&mut out)?;
        let tag = self.key.tag(&out[TAG_LEN + 1..]);
        let written = URL_SAFE_NO_PAD
            .encode_slice(tag, &mut out[..TAG_LEN])
            .unwrap_or_else(|_| unreachable!("32 bytes encode to 43 characters"));
        debug_assert_eq!(written, TAG_LEN);
        Ok(out)
    }
}

/// What a received message turned out to be.
#[derive(Debug, PartialEq, Eq)]
pub enum Opened<'a> {
    /// Sent by this instance.
    Own,
    Event {
        topic: Topic,
        json: &'a [u8],
    },
    Resync(Resync),
    /// Not a message of this format.
    Malformed,
    /// Its tag does not verify.
    Forged,
    /// Too old, or not newer than the last one from its origin.
    Replayed,
}

/// Reads the other instances' messages (one per listener task: it remembers their counters).
pub struct Decoder {
    key: Key,
    origin: Uuid,
    /// Per origin: the last counter accepted and when that message was sent.
    last: HashMap<Uuid, (u64, i64)>,
}

impl Decoder {
    pub fn new(key: Key, origin: Uuid) -> Self {
        Self {
            key,
            origin,
            last: HashMap::new(),
        }
    }

    pub fn open<'a>(&mut self, payload: &'a [u8], now_ms: i64) -> Opened<'a> {
        let Some(parsed) = parse(payload) else {
            return Opened::Malformed;
        };
        if parsed.origin == self.origin {
            return Opened::Own;
        }
        if !self.key.verifies(parsed.signed, parsed.tag) {
            return Opened::Forged;
        }
        if now_ms - parsed.sent_ms > MAX_AGE_MS {
            return Opened::Replayed;
        }
        match self.last.get(&parsed.origin) {
            Some((seq, _)) if parsed.seq <= *seq => return Opened::Replayed,
            _ => {}
        }
        if self.last.len() >= 64 {
            // Origins silent for longer than a message may be old are forgotten: anything
            // replayed from them is refused as too old.
            self.last
                .retain(|_, (_, sent_ms)| now_ms - *sent_ms <= MAX_AGE_MS);
        }
        self.last
            .insert(parsed.origin, (parsed.seq, parsed.sent_ms));
        match parsed.kind {
            "resync" => resync_of(parsed.body).map_or(Opened::Malformed, Opened::Resync),
            topic => topic
                .parse()
                .map_or(Opened::Malformed, |topic| Opened::Event {
                    topic,
                    json: parsed.body,
                }),
        }
    }
}

struct Parsed<'a> {
    tag: &'a [u8],
    signed: &'a [u8],
    origin: Uuid,
    seq: u64,
    sent_ms: i64,
    kind: &'a str,
    body: &'a [u8],
}

fn parse(payload: &[u8]) -> Option<Parsed<'_>> {
    if payload.len() <= TAG_LEN || payload[TAG_LEN] != b' ' {
        return None;
    }
    let (tag, signed) = (&payload[..TAG_LEN], &payload[TAG_LEN + 1..]);
    let newline = signed.iter().position(|b| *b == b'\n')?;
    let mut head = std::str::from_utf8(&signed[..newline]).ok()?.split(' ');
    let parsed = Parsed {
        tag,
        signed,
        origin: head.next()?.parse().ok()?,
        seq: head.next()?.parse().ok()?,
        sent_ms: head.next()?.parse().ok()?,
        kind: head.next()?,
        body: &signed[newline + 1..],
    };
    head.next().is_none().then_some(parsed)
}

fn resync_of(body: &[u8]) -> Option<Resync> {
    let body = std::str::from_utf8(body).ok()?;
    if body == "*" {
        return Some(Resync::All);
    }
    body.split(' ')
        .map(|t| t.parse().ok())
        .collect::<Option<Vec<Topic>>>()
        .map(Resync::Topics)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::realtime::UserEvent;

    const NOW: i64 = 1_800_000_000_000;

    fn pair() -> (Encoder, Decoder) {
        let key = Key::derive(b"test-access-secret-0123456789abcdef", "soundroom:events");
        (
            Encoder::new(key.clone(), Uuid::new_v4()),
            Decoder::new(key, Uuid::new_v4()),
        )
    }

    fn event() -> Event {
        Event::User(UserEvent::FriendRemoved {
            user_id: Uuid::new_v4(),
            at: chrono::Utc::now(),
        })
    }

    #[test]
    fn an_event_arrives_with_its_topic() {
        let (mut encoder, mut decoder) = pair();
        let topic = Topic::Room(Uuid::new_v4());
        let event = event();
        let payload = encoder.event(topic, &event, NOW).expect("encodes");
        let Opened::Event { topic: on, json } = decoder.open(&payload, NOW + 5) else {
            panic!("refused: {}", String::from_utf8_lossy(&payload));
        };
        assert_eq!(on, topic);
        let back: Event = serde_json::from_slice(json).expect("decodes");
        assert_eq!(format!("{back:?}"), format!("{event:?}"));
    }

    #[test]
    fn resync_markers_name_their_topics() {
        let (mut encoder, mut decoder) = pair();
        let topics = vec![Topic::Room(Uuid::new_v4()), Topic::Room(Uuid::new_v4())];
        for resync in [Resync::Topics(topics), Resync::All] {
            let payload = encoder.resync(&resync, NOW);
            assert_eq!(decoder.open(&payload, NOW), Opened::Resync(resync));
        }
    }

    #[test]
    fn own_messages_are_recognised() {
        let key = Key::derive(b"secret", "c");
        let origin = Uuid::new_v4();
        let mut encoder = Encoder::new(key.clone(), origin);
        let mut decoder = Decoder::new(key, origin);
        let payload = encoder.resync(&Resync::All, NOW);
        assert_eq!(decoder.open(&payload, NOW), Opened::Own);
    }

    #[test]
    fn altered_messages_are_forged() {
        let (mut encoder, mut decoder) = pair();
        let room = Uuid::new_v4();
        let payload = encoder
            .event(Topic::Room(room), &event(), NOW)
            .expect("encodes");
        // Another topic, another body, another origin, another tag: each breaks the tag.
        let text = String::from_utf8(payload.clone()).expect("utf-8");
        let other_room = text.replace(&room.to_string(), &Uuid::new_v4().to_string());
        let mut flipped = payload.clone();
        let last = flipped.len() - 2;
        flipped[last] ^= 1;
        let mut bad_tag = payload.clone();
        bad_tag[0] = if bad_tag[0] == b'A' { b'B' } else { b'A' };
        let (origin, _) = text[TAG_LEN + 1..].split_once(' ').expect("origin");
        let other_origin = text.replace(origin, &Uuid::new_v4().to_string());
        for altered in [
            other_room.into_bytes(),
            flipped,
            bad_tag,
            other_origin.into_bytes(),
        ] {
            assert_eq!(decoder.open(&altered, NOW), Opened::Forged);
        }
        // Signed with another deployment's secret, or for another channel.
        for key in [
            Key::derive(b"another secret", "soundroom:events"),
            Key::derive(b"test-access-secret-0123456789abcdef", "other:events"),
        ] {
            let payload = Encoder::new(key, Uuid::new_v4())
                .event(Topic::Room(room), &event(), NOW)
                .expect("encodes");
            assert_eq!(decoder.open(&payload, NOW), Opened::Forged);
        }
        // The genuine message still goes through.
        assert!(matches!(decoder.open(&payload, NOW), Opened::Event { .. }));
    }

    #[test]
    fn replays_and_stale_messages_are_refused() {
        let (mut encoder, mut decoder) = pair();
        let topic = Topic::Room(Uuid::new_v4());
        let first = encoder.event(topic, &event(), NOW).expect("encodes");
        let second = encoder.event(topic, &event(), NOW + 1).expect("encodes");
        assert!(matches!(
            decoder.open(&second, NOW + 1),
            Opened::Event { .. }
        ));
        assert_eq!(decoder.open(&second, NOW + 2), Opened::Replayed, "again");
        assert_eq!(decoder.open(&first, NOW + 2), Opened::Replayed, "older");
        let old = encoder.event(topic, &event(), NOW).expect("encodes");
        let (_, mut fresh) = pair();
        fresh.key = decoder.key.clone();
        assert_eq!(
            fresh.open(&old, NOW + MAX_AGE_MS + 1),
            Opened::Replayed,
            "too old for an instance that never heard of its origin"
        );
        assert!(matches!(fresh.open(&old, NOW + 1000), Opened::Event { .. }));
    }

    #[test]
    fn malformed_messages_are_refused() {
        let (_, mut decoder) = pair();
        let tag = "A".repeat(TAG_LEN);
        let origin = Uuid::new_v4();
        for bad in [
            String::new(),
            "no newline".to_owned(),
            format!("{tag} {origin} 1 {NOW}\n{{}}"),
            format!("{tag} not-a-uuid 1 {NOW} room:x\n{{}}"),
            format!("{tag} {origin} x {NOW} resync\n*"),
            format!("{tag}{origin} 1 {NOW} resync\n*"),
            format!("{tag} {origin} 1 {NOW} resync extra\n*"),
        ] {
            assert_eq!(
                decoder.open(bad.as_bytes(), NOW),
                Opened::Malformed,
                "{bad}"
            );
        }
    }
}
