//! Tasks (todos) over HTTP: create, list (keyset, filtered by status, assignee, donor, project,
//! due range, overdue and origin), read, update (PATCH, explicit null clears; status
//! `completed` records completed_at and completed_by), delete, and a run of the task suggester
//! (`POST /todos/suggestions`), which stores each suggestion once.
//!
//! `assigned_to`, `created_by` and `completed_by` are user ids (`user.id` in the staff
//! directory), as the schema has them; an assignee must be an active staff member of the
//! organization. A donor, project or assignee that is not the organization's is a 422 naming
//! the field; another organization's task is a 404.

use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use givance_domain::access::{DONATIONS_READ, TODOS_READ, TODOS_WRITE};
use givance_domain::shared::time::now;
use givance_domain::todo::{
    DESCRIPTION_MAX, NewTodo, Priority, SuggestionContext, TITLE_MAX, Todo, TodoFilter, TodoOrigin, TodoPatch,
    TodoProgress, TodoStatus, TodoType, run_suggestions,
};
use givance_domain::{
    DonorId, OrgScope, PageRequest, ProjectId, RepoError, Timestamp, TodoId, UserId, ValueError, optional_text,
    required_text,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Tenant;
use crate::error::{
    ApiError, BadRequest, Forbidden, NotFound, PayloadTooLarge, Unauthorized, UnsupportedMediaType, ValidationFailed,
};
use crate::fields::{Faults, ListResponse, flag, page_request, path_id, tagged_cursor};
use crate::openapi::{Page, text_enum};
use crate::patch::double_option;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    // `/todos/suggestions` before `/todos/{id}`, which would otherwise claim the path.
    cfg.service(web::resource("/todos").get(list_todos).post(create_todo))
        .service(web::resource("/todos/suggestions").post(suggest_todos))
        .service(web::resource("/todos/{id}").get(get_todo).patch(update_todo).delete(delete_todo));
}

// ---------------------------------------------------------------------------------------------
// Responses

fn type_schema() -> utoipa::openapi::schema::Object {
    text_enum(TodoType::ALL.iter().map(|t| t.as_str()))
}

fn priority_schema() -> utoipa::openapi::schema::Object {
    text_enum(Priority::ALL.iter().map(|p| p.as_str()))
}

fn status_schema() -> utoipa::openapi::schema::Object {
    text_enum(TodoStatus::ALL.iter().map(|s| s.as_str()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TodoResponse {
    pub id: uuid::Uuid,
    pub title: String,
    pub description: Option<String>,
    #[serde(rename = "type")]
    #[schema(schema_with = type_schema)]
    pub todo_type: TodoType,
    pub due_date: Option<NaiveDate>,
    #[schema(schema_with = priority_schema)]
    pub priority: Priority,
    #[schema(schema_with = status_schema)]
    pub status: TodoStatus,
    /// Due before today (UTC) and still pending or in progress.
    pub is_overdue: bool,
    pub donor_id: Option<uuid::Uuid>,
    pub project_id: Option<uuid::Uuid>,
    /// The assignee's user id.
    pub assigned_to: Option<uuid::Uuid>,
    /// The user who created the task; null for suggested tasks and the CLI.
    pub created_by: Option<uuid::Uuid>,
    /// Proposed by the task suggester.
    pub is_ai_generated: bool,
    /// Why the suggester proposed it.
    pub ai_reasoning: Option<String>,
    /// How sure the suggester was: a decimal string from `"0.00"` to `"1.00"`.
    #[schema(value_type = Option<String>, example = "0.85")]
    pub ai_confidence: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub completed_at: Option<Timestamp>,
    /// The user who completed it, when a person did.
    pub completed_by: Option<uuid::Uuid>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl TodoResponse {
    fn new(t: Todo, today: NaiveDate) -> Self {
        Self {
            id: t.id.into_uuid(),
            is_overdue: !t.progress.is_closed() && t.due_date.is_some_and(|due| due < today),
            title: t.title,
            description: t.description,
            todo_type: t.todo_type,
            due_date: t.due_date,
            priority: t.priority,
            status: t.progress.status(),
            donor_id: t.donor_id.map(DonorId::into_uuid),
            project_id: t.project_id.map(ProjectId::into_uuid),
            assigned_to: t.assigned_to.map(UserId::into_uuid),
            created_by: t.created_by.map(UserId::into_uuid),
            is_ai_generated: t.origin.is_ai_generated(),
            ai_reasoning: t.origin.ai_reasoning().map(str::to_owned),
            ai_confidence: t.origin.ai_confidence().map(|c| c.to_string()),
            completed_at: t.progress.completed_at(),
            completed_by: t.progress.completed_by().map(UserId::into_uuid),
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

fn today() -> NaiveDate {
    now().date_naive()
}

// ---------------------------------------------------------------------------------------------
// Field parsing shared by create, update and list

fn parse_date(field: &'static str, raw: &str) -> Result<NaiveDate, ValueError> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| ValueError::new(field, format!("'{}' is not a date (YYYY-MM-DD)", raw.trim())))
}

/// A referenced id in a body or query; unlike a path id, a malformed one is a 422 naming it.
fn parse_uuid(field: &'static str, raw: &str) -> Result<uuid::Uuid, ValueError> {
    uuid::Uuid::parse_str(raw.trim()).map_err(|_| ValueError::new(field, format!("'{}' is not a UUID", raw.trim())))
}

fn parse_type(raw: &str) -> Result<TodoType, ValueError> {
    raw.trim().parse::<TodoType>().map_err(|e| e.for_field("type"))
}

/// The progress a requested status means: completing records now and the acting user.
fn progress_of(status: TodoStatus, scope: &OrgScope) -> TodoProgress {
    match status {
        TodoStatus::Pending => TodoProgress::Pending,
        TodoStatus::InProgress => TodoProgress::InProgress,
        TodoStatus::Completed => TodoProgress::Completed { at: now(), by: scope.user() },
        TodoStatus::Cancelled => TodoProgress::Cancelled,
    }
}

fn not_found() -> ApiError {
    ApiError::not_found("no task with this id")
}

/// A task id from the path; a malformed one names no task: 404.
fn todo_id(raw: &str) -> Result<TodoId, ApiError> {
    path_id(raw, not_found)
}

fn repo_error(err: RepoError) -> ApiError {
    match err {
        RepoError::NotFound => not_found(),
        err => err.into(),
    }
}

/// A nullable reference of a PATCH: absent, cleared, or a UUID.
fn reference<Id>(
    f: &mut Faults,
    field: &'static str,
    value: Option<Option<String>>,
    id: fn(uuid::Uuid) -> Id,
) -> Option<Option<Id>> {
    match value? {
        None => Some(None),
        Some(raw) => f.take(parse_uuid(field, &raw)).map(|uuid| Some(id(uuid))),
    }
}

// ---------------------------------------------------------------------------------------------
// Create

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTodoRequest {
    #[schema(value_type = String, required = true, min_length = 1, max_length = 500)]
    pub title: Option<String>,
    #[schema(max_length = 10_000)]
    pub description: Option<String>,
    /// `task` by default.
    #[serde(rename = "type")]
    #[schema(schema_with = type_schema, nullable)]
    pub todo_type: Option<String>,
    /// `YYYY-MM-DD`.
    #[schema(value_type = Option<String>, format = Date)]
    pub due_date: Option<String>,
    /// `medium` by default.
    #[schema(schema_with = priority_schema, nullable)]
    pub priority: Option<String>,
    /// `pending` by default; `completed` records now and the caller as the completion.
    #[schema(schema_with = status_schema, nullable)]
    pub status: Option<String>,
    /// A live donor of the caller's organization.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub donor_id: Option<String>,
    /// A project of the caller's organization.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub project_id: Option<String>,
    /// The user id of an active staff member of the caller's organization.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub assigned_to: Option<String>,
}

impl CreateTodoRequest {
    fn into_new_todo(self, scope: &OrgScope) -> Result<NewTodo, ApiError> {
        let mut f = Faults::default();
        let title = f.required_with("title", self.title.as_deref(), |title| required_text("title", title, TITLE_MAX));
        let description = f.take(optional_text("description", self.description.as_deref(), DESCRIPTION_MAX));
        let todo_type = self.todo_type.as_deref().map_or(Some(TodoType::Task), |raw| f.take(parse_type(raw)));
        let due_date = self.due_date.as_deref().map(|raw| f.take(parse_date("due_date", raw)));
        let priority = self.priority.as_deref().map_or(Some(Priority::Medium), |raw| f.take(raw.trim().parse()));
        let status = self.status.as_deref().map_or(Some(TodoStatus::Pending), |raw| f.take(raw.trim().parse()));
        let donor_id = self.donor_id.as_deref().map(|raw| f.take(parse_uuid("donor_id", raw)));
        let project_id = self.project_id.as_deref().map(|raw| f.take(parse_uuid("project_id", raw)));
        let assigned_to = self.assigned_to.as_deref().map(|raw| f.take(parse_uuid("assigned_to", raw)));
        let new = match (title, description, todo_type, priority, status) {
            (Some(title), Some(description), Some(todo_type), Some(priority), Some(status)) => Some(NewTodo {
                title,
                description,
                todo_type,
                due_date: due_date.flatten(),
                priority,
                progress: progress_of(status, scope),
                donor_id: donor_id.flatten().map(DonorId::from_uuid),
                project_id: project_id.flatten().map(ProjectId::from_uuid),
                assigned_to: assigned_to.flatten().map(UserId::from_uuid),
                created_by: scope.user(),
                origin: TodoOrigin::Manual,
            }),
            _ => None,
        };
        f.finish(new)?.ok_or_else(|| ApiError::from(ValueError::new("title", "is required")))
    }
}

/// Creates a task (`todos:write`).
#[utoipa::path(
    post,
    path = "/todos",
    operation_id = "createTodo",
    tag = "todos",
    request_body = CreateTodoRequest,
    responses(
        (status = 201, description = "The task", body = TodoResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = ValidationFailed),
    )
)]
async fn create_todo(
    tenant: Tenant,
    state: web::Data<AppState>,
    body: web::Json<CreateTodoRequest>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(TODOS_WRITE)?;
    let new = body.into_inner().into_new_todo(scope)?;
    let todo = state.repos.todos.create(scope, new).await.map_err(repo_error)?;
    tracing::info!(todo = %todo.id, "task created");
    Ok(HttpResponse::Created().json(TodoResponse::new(todo, today())))
}

// ---------------------------------------------------------------------------------------------
// List

/// The tag of this list's cursors.
const CURSOR_TAG: &str = "td";

/// Every parameter is read as text so that a bad value is a 422 naming it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListTodosQuery {
    pub limit: Option<String>,
    pub cursor: Option<String>,
    pub status: Option<String>,
    pub assigned_to: Option<String>,
    pub donor_id: Option<String>,
    pub project_id: Option<String>,
    pub due_from: Option<String>,
    pub due_to: Option<String>,
    pub overdue: Option<String>,
    pub is_ai_generated: Option<String>,
}

impl ListTodosQuery {
    fn parse(&self, scope: &OrgScope) -> Result<(TodoFilter, PageRequest), ApiError> {
        let mut f = Faults::default();
        let page = page_request(&mut f, self.limit.as_deref(), self.cursor.as_deref(), CURSOR_TAG);
        let assigned_to = self.assigned_to.as_deref().and_then(|raw| match raw.trim() {
            "me" => scope.user().or_else(|| {
                f.push("assigned_to", "'me' needs a staff member's credential");
                None
            }),
            raw => f.take(parse_uuid("assigned_to", raw)).map(UserId::from_uuid),
        });
        let due_from = self.due_from.as_deref().and_then(|raw| f.take(parse_date("due_from", raw)));
        let due_to = self.due_to.as_deref().and_then(|raw| f.take(parse_date("due_to", raw)));
        if let (Some(from), Some(to)) = (due_from, due_to)
            && to < from
        {
            f.push("due_to", format!("{to} is before due_from, {from}"));
        }
        let overdue = match flag(&mut f, "overdue", self.overdue.as_deref()) {
            Some(false) => {
                f.push("overdue", "only 'true' filters; leave it out for every task");
                None
            }
            Some(true) => Some(today()),
            None => None,
        };
        let filter = TodoFilter {
            status: self.status.as_deref().and_then(|raw| f.take(raw.trim().parse())),
            donor_id: self
                .donor_id
                .as_deref()
                .and_then(|raw| f.take(parse_uuid("donor_id", raw)))
                .map(DonorId::from_uuid),
            project_id: self
                .project_id
                .as_deref()
                .and_then(|raw| f.take(parse_uuid("project_id", raw)))
                .map(ProjectId::from_uuid),
            assigned_to,
            due_on_or_after: due_from,
            due_on_or_before: due_to,
            overdue_on: overdue,
            is_ai_generated: flag(&mut f, "is_ai_generated", self.is_ai_generated.as_deref()),
        };
        f.finish((filter, page))
    }
}

/// The organization's tasks, newest first (`todos:read`); every filter given must hold.
#[utoipa::path(
    get,
    path = "/todos",
    operation_id = "listTodos",
    tag = "todos",
    params(
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 200, description = "Page size, 50 by default"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page of this list"),
        ("status" = Option<String>, Query, description = "pending, in_progress, completed or cancelled"),
        ("assigned_to" = Option<String>, Query, description = "Tasks of this user id, or `me` for the caller's"),
        ("donor_id" = Option<String>, Query, format = Uuid, description = "Tasks about this donor"),
        ("project_id" = Option<String>, Query, format = Uuid, description = "Tasks about this project"),
        ("due_from" = Option<String>, Query, format = Date, description = "Due on or after this day"),
        ("due_to" = Option<String>, Query, format = Date, description = "Due on or before this day"),
        ("overdue" = Option<bool>, Query, description = "`true`: due before today (UTC) and still pending or in progress"),
        ("is_ai_generated" = Option<bool>, Query, description = "Only suggested (true) or hand-made (false) tasks"),
    ),
    responses(
        (status = 200, description = "One page of tasks", body = Page<TodoResponse>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = ValidationFailed),
    )
)]
async fn list_todos(
    tenant: Tenant,
    state: web::Data<AppState>,
    query: web::Query<ListTodosQuery>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(TODOS_READ)?;
    let (filter, page) = query.parse(scope)?;
    let page = state.repos.todos.list(scope, filter, page).await?;
    let today = today();
    Ok(HttpResponse::Ok().json(ListResponse {
        data: page.items.into_iter().map(|t| TodoResponse::new(t, today)).collect::<Vec<_>>(),
        next_cursor: tagged_cursor(CURSOR_TAG, page.next_cursor),
    }))
}

// ---------------------------------------------------------------------------------------------
// Read

/// One task (`todos:read`).
#[utoipa::path(
    get,
    path = "/todos/{id}",
    operation_id = "getTodo",
    tag = "todos",
    params(("id" = String, Path, format = Uuid, description = "The task's id (a UUID); a malformed or unknown one is a 404")),
    responses(
        (status = 200, description = "The task", body = TodoResponse),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
async fn get_todo(tenant: Tenant, state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(TODOS_READ)?;
    let id = todo_id(&id)?;
    let todo = state.repos.todos.get(scope, id).await?.ok_or_else(not_found)?;
    Ok(HttpResponse::Ok().json(TodoResponse::new(todo, today())))
}

// ---------------------------------------------------------------------------------------------
// Update

/// Every field optional; a field left out is unchanged, `null` clears the nullable ones.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTodoRequest {
    /// Cannot be null.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = String, min_length = 1, max_length = 500)]
    pub title: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 10_000)]
    pub description: Option<Option<String>>,
    /// Cannot be null.
    #[serde(rename = "type", default, deserialize_with = "double_option")]
    #[schema(schema_with = type_schema)]
    pub todo_type: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, format = Date)]
    pub due_date: Option<Option<String>>,
    /// Cannot be null.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = priority_schema)]
    pub priority: Option<Option<String>>,
    /// Cannot be null. `completed` records now and the caller (a task already completed keeps
    /// its first completion); any other status clears the completion.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = status_schema)]
    pub status: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub donor_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub project_id: Option<Option<String>>,
    /// A user id of an active staff member; null unassigns.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub assigned_to: Option<Option<String>>,
}

impl UpdateTodoRequest {
    fn into_patch(self, scope: &OrgScope) -> Result<TodoPatch, ApiError> {
        let mut f = Faults::default();
        let mut patch = TodoPatch::default();
        if let Some(title) = f.non_null("title", self.title) {
            patch.title = f.take(required_text("title", &title, TITLE_MAX));
        }
        if let Some(v) = self.description {
            patch.description = f.take(optional_text("description", v.as_deref(), DESCRIPTION_MAX));
        }
        if let Some(raw) = f.non_null("type", self.todo_type) {
            patch.todo_type = f.take(parse_type(&raw));
        }
        match self.due_date {
            None => {}
            Some(None) => patch.due_date = Some(None),
            Some(Some(raw)) => patch.due_date = f.take(parse_date("due_date", &raw)).map(Some),
        }
        if let Some(raw) = f.non_null("priority", self.priority) {
            patch.priority = f.take(raw.trim().parse());
        }
        if let Some(raw) = f.non_null("status", self.status) {
            patch.progress = f.take(raw.trim().parse::<TodoStatus>()).map(|s| progress_of(s, scope));
        }
        patch.donor_id = reference(&mut f, "donor_id", self.donor_id, DonorId::from_uuid);
        patch.project_id = reference(&mut f, "project_id", self.project_id, ProjectId::from_uuid);
        patch.assigned_to = reference(&mut f, "assigned_to", self.assigned_to, UserId::from_uuid);
        f.finish(patch)
    }
}

/// Changes a task (`todos:write`); fields left out are unchanged, `null` clears.
#[utoipa::path(
    patch,
    path = "/todos/{id}",
    operation_id = "updateTodo",
    tag = "todos",
    params(("id" = String, Path, format = Uuid, description = "The task's id (a UUID); a malformed or unknown one is a 404")),
    request_body = UpdateTodoRequest,
    responses(
        (status = 200, description = "The task as changed", body = TodoResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = ValidationFailed),
    )
)]
async fn update_todo(
    tenant: Tenant,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<UpdateTodoRequest>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(TODOS_WRITE)?;
    let id = todo_id(&id)?;
    let patch = body.into_inner().into_patch(scope)?;
    let todo = state.repos.todos.update(scope, id, patch).await.map_err(repo_error)?;
    tracing::info!(todo = %id, status = %todo.progress.status(), "task updated");
    Ok(HttpResponse::Ok().json(TodoResponse::new(todo, today())))
}

// ---------------------------------------------------------------------------------------------
// Delete

/// Deletes a task (`todos:write`). Deleting a suggested task lets the suggester propose it
/// again; cancel it instead to dismiss it for good.
#[utoipa::path(
    delete,
    path = "/todos/{id}",
    operation_id = "deleteTodo",
    tag = "todos",
    params(("id" = String, Path, format = Uuid, description = "The task's id (a UUID); a malformed or unknown one is a 404")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
async fn delete_todo(
    tenant: Tenant,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(TODOS_WRITE)?;
    let id = todo_id(&id)?;
    state.repos.todos.delete(scope, id).await.map_err(repo_error)?;
    tracing::info!(todo = %id, "task deleted");
    Ok(HttpResponse::NoContent().finish())
}

// ---------------------------------------------------------------------------------------------
// Suggestions

/// What a run of the suggester stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct SuggestionRunResponse {
    /// The tasks stored by this run.
    pub created: Vec<TodoResponse>,
    /// Proposals already stored by an earlier run (whatever became of them): not stored again.
    pub already_suggested: u64,
}

/// Runs the task suggester for the organization (`todos:write` and `donations:read`): lapsed
/// donors (gave last fiscal year, not this one), major donors (1,000.00 or more in one currency)
/// with no contact in 90 days, and campaign emails that failed to send. Each suggestion is stored
/// once, as an AI-generated task with its reasoning and confidence; running it again stores only
/// what is new.
#[utoipa::path(
    post,
    path = "/todos/suggestions",
    operation_id = "suggestTodos",
    tag = "todos",
    responses(
        (status = 200, description = "The tasks this run stored", body = SuggestionRunResponse),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    )
)]
async fn suggest_todos(tenant: Tenant, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    tenant.require(DONATIONS_READ)?;
    let scope = tenant.require(TODOS_WRITE)?;
    let organization = state.repos.organizations.get(scope).await?;
    let today = today();
    let context = SuggestionContext { today, fiscal_year: organization.fiscal_year_start_month };
    let run = run_suggestions(state.repos.task_suggester.as_ref(), state.repos.todos.as_ref(), scope, context).await?;
    tracing::info!(created = run.created.len(), already_suggested = run.already_suggested, "tasks suggested");
    Ok(HttpResponse::Ok().json(SuggestionRunResponse {
        created: run.created.into_iter().map(|t| TodoResponse::new(t, today)).collect(),
        already_suggested: run.already_suggested,
    }))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(create_todo, list_todos, get_todo, update_todo, delete_todo, suggest_todos),
    components(schemas(TodoResponse, CreateTodoRequest, UpdateTodoRequest, SuggestionRunResponse))
)]
pub struct Api;
