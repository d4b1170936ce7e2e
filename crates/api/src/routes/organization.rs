//! `GET /api/v1/organization` and `PATCH /api/v1/organization`: the caller's own organization.

use actix_web::{HttpResponse, web};
use givance_domain::access::{ORGANIZATION_READ, ORGANIZATION_WRITE};
use givance_domain::organization::{JourneyGraph, Organization, OrganizationPatch, Slug};
use givance_domain::report::FiscalYearStart;
use givance_domain::{CountryCode, RepoError, Timestamp, ValueError, WebUrl, optional_text, required_text};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Tenant;
use crate::error::{
    ApiError, BadRequest, Conflict, Forbidden, PayloadTooLarge, Unauthorized, UnsupportedMediaType, ValidationFailed,
};
use crate::patch::double_option;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/organization").get(get_organization).patch(update_organization));
}

/// The longest name.
const NAME_MAX: usize = 200;
/// The longest `ai_instructions`.
const AI_INSTRUCTIONS_MAX: usize = 20_000;

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationResponse {
    pub id: uuid::Uuid,
    /// The organization's id at the identity provider (`org_id` of its JWTs).
    pub clerk_id: String,
    pub name: String,
    #[schema(example = "hope-for-all")]
    pub slug: String,
    pub website_url: Option<String>,
    /// Guidance for AI-written emails and research.
    pub ai_instructions: Option<String>,
    /// The donor journey: stages and the moves allowed between them.
    #[schema(value_type = Option<Object>)]
    pub donor_journey_graph: Option<serde_json::Value>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub website_last_crawled: Option<Timestamp>,
    /// ISO 3166-1 alpha-2: the region of a donor's phone number written without a country
    /// code when the donor has no `address_country` (null: the US).
    #[schema(example = "GB")]
    pub country: Option<String>,
    /// The month the fiscal year starts in, 1 (January) to 12; the reports count fiscal years
    /// by it, each named after the calendar year it ends in.
    #[schema(minimum = 1, maximum = 12, example = 7)]
    pub fiscal_year_start_month: u32,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl From<Organization> for OrganizationResponse {
    fn from(o: Organization) -> Self {
        Self {
            id: o.id.into_uuid(),
            clerk_id: o.clerk_id,
            name: o.name,
            slug: o.slug.to_string(),
            website_url: o.website_url.map(|u| u.as_str().to_owned()),
            ai_instructions: o.ai_instructions,
            donor_journey_graph: o.donor_journey_graph,
            website_last_crawled: o.website_last_crawled,
            country: o.country.map(|c| c.as_str().to_owned()),
            fiscal_year_start_month: o.fiscal_year_start_month.month(),
            created_at: o.created_at,
            updated_at: o.updated_at,
        }
    }
}

/// Every field optional; a field left out is unchanged, `null` clears the nullable ones.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrganizationRequest {
    /// Cannot be null.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = String, min_length = 1, max_length = 200)]
    pub name: Option<Option<String>>,
    /// Lower-case letters, digits and single hyphens, not at either end; unique across
    /// organizations (409 `slug_taken`). Cannot be null.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = String, min_length = 2, max_length = 63, example = "hope-for-all")]
    pub slug: Option<Option<String>>,
    /// An http(s) URL; null or blank clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, example = "https://hope.example.org")]
    pub website_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 20_000)]
    pub ai_instructions: Option<Option<String>>,
    /// `{"stages": [{"id", "name", "description", "transitions": [{"to", ...}]}]}`, at most 50
    /// stages of 20 transitions and 64 KiB; null clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Object>)]
    pub donor_journey_graph: Option<Option<serde_json::Value>>,
    /// ISO 3166-1 alpha-2, any case (stored upper-case): the default region of donors' national
    /// phone numbers; null or blank clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, min_length = 2, max_length = 2, example = "GB")]
    pub country: Option<Option<String>>,
    /// The month the fiscal year starts in: an integer from 1 (January) to 12. Cannot be null.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = u32, minimum = 1, maximum = 12, example = 7)]
    pub fiscal_year_start_month: Option<Option<serde_json::Value>>,
}

impl UpdateOrganizationRequest {
    /// The domain patch, or every invalid field.
    fn into_patch(self) -> Result<OrganizationPatch, Vec<ValueError>> {
        let mut errors = Vec::new();
        let mut patch = OrganizationPatch::default();
        let cannot_clear = |field: &'static str| ValueError::new(field, "cannot be null");
        match self.name {
            None => {}
            Some(None) => errors.push(cannot_clear("name")),
            Some(Some(name)) => match required_text("name", &name, NAME_MAX) {
                Ok(name) => patch.name = Some(name),
                Err(e) => errors.push(e),
            },
        }
        match self.slug {
            None => {}
            Some(None) => errors.push(cannot_clear("slug")),
            Some(Some(slug)) => match Slug::parse(&slug) {
                Ok(slug) => patch.slug = Some(slug),
                Err(e) => errors.push(e),
            },
        }
        if let Some(url) = self.website_url {
            match url.as_deref().map(str::trim).filter(|u| !u.is_empty()).map(WebUrl::parse).transpose() {
                Ok(url) => patch.website_url = Some(url),
                Err(e) => errors.push(e.for_field("website_url")),
            }
        }
        if let Some(text) = self.ai_instructions {
            match optional_text("ai_instructions", text.as_deref(), AI_INSTRUCTIONS_MAX) {
                Ok(text) => patch.ai_instructions = Some(text),
                Err(e) => errors.push(e),
            }
        }
        if let Some(country) = self.country {
            match country.as_deref().map(str::trim).filter(|c| !c.is_empty()).map(CountryCode::parse).transpose() {
                Ok(country) => patch.country = Some(country),
                Err(e) => errors.push(e.for_field("country")),
            }
        }
        match self.fiscal_year_start_month {
            None => {}
            Some(None) => errors.push(cannot_clear(FiscalYearStart::FIELD)),
            Some(Some(month)) => {
                let month = month.as_u64().and_then(|m| u32::try_from(m).ok()).ok_or_else(|| {
                    ValueError::new(FiscalYearStart::FIELD, "must be an integer from 1 (January) to 12 (December)")
                });
                match month.and_then(FiscalYearStart::new) {
                    Ok(month) => patch.fiscal_year_start_month = Some(month),
                    Err(e) => errors.push(e),
                }
            }
        }
        match self.donor_journey_graph {
            None => {}
            Some(None) | Some(Some(serde_json::Value::Null)) => patch.donor_journey_graph = Some(None),
            Some(Some(graph)) => match JourneyGraph::from_json(&graph) {
                // Stored as the typed graph writes it: trimmed, with every member in place.
                Ok(graph) => patch.donor_journey_graph = Some(Some(graph.to_json())),
                Err(faults) => errors.extend(faults),
            },
        }
        if errors.is_empty() { Ok(patch) } else { Err(errors) }
    }
}

/// The caller's organization (`organization:read`).
#[utoipa::path(
    get,
    path = "/organization",
    operation_id = "getOrganization",
    tag = "organization",
    responses(
        (status = 200, description = "The caller's organization", body = OrganizationResponse),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    )
)]
async fn get_organization(tenant: Tenant, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(ORGANIZATION_READ)?;
    let organization = state.repos.organizations.get(scope).await?;
    Ok(HttpResponse::Ok().json(OrganizationResponse::from(organization)))
}

/// Changes the caller's organization (`organization:write`); fields left out are unchanged.
#[utoipa::path(
    patch,
    path = "/organization",
    operation_id = "updateOrganization",
    tag = "organization",
    request_body = UpdateOrganizationRequest,
    responses(
        (status = 200, description = "The organization as changed", body = OrganizationResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = ValidationFailed),
    )
)]
async fn update_organization(
    tenant: Tenant,
    state: web::Data<AppState>,
    body: web::Json<UpdateOrganizationRequest>,
) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(ORGANIZATION_WRITE)?;
    let patch = body.into_inner().into_patch()?;
    let slug = patch.slug.clone();
    let organization = state.repos.organizations.update(scope, patch).await.map_err(|err| match err {
        RepoError::Conflict { constraint } if constraint == "uq_organizations_slug" => ApiError::conflict(
            "slug_taken",
            format!("the slug '{}' belongs to another organization", slug.map(|s| s.to_string()).unwrap_or_default()),
        ),
        err => err.into(),
    })?;
    Ok(HttpResponse::Ok().json(OrganizationResponse::from(organization)))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(get_organization, update_organization),
    components(schemas(OrganizationResponse, UpdateOrganizationRequest))
)]
pub struct Api;
