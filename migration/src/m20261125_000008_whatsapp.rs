//! WhatsApp assistant: whatsapp_staff, whatsapp_queries, whatsapp_chat_history,
//! staff_whatsapp_phone_numbers, staff_whatsapp_activity_log.

use sea_orm_migration::prelude::*;

use crate::schema::OnDelete::{Cascade, Restrict};
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
    vec![
        whatsapp_staff(),
        whatsapp_queries(),
        whatsapp_chat_history(),
        staff_whatsapp_phone_numbers(),
        staff_whatsapp_activity_log(),
    ]
}

fn whatsapp_staff() -> TableSpec {
    table("whatsapp_staff")
        .id()
        .organization()
        .col("phone_number", text().not_null())
        .col("display_name", text())
        .col("is_active", boolean().default_bool(true))
        .col("permissions", json_array())
        .col("last_query_at", timestamp())
        .col("query_count", integer().default_int(0))
        .timestamps()
        .unique("uq_whatsapp_staff_org_phone", &["organization_id", "phone_number"])
        .tenant_parent()
        .index("idx_whatsapp_phone", &["phone_number"])
}

fn whatsapp_queries() -> TableSpec {
    table("whatsapp_queries")
        .id()
        .organization()
        .col("staff_id", uuid().not_null())
        .col("query_text", text().not_null())
        .col("query_type", text())
        .col("response_text", text().not_null())
        .col("sql_generated", text())
        .col("execution_time_ms", integer())
        .col("token_usage", integer())
        .col("message_id", text())
        .col("is_voice_message", boolean().default_bool(false))
        .col("transcription", text())
        .created_at()
        .tenant_fk("staff_id", "whatsapp_staff", Restrict)
        .index("idx_whatsapp_queries_staff", &["organization_id", "staff_id"])
        .index("idx_whatsapp_queries_date", &["organization_id", "created_at DESC"])
}

fn whatsapp_chat_history() -> TableSpec {
    table("whatsapp_chat_history")
        .id()
        .organization()
        .col("phone_number", text().not_null())
        .col("staff_id", uuid())
        .col("message_type", text().one_of(&["text", "voice"]).default_text("text"))
        .col("message_text", text().not_null())
        .col("voice_transcription", text())
        .col("ai_response", text().not_null())
        .col("whatsapp_message_id", text())
        .col("processing_time_ms", integer())
        .created_at()
        .tenant_fk("staff_id", "staff", Restrict)
        .index("idx_whatsapp_chat_org_phone", &["organization_id", "phone_number"])
        .index("idx_whatsapp_chat_staff", &["staff_id"])
}

/// The spec declares two primary keys here; `id` stays the key and (staff_id, phone_number)
/// is unique (ADR 0003). No organization_id: reached through a tenant-scoped staff member.
fn staff_whatsapp_phone_numbers() -> TableSpec {
    table("staff_whatsapp_phone_numbers")
        .id()
        .col("staff_id", uuid().not_null())
        .col("phone_number", text().not_null())
        .created_at()
        .fk("staff_id", "staff", Cascade)
        .unique("uq_staff_whatsapp_phone_numbers_staff_phone", &["staff_id", "phone_number"])
        .index("idx_staff_phone_number", &["phone_number"])
}

fn staff_whatsapp_activity_log() -> TableSpec {
    table("staff_whatsapp_activity_log")
        .id()
        .organization()
        .col("staff_id", uuid().not_null())
        .col("activity_type", text().not_null())
        .col("phone_number", text().not_null())
        .col("query", text())
        .col("response", text())
        .col("processing_time_ms", integer())
        .col("error_message", text())
        .created_at()
        .tenant_fk("staff_id", "staff", Restrict)
        .index("idx_activity_log_staff", &["staff_id", "created_at DESC"])
        .index("idx_activity_log_org", &["organization_id", "created_at DESC"])
}
