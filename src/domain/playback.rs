//! The playback state machine, pure: `(track, isPlaying, positionMs, anchorTimeMs, version)`
//! and the commands that change it. Nothing ticks: the position at any instant is computed
//! from the tuple. Shared by the personal player and listening rooms.
//!
//! Commands that start playback (play, resume, seek while playing, skip to a track) may be
//! anchored at a scheduled instant `start_at_ms` slightly after `now_ms` (see
//! [`PlaybackState::apply_at`]), so that clients with different latencies start together;
//! until that instant the position stands at `position_ms`.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::AppError;

/// A track as the state machine needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Loaded {
    pub track_id: Uuid,
    pub duration_ms: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaybackState {
    pub track: Option<Loaded>,
    pub is_playing: bool,
    /// Position at the server instant `anchor_time_ms`.
    pub position_ms: i64,
    /// Server clock, Unix epoch milliseconds.
    pub anchor_time_ms: i64,
    /// +1 on every change.
    pub version: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// Play `track` from `position_ms` (default 0); with no track, resume the loaded one, from
    /// `position_ms` when given.
    Play {
        track: Option<Loaded>,
        position_ms: Option<i64>,
    },
    /// Pause at `position_ms`, or where playback is now.
    Pause {
        position_ms: Option<i64>,
    },
    Seek {
        position_ms: i64,
    },
    /// Set everything at once (a device reporting its state).
    Set {
        track: Loaded,
        position_ms: i64,
        is_playing: bool,
    },
    /// Leave the current track: play `next` from the start, or stop (nothing loaded) when there
    /// is no next track.
    Skip {
        next: Option<Loaded>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlaybackError {
    NothingLoaded,
    /// The position is negative or past the end of the track.
    PositionOutOfRange {
        duration_ms: i64,
    },
}

impl PlaybackError {
    /// As the client sees it: `BAD_USER_INPUT` on the field at fault. `nothing_loaded` tells
    /// where nothing is loaded and how to load something.
    pub fn into_app_error(self, nothing_loaded: &str) -> AppError {
        match self {
            PlaybackError::NothingLoaded => AppError::bad_input("trackId", nothing_loaded),
            PlaybackError::PositionOutOfRange { duration_ms } => AppError::bad_input(
                "positionMs",
                format!("positionMs must be between 0 and the track's duration ({duration_ms} ms)"),
            ),
        }
    }
}

impl PlaybackState {
    pub fn empty(now_ms: i64) -> Self {
        Self {
            track: None,
            is_playing: false,
            position_ms: 0,
            anchor_time_ms: now_ms,
            version: 0,
        }
    }

    /// Where playback is at `now_ms`: it advances while playing (never before the anchor, never
    /// past the end) and stands still while paused.
    pub fn position_at(&self, now_ms: i64) -> i64 {
        let duration = self.track.map_or(0, |t| t.duration_ms);
        if !self.is_playing {
            return self.position_ms;
        }
        (self.position_ms + (now_ms - self.anchor_time_ms).max(0)).min(duration)
    }

    /// Whether a playing track has reached its end by `now_ms`.
    pub fn has_ended(&self, now_ms: i64) -> bool {
        self.is_playing
            && self
                .track
                .is_some_and(|t| self.position_at(now_ms) >= t.duration_ms)
    }

    /// When a playing track reaches its end (the anchor plus what is left of the track), or
    /// `None` when nothing is playing.
    pub fn ends_at(&self) -> Option<i64> {
        let track = self.track.filter(|_| self.is_playing)?;
        Some(self.anchor_time_ms + (track.duration_ms - self.position_ms).max(0))
    }

    /// The state after `command` at `now_ms`. A command that changes nothing returns the state
    /// as it is (same version); any change bumps the version by one.
    pub fn apply(&self, command: Command, now_ms: i64) -> Result<Self, PlaybackError> {
        self.apply_at(command, now_ms, now_ms)
    }

    /// Like [`apply`](Self::apply), but a command that starts playback anchors it at
    /// `start_at_ms` (a scheduled start; values before `now_ms` are treated as `now_ms`).
    /// Pausing, and seeking while paused, always anchor at `now_ms`.
    pub fn apply_at(
        &self,
        command: Command,
        now_ms: i64,
        start_at_ms: i64,
    ) -> Result<Self, PlaybackError> {
        let start_at_ms = start_at_ms.max(now_ms);
        let next = match command {
            Command::Play {
                track: Some(track),
                position_ms,
            } => {
                let position_ms = checked(position_ms.unwrap_or(0), track)?;
                Self {
                    track: Some(track),
                    is_playing: true,
                    position_ms,
                    anchor_time_ms: start_at_ms,
                    ..*self
                }
            }
            Command::Play {
                track: None,
                position_ms,
            } => {
                let track = self.track.ok_or(PlaybackError::NothingLoaded)?;
                if self.is_playing && position_ms.is_none() {
                    return Ok(*self);
                }
                let mut position_ms = match position_ms {
                    Some(p) => checked(p, track)?,
                    None => self.position_at(now_ms),
                };
                // Resuming a finished track starts it over.
                if position_ms >= track.duration_ms {
                    position_ms = 0;
                }
                Self {
                    is_playing: true,
                    position_ms,
                    anchor_time_ms: start_at_ms,
                    ..*self
                }
            }
            Command::Pause { position_ms } => {
                let track = self.track.ok_or(PlaybackError::NothingLoaded)?;
                let position_ms = match position_ms {
                    Some(p) => checked(p, track)?,
                    None => self.position_at(now_ms),
                };
                if !self.is_playing && position_ms == self.position_ms {
                    return Ok(*self);
                }
                Self {
                    is_playing: false,
                    position_ms,
                    anchor_time_ms: now_ms,
                    ..*self
                }
            }
            Command::Seek { position_ms } => {
                let track = self.track.ok_or(PlaybackError::NothingLoaded)?;
                Self {
                    position_ms: checked(position_ms, track)?,
                    anchor_time_ms: if self.is_playing { start_at_ms } else { now_ms },
                    ..*self
                }
            }
            Command::Skip { next: Some(track) } => Self {
                track: Some(track),
                is_playing: true,
                position_ms: 0,
                anchor_time_ms: start_at_ms,
                ..*self
            },
            Command::Skip { next: None } => {
                if self.track.is_none() {
                    return Ok(*self);
                }
                Self {
                    track: None,
                    is_playing: false,
                    position_ms: 0,
                    anchor_time_ms: now_ms,
                    ..*self
                }
            }
            Command::Set {
                track,
                position_ms,
                is_playing,
            } => Self {
                track: Some(track),
                is_playing,
                position_ms: checked(position_ms, track)?,
                anchor_time_ms: if is_playing { start_at_ms } else { now_ms },
                ..*self
            },
        };
        Ok(Self {
            version: self.version + 1,
            ..next
        })
    }
}

fn checked(position_ms: i64, track: Loaded) -> Result<i64, PlaybackError> {
    if (0..=track.duration_ms).contains(&position_ms) {
        Ok(position_ms)
    } else {
        Err(PlaybackError::PositionOutOfRange {
            duration_ms: track.duration_ms,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_000_000;

    fn track(duration_ms: i64) -> Loaded {
        Loaded {
            track_id: Uuid::new_v4(),
            duration_ms,
        }
    }

    fn playing(duration_ms: i64, position_ms: i64) -> PlaybackState {
        PlaybackState::empty(T0)
            .apply(
                Command::Play {
                    track: Some(track(duration_ms)),
                    position_ms: Some(position_ms),
                },
                T0,
            )
            .expect("play")
    }

    #[test]
    fn play_anchors_now_and_advances() {
        let s = playing(10_000, 1_000);
        assert_eq!(
            (s.is_playing, s.position_ms, s.anchor_time_ms, s.version),
            (true, 1_000, T0, 1)
        );
        assert_eq!(s.position_at(T0 + 2_500), 3_500);
        assert_eq!(s.position_at(T0 - 500), 1_000, "never before the anchor");
        assert_eq!(s.position_at(T0 + 60_000), 10_000, "never past the end");
        assert!(s.has_ended(T0 + 9_000) && !s.has_ended(T0 + 8_999));
    }

    #[test]
    fn pause_freezes_the_computed_position_and_play_resumes_from_it() {
        let s = playing(10_000, 0);
        let paused = s
            .apply(Command::Pause { position_ms: None }, T0 + 4_000)
            .expect("pause");
        assert_eq!(
            (paused.is_playing, paused.position_ms, paused.version),
            (false, 4_000, 2)
        );
        assert_eq!(paused.position_at(T0 + 9_000), 4_000, "paused stands still");
        let resumed = paused
            .apply(
                Command::Play {
                    track: None,
                    position_ms: None,
                },
                T0 + 9_000,
            )
            .expect("play");
        assert_eq!(
            (
                resumed.is_playing,
                resumed.position_ms,
                resumed.anchor_time_ms
            ),
            (true, 4_000, T0 + 9_000)
        );
        assert_eq!(resumed.version, 3);
    }

    #[test]
    fn pause_at_an_explicit_position() {
        let s = playing(10_000, 0)
            .apply(
                Command::Pause {
                    position_ms: Some(7_000),
                },
                T0 + 1,
            )
            .expect("pause");
        assert_eq!(s.position_ms, 7_000);
    }

    #[test]
    fn seek_while_playing_reanchors() {
        let s = playing(10_000, 0)
            .apply(Command::Seek { position_ms: 8_000 }, T0 + 1_000)
            .expect("seek");
        assert!(s.is_playing);
        assert_eq!((s.position_ms, s.anchor_time_ms), (8_000, T0 + 1_000));
        assert_eq!(s.position_at(T0 + 1_500), 8_500);
    }

    #[test]
    fn positions_outside_the_track_are_refused() {
        let s = playing(10_000, 0);
        for bad in [-1, 10_001] {
            assert_eq!(
                s.apply(Command::Seek { position_ms: bad }, T0),
                Err(PlaybackError::PositionOutOfRange {
                    duration_ms: 10_000
                })
            );
        }
        assert!(
            s.apply(
                Command::Seek {
                    position_ms: 10_000
                },
                T0
            )
            .is_ok(),
            "the very end is allowed"
        );
        let fresh = PlaybackState::empty(T0);
        assert!(
            fresh
                .apply(
                    Command::Play {
                        track: Some(track(5)),
                        position_ms: Some(6)
                    },
                    T0
                )
                .is_err()
        );
    }

    #[test]
    fn commands_without_a_track_are_refused() {
        let empty = PlaybackState::empty(T0);
        assert_eq!(
            empty.apply(
                Command::Play {
                    track: None,
                    position_ms: None
                },
                T0
            ),
            Err(PlaybackError::NothingLoaded)
        );
        assert_eq!(
            empty.apply(Command::Pause { position_ms: None }, T0),
            Err(PlaybackError::NothingLoaded)
        );
        assert_eq!(
            empty.apply(Command::Seek { position_ms: 0 }, T0),
            Err(PlaybackError::NothingLoaded)
        );
    }

    #[test]
    fn no_op_commands_do_not_bump_the_version() {
        let s = playing(10_000, 0);
        assert_eq!(
            s.apply(
                Command::Play {
                    track: None,
                    position_ms: None
                },
                T0 + 10
            ),
            Ok(s)
        );
        let paused = s
            .apply(Command::Pause { position_ms: None }, T0 + 100)
            .expect("pause");
        assert_eq!(
            paused.apply(Command::Pause { position_ms: None }, T0 + 500),
            Ok(paused)
        );
    }

    #[test]
    fn resuming_a_finished_track_starts_over() {
        let s = playing(1_000, 0);
        let resumed = s
            .apply(Command::Pause { position_ms: None }, T0 + 5_000)
            .and_then(|p| {
                p.apply(
                    Command::Play {
                        track: None,
                        position_ms: None,
                    },
                    T0 + 6_000,
                )
            })
            .expect("resume");
        assert_eq!(resumed.position_ms, 0);
    }

    #[test]
    fn a_scheduled_start_holds_the_position_until_its_anchor() {
        let t = track(10_000);
        let s = PlaybackState::empty(T0)
            .apply_at(
                Command::Play {
                    track: Some(t),
                    position_ms: Some(2_000),
                },
                T0,
                T0 + 300,
            )
            .expect("play");
        assert_eq!((s.anchor_time_ms, s.position_ms), (T0 + 300, 2_000));
        assert_eq!(s.position_at(T0 + 100), 2_000, "before the anchor: waiting");
        assert_eq!(s.position_at(T0 + 1_300), 3_000);
        assert_eq!(s.ends_at(), Some(T0 + 300 + 8_000));
        // Pausing inside the lead freezes at the scheduled position, anchored now.
        let paused = s
            .apply_at(Command::Pause { position_ms: None }, T0 + 100, T0 + 400)
            .expect("pause");
        assert_eq!(
            (paused.is_playing, paused.position_ms, paused.anchor_time_ms),
            (false, 2_000, T0 + 100)
        );
        assert_eq!(paused.ends_at(), None);
        // A start "in the past" is treated as now.
        let late = paused
            .apply_at(
                Command::Play {
                    track: None,
                    position_ms: None,
                },
                T0 + 500,
                T0,
            )
            .expect("resume");
        assert_eq!(late.anchor_time_ms, T0 + 500);
    }

    #[test]
    fn seek_while_paused_anchors_now_and_while_playing_at_the_start() {
        let playing = playing(10_000, 0);
        let s = playing
            .apply_at(Command::Seek { position_ms: 5_000 }, T0 + 10, T0 + 210)
            .expect("seek");
        assert_eq!((s.is_playing, s.anchor_time_ms), (true, T0 + 210));
        let paused = playing
            .apply(Command::Pause { position_ms: None }, T0 + 10)
            .expect("pause")
            .apply_at(Command::Seek { position_ms: 5_000 }, T0 + 20, T0 + 220)
            .expect("seek");
        assert_eq!(
            (paused.is_playing, paused.position_ms, paused.anchor_time_ms),
            (false, 5_000, T0 + 20)
        );
    }

    #[test]
    fn skip_plays_the_next_track_from_the_start_or_stops() {
        let next = track(4_000);
        let s = playing(10_000, 0)
            .apply_at(Command::Skip { next: Some(next) }, T0 + 3_000, T0 + 3_150)
            .expect("skip");
        assert_eq!(
            (
                s.track,
                s.is_playing,
                s.position_ms,
                s.anchor_time_ms,
                s.version
            ),
            (Some(next), true, 0, T0 + 3_150, 2)
        );
        let stopped = s
            .apply(Command::Skip { next: None }, T0 + 4_000)
            .expect("skip");
        assert_eq!(
            (stopped.track, stopped.is_playing, stopped.position_ms),
            (None, false, 0),
            "skip on an empty queue stops"
        );
        assert_eq!(stopped.version, 3);
        assert_eq!(stopped.position_at(T0 + 9_000), 0);
        assert!(!stopped.has_ended(T0 + 9_000));
        assert_eq!(
            stopped.apply(Command::Skip { next: None }, T0 + 4_500),
            Ok(stopped),
            "nothing to skip: no change"
        );
        // Skipping from a paused state starts the next track.
        let from_paused = stopped
            .apply(Command::Skip { next: Some(next) }, T0 + 5_000)
            .expect("skip");
        assert!(from_paused.is_playing);
    }

    #[test]
    fn the_end_of_a_track_is_computed_from_the_tuple() {
        let s = playing(1_500, 500);
        assert_eq!(s.ends_at(), Some(T0 + 1_000));
        assert!(!s.has_ended(T0 + 999) && s.has_ended(T0 + 1_000));
        assert_eq!(s.position_at(T0 + 50_000), 1_500, "clamped to the duration");
        let at_end = s
            .apply(Command::Seek { position_ms: 1_500 }, T0 + 1)
            .expect("seek");
        assert_eq!(at_end.ends_at(), Some(T0 + 1));
    }

    #[test]
    fn set_replaces_everything() {
        let t = track(3_000);
        let s = playing(10_000, 500)
            .apply(
                Command::Set {
                    track: t,
                    position_ms: 2_000,
                    is_playing: false,
                },
                T0 + 7,
            )
            .expect("set");
        assert_eq!(
            (
                s.track,
                s.is_playing,
                s.position_ms,
                s.anchor_time_ms,
                s.version
            ),
            (Some(t), false, 2_000, T0 + 7, 2)
        );
    }
}
