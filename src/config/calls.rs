//! Call limits and timings, and the STUN/TURN servers handed to WebRTC clients.

use std::time::Duration;

use anyhow::bail;

use super::{Source, parse};

#[derive(Clone)]
pub struct CallSettings {
    /// Participants per call, the caller included (`CALL_MAX_PARTICIPANTS`).
    pub max_participants: usize,
    /// How long a callee rings before the call is `MISSED` for them (`CALL_RING_TIMEOUT_MS`).
    pub ring_timeout: Duration,
    /// Calls that may ring one user at once; the next is `BUSY` (`CALL_MAX_RINGING`).
    pub max_ringing: usize,
    /// Largest `sendCallSignal` payload, in bytes of JSON (`CALL_SIGNAL_MAX_BYTES`).
    pub signal_max_bytes: usize,
    /// Largest `addScreenAnnotation` data, in bytes of JSON (`CALL_ANNOTATION_MAX_BYTES`).
    pub annotation_max_bytes: usize,
    /// `STUN_URLS`, comma-separated.
    pub stun_urls: Vec<String>,
    /// `TURN_URLS`, comma-separated; offered only with a `TURN_SHARED_SECRET`.
    pub turn_urls: Vec<String>,
    /// coturn's `static-auth-secret` (`TURN_SHARED_SECRET`).
    pub turn_secret: Option<Vec<u8>>,
    /// How long issued TURN credentials stay valid (`TURN_CREDENTIAL_TTL_SECS`).
    pub turn_ttl: Duration,
}

impl std::fmt::Debug for CallSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallSettings")
            .field("max_participants", &self.max_participants)
            .field("ring_timeout", &self.ring_timeout)
            .field("max_ringing", &self.max_ringing)
            .field("stun_urls", &self.stun_urls)
            .field("turn_urls", &self.turn_urls)
            .field(
                "turn_secret",
                &self.turn_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("turn_ttl", &self.turn_ttl)
            .finish_non_exhaustive()
    }
}

fn urls(src: &impl Source, key: &str) -> Vec<String> {
    src.get(key)
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(str::to_owned)
        .collect()
}

impl CallSettings {
    pub fn load(src: &impl Source) -> anyhow::Result<Self> {
        let settings = Self {
            max_participants: parse(src, "CALL_MAX_PARTICIPANTS", 50)?,
            ring_timeout: Duration::from_millis(parse(src, "CALL_RING_TIMEOUT_MS", 60_000)?),
            max_ringing: parse(src, "CALL_MAX_RINGING", 5)?,
            signal_max_bytes: parse(src, "CALL_SIGNAL_MAX_BYTES", 16 * 1024)?,
            annotation_max_bytes: parse(src, "CALL_ANNOTATION_MAX_BYTES", 16 * 1024)?,
            stun_urls: urls(src, "STUN_URLS"),
            turn_urls: urls(src, "TURN_URLS"),
            turn_secret: src
                .get("TURN_SHARED_SECRET")
                .filter(|s| !s.is_empty())
                .map(String::into_bytes),
            turn_ttl: Duration::from_secs(parse(src, "TURN_CREDENTIAL_TTL_SECS", 86_400)?),
        };
        if settings.max_participants < 2 {
            bail!("CALL_MAX_PARTICIPANTS: must be at least 2");
        }
        if settings.ring_timeout.is_zero() || settings.max_ringing == 0 {
            bail!("CALL_RING_TIMEOUT_MS / CALL_MAX_RINGING: must be at least 1");
        }
        if settings.signal_max_bytes == 0 || settings.annotation_max_bytes == 0 {
            bail!("CALL_SIGNAL_MAX_BYTES / CALL_ANNOTATION_MAX_BYTES: must be at least 1");
        }
        if settings.turn_ttl.is_zero() {
            bail!("TURN_CREDENTIAL_TTL_SECS: must be at least 1");
        }
        for url in &settings.stun_urls {
            if !url.starts_with("stun:") && !url.starts_with("stuns:") {
                bail!("STUN_URLS: expected stun: or stuns: URLs, got {url:?}");
            }
        }
        for url in &settings.turn_urls {
            if !url.starts_with("turn:") && !url.starts_with("turns:") {
                bail!("TURN_URLS: expected turn: or turns: URLs, got {url:?}");
            }
        }
        Ok(settings)
    }
}
