//! The pure rules of a room's shared playback, on top of the playback state machine
//! ([`crate::domain::playback`]): waiting for everyone to be ready (a *hold*), the
//! scheduled-start lead and the skip-vote threshold. No I/O: the rooms service reads the inputs,
//! applies these rules, and writes the result with compare-and-set.
//!
//! A hold (Jellyfin SyncPlay's "waiting" state): when the room waits for everyone and a command
//! would start playback, the room instead stays paused at the position it would start from,
//! lists the connected members it waits for, and starts on a fresh (scheduled) anchor once all
//! of them reported ready, they are gone, or the deadline passes. A member who reports
//! buffering while the room plays puts it on hold for them.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::playback::{Command, Loaded, PlaybackError, PlaybackState};

/// A room's playback: the shared state machine's tuple plus what only rooms have.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomPlayback {
    pub core: PlaybackState,
    /// This play of the current track: the queue item it came from, or a fresh id. Skip votes
    /// are cast on it.
    pub item_id: Option<Uuid>,
    pub hold: Option<Hold>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    /// Connected members not yet ready.
    pub waiting_for: Vec<Uuid>,
    /// When playback starts anyway (Unix epoch ms).
    pub deadline_ms: i64,
}

/// The instant of a command and how far ahead a start is scheduled.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    pub now_ms: i64,
    pub lead_ms: i64,
}

impl Clock {
    fn start_ms(self) -> i64 {
        self.now_ms + self.lead_ms.max(0)
    }
}

/// Whether the room waits for everyone, and for whom.
#[derive(Clone, Debug, Default)]
pub struct WaitPolicy {
    pub enabled: bool,
    /// Connected members who did not opt out of being waited for.
    pub members: Vec<Uuid>,
    pub timeout_ms: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoomCommand {
    /// Play `track` (as play `item`) from `position_ms`, or resume the loaded track.
    Play {
        track: Option<(Loaded, Uuid)>,
        position_ms: Option<i64>,
    },
    Pause,
    Seek {
        position_ms: i64,
    },
    /// Move on to `next` (played as item `.1`), or stop when there is none.
    Skip {
        next: Option<(Loaded, Uuid)>,
    },
    /// `user` has the current track loaded at the hold position.
    Ready {
        user: Uuid,
    },
    /// `user` is buffering the current track.
    Buffering {
        user: Uuid,
    },
    /// Re-evaluate a hold: its deadline, members who left or stopped being waited for.
    Recheck,
}

impl RoomPlayback {
    pub fn empty(now_ms: i64) -> Self {
        Self {
            core: PlaybackState::empty(now_ms),
            item_id: None,
            hold: None,
        }
    }

    /// The next instant something is due without any command: the end of a hold, or the end
    /// of the playing track.
    pub fn next_wake_ms(&self) -> Option<i64> {
        match &self.hold {
            Some(hold) => Some(hold.deadline_ms),
            None => self.core.ends_at(),
        }
    }

    /// The state after `command`. An unchanged state (same version) means nothing to write.
    pub fn apply(
        &self,
        command: RoomCommand,
        clock: Clock,
        wait: &WaitPolicy,
    ) -> Result<Self, PlaybackError> {
        let now = clock.now_ms;
        match command {
            RoomCommand::Play {
                track: None,
                position_ms: None,
            } if self.hold.is_some() => Ok(self.clone()),
            RoomCommand::Play { track, position_ms } => {
                let core = self.core.apply_at(
                    Command::Play {
                        track: track.map(|(t, _)| t),
                        position_ms,
                    },
                    now,
                    clock.start_ms(),
                )?;
                let item_id = track.map_or(self.item_id, |(_, id)| Some(id));
                Ok(self.started(core, item_id, clock, wait))
            }
            RoomCommand::Pause => {
                if self.hold.is_some() {
                    // Held means already paused at the start position: just stop waiting.
                    return Ok(Self {
                        core: PlaybackState {
                            anchor_time_ms: now,
                            version: self.core.version + 1,
                            ..self.core
                        },
                        item_id: self.item_id,
                        hold: None,
                    });
                }
                let core = self.core.apply(Command::Pause { position_ms: None }, now)?;
                Ok(Self {
                    core,
                    item_id: self.item_id,
                    hold: None,
                })
            }
            RoomCommand::Seek { position_ms } => {
                if self.hold.is_some() {
                    // Everyone has to get ready again at the new position.
                    let core = self.core.apply(Command::Seek { position_ms }, now)?;
                    return Ok(self.held(core, self.item_id, clock, wait));
                }
                let core =
                    self.core
                        .apply_at(Command::Seek { position_ms }, now, clock.start_ms())?;
                Ok(self.started(core, self.item_id, clock, wait))
            }
            RoomCommand::Skip { next } => {
                let core = self.core.apply_at(
                    Command::Skip {
                        next: next.map(|(t, _)| t),
                    },
                    now,
                    clock.start_ms(),
                )?;
                if core.version == self.core.version && self.hold.is_none() {
                    return Ok(self.clone());
                }
                let core = PlaybackState {
                    version: self.core.version + 1,
                    ..core
                };
                Ok(self.started(core, next.map(|(_, id)| id), clock, wait))
            }
            RoomCommand::Ready { user } => {
                let Some(hold) = &self.hold else {
                    return Ok(self.clone());
                };
                let remaining: Vec<Uuid> = hold
                    .waiting_for
                    .iter()
                    .copied()
                    .filter(|u| *u != user && wait.members.contains(u))
                    .collect();
                Ok(self.remaining(remaining, hold.deadline_ms, clock, wait))
            }
            RoomCommand::Buffering { user } => {
                if !wait.enabled || !wait.members.contains(&user) {
                    return Ok(self.clone());
                }
                if let Some(hold) = &self.hold {
                    if hold.waiting_for.contains(&user) {
                        return Ok(self.clone());
                    }
                    let mut waiting_for = hold.waiting_for.clone();
                    waiting_for.push(user);
                    return Ok(Self {
                        core: self.bumped(),
                        item_id: self.item_id,
                        hold: Some(Hold {
                            waiting_for,
                            deadline_ms: hold.deadline_ms,
                        }),
                    });
                }
                if !self.core.is_playing || self.core.track.is_none() || self.core.has_ended(now) {
                    return Ok(self.clone());
                }
                Ok(Self {
                    core: PlaybackState {
                        is_playing: false,
                        position_ms: self.core.position_at(now),
                        anchor_time_ms: now,
                        version: self.core.version + 1,
                        ..self.core
                    },
                    item_id: self.item_id,
                    hold: Some(Hold {
                        waiting_for: vec![user],
                        deadline_ms: now + wait.timeout_ms,
                    }),
                })
            }
            RoomCommand::Recheck => {
                let Some(hold) = &self.hold else {
                    return Ok(self.clone());
                };
                if now >= hold.deadline_ms || !wait.enabled {
                    return Ok(self.start_now(clock));
                }
                let remaining: Vec<Uuid> = hold
                    .waiting_for
                    .iter()
                    .copied()
                    .filter(|u| wait.members.contains(u))
                    .collect();
                Ok(self.remaining(remaining, hold.deadline_ms, clock, wait))
            }
        }
    }

    /// After a command changed `core`: if it now plays and the room waits for everyone, hold.
    fn started(
        &self,
        core: PlaybackState,
        item_id: Option<Uuid>,
        clock: Clock,
        wait: &WaitPolicy,
    ) -> Self {
        if core.version == self.core.version {
            return self.clone();
        }
        if core.is_playing && wait.enabled && !wait.members.is_empty() {
            return self.held(
                PlaybackState {
                    is_playing: false,
                    anchor_time_ms: clock.now_ms,
                    ..core
                },
                item_id,
                clock,
                wait,
            );
        }
        Self {
            core,
            item_id,
            hold: None,
        }
    }

    /// Paused `core` waiting for every member in `wait` (or playing at once if nobody to wait
    /// for).
    fn held(
        &self,
        core: PlaybackState,
        item_id: Option<Uuid>,
        clock: Clock,
        wait: &WaitPolicy,
    ) -> Self {
        if !wait.enabled || wait.members.is_empty() || core.track.is_none() {
            let next = Self {
                core,
                item_id,
                hold: None,
            };
            return next.start_now(clock);
        }
        Self {
            core,
            item_id,
            hold: Some(Hold {
                waiting_for: wait.members.clone(),
                deadline_ms: clock.now_ms + wait.timeout_ms,
            }),
        }
    }

    /// A hold whose awaited members are now `remaining`.
    fn remaining(
        &self,
        remaining: Vec<Uuid>,
        deadline_ms: i64,
        clock: Clock,
        wait: &WaitPolicy,
    ) -> Self {
        if remaining.is_empty() || !wait.enabled {
            return self.start_now(clock);
        }
        if self
            .hold
            .as_ref()
            .is_some_and(|h| h.waiting_for.len() == remaining.len())
        {
            return self.clone();
        }
        Self {
            core: self.bumped(),
            item_id: self.item_id,
            hold: Some(Hold {
                waiting_for: remaining,
                deadline_ms,
            }),
        }
    }

    /// Ends a hold: play from the held position on a fresh scheduled anchor.
    fn start_now(&self, clock: Clock) -> Self {
        if self.core.track.is_none() {
            return Self {
                core: self.bumped(),
                item_id: self.item_id,
                hold: None,
            };
        }
        Self {
            core: PlaybackState {
                is_playing: true,
                anchor_time_ms: clock.start_ms(),
                version: self.core.version + 1,
                ..self.core
            },
            item_id: self.item_id,
            hold: None,
        }
    }

    fn bumped(&self) -> PlaybackState {
        PlaybackState {
            version: self.core.version + 1,
            ..self.core
        }
    }
}

/// How far ahead a start is scheduled: twice the highest round trip a connected member
/// reported, within `[min_ms, max_ms]` (the minimum when nobody reported).
pub fn start_lead_ms(max_rtt_ms: Option<i64>, min_ms: i64, max_ms: i64) -> i64 {
    max_rtt_ms
        .map_or(min_ms, |rtt| rtt.saturating_mul(2))
        .clamp(min_ms, max_ms.max(min_ms))
}

/// Votes needed to skip: more than `percent`% of the `connected` members.
pub fn votes_needed(connected: usize, percent: i32) -> usize {
    let percent = usize::try_from(percent.clamp(0, 99)).unwrap_or(50);
    connected * percent / 100 + 1
}

#[cfg(test)]
mod tests;
