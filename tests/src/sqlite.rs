use migration::{Migrator, MigratorTrait};
use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database};
use tempfile::TempDir;

use crate::{Guard, TestDb, test_slug};

/// Keeps the database's directory alive; on a failing test the directory is kept and named.
pub(crate) struct SqliteGuard {
    dir: Option<TempDir>,
}

impl Drop for SqliteGuard {
    fn drop(&mut self) {
        if std::thread::panicking()
            && let Some(dir) = self.dir.take()
        {
            let kept = dir.keep();
            eprintln!("test failed: its SQLite database is kept in {}", kept.display());
        }
    }
}

#[allow(clippy::expect_used)] // a harness that cannot set up must stop the test loudly
pub(crate) async fn create(migrated: bool) -> TestDb {
    let dir = tempfile::Builder::new().prefix("givance-test-").tempdir().expect("create a temporary directory");
    let path = dir.path().join(format!("{}.db", test_slug()));
    let url = format!("sqlite://{}?mode=rwc", path.display());
    // The same connection settings as `givance_infra::db::connect`, so tests see what the
    // application sees (and do not pay an fsync per commit).
    let mut options = ConnectOptions::new(url.clone());
    options.sqlx_logging(false).map_sqlx_sqlite_opts(|opts| {
        opts.create_if_missing(true)
            .foreign_keys(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
    });
    let conn = Database::connect(options).await.expect("open the SQLite test database");
    if migrated {
        Migrator::up(&conn, None).await.expect("migrate the SQLite test database");
    }
    TestDb { conn, url, _guard: Guard::Sqlite(SqliteGuard { dir: Some(dir) }) }
}
