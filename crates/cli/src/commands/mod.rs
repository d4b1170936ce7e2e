//! One module per subcommand.

pub mod migrate;
pub mod serve;

use std::fmt::Display;

use givance_infra::db::ConnectError;

use crate::config::DatabaseUrl;

/// A failed migration, named after the (redacted) database it ran on.
pub(crate) fn migration_failed<E: Display>(url: &DatabaseUrl) -> impl Fn(E) -> ConnectError + '_ {
    move |err| ConnectError::Migration { url: url.to_string(), reason: err.to_string() }
}
