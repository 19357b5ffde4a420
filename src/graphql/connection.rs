//! Relay cursor connections: `(first, after)` in, `edges`/`nodes`/`pageInfo`/`totalCount` out.
//! `first` defaults to 20 and is capped at 100. Cursors are opaque (base64 of a position).

use async_graphql::{
    OutputType, SimpleObject,
    connection::{Connection, Edge},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use crate::error::{AppError, AppResult};

pub const DEFAULT_PAGE: i32 = 20;
pub const MAX_PAGE: i32 = 100;

/// Query cost of a paged list (see `query_limits`): the field, plus its page size times what
/// one item's selection costs.
pub fn cost(first: Option<i32>, child_complexity: usize) -> usize {
    let page = first.unwrap_or(DEFAULT_PAGE).clamp(0, MAX_PAGE) as usize;
    1 + page.saturating_mul(child_complexity)
}

/// Query cost of a list without paging whose length is bounded by `bound`.
pub fn bounded_cost(bound: usize, child_complexity: usize) -> usize {
    1 + bound.saturating_mul(child_complexity)
}

/// Costing bounds of the unpaged lists: the default `ROOM_MAX_MEMBERS` and `ROOM_MAX_QUEUE`.
pub const MEMBERS_BOUND: usize = 50;
pub const QUEUE_BOUND: usize = 500;

#[derive(SimpleObject)]
pub struct Total {
    pub total_count: i32,
}

pub type Page<N> = Connection<String, N, Total>;

/// `(offset, limit)` from the arguments.
pub fn window(first: Option<i32>, after: Option<&str>) -> AppResult<(u64, u64)> {
    let first = first.unwrap_or(DEFAULT_PAGE);
    if first < 0 {
        return Err(AppError::bad_input("first", "first must not be negative"));
    }
    let offset = match after {
        None => 0,
        Some(cursor) => {
            decode(cursor).ok_or_else(|| AppError::bad_input("after", "Invalid cursor"))? + 1
        }
    };
    Ok((offset, first.min(MAX_PAGE) as u64))
}

pub fn page<N: OutputType>(nodes: Vec<N>, offset: u64, total: u64) -> Page<N> {
    let len = nodes.len() as u64;
    let mut connection = Connection::with_additional_fields(
        offset > 0,
        offset + len < total,
        Total {
            total_count: i32::try_from(total).unwrap_or(i32::MAX),
        },
    );
    connection.edges.extend(
        nodes
            .into_iter()
            .enumerate()
            .map(|(i, node)| Edge::new(encode(offset + i as u64), node)),
    );
    connection
}

fn encode(position: u64) -> String {
    URL_SAFE_NO_PAD.encode(format!("o:{position}"))
}

fn decode(cursor: &str) -> Option<u64> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    std::str::from_utf8(&bytes)
        .ok()?
        .strip_prefix("o:")?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_grow_with_the_page() {
        assert_eq!(cost(None, 2), 41);
        assert_eq!(cost(Some(100), 2), 201);
        assert_eq!(cost(Some(99_999), 2), 201, "capped like the page");
        assert_eq!(cost(Some(0), 2), 1);
        assert_eq!(bounded_cost(50, 3), 151);
    }

    #[test]
    fn windows() {
        assert_eq!(window(None, None).expect("ok"), (0, 20));
        assert_eq!(window(Some(500), None).expect("ok"), (0, 100));
        assert_eq!(window(Some(5), Some(&encode(9))).expect("ok"), (10, 5));
        assert!(window(Some(-1), None).is_err());
        assert!(window(None, Some("garbage")).is_err());
    }
}
