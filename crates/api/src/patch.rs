//! PATCH bodies: a field left out changes nothing, `null` clears it, a value sets it.

use serde::{Deserialize, Deserializer};

/// For `#[serde(default, deserialize_with = "double_option")] field: Option<Option<T>>`: absent is
/// `None`, `null` is `Some(None)`, a value is `Some(Some(value))`.
pub fn double_option<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}
