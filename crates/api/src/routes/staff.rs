//! Staff over HTTP: the directory (list, read; `staff:read`), invitations, role and permission
//! changes, deactivation and reactivation (`staff:manage`), email signatures (`staff:manage`, or
//! the member themselves), and `/me`, the caller's own profile.
//!
//! The rules that protect an organization from locking itself out (nobody deactivates or demotes
//! themselves; an active admin always remains) live in the domain's `change_staff`. Refresh
//! tokens of connected mailboxes are never rendered; only the mailbox addresses are. Another
//! organization's staff id, like a malformed one, is a 404. See ADR 0016.

use actix_web::{HttpResponse, web};
use givance_domain::access::{STAFF_MANAGE, STAFF_READ, parse_permissions};
use givance_domain::staff::{Invitation, Role, StaffChangeError, StaffFilter, StaffMember, StaffPatch, change_staff};
use givance_domain::user::{UserPatch, parse_name, parse_signature};
use givance_domain::{EmailAddress, OrgScope, PageRequest, RepoError, StaffId, Timestamp, ValueError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Tenant;
use crate::error::{
    ApiError, BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, Unauthorized, UnsupportedMediaType,
    ValidationFailed,
};
use crate::fields::{Faults, ListResponse, flag, page_request, path_id, tagged_cursor};
use crate::openapi::Page;
use crate::patch::double_option;
use crate::state::AppState;

pub use crate::fields::MAX_LIMIT;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/staff").get(list_staff).post(invite_staff))
        .service(web::resource("/staff/{id}").get(get_staff).patch(update_staff))
        .service(web::resource("/staff/{id}/deactivate").post(deactivate_staff))
        .service(web::resource("/staff/{id}/reactivate").post(reactivate_staff))
        .service(web::resource("/staff/{id}/signature").put(put_signature))
        .service(web::resource("/me").get(get_me).patch(update_me));
}

// ---------------------------------------------------------------------------------------------
// Responses

/// The user behind a staff member.
#[derive(Debug, Serialize, ToSchema)]
pub struct StaffUserResponse {
    pub id: uuid::Uuid,
    #[schema(example = "ada@example.org")]
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// Only on a single member's read, `/me` and the signature endpoint; lists leave it out.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, max_length = 10000)]
    pub email_signature: Option<Option<String>>,
}

/// A staff member. Connected mailboxes show only their addresses, never their tokens.
#[derive(Debug, Serialize, ToSchema)]
pub struct StaffResponse {
    pub id: uuid::Uuid,
    #[schema(value_type = String, example = "fundraiser")]
    pub role: Role,
    /// Permission strings granted on top of the role's.
    pub permissions: Vec<String>,
    pub is_active: bool,
    /// The connected Gmail mailbox, if any.
    pub gmail_email: Option<String>,
    /// The connected Microsoft mailbox, if any.
    pub microsoft_email: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    pub user: StaffUserResponse,
}

impl StaffResponse {
    /// `with_signature`: whether the user's email signature is included.
    fn new(member: StaffMember, with_signature: bool) -> Self {
        let StaffMember { staff, user } = member;
        Self {
            id: staff.id.into_uuid(),
            role: staff.role,
            permissions: staff.permissions,
            is_active: staff.is_active,
            gmail_email: staff.gmail_email.map(String::from),
            microsoft_email: staff.microsoft_email.map(String::from),
            created_at: staff.created_at,
            updated_at: staff.updated_at,
            user: StaffUserResponse {
                id: user.id.into_uuid(),
                email: user.email.into(),
                first_name: user.first_name,
                last_name: user.last_name,
                email_signature: with_signature.then_some(user.email_signature),
            },
        }
    }
}

/// The caller: their staff membership and user, and what this credential may do.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    #[serde(flatten)]
    pub member: StaffResponse,
    /// The role's permissions plus the member's own, narrowed by an API key's list when it has one.
    pub effective_permissions: Vec<String>,
}

fn not_found() -> ApiError {
    ApiError::not_found("no staff member with this id")
}

/// A staff id from the path; a malformed one names no member: 404.
fn staff_id(raw: &str) -> Result<StaffId, ApiError> {
    path_id(raw, not_found)
}

fn repo_error(err: RepoError) -> ApiError {
    match err {
        RepoError::NotFound => not_found(),
        RepoError::Conflict { constraint } if constraint == "uq_staff_org_user" => ApiError::conflict(
            "already_staff",
            "this user is staff of the organization already; change or reactivate that member instead",
        ),
        err => err.into(),
    }
}

fn change_error(err: StaffChangeError) -> ApiError {
    match err {
        StaffChangeError::Repo(err) => repo_error(err),
        StaffChangeError::LastAdmin => ApiError::conflict(
            "last_admin",
            "the organization must keep at least one active admin; make someone else admin first",
        ),
        StaffChangeError::SelfDeactivation => {
            ApiError::conflict("self_deactivation", "you cannot deactivate yourself; ask another admin")
        }
        StaffChangeError::SelfDemotion => {
            ApiError::conflict("self_demotion", "you cannot lower your own role or permissions; ask another admin")
        }
    }
}

async fn member(state: &AppState, scope: &OrgScope, id: StaffId) -> Result<StaffMember, ApiError> {
    state.repos.staff.get_member(scope, id).await.map_err(repo_error)?.ok_or_else(not_found)
}

fn parse_role(raw: &str) -> Result<Role, ValueError> {
    raw.trim().parse::<Role>()
}

// ---------------------------------------------------------------------------------------------
// List

/// Every parameter is read as text so that a bad value is a 422 naming it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListStaffQuery {
    pub limit: Option<String>,
    pub cursor: Option<String>,
    pub role: Option<String>,
    pub is_active: Option<String>,
}

/// Cursors of this list carry a tag so that another list's cursor is refused, not misread.
const CURSOR_TAG: &str = "s";

impl ListStaffQuery {
    fn parse(&self) -> Result<(StaffFilter, PageRequest), ApiError> {
        let mut f = Faults::default();
        let page = page_request(&mut f, self.limit.as_deref(), self.cursor.as_deref(), CURSOR_TAG);
        let role = self.role.as_deref().and_then(|raw| f.take(parse_role(raw)));
        let is_active = flag(&mut f, "is_active", self.is_active.as_deref());
        f.finish((StaffFilter { role, is_active }, page))
    }
}

/// The organization's staff, newest first, each with their user (`staff:read`).
#[utoipa::path(
    get,
    path = "/staff",
    operation_id = "listStaff",
    tag = "staff",
    params(
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 200, description = "Page size, 50 by default"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
        ("role" = Option<String>, Query, description = "Only this role: admin, manager, fundraiser or viewer"),
        ("is_active" = Option<bool>, Query, description = "Only active (`true`) or deactivated (`false`) members"),
    ),
    responses(
        (status = 200, description = "One page of staff", body = Page<StaffResponse>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = ValidationFailed),
    )
)]
async fn list_staff(
    tenant: Tenant,
    state: web::Data<AppState>,
    query: web::Query<ListStaffQuery>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(STAFF_READ)?;
    let (filter, page) = query.parse()?;
    let page = state.repos.staff.list_members(scope, filter, page).await?;
    Ok(HttpResponse::Ok().json(ListResponse {
        data: page.items.into_iter().map(|m| StaffResponse::new(m, false)).collect(),
        next_cursor: tagged_cursor(CURSOR_TAG, page.next_cursor),
    }))
}

// ---------------------------------------------------------------------------------------------
// Read

/// One staff member with their user and email signature (`staff:read`).
#[utoipa::path(
    get,
    path = "/staff/{id}",
    operation_id = "getStaff",
    tag = "staff",
    params(("id" = String, Path, description = "The staff member's id")),
    responses(
        (status = 200, description = "The staff member", body = StaffResponse),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
async fn get_staff(
    tenant: Tenant,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(STAFF_READ)?;
    let id = staff_id(&id)?;
    Ok(HttpResponse::Ok().json(StaffResponse::new(member(&state, scope, id).await?, true)))
}

// ---------------------------------------------------------------------------------------------
// Invite

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteStaffRequest {
    /// Finds the user with this address (case-insensitively) or creates one.
    #[schema(example = "ada@example.org")]
    pub email: Option<String>,
    /// Used only when a new user is created.
    #[schema(max_length = 200)]
    pub first_name: Option<String>,
    /// Used only when a new user is created.
    #[schema(max_length = 200)]
    pub last_name: Option<String>,
    /// admin, manager, fundraiser or viewer.
    #[schema(example = "fundraiser")]
    pub role: Option<String>,
    /// Permission strings on top of the role's; null or left out: none.
    pub permissions: Option<Vec<String>>,
}

impl InviteStaffRequest {
    fn into_invitation(self) -> Result<Invitation, ApiError> {
        let mut f = Faults::default();
        let email = f.required_with("email", self.email.as_deref(), |raw| {
            EmailAddress::parse(raw).map_err(|e| e.for_field("email"))
        });
        let first_name = f.take(parse_name("first_name", self.first_name.as_deref()));
        let last_name = f.take(parse_name("last_name", self.last_name.as_deref()));
        let role = f.required_with("role", self.role.as_deref(), parse_role);
        let permissions = f.take(parse_permissions("permissions", &self.permissions.unwrap_or_default()));
        let invitation = match (email, role, permissions) {
            (Some(email), Some(role), Some(permissions)) => Some(Invitation {
                email,
                first_name: first_name.flatten(),
                last_name: last_name.flatten(),
                role,
                permissions,
            }),
            _ => None,
        };
        f.finish(invitation)?.ok_or_else(|| ApiError::from(ValueError::new("email", "is required")))
    }
}

/// Invites a user by email: makes the existing user with that address staff, or creates the
/// user first (they sign in later through the identity provider) (`staff:manage`). A 409
/// `already_staff` when they are staff of the organization already.
#[utoipa::path(
    post,
    path = "/staff",
    operation_id = "inviteStaff",
    tag = "staff",
    request_body = InviteStaffRequest,
    responses(
        (status = 201, description = "The new staff member", body = StaffResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = ValidationFailed),
    )
)]
async fn invite_staff(
    tenant: Tenant,
    state: web::Data<AppState>,
    body: web::Json<InviteStaffRequest>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(STAFF_MANAGE)?;
    let invitation = body.into_inner().into_invitation()?;
    let member = state.repos.staff.invite(scope, invitation).await.map_err(repo_error)?;
    tracing::info!(staff = %member.staff.id, user = %member.user.id, role = %member.staff.role, "staff invited");
    Ok(HttpResponse::Created().json(StaffResponse::new(member, false)))
}

// ---------------------------------------------------------------------------------------------
// Change role and permissions; deactivate and reactivate

/// Every field optional.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateStaffRequest {
    /// admin, manager, fundraiser or viewer; cannot be null.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, example = "manager")]
    pub role: Option<Option<String>>,
    /// Replaces the extra permissions; null clears them.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Vec<String>>)]
    pub permissions: Option<Option<Vec<String>>>,
}

impl UpdateStaffRequest {
    fn into_patch(self) -> Result<StaffPatch, ApiError> {
        let mut f = Faults::default();
        let patch = StaffPatch {
            role: f.non_null_with("role", self.role, |raw| parse_role(&raw)),
            permissions: self
                .permissions
                .and_then(|values| f.take(parse_permissions("permissions", &values.unwrap_or_default()))),
            ..StaffPatch::default()
        };
        f.finish(patch)
    }
}

/// Applies `patch` through the domain's rules and renders the member as it now is.
async fn change(tenant: &Tenant, state: &AppState, raw_id: &str, patch: StaffPatch) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(STAFF_MANAGE)?;
    let id = staff_id(raw_id)?;
    change_staff(state.repos.staff.as_ref(), scope, id, patch).await.map_err(change_error)?;
    tracing::info!(staff = %id, "staff member changed");
    Ok(HttpResponse::Ok().json(StaffResponse::new(member(state, scope, id).await?, false)))
}

/// Changes a member's role and extra permissions (`staff:manage`). Nobody lowers their own (409
/// `self_demotion`); the organization keeps an active admin (409 `last_admin`).
#[utoipa::path(
    patch,
    path = "/staff/{id}",
    operation_id = "updateStaff",
    tag = "staff",
    params(("id" = String, Path, description = "The staff member's id")),
    request_body = UpdateStaffRequest,
    responses(
        (status = 200, description = "The staff member as changed", body = StaffResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = ValidationFailed),
    )
)]
async fn update_staff(
    tenant: Tenant,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<UpdateStaffRequest>,
) -> Result<HttpResponse, ApiError> {
    tenant.require(STAFF_MANAGE)?;
    let patch = body.into_inner().into_patch()?;
    change(&tenant, &state, &id, patch).await
}

/// Deactivates a member (`staff:manage`): they can no longer sign in and their API keys stop
/// working; nothing they did is removed. Not oneself (409 `self_deactivation`), and not the last
/// active admin (409 `last_admin`).
#[utoipa::path(
    post,
    path = "/staff/{id}/deactivate",
    operation_id = "deactivateStaff",
    tag = "staff",
    params(("id" = String, Path, description = "The staff member's id")),
    responses(
        (status = 200, description = "The staff member, deactivated", body = StaffResponse),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
async fn deactivate_staff(
    tenant: Tenant,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    change(&tenant, &state, &id, StaffPatch { is_active: Some(false), ..StaffPatch::default() }).await
}

/// Reactivates a deactivated member (`staff:manage`); their unrevoked API keys work again.
#[utoipa::path(
    post,
    path = "/staff/{id}/reactivate",
    operation_id = "reactivateStaff",
    tag = "staff",
    params(("id" = String, Path, description = "The staff member's id")),
    responses(
        (status = 200, description = "The staff member, active", body = StaffResponse),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
async fn reactivate_staff(
    tenant: Tenant,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    change(&tenant, &state, &id, StaffPatch { is_active: Some(true), ..StaffPatch::default() }).await
}

// ---------------------------------------------------------------------------------------------
// Email signature

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignatureRequest {
    /// Text or HTML, stored as given (trimmed) and not interpreted; null or blank removes it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 10000)]
    pub signature: Option<Option<String>>,
}

/// Sets a member's email signature: `staff:manage`, or the member themselves.
#[utoipa::path(
    put,
    path = "/staff/{id}/signature",
    operation_id = "putStaffSignature",
    tag = "staff",
    params(("id" = String, Path, description = "The staff member's id")),
    request_body = SignatureRequest,
    responses(
        (status = 200, description = "The staff member, with the signature", body = StaffResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = ValidationFailed),
    )
)]
async fn put_signature(
    tenant: Tenant,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<SignatureRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = staff_id(&id)?;
    let scope = if id == tenant.staff() { tenant.scope() } else { tenant.require(STAFF_MANAGE)? };
    let signature = match body.into_inner().signature {
        None => return Err(ValueError::new("signature", "is required (null removes the signature)").into()),
        Some(raw) => parse_signature("signature", raw.as_deref())?,
    };
    let patch = UserPatch { email_signature: Some(signature), ..UserPatch::default() };
    let member = state.repos.staff.update_user(scope, id, patch).await.map_err(repo_error)?;
    tracing::info!(staff = %id, "email signature set");
    Ok(HttpResponse::Ok().json(StaffResponse::new(member, true)))
}

// ---------------------------------------------------------------------------------------------
// The caller's own profile

async fn me(tenant: &Tenant, state: &AppState) -> Result<HttpResponse, ApiError> {
    let member = member(state, tenant.scope(), tenant.staff()).await?;
    Ok(HttpResponse::Ok().json(MeResponse {
        member: StaffResponse::new(member, true),
        effective_permissions: tenant.scope().permissions().iter().map(str::to_owned).collect(),
    }))
}

/// The caller: staff membership, user profile with email signature, and effective permissions.
/// Any valid credential may read it.
#[utoipa::path(
    get,
    path = "/me",
    operation_id = "getMe",
    tag = "staff",
    responses(
        (status = 200, description = "The caller", body = MeResponse),
        (status = 401, response = Unauthorized),
    )
)]
async fn get_me(tenant: Tenant, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    me(&tenant, &state).await
}

/// Fields of the caller's own profile: left out changes nothing, null clears.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMeRequest {
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub first_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub last_name: Option<Option<String>>,
    /// Text or HTML, not interpreted.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 10000)]
    pub email_signature: Option<Option<String>>,
}

impl UpdateMeRequest {
    fn into_patch(self) -> Result<UserPatch, ApiError> {
        let mut f = Faults::default();
        let mut patch = UserPatch::default();
        if let Some(v) = self.first_name {
            patch.first_name = f.take(parse_name("first_name", v.as_deref()));
        }
        if let Some(v) = self.last_name {
            patch.last_name = f.take(parse_name("last_name", v.as_deref()));
        }
        if let Some(v) = self.email_signature {
            patch.email_signature = f.take(parse_signature("email_signature", v.as_deref()));
        }
        f.finish(patch)
    }
}

/// Changes the caller's own names and email signature (any valid credential; fields left out
/// are kept, null clears). Role and permissions change through
/// `PATCH /staff/{id}` only.
#[utoipa::path(
    patch,
    path = "/me",
    operation_id = "updateMe",
    tag = "staff",
    request_body = UpdateMeRequest,
    responses(
        (status = 200, description = "The caller as changed", body = MeResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = ValidationFailed),
    )
)]
async fn update_me(
    tenant: Tenant,
    state: web::Data<AppState>,
    body: web::Json<UpdateMeRequest>,
) -> Result<HttpResponse, ApiError> {
    let patch = body.into_inner().into_patch()?;
    state.repos.staff.update_user(tenant.scope(), tenant.staff(), patch).await.map_err(repo_error)?;
    tracing::info!(staff = %tenant.staff(), "own profile changed");
    me(&tenant, &state).await
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        list_staff,
        get_staff,
        invite_staff,
        update_staff,
        deactivate_staff,
        reactivate_staff,
        put_signature,
        get_me,
        update_me
    ),
    components(schemas(
        StaffResponse,
        StaffUserResponse,
        MeResponse,
        InviteStaffRequest,
        UpdateStaffRequest,
        SignatureRequest,
        UpdateMeRequest
    ))
)]
pub struct Api;
