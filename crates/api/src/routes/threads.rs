//! Communication threads over HTTP: open one (the caller joins it as its owner), list (keyset,
//! newest first, by status and by participant), read (with its staff and donors), update
//! (subject, channel, status moving freely between active, archived and resolved, tags, internal
//! notes), delete (its communications stay, taken out of it), and add or remove staff and donor
//! participants. Communications are filed under a thread through their `thread_id`
//! (`/communications`). Another organization's thread, like a malformed id, is a 404; another
//! organization's staff member or donor in a body is a 422 naming the field.

use actix_web::{HttpResponse, web};
use givance_domain::access::{COMMUNICATIONS_READ, COMMUNICATIONS_WRITE};
use givance_domain::communication::{
    CommunicationThread, CommunicationThreadPatch, NOTES_MAX, NewCommunicationThread, SUBJECT_MAX, ThreadChannel,
    ThreadDonor, ThreadFilter, ThreadStaff, ThreadStaffRole, ThreadStatus, validate_tags,
};
use givance_domain::{CommunicationThreadId, DonorId, RepoError, StaffId, Timestamp, ValueError, optional_text};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Tenant;
use crate::error::{
    ApiError, BadRequest, Forbidden, NotFound, PayloadTooLarge, Unauthorized, UnsupportedMediaType, ValidationFailed,
};
use crate::fields::{Faults, ListResponse, page_request, path_id, tagged_cursor};
use crate::openapi::{Page, text_enum};
use crate::patch::double_option;
use crate::routes::communications::{parse_uuid, parse_value};
use crate::state::AppState;

pub use crate::fields::MAX_LIMIT;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/threads").get(list_threads).post(create_thread))
        .service(web::resource("/threads/{id}").get(get_thread).patch(update_thread).delete(delete_thread))
        .service(web::resource("/threads/{id}/staff").post(add_staff))
        .service(web::resource("/threads/{id}/staff/{staff_id}").delete(remove_staff))
        .service(web::resource("/threads/{id}/donors").post(add_donor))
        .service(web::resource("/threads/{id}/donors/{donor_id}").delete(remove_donor));
}

// ---------------------------------------------------------------------------------------------
// Responses

fn channel_schema() -> utoipa::openapi::schema::Object {
    text_enum(ThreadChannel::ALL.iter().map(|c| c.as_str()))
}

fn status_schema() -> utoipa::openapi::schema::Object {
    text_enum(ThreadStatus::ALL.iter().map(|s| s.as_str()))
}

fn role_schema() -> utoipa::openapi::schema::Object {
    text_enum(ThreadStaffRole::ALL.iter().map(|r| r.as_str()))
}

/// A staff member taking part in a thread.
#[derive(Debug, Serialize, ToSchema)]
pub struct ThreadStaffResponse {
    pub staff_id: uuid::Uuid,
    #[schema(schema_with = role_schema)]
    pub role: ThreadStaffRole,
    #[schema(value_type = String, format = DateTime)]
    pub joined_at: Timestamp,
}

impl From<ThreadStaff> for ThreadStaffResponse {
    fn from(s: ThreadStaff) -> Self {
        Self { staff_id: s.staff_id.into_uuid(), role: s.role, joined_at: s.joined_at }
    }
}

/// A donor taking part in a thread.
#[derive(Debug, Serialize, ToSchema)]
pub struct ThreadDonorResponse {
    pub donor_id: uuid::Uuid,
    #[schema(value_type = String, format = DateTime)]
    pub joined_at: Timestamp,
}

impl From<ThreadDonor> for ThreadDonorResponse {
    fn from(d: ThreadDonor) -> Self {
        Self { donor_id: d.donor_id.into_uuid(), joined_at: d.joined_at }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ThreadResponse {
    pub id: uuid::Uuid,
    pub subject: Option<String>,
    #[schema(schema_with = channel_schema)]
    pub channel: ThreadChannel,
    #[schema(schema_with = status_schema)]
    pub status: ThreadStatus,
    pub tags: Vec<String>,
    pub internal_notes: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    /// The staff taking part, in joining order; present on a single thread's read and create.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub staff: Option<Vec<ThreadStaffResponse>>,
    /// The donors taking part, in joining order; present on a single thread's read and create.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub donors: Option<Vec<ThreadDonorResponse>>,
}

impl From<CommunicationThread> for ThreadResponse {
    fn from(t: CommunicationThread) -> Self {
        Self {
            id: t.id.into_uuid(),
            subject: t.subject,
            channel: t.channel,
            status: t.status,
            tags: t.tags,
            internal_notes: t.internal_notes,
            created_at: t.created_at,
            updated_at: t.updated_at,
            staff: None,
            donors: None,
        }
    }
}

pub type ThreadList = ListResponse<ThreadResponse>;

fn not_found() -> ApiError {
    ApiError::not_found("no thread with this id")
}

fn thread_id(raw: &str) -> Result<CommunicationThreadId, ApiError> {
    path_id(raw, not_found)
}

fn repo_error(err: RepoError) -> ApiError {
    match err {
        RepoError::NotFound => not_found(),
        err => err.into(),
    }
}

fn parse_tags(tags: Vec<String>) -> Result<Vec<String>, ValueError> {
    validate_tags(&tags)?;
    Ok(tags)
}

/// The thread with its participants.
async fn with_participants(
    state: &AppState,
    scope: &givance_domain::OrgScope,
    thread: CommunicationThread,
) -> Result<ThreadResponse, ApiError> {
    let id = thread.id;
    let staff = state.repos.communication_threads.list_staff(scope, id).await.map_err(repo_error)?;
    let donors = state.repos.communication_threads.list_donors(scope, id).await.map_err(repo_error)?;
    let mut response = ThreadResponse::from(thread);
    response.staff = Some(staff.into_iter().map(ThreadStaffResponse::from).collect());
    response.donors = Some(donors.into_iter().map(ThreadDonorResponse::from).collect());
    Ok(response)
}

// ---------------------------------------------------------------------------------------------
// Create

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateThreadRequest {
    #[schema(max_length = 998)]
    pub subject: Option<String>,
    /// `email` by default.
    #[schema(schema_with = channel_schema, nullable)]
    pub channel: Option<String>,
    /// `active` by default.
    #[schema(schema_with = status_schema, nullable)]
    pub status: Option<String>,
    /// At most 100 tags of 1 to 100 characters.
    #[schema(max_items = 100)]
    pub tags: Option<Vec<String>>,
    /// Notes for staff only.
    #[schema(max_length = 10_000)]
    pub internal_notes: Option<String>,
}

impl CreateThreadRequest {
    fn into_new(self) -> Result<NewCommunicationThread, ApiError> {
        let mut f = Faults::default();
        let subject = f.take(optional_text("subject", self.subject.as_deref(), SUBJECT_MAX)).flatten();
        let channel = match self.channel.as_deref() {
            None => Some(ThreadChannel::Email),
            Some(raw) => f.take(parse_value("channel", raw)),
        };
        let status = match self.status.as_deref() {
            None => Some(ThreadStatus::Active),
            Some(raw) => f.take(parse_value("status", raw)),
        };
        let tags = f.take(parse_tags(self.tags.unwrap_or_default()));
        let internal_notes =
            f.take(optional_text("internal_notes", self.internal_notes.as_deref(), NOTES_MAX)).flatten();
        let new = match (channel, status, tags) {
            (Some(channel), Some(status), Some(tags)) => {
                Some(NewCommunicationThread { subject, channel, status, tags, internal_notes })
            }
            _ => None,
        };
        f.finish(new)?.ok_or_else(|| ApiError::from(ValueError::new("channel", "is invalid")))
    }
}

/// Opens a thread (`communications:write`); the caller takes part as its `owner`.
#[utoipa::path(
    post,
    path = "/threads",
    operation_id = "createThread",
    tag = "threads",
    request_body = CreateThreadRequest,
    responses(
        (status = 201, description = "The thread, with its participants", body = ThreadResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = ValidationFailed),
    )
)]
async fn create_thread(
    tenant: Tenant,
    state: web::Data<AppState>,
    body: web::Json<CreateThreadRequest>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(COMMUNICATIONS_WRITE)?;
    let new = body.into_inner().into_new()?;
    let threads = &state.repos.communication_threads;
    let thread = threads.create(scope, new).await?;
    threads.add_staff(scope, thread.id, tenant.staff(), ThreadStaffRole::Owner).await?;
    tracing::info!(thread = %thread.id, "thread opened");
    Ok(HttpResponse::Created().json(with_participants(&state, scope, thread).await?))
}

// ---------------------------------------------------------------------------------------------
// List

/// Every parameter is read as text so that a bad value is a 422 naming it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListThreadsQuery {
    pub limit: Option<String>,
    pub cursor: Option<String>,
    pub status: Option<String>,
    pub staff_id: Option<String>,
    pub donor_id: Option<String>,
}

/// Cursors of this list carry a tag so that another list's cursor is refused, not misread.
const CURSOR_TAG: &str = "t";

/// The organization's threads, newest first (`communications:read`).
#[utoipa::path(
    get,
    path = "/threads",
    operation_id = "listThreads",
    tag = "threads",
    params(
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 200, description = "Page size, 50 by default"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page of this list"),
        ("status" = Option<String>, Query, description = "active, archived or resolved"),
        ("staff_id" = Option<String>, Query, format = Uuid, description = "Only threads this staff member takes part in"),
        ("donor_id" = Option<String>, Query, format = Uuid, description = "Only threads this donor takes part in"),
    ),
    responses(
        (status = 200, description = "One page of threads (without participants)", body = Page<ThreadResponse>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = ValidationFailed),
    )
)]
async fn list_threads(
    tenant: Tenant,
    state: web::Data<AppState>,
    query: web::Query<ListThreadsQuery>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(COMMUNICATIONS_READ)?;
    let q = query.into_inner();
    let mut f = Faults::default();
    let page = page_request(&mut f, q.limit.as_deref(), q.cursor.as_deref(), CURSOR_TAG);
    let filter = ThreadFilter {
        status: q.status.as_deref().and_then(|raw| f.take(parse_value("status", raw))),
        staff_id: q.staff_id.as_deref().and_then(|raw| f.take(parse_uuid("staff_id", raw))).map(StaffId::from),
        donor_id: q.donor_id.as_deref().and_then(|raw| f.take(parse_uuid("donor_id", raw))).map(DonorId::from),
    };
    let (filter, page) = f.finish((filter, page))?;
    let page = state.repos.communication_threads.list(scope, filter, page).await?;
    Ok(HttpResponse::Ok().json(ThreadList {
        data: page.items.into_iter().map(ThreadResponse::from).collect(),
        next_cursor: tagged_cursor(CURSOR_TAG, page.next_cursor),
    }))
}

// ---------------------------------------------------------------------------------------------
// Read

/// One thread, with its staff and donors (`communications:read`).
#[utoipa::path(
    get,
    path = "/threads/{id}",
    operation_id = "getThread",
    tag = "threads",
    params(("id" = String, Path, format = Uuid, description = "The thread's id (a UUID); a malformed or unknown one is a 404")),
    responses(
        (status = 200, description = "The thread, with its participants", body = ThreadResponse),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
async fn get_thread(
    tenant: Tenant,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(COMMUNICATIONS_READ)?;
    let id = thread_id(&id)?;
    let thread = state.repos.communication_threads.get(scope, id).await?.ok_or_else(not_found)?;
    Ok(HttpResponse::Ok().json(with_participants(&state, scope, thread).await?))
}

// ---------------------------------------------------------------------------------------------
// Update

/// Every field optional; a field left out is unchanged, `null` clears the nullable ones.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateThreadRequest {
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 998)]
    pub subject: Option<Option<String>>,
    /// Cannot be null.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = channel_schema)]
    pub channel: Option<Option<String>>,
    /// Any of active, archived and resolved, from any of them. Cannot be null.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = status_schema)]
    pub status: Option<Option<String>>,
    /// Replaces the tags; null clears them.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Vec<String>>, max_items = 100)]
    pub tags: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 10_000)]
    pub internal_notes: Option<Option<String>>,
}

impl UpdateThreadRequest {
    fn into_patch(self) -> Result<CommunicationThreadPatch, ApiError> {
        let mut f = Faults::default();
        let mut patch = CommunicationThreadPatch::default();
        if let Some(v) = self.subject {
            patch.subject = f.take(optional_text("subject", v.as_deref(), SUBJECT_MAX));
        }
        patch.channel = f.non_null_with("channel", self.channel, |raw| parse_value("channel", &raw));
        patch.status = f.non_null_with("status", self.status, |raw| parse_value("status", &raw));
        if let Some(v) = self.tags {
            patch.tags = f.take(parse_tags(v.unwrap_or_default()));
        }
        if let Some(v) = self.internal_notes {
            patch.internal_notes = f.take(optional_text("internal_notes", v.as_deref(), NOTES_MAX));
        }
        f.finish(patch)
    }
}

/// Changes a thread (`communications:write`): moves it between active, archived and resolved,
/// retags it, keeps notes. Fields left out are unchanged, `null` clears.
#[utoipa::path(
    patch,
    path = "/threads/{id}",
    operation_id = "updateThread",
    tag = "threads",
    params(("id" = String, Path, format = Uuid, description = "The thread's id (a UUID); a malformed or unknown one is a 404")),
    request_body = UpdateThreadRequest,
    responses(
        (status = 200, description = "The thread as changed (without participants)", body = ThreadResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = ValidationFailed),
    )
)]
async fn update_thread(
    tenant: Tenant,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<UpdateThreadRequest>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(COMMUNICATIONS_WRITE)?;
    let id = thread_id(&id)?;
    let patch = body.into_inner().into_patch()?;
    let thread = state.repos.communication_threads.update(scope, id, patch).await.map_err(repo_error)?;
    tracing::info!(thread = %id, status = %thread.status, "thread updated");
    Ok(HttpResponse::Ok().json(ThreadResponse::from(thread)))
}

// ---------------------------------------------------------------------------------------------
// Delete

/// Deletes a thread and its participant rows (`communications:write`); its communications stay,
/// with `thread_id` cleared.
#[utoipa::path(
    delete,
    path = "/threads/{id}",
    operation_id = "deleteThread",
    tag = "threads",
    params(("id" = String, Path, format = Uuid, description = "The thread's id (a UUID); a malformed or unknown one is a 404")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
async fn delete_thread(
    tenant: Tenant,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(COMMUNICATIONS_WRITE)?;
    let id = thread_id(&id)?;
    state.repos.communication_threads.delete(scope, id).await.map_err(repo_error)?;
    tracing::info!(thread = %id, "thread deleted");
    Ok(HttpResponse::NoContent().finish())
}

// ---------------------------------------------------------------------------------------------
// Participants

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddThreadStaffRequest {
    /// A staff member of the caller's organization.
    #[schema(value_type = String, format = Uuid)]
    pub staff_id: Option<String>,
    /// `participant` by default.
    #[schema(schema_with = role_schema, nullable)]
    pub role: Option<String>,
}

/// Adds a staff member to the thread, or changes their role if they already take part
/// (`communications:write`). A staff member of another organization is a 422 naming `staff_id`.
#[utoipa::path(
    post,
    path = "/threads/{id}/staff",
    operation_id = "addThreadStaff",
    tag = "threads",
    params(("id" = String, Path, format = Uuid, description = "The thread's id (a UUID); a malformed or unknown one is a 404")),
    request_body = AddThreadStaffRequest,
    responses(
        (status = 200, description = "The staff member's participation", body = ThreadStaffResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = ValidationFailed),
    )
)]
async fn add_staff(
    tenant: Tenant,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<AddThreadStaffRequest>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(COMMUNICATIONS_WRITE)?;
    let id = thread_id(&id)?;
    let body = body.into_inner();
    let mut f = Faults::default();
    let staff =
        f.required_with("staff_id", body.staff_id.as_deref(), |raw| parse_uuid("staff_id", raw)).map(StaffId::from);
    let role = match body.role.as_deref() {
        None => Some(ThreadStaffRole::default()),
        Some(raw) => f.take(parse_value("role", raw)),
    };
    let (Some(staff), Some(role)) = f.finish((staff, role))? else {
        return Err(ValueError::new("staff_id", "is required").into());
    };
    let added = state.repos.communication_threads.add_staff(scope, id, staff, role).await.map_err(repo_error)?;
    Ok(HttpResponse::Ok().json(ThreadStaffResponse::from(added)))
}

/// Takes a staff member out of the thread (`communications:write`); one who does not take part
/// is a 404.
#[utoipa::path(
    delete,
    path = "/threads/{id}/staff/{staff_id}",
    operation_id = "removeThreadStaff",
    tag = "threads",
    params(
        ("id" = String, Path, format = Uuid, description = "The thread's id (a UUID); a malformed or unknown one is a 404"),
        ("staff_id" = String, Path, format = Uuid, description = "A staff member taking part in the thread"),
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
async fn remove_staff(
    tenant: Tenant,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(COMMUNICATIONS_WRITE)?;
    let (id, staff) = path.into_inner();
    let id = thread_id(&id)?;
    let staff: StaffId = path_id(&staff, not_a_participant)?;
    match state.repos.communication_threads.remove_staff(scope, id, staff).await {
        Err(RepoError::NotFound) if state.repos.communication_threads.get(scope, id).await?.is_some() => {
            Err(not_a_participant())
        }
        result => result.map_err(repo_error),
    }?;
    Ok(HttpResponse::NoContent().finish())
}

fn not_a_participant() -> ApiError {
    ApiError::not_found("no such participant in this thread")
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddThreadDonorRequest {
    /// A live donor of the caller's organization.
    #[schema(value_type = String, format = Uuid)]
    pub donor_id: Option<String>,
}

/// Adds a donor to the thread; one already there is kept as they are (`communications:write`).
/// A donor of another organization (or a soft-deleted one) is a 422 naming `donor_id`.
#[utoipa::path(
    post,
    path = "/threads/{id}/donors",
    operation_id = "addThreadDonor",
    tag = "threads",
    params(("id" = String, Path, format = Uuid, description = "The thread's id (a UUID); a malformed or unknown one is a 404")),
    request_body = AddThreadDonorRequest,
    responses(
        (status = 200, description = "The donor's participation", body = ThreadDonorResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = ValidationFailed),
    )
)]
async fn add_donor(
    tenant: Tenant,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<AddThreadDonorRequest>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(COMMUNICATIONS_WRITE)?;
    let id = thread_id(&id)?;
    let donor = match body.donor_id.as_deref() {
        Some(raw) => DonorId::from(parse_uuid("donor_id", raw)?),
        None => return Err(ValueError::new("donor_id", "is required").into()),
    };
    let added = state.repos.communication_threads.add_donor(scope, id, donor).await.map_err(repo_error)?;
    Ok(HttpResponse::Ok().json(ThreadDonorResponse::from(added)))
}

/// Takes a donor out of the thread (`communications:write`); one who does not take part is a 404.
#[utoipa::path(
    delete,
    path = "/threads/{id}/donors/{donor_id}",
    operation_id = "removeThreadDonor",
    tag = "threads",
    params(
        ("id" = String, Path, format = Uuid, description = "The thread's id (a UUID); a malformed or unknown one is a 404"),
        ("donor_id" = String, Path, format = Uuid, description = "A donor taking part in the thread"),
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
async fn remove_donor(
    tenant: Tenant,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(COMMUNICATIONS_WRITE)?;
    let (id, donor) = path.into_inner();
    let id = thread_id(&id)?;
    let donor: DonorId = path_id(&donor, not_a_participant)?;
    match state.repos.communication_threads.remove_donor(scope, id, donor).await {
        Err(RepoError::NotFound) if state.repos.communication_threads.get(scope, id).await?.is_some() => {
            Err(not_a_participant())
        }
        result => result.map_err(repo_error),
    }?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        create_thread,
        list_threads,
        get_thread,
        update_thread,
        delete_thread,
        add_staff,
        remove_staff,
        add_donor,
        remove_donor
    ),
    components(schemas(
        ThreadResponse,
        ThreadStaffResponse,
        ThreadDonorResponse,
        CreateThreadRequest,
        UpdateThreadRequest,
        AddThreadStaffRequest,
        AddThreadDonorRequest
    ))
)]
pub struct Api;
