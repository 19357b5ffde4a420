//! A room's shared playback: commands from members, the per-room timer (track end, end of a
//! wait), readiness reports, latency reports and skip votes.
//!
//! - The state lives in the `room_playback` table; every change is one conditional
//!   `UPDATE … WHERE version = <read version>` (with the queue pop in the same transaction when
//!   a track comes off the queue). A writer that loses re-reads and re-applies its command, so
//!   concurrent commands are all applied, each exactly once; with `expectedVersion` a stale
//!   command is refused with `CONFLICT` instead.
//! - In one process, writes to a room also take the room's lock, so events leave in commit
//!   order; across instances the compare-and-set alone decides.
//! - Each room has one timer, re-armed after every change (and for every playing room at
//!   start-up) for the next due instant. When it fires, the advance is itself a
//!   compare-and-set, so a track end moves the room on exactly once even when several
//!   instances' timers fire.
//! - Starts are scheduled `lead` ms ahead: twice the highest round trip reported by the
//!   room's connected members, within `ROOM_START_LEAD_MIN_MS..=ROOM_START_LEAD_MAX_MS`.

use chrono::Utc;
use entity::{room, room_playback, room_queue_item, room_user, track};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set,
    TransactionTrait, sea_query::Expr,
};
use uuid::Uuid;

use crate::domain::playback::{Loaded, PlaybackState};
use crate::domain::room_rules::{self, Clock, Hold, RoomCommand, RoomPlayback, WaitPolicy};
use crate::error::{AppError, AppResult};
use crate::realtime::RoomEvent;
use crate::service::rooms;
use crate::service::rooms::command_read::{self, CommandRead};
use crate::service::rooms::queue;
use crate::service::rooms::timer::schedule;
use crate::service::rooms::votes::clear_votes;
use crate::state::AppState;

const NOTHING_LOADED: &str =
    "Nothing is loaded in the room; play a track or add one to the queue first";

/// Compare-and-set attempts before giving up with `CONFLICT`.
const MAX_ATTEMPTS: usize = 64;
/// Highest round trip a client may report.
pub const MAX_RTT_MS: i64 = 10_000;

/// What a member asks for.
#[derive(Clone, Copy, Debug)]
pub enum Request {
    /// Play `track_id` (from `position_ms`); without a track, resume the current one, or start
    /// the queue's first item when nothing is loaded.
    Play {
        track_id: Option<Uuid>,
        position_ms: Option<i64>,
    },
    Pause,
    Seek {
        position_ms: i64,
    },
    Skip,
    /// The member has `track_id` loaded and can start.
    Ready {
        track_id: Uuid,
    },
    /// The member is buffering `track_id`.
    Buffering {
        track_id: Uuid,
    },
}

/// What the state machine is asked to do, after permissions.
#[derive(Clone, Copy, Debug)]
pub(super) enum Action {
    Request(Request, Uuid),
    /// The timer: end a due hold, or advance past a finished track.
    Due,
    /// Membership, presence or settings changed: re-evaluate a hold.
    Recheck,
}

/// A state and the track it has loaded.
pub type Current = (RoomPlayback, Option<track::Model>);

pub(super) fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

pub async fn insert_empty(db: &impl ConnectionTrait, room_id: Uuid) -> AppResult<()> {
    room_playback::ActiveModel {
        room_id: Set(room_id),
        track_id: Set(None),
        item_id: Set(None),
        is_playing: Set(false),
        position_ms: Set(0),
        anchor_time_ms: Set(now_ms()),
        version: Set(0),
        waiting_for: Set(None),
        wait_deadline_ms: Set(None),
        updated_at: Set(Utc::now()),
    }
    .insert(db)
    .await?;
    Ok(())
}

fn loaded(track: &track::Model) -> Loaded {
    Loaded {
        track_id: track.id,
        duration_ms: track.duration_ms,
    }
}

pub(super) async fn read(db: &impl ConnectionTrait, room_id: Uuid) -> AppResult<Current> {
    let row = room_playback::Entity::find_by_id(room_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("Room not found"))?;
    let track = match row.track_id {
        Some(id) => track::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    Ok((from_row(&row, track.as_ref()), track))
}

pub fn from_row(row: &room_playback::Model, track: Option<&track::Model>) -> RoomPlayback {
    let loaded = track.map(loaded);
    let hold = row
        .wait_deadline_ms
        .filter(|_| loaded.is_some())
        .map(|deadline_ms| Hold {
            waiting_for: row
                .waiting_for
                .as_deref()
                .and_then(|s| serde_json::from_str(s).ok())
                .unwrap_or_default(),
            deadline_ms,
        });
    RoomPlayback {
        core: PlaybackState {
            track: loaded,
            is_playing: row.is_playing && loaded.is_some(),
            position_ms: row.position_ms,
            anchor_time_ms: row.anchor_time_ms,
            version: row.version,
        },
        item_id: row.item_id,
        hold,
    }
}

/// The room's playback now.
pub async fn current(db: &impl ConnectionTrait, room_id: Uuid) -> AppResult<Current> {
    read(db, room_id).await
}

/// The room's start lead now, in ms.
pub fn lead_ms(state: &AppState, room_id: Uuid) -> i64 {
    let settings = &state.config.rooms;
    room_rules::start_lead_ms(
        state.rooms.presence.max_rtt(room_id),
        settings.start_lead_min_ms,
        settings.start_lead_max_ms,
    )
}

/// Who the room waits for: connected members who did not opt out.
async fn wait_policy(state: &AppState, room: &room::Model) -> AppResult<WaitPolicy> {
    if !room.wait_for_all {
        return Ok(WaitPolicy::default());
    }
    let connected = state.rooms.presence.connected(room.id);
    let mut members: Vec<Uuid> = if connected.is_empty() {
        Vec::new()
    } else {
        room_user::Entity::find()
            .filter(room_user::Column::RoomId.eq(room.id))
            .filter(room_user::Column::UserId.is_in(connected))
            .filter(room_user::Column::WaitOptOut.eq(false))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|m| m.user_id)
            .collect()
    };
    members.sort();
    Ok(WaitPolicy {
        enabled: true,
        members,
        timeout_ms: state.config.rooms.wait_timeout_ms,
    })
}

/// A member's command. Playback commands need control of the room; readiness reports only
/// membership. Returns the state after it (unchanged when the command changed nothing).
///
/// Under the room's lock, one statement reads what the permission check and the state machine
/// need; the compare-and-set and the room's activity mark are written in one transaction.
pub async fn command(
    state: &AppState,
    user_id: Uuid,
    room_id: Uuid,
    request: Request,
    expected_version: Option<i64>,
) -> AppResult<Current> {
    let needs_control = !matches!(request, Request::Ready { .. } | Request::Buffering { .. });
    let _turn = state.rooms.lock(room_id).await;
    let read = command_read::read(&state.db, room_id, user_id).await?;
    let (room, first) = match read {
        Some(CommandRead {
            room,
            member: Some(member),
            playback,
            track,
        }) if room.closed_at.is_none() => {
            if needs_control {
                rooms::check_control(&room, &member)?;
            }
            let current = (from_row(&playback, track.as_ref()), track);
            (room, Some(current))
        }
        // Not a member, or no open room: the full checks say which error it is (and, should
        // the user have joined meanwhile, let the command go on).
        _ if needs_control => (
            rooms::require_controller(state, user_id, room_id).await?.0,
            None,
        ),
        _ => (
            rooms::require_member(state, user_id, room_id).await?.0,
            None,
        ),
    };
    // Playback commands (not readiness reports) mark the room active, when the mark is stale.
    let touch = needs_control && rooms::activity_mark_stale(state, &room);
    apply_first(
        state,
        &room,
        Action::Request(request, user_id),
        expected_version,
        first,
        touch,
    )
    .await
}

/// Applies `action` with compare-and-set; the caller holds the room's lock. Publishes the
/// change and re-arms the timer.
pub(super) async fn apply(
    state: &AppState,
    room: &room::Model,
    action: Action,
    expected_version: Option<i64>,
) -> AppResult<Current> {
    apply_first(state, room, action, expected_version, None, false).await
}

/// [`apply`], starting from `first` when the caller has just read the state, and with `touch`
/// marking the room active (in the write's transaction, or on its own when nothing changed).
async fn apply_first(
    state: &AppState,
    room: &room::Model,
    action: Action,
    expected_version: Option<i64>,
    mut first: Option<Current>,
    touch: bool,
) -> AppResult<Current> {
    let room_id = room.id;
    let untouched = |result: Current| async move {
        if touch {
            rooms::touch(&state.db, room_id).await?;
        }
        Ok::<_, AppError>(result)
    };
    for _ in 0..MAX_ATTEMPTS {
        let (current, current_track) = match first.take() {
            Some(read) => read,
            None => read(&state.db, room_id).await?,
        };
        if let Some(expected) = expected_version
            && expected != current.core.version
        {
            return Err(AppError::conflict(
                "expectedVersion",
                format!(
                    "The room's playback is at version {}, not {expected}; refresh and try again",
                    current.core.version
                ),
            ));
        }
        let now = now_ms();
        let mut popped: Option<Uuid> = None;
        let mut track = current_track.clone();
        let command = match action {
            Action::Request(request, user) => match request {
                Request::Play {
                    track_id: Some(id),
                    position_ms,
                } => {
                    let t = track::Entity::find_by_id(id)
                        .one(&state.db)
                        .await?
                        .ok_or_else(|| AppError::not_found("Track not found"))?;
                    let command = RoomCommand::Play {
                        track: Some((loaded(&t), Uuid::now_v7())),
                        position_ms,
                    };
                    track = Some(t);
                    command
                }
                Request::Play {
                    track_id: None,
                    position_ms,
                } if current.core.track.is_none() => {
                    let head = queue::head(&state.db, room_id).await?.ok_or_else(|| {
                        AppError::bad_input(
                            "trackId",
                            "Nothing to play: no track is loaded and the queue is empty",
                        )
                    })?;
                    popped = Some(head.item.id);
                    let command = RoomCommand::Play {
                        track: Some((loaded(&head.track), head.item.id)),
                        position_ms,
                    };
                    track = Some(head.track);
                    command
                }
                Request::Play {
                    track_id: None,
                    position_ms,
                } => RoomCommand::Play {
                    track: None,
                    position_ms,
                },
                Request::Pause => RoomCommand::Pause,
                Request::Seek { position_ms } => RoomCommand::Seek { position_ms },
                Request::Skip => {
                    let head = queue::head(&state.db, room_id).await?;
                    popped = head.as_ref().map(|h| h.item.id);
                    let command = RoomCommand::Skip {
                        next: head.as_ref().map(|h| (loaded(&h.track), h.item.id)),
                    };
                    track = head.map(|h| h.track);
                    command
                }
                Request::Ready { track_id } | Request::Buffering { track_id }
                    if current.core.track.map(|t| t.track_id) != Some(track_id) =>
                {
                    // A report about a track the room has moved on from.
                    return untouched((current, current_track)).await;
                }
                Request::Ready { .. } => RoomCommand::Ready { user },
                Request::Buffering { .. } => RoomCommand::Buffering { user },
            },
            Action::Due if current.hold.is_some() => RoomCommand::Recheck,
            Action::Due => {
                if !current.core.has_ended(now) {
                    return untouched((current, current_track)).await;
                }
                let head = queue::head(&state.db, room_id).await?;
                popped = head.as_ref().map(|h| h.item.id);
                let command = RoomCommand::Skip {
                    next: head.as_ref().map(|h| (loaded(&h.track), h.item.id)),
                };
                track = head.map(|h| h.track);
                command
            }
            Action::Recheck => RoomCommand::Recheck,
        };
        let wait = wait_policy(state, room).await?;
        let clock = Clock {
            now_ms: now,
            lead_ms: lead_ms(state, room_id),
        };
        let next = current
            .apply(command, clock, &wait)
            .map_err(|e| e.into_app_error(NOTHING_LOADED))?;
        if next == current {
            return untouched((current, current_track)).await;
        }
        let track = track.filter(|_| next.core.track.is_some());
        if write(state, room_id, current.core.version, &next, popped, touch).await? {
            rooms::publish(
                state,
                room_id,
                RoomEvent::PlaybackChanged {
                    playback: next.clone(),
                    track: track.clone(),
                },
            );
            if popped.is_some() {
                let queue = queue::entries(&state.db, room_id).await?;
                rooms::publish(state, room_id, RoomEvent::QueueChanged { queue });
            }
            if next.item_id != current.item_id && current.item_id.is_some() {
                clear_votes(state, room_id).await;
            }
            schedule(state, room_id, &next);
            return Ok((next, track));
        }
        // Another writer (another instance) changed the room first: read again.
        tokio::task::yield_now().await;
    }
    Err(AppError::conflict(
        "expectedVersion",
        "The room's playback kept changing concurrently; try again",
    ))
}

/// Writes `next` if the stored version is still `expected` (and takes `popped` off the queue,
/// and with `touch` marks the room active, in the same transaction); `false` when another
/// writer won.
async fn write(
    state: &AppState,
    room_id: Uuid,
    expected: i64,
    next: &RoomPlayback,
    popped: Option<Uuid>,
    touch: bool,
) -> AppResult<bool> {
    let waiting_for = next
        .hold
        .as_ref()
        .map(|h| serde_json::to_string(&h.waiting_for).unwrap_or_else(|_| "[]".into()));
    let update = room_playback::Entity::update_many()
        .col_expr(
            room_playback::Column::TrackId,
            Expr::value(next.core.track.map(|t| t.track_id)),
        )
        .col_expr(room_playback::Column::ItemId, Expr::value(next.item_id))
        .col_expr(
            room_playback::Column::IsPlaying,
            Expr::value(next.core.is_playing),
        )
        .col_expr(
            room_playback::Column::PositionMs,
            Expr::value(next.core.position_ms),
        )
        .col_expr(
            room_playback::Column::AnchorTimeMs,
            Expr::value(next.core.anchor_time_ms),
        )
        .col_expr(
            room_playback::Column::Version,
            Expr::value(next.core.version),
        )
        .col_expr(room_playback::Column::WaitingFor, Expr::value(waiting_for))
        .col_expr(
            room_playback::Column::WaitDeadlineMs,
            Expr::value(next.hold.as_ref().map(|h| h.deadline_ms)),
        )
        .col_expr(room_playback::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(room_playback::Column::RoomId.eq(room_id))
        .filter(room_playback::Column::Version.eq(expected));
    let _turn = match &state.sqlite_writes {
        Some(writes) => Some(writes.lock().await),
        None => None,
    };
    if popped.is_none() && !touch {
        return Ok(update.exec(&state.db).await?.rows_affected == 1);
    }
    let txn = state.db.begin().await?;
    if update.exec(&txn).await?.rows_affected != 1 {
        return Ok(false);
    }
    if let Some(item_id) = popped {
        let taken = room_queue_item::Entity::delete_many()
            .filter(room_queue_item::Column::Id.eq(item_id))
            .filter(room_queue_item::Column::RoomId.eq(room_id))
            .exec(&txn)
            .await?
            .rows_affected
            == 1;
        if !taken {
            // The item was removed meanwhile: nothing is written, the command is re-read.
            return Ok(false);
        }
    }
    if touch {
        rooms::touch(&txn, room_id).await?;
    }
    txn.commit().await?;
    Ok(true)
}

/// Records a connected member's round trip (ms) for the scheduled-start lead; returns the
/// room's lead now. Reports from members without a `roomEvents` subscription are not kept.
pub async fn report_latency(
    state: &AppState,
    user_id: Uuid,
    room_id: Uuid,
    rtt_ms: i64,
) -> AppResult<i64> {
    if !(0..=MAX_RTT_MS).contains(&rtt_ms) {
        return Err(AppError::bad_input(
            "rttMs",
            format!("rttMs must be between 0 and {MAX_RTT_MS}"),
        ));
    }
    rooms::require_member(state, user_id, room_id).await?;
    state.rooms.presence.report_rtt(room_id, user_id, rtt_ms);
    Ok(lead_ms(state, room_id))
}

/// The room's track was deleted (and unloaded with a new version in the same transaction):
/// members learn it stopped, and a room that was playing moves on to its next queue item.
pub async fn track_unloaded(state: &AppState, room_id: Uuid, was_playing: bool) {
    let outcome: AppResult<()> = async {
        let _turn = state.rooms.lock(room_id).await;
        let (current, _) = read(&state.db, room_id).await?;
        rooms::publish(
            state,
            room_id,
            RoomEvent::PlaybackChanged {
                playback: current.clone(),
                track: None,
            },
        );
        schedule(state, room_id, &current);
        clear_votes(state, room_id).await;
        if !was_playing {
            return Ok(());
        }
        let Ok(room) = rooms::find_open(&state.db, room_id).await else {
            return Ok(());
        };
        // With nothing loaded, a skip plays the queue's head, or changes nothing.
        apply(
            state,
            &room,
            Action::Request(Request::Skip, room.host_id),
            None,
        )
        .await?;
        Ok(())
    }
    .await;
    if let Err(e) = outcome {
        tracing::warn!(error = ?e, %room_id, "moving a room past a deleted track");
    }
}
