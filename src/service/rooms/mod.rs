//! Listening rooms: creation, who may see them and who is a member, listing. Membership
//! changes are in [`membership`], settings in [`settings`], invitations and bans in [`access`],
//! shared playback in [`playback`], the queue in [`queue`], chat in [`chat`], connections,
//! snapshots and the idle sweep in [`live`].
//!
//! Rules:
//! - PUBLIC rooms: anyone may see and join. FRIENDS: the host's friends (and invited users).
//!   PRIVATE: users the host invited only. Members always see their rooms. A kicked user is
//!   banned from the room until the host invites them again (invitations and bans are in
//!   [`access`]).
//! - Playback control is a room setting: `HOST_ONLY` (default), `EVERYONE`, or `DJS` (the host
//!   and members given the DJ role). Everyone may add to the queue.
//! - When the host leaves, the longest-present member becomes host (connected members first).
//!   A room whose last member left stays open; the next member to join becomes its host.
//! - A room nobody is connected to and where nothing happened for `ROOM_IDLE_CLOSE_SECS` is
//!   closed by a periodic sweep ([`live::sweep_idle`]).
//!
//! Membership changes lock the room's row first (`UPDATE rooms … WHERE closed_at IS NULL`) in
//! their transaction, so concurrent joins cannot overfill a room, even across instances.

pub mod access;
pub mod chat;
mod command_read;
pub mod live;
pub mod membership;
pub mod playback;
pub mod queue;
pub mod settings;
pub mod timer;
pub mod votes;

use chrono::Utc;
use entity::{room, room_user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder, Set, TransactionTrait,
    sea_query::{Expr, Query},
};
use uuid::Uuid;

use crate::domain::rooms::{
    ControlMode, Role, RoomName, Visibility, activity_mark_due, skip_vote_percent,
};
use crate::error::{AppError, AppResult};
use crate::realtime::{Event, RoomEvent, RoomMessage, Topic};
use crate::service::social;
use crate::state::AppState;

pub struct NewRoom<'a> {
    pub name: &'a str,
    pub visibility: Visibility,
    pub control_mode: Option<ControlMode>,
    pub wait_for_all: Option<bool>,
    pub skip_vote_percent: Option<i32>,
}

pub fn publish(state: &AppState, room_id: Uuid, event: RoomEvent) {
    state.bus.publish(
        Topic::Room(room_id),
        Event::Room(RoomMessage::new(room_id, event)),
    );
}

pub async fn create(state: &AppState, host: Uuid, input: NewRoom<'_>) -> AppResult<room::Model> {
    let name = RoomName::parse(input.name)?;
    let percent = skip_vote_percent(
        input
            .skip_vote_percent
            .unwrap_or(state.config.rooms.skip_vote_percent),
    )?;
    let now = Utc::now();
    let txn = state.db.begin().await?;
    let room = room::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(name.into_string()),
        host_id: Set(host),
        visibility: Set(input.visibility.as_str().to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        closed_at: Set(None),
        control_mode: Set(input
            .control_mode
            .unwrap_or(ControlMode::HostOnly)
            .as_str()
            .to_owned()),
        wait_for_all: Set(input.wait_for_all.unwrap_or(false)),
        skip_vote_percent: Set(percent),
    }
    .insert(&txn)
    .await?;
    room_user::ActiveModel {
        room_id: Set(room.id),
        user_id: Set(host),
        role: Set(Role::Host.as_str().to_owned()),
        joined_at: Set(now),
        wait_opt_out: Set(false),
        last_read_message_id: Set(None),
    }
    .insert(&txn)
    .await?;
    playback::insert_empty(&txn, room.id).await?;
    txn.commit().await?;
    Ok(room)
}

pub async fn find(db: &impl ConnectionTrait, room_id: Uuid) -> AppResult<Option<room::Model>> {
    Ok(room::Entity::find_by_id(room_id).one(db).await?)
}

/// An open room, or `NOT_FOUND` (also for closed rooms).
pub async fn find_open(db: &impl ConnectionTrait, room_id: Uuid) -> AppResult<room::Model> {
    find(db, room_id)
        .await?
        .filter(|r| r.closed_at.is_none())
        .ok_or_else(not_found)
}

fn not_found() -> AppError {
    AppError::not_found("Room not found")
}

pub async fn membership(
    db: &impl ConnectionTrait,
    room_id: Uuid,
    user_id: Uuid,
) -> AppResult<Option<room_user::Model>> {
    Ok(room_user::Entity::find_by_id((room_id, user_id))
        .one(db)
        .await?)
}

/// Whether `viewer` may see `room` (its members, playback and queue).
pub async fn can_see(
    db: &impl ConnectionTrait,
    viewer: Option<Uuid>,
    room: &room::Model,
) -> AppResult<bool> {
    if Visibility::of(room) == Visibility::Public {
        return Ok(true);
    }
    let Some(viewer) = viewer else {
        return Ok(false);
    };
    if viewer == room.host_id || membership(db, room.id, viewer).await?.is_some() {
        return Ok(true);
    }
    if access::find(db, room.id, viewer)
        .await?
        .is_some_and(|a| access::admits(room, &a))
    {
        return Ok(true);
    }
    Ok(Visibility::of(room) == Visibility::Friends
        && social::are_friends(db, viewer, room.host_id).await?)
}

/// The room if `viewer` may see it (closed rooms included); `None` otherwise.
pub async fn visible(
    db: &impl ConnectionTrait,
    viewer: Option<Uuid>,
    room_id: Uuid,
) -> AppResult<Option<room::Model>> {
    let Some(room) = find(db, room_id).await? else {
        return Ok(None);
    };
    Ok(can_see(db, viewer, &room).await?.then_some(room))
}

/// The open room and the user's membership: `NOT_FOUND` when they may not see it, `FORBIDDEN`
/// when they see it but have not joined.
pub async fn require_member(
    state: &AppState,
    user_id: Uuid,
    room_id: Uuid,
) -> AppResult<(room::Model, room_user::Model)> {
    let room = find_open(&state.db, room_id).await?;
    member_of(state, user_id, room).await
}

/// Like [`require_member`], for a room that may be closed (reading its history).
pub async fn require_member_any(
    state: &AppState,
    user_id: Uuid,
    room_id: Uuid,
) -> AppResult<(room::Model, room_user::Model)> {
    let room = find(&state.db, room_id).await?.ok_or_else(not_found)?;
    member_of(state, user_id, room).await
}

async fn member_of(
    state: &AppState,
    user_id: Uuid,
    room: room::Model,
) -> AppResult<(room::Model, room_user::Model)> {
    match membership(&state.db, room.id, user_id).await? {
        Some(member) => Ok((room, member)),
        None if can_see(&state.db, Some(user_id), &room).await? => Err(AppError::forbidden(
            "You are not a member of this room; join it first",
        )),
        None => Err(not_found()),
    }
}

/// Whether this member may control playback under the room's control mode.
pub fn can_control(room: &room::Model, member: &room_user::Model) -> bool {
    match (Role::of(member), ControlMode::of(room)) {
        (Role::Host, _) => true,
        (_, ControlMode::Everyone) => true,
        (Role::Dj, ControlMode::Djs) => true,
        _ => member.user_id == room.host_id,
    }
}

pub async fn require_controller(
    state: &AppState,
    user_id: Uuid,
    room_id: Uuid,
) -> AppResult<(room::Model, room_user::Model)> {
    let (room, member) = require_member(state, user_id, room_id).await?;
    check_control(&room, &member)?;
    Ok((room, member))
}

/// `FORBIDDEN` unless this member may control playback under the room's control mode.
pub fn check_control(room: &room::Model, member: &room_user::Model) -> AppResult<()> {
    if can_control(room, member) {
        return Ok(());
    }
    let who = match ControlMode::of(room) {
        ControlMode::HostOnly => "the host",
        ControlMode::Djs => "the host and DJs",
        ControlMode::Everyone => "members",
    };
    Err(AppError::forbidden(format!(
        "Only {who} may control playback in this room"
    )))
}

pub async fn require_host(
    state: &AppState,
    user_id: Uuid,
    room_id: Uuid,
) -> AppResult<(room::Model, room_user::Model)> {
    let (room, member) = require_member(state, user_id, room_id).await?;
    if room.host_id != user_id {
        return Err(AppError::forbidden("Only the host may do this"));
    }
    Ok((room, member))
}

/// In a transaction: locks the open room's row (and marks activity); `NOT_FOUND` when closed.
pub async fn lock_row(txn: &DatabaseTransaction, room_id: Uuid) -> AppResult<()> {
    let result = room::Entity::update_many()
        .col_expr(room::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(room::Column::Id.eq(room_id))
        .filter(room::Column::ClosedAt.is_null())
        .exec(txn)
        .await?;
    if result.rows_affected == 1 {
        Ok(())
    } else {
        Err(not_found())
    }
}

/// Whether a command now writes `room`'s activity mark: only when it is stale (see
/// [`activity_mark_due`]), so a busy room's commands skip the extra write.
pub fn activity_mark_stale(state: &AppState, room: &room::Model) -> bool {
    activity_mark_due(room.updated_at, Utc::now(), state.config.rooms.idle_close)
}

/// Marks activity in the room (keeps it from being closed as idle, sorts it up in `rooms`).
pub async fn touch(db: &impl ConnectionTrait, room_id: Uuid) -> AppResult<()> {
    room::Entity::update_many()
        .col_expr(room::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(room::Column::Id.eq(room_id))
        .filter(room::Column::ClosedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// One page of the rooms `viewer` may see that are open: public rooms, their rooms, rooms
/// they are invited to and their friends' FRIENDS rooms; newest activity first.
pub async fn list(
    db: &impl ConnectionTrait,
    viewer: Option<Uuid>,
    offset: u64,
    limit: u64,
) -> AppResult<(Vec<room::Model>, u64)> {
    let mut any = Condition::any().add(room::Column::Visibility.eq(Visibility::Public.as_str()));
    if let Some(viewer) = viewer {
        any = any
            .add(
                room::Column::Id.in_subquery(
                    Query::select()
                        .column(room_user::Column::RoomId)
                        .from(room_user::Entity)
                        .and_where(room_user::Column::UserId.eq(viewer))
                        .to_owned(),
                ),
            )
            .add(access::admitting(viewer));
        let friends = social::friend_ids(db, viewer).await?;
        if !friends.is_empty() {
            any = any.add(
                Condition::all()
                    .add(room::Column::Visibility.eq(Visibility::Friends.as_str()))
                    .add(room::Column::HostId.is_in(friends)),
            );
        }
    }
    let query = room::Entity::find()
        .filter(room::Column::ClosedAt.is_null())
        .filter(any)
        .order_by_desc(room::Column::UpdatedAt)
        .order_by_desc(room::Column::Id);
    crate::service::paging::page(db, query, offset, limit).await
}

/// Members in the order they joined.
pub async fn members(db: &impl ConnectionTrait, room_id: Uuid) -> AppResult<Vec<room_user::Model>> {
    Ok(room_user::Entity::find()
        .filter(room_user::Column::RoomId.eq(room_id))
        .order_by_asc(room_user::Column::JoinedAt)
        .order_by_asc(room_user::Column::UserId)
        .all(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_modes() {
        let now = Utc::now();
        let host = Uuid::new_v4();
        let mut room = room::Model {
            id: Uuid::new_v4(),
            name: "r".into(),
            host_id: host,
            visibility: "PUBLIC".into(),
            created_at: now,
            updated_at: now,
            closed_at: None,
            control_mode: "HOST_ONLY".into(),
            wait_for_all: false,
            skip_vote_percent: 50,
        };
        let member = |user_id, role: Role| room_user::Model {
            room_id: room.id,
            user_id,
            role: role.as_str().into(),
            joined_at: now,
            wait_opt_out: false,
            last_read_message_id: None,
        };
        let (h, dj, guest) = (
            member(host, Role::Host),
            member(Uuid::new_v4(), Role::Dj),
            member(Uuid::new_v4(), Role::Listener),
        );
        assert!(can_control(&room, &h) && !can_control(&room, &dj) && !can_control(&room, &guest));
        room.control_mode = "DJS".into();
        assert!(can_control(&room, &h) && can_control(&room, &dj) && !can_control(&room, &guest));
        room.control_mode = "EVERYONE".into();
        assert!(can_control(&room, &guest));
    }
}
