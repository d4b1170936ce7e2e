//! `GET /api/v1/organization` and `PATCH /api/v1/organization`: the caller's own organization.

use actix_web::{HttpResponse, web};
use givance_domain::access::{ORGANIZATION_READ, ORGANIZATION_WRITE};
use givance_domain::organization::{JourneyGraph, Organization, OrganizationPatch, Slug};
use givance_domain::{RepoError, Timestamp, ValueError, WebUrl, optional_text, required_text};
use serde::{Deserialize, Serialize};

use crate::auth::Tenant;
use crate::error::ApiError;
use crate::patch::double_option;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/organization").get(get_organization).patch(update_organization));
}

#[derive(Debug, Serialize)]
pub struct OrganizationResponse {
    pub id: uuid::Uuid,
    pub clerk_id: String,
    pub name: String,
    pub slug: String,
    pub website_url: Option<String>,
    pub ai_instructions: Option<String>,
    pub donor_journey_graph: Option<serde_json::Value>,
    pub website_last_crawled: Option<Timestamp>,
    pub created_at: Timestamp,
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
            created_at: o.created_at,
            updated_at: o.updated_at,
        }
    }
}

/// Every field optional; `null` clears the nullable ones.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrganizationRequest {
    #[serde(default, deserialize_with = "double_option")]
    pub name: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub slug: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub website_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub ai_instructions: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub donor_journey_graph: Option<Option<serde_json::Value>>,
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
            Some(Some(name)) => match required_text("name", &name, 200) {
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
            match optional_text("ai_instructions", text.as_deref(), 20_000) {
                Ok(text) => patch.ai_instructions = Some(text),
                Err(e) => errors.push(e),
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

async fn get_organization(tenant: Tenant, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let scope = tenant.require(ORGANIZATION_READ)?;
    let organization = state.repos.organizations.get(scope).await?;
    Ok(HttpResponse::Ok().json(OrganizationResponse::from(organization)))
}

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
