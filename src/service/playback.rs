//! The playback state machine, pure: `(track, isPlaying, positionMs, anchorTimeMs, version)`
//! and the commands that change it. Nothing ticks: the position at any instant is computed
//! from the tuple. Shared by the personal player and (later) listening rooms.

use uuid::Uuid;

/// A track as the state machine needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Loaded {
    pub track_id: Uuid,
    pub duration_ms: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlaybackError {
    NothingLoaded,
    /// The position is negative or past the end of the track.
    PositionOutOfRange {
        duration_ms: i64,
    },
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

    /// The state after `command` at `now_ms`. A command that changes nothing returns the state
    /// as it is (same version); any change bumps the version by one.
    pub fn apply(&self, command: Command, now_ms: i64) -> Result<Self, PlaybackError> {
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
                    anchor_time_ms: now_ms,
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
                    anchor_time_ms: now_ms,
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
                anchor_time_ms: now_ms,
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
