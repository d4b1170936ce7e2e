//! Pieces every resource's request and response mapping shares: collecting field errors into
//! one 422, query flags, list paging (`limit`, tagged cursors), rendering money, and the list
//! envelope.

use chrono::{DateTime, Utc};
use givance_domain::{Cursor, PageRequest, Timestamp, ValueError};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// Collects field errors while a request is turned into a domain command, so one 422 lists
/// every bad field at once.
#[derive(Default)]
pub(crate) struct Faults(Vec<ValueError>);

impl Faults {
    /// The value, or `None` with its error recorded.
    pub(crate) fn take<T>(&mut self, result: Result<T, ValueError>) -> Option<T> {
        result.map_err(|e| self.0.push(e)).ok()
    }

    pub(crate) fn push(&mut self, field: &'static str, message: impl Into<String>) {
        self.record(ValueError::new(field, message));
    }

    pub(crate) fn record(&mut self, error: ValueError) {
        self.0.push(error);
    }

    /// A PATCH field that may be left out but not set to null: `Some(value)` when given, `None`
    /// when left out or null (the null recorded as a fault).
    pub(crate) fn non_null<T>(&mut self, field: &'static str, value: Option<Option<T>>) -> Option<T> {
        match value? {
            Some(value) => Some(value),
            None => {
                self.push(field, "cannot be null");
                None
            }
        }
    }

    /// [`non_null`](Self::non_null), then `parse` on the given value (its fault recorded too).
    pub(crate) fn non_null_with<T, U>(
        &mut self,
        field: &'static str,
        value: Option<Option<U>>,
        parse: impl FnOnce(U) -> Result<T, ValueError>,
    ) -> Option<T> {
        let value = self.non_null(field, value)?;
        self.take(parse(value))
    }

    /// A field a create body must give: `parse` on it, or `None` with "is required" recorded
    /// when it was left out (or `parse`'s fault when it does not parse).
    pub(crate) fn required_with<T, U>(
        &mut self,
        field: &'static str,
        value: Option<U>,
        parse: impl FnOnce(U) -> Result<T, ValueError>,
    ) -> Option<T> {
        match value {
            Some(value) => self.take(parse(value)),
            None => {
                self.push(field, "is required");
                None
            }
        }
    }

    /// `value` when no field was refused, else the 422 listing them all.
    pub(crate) fn finish<T>(self, value: T) -> Result<T, ApiError> {
        if self.0.is_empty() { Ok(value) } else { Err(self.0.into()) }
    }
}

/// An RFC 3339 timestamp, as UTC.
pub(crate) fn parse_time(field: &'static str, raw: &str) -> Result<Timestamp, ValueError> {
    DateTime::parse_from_rfc3339(raw.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| ValueError::new(field, format!("'{}' is not an RFC 3339 timestamp", raw.trim())))
}

/// The largest page a list returns.
pub const MAX_LIMIT: u64 = 200;

/// A `true` / `false` query parameter; anything else is recorded against `field`.
pub(crate) fn flag(f: &mut Faults, field: &'static str, raw: Option<&str>) -> Option<bool> {
    match raw?.trim() {
        "true" => Some(true),
        "false" => Some(false),
        _ => {
            f.push(field, "must be 'true' or 'false'");
            None
        }
    }
}

/// The page a list's `limit` and `cursor` ask for. A list hands out cursors tagged
/// `<tag>.<position>` ([`tagged_cursor`]) and accepts only its own: a position in another list
/// (or in another order of the same list) would silently skip or repeat rows.
pub(crate) fn page_request(f: &mut Faults, limit: Option<&str>, cursor: Option<&str>, tag: &str) -> PageRequest {
    let limit = limit.and_then(|raw| match raw.trim().parse::<u64>() {
        Ok(n) if (1..=MAX_LIMIT).contains(&n) => Some(n),
        _ => {
            f.push("limit", format!("must be an integer from 1 to {MAX_LIMIT}"));
            None
        }
    });
    let after = cursor.and_then(|raw| {
        let foreign = || ValueError::new("cursor", "is not a cursor returned by this list");
        let cursor = raw
            .trim()
            .split_once('.')
            .filter(|(own, _)| *own == tag)
            .ok_or_else(foreign)
            .and_then(|(_, position)| Cursor::decode(position).map_err(|_| foreign()));
        f.take(cursor)
    });
    PageRequest::new(limit, after)
}

/// The query of a list that takes nothing but paging; read as text so that a bad value is a
/// 422 naming it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

impl PageQuery {
    /// The page asked for, in the list whose cursors carry `tag`.
    pub(crate) fn page(&self, tag: &str) -> Result<PageRequest, ApiError> {
        let mut f = Faults::default();
        let page = page_request(&mut f, self.limit.as_deref(), self.cursor.as_deref(), tag);
        f.finish(page)
    }
}

/// The `next_cursor` a client sees: the repository's position tagged with the list's tag.
pub(crate) fn tagged_cursor(tag: &str, next: Option<String>) -> Option<String> {
    next.map(|position| format!("{tag}.{position}"))
}

/// Money as the API writes it: a decimal string with two places (`"25.00"`).
pub(crate) fn money_text(mut amount: Decimal) -> String {
    amount.rescale(2);
    amount.to_string()
}

/// One page of a list: `{ "data": [...], "next_cursor": ... }`.
#[derive(Debug, Serialize)]
pub struct ListResponse<T> {
    pub data: Vec<T>,
    pub next_cursor: Option<String>,
}

/// An id from the path. A malformed one names no row, so it is the same 404 (`missing`) as an
/// unknown or another organization's id.
pub(crate) fn path_id<Id: std::str::FromStr>(raw: &str, missing: fn() -> ApiError) -> Result<Id, ApiError> {
    raw.parse().map_err(|_| missing())
}
