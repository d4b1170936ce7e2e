//! Indexes beyond the spec for a donor's timeline (docs/decisions/0029-communications-and-timeline.md):
//! one per kind of entry, each leading with (organization_id, donor_id) and ordered as the
//! timeline reads that kind, newest first, so that a page reads the first rows of each in order
//! and stops. Sent campaign emails and completed todos are partial indexes over the rows that
//! can appear at all.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// `(name, definition)`: the same on PostgreSQL and SQLite.
const INDEXES: &[(&str, &str)] = &[
    (
        "idx_comms_donor_timeline",
        "ON communications (organization_id, donor_id, COALESCE(sent_at, created_at) DESC, id DESC)",
    ),
    ("idx_donations_donor_timeline", "ON donations (organization_id, donor_id, date DESC, id DESC)"),
    (
        "idx_emails_donor_sent",
        "ON generated_emails (organization_id, donor_id, sent_at DESC, id DESC) WHERE sent_at IS NOT NULL",
    ),
    (
        "idx_todos_donor_completed",
        "ON todos (organization_id, donor_id, completed_at DESC, id DESC) WHERE completed_at IS NOT NULL",
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, definition) in INDEXES {
            manager.get_connection().execute_unprepared(&format!("CREATE INDEX {name} {definition}")).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, _) in INDEXES.iter().rev() {
            manager.get_connection().execute_unprepared(&format!("DROP INDEX IF EXISTS {name}")).await?;
        }
        Ok(())
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
