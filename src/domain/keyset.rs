//! Keyset cursors: a position in a list ordered by `(time, id)`, such as conversations by last
//! activity or messages by when they were sent. A page continues strictly after (or before) the
//! key of the last row seen, never at an offset, so rows inserted or moved elsewhere in the list
//! while a client pages never shift a page onto rows it already had or past rows it has not.
//!
//! Cursors are opaque to clients: base64url of `k:<unix microseconds>:<uuid>`.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::{AppError, AppResult};

pub const DEFAULT_PAGE: u64 = 20;
pub const MAX_PAGE: u64 = 100;

/// The sort key of one row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    pub at: DateTime<Utc>,
    pub id: Uuid,
}

impl Key {
    pub fn new(at: DateTime<Utc>, id: Uuid) -> Self {
        Self { at, id }
    }

    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("k:{}:{}", self.at.timestamp_micros(), self.id))
    }

    pub fn decode(cursor: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
        let text = std::str::from_utf8(&bytes).ok()?;
        let (micros, id) = text.strip_prefix("k:")?.split_once(':')?;
        Some(Self {
            at: DateTime::from_timestamp_micros(micros.parse().ok()?)?,
            id: id.parse().ok()?,
        })
    }

    /// The cursor argument `field`, when given; `BAD_USER_INPUT` on `field` when malformed.
    pub fn parse_arg(field: &'static str, cursor: Option<&str>) -> AppResult<Option<Self>> {
        cursor
            .map(|c| Self::decode(c).ok_or_else(|| AppError::bad_input(field, "Invalid cursor")))
            .transpose()
    }
}

/// Which way a page runs from its cursor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Newest first: rows with keys below the cursor.
    Descending,
    /// Oldest first: rows with keys above the cursor.
    Ascending,
}

/// A page size argument (`first` or `last`, named `field`): 20 when omitted, at most 100.
pub fn page_size(field: &'static str, requested: Option<i32>) -> AppResult<u64> {
    match requested {
        None => Ok(DEFAULT_PAGE),
        Some(n) if n < 0 => Err(AppError::bad_input(
            field,
            format!("{field} must not be negative"),
        )),
        Some(n) => Ok((n as u64).min(MAX_PAGE)),
    }
}

/// Rows fetched as `limit + 1` cut down to the page; `true` when there were more.
pub fn split_page<T>(mut rows: Vec<T>, limit: u64) -> (Vec<T>, bool) {
    let more = rows.len() as u64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    (rows, more)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_to_the_microsecond() {
        let at = DateTime::from_timestamp_micros(1_764_000_000_123_456).expect("time");
        let key = Key::new(at, Uuid::now_v7());
        assert_eq!(Key::decode(&key.encode()), Some(key));
        for bad in ["", "garbage", "aw", &URL_SAFE_NO_PAD.encode("o:5")] {
            assert_eq!(Key::decode(bad), None, "{bad}");
        }
        assert!(Key::parse_arg("after", Some("nope")).is_err());
        assert_eq!(Key::parse_arg("after", None).expect("none"), None);
    }

    #[test]
    fn keys_order_by_time_then_id() {
        let at = DateTime::from_timestamp_micros(1_000_000).expect("time");
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        assert!(Key::new(at, a) < Key::new(at, b));
        assert!(Key::new(at, b) < Key::new(at + chrono::Duration::microseconds(1), a));
    }

    #[test]
    fn page_sizes_and_splits() {
        assert_eq!(page_size("first", None).expect("ok"), 20);
        assert_eq!(page_size("first", Some(500)).expect("ok"), 100);
        assert_eq!(page_size("last", Some(0)).expect("ok"), 0);
        assert!(page_size("last", Some(-1)).is_err());
        assert_eq!(split_page(vec![1, 2, 3], 2), (vec![1, 2], true));
        assert_eq!(split_page(vec![1, 2], 2), (vec![1, 2], false));
        assert_eq!(split_page(Vec::<i32>::new(), 0), (vec![], false));
    }
}
