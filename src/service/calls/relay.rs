//! What is relayed between participants and never stored: WebRTC signals (to one participant's
//! devices), screen annotations (to everyone while someone shares) and remote-control requests
//! (to the sharer). Each is size-limited where it carries a payload, and rate-limited per user.

use uuid::Uuid;

use super::{publish_on_call, require_joined, require_participant, state_of};
use crate::auth::rate_limit::Bucket;
use crate::domain::calls::{AnnotationKind, CallState, ParticipantState};
use crate::error::{AppError, AppResult};
use crate::realtime::CallEvent;
use crate::state::AppState;

fn check_size(value: &serde_json::Value, max: usize, field: &'static str) -> AppResult<()> {
    let size = serde_json::to_vec(value)
        .map(|b| b.len())
        .unwrap_or(usize::MAX);
    if size > max {
        return Err(AppError::bad_input(
            field,
            format!("At most {max} bytes of JSON"),
        ));
    }
    Ok(())
}

/// Relays a signal to `to`'s devices on `callEvents`; both must be ringing or joined.
pub async fn send_signal(
    state: &AppState,
    user_id: Uuid,
    call_id: Uuid,
    to: Uuid,
    signal: serde_json::Value,
) -> AppResult<bool> {
    check_size(&signal, state.config.calls.signal_max_bytes, "signal")?;
    if to == user_id {
        return Err(AppError::bad_input(
            "toUserId",
            "You cannot signal yourself",
        ));
    }
    let (call, me) = require_participant(&state.db, user_id, call_id).await?;
    if state_of(&call) == CallState::Ended {
        return Err(super::ended());
    }
    if !ParticipantState::of(&me.state).is_live() {
        return Err(AppError::forbidden("You are not in this call"));
    }
    let live = super::participant(&state.db, call_id, to)
        .await?
        .is_some_and(|p| ParticipantState::of(&p.state).is_live());
    if !live {
        return Err(AppError::bad_input(
            "toUserId",
            "Signals go only to participants who are ringing or joined",
        ));
    }
    state
        .limiter
        .hit(Bucket::CallSignals, &user_id.to_string())
        .await?;
    publish_on_call(
        state,
        call_id,
        Some(to),
        CallEvent::Signal {
            from: user_id,
            signal,
        },
    );
    Ok(true)
}

/// Relays an annotation of the shared screen to everyone in the call.
pub async fn annotate(
    state: &AppState,
    user_id: Uuid,
    call_id: Uuid,
    kind: AnnotationKind,
    data: serde_json::Value,
) -> AppResult<bool> {
    check_size(&data, state.config.calls.annotation_max_bytes, "data")?;
    let (call, _) = require_joined(&state.db, user_id, call_id).await?;
    if call.share_user_id.is_none() {
        return Err(AppError::conflict(
            "callId",
            "Nobody is sharing their screen",
        ));
    }
    state
        .limiter
        .hit(Bucket::CallSignals, &user_id.to_string())
        .await?;
    publish_on_call(
        state,
        call_id,
        None,
        CallEvent::Annotation {
            from: user_id,
            kind,
            data,
        },
    );
    Ok(true)
}

/// Asks the sharer for remote control of their screen.
pub async fn request_remote_control(
    state: &AppState,
    user_id: Uuid,
    call_id: Uuid,
) -> AppResult<bool> {
    let (call, _) = require_joined(&state.db, user_id, call_id).await?;
    let Some(sharer) = call.share_user_id else {
        return Err(AppError::conflict(
            "callId",
            "Nobody is sharing their screen",
        ));
    };
    if sharer == user_id {
        return Err(AppError::bad_input(
            "callId",
            "You are the one sharing your screen",
        ));
    }
    state
        .limiter
        .hit(Bucket::CallSignals, &user_id.to_string())
        .await?;
    publish_on_call(
        state,
        call_id,
        Some(sharer),
        CallEvent::RemoteControlRequested { from: user_id },
    );
    Ok(true)
}
