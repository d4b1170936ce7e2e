use migration::{Migrator, MigratorTrait};
use sea_orm::Database;
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
    let conn = Database::connect(&url).await.expect("open the SQLite test database");
    if migrated {
        Migrator::up(&conn, None).await.expect("migrate the SQLite test database");
    }
    TestDb { conn, url, _guard: Guard::Sqlite(SqliteGuard { dir: Some(dir) }) }
}
