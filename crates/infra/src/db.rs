//! Connecting to the database named by a URL, and running the schema migrations.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr};

/// The embedded default: a SQLite file in the working directory, created on first use.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://givance.db";

/// Why the database could not be used. Messages never contain a password.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("malformed database URL '{url}': {reason}")]
    Malformed { url: String, reason: String },
    #[error("cannot reach the database at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("migrating the database at {url} failed: {reason}")]
    Migration { url: String, reason: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A URL with its password replaced by `***`, for messages and logs.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((credentials, host)) = rest.rsplit_once('@') else {
        return url.to_owned();
    };
    match credentials.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

/// Checks the URL's shape and says which backend it names, without connecting.
pub fn backend_of(url: &str) -> Result<Backend, ConnectError> {
    let malformed = |reason: &str| ConnectError::Malformed { url: redact(url), reason: reason.to_owned() };
    let (scheme, rest) =
        url.split_once(':').ok_or_else(|| malformed("expected sqlite://PATH or postgres://HOST/DB"))?;
    match scheme {
        "sqlite" => {
            let path = rest.trim_start_matches("//");
            let path = path.split('?').next().unwrap_or_default();
            if path.is_empty() {
                return Err(malformed("a sqlite URL needs a file path, as in sqlite://givance.db"));
            }
            Ok(Backend::Sqlite)
        }
        "postgres" | "postgresql" => {
            let authority = rest.strip_prefix("//").ok_or_else(|| malformed("expected postgres://HOST/DB"))?;
            let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
            let host = host.split(['/', '?']).next().unwrap_or_default();
            if host.is_empty() {
                return Err(malformed("a postgres URL needs a host, as in postgres://user@127.0.0.1:5432/givance"));
            }
            Ok(Backend::Postgres)
        }
        other => Err(malformed(&format!("unsupported scheme '{other}'; use sqlite:// or postgres://"))),
    }
}

/// Connection pool settings.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    pub max_connections: u32,
    pub connect_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self { max_connections: 32, connect_timeout: Duration::from_secs(5) }
    }
}

/// Opens a pool on `url` and checks that the database answers. A SQLite file is created if
/// missing; SQLite runs in WAL mode with foreign keys enforced.
pub async fn connect(url: &str, settings: &PoolSettings) -> Result<DatabaseConnection, ConnectError> {
    let backend = backend_of(url)?;
    if backend == Backend::Postgres {
        probe_postgres(url, settings.connect_timeout).await?;
    }
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(match backend {
            // One writer at a time is all SQLite allows; a small pool still lets reads overlap.
            Backend::Sqlite => settings.max_connections.min(8),
            Backend::Postgres => settings.max_connections,
        })
        .min_connections(0)
        .connect_timeout(settings.connect_timeout)
        .acquire_timeout(settings.connect_timeout)
        .sqlx_logging(false)
        // No ping before every query: it doubled the round trips of a request. A connection the
        // server dropped fails its next query instead (a 503 for that request) and is discarded.
        .test_before_acquire(false)
        .map_sqlx_sqlite_opts(|opts| {
            opts.create_if_missing(true)
                .foreign_keys(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(5))
        });
    let conn = Database::connect(options).await.map_err(|err| classify(url, err))?;
    conn.ping().await.map_err(|err| classify(url, err))?;
    Ok(conn)
}

/// One direct connection before the pool: a pool retries a refused connection until its timeout
/// and then reports only "pool timed out", while a single attempt fails at once with the cause
/// ("connection refused", "password authentication failed", "database does not exist").
async fn probe_postgres(url: &str, timeout: Duration) -> Result<(), ConnectError> {
    use sea_orm::sqlx::{Connection, PgConnection};

    let unreachable = |reason: String| ConnectError::Unreachable { url: redact(url), reason };
    match tokio::time::timeout(timeout, PgConnection::connect(url)).await {
        Err(_) => Err(unreachable(format!("no answer within {} s", timeout.as_secs()))),
        Ok(Err(sea_orm::sqlx::Error::Configuration(err))) => {
            Err(ConnectError::Malformed { url: redact(url), reason: err.to_string() })
        }
        Ok(Err(err)) => Err(unreachable(err.to_string())),
        Ok(Ok(conn)) => {
            let _ = conn.close().await;
            Ok(())
        }
    }
}

fn classify(url: &str, err: DbErr) -> ConnectError {
    let reason = err.to_string();
    let malformed = matches!(err, DbErr::Conn(sea_orm::RuntimeErr::SqlxError(ref e)) if matches!(**e, sea_orm::sqlx::Error::Configuration(_)));
    if malformed {
        ConnectError::Malformed { url: redact(url), reason }
    } else {
        ConnectError::Unreachable { url: redact(url), reason }
    }
}

/// Applies every pending migration.
pub async fn migrate_up(conn: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(conn, None).await
}

/// Reverts `steps` migrations, or all of them (dropping the migration table too, so nothing
/// is left behind).
pub async fn migrate_down(conn: &DatabaseConnection, steps: Option<u32>) -> Result<(), DbErr> {
    Migrator::down(conn, steps).await?;
    if steps.is_none() {
        Migrator::uninstall(conn).await?;
    }
    Ok(())
}

/// Drops every table and applies every migration again. On SQLite, pass a connection with a
/// single pooled connection: the `PRAGMA foreign_keys = OFF` this relies on holds for one
/// connection only.
pub async fn migrate_fresh(conn: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::fresh(conn).await
}

/// One migration and whether it is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationState {
    pub name: String,
    pub applied: bool,
}

/// Reads which migrations are applied without writing anything (an empty database stays empty).
pub async fn migration_status(conn: &DatabaseConnection) -> Result<Vec<MigrationState>, DbErr> {
    let applied: Vec<String> =
        Migrator::get_applied_migrations_read_only(conn).await?.iter().map(|m| m.name().to_owned()).collect();
    Ok(Migrator::migrations()
        .iter()
        .map(|m| MigrationState { name: m.name().to_owned(), applied: applied.iter().any(|a| a == m.name()) })
        .collect())
}

/// Whether the database answers a trivial query (for `/readyz`).
pub async fn is_ready(conn: &DatabaseConnection) -> bool {
    conn.execute_unprepared("SELECT 1").await.is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_backends_and_refuses_malformed_urls() {
        assert_eq!(backend_of("sqlite://givance.db").unwrap(), Backend::Sqlite);
        assert_eq!(backend_of("sqlite://givance.db?mode=rwc").unwrap(), Backend::Sqlite);
        assert_eq!(backend_of("postgres://u:p@127.0.0.1:5432/g").unwrap(), Backend::Postgres);
        assert_eq!(backend_of("postgresql://localhost/g").unwrap(), Backend::Postgres);
        for bad in ["", "givance.db", "mysql://localhost/g", "sqlite://", "postgres://", "postgres:foo"] {
            assert!(matches!(backend_of(bad), Err(ConnectError::Malformed { .. })), "{bad:?}");
        }
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(redact("postgres://u:secret@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("sqlite://givance.db"), "sqlite://givance.db");
    }
}
