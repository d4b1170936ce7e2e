//! Communications over HTTP: log any contact with a donor (create), list (keyset, newest first,
//! filtered by donor, thread, channel, direction and status), read, update (PATCH, explicit null
//! clears) and delete. Logging a sent, delivered or inbound communication moves the donor's
//! `last_contact_date` forward in the same transaction. Another organization's communication,
//! like a malformed id, is a 404; another organization's donor, thread or staff member in a body
//! is a 422 naming the field.

use actix_web::{HttpResponse, web};
use givance_domain::access::{COMMUNICATIONS_READ, COMMUNICATIONS_WRITE};
use givance_domain::communication::{
    ADDRESS_MAX, CONTENT_MAX, Communication, CommunicationChannel, CommunicationFilter, CommunicationPatch,
    CommunicationStatus, Direction, NewCommunication, SUBJECT_MAX, check_schedule,
};
use givance_domain::{
    CommunicationId, CommunicationThreadId, DonorId, RepoError, StaffId, Timestamp, ValueError, optional_text,
    required_text,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Tenant;
use crate::error::{
    ApiError, BadRequest, Forbidden, NotFound, PayloadTooLarge, Unauthorized, UnsupportedMediaType, ValidationFailed,
};
use crate::fields::{Faults, ListResponse, page_request, parse_time, path_id, tagged_cursor};
use crate::openapi::{Page, text_enum};
use crate::patch::double_option;
use crate::state::AppState;

pub use crate::fields::MAX_LIMIT;
/// The largest `metadata` object and `attachments` array, each as compact JSON.
pub const JSON_MAX_BYTES: usize = 64 * 1024;
/// The most attachments one communication describes.
pub const ATTACHMENTS_MAX: usize = 50;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/communications").get(list_communications).post(create_communication)).service(
        web::resource("/communications/{id}")
            .get(get_communication)
            .patch(update_communication)
            .delete(delete_communication),
    );
}

// ---------------------------------------------------------------------------------------------
// Responses

pub(crate) fn channel_schema() -> utoipa::openapi::schema::Object {
    text_enum(CommunicationChannel::ALL.iter().map(|c| c.as_str()))
}

pub(crate) fn direction_schema() -> utoipa::openapi::schema::Object {
    text_enum(Direction::ALL.iter().map(|d| d.as_str()))
}

pub(crate) fn status_schema() -> utoipa::openapi::schema::Object {
    text_enum(CommunicationStatus::ALL.iter().map(|s| s.as_str()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommunicationResponse {
    pub id: uuid::Uuid,
    pub donor_id: uuid::Uuid,
    pub thread_id: Option<uuid::Uuid>,
    #[schema(schema_with = channel_schema)]
    pub channel: CommunicationChannel,
    #[schema(schema_with = direction_schema)]
    pub direction: Direction,
    pub subject: Option<String>,
    pub content: String,
    /// The staff member who handled it.
    pub staff_id: Option<uuid::Uuid>,
    pub from_address: Option<String>,
    pub to_address: Option<String>,
    #[schema(schema_with = status_schema)]
    pub status: CommunicationStatus,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub scheduled_for: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub sent_at: Option<Timestamp>,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<serde_json::Value>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub attachments: Option<serde_json::Value>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl From<Communication> for CommunicationResponse {
    fn from(c: Communication) -> Self {
        Self {
            id: c.id.into_uuid(),
            donor_id: c.donor_id.into_uuid(),
            thread_id: c.thread_id.map(CommunicationThreadId::into_uuid),
            channel: c.channel,
            direction: c.direction,
            subject: c.subject,
            content: c.content,
            staff_id: c.staff_id.map(StaffId::into_uuid),
            from_address: c.from_address,
            to_address: c.to_address,
            status: c.status,
            scheduled_for: c.scheduled_for,
            sent_at: c.sent_at,
            metadata: c.metadata,
            attachments: c.attachments,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

pub type CommunicationList = ListResponse<CommunicationResponse>;

// ---------------------------------------------------------------------------------------------
// Field parsing shared by create, update and list

/// An id in a body or a query; unlike a path id, a malformed one is a 422 naming it.
pub(crate) fn parse_uuid(field: &'static str, raw: &str) -> Result<uuid::Uuid, ValueError> {
    uuid::Uuid::parse_str(raw.trim()).map_err(|_| ValueError::new(field, format!("'{}' is not a UUID", raw.trim())))
}

/// A value of one of the domain's lists (`string_enum!`), whose error names the field and the
/// accepted values.
pub(crate) fn parse_value<T: std::str::FromStr<Err = ValueError>>(
    field: &'static str,
    raw: &str,
) -> Result<T, ValueError> {
    raw.trim().parse::<T>().map_err(|err| err.for_field(field))
}

fn json_size(value: &serde_json::Value) -> usize {
    serde_json::to_vec(value).map(|v| v.len()).unwrap_or(usize::MAX)
}

/// `metadata`: a JSON object of at most [`JSON_MAX_BYTES`]; null means none.
fn parse_metadata(value: serde_json::Value) -> Result<Option<serde_json::Value>, ValueError> {
    match value {
        serde_json::Value::Null => Ok(None),
        serde_json::Value::Object(_) if json_size(&value) > JSON_MAX_BYTES => {
            Err(ValueError::new("metadata", format!("at most {JSON_MAX_BYTES} bytes of JSON")))
        }
        serde_json::Value::Object(_) => Ok(Some(value)),
        _ => Err(ValueError::new("metadata", "must be a JSON object")),
    }
}

/// `attachments`: descriptions of attachments (never their content), a JSON array of at most
/// [`ATTACHMENTS_MAX`] objects and [`JSON_MAX_BYTES`]; null means none.
fn parse_attachments(value: serde_json::Value) -> Result<Option<serde_json::Value>, ValueError> {
    let field = "attachments";
    match &value {
        serde_json::Value::Null => Ok(None),
        serde_json::Value::Array(items) => {
            if items.len() > ATTACHMENTS_MAX {
                return Err(ValueError::new(field, format!("at most {ATTACHMENTS_MAX} attachments")));
            }
            if !items.iter().all(serde_json::Value::is_object) {
                return Err(ValueError::new(
                    field,
                    "each attachment must be a JSON object (name, content_type, size, url, ...)",
                ));
            }
            if json_size(&value) > JSON_MAX_BYTES {
                return Err(ValueError::new(field, format!("at most {JSON_MAX_BYTES} bytes of JSON")));
            }
            Ok(Some(value))
        }
        _ => Err(ValueError::new(field, "must be a JSON array of objects")),
    }
}

fn optional_time(field: &'static str, raw: Option<&str>) -> Result<Option<Timestamp>, ValueError> {
    raw.map(|raw| parse_time(field, raw)).transpose()
}

fn not_found() -> ApiError {
    ApiError::not_found("no communication with this id")
}

fn communication_id(raw: &str) -> Result<CommunicationId, ApiError> {
    path_id(raw, not_found)
}

fn repo_error(err: RepoError) -> ApiError {
    match err {
        RepoError::NotFound => not_found(),
        err => err.into(),
    }
}

// ---------------------------------------------------------------------------------------------
// Create

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCommunicationRequest {
    /// A live donor of the caller's organization.
    #[schema(value_type = String, format = Uuid)]
    pub donor_id: Option<String>,
    /// A thread of the caller's organization to file it under.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub thread_id: Option<String>,
    #[schema(schema_with = channel_schema)]
    pub channel: Option<String>,
    #[schema(schema_with = direction_schema)]
    pub direction: Option<String>,
    #[schema(max_length = 998)]
    pub subject: Option<String>,
    #[schema(value_type = String, min_length = 1, max_length = 500_000)]
    pub content: Option<String>,
    /// The staff member who handled it: the caller when left out, none when null.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub staff_id: Option<Option<String>>,
    /// An email address, a phone number, ... depending on the channel.
    #[schema(max_length = 500)]
    pub from_address: Option<String>,
    #[schema(max_length = 500)]
    pub to_address: Option<String>,
    /// `sent` by default; `scheduled` needs `scheduled_for`.
    #[schema(schema_with = status_schema, nullable)]
    pub status: Option<String>,
    /// RFC 3339.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub scheduled_for: Option<String>,
    /// RFC 3339; when a contact happened (the log time when left out).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub sent_at: Option<String>,
    /// Channel-specific data: a JSON object, at most 64 KiB.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub metadata: serde_json::Value,
    /// Descriptions of attachments (not their content): a JSON array of at most 50 objects,
    /// at most 64 KiB.
    #[serde(default)]
    #[schema(value_type = Option<Vec<Object>>)]
    pub attachments: serde_json::Value,
}

impl CreateCommunicationRequest {
    fn into_new(self, caller: StaffId) -> Result<NewCommunication, ApiError> {
        let mut f = Faults::default();
        let donor_id = f.required_with("donor_id", self.donor_id.as_deref(), |raw| parse_uuid("donor_id", raw));
        let thread_id = self.thread_id.as_deref().and_then(|raw| f.take(parse_uuid("thread_id", raw)));
        let channel = f.required_with("channel", self.channel.as_deref(), |raw| {
            parse_value::<CommunicationChannel>("channel", raw)
        });
        let direction =
            f.required_with("direction", self.direction.as_deref(), |raw| parse_value::<Direction>("direction", raw));
        let subject = f.take(optional_text("subject", self.subject.as_deref(), SUBJECT_MAX)).flatten();
        let content =
            f.required_with("content", self.content.as_deref(), |raw| required_text("content", raw, CONTENT_MAX));
        let staff_id = match self.staff_id {
            None => Some(Some(caller)),
            Some(None) => Some(None),
            Some(Some(raw)) => f.take(parse_uuid("staff_id", &raw)).map(|id| Some(StaffId::from_uuid(id))),
        };
        let from_address = f.take(optional_text("from_address", self.from_address.as_deref(), ADDRESS_MAX)).flatten();
        let to_address = f.take(optional_text("to_address", self.to_address.as_deref(), ADDRESS_MAX)).flatten();
        let status = match self.status.as_deref() {
            None => Some(CommunicationStatus::Sent),
            Some(raw) => f.take(parse_value::<CommunicationStatus>("status", raw)),
        };
        let scheduled_for = f.take(optional_time("scheduled_for", self.scheduled_for.as_deref())).flatten();
        let sent_at = f.take(optional_time("sent_at", self.sent_at.as_deref())).flatten();
        if let Some(status) = status {
            f.take(check_schedule(status, scheduled_for));
        }
        let metadata = f.take(parse_metadata(self.metadata)).flatten();
        let attachments = f.take(parse_attachments(self.attachments)).flatten();
        let new = match (donor_id, channel, direction, content, staff_id, status) {
            (Some(donor), Some(channel), Some(direction), Some(content), Some(staff_id), Some(status)) => {
                Some(NewCommunication {
                    donor_id: DonorId::from_uuid(donor),
                    thread_id: thread_id.map(CommunicationThreadId::from_uuid),
                    channel,
                    direction,
                    subject,
                    content,
                    staff_id,
                    from_address,
                    to_address,
                    status,
                    scheduled_for,
                    sent_at,
                    metadata,
                    attachments,
                })
            }
            _ => None,
        };
        f.finish(new)?.ok_or_else(|| ApiError::from(ValueError::new("content", "is required")))
    }
}

/// Logs a communication with a donor (`communications:write`). A sent, delivered or inbound one
/// moves the donor's `last_contact_date` forward to its `sent_at` (or now), never back. A donor
/// (or a soft-deleted one), thread or staff member that is not the organization's is a 422
/// naming `donor_id`, `thread_id` or `staff_id`.
#[utoipa::path(
    post,
    path = "/communications",
    operation_id = "createCommunication",
    tag = "communications",
    request_body = CreateCommunicationRequest,
    responses(
        (status = 201, description = "The communication", body = CommunicationResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = ValidationFailed),
    )
)]
async fn create_communication(
    tenant: Tenant,
    state: web::Data<AppState>,
    body: web::Json<CreateCommunicationRequest>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(COMMUNICATIONS_WRITE)?;
    let new = body.into_inner().into_new(tenant.staff())?;
    let communication = state.repos.communications.create(scope, new).await.map_err(repo_error)?;
    tracing::info!(communication = %communication.id, "communication logged");
    Ok(HttpResponse::Created().json(CommunicationResponse::from(communication)))
}

// ---------------------------------------------------------------------------------------------
// List

/// Every parameter is read as text so that a bad value is a 422 naming it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListCommunicationsQuery {
    pub limit: Option<String>,
    pub cursor: Option<String>,
    pub donor_id: Option<String>,
    pub thread_id: Option<String>,
    pub channel: Option<String>,
    pub direction: Option<String>,
    pub status: Option<String>,
}

/// Cursors of this list carry a tag so that another list's cursor is refused, not misread.
const CURSOR_TAG: &str = "c";

/// The organization's communications, most recently logged first (`communications:read`).
#[utoipa::path(
    get,
    path = "/communications",
    operation_id = "listCommunications",
    tag = "communications",
    params(
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 200, description = "Page size, 50 by default"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page of this list"),
        ("donor_id" = Option<String>, Query, format = Uuid, description = "Only this donor's"),
        ("thread_id" = Option<String>, Query, format = Uuid, description = "Only those filed under this thread"),
        ("channel" = Option<String>, Query, description = "email, phone, text, whatsapp, in_person or mail"),
        ("direction" = Option<String>, Query, description = "inbound or outbound"),
        ("status" = Option<String>, Query, description = "draft, scheduled, sent, delivered or failed"),
    ),
    responses(
        (status = 200, description = "One page of communications", body = Page<CommunicationResponse>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = ValidationFailed),
    )
)]
async fn list_communications(
    tenant: Tenant,
    state: web::Data<AppState>,
    query: web::Query<ListCommunicationsQuery>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(COMMUNICATIONS_READ)?;
    let mut f = Faults::default();
    let q = query.into_inner();
    let page = page_request(&mut f, q.limit.as_deref(), q.cursor.as_deref(), CURSOR_TAG);
    let filter = CommunicationFilter {
        donor_id: q.donor_id.as_deref().and_then(|raw| f.take(parse_uuid("donor_id", raw))).map(DonorId::from),
        thread_id: q
            .thread_id
            .as_deref()
            .and_then(|raw| f.take(parse_uuid("thread_id", raw)))
            .map(CommunicationThreadId::from),
        channel: q.channel.as_deref().and_then(|raw| f.take(parse_value("channel", raw))),
        direction: q.direction.as_deref().and_then(|raw| f.take(parse_value("direction", raw))),
        status: q.status.as_deref().and_then(|raw| f.take(parse_value("status", raw))),
    };
    let (filter, page) = f.finish((filter, page))?;
    let page = state.repos.communications.list(scope, filter, page).await?;
    Ok(HttpResponse::Ok().json(CommunicationList {
        data: page.items.into_iter().map(CommunicationResponse::from).collect(),
        next_cursor: tagged_cursor(CURSOR_TAG, page.next_cursor),
    }))
}

// ---------------------------------------------------------------------------------------------
// Read

/// One communication (`communications:read`).
#[utoipa::path(
    get,
    path = "/communications/{id}",
    operation_id = "getCommunication",
    tag = "communications",
    params(("id" = String, Path, format = Uuid, description = "The communication's id (a UUID); a malformed or unknown one is a 404")),
    responses(
        (status = 200, description = "The communication", body = CommunicationResponse),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
async fn get_communication(
    tenant: Tenant,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(COMMUNICATIONS_READ)?;
    let id = communication_id(&id)?;
    let communication = state.repos.communications.get(scope, id).await?.ok_or_else(not_found)?;
    Ok(HttpResponse::Ok().json(CommunicationResponse::from(communication)))
}

// ---------------------------------------------------------------------------------------------
// Update

/// Every field optional; a field left out is unchanged, `null` clears the nullable ones. The
/// donor cannot change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCommunicationRequest {
    /// Files it under a thread of the organization; null takes it out.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub thread_id: Option<Option<String>>,
    /// Cannot be null.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = channel_schema)]
    pub channel: Option<Option<String>>,
    /// Cannot be null.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = direction_schema)]
    pub direction: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 998)]
    pub subject: Option<Option<String>>,
    /// Cannot be null.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = String, min_length = 1, max_length = 500_000)]
    pub content: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub staff_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 500)]
    pub from_address: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 500)]
    pub to_address: Option<Option<String>>,
    /// Cannot be null; marking it sent or delivered moves the donor's `last_contact_date`.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = status_schema)]
    pub status: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub scheduled_for: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub sent_at: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Option<serde_json::Value>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub attachments: Option<Option<serde_json::Value>>,
}

impl UpdateCommunicationRequest {
    fn into_patch(self) -> Result<CommunicationPatch, ApiError> {
        let mut f = Faults::default();
        let mut patch = CommunicationPatch {
            channel: f.non_null_with("channel", self.channel, |raw: String| parse_value("channel", &raw)),
            direction: f.non_null_with("direction", self.direction, |raw: String| parse_value("direction", &raw)),
            content: f
                .non_null_with("content", self.content, |raw: String| required_text("content", &raw, CONTENT_MAX)),
            status: f.non_null_with("status", self.status, |raw: String| parse_value("status", &raw)),
            ..CommunicationPatch::default()
        };
        let id = |f: &mut Faults, field: &'static str, value: Option<Option<String>>| {
            value.map(|v| v.and_then(|raw| f.take(parse_uuid(field, &raw))))
        };
        patch.thread_id = id(&mut f, "thread_id", self.thread_id).map(|v| v.map(CommunicationThreadId::from));
        patch.staff_id = id(&mut f, "staff_id", self.staff_id).map(|v| v.map(StaffId::from));
        let text = |f: &mut Faults, field: &'static str, value: Option<Option<String>>, max: usize| {
            value.and_then(|v| f.take(optional_text(field, v.as_deref(), max)))
        };
        patch.subject = text(&mut f, "subject", self.subject, SUBJECT_MAX);
        patch.from_address = text(&mut f, "from_address", self.from_address, ADDRESS_MAX);
        patch.to_address = text(&mut f, "to_address", self.to_address, ADDRESS_MAX);
        if let Some(v) = self.scheduled_for {
            patch.scheduled_for = f.take(optional_time("scheduled_for", v.as_deref()));
        }
        if let Some(v) = self.sent_at {
            patch.sent_at = f.take(optional_time("sent_at", v.as_deref()));
        }
        if let Some(v) = self.metadata {
            patch.metadata = f.take(parse_metadata(v.unwrap_or_default()));
        }
        if let Some(v) = self.attachments {
            patch.attachments = f.take(parse_attachments(v.unwrap_or_default()));
        }
        f.finish(patch)
    }
}

/// Changes a communication (`communications:write`); fields left out are unchanged, `null`
/// clears. The result must still be valid: `scheduled` needs `scheduled_for` (422 naming it).
#[utoipa::path(
    patch,
    path = "/communications/{id}",
    operation_id = "updateCommunication",
    tag = "communications",
    params(("id" = String, Path, format = Uuid, description = "The communication's id (a UUID); a malformed or unknown one is a 404")),
    request_body = UpdateCommunicationRequest,
    responses(
        (status = 200, description = "The communication as changed", body = CommunicationResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = ValidationFailed),
    )
)]
async fn update_communication(
    tenant: Tenant,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<UpdateCommunicationRequest>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(COMMUNICATIONS_WRITE)?;
    let id = communication_id(&id)?;
    let patch = body.into_inner().into_patch()?;
    let communication = state.repos.communications.update(scope, id, patch).await.map_err(repo_error)?;
    tracing::info!(communication = %id, "communication updated");
    Ok(HttpResponse::Ok().json(CommunicationResponse::from(communication)))
}

// ---------------------------------------------------------------------------------------------
// Delete

/// Deletes a communication (`communications:write`). The donor's `last_contact_date` stays.
#[utoipa::path(
    delete,
    path = "/communications/{id}",
    operation_id = "deleteCommunication",
    tag = "communications",
    params(("id" = String, Path, format = Uuid, description = "The communication's id (a UUID); a malformed or unknown one is a 404")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
async fn delete_communication(
    tenant: Tenant,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(COMMUNICATIONS_WRITE)?;
    let id = communication_id(&id)?;
    state.repos.communications.delete(scope, id).await.map_err(repo_error)?;
    tracing::info!(communication = %id, "communication deleted");
    Ok(HttpResponse::NoContent().finish())
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(create_communication, list_communications, get_communication, update_communication, delete_communication),
    components(schemas(CommunicationResponse, CreateCommunicationRequest, UpdateCommunicationRequest))
)]
pub struct Api;
