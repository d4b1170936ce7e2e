//! Test harness shared by every crate's tests: a database of its own for each test, on SQLite
//! and on PostgreSQL.
//!
//! PostgreSQL is found at `TEST_DATABASE_URL`, else `DATABASE_URL`, else
//! `postgres://postgres@127.0.0.1:5432/postgres`. Each test gets a copy of one migrated template
//! database (`CREATE DATABASE ... TEMPLATE`), which is dropped when the test passes and kept
//! for inspection when it fails. When no PostgreSQL answers, the harness prints one loud line
//! and skips the PostgreSQL half of a test, except under `CI=true`, where it fails the test.

mod postgres;
mod sqlite;

use sea_orm::{DatabaseBackend, DatabaseConnection};

pub use postgres::postgres_admin_url;

/// A database that belongs to one test.
pub struct TestDb {
    conn: DatabaseConnection,
    url: String,
    _guard: Guard,
}

#[expect(dead_code, reason = "held only for what its Drop does")]
enum Guard {
    Sqlite(sqlite::SqliteGuard),
    Postgres(postgres::PostgresGuard),
}

impl TestDb {
    /// A fresh, migrated SQLite database in a temporary directory.
    pub async fn sqlite() -> TestDb {
        sqlite::create(true).await
    }

    /// A fresh SQLite database with no tables at all.
    pub async fn sqlite_empty() -> TestDb {
        sqlite::create(false).await
    }

    /// A fresh, migrated PostgreSQL database, or `None` when no server answers (outside CI).
    pub async fn postgres() -> Option<TestDb> {
        postgres::create(true).await
    }

    /// A fresh PostgreSQL database with no tables at all, or `None` as for [`TestDb::postgres`].
    pub async fn postgres_empty() -> Option<TestDb> {
        postgres::create(false).await
    }

    pub fn conn(&self) -> &DatabaseConnection {
        &self.conn
    }

    /// The URL of this database, for code under test that connects by itself (the binary).
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn backend(&self) -> DatabaseBackend {
        self.conn.get_database_backend()
    }
}

/// A short name for the running test, usable in a database name: the test's thread name,
/// which both libtest and nextest set to the test path.
fn test_slug() -> String {
    let thread = std::thread::current();
    let name = thread.name().unwrap_or("test");
    let tail: String = name.rsplit("::").take(2).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("_");
    let slug: String =
        tail.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    // PostgreSQL identifiers stop at 63 bytes.
    format!("t_{}_{}", &slug[..slug.len().min(40)], &suffix[..8])
}

/// Runs one async test body against SQLite and against PostgreSQL, as two `#[tokio::test]`s
/// named `<name>::sqlite` and `<name>::postgres`. The body is a function taking `&TestDb`.
#[macro_export]
macro_rules! on_both_backends {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let db = $crate::TestDb::sqlite().await;
                super::$body(&db).await;
            }

            #[tokio::test]
            async fn postgres() {
                if let Some(db) = $crate::TestDb::postgres().await {
                    super::$body(&db).await;
                }
            }
        }
    };
}
