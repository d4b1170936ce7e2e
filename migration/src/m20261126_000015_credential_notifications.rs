//! PostgreSQL tells listening servers when an API key or a staff member changes in a way that
//! matters to authentication, so that they can keep key lookups in memory and still refuse a
//! revoked key or a deactivated staff member at once (docs/decisions/0026-credential-cache.md).
//! The notifications come from triggers, so a change made by any client (another server, the CLI,
//! psql) is announced. Recording a key's use (`last_used_at`) announces nothing. SQLite has no
//! notifications: nothing to do there.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

// `OR REPLACE`: `migrate fresh` drops every table (and so the triggers) but not functions.
const UP: &str = r#"
CREATE OR REPLACE FUNCTION givance_notify_credentials_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('givance_credentials', TG_TABLE_NAME);
    RETURN NULL;
END
$$;

CREATE TRIGGER trg_api_keys_credentials_changed
    AFTER UPDATE ON api_keys FOR EACH ROW
    WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at
       OR OLD.expires_at IS DISTINCT FROM NEW.expires_at
       OR OLD.permissions IS DISTINCT FROM NEW.permissions
       OR OLD.secret_hash IS DISTINCT FROM NEW.secret_hash
       OR OLD.prefix IS DISTINCT FROM NEW.prefix
       OR OLD.staff_id IS DISTINCT FROM NEW.staff_id
       OR OLD.organization_id IS DISTINCT FROM NEW.organization_id)
    EXECUTE FUNCTION givance_notify_credentials_changed();
CREATE TRIGGER trg_api_keys_credentials_deleted
    AFTER DELETE ON api_keys FOR EACH STATEMENT
    EXECUTE FUNCTION givance_notify_credentials_changed();

CREATE TRIGGER trg_staff_credentials_changed
    AFTER UPDATE ON staff FOR EACH ROW
    WHEN (OLD.role IS DISTINCT FROM NEW.role
       OR OLD.permissions IS DISTINCT FROM NEW.permissions
       OR OLD.is_active IS DISTINCT FROM NEW.is_active
       OR OLD.user_id IS DISTINCT FROM NEW.user_id
       OR OLD.organization_id IS DISTINCT FROM NEW.organization_id)
    EXECUTE FUNCTION givance_notify_credentials_changed();
CREATE TRIGGER trg_staff_credentials_deleted
    AFTER DELETE ON staff FOR EACH STATEMENT
    EXECUTE FUNCTION givance_notify_credentials_changed();
"#;

const DOWN: &str = r#"
DROP TRIGGER IF EXISTS trg_staff_credentials_deleted ON staff;
DROP TRIGGER IF EXISTS trg_staff_credentials_changed ON staff;
DROP TRIGGER IF EXISTS trg_api_keys_credentials_deleted ON api_keys;
DROP TRIGGER IF EXISTS trg_api_keys_credentials_changed ON api_keys;
DROP FUNCTION IF EXISTS givance_notify_credentials_changed();
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            manager.get_connection().execute_unprepared(UP).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            manager.get_connection().execute_unprepared(DOWN).await?;
        }
        Ok(())
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
