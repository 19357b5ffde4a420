//! The live side of rooms: members' connections (a member is *connected* while they hold a
//! `roomEvents` subscription), snapshots for subscribers, and background work (re-arming room
//! timers at start-up, closing idle rooms).

use std::time::Duration;

use chrono::Utc;
use entity::{room, room_user};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect, sea_query::Expr};
use uuid::Uuid;

use crate::domain::room_rules::RoomPlayback;
use crate::error::{AppError, AppResult};
use crate::realtime::RoomEvent;
use crate::realtime::rooms::events::QueueEntry;
use crate::service::rooms;
use crate::service::rooms::{playback, queue};
use crate::state::AppState;

/// Everything a client needs to render a room, read at one moment.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub room: room::Model,
    pub playback: RoomPlayback,
    pub track: Option<entity::track::Model>,
    pub queue: Vec<QueueEntry>,
    pub members: Vec<room_user::Model>,
    pub typing: Vec<Uuid>,
}

pub async fn snapshot(state: &AppState, room_id: Uuid) -> AppResult<Snapshot> {
    let room = rooms::find(&state.db, room_id)
        .await?
        .ok_or_else(|| AppError::not_found("Room not found"))?;
    let (playback, track) = playback::current(&state.db, room_id).await?;
    Ok(Snapshot {
        room,
        playback,
        track,
        queue: queue::entries(&state.db, room_id).await?,
        members: rooms::members(&state.db, room_id).await?,
        typing: state.rooms.typing.typing_in(room_id),
    })
}

/// A member's subscription to the room: connected while at least one is held.
pub struct RoomConnection {
    state: AppState,
    room_id: Uuid,
    user_id: Uuid,
}

pub fn connect(state: &AppState, room_id: Uuid, user_id: Uuid) -> RoomConnection {
    if state.rooms.presence.connect(room_id, user_id) {
        rooms::publish(
            state,
            room_id,
            RoomEvent::PresenceChanged {
                user_id,
                is_connected: true,
            },
        );
    }
    RoomConnection {
        state: state.clone(),
        room_id,
        user_id,
    }
}

impl Drop for RoomConnection {
    fn drop(&mut self) {
        let (state, room_id, user_id) = (&self.state, self.room_id, self.user_id);
        if !state.rooms.presence.disconnect(room_id, user_id) {
            return;
        }
        rooms::publish(
            state,
            room_id,
            RoomEvent::PresenceChanged {
                user_id,
                is_connected: false,
            },
        );
        if state.rooms.typing.stop(room_id, user_id) {
            rooms::publish(
                state,
                room_id,
                RoomEvent::TypingChanged {
                    user_id,
                    is_typing: false,
                },
            );
        }
        // The room may have been waiting for them, or now have enough skip votes.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let state = state.clone();
            runtime
                .spawn(async move { crate::service::rooms::timer::recheck(&state, room_id).await });
        }
    }
}

/// Background work: re-arms the timers of rooms that are playing (so auto-advance survives a
/// restart) and starts the idle sweep.
pub async fn start(state: &AppState) -> anyhow::Result<()> {
    crate::service::rooms::timer::rearm_all(state)
        .await
        .map_err(|e| anyhow::anyhow!("re-arming room timers: {e:?}"))?;
    let idle = state.config.rooms.idle_close;
    let every = (idle / 2).clamp(Duration::from_millis(200), Duration::from_secs(60));
    let sweeper = state.clone();
    let handle = tokio::spawn(async move {
        let mut interval = tokio::time::interval(every);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            if let Err(e) = sweep_idle(&sweeper).await {
                tracing::warn!(error = ?e, "idle room sweep failed");
            }
            sweeper.rooms.prune_locks();
        }
    });
    state.rooms.add_background(handle.abort_handle());
    Ok(())
}

/// Refreshes the activity of rooms with connected members here, then closes rooms idle for
/// longer than `ROOM_IDLE_CLOSE_SECS`. Each close is conditional, so instances never disagree.
pub async fn sweep_idle(state: &AppState) -> AppResult<usize> {
    let now = Utc::now();
    let live = state.rooms.presence.rooms();
    for chunk in live.chunks(500) {
        room::Entity::update_many()
            .col_expr(room::Column::UpdatedAt, Expr::value(now))
            .filter(room::Column::Id.is_in(chunk.to_vec()))
            .filter(room::Column::ClosedAt.is_null())
            .exec(&state.db)
            .await?;
    }
    let idle = chrono::Duration::from_std(state.config.rooms.idle_close)
        .unwrap_or_else(|_| chrono::Duration::hours(1));
    let cutoff = now - idle;
    let stale = room::Entity::find()
        .filter(room::Column::ClosedAt.is_null())
        .filter(room::Column::UpdatedAt.lt(cutoff))
        .limit(200)
        .all(&state.db)
        .await?;
    let mut closed_rooms = 0;
    for room in stale {
        if state.rooms.presence.connected_count(room.id) > 0 {
            continue;
        }
        let result = room::Entity::update_many()
            .col_expr(room::Column::ClosedAt, Expr::value(now))
            .filter(room::Column::Id.eq(room.id))
            .filter(room::Column::ClosedAt.is_null())
            .filter(room::Column::UpdatedAt.lt(cutoff))
            .exec(&state.db)
            .await?;
        if result.rows_affected == 1 {
            tracing::info!(room_id = %room.id, "closed an idle room");
            rooms::membership::closed(state, room.id);
            closed_rooms += 1;
        }
    }
    Ok(closed_rooms)
}
