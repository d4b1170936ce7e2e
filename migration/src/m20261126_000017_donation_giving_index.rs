//! A covering index for the giving criteria of dynamic donor lists
//! (docs/decisions/0028-donor-lists.md): the per-donor sums, counts and latest dates of an
//! organization's gifts read the index alone, in donor order, never the table.
//!
//! PostgreSQL keys it like `idx_donations_donor` and carries the amount, currency and date as
//! INCLUDE columns (an index-only scan); SQLite has no INCLUDE, so they are trailing key columns.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const NAME: &str = "idx_donations_giving";
const ON_POSTGRES: &str = "ON donations (organization_id, donor_id) INCLUDE (amount, currency, date)";
const ON_SQLITE: &str = "ON donations (organization_id, donor_id, amount, currency, date)";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let definition = if manager.get_database_backend() == DbBackend::Postgres { ON_POSTGRES } else { ON_SQLITE };
        manager.get_connection().execute_unprepared(&format!("CREATE INDEX {NAME} {definition}")).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared(&format!("DROP INDEX IF EXISTS {NAME}")).await?;
        Ok(())
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
