//! What deleting a track does to the players and rooms that use it. The foreign keys alone
//! would quietly null the track (and drop its queue items) with no new version and no event,
//! leaving every listener playing a track that is gone. Instead, inside the deleting
//! transaction, every player and room that has the track loaded is stopped with a new version;
//! after the commit, their owners and members are told, and a room that was playing moves on
//! to its next queue item.

use chrono::Utc;
use entity::{playback_state, room_playback, room_queue_item};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

use crate::domain::playback::PlaybackState;
use crate::error::AppResult;
use crate::realtime::{Event, RoomEvent, Topic, UserEvent};
use crate::service::rooms;
use crate::service::rooms::playback::track_unloaded;
use crate::service::rooms::queue;
use crate::state::AppState;

/// Who is affected by a track's deletion, gathered inside its transaction.
#[derive(Debug, Default)]
pub struct Affected {
    /// Personal players that had the track loaded: their owners and stopped states.
    players: Vec<(Uuid, PlaybackState)>,
    /// Rooms that had the track loaded, and whether it was playing there.
    rooms_loaded: Vec<(Uuid, bool)>,
    /// Rooms whose queue held the track (its items go with it).
    queues: Vec<Uuid>,
}

/// Within the transaction deleting `track_id`: unloads it everywhere, bumping each version.
pub async fn unload(db: &impl ConnectionTrait, track_id: Uuid) -> AppResult<Affected> {
    let now = Utc::now();
    // RETURNING: the stopped states exactly as written, to announce without reading them again.
    let players = playback_state::Entity::update_many()
        .col_expr(playback_state::Column::TrackId, Expr::value(None::<Uuid>))
        .col_expr(playback_state::Column::IsPlaying, Expr::value(false))
        .col_expr(playback_state::Column::PositionMs, Expr::value(0_i64))
        .col_expr(
            playback_state::Column::AnchorTimeMs,
            Expr::value(now.timestamp_millis()),
        )
        .col_expr(
            playback_state::Column::Version,
            Expr::col(playback_state::Column::Version).add(1),
        )
        .col_expr(playback_state::Column::UpdatedAt, Expr::value(now))
        .filter(playback_state::Column::TrackId.eq(track_id))
        .exec_with_returning(db)
        .await?
        .into_iter()
        .map(|row| {
            let stopped = PlaybackState {
                track: None,
                is_playing: false,
                position_ms: row.position_ms,
                anchor_time_ms: row.anchor_time_ms,
                version: row.version,
            };
            (row.user_id, stopped)
        })
        .collect();

    let rooms_loaded: Vec<(Uuid, bool)> = room_playback::Entity::find()
        .select_only()
        .column(room_playback::Column::RoomId)
        .column(room_playback::Column::IsPlaying)
        .filter(room_playback::Column::TrackId.eq(track_id))
        .into_tuple()
        .all(db)
        .await?;
    if !rooms_loaded.is_empty() {
        room_playback::Entity::update_many()
            .col_expr(room_playback::Column::TrackId, Expr::value(None::<Uuid>))
            .col_expr(room_playback::Column::ItemId, Expr::value(None::<Uuid>))
            .col_expr(room_playback::Column::IsPlaying, Expr::value(false))
            .col_expr(room_playback::Column::PositionMs, Expr::value(0_i64))
            .col_expr(
                room_playback::Column::AnchorTimeMs,
                Expr::value(now.timestamp_millis()),
            )
            .col_expr(
                room_playback::Column::Version,
                Expr::col(room_playback::Column::Version).add(1),
            )
            .col_expr(
                room_playback::Column::WaitingFor,
                Expr::value(None::<String>),
            )
            .col_expr(
                room_playback::Column::WaitDeadlineMs,
                Expr::value(None::<i64>),
            )
            .col_expr(room_playback::Column::UpdatedAt, Expr::value(now))
            .filter(room_playback::Column::TrackId.eq(track_id))
            .exec(db)
            .await?;
    }

    let queues: Vec<Uuid> = room_queue_item::Entity::find()
        .select_only()
        .column(room_queue_item::Column::RoomId)
        .filter(room_queue_item::Column::TrackId.eq(track_id))
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    Ok(Affected {
        players,
        rooms_loaded,
        queues,
    })
}

/// After the commit: tells everyone affected, and moves rooms that were playing on to their
/// next queue item. Failures are logged (the deletion itself has happened).
pub async fn announce(state: &AppState, affected: Affected) {
    for (user_id, playback) in affected.players {
        state.bus.publish(
            Topic::User(user_id),
            Event::User(UserEvent::MyPlaybackChanged {
                playback,
                at: Utc::now(),
            }),
        );
    }
    for room_id in affected.queues {
        match queue::entries(&state.db, room_id).await {
            Ok(queue) => rooms::publish(state, room_id, RoomEvent::QueueChanged { queue }),
            Err(e) => tracing::warn!(error = ?e, %room_id, "announcing a shortened queue"),
        }
    }
    for (room_id, was_playing) in affected.rooms_loaded {
        track_unloaded(state, room_id, was_playing).await;
    }
}
