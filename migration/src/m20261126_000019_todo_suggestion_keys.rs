//! Suggested tasks' natural keys (not in the spec): `todos.suggestion_key`, unique per
//! organization, so that running the task suggester twice stores each suggestion once
//! (`INSERT ... ON CONFLICT DO NOTHING`). Tasks people create have no key; NULLs never collide
//! in a unique index on either backend. See `docs/decisions/0030-templates-and-suggested-tasks.md`.
//!
//! The column is nullable, so adding it rewrites no row. PostgreSQL gets a named UNIQUE
//! constraint, SQLite (which cannot add one to an existing table) a named unique index, as the
//! schema helpers do for every other unique constraint.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const ADD_COLUMN: &str = "ALTER TABLE todos ADD COLUMN suggestion_key text";
const POSTGRES_UNIQUE: &str = "ALTER TABLE todos ADD CONSTRAINT \"uq_todos_org_suggestion_key\" \
     UNIQUE (organization_id, suggestion_key)";
const SQLITE_UNIQUE: &str =
    "CREATE UNIQUE INDEX \"uq_todos_org_suggestion_key\" ON todos (organization_id, suggestion_key)";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        conn.execute_unprepared(ADD_COLUMN).await?;
        let unique =
            if manager.get_database_backend() == DbBackend::Postgres { POSTGRES_UNIQUE } else { SQLITE_UNIQUE };
        conn.execute_unprepared(unique).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        if manager.get_database_backend() == DbBackend::Postgres {
            conn.execute_unprepared("ALTER TABLE todos DROP CONSTRAINT \"uq_todos_org_suggestion_key\"").await?;
        } else {
            conn.execute_unprepared("DROP INDEX \"uq_todos_org_suggestion_key\"").await?;
        }
        conn.execute_unprepared("ALTER TABLE todos DROP COLUMN suggestion_key").await?;
        Ok(())
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
