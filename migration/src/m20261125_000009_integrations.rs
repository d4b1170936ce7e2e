//! Integrations: webhook_events, the four OAuth token tables, signature_images,
//! staff_email_examples.

use sea_orm_migration::prelude::*;

use crate::schema::OnDelete::{Cascade, Restrict};
use crate::schema::{
    ORG_ID, ORGANIZATIONS, TableSpec, create_all, drop_all, inet, integer, json_array, jsonb, table, text, timestamp,
    uuid,
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
    vec![
        webhook_events(),
        oauth_tokens("gmail_oauth_tokens", "user_id", "users"),
        oauth_tokens("staff_gmail_tokens", "staff_id", "staff"),
        oauth_tokens("microsoft_oauth_tokens", "user_id", "users"),
        oauth_tokens("staff_microsoft_tokens", "staff_id", "staff"),
        signature_images(),
        staff_email_examples(),
    ]
}

/// organization_id is nullable (system webhooks); when set it must name an organization.
fn webhook_events() -> TableSpec {
    table("webhook_events")
        .id()
        .col(ORG_ID, uuid())
        .col("source", text().not_null())
        .col("event_type", text().not_null())
        .col("payload", jsonb().not_null())
        .col("status", text().one_of(&["pending", "processed", "failed"]).default_text("pending"))
        .col("processed_at", timestamp())
        .col("error_message", text())
        .col("retry_count", integer().default_int(0))
        .col("headers", jsonb())
        .col("signature", text())
        .col("ip_address", inet())
        .created_at()
        .fk(ORG_ID, ORGANIZATIONS, Restrict)
        .index("idx_webhooks_status", &["status", "created_at"])
        .index("idx_webhooks_source", &["source", "event_type"])
}

/// The four token tables share one shape: one row per owner (a user or a staff member),
/// deleted with its owner.
fn oauth_tokens(name: &'static str, owner_column: &'static str, owner: &'static str) -> TableSpec {
    table(name)
        .id()
        .col(owner_column, uuid().not_null())
        .col("access_token", text().not_null())
        .col("refresh_token", text().not_null())
        .col("expires_at", timestamp().not_null())
        .col("scope", text())
        .col("email", text().not_null())
        .timestamps()
        .fk(owner_column, owner, Cascade)
        .unique(&format!("uq_{name}_{owner_column}"), &[owner_column])
}

fn signature_images() -> TableSpec {
    table("signature_images")
        .id()
        .organization()
        .col("data", text().not_null())
        .col("mime_type", text().not_null())
        .col("size_bytes", integer())
        .col("uploaded_by", uuid())
        .col("filename", text())
        .created_at()
        .fk("uploaded_by", "users", Restrict)
        .index("idx_signature_images_org", &["organization_id"])
}

fn staff_email_examples() -> TableSpec {
    table("staff_email_examples")
        .id()
        .organization()
        .col("staff_id", uuid().not_null())
        .col("subject", text())
        .col("body", text().not_null())
        .col("tags", json_array())
        .col("donor_type", text())
        .col("campaign_type", text())
        .timestamps()
        .tenant_fk("staff_id", "staff", Restrict)
        .index("idx_email_examples_staff", &["staff_id"])
}
