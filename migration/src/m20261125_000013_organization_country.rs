//! The organization's country (not in the spec): an optional ISO 3166-1 alpha-2 code, the
//! default region for donor phone numbers written without a country code. See
//! `docs/decisions/0021-organization-country.md`.
//!
//! A column-level CHECK keeps it two upper-case ASCII letters (the domain checks that the code
//! is assigned). The column is nullable, so adding it rewrites no row on either backend, and
//! on SQLite dropping it drops its column CHECK with it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The CHECK per backend: PostgreSQL has regular expressions, SQLite has GLOB; both compare
/// by code point, whatever the collation.
const POSTGRES: &str = "ALTER TABLE organizations ADD COLUMN country text \
     CONSTRAINT \"ck_organizations_country\" CHECK (country ~ '^[A-Z]{2}$')";
const SQLITE: &str = "ALTER TABLE organizations ADD COLUMN country text \
     CONSTRAINT \"ck_organizations_country\" CHECK (country GLOB '[A-Z][A-Z]')";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let sql = if manager.get_database_backend() == DbBackend::Postgres { POSTGRES } else { SQLITE };
        manager.get_connection().execute_unprepared(sql).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared("ALTER TABLE organizations DROP COLUMN country").await?;
        Ok(())
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
