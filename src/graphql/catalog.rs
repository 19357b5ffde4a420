//! Catalog types as other areas show them (tracks in a player, their artists).

use async_graphql::{Context, Object};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::loaders;

pub struct Track(pub entity::track::Model);

#[Object]
impl Track {
    async fn id(&self) -> Uuid {
        self.0.id
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn genre(&self) -> Option<&str> {
        self.0.genre.as_deref()
    }
    async fn duration_ms(&self) -> i32 {
        i32::try_from(self.0.duration_ms).unwrap_or(i32::MAX)
    }
    async fn mime_type(&self) -> &str {
        &self.0.mime_type
    }
    async fn bitrate(&self) -> Option<i32> {
        self.0.bitrate
    }
    async fn size_bytes(&self) -> i32 {
        i32::try_from(self.0.size_bytes).unwrap_or(i32::MAX)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn artist(&self, ctx: &Context<'_>) -> async_graphql::Result<Artist> {
        Ok(Artist(loaders::artist(ctx, self.0.artist_id).await?))
    }
}

pub struct Artist(pub entity::artist::Model);

#[Object]
impl Artist {
    async fn id(&self) -> Uuid {
        self.0.id
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn genre(&self) -> Option<&str> {
        self.0.genre.as_deref()
    }
    async fn image_url(&self) -> Option<&str> {
        self.0.image_url.as_deref()
    }
}
