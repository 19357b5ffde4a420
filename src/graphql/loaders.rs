//! DataLoaders: one batched query per kind per request tick instead of one per row.

use std::{collections::HashMap, marker::PhantomData, sync::Arc};

use async_graphql::{
    Context,
    dataloader::{DataLoader, Loader},
};
use entity::{artist, track, user};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, Iterable, PrimaryKeyToColumn, QueryFilter,
};
use uuid::Uuid;

use crate::{
    error::{AppError, AppResult},
    service::{
        catalog, library,
        social::{self, Relation},
    },
};

/// Loader errors must be `Clone`; they surface as internal errors.
type LoadError = Arc<sea_orm::DbErr>;

fn internal(e: LoadError) -> AppError {
    AppError::Internal(anyhow::anyhow!("data loader: {e}"))
}

/// Rows of `E` by their UUID primary key, one `IN (…)` query per batch.
pub struct ById<E>(DatabaseConnection, PhantomData<fn() -> E>);

impl<E> ById<E> {
    pub fn new(db: DatabaseConnection) -> Self {
        Self(db, PhantomData)
    }
}

/// A model whose primary key is a single UUID.
pub trait UuidKeyed {
    fn key(&self) -> Uuid;
}

impl UuidKeyed for user::Model {
    fn key(&self) -> Uuid {
        self.id
    }
}

impl UuidKeyed for artist::Model {
    fn key(&self) -> Uuid {
        self.id
    }
}

impl UuidKeyed for track::Model {
    fn key(&self) -> Uuid {
        self.id
    }
}

impl<E> Loader<Uuid> for ById<E>
where
    E: EntityTrait,
    E::Model: UuidKeyed + Clone + Send + Sync + 'static,
{
    type Value = E::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, E::Model>, LoadError> {
        let Some(pk) = E::PrimaryKey::iter().next() else {
            return Ok(HashMap::new());
        };
        let rows = E::find()
            .filter(pk.into_column().is_in(keys.to_vec()))
            .all(&self.0)
            .await?;
        Ok(rows.into_iter().map(|row| (row.key(), row)).collect())
    }
}

/// The relation between a viewer and another user, keyed `(viewer, other)`.
pub struct RelationLoader(pub DatabaseConnection);

impl Loader<(Uuid, Uuid)> for RelationLoader {
    type Value = Relation;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[(Uuid, Uuid)],
    ) -> Result<HashMap<(Uuid, Uuid), Relation>, LoadError> {
        let mut by_viewer: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        for (viewer, other) in keys {
            by_viewer.entry(*viewer).or_default().push(*other);
        }
        let mut out = HashMap::new();
        for (viewer, others) in by_viewer {
            let relations =
                social::relations(&self.0, viewer, &others)
                    .await
                    .map_err(|e| match e {
                        AppError::Internal(err) => {
                            Arc::new(sea_orm::DbErr::Custom(err.to_string()))
                        }
                        other => Arc::new(sea_orm::DbErr::Custom(other.public_message())),
                    })?;
            out.extend(
                relations
                    .into_iter()
                    .map(|(other, rel)| ((viewer, other), rel)),
            );
        }
        Ok(out)
    }
}

/// Whether a viewer favorited a track, keyed `(viewer, track)`.
pub struct FavoriteLoader(pub DatabaseConnection);

impl Loader<(Uuid, Uuid)> for FavoriteLoader {
    type Value = bool;
    type Error = LoadError;

    async fn load(&self, keys: &[(Uuid, Uuid)]) -> Result<HashMap<(Uuid, Uuid), bool>, LoadError> {
        let mut by_viewer: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        for (viewer, track) in keys {
            by_viewer.entry(*viewer).or_default().push(*track);
        }
        let mut out = HashMap::new();
        for (viewer, tracks) in by_viewer {
            let set = library::favorite_set(&self.0, viewer, &tracks).await?;
            out.extend(tracks.into_iter().map(|t| ((viewer, t), set.contains(&t))));
        }
        Ok(out)
    }
}

/// How many tracks a playlist holds.
pub struct TrackCountLoader(pub DatabaseConnection);

impl Loader<Uuid> for TrackCountLoader {
    type Value = i64;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, i64>, LoadError> {
        let counts = library::track_counts(&self.0, keys).await?;
        Ok(keys
            .iter()
            .map(|k| (*k, counts.get(k).copied().unwrap_or(0)))
            .collect())
    }
}

/// A page of an artist's tracks and how many it has in all, keyed `(artist, offset, limit)`.
pub struct ArtistTracksLoader(pub DatabaseConnection);

type TrackPage = (Vec<track::Model>, u64);

impl Loader<(Uuid, u64, u64)> for ArtistTracksLoader {
    type Value = TrackPage;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[(Uuid, u64, u64)],
    ) -> Result<HashMap<(Uuid, u64, u64), TrackPage>, LoadError> {
        let mut by_window: HashMap<(u64, u64), Vec<Uuid>> = HashMap::new();
        for (artist, offset, limit) in keys {
            by_window
                .entry((*offset, *limit))
                .or_default()
                .push(*artist);
        }
        let mut out = HashMap::new();
        for ((offset, limit), artists) in by_window {
            let mut pages = catalog::artists_track_pages(&self.0, &artists, offset, limit).await?;
            for artist in artists {
                let page = pages.remove(&artist).unwrap_or_default();
                out.insert((artist, offset, limit), page);
            }
        }
        Ok(out)
    }
}

/// Registers every loader as schema data.
pub fn register<Q, M, S>(
    builder: async_graphql::SchemaBuilder<Q, M, S>,
    db: &DatabaseConnection,
) -> async_graphql::SchemaBuilder<Q, M, S> {
    builder
        .data(DataLoader::new(
            ById::<user::Entity>::new(db.clone()),
            tokio::spawn,
        ))
        .data(DataLoader::new(
            ById::<artist::Entity>::new(db.clone()),
            tokio::spawn,
        ))
        .data(DataLoader::new(
            ById::<track::Entity>::new(db.clone()),
            tokio::spawn,
        ))
        .data(DataLoader::new(RelationLoader(db.clone()), tokio::spawn))
        .data(DataLoader::new(FavoriteLoader(db.clone()), tokio::spawn))
        .data(DataLoader::new(TrackCountLoader(db.clone()), tokio::spawn))
        .data(DataLoader::new(
            ArtistTracksLoader(db.clone()),
            tokio::spawn,
        ))
}

fn loader<'a, L: Send + Sync + 'static>(ctx: &'a Context<'_>) -> AppResult<&'a DataLoader<L>> {
    ctx.data::<DataLoader<L>>()
        .map_err(|_| AppError::Internal(anyhow::anyhow!("data loader missing from schema data")))
}

pub async fn user(ctx: &Context<'_>, id: Uuid) -> AppResult<user::Model> {
    loader::<ById<user::Entity>>(ctx)?
        .load_one(id)
        .await
        .map_err(internal)?
        .ok_or_else(|| AppError::not_found("User not found"))
}

pub async fn artist(ctx: &Context<'_>, id: Uuid) -> AppResult<artist::Model> {
    loader::<ById<artist::Entity>>(ctx)?
        .load_one(id)
        .await
        .map_err(internal)?
        .ok_or_else(|| AppError::not_found("Artist not found"))
}

pub async fn track(ctx: &Context<'_>, id: Uuid) -> AppResult<Option<track::Model>> {
    loader::<ById<track::Entity>>(ctx)?
        .load_one(id)
        .await
        .map_err(internal)
}

pub async fn relation(ctx: &Context<'_>, viewer: Uuid, other: Uuid) -> AppResult<Relation> {
    Ok(loader::<RelationLoader>(ctx)?
        .load_one((viewer, other))
        .await
        .map_err(internal)?
        .unwrap_or(Relation::None))
}

pub async fn is_favorite(ctx: &Context<'_>, viewer: Uuid, track: Uuid) -> AppResult<bool> {
    Ok(loader::<FavoriteLoader>(ctx)?
        .load_one((viewer, track))
        .await
        .map_err(internal)?
        .unwrap_or(false))
}

pub async fn track_count(ctx: &Context<'_>, playlist: Uuid) -> AppResult<i64> {
    Ok(loader::<TrackCountLoader>(ctx)?
        .load_one(playlist)
        .await
        .map_err(internal)?
        .unwrap_or(0))
}

/// A page of the artist's tracks (`offset`, `limit`) and the artist's track count.
pub async fn artist_tracks(
    ctx: &Context<'_>,
    artist: Uuid,
    offset: u64,
    limit: u64,
) -> AppResult<TrackPage> {
    Ok(loader::<ArtistTracksLoader>(ctx)?
        .load_one((artist, offset, limit))
        .await
        .map_err(internal)?
        .unwrap_or_default())
}
