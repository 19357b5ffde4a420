//! Calls: one-to-one calls and conferences between friends or a conversation's members, and a
//! listening room's voice channel. Placing them ([`start`]), answering, joining, leaving and
//! ending them ([`transitions`]), ring timeouts ([`timer`]), signalling and the other relayed
//! messages ([`relay`]), media state and screen sharing ([`media`]), history ([`history`]) and
//! the ICE servers handed to clients ([`ice`]).
//!
//! Rules:
//! - Only participants see a call: `call` is `null` for everyone else, mutations and
//!   `callEvents` are `FORBIDDEN` (`NOT_FOUND` for an unknown id).
//! - Every transition of a participant (ring, accept, decline, join, leave, time out) is one
//!   conditional UPDATE on its row (`… WHERE state = 'RINGING'` and the call not ended), and so
//!   is every change of the call (active, ended, screen share): of two devices accepting at
//!   once, a decline racing an accept, or two instances timing out the same ring, exactly one
//!   wins, and only the winner announces the change.
//! - After each change the call is settled ([`transitions::settle`], the rule in
//!   [`crate::domain::calls::settle`]) and announced: `CallUpdated` to every device of every
//!   participant (`user:{id}`) and on the call's topic (`call:{id}`).
//! - A user is `JOINED` in at most one call: answering or joining another leaves the first.

pub mod history;
pub mod ice;
pub mod media;
pub mod relay;
pub mod start;
pub mod timer;
pub mod transitions;

use chrono::{DateTime, SubsecRound, Utc};
use entity::{call, call_participant};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::domain::calls::{CallState, ParticipantState, Shape};
use crate::error::{AppError, AppResult};
use crate::realtime::{CallEvent, CallMessage, CallSnapshot, Event, Topic, UserEvent};
use crate::state::AppState;

/// The current time as stored (PostgreSQL keeps microseconds).
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

pub fn not_found() -> AppError {
    AppError::not_found("Call not found")
}

pub fn ended() -> AppError {
    AppError::conflict("callId", "The call has ended")
}

pub async fn find(db: &impl ConnectionTrait, call_id: Uuid) -> AppResult<Option<call::Model>> {
    Ok(call::Entity::find_by_id(call_id).one(db).await?)
}

/// A call's participants in the order they were rung or joined.
pub async fn participants(
    db: &impl ConnectionTrait,
    call_id: Uuid,
) -> AppResult<Vec<call_participant::Model>> {
    Ok(call_participant::Entity::find()
        .filter(call_participant::Column::CallId.eq(call_id))
        .order_by_asc(call_participant::Column::InvitedAt)
        .order_by_asc(call_participant::Column::UserId)
        .all(db)
        .await?)
}

pub async fn participant(
    db: &impl ConnectionTrait,
    call_id: Uuid,
    user_id: Uuid,
) -> AppResult<Option<call_participant::Model>> {
    Ok(call_participant::Entity::find_by_id((call_id, user_id))
        .one(db)
        .await?)
}

pub fn state_of(call: &call::Model) -> CallState {
    CallState::of(&call.state)
}

pub fn shape(call: &call::Model) -> Shape {
    if call.room_id.is_some() {
        Shape::RoomVoice
    } else if call.one_to_one {
        Shape::OneToOne
    } else {
        Shape::Conference
    }
}

/// The call and the user's place in it: `NOT_FOUND` for an unknown call, `FORBIDDEN` for
/// someone who takes no part in it.
pub async fn require_participant(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    call_id: Uuid,
) -> AppResult<(call::Model, call_participant::Model)> {
    let call = find(db, call_id).await?.ok_or_else(not_found)?;
    let me = participant(db, call_id, user_id)
        .await?
        .ok_or_else(|| AppError::forbidden("You take no part in this call"))?;
    Ok((call, me))
}

/// Like [`require_participant`], and the user is joined in the call right now.
pub async fn require_joined(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    call_id: Uuid,
) -> AppResult<(call::Model, call_participant::Model)> {
    let (call, me) = require_participant(db, user_id, call_id).await?;
    if state_of(&call) == CallState::Ended {
        return Err(ended());
    }
    if ParticipantState::of(&me.state) != ParticipantState::Joined {
        return Err(AppError::conflict(
            "callId",
            "You are not joined in this call",
        ));
    }
    Ok((call, me))
}

/// The call if the user takes part in it.
pub async fn visible(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    call_id: Uuid,
) -> AppResult<Option<call::Model>> {
    if participant(db, call_id, user_id).await?.is_none() {
        return Ok(None);
    }
    find(db, call_id).await
}

pub async fn snapshot(db: &impl ConnectionTrait, call_id: Uuid) -> AppResult<CallSnapshot> {
    let call = find(db, call_id).await?.ok_or_else(not_found)?;
    let participants = participants(db, call_id).await?;
    Ok(CallSnapshot { call, participants })
}

/// Reads the call as it is now and tells every participant's devices and the call's topic.
pub async fn announce(state: &AppState, call_id: Uuid) -> AppResult<CallSnapshot> {
    let snapshot = snapshot(&state.db, call_id).await?;
    publish_update(state, &snapshot, &[]);
    Ok(snapshot)
}

/// `CallUpdated` to every participant but `skip`, and on the call's topic.
pub fn publish_update(state: &AppState, snapshot: &CallSnapshot, skip: &[Uuid]) {
    let at = Utc::now();
    for p in &snapshot.participants {
        if skip.contains(&p.user_id) {
            continue;
        }
        state.bus.publish(
            Topic::User(p.user_id),
            Event::User(UserEvent::CallUpdated {
                call: snapshot.clone(),
                at,
            }),
        );
    }
    publish_on_call(
        state,
        snapshot.call.id,
        None,
        CallEvent::Updated(Box::new(snapshot.clone())),
    );
}

/// An event on the call's topic, for `to`'s devices only when given.
pub fn publish_on_call(state: &AppState, call_id: Uuid, to: Option<Uuid>, event: CallEvent) {
    state.bus.publish(
        Topic::Call(call_id),
        Event::Call(CallMessage {
            call_id,
            to,
            event,
            at: Utc::now(),
        }),
    );
}

pub(crate) fn is_unique_violation(err: &sea_orm::DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}
