//! Small conversions shared by the repositories' row mappings.

use std::str::FromStr;

use givance_domain::{RepoError, Timestamp, ValueError};
use sea_orm::prelude::Json;

/// A timestamp the application always writes; a NULL means the row was written by hand.
pub(crate) fn required_timestamp(column: &str, value: Option<Timestamp>) -> Result<Timestamp, RepoError> {
    value.ok_or_else(|| RepoError::Corrupt(format!("{column} is NULL")))
}

/// Parses an optional stored text into a value object.
pub(crate) fn parse_optional<T>(value: Option<String>) -> Result<Option<T>, RepoError>
where
    T: FromStr<Err = ValueError>,
{
    value.map(|text| text.parse::<T>()).transpose().map_err(RepoError::from)
}

/// A JSON array of strings (the schema's TEXT[] columns); NULL reads as empty.
pub(crate) fn string_list(column: &str, value: Option<Json>) -> Result<Vec<String>, RepoError> {
    match value {
        None | Some(Json::Null) => Ok(Vec::new()),
        Some(json) => serde_json::from_value(json).map_err(|e| RepoError::Corrupt(format!("{column}: {e}"))),
    }
}

pub(crate) fn string_list_json(values: &[String]) -> Json {
    Json::from(values.to_vec())
}
