//! DataLoaders: one batched query per kind per request tick instead of one per row, so that a
//! page of rooms, tracks, users or conversations costs one query per kind, not one per item.

use std::{collections::HashMap, hash::Hash, marker::PhantomData, sync::Arc};

use async_graphql::{
    Context,
    dataloader::{DataLoader, Loader},
};
use entity::{
    artist, attachment, call_participant, conversation_member, message, room_playback,
    room_queue_item, room_user, track, user,
};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, Iterable, PrimaryKeyToColumn, QueryFilter,
    QueryOrder, Select,
};
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::service::social::{self, Relation};
use crate::service::{catalog, library, messenger};
use crate::state::AppState;

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

impl UuidKeyed for message::Model {
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

/// Artists or tracks by id, through the catalog cache: only the rows it lacks are queried, in
/// one `IN (…)` query per batch.
pub struct Catalog<M>(AppState, PhantomData<fn() -> M>);

impl<M> Catalog<M> {
    pub fn new(state: &AppState) -> Self {
        Self(state.clone(), PhantomData)
    }
}

impl Loader<Uuid> for Catalog<artist::Model> {
    type Value = artist::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, artist::Model>, LoadError> {
        Ok(catalog::cache::artists(&self.0, keys).await?)
    }
}

impl Loader<Uuid> for Catalog<track::Model> {
    type Value = track::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, track::Model>, LoadError> {
        Ok(catalog::cache::tracks(&self.0, keys).await?)
    }
}

/// Groups `(key, value)` pairs by key, keeping their order within each group.
fn grouped<K: Hash + Eq, V>(pairs: impl IntoIterator<Item = (K, V)>) -> HashMap<K, Vec<V>> {
    let mut groups: HashMap<K, Vec<V>> = HashMap::new();
    for (key, value) in pairs {
        groups.entry(key).or_default().push(value);
    }
    groups
}

/// Rows that belong to a parent row (a room's members, its queue), in their own order.
pub trait ChildRows: EntityTrait {
    fn parent_column() -> Self::Column;
    fn parent(row: &Self::Model) -> Uuid;
    fn in_order(select: Select<Self>) -> Select<Self>;
}

impl ChildRows for room_user::Entity {
    fn parent_column() -> Self::Column {
        room_user::Column::RoomId
    }
    fn parent(row: &room_user::Model) -> Uuid {
        row.room_id
    }
    /// In the order they joined.
    fn in_order(select: Select<Self>) -> Select<Self> {
        select
            .order_by_asc(room_user::Column::JoinedAt)
            .order_by_asc(room_user::Column::UserId)
    }
}

impl ChildRows for room_queue_item::Entity {
    fn parent_column() -> Self::Column {
        room_queue_item::Column::RoomId
    }
    fn parent(row: &room_queue_item::Model) -> Uuid {
        row.room_id
    }
    /// In play order.
    fn in_order(select: Select<Self>) -> Select<Self> {
        select
            .order_by_asc(room_queue_item::Column::Position)
            .order_by_asc(room_queue_item::Column::Id)
    }
}

impl ChildRows for conversation_member::Entity {
    fn parent_column() -> Self::Column {
        conversation_member::Column::ConversationId
    }
    fn parent(row: &conversation_member::Model) -> Uuid {
        row.conversation_id
    }
    /// In the order they joined.
    fn in_order(select: Select<Self>) -> Select<Self> {
        select
            .order_by_asc(conversation_member::Column::JoinedAt)
            .order_by_asc(conversation_member::Column::UserId)
    }
}

impl ChildRows for call_participant::Entity {
    fn parent_column() -> Self::Column {
        call_participant::Column::CallId
    }
    fn parent(row: &call_participant::Model) -> Uuid {
        row.call_id
    }
    /// In the order they were rung or joined.
    fn in_order(select: Select<Self>) -> Select<Self> {
        select
            .order_by_asc(call_participant::Column::InvitedAt)
            .order_by_asc(call_participant::Column::UserId)
    }
}

impl ChildRows for attachment::Entity {
    fn parent_column() -> Self::Column {
        attachment::Column::MessageId
    }
    /// Only sent attachments are loaded by message (unsent ones have no parent to match).
    fn parent(row: &attachment::Model) -> Uuid {
        row.message_id.unwrap_or_default()
    }
    /// In the message's order.
    fn in_order(select: Select<Self>) -> Select<Self> {
        select
            .order_by_asc(attachment::Column::Position)
            .order_by_asc(attachment::Column::Id)
    }
}

/// The child rows of each parent id, one `IN (…)` query per batch.
pub struct ByParent<E>(DatabaseConnection, PhantomData<fn() -> E>);

impl<E> ByParent<E> {
    pub fn new(db: DatabaseConnection) -> Self {
        Self(db, PhantomData)
    }
}

impl<E> Loader<Uuid> for ByParent<E>
where
    E: ChildRows,
    E::Model: Clone + Send + Sync + 'static,
{
    type Value = Vec<E::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Vec<E::Model>>, LoadError> {
        let rows = E::in_order(E::find().filter(E::parent_column().is_in(keys.to_vec())))
            .all(&self.0)
            .await?;
        Ok(grouped(rows.into_iter().map(|row| (E::parent(&row), row))))
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

/// The relation between a viewer and another user, keyed `(viewer, other)`.
pub struct RelationLoader(pub DatabaseConnection);

impl Loader<(Uuid, Uuid)> for RelationLoader {
    type Value = Relation;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[(Uuid, Uuid)],
    ) -> Result<HashMap<(Uuid, Uuid), Relation>, LoadError> {
        let mut out = HashMap::new();
        for (viewer, others) in grouped(keys.iter().copied()) {
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
        let mut out = HashMap::new();
        for (viewer, tracks) in grouped(keys.iter().copied()) {
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
        let windows = keys
            .iter()
            .map(|(artist, offset, limit)| ((*offset, *limit), *artist));
        let mut out = HashMap::new();
        for ((offset, limit), artists) in grouped(windows) {
            let mut pages = catalog::artists_track_pages(&self.0, &artists, offset, limit).await?;
            for artist in artists {
                let page = pages.remove(&artist).unwrap_or_default();
                out.insert((artist, offset, limit), page);
            }
        }
        Ok(out)
    }
}

/// The newest message of each conversation.
pub struct LastMessageLoader(pub DatabaseConnection);

impl Loader<Uuid> for LastMessageLoader {
    type Value = message::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, message::Model>, LoadError> {
        Ok(messenger::messages::last_messages(&self.0, keys).await?)
    }
}

/// A viewer's unread messages in a conversation, keyed `(viewer, conversation)`.
pub struct UnreadLoader(pub DatabaseConnection);

impl Loader<(Uuid, Uuid)> for UnreadLoader {
    type Value = u64;
    type Error = LoadError;

    async fn load(&self, keys: &[(Uuid, Uuid)]) -> Result<HashMap<(Uuid, Uuid), u64>, LoadError> {
        let mut out = HashMap::new();
        for (viewer, conversations) in grouped(keys.iter().copied()) {
            let counts =
                messenger::messages::unread_counts(&self.0, viewer, &conversations).await?;
            out.extend(
                conversations
                    .into_iter()
                    .map(|c| ((viewer, c), counts.get(&c).copied().unwrap_or(0))),
            );
        }
        Ok(out)
    }
}

/// Registers every loader as schema data.
pub fn register<Q, M, S>(
    builder: async_graphql::SchemaBuilder<Q, M, S>,
    state: &AppState,
) -> async_graphql::SchemaBuilder<Q, M, S> {
    let db = &state.db;
    builder
        .data(DataLoader::new(
            ById::<user::Entity>::new(db.clone()),
            tokio::spawn,
        ))
        .data(DataLoader::new(
            Catalog::<artist::Model>::new(state),
            tokio::spawn,
        ))
        .data(DataLoader::new(
            Catalog::<track::Model>::new(state),
            tokio::spawn,
        ))
        .data(DataLoader::new(RelationLoader(db.clone()), tokio::spawn))
        .data(DataLoader::new(FavoriteLoader(db.clone()), tokio::spawn))
        .data(DataLoader::new(TrackCountLoader(db.clone()), tokio::spawn))
        .data(DataLoader::new(
            ArtistTracksLoader(db.clone()),
            tokio::spawn,
        ))
        .data(DataLoader::new(
            ByParent::<room_user::Entity>::new(db.clone()),
            tokio::spawn,
        ))
        .data(DataLoader::new(
            ByParent::<room_queue_item::Entity>::new(db.clone()),
            tokio::spawn,
        ))
        .data(DataLoader::new(RoomPlaybackRows(db.clone()), tokio::spawn))
        .data(DataLoader::new(
            ById::<message::Entity>::new(db.clone()),
            tokio::spawn,
        ))
        .data(DataLoader::new(
            ByParent::<conversation_member::Entity>::new(db.clone()),
            tokio::spawn,
        ))
        .data(DataLoader::new(
            ByParent::<attachment::Entity>::new(db.clone()),
            tokio::spawn,
        ))
        .data(DataLoader::new(
            ByParent::<call_participant::Entity>::new(db.clone()),
            tokio::spawn,
        ))
        .data(DataLoader::new(LastMessageLoader(db.clone()), tokio::spawn))
        .data(DataLoader::new(UnreadLoader(db.clone()), tokio::spawn))
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
    loader::<Catalog<artist::Model>>(ctx)?
        .load_one(id)
        .await
        .map_err(internal)?
        .ok_or_else(|| AppError::not_found("Artist not found"))
}

pub async fn track(ctx: &Context<'_>, id: Uuid) -> AppResult<Option<track::Model>> {
    loader::<Catalog<track::Model>>(ctx)?
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

/// Several users in one batch, in the order asked (unknown ids are skipped).
pub async fn users(ctx: &Context<'_>, ids: &[Uuid]) -> AppResult<Vec<user::Model>> {
    let mut found = loader::<ById<user::Entity>>(ctx)?
        .load_many(ids.iter().copied())
        .await
        .map_err(internal)?;
    Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
}

/// A room's members in the order they joined.
pub async fn members(ctx: &Context<'_>, room_id: Uuid) -> AppResult<Vec<room_user::Model>> {
    Ok(loader::<ByParent<room_user::Entity>>(ctx)?
        .load_one(room_id)
        .await
        .map_err(internal)?
        .unwrap_or_default())
}

/// A room's queue in play order.
pub async fn queue(ctx: &Context<'_>, room_id: Uuid) -> AppResult<Vec<room_queue_item::Model>> {
    Ok(loader::<ByParent<room_queue_item::Entity>>(ctx)?
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

pub async fn message(ctx: &Context<'_>, id: Uuid) -> AppResult<Option<message::Model>> {
    loader::<ById<message::Entity>>(ctx)?
        .load_one(id)
        .await
        .map_err(internal)
}

/// A conversation's members in the order they joined.
pub async fn conversation_members(
    ctx: &Context<'_>,
    conversation_id: Uuid,
) -> AppResult<Vec<conversation_member::Model>> {
    Ok(loader::<ByParent<conversation_member::Entity>>(ctx)?
        .load_one(conversation_id)
        .await
        .map_err(internal)?
        .unwrap_or_default())
}

/// A sent message's attachments in order.
pub async fn attachments(ctx: &Context<'_>, message_id: Uuid) -> AppResult<Vec<attachment::Model>> {
    Ok(loader::<ByParent<attachment::Entity>>(ctx)?
        .load_one(message_id)
        .await
        .map_err(internal)?
        .unwrap_or_default())
}

pub async fn last_message(
    ctx: &Context<'_>,
    conversation_id: Uuid,
) -> AppResult<Option<message::Model>> {
    loader::<LastMessageLoader>(ctx)?
        .load_one(conversation_id)
        .await
        .map_err(internal)
}

pub async fn unread_count(
    ctx: &Context<'_>,
    viewer: Uuid,
    conversation_id: Uuid,
) -> AppResult<u64> {
    Ok(loader::<UnreadLoader>(ctx)?
        .load_one((viewer, conversation_id))
        .await
        .map_err(internal)?
        .unwrap_or(0))
}

/// A call's participants in the order they were rung or joined.
pub async fn call_participants(
    ctx: &Context<'_>,
    call_id: Uuid,
) -> AppResult<Vec<call_participant::Model>> {
    Ok(loader::<ByParent<call_participant::Entity>>(ctx)?
        .load_one(call_id)
        .await
        .map_err(internal)?
        .unwrap_or_default())
}
