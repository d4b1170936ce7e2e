//! Donor lists over HTTP: create, list (keyset), read, update (PATCH), delete; add and remove
//! members of a static list in bulk (up to 10,000 ids a call, idempotent); the members of
//! either kind (keyset); recount; and freeze a dynamic list into a static snapshot.
//!
//! Reading needs `donors:read`, writing `donors:write`; a filter on giving (amounts, counts,
//! dates of gifts) also needs `donations:read`. Reading one list recounts it, so the count it
//! shows is current; the list of lists shows each count as of its `last_updated`
//! (docs/decisions/0028-donor-lists.md). Another organization's list, like a malformed id, is a 404.

use actix_web::{HttpResponse, web};
use givance_domain::access::{DONATIONS_READ, DONORS_READ, DONORS_WRITE};
use givance_domain::donor_list::{
    DonorFilter, DonorList, DonorListPatch, DonorListType, ListDefinition, MEMBERS_PER_CALL_MAX, NewDonorList,
};
use givance_domain::{DonorId, DonorListId, OrgScope, RepoError, Timestamp, ValueError, optional_text, required_text};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Tenant;
use crate::error::{
    ApiError, BadRequest, Forbidden, NotFound, PayloadTooLarge, Unauthorized, UnsupportedMediaType, ValidationFailed,
};
use crate::fields::{Faults, ListResponse, PageQuery, path_id, tagged_cursor};
use crate::openapi::{Page, text_enum};
use crate::patch::double_option;
use crate::routes::donors::DonorResponse;
use crate::state::AppState;

/// The longest list name.
pub const NAME_MAX: usize = givance_domain::donor_list::NAME_MAX;
/// The longest description.
pub const DESCRIPTION_MAX: usize = givance_domain::donor_list::DESCRIPTION_MAX;
/// The most donor ids one add or remove call takes.
pub const MEMBERS_MAX: usize = MEMBERS_PER_CALL_MAX;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/donor-lists").get(list_lists).post(create_list))
        .service(web::resource("/donor-lists/{id}").get(get_list).patch(update_list).delete(delete_list))
        .service(web::resource("/donor-lists/{id}/members").get(list_members).post(add_members))
        .service(web::resource("/donor-lists/{id}/members/remove").post(remove_members))
        .service(web::resource("/donor-lists/{id}/refresh").post(refresh_list))
        .service(web::resource("/donor-lists/{id}/freeze").post(freeze_list));
}

// ---------------------------------------------------------------------------------------------
// Responses

fn type_schema() -> utoipa::openapi::schema::Object {
    text_enum(DonorListType::ALL.iter().map(|t| t.as_str()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DonorListResponse {
    pub id: uuid::Uuid,
    pub name: String,
    pub description: Option<String>,
    #[serde(rename = "type")]
    #[schema(schema_with = type_schema)]
    pub list_type: DonorListType,
    /// A dynamic list's filter, normalised; null for a static list.
    #[schema(value_type = Option<DonorFilterSchema>)]
    pub filters: Option<serde_json::Value>,
    /// Active members (soft-deleted donors are not counted) as of `last_updated`.
    pub donor_count: u32,
    #[schema(value_type = String, format = DateTime)]
    pub last_updated: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl From<DonorList> for DonorListResponse {
    fn from(l: DonorList) -> Self {
        Self {
            id: l.id.into_uuid(),
            name: l.name,
            description: l.description,
            list_type: l.definition.list_type(),
            filters: l.definition.filter().map(DonorFilter::to_json),
            donor_count: l.donor_count,
            last_updated: l.last_updated,
            created_at: l.created_at,
            updated_at: l.updated_at,
        }
    }
}

/// The outcome of adding or removing members.
#[derive(Debug, Serialize, ToSchema)]
pub struct MembersChangedResponse {
    /// Donors added (already members are not counted) or removed (non-members are not counted).
    pub changed: u64,
    /// The list's member count afterwards.
    pub donor_count: u32,
}

// ---------------------------------------------------------------------------------------------
// The filter, as documented (the handlers read it with `DonorFilter::parse`)

/// A dynamic list's filter. Every criterion given must hold; values inside one criterion are
/// alternatives, except `tags.all`. Unknown fields are refused (422 naming the JSON path, e.g.
/// `filters.lifetime_giving.min`). An empty object matches every active donor.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct DonorFilterSchema {
    /// Journey stage is one of these (1-100 values).
    journey_stages: Option<Vec<String>>,
    tags: Option<TagFilterSchema>,
    /// `individual` (including donors without a type) or `couple`.
    #[schema(example = "individual")]
    donor_type: Option<String>,
    /// Address city is one of these, ignoring case.
    cities: Option<Vec<String>>,
    /// Address state is one of these, ignoring case.
    states: Option<Vec<String>>,
    /// ISO 3166-1 alpha-2 codes.
    #[schema(example = json!(["US", "CA"]))]
    countries: Option<Vec<String>>,
    lifetime_giving: Option<GivingRangeSchema>,
    gift_count: Option<CountRangeSchema>,
    last_gift: Option<DateWindowSchema>,
    /// Whether the donor has an email address.
    has_email: Option<bool>,
    created: Option<TimeWindowSchema>,
    /// The giving capacity (`low`, `medium`, `high`, `major`) of the donor's latest completed research.
    giving_capacity: Option<Vec<String>>,
}

/// At least one of `any` and every one of `all`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TagFilterSchema {
    any: Option<Vec<String>>,
    all: Option<Vec<String>>,
}

/// The sum of counted gifts (amount above zero) in `currency`, `min <= sum <= max`; a donor who
/// never gave has a sum of zero. Needs `donations:read`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct GivingRangeSchema {
    #[schema(example = "USD")]
    currency: String,
    #[schema(example = "100.00")]
    min: Option<String>,
    #[schema(example = "5000.00")]
    max: Option<String>,
}

/// The number of counted gifts in any currency, `min <= count <= max`. Needs `donations:read`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CountRangeSchema {
    #[schema(minimum = 0)]
    min: Option<u32>,
    #[schema(minimum = 0)]
    max: Option<u32>,
}

/// The date of the latest counted gift, strictly after `after` and strictly before `before`;
/// a donor who never gave does not match. Needs `donations:read`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct DateWindowSchema {
    #[schema(value_type = Option<String>, format = Date)]
    after: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    before: Option<String>,
}

/// When the donor was created: at or after `from`, before `to` (RFC 3339, or a date meaning
/// midnight UTC).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TimeWindowSchema {
    #[schema(value_type = Option<String>, format = DateTime)]
    from: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    to: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Helpers

fn not_found() -> ApiError {
    ApiError::not_found("no donor list with this id")
}

fn list_id(raw: &str) -> Result<DonorListId, ApiError> {
    path_id(raw, not_found)
}

fn repo_error(err: RepoError) -> ApiError {
    match err {
        RepoError::NotFound => not_found(),
        err => err.into(),
    }
}

/// A filter on giving reveals what donors gave: only for callers who may read donations.
fn check_filter_access(scope: &OrgScope, filter: Option<&DonorFilter>) -> Result<(), ApiError> {
    match filter {
        Some(filter) if filter.reads_donations() && !scope.permissions().allows(DONATIONS_READ) => {
            Err(ApiError::forbidden(DONATIONS_READ))
        }
        _ => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------------
// Create

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDonorListRequest {
    #[schema(value_type = String, required = true, min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[schema(max_length = 10_000)]
    pub description: Option<String>,
    /// `static` or `dynamic`; by default `dynamic` when `filters` is given, else `static`.
    #[serde(rename = "type")]
    #[schema(example = "dynamic")]
    pub list_type: Option<String>,
    /// Required for a dynamic list, refused for a static one.
    #[serde(default)]
    #[schema(value_type = Option<DonorFilterSchema>)]
    pub filters: serde_json::Value,
}

impl CreateDonorListRequest {
    fn into_new_list(self) -> Result<NewDonorList, ApiError> {
        let mut f = Faults::default();
        let name = f.required_with("name", self.name.as_deref(), |name| required_text("name", name, NAME_MAX));
        let description = f.take(optional_text("description", self.description.as_deref(), DESCRIPTION_MAX));
        let list_type = match self.list_type.as_deref() {
            None if self.filters.is_null() => Some(DonorListType::Static),
            None => Some(DonorListType::Dynamic),
            Some(raw) => f.take(raw.trim().parse::<DonorListType>()),
        };
        let definition = list_type.and_then(|t| match ListDefinition::from_parts(t, Some(&self.filters)) {
            Ok(definition) => Some(definition),
            Err(faults) => {
                faults.into_iter().for_each(|fault| f.record(fault));
                None
            }
        });
        let new = match (name, definition) {
            (Some(name), Some(definition)) => {
                Some(NewDonorList { name, description: description.flatten(), definition })
            }
            _ => None,
        };
        let new = f.finish(new)?;
        new.ok_or_else(|| ApiError::from(ValueError::new("name", "is required")))
    }
}

/// Creates a list (`donors:write`; giving criteria also need `donations:read`). A dynamic
/// list is counted at once.
#[utoipa::path(
    post,
    path = "/donor-lists",
    operation_id = "createDonorList",
    tag = "donor-lists",
    request_body = CreateDonorListRequest,
    responses(
        (status = 201, description = "The list", body = DonorListResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = ValidationFailed),
    )
)]
async fn create_list(
    tenant: Tenant,
    state: web::Data<AppState>,
    body: web::Json<CreateDonorListRequest>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(DONORS_WRITE)?;
    let new = body.into_inner().into_new_list()?;
    check_filter_access(scope, new.definition.filter())?;
    let list = state.repos.donor_lists.create(scope, new).await.map_err(repo_error)?;
    tracing::info!(list = %list.id, "donor list created");
    Ok(HttpResponse::Created().json(DonorListResponse::from(list)))
}

// ---------------------------------------------------------------------------------------------
// List and read

const CURSOR_TAG: &str = "l";
const MEMBERS_CURSOR_TAG: &str = "m";

/// The organization's lists, newest first, each with its count as of `last_updated` (`donors:read`).
#[utoipa::path(
    get,
    path = "/donor-lists",
    operation_id = "listDonorLists",
    tag = "donor-lists",
    params(
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 200, description = "Page size, 50 by default"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page of this list"),
    ),
    responses(
        (status = 200, description = "One page of lists", body = Page<DonorListResponse>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = ValidationFailed),
    )
)]
async fn list_lists(
    tenant: Tenant,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(DONORS_READ)?;
    let page = state.repos.donor_lists.list(scope, query.page(CURSOR_TAG)?).await?;
    Ok(HttpResponse::Ok().json(ListResponse {
        data: page.items.into_iter().map(DonorListResponse::from).collect::<Vec<_>>(),
        next_cursor: tagged_cursor(CURSOR_TAG, page.next_cursor),
    }))
}

/// One list, counted now (`donors:read`).
#[utoipa::path(
    get,
    path = "/donor-lists/{id}",
    operation_id = "getDonorList",
    tag = "donor-lists",
    params(("id" = String, Path, format = Uuid, description = "The list's id (a UUID); a malformed or unknown one is a 404")),
    responses(
        (status = 200, description = "The list with a current `donor_count`", body = DonorListResponse),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
async fn get_list(tenant: Tenant, state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(DONORS_READ)?;
    let list = state.repos.donor_lists.recount(scope, list_id(&id)?).await.map_err(repo_error)?;
    Ok(HttpResponse::Ok().json(DonorListResponse::from(list)))
}

/// Counts a list now and stores the count, so that the list of lists shows it (`donors:read`).
#[utoipa::path(
    post,
    path = "/donor-lists/{id}/refresh",
    operation_id = "refreshDonorList",
    tag = "donor-lists",
    params(("id" = String, Path, format = Uuid, description = "The list's id (a UUID); a malformed or unknown one is a 404")),
    responses(
        (status = 200, description = "The list with a current `donor_count`", body = DonorListResponse),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
async fn refresh_list(
    tenant: Tenant,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    get_list(tenant, state, id).await
}

// ---------------------------------------------------------------------------------------------
// Update and delete

/// Every field optional; a field left out is unchanged, `null` clears the description.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateDonorListRequest {
    /// Cannot be null.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = String, min_length = 1, max_length = 200)]
    pub name: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 10_000)]
    pub description: Option<Option<String>>,
    /// A dynamic list's new filter (the list is recounted); refused for a static list. A
    /// list's type never changes: freeze a dynamic list to get a static copy.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<DonorFilterSchema>)]
    pub filters: Option<Option<serde_json::Value>>,
}

impl UpdateDonorListRequest {
    fn into_patch(self) -> Result<DonorListPatch, ApiError> {
        let mut f = Faults::default();
        let mut patch = DonorListPatch {
            name: f.non_null_with("name", self.name, |name| required_text("name", &name, NAME_MAX)),
            ..DonorListPatch::default()
        };
        if let Some(v) = self.description {
            patch.description = f.take(optional_text("description", v.as_deref(), DESCRIPTION_MAX));
        }
        match self.filters {
            None => {}
            Some(None) => f.push("filters", "cannot be null; a dynamic list always has filters"),
            Some(Some(filters)) => match DonorFilter::parse("filters", &filters) {
                Ok(filter) => patch.filter = Some(filter),
                Err(faults) => faults.into_iter().for_each(|fault| f.record(fault)),
            },
        }
        f.finish(patch)
    }
}

/// Changes a list (`donors:write`; giving criteria also need `donations:read`).
#[utoipa::path(
    patch,
    path = "/donor-lists/{id}",
    operation_id = "updateDonorList",
    tag = "donor-lists",
    params(("id" = String, Path, format = Uuid, description = "The list's id (a UUID); a malformed or unknown one is a 404")),
    request_body = UpdateDonorListRequest,
    responses(
        (status = 200, description = "The list as changed", body = DonorListResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = ValidationFailed),
    )
)]
async fn update_list(
    tenant: Tenant,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<UpdateDonorListRequest>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(DONORS_WRITE)?;
    let id = list_id(&id)?;
    let patch = body.into_inner().into_patch()?;
    check_filter_access(scope, patch.filter.as_ref())?;
    let list = state.repos.donor_lists.update(scope, id, patch).await.map_err(repo_error)?;
    tracing::info!(list = %id, "donor list updated");
    Ok(HttpResponse::Ok().json(DonorListResponse::from(list)))
}

/// Deletes a list and its memberships; the donors stay (`donors:write`).
#[utoipa::path(
    delete,
    path = "/donor-lists/{id}",
    operation_id = "deleteDonorList",
    tag = "donor-lists",
    params(("id" = String, Path, format = Uuid, description = "The list's id (a UUID); a malformed or unknown one is a 404")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
async fn delete_list(
    tenant: Tenant,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(DONORS_WRITE)?;
    let id = list_id(&id)?;
    state.repos.donor_lists.delete(scope, id).await.map_err(repo_error)?;
    tracing::info!(list = %id, "donor list deleted");
    Ok(HttpResponse::NoContent().finish())
}

// ---------------------------------------------------------------------------------------------
// Members

/// Donors to add to or remove from a static list.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MembersRequest {
    /// 1 to 10,000 donor ids; repeats count once.
    #[schema(value_type = Vec<String>, min_items = 1, max_items = 10_000)]
    pub donor_ids: Option<Vec<String>>,
}

impl MembersRequest {
    fn donor_ids(self) -> Result<Vec<DonorId>, ApiError> {
        let Some(raw) = self.donor_ids else {
            return Err(ValueError::new("donor_ids", "is required").into());
        };
        if raw.is_empty() || raw.len() > MEMBERS_MAX {
            return Err(ValueError::new("donor_ids", format!("must list 1 to {MEMBERS_MAX} donor ids")).into());
        }
        let mut f = Faults::default();
        let ids = raw
            .iter()
            .enumerate()
            .filter_map(|(i, id)| {
                let parsed = id.trim().parse::<DonorId>();
                f.take(parsed.map_err(|_| ValueError::new(format!("donor_ids[{i}]"), "is not a donor id (a UUID)")))
            })
            .collect();
        f.finish(ids)
    }
}

/// Adds donors to a static list (`donors:write`). Donors already in it are skipped. Every id must
/// be an active donor of the organization, or nothing is added: a 422 names the others.
#[utoipa::path(
    post,
    path = "/donor-lists/{id}/members",
    operation_id = "addDonorListMembers",
    tag = "donor-lists",
    params(("id" = String, Path, format = Uuid, description = "The list's id (a UUID); a malformed or unknown one is a 404")),
    request_body = MembersRequest,
    responses(
        (status = 200, description = "How many were added, and the new count", body = MembersChangedResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = ValidationFailed),
    )
)]
async fn add_members(
    tenant: Tenant,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<MembersRequest>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(DONORS_WRITE)?;
    let id = list_id(&id)?;
    let donors = body.into_inner().donor_ids()?;
    let change = state.repos.donor_lists.add_members(scope, id, donors).await.map_err(repo_error)?;
    tracing::info!(list = %id, added = change.changed, "donor list members added");
    Ok(HttpResponse::Ok().json(MembersChangedResponse { changed: change.changed, donor_count: change.donor_count }))
}

/// Removes donors from a static list (`donors:write`); ids that are not members are ignored.
#[utoipa::path(
    post,
    path = "/donor-lists/{id}/members/remove",
    operation_id = "removeDonorListMembers",
    tag = "donor-lists",
    params(("id" = String, Path, format = Uuid, description = "The list's id (a UUID); a malformed or unknown one is a 404")),
    request_body = MembersRequest,
    responses(
        (status = 200, description = "How many were removed, and the new count", body = MembersChangedResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = ValidationFailed),
    )
)]
async fn remove_members(
    tenant: Tenant,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<MembersRequest>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(DONORS_WRITE)?;
    let id = list_id(&id)?;
    let donors = body.into_inner().donor_ids()?;
    let change = state.repos.donor_lists.remove_members(scope, id, donors).await.map_err(repo_error)?;
    tracing::info!(list = %id, removed = change.changed, "donor list members removed");
    Ok(HttpResponse::Ok().json(MembersChangedResponse { changed: change.changed, donor_count: change.donor_count }))
}

/// The list's active members, newest donors first (`donors:read`): a static list's stored
/// members, a dynamic list's current matches.
#[utoipa::path(
    get,
    path = "/donor-lists/{id}/members",
    operation_id = "listDonorListMembers",
    tag = "donor-lists",
    params(
        ("id" = String, Path, format = Uuid, description = "The list's id (a UUID); a malformed or unknown one is a 404"),
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 200, description = "Page size, 50 by default"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page of this list"),
    ),
    responses(
        (status = 200, description = "One page of donors", body = Page<DonorResponse>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = ValidationFailed),
    )
)]
async fn list_members(
    tenant: Tenant,
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(DONORS_READ)?;
    let id = list_id(&id)?;
    let page = query.page(MEMBERS_CURSOR_TAG)?;
    let page = state.repos.donor_lists.members(scope, id, page).await.map_err(repo_error)?;
    Ok(HttpResponse::Ok().json(ListResponse {
        data: page.items.into_iter().map(DonorResponse::from).collect::<Vec<_>>(),
        next_cursor: tagged_cursor(MEMBERS_CURSOR_TAG, page.next_cursor),
    }))
}

// ---------------------------------------------------------------------------------------------
// Freeze

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FreezeDonorListRequest {
    /// The snapshot's name; by default `"<list name> (snapshot YYYY-MM-DD)"`.
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
}

/// Snapshots a dynamic list into a new static list holding its current matches; the dynamic
/// list is unchanged (`donors:write`). The body is optional.
#[utoipa::path(
    post,
    path = "/donor-lists/{id}/freeze",
    operation_id = "freezeDonorList",
    tag = "donor-lists",
    params(("id" = String, Path, format = Uuid, description = "The dynamic list's id (a UUID); a malformed or unknown one is a 404")),
    request_body(content = Option<FreezeDonorListRequest>, description = "Optional"),
    responses(
        (status = 201, description = "The new static list", body = DonorListResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = ValidationFailed),
    )
)]
async fn freeze_list(
    tenant: Tenant,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(DONORS_WRITE)?;
    let id = list_id(&id)?;
    // The body is optional, so it is read by hand: none means the defaults.
    let request: FreezeDonorListRequest = if body.iter().all(u8::is_ascii_whitespace) {
        FreezeDonorListRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            ApiError::bad_request("invalid_json", format!("the request body is not valid JSON for this endpoint: {e}"))
        })?
    };
    let name = match request.name {
        Some(name) => Some(required_text("name", &name, NAME_MAX)?),
        None => None,
    };
    let snapshot = state.repos.donor_lists.freeze(scope, id, name).await.map_err(repo_error)?;
    tracing::info!(list = %id, snapshot = %snapshot.id, "donor list frozen");
    Ok(HttpResponse::Created().json(DonorListResponse::from(snapshot)))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        create_list,
        list_lists,
        get_list,
        refresh_list,
        update_list,
        delete_list,
        add_members,
        remove_members,
        list_members,
        freeze_list
    ),
    components(schemas(
        DonorListResponse,
        MembersChangedResponse,
        CreateDonorListRequest,
        UpdateDonorListRequest,
        MembersRequest,
        FreezeDonorListRequest,
        DonorFilterSchema,
        TagFilterSchema,
        GivingRangeSchema,
        CountRangeSchema,
        DateWindowSchema,
        TimeWindowSchema
    ))
)]
pub struct Api;
