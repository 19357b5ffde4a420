//! Joining and leaving a room, kicks, closing, the host and members' roles.
//!
//! Every change locks the room's row first ([`super::lock_row`]) in its transaction, so that
//! concurrent joins cannot overfill a room and a host hand-over happens once, even across
//! instances. When the host leaves, the longest-present member becomes host (connected members
//! first); a room whose last member left stays open and the next member to join becomes host.

use std::collections::HashSet;

use chrono::Utc;
use entity::{room, room_skip_vote, room_user, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait, sea_query::Expr,
};
use uuid::Uuid;

use crate::domain::rooms::{Role, Visibility};
use crate::error::{AppError, AppResult};
use crate::realtime::RoomEvent;
use crate::service::rooms::{
    access, can_see, find, find_open, lock_row, membership, not_found, publish, require_host,
};
use crate::service::social;
use crate::state::AppState;

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
    // Whoever is no longer a member is no longer in the room's voice call.
    crate::service::calls::transitions::left_room(state, room_id, user_id).await?;
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
        crate::service::rooms::timer::recheck(state, room_id).await;
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
        crate::service::rooms::timer::recheck(state, room_id).await;
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
    state.rooms.typing.clear_place(room_id);
    publish(state, room_id, RoomEvent::RoomClosed);
    // The room's voice call ends with it.
    let state = state.clone();
    tokio::spawn(async move {
        if let Err(e) = crate::service::calls::transitions::room_closed(&state, room_id).await {
            tracing::warn!(error = ?e, %room_id, "could not end a closed room's voice call");
        }
    });
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
