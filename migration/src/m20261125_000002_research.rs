//! AI donor research: person_research.

use sea_orm_migration::prelude::*;

use crate::schema::OnDelete::Cascade;
use crate::schema::{TableSpec, create_all, drop_all, integer, json_array, jsonb, table, text, uuid};

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
    vec![person_research()]
}

fn person_research() -> TableSpec {
    table("person_research")
        .id()
        .organization()
        .col("donor_id", uuid().not_null())
        .col("status", text().not_null().one_of(&["pending", "searching", "analyzing", "completed", "failed"]))
        .col("research_type", text().one_of(&["basic", "standard", "comprehensive"]).default_text("standard"))
        .col("search_queries", jsonb())
        .col("search_results", jsonb())
        .col("summary", text())
        .col("age", integer())
        .col("estimated_income", text())
        .col("employer", text())
        .col("job_title", text())
        .col("interests", json_array())
        .col("giving_capacity", text().one_of(&["low", "medium", "high", "major"]))
        .col("data", jsonb())
        .col("sources", jsonb())
        .col("ai_model", text())
        .col("token_usage", integer())
        .col("processing_time_ms", integer())
        .col("error_message", text())
        .timestamps()
        .tenant_fk("donor_id", "donors", Cascade)
        .index("idx_research_donor", &["organization_id", "donor_id"])
        .index("idx_research_status", &["organization_id", "status"])
        .gin_index("idx_research_data", "data")
}
