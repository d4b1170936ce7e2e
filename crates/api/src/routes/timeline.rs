//! A donor's timeline over HTTP: `GET /donors/{id}/timeline`, their communications, donations,
//! sent campaign emails and completed tasks merged newest first, keyset-paginated over
//! `(timestamp, kind, id)`. Each entry is a small summary; the record itself is at its own
//! resource. Donations appear only for callers holding `donations:read`.

use actix_web::{HttpResponse, web};
use givance_domain::access::{COMMUNICATIONS_READ, DONATIONS_READ, DONORS_READ};
use givance_domain::communication::{CommunicationChannel, CommunicationStatus, Direction};
use givance_domain::timeline::{TimelineDetail, TimelineEntry, TimelineKind, TimelinePosition, TimelineRequest};
use givance_domain::todo::TodoType;
use givance_domain::{DonorId, RepoError, Timestamp, ValueError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Tenant;
use crate::error::{ApiError, BadRequest, Forbidden, NotFound, Unauthorized, ValidationFailed};
use crate::fields::{Faults, ListResponse, money_text, page_request, path_id, tagged_cursor};
use crate::openapi::{Page, text_enum};
use crate::routes::communications::{channel_schema, direction_schema, parse_value, status_schema};
use crate::state::AppState;

pub use crate::fields::MAX_LIMIT;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/donors/{id}/timeline").get(donor_timeline));
}

fn kind_schema() -> utoipa::openapi::schema::Object {
    text_enum(TimelineKind::ALL.iter().map(|k| k.as_str()))
}

fn task_type_schema() -> utoipa::openapi::schema::Object {
    text_enum(TodoType::ALL.iter().map(|t| t.as_str()))
}

/// One entry: what it is, when, and a line saying what happened; the members of its kind
/// (communication: `channel`, `direction`, `status`; donation: `amount`, `currency`,
/// `project_id`; task: `task_type`) and no others.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineEntryResponse {
    #[schema(schema_with = kind_schema)]
    pub kind: TimelineKind,
    /// The id of the communication, donation, generated email or todo.
    pub id: uuid::Uuid,
    /// A communication's `sent_at` (else when it was logged), a donation's date at 00:00 UTC, a
    /// campaign email's `sent_at`, a task's `completed_at`.
    #[schema(value_type = String, format = DateTime)]
    pub timestamp: Timestamp,
    /// A communication's subject (else the start of its content), a donation's amount, a
    /// campaign email's subject, a task's title.
    pub summary: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = channel_schema, required = false)]
    pub channel: Option<CommunicationChannel>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = direction_schema, required = false)]
    pub direction: Option<Direction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = status_schema, required = false)]
    pub status: Option<CommunicationStatus>,
    /// A decimal string with two places.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String, example = "25.00", required = false)]
    pub amount: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "USD", required = false)]
    pub currency: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub project_id: Option<uuid::Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = task_type_schema, required = false)]
    pub task_type: Option<TodoType>,
}

impl From<TimelineEntry> for TimelineEntryResponse {
    fn from(entry: TimelineEntry) -> Self {
        let mut response = Self {
            kind: entry.kind(),
            id: entry.id,
            timestamp: entry.at,
            summary: String::new(),
            channel: None,
            direction: None,
            status: None,
            amount: None,
            currency: None,
            project_id: None,
            task_type: None,
        };
        match entry.detail {
            TimelineDetail::Communication { channel, direction, status, subject, excerpt } => {
                response.summary = subject.unwrap_or(excerpt);
                (response.channel, response.direction, response.status) =
                    (Some(channel), Some(direction), Some(status));
            }
            TimelineDetail::Donation { amount, project_id } => {
                let text = money_text(amount.amount());
                response.summary = format!("{text} {}", amount.currency().code());
                response.amount = Some(text);
                response.currency = Some(amount.currency().code().to_owned());
                response.project_id = project_id.map(givance_domain::ProjectId::into_uuid);
            }
            TimelineDetail::CampaignEmail { subject } => response.summary = subject,
            TimelineDetail::Task { title, task_type } => {
                response.summary = title;
                response.task_type = Some(task_type);
            }
        }
        response
    }
}

/// Every parameter is read as text so that a bad value is a 422 naming it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimelineQuery {
    pub limit: Option<String>,
    pub cursor: Option<String>,
    pub kinds: Option<String>,
}

/// Cursors of this list carry a tag so that another list's cursor is refused, not misread.
const CURSOR_TAG: &str = "tl";

/// The kinds a comma-separated `kinds` names; all of them when left out.
fn parse_kinds(raw: Option<&str>) -> Result<Vec<TimelineKind>, ValueError> {
    let Some(raw) = raw else {
        return Ok(TimelineKind::ALL.to_vec());
    };
    let kinds = raw
        .split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(|k| parse_value::<TimelineKind>("kinds", k))
        .collect::<Result<Vec<_>, _>>()?;
    if kinds.is_empty() {
        return Err(ValueError::new("kinds", "name at least one kind"));
    }
    Ok(kinds)
}

/// A cursor of this list: `<tag>.<position>`.
fn parse_cursor(raw: &str) -> Result<TimelinePosition, ValueError> {
    raw.trim()
        .split_once('.')
        .filter(|(tag, _)| *tag == CURSOR_TAG)
        .ok_or_else(|| ValueError::new("cursor", "is not a cursor returned by this list"))
        .and_then(|(_, position)| TimelinePosition::decode(position))
}

fn not_found() -> ApiError {
    ApiError::not_found("no donor with this id")
}

/// The donor's timeline, newest first (`donors:read` and `communications:read`; donations only
/// with `donations:read`: asking for them without it is a 403).
#[utoipa::path(
    get,
    path = "/donors/{id}/timeline",
    operation_id = "getDonorTimeline",
    tag = "donors",
    params(
        ("id" = String, Path, format = Uuid, description = "The donor's id (a UUID); a malformed, unknown or deleted one is a 404"),
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 200, description = "Page size, 50 by default"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page of this timeline"),
        ("kinds" = Option<String>, Query, description = "Comma-separated kinds to include (communication, donation, campaign_email, task); all the caller may read by default"),
    ),
    responses(
        (status = 200, description = "One page of the timeline", body = Page<TimelineEntryResponse>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = ValidationFailed),
    )
)]
async fn donor_timeline(
    tenant: Tenant,
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: web::Query<TimelineQuery>,
) -> Result<HttpResponse, ApiError> {
    tenant.require(DONORS_READ)?;
    let scope = tenant.require(COMMUNICATIONS_READ)?;
    let donor: DonorId = path_id(&id, not_found)?;
    let mut f = Faults::default();
    let limit = page_request(&mut f, query.limit.as_deref(), None, CURSOR_TAG).limit();
    let after = query.cursor.as_deref().and_then(|raw| f.take(parse_cursor(raw)));
    let asked = f.take(parse_kinds(query.kinds.as_deref()));
    let mut kinds = f.finish(asked)?.unwrap_or_default();
    if !scope.permissions().allows(DONATIONS_READ) {
        if query.kinds.is_some() && kinds.contains(&TimelineKind::Donation) {
            return Err(ApiError::forbidden(DONATIONS_READ));
        }
        kinds.retain(|kind| *kind != TimelineKind::Donation);
    }
    let request = TimelineRequest::new(Some(limit), after, &kinds);
    let page = state.repos.timelines.page(scope, donor, request).await.map_err(|err| match err {
        RepoError::NotFound => not_found(),
        err => err.into(),
    })?;
    Ok(HttpResponse::Ok().json(ListResponse {
        data: page.items.into_iter().map(TimelineEntryResponse::from).collect::<Vec<_>>(),
        next_cursor: tagged_cursor(CURSOR_TAG, page.next_cursor),
    }))
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(donor_timeline), components(schemas(TimelineEntryResponse)))]
pub struct Api;
