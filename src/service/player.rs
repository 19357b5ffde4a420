//! The personal player (each user controls only their own playback), stored so it survives a
//! restart, written with compare-and-set on `version`, and announced to all the user's devices.

use chrono::Utc;
use entity::{playback_state, track};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, sea_query::Expr};
use uuid::Uuid;

use crate::domain::playback::{Command, Loaded, PlaybackState};
use crate::error::{AppError, AppResult};
use crate::realtime::{Event, Topic, UserEvent};
use crate::state::AppState;

const NOTHING_LOADED: &str = "Nothing is loaded in the player; play a track first";

/// Compare-and-set attempts before giving up with `CONFLICT` (each loser re-reads and re-applies).
const MAX_ATTEMPTS: usize = 32;

/// What a command asks for, before tracks are looked up.
pub enum Request {
    Play {
        track_id: Uuid,
        position_ms: Option<i64>,
    },
    Pause {
        position_ms: Option<i64>,
    },
    Update {
        track_id: Uuid,
        position_ms: i64,
        is_playing: bool,
    },
}

/// The viewer's player, or `None` before they ever played anything.
pub async fn current(state: &AppState, user_id: Uuid) -> AppResult<Option<PlaybackState>> {
    let Some(row) = playback_state::Entity::find_by_id(user_id)
        .one(&state.db)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(from_row(state, &row).await?))
}

pub async fn apply(state: &AppState, user_id: Uuid, request: Request) -> AppResult<PlaybackState> {
    let command = match request {
        Request::Play {
            track_id,
            position_ms,
        } => Command::Play {
            track: Some(load_track(state, track_id).await?),
            position_ms,
        },
        Request::Pause { position_ms } => Command::Pause { position_ms },
        Request::Update {
            track_id,
            position_ms,
            is_playing,
        } => Command::Set {
            track: load_track(state, track_id).await?,
            position_ms,
            is_playing,
        },
    };
    // Compare-and-set: a concurrent change from another device makes us re-read and re-apply.
    for _ in 0..MAX_ATTEMPTS {
        let row = playback_state::Entity::find_by_id(user_id)
            .one(&state.db)
            .await?;
        let now = Utc::now().timestamp_millis();
        let current = match &row {
            Some(row) => from_row(state, row).await?,
            None => PlaybackState::empty(now),
        };
        let next = current
            .apply(command, now)
            .map_err(|e| e.into_app_error(NOTHING_LOADED))?;
        if next == current {
            return Ok(current);
        }
        if write(state, user_id, row.is_some(), current.version, &next).await? {
            state.bus.publish(
                Topic::User(user_id),
                Event::User(UserEvent::MyPlaybackChanged {
                    playback: next,
                    at: Utc::now(),
                }),
            );
            return Ok(next);
        }
    }
    Err(AppError::conflict(
        "version",
        "The player changed concurrently; try again",
    ))
}

/// Writes `next` if the stored version is still `expected`; `false` when another write won.
async fn write(
    state: &AppState,
    user_id: Uuid,
    exists: bool,
    expected: i64,
    next: &PlaybackState,
) -> AppResult<bool> {
    let now = Utc::now();
    if !exists {
        let inserted = playback_state::ActiveModel {
            user_id: Set(user_id),
            track_id: Set(next.track.map(|t| t.track_id)),
            is_playing: Set(next.is_playing),
            position_ms: Set(next.position_ms),
            anchor_time_ms: Set(next.anchor_time_ms),
            version: Set(next.version),
            updated_at: Set(now),
        }
        .insert(&state.db)
        .await;
        return match inserted {
            Ok(_) => Ok(true),
            // Another device created the row first.
            Err(e) if e.sql_err().is_some() => Ok(false),
            Err(e) => Err(e.into()),
        };
    }
    let result = playback_state::Entity::update_many()
        .col_expr(
            playback_state::Column::TrackId,
            Expr::value(next.track.map(|t| t.track_id)),
        )
        .col_expr(
            playback_state::Column::IsPlaying,
            Expr::value(next.is_playing),
        )
        .col_expr(
            playback_state::Column::PositionMs,
            Expr::value(next.position_ms),
        )
        .col_expr(
            playback_state::Column::AnchorTimeMs,
            Expr::value(next.anchor_time_ms),
        )
        .col_expr(playback_state::Column::Version, Expr::value(next.version))
        .col_expr(playback_state::Column::UpdatedAt, Expr::value(now))
        .filter(playback_state::Column::UserId.eq(user_id))
        .filter(playback_state::Column::Version.eq(expected))
        .exec(&state.db)
        .await?;
    Ok(result.rows_affected == 1)
}

async fn load_track(state: &AppState, track_id: Uuid) -> AppResult<Loaded> {
    let track = track::Entity::find_by_id(track_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::not_found("Track not found"))?;
    Ok(Loaded {
        track_id: track.id,
        duration_ms: track.duration_ms,
    })
}

async fn from_row(state: &AppState, row: &playback_state::Model) -> AppResult<PlaybackState> {
    let track = match row.track_id {
        Some(id) => track::Entity::find_by_id(id)
            .one(&state.db)
            .await?
            .map(|t| Loaded {
                track_id: t.id,
                duration_ms: t.duration_ms,
            }),
        None => None,
    };
    Ok(PlaybackState {
        track,
        is_playing: row.is_playing && track.is_some(),
        position_ms: row.position_ms,
        anchor_time_ms: row.anchor_time_ms,
        version: row.version,
    })
}
