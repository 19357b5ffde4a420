//! The pure rules of a room's shared playback, on top of the playback state machine
//! ([`crate::domain::playback`]): waiting for everyone to be ready (a *hold*), the scheduled-start lead
//! and the skip-vote threshold. No I/O: `room_playback` reads the inputs, applies these rules,
//! and writes the result with compare-and-set.
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
mod tests {
    use super::*;

    const T0: i64 = 5_000_000;

    fn track(duration_ms: i64) -> Loaded {
        Loaded {
            track_id: Uuid::new_v4(),
            duration_ms,
        }
    }

    fn clock(now_ms: i64) -> Clock {
        Clock {
            now_ms,
            lead_ms: 200,
        }
    }

    fn no_wait() -> WaitPolicy {
        WaitPolicy::default()
    }

    fn waiting_for(members: &[Uuid]) -> WaitPolicy {
        WaitPolicy {
            enabled: true,
            members: members.to_vec(),
            timeout_ms: 10_000,
        }
    }

    fn play(rp: &RoomPlayback, t: Loaded, at: i64, wait: &WaitPolicy) -> RoomPlayback {
        rp.apply(
            RoomCommand::Play {
                track: Some((t, Uuid::new_v4())),
                position_ms: None,
            },
            clock(at),
            wait,
        )
        .expect("play")
    }

    #[test]
    fn starts_are_scheduled_after_the_lead() {
        let rp = play(&RoomPlayback::empty(T0), track(60_000), T0, &no_wait());
        assert!(rp.core.is_playing && rp.hold.is_none());
        assert_eq!(rp.core.anchor_time_ms, T0 + 200);
        assert_eq!(rp.next_wake_ms(), Some(T0 + 200 + 60_000));
        let paused = rp
            .apply(RoomCommand::Pause, clock(T0 + 1_200), &no_wait())
            .expect("pause");
        assert_eq!(
            (paused.core.position_ms, paused.core.anchor_time_ms),
            (1_000, T0 + 1_200)
        );
        assert_eq!(paused.next_wake_ms(), None);
        let seek = rp
            .apply(
                RoomCommand::Seek {
                    position_ms: 30_000,
                },
                clock(T0 + 2_000),
                &no_wait(),
            )
            .expect("seek");
        assert_eq!(seek.core.anchor_time_ms, T0 + 2_200);
        assert_eq!(seek.core.version, rp.core.version + 1);
    }

    #[test]
    fn skip_takes_the_next_item_or_stops() {
        let rp = play(&RoomPlayback::empty(T0), track(60_000), T0, &no_wait());
        let next = track(1_000);
        let item = Uuid::new_v4();
        let skipped = rp
            .apply(
                RoomCommand::Skip {
                    next: Some((next, item)),
                },
                clock(T0 + 10),
                &no_wait(),
            )
            .expect("skip");
        assert_eq!(skipped.core.track, Some(next));
        assert_eq!(skipped.item_id, Some(item));
        assert_eq!(skipped.core.version, rp.core.version + 1);
        let stopped = skipped
            .apply(RoomCommand::Skip { next: None }, clock(T0 + 20), &no_wait())
            .expect("skip");
        assert_eq!(
            (stopped.core.track, stopped.core.is_playing, stopped.item_id),
            (None, false, None)
        );
        let again = stopped
            .apply(RoomCommand::Skip { next: None }, clock(T0 + 30), &no_wait())
            .expect("skip");
        assert_eq!(again, stopped, "skipping nothing changes nothing");
    }

    #[test]
    fn waiting_for_everyone_holds_then_starts_on_a_fresh_anchor() {
        let (ann, bob) = (Uuid::new_v4(), Uuid::new_v4());
        let wait = waiting_for(&[ann, bob]);
        let held = play(&RoomPlayback::empty(T0), track(60_000), T0, &wait);
        assert!(!held.core.is_playing, "held, not playing");
        let hold = held.hold.clone().expect("hold");
        assert_eq!(hold.waiting_for, vec![ann, bob]);
        assert_eq!(hold.deadline_ms, T0 + 10_000);
        assert_eq!(held.next_wake_ms(), Some(T0 + 10_000));

        let one = held
            .apply(RoomCommand::Ready { user: ann }, clock(T0 + 100), &wait)
            .expect("ready");
        assert_eq!(
            one.hold.as_ref().map(|h| h.waiting_for.clone()),
            Some(vec![bob])
        );
        assert_eq!(
            one.core.version,
            held.core.version + 1,
            "who is awaited is news"
        );
        let same = one
            .apply(RoomCommand::Ready { user: ann }, clock(T0 + 150), &wait)
            .expect("ready");
        assert_eq!(same, one, "a repeated report changes nothing");

        let all = one
            .apply(RoomCommand::Ready { user: bob }, clock(T0 + 900), &wait)
            .expect("ready");
        assert!(all.hold.is_none() && all.core.is_playing);
        assert_eq!(
            all.core.anchor_time_ms,
            T0 + 1_100,
            "fresh anchor after the lead"
        );
        assert_eq!(all.core.position_ms, 0);
    }

    #[test]
    fn a_hold_ends_at_its_deadline_or_when_the_awaited_leave() {
        let (ann, bob) = (Uuid::new_v4(), Uuid::new_v4());
        let wait = waiting_for(&[ann, bob]);
        let held = play(&RoomPlayback::empty(T0), track(60_000), T0, &wait);
        let early = held
            .apply(RoomCommand::Recheck, clock(T0 + 5_000), &wait)
            .expect("recheck");
        assert_eq!(early, held, "nothing due yet");
        let late = held
            .apply(RoomCommand::Recheck, clock(T0 + 10_000), &wait)
            .expect("recheck");
        assert!(
            late.core.is_playing && late.hold.is_none(),
            "deadline passed: start anyway"
        );

        // Bob disconnects (or opts out): only Ann is left to wait for; then Ann too.
        let only_ann = waiting_for(&[ann]);
        let fewer = held
            .apply(RoomCommand::Recheck, clock(T0 + 1), &only_ann)
            .expect("recheck");
        assert_eq!(
            fewer.hold.as_ref().map(|h| h.waiting_for.clone()),
            Some(vec![ann])
        );
        let nobody = waiting_for(&[]);
        let gone = fewer
            .apply(RoomCommand::Recheck, clock(T0 + 2), &nobody)
            .expect("recheck");
        assert!(gone.core.is_playing);
        // Turning the setting off releases the hold.
        let off = held
            .apply(RoomCommand::Recheck, clock(T0 + 3), &no_wait())
            .expect("recheck");
        assert!(off.core.is_playing);
    }

    #[test]
    fn nobody_to_wait_for_means_no_hold() {
        let wait = waiting_for(&[]);
        let rp = play(&RoomPlayback::empty(T0), track(60_000), T0, &wait);
        assert!(rp.core.is_playing && rp.hold.is_none());
    }

    #[test]
    fn buffering_while_playing_holds_for_that_member() {
        let (ann, bob, opted_out) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let rp = play(&RoomPlayback::empty(T0), track(60_000), T0, &no_wait());
        let wait = waiting_for(&[ann, bob]);
        let ignored = rp
            .apply(
                RoomCommand::Buffering { user: opted_out },
                clock(T0 + 1_200),
                &wait,
            )
            .expect("buffering");
        assert_eq!(ignored, rp, "not waited for");
        let held = rp
            .apply(
                RoomCommand::Buffering { user: bob },
                clock(T0 + 1_200),
                &wait,
            )
            .expect("buffering");
        assert!(!held.core.is_playing);
        assert_eq!(held.core.position_ms, 1_000, "held where playback was");
        assert_eq!(
            held.hold.as_ref().map(|h| h.waiting_for.clone()),
            Some(vec![bob])
        );
        let both = held
            .apply(
                RoomCommand::Buffering { user: ann },
                clock(T0 + 1_300),
                &wait,
            )
            .expect("buffering");
        assert_eq!(both.hold.as_ref().map(|h| h.waiting_for.len()), Some(2));
        let disabled = rp
            .apply(
                RoomCommand::Buffering { user: bob },
                clock(T0 + 1_200),
                &no_wait(),
            )
            .expect("buffering");
        assert_eq!(disabled, rp, "the room does not wait");
    }

    #[test]
    fn commands_during_a_hold() {
        let (ann, bob) = (Uuid::new_v4(), Uuid::new_v4());
        let wait = waiting_for(&[ann, bob]);
        let held = play(&RoomPlayback::empty(T0), track(60_000), T0, &wait);
        let resume = held
            .apply(
                RoomCommand::Play {
                    track: None,
                    position_ms: None,
                },
                clock(T0 + 1),
                &wait,
            )
            .expect("play");
        assert_eq!(resume, held, "already about to play");
        let ready = held
            .apply(RoomCommand::Ready { user: ann }, clock(T0 + 2), &wait)
            .expect("ready");
        let seek = ready
            .apply(
                RoomCommand::Seek { position_ms: 9_000 },
                clock(T0 + 3),
                &wait,
            )
            .expect("seek");
        assert_eq!(seek.core.position_ms, 9_000);
        assert_eq!(
            seek.hold.as_ref().map(|h| h.waiting_for.clone()),
            Some(vec![ann, bob]),
            "everyone gets ready again"
        );
        let paused = seek
            .apply(RoomCommand::Pause, clock(T0 + 4), &wait)
            .expect("pause");
        assert!(paused.hold.is_none() && !paused.core.is_playing);
        assert_eq!(paused.core.position_ms, 9_000);
        assert_eq!(paused.core.version, seek.core.version + 1);
    }

    #[test]
    fn lead_is_twice_the_worst_round_trip_within_bounds() {
        assert_eq!(start_lead_ms(None, 150, 2_000), 150);
        assert_eq!(start_lead_ms(Some(40), 150, 2_000), 150);
        assert_eq!(start_lead_ms(Some(300), 150, 2_000), 600);
        assert_eq!(start_lead_ms(Some(5_000), 150, 2_000), 2_000);
    }

    #[test]
    fn skip_votes_need_more_than_the_share() {
        assert_eq!(votes_needed(1, 50), 1);
        assert_eq!(votes_needed(2, 50), 2);
        assert_eq!(votes_needed(3, 50), 2);
        assert_eq!(votes_needed(4, 50), 3);
        assert_eq!(votes_needed(10, 0), 1);
        assert_eq!(votes_needed(10, 75), 8);
        assert_eq!(votes_needed(0, 50), 1);
    }
}
