//! The Givance schema as sea-orm migrations. One migration per change; every migration
//! runs on PostgreSQL and on SQLite (see `docs/decisions/` for the type mappings).

pub use sea_orm_migration::prelude::*;

/// A fingerprint of this crate's sources, computed at build time. Test harnesses name their
/// migrated template databases after it, so a changed migration never reuses a stale template.
pub const SCHEMA_FINGERPRINT: &str = env!("GIVANCE_SCHEMA_FINGERPRINT");

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![]
    }
}
