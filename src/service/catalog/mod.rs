//! Artists and tracks: who may change what, search and filters, and the life of an audio file.
//!
//! - Anyone signed in may add artists and upload tracks. A track may be changed or deleted by
//!   its uploader or an admin; an artist by whoever created it or an admin, and only while it
//!   has no tracks.
//! - An upload is probed before anything is stored; the file is moved into the media directory
//!   and the row committed together, and a failure removes the file again, so no row ever points
//!   at a missing file.
//! - Deleting a track moves its file aside, deletes the row (favorites and playlist entries go
//!   with it in the same transaction), then removes the file; if the transaction fails the file
//!   is moved back.

pub mod cache;
pub mod track_removal;

use std::{collections::HashMap, path::Path};

use chrono::Utc;
use entity::{artist, favorite, playlist_track, track, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, Order, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Select, Set, TransactionTrait,
    sea_query::{Asterisk, Expr, ExprTrait, Func, LikeExpr, Query},
};
use uuid::Uuid;

use crate::domain::accounts::parse_image_url;
use crate::domain::catalog::{Name, contains_pattern, parse_genre};
use crate::error::{AppError, AppResult};
use crate::media::StagedUpload;
use crate::media::probe::{self, AudioInfo};
use crate::realtime::CatalogChange;
use crate::service::paging;
use crate::state::AppState;

/// What a client sends to create or change an artist; `None` leaves a field as it is, and
/// `Some(None)` clears an optional one.
#[derive(Default)]
pub struct ArtistFields {
    pub name: Option<String>,
    pub genre: Option<Option<String>>,
    pub image_url: Option<Option<String>>,
}

#[derive(Default)]
pub struct TrackFields {
    pub name: Option<String>,
    pub genre: Option<Option<String>>,
    pub artist_id: Option<Uuid>,
}

/// Filters for the track list; all optional and combined with AND.
#[derive(Default)]
pub struct TrackFilter<'a> {
    pub search: Option<&'a str>,
    pub artist_id: Option<Uuid>,
    pub genre: Option<&'a str>,
}

pub async fn is_admin(db: &impl ConnectionTrait, user_id: Uuid) -> AppResult<bool> {
    Ok(user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .is_some_and(|u| u.role == "admin"))
}

// ---- artists ----

pub async fn find_artist(db: &impl ConnectionTrait, id: Uuid) -> AppResult<Option<artist::Model>> {
    Ok(artist::Entity::find_by_id(id).one(db).await?)
}

/// The artist with this name (case-insensitively), created when missing (the import command).
pub async fn artist_named(db: &impl ConnectionTrait, name: &str) -> AppResult<artist::Model> {
    let existing = artist::Entity::find()
        .filter(Expr::expr(Func::lower(Expr::col(artist::Column::Name))).eq(name.to_lowercase()))
        .one(db)
        .await?;
    if let Some(artist) = existing {
        return Ok(artist);
    }
    let now = Utc::now();
    Ok(artist::ActiveModel {
        id: Set(Uuid::new_v4()),
        name: Set(name.to_owned()),
        genre: Set(None),
        image_url: Set(None),
        created_by: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?)
}

pub async fn create_artist(
    db: &impl ConnectionTrait,
    creator: Uuid,
    fields: ArtistFields,
) -> AppResult<artist::Model> {
    let name = Name::parse("name", fields.name.as_deref().unwrap_or_default())?;
    let now = Utc::now();
    Ok(artist::ActiveModel {
        id: Set(Uuid::new_v4()),
        name: Set(name.into_inner()),
        genre: Set(parse_genre(fields.genre.flatten().as_deref())?),
        image_url: Set(parse_image_url(
            "imageUrl",
            fields.image_url.flatten().as_deref(),
        )?),
        created_by: Set(Some(creator)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?)
}

pub async fn update_artist(
    state: &AppState,
    viewer: Uuid,
    id: Uuid,
    fields: ArtistFields,
) -> AppResult<artist::Model> {
    let db = &state.db;
    let artist = editable_artist(db, viewer, id).await?;
    let mut model: artist::ActiveModel = artist.into();
    if let Some(name) = fields.name {
        model.name = Set(Name::parse("name", &name)?.into_inner());
    }
    if let Some(genre) = fields.genre {
        model.genre = Set(parse_genre(genre.as_deref())?);
    }
    if let Some(url) = fields.image_url {
        model.image_url = Set(parse_image_url("imageUrl", url.as_deref())?);
    }
    model.updated_at = Set(Utc::now());
    let updated = model.update(db).await?;
    cache::changed(state, CatalogChange::artist(id));
    Ok(updated)
}

pub async fn delete_artist(state: &AppState, viewer: Uuid, id: Uuid) -> AppResult<bool> {
    let db = &state.db;
    editable_artist(db, viewer, id).await?;
    let tracks = track::Entity::find()
        .filter(track::Column::ArtistId.eq(id))
        .count(db)
        .await?;
    if tracks > 0 {
        return Err(AppError::conflict(
            "id",
            format!("The artist still has {tracks} track(s); delete or move them first"),
        ));
    }
    let deleted = artist::Entity::delete_by_id(id)
        .exec(db)
        .await?
        .rows_affected
        > 0;
    cache::changed(state, CatalogChange::artist(id));
    Ok(deleted)
}

async fn editable_artist(
    db: &impl ConnectionTrait,
    viewer: Uuid,
    id: Uuid,
) -> AppResult<artist::Model> {
    let artist = find_artist(db, id)
        .await?
        .ok_or_else(|| AppError::not_found("Artist not found"))?;
    if artist.created_by != Some(viewer) && !is_admin(db, viewer).await? {
        return Err(AppError::forbidden(
            "Only whoever added this artist (or an admin) may change it",
        ));
    }
    Ok(artist)
}

/// One page of artists by name (and id, for a stable order), optionally searched, and the total.
pub async fn artists_page(
    db: &impl ConnectionTrait,
    search: Option<&str>,
    offset: u64,
    limit: u64,
) -> AppResult<(Vec<artist::Model>, u64)> {
    let mut query = artist::Entity::find();
    if let Some(pattern) = contains_pattern(search)? {
        query = query.filter(
            Expr::expr(Func::lower(Expr::col(artist::Column::Name)))
                .like(LikeExpr::new(pattern).escape('\\')),
        );
    }
    let query = query
        .order_by_asc(artist::Column::Name)
        .order_by_asc(artist::Column::Id);
    paging::page(db, query, offset, limit).await
}

// ---- tracks ----

pub async fn find_track(db: &impl ConnectionTrait, id: Uuid) -> AppResult<Option<track::Model>> {
    Ok(track::Entity::find_by_id(id).one(db).await?)
}

fn filtered(filter: &TrackFilter<'_>) -> AppResult<Select<track::Entity>> {
    let mut query = track::Entity::find();
    if let Some(pattern) = contains_pattern(filter.search)? {
        query = query.filter(
            Expr::expr(Func::lower(Expr::col(track::Column::Name)))
                .like(LikeExpr::new(pattern).escape('\\')),
        );
    }
    if let Some(artist_id) = filter.artist_id {
        query = query.filter(track::Column::ArtistId.eq(artist_id));
    }
    if let Some(genre) = parse_genre(filter.genre)? {
        query = query.filter(
            Expr::expr(Func::lower(Expr::col(track::Column::Genre)))
                .eq(Expr::val(genre.to_lowercase())),
        );
    }
    Ok(query)
}

/// One page of tracks by name (and id), filtered, and the total.
pub async fn tracks_page(
    db: &impl ConnectionTrait,
    filter: TrackFilter<'_>,
    offset: u64,
    limit: u64,
) -> AppResult<(Vec<track::Model>, u64)> {
    let query = filtered(&filter)?
        .order_by_asc(track::Column::Name)
        .order_by_asc(track::Column::Id);
    paging::page(db, query, offset, limit).await
}

/// The same page of several artists' tracks at once (by name, as in [`tracks_page`]): for each
/// artist, up to `limit` tracks after the first `offset`, and how many it has in all. Two
/// queries, however many artists: a list of artists with their tracks is not N+1.
pub async fn artists_track_pages(
    db: &impl ConnectionTrait,
    artist_ids: &[Uuid],
    offset: u64,
    limit: u64,
) -> Result<HashMap<Uuid, (Vec<track::Model>, u64)>, sea_orm::DbErr> {
    let mut pages: HashMap<Uuid, (Vec<track::Model>, u64)> = HashMap::new();
    if artist_ids.is_empty() {
        return Ok(pages);
    }
    let totals: Vec<(Uuid, i64)> = track::Entity::find()
        .select_only()
        .column(track::Column::ArtistId)
        .column_as(track::Column::Id.count(), "n")
        .filter(track::Column::ArtistId.is_in(artist_ids.to_vec()))
        .group_by(track::Column::ArtistId)
        .into_tuple()
        .all(db)
        .await?;
    for (artist, total) in totals {
        pages.entry(artist).or_default().1 = u64::try_from(total).unwrap_or(0);
    }
    if limit == 0 || pages.is_empty() {
        return Ok(pages);
    }
    // Each artist's tracks numbered in page order; keep the window's numbers.
    let ranked = Query::select()
        .column(Asterisk)
        .expr_as(
            Expr::cust(r#"ROW_NUMBER() OVER (PARTITION BY "artist_id" ORDER BY "name", "id")"#),
            "page_rank",
        )
        .from(track::Entity)
        .and_where(track::Column::ArtistId.is_in(artist_ids.to_vec()))
        .to_owned();
    let first = i64::try_from(offset).unwrap_or(i64::MAX);
    let last = i64::try_from(offset.saturating_add(limit)).unwrap_or(i64::MAX);
    let window = Query::select()
        .column(Asterisk)
        .from_subquery(ranked, "ranked")
        .and_where(Expr::col("page_rank").gt(first))
        .and_where(Expr::col("page_rank").lte(last))
        .order_by("artist_id", Order::Asc)
        .order_by("page_rank", Order::Asc)
        .to_owned();
    let statement = db.get_database_backend().build(&window);
    let rows = track::Entity::find()
        .from_raw_sql(statement)
        .all(db)
        .await?;
    for row in rows {
        pages.entry(row.artist_id).or_default().0.push(row);
    }
    Ok(pages)
}

/// Probes a staged upload and, when it is audio, stores it as a new track of `uploader`'s.
pub async fn upload_track(
    state: &AppState,
    uploader: Uuid,
    fields: TrackFields,
    upload: &StagedUpload,
) -> AppResult<track::Model> {
    let artist_id = fields
        .artist_id
        .ok_or_else(|| AppError::bad_input("artistId", "Choose the track's artist"))?;
    let genre = parse_genre(fields.genre.flatten().as_deref())?;
    let explicit_name = fields
        .name
        .as_deref()
        .map(|n| Name::parse("name", n))
        .transpose()?;
    if find_artist(&state.db, artist_id).await?.is_none() {
        return Err(AppError::not_found("Artist not found"));
    }
    if upload.size > state.config.media.max_upload_bytes {
        return Err(AppError::bad_input(
            "file",
            "The file is larger than the upload limit",
        ));
    }
    let info = probe_file(state, &upload.path, &upload.filename).await?;
    let name = match explicit_name {
        Some(name) => name,
        None => fallback_name(&info, &upload.filename)?,
    };
    store_track(
        state,
        &upload.path,
        NewTrack {
            name,
            genre: genre.or_else(|| info.tags.genre.clone()),
            artist_id,
            uploaded_by: Some(uploader),
            size_bytes: upload.size,
            info,
        },
    )
    .await
}

/// Probes an audio file (off the async runtime, in turn); `filename` only hints at the format.
pub async fn probe_file(state: &AppState, path: &Path, filename: &str) -> AppResult<AudioInfo> {
    let extension = Path::new(filename)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    state
        .prober
        .probe(path, extension)
        .await
        .map_err(|probe::NotAudio(reason)| AppError::bad_input("file", reason))
}

/// The title tag, else the file name without its extension.
fn fallback_name(info: &AudioInfo, filename: &str) -> AppResult<Name> {
    let stem = Path::new(filename)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    let candidate = info.tags.title.as_deref().unwrap_or(stem);
    Name::parse("name", candidate)
}

/// A probed file about to become a track.
pub struct NewTrack {
    pub name: Name,
    pub genre: Option<String>,
    pub artist_id: Uuid,
    pub uploaded_by: Option<Uuid>,
    pub size_bytes: u64,
    pub info: AudioInfo,
}

/// Stores `staged` as a new track's audio, then commits its row: both or neither.
pub async fn store_track(
    state: &AppState,
    staged: &Path,
    new: NewTrack,
) -> AppResult<track::Model> {
    let id = Uuid::new_v4();
    let now = Utc::now();
    state
        .media
        .install_track(staged, id, new.info.mime_type)
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("storing an upload: {e}")))?;
    let inserted = track::ActiveModel {
        id: Set(id),
        name: Set(new.name.into_inner()),
        genre: Set(new.genre),
        artist_id: Set(new.artist_id),
        uploaded_by: Set(new.uploaded_by),
        duration_ms: Set(new.info.duration_ms),
        format: Set(new.info.format.to_owned()),
        mime_type: Set(new.info.mime_type.to_owned()),
        bitrate: Set(new.info.bitrate_kbps),
        sample_rate: Set(new.info.sample_rate),
        size_bytes: Set(i64::try_from(new.size_bytes).unwrap_or(i64::MAX)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&state.db)
    .await;
    match inserted {
        Ok(row) => Ok(row),
        Err(e) => {
            state.media.discard_track(id).await;
            Err(e.into())
        }
    }
}

pub async fn update_track(
    state: &AppState,
    viewer: Uuid,
    id: Uuid,
    fields: TrackFields,
) -> AppResult<track::Model> {
    let db = &state.db;
    let track = editable_track(db, viewer, id).await?;
    let mut model: track::ActiveModel = track.into();
    if let Some(name) = fields.name {
        model.name = Set(Name::parse("name", &name)?.into_inner());
    }
    if let Some(genre) = fields.genre {
        model.genre = Set(parse_genre(genre.as_deref())?);
    }
    if let Some(artist_id) = fields.artist_id {
        if find_artist(db, artist_id).await?.is_none() {
            return Err(AppError::not_found("Artist not found"));
        }
        model.artist_id = Set(artist_id);
    }
    model.updated_at = Set(Utc::now());
    let updated = model.update(db).await?;
    cache::changed(state, CatalogChange::track(id));
    Ok(updated)
}

pub async fn delete_track(state: &AppState, viewer: Uuid, id: Uuid) -> AppResult<bool> {
    editable_track(&state.db, viewer, id).await?;
    let retired = state
        .media
        .retire(id)
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("retiring a track's file: {e}")))?;
    let deleted: AppResult<(bool, track_removal::Affected)> = async {
        let txn = state.db.begin().await?;
        favorite::Entity::delete_many()
            .filter(favorite::Column::TrackId.eq(id))
            .exec(&txn)
            .await?;
        remove_from_playlists(&txn, id).await?;
        let affected = track_removal::unload(&txn, id).await?;
        let rows = track::Entity::delete_by_id(id)
            .exec(&txn)
            .await?
            .rows_affected;
        txn.commit().await?;
        Ok((rows > 0, affected))
    }
    .await;
    match &deleted {
        Ok(_) => state.media.finish_retiring(retired).await,
        Err(_) => state.media.restore(retired).await,
    }
    let (deleted, affected) = deleted?;
    cache::changed(state, CatalogChange::track(id));
    track_removal::announce(state, affected).await;
    Ok(deleted)
}

/// Removes a track from every playlist, closing the gaps it leaves in their order.
async fn remove_from_playlists(db: &impl ConnectionTrait, track_id: Uuid) -> AppResult<()> {
    let entries = playlist_track::Entity::find()
        .filter(playlist_track::Column::TrackId.eq(track_id))
        .all(db)
        .await?;
    for entry in entries {
        playlist_track::Entity::delete_by_id(entry.id)
            .exec(db)
            .await?;
        playlist_track::Entity::update_many()
            .col_expr(
                playlist_track::Column::Position,
                Expr::col(playlist_track::Column::Position).sub(1),
            )
            .filter(playlist_track::Column::PlaylistId.eq(entry.playlist_id))
            .filter(playlist_track::Column::Position.gt(entry.position))
            .exec(db)
            .await?;
    }
    Ok(())
}

async fn editable_track(
    db: &impl ConnectionTrait,
    viewer: Uuid,
    id: Uuid,
) -> AppResult<track::Model> {
    let track = find_track(db, id)
        .await?
        .ok_or_else(|| AppError::not_found("Track not found"))?;
    if track.uploaded_by != Some(viewer) && !is_admin(db, viewer).await? {
        return Err(AppError::forbidden(
            "Only the uploader (or an admin) may change this track",
        ));
    }
    Ok(track)
}
