//! Keyset pagination: newest first, by `(created_at, id)`.

use serde::Serialize;
use uuid::Uuid;

use super::{Timestamp, ValueError};

pub const DEFAULT_PAGE_SIZE: u64 = 50;
pub const MAX_PAGE_SIZE: u64 = 200;

/// The position after the last row of a page. Opaque to clients: `<micros>.<uuid>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: Timestamp,
    pub id: Uuid,
}

impl Cursor {
    pub fn encode(&self) -> String {
        format!("{}.{}", self.created_at.timestamp_micros(), self.id.simple())
    }

    pub fn decode(raw: &str) -> Result<Self, ValueError> {
        let invalid = || ValueError::new("cursor", "is not a cursor returned by this API");
        let (micros, id) = raw.split_once('.').ok_or_else(invalid)?;
        let micros: i64 = micros.parse().map_err(|_| invalid())?;
        let created_at = chrono::DateTime::from_timestamp_micros(micros).ok_or_else(invalid)?;
        let id = Uuid::parse_str(id).map_err(|_| invalid())?;
        Ok(Self { created_at, id })
    }
}

/// Which page to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    limit: u64,
    after: Option<Cursor>,
}

impl PageRequest {
    /// `limit` is clamped to `1..=MAX_PAGE_SIZE`; `None` means the default size.
    pub fn new(limit: Option<u64>, after: Option<Cursor>) -> Self {
        let limit = limit.unwrap_or(DEFAULT_PAGE_SIZE).clamp(1, MAX_PAGE_SIZE);
        Self { limit, after }
    }

    pub fn first(limit: u64) -> Self {
        Self::new(Some(limit), None)
    }

    pub fn limit(&self) -> u64 {
        self.limit
    }

    pub fn after(&self) -> Option<Cursor> {
        self.after
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self::new(None, None)
    }
}

/// One page of results and the cursor of the next, if there is one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows read in order: the extra row only says that
    /// another page exists.
    pub fn from_rows(mut rows: Vec<T>, request: PageRequest, cursor_of: impl Fn(&T) -> Cursor) -> Self {
        let limit = usize::try_from(request.limit()).unwrap_or(usize::MAX);
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next_cursor = if more { rows.last().map(|row| cursor_of(row).encode()) } else { None };
        Self { items: rows, next_cursor }
    }

    pub fn try_map<U, E>(self, f: impl FnMut(T) -> Result<U, E>) -> Result<Page<U>, E> {
        Ok(Page { items: self.items.into_iter().map(f).collect::<Result<_, _>>()?, next_cursor: self.next_cursor })
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { items: self.items.into_iter().map(f).collect(), next_cursor: self.next_cursor }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips() {
        let cursor = Cursor { created_at: super::super::time::now(), id: Uuid::now_v7() };
        assert_eq!(Cursor::decode(&cursor.encode()).unwrap(), cursor);
    }

    #[test]
    fn rejects_foreign_cursors() {
        for bad in ["", "abc", "12.notauuid", "x.0190b0d0e0f0a0b0c0d0e0f0a0b0c0d0"] {
            assert_eq!(Cursor::decode(bad).unwrap_err().field, "cursor");
        }
    }

    #[test]
    fn limits_are_clamped() {
        assert_eq!(PageRequest::new(Some(0), None).limit(), 1);
        assert_eq!(PageRequest::new(Some(10_000), None).limit(), MAX_PAGE_SIZE);
        assert_eq!(PageRequest::default().limit(), DEFAULT_PAGE_SIZE);
    }

    #[test]
    fn the_extra_row_becomes_the_next_cursor() {
        let now = super::super::time::now();
        let rows: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
        let page = Page::from_rows(rows.clone(), PageRequest::first(2), |id| Cursor { created_at: now, id: *id });
        assert_eq!(page.items, rows[..2]);
        let next = Cursor::decode(page.next_cursor.as_deref().unwrap()).unwrap();
        assert_eq!(next.id, rows[1]);
        let last = Page::from_rows(rows[..2].to_vec(), PageRequest::first(2), |id| Cursor { created_at: now, id: *id });
        assert_eq!(last.next_cursor, None);
    }
}
