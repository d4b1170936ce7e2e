//! API keys over HTTP (`staff:manage`): create (the token is in the response, once), list,
//! revoke. Keys are the organization's: another organization's key id is a 404.

use actix_web::{HttpResponse, web};
use chrono::Duration;
use givance_domain::access::STAFF_MANAGE;
use givance_domain::api_key::{ApiKey, ApiKeyRequest};
use givance_domain::shared::time::now;
use givance_domain::{ApiKeyId, Cursor, PageRequest, StaffId, Timestamp, ValueError};
use givance_infra::credentials::{IssueError, issue_api_key};
use serde::{Deserialize, Serialize};

use crate::auth::Tenant;
use crate::error::ApiError;
use crate::state::AppState;

/// The longest lifetime a key can be given in days (about 10 years).
pub const MAX_EXPIRES_IN_DAYS: u32 = 3650;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api-keys").get(list_api_keys).post(create_api_key))
        .service(web::resource("/api-keys/{id}").get(get_api_key).delete(revoke_api_key));
}

#[derive(Debug, Serialize)]
pub struct ApiKeyResponse {
    pub id: uuid::Uuid,
    pub staff_id: uuid::Uuid,
    pub name: String,
    /// The visible part of the token: `gv_<prefix>_...`.
    pub prefix: String,
    pub permissions: Vec<String>,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

impl From<ApiKey> for ApiKeyResponse {
    fn from(k: ApiKey) -> Self {
        Self {
            id: k.id.into_uuid(),
            staff_id: k.staff_id.into_uuid(),
            name: k.name,
            prefix: k.prefix,
            permissions: k.permissions,
            created_at: k.created_at,
            last_used_at: k.last_used_at,
            expires_at: k.expires_at,
            revoked_at: k.revoked_at,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct CreatedApiKeyResponse {
    #[serde(flatten)]
    pub key: ApiKeyResponse,
    /// The whole token, shown this once: only its hash is kept.
    pub token: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKeyRequest {
    pub name: String,
    /// Whose key it is; the caller's own when left out.
    pub staff_id: Option<uuid::Uuid>,
    /// Narrows the staff member's permissions; empty or left out: all of theirs.
    #[serde(default)]
    pub permissions: Vec<String>,
    /// When the key stops working; or give `expires_in_days`. Neither: it does not expire.
    pub expires_at: Option<Timestamp>,
    pub expires_in_days: Option<u32>,
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ApiKeyList {
    pub data: Vec<ApiKeyResponse>,
    pub next_cursor: Option<String>,
}

fn issue_error(err: IssueError) -> ApiError {
    match err {
        IssueError::Repo(err) => err.into(),
        err @ IssueError::Random(_) => ApiError::internal(err),
    }
}

async fn create_api_key(
    tenant: Tenant,
    state: web::Data<AppState>,
    body: web::Json<CreateApiKeyRequest>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(STAFF_MANAGE)?;
    let body = body.into_inner();
    let at = now();
    let expires_at = match (body.expires_at, body.expires_in_days) {
        (Some(_), Some(_)) => {
            return Err(ValueError::new("expires_in_days", "give expires_at or expires_in_days, not both").into());
        }
        (Some(at), None) => Some(at),
        (None, Some(days)) if days == 0 || days > MAX_EXPIRES_IN_DAYS => {
            return Err(ValueError::new("expires_in_days", format!("must be 1 to {MAX_EXPIRES_IN_DAYS}")).into());
        }
        (None, Some(days)) => Some(at + Duration::days(i64::from(days))),
        (None, None) => None,
    };
    let staff_id = body.staff_id.map_or(tenant.staff(), StaffId::from_uuid);
    let staff = state
        .repos
        .staff
        .get(scope, staff_id)
        .await?
        .ok_or_else(|| ApiError::not_found("no staff member with this id in the organization"))?;
    let mut request = ApiKeyRequest::new(staff.id, &body.name, &body.permissions, expires_at, at);
    if !staff.is_active {
        let fault = ValueError::new("staff_id", "the staff member is deactivated");
        request = Err(request.err().unwrap_or_default().into_iter().chain([fault]).collect());
    }
    let (key, token) = issue_api_key(state.repos.api_keys.as_ref(), scope, request?).await.map_err(issue_error)?;
    tracing::info!(key = %key.id, prefix = %key.prefix, staff = %key.staff_id, "API key created");
    Ok(HttpResponse::Created()
        .insert_header(("cache-control", "no-store"))
        .json(CreatedApiKeyResponse { key: key.into(), token: token.expose().to_owned() }))
}

async fn list_api_keys(
    tenant: Tenant,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(STAFF_MANAGE)?;
    let after = query.cursor.as_deref().map(Cursor::decode).transpose()?;
    let page = state.repos.api_keys.list(scope, PageRequest::new(query.limit, after)).await?;
    Ok(HttpResponse::Ok().json(ApiKeyList {
        data: page.items.into_iter().map(ApiKeyResponse::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

async fn get_api_key(
    tenant: Tenant,
    state: web::Data<AppState>,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(STAFF_MANAGE)?;
    let key = state.repos.api_keys.get(scope, ApiKeyId::from_uuid(*id)).await?;
    let key = key.ok_or_else(|| ApiError::not_found("no API key with this id"))?;
    Ok(HttpResponse::Ok().json(ApiKeyResponse::from(key)))
}

async fn revoke_api_key(
    tenant: Tenant,
    state: web::Data<AppState>,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(STAFF_MANAGE)?;
    let key = state.repos.api_keys.revoke(scope, ApiKeyId::from_uuid(*id)).await?;
    tracing::info!(key = %key.id, prefix = %key.prefix, "API key revoked");
    Ok(HttpResponse::NoContent().finish())
}
