//! The month an organization's fiscal year starts in (not in the spec): 1 (January, the
//! default) to 12; the fundraising reports count fiscal years by it. See
//! `docs/decisions/0027-fundraising-reports.md`.
//!
//! NOT NULL with a constant default, so existing organizations read January and adding it
//! rewrites no row on PostgreSQL (SQLite's ADD COLUMN never rewrites). The same statement
//! serves both backends; on SQLite dropping the column drops its CHECK with it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const ADD: &str = "ALTER TABLE organizations ADD COLUMN fiscal_year_start_month integer NOT NULL DEFAULT 1 \
     CONSTRAINT \"ck_organizations_fiscal_year_start_month\" \
     CHECK (fiscal_year_start_month BETWEEN 1 AND 12)";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared(ADD).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("ALTER TABLE organizations DROP COLUMN fiscal_year_start_month")
            .await?;
        Ok(())
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
