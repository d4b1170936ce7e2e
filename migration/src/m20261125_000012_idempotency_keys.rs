//! Idempotency keys (not in the spec): per organization, the fingerprint of the first request
//! sent with a key and, once it finished, its response, replayed to repeats. Rows are pruned
//! after 48 hours. See `docs/decisions/0017-idempotency-keys.md`.

use sea_orm_migration::prelude::*;

use crate::schema::{TableSpec, create_all, drop_all, integer, table, text, timestamp};

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
    vec![idempotency_keys()]
}

fn idempotency_keys() -> TableSpec {
    table("idempotency_keys")
        .id()
        .organization()
        .col("key", text().not_null())
        // Lower-case hex SHA-256 of the method, path and body of the first request.
        .col("request_fingerprint", text().not_null())
        // Both NULL while the first request is still running.
        .col("response_status", integer())
        .col("response_body", text())
        .col("created_at", timestamp().not_null().default_now())
        // The reservation: of concurrent requests with one key, the insert that wins this owns it.
        .unique("uq_idempotency_keys_org_key", &["organization_id", "key"])
        .index("idx_idempotency_keys_created", &["created_at"])
}
