//! Placing calls: to friends (one-to-one, or a conference), to a conversation's members, or a
//! listening room's voice channel.
//!
//! - A callee already joined in another active call, or rung by `CALL_MAX_RINGING` calls, is
//!   `BUSY` at once; a one-to-one call to them then ends `BUSY` (and is still answered).
//! - Glare: a one-to-one call holds its pair of users under a unique key until it ends, so when
//!   A calls B while B's call to A rings (even at the same instant), A's `startCall` answers
//!   B's call instead of placing a second one.
//! - Room voice: one per room (a unique key on the room until it ends); starting it again joins
//!   it. Nobody is rung.

use std::collections::{HashMap, HashSet};

use entity::{call, call_participant};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QuerySelect, Set, TransactionTrait,
    sea_query::Query,
};
use uuid::Uuid;

use super::transitions::{accept, join, join_room_voice, leave_others, settle};
use super::{announce, is_unique_violation, now, now_ms, participant, state_of};
use crate::domain::calls::{
    CallKind, CallState, MediaQuality, ParticipantState, is_busy, pair_key,
};
use crate::error::{AppError, AppResult};
use crate::realtime::{CallSnapshot, Event, Topic, UserEvent};
use crate::service::{messenger, rooms, social};
use crate::state::AppState;

/// Whom a call is placed to.
pub enum Target {
    Users(Vec<Uuid>),
    Conversation(Uuid),
    Room(Uuid),
}

pub async fn start(
    state: &AppState,
    caller: Uuid,
    kind: CallKind,
    target: Target,
) -> AppResult<CallSnapshot> {
    match target {
        Target::Room(room_id) => start_room_voice(state, caller, kind, room_id).await,
        Target::Users(users) => {
            let mut seen = HashSet::new();
            let callees: Vec<Uuid> = users
                .into_iter()
                .filter(|u| *u != caller && seen.insert(*u))
                .collect();
            if callees.is_empty() {
                return Err(AppError::bad_input(
                    "userIds",
                    "Name at least one friend to call",
                ));
            }
            check_size(state, &callees, "userIds")?;
            let friends = social::relations(&state.db, caller, &callees).await?;
            if callees
                .iter()
                .any(|u| friends.get(u) != Some(&social::Relation::Friends))
            {
                return Err(AppError::forbidden("You can only call your friends"));
            }
            let one_to_one = callees.len() == 1;
            if one_to_one {
                let key = pair_key(caller, callees[0]);
                if let Some(existing) = active_pair(state, &key).await? {
                    return answer_existing(state, caller, existing).await;
                }
                match place(state, caller, kind, &callees, Some(key.clone()), None).await {
                    Err(Placing::Taken) => match active_pair(state, &key).await? {
                        Some(existing) => answer_existing(state, caller, existing).await,
                        None => Err(AppError::conflict(
                            "userIds",
                            "That call changed meanwhile; try again",
                        )),
                    },
                    Err(Placing::Failed(e)) => Err(e),
                    Ok(snapshot) => Ok(snapshot),
                }
            } else {
                place(state, caller, kind, &callees, None, None)
                    .await
                    .map_err(Placing::into_error)
            }
        }
        Target::Conversation(conversation_id) => {
            messenger::require_poster(&state.db, caller, conversation_id).await?;
            let callees: Vec<Uuid> = messenger::member_ids(&state.db, conversation_id)
                .await?
                .into_iter()
                .filter(|u| *u != caller)
                .collect();
            if callees.is_empty() {
                return Err(AppError::bad_input(
                    "conversationId",
                    "Nobody else is in this conversation",
                ));
            }
            check_size(state, &callees, "conversationId")?;
            place(state, caller, kind, &callees, None, Some(conversation_id))
                .await
                .map_err(Placing::into_error)
        }
    }
}

fn check_size(state: &AppState, callees: &[Uuid], field: &'static str) -> AppResult<()> {
    let max = state.config.calls.max_participants;
    if callees.len() + 1 > max {
        return Err(AppError::bad_input(
            field,
            format!("A call has at most {max} participants"),
        ));
    }
    Ok(())
}

async fn active_pair(state: &AppState, key: &str) -> AppResult<Option<call::Model>> {
    Ok(call::Entity::find()
        .filter(call::Column::ActivePair.eq(key))
        .one(&state.db)
        .await?)
}

/// The pair already has a call: answer it when it rings the caller (glare), else take part
/// in it as it is.
async fn answer_existing(
    state: &AppState,
    caller: Uuid,
    existing: call::Model,
) -> AppResult<CallSnapshot> {
    let me = participant(&state.db, existing.id, caller).await?;
    match me.map(|p| ParticipantState::of(&p.state)) {
        Some(ParticipantState::Ringing) => accept(state, caller, existing.id).await,
        Some(ParticipantState::Joined) => super::snapshot(&state.db, existing.id).await,
        _ => join(state, caller, existing.id).await,
    }
}

enum Placing {
    /// The one-to-one pair (or the room) has a call already.
    Taken,
    Failed(AppError),
}

impl Placing {
    fn into_error(self) -> AppError {
        match self {
            Placing::Taken => AppError::conflict("input", "That call exists already"),
            Placing::Failed(e) => e,
        }
    }
}

impl<E: Into<AppError>> From<E> for Placing {
    fn from(e: E) -> Self {
        Placing::Failed(e.into())
    }
}

/// Callees who are busy: joined in another active call, or rung by too many calls already.
async fn busy_callees(state: &AppState, callees: &[Uuid]) -> AppResult<HashSet<Uuid>> {
    let live_calls = |wanted: CallState| {
        Query::select()
            .column(call::Column::Id)
            .from(call::Entity)
            .and_where(call::Column::State.eq(wanted.as_str()))
            .to_owned()
    };
    let joined: HashSet<Uuid> = call_participant::Entity::find()
        .select_only()
        .column(call_participant::Column::UserId)
        .filter(call_participant::Column::UserId.is_in(callees.to_vec()))
        .filter(call_participant::Column::State.eq(ParticipantState::Joined.as_str()))
        .filter(call_participant::Column::CallId.in_subquery(live_calls(CallState::Active)))
        .into_tuple::<Uuid>()
        .all(&state.db)
        .await?
        .into_iter()
        .collect();
    let ringing_rows: Vec<Uuid> = call_participant::Entity::find()
        .select_only()
        .column(call_participant::Column::UserId)
        .filter(call_participant::Column::UserId.is_in(callees.to_vec()))
        .filter(call_participant::Column::State.eq(ParticipantState::Ringing.as_str()))
        .into_tuple::<Uuid>()
        .all(&state.db)
        .await?;
    let mut ringing: HashMap<Uuid, usize> = HashMap::new();
    for user in ringing_rows {
        *ringing.entry(user).or_default() += 1;
    }
    let max = state.config.calls.max_ringing;
    Ok(callees
        .iter()
        .copied()
        .filter(|u| {
            is_busy(
                joined.contains(u),
                ringing.get(u).copied().unwrap_or(0),
                max,
            )
        })
        .collect())
}

fn participant_row(
    call: &call::Model,
    user_id: Uuid,
    state: ParticipantState,
) -> call_participant::ActiveModel {
    let joined = state == ParticipantState::Joined;
    let left = !state.is_live();
    call_participant::ActiveModel {
        call_id: Set(call.id),
        user_id: Set(user_id),
        state: Set(state.as_str().to_owned()),
        audio_muted: Set(false),
        video_muted: Set(false),
        quality: Set(MediaQuality::Medium.as_str().to_owned()),
        invited_at: Set(call.created_at),
        joined_at: Set(joined.then_some(call.created_at)),
        left_at: Set(left.then_some(call.created_at)),
        call_created_at: Set(call.created_at),
    }
}

/// Stores a new call ringing `callees` (busy ones marked `BUSY`), then rings them.
async fn place(
    state: &AppState,
    caller: Uuid,
    kind: CallKind,
    callees: &[Uuid],
    pair: Option<String>,
    conversation_id: Option<Uuid>,
) -> Result<CallSnapshot, Placing> {
    let busy = busy_callees(state, callees).await?;
    let at = now();
    let rings = callees.iter().any(|u| !busy.contains(u));
    let call = call::Model {
        id: Uuid::new_v4(),
        kind: kind.as_str().to_owned(),
        state: CallState::Ringing.as_str().to_owned(),
        one_to_one: pair.is_some(),
        initiator_id: caller,
        conversation_id,
        room_id: None,
        active_pair: pair,
        active_room_id: None,
        ring_deadline_ms: rings.then(|| {
            now_ms() + i64::try_from(state.config.calls.ring_timeout.as_millis()).unwrap_or(60_000)
        }),
        share_user_id: None,
        share_has_audio: false,
        share_quality: None,
        share_controller_id: None,
        share_started_at: None,
        created_at: at,
        started_at: None,
        ended_at: None,
        end_reason: None,
    };
    let txn = state.db.begin().await?;
    let inserted = call::ActiveModel::from(call.clone()).insert(&txn).await;
    match inserted {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => return Err(Placing::Taken),
        Err(e) => return Err(e.into()),
    }
    let mut rows = vec![participant_row(&call, caller, ParticipantState::Joined)];
    for callee in callees {
        let st = if busy.contains(callee) {
            ParticipantState::Busy
        } else {
            ParticipantState::Ringing
        };
        rows.push(participant_row(&call, *callee, st));
    }
    call_participant::Entity::insert_many(rows)
        .exec(&txn)
        .await?;
    txn.commit().await?;

    leave_others(state, caller, call.id).await?;
    if let Some(deadline) = call.ring_deadline_ms {
        super::timer::schedule(state, call.id, deadline);
    }
    settle(state, call.id).await?;
    let snapshot = super::snapshot(&state.db, call.id).await?;
    ring(state, caller, &snapshot).await?;
    Ok(snapshot)
}

/// `IncomingCall` to every device of each ringing callee; `CallUpdated` to everyone else.
async fn ring(state: &AppState, caller: Uuid, snapshot: &CallSnapshot) -> AppResult<()> {
    let from = entity::user::Entity::find_by_id(caller)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::unauthenticated("Account no longer exists"))?;
    let ringing: Vec<Uuid> = snapshot
        .participants
        .iter()
        .filter(|p| ParticipantState::of(&p.state) == ParticipantState::Ringing)
        .map(|p| p.user_id)
        .collect();
    let at = chrono::Utc::now();
    for user in &ringing {
        state.bus.publish(
            Topic::User(*user),
            Event::User(UserEvent::IncomingCall {
                call: snapshot.clone(),
                from: from.clone(),
                at,
            }),
        );
    }
    super::publish_update(state, snapshot, &ringing);
    Ok(())
}

/// The room's voice call: joined when it exists, else started (by a member).
async fn start_room_voice(
    state: &AppState,
    caller: Uuid,
    kind: CallKind,
    room_id: Uuid,
) -> AppResult<CallSnapshot> {
    rooms::require_member(state, caller, room_id).await?;
    for _ in 0..3 {
        let existing = call::Entity::find()
            .filter(call::Column::ActiveRoomId.eq(room_id))
            .one(&state.db)
            .await?;
        if let Some(existing) = existing {
            if state_of(&existing) == CallState::Ended {
                continue;
            }
            return match participant(&state.db, existing.id, caller).await? {
                Some(_) => join(state, caller, existing.id).await,
                None => join_room_voice(state, caller, &existing).await,
            };
        }
        let at = now();
        let call = call::Model {
            id: Uuid::new_v4(),
            kind: kind.as_str().to_owned(),
            state: CallState::Active.as_str().to_owned(),
            one_to_one: false,
            initiator_id: caller,
            conversation_id: None,
            room_id: Some(room_id),
            active_pair: None,
            active_room_id: Some(room_id),
            ring_deadline_ms: None,
            share_user_id: None,
            share_has_audio: false,
            share_quality: None,
            share_controller_id: None,
            share_started_at: None,
            created_at: at,
            started_at: Some(at),
            ended_at: None,
            end_reason: None,
        };
        let txn = state.db.begin().await?;
        match call::ActiveModel::from(call.clone()).insert(&txn).await {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => {
                txn.rollback().await?;
                continue;
            }
            Err(e) => return Err(e.into()),
        }
        participant_row(&call, caller, ParticipantState::Joined)
            .insert(&txn)
            .await?;
        txn.commit().await?;
        leave_others(state, caller, call.id).await?;
        return announce(state, call.id).await;
    }
    Err(AppError::conflict(
        "roomId",
        "The room's voice call changed meanwhile; try again",
    ))
}
