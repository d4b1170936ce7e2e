//! Email tracking: email_trackers, link_trackers, email_opens, link_clicks.
//! Only email_trackers carries organization_id; the others are reached through it.

use sea_orm_migration::prelude::*;

use crate::schema::OnDelete::Cascade;
use crate::schema::{TableSpec, create_all, drop_all, inet, integer, jsonb, table, text, timestamp, uuid};

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
    vec![email_trackers(), link_trackers(), email_opens(), link_clicks()]
}

fn email_trackers() -> TableSpec {
    table("email_trackers")
        .id()
        .organization()
        .col("email_id", uuid().not_null())
        .col("tracker_id", text().not_null())
        .col("recipient_email", text().not_null())
        .col("campaign_id", uuid())
        .created_at()
        .tenant_fk("email_id", "generated_emails", Cascade)
        .tenant_fk("campaign_id", "email_generation_sessions", Cascade)
        .unique("uq_email_trackers_tracker_id", &["tracker_id"])
        .index("idx_trackers_org_email", &["organization_id", "email_id"])
        .index("idx_trackers_tracker", &["tracker_id"])
}

fn link_trackers() -> TableSpec {
    table("link_trackers")
        .id()
        .col("email_tracker_id", uuid().not_null())
        .col("tracker_id", text().not_null())
        .col("original_url", text().not_null())
        .col("link_text", text())
        .col("link_position", integer())
        .created_at()
        .fk("email_tracker_id", "email_trackers", Cascade)
        .unique("uq_link_trackers_tracker_id", &["tracker_id"])
        .index("idx_link_trackers_email", &["email_tracker_id"])
        .index("idx_link_trackers_id", &["tracker_id"])
}

fn email_opens() -> TableSpec {
    table("email_opens")
        .id()
        .col("email_tracker_id", uuid().not_null())
        .col("opened_at", timestamp().default_now())
        .col("ip_address", inet())
        .col("user_agent", text())
        .col("device_type", text())
        .col("email_client", text())
        .col("location", jsonb())
        .fk("email_tracker_id", "email_trackers", Cascade)
        .index("idx_opens_tracker", &["email_tracker_id"])
        .index("idx_opens_time", &["opened_at DESC"])
}

fn link_clicks() -> TableSpec {
    table("link_clicks")
        .id()
        .col("link_tracker_id", uuid().not_null())
        .col("clicked_at", timestamp().default_now())
        .col("ip_address", inet())
        .col("user_agent", text())
        .col("device_type", text())
        .col("browser", text())
        .col("location", jsonb())
        .fk("link_tracker_id", "link_trackers", Cascade)
        .index("idx_clicks_tracker", &["link_tracker_id"])
        .index("idx_clicks_time", &["clicked_at DESC"])
}
