//! First-party API keys (not in the spec): a credential bound to one organization and one staff
//! member, stored as a SHA-256 hash of its secret. See `docs/decisions/0014-credentials.md`.

use sea_orm_migration::prelude::*;

use crate::schema::OnDelete::Cascade;
use crate::schema::{TableSpec, create_all, drop_all, json_array, table, text, timestamp, uuid};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_all(manager, &tables()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_all(manager, &tables()).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}

fn tables() -> Vec<TableSpec> {
    vec![api_keys()]
}

fn api_keys() -> TableSpec {
    table("api_keys")
        .id()
        .organization()
        .col("staff_id", uuid().not_null())
        .col("name", text().not_null())
        // The visible part of the token (`gv_<prefix>_<secret>`): how a key is found.
        .col("prefix", text().not_null())
        // Lower-case hex SHA-256 of the secret part; the secret itself is never stored.
        .col("secret_hash", text().not_null())
        // Empty: the staff member's own permissions; otherwise they are narrowed to these.
        .col("permissions", json_array().not_null().default_json("[]"))
        .col("created_at", timestamp().not_null().default_now())
        .col("last_used_at", timestamp())
        .col("expires_at", timestamp())
        .col("revoked_at", timestamp())
        .tenant_fk("staff_id", "staff", Cascade)
        .unique("uq_api_keys_prefix", &["prefix"])
        .index("idx_api_keys_org_staff", &["organization_id", "staff_id"])
        .index("idx_api_keys_org_created", &["organization_id", "created_at DESC"])
}
