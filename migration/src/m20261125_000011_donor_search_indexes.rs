//! Indexes beyond the spec for the donor list (docs/decisions/0015-donor-list-indexes.md):
//! the newest-first page of an organization's active donors, and case-insensitive prefix
//! search over first name, last name and email.
//!
//! On PostgreSQL the search indexes use `text_pattern_ops`, which lets `LIKE 'smi%'` use a
//! B-tree whatever the database collation; the three are combined by a bitmap OR.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// `(name, PostgreSQL definition, SQLite definition)`.
const INDEXES: &[(&str, &str, &str)] = &[
    (
        "idx_donors_org_created",
        "ON donors (organization_id, created_at DESC, id DESC) WHERE deleted_at IS NULL",
        "ON donors (organization_id, created_at DESC, id DESC) WHERE deleted_at IS NULL",
    ),
    (
        "idx_donors_search_first_name",
        "ON donors (organization_id, lower(first_name) text_pattern_ops) WHERE deleted_at IS NULL",
        "ON donors (organization_id, lower(first_name)) WHERE deleted_at IS NULL",
    ),
    (
        "idx_donors_search_last_name",
        "ON donors (organization_id, lower(last_name) text_pattern_ops) WHERE deleted_at IS NULL",
        "ON donors (organization_id, lower(last_name)) WHERE deleted_at IS NULL",
    ),
    (
        "idx_donors_search_email",
        "ON donors (organization_id, email text_pattern_ops) WHERE deleted_at IS NULL",
        "ON donors (organization_id, email) WHERE deleted_at IS NULL",
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let postgres = manager.get_database_backend() == DbBackend::Postgres;
        for (name, on_postgres, on_sqlite) in INDEXES {
            let definition = if postgres { on_postgres } else { on_sqlite };
            manager.get_connection().execute_unprepared(&format!("CREATE INDEX {name} {definition}")).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, _, _) in INDEXES.iter().rev() {
            manager.get_connection().execute_unprepared(&format!("DROP INDEX IF EXISTS {name}")).await?;
        }
        Ok(())
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
