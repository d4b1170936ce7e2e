//! API keys over HTTP (`staff:manage`): create (the token is in the response, once), list,
//! revoke. Keys are the organization's: another organization's key id is a 404.

use actix_web::{HttpResponse, web};
use chrono::Duration;
use givance_domain::access::STAFF_MANAGE;
use givance_domain::api_key::{ApiKey, ApiKeyRequest};
use givance_domain::shared::time::now;
use givance_domain::{ApiKeyId, StaffId, Timestamp, ValueError};
use givance_infra::credentials::{IssueError, issue_api_key};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Tenant;
use crate::error::{
    ApiError, BadRequest, Forbidden, NotFound, PayloadTooLarge, Unauthorized, UnsupportedMediaType, ValidationFailed,
};
use crate::fields::{PageQuery, tagged_cursor};
use crate::openapi::Page;
use crate::state::AppState;

/// The tag of this list's cursors.
const CURSOR_TAG: &str = "k";

/// The longest lifetime a key can be given in days (about 10 years).
pub const MAX_EXPIRES_IN_DAYS: u32 = 3650;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api-keys").get(list_api_keys).post(create_api_key))
        .service(web::resource("/api-keys/{id}").get(get_api_key).delete(revoke_api_key));
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyResponse {
    pub id: uuid::Uuid,
    pub staff_id: uuid::Uuid,
    pub name: String,
    /// The visible part of the token: `gv_<prefix>_...`.
    pub prefix: String,
    /// What the key may do (`donors:read`, ...): the staff member's permissions, narrowed.
    pub permissions: Vec<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// Recorded at most once a minute.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
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

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKeyResponse {
    #[serde(flatten)]
    pub key: ApiKeyResponse,
    /// The whole token, shown this once: only its hash is kept.
    #[schema(example = "gv_ab12cd34ef56_…")]
    pub token: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKeyRequest {
    #[schema(min_length = 1, max_length = 200, example = "CRM sync")]
    pub name: String,
    /// Whose key it is; the caller's own when left out.
    pub staff_id: Option<uuid::Uuid>,
    /// Narrows the staff member's permissions; empty or left out: all of theirs.
    #[serde(default)]
    pub permissions: Vec<String>,
    /// When the key stops working (in the future); or give `expires_in_days`. Neither: it does
    /// not expire.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<Timestamp>,
    #[schema(minimum = 1, maximum = 3650)]
    pub expires_in_days: Option<u32>,
}

/// One page of keys (the schema is [`Page<ApiKeyResponse>`]).
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

/// Creates an API key for the caller or another staff member (`staff:manage`). The token is in
/// this response only.
#[utoipa::path(
    post,
    path = "/api-keys",
    operation_id = "createApiKey",
    tag = "api-keys",
    request_body = CreateApiKeyRequest,
    responses(
        (status = 201, description = "The key, with its token (shown once)", body = CreatedApiKeyResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = ValidationFailed),
    )
)]
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

/// The organization's API keys, revoked and expired ones included (`staff:manage`).
#[utoipa::path(
    get,
    path = "/api-keys",
    operation_id = "listApiKeys",
    tag = "api-keys",
    params(
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 200,
            description = "Page size, 50 by default"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
    ),
    responses(
        (status = 200, description = "One page of keys", body = Page<ApiKeyResponse>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = ValidationFailed),
    )
)]
async fn list_api_keys(
    tenant: Tenant,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(STAFF_MANAGE)?;
    let page = state.repos.api_keys.list(scope, query.page(CURSOR_TAG)?).await?;
    Ok(HttpResponse::Ok().json(ApiKeyList {
        data: page.items.into_iter().map(ApiKeyResponse::from).collect(),
        next_cursor: tagged_cursor(CURSOR_TAG, page.next_cursor),
    }))
}

/// One API key of the organization (`staff:manage`).
#[utoipa::path(
    get,
    path = "/api-keys/{id}",
    operation_id = "getApiKey",
    tag = "api-keys",
    params(("id" = uuid::Uuid, Path, description = "The key's id; a malformed one is a 400")),
    responses(
        (status = 200, description = "The key", body = ApiKeyResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
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

/// Revokes an API key of the organization (`staff:manage`); it stops working at once. Revoking
/// a revoked key keeps its first revocation time.
#[utoipa::path(
    delete,
    path = "/api-keys/{id}",
    operation_id = "revokeApiKey",
    tag = "api-keys",
    params(("id" = uuid::Uuid, Path, description = "The key's id; a malformed one is a 400")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
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

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(create_api_key, list_api_keys, get_api_key, revoke_api_key),
    components(schemas(ApiKeyResponse, CreatedApiKeyResponse, CreateApiKeyRequest))
)]
pub struct Api;
