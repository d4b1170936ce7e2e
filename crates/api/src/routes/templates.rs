//! Templates over HTTP: create, list (keyset, filtered), read, update (PATCH, explicit null
//! clears), delete, preview for one donor, and record a use.
//!
//! The variables of a template are never sent by the client: they are the `{{name}}`
//! placeholders of its subject and body, declared again whenever either changes. A preview
//! renders the template for one donor (donor data HTML-escaped in `body_html`) and lists the
//! variables it could not fill; it does not count as a use. A use is recorded only by
//! `POST /templates/{id}/use` (and later by campaigns that send from a template): it increments
//! `usage_count` and sets `last_used_at`. See docs/decisions/0030-templates-and-suggested-tasks.md.

use actix_web::{HttpResponse, web};
use givance_domain::access::{DONORS_READ, TEMPLATES_READ, TEMPLATES_WRITE};
use givance_domain::communication::CommunicationChannel;
use givance_domain::shared::time::now;
use givance_domain::template::{
    self, BODY_MAX, CATEGORY_MAX, NAME_MAX, NewTemplate, SUBJECT_MAX, Template, TemplateFilter, TemplatePatch,
    TemplateValues, UnfilledReason,
};
use givance_domain::{DonorId, RepoError, TemplateId, Timestamp, ValueError, optional_text, required_text};
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
    cfg.service(web::resource("/templates").get(list_templates).post(create_template))
        .service(web::resource("/templates/{id}").get(get_template).patch(update_template).delete(delete_template))
        .service(web::resource("/templates/{id}/preview").post(preview_template))
        .service(web::resource("/templates/{id}/use").post(use_template));
}

// ---------------------------------------------------------------------------------------------
// Responses

fn channel_schema() -> utoipa::openapi::schema::Object {
    text_enum(CommunicationChannel::ALL.iter().map(|c| c.as_str()))
}

fn reason_schema() -> utoipa::openapi::schema::Object {
    text_enum(UnfilledReason::ALL.iter().map(|r| r.as_str()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateResponse {
    pub id: uuid::Uuid,
    pub name: String,
    pub category: Option<String>,
    #[schema(schema_with = channel_schema)]
    pub channel: CommunicationChannel,
    pub subject: Option<String>,
    pub body: String,
    /// The placeholders of the subject and body (`donor.first_name` for `{{donor.first_name}}`),
    /// each once, in order of first appearance.
    pub variables: Vec<String>,
    /// How often the template was used (`POST /templates/{id}/use`); previews do not count.
    pub usage_count: u32,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<Timestamp>,
    /// The user who created it, when a person did.
    pub created_by: Option<uuid::Uuid>,
    pub is_active: bool,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl From<Template> for TemplateResponse {
    fn from(t: Template) -> Self {
        Self {
            id: t.id.into_uuid(),
            name: t.name,
            category: t.category,
            channel: t.channel,
            subject: t.subject,
            body: t.body,
            variables: t.variables,
            usage_count: t.usage_count,
            last_used_at: t.last_used_at,
            created_by: t.created_by.map(|u| u.into_uuid()),
            is_active: t.is_active,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

/// A variable a preview left as written.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnfilledVariable {
    #[schema(example = "donor.email")]
    pub variable: String,
    /// `unknown_variable`: not a variable rendering knows; `no_value`: the donor has none.
    #[schema(schema_with = reason_schema)]
    pub reason: UnfilledReason,
}

/// A template rendered for one donor.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewResponse {
    pub template_id: uuid::Uuid,
    pub donor_id: uuid::Uuid,
    /// The subject with the donor's values as plain text.
    pub subject: Option<String>,
    /// The body with every donor value HTML-escaped: safe to show as HTML.
    pub body_html: String,
    /// The body with the values unescaped, for plain-text channels.
    pub body_text: String,
    /// The variables left unfilled (their placeholders stay in the output as written).
    pub unfilled: Vec<UnfilledVariable>,
}

// ---------------------------------------------------------------------------------------------
// Field parsing shared by create and update

fn parse_channel(raw: &str) -> Result<CommunicationChannel, ValueError> {
    raw.trim().parse::<CommunicationChannel>()
}

fn not_found() -> ApiError {
    ApiError::not_found("no template with this id")
}

/// A template id from the path; a malformed one names no template: 404.
fn template_id(raw: &str) -> Result<TemplateId, ApiError> {
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
pub struct CreateTemplateRequest {
    #[schema(value_type = String, required = true, min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[schema(max_length = 100)]
    pub category: Option<String>,
    /// `email` by default.
    #[schema(schema_with = channel_schema, nullable)]
    pub channel: Option<String>,
    #[schema(max_length = 998)]
    pub subject: Option<String>,
    /// Text with `{{variable}}` placeholders (at most 100 distinct ones).
    #[schema(value_type = String, required = true, min_length = 1, max_length = 200_000)]
    pub body: Option<String>,
    /// `true` by default.
    pub is_active: Option<bool>,
}

impl CreateTemplateRequest {
    fn into_new_template(self, created_by: Option<givance_domain::UserId>) -> Result<NewTemplate, ApiError> {
        let mut f = Faults::default();
        let name = f.required_with("name", self.name.as_deref(), |name| required_text("name", name, NAME_MAX));
        let category = f.take(optional_text("category", self.category.as_deref(), CATEGORY_MAX));
        let channel = match self.channel.as_deref() {
            None => Some(CommunicationChannel::Email),
            Some(raw) => f.take(parse_channel(raw)),
        };
        let subject = f.take(optional_text("subject", self.subject.as_deref(), SUBJECT_MAX));
        let body = f.required_with("body", self.body.as_deref(), |body| required_text("body", body, BODY_MAX));
        let variables = match (&subject, &body) {
            (Some(subject), Some(body)) => f.take(template::declared_variables(subject.as_deref(), body)),
            _ => None,
        };
        let new = match (name, category, channel, subject, body, variables) {
            (Some(name), Some(category), Some(channel), Some(subject), Some(body), Some(variables)) => {
                Some(NewTemplate {
                    name,
                    category,
                    channel,
                    subject,
                    body,
                    variables,
                    created_by,
                    is_active: self.is_active.unwrap_or(true),
                })
            }
            _ => None,
        };
        f.finish(new)?.ok_or_else(|| ApiError::from(ValueError::new("body", "is required")))
    }
}

/// Creates a template (`templates:write`); its variables are its placeholders.
#[utoipa::path(
    post,
    path = "/templates",
    operation_id = "createTemplate",
    tag = "templates",
    request_body = CreateTemplateRequest,
    responses(
        (status = 201, description = "The template", body = TemplateResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = ValidationFailed),
    )
)]
async fn create_template(
    tenant: Tenant,
    state: web::Data<AppState>,
    body: web::Json<CreateTemplateRequest>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(TEMPLATES_WRITE)?;
    let new = body.into_inner().into_new_template(scope.user())?;
    let template = state.repos.templates.create(scope, new).await.map_err(repo_error)?;
    tracing::info!(template = %template.id, "template created");
    Ok(HttpResponse::Created().json(TemplateResponse::from(template)))
}

// ---------------------------------------------------------------------------------------------
// List

/// The tag of this list's cursors.
const CURSOR_TAG: &str = "t";

/// Every parameter is read as text so that a bad value is a 422 naming it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListTemplatesQuery {
    pub limit: Option<String>,
    pub cursor: Option<String>,
    pub is_active: Option<String>,
    pub category: Option<String>,
    pub channel: Option<String>,
}

impl ListTemplatesQuery {
    fn parse(&self) -> Result<(TemplateFilter, givance_domain::PageRequest), ApiError> {
        let mut f = Faults::default();
        let page = page_request(&mut f, self.limit.as_deref(), self.cursor.as_deref(), CURSOR_TAG);
        let filter = TemplateFilter {
            is_active: flag(&mut f, "is_active", self.is_active.as_deref()),
            category: self.category.as_deref().and_then(|raw| f.take(required_text("category", raw, CATEGORY_MAX))),
            channel: self.channel.as_deref().and_then(|raw| f.take(parse_channel(raw))),
        };
        f.finish((filter, page))
    }
}

/// The organization's templates, newest first (`templates:read`).
#[utoipa::path(
    get,
    path = "/templates",
    operation_id = "listTemplates",
    tag = "templates",
    params(
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 200, description = "Page size, 50 by default"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page of this list"),
        ("is_active" = Option<bool>, Query, description = "Only active (true) or inactive (false) templates"),
        ("category" = Option<String>, Query, description = "Only templates of this category (exact match)"),
        ("channel" = Option<String>, Query, description = "email, phone, text, whatsapp, in_person or mail"),
    ),
    responses(
        (status = 200, description = "One page of templates", body = Page<TemplateResponse>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = ValidationFailed),
    )
)]
async fn list_templates(
    tenant: Tenant,
    state: web::Data<AppState>,
    query: web::Query<ListTemplatesQuery>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(TEMPLATES_READ)?;
    let (filter, page) = query.parse()?;
    let page = state.repos.templates.list(scope, filter, page).await?;
    Ok(HttpResponse::Ok().json(ListResponse {
        data: page.items.into_iter().map(TemplateResponse::from).collect::<Vec<_>>(),
        next_cursor: tagged_cursor(CURSOR_TAG, page.next_cursor),
    }))
}

// ---------------------------------------------------------------------------------------------
// Read

/// One template (`templates:read`).
#[utoipa::path(
    get,
    path = "/templates/{id}",
    operation_id = "getTemplate",
    tag = "templates",
    params(("id" = String, Path, format = Uuid, description = "The template's id (a UUID); a malformed or unknown one is a 404")),
    responses(
        (status = 200, description = "The template", body = TemplateResponse),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
async fn get_template(
    tenant: Tenant,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(TEMPLATES_READ)?;
    let id = template_id(&id)?;
    let template = state.repos.templates.get(scope, id).await?.ok_or_else(not_found)?;
    Ok(HttpResponse::Ok().json(TemplateResponse::from(template)))
}

// ---------------------------------------------------------------------------------------------
// Update

/// Every field optional; a field left out is unchanged, `null` clears the nullable ones.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTemplateRequest {
    /// Cannot be null.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = String, min_length = 1, max_length = 200)]
    pub name: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 100)]
    pub category: Option<Option<String>>,
    /// Cannot be null.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = channel_schema)]
    pub channel: Option<Option<String>>,
    /// Changing it declares the variables anew.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 998)]
    pub subject: Option<Option<String>>,
    /// Cannot be null; changing it declares the variables anew.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = String, min_length = 1, max_length = 200_000)]
    pub body: Option<Option<String>>,
    /// Cannot be null.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = bool)]
    pub is_active: Option<Option<bool>>,
}

impl UpdateTemplateRequest {
    fn into_patch(self) -> Result<TemplatePatch, ApiError> {
        let mut f = Faults::default();
        let mut patch = TemplatePatch::default();
        if let Some(name) = f.non_null("name", self.name) {
            patch.name = f.take(required_text("name", &name, NAME_MAX));
        }
        if let Some(v) = self.category {
            patch.category = f.take(optional_text("category", v.as_deref(), CATEGORY_MAX));
        }
        if let Some(raw) = f.non_null("channel", self.channel) {
            patch.channel = f.take(parse_channel(&raw));
        }
        if let Some(v) = self.subject {
            patch.subject = f.take(optional_text("subject", v.as_deref(), SUBJECT_MAX));
        }
        if let Some(body) = f.non_null("body", self.body) {
            patch.body = f.take(required_text("body", &body, BODY_MAX));
        }
        patch.is_active = f.non_null("is_active", self.is_active);
        f.finish(patch)
    }
}

/// Changes a template (`templates:write`); fields left out are unchanged, `null` clears.
#[utoipa::path(
    patch,
    path = "/templates/{id}",
    operation_id = "updateTemplate",
    tag = "templates",
    params(("id" = String, Path, format = Uuid, description = "The template's id (a UUID); a malformed or unknown one is a 404")),
    request_body = UpdateTemplateRequest,
    responses(
        (status = 200, description = "The template as changed", body = TemplateResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = ValidationFailed),
    )
)]
async fn update_template(
    tenant: Tenant,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<UpdateTemplateRequest>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(TEMPLATES_WRITE)?;
    let id = template_id(&id)?;
    let patch = body.into_inner().into_patch()?;
    let template = state.repos.templates.update(scope, id, patch).await.map_err(repo_error)?;
    tracing::info!(template = %id, "template updated");
    Ok(HttpResponse::Ok().json(TemplateResponse::from(template)))
}

// ---------------------------------------------------------------------------------------------
// Delete

/// Deletes a template (`templates:write`).
#[utoipa::path(
    delete,
    path = "/templates/{id}",
    operation_id = "deleteTemplate",
    tag = "templates",
    params(("id" = String, Path, format = Uuid, description = "The template's id (a UUID); a malformed or unknown one is a 404")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
async fn delete_template(
    tenant: Tenant,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(TEMPLATES_WRITE)?;
    let id = template_id(&id)?;
    state.repos.templates.delete(scope, id).await.map_err(repo_error)?;
    tracing::info!(template = %id, "template deleted");
    Ok(HttpResponse::NoContent().finish())
}

// ---------------------------------------------------------------------------------------------
// Preview

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewTemplateRequest {
    /// A live donor of the caller's organization.
    #[schema(value_type = String, format = Uuid)]
    pub donor_id: Option<String>,
}

const NO_DONOR: &str = "no donor with this id in the organization (or the donor is deleted)";

/// Renders a template for one donor (`templates:read` and `donors:read`). Donor data is
/// HTML-escaped in `body_html`; variables that cannot be filled stay as written and are listed
/// in `unfilled`. A preview is not a use. A donor that is not the organization's is a 422
/// naming `donor_id`.
#[utoipa::path(
    post,
    path = "/templates/{id}/preview",
    operation_id = "previewTemplate",
    tag = "templates",
    params(("id" = String, Path, format = Uuid, description = "The template's id (a UUID); a malformed or unknown one is a 404")),
    request_body = PreviewTemplateRequest,
    responses(
        (status = 200, description = "The rendered template", body = PreviewResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = ValidationFailed),
    )
)]
async fn preview_template(
    tenant: Tenant,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<PreviewTemplateRequest>,
) -> Result<HttpResponse, ApiError> {
    tenant.require(DONORS_READ)?;
    let scope = tenant.require(TEMPLATES_READ)?;
    let id = template_id(&id)?;
    let donor_id = match body.donor_id.as_deref().map(str::trim) {
        None => return Err(ValueError::new("donor_id", "is required").into()),
        Some(raw) => uuid::Uuid::parse_str(raw)
            .map(DonorId::from_uuid)
            .map_err(|_| ValueError::new("donor_id", format!("'{raw}' is not a UUID")))?,
    };
    let template = state.repos.templates.get(scope, id).await?.ok_or_else(not_found)?;
    let donor = state.repos.donors.get(scope, donor_id).await?.ok_or_else(|| ValueError::new("donor_id", NO_DONOR))?;
    let organization = state.repos.organizations.get(scope).await?;
    let rendered = template::render(&template, &TemplateValues::for_donor(&donor, &organization));
    Ok(HttpResponse::Ok().json(PreviewResponse {
        template_id: id.into_uuid(),
        donor_id: donor_id.into_uuid(),
        subject: rendered.subject,
        body_html: rendered.body_html,
        body_text: rendered.body_text,
        unfilled: rendered
            .unfilled
            .into_iter()
            .map(|u| UnfilledVariable { variable: u.variable, reason: u.reason })
            .collect(),
    }))
}

// ---------------------------------------------------------------------------------------------
// Use

/// Records one use of a template (`templates:write`): `usage_count` goes up by one and
/// `last_used_at` becomes now, atomically, so concurrent uses all count.
#[utoipa::path(
    post,
    path = "/templates/{id}/use",
    operation_id = "recordTemplateUse",
    tag = "templates",
    params(("id" = String, Path, format = Uuid, description = "The template's id (a UUID); a malformed or unknown one is a 404")),
    responses(
        (status = 200, description = "The template with its new usage figures", body = TemplateResponse),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
async fn use_template(
    tenant: Tenant,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(TEMPLATES_WRITE)?;
    let id = template_id(&id)?;
    let template = state.repos.templates.record_use(scope, id, now()).await.map_err(repo_error)?;
    tracing::info!(template = %id, usage_count = template.usage_count, "template used");
    Ok(HttpResponse::Ok().json(TemplateResponse::from(template)))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        create_template,
        list_templates,
        get_template,
        update_template,
        delete_template,
        preview_template,
        use_template
    ),
    components(schemas(
        TemplateResponse,
        CreateTemplateRequest,
        UpdateTemplateRequest,
        PreviewTemplateRequest,
        PreviewResponse,
        UnfilledVariable
    ))
)]
pub struct Api;
