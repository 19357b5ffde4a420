//! Listening-room limits and timings (`ROOM_*`), all with defaults.

use std::time::Duration;

use anyhow::bail;

use super::{Source, parse};

#[derive(Clone, Debug)]
pub struct RoomSettings {
    /// Members per room; the next `joinRoom` is `FORBIDDEN` (room full).
    pub max_members: usize,
    /// Longest chat message, in characters.
    pub message_max_chars: usize,
    /// A typing indicator not refreshed within this is cleared.
    pub typing_ttl: Duration,
    /// Largest `sendSignal` payload, in bytes of JSON.
    pub signal_max_bytes: usize,
    /// A room nobody is connected to and nothing happens in for this long is closed.
    pub idle_close: Duration,
    /// The scheduled-start lead: twice the highest reported round trip, within these bounds.
    pub start_lead_min_ms: i64,
    pub start_lead_max_ms: i64,
    /// How long a room waiting for everyone to be ready waits before starting anyway.
    pub wait_timeout_ms: i64,
    /// Default share of connected members (percent) whose skip votes skip a track.
    pub skip_vote_percent: i32,
    /// Longest queue per room.
    pub max_queue: usize,
}

impl RoomSettings {
    pub fn load(src: &impl Source) -> anyhow::Result<Self> {
        let settings = Self {
            max_members: parse(src, "ROOM_MAX_MEMBERS", 50)?,
            message_max_chars: parse(src, "ROOM_MESSAGE_MAX_CHARS", 4096)?,
            typing_ttl: Duration::from_millis(parse(src, "ROOM_TYPING_TTL_MS", 3000)?),
            signal_max_bytes: parse(src, "ROOM_SIGNAL_MAX_BYTES", 16 * 1024)?,
            idle_close: Duration::from_secs(parse(src, "ROOM_IDLE_CLOSE_SECS", 3600)?),
            start_lead_min_ms: parse(src, "ROOM_START_LEAD_MIN_MS", 150)?,
            start_lead_max_ms: parse(src, "ROOM_START_LEAD_MAX_MS", 2000)?,
            wait_timeout_ms: parse(src, "ROOM_WAIT_TIMEOUT_MS", 10_000)?,
            skip_vote_percent: parse(src, "ROOM_SKIP_VOTE_PERCENT", 50)?,
            max_queue: parse(src, "ROOM_MAX_QUEUE", 500)?,
        };
        if settings.max_members < 1 {
            bail!("ROOM_MAX_MEMBERS: must be at least 1");
        }
        if settings.message_max_chars < 1 || settings.signal_max_bytes < 1 || settings.max_queue < 1
        {
            bail!(
                "ROOM_MESSAGE_MAX_CHARS / ROOM_SIGNAL_MAX_BYTES / ROOM_MAX_QUEUE: must be at least 1"
            );
        }
        if settings.typing_ttl.is_zero() || settings.idle_close.is_zero() {
            bail!("ROOM_TYPING_TTL_MS / ROOM_IDLE_CLOSE_SECS: must be at least 1");
        }
        if settings.start_lead_min_ms < 0 || settings.start_lead_max_ms < settings.start_lead_min_ms
        {
            bail!("ROOM_START_LEAD_MIN_MS / ROOM_START_LEAD_MAX_MS: need 0 <= min <= max");
        }
        if settings.wait_timeout_ms < 1 {
            bail!("ROOM_WAIT_TIMEOUT_MS: must be at least 1");
        }
        if !(0..100).contains(&settings.skip_vote_percent) {
            bail!("ROOM_SKIP_VOTE_PERCENT: must be 0–99 (a vote passes with more than this share)");
        }
        Ok(settings)
    }
}
