//! Ring timeouts: each ringing call has a stored deadline (`ring_deadline_ms`) and, on every
//! instance that knows of it, a timer for it (armed when the call is placed, and for every
//! ringing call at start-up). When a timer fires, the participants still ringing become
//! `MISSED` in one conditional UPDATE: with several instances firing, one of them makes the
//! change and announces it, the others find nothing to do.

use std::{future::Future, pin::Pin};

use entity::{call, call_participant};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use uuid::Uuid;

use super::{announce, find, now, now_ms, state_of};
use crate::domain::calls::{CallState, ParticipantState};
use crate::error::AppResult;
use crate::state::AppState;

type Task = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Arms the call's ring timer for `deadline_ms` (Unix epoch ms).
pub fn schedule(state: &AppState, call_id: Uuid, deadline_ms: i64) {
    state
        .calls
        .ring_timers
        .arm(call_id, deadline_ms, on_timer(state.clone(), call_id));
}

fn on_timer(state: AppState, call_id: Uuid) -> Task {
    Box::pin(async move {
        if let Err(e) = due(&state, call_id).await {
            tracing::warn!(error = ?e, %call_id, "call ring timeout failed; retrying in 1 s");
            schedule(&state, call_id, now_ms() + 1000);
        }
    })
}

/// The timer fired: those still ringing missed the call (unless the deadline moved or another
/// instance got there first). `true` when this instance made the change.
pub async fn due(state: &AppState, call_id: Uuid) -> AppResult<bool> {
    let Some(call) = find(&state.db, call_id).await? else {
        return Ok(false);
    };
    if state_of(&call) == CallState::Ended {
        return Ok(false);
    }
    let Some(deadline) = call.ring_deadline_ms else {
        return Ok(false);
    };
    if deadline > now_ms() {
        schedule(state, call_id, deadline);
        return Ok(false);
    }
    let missed = call_participant::Entity::update_many()
        .col_expr(
            call_participant::Column::State,
            Expr::value(ParticipantState::Missed.as_str()),
        )
        .col_expr(call_participant::Column::LeftAt, Expr::value(now()))
        .filter(call_participant::Column::CallId.eq(call_id))
        .filter(call_participant::Column::State.eq(ParticipantState::Ringing.as_str()))
        .exec(&state.db)
        .await?
        .rows_affected;
    call::Entity::update_many()
        .col_expr(
            call::Column::RingDeadlineMs,
            Expr::value(Option::<i64>::None),
        )
        .filter(call::Column::Id.eq(call_id))
        .filter(call::Column::RingDeadlineMs.eq(deadline))
        .exec(&state.db)
        .await?;
    if missed == 0 {
        return Ok(false);
    }
    super::transitions::settle(state, call_id).await?;
    announce(state, call_id).await?;
    Ok(true)
}

/// Arms the ring timer of every call that still rings someone (start-up); a deadline that
/// passed while no instance ran fires at once.
pub async fn rearm_all(state: &AppState) -> AppResult<usize> {
    let ringing = call::Entity::find()
        .filter(call::Column::RingDeadlineMs.is_not_null())
        .filter(call::Column::State.ne(CallState::Ended.as_str()))
        .all(&state.db)
        .await?;
    let mut armed = 0;
    for call in ringing {
        if let Some(deadline) = call.ring_deadline_ms {
            schedule(state, call.id, deadline);
            armed += 1;
        }
    }
    if armed > 0 {
        tracing::info!(calls = armed, "re-armed call ring timers");
    }
    Ok(armed)
}
