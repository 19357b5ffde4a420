//! A listening room's settings as values: who may see it, who may control playback, members'
//! roles, its name, and the skip-vote threshold. Parsing them is the only way to make one.
//! Also when a command writes the room's activity mark.

use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::{room, room_user};

use crate::error::{AppError, AppResult};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Visibility {
    Public,
    Friends,
    Private,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "PUBLIC",
            Self::Friends => "FRIENDS",
            Self::Private => "PRIVATE",
        }
    }

    pub fn of(room: &room::Model) -> Self {
        match room.visibility.as_str() {
            "FRIENDS" => Self::Friends,
            "PRIVATE" => Self::Private,
            _ => Self::Public,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ControlMode {
    HostOnly,
    Everyone,
    Djs,
}

impl ControlMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HostOnly => "HOST_ONLY",
            Self::Everyone => "EVERYONE",
            Self::Djs => "DJS",
        }
    }

    pub fn of(room: &room::Model) -> Self {
        match room.control_mode.as_str() {
            "EVERYONE" => Self::Everyone,
            "DJS" => Self::Djs,
            _ => Self::HostOnly,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Host,
    Dj,
    Listener,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Host => "HOST",
            Self::Dj => "DJ",
            Self::Listener => "LISTENER",
        }
    }

    pub fn of(member: &room_user::Model) -> Self {
        match member.role.as_str() {
            "HOST" => Self::Host,
            "DJ" => Self::Dj,
            _ => Self::Listener,
        }
    }
}

/// A room's name: trimmed, 1–80 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomName(String);

impl RoomName {
    pub const MAX: usize = 80;

    pub fn parse(raw: &str) -> AppResult<Self> {
        let name = raw.trim();
        let len = name.chars().count();
        if len == 0 || len > Self::MAX {
            return Err(AppError::bad_input(
                "name",
                format!("A room name has 1–{} characters", Self::MAX),
            ));
        }
        if name.chars().any(char::is_control) {
            return Err(AppError::bad_input(
                "name",
                "A room name may not contain control characters",
            ));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A skip-vote threshold: more than this percentage of connected members.
pub fn skip_vote_percent(value: i32) -> AppResult<i32> {
    if (0..100).contains(&value) {
        Ok(value)
    } else {
        Err(AppError::bad_input(
            "skipVotePercent",
            "skipVotePercent must be 0–99 (a vote passes with more than this share)",
        ))
    }
}

/// Whether a command at `now` writes the room's activity mark (`updatedAt`), last written at
/// `marked`. It is written when it is older than a second, or than a hundredth of the idle
/// timeout when that is shorter: a busy room's commands skip the extra write, `updatedAt` stays
/// right to the second, and a room never closes more than that early.
pub fn activity_mark_due(marked: DateTime<Utc>, now: DateTime<Utc>, idle_close: Duration) -> bool {
    let granularity = (idle_close / 100).min(Duration::from_secs(1));
    match (now - marked).to_std() {
        Ok(elapsed) => elapsed >= granularity,
        // The mark is ahead of this clock (another instance's, or a clock step): rewrite it.
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activity_marks_are_written_at_most_once_a_second() {
        let marked = DateTime::from_timestamp_millis(1_000_000).expect("valid");
        let hour = Duration::from_secs(3600);
        let at = |ms| marked + chrono::Duration::milliseconds(ms);
        assert!(!activity_mark_due(marked, marked, hour));
        assert!(!activity_mark_due(marked, at(999), hour));
        assert!(activity_mark_due(marked, at(1000), hour));
        assert!(
            activity_mark_due(marked, at(-1), hour),
            "a mark from the future"
        );
        // A short idle timeout narrows the step, so rooms do not close early.
        let two_seconds = Duration::from_secs(2);
        assert!(!activity_mark_due(marked, at(19), two_seconds));
        assert!(activity_mark_due(marked, at(20), two_seconds));
    }

    #[test]
    fn room_names() {
        assert_eq!(
            RoomName::parse("  Friday night  ")
                .expect("ok")
                .into_string(),
            "Friday night"
        );
        assert!(RoomName::parse("   ").is_err());
        assert!(RoomName::parse(&"x".repeat(81)).is_err());
        assert!(
            RoomName::parse(&"é".repeat(80)).is_ok(),
            "characters, not bytes"
        );
        assert!(RoomName::parse("bad\u{0007}name").is_err());
    }
}
