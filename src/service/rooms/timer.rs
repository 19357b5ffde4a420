//! Each room's one timer: armed after every playback change (and for every playing room at
//! start-up) for the next due instant, a track's end or the end of a wait. When it fires, the
//! advance is itself a compare-and-set on the room's playback, so a track end moves the room
//! on exactly once even when several instances' timers fire.

use std::{future::Future, pin::Pin};

use entity::{room, room_playback, track};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, sea_query::Query};
use uuid::Uuid;

use crate::domain::room_rules::RoomPlayback;
use crate::error::AppResult;
use crate::service::rooms;
use crate::service::rooms::playback::{Action, apply, from_row, now_ms, read};
use crate::service::rooms::votes::tally;
use crate::state::AppState;

type Task = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Arms the room's timer for the state's next due instant (or cancels it).
pub fn schedule(state: &AppState, room_id: Uuid, playback: &RoomPlayback) {
    match playback.next_wake_ms() {
        Some(at) => state
            .rooms
            .timers
            .arm(room_id, at, on_timer(state.clone(), room_id)),
        None => state.rooms.timers.cancel(room_id),
    }
}

fn on_timer(state: AppState, room_id: Uuid) -> Task {
    Box::pin(async move {
        let outcome = {
            let _turn = state.rooms.lock(room_id).await;
            due(&state, room_id).await
        };
        if let Err(e) = outcome {
            tracing::warn!(error = ?e, %room_id, "room timer failed; retrying in 1 s");
            state
                .rooms
                .timers
                .arm(room_id, now_ms() + 1000, on_timer(state.clone(), room_id));
        }
    })
}

/// The timer fired: do what is due (possibly nothing: another instance did it, or the state
/// moved on), then re-arm for what comes next.
async fn due(state: &AppState, room_id: Uuid) -> AppResult<()> {
    let Some(room) = rooms::find(&state.db, room_id).await? else {
        return Ok(());
    };
    if room.closed_at.is_some() {
        return Ok(());
    }
    let (current, _) = read(&state.db, room_id).await?;
    match current.next_wake_ms() {
        None => return Ok(()),
        Some(at) if at > now_ms() => {
            schedule(state, room_id, &current);
            return Ok(());
        }
        Some(_) => {}
    }
    let (after, _) = apply(state, &room, Action::Due, None).await?;
    if after == current {
        // Nothing changed although something was due; look again shortly rather than spin.
        state
            .rooms
            .timers
            .arm(room_id, now_ms() + 1000, on_timer(state.clone(), room_id));
    }
    Ok(())
}

/// Arms the timer of every open room that is playing or waiting (start-up).
pub async fn rearm_all(state: &AppState) -> AppResult<usize> {
    let rows = room_playback::Entity::find()
        .filter(
            Condition::any()
                .add(room_playback::Column::IsPlaying.eq(true))
                .add(room_playback::Column::WaitDeadlineMs.is_not_null()),
        )
        .filter(
            room_playback::Column::RoomId.in_subquery(
                Query::select()
                    .column(room::Column::Id)
                    .from(room::Entity)
                    .and_where(room::Column::ClosedAt.is_null())
                    .to_owned(),
            ),
        )
        .all(&state.db)
        .await?;
    let mut armed = 0;
    for row in rows {
        let track = match row.track_id {
            Some(id) => track::Entity::find_by_id(id).one(&state.db).await?,
            None => None,
        };
        let playback = from_row(&row, track.as_ref());
        if playback.next_wake_ms().is_some() {
            schedule(state, row.room_id, &playback);
            armed += 1;
        }
    }
    if armed > 0 {
        tracing::info!(rooms = armed, "re-armed room timers");
    }
    Ok(armed)
}

/// Membership, presence or settings changed: end a hold nobody is left to wait for, and skip
/// if the remaining connected members' votes now suffice. Failures are logged.
pub async fn recheck(state: &AppState, room_id: Uuid) {
    let outcome: AppResult<()> = async {
        let _turn = state.rooms.lock(room_id).await;
        let Ok(room) = rooms::find_open(&state.db, room_id).await else {
            return Ok(());
        };
        apply(state, &room, Action::Recheck, None).await?;
        tally(state, &room).await?;
        Ok(())
    }
    .await;
    if let Err(e) = outcome {
        tracing::warn!(error = ?e, %room_id, "room recheck failed");
    }
}
