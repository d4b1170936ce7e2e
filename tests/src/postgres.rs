use std::sync::OnceLock;
use std::time::Duration;

use migration::{Migrator, MigratorTrait, SCHEMA_FINGERPRINT};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, Statement};

use crate::{Guard, TestDb, test_slug};

const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
/// Serialises template creation across test processes (nextest runs one process per test).
const TEMPLATE_LOCK: i64 = 0x0067_6976_616e_6365; // "givance"

/// The maintenance database URL the harness creates test databases from.
pub fn postgres_admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .or_else(|_| std::env::var("DATABASE_URL"))
        .ok()
        .filter(|url| url.starts_with("postgres"))
        .unwrap_or_else(|| DEFAULT_URL.to_owned())
}

fn with_database(admin_url: &str, name: &str) -> String {
    match admin_url.rsplit_once('/') {
        Some((server, tail)) => {
            let query = tail.split_once('?').map(|(_, q)| format!("?{q}")).unwrap_or_default();
            format!("{server}/{name}{query}")
        }
        None => format!("{admin_url}/{name}"),
    }
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Drops the database when the test passes; keeps it (and says so) when it fails.
pub(crate) struct PostgresGuard {
    admin_url: String,
    name: String,
}

impl Drop for PostgresGuard {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("test failed: its PostgreSQL database {} is kept", self.name);
            return;
        }
        let admin_url = self.admin_url.clone();
        let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        // Drop runs outside any async context we may block; a thread with its own runtime can.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                return;
            };
            rt.block_on(async move {
                if let Ok(admin) = Database::connect(admin_options(&admin_url)).await {
                    let _ = admin.execute_unprepared(&sql).await;
                    let _ = admin.close().await;
                }
            });
        })
        .join();
    }
}

fn admin_options(url: &str) -> ConnectOptions {
    let mut options = ConnectOptions::new(url.to_owned());
    options.max_connections(1).min_connections(0).connect_timeout(Duration::from_secs(3)).sqlx_logging(false);
    options
}

fn test_options(url: &str) -> ConnectOptions {
    let mut options = ConnectOptions::new(url.to_owned());
    options.max_connections(5).min_connections(0).connect_timeout(Duration::from_secs(5)).sqlx_logging(false);
    options
}

async fn connect_admin() -> Option<DatabaseConnection> {
    static UNREACHABLE_REPORTED: OnceLock<()> = OnceLock::new();
    let url = postgres_admin_url();
    match Database::connect(admin_options(&url)).await {
        Ok(conn) => Some(conn),
        Err(err) => {
            if in_ci() {
                panic!("PostgreSQL is required under CI=true but {url} does not answer: {err}");
            }
            UNREACHABLE_REPORTED.get_or_init(|| {
                eprintln!(
                    "!!!!! PostgreSQL at {url} does not answer ({err}): PostgreSQL tests are SKIPPED. \
                     Start it (make db-up) or set TEST_DATABASE_URL. !!!!!"
                );
            });
            None
        }
    }
}

async fn database_exists(admin: &DatabaseConnection, name: &str) -> Result<bool, sea_orm::DbErr> {
    let row = admin
        .query_one_raw(Statement::from_sql_and_values(
            admin.get_database_backend(),
            "SELECT 1 AS one FROM pg_database WHERE datname = $1",
            [name.into()],
        ))
        .await?;
    Ok(row.is_some())
}

/// Creates the migrated template for this schema once, whichever process gets there first.
async fn ensure_template(admin: &DatabaseConnection, admin_url: &str) -> Result<String, sea_orm::DbErr> {
    let template = format!("givance_tpl_{SCHEMA_FINGERPRINT}");
    admin.execute_unprepared(&format!("SELECT pg_advisory_lock({TEMPLATE_LOCK})")).await?;
    let result = async {
        if database_exists(admin, &template).await? {
            return Ok(());
        }
        // Build under a scratch name and rename at the end, so a crash never leaves a
        // half-migrated template behind under the real name.
        let scratch = format!("{template}_building");
        admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{scratch}\" WITH (FORCE)")).await?;
        admin.execute_unprepared(&format!("CREATE DATABASE \"{scratch}\"")).await?;
        let conn = Database::connect(admin_options(&with_database(admin_url, &scratch))).await?;
        Migrator::up(&conn, None).await?;
        conn.close().await?;
        admin.execute_unprepared(&format!("ALTER DATABASE \"{scratch}\" RENAME TO \"{template}\"")).await?;
        Ok(())
    }
    .await;
    admin.execute_unprepared(&format!("SELECT pg_advisory_unlock({TEMPLATE_LOCK})")).await?;
    result.map(|()| template)
}

#[allow(clippy::expect_used)] // a harness that cannot set up must stop the test loudly
pub(crate) async fn create(migrated: bool) -> Option<TestDb> {
    let admin_url = postgres_admin_url();
    let admin = connect_admin().await?;
    let name = test_slug();
    let create = if migrated {
        let template = ensure_template(&admin, &admin_url).await.expect("build the template database");
        format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"")
    } else {
        format!("CREATE DATABASE \"{name}\"")
    };
    admin.execute_unprepared(&create).await.expect("create the test database");
    let _ = admin.close().await;
    let url = with_database(&admin_url, &name);
    let conn = Database::connect(test_options(&url)).await.expect("connect to the test database");
    Some(TestDb { conn, url, _guard: Guard::Postgres(PostgresGuard { admin_url, name }) })
}
