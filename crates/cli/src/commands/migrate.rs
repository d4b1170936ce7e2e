//! `givance migrate up | down [--steps N] | status | fresh`. Results go to stdout, logs to stderr.

use anyhow::Context;
use givance_infra::db::{self, MigrationState, PoolSettings};

use crate::commands::migration_failed;
use crate::config::{MigrateAction, MigrateArgs};

pub async fn run(args: MigrateArgs) -> anyhow::Result<()> {
    let url = &args.database.database_url;
    // One connection: a migration needs no more, and SQLite's `PRAGMA foreign_keys = OFF` (which
    // `fresh` relies on) holds for one connection only; on a pool, later statements may not see it.
    let conn = db::connect(url.expose(), &PoolSettings { max_connections: 1, ..PoolSettings::default() }).await?;
    let status = |conn| async move { db::migration_status(conn).await.context("cannot read the migration status") };
    let applied = |states: &[MigrationState]| states.iter().filter(|m| m.applied).count();

    let before = status(&conn).await?;
    let total = before.len();
    match args.action {
        MigrateAction::Up => {
            db::migrate_up(&conn).await.map_err(migration_failed(url))?;
            let newly = total - applied(&before);
            if newly == 0 {
                println!("nothing to apply: all {total} migrations are applied");
            } else {
                println!("applied {newly} migration(s); {total} of {total} are applied");
            }
        }
        MigrateAction::Down { steps } => {
            db::migrate_down(&conn, steps).await.map_err(migration_failed(url))?;
            match steps {
                // Reading the status again would recreate the migration table that was just dropped.
                None => println!("reverted {} migration(s); no table is left", applied(&before)),
                Some(_) => {
                    let after = applied(&status(&conn).await?);
                    println!("reverted {} migration(s); {after} of {total} remain applied", applied(&before) - after);
                }
            }
        }
        MigrateAction::Status => {
            if before.is_empty() {
                println!("no migrations are defined");
            }
            for migration in &before {
                println!("{:<8} {}", if migration.applied { "applied" } else { "pending" }, migration.name);
            }
        }
        MigrateAction::Fresh => {
            db::migrate_fresh(&conn).await.map_err(migration_failed(url))?;
            println!("dropped every table and applied {total} migration(s)");
        }
    }
    if let Err(err) = conn.close().await {
        tracing::warn!(error = %err, "closing the database pool failed");
    }
    Ok(())
}
