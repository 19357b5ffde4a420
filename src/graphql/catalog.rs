//! The catalog: artists and tracks, browsing and search, uploads.

use async_graphql::{Context, InputObject, MaybeUndefined, Object, Upload};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::AppError;
use crate::graphql::accounts::user::User;
use crate::graphql::connection::{self, Page};
use crate::graphql::{ContextExt, loaders};
use crate::service::catalog::{self, ArtistFields, TrackFields, TrackFilter};

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
    /// `mp3`, `m4a`, `aac`, `flac`, `ogg` (Vorbis), `opus` or `wav`, as probed from the file.
    async fn format(&self) -> &str {
        &self.0.format
    }
    async fn mime_type(&self) -> &str {
        &self.0.mime_type
    }
    /// Average bitrate over the whole file, kbit/s.
    async fn bitrate(&self) -> Option<i32> {
        self.0.bitrate
    }
    async fn sample_rate(&self) -> Option<i32> {
        self.0.sample_rate
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
    /// Who uploaded it; null once their account is gone.
    async fn uploaded_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let Some(id) = self.0.uploaded_by else {
            return Ok(None);
        };
        Ok(Some(User::new(loaders::user(ctx, id).await?)))
    }
    /// A relative URL that plays in an `<audio>` element: it carries a short-lived token
    /// (`STREAM_TOKEN_TTL_SECS`) bound to this track and the viewer. Anonymous viewers get the
    /// bare URL, which answers 401 (streaming needs an account).
    async fn stream_url(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        let base = format!("/stream/{}", self.0.id);
        match ctx.viewer().user_id() {
            Some(user) => {
                let token = ctx.state()?.stream_tokens.issue(user, self.0.id)?;
                Ok(format!("{base}?token={token}"))
            }
            None => Ok(base),
        }
    }
    /// Whether the viewer has it among their favorites (false for anonymous viewers).
    async fn is_favorite(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        match ctx.viewer().user_id() {
            Some(viewer) => Ok(loaders::is_favorite(ctx, viewer, self.0.id).await?),
            None => Ok(false),
        }
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
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// The artist's tracks by name.
    #[graphql(complexity = "crate::graphql::connection::cost(first, child_complexity)")]
    async fn tracks(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Page<Track>> {
        let (offset, limit) = connection::window(first, after.as_deref())?;
        let (rows, total) = loaders::artist_tracks(ctx, self.0.id, offset, limit).await?;
        Ok(connection::page(
            rows.into_iter().map(Track).collect(),
            offset,
            total,
        ))
    }
}

async fn tracks_page(
    ctx: &Context<'_>,
    filter: TrackFilter<'_>,
    first: Option<i32>,
    after: Option<&str>,
) -> async_graphql::Result<Page<Track>> {
    let (offset, limit) = connection::window(first, after)?;
    let (rows, total) = catalog::tracks_page(&ctx.state()?.db, filter, offset, limit).await?;
    Ok(connection::page(
        rows.into_iter().map(Track).collect(),
        offset,
        total,
    ))
}

#[derive(InputObject)]
pub struct CreateArtistInput {
    name: String,
    genre: Option<String>,
    image_url: Option<String>,
}

/// Omitted fields stay as they are; `null` clears `genre` or `imageUrl`.
#[derive(InputObject)]
pub struct UpdateArtistInput {
    name: Option<String>,
    genre: MaybeUndefined<String>,
    image_url: MaybeUndefined<String>,
}

#[derive(InputObject)]
pub struct UploadTrackInput {
    /// Defaults to the file's title tag, then its file name.
    name: Option<String>,
    /// Defaults to the file's genre tag.
    genre: Option<String>,
    artist_id: Uuid,
}

/// Omitted fields stay as they are; `null` clears `genre`.
#[derive(InputObject)]
pub struct UpdateTrackInput {
    name: Option<String>,
    genre: MaybeUndefined<String>,
    artist_id: Option<Uuid>,
}

fn patch(value: MaybeUndefined<String>) -> Option<Option<String>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v)),
    }
}

#[derive(Default)]
pub struct CatalogQuery;

#[Object]
impl CatalogQuery {
    async fn artist(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Option<Artist>> {
        Ok(catalog::cache::artist(ctx.state()?, id).await?.map(Artist))
    }

    /// Artists by name; `search` matches any part of the name, case-insensitively.
    #[graphql(complexity = "crate::graphql::connection::cost(first, child_complexity)")]
    async fn artists(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        search: Option<String>,
    ) -> async_graphql::Result<Page<Artist>> {
        let (offset, limit) = connection::window(first, after.as_deref())?;
        let (rows, total) =
            catalog::artists_page(&ctx.state()?.db, search.as_deref(), offset, limit).await?;
        Ok(connection::page(
            rows.into_iter().map(Artist).collect(),
            offset,
            total,
        ))
    }

    async fn track(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Option<Track>> {
        Ok(catalog::cache::track(ctx.state()?, id).await?.map(Track))
    }

    /// Tracks by name. `search` matches any part of the name case-insensitively; `genre` is an
    /// exact, case-insensitive match; filters combine.
    #[graphql(complexity = "crate::graphql::connection::cost(first, child_complexity)")]
    async fn tracks(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        search: Option<String>,
        artist_id: Option<Uuid>,
        genre: Option<String>,
    ) -> async_graphql::Result<Page<Track>> {
        let filter = TrackFilter {
            search: search.as_deref(),
            artist_id,
            genre: genre.as_deref(),
        };
        tracks_page(ctx, filter, first, after.as_deref()).await
    }
}

#[derive(Default)]
pub struct CatalogMutation;

#[Object]
impl CatalogMutation {
    async fn create_artist(
        &self,
        ctx: &Context<'_>,
        input: CreateArtistInput,
    ) -> async_graphql::Result<Artist> {
        let viewer = ctx.viewer().require()?;
        let fields = ArtistFields {
            name: Some(input.name),
            genre: Some(input.genre),
            image_url: Some(input.image_url),
        };
        Ok(Artist(
            catalog::create_artist(&ctx.state()?.db, viewer.user_id, fields).await?,
        ))
    }

    /// Whoever added the artist, or an admin.
    async fn update_artist(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: UpdateArtistInput,
    ) -> async_graphql::Result<Artist> {
        let viewer = ctx.viewer().require()?;
        let fields = ArtistFields {
            name: input.name,
            genre: patch(input.genre),
            image_url: patch(input.image_url),
        };
        Ok(Artist(
            catalog::update_artist(ctx.state()?, viewer.user_id, id, fields).await?,
        ))
    }

    /// Whoever added the artist, or an admin; `CONFLICT` while it still has tracks.
    async fn delete_artist(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<bool> {
        let viewer = ctx.viewer().require()?;
        Ok(catalog::delete_artist(ctx.state()?, viewer.user_id, id).await?)
    }

    /// A GraphQL multipart request with the audio as `file`. The file is probed (format,
    /// duration, bitrate, sample rate) and refused with `BAD_USER_INPUT` on `file` when it is
    /// not audio or is larger than `MAX_UPLOAD_BYTES`.
    async fn upload_track(
        &self,
        ctx: &Context<'_>,
        input: UploadTrackInput,
        file: Upload,
    ) -> async_graphql::Result<Track> {
        let viewer = ctx.viewer().require()?;
        let staged = ctx
            .data_opt::<crate::media::StagedUploads>()
            .and_then(|s| s.get(file.0))
            .ok_or_else(|| {
                AppError::bad_input("file", "Send the file as a GraphQL multipart request")
            })?;
        let fields = TrackFields {
            name: input.name,
            genre: Some(input.genre),
            artist_id: Some(input.artist_id),
        };
        let state = ctx.state()?;
        Ok(Track(
            catalog::upload_track(state, viewer.user_id, fields, staged).await?,
        ))
    }

    /// The uploader, or an admin.
    async fn update_track(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: UpdateTrackInput,
    ) -> async_graphql::Result<Track> {
        let viewer = ctx.viewer().require()?;
        let fields = TrackFields {
            name: input.name,
            genre: patch(input.genre),
            artist_id: input.artist_id,
        };
        Ok(Track(
            catalog::update_track(ctx.state()?, viewer.user_id, id, fields).await?,
        ))
    }

    /// The uploader, or an admin. Removes the audio file, playlist entries and favorites too.
    async fn delete_track(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<bool> {
        let viewer = ctx.viewer().require()?;
        Ok(catalog::delete_track(ctx.state()?, viewer.user_id, id).await?)
    }
}
