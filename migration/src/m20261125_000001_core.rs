//! Core tables: users, organizations, staff, donors, projects, donations.

use sea_orm_migration::prelude::*;

use crate::schema::OnDelete::{Cascade, Restrict};
use crate::schema::{
    TableSpec, boolean, create_all, date, decimal, drop_all, json_array, jsonb, table, text, timestamp, uuid,
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
    vec![users(), organizations(), staff(), donors(), projects(), donations()]
}

/// Global (not tenant-scoped): a person who signs in; staff rows tie users to organizations.
fn users() -> TableSpec {
    table("users")
        .id()
        .col("clerk_id", text().not_null())
        .col("email", text().not_null())
        .col("first_name", text())
        .col("last_name", text())
        .col("email_signature", text())
        .col("personal_memory", text())
        .timestamps()
        .unique("uq_users_clerk_id", &["clerk_id"])
}

fn organizations() -> TableSpec {
    table("organizations")
        .id()
        .col("clerk_id", text().not_null())
        .col("name", text().not_null())
        .col("slug", text().not_null())
        .col("donor_journey_graph", jsonb())
        .col("ai_instructions", text())
        .col("website_url", text())
        .col("website_data", jsonb())
        .col("website_last_crawled", timestamp())
        .timestamps()
        .unique("uq_organizations_clerk_id", &["clerk_id"])
        .unique("uq_organizations_slug", &["slug"])
}

fn staff() -> TableSpec {
    table("staff")
        .id()
        .organization()
        .col("user_id", uuid().not_null())
        .col("role", text().not_null())
        .col("permissions", json_array())
        .col("is_active", boolean().default_bool(true))
        .col("gmail_refresh_token", text())
        .col("gmail_email", text())
        .col("microsoft_refresh_token", text())
        .col("microsoft_email", text())
        .timestamps()
        .fk("user_id", "users", Restrict)
        .unique("uq_staff_org_user", &["organization_id", "user_id"])
        .tenant_parent()
        .index("idx_staff_org_active", &["organization_id", "is_active"])
}

fn donors() -> TableSpec {
    table("donors")
        .id()
        .organization()
        .col("external_id", text())
        .col("donor_type", text().one_of(&["individual", "couple"]).default_text("individual"))
        .col("first_name", text())
        .col("last_name", text())
        .col("email", text())
        .col("phone", text())
        .col("spouse_first_name", text())
        .col("spouse_last_name", text())
        .col("spouse_email", text())
        .col("address_street", text())
        .col("address_city", text())
        .col("address_state", text())
        .col("address_zip", text())
        .col("address_country", text().default_text("US"))
        .col("journey_stage", text())
        .col("ai_classification", text())
        .col("last_contact_date", timestamp())
        .col("notes", text())
        .col("tags", json_array())
        .col("custom_fields", jsonb())
        .timestamps()
        .col("deleted_at", timestamp())
        // Data Integrity Rules: spouse fields only for couples (a NULL type counts as individual).
        .check(
            "spouse_only_for_couples",
            "COALESCE(donor_type, 'individual') = 'couple' OR \
             (spouse_first_name IS NULL AND spouse_last_name IS NULL AND spouse_email IS NULL)",
        )
        .unique("uq_donors_org_external_id", &["organization_id", "external_id"])
        .tenant_parent()
        .index("idx_donors_org_email", &["organization_id", "email"])
        .index("idx_donors_journey", &["organization_id", "journey_stage"])
        .gin_index("idx_donor_tags", "tags")
        .index_where_null("idx_donors_active", &["organization_id"], "deleted_at")
}

fn projects() -> TableSpec {
    table("projects")
        .id()
        .organization()
        .col("name", text().not_null())
        .col("description", text())
        .col("target_amount", decimal(12, 2))
        .col("start_date", date())
        .col("end_date", date())
        .col("status", text().one_of(&["draft", "active", "completed", "cancelled"]).default_text("draft"))
        .col("settings", jsonb())
        .timestamps()
        .tenant_parent()
        .index("idx_projects_org_status", &["organization_id", "status"])
}

fn donations() -> TableSpec {
    table("donations")
        .id()
        .organization()
        .col("donor_id", uuid().not_null())
        .col("project_id", uuid())
        .col("amount", decimal(12, 2).not_null())
        .col("currency", text().default_text("USD"))
        .col("date", date().not_null())
        .col("payment_method", text().one_of(&["cash", "check", "credit_card", "wire", "crypto", "other"]))
        .col("reference_number", text())
        .col("notes", text())
        .col("is_recurring", boolean().default_bool(false))
        .col("recurring_frequency", text())
        .col("tax_deductible", boolean().default_bool(true))
        .col("receipt_sent", boolean().default_bool(false))
        .col("receipt_sent_date", timestamp())
        .timestamps()
        .tenant_fk("donor_id", "donors", Cascade)
        .tenant_fk("project_id", "projects", Restrict)
        .index("idx_donations_donor", &["organization_id", "donor_id"])
        .index("idx_donations_project", &["organization_id", "project_id"])
        .index("idx_donations_date", &["organization_id", "date DESC"])
}
