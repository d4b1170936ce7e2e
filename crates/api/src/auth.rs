//! Bearer authentication: the [`Tenant`] extractor turns `Authorization: Bearer <token>` (an API
//! key or a JWT) into the caller's [`OrgScope`], after checking the credential and the staff
//! membership behind it on every request. Handlers then ask for what they need with
//! [`Tenant::require`].
//!
//! - API key (`gv_<prefix>_<secret>`): found by prefix, its secret's SHA-256 compared in constant
//!   time; refused when revoked, expired, or its staff member is deactivated. Permissions: the
//!   staff member's, narrowed to the key's own list when it has one.
//! - JWT: verified by the configured [`JwtVerifier`](crate::jwt::JwtVerifier); `sub` must be a
//!   user (users.clerk_id) who is active staff of the organization `org_id` names
//!   (organizations.clerk_id). Permissions: the staff member's. An invited user's first sign-in
//!   binds the invitation to `sub` (see [`claim_invitation`]).
//!
//! Every refusal is a 401 problem with `WWW-Authenticate: Bearer`; the reason is logged.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use givance_domain::access::effective_permissions;
use givance_domain::api_key::{KeyRefusal, TokenParts};
use givance_domain::shared::time::now;
use givance_domain::user::User;
use givance_domain::{EmailAddress, OrgScope, OrganizationId, RepoError, StaffId};
use givance_infra::credentials::verify_secret;

use crate::error::ApiError;
use crate::jwt::{Claims, JwtError};
use crate::state::AppState;

/// Which kind of credential authenticated the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    ApiKey(givance_domain::ApiKeyId),
    Jwt,
}

/// The authenticated caller: an organization, a staff member and their permissions.
#[derive(Debug, Clone)]
pub struct Tenant {
    scope: OrgScope,
    staff: StaffId,
    credential: Credential,
}

impl Tenant {
    /// The scope, for reads and writes that need no particular permission.
    pub fn scope(&self) -> &OrgScope {
        &self.scope
    }

    /// The scope when the caller holds `permission`; otherwise a 403 problem.
    pub fn require(&self, permission: &str) -> Result<&OrgScope, ApiError> {
        if self.scope.permissions().allows(permission) { Ok(&self.scope) } else { Err(ApiError::forbidden(permission)) }
    }

    pub fn staff(&self) -> StaffId {
        self.staff
    }

    pub fn credential(&self) -> Credential {
        self.credential
    }
}

fn invalid(detail: &str) -> ApiError {
    ApiError::unauthorized("invalid_credential", detail.to_owned())
}

/// The token of `Authorization: Bearer <token>`.
fn bearer(req: &HttpRequest) -> Result<String, ApiError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Err(ApiError::unauthorized(
            "missing_credential",
            "this endpoint needs a credential: send 'Authorization: Bearer <API key or JWT>'",
        ));
    };
    let malformed = || invalid("the Authorization header must be 'Bearer <token>'");
    let value = value.to_str().map_err(|_| malformed())?.trim();
    let (scheme, token) = value.split_once(' ').ok_or_else(malformed)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() || token.contains(char::is_whitespace) {
        return Err(malformed());
    }
    Ok(token.to_owned())
}

async fn authenticate_key(state: &AppState, token: &str) -> Result<Tenant, ApiError> {
    let parts = TokenParts::parse(token).ok_or_else(|| invalid("the API key is malformed"))?;
    let unknown = || invalid("the API key is not valid");
    let found = state.repos.api_keys.find_by_prefix(parts.prefix).await?.ok_or_else(unknown)?;
    if !verify_secret(parts.secret, &found.secret_hash) {
        return Err(unknown());
    }
    let at = now();
    match found.key.check_usable(at) {
        Ok(()) if found.staff.is_active => {}
        Ok(()) | Err(KeyRefusal::StaffInactive) => {
            return Err(invalid("the staff member this API key belongs to is deactivated"));
        }
        Err(KeyRefusal::Revoked) => {
            return Err(ApiError::unauthorized("revoked_credential", "the API key has been revoked"));
        }
        Err(KeyRefusal::Expired) => {
            return Err(ApiError::unauthorized("expired_credential", "the API key has expired"));
        }
    }
    let permissions = effective_permissions(found.staff.role, &found.staff.permissions, &found.key.permissions);
    let scope = OrgScope::from_membership(found.organization_id, found.staff.user_id, found.staff.id, permissions);
    if found.key.needs_touch(at)
        && let Err(err) = state.repos.api_keys.touch(&scope, found.key.id, at).await
    {
        // Recording the use is bookkeeping: it never fails the request.
        tracing::warn!(error = %err, key = %found.key.id, "recording an API key's use failed");
    }
    Ok(Tenant { scope, staff: found.staff.id, credential: Credential::ApiKey(found.key.id) })
}

async fn authenticate_jwt(state: &AppState, token: &str) -> Result<Tenant, ApiError> {
    let verifier = state.auth.jwt.as_ref().ok_or_else(|| invalid(&JwtError::NotConfigured.to_string()))?;
    let claims = verifier.verify(token).await.map_err(|err| match err {
        JwtError::Expired => ApiError::unauthorized("expired_credential", err.to_string()),
        err => invalid(&err.to_string()),
    })?;
    let org_id = claims.org_id.as_deref().ok_or_else(|| invalid("the token names no organization ('org_id')"))?;
    let not_member = || invalid("the token's user is not active staff of the token's organization");
    let organization = state.repos.organizations.find_by_clerk_id(org_id).await?.ok_or_else(not_member)?;
    let user = match state.repos.users.find_by_clerk_id(&claims.sub).await? {
        Some(user) => user,
        None => claim_invitation(state, organization.id, &claims).await?.ok_or_else(not_member)?,
    };
    let staff = state.repos.staff.find_membership(organization.id, user.id).await?.ok_or_else(not_member)?;
    if !staff.is_active {
        return Err(not_member());
    }
    let permissions = effective_permissions(staff.role, &staff.permissions, &[]);
    let scope = OrgScope::from_membership(organization.id, user.id, staff.id, permissions);
    Ok(Tenant { scope, staff: staff.id, credential: Credential::Jwt })
}

/// The first sign-in of a user invited by email (docs/decisions/0016-staff-management.md): the
/// token's `sub` is unknown, but its `email` (not marked unverified) is the address of an
/// invited user (`clerk_id` still the `invited:` placeholder) who is active staff of the token's
/// organization. That user's placeholder becomes `sub`, once: the UPDATE only matches a
/// placeholder, so of two tokens with different `sub`s for one invitation only the first binds;
/// the other is refused like any unknown user. `None` when nothing matches.
async fn claim_invitation(
    state: &AppState,
    organization: OrganizationId,
    claims: &Claims,
) -> Result<Option<User>, ApiError> {
    let Some(email) = claims.email.as_deref().filter(|_| claims.email_verified != Some(false)) else {
        return Ok(None);
    };
    let Ok(email) = EmailAddress::parse(email) else {
        return Ok(None);
    };
    for mut user in state.repos.users.find_invited_by_email(&email).await? {
        let membership = state.repos.staff.find_membership(organization, user.id).await?;
        if !membership.is_some_and(|staff| staff.is_active) {
            continue;
        }
        return match state.repos.users.claim_invitation(user.id, &claims.sub).await {
            Ok(true) => {
                tracing::info!(user = %user.id, "invited user signed in for the first time");
                user.clerk_id = claims.sub.clone();
                Ok(Some(user))
            }
            // Claimed by another sign-in meanwhile, or `sub` bound to another user meanwhile.
            Ok(false) | Err(RepoError::Conflict { .. }) => Ok(None),
            Err(err) => Err(err.into()),
        };
    }
    Ok(None)
}

async fn authenticate(req: HttpRequest) -> Result<Tenant, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::internal("the application state is not registered"))?;
    let token = bearer(&req)?;
    let result = if TokenParts::looks_like_key(&token) {
        authenticate_key(state, &token).await
    } else {
        authenticate_jwt(state, &token).await
    };
    if let Err(err) = &result
        && err.status() == actix_web::http::StatusCode::UNAUTHORIZED
    {
        tracing::info!(code = err.code(), reason = err.detail(), "credential refused");
    }
    result
}

impl FromRequest for Tenant {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(authenticate(req.clone()))
    }
}
