//! Playlists and favorites.
//!
//! - A playlist belongs to its owner, who alone may change it (`FORBIDDEN` for others). A
//!   private playlist does not exist for anyone else (`NOT_FOUND`).
//! - A track appears at most once in a playlist (a unique index says so); adding it again is
//!   `CONFLICT`. Positions are kept contiguous, `0..trackCount`, through inserts, moves and
//!   removals. Every change first touches the playlist row, which serialises concurrent edits of
//!   one playlist on both SQLite and PostgreSQL.
//! - Favorites are a set: adding or removing twice is harmless.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use entity::{favorite, playlist, playlist_track, track};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
    sea_query::Expr,
};
use uuid::Uuid;

use crate::domain::accounts::parse_image_url;
use crate::domain::catalog::Name;
use crate::error::{AppError, AppResult};
use crate::service::paging;

#[derive(Default)]
pub struct PlaylistFields {
    pub name: Option<String>,
    pub image_url: Option<Option<String>>,
    pub is_public: Option<bool>,
}

pub async fn create_playlist(
    db: &impl ConnectionTrait,
    owner: Uuid,
    fields: PlaylistFields,
) -> AppResult<playlist::Model> {
    let name = Name::parse("name", fields.name.as_deref().unwrap_or_default())?;
    let now = Utc::now();
    Ok(playlist::ActiveModel {
        id: Set(Uuid::new_v4()),
        name: Set(name.into_inner()),
        image_url: Set(parse_image_url(
            "imageUrl",
            fields.image_url.flatten().as_deref(),
        )?),
        owner_id: Set(owner),
        is_public: Set(fields.is_public.unwrap_or(false)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?)
}

/// A playlist as `viewer` may see it: public ones, and their own.
pub async fn visible_playlist(
    db: &impl ConnectionTrait,
    viewer: Option<Uuid>,
    id: Uuid,
) -> AppResult<playlist::Model> {
    playlist::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|p| p.is_public || Some(p.owner_id) == viewer)
        .ok_or_else(|| AppError::not_found("Playlist not found"))
}

async fn owned_playlist(
    db: &impl ConnectionTrait,
    viewer: Uuid,
    id: Uuid,
) -> AppResult<playlist::Model> {
    let playlist = visible_playlist(db, Some(viewer), id).await?;
    if playlist.owner_id != viewer {
        return Err(AppError::forbidden(
            "Only the owner may change this playlist",
        ));
    }
    Ok(playlist)
}

pub async fn update_playlist(
    db: &impl ConnectionTrait,
    viewer: Uuid,
    id: Uuid,
    fields: PlaylistFields,
) -> AppResult<playlist::Model> {
    let playlist = owned_playlist(db, viewer, id).await?;
    let mut model: playlist::ActiveModel = playlist.into();
    if let Some(name) = fields.name {
        model.name = Set(Name::parse("name", &name)?.into_inner());
    }
    if let Some(url) = fields.image_url {
        model.image_url = Set(parse_image_url("imageUrl", url.as_deref())?);
    }
    if let Some(is_public) = fields.is_public {
        model.is_public = Set(is_public);
    }
    model.updated_at = Set(Utc::now());
    Ok(model.update(db).await?)
}

pub async fn delete_playlist(db: &impl ConnectionTrait, viewer: Uuid, id: Uuid) -> AppResult<bool> {
    owned_playlist(db, viewer, id).await?;
    // Entries go with it (ON DELETE CASCADE).
    Ok(playlist::Entity::delete_by_id(id)
        .exec(db)
        .await?
        .rows_affected
        > 0)
}

/// One page of the viewer's playlists, most recently changed first, and the total.
pub async fn my_playlists(
    db: &impl ConnectionTrait,
    owner: Uuid,
    offset: u64,
    limit: u64,
) -> AppResult<(Vec<playlist::Model>, u64)> {
    let query = playlist::Entity::find()
        .filter(playlist::Column::OwnerId.eq(owner))
        .order_by_desc(playlist::Column::UpdatedAt)
        .order_by_asc(playlist::Column::Id);
    paging::page(db, query, offset, limit).await
}

/// One page of a playlist's tracks in playlist order, and the total.
pub async fn playlist_tracks(
    db: &impl ConnectionTrait,
    playlist_id: Uuid,
    offset: u64,
    limit: u64,
) -> AppResult<(Vec<track::Model>, u64)> {
    let entries = playlist_track::Entity::find()
        .filter(playlist_track::Column::PlaylistId.eq(playlist_id))
        .order_by_asc(playlist_track::Column::Position);
    let (page, total) = paging::page(db, entries, offset, limit).await?;
    let ids: Vec<Uuid> = page.iter().map(|e| e.track_id).collect();
    Ok((tracks_in_order(db, &ids).await?, total))
}

/// The tracks with these ids, in the order given, in one query.
async fn tracks_in_order(db: &impl ConnectionTrait, ids: &[Uuid]) -> AppResult<Vec<track::Model>> {
    let mut by_id: HashMap<Uuid, track::Model> = track::Entity::find()
        .filter(track::Column::Id.is_in(ids.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

/// Track counts of several playlists in one query.
pub async fn track_counts(
    db: &DatabaseConnection,
    playlist_ids: &[Uuid],
) -> Result<HashMap<Uuid, i64>, sea_orm::DbErr> {
    #[derive(FromQueryResult)]
    struct Row {
        playlist_id: Uuid,
        n: i64,
    }
    let rows = playlist_track::Entity::find()
        .select_only()
        .column(playlist_track::Column::PlaylistId)
        .column_as(playlist_track::Column::Id.count(), "n")
        .filter(playlist_track::Column::PlaylistId.is_in(playlist_ids.to_vec()))
        .group_by(playlist_track::Column::PlaylistId)
        .into_model::<Row>()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|r| (r.playlist_id, r.n)).collect())
}

/// Adds a track at `position` (0 = first; default and beyond the end = last).
pub async fn add_track(
    db: &DatabaseConnection,
    viewer: Uuid,
    playlist_id: Uuid,
    track_id: Uuid,
    position: Option<i32>,
) -> AppResult<playlist::Model> {
    if position.is_some_and(|p| p < 0) {
        return Err(AppError::bad_input(
            "position",
            "position must not be negative",
        ));
    }
    owned_playlist(db, viewer, playlist_id).await?;
    if track::Entity::find_by_id(track_id).one(db).await?.is_none() {
        return Err(AppError::not_found("Track not found"));
    }
    let txn = db.begin().await?;
    let playlist = touch(&txn, playlist_id).await?;
    let count = playlist_track::Entity::find()
        .filter(playlist_track::Column::PlaylistId.eq(playlist_id))
        .count(&txn)
        .await? as i32;
    if entry(&txn, playlist_id, track_id).await?.is_some() {
        return Err(AppError::conflict(
            "trackId",
            "The track is already in this playlist",
        ));
    }
    let at = position.map_or(count, |p| p.min(count));
    shift(&txn, playlist_id, at, i32::MAX, 1).await?;
    playlist_track::ActiveModel {
        id: Set(Uuid::new_v4()),
        playlist_id: Set(playlist_id),
        track_id: Set(track_id),
        position: Set(at),
        added_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(playlist)
}

pub async fn remove_track(
    db: &DatabaseConnection,
    viewer: Uuid,
    playlist_id: Uuid,
    track_id: Uuid,
) -> AppResult<playlist::Model> {
    owned_playlist(db, viewer, playlist_id).await?;
    let txn = db.begin().await?;
    let playlist = touch(&txn, playlist_id).await?;
    let entry = entry(&txn, playlist_id, track_id)
        .await?
        .ok_or_else(|| AppError::not_found("The track is not in this playlist"))?;
    playlist_track::Entity::delete_by_id(entry.id)
        .exec(&txn)
        .await?;
    shift(&txn, playlist_id, entry.position + 1, i32::MAX, -1).await?;
    txn.commit().await?;
    Ok(playlist)
}

/// Moves a track to `position` (clamped to the last place).
pub async fn move_track(
    db: &DatabaseConnection,
    viewer: Uuid,
    playlist_id: Uuid,
    track_id: Uuid,
    position: i32,
) -> AppResult<playlist::Model> {
    if position < 0 {
        return Err(AppError::bad_input(
            "position",
            "position must not be negative",
        ));
    }
    owned_playlist(db, viewer, playlist_id).await?;
    let txn = db.begin().await?;
    let playlist = touch(&txn, playlist_id).await?;
    let entry = entry(&txn, playlist_id, track_id)
        .await?
        .ok_or_else(|| AppError::not_found("The track is not in this playlist"))?;
    let count = playlist_track::Entity::find()
        .filter(playlist_track::Column::PlaylistId.eq(playlist_id))
        .count(&txn)
        .await? as i32;
    let to = position.min(count - 1);
    let from = entry.position;
    if to < from {
        shift(&txn, playlist_id, to, from - 1, 1).await?;
    } else if to > from {
        shift(&txn, playlist_id, from + 1, to, -1).await?;
    }
    let mut model: playlist_track::ActiveModel = entry.into();
    model.position = Set(to);
    model.update(&txn).await?;
    txn.commit().await?;
    Ok(playlist)
}

/// Bumps `updated_at` (taking the row's write lock first) and returns the playlist.
async fn touch(db: &impl ConnectionTrait, playlist_id: Uuid) -> AppResult<playlist::Model> {
    playlist::Entity::update_many()
        .col_expr(playlist::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(playlist::Column::Id.eq(playlist_id))
        .exec(db)
        .await?;
    playlist::Entity::find_by_id(playlist_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("Playlist not found"))
}

async fn entry(
    db: &impl ConnectionTrait,
    playlist_id: Uuid,
    track_id: Uuid,
) -> AppResult<Option<playlist_track::Model>> {
    Ok(playlist_track::Entity::find()
        .filter(playlist_track::Column::PlaylistId.eq(playlist_id))
        .filter(playlist_track::Column::TrackId.eq(track_id))
        .one(db)
        .await?)
}

/// Adds `by` to the position of entries with `from <= position <= to`.
async fn shift(
    db: &impl ConnectionTrait,
    playlist_id: Uuid,
    from: i32,
    to: i32,
    by: i32,
) -> AppResult<()> {
    use sea_orm::sea_query::ExprTrait as _;
    playlist_track::Entity::update_many()
        .col_expr(
            playlist_track::Column::Position,
            Expr::col(playlist_track::Column::Position).add(by),
        )
        .filter(playlist_track::Column::PlaylistId.eq(playlist_id))
        .filter(playlist_track::Column::Position.between(from, to))
        .exec(db)
        .await?;
    Ok(())
}

// ---- favorites ----

pub async fn add_favorite(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    track_id: Uuid,
) -> AppResult<track::Model> {
    let track = track::Entity::find_by_id(track_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("Track not found"))?;
    favorite::Entity::insert(favorite::ActiveModel {
        user_id: Set(user_id),
        track_id: Set(track_id),
        created_at: Set(Utc::now()),
    })
    .on_conflict_do_nothing_on([favorite::Column::UserId, favorite::Column::TrackId])
    .exec(db)
    .await?;
    Ok(track)
}

pub async fn remove_favorite(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    track_id: Uuid,
) -> AppResult<track::Model> {
    let track = track::Entity::find_by_id(track_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("Track not found"))?;
    favorite::Entity::delete_by_id((user_id, track_id))
        .exec(db)
        .await?;
    Ok(track)
}

/// One page of a user's favorite tracks, newest first, and the total.
pub async fn favorites_page(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    offset: u64,
    limit: u64,
) -> AppResult<(Vec<track::Model>, u64)> {
    let query = favorite::Entity::find().filter(favorite::Column::UserId.eq(user_id));
    let total = query.clone().count(db).await?;
    let favorites = query
        .order_by_desc(favorite::Column::CreatedAt)
        .order_by_desc(favorite::Column::TrackId)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    let ids: Vec<Uuid> = favorites.iter().map(|f| f.track_id).collect();
    Ok((tracks_in_order(db, &ids).await?, total))
}

/// Which of `track_ids` the user has favorited, in one query.
pub async fn favorite_set(
    db: &DatabaseConnection,
    user_id: Uuid,
    track_ids: &[Uuid],
) -> Result<HashSet<Uuid>, sea_orm::DbErr> {
    Ok(favorite::Entity::find()
        .filter(favorite::Column::UserId.eq(user_id))
        .filter(favorite::Column::TrackId.is_in(track_ids.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .map(|f| f.track_id)
        .collect())
}
