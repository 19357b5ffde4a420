//! Paging list queries: by offset (one page and how many rows the list has: what the catalog's
//! Relay connections are answered with), and by keyset (lists whose order moves while clients
//! page, such as conversations by last activity, or that grow at one end, such as messages).

use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, Order, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Select,
};

use crate::domain::keyset::{Direction, Key, split_page};
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

/// The sort key columns of a keyset-paged list: a time and a unique id that breaks ties.
pub struct KeyColumns<C> {
    pub at: C,
    pub id: C,
}

/// Up to `limit` rows of `query` (filtered by the caller) in `direction` of `(at, id)`, strictly
/// after `cursor` when given, and whether more follow.
pub async fn keyset<E>(
    db: &impl ConnectionTrait,
    query: Select<E>,
    columns: KeyColumns<E::Column>,
    direction: Direction,
    cursor: Option<Key>,
    limit: u64,
) -> AppResult<(Vec<E::Model>, bool)>
where
    E: EntityTrait,
    E::Model: Send + Sync,
{
    let KeyColumns { at, id } = columns;
    let mut query = query;
    if let Some(key) = cursor {
        let beyond = match direction {
            Direction::Descending => Condition::any()
                .add(at.lt(key.at))
                .add(Condition::all().add(at.eq(key.at)).add(id.lt(key.id))),
            Direction::Ascending => Condition::any()
                .add(at.gt(key.at))
                .add(Condition::all().add(at.eq(key.at)).add(id.gt(key.id))),
        };
        query = query.filter(beyond);
    }
    let order = match direction {
        Direction::Descending => Order::Desc,
        Direction::Ascending => Order::Asc,
    };
    let rows = query
        .order_by(at, order.clone())
        .order_by(id, order)
        .limit(limit.saturating_add(1))
        .all(db)
        .await?;
    Ok(split_page(rows, limit))
}
