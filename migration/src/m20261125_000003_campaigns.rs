//! Email campaigns: email_generation_sessions, generated_emails, email_schedule_config,
//! email_send_jobs.

use sea_orm_migration::prelude::*;

use crate::schema::OnDelete::{Cascade, Restrict};
use crate::schema::{
    TableSpec, boolean, create_all, drop_all, integer, json_array, jsonb, table, text, timestamp, uuid,
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
    vec![email_generation_sessions(), generated_emails(), email_schedule_config(), email_send_jobs()]
}

fn email_generation_sessions() -> TableSpec {
    table("email_generation_sessions")
        .id()
        .organization()
        .col("name", text().not_null())
        .col("description", text())
        .col("status", text().not_null().one_of(&["configuring", "generating", "completed", "cancelled"]))
        .col("instructions", text())
        .col("donor_selection", jsonb())
        .col("selected_donor_ids", json_array())
        .col("chat_history", jsonb())
        .col("total_emails", integer())
        .col("generated_count", integer().default_int(0))
        .col("failed_count", integer().default_int(0))
        .col("job_id", text())
        .col("job_started_at", timestamp())
        .col("job_completed_at", timestamp())
        .timestamps()
        .tenant_parent()
        .index("idx_sessions_org_status", &["organization_id", "status"])
}

fn generated_emails() -> TableSpec {
    table("generated_emails")
        .id()
        .organization()
        .col("session_id", uuid().not_null())
        .col("donor_id", uuid().not_null())
        .col("subject", text().not_null())
        .col("body_plain", text().not_null())
        .col("body_html", text().not_null())
        .col("structured_content", jsonb())
        .col("status", text().one_of(&["draft", "approved", "scheduled", "sent", "failed"]).default_text("draft"))
        .col("sent_at", timestamp())
        .col("scheduled_for", timestamp())
        .col("sent_by_staff_id", uuid())
        .col("provider", text())
        .col("provider_message_id", text())
        .col("provider_thread_id", text())
        .col("ai_model", text())
        .col("token_usage", integer())
        .col("generation_time_ms", integer())
        .col("donor_context_used", jsonb())
        // No foreign key (the spec declares none): the tracker is created after the email (ADR 0004).
        .col("tracker_id", uuid())
        .col("opens", integer().default_int(0))
        .col("clicks", integer().default_int(0))
        .col("last_opened_at", timestamp())
        .col("last_clicked_at", timestamp())
        .timestamps()
        .tenant_fk("session_id", "email_generation_sessions", Cascade)
        .tenant_fk("donor_id", "donors", Cascade)
        .tenant_fk("sent_by_staff_id", "staff", Restrict)
        .tenant_parent()
        .index("idx_emails_session", &["organization_id", "session_id"])
        .index("idx_emails_donor", &["organization_id", "donor_id"])
        .index("idx_emails_status", &["organization_id", "status"])
        .index("idx_emails_tracker", &["tracker_id"])
}

fn email_schedule_config() -> TableSpec {
    table("email_schedule_config")
        .id()
        .organization()
        .col("session_id", uuid().not_null())
        .col("daily_limit", integer().default_int(100))
        .col("min_gap_hours", integer().default_int(24))
        .col("timezone", text().default_text("America/New_York"))
        .col("send_start_hour", integer().default_int(9))
        .col("send_end_hour", integer().default_int(17))
        .col("send_days", json_array().default_json("[1,2,3,4,5]"))
        .col("is_active", boolean().default_bool(true))
        .col("paused_at", timestamp())
        .timestamps()
        .tenant_fk("session_id", "email_generation_sessions", Cascade)
        .unique("uq_email_schedule_config_org_session", &["organization_id", "session_id"])
        .index("idx_schedule_config_session", &["session_id"])
}

fn email_send_jobs() -> TableSpec {
    table("email_send_jobs")
        .id()
        .organization()
        .col("email_id", uuid().not_null())
        .col("scheduled_for", timestamp().not_null())
        .col("timezone", text().not_null())
        .col("status", text().one_of(&["pending", "processing", "sent", "failed", "cancelled"]).default_text("pending"))
        .col("attempts", integer().default_int(0))
        .col("last_attempt_at", timestamp())
        .col("sent_at", timestamp())
        .col("error_message", text())
        .timestamps()
        .tenant_fk("email_id", "generated_emails", Cascade)
        .index("idx_send_jobs_scheduled", &["organization_id", "scheduled_for"])
        .index("idx_send_jobs_status", &["organization_id", "status"])
        .index("idx_send_jobs_email", &["email_id"])
}
