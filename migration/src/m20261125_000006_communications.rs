//! Communications: communication_threads, communications, and the thread junctions
//! communication_thread_staff and communication_thread_donors.

use sea_orm_migration::prelude::*;

use crate::schema::OnDelete::{Cascade, Restrict};
use crate::schema::{TableSpec, create_all, drop_all, json_array, jsonb, table, text, timestamp, uuid};

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
    vec![communication_threads(), communications(), communication_thread_staff(), communication_thread_donors()]
}

fn communication_threads() -> TableSpec {
    table("communication_threads")
        .id()
        .organization()
        .col("subject", text())
        .col("channel", text().one_of(&["email", "whatsapp", "phone", "in_person", "other"]).default_text("email"))
        .col("status", text().one_of(&["active", "archived", "resolved"]).default_text("active"))
        .col("tags", json_array())
        .col("internal_notes", text())
        .timestamps()
        .tenant_parent()
        .index("idx_threads_org_status", &["organization_id", "status"])
        .index("idx_threads_created", &["organization_id", "created_at DESC"])
}

fn communications() -> TableSpec {
    table("communications")
        .id()
        .organization()
        .col("donor_id", uuid().not_null())
        .col("thread_id", uuid())
        .col("channel", text().not_null().one_of(&["email", "phone", "text", "whatsapp", "in_person", "mail"]))
        .col("direction", text().not_null().one_of(&["inbound", "outbound"]))
        .col("subject", text())
        .col("content", text().not_null())
        .col("staff_id", uuid())
        .col("from_address", text())
        .col("to_address", text())
        .col("status", text().one_of(&["draft", "scheduled", "sent", "delivered", "failed"]).default_text("sent"))
        .col("scheduled_for", timestamp())
        .col("sent_at", timestamp())
        .col("metadata", jsonb())
        .col("attachments", jsonb())
        .timestamps()
        .tenant_fk("donor_id", "donors", Cascade)
        // The spec's DDL leaves thread_id bare; its Relationships section links it to a thread.
        .tenant_fk("thread_id", "communication_threads", Restrict)
        .tenant_fk("staff_id", "staff", Restrict)
        .index("idx_comms_donor", &["organization_id", "donor_id"])
        .index("idx_comms_thread", &["organization_id", "thread_id"])
        .index("idx_comms_date", &["organization_id", "created_at DESC"])
}

/// Junction without organization_id: reached only through a tenant-scoped thread.
fn communication_thread_staff() -> TableSpec {
    table("communication_thread_staff")
        .col("thread_id", uuid().not_null())
        .col("staff_id", uuid().not_null())
        .col("role", text().default_text("participant"))
        .col("joined_at", timestamp().default_now())
        .primary_key(&["thread_id", "staff_id"])
        .fk("thread_id", "communication_threads", Cascade)
        .fk("staff_id", "staff", Cascade)
        .index("idx_thread_staff_member", &["staff_id"])
}

/// Junction without organization_id: reached only through a tenant-scoped thread.
fn communication_thread_donors() -> TableSpec {
    table("communication_thread_donors")
        .col("thread_id", uuid().not_null())
        .col("donor_id", uuid().not_null())
        .col("joined_at", timestamp().default_now())
        .primary_key(&["thread_id", "donor_id"])
        .fk("thread_id", "communication_threads", Cascade)
        .fk("donor_id", "donors", Cascade)
        .index("idx_thread_donor_member", &["donor_id"])
}
