use async_trait::async_trait;
use givance_domain::api_key::{ApiKey, ApiKeyCredential, ApiKeyRepository, NewApiKey};
use givance_domain::shared::time::now;
use givance_domain::{ApiKeyId, OrgScope, OrganizationId, Page, PageRequest, RepoError, StaffId, Timestamp};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter};

use std::sync::Arc;

use crate::convert::{string_list, string_list_json};
use crate::credential_cache::CredentialCache;
use crate::entities::api_key::{self, Column, Entity};
use crate::entities::staff;
use crate::error::write_err;
use crate::page::fetch_page;
use crate::scoped::{scoped, scoped_by_id, scoped_update};

/// How long a recorded use stands before the next use is recorded.
const TOUCH_INTERVAL_SECS: i64 = 60;

pub struct SeaApiKeyRepository {
    conn: DatabaseConnection,
    cache: Arc<CredentialCache>,
}

impl SeaApiKeyRepository {
    /// Lookups by prefix go through `cache` (which serves only while it is told of changes).
    pub fn new(conn: DatabaseConnection, cache: Arc<CredentialCache>) -> Self {
        Self { conn, cache }
    }

    async fn lookup_in_database(&self, prefix: &str) -> Result<Option<ApiKeyCredential>, RepoError> {
        // Unscoped by design (see the port): the key names its organization. One round trip,
        // joined with its staff member on the tenant key.
        let Some((key, staff)) = Entity::find()
            .filter(Column::Prefix.eq(prefix))
            .find_also_related(staff::Entity)
            .one(&self.conn)
            .await
            .map_err(write_err)?
        else {
            return Ok(None);
        };
        let staff = staff.ok_or_else(|| RepoError::Corrupt(format!("api key {} has no staff member", key.id)))?;
        if staff.organization_id != key.organization_id {
            return Err(RepoError::Corrupt(format!("api key {} belongs to another organization's staff", key.id)));
        }
        Ok(Some(ApiKeyCredential {
            organization_id: OrganizationId::from_uuid(key.organization_id),
            secret_hash: key.secret_hash.clone(),
            key: to_domain(key)?,
            staff: super::staff::to_domain(staff)?,
        }))
    }
}

fn to_domain(m: api_key::Model) -> Result<ApiKey, RepoError> {
    Ok(ApiKey {
        id: ApiKeyId::from_uuid(m.id),
        staff_id: StaffId::from_uuid(m.staff_id),
        name: m.name,
        prefix: m.prefix,
        permissions: string_list("permissions", Some(m.permissions))?,
        created_at: m.created_at,
        last_used_at: m.last_used_at,
        expires_at: m.expires_at,
        revoked_at: m.revoked_at,
    })
}

#[async_trait]
impl ApiKeyRepository for SeaApiKeyRepository {
    async fn create(&self, scope: &OrgScope, new: NewApiKey) -> Result<ApiKey, RepoError> {
        let key = ApiKey {
            id: ApiKeyId::new(),
            staff_id: new.staff_id,
            name: new.name,
            prefix: new.prefix,
            permissions: new.permissions,
            created_at: now(),
            last_used_at: None,
            expires_at: new.expires_at,
            revoked_at: None,
        };
        let row = api_key::ActiveModel {
            id: Set(key.id.into_uuid()),
            organization_id: Set(scope.org().into_uuid()),
            staff_id: Set(key.staff_id.into_uuid()),
            name: Set(key.name.clone()),
            prefix: Set(key.prefix.clone()),
            secret_hash: Set(new.secret_hash),
            permissions: Set(string_list_json(&key.permissions)),
            created_at: Set(key.created_at),
            last_used_at: Set(None),
            expires_at: Set(key.expires_at),
            revoked_at: Set(None),
        };
        Entity::insert(row).exec_without_returning(&self.conn).await.map_err(write_err)?;
        Ok(key)
    }

    async fn get(&self, scope: &OrgScope, id: ApiKeyId) -> Result<Option<ApiKey>, RepoError> {
        scoped_by_id::<Entity>(scope, id.into_uuid())
            .one(&self.conn)
            .await
            .map_err(write_err)?
            .map(to_domain)
            .transpose()
    }

    async fn list(&self, scope: &OrgScope, request: PageRequest) -> Result<Page<ApiKey>, RepoError> {
        let page = fetch_page(&self.conn, scoped::<Entity>(scope), Column::CreatedAt, Column::Id, request, |m| {
            (Some(m.created_at), m.id)
        })
        .await?;
        page.try_map(to_domain)
    }

    async fn revoke(&self, scope: &OrgScope, id: ApiKeyId) -> Result<ApiKey, RepoError> {
        // Only a live key gets a revocation time: revoking again keeps the first.
        scoped_update::<Entity>(scope, id.into_uuid())
            .col_expr(Column::RevokedAt, Expr::value(now()))
            .filter(Column::RevokedAt.is_null())
            .exec(&self.conn)
            .await
            .map_err(write_err)?;
        self.cache.invalidate();
        self.get(scope, id).await?.ok_or(RepoError::NotFound)
    }

    async fn touch(&self, scope: &OrgScope, id: ApiKeyId, at: Timestamp) -> Result<(), RepoError> {
        let stale = at - chrono::Duration::seconds(TOUCH_INTERVAL_SECS);
        // No row changed: a use was recorded less than a minute ago (or the key is not the
        // organization's); either way there is nothing to do.
        scoped_update::<Entity>(scope, id.into_uuid())
            .col_expr(Column::LastUsedAt, Expr::value(at))
            .filter(Condition::any().add(Column::LastUsedAt.is_null()).add(Column::LastUsedAt.lte(stale)))
            .exec(&self.conn)
            .await
            .map_err(write_err)?;
        self.cache.record_use(id, at);
        Ok(())
    }

    async fn find_by_prefix(&self, prefix: &str) -> Result<Option<ApiKeyCredential>, RepoError> {
        if let Some(found) = self.cache.get(prefix) {
            return Ok(Some(found));
        }
        let lookup = self.cache.begin_lookup();
        let found = self.lookup_in_database(prefix).await?;
        if let Some(found) = &found {
            self.cache.store(lookup, found);
        }
        Ok(found)
    }
}
