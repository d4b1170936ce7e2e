//! One module per subcommand.

pub mod apikey;
pub mod demo;
pub mod export;
pub mod import;
pub mod migrate;
pub mod org;
pub mod serve;
pub mod todos;

use std::fmt::Display;

use givance_infra::db::{self, ConnectError, PoolSettings};
use givance_infra::{DatabaseConnection, Repositories};

use crate::config::DatabaseUrl;

/// For the administration commands: a small pool on `url`, migrated, and the repositories.
pub(crate) async fn open(url: &DatabaseUrl) -> anyhow::Result<(DatabaseConnection, Repositories)> {
    let conn = db::connect(url.expose(), &PoolSettings { max_connections: 2, ..PoolSettings::default() }).await?;
    // Read-only first: an up-to-date database is not touched (PostgreSQL would log notices).
    let status = db::migration_status(&conn).await.map_err(migration_failed(url))?;
    if status.iter().any(|m| !m.applied) {
        db::migrate_up(&conn).await.map_err(migration_failed(url))?;
    }
    let repos = Repositories::new(&conn);
    Ok((conn, repos))
}

/// A failed migration, named after the (redacted) database it ran on.
pub(crate) fn migration_failed<E: Display>(url: &DatabaseUrl) -> impl Fn(E) -> ConnectError + '_ {
    move |err| ConnectError::Migration { url: url.to_string(), reason: err.to_string() }
}
