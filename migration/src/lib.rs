//! The Givance schema as sea-orm migrations. One migration per change; every migration
//! runs on PostgreSQL and on SQLite (see `docs/decisions/` for the type mappings).
//!
//! The first nine migrations create the 35 tables of `spec/database-schema.md`, grouped by
//! area and ordered parents first; each `down` drops what its `up` created, in reverse order.
//! Tables are described with the vocabulary of [`schema`].

pub use sea_orm_migration::prelude::*;

pub mod schema;

mod m20261125_000001_core;
mod m20261125_000002_research;
mod m20261125_000003_campaigns;
mod m20261125_000004_tracking;
mod m20261125_000005_lists_and_tasks;
mod m20261125_000006_communications;
mod m20261125_000007_templates;
mod m20261125_000008_whatsapp;
mod m20261125_000009_integrations;
mod m20261125_000010_api_keys;
mod m20261125_000011_donor_search_indexes;
mod m20261125_000012_idempotency_keys;
mod m20261125_000013_organization_country;
mod m20261126_000014_donor_search_keys;
mod m20261126_000015_credential_notifications;
mod m20261126_000016_fiscal_year_start;
mod m20261126_000017_donation_giving_index;
mod m20261126_000018_timeline_indexes;
mod m20261126_000019_todo_suggestion_keys;
mod m20261126_000020_donor_giving_totals;

/// A fingerprint of this crate's sources, computed at build time. Test harnesses name their
/// migrated template databases after it, so a changed migration never reuses a stale template.
pub const SCHEMA_FINGERPRINT: &str = env!("GIVANCE_SCHEMA_FINGERPRINT");

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_core::Migration),
            Box::new(m20261125_000002_research::Migration),
            Box::new(m20261125_000003_campaigns::Migration),
            Box::new(m20261125_000004_tracking::Migration),
            Box::new(m20261125_000005_lists_and_tasks::Migration),
            Box::new(m20261125_000006_communications::Migration),
            Box::new(m20261125_000007_templates::Migration),
            Box::new(m20261125_000008_whatsapp::Migration),
            Box::new(m20261125_000009_integrations::Migration),
            Box::new(m20261125_000010_api_keys::Migration),
            Box::new(m20261125_000011_donor_search_indexes::Migration),
            Box::new(m20261125_000012_idempotency_keys::Migration),
            Box::new(m20261125_000013_organization_country::Migration),
            Box::new(m20261126_000014_donor_search_keys::Migration),
            Box::new(m20261126_000015_credential_notifications::Migration),
            Box::new(m20261126_000016_fiscal_year_start::Migration),
            Box::new(m20261126_000017_donation_giving_index::Migration),
            Box::new(m20261126_000018_timeline_indexes::Migration),
            Box::new(m20261126_000019_todo_suggestion_keys::Migration),
            Box::new(m20261126_000020_donor_giving_totals::Migration),
        ]
    }
}
