//! Projects over HTTP: create, list (keyset), read (with progress per currency for callers who
//! may read donations), update (PATCH, explicit null clears; status moves only
//! draft -> active -> completed | cancelled, and draft -> cancelled) and delete (refused while
//! donations point at the project). Another organization's project, like a malformed id, is a 404.

use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use givance_domain::access::{DONATIONS_READ, PROJECTS_READ, PROJECTS_WRITE};
use givance_domain::donation::{CurrencyTotal, DonationFilter};
use givance_domain::project::{NewProject, Project, ProjectPatch, ProjectStatus, check_target};
use givance_domain::{ProjectId, RepoError, Timestamp, ValueError, optional_text, required_text};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Tenant;
use crate::error::{
    ApiError, BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, Unauthorized, UnsupportedMediaType,
    ValidationFailed,
};
use crate::fields::{Faults, ListResponse, PageQuery, money_text, path_id, tagged_cursor};
use crate::openapi::{Page, text_enum};
use crate::patch::double_option;
use crate::state::AppState;

pub use crate::fields::MAX_LIMIT;
/// The longest project name.
pub const NAME_MAX: usize = 200;
/// The longest description.
pub const DESCRIPTION_MAX: usize = 10_000;
/// The largest `settings` object, as compact JSON.
pub const SETTINGS_MAX_BYTES: usize = 64 * 1024;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/projects").get(list_projects).post(create_project))
        .service(web::resource("/projects/{id}").get(get_project).patch(update_project).delete(delete_project));
}

// ---------------------------------------------------------------------------------------------
// Responses

/// Donations to the project in one currency.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProgressResponse {
    #[schema(example = "USD")]
    pub currency: String,
    #[schema(value_type = String, example = "1250.00")]
    pub raised: String,
    pub gift_count: u64,
    /// `raised` as a percentage of `target_amount`, two places; absent without a target.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String, example = "25.00", required = false)]
    pub percent_of_target: Option<String>,
}

fn status_schema() -> utoipa::openapi::schema::Object {
    text_enum(ProjectStatus::ALL.iter().map(|s| s.as_str()))
}

impl ProgressResponse {
    fn new(total: CurrencyTotal, target: Option<Decimal>) -> Self {
        let percent = target.filter(|t| *t > Decimal::ZERO).and_then(|t| {
            total
                .total
                .checked_mul(Decimal::ONE_HUNDRED)
                .and_then(|v| v.checked_div(t))
                .map(|p| money_text(p.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)))
        });
        Self {
            currency: total.currency.code().to_owned(),
            raised: money_text(total.total),
            gift_count: total.count,
            percent_of_target: percent,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectResponse {
    pub id: uuid::Uuid,
    pub name: String,
    pub description: Option<String>,
    /// A decimal string with two places.
    #[schema(value_type = Option<String>, example = "5000.00")]
    pub target_amount: Option<String>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    #[schema(schema_with = status_schema)]
    pub status: ProjectStatus,
    #[schema(value_type = Option<Object>)]
    pub settings: Option<serde_json::Value>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    /// Per currency; present only on a read, for callers holding `donations:read`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub progress: Option<Vec<ProgressResponse>>,
}

impl From<Project> for ProjectResponse {
    fn from(p: Project) -> Self {
        Self {
            id: p.id.into_uuid(),
            name: p.name,
            description: p.description,
            target_amount: p.target_amount.map(money_text),
            start_date: p.start_date,
            end_date: p.end_date,
            status: p.status,
            settings: p.settings,
            created_at: p.created_at,
            updated_at: p.updated_at,
            progress: None,
        }
    }
}

pub type ProjectList = ListResponse<ProjectResponse>;

// ---------------------------------------------------------------------------------------------
// Field parsing shared by create and update

/// A target: a decimal string (`"5000.00"`), greater than zero, at most two places; null or
/// blank means none.
fn parse_target(value: &serde_json::Value) -> Result<Option<Decimal>, ValueError> {
    let raw = match value {
        serde_json::Value::Null => return Ok(None),
        serde_json::Value::String(s) if s.trim().is_empty() => return Ok(None),
        serde_json::Value::String(s) => s.trim(),
        _ => return Err(ValueError::new("target_amount", "must be a decimal string such as \"5000.00\"")),
    };
    let amount = Decimal::from_str_exact(raw)
        .map_err(|_| ValueError::new("target_amount", format!("'{raw}' is not a decimal amount")))?;
    check_target(Some(amount))
}

/// A `YYYY-MM-DD` date; null or blank means none.
fn parse_date(field: &'static str, raw: Option<&str>) -> Result<Option<NaiveDate>, ValueError> {
    match raw.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(raw) => NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| ValueError::new(field, format!("'{raw}' is not a date (YYYY-MM-DD)"))),
    }
}

fn parse_status(raw: &str) -> Result<ProjectStatus, ValueError> {
    raw.trim().parse::<ProjectStatus>().map_err(|_| {
        ValueError::new(
            "status",
            format!("'{}' is not a status; expected draft, active, completed or cancelled", raw.trim()),
        )
    })
}

fn parse_settings(value: serde_json::Value) -> Result<Option<serde_json::Value>, ValueError> {
    match value {
        serde_json::Value::Null => Ok(None),
        serde_json::Value::Object(_) => {
            let size = serde_json::to_vec(&value).map(|v| v.len()).unwrap_or(usize::MAX);
            if size > SETTINGS_MAX_BYTES {
                Err(ValueError::new("settings", format!("at most {SETTINGS_MAX_BYTES} bytes of JSON")))
            } else {
                Ok(Some(value))
            }
        }
        _ => Err(ValueError::new("settings", "must be a JSON object")),
    }
}

fn not_found() -> ApiError {
    ApiError::not_found("no project with this id")
}

/// A project id from the path; a malformed one names no project: 404.
fn project_id(raw: &str) -> Result<ProjectId, ApiError> {
    path_id(raw, not_found)
}

fn repo_error(err: RepoError) -> ApiError {
    match err {
        RepoError::NotFound => not_found(),
        RepoError::InUse(what) => ApiError::conflict(
            "project_in_use",
            format!("donations or tasks point at this project ({what}); move or delete them first"),
        ),
        err => err.into(),
    }
}

// ---------------------------------------------------------------------------------------------
// Create

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProjectRequest {
    #[schema(value_type = String, required = true, min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[schema(max_length = 10_000)]
    pub description: Option<String>,
    /// A decimal string, greater than zero, at most two places.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "5000.00")]
    pub target_amount: serde_json::Value,
    /// `YYYY-MM-DD`.
    #[schema(value_type = Option<String>, format = Date)]
    pub start_date: Option<String>,
    /// `YYYY-MM-DD`, not before `start_date`.
    #[schema(value_type = Option<String>, format = Date)]
    pub end_date: Option<String>,
    /// `draft` (default), `active`, `completed` or `cancelled`.
    #[schema(example = "draft")]
    pub status: Option<String>,
    /// Any JSON object, at most 64 KiB.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub settings: serde_json::Value,
}

impl CreateProjectRequest {
    fn into_new_project(self) -> Result<NewProject, ApiError> {
        let mut f = Faults::default();
        let name = f.required_with("name", self.name.as_deref(), |name| required_text("name", name, NAME_MAX));
        let description = f.take(optional_text("description", self.description.as_deref(), DESCRIPTION_MAX));
        let target_amount = f.take(parse_target(&self.target_amount));
        let start_date = f.take(parse_date("start_date", self.start_date.as_deref()));
        let end_date = f.take(parse_date("end_date", self.end_date.as_deref()));
        if let (Some(Some(start)), Some(Some(end))) = (start_date, end_date)
            && end < start
        {
            f.push("end_date", "must not be before start_date");
        }
        let status = match self.status.as_deref() {
            None => Some(ProjectStatus::Draft),
            Some(raw) => f.take(parse_status(raw)),
        };
        let settings = f.take(parse_settings(self.settings));
        let new = match (name, status) {
            (Some(name), Some(status)) => Some(NewProject {
                name,
                description: description.flatten(),
                target_amount: target_amount.flatten(),
                start_date: start_date.flatten(),
                end_date: end_date.flatten(),
                status,
                settings: settings.flatten(),
            }),
            _ => None,
        };
        let new = f.finish(new)?;
        new.ok_or_else(|| ApiError::from(ValueError::new("name", "is required")))
    }
}

/// Creates a project (`projects:write`).
#[utoipa::path(
    post,
    path = "/projects",
    operation_id = "createProject",
    tag = "projects",
    request_body = CreateProjectRequest,
    responses(
        (status = 201, description = "The project", body = ProjectResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = ValidationFailed),
    )
)]
async fn create_project(
    tenant: Tenant,
    state: web::Data<AppState>,
    body: web::Json<CreateProjectRequest>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(PROJECTS_WRITE)?;
    let new = body.into_inner().into_new_project()?;
    let project = state.repos.projects.create(scope, new).await.map_err(repo_error)?;
    tracing::info!(project = %project.id, "project created");
    Ok(HttpResponse::Created().json(ProjectResponse::from(project)))
}

// ---------------------------------------------------------------------------------------------
// List

/// The tag of this list's cursors.
const CURSOR_TAG: &str = "p";

/// The organization's projects, newest first (`projects:read`).
#[utoipa::path(
    get,
    path = "/projects",
    operation_id = "listProjects",
    tag = "projects",
    params(
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 200, description = "Page size, 50 by default"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page of this list"),
    ),
    responses(
        (status = 200, description = "One page of projects", body = Page<ProjectResponse>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = ValidationFailed),
    )
)]
async fn list_projects(
    tenant: Tenant,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(PROJECTS_READ)?;
    let page = query.page(CURSOR_TAG)?;
    let page = state.repos.projects.list(scope, page).await?;
    Ok(HttpResponse::Ok().json(ProjectList {
        data: page.items.into_iter().map(ProjectResponse::from).collect(),
        next_cursor: tagged_cursor(CURSOR_TAG, page.next_cursor),
    }))
}

// ---------------------------------------------------------------------------------------------
// Read

/// One project (`projects:read`); with `progress` per currency for callers holding `donations:read`.
#[utoipa::path(
    get,
    path = "/projects/{id}",
    operation_id = "getProject",
    tag = "projects",
    params(("id" = String, Path, format = Uuid, description = "The project's id (a UUID); a malformed or unknown one is a 404")),
    responses(
        (status = 200, description = "The project", body = ProjectResponse),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
async fn get_project(
    tenant: Tenant,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(PROJECTS_READ)?;
    let id = project_id(&id)?;
    let project = state.repos.projects.get(scope, id).await?.ok_or_else(not_found)?;
    let target = project.target_amount;
    let mut response = ProjectResponse::from(project);
    if scope.permissions().allows(DONATIONS_READ) {
        let filter = DonationFilter { project_id: Some(id), ..DonationFilter::default() };
        let totals = state.repos.donations.totals(scope, filter).await?;
        response.progress = Some(totals.into_iter().map(|t| ProgressResponse::new(t, target)).collect());
    }
    Ok(HttpResponse::Ok().json(response))
}

// ---------------------------------------------------------------------------------------------
// Update

/// Every field optional; a field left out is unchanged, `null` clears the nullable ones.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProjectRequest {
    /// Cannot be null.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = String, min_length = 1, max_length = 200)]
    pub name: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 10_000)]
    pub description: Option<Option<String>>,
    /// A decimal string, greater than zero, at most two places; null clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, example = "5000.00")]
    pub target_amount: Option<Option<serde_json::Value>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, format = Date)]
    pub start_date: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, format = Date)]
    pub end_date: Option<Option<String>>,
    /// Moves only draft -> active -> completed | cancelled, and draft -> cancelled. Cannot be null.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = String, example = "active")]
    pub status: Option<Option<String>>,
    /// Any JSON object, at most 64 KiB; null clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Object>)]
    pub settings: Option<Option<serde_json::Value>>,
}

impl UpdateProjectRequest {
    fn into_patch(self) -> Result<ProjectPatch, ApiError> {
        let mut f = Faults::default();
        let mut patch = ProjectPatch {
            name: f.non_null_with("name", self.name, |name| required_text("name", &name, NAME_MAX)),
            ..ProjectPatch::default()
        };
        if let Some(v) = self.description {
            patch.description = f.take(optional_text("description", v.as_deref(), DESCRIPTION_MAX));
        }
        if let Some(v) = self.target_amount {
            patch.target_amount = f.take(parse_target(&v.unwrap_or(serde_json::Value::Null)));
        }
        if let Some(v) = self.start_date {
            patch.start_date = f.take(parse_date("start_date", v.as_deref()));
        }
        if let Some(v) = self.end_date {
            patch.end_date = f.take(parse_date("end_date", v.as_deref()));
        }
        patch.status = f.non_null_with("status", self.status, |raw| parse_status(&raw));
        if let Some(v) = self.settings {
            patch.settings = f.take(parse_settings(v.unwrap_or(serde_json::Value::Null)));
        }
        f.finish(patch)
    }
}

/// Changes a project (`projects:write`); fields left out are unchanged, `null` clears.
#[utoipa::path(
    patch,
    path = "/projects/{id}",
    operation_id = "updateProject",
    tag = "projects",
    params(("id" = String, Path, format = Uuid, description = "The project's id (a UUID); a malformed or unknown one is a 404")),
    request_body = UpdateProjectRequest,
    responses(
        (status = 200, description = "The project as changed", body = ProjectResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = ValidationFailed),
    )
)]
async fn update_project(
    tenant: Tenant,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<UpdateProjectRequest>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(PROJECTS_WRITE)?;
    let id = project_id(&id)?;
    let patch = body.into_inner().into_patch()?;
    // The repository applies the patch (status moves, dates in order) and refuses a bad one
    // with the field it concerns: a 422.
    let project = state.repos.projects.update(scope, id, patch).await.map_err(repo_error)?;
    tracing::info!(project = %id, "project updated");
    Ok(HttpResponse::Ok().json(ProjectResponse::from(project)))
}

// ---------------------------------------------------------------------------------------------
// Delete

/// Deletes a project (`projects:write`); refused (409 `project_in_use`) while donations or
/// tasks point at it.
#[utoipa::path(
    delete,
    path = "/projects/{id}",
    operation_id = "deleteProject",
    tag = "projects",
    params(("id" = String, Path, format = Uuid, description = "The project's id (a UUID); a malformed or unknown one is a 404")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
async fn delete_project(
    tenant: Tenant,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(PROJECTS_WRITE)?;
    let id = project_id(&id)?;
    state.repos.projects.delete(scope, id).await.map_err(repo_error)?;
    tracing::info!(project = %id, "project deleted");
    Ok(HttpResponse::NoContent().finish())
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(create_project, list_projects, get_project, update_project, delete_project),
    components(schemas(ProjectResponse, ProgressResponse, CreateProjectRequest, UpdateProjectRequest))
)]
pub struct Api;
