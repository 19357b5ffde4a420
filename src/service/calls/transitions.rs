//! Answering, declining, joining, leaving and ending calls. Each step is a conditional UPDATE
//! of one participant's row (or the call's), so racing devices and instances end in one
//! outcome; the loser of a race sees what won and is answered `CONFLICT` (or, when it asked for
//! what already happened, the call as it is).

use chrono::{DateTime, Utc};
use entity::{call, call_participant, room};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set,
    sea_query::{Expr, Query},
};
use uuid::Uuid;

use super::{
    announce, ended, find, is_unique_violation, participant, participants, shape, state_of,
};
use crate::domain::calls::{
    CallEndReason, CallState, MediaQuality, Outcome, ParticipantState, Shape, end_reason,
};
use crate::error::{AppError, AppResult};
use crate::realtime::CallSnapshot;
use crate::service::calls::{now, require_participant};
use crate::service::rooms;
use crate::state::AppState;

/// Moves the user's row from one of `from` to `to`, only while the call has not ended. `true`
/// when this call made the change.
pub(super) async fn move_participant(
    db: &impl ConnectionTrait,
    call_id: Uuid,
    user_id: Uuid,
    from: &[ParticipantState],
    to: ParticipantState,
    at: DateTime<Utc>,
) -> AppResult<bool> {
    let mut update = call_participant::Entity::update_many()
        .col_expr(call_participant::Column::State, Expr::value(to.as_str()));
    update = if to == ParticipantState::Joined {
        update
            .col_expr(call_participant::Column::JoinedAt, Expr::value(at))
            .col_expr(
                call_participant::Column::LeftAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
    } else {
        update.col_expr(call_participant::Column::LeftAt, Expr::value(at))
    };
    let result = update
        .filter(call_participant::Column::CallId.eq(call_id))
        .filter(call_participant::Column::UserId.eq(user_id))
        .filter(call_participant::Column::State.is_in(from.iter().map(|s| s.as_str())))
        .filter(
            call_participant::Column::CallId.in_subquery(
                Query::select()
                    .column(call::Column::Id)
                    .from(call::Entity)
                    .and_where(call::Column::Id.eq(call_id))
                    .and_where(call::Column::State.ne(CallState::Ended.as_str()))
                    .to_owned(),
            ),
        )
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Records the first answer (once).
async fn mark_answered(
    db: &impl ConnectionTrait,
    call_id: Uuid,
    at: DateTime<Utc>,
) -> AppResult<()> {
    call::Entity::update_many()
        .col_expr(call::Column::StartedAt, Expr::value(at))
        .filter(call::Column::Id.eq(call_id))
        .filter(call::Column::StartedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Ends the call now (once): ringing participants missed it, joined ones left. `true` when this
/// call ended it.
pub(super) async fn end_now(
    db: &impl ConnectionTrait,
    call_id: Uuid,
    reason: CallEndReason,
    at: DateTime<Utc>,
) -> AppResult<bool> {
    let none_uuid = Expr::value(Option::<Uuid>::None);
    let result = call::Entity::update_many()
        .col_expr(call::Column::State, Expr::value(CallState::Ended.as_str()))
        .col_expr(call::Column::EndedAt, Expr::value(at))
        .col_expr(call::Column::EndReason, Expr::value(reason.as_str()))
        .col_expr(
            call::Column::ActivePair,
            Expr::value(Option::<String>::None),
        )
        .col_expr(call::Column::ActiveRoomId, none_uuid.clone())
        .col_expr(
            call::Column::RingDeadlineMs,
            Expr::value(Option::<i64>::None),
        )
        .col_expr(call::Column::ShareUserId, none_uuid.clone())
        .col_expr(call::Column::ShareControllerId, none_uuid)
        .col_expr(
            call::Column::ShareQuality,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            call::Column::ShareStartedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(call::Column::Id.eq(call_id))
        .filter(call::Column::State.ne(CallState::Ended.as_str()))
        .exec(db)
        .await?;
    if result.rows_affected != 1 {
        return Ok(false);
    }
    for (from, to) in [
        (ParticipantState::Ringing, ParticipantState::Missed),
        (ParticipantState::Joined, ParticipantState::Left),
    ] {
        call_participant::Entity::update_many()
            .col_expr(call_participant::Column::State, Expr::value(to.as_str()))
            .col_expr(call_participant::Column::LeftAt, Expr::value(at))
            .filter(call_participant::Column::CallId.eq(call_id))
            .filter(call_participant::Column::State.eq(from.as_str()))
            .exec(db)
            .await?;
    }
    Ok(true)
}

/// Applies what the participants' states now say about the call: active after the first
/// answer, ended when too few are left. `true` when the call itself changed here.
pub async fn settle(state: &AppState, call_id: Uuid) -> AppResult<bool> {
    let db = &state.db;
    let Some(call) = find(db, call_id).await? else {
        return Ok(false);
    };
    let rows = participants(db, call_id).await?;
    let states: Vec<ParticipantState> = rows
        .iter()
        .map(|p| ParticipantState::of(&p.state))
        .collect();
    let outcome = crate::domain::calls::settle(
        shape(&call),
        state_of(&call),
        call.started_at.is_some(),
        &states,
    );
    let changed = match outcome {
        Outcome::Unchanged => false,
        Outcome::Active => {
            call::Entity::update_many()
                .col_expr(call::Column::State, Expr::value(CallState::Active.as_str()))
                .filter(call::Column::Id.eq(call_id))
                .filter(call::Column::State.eq(CallState::Ringing.as_str()))
                .exec(db)
                .await?
                .rows_affected
                == 1
        }
        Outcome::Ended(reason) => end_now(db, call_id, reason, now()).await?,
    };
    let ringing = states.contains(&ParticipantState::Ringing);
    if !ringing && call.ring_deadline_ms.is_some() {
        call::Entity::update_many()
            .col_expr(
                call::Column::RingDeadlineMs,
                Expr::value(Option::<i64>::None),
            )
            .filter(call::Column::Id.eq(call_id))
            .exec(db)
            .await?;
        state.calls.ring_timers.cancel(call_id);
    }
    if matches!(outcome, Outcome::Ended(_)) {
        state.calls.ring_timers.cancel(call_id);
    }
    Ok(changed)
}

/// Settles the call and tells everyone.
async fn settle_and_announce(state: &AppState, call_id: Uuid) -> AppResult<CallSnapshot> {
    settle(state, call_id).await?;
    announce(state, call_id).await
}

/// Leaves every other call the user is joined in (one joined call at a time).
pub(super) async fn leave_others(state: &AppState, user_id: Uuid, except: Uuid) -> AppResult<()> {
    let joined = call_participant::Entity::find()
        .filter(call_participant::Column::UserId.eq(user_id))
        .filter(call_participant::Column::State.eq(ParticipantState::Joined.as_str()))
        .filter(call_participant::Column::CallId.ne(except))
        .all(&state.db)
        .await?;
    for other in joined {
        leave(state, user_id, other.call_id).await?;
    }
    Ok(())
}

/// Answers a call that rings the user. A second device answering finds the call answered and
/// gets it as it is; answering a call the user declined (or missed) is `CONFLICT`.
pub async fn accept(state: &AppState, user_id: Uuid, call_id: Uuid) -> AppResult<CallSnapshot> {
    let (call, me) = require_participant(&state.db, user_id, call_id).await?;
    if state_of(&call) == CallState::Ended {
        return Err(ended());
    }
    match ParticipantState::of(&me.state) {
        ParticipantState::Joined => return super::snapshot(&state.db, call_id).await,
        ParticipantState::Ringing => {}
        _ => {
            return Err(AppError::conflict(
                "callId",
                "This call no longer rings you: join it instead",
            ));
        }
    }
    answer(state, user_id, call_id, &[ParticipantState::Ringing]).await
}

/// The user's row from `from` to `JOINED`, then the rest: the first answer, leaving other
/// calls, settling and announcing.
async fn answer(
    state: &AppState,
    user_id: Uuid,
    call_id: Uuid,
    from: &[ParticipantState],
) -> AppResult<CallSnapshot> {
    let at = now();
    let won = move_participant(
        &state.db,
        call_id,
        user_id,
        from,
        ParticipantState::Joined,
        at,
    )
    .await?;
    if !won {
        return lost_race(state, user_id, call_id, ParticipantState::Joined).await;
    }
    mark_answered(&state.db, call_id, at).await?;
    leave_others(state, user_id, call_id).await?;
    settle_and_announce(state, call_id).await
}

/// A conditional update found the row changed: the call as it is when it already is what the
/// user asked for, else `CONFLICT` saying what happened.
async fn lost_race(
    state: &AppState,
    user_id: Uuid,
    call_id: Uuid,
    wanted: ParticipantState,
) -> AppResult<CallSnapshot> {
    let call = find(&state.db, call_id)
        .await?
        .ok_or_else(super::not_found)?;
    let now_state = participant(&state.db, call_id, user_id)
        .await?
        .map(|p| ParticipantState::of(&p.state));
    if now_state == Some(wanted) {
        return super::snapshot(&state.db, call_id).await;
    }
    if state_of(&call) == CallState::Ended {
        return Err(ended());
    }
    let what = match now_state {
        Some(ParticipantState::Joined) => "answered",
        Some(ParticipantState::Declined) => "declined",
        Some(ParticipantState::Missed) => "missed",
        Some(ParticipantState::Busy) => "refused as busy",
        _ => "left",
    };
    Err(AppError::conflict(
        "callId",
        format!("The call was already {what} (on another device)"),
    ))
}

/// Declines a call that rings the user.
pub async fn decline(state: &AppState, user_id: Uuid, call_id: Uuid) -> AppResult<CallSnapshot> {
    let (call, me) = require_participant(&state.db, user_id, call_id).await?;
    match ParticipantState::of(&me.state) {
        ParticipantState::Declined => return super::snapshot(&state.db, call_id).await,
        ParticipantState::Ringing if state_of(&call) != CallState::Ended => {}
        _ if state_of(&call) == CallState::Ended => return Err(ended()),
        _ => {
            return Err(AppError::conflict(
                "callId",
                "This call does not ring you: leave it instead",
            ));
        }
    }
    let won = move_participant(
        &state.db,
        call_id,
        user_id,
        &[ParticipantState::Ringing],
        ParticipantState::Declined,
        now(),
    )
    .await?;
    if !won {
        return lost_race(state, user_id, call_id, ParticipantState::Declined).await;
    }
    settle_and_announce(state, call_id).await
}

/// Joins a call: rejoins one the user left (or answers one that rings them), or joins a
/// room's voice call as a member of the room.
pub async fn join(state: &AppState, user_id: Uuid, call_id: Uuid) -> AppResult<CallSnapshot> {
    let call = find(&state.db, call_id)
        .await?
        .ok_or_else(super::not_found)?;
    let me = participant(&state.db, call_id, user_id).await?;
    let me = match me {
        Some(me) => me,
        None => match call.room_id {
            Some(room_id) => {
                rooms::require_member(state, user_id, room_id).await?;
                if state_of(&call) == CallState::Ended {
                    return Err(ended());
                }
                return join_room_voice(state, user_id, &call).await;
            }
            None => return Err(AppError::forbidden("You take no part in this call")),
        },
    };
    if state_of(&call) == CallState::Ended {
        return Err(ended());
    }
    if let Some(room_id) = call.room_id {
        rooms::require_member(state, user_id, room_id).await?;
    }
    match ParticipantState::of(&me.state) {
        ParticipantState::Joined => super::snapshot(&state.db, call_id).await,
        from => answer(state, user_id, call_id, &[from]).await,
    }
}

/// Joins the room's voice call as a new participant (a concurrent join of the same user
/// finds the row and takes the conditional path).
pub(super) async fn join_room_voice(
    state: &AppState,
    user_id: Uuid,
    call: &call::Model,
) -> AppResult<CallSnapshot> {
    let live = participants(&state.db, call.id)
        .await?
        .iter()
        .filter(|p| ParticipantState::of(&p.state).is_live())
        .count();
    if live >= state.config.calls.max_participants {
        return Err(AppError::forbidden("The call is full"));
    }
    let at = now();
    let row = call_participant::ActiveModel {
        call_id: Set(call.id),
        user_id: Set(user_id),
        state: Set(ParticipantState::Joined.as_str().to_owned()),
        audio_muted: Set(false),
        video_muted: Set(false),
        quality: Set(MediaQuality::Medium.as_str().to_owned()),
        invited_at: Set(at),
        joined_at: Set(Some(at)),
        left_at: Set(None),
        call_created_at: Set(call.created_at),
    };
    match row.insert(&state.db).await {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => {
            return Box::pin(join(state, user_id, call.id)).await;
        }
        Err(e) => return Err(e.into()),
    }
    // The call may have ended between reading it and the insert: then the row is left over.
    if state_of(
        &find(&state.db, call.id)
            .await?
            .ok_or_else(super::not_found)?,
    ) == CallState::Ended
    {
        move_participant_any(&state.db, call.id, user_id, ParticipantState::Left, at).await?;
        return Err(ended());
    }
    leave_others(state, user_id, call.id).await?;
    settle_and_announce(state, call.id).await
}

/// Sets the row's state whatever it was (cleanup after a lost race with the end of a call).
async fn move_participant_any(
    db: &impl ConnectionTrait,
    call_id: Uuid,
    user_id: Uuid,
    to: ParticipantState,
    at: DateTime<Utc>,
) -> AppResult<()> {
    call_participant::Entity::update_many()
        .col_expr(call_participant::Column::State, Expr::value(to.as_str()))
        .col_expr(call_participant::Column::LeftAt, Expr::value(at))
        .filter(call_participant::Column::CallId.eq(call_id))
        .filter(call_participant::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Leaves a call (a ringing one is declined). The initiator leaving a call nobody answered
/// yet ends it for everyone. Leaving stops the user's screen share and remote control.
pub async fn leave(state: &AppState, user_id: Uuid, call_id: Uuid) -> AppResult<CallSnapshot> {
    let (call, me) = require_participant(&state.db, user_id, call_id).await?;
    if state_of(&call) == CallState::Ended {
        return super::snapshot(&state.db, call_id).await;
    }
    let from = ParticipantState::of(&me.state);
    let to = match from {
        ParticipantState::Joined => ParticipantState::Left,
        ParticipantState::Ringing => ParticipantState::Declined,
        _ => return super::snapshot(&state.db, call_id).await,
    };
    let at = now();
    if !move_participant(&state.db, call_id, user_id, &[from], to, at).await? {
        return super::snapshot(&state.db, call_id).await;
    }
    super::media::drop_share_of(&state.db, call_id, user_id).await?;
    if call.initiator_id == user_id && call.started_at.is_none() && shape(&call) != Shape::RoomVoice
    {
        let states: Vec<ParticipantState> = participants(&state.db, call_id)
            .await?
            .iter()
            .map(|p| ParticipantState::of(&p.state))
            .collect();
        end_now(&state.db, call_id, end_reason(false, &states), at).await?;
        state.calls.ring_timers.cancel(call_id);
        return announce(state, call_id).await;
    }
    settle_and_announce(state, call_id).await
}

/// Ends the call for everyone: its initiator, or the room's host for room voice.
pub async fn end(state: &AppState, user_id: Uuid, call_id: Uuid) -> AppResult<CallSnapshot> {
    let call = find(&state.db, call_id)
        .await?
        .ok_or_else(super::not_found)?;
    let host = is_room_host(state, &call, user_id).await?;
    if !host && participant(&state.db, call_id, user_id).await?.is_none() {
        return Err(AppError::forbidden("You take no part in this call"));
    }
    if call.initiator_id != user_id && !host {
        return Err(AppError::forbidden(
            "Only the caller (or the room's host, for its voice call) may end the call",
        ));
    }
    if state_of(&call) == CallState::Ended {
        return super::snapshot(&state.db, call_id).await;
    }
    let states: Vec<ParticipantState> = participants(&state.db, call_id)
        .await?
        .iter()
        .map(|p| ParticipantState::of(&p.state))
        .collect();
    let reason = end_reason(call.started_at.is_some(), &states);
    if end_now(&state.db, call_id, reason, now()).await? {
        state.calls.ring_timers.cancel(call_id);
        return announce(state, call_id).await;
    }
    super::snapshot(&state.db, call_id).await
}

async fn is_room_host(state: &AppState, call: &call::Model, user_id: Uuid) -> AppResult<bool> {
    let Some(room_id) = call.room_id else {
        return Ok(false);
    };
    Ok(room::Entity::find_by_id(room_id)
        .one(&state.db)
        .await?
        .is_some_and(|r| r.host_id == user_id))
}

/// A member left or was removed from a room: they leave its voice call.
pub async fn left_room(state: &AppState, room_id: Uuid, user_id: Uuid) -> AppResult<()> {
    let active = call::Entity::find()
        .filter(call::Column::ActiveRoomId.eq(room_id))
        .one(&state.db)
        .await?;
    if let Some(call) = active
        && participant(&state.db, call.id, user_id)
            .await?
            .is_some_and(|p| ParticipantState::of(&p.state) == ParticipantState::Joined)
    {
        leave(state, user_id, call.id).await?;
    }
    Ok(())
}

/// A room closed: its voice call ends.
pub async fn room_closed(state: &AppState, room_id: Uuid) -> AppResult<()> {
    let active = call::Entity::find()
        .filter(call::Column::ActiveRoomId.eq(room_id))
        .one(&state.db)
        .await?;
    if let Some(call) = active
        && end_now(&state.db, call.id, CallEndReason::Hangup, now()).await?
    {
        announce(state, call.id).await?;
    }
    Ok(())
}
