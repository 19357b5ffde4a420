//! A room's shared queue. Every member may add tracks (and remove what they added); those who
//! control playback may remove anything and reorder. Skips and track ends take the first item
//! (see [`super::playback`]). Every change reaches members as `QueueChanged` with the whole queue.

use std::collections::HashMap;

use chrono::Utc;
use entity::{room_queue_item, track};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait, sea_query::Expr,
};
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::realtime::RoomEvent;
use crate::realtime::rooms::events::QueueEntry;
use crate::service::rooms;
use crate::state::AppState;

async fn items(
    db: &impl ConnectionTrait,
    room_id: Uuid,
    limit: Option<u64>,
) -> AppResult<Vec<room_queue_item::Model>> {
    let mut query = room_queue_item::Entity::find()
        .filter(room_queue_item::Column::RoomId.eq(room_id))
        .order_by_asc(room_queue_item::Column::Position)
        .order_by_asc(room_queue_item::Column::Id);
    if let Some(limit) = limit {
        query = query.limit(limit);
    }
    Ok(query.all(db).await?)
}

async fn with_tracks(
    db: &impl ConnectionTrait,
    items: Vec<room_queue_item::Model>,
) -> AppResult<Vec<QueueEntry>> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = items.iter().map(|i| i.track_id).collect();
    let tracks: HashMap<Uuid, track::Model> = track::Entity::find()
        .filter(track::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    Ok(items
        .into_iter()
        .filter_map(|item| {
            let track = tracks.get(&item.track_id)?.clone();
            Some(QueueEntry { item, track })
        })
        .collect())
}

/// The queue in play order, with tracks.
pub async fn entries(db: &impl ConnectionTrait, room_id: Uuid) -> AppResult<Vec<QueueEntry>> {
    let items = items(db, room_id, None).await?;
    with_tracks(db, items).await
}

/// The item that plays next.
pub async fn head(db: &impl ConnectionTrait, room_id: Uuid) -> AppResult<Option<QueueEntry>> {
    let items = items(db, room_id, Some(1)).await?;
    Ok(with_tracks(db, items).await?.into_iter().next())
}

fn announce(state: &AppState, room_id: Uuid, queue: &[QueueEntry]) {
    rooms::publish(
        state,
        room_id,
        RoomEvent::QueueChanged {
            queue: queue.to_vec(),
        },
    );
}

/// Adds a track at the end of the queue (any member).
pub async fn enqueue(
    state: &AppState,
    user_id: Uuid,
    room_id: Uuid,
    track_id: Uuid,
) -> AppResult<Vec<QueueEntry>> {
    rooms::require_member(state, user_id, room_id).await?;
    if track::Entity::find_by_id(track_id)
        .one(&state.db)
        .await?
        .is_none()
    {
        return Err(AppError::not_found("Track not found"));
    }
    let _turn = state.rooms.lock(room_id).await;
    let max = state.config.rooms.max_queue;
    let txn = state.db.begin().await?;
    rooms::lock_row(&txn, room_id).await?;
    let count = room_queue_item::Entity::find()
        .filter(room_queue_item::Column::RoomId.eq(room_id))
        .count(&txn)
        .await?;
    if count >= max as u64 {
        return Err(AppError::forbidden(format!(
            "The queue is full ({max} tracks)"
        )));
    }
    let last = room_queue_item::Entity::find()
        .filter(room_queue_item::Column::RoomId.eq(room_id))
        .order_by_desc(room_queue_item::Column::Position)
        .one(&txn)
        .await?;
    room_queue_item::ActiveModel {
        id: Set(Uuid::now_v7()),
        room_id: Set(room_id),
        track_id: Set(track_id),
        added_by: Set(user_id),
        position: Set(last.map_or(0, |l| l.position + 1)),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    let queue = entries(&state.db, room_id).await?;
    announce(state, room_id, &queue);
    Ok(queue)
}

/// Removes an item: whoever added it, or anyone who controls playback.
pub async fn remove(
    state: &AppState,
    user_id: Uuid,
    room_id: Uuid,
    item_id: Uuid,
) -> AppResult<Vec<QueueEntry>> {
    let (room, member) = rooms::require_member(state, user_id, room_id).await?;
    let _turn = state.rooms.lock(room_id).await;
    let item = room_queue_item::Entity::find_by_id(item_id)
        .one(&state.db)
        .await?
        .filter(|i| i.room_id == room_id)
        .ok_or_else(|| AppError::not_found("Queue item not found"))?;
    if item.added_by != user_id && !rooms::can_control(&room, &member) {
        return Err(AppError::forbidden(
            "Only whoever added this track, or those who control playback, may remove it",
        ));
    }
    let txn = state.db.begin().await?;
    rooms::lock_row(&txn, room_id).await?;
    room_queue_item::Entity::delete_many()
        .filter(room_queue_item::Column::Id.eq(item_id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    let queue = entries(&state.db, room_id).await?;
    announce(state, room_id, &queue);
    Ok(queue)
}

/// Moves an item to `index` (0 is next; past the end means last). Those who control playback
/// only.
pub async fn move_item(
    state: &AppState,
    user_id: Uuid,
    room_id: Uuid,
    item_id: Uuid,
    index: i64,
) -> AppResult<Vec<QueueEntry>> {
    if index < 0 {
        return Err(AppError::bad_input(
            "position",
            "position must not be negative",
        ));
    }
    rooms::require_controller(state, user_id, room_id).await?;
    let _turn = state.rooms.lock(room_id).await;
    let txn = state.db.begin().await?;
    rooms::lock_row(&txn, room_id).await?;
    let mut order = items(&txn, room_id, None).await?;
    let Some(from) = order.iter().position(|i| i.id == item_id) else {
        return Err(AppError::not_found("Queue item not found"));
    };
    let item = order.remove(from);
    let to = usize::try_from(index)
        .unwrap_or(usize::MAX)
        .min(order.len());
    order.insert(to, item);
    for (position, item) in order.iter().enumerate() {
        let position = position as i64;
        if item.position != position {
            room_queue_item::Entity::update_many()
                .col_expr(room_queue_item::Column::Position, Expr::value(position))
                .filter(room_queue_item::Column::Id.eq(item.id))
                .exec(&txn)
                .await?;
        }
    }
    txn.commit().await?;
    let queue = entries(&state.db, room_id).await?;
    announce(state, room_id, &queue);
    Ok(queue)
}
