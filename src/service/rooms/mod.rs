//! Listening rooms: creation, who may see and join them, membership, roles and settings,
//! invitations, kicks, host hand-over, closing. (Connections, snapshots and the idle sweep are
//! in `room_live`.)
//!
//! Rules:
//! - PUBLIC rooms: anyone may see and join. FRIENDS: the host's friends (and invited users).
//!   PRIVATE: users the host invited only. Members always see their rooms. A kicked user is
//!   banned from the room until the host invites them again (invitations and bans are in
//!   `room_access`).
//! - Playback control is a room setting: `HOST_ONLY` (default), `EVERYONE`, or `DJS` (the host
//!   and members given the DJ role). Everyone may add to the queue.
//! - When the host leaves, the longest-present member becomes host (connected members first).
//!   A room whose last member left stays open; the next member to join becomes its host.
//! - A room nobody is connected to and where nothing happened for `ROOM_IDLE_CLOSE_SECS` is
//!   closed by a periodic sweep (`room_live::sweep_idle`).
//!
//! Membership changes lock the room's row first (`UPDATE rooms … WHERE closed_at IS NULL`) in
//! their transaction, so concurrent joins cannot overfill a room, even across instances.

pub mod access;
pub mod chat;
pub mod live;
pub mod playback;
pub mod queue;

use std::collections::HashSet;

use chrono::Utc;
use entity::{room, room_skip_vote, room_user, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
    sea_query::{Expr, Query},
};
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::realtime::{Event, RoomEvent, RoomMessage, Topic};
use crate::service::social;
use crate::state::AppState;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Visibility {
    Public,
    Friends,
    Private,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "PUBLIC",
            Self::Friends => "FRIENDS",
            Self::Private => "PRIVATE",
        }
    }

    pub fn of(room: &room::Model) -> Self {
        match room.visibility.as_str() {
            "FRIENDS" => Self::Friends,
            "PRIVATE" => Self::Private,
            _ => Self::Public,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ControlMode {
    HostOnly,
    Everyone,
    Djs,
}

impl ControlMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HostOnly => "HOST_ONLY",
            Self::Everyone => "EVERYONE",
            Self::Djs => "DJS",
        }
    }

    pub fn of(room: &room::Model) -> Self {
        match room.control_mode.as_str() {
            "EVERYONE" => Self::Everyone,
            "DJS" => Self::Djs,
            _ => Self::HostOnly,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Host,
    Dj,
    Listener,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Host => "HOST",
            Self::Dj => "DJ",
            Self::Listener => "LISTENER",
        }
    }

    pub fn of(member: &room_user::Model) -> Self {
        match member.role.as_str() {
            "HOST" => Self::Host,
            "DJ" => Self::Dj,
            _ => Self::Listener,
        }
    }
}

/// A room's name: trimmed, 1–80 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomName(String);

impl RoomName {
    pub const MAX: usize = 80;

    pub fn parse(raw: &str) -> AppResult<Self> {
        let name = raw.trim();
        let len = name.chars().count();
        if len == 0 || len > Self::MAX {
            return Err(AppError::bad_input(
                "name",
                format!("A room name has 1–{} characters", Self::MAX),
            ));
        }
        if name.chars().any(char::is_control) {
            return Err(AppError::bad_input(
                "name",
                "A room name may not contain control characters",
            ));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A skip-vote threshold: more than this percentage of connected members.
fn skip_vote_percent(value: i32) -> AppResult<i32> {
    if (0..100).contains(&value) {
        Ok(value)
    } else {
        Err(AppError::bad_input(
            "skipVotePercent",
            "skipVotePercent must be 0–99 (a vote passes with more than this share)",
        ))
    }
}

pub struct NewRoom<'a> {
    pub name: &'a str,
    pub visibility: Visibility,
    pub control_mode: Option<ControlMode>,
    pub wait_for_all: Option<bool>,
    pub skip_vote_percent: Option<i32>,
}

/// Changes to a room's settings; `None` keeps a value.
#[derive(Default)]
pub struct RoomPatch<'a> {
    pub name: Option<&'a str>,
    pub visibility: Option<Visibility>,
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
    state: &AppState,
    viewer: Option<Uuid>,
    room_id: Uuid,
) -> AppResult<Option<room::Model>> {
    let Some(room) = find(&state.db, room_id).await? else {
        return Ok(None);
    };
    Ok(can_see(&state.db, viewer, &room).await?.then_some(room))
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
    if !can_control(&room, &member) {
        let who = match ControlMode::of(&room) {
            ControlMode::HostOnly => "the host",
            ControlMode::Djs => "the host and DJs",
            ControlMode::Everyone => "members",
        };
        return Err(AppError::forbidden(format!(
            "Only {who} may control playback in this room"
        )));
    }
    Ok((room, member))
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

pub async fn join(state: &AppState, user_id: Uuid, room_id: Uuid) -> AppResult<room::Model> {
    let _turn = state.rooms.lock(room_id).await;
    let room = find_open(&state.db, room_id).await?;
    if membership(&state.db, room_id, user_id).await?.is_some() {
        return Ok(room);
    }
    let grant = access::find(&state.db, room_id, user_id).await?;
    if grant.as_ref().is_some_and(access::is_ban) {
        return Err(AppError::forbidden(
            "You were removed from this room; the host can invite you back",
        ));
    }
    let invited = grant.is_some_and(|a| access::admits(&room, &a));
    let allowed = invited
        || user_id == room.host_id
        || match Visibility::of(&room) {
            Visibility::Public => true,
            Visibility::Friends => social::are_friends(&state.db, user_id, room.host_id).await?,
            Visibility::Private => false,
        };
    if !allowed {
        return Err(if can_see(&state.db, Some(user_id), &room).await? {
            AppError::forbidden("This room is private; ask the host for an invitation")
        } else {
            not_found()
        });
    }
    let max = state.config.rooms.max_members;
    let txn = state.db.begin().await?;
    lock_row(&txn, room_id).await?;
    let count = room_user::Entity::find()
        .filter(room_user::Column::RoomId.eq(room_id))
        .count(&txn)
        .await?;
    if count >= max as u64 {
        return Err(AppError::forbidden(format!(
            "The room is full ({max} members)"
        )));
    }
    let becomes_host = count == 0;
    let member = room_user::ActiveModel {
        room_id: Set(room_id),
        user_id: Set(user_id),
        role: Set(if becomes_host {
            Role::Host
        } else {
            Role::Listener
        }
        .as_str()
        .to_owned()),
        joined_at: Set(Utc::now()),
        wait_opt_out: Set(false),
        last_read_message_id: Set(None),
    }
    .insert(&txn)
    .await?;
    let previous_host = room.host_id;
    if becomes_host && previous_host != user_id {
        set_host(&txn, room_id, user_id).await?;
    }
    txn.commit().await?;
    let user = user::Entity::find_by_id(user_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::unauthenticated("Account no longer exists"))?;
    publish(state, room_id, RoomEvent::MemberJoined { user, member });
    if becomes_host && previous_host != user_id {
        publish(
            state,
            room_id,
            RoomEvent::HostChanged {
                host_id: user_id,
                previous_host_id: Some(previous_host),
            },
        );
    }
    find_open(&state.db, room_id).await
}

async fn set_host(txn: &DatabaseTransaction, room_id: Uuid, host: Uuid) -> AppResult<()> {
    room::Entity::update_many()
        .col_expr(room::Column::HostId, Expr::value(host))
        .filter(room::Column::Id.eq(room_id))
        .exec(txn)
        .await?;
    set_role_in(txn, room_id, host, Role::Host).await
}

async fn set_role_in(
    txn: &DatabaseTransaction,
    room_id: Uuid,
    user_id: Uuid,
    role: Role,
) -> AppResult<()> {
    room_user::Entity::update_many()
        .col_expr(room_user::Column::Role, Expr::value(role.as_str()))
        .filter(room_user::Column::RoomId.eq(room_id))
        .filter(room_user::Column::UserId.eq(user_id))
        .exec(txn)
        .await?;
    Ok(())
}

/// The member who becomes host when the host goes: connected members first, then the one
/// who joined earliest.
async fn successor(
    state: &AppState,
    txn: &DatabaseTransaction,
    room_id: Uuid,
) -> AppResult<Option<Uuid>> {
    let members = room_user::Entity::find()
        .filter(room_user::Column::RoomId.eq(room_id))
        .order_by_asc(room_user::Column::JoinedAt)
        .order_by_asc(room_user::Column::UserId)
        .all(txn)
        .await?;
    let connected: HashSet<Uuid> = state
        .rooms
        .presence
        .connected(room_id)
        .into_iter()
        .collect();
    Ok(members
        .iter()
        .find(|m| connected.contains(&m.user_id))
        .or_else(|| members.first())
        .map(|m| m.user_id))
}

/// Removes `user_id` from the room (leaving, or kicked with a ban). `false` when not a member.
async fn remove_member(
    state: &AppState,
    room: &room::Model,
    user_id: Uuid,
    ban_by: Option<Uuid>,
) -> AppResult<bool> {
    let room_id = room.id;
    let txn = state.db.begin().await?;
    lock_row(&txn, room_id).await?;
    let removed = room_user::Entity::delete_many()
        .filter(room_user::Column::RoomId.eq(room_id))
        .filter(room_user::Column::UserId.eq(user_id))
        .exec(&txn)
        .await?
        .rows_affected
        == 1;
    if !removed {
        return Ok(false);
    }
    room_skip_vote::Entity::delete_many()
        .filter(room_skip_vote::Column::RoomId.eq(room_id))
        .filter(room_skip_vote::Column::UserId.eq(user_id))
        .exec(&txn)
        .await?;
    if let Some(by) = ban_by {
        access::ban(&txn, room_id, user_id, by).await?;
    }
    let mut new_host = None;
    if room.host_id == user_id
        && let Some(next) = successor(state, &txn, room_id).await?
    {
        set_host(&txn, room_id, next).await?;
        new_host = Some(next);
    }
    txn.commit().await?;
    publish(
        state,
        room_id,
        RoomEvent::MemberLeft {
            user_id,
            kicked: ban_by.is_some(),
        },
    );
    if let Some(host_id) = new_host {
        publish(
            state,
            room_id,
            RoomEvent::HostChanged {
                host_id,
                previous_host_id: Some(user_id),
            },
        );
    }
    if state.rooms.typing.stop(room_id, user_id) {
        publish(
            state,
            room_id,
            RoomEvent::TypingChanged {
                user_id,
                is_typing: false,
            },
        );
    }
    Ok(true)
}

/// Leaves the room; `false` when the user was not a member.
pub async fn leave(state: &AppState, user_id: Uuid, room_id: Uuid) -> AppResult<bool> {
    let removed = {
        let _turn = state.rooms.lock(room_id).await;
        let Some(room) = find(&state.db, room_id).await? else {
            return Err(not_found());
        };
        if room.closed_at.is_some() {
            // Nothing to announce in a closed room: just forget the membership.
            let result = room_user::Entity::delete_many()
                .filter(room_user::Column::RoomId.eq(room_id))
                .filter(room_user::Column::UserId.eq(user_id))
                .exec(&state.db)
                .await?;
            return Ok(result.rows_affected == 1);
        }
        remove_member(state, &room, user_id, None).await?
    };
    if removed {
        playback::recheck(state, room_id).await;
    }
    Ok(removed)
}

/// The host removes a member, who may not rejoin until invited again.
pub async fn kick(state: &AppState, host: Uuid, room_id: Uuid, user_id: Uuid) -> AppResult<bool> {
    if host == user_id {
        return Err(AppError::bad_input(
            "userId",
            "You cannot remove yourself; leave the room instead",
        ));
    }
    let removed = {
        let _turn = state.rooms.lock(room_id).await;
        let (room, _) = require_host(state, host, room_id).await?;
        if membership(&state.db, room_id, user_id).await?.is_none() {
            return Err(AppError::not_found(
                "That user is not a member of this room",
            ));
        }
        remove_member(state, &room, user_id, Some(host)).await?
    };
    if removed {
        playback::recheck(state, room_id).await;
    }
    Ok(removed)
}

/// Closes the room (host only). Everyone subscribed gets `RoomClosed` and their subscription
/// ends.
pub async fn close(state: &AppState, user_id: Uuid, room_id: Uuid) -> AppResult<bool> {
    let _turn = state.rooms.lock(room_id).await;
    require_host(state, user_id, room_id).await?;
    let result = room::Entity::update_many()
        .col_expr(room::Column::ClosedAt, Expr::value(Utc::now()))
        .filter(room::Column::Id.eq(room_id))
        .filter(room::Column::ClosedAt.is_null())
        .exec(&state.db)
        .await?;
    if result.rows_affected == 1 {
        closed(state, room_id);
    }
    Ok(result.rows_affected == 1)
}

/// After a room closed: stop its timer, forget typing, tell subscribers.
pub(crate) fn closed(state: &AppState, room_id: Uuid) {
    state.rooms.timers.cancel(room_id);
    state.rooms.typing.clear_room(room_id);
    publish(state, room_id, RoomEvent::RoomClosed);
}

/// Hands the host role to another member; the previous host becomes a listener.
pub async fn transfer_host(
    state: &AppState,
    host: Uuid,
    room_id: Uuid,
    to: Uuid,
) -> AppResult<room::Model> {
    let _turn = state.rooms.lock(room_id).await;
    let (room, _) = require_host(state, host, room_id).await?;
    if to == host {
        return Ok(room);
    }
    if membership(&state.db, room_id, to).await?.is_none() {
        return Err(AppError::bad_input(
            "userId",
            "The new host must be a member of the room",
        ));
    }
    let txn = state.db.begin().await?;
    lock_row(&txn, room_id).await?;
    set_host(&txn, room_id, to).await?;
    set_role_in(&txn, room_id, host, Role::Listener).await?;
    txn.commit().await?;
    publish(
        state,
        room_id,
        RoomEvent::HostChanged {
            host_id: to,
            previous_host_id: Some(host),
        },
    );
    find_open(&state.db, room_id).await
}

/// Makes a member a DJ or a listener (host only; the host's own role changes only by handing
/// the room over).
pub async fn set_role(
    state: &AppState,
    host: Uuid,
    room_id: Uuid,
    user_id: Uuid,
    role: Role,
) -> AppResult<room_user::Model> {
    if role == Role::Host {
        return Err(AppError::bad_input(
            "role",
            "Use transferHost to make someone the host",
        ));
    }
    let _turn = state.rooms.lock(room_id).await;
    require_host(state, host, room_id).await?;
    if user_id == host {
        return Err(AppError::bad_input(
            "userId",
            "The host's role changes only by handing the room over",
        ));
    }
    let Some(member) = membership(&state.db, room_id, user_id).await? else {
        return Err(AppError::not_found(
            "That user is not a member of this room",
        ));
    };
    if Role::of(&member) == role {
        return Ok(member);
    }
    let txn = state.db.begin().await?;
    lock_row(&txn, room_id).await?;
    set_role_in(&txn, room_id, user_id, role).await?;
    txn.commit().await?;
    let member = membership(&state.db, room_id, user_id)
        .await?
        .ok_or_else(|| AppError::not_found("That user is not a member of this room"))?;
    publish(
        state,
        room_id,
        RoomEvent::MemberRoleChanged {
            member: member.clone(),
        },
    );
    Ok(member)
}

/// Changes the room's settings (host only); members get `RoomUpdated`.
pub async fn update(
    state: &AppState,
    host: Uuid,
    room_id: Uuid,
    patch: RoomPatch<'_>,
) -> AppResult<room::Model> {
    let releases_hold = {
        let _turn = state.rooms.lock(room_id).await;
        let (room, _) = require_host(state, host, room_id).await?;
        let mut active: room::ActiveModel = room.clone().into();
        if let Some(name) = patch.name {
            active.name = Set(RoomName::parse(name)?.into_string());
        }
        if let Some(v) = patch.visibility {
            active.visibility = Set(v.as_str().to_owned());
        }
        if let Some(mode) = patch.control_mode {
            active.control_mode = Set(mode.as_str().to_owned());
        }
        if let Some(wait) = patch.wait_for_all {
            active.wait_for_all = Set(wait);
        }
        if let Some(percent) = patch.skip_vote_percent {
            active.skip_vote_percent = Set(skip_vote_percent(percent)?);
        }
        active.updated_at = Set(Utc::now());
        let txn = state.db.begin().await?;
        lock_row(&txn, room_id).await?;
        let updated = active.update(&txn).await?;
        txn.commit().await?;
        publish(
            state,
            room_id,
            RoomEvent::RoomUpdated {
                room: updated.clone(),
            },
        );
        room.wait_for_all && !updated.wait_for_all
    };
    if releases_hold {
        playback::recheck(state, room_id).await;
    }
    find_open(&state.db, room_id).await
}

/// Whether the room waits for this member when it waits for everyone.
pub async fn set_wait_opt_out(
    state: &AppState,
    user_id: Uuid,
    room_id: Uuid,
    opt_out: bool,
) -> AppResult<bool> {
    require_member(state, user_id, room_id).await?;
    room_user::Entity::update_many()
        .col_expr(room_user::Column::WaitOptOut, Expr::value(opt_out))
        .filter(room_user::Column::RoomId.eq(room_id))
        .filter(room_user::Column::UserId.eq(user_id))
        .exec(&state.db)
        .await?;
    if opt_out {
        playback::recheck(state, room_id).await;
    }
    Ok(opt_out)
}

/// One page of the rooms `viewer` may see that are open: public rooms, their rooms, rooms
/// they are invited to and their friends' FRIENDS rooms; newest activity first.
pub async fn list(
    state: &AppState,
    viewer: Option<Uuid>,
    offset: u64,
    limit: u64,
) -> AppResult<(Vec<room::Model>, u64)> {
    let db = &state.db;
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
    fn room_names() {
        assert_eq!(
            RoomName::parse("  Friday night  ")
                .expect("ok")
                .into_string(),
            "Friday night"
        );
        assert!(RoomName::parse("   ").is_err());
        assert!(RoomName::parse(&"x".repeat(81)).is_err());
        assert!(
            RoomName::parse(&"é".repeat(80)).is_ok(),
            "characters, not bytes"
        );
        assert!(RoomName::parse("bad\u{0007}name").is_err());
    }

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
