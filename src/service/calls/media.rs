//! Media state (mute, camera, quality) and screen sharing: one sharer at a time, held on the
//! call's row and taken with a conditional UPDATE; the sharer grants and revokes remote control.

use chrono::{DateTime, Utc};
use entity::{call, call_participant};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, sea_query::Expr};
use uuid::Uuid;

use super::{announce, ended, find, participant, require_joined, state_of};
use crate::domain::calls::{CallState, MediaQuality, ParticipantState};
use crate::error::{AppError, AppResult};
use crate::realtime::CallSnapshot;
use crate::state::AppState;

/// What `setCallMedia` changes; `None` keeps the current value.
#[derive(Default)]
pub struct MediaChange {
    pub audio_muted: Option<bool>,
    pub video_muted: Option<bool>,
    pub quality: Option<MediaQuality>,
}

/// Changes the user's own media state in a call they are joined in.
pub async fn set_media(
    state: &AppState,
    user_id: Uuid,
    call_id: Uuid,
    change: MediaChange,
) -> AppResult<call_participant::Model> {
    require_joined(&state.db, user_id, call_id).await?;
    let mut update = call_participant::Entity::update_many();
    let mut any = false;
    if let Some(v) = change.audio_muted {
        update = update.col_expr(call_participant::Column::AudioMuted, Expr::value(v));
        any = true;
    }
    if let Some(v) = change.video_muted {
        update = update.col_expr(call_participant::Column::VideoMuted, Expr::value(v));
        any = true;
    }
    if let Some(q) = change.quality {
        update = update.col_expr(call_participant::Column::Quality, Expr::value(q.as_str()));
        any = true;
    }
    if any {
        let result = update
            .filter(call_participant::Column::CallId.eq(call_id))
            .filter(call_participant::Column::UserId.eq(user_id))
            .filter(call_participant::Column::State.eq(ParticipantState::Joined.as_str()))
            .exec(&state.db)
            .await?;
        if result.rows_affected != 1 {
            return Err(AppError::conflict(
                "callId",
                "You are not joined in this call",
            ));
        }
        announce(state, call_id).await?;
    }
    participant(&state.db, call_id, user_id)
        .await?
        .ok_or_else(super::not_found)
}

/// Starts sharing the user's screen; `CONFLICT` while someone else shares. Sharing again
/// changes the share's audio and quality.
pub async fn start_share(
    state: &AppState,
    user_id: Uuid,
    call_id: Uuid,
    has_audio: bool,
    quality: MediaQuality,
) -> AppResult<CallSnapshot> {
    require_joined(&state.db, user_id, call_id).await?;
    let now = super::now();
    let taken = call::Entity::update_many()
        .col_expr(call::Column::ShareUserId, Expr::value(user_id))
        .col_expr(call::Column::ShareHasAudio, Expr::value(has_audio))
        .col_expr(call::Column::ShareQuality, Expr::value(quality.as_str()))
        .col_expr(call::Column::ShareStartedAt, Expr::value(now))
        .col_expr(
            call::Column::ShareControllerId,
            Expr::value(Option::<Uuid>::None),
        )
        .filter(call::Column::Id.eq(call_id))
        .filter(call::Column::State.ne(CallState::Ended.as_str()))
        .filter(call::Column::ShareUserId.is_null())
        .exec(&state.db)
        .await?
        .rows_affected
        == 1;
    if !taken {
        let again = call::Entity::update_many()
            .col_expr(call::Column::ShareHasAudio, Expr::value(has_audio))
            .col_expr(call::Column::ShareQuality, Expr::value(quality.as_str()))
            .filter(call::Column::Id.eq(call_id))
            .filter(call::Column::State.ne(CallState::Ended.as_str()))
            .filter(call::Column::ShareUserId.eq(user_id))
            .exec(&state.db)
            .await?
            .rows_affected
            == 1;
        if !again {
            let call = find(&state.db, call_id)
                .await?
                .ok_or_else(super::not_found)?;
            if state_of(&call) == CallState::Ended {
                return Err(ended());
            }
            return Err(AppError::conflict(
                "callId",
                "Someone else is sharing their screen",
            ));
        }
    }
    announce(state, call_id).await
}

/// Stops the user's screen share; `FORBIDDEN` when someone else shares.
pub async fn stop_share(state: &AppState, user_id: Uuid, call_id: Uuid) -> AppResult<CallSnapshot> {
    let (call, _) = super::require_participant(&state.db, user_id, call_id).await?;
    match call.share_user_id {
        None => return super::snapshot(&state.db, call_id).await,
        Some(sharer) if sharer != user_id => {
            return Err(AppError::forbidden("Only the sharer may stop their share"));
        }
        Some(_) => {}
    }
    if drop_share_of(&state.db, call_id, user_id).await? {
        return announce(state, call_id).await;
    }
    super::snapshot(&state.db, call_id).await
}

/// The user no longer shares or controls (they left). `true` when something changed.
pub(super) async fn drop_share_of(
    db: &impl ConnectionTrait,
    call_id: Uuid,
    user_id: Uuid,
) -> AppResult<bool> {
    let stopped = call::Entity::update_many()
        .col_expr(call::Column::ShareUserId, Expr::value(Option::<Uuid>::None))
        .col_expr(
            call::Column::ShareControllerId,
            Expr::value(Option::<Uuid>::None),
        )
        .col_expr(
            call::Column::ShareQuality,
            Expr::value(Option::<String>::None),
        )
        .col_expr(call::Column::ShareHasAudio, Expr::value(false))
        .col_expr(
            call::Column::ShareStartedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(call::Column::Id.eq(call_id))
        .filter(call::Column::ShareUserId.eq(user_id))
        .exec(db)
        .await?
        .rows_affected;
    let released = call::Entity::update_many()
        .col_expr(
            call::Column::ShareControllerId,
            Expr::value(Option::<Uuid>::None),
        )
        .filter(call::Column::Id.eq(call_id))
        .filter(call::Column::ShareControllerId.eq(user_id))
        .exec(db)
        .await?
        .rows_affected;
    Ok(stopped + released > 0)
}

/// The sharer grants remote control to a joined participant, or revokes it (`None`).
pub async fn set_remote_control(
    state: &AppState,
    user_id: Uuid,
    call_id: Uuid,
    to: Option<Uuid>,
) -> AppResult<CallSnapshot> {
    let (call, _) = require_joined(&state.db, user_id, call_id).await?;
    if call.share_user_id != Some(user_id) {
        return Err(AppError::forbidden(
            "Only the one sharing their screen grants remote control",
        ));
    }
    if let Some(target) = to {
        if target == user_id {
            return Err(AppError::bad_input(
                "userId",
                "You control your own screen already",
            ));
        }
        let joined = participant(&state.db, call_id, target)
            .await?
            .is_some_and(|p| ParticipantState::of(&p.state) == ParticipantState::Joined);
        if !joined {
            return Err(AppError::bad_input(
                "userId",
                "Remote control goes to someone joined in the call",
            ));
        }
    }
    let result = call::Entity::update_many()
        .col_expr(call::Column::ShareControllerId, Expr::value(to))
        .filter(call::Column::Id.eq(call_id))
        .filter(call::Column::ShareUserId.eq(user_id))
        .exec(&state.db)
        .await?;
    if result.rows_affected != 1 {
        return Err(AppError::conflict(
            "callId",
            "You stopped sharing meanwhile",
        ));
    }
    announce(state, call_id).await
}
