//! Messenger limits and timings, all with defaults.

use std::time::Duration;

use anyhow::bail;

use super::{Source, parse};

#[derive(Clone, Debug)]
pub struct MessengerSettings {
    /// Members per conversation (`CONVERSATION_MAX_MEMBERS`).
    pub max_members: usize,
    /// Longest message body, in characters.
    pub message_max_chars: usize,
    /// A conversation's typing indicator not refreshed within this is cleared.
    pub typing_ttl: Duration,
    /// Largest attachment (`MAX_ATTACHMENT_BYTES`).
    pub max_attachment_bytes: u64,
    /// Lifetime of the token in `Attachment.url`.
    pub attachment_token_ttl: Duration,
    /// Attachments uploaded and never sent are removed after this long.
    pub unsent_attachment_ttl: Duration,
}

impl MessengerSettings {
    pub fn load(src: &impl Source) -> anyhow::Result<Self> {
        let settings = Self {
            max_members: parse(src, "CONVERSATION_MAX_MEMBERS", 100)?,
            message_max_chars: parse(src, "MESSAGE_MAX_CHARS", 4096)?,
            typing_ttl: Duration::from_millis(parse(src, "CONVERSATION_TYPING_TTL_MS", 3000)?),
            max_attachment_bytes: parse(src, "MAX_ATTACHMENT_BYTES", 25 * 1024 * 1024)?,
            attachment_token_ttl: Duration::from_secs(parse(
                src,
                "ATTACHMENT_TOKEN_TTL_SECS",
                6 * 3600,
            )?),
            unsent_attachment_ttl: Duration::from_secs(parse(
                src,
                "ATTACHMENT_UNSENT_TTL_SECS",
                24 * 3600,
            )?),
        };
        if settings.max_members < 2 {
            bail!("CONVERSATION_MAX_MEMBERS: must be at least 2");
        }
        if settings.message_max_chars < 1 || settings.max_attachment_bytes < 1 {
            bail!("MESSAGE_MAX_CHARS / MAX_ATTACHMENT_BYTES: must be at least 1");
        }
        if settings.typing_ttl.is_zero()
            || settings.attachment_token_ttl.is_zero()
            || settings.unsent_attachment_ttl.is_zero()
        {
            bail!(
                "CONVERSATION_TYPING_TTL_MS / ATTACHMENT_TOKEN_TTL_SECS / ATTACHMENT_UNSENT_TTL_SECS: must be at least 1"
            );
        }
        Ok(settings)
    }
}
