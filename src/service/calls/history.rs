//! The viewer's call history, newest first: every call they took part in (placed, answered,
//! declined, missed or refused as busy). Keyset-paged on the call's creation.

use entity::{call, call_participant};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};
use uuid::Uuid;

use crate::domain::keyset::{Direction, Key};
use crate::error::AppResult;
use crate::service::paging::{KeyColumns, keyset};

pub struct HistoryPage {
    pub calls: Vec<call::Model>,
    pub has_more: bool,
    pub total: u64,
}

/// Up to `limit` of the user's calls after `cursor`, newest first: three queries whatever the
/// page size.
pub async fn list(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    limit: u64,
    cursor: Option<Key>,
) -> AppResult<HistoryPage> {
    let mine =
        call_participant::Entity::find().filter(call_participant::Column::UserId.eq(user_id));
    let total = mine.clone().count(db).await?;
    let (rows, has_more) = keyset(
        db,
        mine,
        KeyColumns {
            at: call_participant::Column::CallCreatedAt,
            id: call_participant::Column::CallId,
        },
        Direction::Descending,
        cursor,
        limit,
    )
    .await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.call_id).collect();
    let mut calls = call::Entity::find()
        .filter(call::Column::Id.is_in(ids.clone()))
        .all(db)
        .await?;
    calls.sort_by_key(|c| ids.iter().position(|id| *id == c.id));
    Ok(HistoryPage {
        calls,
        has_more,
        total,
    })
}
