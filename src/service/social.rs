//! Friends and friend requests.
//!
//! - A request to someone who already sent you one is refused with `CONFLICT` pointing at their
//!   request (accept it instead): one pending request per pair, never two crossing ones.
//! - Only the receiver accepts or declines; only the requester cancels. Declining is silent to
//!   the requester; cancelling tells the receiver so their list updates.
//! - Friendships are symmetric and stored once, as the ordered pair `(min, max)`.

use std::collections::HashMap;

use chrono::Utc;
use entity::{friend_request, friendship, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
    sea_query::{Expr, ExprTrait, Func},
};
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::realtime::{Event, Topic, UserEvent};
use crate::state::AppState;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relation {
    None,
    Friends,
    RequestSent,
    RequestReceived,
    Itself,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Incoming,
    Outgoing,
}

fn pair(a: Uuid, b: Uuid) -> (Uuid, Uuid) {
    if a < b { (a, b) } else { (b, a) }
}

pub async fn are_friends(db: &impl ConnectionTrait, a: Uuid, b: Uuid) -> AppResult<bool> {
    let (x, y) = pair(a, b);
    Ok(friendship::Entity::find_by_id((x, y))
        .one(db)
        .await?
        .is_some())
}

/// The viewer's relation to each of `others`, in two queries whatever their number.
pub async fn relations(
    db: &impl ConnectionTrait,
    viewer: Uuid,
    others: &[Uuid],
) -> AppResult<HashMap<Uuid, Relation>> {
    let mut out: HashMap<Uuid, Relation> = others.iter().map(|o| (*o, Relation::None)).collect();
    let friends = friendship::Entity::find()
        .filter(
            Condition::any()
                .add(
                    friendship::Column::UserA
                        .eq(viewer)
                        .and(friendship::Column::UserB.is_in(others.to_vec())),
                )
                .add(
                    friendship::Column::UserB
                        .eq(viewer)
                        .and(friendship::Column::UserA.is_in(others.to_vec())),
                ),
        )
        .all(db)
        .await?;
    for f in friends {
        let other = if f.user_a == viewer {
            f.user_b
        } else {
            f.user_a
        };
        out.insert(other, Relation::Friends);
    }
    let requests = friend_request::Entity::find()
        .filter(
            Condition::any()
                .add(
                    friend_request::Column::RequesterId
                        .eq(viewer)
                        .and(friend_request::Column::ReceiverId.is_in(others.to_vec())),
                )
                .add(
                    friend_request::Column::ReceiverId
                        .eq(viewer)
                        .and(friend_request::Column::RequesterId.is_in(others.to_vec())),
                ),
        )
        .all(db)
        .await?;
    for r in requests {
        let (other, rel) = if r.requester_id == viewer {
            (r.receiver_id, Relation::RequestSent)
        } else {
            (r.requester_id, Relation::RequestReceived)
        };
        out.entry(other).and_modify(|e| {
            if *e == Relation::None {
                *e = rel;
            }
        });
    }
    if let Some(me) = out.get_mut(&viewer) {
        *me = Relation::Itself;
    }
    Ok(out)
}

pub async fn send_request(
    state: &AppState,
    from: Uuid,
    to: Uuid,
) -> AppResult<friend_request::Model> {
    if from == to {
        return Err(AppError::bad_input(
            "userId",
            "You cannot send a friend request to yourself",
        ));
    }
    if user::Entity::find_by_id(to).one(&state.db).await?.is_none() {
        return Err(AppError::not_found("User not found"));
    }
    if are_friends(&state.db, from, to).await? {
        return Err(AppError::conflict("userId", "You are already friends"));
    }
    if let Some(theirs) = find_request(&state.db, to, from).await? {
        return Err(AppError::conflict(
            "userId",
            format!(
                "This user already sent you a friend request ({}); accept it instead",
                theirs.id
            ),
        ));
    }
    let request = friend_request::ActiveModel {
        id: Set(Uuid::now_v7()),
        requester_id: Set(from),
        receiver_id: Set(to),
        created_at: Set(Utc::now()),
    }
    .insert(&state.db)
    .await
    .map_err(|e| match e.sql_err() {
        Some(_) => AppError::conflict("userId", "You already sent this user a friend request"),
        None => e.into(),
    })?;
    publish(
        state,
        to,
        UserEvent::FriendRequestReceived {
            request: request.clone(),
            at: Utc::now(),
        },
    );
    Ok(request)
}

/// Accepts a request addressed to the viewer; returns the new friend (the requester).
pub async fn accept(state: &AppState, viewer: Uuid, request_id: Uuid) -> AppResult<user::Model> {
    let request = request_for(state, viewer, request_id).await?;
    if request.receiver_id != viewer {
        return Err(AppError::forbidden(
            "Only the receiver can accept a friend request",
        ));
    }
    let (a, b) = pair(request.requester_id, request.receiver_id);
    let txn = state.db.begin().await?;
    // Delete the request (and a crossing one, if any) and record the friendship once.
    friend_request::Entity::delete_many()
        .filter(
            Condition::any()
                .add(
                    friend_request::Column::RequesterId
                        .eq(request.requester_id)
                        .and(friend_request::Column::ReceiverId.eq(viewer)),
                )
                .add(
                    friend_request::Column::RequesterId
                        .eq(viewer)
                        .and(friend_request::Column::ReceiverId.eq(request.requester_id)),
                ),
        )
        .exec(&txn)
        .await?;
    if friendship::Entity::find_by_id((a, b))
        .one(&txn)
        .await?
        .is_none()
    {
        friendship::ActiveModel {
            user_a: Set(a),
            user_b: Set(b),
            created_at: Set(Utc::now()),
        }
        .insert(&txn)
        .await?;
    }
    txn.commit().await?;
    let accepter = user::Entity::find_by_id(viewer)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::unauthenticated("Account no longer exists"))?;
    let requester = user::Entity::find_by_id(request.requester_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::not_found("User not found"))?;
    publish(
        state,
        request.requester_id,
        UserEvent::FriendRequestAccepted {
            user: accepter,
            at: Utc::now(),
        },
    );
    Ok(requester)
}

pub async fn decline(state: &AppState, viewer: Uuid, request_id: Uuid) -> AppResult<bool> {
    let request = request_for(state, viewer, request_id).await?;
    if request.receiver_id != viewer {
        return Err(AppError::forbidden(
            "Only the receiver can decline a friend request; cancel your own instead",
        ));
    }
    delete_request(state, request.id).await
}

pub async fn cancel(state: &AppState, viewer: Uuid, request_id: Uuid) -> AppResult<bool> {
    let request = request_for(state, viewer, request_id).await?;
    if request.requester_id != viewer {
        return Err(AppError::forbidden(
            "Only the requester can cancel a friend request; decline it instead",
        ));
    }
    let deleted = delete_request(state, request.id).await?;
    if deleted {
        publish(
            state,
            request.receiver_id,
            UserEvent::FriendRequestCancelled {
                request_id,
                at: Utc::now(),
            },
        );
    }
    Ok(deleted)
}

/// Ends a friendship; both sides are told. `false` when they were not friends.
pub async fn remove_friend(state: &AppState, viewer: Uuid, other: Uuid) -> AppResult<bool> {
    let (a, b) = pair(viewer, other);
    let result = friendship::Entity::delete_by_id((a, b))
        .exec(&state.db)
        .await?;
    if result.rows_affected == 0 {
        return Ok(false);
    }
    publish(
        state,
        other,
        UserEvent::FriendRemoved {
            user_id: viewer,
            at: Utc::now(),
        },
    );
    publish(
        state,
        viewer,
        UserEvent::FriendRemoved {
            user_id: other,
            at: Utc::now(),
        },
    );
    Ok(true)
}

pub async fn friend_ids(db: &impl ConnectionTrait, user_id: Uuid) -> AppResult<Vec<Uuid>> {
    let rows = friendship::Entity::find()
        .filter(
            Condition::any()
                .add(friendship::Column::UserA.eq(user_id))
                .add(friendship::Column::UserB.eq(user_id)),
        )
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|f| {
            if f.user_a == user_id {
                f.user_b
            } else {
                f.user_a
            }
        })
        .collect())
}

/// One page of the viewer's friends, by username, and the total.
pub async fn friends_page(
    db: &impl ConnectionTrait,
    viewer: Uuid,
    offset: u64,
    limit: u64,
) -> AppResult<(Vec<user::Model>, u64)> {
    let ids = friend_ids(db, viewer).await?;
    let query = user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .order_by_asc(user::Column::Username)
        .order_by_asc(user::Column::Id);
    crate::service::paging::page(db, query, offset, limit).await
}

/// Pending requests listed at most (the newest), which is what `friendRequests` is costed at.
pub const REQUESTS_LISTED: u64 = 100;

pub async fn requests(
    db: &impl ConnectionTrait,
    viewer: Uuid,
    direction: Direction,
) -> AppResult<Vec<friend_request::Model>> {
    let column = match direction {
        Direction::Incoming => friend_request::Column::ReceiverId,
        Direction::Outgoing => friend_request::Column::RequesterId,
    };
    Ok(friend_request::Entity::find()
        .filter(column.eq(viewer))
        .order_by_desc(friend_request::Column::CreatedAt)
        .limit(REQUESTS_LISTED)
        .all(db)
        .await?)
}

/// People by exact tag (`ann#0520`) or username/tag prefix, case-insensitive.
pub async fn search_users(
    db: &impl ConnectionTrait,
    query: &str,
    limit: u64,
) -> AppResult<Vec<user::Model>> {
    let q = query.trim().to_lowercase();
    if q.is_empty() || q.chars().count() > 64 {
        return Err(AppError::bad_input("query", "Search for 1–64 characters"));
    }
    let escaped: String = q
        .chars()
        .flat_map(|c| {
            if matches!(c, '%' | '_' | '\\') {
                vec!['\\', c]
            } else {
                vec![c]
            }
        })
        .collect();
    let pattern = format!("{escaped}%");
    let lower = |col: user::Column| Expr::expr(Func::lower(Expr::col(col)));
    Ok(user::Entity::find()
        .filter(
            Condition::any()
                .add(lower(user::Column::Tag).eq(q.clone()))
                .add(
                    lower(user::Column::Username)
                        .like(sea_orm::sea_query::LikeExpr::new(pattern.clone()).escape('\\')),
                )
                .add(
                    lower(user::Column::Tag)
                        .like(sea_orm::sea_query::LikeExpr::new(pattern).escape('\\')),
                ),
        )
        .order_by_asc(user::Column::Username)
        .order_by_asc(user::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

async fn find_request(
    db: &impl ConnectionTrait,
    from: Uuid,
    to: Uuid,
) -> AppResult<Option<friend_request::Model>> {
    Ok(friend_request::Entity::find()
        .filter(friend_request::Column::RequesterId.eq(from))
        .filter(friend_request::Column::ReceiverId.eq(to))
        .one(db)
        .await?)
}

/// A request the viewer is party to; others' requests do not exist for them.
async fn request_for(state: &AppState, viewer: Uuid, id: Uuid) -> AppResult<friend_request::Model> {
    friend_request::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .filter(|r| r.requester_id == viewer || r.receiver_id == viewer)
        .ok_or_else(|| AppError::not_found("Friend request not found"))
}

async fn delete_request(state: &AppState, id: Uuid) -> AppResult<bool> {
    Ok(friend_request::Entity::delete_by_id(id)
        .exec(&state.db)
        .await?
        .rows_affected
        == 1)
}

fn publish(state: &AppState, user: Uuid, event: UserEvent) {
    state.bus.publish(Topic::User(user), Event::User(event));
}

/// Tells `user_id`'s friends that they came online or went offline.
pub async fn announce_presence(state: &AppState, user_id: Uuid, is_online: bool) {
    match friend_ids(&state.db, user_id).await {
        Ok(friends) => {
            for friend in friends {
                publish(
                    state,
                    friend,
                    UserEvent::FriendPresenceChanged {
                        user_id,
                        is_online,
                        at: Utc::now(),
                    },
                );
            }
        }
        // Presence notices are best effort; the failure is logged, the connection goes on.
        Err(e) => tracing::warn!(error = ?e, %user_id, "could not announce presence to friends"),
    }
}
