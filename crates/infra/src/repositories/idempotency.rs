//! The SeaORM idempotency store: one row per (organization, key). The unique constraint on that
//! pair decides which of concurrent requests owns a key (`INSERT ... ON CONFLICT DO NOTHING`,
//! so a lost race is an ordinary answer, not an error). See docs/decisions/0017.

use async_trait::async_trait;
use givance_domain::idempotency::{IdempotencyKey, IdempotencyRecord, IdempotencyStore, Reservation, StoredResponse};
use givance_domain::shared::time::now;
use givance_domain::{OrgScope, RepoError, Timestamp};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::entities::idempotency_key::{self, Column, Entity};
use crate::error::{require_row, write_err};
use crate::scoped::{OrgOwned, scoped};

impl OrgOwned for Entity {
    fn org_column() -> Self::Column {
        Column::OrganizationId
    }
    fn id_column() -> Self::Column {
        Column::Id
    }
}

/// Lower-case hex SHA-256 of a request's method, path and body: what "the same request" means.
pub fn request_fingerprint(method: &str, path: &str, body: &[u8]) -> String {
    let mut hash = Sha256::new();
    hash.update(method.as_bytes());
    hash.update(b"\n");
    hash.update(path.as_bytes());
    hash.update(b"\n");
    hash.update(body);
    hex::encode(hash.finalize())
}

pub struct SeaIdempotencyStore {
    conn: DatabaseConnection,
}

impl SeaIdempotencyStore {
    pub fn new(conn: DatabaseConnection) -> Self {
        Self { conn }
    }

    async fn find(&self, scope: &OrgScope, key: &IdempotencyKey) -> Result<Option<idempotency_key::Model>, RepoError> {
        scoped::<Entity>(scope).filter(Column::Key.eq(key.as_str())).one(&self.conn).await.map_err(write_err)
    }
}

fn to_domain(m: idempotency_key::Model) -> Result<IdempotencyRecord, RepoError> {
    let response = match (m.response_status, m.response_body) {
        (Some(status), Some(body)) => Some(StoredResponse {
            status: u16::try_from(status).map_err(|_| RepoError::Corrupt(format!("response status {status}")))?,
            body,
        }),
        _ => None,
    };
    Ok(IdempotencyRecord {
        key: IdempotencyKey::parse(&m.key)?,
        fingerprint: m.request_fingerprint,
        response,
        created_at: m.created_at,
    })
}

/// The rows of `key` in the scope's organization.
fn of_key(scope: &OrgScope, key: &IdempotencyKey) -> sea_orm::Condition {
    sea_orm::Condition::all().add(Column::OrganizationId.eq(scope.org().into_uuid())).add(Column::Key.eq(key.as_str()))
}

#[async_trait]
impl IdempotencyStore for SeaIdempotencyStore {
    async fn reserve(
        &self,
        scope: &OrgScope,
        key: &IdempotencyKey,
        fingerprint: &str,
    ) -> Result<Reservation, RepoError> {
        // A key released between our insert and our read is free again: try once more, then
        // report the key as taken (the caller answers 409 and the client retries).
        for _ in 0..2 {
            let row = idempotency_key::ActiveModel {
                id: Set(Uuid::now_v7()),
                organization_id: Set(scope.org().into_uuid()),
                key: Set(key.as_str().to_owned()),
                request_fingerprint: Set(fingerprint.to_owned()),
                response_status: Set(None),
                response_body: Set(None),
                created_at: Set(now()),
            };
            let inserted = Entity::insert(row)
                .on_conflict(OnConflict::columns([Column::OrganizationId, Column::Key]).do_nothing().to_owned())
                .exec_without_returning(&self.conn)
                .await
                .map_err(write_err)?;
            if inserted == 1 {
                return Ok(Reservation::Reserved);
            }
            if let Some(existing) = self.find(scope, key).await? {
                return Ok(Reservation::Existing(to_domain(existing)?));
            }
        }
        Err(RepoError::Conflict { constraint: "uq_idempotency_keys_org_key".to_owned() })
    }

    async fn complete(
        &self,
        scope: &OrgScope,
        key: &IdempotencyKey,
        response: StoredResponse,
    ) -> Result<(), RepoError> {
        let result = Entity::update_many()
            .col_expr(Column::ResponseStatus, Expr::value(i32::from(response.status)))
            .col_expr(Column::ResponseBody, Expr::value(response.body))
            .filter(of_key(scope, key))
            .filter(Column::ResponseStatus.is_null())
            .exec(&self.conn)
            .await
            .map_err(write_err)?;
        require_row(result.rows_affected)
    }

    async fn release(&self, scope: &OrgScope, key: &IdempotencyKey) -> Result<(), RepoError> {
        // Only a pending reservation: a finished request's response stays replayable.
        Entity::delete_many()
            .filter(of_key(scope, key))
            .filter(Column::ResponseStatus.is_null())
            .exec(&self.conn)
            .await
            .map_err(write_err)?;
        Ok(())
    }

    async fn prune(&self, cutoff: Timestamp) -> Result<u64, RepoError> {
        let result =
            Entity::delete_many().filter(Column::CreatedAt.lt(cutoff)).exec(&self.conn).await.map_err(write_err)?;
        Ok(result.rows_affected)
    }
}
