//! One page of a list query and how many rows the whole list has: what every Relay connection
//! (`first`, `after`) is answered with.

use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait, QuerySelect, Select};

use crate::error::AppResult;

/// Rows `offset..offset + limit` of `query` (filtered and ordered by the caller, with a unique
/// last sort key so that pages never overlap) and the number of rows it matches in all.
pub async fn page<E>(
    db: &impl ConnectionTrait,
    query: Select<E>,
    offset: u64,
    limit: u64,
) -> AppResult<(Vec<E::Model>, u64)>
where
    E: EntityTrait,
    E::Model: Send + Sync,
{
    let total = query.clone().count(db).await?;
    let rows = query.offset(offset).limit(limit).all(db).await?;
    Ok((rows, total))
}
