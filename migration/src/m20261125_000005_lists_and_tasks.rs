//! Donor lists and tasks: donor_lists, donor_list_members, todos.

use sea_orm_migration::prelude::*;

use crate::schema::OnDelete::{Cascade, Restrict};
use crate::schema::{
    TableSpec, boolean, create_all, date, decimal, drop_all, integer, jsonb, table, text, timestamp, uuid,
};

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
    vec![donor_lists(), donor_list_members(), todos()]
}

fn donor_lists() -> TableSpec {
    table("donor_lists")
        .id()
        .organization()
        .col("name", text().not_null())
        .col("description", text())
        .col("type", text().one_of(&["static", "dynamic"]).default_text("static"))
        .col("filters", jsonb())
        .col("donor_count", integer().default_int(0))
        .col("last_updated", timestamp().default_now())
        .timestamps()
        .index("idx_lists_org", &["organization_id"])
}

/// Junction without organization_id: reached only through a tenant-scoped list.
fn donor_list_members() -> TableSpec {
    table("donor_list_members")
        .col("list_id", uuid().not_null())
        .col("donor_id", uuid().not_null())
        .col("added_at", timestamp().default_now())
        .col("added_by", uuid())
        .primary_key(&["list_id", "donor_id"])
        .fk("list_id", "donor_lists", Cascade)
        .fk("donor_id", "donors", Cascade)
        .fk("added_by", "users", Restrict)
        .index("idx_list_members_donor", &["donor_id"])
}

/// Deleting a donor deletes the donor's tasks too: a hard delete is an erasure (ADR 0004).
fn todos() -> TableSpec {
    table("todos")
        .id()
        .organization()
        .col("title", text().not_null())
        .col("description", text())
        .col("type", text().one_of(&["call", "email", "meeting", "task", "follow_up"]).default_text("task"))
        .col("due_date", date())
        .col("priority", text().one_of(&["low", "medium", "high"]).default_text("medium"))
        .col("status", text().one_of(&["pending", "in_progress", "completed", "cancelled"]).default_text("pending"))
        .col("donor_id", uuid())
        .col("project_id", uuid())
        .col("assigned_to", uuid())
        .col("created_by", uuid())
        .col("is_ai_generated", boolean().default_bool(false))
        .col("ai_reasoning", text())
        .col("ai_confidence", decimal(3, 2))
        .col("completed_at", timestamp())
        .col("completed_by", uuid())
        .timestamps()
        .tenant_fk("donor_id", "donors", Cascade)
        .tenant_fk("project_id", "projects", Restrict)
        .fk("assigned_to", "users", Restrict)
        .fk("created_by", "users", Restrict)
        .fk("completed_by", "users", Restrict)
        .index("idx_todos_org_status", &["organization_id", "status"])
        .index("idx_todos_donor", &["organization_id", "donor_id"])
        .index("idx_todos_assigned", &["organization_id", "assigned_to"])
        .index("idx_todos_due", &["organization_id", "due_date"])
}
