//! The donor prefix search's indexes, redesigned (docs/decisions/0022-donor-prefix-search.md).
//!
//! Each searched term (lower-cased first name, last name, email) gets an index keyed by the
//! term's first three characters and then the list's order, `(created_at, id)`. A prefix of
//! three or more characters is then an equality on the key, and each index yields its matches
//! already in page order: the query reads `limit + 1` entries per term and stops, however many
//! donors share the prefix. The same definitions serve SQLite, whose expression indexes match
//! the same `substr(lower(...), 1, 3)`.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// `(name, new definition, the definition it replaces on PostgreSQL, on SQLite)`.
const INDEXES: &[(&str, &str, &str, &str)] = &[
    (
        "idx_donors_search_first_name",
        "ON donors (organization_id, substr(lower(first_name), 1, 3), created_at DESC, id DESC) WHERE deleted_at IS NULL",
        "ON donors (organization_id, lower(first_name) text_pattern_ops) WHERE deleted_at IS NULL",
        "ON donors (organization_id, lower(first_name)) WHERE deleted_at IS NULL",
    ),
    (
        "idx_donors_search_last_name",
        "ON donors (organization_id, substr(lower(last_name), 1, 3), created_at DESC, id DESC) WHERE deleted_at IS NULL",
        "ON donors (organization_id, lower(last_name) text_pattern_ops) WHERE deleted_at IS NULL",
        "ON donors (organization_id, lower(last_name)) WHERE deleted_at IS NULL",
    ),
    (
        "idx_donors_search_email",
        "ON donors (organization_id, substr(email, 1, 3), created_at DESC, id DESC) WHERE deleted_at IS NULL",
        "ON donors (organization_id, email text_pattern_ops) WHERE deleted_at IS NULL",
        "ON donors (organization_id, email) WHERE deleted_at IS NULL",
    ),
];

async fn replace(manager: &SchemaManager<'_>, name: &str, definition: &str) -> Result<(), DbErr> {
    let conn = manager.get_connection();
    conn.execute_unprepared(&format!("DROP INDEX IF EXISTS {name}")).await?;
    conn.execute_unprepared(&format!("CREATE INDEX {name} {definition}")).await?;
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, definition, _, _) in INDEXES {
            replace(manager, name, definition).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let postgres = manager.get_database_backend() == sea_orm_migration::sea_orm::DbBackend::Postgres;
        for (name, _, on_postgres, on_sqlite) in INDEXES.iter().rev() {
            replace(manager, name, if postgres { on_postgres } else { on_sqlite }).await?;
        }
        Ok(())
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
