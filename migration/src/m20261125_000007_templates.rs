//! Reusable message templates.

use sea_orm_migration::prelude::*;

use crate::schema::OnDelete::Restrict;
use crate::schema::{TableSpec, boolean, create_all, drop_all, integer, json_array, table, text, timestamp, uuid};

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
    vec![templates()]
}

fn templates() -> TableSpec {
    table("templates")
        .id()
        .organization()
        .col("name", text().not_null())
        .col("category", text())
        .col("channel", text().default_text("email"))
        .col("subject", text())
        .col("body", text().not_null())
        .col("variables", json_array())
        .col("usage_count", integer().default_int(0))
        .col("last_used_at", timestamp())
        .col("created_by", uuid())
        .col("is_active", boolean().default_bool(true))
        .timestamps()
        .fk("created_by", "users", Restrict)
        .index("idx_templates_org_active", &["organization_id", "is_active"])
        .index("idx_templates_category", &["organization_id", "category"])
}
