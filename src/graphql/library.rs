//! The viewer's library: playlists and favorites.

use async_graphql::{Context, InputObject, MaybeUndefined, Object};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::graphql::accounts::user::User;
use crate::graphql::catalog::Track;
use crate::graphql::connection::{self, Page};
use crate::graphql::{ContextExt, loaders};
use crate::service::library::{self, PlaylistFields};

pub struct Playlist(pub entity::playlist::Model);

#[Object]
impl Playlist {
    async fn id(&self) -> Uuid {
        self.0.id
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn image_url(&self) -> Option<&str> {
        self.0.image_url.as_deref()
    }
    async fn is_public(&self) -> bool {
        self.0.is_public
    }
    async fn owner(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        Ok(User::new(loaders::user(ctx, self.0.owner_id).await?))
    }
    /// In playlist order.
    #[graphql(complexity = "crate::graphql::connection::cost(first, child_complexity)")]
    async fn tracks(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Page<Track>> {
        let (offset, limit) = connection::window(first, after.as_deref())?;
        let (rows, total) =
            library::playlist_tracks(&ctx.state()?.db, self.0.id, offset, limit).await?;
        Ok(connection::page(
            rows.into_iter().map(Track).collect(),
            offset,
            total,
        ))
    }
    async fn track_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i32> {
        let count = loaders::track_count(ctx, self.0.id).await?;
        Ok(i32::try_from(count).unwrap_or(i32::MAX))
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

#[derive(InputObject)]
pub struct CreatePlaylistInput {
    name: String,
    image_url: Option<String>,
    /// Private (false) unless set.
    is_public: Option<bool>,
}

/// Omitted fields stay as they are; `null` clears `imageUrl`.
#[derive(InputObject)]
pub struct UpdatePlaylistInput {
    name: Option<String>,
    image_url: MaybeUndefined<String>,
    is_public: Option<bool>,
}

#[derive(Default)]
pub struct LibraryQuery;

#[Object]
impl LibraryQuery {
    /// A public playlist, or one of the viewer's own; others' private playlists are null.
    async fn playlist(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
    ) -> async_graphql::Result<Option<Playlist>> {
        let viewer = ctx.viewer().user_id();
        match library::visible_playlist(&ctx.state()?.db, viewer, id).await {
            Ok(p) => Ok(Some(Playlist(p))),
            Err(crate::error::AppError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The viewer's playlists, most recently changed first.
    #[graphql(complexity = "crate::graphql::connection::cost(first, child_complexity)")]
    async fn my_playlists(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Page<Playlist>> {
        let viewer = ctx.viewer().require()?;
        let (offset, limit) = connection::window(first, after.as_deref())?;
        let (rows, total) =
            library::my_playlists(&ctx.state()?.db, viewer.user_id, offset, limit).await?;
        Ok(connection::page(
            rows.into_iter().map(Playlist).collect(),
            offset,
            total,
        ))
    }

    /// The viewer's favorite tracks, newest first.
    #[graphql(complexity = "crate::graphql::connection::cost(first, child_complexity)")]
    async fn favorites(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Page<Track>> {
        let viewer = ctx.viewer().require()?;
        let (offset, limit) = connection::window(first, after.as_deref())?;
        let (rows, total) =
            library::favorites_page(&ctx.state()?.db, viewer.user_id, offset, limit).await?;
        Ok(connection::page(
            rows.into_iter().map(Track).collect(),
            offset,
            total,
        ))
    }
}

#[derive(Default)]
pub struct LibraryMutation;

#[Object]
impl LibraryMutation {
    async fn create_playlist(
        &self,
        ctx: &Context<'_>,
        input: CreatePlaylistInput,
    ) -> async_graphql::Result<Playlist> {
        let viewer = ctx.viewer().require()?;
        let fields = PlaylistFields {
            name: Some(input.name),
            image_url: Some(input.image_url),
            is_public: input.is_public,
        };
        Ok(Playlist(
            library::create_playlist(&ctx.state()?.db, viewer.user_id, fields).await?,
        ))
    }

    /// Rename, set the cover or the visibility. The owner only.
    async fn update_playlist(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: UpdatePlaylistInput,
    ) -> async_graphql::Result<Playlist> {
        let viewer = ctx.viewer().require()?;
        let fields = PlaylistFields {
            name: input.name,
            image_url: match input.image_url {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(v) => Some(Some(v)),
            },
            is_public: input.is_public,
        };
        Ok(Playlist(
            library::update_playlist(&ctx.state()?.db, viewer.user_id, id, fields).await?,
        ))
    }

    async fn delete_playlist(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<bool> {
        let viewer = ctx.viewer().require()?;
        Ok(library::delete_playlist(&ctx.state()?.db, viewer.user_id, id).await?)
    }

    /// Inserts the track at `position` (0 is first; omitted or past the end appends). A track
    /// is in a playlist at most once: adding it again is `CONFLICT`.
    async fn add_track_to_playlist(
        &self,
        ctx: &Context<'_>,
        playlist_id: Uuid,
        track_id: Uuid,
        position: Option<i32>,
    ) -> async_graphql::Result<Playlist> {
        let viewer = ctx.viewer().require()?;
        let db = &ctx.state()?.db;
        Ok(Playlist(
            library::add_track(db, viewer.user_id, playlist_id, track_id, position).await?,
        ))
    }

    async fn remove_track_from_playlist(
        &self,
        ctx: &Context<'_>,
        playlist_id: Uuid,
        track_id: Uuid,
    ) -> async_graphql::Result<Playlist> {
        let viewer = ctx.viewer().require()?;
        let db = &ctx.state()?.db;
        Ok(Playlist(
            library::remove_track(db, viewer.user_id, playlist_id, track_id).await?,
        ))
    }

    /// Moves a track to `position` (past the end means last).
    async fn move_track_in_playlist(
        &self,
        ctx: &Context<'_>,
        playlist_id: Uuid,
        track_id: Uuid,
        position: i32,
    ) -> async_graphql::Result<Playlist> {
        let viewer = ctx.viewer().require()?;
        let db = &ctx.state()?.db;
        Ok(Playlist(
            library::move_track(db, viewer.user_id, playlist_id, track_id, position).await?,
        ))
    }

    /// Idempotent.
    async fn add_favorite(
        &self,
        ctx: &Context<'_>,
        track_id: Uuid,
    ) -> async_graphql::Result<Track> {
        let viewer = ctx.viewer().require()?;
        Ok(Track(
            library::add_favorite(&ctx.state()?.db, viewer.user_id, track_id).await?,
        ))
    }

    /// Idempotent.
    async fn remove_favorite(
        &self,
        ctx: &Context<'_>,
        track_id: Uuid,
    ) -> async_graphql::Result<Track> {
        let viewer = ctx.viewer().require()?;
        Ok(Track(
            library::remove_favorite(&ctx.state()?.db, viewer.user_id, track_id).await?,
        ))
    }
}
