//! Routes, one module per aggregate (health first; donors, donations, ... under `/api/v1`).

use actix_web::{HttpResponse, web};

use crate::error::ApiError;

pub mod api_keys;
pub mod donors;
pub mod health;
pub mod organization;
pub mod projects;

/// The base path of the versioned API.
pub const API_BASE: &str = "/api/v1";

/// Registers every route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(health::configure).service(
        web::scope(API_BASE)
            .configure(organization::configure)
            .configure(api_keys::configure)
            .configure(donors::configure)
            .configure(projects::configure),
    );
}

/// Anything no route matches.
pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::not_found("no resource at this path"))
}
