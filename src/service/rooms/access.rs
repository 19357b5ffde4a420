//! Invitations into rooms and bans from them (one `room_access` row per room and user).
//!
//! - An invitation lets its invitee see and join the room. Any member may invite a friend into
//!   a PUBLIC or FRIENDS room; only the host may invite into a PRIVATE one, and only the host's
//!   invitations admit into a PRIVATE room: one a member sent while the room was FRIENDS or
//!   PUBLIC stops admitting when the host makes it private. Each row records whether the host
//!   granted it (`by_host`), and the rule is applied when the invitation is used (seeing,
//!   listing, joining), so no switch of visibility and no race with one can get around it.
//! - A kick bans the member; only the host's invitation lifts a ban.
//! - A member's invitation never replaces the host's word: inviting someone the host already
//!   invited, or someone the host banned, leaves the row as it is (also when the two race).

use chrono::Utc;
use entity::{room, room_access, user};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, Set,
    TransactionTrait,
    sea_query::{Expr, ExprTrait, OnConflict, Query},
};
use uuid::Uuid;

use crate::domain::rooms::Visibility;
use crate::error::{AppError, AppResult};
use crate::realtime::{Event, Topic, UserEvent};
use crate::service::rooms;
use crate::service::social;
use crate::state::AppState;

const INVITED: &str = "INVITED";
const BANNED: &str = "BANNED";

pub(super) async fn find(
    db: &impl ConnectionTrait,
    room_id: Uuid,
    user_id: Uuid,
) -> AppResult<Option<room_access::Model>> {
    Ok(room_access::Entity::find_by_id((room_id, user_id))
        .one(db)
        .await?)
}

/// Whether the host removed `user_id` from the room (and has not invited them back).
pub async fn is_banned(db: &impl ConnectionTrait, room_id: Uuid, user_id: Uuid) -> AppResult<bool> {
    Ok(find(db, room_id, user_id)
        .await?
        .is_some_and(|a| is_ban(&a)))
}

/// Whether this row lets its user see and join `room`.
pub(super) fn admits(room: &room::Model, grant: &room_access::Model) -> bool {
    grant.kind == INVITED && (grant.by_host || Visibility::of(room) != Visibility::Private)
}

pub(super) fn is_ban(grant: &room_access::Model) -> bool {
    grant.kind == BANNED
}

/// The rooms an invitation admits `viewer` into, as a condition on `rooms`.
pub(super) fn admitting(viewer: Uuid) -> Condition {
    let invited = |host_only: bool| {
        let mut rows = Query::select();
        rows.column(room_access::Column::RoomId)
            .from(room_access::Entity)
            .and_where(room_access::Column::UserId.eq(viewer))
            .and_where(room_access::Column::Kind.eq(INVITED));
        if host_only {
            rows.and_where(room_access::Column::ByHost.eq(true));
        }
        room::Column::Id.in_subquery(rows.to_owned())
    };
    Condition::any().add(invited(true)).add(
        Condition::all()
            .add(room::Column::Visibility.ne(Visibility::Private.as_str()))
            .add(invited(false)),
    )
}

/// Bans `user_id` from the room (the host kicked them), replacing any invitation.
pub(super) async fn ban(
    txn: &DatabaseTransaction,
    room_id: Uuid,
    user_id: Uuid,
    host: Uuid,
) -> AppResult<()> {
    upsert(txn, room_id, user_id, BANNED, host, true).await
}

/// Records an invitation. The host's replaces whatever was there (lifting a ban); a member's
/// only refreshes another member's invitation.
async fn record_invitation(
    txn: &DatabaseTransaction,
    room_id: Uuid,
    user_id: Uuid,
    from: Uuid,
    by_host: bool,
) -> AppResult<()> {
    upsert(txn, room_id, user_id, INVITED, from, by_host).await
}

async fn upsert(
    txn: &DatabaseTransaction,
    room_id: Uuid,
    user_id: Uuid,
    kind: &str,
    by: Uuid,
    by_host: bool,
) -> AppResult<()> {
    let mut on_conflict =
        OnConflict::columns([room_access::Column::RoomId, room_access::Column::UserId]);
    on_conflict.update_columns([
        room_access::Column::Kind,
        room_access::Column::GrantedBy,
        room_access::Column::ByHost,
        room_access::Column::CreatedAt,
    ]);
    if !by_host {
        on_conflict.action_and_where(
            Expr::col((room_access::Entity, room_access::Column::Kind))
                .eq(INVITED)
                .and(Expr::col((room_access::Entity, room_access::Column::ByHost)).eq(false)),
        );
    }
    room_access::Entity::insert(room_access::ActiveModel {
        room_id: Set(room_id),
        user_id: Set(user_id),
        kind: Set(kind.to_owned()),
        granted_by: Set(by),
        by_host: Set(by_host),
        created_at: Set(Utc::now()),
    })
    .on_conflict(on_conflict.to_owned())
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

fn private_room() -> AppError {
    AppError::forbidden("Only the host may invite people into a private room")
}

/// Invites a friend (into any room the inviter is in; only the host invites into a PRIVATE
/// room). The invitation lets them see and join the room, and lifts a ban when the host sends
/// it. The invitee gets `RoomInvite` on their personal channel.
pub async fn invite(state: &AppState, from: Uuid, room_id: Uuid, to: Uuid) -> AppResult<bool> {
    if from == to {
        return Err(AppError::bad_input("userId", "You cannot invite yourself"));
    }
    let (room, _) = rooms::require_member(state, from, room_id).await?;
    let is_host = room.host_id == from;
    if Visibility::of(&room) == Visibility::Private && !is_host {
        return Err(private_room());
    }
    let Some(invitee) = user::Entity::find_by_id(to).one(&state.db).await? else {
        return Err(AppError::not_found("User not found"));
    };
    if !social::are_friends(&state.db, from, to).await? {
        return Err(AppError::forbidden("You can only invite your friends"));
    }
    if rooms::membership(&state.db, room_id, to).await?.is_some() {
        return Err(AppError::conflict(
            "userId",
            "This user is already a member of the room",
        ));
    }
    if !is_host
        && find(&state.db, room_id, to)
            .await?
            .is_some_and(|a| is_ban(&a))
    {
        return Err(AppError::forbidden(
            "The host removed this user from the room; only the host can invite them back",
        ));
    }
    let txn = state.db.begin().await?;
    rooms::lock_row(&txn, room_id).await?;
    // Read again under the lock: the host or the visibility may have changed meanwhile.
    let room = rooms::find_open(&txn, room_id).await?;
    let is_host = room.host_id == from;
    if Visibility::of(&room) == Visibility::Private && !is_host {
        return Err(private_room());
    }
    record_invitation(&txn, room_id, to, from, is_host).await?;
    txn.commit().await?;
    let inviter = user::Entity::find_by_id(from)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::unauthenticated("Account no longer exists"))?;
    let room = rooms::find_open(&state.db, room_id).await?;
    state.bus.publish(
        Topic::User(invitee.id),
        Event::User(UserEvent::RoomInvite {
            room,
            from: inviter,
            at: Utc::now(),
        }),
    );
    Ok(true)
}
