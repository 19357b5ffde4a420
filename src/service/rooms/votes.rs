//! Skip votes: a member votes to skip the current track; votes of connected members count, and
//! when they are more than the room's share of connected members the track is skipped. Votes
//! are for one play and are forgotten when it is over.

use chrono::Utc;
use entity::{room, room_skip_vote};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set, sea_query::OnConflict};
use uuid::Uuid;

use crate::domain::room_rules;
use crate::error::{AppError, AppResult};
use crate::realtime::RoomEvent;
use crate::service::rooms;
use crate::service::rooms::playback::{Action, Request, apply, read};
use crate::state::AppState;

pub struct VoteOutcome {
    pub votes: usize,
    pub needed: usize,
    pub skipped: bool,
}

/// A member votes to skip the current track. Votes of connected members count; when they
/// are more than the room's share of connected members, the track is skipped.
pub async fn vote_skip(state: &AppState, user_id: Uuid, room_id: Uuid) -> AppResult<VoteOutcome> {
    let (room, _) = rooms::require_member(state, user_id, room_id).await?;
    let _turn = state.rooms.lock(room_id).await;
    let (current, _) = read(&state.db, room_id).await?;
    let Some(item_id) = current.item_id.filter(|_| current.core.track.is_some()) else {
        return Err(AppError::bad_input("roomId", "Nothing is playing to skip"));
    };
    room_skip_vote::Entity::insert(room_skip_vote::ActiveModel {
        room_id: Set(room_id),
        user_id: Set(user_id),
        item_id: Set(item_id),
        created_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::columns([
            room_skip_vote::Column::RoomId,
            room_skip_vote::Column::UserId,
        ])
        .update_columns([
            room_skip_vote::Column::ItemId,
            room_skip_vote::Column::CreatedAt,
        ])
        .to_owned(),
    )
    .exec(&state.db)
    .await?;
    tally(state, &room).await
}

/// Counts the current track's votes; announces them and skips when they suffice.
pub(super) async fn tally(state: &AppState, room: &room::Model) -> AppResult<VoteOutcome> {
    let room_id = room.id;
    let (current, _) = read(&state.db, room_id).await?;
    let connected = state.rooms.presence.connected(room_id);
    let needed = room_rules::votes_needed(connected.len(), room.skip_vote_percent);
    let Some(item_id) = current.item_id.filter(|_| current.core.track.is_some()) else {
        return Ok(VoteOutcome {
            votes: 0,
            needed,
            skipped: false,
        });
    };
    let votes = if connected.is_empty() {
        0
    } else {
        room_skip_vote::Entity::find()
            .filter(room_skip_vote::Column::RoomId.eq(room_id))
            .filter(room_skip_vote::Column::ItemId.eq(item_id))
            .filter(room_skip_vote::Column::UserId.is_in(connected))
            .count(&state.db)
            .await? as usize
    };
    if votes == 0 {
        return Ok(VoteOutcome {
            votes,
            needed,
            skipped: false,
        });
    }
    rooms::publish(
        state,
        room_id,
        RoomEvent::SkipVotesChanged { votes, needed },
    );
    let skipped = votes >= needed;
    if skipped {
        // The vote carries the skip; it does not need (or check) control of the room.
        apply(
            state,
            room,
            Action::Request(Request::Skip, room.host_id),
            None,
        )
        .await?;
    }
    Ok(VoteOutcome {
        votes,
        needed,
        skipped,
    })
}

/// Forgets votes cast on plays that are over.
pub(super) async fn clear_votes(state: &AppState, room_id: Uuid) {
    let result = room_skip_vote::Entity::delete_many()
        .filter(room_skip_vote::Column::RoomId.eq(room_id))
        .exec(&state.db)
        .await;
    if let Err(e) = result {
        tracing::warn!(error = ?e, %room_id, "could not clear skip votes");
    }
}
