//! A read-through cache of catalog rows (artists and tracks by id), so that reading a track and
//! its artist needs no database round trip once they were read.
//!
//! Every write of a row forgets it here, right after its transaction commits, and tells the
//! other instances through the event bus ([`Topic::Catalog`]); a subscriber that may have
//! missed such news (the Redis bridge was down) forgets everything. A read that raced a write
//! never puts its (older) row back: rows are only kept when no write happened since the read
//! began. What depends on the viewer (`isFavorite`, `streamUrl`) is not a row and is never
//! cached.

use std::{
    collections::HashMap,
    sync::atomic::{AtomicU64, Ordering},
};

use dashmap::{DashMap, mapref::entry::Entry};
use entity::{artist, track};
use futures_util::StreamExt;
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::error::AppResult;
use crate::realtime::{CatalogChange, Event, Topic, bus::Delivery};
use crate::state::AppState;

/// Most rows of each kind kept; past it, the cache starts over.
pub const MAX_ROWS: usize = 20_000;

/// Rows of one kind by id.
pub struct Rows<M> {
    map: DashMap<Uuid, M>,
    /// Counts writes: a read keeps its row only if no write happened since it began.
    writes: AtomicU64,
}

impl<M> Default for Rows<M> {
    fn default() -> Self {
        Self {
            map: DashMap::new(),
            writes: AtomicU64::new(0),
        }
    }
}

impl<M: Clone> Rows<M> {
    pub fn get(&self, id: &Uuid) -> Option<M> {
        self.map.get(id).map(|row| row.clone())
    }

    /// Taken before reading the database: what [`Rows::keep`] needs.
    pub fn epoch(&self) -> u64 {
        self.writes.load(Ordering::SeqCst)
    }

    /// Keeps `row`, read since `epoch`, unless a write happened meanwhile.
    pub fn keep(&self, epoch: u64, id: Uuid, row: M) {
        if self.map.len() >= MAX_ROWS {
            self.map.clear();
        }
        // Checked under the entry's lock, which a write's removal takes after counting itself.
        if let Entry::Vacant(vacant) = self.map.entry(id)
            && self.writes.load(Ordering::SeqCst) == epoch
        {
            vacant.insert(row);
        }
    }

    pub fn forget(&self, id: &Uuid) {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.map.remove(id);
    }

    pub fn clear(&self) {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.map.clear();
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

#[derive(Default)]
pub struct CatalogCache {
    pub artists: Rows<artist::Model>,
    pub tracks: Rows<track::Model>,
}

impl CatalogCache {
    fn apply(&self, change: &CatalogChange) {
        for id in &change.artists {
            self.artists.forget(id);
        }
        for id in &change.tracks {
            self.tracks.forget(id);
        }
    }

    fn clear(&self) {
        self.artists.clear();
        self.tracks.clear();
    }
}

/// After a write has committed: forgets the rows here and tells the other instances.
pub fn changed(state: &AppState, change: CatalogChange) {
    state.catalog_cache.apply(&change);
    state.bus.publish(Topic::Catalog, Event::Catalog(change));
}

/// Follows the catalog news of every instance (this one's too, which is harmless) for as long
/// as the process runs.
pub fn follow(state: &AppState) {
    let mut news = state.bus.subscribe(Topic::Catalog);
    let state = state.clone();
    tokio::spawn(async move {
        while let Some(delivery) = news.next().await {
            match delivery {
                Delivery::Event(event) => {
                    if let Event::Catalog(change) = event.as_ref() {
                        state.catalog_cache.apply(change);
                    }
                }
                Delivery::Lagged(_) => state.catalog_cache.clear(),
            }
        }
    });
}

pub async fn track(state: &AppState, id: Uuid) -> AppResult<Option<track::Model>> {
    Ok(tracks(state, &[id]).await?.remove(&id))
}

pub async fn artist(state: &AppState, id: Uuid) -> AppResult<Option<artist::Model>> {
    Ok(artists(state, &[id]).await?.remove(&id))
}

/// Tracks by id: from the cache, and the others in one query.
pub async fn tracks(state: &AppState, ids: &[Uuid]) -> Result<HashMap<Uuid, track::Model>, DbErr> {
    let rows = &state.catalog_cache.tracks;
    read_through(rows, ids, |missing| async {
        Ok(track::Entity::find()
            .filter(track::Column::Id.is_in(missing))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|t| (t.id, t))
            .collect())
    })
    .await
}

/// Artists by id: from the cache, and the others in one query.
pub async fn artists(
    state: &AppState,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, artist::Model>, DbErr> {
    let rows = &state.catalog_cache.artists;
    read_through(rows, ids, |missing| async {
        Ok(artist::Entity::find()
            .filter(artist::Column::Id.is_in(missing))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|a| (a.id, a))
            .collect())
    })
    .await
}

async fn read_through<M, F, Fut>(
    rows: &Rows<M>,
    ids: &[Uuid],
    load: F,
) -> Result<HashMap<Uuid, M>, DbErr>
where
    M: Clone,
    F: FnOnce(Vec<Uuid>) -> Fut,
    Fut: std::future::Future<Output = Result<HashMap<Uuid, M>, DbErr>>,
{
    let mut found = HashMap::with_capacity(ids.len());
    let mut missing = Vec::new();
    for id in ids {
        match rows.get(id) {
            Some(row) => {
                found.insert(*id, row);
            }
            None => missing.push(*id),
        }
    }
    if missing.is_empty() {
        return Ok(found);
    }
    let epoch = rows.epoch();
    for (id, row) in load(missing).await? {
        rows.keep(epoch, id, row.clone());
        found.insert(id, row);
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_that_raced_a_write_is_not_kept() {
        let rows: Rows<u32> = Rows::default();
        let id = Uuid::new_v4();
        let epoch = rows.epoch();
        rows.forget(&id);
        rows.keep(epoch, id, 1);
        assert_eq!(rows.get(&id), None, "written since the read began");
        let epoch = rows.epoch();
        rows.keep(epoch, id, 2);
        assert_eq!(rows.get(&id), Some(2));
        rows.forget(&id);
        assert_eq!(rows.get(&id), None);
    }

    #[test]
    fn changes_forget_their_rows() {
        let cache = CatalogCache::default();
        let (artist_id, track_id) = (Uuid::new_v4(), Uuid::new_v4());
        let now = chrono::Utc::now();
        cache.artists.keep(
            cache.artists.epoch(),
            artist_id,
            artist::Model {
                id: artist_id,
                name: "A".into(),
                genre: None,
                image_url: None,
                created_by: None,
                created_at: now,
                updated_at: now,
            },
        );
        assert_eq!(cache.artists.len(), 1);
        cache.apply(&CatalogChange {
            artists: vec![artist_id],
            tracks: vec![track_id],
        });
        assert!(cache.artists.is_empty());
    }
}
