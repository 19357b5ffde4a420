//! DataLoaders for rooms: members, playback and queue by room id, and several
//! users at once, so that listing rooms costs one query per kind, not one per room.

use std::{collections::HashMap, sync::Arc};

use async_graphql::{
    Context,
    dataloader::{DataLoader, Loader},
};
use entity::{room_playback, room_queue_item, room_user, user};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::loaders::ById;
use crate::error::{AppError, AppResult};

type LoadError = Arc<sea_orm::DbErr>;

fn internal(e: LoadError) -> AppError {
    AppError::Internal(anyhow::anyhow!("data loader: {e}"))
}

/// A room's members in the order they joined.
pub struct RoomMembers(DatabaseConnection);

impl Loader<Uuid> for RoomMembers {
    type Value = Vec<room_user::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, LoadError> {
        let rows = room_user::Entity::find()
            .filter(room_user::Column::RoomId.is_in(keys.to_vec()))
            .order_by_asc(room_user::Column::JoinedAt)
            .order_by_asc(room_user::Column::UserId)
            .all(&self.0)
            .await?;
        let mut out: HashMap<Uuid, Self::Value> = HashMap::new();
        for row in rows {
            out.entry(row.room_id).or_default().push(row);
        }
        Ok(out)
    }
}

/// A room's stored playback row.
pub struct RoomPlaybackRows(DatabaseConnection);

impl Loader<Uuid> for RoomPlaybackRows {
    type Value = room_playback::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, LoadError> {
        let rows = room_playback::Entity::find()
            .filter(room_playback::Column::RoomId.is_in(keys.to_vec()))
            .all(&self.0)
            .await?;
        Ok(rows.into_iter().map(|r| (r.room_id, r)).collect())
    }
}

/// A room's queue items in play order.
pub struct RoomQueueItems(DatabaseConnection);

impl Loader<Uuid> for RoomQueueItems {
    type Value = Vec<room_queue_item::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, LoadError> {
        let rows = room_queue_item::Entity::find()
            .filter(room_queue_item::Column::RoomId.is_in(keys.to_vec()))
            .order_by_asc(room_queue_item::Column::Position)
            .order_by_asc(room_queue_item::Column::Id)
            .all(&self.0)
            .await?;
        let mut out: HashMap<Uuid, Self::Value> = HashMap::new();
        for row in rows {
            out.entry(row.room_id).or_default().push(row);
        }
        Ok(out)
    }
}

/// Registers the room loaders as schema data.
pub fn register<Q, M, S>(
    builder: async_graphql::SchemaBuilder<Q, M, S>,
    db: &DatabaseConnection,
) -> async_graphql::SchemaBuilder<Q, M, S> {
    builder
        .data(DataLoader::new(RoomMembers(db.clone()), tokio::spawn))
        .data(DataLoader::new(RoomPlaybackRows(db.clone()), tokio::spawn))
        .data(DataLoader::new(RoomQueueItems(db.clone()), tokio::spawn))
}

fn loader<'a, L: Send + Sync + 'static>(ctx: &'a Context<'_>) -> AppResult<&'a DataLoader<L>> {
    ctx.data::<DataLoader<L>>()
        .map_err(|_| AppError::Internal(anyhow::anyhow!("data loader missing from schema data")))
}

pub async fn members(ctx: &Context<'_>, room_id: Uuid) -> AppResult<Vec<room_user::Model>> {
    Ok(loader::<RoomMembers>(ctx)?
        .load_one(room_id)
        .await
        .map_err(internal)?
        .unwrap_or_default())
}

pub async fn playback(ctx: &Context<'_>, room_id: Uuid) -> AppResult<room_playback::Model> {
    loader::<RoomPlaybackRows>(ctx)?
        .load_one(room_id)
        .await
        .map_err(internal)?
        .ok_or_else(|| AppError::not_found("Room not found"))
}

pub async fn queue(ctx: &Context<'_>, room_id: Uuid) -> AppResult<Vec<room_queue_item::Model>> {
    Ok(loader::<RoomQueueItems>(ctx)?
        .load_one(room_id)
        .await
        .map_err(internal)?
        .unwrap_or_default())
}

/// Several users in one batch, in the order asked (unknown ids are skipped).
pub async fn users(ctx: &Context<'_>, ids: &[Uuid]) -> AppResult<Vec<user::Model>> {
    let mut found = loader::<ById<user::Entity>>(ctx)?
        .load_many(ids.iter().copied())
        .await
        .map_err(internal)?;
    Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
}
